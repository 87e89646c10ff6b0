"""Two staff changing one person at once, on PostgreSQL with threads: one wins, the other is retried."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from ledger.application import Ledger
from ledger.domainmodel import Person
from ledger.errors import ConflictError, DoseOutOfSequence
from tests.integration.ledger.conftest import Clock, make_campaign

pytestmark = pytest.mark.postgres


class BarrierLedger(Ledger):
    """A ledger whose first read of a person waits until every thread has read it: a forced race."""

    barrier: threading.Barrier | None = None
    local = threading.local()

    def get_person(self, person_id: UUID) -> Person:
        person = super().get_person(person_id)
        if self.barrier is not None and not getattr(self.local, "waited", False):
            self.local.waited = True
            self.barrier.wait(timeout=30)
        return person


class StaleLedger(Ledger):
    """A ledger that always acts on a stale copy of the person: every save conflicts."""

    stale_version: int | None = None

    def get_person(self, person_id: UUID) -> Person:
        if self.stale_version is None:
            return super().get_person(person_id)
        person: Person = self.repository.get(person_id, version=self.stale_version)
        return person


@pytest.fixture
def pg_ledgers(postgres_url: str, clock: Clock, tmp_path: Path) -> Iterator[list[BarrierLedger]]:
    apps = [BarrierLedger(postgres_url, clock=clock, key_dir=tmp_path / "keys") for _ in range(2)]
    try:
        yield apps
    finally:
        for app in apps:
            app.close()


def run_together(*calls: object) -> list[object]:
    results: list[object] = [None] * len(calls)

    def run(index: int, call: object) -> None:
        try:
            results[index] = call()  # type: ignore[operator]
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    BarrierLedger.barrier = None  # the main thread reads freely afterwards
    return results


def test_two_staff_declaring_for_one_person_at_once_both_succeed(pg_ledgers: list[BarrierLedger]) -> None:
    campaign = make_campaign(pg_ledgers[0])
    person = campaign.register()
    BarrierLedger.barrier = threading.Barrier(2)
    BarrierLedger.local = threading.local()
    results = run_together(
        *[
            (
                lambda app=app, n=n: app.declare_health(
                    person_id=person,
                    symptoms=f"ho {n}",
                    exposure="",
                    travel="",
                    actor=campaign.vaccinator,
                    idempotency_key=f"decl-{n}",
                )
            )
            for n, app in enumerate(pg_ledgers)
        ]
    )
    assert all(isinstance(r, UUID) for r in results), results
    # Both reads happened before either save, so one save was stale and was retried: nothing lost.
    assert pg_ledgers[0].get_person(person).declarations == 2


def test_two_vaccinators_recording_dose_one_at_once_give_one_dose(pg_ledgers: list[BarrierLedger]) -> None:
    campaign = make_campaign(pg_ledgers[0])
    person = campaign.register()
    BarrierLedger.barrier = threading.Barrier(2)
    BarrierLedger.local = threading.local()

    def record(app: Ledger, key: str) -> object:
        campaign_view = make_campaign_view(campaign, app)
        return campaign_view.dose(person, 1, date(2021, 8, 2), idempotency_key=key)

    results = run_together(lambda: record(pg_ledgers[0], "a"), lambda: record(pg_ledgers[1], "b"))
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    assert isinstance(losers[0], DoseOutOfSequence)  # the retry saw the winner's dose 1
    assert len(pg_ledgers[0].person_record(person).doses) == 1


def make_campaign_view(campaign: object, app: Ledger) -> object:
    import copy

    view = copy.copy(campaign)
    view.ledger = app  # type: ignore[attr-defined]
    return view


def test_a_command_that_keeps_conflicting_gives_a_clear_conflict_error(
    postgres_url: str, clock: Clock, tmp_path: Path
) -> None:
    app = StaleLedger(postgres_url, clock=clock, key_dir=tmp_path / "keys")
    try:
        campaign = make_campaign(app)
        person = campaign.register()
        app.declare_health(
            person_id=person,
            symptoms="",
            exposure="",
            travel="",
            actor=campaign.vaccinator,
            idempotency_key="first",
        )
        StaleLedger.stale_version = 1
        before = app.recorder.max_notification_id()
        with pytest.raises(ConflictError, match="nothing was written; try again"):
            app.declare_health(
                person_id=person,
                symptoms="",
                exposure="",
                travel="",
                actor=campaign.vaccinator,
                idempotency_key="second",
            )
        assert app.recorder.max_notification_id() == before
    finally:
        StaleLedger.stale_version = None
        app.close()
