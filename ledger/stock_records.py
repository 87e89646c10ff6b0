"""Loading a site lot's stock record quickly however many doses it has counted.

A `SiteLotStock` gets one event per dose command, so a lot of 10,000 doses given one at a time has
10,000 events, and replaying them all on every dose made single-dose recording fall from 46 to 6
doses/s after 4,000 doses (measured). The ledger has no snapshots (they would add a query to every
aggregate read), so stock records keep their own: a snapshot store used by this repository only,
written when a loaded record is `EVERY` events past its last snapshot, and an in-memory cache that
reads only the events stored since. Both are caches: a snapshot is written outside the command's
transaction and never exported, and a record without one is replayed in full, with the same result.

A dose's draw is made under the writers' lock (`LockedDraws`, ledger.locked_writes): there the copy
this process knows (`known`) is brought up to date from the events stored after it, with the save's
own cursor, and the updated copy is kept once the transaction committed. So the dose path reads no
stock record before its save (`peek`), and the record's snapshot is taken after the save, every
`EVERY` events.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.persistence import IntegrityError, StoredEvent

from ledger.campaign.stock import SiteLotStock
from ledger.campaign.values import lot_stock_id
from ledger.errors import LotNotAtSite
from ledger.eventstore import reading
from ledger.locked_writes import EventsTable
from ledger.transparency_tree import Run
from ledger.values import Actor

# A snapshot per 100 events: a process that has never seen the record (a worker just started) replays
# at most 100 small events once; every other read starts from the copy in memory (`known`), so more
# frequent snapshots only added a write (one more transaction every 10 doses).
EVERY = 100
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
        self.known: dict[UUID, SiteLotStock] = {}  # record id -> the latest copy this process saw
        self._lock = threading.Lock()  # `known` and `taken` are shared by the web worker's threads

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
        self.remember(found)
        return found

    def peek(self, site_lot_id: UUID) -> SiteLotStock | None:
        """The record as this process last saw it, without reading the store when it has seen it
        (possibly behind: only for a check that the draw under the lock makes again). Shared: read it,
        never change it (`LockedDraws` changes its own clone)."""
        if site_lot_id in self.untracked:
            return None
        with self._lock:
            seen = self.known.get(lot_stock_id(site_lot_id))
        return seen if seen is not None else self.get(site_lot_id)

    def remember(self, record: SiteLotStock, *, owned: bool = False) -> None:
        """Keep a record read or saved as this process's latest copy, if it is newer (a clone, unless
        `owned`: the caller hands it over and never changes it again); write its snapshot every `EVERY`
        events (outside any transaction: a cache)."""
        with self._lock:
            seen = self.known.get(record.id)
            if seen is not None and seen.version >= record.version:
                return
            if len(self.known) > CACHED:
                self.known.clear()
            self.known[record.id] = record if owned else record.clone()
            due = record.version - self.taken.get(record.id, 0) >= EVERY
            if due:
                if len(self.taken) > 100_000:
                    self.taken.clear()
                self.taken[record.id] = record.version
        if due:  # at most one snapshot per EVERY events per process (after a restart, one more)
            # Another process (a web worker) may have written this version's snapshot first: as good.
            with suppress(IntegrityError):
                self.snapshots.put([Snapshot.take(record)])

    def locked(
        self,
        draws: Sequence[tuple[UUID, date]],
        actor: Actor,
        at: datetime,
        read: dict[UUID, SiteLotStock | None],
    ) -> LockedDraws | None:
        """Doses (site lot, day) to draw under the writers' lock (None when no lot has a record);
        `read`: copies the command already holds (any version)."""
        counts: dict[tuple[UUID, date], int] = {}
        for key in draws:
            counts[key] = counts.get(key, 0) + 1
        bases: dict[UUID, SiteLotStock] = {}
        for lot_id, _ in counts:
            if lot_id in bases:
                continue
            base = read[lot_id] if lot_id in read else self.peek(lot_id)
            if base is not None:
                bases[lot_id] = base  # cloned under the lock before it is changed
        wanted = [(lot, day, n) for (lot, day), n in counts.items() if lot in bases]
        return LockedDraws(self, bases, wanted, actor, at) if wanted else None


@dataclass
class LockedDraws:
    """A command's stock draws, made inside its save under the writers' lock (ledger.locked_writes):
    each record is brought to the latest version there, then drawn (refused there if the lot no longer
    holds the doses, which rolls the whole command back)."""

    records: StockRecords
    bases: dict[UUID, SiteLotStock]  # site lot id -> a copy of its record, any version
    draws: list[tuple[UUID, date, int]]  # (site lot id, day, doses)
    actor: Actor
    at: datetime
    made: list[SiteLotStock] = field(default_factory=list)  # the drawn records, once made

    def __call__(self, run: Run, table: EventsTable) -> list[StoredEvent]:
        """Under the lock: read what was stored after each copy, draw, return the events to store."""
        mapper = self.records.app.mapper
        self.made = []
        fresh: dict[UUID, SiteLotStock] = {}
        for lot_id, day, n in self.draws:
            record = fresh.get(lot_id)
            if record is None:
                record = self.bases[lot_id].clone()
                for stored in table.stream_after(run, record.id, record.version):
                    record = cast("SiteLotStock", mapper.to_domain_event(stored).mutate(record))
                if record.site_id != self.bases[lot_id].site_id:  # moved to another site meanwhile
                    raise LotNotAtSite(
                        f"Lot {record.lot_number} is held at another site, not at the site recording this "
                        "dose: pick one of this site's lots, or ask the province to allocate one.",
                        lot_number=record.lot_number,
                    )
                fresh[lot_id] = record
            record.draw(day=day, doses=n, actor=self.actor, at=self.at)
        self.made = list(fresh.values())
        return [mapper.to_stored_event(e) for r in self.made for e in r.collect_events()]

    def now(self) -> list[Aggregate]:
        """The in-memory store (no transaction to draw in): each record read afresh and drawn, to save
        with the command's other aggregates (a conflict is then retried as before)."""
        fresh: dict[UUID, SiteLotStock] = {}
        for lot_id, day, n in self.draws:
            if lot_id not in fresh:
                found = self.records.get(lot_id)
                if found is None:
                    continue
                fresh[lot_id] = found
            fresh[lot_id].draw(day=day, doses=n, actor=self.actor, at=self.at)
        self.made = list(fresh.values())
        return list(self.made)

    def saved(self) -> None:
        """The transaction committed: keep the drawn records as this process's latest copies."""
        for record in self.made:
            self.records.remember(record, owned=True)  # made for this command, not changed again
