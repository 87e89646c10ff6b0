"""One setting chooses the store: IMMUNIZE_DATABASE_URL, mapped here onto eventsourcing's settings.

    memory://                                         in memory (tests, throwaway demos)
    sqlite:///path/to/ledger.db                       a SQLite file (the default: ./var/ledger.db)
    postgresql://user:password@host:port/dbname       PostgreSQL through psycopg

Users never set PERSISTENCE_MODULE and friends by hand.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ledger.errors import ConfigurationError

DEFAULT_VAR_DIR = Path("var")
DATABASE_URL_VARIABLE = "IMMUNIZE_DATABASE_URL"


def default_database_url(var_dir: Path = DEFAULT_VAR_DIR) -> str:
    return f"sqlite:///{var_dir / 'ledger.db'}"


SQLITE_FILE_MODE = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def prepare_sqlite_file(path: Path) -> None:
    """Create the SQLite file (and its directory) readable by the owner only (issue 12, item 11).

    SQLite gives its -wal and -shm files the mode of the database file, so creating that one 0600
    before SQLite does covers them; files made by an earlier version are tightened here too.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, SQLITE_FILE_MODE)
        os.close(descriptor)
        for suffix in SQLITE_COMPANIONS:
            companion = path.with_name(path.name + suffix)
            if companion.exists() and (companion.stat().st_mode & 0o777) != SQLITE_FILE_MODE:
                os.chmod(companion, SQLITE_FILE_MODE)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot create the database file {path}: {exc.strerror}; choose a writable IMMUNIZE_DATABASE_URL"
        ) from exc


@dataclass(frozen=True)
class StoreSettings:
    """Where the ledger lives, parsed from a database URL."""

    url: str
    kind: str  # "memory", "sqlite" or "postgres"
    sqlite_path: Path | None = None
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    dbname: str = ""
    schema: str = ""
    pool_size: int = 5

    @property
    def redacted_url(self) -> str:
        """The URL with the password hidden, fit for logs and messages."""
        if self.kind != "postgres":
            return self.url
        return f"postgresql://{self.user}:***@{self.host}:{self.port}/{self.dbname}"

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing settings for this store."""
        if self.kind == "memory":
            return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        if self.kind == "sqlite":
            assert self.sqlite_path is not None
            return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(self.sqlite_path)}
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_POOL_SIZE": str(self.pool_size),
        }
        if self.schema:
            env["POSTGRES_SCHEMA"] = self.schema
        return env


def parse_database_url(url: str) -> StoreSettings:
    """Parse a database URL, or say in one sentence what is wrong with it."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "memory":
        return StoreSettings(url=url, kind="memory")
    if scheme == "sqlite":
        raw_path = unquote(parts.path)
        # sqlite:///relative/path and sqlite:////absolute/path, as in SQLAlchemy.
        path = Path(raw_path[1:])
        if not raw_path[1:]:
            raise ConfigurationError(
                f"{DATABASE_URL_VARIABLE} {url!r} names no SQLite file: use sqlite:///var/ledger.db"
            )
        return StoreSettings(url=url, kind="sqlite", sqlite_path=path)
    if scheme in ("postgresql", "postgres"):
        dbname = parts.path.lstrip("/")
        if not parts.hostname or not dbname:
            raise ConfigurationError(
                f"{DATABASE_URL_VARIABLE} must look like postgresql://user:password@host:port/dbname"
            )
        query = parse_qs(parts.query)
        try:
            port = parts.port or 5432
            pool_size = int(query.get("pool_size", ["5"])[0])
        except ValueError as exc:
            raise ConfigurationError(
                f"{DATABASE_URL_VARIABLE} has a port or pool_size that is not a number"
            ) from exc
        return StoreSettings(
            url=url,
            kind="postgres",
            host=parts.hostname,
            port=port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            dbname=dbname,
            schema=query.get("schema", [""])[0],
            pool_size=pool_size,
        )
    raise ConfigurationError(
        f"{DATABASE_URL_VARIABLE} {url!r} is not understood: use sqlite:///path/ledger.db, "
        "postgresql://user:password@host:port/dbname or memory://"
    )


def store_settings(environ: Mapping[str, str] | None = None) -> StoreSettings:
    """The store chosen by the environment (IMMUNIZE_DATABASE_URL), SQLite under ./var by default."""
    environ = os.environ if environ is None else environ
    return parse_database_url(environ.get(DATABASE_URL_VARIABLE) or default_database_url())
