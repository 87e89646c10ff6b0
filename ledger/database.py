"""The one storage module for the project's own tables: `Database(settings)` on SQLite or PostgreSQL.

The key tables, the projection views and the web's tables are thin table classes on it; the event
tables belong to eventsourcing (see ledger.eventstore). SQL is written once, with `?` placeholders;
on PostgreSQL they become psycopg's `%s` and a literal `%` becomes `%%` (outside quoted strings,
quoted identifiers and comments, where `?` is left alone too). Table names get the schema prefix
(`table(name)`). A process holds one Database, hence one connection pool, per database URL
(`Database.shared`); `memory://` gets a private in-memory SQLite database per instance.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, PersistenceError
from psycopg.rows import tuple_row

from ledger.errors import StoreError
from ledger.failover import follow_primary
from ledger.settings import StoreSettings, prepare_sqlite_file

Row = tuple[Any, ...]
Params = Sequence[Any]


class DatabaseError(StoreError):
    """The database failed (unreachable, locked, full, refused a statement); the message names it."""

    code = "database_unavailable"


@functools.lru_cache(maxsize=2048)
def to_pyformat(sql: str) -> str:
    """Portable SQL (`?` placeholders) as psycopg wants it: `?` -> `%s`, `%` -> `%%`.

    Cached: statements are the code's own constants, and this walk costs ~0.5 µs a character (about a
    millisecond for an inclusion proof's statement, which is otherwise answered in two or three).

    Quoted strings ('...'), quoted identifiers ("...") and comments are copied unchanged except
    for `%`, which psycopg would read as a placeholder even there.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            end = i + 1
            while end < n:
                if sql[end] == c:
                    if end + 1 < n and sql[end + 1] == c:  # a doubled quote is an escaped quote
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1].replace("%", "%%"))
            i = end + 1
        elif c == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif c == "?":
            out.append("%s")
            i += 1
        elif c == "%":
            out.append("%%")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


class Cursor:
    """The few cursor operations the tables use, the same on SQLite and PostgreSQL (rows are tuples)."""

    def __init__(self, cursor: Any, dialect: str, connection: Any = None) -> None:
        self._cursor = cursor
        self._dialect = dialect
        self._connection = connection

    def _sql(self, sql: str) -> str:
        return to_pyformat(sql) if self._dialect == "postgres" else sql

    def execute(self, sql: str, params: Params = ()) -> None:
        """Run one statement."""
        if self._dialect == "postgres":
            self._cursor.execute(self._sql(sql), tuple(params), prepare=True)
        else:
            self._cursor.execute(sql, tuple(params))

    def execute_binary(self, sql: str, params: Params) -> None:
        """PostgreSQL: one statement whose `?` parameters are sent in binary format (its text holds no
        other `?` or `%`). For whole columns as arrays (`unnest(?::text[], ?::bytea[])`: a batch of rows
        in one statement): psycopg dumps a binary array with little work per element, where the text
        format escapes each one (bytea as hex), and the server parses none of it."""
        self._cursor.execute(sql.replace("?", "%b"), tuple(params), prepare=True)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        """Run one statement for many parameter rows (pipelined on PostgreSQL)."""
        if rows:
            self._cursor.executemany(self._sql(sql), [tuple(r) for r in rows])

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None:
        """Bulk insert into `table` (already quoted/qualified): COPY on PostgreSQL, several times faster
        than INSERTs for the audit's restores and replays; executemany on SQLite, whose INSERTs are as
        fast. Part of this transaction like any other statement."""
        if not rows:
            return
        names = ", ".join(columns)
        if self._dialect == "postgres":
            with self._cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" * len(columns))
        # table and column names are the caller's own constants, never input
        self._cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608

    def results(self) -> list[Row]:
        """The rows of the last statement; none for a statement that returns no rows (an INSERT, DDL)."""
        if self._cursor.description is None:
            return []
        return self.fetchall()

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return int(self._cursor.rowcount or 0)

    def fetchall(self) -> list[Row]:
        """All remaining rows of the last statement."""
        return [tuple(row) for row in self._cursor.fetchall()]

    def fetchone(self) -> Row | None:
        """The next row of the last statement, or None."""
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def stream(self, sql: str, params: Params = (), size: int = 5000) -> Iterator[Row]:
        """The rows of a query, fetched `size` at a time (server-side on PostgreSQL): memory stays flat."""
        if self._dialect == "postgres":
            name = f"stream_{uuid.uuid4().hex}"
            with self._connection.cursor(name=name, row_factory=tuple_row) as named:
                named.itersize = size
                named.execute(self._sql(sql), tuple(params))
                yield from named
            return
        self._cursor.execute(sql, tuple(params))
        while rows := self._cursor.fetchmany(size):
            for row in rows:
                yield tuple(row)


