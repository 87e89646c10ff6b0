"""A small, deterministic campaign on the real Ledger, for the view tests and the benchmark."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from ledger.application import Ledger
from ledger.records import DoseRequest
from ledger.values import Actor, Role

ADMIN = Actor("admin-test", Role.SYSTEM)
ASTRAZENECA = "EU/1/21/1529"
PFIZER = "EU/1/20/1528"
HANOI_WARD = "00001"  # Phúc Xá, Hà Nội (province 01)
SAIGON_WARD = "26734"  # Tân Định, Hồ Chí Minh City (province 79)


def letters(n: int) -> str:
    """A number as letters (0 -> A, 27 -> Bb): names on a certificate have no digits (ICAO 9303)."""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out.capitalize()


class Clock:
    """A clock the test moves by hand (time is a parameter)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def open_ledger(url: str, key_dir: Path, clock: Callable[[], datetime] | None = None) -> Ledger:
    """The real Ledger on a store URL, its master key under `key_dir`."""
    return Ledger(url, clock=clock or Clock(datetime(2021, 12, 1, 3, 0, tzinfo=UTC)), key_dir=key_dir)


@dataclass
class Campaign:
    """What was seeded: ids to refer to in assertions."""

    sites: list[UUID] = field(default_factory=list)
    lots: dict[str, UUID] = field(default_factory=dict)
    people: list[UUID] = field(default_factory=list)
    doses: dict[UUID, list[UUID]] = field(default_factory=dict)


_counter = [0]


def key(prefix: str) -> str:
    """A fresh idempotency key."""
    _counter[0] += 1
    return f"{prefix}-{_counter[0]}"


def setup_sites(ledger: Ledger, campaign: Campaign) -> None:
    """One site in Hà Nội and one in Hồ Chí Minh City, each with an AstraZeneca and a Pfizer lot."""
    for code, ward in (("HN-01", HANOI_WARD), ("HCM-01", SAIGON_WARD)):
        site = ledger.register_site(
            code=code,
            name=f"Trạm y tế {code}",
            ward_code=ward,
            capacity_per_day=500,
            actor=ADMIN,
            idempotency_key=key("site"),
        )
        campaign.sites.append(site)
        for product in (ASTRAZENECA, PFIZER):
            campaign.lots[f"{code}/{product}"] = ledger.receive_lot(
                product=product,
                lot_number=f"{code}-{product[-4:]}",
                expiry=date(2022, 6, 30),
                site_id=site,
                quantity=100_000,
                actor=ADMIN,
                idempotency_key=key("lot"),
            )


def register(
    ledger: Ledger,
    campaign: Campaign,
    *,
    ward: str = HANOI_WARD,
    born: str = "1980-05-01",
    group: str = "HEALTH_WORKER",
    guardian: UUID | None = None,
    number: int | None = None,
    name: str | None = None,
) -> UUID:
    """Register one person (a dependant when `guardian` is given)."""
    _counter[0] += 1
    national_id = (
        None
        if guardian
        else f"0{'01' if ward == HANOI_WARD else '79'}{_counter[0] if number is None else number:09d}"
    )
    person = ledger.register_person(
        national_id=national_id,
        full_name=name or f"Nguyễn Văn Thử {letters(_counter[0])}",
        date_of_birth=born,
        sex="male",
        phone=None,
        ward_code=ward,
        priority_group=group,
        actor=ADMIN,
        idempotency_key=key("person"),
        guardian_id=guardian,
        relationship="child" if guardian else None,
    )
    campaign.people.append(person)
    return person


def dose(
    ledger: Ledger,
    campaign: Campaign,
    person: UUID,
    number: int,
    day: date,
    *,
    product: str = ASTRAZENECA,
    site: int = 0,
) -> UUID:
    """Give `person` dose `number` on `day` at site `site`."""
    code = "HN-01" if site == 0 else "HCM-01"
    recorded = ledger.record_dose(
        person_id=person,
        dose_number=number,
        product=product,
        lot_id=campaign.lots[f"{code}/{product}"],
        administered_on=day,
        site_id=campaign.sites[site],
        actor=ADMIN,
        idempotency_key=key("dose"),
    )
    campaign.doses.setdefault(person, []).append(recorded.dose_id)
    return recorded.dose_id


def seed_bulk(ledger: Ledger, campaign: Campaign, people: int, *, seed: int, batch: int = 500) -> int:
    """`people` people across the two sites, most with two doses; returns the number of doses given."""
    rng = random.Random(seed)
    given = 0
    wards = [HANOI_WARD, SAIGON_WARD]
    groups = sorted(ledger.reference.priority_groups)
    registered: list[UUID] = []
    for n in range(people):
        registered.append(
            ledger.register_person(
                national_id=f"0{'01' if n % 2 == 0 else '79'}{seed:03d}{n:06d}",
                full_name=f"Trần Thị Mẫu {letters(n)}",
                date_of_birth=str(rng.randint(1940, 2010)),
                sex="female",
                phone=None,
                ward_code=wards[n % 2],
                priority_group=rng.choice(groups),
                actor=ADMIN,
                idempotency_key=key("bulk-person"),
            )
        )
    for number, day in ((1, date(2021, 8, 2)), (2, date(2021, 9, 6))):
        requests = [
            DoseRequest(
                person_id=p,
                dose_number=number,
                product=ASTRAZENECA,
                lot_id=campaign.lots[f"{'HN-01' if i % 2 == 0 else 'HCM-01'}/{ASTRAZENECA}"],
                administered_on=day + timedelta(days=i % 7),
                site_id=campaign.sites[i % 2],
            )
            for i, p in enumerate(registered)
            if number == 1 or i % 5 != 0
        ]
        for start in range(0, len(requests), batch):
            ledger.record_doses(
                requests[start : start + batch], actor=ADMIN, idempotency_key=key("bulk-dose")
            )
            given += len(requests[start : start + batch])
    campaign.people.extend(registered)
    return given
