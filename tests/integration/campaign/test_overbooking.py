"""Planning never books more doses than a site holds: each day's planning counts the appointments
already booked on every day from the ledger's today (not only from the planned day on), a lot that
expires between two days serves only the days before its expiry, a dose given is gone from the stock
and its appointment no longer counts, and a no-show's dose is free again.

The check is the matching condition on the site's lots: for every day t, the appointments still to
be given on t or later fit in the doses of the lots still in date on t (a later appointment cannot
use a lot expired by its day; an earlier one may use any lot in date)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from uuid import UUID

import pytest

from ledger.campaign.errors import NoStock
from ledger.campaign.values import Session
from ledger.values import Actor, Role
from tests.integration.campaign.conftest import ADMIN, ASTRAZENECA, MONDAY, OFFICER, Story

WARD = "00004"
HOLDING = ("booked", "arrived")


def add_site(s: Story, lots: list[tuple[int, date]], *, morning: int = 2, afternoon: int = 1) -> UUID:
    """A site in its own ward with only these AstraZeneca lots (doses, expiry)."""
    row = s.service.add_site(
        code="VN-01-0040",
        name="Điểm tiêm Trúc Bạch",
        ward_code=WARD,
        address="Số 4 Trúc Bạch",
        sessions=[
            Session("morning", "07:30", "11:30", morning),
            Session("afternoon", "13:30", "16:30", afternoon),
        ],
        actor=OFFICER,
    )
    site = UUID(row.site_id)
    for i, (doses, expiry) in enumerate(lots):
        s.lots[f"site-{i}"] = s.ledger.receive_lot(
            product=ASTRAZENECA,
            lot_number=f"TB-{i}",
            expiry=expiry,
            site_id=site,
            quantity=doses,
            actor=ADMIN,
            idempotency_key=f"tb-lot-{i}",
        )
    return site


def queue(s: Story, n: int) -> list[UUID]:
    """n people of the site's ward registered a minute apart."""
    people = [s.person(ward_code=WARD) for _ in range(n)]
    for p in people:
        s.service.register(person=p, group="HEALTH_WORKER", actor=ADMIN)
        s.clock.now += timedelta(minutes=1)
    return people


def appointments(s: Story, site: UUID, days: list[date]) -> dict[date, Counter[str]]:
    """Per day, the site's appointments by status."""
    found: dict[date, Counter[str]] = {}
    for d in days:
        row = s.service.day(site, d)
        found[d] = Counter(a.status for x in (row.sessions if row else []) for a in x.appointments)
    return found


def assert_fits(
    s: Story, site: UUID, lots: list[tuple[int, date]], given: int, days: list[date]
) -> dict[date, int]:
    """The matching condition, from the lots the test gave the site (not from the code under test):
    for every day t, appointments still to be given on t or later <= doses in date on t. `given`
    doses were drawn from the soonest-expiring lot. Returns the holding appointments per day."""
    holding = {d: sum(c[x] for x in HOLDING) for d, c in appointments(s, site, days).items()}
    left = sorted(lots, key=lambda lot: lot[1])
    take = given
    remaining = []
    for doses, expiry in left:
        used = min(doses, take)
        take -= used
        remaining.append((doses - used, expiry))
    for t in days:
        later = sum(n for d, n in holding.items() if d >= t)
        in_date = sum(doses for doses, expiry in remaining if expiry >= t)
        assert later <= in_date, (
            f"{later} appointments on or after {t} for {in_date} doses in date: {holding}"
        )
    return holding


def week() -> list[date]:
    return [MONDAY + timedelta(days=i) for i in range(7)]


def test_a_week_planned_at_once_books_no_more_than_the_site_holds(story: Story) -> None:
    s = story
    lots = [(5, date(2022, 3, 1))]
    site = add_site(s, lots)
    queue(s, 20)
    planned = s.service.plan_week(site, MONDAY, actor=OFFICER)
    assert planned  # Monday at least
    holding = assert_fits(s, site, lots, 0, week())
    # Every dose is booked (3 places on Monday, the 2 doses left on Tuesday), and no more.
    assert sum(holding.values()) == 5
    assert holding[MONDAY] == 3
    assert holding[MONDAY + timedelta(days=1)] == 2
    (row,) = s.service.stock(site_id=site)
    assert (row.on_hand, row.booked, row.free) == (5, 5, 0)


