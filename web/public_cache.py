"""Public pages computed at most once per interval, served with a strong ETag, Cache-Control and 304.

A surge hits the public pages first (the statistics page was computed on every request: ~90/s on two
cores). Each cached item keeps its value, a digest of it (the ETag) and the version it was computed at
(a view's position). When the interval has passed, one request asks for the version (one indexed row):
if it moved the value is recomputed, otherwise the old one is kept for another interval. While one
thread recomputes, the others go on serving the previous value; only the very first request waits.
Pages cached per query (the priority list of each ward) are bounded: past `most` entries the one
used least recently is dropped (it is made again if asked for).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import current_app, request
from flask.wrappers import Response

T = TypeVar("T")

DEFAULT_INTERVAL = 5.0  # seconds; PUBLIC_CACHE_SECONDS overrides it
DEFAULT_MOST = 1_000  # entries kept (pages of a few to tens of KiB: tens of MiB at most per worker)


@dataclass(frozen=True)
class Cached(Generic[T]):
    value: T
    etag: str  # hex digest of the value's bytes (strong: same tag, same bytes)
    version: Hashable


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


class PublicCache:
    """Named cached values; `computations` counts recomputations per name (tests and the bench read it)."""

    def __init__(
        self,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        most: int = DEFAULT_MOST,
        *,
        enabled: bool = True,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.most = most
        #: False: every value computed on every request, nothing kept (IMMUNIZE_PUBLIC_CACHE=0: the
        #: benchmark's baseline, what /statistics cost before this cache; never for serving people)
        self.enabled = enabled
        self.computations: dict[str, int] = {}
        self._entries: OrderedDict[str, Cached[Any]] = OrderedDict()
        self._checked: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        #: whole public answers served before admission (web.public_front), on the same clock and interval
        self.responses = StoredResponses(interval if enabled else 0.0, clock, most)

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def _fresh(self, name: str) -> bool:
        checked = self._checked.get(name)
        return checked is not None and self.clock() - checked < self.interval

    def get(
        self,
        name: str,
        version: Callable[[], Hashable],
        compute: Callable[[], T],
        to_bytes: Callable[[T], bytes],
    ) -> Cached[T]:
        if not self.enabled:
            value = compute()
            self.computations[name] = self.computations.get(name, 0) + 1
            return Cached(value, digest(to_bytes(value)), None)
        entry: Cached[T] | None = self._entries.get(name)
        if entry is not None and self._fresh(name):
            self._used(name)
            return entry
        lock = self._lock(name)
        if entry is not None:
            if not lock.acquire(blocking=False):
                return entry  # another request is refreshing it: the previous value meanwhile
        else:
            lock.acquire()
        try:
            entry = self._entries.get(name)
            if entry is not None and self._fresh(name):
                return entry
            current = version()
            if entry is None or entry.version != current:
                value = compute()
                entry = Cached(value, digest(to_bytes(value)), current)
                self.computations[name] = self.computations.get(name, 0) + 1
                self._entries[name] = entry
            self._checked[name] = self.clock()
            self._used(name)
            return entry
        finally:
            lock.release()

    def _used(self, name: str) -> None:
        with self._guard:
            if name not in self._entries:
                return
            self._entries.move_to_end(name)
            while len(self._entries) > self.most:
                dropped, _ = self._entries.popitem(last=False)
                self._checked.pop(dropped, None)
                self._locks.pop(dropped, None)

    def __contains__(self, name: str) -> bool:
        return name in self._entries


def public_cache() -> PublicCache:
    cache: PublicCache = current_app.extensions["immunize_public_cache"]
    return cache


def cache_control(max_age: int, *, private: bool = False) -> str:
    scope = "private" if private else "public"
    return f"{scope}, max-age={max_age}, must-revalidate"


def conditional(
    etag: str,
    produce: Callable[[], Response],
    *,
    max_age: int,
    private: bool = False,
    weak: bool = False,
    vary: str = "",
) -> Response:
    """304 if the client already holds this tag; otherwise `produce()` (not called on a 304)."""
    if request.if_none_match and request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = produce()
    response.set_etag(etag, weak=weak)
    response.headers["Cache-Control"] = cache_control(max_age, private=private)
    for header in vary.split(","):
        if header.strip():
            response.vary.add(header.strip())
    return response


@dataclass(frozen=True)
class StoredResponse:
    """A whole public answer as the app sent it: status line, headers, body (web.public_front serves it)."""

    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str  # as sent, quoted: '"…"'
    stored_at: float


class StoredResponses:
    """Public answers kept whole for the front of the server (web.public_front), with the public cache's
    clock and interval. Younger than the interval, one is served as it is. Older, it is still served while
    one request at a time (at most one a `retry`) goes to the app to make it again, for up to `stale_for`
    intervals: when the server sheds that request (a surge), the previous answer is what every visitor gets,
    a few seconds older, instead of a refusal. Past that, every request goes to the app. Bounded: past `most`
    entries the oldest stored is dropped."""

    STALE_FOR = (
        6  # intervals (30 s by default) a kept answer may still be served while it cannot be made again
    )
    RETRY_S = 1.0  # at most one request a second goes to make a stale answer again

    def __init__(self, interval: float, clock: Callable[[], float], most: int = DEFAULT_MOST) -> None:
        self.interval = interval
        self.clock = clock
        self.most = most
        self._entries: dict[Hashable, StoredResponse] = {}
        self._turns: dict[Hashable, float] = {}  # key -> when a request last went to make it again
        self._guard = threading.Lock()

    def lookup(self, key: Hashable) -> tuple[StoredResponse | None, bool]:
        """(the kept answer still fit to serve, or None; whether to serve it now). False with an answer: it
        is stale and this request's turn to go to the app (the answer is its fallback if it is shed)."""
        entry = self._entries.get(key)
        if entry is None or self.interval <= 0:
            return None, False
        now = self.clock()
        age = now - entry.stored_at
        if age < self.interval:
            return entry, True
        if age >= self.STALE_FOR * self.interval:
            return None, False
        with self._guard:
            turn = self._turns.get(key)
            if turn is not None and now - turn < min(self.RETRY_S, self.interval):
                return entry, True  # another request went to make it again a moment ago
            self._turns[key] = now
            return entry, False

    def servable(self, key: Hashable) -> StoredResponse | None:
        """The kept answer to serve now, or None when this request goes to the app."""
        entry, now = self.lookup(key)
        return entry if now else None

    def store(self, key: Hashable, headers: tuple[tuple[str, str], ...], body: bytes, etag: str) -> None:
        with self._guard:
            self._entries.pop(key, None)
            self._entries[key] = StoredResponse(headers, body, etag, self.clock())
            self._turns.pop(key, None)
            while len(self._entries) > self.most:
                dropped = next(iter(self._entries))
                self._entries.pop(dropped)
                self._turns.pop(dropped, None)

    def __len__(self) -> int:
        return len(self._entries)
