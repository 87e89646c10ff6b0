"""Raw SQL access to the ledger's own database (SQLite or PostgreSQL) for the audit tools.

The audit reads the stored events exactly as eventsourcing wrote them (no decoding, no decryption)
and keeps its chain in tables of the same database. SQLite's table is `stored_events` (the
notification id is its rowid); PostgreSQL's is `<application name>_events`.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import psycopg
from eventsourcing.persistence import IntegrityError as EventSourcingIntegrityError

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


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class Database:
    """One connection to the ledger database; SQL is written with `?` placeholders for both stores."""

    def __init__(self, settings: StoreSettings, app_name: str = DEFAULT_APP_NAME) -> None:
        self.settings = settings
        self.kind = settings.kind
        self.app_name = app_name
        self._sqlite: sqlite3.Connection | None = None
        self._pg: psycopg.Connection[Any] | None = None
        try:
            if settings.kind == "sqlite":
                assert settings.sqlite_path is not None
                self._sqlite = sqlite3.connect(str(settings.sqlite_path), isolation_level=None, timeout=30)
                self.events_table = self.events_table_name = "stored_events"
                self.position_column = "rowid"
                self.prefix = ""
            elif settings.kind == "postgres":
                # Every host of a multi-host URL (the audit writes its tables on the primary).
                conninfo = psycopg.conninfo.make_conninfo(**settings.connection_kwargs())
                self._pg = psycopg.connect(conninfo, autocommit=True)
                schema = settings.schema or "public"
                self.prefix = _quote(schema) + "."
                self.events_table_name = app_name.lower() + "_events"
                self.events_table = self.prefix + _quote(self.events_table_name)
                self.position_column = "notification_id"
            else:
                raise AuditError(
                    f"the audit needs a SQLite or PostgreSQL store, not {settings.kind!r}: "
                    "set IMMUNIZE_DATABASE_URL to sqlite:///... or postgresql://..."
                )
        except (sqlite3.Error, psycopg.Error) as exc:
            raise AuditError(f"cannot open the ledger database {settings.redacted_url}: {exc}") from exc
        self.blob = "BLOB" if self.kind == "sqlite" else "BYTEA"
        # PostgreSQL prints a uuid in the canonical form itself: no UUID object per row.
        self._originator_text = "originator_id" if self.kind == "sqlite" else "originator_id::text"
        self._in_transaction = False

    # -- plumbing -----------------------------------------------------------------------------
    def table(self, name: str) -> str:
        """The qualified name of one of the audit's own tables."""
        return self.prefix + _quote(name)

    def _sql(self, statement: str) -> str:
        return statement if self.kind == "sqlite" else statement.replace("?", "%s")

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return every row it produced (an empty list for writes)."""
        try:
            if self._sqlite is not None:
                cursor = self._sqlite.execute(statement, tuple(params))
                return cursor.fetchall()
            assert self._pg is not None
            with self._pg.cursor() as pg_cursor:
                pg_cursor.execute(self._sql(statement), tuple(params))
                return pg_cursor.fetchall() if pg_cursor.description is not None else []
        except (sqlite3.Error, psycopg.Error) as exc:
            raise AuditError(f"the ledger database refused an audit query: {exc}") from exc

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many rows."""
        if not rows:
            return
        try:
            if self._sqlite is not None:
                self._sqlite.executemany(statement, rows)
                return
            assert self._pg is not None
            with self._pg.cursor() as pg_cursor:
                pg_cursor.executemany(self._sql(statement), rows)
        except (sqlite3.Error, psycopg.Error) as exc:
            raise AuditError(f"the ledger database refused an audit write: {exc}") from exc

    # The ledger.transparency `Run` protocol: the tree's own reads and writes go through here too.
    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.execute(statement, params)

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self.executemany(statement, rows)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Bulk insert: executemany on SQLite, COPY on PostgreSQL (several times faster than INSERTs)."""
        if not rows:
            return
        if self._sqlite is not None:
            self.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
            )
            return
        assert self._pg is not None
        try:
            with (
                self._pg.cursor() as pg_cursor,
                pg_cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise AuditError(f"the ledger database refused an audit write: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: everything written inside commits together or not at all."""
        if self._sqlite is not None:
            self._sqlite.execute("BEGIN IMMEDIATE")
            self._in_transaction = True
            try:
                yield
            except BaseException:
                self._sqlite.execute("ROLLBACK")
                raise
            else:
                self._sqlite.execute("COMMIT")
            finally:
                self._in_transaction = False
            return
        assert self._pg is not None
        try:
            with self._pg.transaction():
                self._in_transaction = True
                yield
        except psycopg.Error as exc:
            raise AuditError(f"the ledger database refused to commit: {exc}") from exc
        finally:
            self._in_transaction = False

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            self._pg.close()

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
