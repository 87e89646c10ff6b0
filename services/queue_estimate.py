"""How far a ward's coming days reach in its queue: the public list's cut-off and a person's expected day.

An estimate made by running the planner itself (`ledger.campaign.planning.plan_day`, a pure function)
ahead, over the ward's open sites, day by day from today, on what the views hold now:
- the places still free in each session (today's only in sessions not over yet, Viet Nam time; a
  day already planned keeps the places it has left, re-planning fills them);
- each site's doses in stock per product, drawn down as the run books people, so stock counts, not
  places: a second dose needs the first dose's product or an allowed mix (after its interval);
- the queue in planning order (later doses, then priority rank, then registration time).

Nothing is written, and nothing personal leaves: the public list gets counts, a priority rank and a
registration day; a person gets their own expected day. The province's planning decides: this says
what it would do with today's data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from ledger.campaign.planning import Candidate, SessionPlaces, plan_day
from ledger.campaign.values import allowed_products, extra_wait_days
from ledger.commands import VIETNAM_TIME
from ledger.reference import Reference
from projections import priority_queries, site_queries, site_stock_queries
from projections.store import ViewStore


@dataclass(frozen=True)
class DayReach:
    """One day of the run: its places, those that can be given, and whom they reach."""

    day: date
    free_places: int  # free places in sessions not yet over
    usable_places: int  # of those, places with a dose in stock of a product the waiting people need
    booked: tuple[Candidate, ...]  # the people the planner would book that day, in planning order
    left_due: int  # people due by that day still without a place after it


@dataclass(frozen=True)
class WardReach:
    """The run over a ward's coming days."""

    ward: str
    days: tuple[DayReach, ...]  # days with places, in order (the run stops when asked)
    expected: dict[UUID, date] = field(default_factory=dict)  # registration id -> the day it is reached

    @property
    def next_day(self) -> DayReach | None:
        """The first day with places that can be given (None: none in the look-ahead)."""
        return next((d for d in self.days if d.usable_places > 0), None)

    def cutoff(self, reference: Reference) -> priority_queries.Cutoff | None:
        """The last person the next day reaches (rank, group, registration day), when someone due is
        left without a place that day; None when everyone fits or nobody is reached."""
        found = self.next_day
        if found is None or not found.booked or found.left_due == 0:
            return None
        last = max(found.booked, key=lambda c: c.order)
        groups = {g.rank: g.code for g in reference.priority_groups.values()}
        group = groups.get(last.priority_rank, str(last.priority_rank))
        return priority_queries.Cutoff(
            last.dose_number >= 2, last.priority_rank, group, _vn_day(last.queued_at)
        )

    @property
    def everyone_fits(self) -> bool:
        """Every waiting person due by the next day gets a place that day."""
        found = self.next_day
        return found is None or found.left_due == 0


def vietnam_time(now: datetime) -> str:
    """The time of day in Viet Nam ("HH:MM"), to leave out today's sessions already over."""
    return now.astimezone(VIETNAM_TIME).strftime("%H:%M")


def ward_reach(
    store: ViewStore,
    reference: Reference,
    ward: str,
    *,
    today: date,
    now_time: str,
    days: int = priority_queries.LOOK_AHEAD_DAYS,
    until: UUID | None = None,
) -> WardReach:
    """Run the planner over `ward`'s open sites from `today` (sessions ending after `now_time`) for
    `days` more days. It stops after the first day with places that can be given, or, with `until`, once
    that registration is reached (or the days run out)."""
    sites = [s for s in site_queries.sites(store, ward=ward) if s.status == "open"]
    offers: dict[tuple[str, str], list[priority_queries.SessionPlace]] = {}
    for place in priority_queries.session_places(store, sites, today, today + timedelta(days=days)):
        if place.day == today.isoformat() and place.end <= now_time:
            continue  # over already: nobody is booked into it any more
        offers.setdefault((place.day, place.site_id), []).append(place)
    stock = {
        s.site_id: {
            r.product: r.free for r in site_stock_queries.stock(store, today, today=today, site_id=s.site_id)
        }
        for s in sites
    }
    # In planning order once: each day's run then gets its candidates already sorted (a linear sort).
    queue = sorted(priority_queries.ward_queue(store, ward), key=lambda entry: entry[1].order)
    pool = {c.registration_id: (preferred, c) for preferred, c in queue}
    previous = Counter(c.previous_product for _, c in queue)  # what the waiting doses follow
    cache: dict[str | None, tuple[str, ...]] = {}

    def allowed(previous: str | None) -> tuple[str, ...]:
        if previous not in cache:
            cache[previous] = allowed_products(previous, reference)
        return cache[previous]

    def wait(previous: str, product: str) -> int:
        return extra_wait_days(previous, product, reference)

    reached: list[DayReach] = []
    expected: dict[UUID, date] = {}
    for day in sorted({date.fromisoformat(d) for d, _ in offers}):
        found = _run_day(day, sites, offers, stock, pool, previous, allowed, wait)
        for c in found.booked:
            expected[c.registration_id] = day
        reached.append(found)
        if until is None and found.usable_places > 0:
            break
        if until is not None and (until in expected or until not in pool):
            break
    return WardReach(ward, tuple(reached), expected)


def _run_day(
    day: date,
    sites: list[site_queries.SiteRow],
    offers: dict[tuple[str, str], list[priority_queries.SessionPlace]],
    stock: dict[str, dict[str, int]],
    pool: dict[UUID, tuple[str | None, Candidate]],
    previous: Counter[str | None],
    allowed: Callable[[str | None], tuple[str, ...]],
    wait: Callable[[str, str], int],
) -> DayReach:
    """One day: each site in turn (as a province's run does), one shared pool of people."""
    free = usable = 0
    booked: list[Candidate] = []
    for site in sites:
        places = offers.get((day.isoformat(), site.site_id))
        if not places:
            continue
        area = [c for preferred, c in pool.values() if preferred is None or preferred == site.site_id]
        waited = [p for p, n in previous.items() if n > 0] or [None]
        needed = {product for p in waited for product in allowed(p)}
        held = stock.setdefault(site.site_id, {})
        site_free = sum(p.free for p in places)
        free += site_free
        usable += min(site_free, sum(n for product, n in held.items() if product in needed and n > 0))
        result = plan_day(
            day, [SessionPlaces(p.session, p.free) for p in places], area, held, allowed, (), wait=wait
        )
        for b in result.bookings:
            held[b.product] -= 1
            taken = pool.pop(b.registration_id)[1]
            previous[taken.previous_product] -= 1
            booked.append(taken)
    left = sum(1 for _, c in pool.values() if c.due_on <= day)
    return DayReach(day, free, usable, tuple(sorted(booked, key=lambda c: c.order)), left)


def _vn_day(at: datetime) -> str:
    """The Viet Nam calendar day of a stored moment (registration days are shown as people lived them)."""
    return (
        (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(VIETNAM_TIME).date().isoformat()
    )
