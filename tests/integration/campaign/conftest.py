"""A campaign story's setting: a ledger on each store with its views, a clock, one site with stock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.settings import parse_database_url
from ledger.values import Actor, Role
from projections.store import ViewStore, open_view_store
from services.campaign import CampaignService

# Sunday 1 August 2021, 10:00 in Viet Nam.
NOW = datetime(2021, 8, 1, 3, 0, tzinfo=UTC)
MONDAY = date(2021, 8, 2)
OFFICER = Actor("officer-01", Role.PROVINCE_OFFICER, province_code="01")
ADMIN = Actor("admin-1", Role.ADMIN)
ASTRAZENECA = "EU/1/21/1529"
PFIZER = "EU/1/20/1528"
SINOPHARM = "BBIBP-CorV"


GIVEN = (
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hùng",
    "Lan",
    "Minh",
    "Ngọc",
    "Phúc",
    "Quân",
    "Sơn",
    "Thảo",
)


class Clock:
    """A clock the story moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


@dataclass
class Story:
    """A site in Phúc Xá with two small sessions, stock of three products, and people to register."""

    ledger: Ledger
    store: ViewStore
    service: CampaignService
    clock: Clock
    site_id: UUID
    lots: dict[str, UUID]
    vaccinator: Actor
    counter: int = 0
    people: list[UUID] = field(default_factory=list)

    def key(self) -> str:
        self.counter += 1
        return f"story-{self.counter}"

    def person(
        self, group: str = "CHRONIC_DISEASE_OR_OVER_65", phone: str | None = "", **overrides: object
    ) -> UUID:
        n = len(self.people) + 1
        fields: dict[str, object] = {
            "national_id": f"0010850{n:05d}",
            "full_name": f"Nguyễn Văn {GIVEN[n % len(GIVEN)]}",
            "date_of_birth": "1950-03-02",
            "sex": "male",
            "phone": phone if phone != "" else f"09123450{n:02d}",
            "ward_code": "00001",
            "priority_group": group,
            "actor": ADMIN,
            "idempotency_key": self.key(),
        }
        fields.update(overrides)
        person = self.ledger.register_person(**fields)  # type: ignore[arg-type]
        self.people.append(person)
        return person


def make_story(url: str, clock: Clock, key_dir: Path, *, morning: int = 2, afternoon: int = 1) -> Story:
    ledger = Ledger(url, clock=clock, key_dir=key_dir)
    store = open_view_store(parse_database_url(url))
    service = CampaignService(ledger, store)
    site = service.add_site(
        code="VN-01-0001",
        name="Trạm Y tế Phường Phúc Xá",
        ward_code="00001",
        address="Số 1 Nghĩa Dũng, Ba Đình, Hà Nội",
        sessions=[
            Session("morning", "07:30", "11:30", morning),
            Session("afternoon", "13:30", "16:30", afternoon),
        ],
        actor=OFFICER,
    )
    site_id = UUID(site.site_id)
    vaccinator = Actor("vaccinator-1", Role.VACCINATOR, site_id)
    lots = {
        product: ledger.receive_lot(
            product=product,
            lot_number=f"LOT-{i}",
            expiry=date(2022, 3, 1),
            site_id=site_id,
            quantity=100,
            actor=ADMIN,
            idempotency_key=f"lot-{i}",
        )
        for i, product in enumerate((ASTRAZENECA, PFIZER, SINOPHARM))
    }
    return Story(ledger, store, service, clock, site_id, lots, vaccinator)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def story(database_url: str, clock: Clock, tmp_path: Path) -> Iterator[Story]:
    """The story on memory, SQLite and PostgreSQL."""
    s = make_story(database_url, clock, tmp_path / "keys")
    try:
        yield s
    finally:
        s.store.close()
        s.ledger.close()


@pytest.fixture
def sqlite_story(clock: Clock, tmp_path: Path) -> Iterator[Story]:
    """The story on a SQLite file (for stories that do not depend on the store)."""
    s = make_story(f"sqlite:///{tmp_path / 'ledger.db'}", clock, tmp_path / "keys")
    try:
        yield s
    finally:
        s.store.close()
        s.ledger.close()
