"""The audit tools' access to the ledger's own database (SQLite or PostgreSQL), on `ledger.database`.

The audit reads the stored events exactly as eventsourcing wrote them (no decoding, no decryption)
and keeps its chain in tables of the same database. SQLite's table is `stored_events` (the
notification id is its rowid); PostgreSQL's is `<application name>_events`. Connections, placeholders,
schema names and COPY are the storage module's (`ledger.database.Database`), not the audit's own.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import psycopg
from eventsourcing.persistence import IntegrityError as EventSourcingIntegrityError

from ledger.database import Cursor, DatabaseError
from ledger.database import Database as StoreDatabase
from ledger.settings import StoreSettings
from ledger.transparency import TreeTables, append_leaves, transparency_env
from projections.audit.errors import AuditError

# The application whose log is audited; its name decides the PostgreSQL table (`ledger_events`).
DEFAULT_APP_NAME = "Ledger"
PAGE_SIZE = 5000


class StoredRow(NamedTuple):
    """One row of the events table, as stored: the unit the audit chain hashes."""

    position: int
    originator_id: str  # canonical text: a UUID in its 8-4-4-4-12 form, whatever the store
    originator_version: int
    topic: str
    state: bytes


def canonical_originator_id(value: object) -> str:
    """The originator id as canonical text, so SQLite (hex) and PostgreSQL (uuid) hash the same."""
    if isinstance(value, uuid.UUID):
        return str(value)
    text = str(value)
    if len(text) == 36 and text[8] == "-" and text[23] == "-" and text == text.lower():
        return text  # already canonical (PostgreSQL's uuid::text)
    if len(text) == 32:
        # eventsourcing's SQLite form of a UUID (uuid.hex: 32 lower-case hex digits), the common case.
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text


class Database:
    """The audit's access to the ledger database, on the project's one storage module
    (`ledger.database.Database`, shared per process: one pool, portable `?` placeholders, schema-qualified
    names). Statements outside `transaction()` run each in its own short transaction; inside it they share
    one, which commits or rolls back as a whole. Database failures become AuditError (one sentence)."""

    def __init__(self, settings: StoreSettings, app_name: str = DEFAULT_APP_NAME) -> None:
        if settings.kind not in ("sqlite", "postgres"):
            raise AuditError(
                f"the audit needs a SQLite or PostgreSQL store, not {settings.kind!r}: "
                "set IMMUNIZE_DATABASE_URL to sqlite:///... or postgresql://..."
            )
        self.settings = settings
        self.kind = settings.kind
        self.app_name = app_name
        try:
            self.store = StoreDatabase.shared(settings)
        except DatabaseError as exc:
            raise AuditError(f"cannot open the ledger database {settings.redacted_url}: {exc}") from exc
        self.blob = self.store.blob
        if self.kind == "sqlite":
            self.events_table = self.events_table_name = "stored_events"  # the notification id is its rowid
            self.position_column = "rowid"
        else:
            self.events_table_name = app_name.lower() + "_events"
            self.events_table = self.store.table(self.events_table_name)
            self.position_column = "notification_id"
        # PostgreSQL prints a uuid in the canonical form itself: no UUID object per row.
        self._originator_text = "originator_id" if self.kind == "sqlite" else "originator_id::text"
        self._local = threading.local()  # this thread's open transaction, if any
        self._closed = False

    # -- plumbing -----------------------------------------------------------------------------
    def table(self, name: str) -> str:
        """The qualified name of one of the audit's own tables."""
        return self.store.table(name)

    @contextmanager
    def _cursor(self, statement: str = "") -> Iterator[Cursor]:
        """The open transaction's cursor, or a transaction of its own for this one statement (read-only
        for a plain SELECT, so page after page of a verify never holds SQLite's write lock)."""
        current: Cursor | None = getattr(self._local, "cursor", None)
        if current is not None:
            yield current
            return
        try:
            with self.store.transaction(write=not _reads_only(statement)) as cursor:
                yield cursor
        except DatabaseError as exc:
            raise AuditError(f"the ledger database refused an audit query: {exc}") from exc

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return every row it produced (an empty list for writes)."""
        with self._cursor(statement) as cursor:
            try:
                cursor.execute(statement, params)
                return cursor.results()
            except (sqlite3.Error, psycopg.Error) as exc:
                raise AuditError(f"the ledger database refused an audit query: {exc}") from exc

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many rows."""
        if not rows:
            return
        with self._cursor() as cursor:
            try:
                cursor.executemany(statement, rows)
            except (sqlite3.Error, psycopg.Error) as exc:
                raise AuditError(f"the ledger database refused an audit write: {exc}") from exc

    # The ledger.transparency `Run` protocol: the tree's own reads and writes go through here too.
    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.execute(statement, params)

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self.executemany(statement, rows)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Bulk insert (COPY on PostgreSQL: `ledger.database.Cursor.insert_rows`)."""
        if not rows:
            return
        with self._cursor() as cursor:
            try:
                cursor.insert_rows(table, columns, rows)
            except (sqlite3.Error, psycopg.Error) as exc:
                raise AuditError(f"the ledger database refused an audit write: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: everything written inside commits together or not at all (a transaction
        opened inside another joins it)."""
        if getattr(self._local, "cursor", None) is not None:
            yield
            return
        try:
            with self.store.transaction(write=True) as cursor:
                self._local.cursor = cursor
                try:
                    yield
                finally:
                    self._local.cursor = None
        except DatabaseError as exc:
            raise AuditError(f"the ledger database refused to commit: {exc}") from exc

    def close(self) -> None:
        """Release this use of the shared storage (its pool closes with its last user)."""
        if not self._closed:
            self._closed = True
            self.store.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the events table ---------------------------------------------------------------------
    def events_table_exists(self) -> bool:
        if self.kind == "sqlite":
            rows = self.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='stored_events'")
        else:
            rows = self.execute("SELECT to_regclass(?)", (self.events_table,))
            rows = [row for row in rows if row[0] is not None]
        return bool(rows)

    def read_events(self, after: int, limit: int = PAGE_SIZE, upto: int | None = None) -> list[StoredRow]:
        """Up to `limit` stored events with a position greater than `after` (and at most `upto`)."""
        column = self.position_column
        where = f"{column} > ?" + (f" AND {column} <= ?" if upto is not None else "")
        params: list[int] = [after] if upto is None else [after, upto]
        rows = self.execute(
            f"SELECT {column}, {self._originator_text}, originator_version, topic, state FROM {self.events_table} "
            f"WHERE {where} ORDER BY {column} LIMIT {int(limit)}",
            params,
        )
        return [
            StoredRow(int(r[0]), canonical_originator_id(r[1]), int(r[2]), str(r[3]), bytes(r[4]))
            for r in rows
        ]

    def iter_events(self, after: int = 0, upto: int | None = None) -> Iterator[StoredRow]:
        """Every stored event after `after` in position order, read in pages (never all in memory)."""
        last = after
        while True:
            page = self.read_events(last, PAGE_SIZE, upto)
            yield from page
            if len(page) < PAGE_SIZE:
                return
            last = page[-1].position

    def first_event(self) -> StoredRow | None:
        page = self.read_events(0, 1) if self.events_table_exists() else []
        return page[0] if page else None

    def count_events(self) -> int:
        if not self.events_table_exists():
            return 0
        return int(self.execute(f"SELECT COUNT(*) FROM {self.events_table}")[0][0])

    def max_position(self) -> int:
        if not self.events_table_exists():
            return 0
        value = self.execute(f"SELECT MAX({self.position_column}) FROM {self.events_table}")[0][0]
        return int(value or 0)

    def position_of(self, originator_id: str, originator_version: int) -> int | None:
        """Where an event (by its unique originator id and version) sits in the log, if anywhere."""
        stored_id: object = originator_id
        if self.kind == "sqlite":
            try:
                stored_id = uuid.UUID(originator_id).hex
            except ValueError:
                stored_id = originator_id
        else:
            try:
                stored_id = uuid.UUID(originator_id)
            except ValueError:
                stored_id = originator_id
        rows = self.execute(
            f"SELECT {self.position_column} FROM {self.events_table} "
            "WHERE originator_id = ? AND originator_version = ?",
            (stored_id, originator_version),
        )
        return int(rows[0][0]) if rows else None

    def insert_events(self, rows: Sequence[StoredRow]) -> None:
        """Insert stored events keeping their positions (restore, replay), with their Merkle leaves.

        Call inside `transaction()`: the events and their leaves commit together, as the ledger's
        own recorder writes them.
        """
        self._insert_event_rows(rows)
        try:
            append_leaves(
                self,
                TreeTables.for_store(self.kind, self.events_table_name, self.settings.schema or "public"),
                [(r.position, r) for r in rows],
            )
        except (EventSourcingIntegrityError, ValueError) as exc:
            raise AuditError(f"the events cannot be added to the transparency log: {exc}") from exc

    def _insert_event_rows(self, rows: Sequence[StoredRow]) -> None:
        if self.kind == "sqlite":
            self.insert_rows(
                "stored_events",
                ("rowid", "originator_id", "originator_version", "topic", "state"),
                [
                    (r.position, _sqlite_originator(r.originator_id), r.originator_version, r.topic, r.state)
                    for r in rows
                ],
            )
        else:
            self.insert_rows(
                self.events_table,
                ("notification_id", "originator_id", "originator_version", "topic", "state"),
                [
                    (r.position, _pg_originator(r.originator_id), r.originator_version, r.topic, r.state)
                    for r in rows
                ],
            )

    def reset_position_sequence(self) -> None:
        """After inserting explicit ids on PostgreSQL, move the id sequence past them."""
        if self.kind != "postgres":
            return
        self.execute(
            f"SELECT setval(pg_get_serial_sequence(?, 'notification_id'), "
            f"GREATEST((SELECT MAX(notification_id) FROM {self.events_table}), 1))",
            (self.events_table,),
        )


