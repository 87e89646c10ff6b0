"""A dose's stock draw is made inside its save, under the writers' lock (ledger/locked_writes.py): doses
from one lot written at the same moment by several ledgers (web workers) on one store never conflict,
the lot is counted exactly, never below zero, and a refused draw writes nothing of its command."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

import ledger.commands
from ledger.application import Ledger
from ledger.campaign.errors import LotExhausted
from ledger.campaign.values import lot_stock_id
from ledger.errors import DoseOutOfSequence
from ledger.settings import parse_database_url
from projections.audit import Database, trusted_keys, verify
from services.stock import StockService
from tests.integration.campaign.conftest import ASTRAZENECA, OFFICER, Clock, Story, make_story

DAY = date(2021, 8, 1)


@pytest.fixture
def conflicts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every conflicted save retried (the runner's backoff called), counted."""
    seen: list[int] = []
    real = ledger.commands.conflict_backoff

    def counting(attempt_number: int, *args: Any, **kwargs: Any) -> float:
        seen.append(attempt_number)
        return real(attempt_number, *args, **kwargs)

    monkeypatch.setattr(ledger.commands, "conflict_backoff", counting)
    return seen


@pytest.fixture(params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, clock: Clock, tmp_path: Path) -> Iterator[tuple[Story, Ledger]]:
    """A story and a second Ledger on the same store (another web worker)."""
    url = (
        f"sqlite:///{tmp_path / 'ledger.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    s = make_story(url, clock, tmp_path / "keys")
    other = Ledger(url, clock=clock, key_dir=tmp_path / "keys")
    try:
        yield s, other
    finally:
        other.close()
        s.store.close()
        s.ledger.close()


def site_lot(s: Story, doses: int, number: str = "ABV-0901") -> UUID:
    stock = StockService(s.ledger, s.store)
    lot = stock.receive(
        province_code="01",
        product=ASTRAZENECA,
        lot_number=number,
        expiry=date(2021, 8, 20),
        doses_per_vial=1,
        doses=doses,
        actor=OFFICER,
    )
    return stock.allocate(store_lot_id=lot, site_id=s.site_id, doses=doses, actor=OFFICER)


def dose(s: Story, on: Ledger, person: UUID, lot: UUID, key: str) -> UUID:
    return on.record_dose(
        person_id=person,
        dose_number=1,
        product=ASTRAZENECA,
        lot_id=lot,
        administered_on=DAY,
        site_id=s.site_id,
        actor=s.vaccinator,
        idempotency_key=key,
    ).dose_id


def first_then(on: Ledger, monkeypatch: pytest.MonkeyPatch, before: Callable[[], object]) -> None:
    """Run `before` once, inside `on`'s next dose command, after its checks read the lot and before
    its save: the worst moment for another writer to draw from the same lot."""
    real = on.load_many  # the command's read of its receipt and person (run_command_loaded)
    done: list[bool] = []

    def load_many(ids: Any) -> Any:
        if not done:
            done.append(True)
            before()
        return real(ids)

    monkeypatch.setattr(on, "load_many", load_many)


def test_a_dose_drawn_while_another_worker_drew_from_the_lot_is_not_a_conflict(
    shared: tuple[Story, Ledger], conflicts: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the command held the record at version n, the other worker saved n + 1 first, the save
    conflicted and the whole command was made again after a backoff. Now the draw is made under the
    lock from the latest record: no conflict, both doses counted."""
    s, other = shared
    lot = site_lot(s, 10)
    a, b = s.person(), s.person()
    assert s.ledger.stock_record(lot) is not None  # both workers know the record at the same version
    assert other.stock_record(lot) is not None
    first_then(s.ledger, monkeypatch, lambda: dose(s, other, b, lot, "other-worker"))
    dose(s, s.ledger, a, lot, "this-worker")
    assert conflicts == []
    for ledger_ in (s.ledger, other):
        record = ledger_.stock_records.get(lot)
        assert record is not None
        assert (record.used, record.remaining) == (2, 8)
    full = s.ledger.repository.get(lot_stock_id(lot))  # replayed from every stored event
    assert (full.used, full.version) == (2, record.version)
    assert [len(s.ledger.get_person(p).doses) for p in (a, b)] == [1, 1]


def test_the_last_dose_of_a_lot_goes_to_one_writer_and_the_other_writes_nothing(
    shared: tuple[Story, Ledger], conflicts: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both checks saw one dose left; the other worker took it first. The draw under the lock sees 0 and
    refuses: nothing of this command is written (no dose on the person, no receipt, the log unmoved)."""
    s, other = shared
    lot = site_lot(s, 1)
    a, b = s.person(), s.person()
    assert s.ledger.stock_record(lot).available_on(DAY) == 1  # type: ignore[union-attr]
    heads: list[int] = []

    def other_takes_it() -> None:
        dose(s, other, b, lot, "other-worker")
        heads.append(s.ledger.recorder.max_notification_id() or 0)

    first_then(s.ledger, monkeypatch, other_takes_it)
    with pytest.raises(LotExhausted):
        dose(s, s.ledger, a, lot, "this-worker")
    assert s.ledger.recorder.max_notification_id() == heads[0]
    assert s.ledger.get_person(a).doses == []
    assert s.ledger.stock_records.get(lot).remaining == 0  # type: ignore[union-attr]
    # The same key later, once the lot has doses again, is a new attempt (no receipt was written).
    assert conflicts == []


def test_writers_on_three_ledgers_count_one_lot_exactly(
    shared: tuple[Story, Ledger], conflicts: list[int], tmp_path: Path
) -> None:
    """3 ledgers x 4 threads, 40 people, a lot of 30 doses: exactly 30 doses recorded and counted, 10
    refused as exhausted, nothing else refused, nothing conflicted, the lot at 0 (never below)."""
    s, other = shared
    third = Ledger(s.ledger.store.url, clock=s.clock, key_dir=tmp_path / "keys")
    try:
        lot = site_lot(s, 30)
        people = [s.person(phone=None) for _ in range(40)]
        ledgers = [s.ledger, other, third]
        for ledger_ in ledgers:
            assert ledger_.stock_record(lot) is not None
        recorded: dict[UUID, UUID] = {}
        refused: list[UUID] = []
        failures: list[BaseException] = []
        guard = threading.Lock()

        def writer(index: int) -> None:
            on = ledgers[index % 3]
            for person in people[index::12]:
                try:
                    dose_id = dose(s, on, person, lot, f"dose-{person}")
                except LotExhausted:
                    with guard:
                        refused.append(person)
                except BaseException as exc:  # pragma: no cover - shown by the assertion below
                    with guard:
                        failures.append(exc)
                else:
                    with guard:
                        recorded[person] = dose_id

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        assert (len(recorded), len(refused)) == (30, 10)
        assert conflicts == []
        for ledger_ in ledgers:
            record = ledger_.stock_records.get(lot)
            assert record is not None
            assert (record.used, record.remaining) == (30, 0)
        full = s.ledger.repository.get(lot_stock_id(lot))
        assert (full.used, full.remaining) == (30, 0)
        stored = s.ledger.get_people(people)
        assert {p: [d.dose_id for d in stored[p].doses] for p in recorded} == {
            p: [d] for p, d in recorded.items()
        }
        assert all(stored[p].doses == [] for p in refused)
        # The draws made under the lock have their Merkle leaves like every event: the auditor's walk
        # recomputes every leaf from the events table and the tree's head matches.
        db = Database(parse_database_url(s.ledger.store.url))
        try:
            report = verify(db, trusted_keys(db, []))
            assert report.position == s.ledger.recorder.max_notification_id()  # walked to the last event
        finally:
            db.close()
    finally:
        third.close()


def test_draws_stored_by_older_code_and_new_draws_count_together(story: Story) -> None:
    """Before this change the draw was saved as the record's own aggregate event (same class, same
    stream): a record holding such events loads, and draws made under the lock continue it."""
    s = story
    lot = site_lot(s, 10)
    record = s.ledger.stock_records.get(lot)
    assert record is not None
    record.draw(day=DAY, doses=2, actor=s.vaccinator, at=s.clock())
    s.ledger.save(record)  # what the older code stored
    dose(s, s.ledger, s.person(), lot, "after")
    fresh = (
        Ledger(s.ledger.store.url, clock=s.clock, key_dir=s.ledger.key_dir)
        if s.ledger.store.kind != "memory"
        else s.ledger
    )
    try:
        found = fresh.stock_records.get(lot)
        assert found is not None
        assert (found.used, found.remaining) == (3, 7)
    finally:
        if fresh is not s.ledger:
            fresh.close()


def test_the_desks_next_dose_number_is_read_by_the_command_and_fixed_at_its_first_attempt(
    shared: tuple[Story, Ledger], conflicts: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dose_number=None` (the desk's form): the command's own read of the person gives the number; a
    retry keeps it, so a dose another nurse recorded for the same person between this command's read and
    its save refuses this one (as when the desk read the number beforehand), never a second dose."""
    s, other = shared
    lot = s.lots[ASTRAZENECA]
    person = s.person()

    def desk(on: Ledger, key: str, day: date = DAY) -> Any:
        return on.record_dose(
            person_id=person,
            dose_number=None,
            product=ASTRAZENECA,
            lot_id=lot,
            administered_on=day,
            site_id=s.site_id,
            actor=s.vaccinator,
            idempotency_key=key,
        )

    first = desk(s.ledger, "desk-1", date(2021, 6, 1))
    assert first.dose_number == 1
    assert desk(s.ledger, "desk-1", date(2021, 6, 1)) == first  # the same request again: the receipt
    real = s.ledger.load_many
    done: list[bool] = []

    def read_then_other_nurse(ids: Any) -> Any:
        found = list(real(ids))
        if not done:
            done.append(True)
            desk(other, "other-nurse")  # dose 2 for the same person, saved after this read
        return iter(found)

    monkeypatch.setattr(s.ledger, "load_many", read_then_other_nurse)
    with pytest.raises(DoseOutOfSequence):
        desk(s.ledger, "desk-2")
    assert conflicts == [0]  # the stale person conflicted once; the retry kept number 2 and was refused
    assert [d.dose_number for d in s.ledger.get_person(person).doses] == [1, 2]
