"""Random lots (some expiring within the days planned), days planned in any order, a week planned,
doses given and no-shows on today's list: after every step, the appointments still to be given fit in
the site's doses in date (`test_overbooking.assert_fits`, computed from the lots the test delivered)."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.campaign.errors import NoStock
from ledger.values import Actor, Role
from tests.integration.campaign.conftest import MONDAY, NOW, OFFICER, Clock, make_story
from tests.integration.campaign.test_overbooking import add_site, appointments, assert_fits, queue, week

lots_st = st.lists(
    st.tuples(st.integers(1, 4), st.integers(0, 5).map(lambda d: MONDAY + timedelta(days=d))),
    min_size=1,
    max_size=3,
)
steps_st = st.lists(
    st.one_of(
        st.tuples(st.just("plan"), st.integers(0, 5)),
        st.tuples(st.just("week"), st.integers(0, 3)),
        st.tuples(st.just("give"), st.just(0)),
        st.tuples(st.just("no_show"), st.just(0)),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lots=lots_st, steps=steps_st)
def test_random_plans_doses_and_no_shows_never_overbook(
    lots: list[tuple[int, date]], steps: list[tuple[str, int]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        s = make_story("memory://", Clock(NOW + timedelta(days=1)), Path(tmp) / "keys")  # Monday is today
        try:
            site = add_site(s, lots)
            queue(s, 12)
            staff = Actor("vaccinator-tb", Role.VACCINATOR, site)
            left = sorted([expiry, n, f"site-{i}"] for i, (n, expiry) in enumerate(lots))
            given_doses = 0
            for action, offset in steps:
                day = MONDAY + timedelta(days=offset)
                if action == "plan":
                    with contextlib.suppress(NoStock):
                        s.service.plan_day(site, day, actor=OFFICER)
                elif action == "week":
                    s.service.plan_week(site, day, actor=OFFICER, days=4)
                else:
                    row = s.service.day(site, MONDAY)
                    booked = [
                        a.appointment_id
                        for x in (row.sessions if row else [])
                        for a in x.appointments
                        if a.status == "booked"
                    ]
                    if not booked:
                        continue
                    if action == "no_show":
                        s.service.mark_no_show(booked[0], actor=staff)
                        continue
                    # The desk gives the soonest-expiring lot in date today (what assert_fits assumes).
                    lot = next((x for x in left if x[0] >= MONDAY and x[1] > 0), None)
                    assert lot is not None  # a booked appointment today always has a dose
                    s.service.record_dose(booked[0], lot_id=s.lots[lot[2]], actor=staff)
                    lot[1] -= 1
                    given_doses += 1
                assert_fits(s, site, lots, given_doses, week())
            assert sum(c["done"] for c in appointments(s, site, week()).values()) == given_doses
        finally:
            s.store.close()
            s.ledger.close()