def _reads_only(statement: str) -> bool:
    """A plain SELECT (not `SELECT setval(...)`, which moves a sequence)."""
    head = statement.lstrip()[:6].upper()
    return head == "SELECT" and "setval(" not in statement


def _sqlite_originator(originator_id: str) -> str:
    # eventsourcing's SQLite recorder stores UUIDs as 32 hex digits.
    try:
        return uuid.UUID(originator_id).hex
    except ValueError:
        return originator_id


def _pg_originator(originator_id: str) -> object:
    try:
        return uuid.UUID(originator_id)
    except ValueError:
        return originator_id


def create_events_table(settings: StoreSettings, app_name: str = DEFAULT_APP_NAME) -> None:
    """Create the events table exactly as eventsourcing does (for restores and replays into new stores)."""
    from eventsourcing.persistence import InfrastructureFactory
    from eventsourcing.utils import Environment

    try:
        env = settings.eventsourcing_env()
        env.update(transparency_env(settings.kind))  # the events table and its Merkle tables
        factory = InfrastructureFactory.construct(Environment(name=app_name, env=env))
        factory.application_recorder()
        factory.close()
    except Exception as exc:  # eventsourcing and the drivers raise many kinds; all mean "cannot create"
        raise AuditError(f"cannot create the events table in {settings.redacted_url}: {exc}") from exc
