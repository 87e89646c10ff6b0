"""Changes after planning: a session cancelled by the site, no-shows, a citizen moving or cancelling."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from ledger.campaign.values import registration_id
from ledger.errors import NotPermitted, RuleViolation
from ledger.values import Actor, Role
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, Story


def book(s: Story, n: int) -> list[UUID]:
    people = [s.person() for _ in range(n)]
    for p in people:
        s.service.register(person=p, group="HEALTH_WORKER", actor=ADMIN)
        s.clock.now += timedelta(minutes=1)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    return people


def test_a_cancelled_session_rebooks_its_people_first_and_tells_them(sqlite_story: Story) -> None:
    s = sqlite_story
    early = book(s, 3)  # morning 2, afternoon 1
    later = s.person()
    s.service.register(person=later, group="HEALTH_WORKER", actor=ADMIN)  # registered after them
    cancelled, planned = s.service.cancel_session(
        s.site_id, MONDAY, "morning", reason="vaccinator ill", actor=OFFICER
    )
    assert cancelled == 2
    monday = s.service.day(s.site_id, MONDAY)
    assert monday is not None
    assert [a.status for a in monday.sessions[0].appointments] == ["cancelled", "cancelled"]
    tuesday = planned[0].as_json()
    booked = [a["person_id"] for x in tuesday["sessions"] for a in x["appointments"]]
    # The two cancelled people come back before the person who registered after them.
    assert booked[:2] == [str(early[0]), str(early[1])]
    assert str(later) in booked
    cancels = s.service.messages(kind="cancel")
    assert len(cancels) == 2
    assert all("đã bị hủy" in m.text and "lịch mới sẽ được gửi sau" in m.text for m in cancels)
    with pytest.raises(NotPermitted):
        s.service.cancel_session(
            s.site_id, MONDAY, "afternoon", reason="x", actor=Actor("someone", Role.CITIZEN)
        )


def test_no_shows_are_released_at_day_end_and_requeued_with_their_original_priority(
    sqlite_story: Story,
) -> None:
    s = sqlite_story
    s.clock.now = s.clock.now.replace(day=2)
    people = book(s, 3)
    plan = s.service.day(s.site_id, MONDAY)
    assert plan is not None
    came = plan.sessions[0].appointments[0]
    s.service.check_in(came.appointment_id, actor=s.vaccinator)
    dose = s.service.record_dose(came.appointment_id, lot_id=s.lots[came.product], actor=s.vaccinator)
    s.clock.advance(1)
    done = s.service.run_day()
    assert done.no_shows == 2
    after = s.service.day(s.site_id, MONDAY)
    assert after is not None
    statuses = {a.person_id: (a.status, a.dose_id) for x in after.sessions for a in x.appointments}
    assert statuses[str(people[0])] == ("done", str(dose))
    assert statuses[str(people[1])][0] == statuses[str(people[2])][0] == "no_show"
    queue = s.service.registrations(s.site_id)
    waiting = [r for r in queue if r.status == "waiting"]
    assert [r.person_id for r in waiting] == [str(people[1]), str(people[2])]
    assert waiting[0].queued_at < waiting[1].queued_at  # the original registration times
    # The dose is on the person's record, linked to the appointment, and the registration is done.
    person = s.ledger.get_person(people[0])
    assert person.active_doses[0].dose_id == dose
    assert s.ledger.registration(registration_id(people[0], 1)).status.value == "done"


def test_a_citizen_moves_or_cancels_their_own_appointment_and_nobody_elses(sqlite_story: Story) -> None:
    s = sqlite_story
    first, second, _ = book(s, 3)
    plan = s.service.day(s.site_id, MONDAY)
    assert plan is not None
    mine = next(a for x in plan.sessions for a in x.appointments if a.person_id == str(first))
    other = next(a for x in plan.sessions for a in x.appointments if a.person_id == str(second))
    me = Actor(str(first), Role.CITIZEN)
    with pytest.raises(NotPermitted):
        s.service.cancel_appointment(other.appointment_id, actor=me)
    with pytest.raises(RuleViolation, match="full"):
        s.service.move_appointment(
            mine.appointment_id, site_id=s.site_id, day=MONDAY, session="afternoon", actor=me
        )
    moved = s.service.move_appointment(
        mine.appointment_id, site_id=s.site_id, day=MONDAY + timedelta(days=1), session="afternoon", actor=me
    )
    changes = s.service.messages(kind="change")
    assert len(changes) == 1
    assert "03/08/2021 13:30-16:30" in changes[0].text
    s.service.cancel_appointment(moved, actor=me, reason="đi công tác")
    mine_now = s.service.my_registrations(first)
    assert mine_now[0][0].status == "waiting"
    assert mine_now[0][1] is not None  # a place in the queue is shown again
