"""Planning one site-day: who gets the free places of each session (a pure function, no store).

The order (issue 13): people due for a second (or later) dose first, then by priority-group rank,
then by registration time; ties by registration id, so the same input gives the same plan. Rules:
- a person is booked only with a product the site holds for that dose (a later dose needs the
  previous dose's product or an allowed mix), and never more bookings of a product than its stock;
- a session's capacity is never exceeded (places already taken are kept: re-planning adds, it never
  moves anyone already told);
- nobody is booked twice on one day or in two places (a person already booked is skipped);
- someone whose dose is not yet due on that day waits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID


@dataclass(frozen=True)
class Candidate:
    """A waiting registration as the planner sees it."""

    registration_id: UUID
    person_id: UUID
    dose_number: int
    priority_rank: int
    queued_at: datetime  # registration time (kept when a released appointment re-queues the person)
    due_on: date  # the first day this dose may be given
    previous_product: str | None  # the product of the previous dose (None for a first dose)

    @property
    def order(self) -> tuple[int, int, datetime, UUID]:
        """The planning order: later doses first, then rank, then registration time, then id."""
        return (0 if self.dose_number >= 2 else 1, self.priority_rank, self.queued_at, self.registration_id)


@dataclass(frozen=True)
class SessionPlaces:
    """A session of the day and how many of its places are already taken."""

    name: str
    capacity: int
    taken: int = 0
    cancelled: bool = False

    @property
    def free(self) -> int:
        """Places still free (none in a cancelled session)."""
        return 0 if self.cancelled else max(0, self.capacity - self.taken)


@dataclass(frozen=True)
class Booking:
    """One person given a place: which session, which dose, which product."""

    registration_id: UUID
    person_id: UUID
    session: str
    dose_number: int
    product: str
    priority_rank: int


CAPACITY_FULL = "capacity_full"  # every session's places are taken
NO_STOCK = "no_stock"  # no dose of a product this dose may use is free at the site
NOT_DUE_YET = "not_due_yet"  # the product in stock needs a longer interval after the previous dose
SITE_CLOSED = "site_closed"  # the site does not vaccinate that day (closed, paused, sessions cancelled)


@dataclass(frozen=True)
class WaitingGroup:
    """Due people left without a place for one reason: for no_stock and not_due_yet, which dose and
    which product (None: any product a first dose may use)."""

    reason: str
    count: int
    dose_number: int | None = None
    product: str | None = None

    def as_json(self) -> dict[str, str | int | None]:
        """{"reason", "count", "dose_number", "product"}."""
        return {
            "reason": self.reason,
            "count": self.count,
            "dose_number": self.dose_number,
            "product": self.product,
        }


@dataclass(frozen=True)
class DayPlanResult:
    """The new bookings, how many due candidates are still waiting after them, and why (groups whose
    counts add up to `waiting`, largest first)."""

    bookings: tuple[Booking, ...]
    waiting: int
    reasons: tuple[WaitingGroup, ...] = ()


def plan_day(
    day: date,
    sessions: Sequence[SessionPlaces],
    candidates: Iterable[Candidate],
    stock: Mapping[str, int],
    allowed: Callable[[str | None], Sequence[str]],
    busy: Iterable[UUID] = (),
    *,
    wait: Callable[[str, str], int] | None = None,
) -> DayPlanResult:
    """Fill the free places of `sessions` from `candidates`, in planning order.

    `stock` is the doses of each product still free for booking at the site on that day;
    `allowed(previous_product)` lists the products a dose may use, preferred first; `busy` holds the
    people who already have an appointment that day (anywhere); `wait(previous_product, product)` is
    the extra days after a candidate's due day before that product may follow (a mix of products with
    different intervals: `ledger.campaign.values.extra_wait_days`; None: no product waits longer).
    """
    names = [s.name for s in sessions]
    free = [s.free for s in sessions]
    remaining = {product: n for product, n in stock.items() if n > 0}
    taken_people = set(busy)
    bookings: list[Booking] = []
    waiting = 0
    why: Counter[tuple[str, int | None, str | None]] = Counter()
    full = (
        (SITE_CLOSED, None, None)
        if sessions and all(s.cancelled for s in sessions)
        else (CAPACITY_FULL, None, None)
    )
    session_index = 0
    for candidate in sorted(candidates, key=lambda c: c.order):
        if candidate.due_on > day or candidate.person_id in taken_people:
            continue
        while session_index < len(free) and free[session_index] <= 0:
            session_index += 1
        if session_index >= len(free):
            waiting += 1
            why[full] += 1
            continue
        product = _product(candidate, day, remaining, allowed, wait)
        if product is None:
            waiting += 1
            why[_why(candidate, remaining, allowed)] += 1
            continue
        remaining[product] -= 1
        free[session_index] -= 1
        taken_people.add(candidate.person_id)
        bookings.append(
            Booking(
                registration_id=candidate.registration_id,
                person_id=candidate.person_id,
                session=names[session_index],
                dose_number=candidate.dose_number,
                product=product,
                priority_rank=candidate.priority_rank,
            )
        )
    reasons = tuple(WaitingGroup(r, n, d, p) for (r, d, p), n in why.most_common())
    return DayPlanResult(tuple(bookings), waiting, reasons)


def _why(
    candidate: Candidate, remaining: dict[str, int], allowed: Callable[[str | None], Sequence[str]]
) -> tuple[str, int | None, str | None]:
    """Why no product was found for a due candidate: a product in stock whose interval after the
    previous dose has not passed (not due yet for it), else no stock of any product it may use."""
    if candidate.previous_product is None:
        return (NO_STOCK, candidate.dose_number, None)
    products = allowed(candidate.previous_product)
    for product in products:
        if remaining.get(product, 0) > 0:
            return (NOT_DUE_YET, candidate.dose_number, product)
    return (NO_STOCK, candidate.dose_number, products[0] if products else candidate.previous_product)


def _product(
    candidate: Candidate,
    day: date,
    remaining: dict[str, int],
    allowed: Callable[[str | None], Sequence[str]],
    wait: Callable[[str, str], int] | None,
) -> str | None:
    """The product for this candidate: the first allowed one in stock (and whose interval after the
    previous dose has passed on `day`); for a first dose, the product with the most doses left
    (spreads stock; ties by code)."""
    if candidate.previous_product is None:
        best: str | None = None
        for product in allowed(None):
            n = remaining.get(product, 0)
            if n > 0 and (best is None or n > remaining[best]):
                best = product
        return best
    previous = candidate.previous_product
    for product in allowed(previous):
        if remaining.get(product, 0) <= 0:
            continue
        if wait is not None and candidate.due_on + timedelta(days=wait(previous, product)) > day:
            continue  # a mix with a stricter interval: not yet on this day
        return product
    return None


def bookable_doses(
    lots: Iterable[tuple[date, int]], booked: Iterable[tuple[date, int]], today: date, day: date
) -> int:
    """Doses of one product at one site free for new appointments on `day`: the one rule the planner
    (a day, a week, a province's day), moves and the stock pages use.

    `lots` are (expiry, doses left) of the site's lots: every dose not yet given nor written off, a
    lot counting up to its expiry day included; `booked` are (day, appointments) still to be given
    (booked or arrived: not given, not released as a no-show, not cancelled), on every day, not only
    from `day` on: an appointment on an earlier day takes a dose too. An appointment on day e may use
    any lot in date on e, so k new appointments on `day` fit if and only if, for every day t from
    today to `day`, the appointments on t or later plus k fit in the doses in date on t (Hall's
    condition for these nested sets of lots; later days' appointments are not changed by adding k).
    A day before today counts from that day (a page asking about the past)."""
    start = min(today, day)
    lot_list = [(expiry, n) for expiry, n in lots if n > 0]
    booking_list = [(d, n) for d, n in booked if n > 0 and d >= start]
    # The tightest t is where a lot has just expired (or the start): more appointments and no fewer
    # doses than the day after an appointment day.
    thresholds = {start, day} | {
        expiry + timedelta(days=1) for expiry, _ in lot_list if start < expiry + timedelta(days=1) <= day
    }
    free = min(
        sum(n for expiry, n in lot_list if expiry >= t) - sum(n for d, n in booking_list if d >= t)
        for t in thresholds
    )
    return max(0, free)
