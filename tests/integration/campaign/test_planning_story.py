"""Registering by priority and planning a site-day, through the service, on every store."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from ledger.campaign.errors import AlreadyBooked, AlreadyRegistered, CampaignInputInvalid, NoStock, SiteClosed
from ledger.campaign.planning import Booking
from ledger.campaign.values import Session, registration_id
from ledger.errors import InvalidInput, NotPermitted, SiteNotFound
from ledger.values import Actor, Role
from tests.integration.campaign.conftest import ADMIN, ASTRAZENECA, MONDAY, OFFICER, Story


def test_a_day_is_planned_by_due_dose_then_rank_then_time_and_planning_again_writes_nothing(
    story: Story,
) -> None:
    s = story
    # Someone who had AstraZeneca 40 days ago is due for dose 2; they register last.
    earlier = s.person("CHRONIC_DISEASE_OR_OVER_65")
    s.ledger.record_dose(
        person_id=earlier,
        dose_number=1,
        product=ASTRAZENECA,
        lot_id=s.lots[ASTRAZENECA],
        administered_on=MONDAY - timedelta(days=40),
        site_id=s.site_id,
        actor=s.vaccinator,
        idempotency_key=s.key(),
    )
    teacher = s.person("EDUCATION_ADMIN_PUBLIC_FACING")
    elder = s.person("CHRONIC_DISEASE_OR_OVER_65")
    worker = s.person("HEALTH_WORKER")
    late_worker = s.person("HEALTH_WORKER")
    for person, group in [
        (teacher, "EDUCATION_ADMIN_PUBLIC_FACING"),
        (elder, "CHRONIC_DISEASE_OR_OVER_65"),
        (worker, "HEALTH_WORKER"),
        (late_worker, "HEALTH_WORKER"),
    ]:
        s.service.register(person=person, group=group, actor=ADMIN)
        s.clock.now += timedelta(minutes=1)
    second = s.service.register(person=earlier, group="CHRONIC_DISEASE_OR_OVER_65", actor=ADMIN)
    assert second.dose_number == 2

    planned = s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    body = planned.as_json()
    assert set(body) == {"site_id", "date", "sessions", "waiting", "waiting_reasons", "not_due_yet"}
    assert [x["name"] for x in body["sessions"]] == ["morning", "afternoon"]
    booked = [
        (x["name"], a["person_id"], a["dose_number"]) for x in body["sessions"] for a in x["appointments"]
    ]
    # Capacity 2 + 1: the due second dose first, then health workers by registration time.
    assert booked == [
        ("morning", str(earlier), 2),
        ("morning", str(worker), 1),
        ("afternoon", str(late_worker), 1),
    ]
    assert body["waiting"] == 2
    assert body["sessions"][0]["appointments"][0]["product"] == ASTRAZENECA  # the first dose's product
    assert body["sessions"][0]["capacity"] == 2
    assert body["sessions"][0]["start"] == "07:30"
    assert {"appointment_id", "person_id", "priority_rank", "dose_number", "product"} == set(
        body["sessions"][0]["appointments"][0]
    )

    head = s.ledger.recorder.max_notification_id()
    again = s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    assert again.as_json() == body
    assert s.ledger.recorder.max_notification_id() == head  # nothing new written

    messages = s.service.messages(kind="appointment")
    assert len(messages) == 3
    assert all(m.status == "pending" for m in messages)
    assert all("Trạm Y tế Phường Phúc Xá" in m.text for m in messages)
    assert sorted(m.text.split(", ")[1] for m in messages) == [
        "02/08/2021 07:30-11:30",
        "02/08/2021 07:30-11:30",
        "02/08/2021 13:30-16:30",
    ]
    assert {m.to for m in messages} == {"+84912345001", "+84912345004", "+84912345005"}
    assert {m.appointment_id for m in messages} == {
        a["appointment_id"] for x in body["sessions"] for a in x["appointments"]
    }


def test_nobody_is_registered_twice_and_bad_registrations_are_refused(story: Story) -> None:
    s = story
    person = s.person()
    s.service.register(person=person, group="EDUCATION_ADMIN_PUBLIC_FACING", actor=ADMIN)
    with pytest.raises(AlreadyRegistered, match="already registered for dose 1"):
        s.service.register(person=person, group="EDUCATION_ADMIN_PUBLIC_FACING", actor=ADMIN)
    with pytest.raises(InvalidInput, match="not a priority group"):
        s.service.register(person=s.person(), group="ASTRONAUT", actor=ADMIN)
    with pytest.raises(SiteNotFound):
        s.service.register(
            person=s.person(), group="EDUCATION_ADMIN_PUBLIC_FACING", site_id=UUID(int=7), actor=ADMIN
        )
    with pytest.raises(InvalidInput, match="not a GSO ward code"):
        s.service.register(
            person=s.person(), group="EDUCATION_ADMIN_PUBLIC_FACING", ward_code="99999", actor=ADMIN
        )
    # Registering by national ID number works too.
    other = s.person()
    made = s.service.register(person="001085000005", group="EDUCATION_ADMIN_PUBLIC_FACING", actor=ADMIN)
    assert made.person_id == other


def test_a_dependant_is_registered_only_by_their_own_guardian(story: Story) -> None:
    s = story
    guardian = s.person()
    child = s.person(
        national_id=None, guardian_id=guardian, relationship="child", date_of_birth="2010-01-01", phone=None
    )
    stranger = s.person()
    with pytest.raises(NotPermitted, match="dependant you manage"):
        s.service.register(person=child, group="OTHER", actor=Actor(str(stranger), Role.GUARDIAN))
    made = s.service.register(person=child, group="OTHER", actor=Actor(str(guardian), Role.GUARDIAN))
    assert made.dose_number == 1


def test_bad_planning_input_gets_one_clear_sentence_and_writes_nothing(story: Story) -> None:
    s = story
    head = s.ledger.recorder.max_notification_id()
    with pytest.raises(CampaignInputInvalid, match="in the past"):
        s.service.plan_day(s.site_id, MONDAY - timedelta(days=2), actor=OFFICER)
    with pytest.raises(SiteNotFound):
        s.service.plan_day(UUID(int=5), MONDAY, actor=OFFICER)
    with pytest.raises(CampaignInputInvalid, match="at least 1 person"):
        s.service.add_site(
            code="X",
            name="X",
            ward_code="00001",
            address="",
            sessions=[Session("morning", "07:00", "09:00", 0)],
            actor=OFFICER,
        )
    with pytest.raises(CampaignInputInvalid, match="more than 2,000"):
        s.service.add_site(
            code="X",
            name="X",
            ward_code="00001",
            address="",
            sessions=[Session("morning", "07:00", "09:00", 2_001)],
            actor=OFFICER,
        )
    with pytest.raises(InvalidInput, match="not a GSO ward code"):
        s.service.add_site(
            code="X",
            name="X",
            ward_code="123",
            address="",
            sessions=[Session("morning", "07:00", "09:00", 5)],
            actor=OFFICER,
        )
    with pytest.raises(NotPermitted):
        s.service.add_site(
            code="X",
            name="X",
            ward_code="00001",
            address="",
            sessions=[Session("morning", "07:00", "09:00", 5)],
            actor=Actor("c", Role.CITIZEN),
        )
    assert s.ledger.recorder.max_notification_id() == head


def test_planning_refuses_a_site_without_stock_and_a_closed_day(story: Story, tmp_path: object) -> None:
    s = story
    empty = s.service.add_site(
        code="VN-01-0002",
        name="Trạm Y tế Trúc Bạch",
        ward_code="00004",
        address="",
        opening_days=[0, 1, 2, 3, 4],
        sessions=[Session("morning", "07:30", "11:30", 10)],
        actor=OFFICER,
    )
    person = s.person(ward_code="00004")
    s.service.register(person=person, group="EDUCATION_ADMIN_PUBLIC_FACING", actor=ADMIN)
    head = s.ledger.recorder.max_notification_id()
    with pytest.raises(NoStock, match="no vaccine in stock"):
        s.service.plan_day(empty.site_id, MONDAY, actor=OFFICER)
    with pytest.raises(SiteClosed, match="does not open on Saturday"):
        s.service.plan_day(empty.site_id, date(2021, 8, 7), actor=OFFICER)
    assert s.ledger.recorder.max_notification_id() == head


def test_booking_a_person_who_already_has_an_appointment_that_day_is_refused(story: Story) -> None:
    s = story
    person = s.person()
    s.service.register(person=person, group="EDUCATION_ADMIN_PUBLIC_FACING", actor=ADMIN)
    planned = s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    appointment = planned.sessions[0]["appointments"][0]["appointment_id"]
    head = s.ledger.recorder.max_notification_id()
    with pytest.raises(AlreadyBooked, match="already has an appointment \\(on 2021-08-02\\)"):
        s.ledger.book_day(
            site_id=s.site_id,
            day=MONDAY + timedelta(days=1),
            bookings=[Booking(registration_id(person, 1), person, "afternoon", 1, ASTRAZENECA, 8)],
            actor=OFFICER,
            idempotency_key=s.key(),
        )
    assert s.ledger.recorder.max_notification_id() == head
    assert appointment
