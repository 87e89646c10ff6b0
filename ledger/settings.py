"""One setting chooses the store: IMMUNIZE_DATABASE_URL, mapped here onto eventsourcing's settings.

    memory://                                         in memory (tests, throwaway demos)
    sqlite:///path/to/ledger.db                       a SQLite file (the default: ./var/ledger.db)
    postgresql://user:password@host:port/dbname       PostgreSQL through psycopg
    postgresql://user:password@h1:p1,h2:p2,h3:p3/dbname?target_session_attrs=read-write
                                                      a replicated cluster (Patroni): libpq tries the
                                                      hosts in turn and keeps the one that is primary

Query parameters: `pool_size`, `schema`; libpq's `target_session_attrs` and `connect_timeout`
(seconds per host); `failover_timeout` (seconds a command keeps retrying against a new primary after
a lost connection, default 30). IMMUNIZE_REPLICA_URL (same form, optional) is where read-only pages
read from; it must name a replica (or use target_session_attrs=standby).

Users never set PERSISTENCE_MODULE and friends by hand.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ledger.errors import ConfigurationError

DEFAULT_VAR_DIR = Path("var")
DATABASE_URL_VARIABLE = "IMMUNIZE_DATABASE_URL"
REPLICA_URL_VARIABLE = "IMMUNIZE_REPLICA_URL"
DEFAULT_FAILOVER_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 5
# libpq's values (PostgreSQL 14+); "standby" is what a replica URL should say.
SESSION_ATTRS = ("any", "read-write", "read-only", "primary", "standby", "prefer-standby")


def default_database_url(var_dir: Path = DEFAULT_VAR_DIR) -> str:
    return f"sqlite:///{var_dir / 'ledger.db'}"


SQLITE_FILE_MODE = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def prepare_sqlite_file(path: Path) -> None:
    """Create the SQLite file (and its directory) readable by the owner only (issue 12, item 11).

    SQLite gives its -wal and -shm files the mode of the database file, so creating that one 0600
    before SQLite does covers them; files made by an earlier version are tightened here too.

    An existing database is never opened here: closing any descriptor of a file drops every POSIX
    lock this process holds on it (fcntl semantics, sqlite.org/howtocorrupt.html 2.2), including
    the locks of a connection that is already open in this process (a Ledger beside a
    LedgerReader, the projections runner beside its audit signer). Another process then believes
    it is the database's last user, checkpoints and deletes the -wal under a live writer, and the
    file ends up "not a database". A new file is made under a private name and linked into place,
    so no descriptor of the real file is ever closed. chmod opens nothing and takes no lock.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _create_private_file(path)
        for suffix in SQLITE_COMPANIONS:
            companion = path.with_name(path.name + suffix)
            if companion.exists() and (companion.stat().st_mode & 0o777) != SQLITE_FILE_MODE:
                os.chmod(companion, SQLITE_FILE_MODE)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot create the database file {path}: {exc.strerror}; choose a writable IMMUNIZE_DATABASE_URL"
        ) from exc


def _create_private_file(path: Path) -> None:
    """An empty file at `path`, mode 0600, unless another process or thread made one first."""
    staging = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.new")
    descriptor = os.open(staging, os.O_RDWR | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE)
    os.close(descriptor)  # nobody else knows this name, so no lock of anyone's is dropped
    try:
        os.link(staging, path)  # atomic, and refuses to replace a file that appeared meanwhile
    except FileExistsError:
        pass
    except OSError:
        # A file system without hard links: create it in place, never touching one that appeared.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE))
    finally:
        os.unlink(staging)


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
    # Every (host, port) of a multi-host URL, in order; `host`/`port` are the first of them.
    hosts: tuple[tuple[str, int], ...] = ()
    target_session_attrs: str = ""
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT
    failover_timeout: float = DEFAULT_FAILOVER_TIMEOUT

    @property
    def addresses(self) -> str:
        """The server addresses, `a:1, b:2, c:3`, for messages."""
        return ", ".join(f"{h}:{p}" for h, p in (self.hosts or ((self.host, self.port),)))

    @property
    def redacted_url(self) -> str:
        """The URL with the password hidden, fit for logs and messages."""
        if self.kind != "postgres":
            return self.url
        netloc = ",".join(f"{h}:{p}" for h, p in (self.hosts or ((self.host, self.port),)))
        query = f"?target_session_attrs={self.target_session_attrs}" if self.target_session_attrs else ""
        return f"postgresql://{self.user}:***@{netloc}/{self.dbname}{query}"

    @property
    def libpq_host(self) -> str:
        """libpq's `host`: one host, or a comma-separated list tried in turn."""
        return ",".join(h for h, _ in self.hosts) if self.hosts else self.host

    @property
    def libpq_port(self) -> str:
        """libpq's `port`, one per host."""
        return ",".join(str(p) for _, p in self.hosts) if self.hosts else str(self.port)

    def connection_kwargs(self) -> dict[str, str]:
        """Keyword arguments for `psycopg.connect` (and eventsourcing's pool): every host, and what a
        session must be (`read-write` follows the primary)."""
        kwargs = {
            "host": self.libpq_host,
            "port": self.libpq_port,
            "user": self.user,
            "password": self.password,
            "dbname": self.dbname,
            "connect_timeout": str(self.connect_timeout),
        }
        if self.target_session_attrs:
            kwargs["target_session_attrs"] = self.target_session_attrs
        return kwargs

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
            "POSTGRES_HOST": self.libpq_host,
            "POSTGRES_PORT": self.libpq_port,
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_POOL_SIZE": str(self.pool_size),
        }
        if self.schema:
            env["POSTGRES_SCHEMA"] = self.schema
        return env


