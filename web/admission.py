"""Admission control: bounded concurrency and queues per route class, shed at once with Retry-After.

A surge of the public (statistics, verify, trust lists) must not take the threads or the CPU that
staff need to record doses. Each class (public, citizen, staff) has its own slots (requests in
progress) and its own queue (requests waiting for a slot, for at most `wait` seconds). When both are
full, or the wait ran out, the request is answered `503` with `Retry-After` at once instead of
queueing until a time-out. On top of that, public and citizen requests are admitted only while the
worker has fewer than `shared` requests of any class in progress: one worker process runs one core
at most (the GIL), so every request in progress beyond a few only makes all of them slower. Staff
reads are held by a higher bound of their own (`staff_shared`, 6): staff take the CPU first, the
public what is left, and a full public class never sheds staff. What staff record (any staff request but a read: a dose, a
registration) has a class of its own, `staff_write`, with its own slots, a longer queue and wait:
staff reads never take its slots, and while a write waits for one, public and citizen requests are
shed at once (queued ones too), so a dose is shed only after every public request that could have
been. The server's threads must cover every slot and queue place (`threads_needed`), otherwise
requests wait in the server's own queue, where no one can shed them.

With several worker processes (`immunize serve --workers N`) the counts are the whole server's, not
each worker's (`SharedCounts`, made before the workers fork): a worker's keep-alive connections stay
with it, so per-worker bounds let one worker queue while the other idles, and N workers each admitting
`shared` requests put N times the work on the same cores. One bound for the server keeps what is
admitted to what the machine serves within the latency budget, and sheds the rest at once. A worker
that dies is forgotten by the server's master (`forget`), so its requests in progress free their slots.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from web.errors import ConfigurationError

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class RouteClass(StrEnum):
    PUBLIC = "public"
    CITIZEN = "citizen"
    STAFF = "staff"  # staff reads
    STAFF_WRITE = "staff_write"  # what staff record (a dose, a registration): any staff method but a read


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# First match wins; paths are compared without the JSON API's /api/v1 prefix.
_PREFIXES: tuple[tuple[str, RouteClass], ...] = (
    ("/campaign/priority-list", RouteClass.PUBLIC),
    ("/desk", RouteClass.STAFF),
    ("/staff", RouteClass.STAFF),
    ("/province", RouteClass.STAFF),
    ("/operations", RouteClass.STAFF),
    ("/audit", RouteClass.STAFF),
    ("/campaign", RouteClass.STAFF),
    ("/sms", RouteClass.STAFF),
    ("/me", RouteClass.CITIZEN),
    ("/auth", RouteClass.CITIZEN),
    ("/signin", RouteClass.CITIZEN),
    ("/session", RouteClass.CITIZEN),
    ("/privacy", RouteClass.CITIZEN),
)
UNLIMITED = ("/health",)  # a load balancer's probe must see the process, not the queue


def route_class(path: str) -> RouteClass:
    """The class a request path belongs to (anything unnamed is public)."""
    if path.startswith("/api/v1/"):
        path = path[len("/api/v1") :]
    for prefix, kind in _PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return kind
    return RouteClass.PUBLIC


@dataclass(frozen=True)
class Limit:
    slots: int  # requests of this class in progress at once
    queue: int  # requests waiting for a slot
    wait: float  # seconds one may wait before it is shed

    def __post_init__(self) -> None:
        if self.slots < 1 or self.queue < 0 or self.wait < 0:
            raise ConfigurationError(f"an admission limit needs slots ≥ 1, queue ≥ 0, wait ≥ 0, not {self}")


DEFAULT_LIMITS: Mapping[RouteClass, Limit] = {
    # For the whole server (all its workers). The waits keep a queued request within the 200 ms p99
    # budget: a served request waits at most this, then takes its few tens of ms; past that it is
    # told at once to come back (a 503 now is better than a 2 s answer). Public pages come from the
    # public cache (a few ms each); staff have more slots and a queue of their own, and are not held
    # by `shared`, so a full public class never sheds a dose being recorded.
    RouteClass.PUBLIC: Limit(slots=2, queue=4, wait=0.05),
    RouteClass.CITIZEN: Limit(slots=2, queue=4, wait=0.1),
    RouteClass.STAFF: Limit(slots=6, queue=12, wait=0.15),
    # A dose being recorded is the last thing shed: slots of its own (staff reads never take them), a
    # longer queue and wait, and while one waits no public or citizen request is admitted (they are
    # shed first). Writes are a few percent of a surge, so their wait barely moves the p99. Two slots:
    # doses at one site draw from one lot, so more at once only conflict and retry (at 97,586 people,
    # load 10: the dose p99 in the surge 1,079 ms with 4 slots, 681 ms with 2).
    RouteClass.STAFF_WRITE: Limit(slots=2, queue=16, wait=1.0),
}
# Public and citizen requests are admitted while fewer than this are in progress in the server: two
# per core on this 2-core machine (each request waits on the database about as long as it computes).
DEFAULT_SHARED = 4
# Staff reads are admitted while fewer than this are in progress: above the public's bound (staff read
# before the public), but bounded too, since every request in progress beyond it only makes all of
# them slower (a dose being recorded is not held by it).
DEFAULT_STAFF_SHARED = 6


def threads_needed(limits: Mapping[RouteClass, Limit] | None = None) -> int:
    """Server threads per worker so that every request reaches admission at once (slots + queues,
    and one to spare for /health)."""
    chosen = limits or DEFAULT_LIMITS
    return sum(limit.slots + limit.queue for limit in chosen.values()) + 1


_CLASSES = tuple(RouteClass)


class _LocalCounts:
    """Requests in progress and waiting, per class, in this process (one worker)."""

    def __init__(self) -> None:
        self.condition: Any = threading.Condition()
        self._running = [0] * len(_CLASSES)
        self._waiting = [0] * len(_CLASSES)

    def running(self, index: int) -> int:
        return self._running[index]

    def waiting(self, index: int) -> int:
        return self._waiting[index]

    def total_running(self) -> int:
        return sum(self._running)

    def add(self, index: int, *, running: int = 0, waiting: int = 0) -> None:
        self._running[index] += running
        self._waiting[index] += waiting


class SharedCounts:
    """The same counts for every worker process of one server, in shared memory, guarded by one
    process-shared condition. Made in the master before it forks its workers (each worker inherits
    them); one row per worker process, so that `forget(pid)` can drop the counts of a worker that died
    in the middle of requests."""

    ROWS = 64
    _WIDTH = 1 + 2 * len(_CLASSES)  # pid, running per class, waiting per class
    # After the rows, one more of the same width holds the server's totals (its pid cell unused): reading a
    # count is one cell, not a sum over 64 rows (a public request asks several, under the lock, and
    # web.public_front asks one on every request it serves).
    _TOTALS = ROWS * _WIDTH

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.condition = _PolledCondition(context.Lock())
        self._cells: Any = context.RawArray("q", (self.ROWS + 1) * self._WIDTH)
        self._mine: tuple[int, int] | None = None  # (pid, row) of this process

    def _row(self) -> int:
        """This process's row (taken on first use; rows of processes that are gone are reused)."""
        pid = os.getpid()
        if self._mine is not None and self._mine[0] == pid:
            return self._mine[1]
        cells, width = self._cells, self._WIDTH
        owners = [cells[r * width] for r in range(self.ROWS)]
        if pid in owners:
            row = owners.index(pid)
        else:
            free = [r for r, owner in enumerate(owners) if owner == 0 or not _alive(owner)]
            if not free:
                raise ConfigurationError(f"admission counts for at most {self.ROWS} worker processes")
            row = free[0]
            self._clear(row)
            cells[row * width] = pid
        self._mine = (pid, row)
        return row

    def _clear(self, row: int) -> None:
        """Take a row's counts out of the totals and zero it (a worker that ended, or a row reused)."""
        cells, width, totals = self._cells, self._WIDTH, self._TOTALS
        for offset in range(1, width):
            cells[totals + offset] -= cells[row * width + offset]
            cells[row * width + offset] = 0
        cells[row * width] = 0

    def running(self, index: int) -> int:
        return int(self._cells[self._TOTALS + 1 + index])

    def waiting(self, index: int) -> int:
        return int(self._cells[self._TOTALS + 1 + len(_CLASSES) + index])

    def total_running(self) -> int:
        cells, first = self._cells, self._TOTALS + 1
        return int(sum(cells[first + i] for i in range(len(_CLASSES))))

    def add(self, index: int, *, running: int = 0, waiting: int = 0) -> None:
        base, cells, totals = self._row() * self._WIDTH, self._cells, self._TOTALS
        if running:
            cells[base + 1 + index] += running
            cells[totals + 1 + index] += running
        if waiting:
            cells[base + 1 + len(_CLASSES) + index] += waiting
            cells[totals + 1 + len(_CLASSES) + index] += waiting

    def forget(self, pid: int) -> None:
        """A worker process ended (gunicorn's child_exit, in the master): its slots are free again. If it
        was killed holding the lock (a few microseconds of each request), the lock is taken back."""
        with self.condition.taken_back():
            cells, width = self._cells, self._WIDTH
            for row in range(self.ROWS):
                if cells[row * width] == pid:
                    self._clear(row)


