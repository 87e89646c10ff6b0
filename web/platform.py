"""What one web process serves, opened on first use: the ledger, the projections' views, the key
directory and the read side. The pages and the API call services.* with `platform.backend`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from ledger.application import Ledger
from ledger.errors import PhoneInvalid
from ledger.failover import check_replica
from ledger.phone import normalise_phone
from ledger.settings import StoreSettings
from projections.registry import view_classes
from projections.store import ViewStore, open_view_store
from services.backend import Backend
from web.directory import Directory
from web.store import SqlStore


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
        tables: SqlStore | None = None,
        replica: StoreSettings | None = None,
    ) -> None:
        self.store, self.key_dir, self.phone_key = store, key_dir, phone_key
        self.replica = replica  # IMMUNIZE_REPLICA_URL: the public statistics read there
        self._ledger, self._views, self._tables = ledger, views, tables
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
                    for view_class in view_classes():
                        view_class.recorder(self._views).create_table()  # empty views read as zeros
                tables = self._tables or SqlStore(self.store)
                read = Directory(self._ledger, self._index_key, tables)
                self._backend = Backend(
                    self.store, self.key_dir, self._ledger, self._views, read, self.phone_key
                )
                if self.replica is not None:
                    replica = self.replica
                    check_replica(replica)  # a primary given as the replica is refused, clearly
                    self._backend.public_views = open_view_store(replica)
                    self._backend.replica_staleness = lambda: check_replica(replica)
            return self._backend

    def _index_key(self, phone: str) -> str | None:
        """The phone index's key of a stored number (one normaliser: numbers stored before it count too)."""
        try:
            national = normalise_phone(phone)
        except PhoneInvalid:
            return None
        return self.phone_key(national) if self.phone_key else None

    @property
    def ledger(self) -> Ledger:
        return self.backend.ledger

    @property
    def views(self) -> ViewStore:
        return self.backend.views

    @property
    def directory(self) -> Directory:
        read = self.backend.read
        assert isinstance(read, Directory)
        return read
