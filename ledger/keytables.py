# ruff: noqa: S608  -- SQL text holds only this module's constant table names; values are always bound.
"""The tables of wrapped per-person keys and of the national ID index (ledger.personaldata uses them).

Thin table classes: `SqlKeyTable` on ledger.database (SQLite or PostgreSQL, the ledger's own
database), `MemoryKeyTable` for the in-memory store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from ledger.database import Cursor, Database, DatabaseError
from ledger.errors import KeyStoreError

KEYS_TABLE = "ledger_person_keys"
INDEX_TABLE = "ledger_national_ids"


def key_tables_ddl(table: Callable[[str], str], blob: str) -> list[str]:
    """The CREATE statements of both tables (`table` qualifies a name; `blob` is BLOB or BYTEA)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {table(KEYS_TABLE)} (owner TEXT PRIMARY KEY, wrapped {blob} NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {table(INDEX_TABLE)} (digest {blob} PRIMARY KEY, "
        "person_id TEXT NOT NULL, claimed_at TEXT NOT NULL)",
    ]


class KeyTable(Protocol):
    """Where wrapped data keys and national ID claims live (same database as the events)."""

    def load(self, owner: UUID) -> bytes | None: ...
    def load_many(self, owners: list[UUID]) -> dict[UUID, bytes]: ...
    def store_many(self, items: list[tuple[UUID, bytes]]) -> None: ...
    def delete(self, owner: UUID) -> None: ...
    def claim_many(self, items: list[tuple[bytes, UUID]], now: datetime) -> dict[bytes, UUID]: ...
    def take_over(self, digest: bytes, stale: UUID, person_id: UUID, now: datetime) -> bool: ...
    def claimed_at(self, digest: bytes) -> datetime | None: ...
    def lookup(self, digest: bytes) -> UUID | None: ...
    def release(self, digest: bytes, person_id: UUID) -> None: ...
    def release_person(self, person_id: UUID) -> None: ...


class MemoryKeyTable:
    """Dicts, for the in-memory store."""

    def __init__(self) -> None:
        self.keys: dict[UUID, bytes] = {}
        self.claims: dict[bytes, tuple[UUID, datetime]] = {}
        self.lock = threading.Lock()

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

    def claim_many(self, items: list[tuple[bytes, UUID]], now: datetime) -> dict[bytes, UUID]:
        with self.lock:
            for digest, person_id in items:
                self.claims.setdefault(digest, (person_id, now))
            return {digest: self.claims[digest][0] for digest, _ in items}

    def take_over(self, digest: bytes, stale: UUID, person_id: UUID, now: datetime) -> bool:
        with self.lock:
            if self.claims.get(digest, (None,))[0] != stale:
                return False
            self.claims[digest] = (person_id, now)
            return True

    def claimed_at(self, digest: bytes) -> datetime | None:
        existing = self.claims.get(digest)
        return existing[1] if existing else None

    def lookup(self, digest: bytes) -> UUID | None:
        existing = self.claims.get(digest)
        return existing[0] if existing else None

    def release(self, digest: bytes, person_id: UUID) -> None:
        with self.lock:
            if self.claims.get(digest, (None,))[0] == person_id:
                del self.claims[digest]

    def release_person(self, person_id: UUID) -> None:
        with self.lock:
            for digest in [d for d, (p, _) in self.claims.items() if p == person_id]:
                del self.claims[digest]


class SqlKeyTable:
    """The two tables in the ledger's database (SQLite or PostgreSQL), on ledger.database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._sqlite = db.kind == "sqlite"
        self.keys = db.table(KEYS_TABLE)
        self.index = db.table(INDEX_TABLE)
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

    def claim_many(self, items: list[tuple[bytes, UUID]], now: datetime) -> dict[bytes, UUID]:
        if not items:
            return {}
        holders: dict[bytes, UUID] = {}
        with self._transaction(True) as cursor:
            cursor.executemany(
                f"INSERT INTO {self.index} (digest, person_id, claimed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (digest) DO NOTHING",
                [(digest, person_id.hex, now.isoformat()) for digest, person_id in items],
            )
            for start in range(0, len(items), 500):
                chunk = [digest for digest, _ in items[start : start + 500]]
                marks = ",".join("?" * len(chunk))
                cursor.execute(f"SELECT digest, person_id FROM {self.index} WHERE digest IN ({marks})", chunk)
                for digest, person_id in cursor.fetchall():
                    holders[bytes(digest)] = UUID(person_id)
        return holders

    def take_over(self, digest: bytes, stale: UUID, person_id: UUID, now: datetime) -> bool:
        return (
            self._write(
                f"UPDATE {self.index} SET person_id = ?, claimed_at = ? WHERE digest = ? AND person_id = ?",
                (person_id.hex, now.isoformat(), digest, stale.hex),
            )
            == 1
        )

    def claimed_at(self, digest: bytes) -> datetime | None:
        value = self._one(f"SELECT claimed_at FROM {self.index} WHERE digest = ?", (digest,))
        return None if value is None else datetime.fromisoformat(str(value))

    def lookup(self, digest: bytes) -> UUID | None:
        value = self._one(f"SELECT person_id FROM {self.index} WHERE digest = ?", (digest,))
        return None if value is None else UUID(str(value))

    def release(self, digest: bytes, person_id: UUID) -> None:
        self._write(f"DELETE FROM {self.index} WHERE digest = ? AND person_id = ?", (digest, person_id.hex))

    def release_person(self, person_id: UUID) -> None:
        with self._transaction(True) as cursor:
            if self._sqlite:
                cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute(f"DELETE FROM {self.index} WHERE person_id = ?", (person_id.hex,))
