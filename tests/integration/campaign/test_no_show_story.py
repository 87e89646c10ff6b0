"""A no-show said during the day by the site's staff ("did not come"), undone if the person comes late the
same day: released and re-queued with the original priority as the day's end does, never for someone
vaccinated that day, only by the site's own staff, only on the day and before it is closed."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from ledger.campaign.errors import (
    AttendanceNotOpen,
    LateArrivalNotNoShow,
    LateArrivalRebooked,
    NoShowNotBooked,
    NoShowVaccinatedToday,
    SessionUnavailable,
)
from ledger.campaign.values import registration_id
from ledger.errors import NotPermitted
from ledger.values import Actor, Role
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, Story


def monday_with(s: Story, n: int) -> tuple[list[UUID], dict[str, str]]:
    """n people registered a minute apart and planned on Monday (today); their appointment ids."""
    s.clock.now = s.clock.now.replace(day=2)
    people = [s.person() for _ in range(n)]
    for p in people:
        s.service.register(person=p, group="HEALTH_WORKER", actor=ADMIN)
        s.clock.now += timedelta(minutes=1)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    return people, appointments(s)


def appointments(s: Story) -> dict[str, str]:
    day = s.service.day(s.site_id, MONDAY)
    assert day is not None
    return {a.person_id: a.appointment_id for x in day.sessions for a in x.appointments}


def status(s: Story, appointment_id: str) -> str:
    day = s.service.day(s.site_id, MONDAY)
    assert day is not None
    return next(a.status for x in day.sessions for a in x.appointments if a.appointment_id == appointment_id)


def test_a_no_show_is_requeued_with_its_priority_and_undone_when_the_person_comes_late(story: Story) -> None:
    s = story
    people, ids = monday_with(s, 2)
    later = s.person()  # registered after them: must queue behind a no-show
    s.service.register(person=later, group="HEALTH_WORKER", actor=ADMIN)
    missing = ids[str(people[1])]

    s.service.mark_no_show(missing, actor=s.vaccinator)
    assert status(s, missing) == "no_show"
    assert s.ledger.registration(registration_id(people[1], 1)).status.value == "waiting"
    waiting = [r for r in s.service.registrations(s.site_id) if r.status == "waiting"]
    assert [r.person_id for r in waiting] == [str(people[1]), str(later)]  # the original time comes first
    s.service.mark_no_show(missing, actor=s.vaccinator)  # the form sent twice: the same answer, once
    assert s.service.registrations(s.site_id) == s.service.registrations(s.site_id)
    with pytest.raises(LateArrivalNotNoShow):
        s.service.record_late_arrival(ids[str(people[0])], actor=s.vaccinator)
    s.service.check_in(ids[str(people[0])], actor=s.vaccinator)
    with pytest.raises(NoShowNotBooked):  # they came: checked in
        s.service.mark_no_show(ids[str(people[0])], actor=s.vaccinator)

    s.service.record_late_arrival(missing, actor=s.vaccinator)
    assert status(s, missing) == "arrived"
    reg = s.ledger.registration(registration_id(people[1], 1))
    assert reg.status.value == "booked"
    assert str(reg.appointment_id) == missing
    dose = s.service.record_dose(missing, lot_id=s.lots[ASTRA], actor=s.vaccinator)
    assert status(s, missing) == "done"
    assert s.ledger.get_person(people[1]).active_doses[0].dose_id == dose
    # The day's end leaves the late arrival alone.
    s.clock.advance(1)
    assert s.service.run_day().no_shows == 1  # people[0], checked in and never vaccinated
    assert status(s, missing) == "done"


ASTRA = "EU/1/21/1529"


def test_nobody_vaccinated_that_day_is_marked_and_only_the_sites_staff_on_the_day_can(
    sqlite_story: Story,
) -> None:
    s = sqlite_story
    people, ids = monday_with(s, 3)
    desk = people[0]  # vaccinated at the desk, not through the appointment
    s.ledger.record_dose(
        person_id=desk,
        dose_number=1,
        product=ASTRA,
        lot_id=s.lots[ASTRA],
        administered_on=MONDAY,
        site_id=s.site_id,
        actor=s.vaccinator,
        idempotency_key="desk-dose",
    )
    with pytest.raises(NoShowVaccinatedToday):
        s.service.mark_no_show(ids[str(desk)], actor=s.vaccinator)
    assert status(s, ids[str(desk)]) == "booked"

    elsewhere = Actor("vaccinator-9", Role.VACCINATOR, uuid4())
    with pytest.raises(NotPermitted):
        s.service.mark_no_show(ids[str(people[1])], actor=elsewhere)
    with pytest.raises(NotPermitted):
        s.service.mark_no_show(ids[str(people[1])], actor=Actor(str(people[1]), Role.CITIZEN))
    assert status(s, ids[str(people[1])]) == "booked"

    # The afternoon's one place: freed by the no-show, given to someone else, so "came late" is refused.
    afternoon = ids[str(people[2])]
    s.service.mark_no_show(afternoon, actor=s.vaccinator)
    newcomer = s.person()
    s.service.register(person=newcomer, group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    again = appointments(s)
    assert str(newcomer) in again  # the freed place went to the next in the queue...
    assert again[str(people[2])] == afternoon  # ...not back to the person who did not come today
    with pytest.raises(SessionUnavailable):
        s.service.record_late_arrival(afternoon, actor=s.vaccinator)

    # Marked on the day, the registration then booked for another day: "came late" says so.
    s.service.mark_no_show(ids[str(people[1])], actor=s.vaccinator)
    s.service.plan_day(s.site_id, MONDAY + timedelta(days=1), actor=OFFICER)
    with pytest.raises(LateArrivalRebooked):
        s.service.record_late_arrival(ids[str(people[1])], actor=s.vaccinator)

    # Another day, or a closed day: refused.
    s.service.close_day(s.site_id, MONDAY, actor=s.vaccinator)
    with pytest.raises(AttendanceNotOpen):
        s.service.record_late_arrival(ids[str(people[1])], actor=s.vaccinator)
    tuesday = s.service.day(s.site_id, MONDAY + timedelta(days=1))
    assert tuesday is not None
    booked = tuesday.sessions[0].appointments[0].appointment_id
    with pytest.raises(AttendanceNotOpen):
        s.service.mark_no_show(booked, actor=s.vaccinator)
