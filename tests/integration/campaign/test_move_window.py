"""The move page offers "the next 7 days" (its own words when none is free), and the s4 user trial saw it
offer 09/12 after a week planned 02–08/12 on 01/12: the window ran for `days` + 1 days (from tomorrow to
tomorrow + 7, both ends included). `days` days it is now: tomorrow to today + 7."""

from __future__ import annotations

from datetime import date, timedelta

from tests.integration.campaign.conftest import ADMIN, OFFICER, Story
from tests.integration.campaign.test_move_story import mine


def test_the_move_window_is_as_many_days_as_asked_from_tomorrow(sqlite_story: Story) -> None:
    s = sqlite_story
    today = s.ledger.today()
    person = s.person()
    s.service.register(person=person, group="HEALTH_WORKER", actor=ADMIN)
    day = today + timedelta(days=1)
    s.service.plan_day(s.site_id, day, actor=OFFICER)
    appointment = mine(s, person, day)
    for days in (1, 7, 14):
        offered = {date.fromisoformat(p.day) for p in s.service.move_options(appointment, days=days)}
        expected = {today + timedelta(days=n) for n in range(1, days + 1)}  # the site is open daily
        assert offered == expected, days
