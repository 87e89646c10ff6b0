"""The projection framework on every store: exactly once, resumable, rebuildable, supervised, live."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from ledger.settings import parse_database_url
from projections.digest import digest
from projections.runner import Supervisor, ViewRunner, catch_up
from projections.store import ViewStore, open_view_store
from tests.integration.projections.toyledger import Clinic, Patient, Tally, clinic_for


@pytest.fixture
def clinic(database_url: str) -> Iterator[Clinic]:
    app = clinic_for(database_url)
    yield app
    app.close()


@pytest.fixture
def store(database_url: str) -> Iterator[ViewStore]:
    views = open_view_store(parse_database_url(database_url))
    yield views
    views.close()


def doses_by_province(store: ViewStore) -> dict[str, int]:
    view = Tally.recorder(store)
    with store.transaction(write=False) as cursor:
        cursor.execute(f"SELECT province, SUM(doses) FROM {view.t('doses')} GROUP BY province")
        return {row[0]: int(row[1]) for row in cursor.fetchall()}


def test_catch_up_counts_every_dose_once_and_a_rebuild_gives_the_same_digest(
    clinic: Clinic, store: ViewStore
) -> None:
    clinic.register_many(["01", "79", "79"], doses_each=2)
    projection = Tally(Tally.recorder(store))
    read = catch_up(clinic, projection, page_size=4)
    assert read == 9
    assert doses_by_province(store) == {"01": 2, "79": 4}
    live = digest(projection.view)

    projection.view.drop_tables()
    catch_up(clinic, projection, page_size=1000)
    assert digest(projection.view) == live
    assert projection.view.max_tracking_id(clinic.name) == clinic.recorder.max_notification_id()


def test_a_page_already_applied_is_refused_and_leaves_the_view_unchanged(
    clinic: Clinic, store: ViewStore
) -> None:
    [patient] = clinic.register_many(["01"], doses_each=1)
    projection = Tally(Tally.recorder(store))
    catch_up(clinic, projection)
    before = digest(projection.view)
    head = clinic.recorder.max_notification_id()
    assert head is not None
    dosed = clinic.mapper.to_domain_event(clinic.recorder.select_notifications(head, 1)[0])
    assert isinstance(dosed, Patient.Dosed)

    with pytest.raises(IntegrityError):
        projection.process_page([dosed], Tracking(clinic.name, head))

    assert digest(projection.view) == before
    assert doses_by_province(store) == {"01": 1}
    clinic.dose(patient)
    catch_up(clinic, projection)
    assert doses_by_province(store) == {"01": 2}


def test_events_a_view_ignores_still_move_its_position(clinic: Clinic, store: ViewStore) -> None:
    [patient] = clinic.register_many(["01"])
    for n in range(5):
        clinic.note(patient, f"note {n}")
    head = clinic.recorder.max_notification_id()
    with ViewRunner(clinic, Tally, store) as runner:
        runner.wait(head, timeout=10)
        assert runner.view.max_tracking_id(clinic.name) == head


def test_a_stopped_runner_resumes_where_it_was_and_counts_nothing_twice(
    clinic: Clinic, store: ViewStore
) -> None:
    patients = clinic.register_many(["01"] * 10, doses_each=1)
    with ViewRunner(clinic, Tally, store) as runner:
        runner.wait(clinic.recorder.max_notification_id(), timeout=10)
    for patient in patients:
        clinic.dose(patient)
    assert doses_by_province(store) == {"01": 10}
    with ViewRunner(clinic, Tally, store) as runner:
        runner.wait(clinic.recorder.max_notification_id(), timeout=10)
    assert doses_by_province(store) == {"01": 20}


class FlakyTally(Tally):
    """The tally view, failing once at the third page it sees (as a dropped connection would)."""

    name = "tally"
    failures_left = 1
    pages_seen = 0

    def process_page(self, events: Any, tracking: Tracking, *, after: int | None = None) -> None:
        type(self).pages_seen += 1
        if type(self).pages_seen == 3 and type(self).failures_left:
            type(self).failures_left -= 1
            raise ConnectionError("the database went away")
        super().process_page(events, tracking, after=after)


def test_the_supervisor_restarts_a_failed_view_which_resumes_without_loss(
    clinic: Clinic, store: ViewStore
) -> None:
    FlakyTally.failures_left, FlakyTally.pages_seen = 1, 0
    clinic.register_many(["01"] * 50, doses_each=3)
    with Supervisor(clinic, [FlakyTally], store, page_size=20, restart_delay=0.05) as supervisor:
        supervisor.wait(clinic.recorder.max_notification_id(), timeout=30)
        assert supervisor.restarts == {"tally": 1}
        assert "database went away" in str(supervisor.errors[0][1])
    assert doses_by_province(store) == {"01": 150}
    live = digest(Tally.recorder(store))
    Tally.recorder(store).drop_tables()
    catch_up(clinic, Tally(Tally.recorder(store)))
    assert digest(Tally.recorder(store)) == live


def test_a_live_view_keeps_up_with_a_steady_stream_of_doses(clinic: Clinic, store: ViewStore) -> None:
    patients = clinic.register_many([f"{n:02d}" for n in range(1, 21)])
    stop = threading.Event()
    written = [0]

    def write() -> None:
        while not stop.is_set() and written[0] < 400:
            clinic.dose(patients[written[0] % len(patients)])
            written[0] += 1
            time.sleep(0.002)

    with ViewRunner(clinic, Tally, store, poll_interval=0.02) as runner:
        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.3)
        # While the writer is still writing, the view is already following.
        assert runner.view.max_tracking_id(clinic.name) is not None
        writer.join()
        runner.wait(clinic.recorder.max_notification_id(), timeout=20)
    assert sum(doses_by_province(store).values()) == written[0] == 400


@pytest.mark.postgres
def test_holes_in_the_notification_ids_are_stepped_over(postgres_url: str) -> None:
    clinic = clinic_for(postgres_url)
    store = open_view_store(parse_database_url(postgres_url))
    try:
        clinic.register_many(["01"], doses_each=1)
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            # A rolled-back insert consumes sequence values: the next ids leave a gap.
            conn.execute(
                "SELECT nextval(pg_get_serial_sequence('clinic_events', 'notification_id')) FROM generate_series(1, 5)"
            )
        clinic.register_many(["79"], doses_each=1)
        with ViewRunner(clinic, Tally, store) as runner:
            runner.wait(clinic.recorder.max_notification_id(), timeout=10)
        assert clinic.recorder.max_notification_id() == 9
        assert doses_by_province(store) == {"01": 1, "79": 1}
    finally:
        store.close()
        clinic.close()
