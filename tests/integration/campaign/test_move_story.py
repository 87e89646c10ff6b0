"""A booked person moves their appointment (only when they ask), and the ward's public priority list."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from ledger.campaign.errors import (
    AppointmentClosed,
    DayInPast,
    MoveToSameSession,
    NoStock,
    SessionUnavailable,
)
from ledger.campaign.values import Session
from ledger.errors import NotPermitted
from ledger.values import Actor, Role
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, PFIZER, Story
from tests.integration.campaign.test_changes_story import book


def mine(s: Story, person: UUID, day: date = MONDAY) -> str:
    plan = s.service.day(s.site_id, day)
    assert plan is not None
    return next(
        a.appointment_id
        for x in plan.sessions
        for a in x.appointments
        if a.person_id == str(person) and a.status == "booked"
    )


def other_site(s: Story, code: str, ward: str, *, stock: bool) -> str:
    site = s.service.add_site(
        code=code,
        name=f"Điểm tiêm {code}",
        ward_code=ward,
        address="2 Phó Đức Chính",
        sessions=[Session("morning", "08:00", "11:00", 5)],
        actor=OFFICER,
    )
    if stock:
        for product in {a for a in (PFIZER, "EU/1/21/1529", "BBIBP-CorV")}:
            s.ledger.receive_lot(
                product=product,
                lot_number=f"{code}-{product[-4:]}",
                expiry=date(2022, 3, 1),
                site_id=UUID(site.site_id),
                quantity=20,
                actor=ADMIN,
                idempotency_key=f"lot-{code}-{product}",
            )
    return site.site_id


def test_a_person_moves_to_an_offered_session_and_is_told_once(story: Story) -> None:
    s = story  # on memory, SQLite and PostgreSQL
    first, second, third = book(s, 3)  # Monday: morning 2 places, afternoon 1
    me = Actor(str(first), Role.CITIZEN)
    appointment = mine(s, first)
    offered = s.service.move_options(appointment)
    keys = {(p.day, p.session) for p in offered}
    assert (MONDAY.isoformat(), "morning") not in keys  # their own session
    assert (MONDAY.isoformat(), "afternoon") not in keys  # full
    tuesday = (MONDAY + timedelta(days=1)).isoformat()
    assert (tuesday, "morning") in keys
    assert (tuesday, "afternoon") in keys
    assert all(p.free > 0 for p in offered)
    head = s.ledger.recorder.max_notification_id()

    moved = s.service.move_appointment(
        appointment, site_id=s.site_id, day=MONDAY + timedelta(days=1), session="afternoon", actor=me
    )
    again = s.service.move_appointment(  # a retried request is the same move
        appointment, site_id=s.site_id, day=MONDAY + timedelta(days=1), session="afternoon", actor=me
    )
    assert again == moved
    changes = s.service.messages(kind="change")
    assert len(changes) == 1
    assert "03/08/2021 13:30-16:30" in changes[0].text
    assert "đã thay đổi" in changes[0].text
    assert s.ledger.recorder.max_notification_id() > head
    monday = s.service.day(s.site_id, MONDAY)
    assert monday is not None
    statuses = {a.person_id: a.status for x in monday.sessions for a in x.appointments}
    assert statuses[str(first)] == "cancelled"
    # Planning Monday again fills the freed place but moves nobody who was told.
    before = {a.appointment_id for x in monday.sessions for a in x.appointments if a.status == "booked"}
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    after_plan = s.service.day(s.site_id, MONDAY)
    assert after_plan is not None
    still = {a.appointment_id for x in after_plan.sessions for a in x.appointments if a.status == "booked"}
    assert before <= still
    assert {mine(s, second), mine(s, third)} <= still

    # The same session again, a day gone by, a cancelled appointment: each says what was wrong.
    with pytest.raises(MoveToSameSession):
        s.service.move_appointment(
            moved, site_id=s.site_id, day=MONDAY + timedelta(days=1), session="afternoon", actor=me
        )
    with pytest.raises(DayInPast):
        s.service.move_appointment(
            moved, site_id=s.site_id, day=MONDAY - timedelta(days=5), session="morning", actor=me
        )
    with pytest.raises(SessionUnavailable):
        s.service.move_appointment(moved, site_id=s.site_id, day=MONDAY, session="evening", actor=me)
    with pytest.raises(AppointmentClosed):
        s.service.move_appointment(
            appointment, site_id=s.site_id, day=MONDAY + timedelta(days=2), session="morning", actor=me
        )


def test_a_move_offers_the_ward_and_needs_the_vaccine_at_the_other_site(sqlite_story: Story) -> None:
    s = sqlite_story
    (first,) = book(s, 1)
    me = Actor(str(first), Role.CITIZEN)
    appointment = mine(s, first)
    empty = other_site(s, "VN-01-0002", "00001", stock=False)
    stocked = other_site(s, "VN-01-0003", "00001", stock=True)
    elsewhere = other_site(s, "VN-01-0004", "00004", stock=True)
    offered_sites = {p.site_id for p in s.service.move_options(appointment)}
    assert stocked in offered_sites
    assert s.service.site(s.site_id).site_id in offered_sites
    assert empty not in offered_sites
    assert elsewhere not in offered_sites  # another ward's sites are offered when that ward is chosen
    assert elsewhere in {p.site_id for p in s.service.move_options(appointment, ward="00004")}
    with pytest.raises(NoStock):
        s.service.move_appointment(appointment, site_id=empty, day=MONDAY, session="morning", actor=me)
    with pytest.raises(NotPermitted):
        s.service.move_appointment(
            appointment,
            site_id=stocked,
            day=MONDAY,
            session="morning",
            actor=Actor("someone-else", Role.CITIZEN),
        )
    moved = s.service.move_appointment(appointment, site_id=stocked, day=MONDAY, session="morning", actor=me)
    there = s.service.day(stocked, MONDAY)
    assert there is not None
    assert [a.appointment_id for a in there.sessions[0].appointments] == [str(moved)]
    assert "Điểm tiêm VN-01-0003" in s.service.messages(kind="change")[0].text


def test_the_public_priority_list_suppresses_small_counts_and_estimates_the_cutoff(
    sqlite_story: Story,
) -> None:
    s = sqlite_story
    # 3 places a day (morning 2, afternoon 1); 6 health workers and 2 over-65s wait.
    for _ in range(6):
        s.service.register(person=s.person(), group="HEALTH_WORKER", actor=ADMIN)
        s.clock.now += timedelta(minutes=1)
    for _ in range(2):
        s.service.register(person=s.person(), group="CHRONIC_DISEASE_OR_OVER_65", actor=ADMIN)
    found = s.service.priority_list("00001")
    body = found.as_json()
    assert body["groups"][0]["waiting"] == 6
    assert body["groups"][1]["waiting"] == "<5"  # 2 people: not shown
    assert body["waiting"] is None
    assert body["waiting_at_least"] == 7
    # Sunday 10:00 in Viet Nam: today's sessions are not over, and the planner may still book today.
    today = s.ledger.today().isoformat()
    assert body["next_day"] == today
    assert body["places_next_day"] == 3
    assert body["free_places_next_day"] == 3
    assert "stock" in body["estimate_basis"]
    assert body["cutoff"]["rank"] == found.groups[0][0]  # 3 places end among the health workers
    assert body["cutoff"]["registered_on"] == "2021-08-01"
    text = str(body)
    assert "person" not in text
    assert "0912" not in text
    # A person's own place: the fourth health worker is 4th of 8, beyond Monday's places.
    places = s.service.queue_places(s.people[3])
    assert places[0].position == 4
    assert places[0].waiting == 8
    assert not places[0].in_next_day
    assert places[0].expected_day == MONDAY.isoformat()  # the planner, run ahead, reaches them Monday
    assert s.service.queue_places(s.people[0])[0].in_next_day
    assert s.service.queue_places(s.people[0])[0].expected_day == today
    # At 17:00 today's sessions are over: the next day is Monday.
    s.clock.now = s.clock.now.replace(hour=10)  # 17:00 in Viet Nam
    later = s.service.priority_list("00001")
    assert later.next_day == MONDAY.isoformat()
    assert s.service.queue_places(s.people[3])[0].expected_day == (MONDAY + timedelta(days=1)).isoformat()
