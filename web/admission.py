"""Admission control: bounded concurrency and queues per route class, shed at once with Retry-After.

A surge of the public (statistics, verify, trust lists) must not take the threads that staff need to
record doses. Each class (public, citizen, staff) has its own slots (requests in progress) and its own
queue (requests waiting for a slot, for at most `wait` seconds). When both are full, or the wait ran
out, the request is answered `503` with `Retry-After` at once instead of queueing until a time-out.
The classes never share slots, so a full public class never sheds staff; and the server's threads
must exceed the public and citizen slots together, so staff always find a thread (see README).
"""

from __future__ import annotations

import json
import threading
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
    RouteClass.PUBLIC: Limit(slots=4, queue=16, wait=1.0),
    RouteClass.CITIZEN: Limit(slots=4, queue=16, wait=2.0),
    RouteClass.STAFF: Limit(slots=8, queue=64, wait=10.0),
}


class _Gate:
    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.free = threading.BoundedSemaphore(limit.slots)
        self.lock = threading.Lock()
        self.waiting = 0
        self.admitted = 0
        self.shed = 0

    def enter(self) -> bool:
        if self.free.acquire(blocking=False):
            with self.lock:
                self.admitted += 1
            return True
        with self.lock:
            if self.waiting >= self.limit.queue:
                self.shed += 1
                return False
            self.waiting += 1
        try:
            entered = self.limit.wait > 0 and self.free.acquire(timeout=self.limit.wait)
        finally:
            with self.lock:
                self.waiting -= 1
                if entered:
                    self.admitted += 1
                else:
                    self.shed += 1
        return bool(entered)

    def leave(self) -> None:
        self.free.release()


class Admission:
    """WSGI middleware: `Admission(app.wsgi_app, limits)`; `stats()` for the benchmark and operators."""

    def __init__(
        self, app: WSGIApp, limits: Mapping[RouteClass, Limit] | None = None, *, retry_after: int = 1
    ) -> None:
        self.app = app
        self.retry_after = retry_after
        self.gates = {
            kind: _Gate((limits or DEFAULT_LIMITS).get(kind, DEFAULT_LIMITS[kind])) for kind in RouteClass
        }

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "/")
        if path in UNLIMITED:
            return self.app(environ, start_response)
        kind = route_class(path)
        gate = self.gates[kind]
        if not gate.enter():
            return self._shed(path, kind, start_response)
        try:
            # Flask builds the whole response inside this call (the view, the template, the signing);
            # what is left is handing the bytes to the socket, which the server's own threads bound.
            return self.app(environ, start_response)
        finally:
            gate.leave()

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
        return {
            str(kind): {"admitted": gate.admitted, "shed": gate.shed, "waiting": gate.waiting}
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
