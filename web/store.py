"""The web app's own small tables (staff accounts, one-time codes, rate counters) in the ledger's database.

Same database as the ledger (IMMUNIZE_DATABASE_URL): SQLite file, PostgreSQL, or memory (an
in-memory SQLite database). Tables are prefixed `web_` so they never meet the ledger's own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ledger.database import Cursor, Database, DatabaseError
from ledger.errors import ConfigurationError as LedgerConfigurationError
from ledger.settings import StoreSettings
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
    # The phone and certificate indexes, their positions and key check were web/directory.py's; the
    # projections' views serve them now (phone_index, certificate_index): the old tables go.
    "DROP TABLE IF EXISTS web_phone_index",
    "DROP TABLE IF EXISTS web_certificates",
    "DROP TABLE IF EXISTS web_positions",
    "DROP TABLE IF EXISTS web_settings",
)

Row = tuple[Any, ...]


class StoreError(WebError):
    """The accounts database could not be reached or refused a statement."""

    code = "accounts_store_unavailable"
    kind = "unavailable"


class SqlStore:
    """The web's tables on the one storage module (ledger.database); statements use `?` placeholders.

    Table names are written unqualified: on PostgreSQL the Database puts its schema first on the
    search path, so they land in the ledger's schema.
    """

    def __init__(self, settings: StoreSettings) -> None:
        self.kind = settings.kind
        try:
            self.db = Database.shared(settings)
        except (DatabaseError, LedgerConfigurationError) as exc:
            raise ConfigurationError(str(exc)) from exc
        self.create_tables()

    @contextmanager
    def _cursor(self, write: bool = True) -> Iterator[Cursor]:
        try:
            with self.db.transaction(write=write) as cursor:
                yield cursor
        except DatabaseError as exc:
            cause = exc.__cause__
            raise StoreError(f"the accounts database failed: {type(cause or exc).__name__}") from exc

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one statement in its own transaction; return the affected row count."""
        with self._cursor() as cur:
            cur.execute(statement, tuple(params))
            return cur.rowcount

    def transaction(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Run several statements in one transaction: all of them or none."""
        with self._cursor() as cur:
            for statement, params in statements:
                cur.execute(statement, tuple(params))

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows of one statement (UPDATE/DELETE ... RETURNING commit what they change)."""
        read_only = statement.lstrip()[:6].upper() == "SELECT"
        if read_only:
            try:
                return self.db.query(statement, tuple(params))  # PostgreSQL: one round trip
            except DatabaseError as exc:
                cause = exc.__cause__
                raise StoreError(f"the accounts database failed: {type(cause or exc).__name__}") from exc
        with self._cursor(write=not read_only) as cur:
            cur.execute(statement, tuple(params))
            return cur.fetchall()

    def create_tables(self) -> None:
        with self._cursor() as cur:
            for statement in SCHEMA:
                cur.execute(statement)

    def close(self) -> None:
        self.db.close()
