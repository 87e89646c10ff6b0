"""The running service's checkpointer: signs a checkpoint every 10,000 events and every 60 s while events arrive.

It watches the committed tree head (one indexed row, read once a second) and signs only when the
tree has grown: at each multiple of 10,000 leaves, and at the current size once 60 seconds have
passed since the last checkpoint. Everything it needs is in the database, so several instances (or
a new primary after a failover) agree: checkpoints are keyed by tree size and never rewritten.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ledger.settings import StoreSettings
from projections.audit.auditkey import AuditKey
from projections.audit.database import Database
from projections.audit.tree import (
    CHECKPOINT_INTERVAL,
    CHECKPOINT_PERIOD,
    head,
    latest_checkpoint,
    make_checkpoints,
)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Checkpointer:
    """Signs checkpoints as the log grows (a daemon thread); `step` is the unit tests drive by hand."""

    def __init__(
        self,
        settings: StoreSettings,
        key: AuditKey,
        *,
        interval: int = CHECKPOINT_INTERVAL,
        period: timedelta = CHECKPOINT_PERIOD,
        clock: Callable[[], datetime] = _utc_now,
        poll: float = 1.0,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.settings = settings
        self.key = key
        self.interval = interval
        self.period = period
        self.clock = clock
        self.poll = poll
        self.on_error = on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._signed_size = -1

    def sign_now(self) -> int:
        """Sign the current tree on demand; returns its size (0 for an empty ledger)."""
        with Database(self.settings) as db:
            if head(db).size == 0:
                return 0
            run = make_checkpoints(db, self.key, self.clock(), on_demand=True, interval=self.interval)
        self._signed_size = run.latest.tree_size if run.latest else 0
        return self._signed_size

    def step(self, db: Database) -> int:
        """One look at the tree: sign what is due; returns how many checkpoints were signed."""
        size = head(db).size
        if size == self._signed_size:
            return 0
        latest = latest_checkpoint(db)
        done = latest.tree_size if latest else 0
        if size == done:
            self._signed_size = size
            return 0
        due = size // self.interval > done // self.interval or (
            latest is None or self.clock() - datetime.fromisoformat(latest.signed_at) >= self.period
        )
        if not due:
            return 0
        run = make_checkpoints(
            db, self.key, self.clock(), on_demand=False, interval=self.interval, period=self.period
        )
        return len(run.signed)

    def _loop(self) -> None:
        db: Database | None = None
        while not self._stop.wait(self.poll):
            try:
                if db is None:
                    db = Database(self.settings)
                self.step(db)
            except Exception as exc:  # keep the service running; say what happened, reconnect next time
                if self.on_error is not None:
                    self.on_error(exc)
                if db is not None:
                    db.close()
                    db = None
        if db is not None:
            db.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="transparency-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def start_checkpointer(settings: StoreSettings, say: Callable[[str], None]) -> Checkpointer | None:
    """The running service's checkpointer, when this installation has an audit key (never created here).

    The key comes from IMMUNIZE_KEY_DIR, decrypted with IMMUNIZE_KEY_PASSPHRASE (the development one for
    a development key store); without a usable key the service runs on and says why once.
    """
    from keys.errors import KeysError
    from keys.settings import key_dir_from_environment, passphrase_from_environment
    from keys.store import KeyStore
    from projections.audit.auditkey import private_key_path
    from projections.audit.errors import AuditError

    key_dir = key_dir_from_environment()
    if settings.kind == "memory" or not private_key_path(key_dir).exists():
        say("transparency log: no audit key here, checkpoints are not signed by this process")
        return None
    try:
        keystore = KeyStore(key_dir)
        development = keystore.exists() and keystore.manifest().development
        key = AuditKey.load(key_dir, passphrase_from_environment(development=development))
    except (KeysError, AuditError) as exc:
        say(f"transparency log: checkpoints are not signed by this process: {exc}")
        return None
    checkpointer = Checkpointer(settings, key, on_error=lambda exc: say(f"transparency log: {exc}"))
    checkpointer.start()
    say("transparency log: a checkpoint is signed every 10,000 events and every 60 s while events arrive")
    return checkpointer