class _AdmissionStuck(RuntimeError):
    """The server-wide admission lock could not be taken in time (the request is shed)."""


class _PolledCondition:
    """What Admission needs of a condition, across processes: a lock held for a few microseconds, and
    waiting by polling. Not multiprocessing.Condition: its notify waits for every sleeper to wake, so
    one worker killed while a request of it waited would hang every other worker's next notify."""

    POLL_S = 0.005
    LOCK_TIMEOUT_S = 2.0

    def __init__(self, lock: Any) -> None:
        self._lock = lock

    def __enter__(self) -> _PolledCondition:
        if not self._lock.acquire(timeout=self.LOCK_TIMEOUT_S):
            raise _AdmissionStuck("the server's admission lock was not free for 2 s")
        return self

    def __exit__(self, *_exc: object) -> None:
        self._lock.release()

    def wait(self, timeout: float) -> None:
        self._lock.release()
        try:
            time.sleep(max(0.0, min(timeout, self.POLL_S)))
        finally:
            if not self._lock.acquire(timeout=self.LOCK_TIMEOUT_S):
                self._lock.release()  # held by a worker that died: take it back (see taken_back)
                self._lock.acquire()

    def notify_all(self) -> None:
        """Waiters poll: nothing to wake."""

    @contextmanager
    def taken_back(self) -> Iterator[None]:
        """The lock, even from a process that died holding it (a plain multiprocessing.Lock may be
        released by another process)."""
        if not self._lock.acquire(timeout=self.LOCK_TIMEOUT_S):
            self._lock.release()
            self._lock.acquire()
        try:
            yield
        finally:
            self._lock.release()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Gate:
    """One class's limit, its counts (in the admission's counts, under its condition) and this
    process's tallies."""

    def __init__(self, limit: Limit, counts: _LocalCounts | SharedCounts, index: int) -> None:
        self.limit = limit
        self._counts, self._index = counts, index
        self.admitted = 0
        self.shed = 0

    @property
    def running(self) -> int:
        return self._counts.running(self._index)

    @property
    def waiting(self) -> int:
        return self._counts.waiting(self._index)

    def add(self, *, running: int = 0, waiting: int = 0) -> None:
        self._counts.add(self._index, running=running, waiting=waiting)


