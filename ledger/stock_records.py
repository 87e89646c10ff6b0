"""Loading a site lot's stock record quickly however many doses it has counted.

A `SiteLotStock` gets one event per dose command, so a lot of 10,000 doses given one at a time has
10,000 events, and replaying them all on every dose made single-dose recording fall from 46 to 6
doses/s after 4,000 doses (measured). The ledger has no snapshots (they would add a query to every
aggregate read), so stock records keep their own: a snapshot store used by this repository only,
written when a loaded record is `EVERY` events past its last snapshot, and an in-memory cache that
reads only the events stored since. Both are caches: a snapshot is written outside the command's
transaction and never exported, and a record without one is replayed in full, with the same result.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import IntegrityError

from ledger.campaign.stock import SiteLotStock
from ledger.campaign.values import lot_stock_id
from ledger.eventstore import reading

EVERY = 10
CACHED = 5_000  # records kept in memory (a province's busy lots)


class StockRecords:
    """Stock records read through their own snapshots (one per ledger application)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        recorder = app.factory.aggregate_recorder(purpose="snapshots")
        self.snapshots = app.factory.event_store(mapper=app.mapper, recorder=recorder)
        # A cached record is brought up to date with the events stored after it (one query: other
        # processes' draws included), then copied, so a refused command leaves the cache as it was.
        self.repository: Repository[UUID] = Repository(
            event_store=app.events,
            snapshot_store=self.snapshots,
            cache_maxsize=CACHED,
            fastforward=True,
            deepcopy_from_cache=True,
        )
        self.untracked: set[UUID] = set()  # lots received at a site: no stock record, ever
        self.taken: dict[UUID, int] = {}  # record id -> version of the last snapshot this process wrote

    def get(self, site_lot_id: UUID) -> SiteLotStock | None:
        """The stock record of a site lot (None for a lot received straight at a site), read afresh."""
        if site_lot_id in self.untracked:
            return None
        record_id = lot_stock_id(site_lot_id)
        try:
            with reading():
                found: Any = self.repository.get(record_id)
        except AggregateNotFoundError:
            if len(self.untracked) > 100_000:
                self.untracked.clear()
            self.untracked.add(site_lot_id)
            return None
        if not isinstance(found, SiteLotStock):
            return None
        # At most one snapshot per EVERY events per process (after a restart, one more than needed).
        if found.version - self.taken.get(record_id, 0) >= EVERY:
            # Another process (a web worker) may have written this version's snapshot first: as good.
            with suppress(IntegrityError):
                self.snapshots.put([Snapshot.take(found)])
            if len(self.taken) > 100_000:
                self.taken.clear()
            self.taken[record_id] = found.version
        return found
