"""Following the primary of a replicated PostgreSQL cluster (Patroni decides who it is; we only follow).

libpq tries every host of a multi-host URL and, with `target_session_attrs=read-write`, keeps the one
that accepts writes. When the primary dies, connections break mid-command; `Reconnect.run` runs the
command again against whichever server is primary now, for at most `failover_timeout` seconds, then
raises PrimaryUnavailable. Running a ledger command again is safe: its events and its receipt (keyed
by the idempotency key) commit in one transaction, so a command that did commit before the
connection broke finds its receipt and returns the first result; one that did not is applied once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from eventsourcing.persistence import InterfaceError, OperationalError

from ledger.errors import ConfigurationError, PrimaryUnavailable
from ledger.settings import StoreSettings

T = TypeVar("T")
log = logging.getLogger(__name__)

# SQLSTATEs that mean "this server is not (or no longer) the primary, or is going away": connection
# exceptions (class 08), shutdowns and "starting up" (57P01-57P03), and a write refused on a server
# that became read-only (25006, a demoted primary).
_LOST = ("08", "57P01", "57P02", "57P03", "25006")
# A pool that lost its connections reconnects in the background with exponential backoff (1, 2, 4,
# 8 s ...), while callers wait for a connection (30 s by default). Both are capped so that a caller
# gives up waiting after a few seconds, asks again (which starts a fresh connection attempt), and so
# finds a new primary within a few seconds of its promotion.
POOL_RECONNECT_TIMEOUT = 2.0
POOL_WAIT_TIMEOUT = 3.0


def is_connection_loss(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) says the connection to the primary was lost or refused."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, InterfaceError | OperationalError):
            # SQLite's "database is locked" is an OperationalError too, and not a failover.
            return "sqlite" not in type(seen.__cause__).__module__
        sqlstate = getattr(seen, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_LOST):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _read_only(exc: BaseException) -> bool:
    """True when the failure was a write refused by a read-only server (SQLSTATE 25006)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if getattr(seen, "sqlstate", None) == "25006" or "read-only transaction" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def follow_primary(datastore: Any, settings: StoreSettings) -> None:
    """Make an eventsourcing PostgresDatastore's pool follow the primary: every host, libpq's
    `target_session_attrs` and `connect_timeout` on each new connection, prompt reconnection."""
    pool = datastore.pool
    pool.kwargs.update(
        {k: v for k, v in settings.connection_kwargs().items() if k not in ("password", "user", "dbname")}
    )
    pool.reconnect_timeout = POOL_RECONNECT_TIMEOUT
    pool.timeout = min(pool.timeout, POOL_WAIT_TIMEOUT)


class Reconnect:
    """Runs a command again after a lost connection, until a primary takes it or the bound passes."""

    def __init__(
        self,
        settings: StoreSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.bound = settings.failover_timeout
        self.clock = clock
        self.sleep = sleep
        self.enabled = settings.kind == "postgres"

    def run(self, call: Callable[[], T], what: str) -> T:
        """`call()`, again after each lost connection; PrimaryUnavailable once `bound` seconds passed."""
        if not self.enabled:
            return call()
        deadline: float | None = None
        delay = 0.05
        while True:
            try:
                return call()
            except Exception as exc:
                if not is_connection_loss(exc):
                    raise
                now = self.clock()
                if deadline is None:
                    deadline = now + self.bound
                    log.warning(
                        "%s lost its connection (%s); retrying on the primary for %g s", what, exc, self.bound
                    )
                else:
                    log.debug("%s: no primary yet (%s)", what, exc)
                if now >= deadline:
                    hint = (
                        " (the server reached is a read-only replica: point the URL at the primary, or list "
                        "every server and add target_session_attrs=read-write)"
                        if _read_only(exc)
                        else ""
                    )
                    raise PrimaryUnavailable(
                        f"no primary among {self.settings.addresses} after {self.bound:g} s{hint}: {what} may "
                        "not have been applied; send it again with the same idempotency key "
                        "(it is never applied twice)."
                    ) from exc
                self.sleep(min(delay, deadline - now))
                delay = min(delay * 2, 0.5)


def _role(settings: StoreSettings) -> tuple[bool, float, str]:
    """(in recovery, replay staleness in seconds, "host:port") of the server `settings` reaches."""
    import psycopg  # the ledger's store driver; imported here so SQLite-only use never loads it

    kwargs = settings.connection_kwargs()
    try:
        with psycopg.connect(psycopg.conninfo.make_conninfo(**kwargs), autocommit=True) as conn:
            row = conn.execute(
                "SELECT pg_is_in_recovery(), CASE WHEN NOT pg_is_in_recovery() "
                "OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
            ).fetchone()
            where = f"{conn.info.host}:{conn.info.port}"
    except psycopg.Error as exc:
        raise PrimaryUnavailable(f"cannot reach any of {settings.addresses}: {exc}".strip()) from exc
    assert row is not None
    return bool(row[0]), float(row[1]), where


def check_primary(settings: StoreSettings) -> str:
    """The address of the primary IMMUNIZE_DATABASE_URL reaches, or a ConfigurationError saying what to fix."""
    in_recovery, _, where = _role(settings)
    if in_recovery:
        raise ConfigurationError(
            f"IMMUNIZE_DATABASE_URL reaches {where}, which is a replica (read-only): point it at the "
            "primary, or list every server and add target_session_attrs=read-write."
        )
    return where


def check_replica(settings: StoreSettings) -> float:
    """How stale (seconds) the replica IMMUNIZE_REPLICA_URL reaches is; a ConfigurationError if it
    reaches a primary (reads would then load the primary the replica is there to spare)."""
    in_recovery, staleness, where = _role(settings)
    if not in_recovery:
        raise ConfigurationError(
            f"IMMUNIZE_REPLICA_URL reaches {where}, which is a primary, not a replica: point it at a "
            "replica, or list the servers and add target_session_attrs=standby."
        )
    return staleness
