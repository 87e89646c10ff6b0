"""Lots received at a site by code older than stock records are counted down after the upgrade.

The old lots are written the way that code wrote them (a `VaccineLot` and nothing else, in a store
without the catch-up's marker); doses recorded on them then were never counted. Opening the store with
this code gives each such lot its record (the doses received, minus those already given, by day), and
from then on the lot counts down and refuses a dose beyond it. On a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from ledger import site_lot_catch_up
from ledger.application import Ledger
from ledger.campaign.errors import LotExhausted
from ledger.campaign.values import lot_stock_id
from ledger.commands import Outcome
from ledger.domainmodel import VaccineLot
from ledger.keytables import SqlKeyTable
from ledger.values import Actor, Role
from tests.integration.ledger.conftest import ADMIN, ASTRAZENECA, Clock

DAY_1 = date(2021, 9, 20)
DAY_2 = date(2021, 9, 21)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    found: str = request.getfixturevalue("postgres_url")
    return found


def old_receive_lot(ledger: Ledger, site_id: UUID, quantity: int, key: str) -> UUID:
    """`receive_lot` as the code before session 4 wrote it: the lot, no stock record."""
    site = ledger.get_site(site_id)

    def attempt(at: datetime) -> Outcome:
        lot = VaccineLot(  # type: ignore[call-arg]
            id=ledger.new_id(),
            actor=ADMIN,
            at=at,
            product=ASTRAZENECA,
            manufacturer="ORG-100001699",
            lot_number=f"OLD-{key}",
            expiry=date(2022, 3, 1),
            site_id=site.id,
            quantity=quantity,
        )
        return Outcome([lot], {"lot_id": lot.id.hex})

    return UUID(ledger.run_command("receive_lot", key, {"k": key}, attempt)["lot_id"])


def forget_the_catch_up(ledger: Ledger) -> None:
    """A store written by the old code has no marker (the old code knew none)."""
    table = ledger.key_table()
    assert isinstance(table, SqlKeyTable)
    with table.db.transaction(write=True) as cursor:
        cursor.execute(f"DELETE FROM {table.holds} WHERE digest = ?", (site_lot_catch_up.MARKER,))


def test_an_old_lot_gets_its_record_with_the_doses_already_given_and_counts_down(
    url: str, clock: Clock, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    old = Ledger(url, clock=clock, key_dir=keys)
    site = old.register_site(
        code="VN-01-0001",
        name="Trạm Y tế Phúc Xá",
        ward_code="00001",
        capacity_per_day=300,
        actor=ADMIN,
        idempotency_key="site",
    )
    vaccinator = Actor("vaccinator-1", Role.VACCINATOR, site)
    lot = old_receive_lot(old, site, 5, "lot-a")
    unused = old_receive_lot(old, site, 7, "lot-b")
    forget_the_catch_up(old)

    def person(n: int) -> UUID:
        return old.register_person(
            national_id=f"00108501234{n}", full_name=f"Nguyễn Văn {chr(65 + n)}", date_of_birth="1985-03-02",
            sex="male", phone=None, ward_code="00001", priority_group="HEALTH_WORKER", actor=ADMIN,
            idempotency_key=f"p-{n}",
        )  # fmt: skip

    people = [person(n) for n in range(7)]

    def dose(ledger: Ledger, who: UUID, day: date, key: str) -> UUID:
        return ledger.record_dose(
            person_id=who, dose_number=1, product=ASTRAZENECA, lot_id=lot, administered_on=day, site_id=site,
            actor=vaccinator, idempotency_key=key,
        ).dose_id  # fmt: skip

    # Given under the old code: two on day 1, two on day 2, one of them voided (it does not count).
    dose(old, people[0], DAY_1, "d0")
    dose(old, people[1], DAY_1, "d1")
    dose(old, people[2], DAY_2, "d2")
    voided = dose(old, people[3], DAY_2, "d3")
    old.void_dose(
        person_id=people[3], dose_id=voided, reason="wrong person", actor=vaccinator, idempotency_key="v"
    )
    assert old.stock_record(lot) is None  # not counted: the old store's state
    old.close()

    clock.now = datetime(2021, 9, 22, 3, 0, tzinfo=clock.now.tzinfo)
    upgraded = Ledger(url, clock=clock, key_dir=keys)
    try:
        record = upgraded.stock_record(lot)
        assert record is not None
        assert (record.allocated, record.used, record.remaining) == (5, 3, 2)
        assert record.site_id == site
        assert record.store_lot_id is None
        drawn = [e for e in upgraded.events.get(lot_stock_id(lot)) if type(e).__name__ == "Drawn"]
        assert [(e.day, e.doses) for e in drawn] == [(DAY_1, 2), (DAY_2, 1)]  # the days as they were
        other = upgraded.stock_record(unused)
        assert other is not None
        assert (other.allocated, other.remaining) == (7, 7)

        # Counted down from now on: two doses left, then refused.
        day_3 = DAY_2 + timedelta(days=1)
        dose(upgraded, people[4], day_3, "d4")
        dose(upgraded, people[5], day_3, "d5")
        head = upgraded.recorder.max_notification_id()
        with pytest.raises(LotExhausted):
            dose(upgraded, people[6], day_3, "d6")
        assert upgraded.recorder.max_notification_id() == head
        record = upgraded.stock_record(lot)
        assert record is not None
        assert record.remaining == 0

        # Once per store; and a second process counting the same lot at the same time finds the first's
        # receipt (the same command for the same lot), never a second record.
        forget_the_catch_up(upgraded)
        site_lot_catch_up._record(upgraded, upgraded.get_lot(lot), Counter({DAY_1: 9}))
        assert upgraded.recorder.max_notification_id() == head
    finally:
        upgraded.close()
    again = Ledger(url, clock=clock, key_dir=keys)
    try:
        assert again.recorder.max_notification_id() == head
        record = again.stock_record(lot)
        assert record is not None
        assert record.remaining == 0
    finally:
        again.close()


def test_a_new_store_is_marked_once_and_writes_no_event(url: str, clock: Clock, tmp_path: Path) -> None:
    fresh = Ledger(url, clock=clock, key_dir=tmp_path / "keys")
    try:
        assert fresh.recorder.max_notification_id() in (0, None)
        table = fresh.key_table()
        assert isinstance(table, SqlKeyTable)
        assert table.marked(site_lot_catch_up.MARKER)
    finally:
        fresh.close()
