"""The one rule for the doses free for booking on a day (`bookable_doses`), against a brute-force
check: whatever the lots (some expiring between days), the appointments already booked on any day and
the day planned, booking the answer still lets every appointment get a dose in date, and booking one
more would not. Examples for the cases the planner met (issue 13's follow-up: a week booked 7x the
stock)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.campaign.planning import bookable_doses

TODAY = date(2021, 8, 2)


def fits(lots: list[tuple[date, int]], booked: list[tuple[date, int]]) -> bool:
    """Every appointment gets a dose of a lot in date on its day: soonest day first, each taking the
    soonest-expiring lot still in date (optimal for lots usable from today to their expiry)."""
    left = sorted([expiry, n] for expiry, n in lots)
    for day, n in sorted(booked):
        for _ in range(n):
            lot = next((x for x in left if x[0] >= day and x[1] > 0), None)
            if lot is None:
                return False
            lot[1] -= 1
    return True


def on(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def test_a_week_planned_day_after_day_books_the_stock_once() -> None:
    lots = [(on(200), 5)]
    booked: list[tuple[date, int]] = []
    for offset in range(7):
        k = min(3, bookable_doses(lots, booked, TODAY, on(offset)))
        booked.append((on(offset), k))
    assert [n for _, n in booked] == [3, 2, 0, 0, 0, 0, 0]


def test_a_lot_ending_monday_serves_monday_only() -> None:
    lots = [(on(0), 2), (on(200), 3)]
    assert bookable_doses(lots, [], TODAY, on(0)) == 5
    assert bookable_doses(lots, [], TODAY, on(1)) == 3
    assert bookable_doses(lots, [(on(0), 3)], TODAY, on(1)) == 2
    # Tuesday planned first takes the long lot; Monday still has the lot ending that day.
    assert bookable_doses(lots, [(on(1), 3)], TODAY, on(0)) == 2
    # Bookings on past days (no-shows never marked) do not hold doses; a past day counts from itself.
    assert bookable_doses([(on(200), 5)], [(on(-1), 4)], TODAY, on(0)) == 5
    assert bookable_doses([(on(200), 5)], [(on(-1), 4)], TODAY, on(-1)) == 1


lots_st = st.lists(st.tuples(st.integers(0, 10).map(on), st.integers(0, 6)), max_size=4)
booked_st = st.lists(st.tuples(st.integers(0, 10).map(on), st.integers(0, 4)), max_size=6)


@settings(max_examples=300, deadline=None)
@given(lots=lots_st, booked=booked_st, day=st.integers(0, 10).map(on))
def test_the_free_doses_are_exactly_what_still_fits(
    lots: list[tuple[date, int]], booked: list[tuple[date, int]], day: date
) -> None:
    k = bookable_doses(lots, booked, TODAY, day)
    assert k >= 0
    if fits(lots, booked):
        assert fits(lots, [*booked, (day, k)])
        assert not fits(lots, [*booked, (day, k + 1)])
    else:
        # Already more booked than fits: still never more than what fits before `day`'s end.
        assert k <= sum(n for expiry, n in lots if expiry >= day)


@settings(max_examples=200, deadline=None)
@given(
    lots=lots_st,
    plans=st.lists(st.tuples(st.integers(0, 10).map(on), st.integers(0, 5)), max_size=12),
)
def test_days_planned_in_any_order_never_overbook(
    lots: list[tuple[date, int]], plans: list[tuple[date, int]]
) -> None:
    booked: list[tuple[date, int]] = []
    for day, places in plans:
        booked.append((day, min(places, bookable_doses(lots, booked, TODAY, day))))
        assert fits(lots, booked)
