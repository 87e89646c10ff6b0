"""What one web process serves, opened on first use: the ledger, the projections' views, the key
directory and the read side (the views; the phone index keyed with the web's key). The pages and the
API call services.* with `platform.backend`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from ledger.application import Ledger
from ledger.failover import check_replica
from ledger.settings import StoreSettings
from projections.projection import ViewKeys
from projections.registry import view_classes
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
    ) -> None:
        self.store, self.key_dir, self.phone_key = store, key_dir, phone_key
        self.replica = replica  # IMMUNIZE_REPLICA_URL: the public statistics read there
        self._ledger, self._views = ledger, views
        self._backend: Backend | None = None
        self._lock = threading.RLock()

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
                read = ReadSide(self._ledger, self._views, keys)
                self._backend = Backend(
                    self.store, self.key_dir, self._ledger, self._views, read, self.phone_key
                )
                if self.replica is not None:
                    replica = self.replica
                    check_replica(replica)  # a primary given as the replica is refused, clearly
                    self._backend.public_views = open_view_store(replica)
                    self._backend.replica_staleness = lambda: check_replica(replica)
            return self._backend

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
