"""Admission control: bounded concurrency and queues per route class, shed at once with Retry-After.

A surge of the public (statistics, verify, trust lists) must not take the threads or the CPU that
staff need to record doses. Each class (public, citizen, staff) has its own slots (requests in
progress) and its own queue (requests waiting for a slot, for at most `wait` seconds). When both are
full, or the wait ran out, the request is answered `503` with `Retry-After` at once instead of
queueing until a time-out. On top of that, public and citizen requests are admitted only while the
worker has fewer than `shared` requests of any class in progress: one worker process runs one core
at most (the GIL), so every request in progress beyond a few only makes all of them slower. Staff
requests are not held back by `shared`: staff take the CPU first, the public what is left, and a
full public class never sheds staff. The server's threads must cover every slot and queue place
(`threads_needed`), otherwise requests wait in the server's own queue, where no one can shed them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
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
    STAFF = "staff"


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
    # Public pages come from the public cache (a few ms each): a short queue, a short wait, so that
    # what is served stays fast and the excess is told at once to come back.
    RouteClass.PUBLIC: Limit(slots=2, queue=4, wait=0.1),
    RouteClass.CITIZEN: Limit(slots=2, queue=4, wait=0.25),
    RouteClass.STAFF: Limit(slots=4, queue=16, wait=5.0),
}
DEFAULT_SHARED = 3  # public and citizen requests are admitted while fewer than this are in progress


def threads_needed(limits: Mapping[RouteClass, Limit] | None = None) -> int:
    """Server threads per worker so that every request reaches admission at once (slots + queues,
    and one to spare for /health)."""
    chosen = limits or DEFAULT_LIMITS
    return sum(limit.slots + limit.queue for limit in chosen.values()) + 1


class _Gate:
    """One class's counts (the admission's condition guards them)."""

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.running = 0
        self.waiting = 0
        self.admitted = 0
        self.shed = 0


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
    ) -> None:
        if shared < 1:
            raise ConfigurationError(f"the shared admission bound must be at least 1, not {shared}")
        self.app = app
        self.retry_after = retry_after
        self.shared = shared
        self.gates = {
            kind: _Gate((limits or DEFAULT_LIMITS).get(kind, DEFAULT_LIMITS[kind])) for kind in RouteClass
        }
        self._changed = threading.Condition()
        self._running = 0  # requests of every class in progress

    def _may_enter(self, kind: RouteClass, gate: _Gate) -> bool:
        if gate.running >= gate.limit.slots:
            return False
        return kind is RouteClass.STAFF or self._running < self.shared

    def enter(self, kind: RouteClass) -> bool:
        """Take a slot of this class (waiting at most the class's `wait`), or say it is shed."""
        gate = self.gates[kind]
        with self._changed:
            if not self._may_enter(kind, gate):
                if gate.waiting >= gate.limit.queue or gate.limit.wait <= 0:
                    gate.shed += 1
                    return False
                gate.waiting += 1
                deadline = time.monotonic() + gate.limit.wait
                try:
                    while not self._may_enter(kind, gate):
                        left = deadline - time.monotonic()
                        if left <= 0:
                            gate.shed += 1
                            return False
                        self._changed.wait(left)
                finally:
                    gate.waiting -= 1
            gate.running += 1
            gate.admitted += 1
            self._running += 1
            return True

    def leave(self, kind: RouteClass) -> None:
        with self._changed:
            self.gates[kind].running -= 1
            self._running -= 1
            self._changed.notify_all()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "/")
        if path in UNLIMITED:
            return self.app(environ, start_response)
        kind = route_class(path)
        if not self.enter(kind):
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


def shared_from_config(config: Mapping[str, Any]) -> int:
    """ADMISSION_SHARED: public and citizen requests admitted while fewer are in progress (default 3)."""
    text = str(config.get("ADMISSION_SHARED") or "").strip()
    if not text:
        return DEFAULT_SHARED
    try:
        shared = int(text)
    except ValueError:
        shared = 0
    if shared < 1:
        raise ConfigurationError(
            f"ADMISSION_SHARED must be a whole number of requests, 1 or more, not {text!r}"
        )
    return shared
