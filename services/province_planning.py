"""Planning one day for every site of a province in one run (`immunize plan province`).

Planning site by site reads the queue, books and catches the views up once per site; at a
province's scale (hundreds of sites, hundreds of thousands of registrations) those round trips are
most of the time. Here the views are caught up once, the province's whole queue, stock, open plans
and busy people are read in a few indexed queries, the pure planner fills each site in turn (one
shared set of people already booked, so nobody gets two places), and the bookings are written
through `Ledger.book_days`, a few dozen sites per transaction. Each site-day is still its own
`DayPlan` aggregate with its own rules, and the ledger re-checks every booking against the
registrations. The idempotency key of each batch is derived from what it books, so a retried run
writes nothing twice and planning the same day again with nothing new writes nothing.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger.application import Ledger
from ledger.campaign import permissions as campaign_permissions
from ledger.campaign.errors import SiteClosed
from ledger.campaign.planning import (
    CAPACITY_FULL,
    NO_STOCK,
    SITE_CLOSED,
    Booking,
    Candidate,
    SessionPlaces,
    WaitingGroup,
    plan_day,
)
from ledger.campaign.sites import SiteSchedule
from ledger.campaign.values import allowed_products, check_day, extra_wait_days, schedule_id
from ledger.values import Actor
from projections import plan_queries, queue_queries, site_queries, site_stock_queries
from projections.store import ViewStore

SITES_PER_BATCH = 4  # about 1,600 appointments (3,200 events) per transaction at 2 x 200


@dataclass(frozen=True)
class SiteDay:
    """One site's result in a province run."""

    site_id: str
    name: str
    status: str  # "planned", "closed" (not open that day, paused, or the day closed), "no_stock"
    capacity: int
    taken: int  # places held after this run
    booked_now: int
    waiting: int  # due people of the site's area still without a place
    reasons: tuple[WaitingGroup, ...] = ()  # why they wait (counts add up to `waiting`)

    def as_json(self) -> dict[str, Any]:
        """{"site_id", "name", "status", "capacity", "taken", "booked_now", "waiting", "waiting_reasons"}."""
        return {
            "site_id": self.site_id,
            "name": self.name,
            "status": self.status,
            "capacity": self.capacity,
            "taken": self.taken,
            "booked_now": self.booked_now,
            "waiting": self.waiting,
            "waiting_reasons": [g.as_json() for g in self.reasons],
        }


@dataclass(frozen=True)
class ProvinceDay:
    """A province's day after planning: every site, and the totals."""

    province: str
    date: str
    sites: list[SiteDay]

    @property
    def booked_now(self) -> int:
        """Appointments (and appointment messages) written by this run."""
        return sum(s.booked_now for s in self.sites)

    def as_json(self) -> dict[str, Any]:
        """{"province", "date", "booked_now", "taken", "capacity", "sites": [...]}."""
        return {
            "province": self.province,
            "date": self.date,
            "booked_now": self.booked_now,
            "taken": sum(s.taken for s in self.sites),
            "capacity": sum(s.capacity for s in self.sites),
            "sites": [s.as_json() for s in self.sites],
        }


