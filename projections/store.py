"""Where the views live: tables in the ledger's own database (SQLite file or PostgreSQL), one SQL dialect.

Views are written once in portable SQL (`?` placeholders, `INSERT ... ON CONFLICT ... DO UPDATE`,
`RETURNING`), which SQLite (>= 3.35) and PostgreSQL both accept; the PostgreSQL store rewrites `?`
into psycopg's `%s`. For an in-memory ledger (`memory://`, unit tests) the views go to an in-memory
SQLite database of the same process.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ledger.failover import follow_primary
from ledger.settings import StoreSettings
from projections.errors import ProjectionError

Row = tuple[Any, ...]
Params = Sequence[Any]

_PLACEHOLDER = re.compile(r"\?")


class ViewStoreError(ProjectionError):
    """The view database failed (unreachable, locked, full); the message names the store."""

    code = "view_store_unavailable"


class Cursor(ABC):
    """The few cursor operations views use, the same on SQLite and PostgreSQL (rows are tuples)."""

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> None:
        """Run one statement."""

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        """Run one statement for many parameter rows (pipelined on PostgreSQL)."""

    @abstractmethod
    def fetchall(self) -> list[Row]:
        """All remaining rows of the last statement."""

    @abstractmethod
    def fetchone(self) -> Row | None:
        """The next row of the last statement, or None."""

    @abstractmethod
    def stream(self, sql: str, params: Params = (), size: int = 5000) -> Iterator[Row]:
        """The rows of a query, fetched `size` at a time (server-side on PostgreSQL): memory stays flat."""


class ViewStore(ABC):
    """A database the views write into: transactions and table names, whatever the engine."""

    kind: str = ""
    dialect: str = ""  # "sqlite" or "postgres"

    @abstractmethod
    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Cursor]:
        """A transaction: committed on success when `write`, rolled back on error (or when not `write`)."""

    @abstractmethod
    def table(self, name: str) -> str:
        """The quoted, schema-qualified name of a table."""

    @abstractmethod
    def close(self) -> None:
        """Release the connections."""

    def in_list(self, column: str, count: int) -> tuple[str, bool]:
        """An `IN` condition for `count` values: `(sql, pass_as_array)`; PostgreSQL takes one array."""
        if self.dialect == "postgres":
            return f"{column} = ANY(?)", True
        return f"{column} IN ({','.join('?' * count)})", False


# --- SQLite ---------------------------------------------------------------------------------------


class _SQLiteCursor(Cursor):
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Params = ()) -> None:
        self._cursor.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        self._cursor.executemany(sql, rows)

    def fetchall(self) -> list[Row]:
        return [tuple(row) for row in self._cursor.fetchall()]

    def fetchone(self) -> Row | None:
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def stream(self, sql: str, params: Params = (), size: int = 5000) -> Iterator[Row]:
        self._cursor.execute(sql, tuple(params))
        while rows := self._cursor.fetchmany(size):
            for row in rows:
                yield tuple(row)


class SQLiteViewStore(ViewStore):
    """Views in a SQLite file (next to the ledger's tables, WAL mode), or in memory for `memory://`.

    Writers take `BEGIN IMMEDIATE` so a view transaction never fails half-way because the ledger
    committed in between (SQLite's "busy snapshot"); each thread reads on its own connection.
    """

    dialect = "sqlite"

    def __init__(self, path: Path | None, *, lock_timeout: float = 30.0) -> None:
        self.kind = "sqlite" if path is not None else "memory"
        if path is None:
            # One connection for everything: shared-cache memory databases lock table by table.
            self._uri = f"file:immunize-views-{uuid.uuid4().hex}?mode=memory&cache=shared"
        else:
            self._uri = f"file:{path}"
        self._lock_timeout = lock_timeout
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._shared: sqlite3.Connection | None = None
        if path is None:
            self._shared = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._uri, uri=True, isolation_level=None, check_same_thread=False, timeout=self._lock_timeout
            )
            if self.kind == "sqlite":
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA secure_delete=ON")  # purged rows of erased people leave no trace
                # A bounded page cache (32 MB per connection) for the views' random-key indexes.
                conn.execute("PRAGMA cache_size=-32768")
        except sqlite3.Error as exc:
            raise ViewStoreError(f"Cannot open the view database {self._uri}: {exc}.") from exc
        self._connections.append(conn)
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._shared is not None:
            return self._shared
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Cursor]:
        conn = self._connection()
        lock = self._write_lock if (write or self._shared is not None) else None
        if lock is not None:
            lock.acquire()
        try:
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.Error as exc:
                raise ViewStoreError(f"The view database {self._uri} is unavailable: {exc}.") from exc
            try:
                yield _SQLiteCursor(conn.cursor())
            except BaseException:
                conn.rollback()
                raise
            try:
                if write:
                    conn.commit()
                else:
                    conn.rollback()
            except sqlite3.Error as exc:
                conn.rollback()
                raise ViewStoreError(f"The view database {self._uri} refused a commit: {exc}.") from exc
        finally:
            if lock is not None:
                lock.release()

    def table(self, name: str) -> str:
        return f'"{name}"'

    def close(self) -> None:
        for conn in self._connections:
            conn.close()
        self._connections.clear()


# --- PostgreSQL -----------------------------------------------------------------------------------


class _PostgresCursor(Cursor):
    def __init__(self, connection: Any) -> None:
        from psycopg.rows import tuple_row

        self._connection = connection
        self._cursor = connection.cursor(row_factory=tuple_row)

    @staticmethod
    def _sql(sql: str) -> str:
        return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))

    def execute(self, sql: str, params: Params = ()) -> None:
        self._cursor.execute(self._sql(sql), tuple(params), prepare=True)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            self._cursor.executemany(self._sql(sql), [tuple(r) for r in rows])

    def fetchall(self) -> list[Row]:
        return list(self._cursor.fetchall())

    def fetchone(self) -> Row | None:
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def stream(self, sql: str, params: Params = (), size: int = 5000) -> Iterator[Row]:
        from psycopg.rows import tuple_row

        with self._connection.cursor(name=f"stream_{uuid.uuid4().hex}", row_factory=tuple_row) as named:
            named.itersize = size
            named.execute(self._sql(sql), tuple(params))
            yield from named


class PostgresViewStore(ViewStore):
    """Views in the ledger's PostgreSQL database (same schema), through eventsourcing's own pool."""

    kind = "postgres"
    dialect = "postgres"

    def __init__(self, settings: StoreSettings, *, pool_size: int = 2) -> None:
        from eventsourcing.postgres import PostgresDatastore

        self._settings = settings
        self._datastore = PostgresDatastore(
            dbname=settings.dbname,
            host=settings.libpq_host,
            port=settings.libpq_port,
            user=settings.user,
            password=settings.password,
            pool_size=pool_size,
            max_overflow=2,
            schema=settings.schema,
        )
        follow_primary(self._datastore, settings)  # a multi-host URL: views are written on the primary
        self.schema = self._datastore.schema

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Cursor]:
        from eventsourcing.persistence import InterfaceError, OperationalError

        try:
            with self._datastore.get_connection() as conn, conn.transaction(force_rollback=not write):
                yield _PostgresCursor(conn)
        except (OperationalError, InterfaceError) as exc:
            raise ViewStoreError(
                f"The view database {self._settings.redacted_url} is unavailable: {exc}."
            ) from exc

    def table(self, name: str) -> str:
        return f'"{self.schema}"."{name}"'

    def close(self) -> None:
        self._datastore.close()


def open_view_store(settings: StoreSettings) -> ViewStore:
    """The view store of a ledger: the same SQLite file or PostgreSQL database; memory for `memory://`."""
    if settings.kind == "sqlite":
        assert settings.sqlite_path is not None
        return SQLiteViewStore(settings.sqlite_path)
    if settings.kind == "postgres":
        return PostgresViewStore(settings)
    return SQLiteViewStore(None)
