# ruff: noqa: S608  -- SQL text holds only constant table names (ledger.keytables) and the recorder's own
# events table; values are always bound.
"""Rows written in the events' own transaction: new people's wrapped data keys, national-ID claims and
numbers held from online registration (all or nothing with the events that need them).

A registration writes three things: the person's events, their data key (the events are sealed with it)
and, for a number staff saw, the claim "this number is this person's" (one person per number). Written
apart, a crash between them left a claim without a person (the number blocked until a stale-claim delay)
or a key without events. Here they go with the events: the command puts a `WithEvents` in the context
(`written_with_events`) around its `save`, and the recorders (ledger.transparency) call `write_sql` on
their cursor after the events' INSERT and before the commit. A refusal raised there rolls the events back.

The checks need no time bound: the INSERT of the events took the writers' lock (SQLite's write lock;
PostgreSQL's table lock), so every other registration is either committed (its claim visible, its person
saved with it) or not started. A claim whose person has no events can only be a leftover of the code
before this change (claims were written first): it is taken over at once.

The in-memory store has no transaction: `MemoryKeyTable.write_with_events` does the same under one lock
held across the check and the save.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.errors import DuplicateNationalId, NationalIdDeclaredOnline
from ledger.keytables import HOLDS_TABLE, INDEX_TABLE, KEYS_TABLE
from ledger.transparency_tree import Run


@dataclass(frozen=True)
class WithEvents:
    """What one save writes beside its events.

    - `keys`: (owner, wrapped data key) of new people;
    - `claims`: (keyed digest of a national ID, person) claimed, one person per number;
    - `holds`: (digest, person) numbers typed online, held until staff see the card;
    - `release_holds`: people whose held numbers go (confirmed: the claim replaces the hold);
    - `refuse_held`: a claim for a number someone else holds is refused (a new registration; never a
      confirmation, where staff chose the card's owner among those who typed it).
    """

    at: datetime
    keys: Sequence[tuple[UUID, bytes]] = ()
    claims: Sequence[tuple[bytes, UUID]] = ()
    holds: Sequence[tuple[bytes, UUID]] = ()
    release_holds: Sequence[UUID] = ()
    refuse_held: bool = False


_CURRENT: ContextVar[WithEvents | None] = ContextVar("ledger_with_events", default=None)

# A test seam: callables run inside the transaction after every row is written, before the commit (the
# worst moment for a crash; the kill tests stop the process there).
AFTER_WRITE: list[Callable[[], None]] = []


@contextmanager
def written_with_events(writes: WithEvents | None) -> Iterator[None]:
    """Have the next save in this thread (or task) write `writes` in the events' transaction."""
    token = _CURRENT.set(writes)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> WithEvents | None:
    """The rows the save running now must write with its events, if any."""
    return _CURRENT.get()


def taken() -> DuplicateNationalId:
    return DuplicateNationalId(
        "A person with this national ID number is already registered: look them up instead of "
        "registering again, or correct the number."
    )


def declared_online() -> NationalIdDeclaredOnline:
    return NationalIdDeclaredOnline(
        "Someone registered online with this ID number (not yet confirmed): do not register again; "
        "find them by this number, open their record, check the card and confirm the number."
    )


@dataclass(frozen=True)
class SqlTables:
    """The qualified names the rows go to, and how the events table names an aggregate."""

    keys: str
    claims: str
    holds: str
    events: str
    owner_param: Callable[[UUID], Any]  # SQLite stores ids as hex text, PostgreSQL as uuid

    @classmethod
    def sqlite(cls, events_table: str) -> SqlTables:
        return cls(KEYS_TABLE, INDEX_TABLE, HOLDS_TABLE, events_table, lambda u: u.hex)

    @classmethod
    def postgres(cls, schema: str, events_table: str) -> SqlTables:
        def q(name: str) -> str:
            return '"' + schema.replace('"', '""') + '"."' + name.replace('"', '""') + '"'

        return cls(q(KEYS_TABLE), q(INDEX_TABLE), q(HOLDS_TABLE), q(events_table), lambda u: u)


def write_sql(run: Run, tables: SqlTables) -> None:
    """Write the current save's keys, holds and claims on the events' cursor; raise (rolling the events
    back) if a number is already another person's, or held by someone else for a new registration."""
    writes = current()
    if writes is None:
        return
    if writes.keys:
        run.many(
            f"INSERT INTO {tables.keys} (owner, wrapped) VALUES (?, ?) ON CONFLICT (owner) DO NOTHING",
            [(owner.hex, wrapped) for owner, wrapped in writes.keys],
        )
    if writes.release_holds:
        run.many(f"DELETE FROM {tables.holds} WHERE person_id = ?", [(p.hex,) for p in writes.release_holds])
    if writes.holds:
        run.many(
            f"INSERT INTO {tables.holds} (digest, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(digest, person_id.hex) for digest, person_id in writes.holds],
        )
    if writes.claims:
        _claim_sql(run, tables, writes)
    for hook in AFTER_WRITE:
        hook()


def _claim_sql(run: Run, tables: SqlTables, writes: WithEvents) -> None:
    """Claim every number (one INSERT for all), then read who holds each in a few queries (a batch of
    500 registrations costs a handful of statements, not one per person)."""
    at = writes.at.isoformat()
    run.many(
        f"INSERT INTO {tables.claims} (digest, person_id, claimed_at) VALUES (?, ?, ?) "
        "ON CONFLICT (digest) DO NOTHING",
        [(digest, person_id.hex, at) for digest, person_id in writes.claims],
    )
    mine = {bytes(digest): person_id for digest, person_id in writes.claims}
    for digest, holder_hex in _rows_for(run, f"SELECT digest, person_id FROM {tables.claims}", list(mine)):
        holder, person_id = UUID(str(holder_hex)), mine[digest]
        if holder == person_id:
            continue
        saved = run.query(
            f"SELECT 1 FROM {tables.events} WHERE originator_id = ? LIMIT 1", (tables.owner_param(holder),)
        )
        if saved:
            raise taken()
        # A claim left by the code before this change (written before its save, which never came).
        run.many(
            f"UPDATE {tables.claims} SET person_id = ?, claimed_at = ? WHERE digest = ? AND person_id = ?",
            [(person_id.hex, at, digest, holder.hex)],
        )
    if writes.refuse_held:
        for digest, holder_hex in _rows_for(run, f"SELECT digest, person_id FROM {tables.holds}", list(mine)):
            if UUID(str(holder_hex)) != mine[digest]:
                raise declared_online()


def _rows_for(run: Run, select: str, digests: list[bytes]) -> list[tuple[bytes, object]]:
    """`select ... WHERE digest IN (...)` in chunks of 500; digests as bytes."""
    rows: list[tuple[bytes, object]] = []
    for start in range(0, len(digests), 500):
        chunk = digests[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows.extend((bytes(r[0]), r[1]) for r in run.query(f"{select} WHERE digest IN ({marks})", chunk))
    return rows