def _key(*parts: object) -> str:
    return "campaign:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def plan_province(
    ledger: Ledger,
    store: ViewStore,
    refresh: Callable[[], None],
    province: str,
    day: date | str,
    *,
    actor: Actor,
    sites_per_batch: int = SITES_PER_BATCH,
    workers: int = 1,
) -> ProvinceDay:
    """Plan `day` at every campaign site of `province` (see the module's docstring); with `workers`
    > 1 the batches are written by that many processes at once (see `_write`)."""
    code = ledger.reference.province(province).code
    # A province officer of this province (or an administrator), before anything is read: when every site
    # is full nothing reaches the ledger's own check, and the day's plans were shown to anyone.
    campaign_permissions.require_site_manager(actor, code)
    the_day = check_day(day, ledger.today())
    refresh()
    sites = site_queries.sites(store, province=code)
    schedules = ledger.many(SiteSchedule, [schedule_id(UUID(s.site_id)) for s in sites])
    existing = plan_queries.plans_of_day(store, the_day)
    full = _all_full(store, sites, schedules, existing, code, the_day, ledger.today())
    if full is not None:
        return ProvinceDay(code, the_day.isoformat(), full)
    by_site: dict[str, list[Candidate]] = {}
    by_ward: dict[str, list[Candidate]] = {}
    for preferred, ward, candidate in queue_queries.province_candidates(store, code, the_day):
        if preferred is not None:
            by_site.setdefault(preferred, []).append(candidate)
        else:
            by_ward.setdefault(ward, []).append(candidate)
    stock: dict[str, dict[str, int]] = {}
    for row in site_stock_queries.stock(store, the_day, today=ledger.today()):
        stock.setdefault(row.site_id, {})[row.product] = row.free
    busy = queue_queries.busy_on(store, the_day)
    reference = ledger.reference
    cache: dict[str | None, tuple[str, ...]] = {}

    def allowed(previous: str | None) -> tuple[str, ...]:
        if previous not in cache:
            cache[previous] = allowed_products(previous, reference)
        return cache[previous]

    results: list[SiteDay] = []
    to_book: list[tuple[UUID, tuple[Booking, ...]]] = []
    keys: list[tuple[object, ...]] = []
    for site in sites:
        schedule = schedules.get(schedule_id(UUID(site.site_id)))
        planned = existing.get(site.site_id)
        capacity = sum(int(s["capacity"]) for s in site.sessions)
        if schedule is None:
            continue  # not a campaign site yet (no sessions)
        if planned is not None:
            closed, held = planned
            sessions = [SessionPlaces(s.name, s.capacity, s.taken, s.cancelled) for s in held]
            capacity = sum(s.capacity for s in held)
            if closed:
                results.append(
                    SiteDay(site.site_id, site.name, "closed", capacity, sum(s.taken for s in held), 0, 0)
                )
                continue
        else:
            try:
                schedule.check_open_on(the_day)
            except SiteClosed:
                results.append(SiteDay(site.site_id, site.name, "closed", capacity, 0, 0, 0))
                continue
            sessions = [SessionPlaces(s.name, s.capacity) for s in schedule.sessions]
        candidates = by_site.get(site.site_id, []) + by_ward.get(site.ward, [])
        mine = {c.person_id for c in candidates} & busy
        site_stock = stock.get(site.site_id, {})
        result = plan_day(
            the_day,
            sessions,
            candidates,
            site_stock,
            allowed,
            mine,
            wait=lambda p, q: extra_wait_days(p, q, reference),
        )
        busy.update(b.person_id for b in result.bookings)
        free = sum(s.free for s in sessions)
        taken = sum(s.taken for s in sessions)
        if not result.bookings and candidates and free and not any(n > 0 for n in site_stock.values()):
            results.append(
                SiteDay(
                    site.site_id, site.name, "no_stock", capacity, taken, 0, result.waiting, result.reasons
                )
            )
            continue
        results.append(
            SiteDay(
                site.site_id,
                site.name,
                "planned",
                capacity,
                taken,
                len(result.bookings),
                result.waiting,
                result.reasons,
            )
        )
        if result.bookings or planned is None:
            to_book.append((UUID(site.site_id), result.bookings))
            keys.append(
                (
                    site.site_id,
                    planned,
                    [(b.registration_id, b.session, b.product) for b in result.bookings],
                )
            )
    batches = [
        (
            to_book[start : start + sites_per_batch],
            _key("plan-province", code, the_day, keys[start : start + sites_per_batch]),
        )
        for start in range(0, len(to_book), sites_per_batch)
    ]
    booked = _write(ledger, the_day, batches, actor, workers)
    final = []
    for s in results:
        n = booked.get(s.site_id, 0) if s.status == "planned" else 0
        final.append(
            SiteDay(
                s.site_id,
                s.name,
                s.status,
                s.capacity,
                s.taken + n,
                n,
                s.waiting + s.booked_now - n,
                s.reasons,
            )
        )
    return ProvinceDay(code, the_day.isoformat(), final)


