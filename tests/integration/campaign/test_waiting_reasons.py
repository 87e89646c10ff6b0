"""Why people still wait after planning: each group's reason, in `plan day --json` and beside the
count, adding up to the count; people registered but not yet due are said apart. (The planner's reasons, each one, are
checked in tests/unit/campaign/test_planning.py; `plan day --json` in test_province_planning.py.)"""

from __future__ import annotations

from datetime import timedelta

from tests.integration.campaign.conftest import ADMIN, ASTRAZENECA, MONDAY, OFFICER, Story


def test_a_full_day_says_the_sessions_are_full_and_who_is_not_due_yet(sqlite_story: Story) -> None:
    s = sqlite_story  # morning 2, afternoon 1
    people = [s.person() for _ in range(5)]
    for p in people:
        s.service.register(person=p, group="HEALTH_WORKER", actor=ADMIN)
        s.clock.now += timedelta(minutes=1)
    planned = s.service.plan_day(s.site_id, MONDAY, actor=OFFICER).as_json()
    assert planned["waiting"] == 2
    assert planned["waiting_reasons"] == [
        {"reason": "capacity_full", "count": 2, "dose_number": None, "product": None}
    ]
    assert planned["not_due_yet"] == {"count": 0, "first_due": None}
    # Planning the next day: the two left over get places; nobody is due later than that.
    tuesday = s.service.plan_day(s.site_id, MONDAY + timedelta(days=1), actor=OFFICER).as_json()
    assert tuesday["waiting"] == 0
    assert tuesday["waiting_reasons"] == []


def test_people_registered_for_a_later_dose_are_counted_apart(sqlite_story: Story) -> None:
    s = sqlite_story
    p = s.person()
    s.ledger.record_dose(  # AstraZeneca 5 days before: dose 2 is due weeks later
        person_id=p,
        dose_number=1,
        product=ASTRAZENECA,
        lot_id=s.lots[ASTRAZENECA],
        administered_on=MONDAY - timedelta(days=5),
        site_id=s.site_id,
        actor=s.vaccinator,
        idempotency_key=s.key(),
    )
    second = s.service.register(person=p, group="HEALTH_WORKER", actor=ADMIN)
    assert second.dose_number == 2
    planned = s.service.plan_day(s.site_id, MONDAY, actor=OFFICER).as_json()
    assert planned["waiting"] == 0
    assert planned["waiting_reasons"] == []
    later = planned["not_due_yet"]
    assert later["count"] == 1
    assert later["first_due"] > MONDAY.isoformat()
