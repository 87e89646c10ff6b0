"""What one web process serves, opened on first use: the ledger, the projections' views, the key
directory and the read side (the views; the phone index keyed with the web's key). The pages and the
API call services.* with `platform.backend`.

A web request never replays the log into a view (after a new view version or a new web key a view is
empty again, and replaying a large store takes minutes): `prepare` brings every view up to date before
the server accepts requests (`immunize serve`), and a request that finds the views further behind than
it may apply (projections.runner.ViewsBehind) starts `catch_up_in_background` and is answered 503 with
Retry-After until it is done.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from ledger.application import Ledger
from ledger.failover import check_replica
from ledger.settings import StoreSettings
from projections.projection import ViewKeys
from projections.registry import catch_up_views, view_classes
from projections.store import ViewStore, open_view_store
from services.backend import Backend
from services.read_side import ReadSide, phone_view_keys


class Platform:
    """Holds the ledger, the views, the key directory and the read side (built once, on first use)."""

    def __init__(
        self,
        store: StoreSettings,
        key_dir: Path,
        *,
        ledger: Ledger | None = None,
        views: ViewStore | None = None,
        phone_key: Callable[[str], str] | None = None,
        replica: StoreSettings | None = None,
        followed: bool = False,
    ) -> None:
        self.store, self.key_dir, self.phone_key = store, key_dir, phone_key
        self.followed = followed  # a follower process keeps the read views at the head (read_side)
        self.replica = replica  # IMMUNIZE_REPLICA_URL: the public statistics read there
        self._ledger, self._views = ledger, views
        self._backend: Backend | None = None
        self._lock = threading.RLock()
        self.catching_up: threading.Thread | None = None  # the background catch-up, while it runs

    @property
    def backend(self) -> Backend:
        with self._lock:
            if self._backend is None:
                if self._ledger is None:
                    self._ledger = Ledger(self.store.url, key_dir=self.key_dir)
                if self._views is None:
                    self._views = open_view_store(self.store)
                keys = self.view_keys
                for view_class in view_classes(keyed=keys is not None):
                    # Empty views read as zeros; a view of another version or key is rebuilt here.
                    view_class.recorder(self._views, keys).create_table()
                read = ReadSide(self._ledger, self._views, keys, followed=self.followed)
                self._backend = Backend(
                    self.store, self.key_dir, self._ledger, self._views, read, self.phone_key
                )
                if self.replica is not None:
                    replica = self.replica
                    check_replica(replica)  # a primary given as the replica is refused, clearly
                    self._backend.public_views = open_view_store(replica)
                    self._backend.replica_staleness = lambda: check_replica(replica)
            return self._backend

    def prepare(self, say: Callable[[str], None]) -> int:
        """Open everything and bring every view up to the log's head (a view of another version or key
        is rebuilt here), saying how far it got; return the events applied. Run before serving."""
        backend = self.backend
        head = backend.ledger.recorder.max_notification_id() or 0
        say(f"read side: bringing the views up to the log's head ({head:,} events)…")
        started = last = time.monotonic()

        def report(position: int, applied: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= 5.0:  # a line every few seconds on a large store
                last = now
                say(f"read side: {position:,} of {head:,} ({100 * position // max(head, 1)}%)")

        applied = catch_up_views(backend.ledger, backend.views, keys=self.view_keys, progress=report)
        backend.read.refresh()  # the read side knows it is at the head: the first page applies nothing
        say(f"read side: ready ({applied:,} events applied in {time.monotonic() - started:.1f} s)")
        return applied

    def catch_up_in_background(self, say: Callable[[str], None]) -> threading.Thread:
        """Start `prepare` in a thread unless one runs (requests meanwhile are answered 503)."""
        with self._lock:
            if self.catching_up is None or not self.catching_up.is_alive():

                def run() -> None:
                    try:
                        self.prepare(say)
                    except Exception as exc:  # the next request that finds the views behind starts again
                        say(f"read side: bringing the views up to date failed ({type(exc).__name__})")
                    finally:
                        with self._lock:
                            self.catching_up = None

                self.catching_up = threading.Thread(target=run, name="read-side-catch-up", daemon=True)
                self.catching_up.start()
            return self.catching_up

    @property
    def view_keys(self) -> ViewKeys | None:
        """The keys of the keyed views (the phone index: the web's HMAC of each stored number)."""
        return phone_view_keys(self.phone_key)

    @property
    def ledger(self) -> Ledger:
        return self.backend.ledger

    @property
    def views(self) -> ViewStore:
        return self.backend.views

    @property
    def read(self) -> ReadSide:
        return self.backend.read
