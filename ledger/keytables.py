# ruff: noqa: S608  -- SQL text holds only this module's constant table names; values are always bound.
"""The tables of wrapped per-person keys and of the national ID index (ledger.personaldata uses them).

Thin table classes: `SqlKeyTable` on ledger.database (SQLite or PostgreSQL, the ledger's own
database), `MemoryKeyTable` for the in-memory store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from ledger.database import Cursor, Database, DatabaseError
from ledger.errors import KeyStoreError

T = TypeVar("T")

KEYS_TABLE = "ledger_person_keys"
INDEX_TABLE = "ledger_national_ids"
# Numbers typed at online registration, held until staff see the card (keyed digest, never the number):
# a new registration of a held number is refused in the events' transaction (ledger.claims).
HOLDS_TABLE = "ledger_national_id_holds"
HOLDS_BACKFILLED = b"backfilled"  # a marker row's digest (a real one is 32 bytes): the log was read once
SITE_LOTS_COUNTED = b"site-lots-counted"  # ledger.site_lot_catch_up was done for this store
MARKERS = frozenset({HOLDS_BACKFILLED, SITE_LOTS_COUNTED})  # one-time steps, emptied by a restore


def key_tables_ddl(table: Callable[[str], str], blob: str) -> list[str]:
    """The CREATE statements of both tables (`table` qualifies a name; `blob` is BLOB or BYTEA)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {table(KEYS_TABLE)} (owner TEXT PRIMARY KEY, wrapped {blob} NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {table(INDEX_TABLE)} (digest {blob} PRIMARY KEY, "
        "person_id TEXT NOT NULL, claimed_at TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {table(HOLDS_TABLE)} (digest {blob} NOT NULL, "
        "person_id TEXT NOT NULL, PRIMARY KEY (digest, person_id))",
    ]


class WithEventsLike(Protocol):
    """ledger.claims.WithEvents, as the in-memory table reads it."""

    @property
    def at(self) -> datetime: ...
    @property
    def keys(self) -> Sequence[tuple[UUID, bytes]]: ...
    @property
    def claims(self) -> Sequence[tuple[bytes, UUID]]: ...
    @property
    def holds(self) -> Sequence[tuple[bytes, UUID]]: ...
    @property
    def release_holds(self) -> Sequence[UUID]: ...
    @property
    def refuse_held(self) -> bool: ...


class KeyTable(Protocol):
    """Where wrapped data keys and national ID claims live (same database as the events)."""

    def load(self, owner: UUID) -> bytes | None: ...
    def load_many(self, owners: list[UUID]) -> dict[UUID, bytes]: ...
    def store_many(self, items: list[tuple[UUID, bytes]]) -> None: ...
    def delete(self, owner: UUID) -> None: ...
    def lookup(self, digest: bytes) -> UUID | None: ...
    def release_person(self, person_id: UUID) -> None: ...
    def holders(self, digest: bytes) -> list[UUID]: ...


class MemoryKeyTable:
    """Dicts, for the in-memory store."""

    def __init__(self) -> None:
        self.keys: dict[UUID, bytes] = {}
        self.claims: dict[bytes, tuple[UUID, datetime]] = {}
        self.holds: set[tuple[bytes, UUID]] = set()
        self.lock = threading.Lock()
        # Held across a save's checks and its events (ledger.claims' in-memory counterpart).
        self.save_lock = threading.RLock()

    def load(self, owner: UUID) -> bytes | None:
        return self.keys.get(owner)

    def load_many(self, owners: list[UUID]) -> dict[UUID, bytes]:
        return {owner: self.keys[owner] for owner in owners if owner in self.keys}

    def store_many(self, items: list[tuple[UUID, bytes]]) -> None:
        with self.lock:
            for owner, wrapped in items:
                self.keys.setdefault(owner, wrapped)

    def delete(self, owner: UUID) -> None:
        with self.lock:
            self.keys.pop(owner, None)

    def lookup(self, digest: bytes) -> UUID | None:
        existing = self.claims.get(digest)
        return existing[0] if existing else None

    def release_person(self, person_id: UUID) -> None:
        with self.lock:
            for digest in [d for d, (p, _) in self.claims.items() if p == person_id]:
                del self.claims[digest]
            self.holds = {(d, p) for d, p in self.holds if p != person_id}

    def holders(self, digest: bytes) -> list[UUID]:
        return sorted(p for d, p in self.holds if d == digest)

    def write_with_events(
        self, writes: WithEventsLike, saved: Callable[[UUID], bool], save: Callable[[], T]
    ) -> T:
        """ledger.claims.write_sql for the in-memory store: check and write under one lock held across
        the save; undo the rows if the save fails."""
        from ledger.claims import declared_online, taken

        with self.save_lock:
            claims_before = {d: self.claims.get(d) for d, _ in writes.claims}
            holds_before = set(self.holds)
            keys_before = [o for o, _ in writes.keys if o not in self.keys]
            try:
                with self.lock:
                    for owner, wrapped in writes.keys:
                        self.keys.setdefault(owner, wrapped)
                    released = set(writes.release_holds)
                    self.holds = {(d, p) for d, p in self.holds if p not in released}
                    self.holds.update(writes.holds)
                for digest, person_id in writes.claims:
                    holder = self.claims.get(digest, (person_id, writes.at))[0]
                    if holder != person_id and saved(holder):
                        raise taken()
                    self.claims[digest] = (person_id, writes.at)
                    if writes.refuse_held and any(d == digest and p != person_id for d, p in self.holds):
                        raise declared_online()
                return save()
            except BaseException:
                with self.lock:
                    for owner in keys_before:
                        self.keys.pop(owner, None)
                    self.holds = holds_before
                    for digest, before in claims_before.items():
                        if before is None:
                            self.claims.pop(digest, None)
                        else:
                            self.claims[digest] = before
                raise


class SqlKeyTable:
    """The two tables in the ledger's database (SQLite or PostgreSQL), on ledger.database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._sqlite = db.kind == "sqlite"
        self.keys = db.table(KEYS_TABLE)
        self.index = db.table(INDEX_TABLE)
        self.holds = db.table(HOLDS_TABLE)
        with self._transaction(True) as cursor:
            for statement in key_tables_ddl(db.table, db.blob):
                cursor.execute(statement)

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Cursor]:
        """A transaction; database failures become one clear KeyStoreError."""
        try:
            with self.db.transaction(write=write) as cursor:
                yield cursor
        except DatabaseError as exc:
            raise KeyStoreError(
                f"The personal-data key tables cannot be used ({exc}): check the database."
            ) from exc

    def _one(self, sql: str, params: tuple[object, ...]) -> Any:
        with self._transaction(False) as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return None if row is None else row[0]

    def _write(self, sql: str, params: tuple[object, ...]) -> int:
        with self._transaction(True) as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def load(self, owner: UUID) -> bytes | None:
        value = self._one(f"SELECT wrapped FROM {self.keys} WHERE owner = ?", (owner.hex,))
        return None if value is None else bytes(value)

    def load_many(self, owners: list[UUID]) -> dict[UUID, bytes]:
        """Several wrapped keys in one query per 500 owners."""
        found: dict[UUID, bytes] = {}
        with self._transaction(False) as cursor:
            for start in range(0, len(owners), 500):
                chunk = [o.hex for o in owners[start : start + 500]]
                cursor.execute(
                    f"SELECT owner, wrapped FROM {self.keys} WHERE owner IN ({', '.join('?' * len(chunk))})",
                    chunk,
                )
                for owner, wrapped in cursor.fetchall():
                    found[UUID(hex=str(owner))] = bytes(wrapped)
        return found

    def store_many(self, items: list[tuple[UUID, bytes]]) -> None:
        if not items:
            return
        with self._transaction(True) as cursor:
            cursor.executemany(
                f"INSERT INTO {self.keys} (owner, wrapped) VALUES (?, ?) ON CONFLICT (owner) DO NOTHING",
                [(owner.hex, wrapped) for owner, wrapped in items],
            )

    def delete(self, owner: UUID) -> None:
        # SQLite keeps deleted rows in free pages and old page images in the WAL: overwrite the
        # freed space (secure_delete) and fold the WAL back into the file and truncate it, so the
        # wrapped key is gone from disk, not just from the table (issue 12, item 6).
        with self._transaction(True) as cursor:
            if self._sqlite:
                cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute(f"DELETE FROM {self.keys} WHERE owner = ?", (owner.hex,))
        self.checkpoint()

    def checkpoint(self) -> None:
        """SQLite: copy the WAL into the database file and truncate it (best effort while readers run)."""
        if self._sqlite:
            try:
                self.db.checkpoint()
            except DatabaseError as exc:
                raise KeyStoreError(
                    f"The personal-data key tables cannot be used ({exc}): check the database."
                ) from exc

    def lookup(self, digest: bytes) -> UUID | None:
        value = self._one(f"SELECT person_id FROM {self.index} WHERE digest = ?", (digest,))
        return None if value is None else UUID(str(value))

    def release_person(self, person_id: UUID) -> None:
        with self._transaction(True) as cursor:
            if self._sqlite:
                cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute(f"DELETE FROM {self.index} WHERE person_id = ?", (person_id.hex,))
            cursor.execute(f"DELETE FROM {self.holds} WHERE person_id = ?", (person_id.hex,))

    def holds_backfilled(self) -> bool:
        """Whether the holds of a store written before the holds table have been added (`add_holds`)."""
        return self._one(f"SELECT 1 FROM {self.holds} WHERE digest = ?", (HOLDS_BACKFILLED,)) is not None

    def add_holds(self, items: list[tuple[bytes, UUID]], *, done: bool) -> None:
        """Holds found in the log (ON CONFLICT: a registration may have written one meanwhile); `done`
        writes the marker that the whole log was read."""
        rows = [(digest, person_id.hex) for digest, person_id in items]
        if done:
            rows.append((HOLDS_BACKFILLED, "0" * 32))
        if rows:
            with self._transaction(True) as cursor:
                cursor.executemany(
                    f"INSERT INTO {self.holds} (digest, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING", rows
                )

    def marked(self, marker: bytes) -> bool:
        """Whether a one-time step of this store was done (a marker row of the holds table: a restore
        empties it, so a restored log goes through the step again)."""
        return self._one(f"SELECT 1 FROM {self.holds} WHERE digest = ?", (marker,)) is not None

    def mark(self, marker: bytes) -> None:
        """Say a one-time step of this store was done."""
        self.add_holds([(marker, UUID(int=0))], done=False)

    def holders(self, digest: bytes) -> list[UUID]:
        with self._transaction(False) as cursor:
            cursor.execute(f"SELECT person_id FROM {self.holds} WHERE digest = ?", (digest,))
            return sorted(UUID(str(row[0])) for row in cursor.fetchall())
