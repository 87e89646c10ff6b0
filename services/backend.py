"""What the use cases work on: the ledger, the projections' views, the key directory, the read side
(services.read_side: sites, lots, people, phones and UCIs, all from the projections' views).

The web holds one Backend per process (web.platform opens it lazily); the CLI builds one per command.
Services take the Backend, or only the ledger when that is all a use case needs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ledger.application import Ledger
from ledger.reference import Reference
from ledger.settings import StoreSettings
from projections.store import ViewStore
from services.read_side import ReadSide


@dataclass
class Caches:
    """Per-process caches of derived bytes (never of personal data outside the rendered certificate)."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    rendered: dict[tuple[str, str], tuple[bytes, str]] = field(default_factory=dict)
    trust_list: tuple[datetime, bytes] | None = None
    revocation_list: tuple[datetime, int, list[str], bytes] | None = None
    revoked_hashes: tuple[int, frozenset[bytes]] | None = None


@dataclass
class Backend:
    """The ledger, the views, the keys and the read side one process serves."""

    store: StoreSettings
    key_dir: Path
    ledger: Ledger
    views: ViewStore
    read: ReadSide
    phone_key: Callable[[str], str] | None = None
    caches: Caches = field(default_factory=Caches)
    # A replica's copy of the views for read-only public pages (IMMUNIZE_REPLICA_URL), and how many
    # seconds its replay is behind the primary (shown on the page).
    public_views: ViewStore | None = None
    replica_staleness: Callable[[], float] | None = None

    @property
    def reference(self) -> Reference:
        return self.ledger.reference