def test_days_planned_one_by_one_count_the_days_before_them(story: Story) -> None:
    s = story
    lots = [(5, date(2022, 3, 1))]
    site = add_site(s, lots)
    queue(s, 20)
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    s.service.plan_day(site, tuesday, actor=OFFICER)
    s.service.plan_day(site, wednesday, actor=OFFICER)
    holding = assert_fits(s, site, lots, 0, week())
    assert (holding[tuesday], holding[wednesday]) == (3, 2)
    # A day before them, planned last, finds nothing left either (and says so).
    with pytest.raises(NoStock):
        s.service.plan_day(site, MONDAY, actor=OFFICER)
    holding = assert_fits(s, site, lots, 0, week())
    assert holding[MONDAY] == 0
    assert sum(holding.values()) == 5
    # The page of a later day shows the same: nothing free.
    (row,) = s.service.stock(site_id=site, day=wednesday)
    assert (row.booked, row.free) == (5, 0)


def test_a_province_plan_day_after_day_books_no_more_than_the_site_holds(story: Story) -> None:
    s = story
    lots = [(4, date(2022, 3, 1))]
    site = add_site(s, lots)
    queue(s, 20)
    for d in week()[:3]:
        s.service.plan_province_day("01", d, actor=OFFICER)
    holding = assert_fits(s, site, lots, 0, week())
    assert sum(holding.values()) == 4


def test_a_lot_expiring_between_days_serves_only_the_days_before(story: Story) -> None:
    s = story
    tuesday = MONDAY + timedelta(days=1)
    # 2 doses last used on Monday, 3 in date for months.
    lots = [(2, MONDAY), (3, date(2022, 3, 1))]
    site = add_site(s, lots)
    queue(s, 20)
    s.service.plan_week(site, MONDAY, actor=OFFICER, days=3)
    holding = assert_fits(s, site, lots, 0, week())
    # Monday: 3 places (2 from the lot ending that day, 1 from the other); Tuesday the 2 left.
    assert (holding[MONDAY], holding[tuesday]) == (3, 2)
    # Tuesday's page: 3 in date, the 2 of Tuesday and the 1 of Monday that may take a dose of the
    # longer lot all booked: nothing free.
    (row,) = s.service.stock(site_id=site, day=tuesday)
    assert (row.on_hand, row.free) == (3, 0)


def test_a_later_day_planned_first_leaves_the_expiring_lot_to_the_earlier_day(story: Story) -> None:
    s = story
    tuesday = MONDAY + timedelta(days=1)
    lots = [(2, MONDAY), (3, date(2022, 3, 1))]
    site = add_site(s, lots, morning=3, afternoon=2)
    queue(s, 20)
    s.service.plan_day(site, tuesday, actor=OFFICER)  # 3 doses in date on Tuesday: 3 booked
    s.service.plan_day(site, MONDAY, actor=OFFICER)  # the 2 of the lot ending Monday are still free
    holding = assert_fits(s, site, lots, 0, week())
    assert (holding[MONDAY], holding[tuesday]) == (2, 3)


def test_a_dose_given_and_a_no_show_released_are_counted_once(story: Story) -> None:
    s = story
    s.clock.now += timedelta(days=1)  # Monday is today
    lots = [(5, date(2022, 3, 1))]
    site = add_site(s, lots)
    queue(s, 20)
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    s.service.plan_week(site, MONDAY, actor=OFFICER, days=3)
    assert_fits(s, site, lots, 0, week())
    staff = Actor("vaccinator-tb", Role.VACCINATOR, site)
    row = s.service.day(site, MONDAY)
    assert row is not None
    monday = [a.appointment_id for x in row.sessions for a in x.appointments]
    assert len(monday) == 3
    s.service.record_dose(monday[0], lot_id=s.lots["site-0"], actor=staff)
    (stock,) = s.service.stock(site_id=site)
    # The dose given is gone from the lot and its appointment no longer counts as booked.
    assert (stock.on_hand, stock.booked, stock.free) == (4, 4, 0)
    with pytest.raises(NoStock):
        s.service.plan_day(site, wednesday, actor=OFFICER)
    holding = assert_fits(s, site, lots, 1, week())
    assert holding[wednesday] == 0
    # A no-show frees its dose: one more is booked (the next opening day with a place), no more.
    s.service.mark_no_show(monday[1], actor=staff)
    (stock,) = s.service.stock(site_id=site)
    assert (stock.on_hand, stock.booked, stock.free) == (4, 3, 1)
    s.service.plan_day(site, tuesday, actor=OFFICER)
    holding = assert_fits(s, site, lots, 1, week())
    assert sum(holding.values()) == 4
    assert holding[tuesday] == 3
    (stock,) = s.service.stock(site_id=site)
    assert (stock.on_hand, stock.booked, stock.free) == (4, 4, 0)
