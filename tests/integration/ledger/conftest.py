"""Fixtures for the ledger suites: a ledger on each store, a fixed clock, a small campaign setup."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest

from ledger.application import Ledger
from ledger.records import DoseRecorded
from ledger.values import Actor, Role

# The campaign's clock in these stories: 1 October 2021, 10:00 in Viet Nam.
NOW = datetime(2021, 10, 1, 3, 0, tzinfo=UTC)
ADMIN = Actor("admin-1", Role.ADMIN)
ASTRAZENECA = "EU/1/21/1529"
PFIZER = "EU/1/20/1528"
SINOPHARM = "BBIBP-CorV"


class Clock:
    """A clock the story moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def open_ledger(url: str, clock: Clock, key_dir: Path) -> Ledger:
    return Ledger(url, clock=clock, key_dir=key_dir)


@pytest.fixture
def ledger(database_url: str, clock: Clock, tmp_path: Path) -> Iterator[Ledger]:
    """A fresh ledger on memory, SQLite or PostgreSQL (the same story on each)."""
    app = open_ledger(database_url, clock, tmp_path / "keys")
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def memory_ledger(clock: Clock, tmp_path: Path) -> Iterator[Ledger]:
    """A ledger in memory, for rules that do not depend on the store."""
    app = open_ledger("memory://", clock, tmp_path / "keys")
    try:
        yield app
    finally:
        app.close()


@dataclass
class Campaign:
    """A site in Phúc Xá (Hà Nội) with AstraZeneca, Pfizer and Sinopharm lots, and its vaccinator."""

    ledger: Ledger
    site_id: UUID
    other_site_id: UUID
    az_lot: UUID
    pfizer_lot: UUID
    sinopharm_lot: UUID
    expired_lot: UUID
    vaccinator: Actor
    counter: int = 0

    def key(self) -> str:
        self.counter += 1
        return f"test-{self.counter}"

    def register(self, national_id: str | None = "001085012345", **overrides: object) -> UUID:
        fields: dict[str, object] = {
            "national_id": national_id,
            "full_name": "Nguyễn Thị Ánh",
            "date_of_birth": "1985-03-02",
            "sex": "female",
            "phone": "0912345678",
            "ward_code": "00001",
            "priority_group": "HEALTH_WORKER",
            "actor": ADMIN,
            "idempotency_key": self.key(),
        }
        fields.update(overrides)
        return self.ledger.register_person(**fields)  # type: ignore[arg-type]

    def dose(
        self,
        person_id: UUID,
        number: int,
        day: date,
        lot: UUID | None = None,
        product: str = ASTRAZENECA,
        **overrides: object,
    ) -> DoseRecorded:
        fields: dict[str, object] = {
            "person_id": person_id,
            "dose_number": number,
            "product": product,
            "lot_id": lot or self.az_lot,
            "administered_on": day,
            "site_id": self.site_id,
            "actor": self.vaccinator,
            "idempotency_key": self.key(),
        }
        fields.update(overrides)
        return self.ledger.record_dose(**fields)  # type: ignore[arg-type]


def make_campaign(ledger: Ledger) -> Campaign:
    site = ledger.register_site(
        code="VN-01-0001",
        name="Trạm Y tế Phường Phúc Xá",
        ward_code="00001",
        capacity_per_day=300,
        actor=ADMIN,
        idempotency_key="site-1",
    )
    other = ledger.register_site(
        code="VN-79-0001",
        name="Trạm Y tế Phường Tân Định",
        ward_code="26734",
        capacity_per_day=500,
        actor=ADMIN,
        idempotency_key="site-2",
    )
    vaccinator = Actor("vaccinator-1", Role.VACCINATOR, site)
    lots = [
        ledger.receive_lot(
            product=product,
            lot_number=number,
            expiry=expiry,
            site_id=site,
            quantity=1000,
            actor=vaccinator,
            idempotency_key=f"lot-{number}",
        )
        for product, number, expiry in [
            (ASTRAZENECA, "AZ-001", date(2022, 3, 1)),
            (PFIZER, "PF-001", date(2022, 3, 1)),
            (SINOPHARM, "SP-001", date(2022, 3, 1)),
            (ASTRAZENECA, "AZ-OLD", date(2021, 8, 31)),
        ]
    ]
    return Campaign(ledger, site, other, lots[0], lots[1], lots[2], lots[3], vaccinator)


@pytest.fixture
def campaign(ledger: Ledger) -> Campaign:
    return make_campaign(ledger)


@pytest.fixture
def memory_campaign(memory_ledger: Ledger) -> Campaign:
    return make_campaign(memory_ledger)