class Database:
    """Transactions, queries and table names on the ledger's database, whatever the engine.

    SQLite: one connection per thread (WAL), writers take `BEGIN IMMEDIATE` under a process lock so a
    write transaction never fails half-way because another writer committed in between.
    PostgreSQL: one small pool (eventsourcing's, which reconnects after a failover).
    """

    _shared: ClassVar[dict[tuple[str, str], Database]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, settings: StoreSettings, *, pool_size: int = 4, lock_timeout: float = 30.0) -> None:
        self.settings = settings
        self.kind = settings.kind
        self.dialect = "postgres" if settings.kind == "postgres" else "sqlite"
        self.blob = "BYTEA" if self.dialect == "postgres" else "BLOB"
        self._users = 1
        self._lock_timeout = lock_timeout
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._single: sqlite3.Connection | None = None
        self._pg: Any = None
        self.schema = ""
        self._search_path = ""
        if settings.kind == "postgres":
            from eventsourcing.postgres import PostgresDatastore

            try:
                self._pg = PostgresDatastore(
                    dbname=settings.dbname,
                    host=settings.libpq_host,
                    port=settings.libpq_port,
                    user=settings.user,
                    password=settings.password,
                    pool_size=pool_size,
                    max_overflow=2,
                    schema=settings.schema,
                )
            except PersistenceError as exc:
                raise DatabaseError(f"Cannot open the database {settings.redacted_url}: {exc}.") from exc
            follow_primary(self._pg, settings)  # a multi-host URL: tables are written on the primary
            self.schema = self._pg.schema
            # Unqualified names (the web's tables) resolve in the ledger's schema first.
            quoted = '"' + self.schema.replace('"', '""') + '"'
            self._search_path = (
                "" if self.schema == "public" else f"SET LOCAL search_path TO {quoted}, public"
            )
        elif settings.kind == "sqlite":
            assert settings.sqlite_path is not None
            prepare_sqlite_file(settings.sqlite_path)  # mode 0600 before SQLite creates it
            self._uri = f"file:{settings.sqlite_path}"
        else:
            # One connection for everything: shared-cache memory databases lock table by table.
            self._uri = f"file:immunize-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._single = self._connect()

    @classmethod
    def shared(cls, settings: StoreSettings) -> Database:
        """The process's Database for that URL (one pool per process); `close()` when done with it."""
        if settings.kind == "memory":
            return cls(settings)
        key = (settings.redacted_url, f"{settings.password}")
        with cls._shared_lock:
            found = cls._shared.get(key)
            if found is not None and found._users > 0:
                found._users += 1
                return found
            fresh = cls._shared[key] = cls(settings)
            return fresh

    @property
    def where(self) -> str:
        """The database's name for messages (no password)."""
        return self.settings.redacted_url

    # ---- SQLite connections ----------------------------------------------------------------------

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
            raise DatabaseError(f"Cannot open the database {self.where}: {exc}.") from exc
        with self._write_lock:
            self._connections.append(conn)
        return conn

    def _connection(self) -> sqlite3.Connection:
        """This thread's idle connection: a transaction opened inside another (a key read while a
        view is written) gets a connection of its own instead of a nested BEGIN."""
        if self._single is not None:
            return self._single
        mine: list[sqlite3.Connection] | None = getattr(self._local, "conns", None)
        if mine is None:
            mine = self._local.conns = []
        for conn in mine:
            if not conn.in_transaction:
                return conn
        conn = self._connect()
        mine.append(conn)
        return conn

    # ---- transactions ----------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Cursor]:
        """A transaction: committed on success when `write`, rolled back on error (or when not `write`)."""
        if self._pg is not None:
            try:
                with self._pg.get_connection() as conn, conn.transaction(force_rollback=not write):
                    cursor = conn.cursor(row_factory=tuple_row)
                    if self._search_path:
                        cursor.execute(self._search_path)
                    yield Cursor(cursor, "postgres", conn)
            except (OperationalError, InterfaceError, psycopg.OperationalError) as exc:
                raise DatabaseError(f"The database {self.where} is unavailable: {exc}.") from exc
            except psycopg.Error as exc:
                raise DatabaseError(f"The database {self.where} refused a statement: {exc}.") from exc
            except PersistenceError as exc:
                # The pool wraps driver errors in eventsourcing's classes; a PersistenceError raised by
                # the caller itself (a view's tracking IntegrityError: exactly-once) passes unchanged.
                if not isinstance(exc.__cause__, psycopg.Error):
                    raise
                raise DatabaseError(f"The database {self.where} refused a statement: {exc}.") from exc
            return
        conn = self._connection()
        lock = self._write_lock if (write or self._single is not None) else None
        if lock is not None:
            lock.acquire()
        try:
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.Error as exc:
                raise DatabaseError(f"The database {self.where} is unavailable: {exc}.") from exc
            try:
                yield Cursor(conn.cursor(), "sqlite")
            except sqlite3.Error as exc:
                conn.rollback()
                raise DatabaseError(f"The database {self.where} refused a statement: {exc}.") from exc
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
                raise DatabaseError(f"The database {self.where} refused a commit: {exc}.") from exc
        finally:
            if lock is not None:
                lock.release()

    def checkpoint(self) -> None:
        """SQLite: copy the WAL into the database file and truncate it (erasure leaves no old pages)."""
        if self.kind != "sqlite":
            return
        try:
            self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise DatabaseError(f"The database {self.where} refused a checkpoint: {exc}.") from exc

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """The rows of one read-only statement."""
        if self._pg is not None and not self._search_path:
            return self._pg_query(sql, params)
        with self.transaction(write=False) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _pg_query(self, sql: str, params: Params) -> list[Row]:
        """One statement on an autocommit connection: one round trip, where BEGIN, the statement and
        ROLLBACK took three (a signed-in page makes several such reads; under load each round trip
        waits for the server's turn on the CPU). One statement sees one snapshot either way."""
        try:
            with self._pg.get_connection() as conn:
                cursor = Cursor(conn.cursor(row_factory=tuple_row), "postgres", conn)
                cursor.execute(sql, params)
                return cursor.fetchall()
        except (OperationalError, InterfaceError, psycopg.OperationalError) as exc:
            raise DatabaseError(f"The database {self.where} is unavailable: {exc}.") from exc
        except psycopg.Error as exc:
            raise DatabaseError(f"The database {self.where} refused a statement: {exc}.") from exc
        except PersistenceError as exc:
            if not isinstance(exc.__cause__, psycopg.Error):
                raise
            raise DatabaseError(f"The database {self.where} refused a statement: {exc}.") from exc

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction; the number of rows it changed."""
        with self.transaction(write=True) as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def script(self, statements: Sequence[str]) -> None:
        """Run several statements (e.g. CREATE TABLE IF NOT EXISTS ...) in one transaction."""
        with self.transaction(write=True) as cursor:
            for statement in statements:
                cursor.execute(statement)

    # ---- names -----------------------------------------------------------------------------------

    def table(self, name: str) -> str:
        """The quoted, schema-qualified name of a table."""
        quoted = '"' + name.replace('"', '""') + '"'
        if self.dialect == "postgres":
            return '"' + self.schema.replace('"', '""') + '".' + quoted
        return quoted

    def in_list(self, column: str, count: int) -> tuple[str, bool]:
        """An `IN` condition for `count` values: `(sql, pass_as_array)`; PostgreSQL takes one array."""
        if self.dialect == "postgres":
            return f"{column} = ANY(?)", True
        return f"{column} IN ({','.join('?' * count)})", False

    def close(self) -> None:
        """Release the connections (a shared Database once its last user closes it)."""
        with self._shared_lock:
            self._users -= 1
            if self._users > 0:
                return
            for key, db in list(Database._shared.items()):
                if db is self:
                    del Database._shared[key]
        if self._pg is not None:
            self._pg.close()
        with self._write_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