def _split_hosts(netloc: str, variable: str) -> tuple[str, str, tuple[tuple[str, int], ...]]:
    """`user:password@h1:p1,h2,h3:p3` -> (user, password, ((h1, p1), (h2, 5432), (h3, p3)))."""
    userinfo, _, hostlist = netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    hosts: list[tuple[str, int]] = []
    for item in hostlist.split(","):
        host, sep, port_text = item.strip().rpartition(":") if ":" in item else (item.strip(), "", "")
        if not host or (sep and not port_text.isdigit()) or (sep and not 0 < int(port_text) < 65536):
            raise ConfigurationError(
                f"{variable} has a host list {hostlist!r} that is not host:port,host:port,...: "
                "write it like postgresql://user:password@db1:5432,db2:5432,db3:5432/dbname"
            )
        hosts.append((host, int(port_text) if sep else 5432))
    return unquote(user), unquote(password), tuple(hosts)


def parse_database_url(url: str, variable: str = DATABASE_URL_VARIABLE) -> StoreSettings:
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
            raise ConfigurationError(f"{variable} {url!r} names no SQLite file: use sqlite:///var/ledger.db")
        return StoreSettings(url=url, kind="sqlite", sqlite_path=path)
    if scheme in ("postgresql", "postgres"):
        dbname = parts.path.lstrip("/")
        if not parts.netloc.rpartition("@")[2] or not dbname:
            raise ConfigurationError(f"{variable} must look like postgresql://user:password@host:port/dbname")
        if "," not in parts.netloc:
            try:
                _ = parts.port
            except ValueError as exc:
                raise ConfigurationError(f"{variable} has a port or pool_size that is not a number") from exc
        user, password, hosts = _split_hosts(parts.netloc, variable)
        query = parse_qs(parts.query)
        try:
            pool_size = int(query.get("pool_size", ["5"])[0])
            connect_timeout = int(query.get("connect_timeout", [str(DEFAULT_CONNECT_TIMEOUT)])[0])
            failover_timeout = float(query.get("failover_timeout", [str(DEFAULT_FAILOVER_TIMEOUT)])[0])
        except ValueError as exc:
            raise ConfigurationError(
                f"{variable} has a pool_size, connect_timeout or failover_timeout that is not a number"
            ) from exc
        if not (0 < failover_timeout <= 3600 and 0 < connect_timeout <= 600):
            raise ConfigurationError(
                f"{variable} has a failover_timeout or connect_timeout out of range: "
                "use seconds, e.g. failover_timeout=30&connect_timeout=5"
            )
        attrs = query.get("target_session_attrs", [""])[0]
        if attrs and attrs not in SESSION_ATTRS:
            raise ConfigurationError(
                f"{variable} has target_session_attrs={attrs!r}: use one of {', '.join(SESSION_ATTRS)}"
            )
        return StoreSettings(
            url=url,
            kind="postgres",
            host=hosts[0][0],
            port=hosts[0][1],
            user=user,
            password=password,
            dbname=dbname,
            schema=query.get("schema", [""])[0],
            pool_size=pool_size,
            hosts=hosts if len(hosts) > 1 else (),
            target_session_attrs=attrs,
            connect_timeout=connect_timeout,
            failover_timeout=failover_timeout,
        )
    raise ConfigurationError(
        f"{variable} {url!r} is not understood: use sqlite:///path/ledger.db, "
        "postgresql://user:password@host:port/dbname or memory://"
    )


def store_settings(environ: Mapping[str, str] | None = None) -> StoreSettings:
    """The store chosen by the environment (IMMUNIZE_DATABASE_URL), SQLite under ./var by default."""
    environ = os.environ if environ is None else environ
    return parse_database_url(environ.get(DATABASE_URL_VARIABLE) or default_database_url())


def replica_settings(environ: Mapping[str, str] | None = None) -> StoreSettings | None:
    """Where read-only pages read (IMMUNIZE_REPLICA_URL), or None: then they read the primary."""
    environ = os.environ if environ is None else environ
    url = environ.get(REPLICA_URL_VARIABLE, "").strip()
    if not url:
        return None
    settings = parse_database_url(url, REPLICA_URL_VARIABLE)
    if settings.kind != "postgres":
        raise ConfigurationError(
            f"{REPLICA_URL_VARIABLE} must be a PostgreSQL replica (postgresql://...), not {settings.kind}"
        )
    return settings
