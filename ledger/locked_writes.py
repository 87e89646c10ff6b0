"""Events made inside the save's own transaction, after the writers' lock: a dose's stock draw.

Every dose at a site counts down its lot's stock record (`SiteLotStock`), one event per dose command.
Made the usual way (read the record, draw, save at version n + 1), two doses from one lot at the same
moment both wrote version n + 1: one conflicted, and the whole command (receipt, person, dose) was
read and made again after a backoff. With 2 web workers x threads on one busy lot that happened to
most doses (benchmarks/bench_dose_write.py: 346 conflicts for 100 doses flat out; p99 2 s).

Here the draw is made where no other writer can interleave: the recorders (ledger.transparency) call
the command's `LockedEvents` after the INSERT of its other events, which took the writers' lock
(PostgreSQL's table lock, SQLite's write lock), and before the Merkle leaves and the commit. Every
other save is then either committed or not started, so the stock record read there (the events stored
after the copy the command holds: usually none or a few) is the latest, the draw's version cannot be
taken, and the rule "never below zero" is checked against the latest count. A refusal raised there
rolls the whole command back. The record stays the source of truth: the same `Drawn` events, in the
same stream, with their own Merkle leaves; only the moment they are made moved.

The in-memory store has no such transaction; there the draw is saved with the command's other
aggregates as before (ledger.commands).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from ledger.transparency_tree import Run


@dataclass(frozen=True)
class EventsTable:
    """The events table as a recorder's cursor reads it."""

    kind: str  # "sqlite" or "postgres"
    name: str  # the table's SQL name (schema-qualified and quoted on PostgreSQL)

    def stream_after(self, run: Run, originator_id: UUID, version: int) -> list[StoredEvent]:
        """The events of one stream stored after `version`, in order (read with the save's cursor)."""
        key: object = originator_id.hex if self.kind == "sqlite" else originator_id
        rows = run.query(
            f"SELECT originator_version, topic, state FROM {self.name} "  # noqa: S608 (the recorder's own table)
            "WHERE originator_id = ? AND originator_version > ? ORDER BY originator_version",
            (key, version),
        )
        return [StoredEvent(originator_id, int(v), str(t), bytes(s)) for v, t, s in rows]


LockedEvents = Callable[[Run, EventsTable], Sequence[StoredEvent]]


class UnderLock(Protocol):
    """What a command hands its save to make under the lock (ledger.stock_records.LockedDraws)."""

    def __call__(self, run: Run, table: EventsTable, /) -> Sequence[StoredEvent]:
        """Under the lock: the events to store with the command's."""
        ...

    def now(self) -> list[Aggregate]:
        """A store without that transaction (in memory): the aggregates to save the usual way."""
        ...

    def saved(self) -> None:
        """The save committed."""
        ...


_CURRENT: ContextVar[LockedEvents | None] = ContextVar("ledger_locked_events", default=None)


@contextmanager
def made_under_lock(make: LockedEvents | None) -> Iterator[None]:
    """Have the next save in this thread (or task) call `make` under the writers' lock and store the
    events it returns in the same transaction."""
    token = _CURRENT.set(make)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> LockedEvents | None:
    """The events the save running now makes under the lock, if any."""
    return _CURRENT.get()