class Admission:
    """WSGI middleware: `Admission(app.wsgi_app, limits, shared=3)`; `stats()` for the benchmark and
    operators."""

    def __init__(
        self,
        app: WSGIApp,
        limits: Mapping[RouteClass, Limit] | None = None,
        *,
        shared: int = DEFAULT_SHARED,
        retry_after: int = 1,
        counts: SharedCounts | None = None,
        staff_shared: int | None = None,
    ) -> None:
        if shared < 1:
            raise ConfigurationError(f"the shared admission bound must be at least 1, not {shared}")
        self.app = app
        self.retry_after = retry_after
        self.shared = shared
        #: staff reads enter while fewer requests than this are in progress (default: `shared` + 2)
        self.staff_shared = max(shared, staff_shared if staff_shared is not None else shared + 2)
        # The server's counts when its workers share them (serve --workers), else this process's.
        self.counts: _LocalCounts | SharedCounts = counts if counts is not None else _LocalCounts()
        self.gates = {
            kind: _Gate((limits or DEFAULT_LIMITS).get(kind, DEFAULT_LIMITS[kind]), self.counts, index)
            for index, kind in enumerate(_CLASSES)
        }
        self._changed = self.counts.condition

    def _may_enter(self, kind: RouteClass, gate: _Gate) -> bool:
        if gate.running >= gate.limit.slots:
            return False
        if kind is RouteClass.STAFF_WRITE:
            return True
        if kind is RouteClass.STAFF:
            return self.counts.total_running() < self.staff_shared
        return self.counts.total_running() < self.shared

    def _yields(self, kind: RouteClass) -> bool:
        """A public or citizen request is shed at once, queued or not, while a staff write waits."""
        return (
            kind in (RouteClass.PUBLIC, RouteClass.CITIZEN) and self.gates[RouteClass.STAFF_WRITE].waiting > 0
        )

    def enter(self, kind: RouteClass) -> bool:
        """Take a slot of this class (waiting at most the class's `wait`), or say it is shed."""
        gate = self.gates[kind]
        with self._changed:
            if self._yields(kind):
                gate.shed += 1
                return False
            if not self._may_enter(kind, gate):
                if gate.waiting >= gate.limit.queue or gate.limit.wait <= 0:
                    gate.shed += 1
                    return False
                gate.add(waiting=1)
                deadline = time.monotonic() + gate.limit.wait
                try:
                    while not self._may_enter(kind, gate):
                        left = deadline - time.monotonic()
                        if left <= 0 or self._yields(kind):
                            gate.shed += 1
                            return False
                        self._changed.wait(left)
                finally:
                    gate.add(waiting=-1)
            gate.add(running=1)
            gate.admitted += 1
            return True

    def leave(self, kind: RouteClass) -> None:
        with self._changed:
            self.gates[kind].add(running=-1)
            self._changed.notify_all()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "/")
        if path in UNLIMITED:
            return self.app(environ, start_response)
        kind = route_class(path)
        if kind is RouteClass.STAFF and str(environ.get("REQUEST_METHOD") or "GET") not in SAFE_METHODS:
            kind = RouteClass.STAFF_WRITE
        try:
            admitted = self.enter(kind)
        except _AdmissionStuck:
            admitted = False
        if not admitted:
            return self._shed(path, kind, start_response)
        try:
            # Flask builds the whole response inside this call (the view, the template, the signing);
            # what is left is handing the bytes to the socket, which the server's own threads bound.
            return self.app(environ, start_response)
        finally:
            self.leave(kind)

    def _shed(self, path: str, kind: RouteClass, start_response: StartResponse) -> list[bytes]:
        sentence = "The service is busy right now; please try again in a moment."
        if path.startswith("/api/"):
            body = json.dumps({"error": sentence, "route_class": str(kind)}).encode()
            mimetype = "application/json"
        else:
            body = (sentence + "\n").encode()
            mimetype = "text/plain; charset=utf-8"
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", mimetype),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(self.retry_after)),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]

    def stats(self) -> dict[str, dict[str, int]]:
        with self._changed:
            return {
                str(kind): {
                    "admitted": gate.admitted,
                    "shed": gate.shed,
                    "waiting": gate.waiting,
                    "running": gate.running,
                }
                for kind, gate in self.gates.items()
            }


