"""Admission control: a full route class is shed at once with Retry-After; staff are still admitted."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from tests.e2e.web.conftest import make_app
from web.admission import (
    DEFAULT_SHARED,
    Admission,
    Limit,
    RouteClass,
    SharedCounts,
    limits_from_config,
    route_class,
    shared_from_config,
    threads_needed,
)
from web.errors import ConfigurationError


class Blocking:
    """A WSGI app whose requests to /block... wait until released (they hold their class's slot)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if "block" in path:
            self.entered.release()
            self.release.wait(30)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def test_paths_fall_into_their_classes() -> None:
    assert route_class("/statistics") is RouteClass.PUBLIC
    assert route_class("/api/v1/statistics") is RouteClass.PUBLIC
    assert route_class("/api/v1/campaign/priority-list/00001") is RouteClass.PUBLIC
    assert route_class("/desk/people/x/doses") is RouteClass.STAFF
    assert route_class("/api/v1/desk/people/x/doses") is RouteClass.STAFF
    assert route_class("/staff/today") is RouteClass.STAFF
    assert route_class("/me/people/x/certificate") is RouteClass.CITIZEN
    assert route_class("/mexico") is RouteClass.PUBLIC  # a prefix is a whole path segment


def test_a_full_public_class_is_shed_at_once_while_staff_are_still_admitted() -> None:
    inner = Blocking()
    limits = {
        RouteClass.PUBLIC: Limit(slots=2, queue=1, wait=30.0),
        RouteClass.STAFF: Limit(slots=2, queue=0, wait=0.0),
        RouteClass.CITIZEN: Limit(slots=1, queue=0, wait=0.0),
    }
    admission = Admission(inner, limits, retry_after=3)
    results: list[int] = []

    def call(path: str) -> None:
        response = Client(admission).get(path)
        results.append(response.status_code)
        response.close()

    holders = [threading.Thread(target=call, args=(f"/statistics/block{i}",)) for i in range(2)]
    for thread in holders:
        thread.start()
    for _ in holders:
        assert inner.entered.acquire(timeout=10)  # both public slots are taken
    waiter = threading.Thread(target=call, args=("/statistics/block-queued",))
    waiter.start()
    for _ in range(1000):  # the third one sits in the queue (no sleep-based timing: poll the count)
        if admission.gates[RouteClass.PUBLIC].waiting == 1:
            break
        threading.Event().wait(0.01)
    assert admission.gates[RouteClass.PUBLIC].waiting == 1

    shed = Client(admission).get("/statistics")
    assert shed.status_code == 503
    assert shed.headers["Retry-After"] == "3"
    assert shed.headers["Cache-Control"] == "no-store"
    assert "try again" in shed.get_data(as_text=True)
    api = Client(admission).get("/api/v1/statistics")
    assert api.status_code == 503
    assert api.get_json()["route_class"] == "public"

    staff = Client(admission).post("/api/v1/desk/people/p/doses")
    assert staff.status_code == 200  # staff recording a dose is never shed because the public is full
    assert Client(admission).get("/health").status_code == 200

    inner.release.set()
    for thread in [*holders, waiter]:
        thread.join(10)
    assert sorted(results) == [200, 200, 200]  # the queued one was served once a slot was free
    stats = admission.stats()
    assert stats["public"]["shed"] == 2
    assert stats["public"]["admitted"] == 3
    assert stats["staff"]["shed"] == 0
    assert Client(admission).get("/statistics").status_code == 200  # slots were given back


def test_a_queued_request_is_shed_when_its_wait_runs_out() -> None:
    inner = Blocking()
    admission = Admission(inner, {RouteClass.PUBLIC: Limit(slots=1, queue=5, wait=0.05)})
    holder = threading.Thread(target=lambda: Client(admission).get("/block").close())
    holder.start()
    assert inner.entered.acquire(timeout=10)
    response = Client(admission).get("/statistics")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    inner.release.set()
    holder.join(10)


def test_staff_take_the_worker_first_and_the_public_gets_what_is_left() -> None:
    """With `shared` requests in progress, the public waits (then is shed) while staff still enter."""
    inner = Blocking()
    limits = {
        RouteClass.PUBLIC: Limit(slots=4, queue=0, wait=0.0),
        RouteClass.STAFF: Limit(slots=3, queue=0, wait=0.0),
        RouteClass.STAFF_WRITE: Limit(slots=3, queue=0, wait=0.0),
        RouteClass.CITIZEN: Limit(slots=4, queue=0, wait=0.0),
    }
    admission = Admission(inner, limits, shared=2)
    holders = [
        threading.Thread(target=lambda p=p: Client(admission).post(p).close())
        for p in ("/api/v1/desk/people/a/doses/block", "/api/v1/desk/people/b/doses/block")
    ]
    for thread in holders:
        thread.start()
    for _ in holders:
        assert inner.entered.acquire(timeout=10)  # two staff requests in progress: the shared bound
    assert Client(admission).get("/statistics").status_code == 503  # public slots free, worker busy
    assert Client(admission).get("/api/v1/me/family").status_code == 503  # citizens share it too
    assert Client(admission).post("/api/v1/desk/people/c/doses").status_code == 200  # staff: not bounded
    inner.release.set()
    for thread in holders:
        thread.join(10)
    assert Client(admission).get("/statistics").status_code == 200
    stats = admission.stats()
    assert stats["staff"]["shed"] == 0
    assert stats["public"]["shed"] == 1
    assert stats["citizen"]["shed"] == 1
    assert all(kind["running"] == 0 for kind in stats.values())


def test_a_queued_public_request_enters_when_a_staff_request_ends() -> None:
    inner = Blocking()
    limits = {
        RouteClass.PUBLIC: Limit(slots=2, queue=1, wait=30.0),
        RouteClass.STAFF: Limit(slots=2, queue=0, wait=0.0),
    }
    admission = Admission(inner, limits, shared=1)
    results: list[int] = []
    staff = threading.Thread(target=lambda: Client(admission).post("/desk/block").close())
    staff.start()
    assert inner.entered.acquire(timeout=10)
    waiter = threading.Thread(target=lambda: results.append(Client(admission).get("/statistics").status_code))
    waiter.start()
    for _ in range(1000):
        if admission.gates[RouteClass.PUBLIC].waiting == 1:
            break
        threading.Event().wait(0.01)
    assert admission.gates[RouteClass.PUBLIC].waiting == 1
    inner.release.set()
    staff.join(10)
    waiter.join(10)
    assert results == [200]


def _until(check: Any) -> None:
    for _ in range(1000):  # poll the counts, no sleep-based timing
        if check():
            return
        threading.Event().wait(0.01)
    assert check()


def test_staff_reads_never_take_the_slots_of_a_dose_being_recorded() -> None:
    inner = Blocking()
    limits = {
        RouteClass.STAFF: Limit(slots=2, queue=0, wait=0.0),
        RouteClass.STAFF_WRITE: Limit(slots=1, queue=0, wait=0.0),
    }
    admission = Admission(inner, limits)
    readers = [
        threading.Thread(target=lambda p=p: Client(admission).get(p).close())
        for p in ("/api/v1/desk/lots/block1", "/api/v1/desk/people/a/block2")
    ]
    for thread in readers:
        thread.start()
    for _ in readers:
        assert inner.entered.acquire(timeout=10)  # every staff read slot taken
    assert Client(admission).get("/api/v1/desk/lots").status_code == 503  # a third read is shed
    assert Client(admission).post("/api/v1/desk/people/b/doses").status_code == 200  # the dose is not
    inner.release.set()
    for thread in readers:
        thread.join(10)
    stats = admission.stats()
    assert stats["staff"]["shed"] == 1
    assert stats["staff_write"] == {"admitted": 1, "shed": 0, "waiting": 0, "running": 0}


def test_while_a_dose_waits_for_a_slot_the_public_is_shed_and_the_dose_then_enters() -> None:
    inner = Blocking()
    limits = {
        RouteClass.PUBLIC: Limit(slots=4, queue=4, wait=30.0),
        RouteClass.CITIZEN: Limit(slots=4, queue=4, wait=30.0),
        RouteClass.STAFF_WRITE: Limit(slots=1, queue=4, wait=30.0),
    }
    admission = Admission(inner, limits, shared=4)
    results: list[int] = []
    first = threading.Thread(
        target=lambda: Client(admission).post("/api/v1/desk/people/a/doses/block").close()
    )
    first.start()
    assert inner.entered.acquire(timeout=10)  # the write slot is taken
    assert Client(admission).get("/statistics").status_code == 200  # nothing waits yet: the public enters
    second = threading.Thread(
        target=lambda: results.append(Client(admission).post("/api/v1/desk/people/b/doses").status_code)
    )
    second.start()
    _until(lambda: admission.gates[RouteClass.STAFF_WRITE].waiting == 1)
    # Public slots and the shared bound are free, yet a dose waits: the public and citizens are shed.
    assert Client(admission).get("/statistics").status_code == 503
    assert Client(admission).get("/api/v1/me/family").status_code == 503
    inner.release.set()
    first.join(10)
    second.join(10)
    assert results == [200]
    assert Client(admission).get("/statistics").status_code == 200  # nothing waits any more
    stats = admission.stats()
    assert stats["staff_write"]["shed"] == 0
    assert stats["public"]["shed"] == 1


def test_staff_reads_have_a_bound_of_their_own_above_the_publics() -> None:
    inner = Blocking()
    limits = {RouteClass.STAFF: Limit(slots=8, queue=0, wait=0.0), RouteClass.PUBLIC: Limit(4, 0, 0.0)}
    admission = Admission(inner, limits, shared=1, staff_shared=2)
    readers = [
        threading.Thread(target=lambda p=p: Client(admission).get(p).close())
        for p in ("/api/v1/desk/lots/block1", "/api/v1/desk/lots/block2")
    ]
    for thread in readers:
        thread.start()
    for _ in readers:
        assert inner.entered.acquire(timeout=10)  # two staff reads in progress: past the public's bound
    assert Client(admission).get("/statistics").status_code == 503
    assert Client(admission).get("/api/v1/desk/lots").status_code == 503  # and at the staff reads' own
    assert Client(admission).post("/api/v1/desk/people/b/doses").status_code == 200  # a dose still enters
    inner.release.set()
    for thread in readers:
        thread.join(10)
    assert Client(admission).get("/api/v1/desk/lots").status_code == 200
    assert shared_from_config({"ADMISSION_STAFF_SHARED": "7"}, "ADMISSION_STAFF_SHARED", 6) == 7


def test_a_staff_post_is_a_write_and_a_staff_get_a_read() -> None:
    admission = Admission(Blocking())
    Client(admission).post("/api/v1/desk/people/a/doses")
    Client(admission).get("/api/v1/desk/lots")
    Client(admission).get("/statistics")
    stats = admission.stats()
    assert (stats["staff_write"]["admitted"], stats["staff"]["admitted"], stats["public"]["admitted"]) == (
        1,
        1,
        1,
    )
    assert limits_from_config({"ADMISSION_STAFF_WRITE": "2,8,3"})[RouteClass.STAFF_WRITE] == Limit(2, 8, 3.0)


def test_the_server_threads_cover_every_slot_and_queue_place() -> None:
    limits = {
        RouteClass.PUBLIC: Limit(2, 4, 0.1),
        RouteClass.CITIZEN: Limit(2, 4, 0.5),
        RouteClass.STAFF: Limit(4, 16, 5.0),
    }
    assert threads_needed(limits) == 2 + 4 + 2 + 4 + 4 + 16 + 1


def test_limits_from_the_environment_are_checked() -> None:
    assert shared_from_config({}) == DEFAULT_SHARED
    assert shared_from_config({"ADMISSION_SHARED": "5"}) == 5
    with pytest.raises(ConfigurationError, match="ADMISSION_SHARED"):
        shared_from_config({"ADMISSION_SHARED": "0"})
    assert limits_from_config({"ADMISSION_STAFF": "3,9,2.5"})[RouteClass.STAFF] == Limit(3, 9, 2.5)
    with pytest.raises(ConfigurationError, match="slots,queue,wait"):
        limits_from_config({"ADMISSION_PUBLIC": "four"})
    with pytest.raises(ConfigurationError, match="slots"):
        limits_from_config({"ADMISSION_PUBLIC": "0,1,1"})


def test_the_app_is_served_through_admission(tmp_path: Path) -> None:
    app = make_app(tmp_path, ADMISSION_PUBLIC="1,0,0")
    admission = app.extensions["immunize_admission"]
    assert app.test_client().get("/health").status_code == 200
    assert app.test_client().get("/").status_code == 200
    assert admission.stats()["public"]["admitted"] == 1


def test_the_test_client_gives_slots_back(tmp_path: Path) -> None:
    app = make_app(tmp_path, ADMISSION_PUBLIC="1,0,0")
    for _ in range(3):
        assert app.test_client().get("/").status_code == 200


def _status(admission: Admission, path: str) -> int:
    return int(Client(admission).get(path).status_code)


def _hold_a_public_request(counts: SharedCounts, entered: Any, release: Any) -> None:
    """Another worker process of the same server, in the middle of one public request."""

    def held(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        entered.set()
        while not release.is_set():  # polled: a process killed inside Event.wait hangs Event.set
            time.sleep(0.01)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    limits = {RouteClass.PUBLIC: Limit(slots=1, queue=0, wait=0.0)}
    Client(Admission(held, limits, counts=counts)).get("/statistics")


def test_the_workers_of_one_server_share_its_bounds_and_a_dead_workers_slots_come_back() -> None:
    counts = SharedCounts()  # made before the fork, as `immunize serve --workers` does in its master
    context = multiprocessing.get_context("fork")
    entered, release = context.Event(), context.Event()
    other = context.Process(target=_hold_a_public_request, args=(counts, entered, release))
    other.start()
    try:
        assert entered.wait(30)
        ok = Blocking()
        limits = {RouteClass.PUBLIC: Limit(slots=1, queue=0, wait=0.0)}
        here = Admission(ok, limits, counts=counts)
        # The server's one public slot is taken in the other process: shed here, staff still served.
        assert _status(here, "/statistics") == 503
        assert _status(here, "/desk/lots") == 200
        assert here.gates[RouteClass.PUBLIC].running == 1
        os.kill(other.pid or 0, signal.SIGKILL)  # the worker dies in the middle of its request
        other.join(30)
        assert _status(here, "/statistics") == 503  # its slot is still counted ...
        counts.forget(other.pid or 0)  # ... until the master hears it ended (gunicorn's child_exit)
        assert _status(here, "/statistics") == 200
        assert here.gates[RouteClass.PUBLIC].running == 0
    finally:
        release.set()
        if other.is_alive():
            other.kill()
        other.join(30)
