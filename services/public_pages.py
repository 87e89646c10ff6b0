"""What a public page's cache asks before recomputing: has the view it is drawn from moved?

The web layer renders the public pages at most once per interval; between two renderings it only
asks for a view's position here (one indexed row), never recomputes the page.
"""

from __future__ import annotations

from projections.statistics import Statistics
from services.backend import Backend


def statistics_position(backend: Backend) -> int:
    """The position the public statistics were last brought to (the replica's copy when configured)."""
    views = backend.public_views if backend.public_views is not None else backend.views
    return Statistics.recorder(views).max_tracking_id(backend.ledger.name) or 0


def ledger_head(backend: Backend) -> int:
    """The ledger's last position (a revocation list changes only when the ledger moved)."""
    return backend.ledger.recorder.max_notification_id() or 0