def _all_full(
    store: ViewStore,
    sites: list[site_queries.SiteRow],
    schedules: dict[UUID, SiteSchedule],
    existing: dict[str, tuple[bool, list[plan_queries.PlannedSession]]],
    province: str,
    day: date,
    today: date,
) -> list[SiteDay] | None:
    """Every site's result without reading the queue, when no site has a free place that day (every
    campaign site planned, each closed or full: planning again with nothing freed). A site's waiting
    are then its area's due registrations, counted in one query. None when some site has a place free:
    then the queue must be read and planned."""
    found: list[tuple[site_queries.SiteRow, str, list[plan_queries.PlannedSession]]] = []
    unplanned = False
    for site in sites:
        schedule = schedules.get(schedule_id(UUID(site.site_id)))
        if schedule is None:
            continue  # not a campaign site yet (no sessions)
        planned = existing.get(site.site_id)
        if planned is None:
            try:
                schedule.check_open_on(day)
            except SiteClosed:
                found.append((site, "not_open", []))
                continue
            found.append(
                (
                    site,
                    "unplanned",
                    [plan_queries.PlannedSession(s.name, s.capacity, 0, False) for s in schedule.sessions],
                )
            )
            unplanned = True
            continue
        closed, held = planned
        if not closed and any(not s.cancelled and s.taken < s.capacity for s in held):
            return None
        found.append((site, "closed" if closed else "full", held))
    # A site opening that day without a plan yet can book only if it holds stock (and the planner
    # opens its plan even with nobody to book): leave those to the planner.
    free_stock = (
        {r.site_id for r in site_stock_queries.stock(store, day, today=today) if r.free > 0}
        if unplanned
        else set()
    )
    counts = queue_queries.waiting_counts(store, province, day)
    results = []
    for site, state, held in found:
        capacity = sum(s.capacity for s in held) if held else sum(int(s["capacity"]) for s in site.sessions)
        taken = sum(s.taken for s in held)
        if state in ("closed", "not_open"):
            results.append(SiteDay(site.site_id, site.name, "closed", capacity, taken, 0, 0))
            continue
        waiting = counts.get((site.site_id, site.ward), 0) + counts.get((None, site.ward), 0)
        if state == "unplanned":
            if site.site_id in free_stock or not waiting:
                return None
            results.append(
                SiteDay(
                    site.site_id,
                    site.name,
                    "no_stock",
                    capacity,
                    0,
                    0,
                    waiting,
                    (WaitingGroup(NO_STOCK, waiting),),
                )
            )
            continue
        reason = SITE_CLOSED if held and all(s.cancelled for s in held) else CAPACITY_FULL
        reasons = (WaitingGroup(reason, waiting),) if waiting else ()
        results.append(SiteDay(site.site_id, site.name, "planned", capacity, taken, 0, waiting, reasons))
    return results


Batch = tuple[list[tuple[UUID, tuple[Booking, ...]]], str]


def _write(ledger: Ledger, day: date, batches: list[Batch], actor: Actor, workers: int) -> dict[str, int]:
    """Write the batches; returns the appointments booked per site id.

    Building and encoding events is Python work that holds one core; with `workers` > 1 (a SQLite
    file or PostgreSQL, more than one batch) the batches go to that many worker processes, each with
    its own ledger on the same store and the same time, so both cores work while the store
    serialises the short inserts. Each batch is still one transaction with its own idempotency key:
    a worker that dies leaves its batches unwritten or whole, and the run can simply be repeated."""
    booked: dict[str, int] = {}
    if workers <= 1 or len(batches) <= 1 or ledger.store.kind == "memory":
        for batch in batches:
            booked.update(_book(ledger, day, batch, actor))
        return booked
    context = multiprocessing.get_context("spawn")  # a pool of connections must never cross a fork
    with ProcessPoolExecutor(
        max_workers=min(workers, len(batches)),
        mp_context=context,
        initializer=_open_worker,
        initargs=(ledger.store.url, str(ledger.key_dir) if ledger.key_dir else None, ledger.now()),
    ) as pool:
        futures = [pool.submit(_book_in_worker, day, batch, actor) for batch in batches]
        for future in futures:
            booked.update(future.result())
    return booked


def _book(ledger: Ledger, day: date, batch: Batch, actor: Actor) -> list[tuple[str, int]]:
    sites, key = batch
    done = ledger.book_days(day=day, sites=sites, actor=actor, idempotency_key=key)
    return [
        (str(site_id), len(outcome.appointment_ids))
        for (site_id, _), outcome in zip(sites, done, strict=True)
    ]


_WORKER: Ledger | None = None


def _open_worker(url: str, key_dir: str | None, at: datetime) -> None:
    """A worker process's ledger: the same store and keys, and the run's time."""
    global _WORKER
    _WORKER = Ledger(
        url,
        clock=lambda: at,
        key_dir=Path(key_dir) if key_dir else None,
        env={"SQLITE_LOCK_TIMEOUT": "60"},  # the other worker's insert may hold the file's write lock
    )


def _book_in_worker(day: date, batch: Batch, actor: Actor) -> list[tuple[str, int]]:
    assert _WORKER is not None, "the worker's ledger is opened by its initializer"
    return _book(_WORKER, day, batch, actor)
