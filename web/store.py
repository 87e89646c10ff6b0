"""The web app's own small tables (staff accounts, one-time codes, rate counters) in the ledger's database.

Same database as the ledger (IMMUNIZE_DATABASE_URL): SQLite file, PostgreSQL, or memory (an
in-memory SQLite database). Tables are prefixed `web_` so they never meet the ledger's own.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from ledger.errors import ConfigurationError as LedgerConfigurationError
from ledger.settings import StoreSettings, prepare_sqlite_file
from web.errors import ConfigurationError, WebError

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS web_accounts (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        site_id TEXT NOT NULL DEFAULT '',
        province_code TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS web_otp (
        phone_key TEXT PRIMARY KEY,
        code_hash TEXT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        attempts INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS web_rate (
        bucket TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS web_rate_bucket ON web_rate (bucket, at)",
    "CREATE INDEX IF NOT EXISTS web_rate_at ON web_rate (at)",
    """CREATE TABLE IF NOT EXISTS web_sessions (
        account TEXT PRIMARY KEY,
        version INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS web_signin_failures (
        bucket TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_at DOUBLE PRECISION NOT NULL,
        blocked_until DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS web_phone_index (
        phone_key TEXT NOT NULL,
        person_id TEXT NOT NULL,
        PRIMARY KEY (phone_key, person_id))""",
    "CREATE INDEX IF NOT EXISTS web_phone_person ON web_phone_index (person_id)",
    """CREATE TABLE IF NOT EXISTS web_certificates (
        uci TEXT PRIMARY KEY,
        person_id TEXT NOT NULL,
        withdrawn INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX IF NOT EXISTS web_certificates_withdrawn ON web_certificates (withdrawn)",
    """CREATE TABLE IF NOT EXISTS web_positions (
        name TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS web_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL)""",
)

Row = tuple[Any, ...]


class StoreError(WebError):
    """The accounts database could not be reached or refused a statement."""

    code = "accounts_store_unavailable"
    kind = "unavailable"


class SqlStore:
    """A tiny SQL runner over sqlite3 or psycopg; statements use `?` placeholders."""

    def __init__(self, settings: StoreSettings) -> None:
        self.kind = settings.kind
        self._lock = threading.Lock()
        self._memory: sqlite3.Connection | None = None
        self._sqlite_path: Path | None = None
        self._pg_conninfo = ""
        if settings.kind == "memory":
            self._memory = sqlite3.connect(":memory:", check_same_thread=False)
        elif settings.kind == "sqlite":
            assert settings.sqlite_path is not None
            self._sqlite_path = settings.sqlite_path
            try:
                prepare_sqlite_file(settings.sqlite_path)  # mode 0600 before SQLite creates it
            except LedgerConfigurationError as exc:
                raise ConfigurationError(str(exc)) from exc
        elif settings.kind == "postgres":
            # Every host of a multi-host URL, and target_session_attrs (staff accounts live on the primary).
            self._pg_conninfo = psycopg.conninfo.make_conninfo(**settings.connection_kwargs())
            self._pg_schema = settings.schema
        else:  # pragma: no cover - parse_database_url allows nothing else
            raise ConfigurationError(f"unknown store kind {settings.kind!r}")
        self.create_tables()

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        try:
            if self._memory is not None:
                with self._lock:
                    cur = self._memory.cursor()
                    try:
                        yield cur
                        self._memory.commit()
                    except BaseException:
                        self._memory.rollback()
                        raise
            elif self._sqlite_path is not None:
                conn = sqlite3.connect(self._sqlite_path, timeout=10)
                try:
                    with conn:
                        yield conn.cursor()
                finally:
                    conn.close()
            else:
                with psycopg.connect(self._pg_conninfo) as pg:
                    if self._pg_schema:
                        pg.execute(f'SET search_path TO "{self._pg_schema}"')
                    with pg.cursor() as pcur:
                        yield pcur
        except (sqlite3.Error, psycopg.Error) as exc:
            raise StoreError(f"the accounts database failed: {type(exc).__name__}") from exc

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.kind == "postgres" else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one statement in its own transaction; return the affected row count."""
        with self._cursor() as cur:
            cur.execute(self._sql(statement), tuple(params))
            return int(cur.rowcount or 0)

    def transaction(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Run several statements in one transaction: all of them or none."""
        with self._cursor() as cur:
            for statement, params in statements:
                cur.execute(self._sql(statement), tuple(params))

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._cursor() as cur:
            cur.execute(self._sql(statement), tuple(params))
            return [tuple(row) for row in cur.fetchall()]

    def create_tables(self) -> None:
        for statement in SCHEMA:
            self.execute(statement)

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()