def limits_from_config(config: Mapping[str, Any]) -> dict[RouteClass, Limit]:
    """ADMISSION_<CLASS> = "slots,queue,wait" (e.g. "4,16,1.0"); defaults for any class not named."""
    limits = dict(DEFAULT_LIMITS)
    for kind in RouteClass:
        text = config.get(f"ADMISSION_{kind.upper()}")
        if not text:
            continue
        parts = str(text).split(",")
        try:
            slots, queue, wait = int(parts[0]), int(parts[1]), float(parts[2])
        except (IndexError, ValueError):
            raise ConfigurationError(
                f"ADMISSION_{kind.upper()} must be 'slots,queue,wait' such as '4,16,1.0', not {text!r}"
            ) from None
        limits[kind] = Limit(slots, queue, wait)
    return limits


def shared_from_config(
    config: Mapping[str, Any], name: str = "ADMISSION_SHARED", default: int = DEFAULT_SHARED
) -> int:
    """ADMISSION_SHARED: public and citizen requests admitted while fewer are in progress (default 4);
    ADMISSION_STAFF_SHARED the same for staff reads (default 6)."""
    text = str(config.get(name) or "").strip()
    if not text:
        return default
    try:
        shared = int(text)
    except ValueError:
        shared = 0
    if shared < 1:
        raise ConfigurationError(f"{name} must be a whole number of requests, 1 or more, not {text!r}")
    return shared
