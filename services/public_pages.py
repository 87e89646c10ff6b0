"""What a public page's cache asks before recomputing: has the view it is drawn from moved?

The web layer renders the public pages at most once per interval; between two renderings it only
asks for a view's position here (one indexed row), never recomputes the page.
"""

from __future__ import annotations

from projections.statistics import Statistics
from services.backend import Backend


def statistics_position(backend: Backend) -> tuple[int, int]:
    """The position the public statistics were last brought to, and (with a replica) how many whole
    seconds the replica is behind: the page shows that figure, so it is part of the version.

    A replica that cannot be read gives (-1, the primary's position): the page then falls back to the
    primary, as `dashboards.statistics` does, and follows the primary's view meanwhile."""
    if backend.public_views is not None and backend.replica_staleness is not None:
        try:
            behind = int(backend.replica_staleness())
            position = Statistics.recorder(backend.public_views).max_tracking_id(backend.ledger.name) or 0
        except Exception:  # the replica is away or was promoted (any driver error): the primary answers
            return (-1, _position(backend))
        return (position, behind)
    return (_position(backend), 0)


def _position(backend: Backend) -> int:
    return Statistics.recorder(backend.views).max_tracking_id(backend.ledger.name) or 0


def ledger_head(backend: Backend) -> int:
    """The ledger's last position (a revocation list changes only when the ledger moved)."""
    return backend.ledger.recorder.max_notification_id() or 0
