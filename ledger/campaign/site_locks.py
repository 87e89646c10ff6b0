"""The site's booking lock: one planner (or move) at a time books places at a site.

Why: what a day may book is decided from the read side (`site_stock_queries.stock`: the site's lots
against every appointment still to be given, `ledger.campaign.planning.bookable_doses`), and the day
plan's own version only serialises writers of the *same* day. Two planners of two days of one site
(or a planner and a move into the site) read the same free doses at the same moment and both booked
them: a site holding 5 doses got 10 appointments. Under this lock the service brings the views up to
the log, reads what is free, and writes its bookings before the next booking writer of that site
reads anything; every booking path of the service takes it (plan day/week, the province plan, moves,
a cancelled session's re-booking).

How, per store (all across processes, and across threads of one process):
- PostgreSQL: `pg_advisory_xact_lock` on a connection of its own (never one of the ledger's pool,
  whose connections the holder's write needs), in one transaction held while the block runs;
- SQLite: `fcntl.lockf` on a byte of a `<database>.site-locks` file beside the database (SQLite is
  one machine's store), the byte chosen by the site; POSIX record locks are per process, so a
  process-wide lock per byte serialises this process's threads first;
- memory: the process-wide lock alone.
Several sites (a province plan) are locked in one order (by key), so two runs never wait on each
other crosswise. The lock is re-entrant in a thread (cancel a session, then re-plan its days).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from uuid import UUID

import psycopg
import psycopg.conninfo

from ledger.settings import StoreSettings

SLOTS = 4096  # bytes of the SQLite lock file: sites sharing one only wait for each other a little more
_NAMESPACE = 0x1A7E  # the advisory lock's first key: this project's booking locks (PostgreSQL)

_process_locks: dict[tuple[str, int], threading.RLock] = {}
_process_guard = threading.Lock()
_held = threading.local()


def slot(site_id: UUID) -> int:
    """The site's lock key (stable across processes and versions: not Python's salted hash)."""
    return int.from_bytes(hashlib.blake2b(site_id.bytes, digest_size=4).digest(), "big") % SLOTS


def _process_lock(store_key: str, key: int) -> threading.RLock:
    with _process_guard:
        return _process_locks.setdefault((store_key, key), threading.RLock())


class SiteLocks:
    """Hold the booking lock of one or more sites while a block runs."""

    def __init__(self, store: StoreSettings) -> None:
        self.store = store
        self.store_key = str(store.sqlite_path) if store.kind == "sqlite" else store.redacted_url

    @contextmanager
    def hold(self, site_ids: Iterable[UUID]) -> Iterator[None]:
        """Every given site's lock (in key order), released when the block ends."""
        held: set[tuple[str, int]] = getattr(_held, "keys", None) or set()
        _held.keys = held
        keys = sorted({slot(s) for s in site_ids} - {k for s, k in held if s == self.store_key})
        if not keys:
            yield  # re-entered: this thread holds them already
            return
        with ExitStack() as stack:
            for key in keys:
                stack.enter_context(_process_lock(self.store_key, key))
            if self.store.kind == "postgres":
                stack.enter_context(self._postgres(keys))
            elif self.store.kind == "sqlite":
                stack.enter_context(self._sqlite(keys))
            mine = {(self.store_key, k) for k in keys}
            held |= mine
            try:
                yield
            finally:
                held -= mine

    @contextmanager
    def _postgres(self, keys: list[int]) -> Iterator[None]:
        info = psycopg.conninfo.make_conninfo(**self.store.connection_kwargs())
        with psycopg.connect(info) as conn:  # one transaction: the locks go with its end
            # One round trip for a province's sites, taken in the array's (sorted) order.
            conn.execute(
                "SELECT pg_advisory_xact_lock(%s, k) FROM unnest(%s::int[]) AS k", (_NAMESPACE, keys)
            )
            yield
            conn.rollback()

    @contextmanager
    def _sqlite(self, keys: list[int]) -> Iterator[None]:
        fd = _lock_file(Path(f"{self.store.sqlite_path}.site-locks"))
        done: list[int] = []
        try:
            for key in keys:
                fcntl.lockf(fd, fcntl.LOCK_EX, 1, key)  # waits for another process's holder
                done.append(key)
            yield
        finally:
            for key in done:
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, key)


_files: dict[Path, int] = {}


def _lock_file(path: Path) -> int:
    """One descriptor per lock file for the whole process, kept open: closing any descriptor of a
    file drops every POSIX record lock the process holds on it, another thread's included."""
    with _process_guard:
        if path not in _files:
            _files[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        return _files[path]
