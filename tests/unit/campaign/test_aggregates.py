"""The campaign aggregates' rules, with no store: registrations, day plans, the outbox's attempts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from ledger.campaign.errors import AlreadyBooked, AlreadyRegistered, SiteClosed
from ledger.campaign.messages import ATTEMPT_LEASE, MAX_ATTEMPTS, Message, MessageStatus
from ledger.campaign.plans import Appointment, DayPlan
from ledger.campaign.registrations import Registration
from ledger.campaign.sites import SiteSchedule
from ledger.campaign.values import (
    AppointmentStatus,
    RegistrationStatus,
    Session,
    SiteStatus,
    registration_id,
    schedule_id,
)
from ledger.errors import RuleViolation
from ledger.values import Actor, PersonalData, Role

AT = datetime(2021, 8, 1, 3, tzinfo=UTC)
DAY = date(2021, 8, 2)  # a Monday
OFFICER = Actor("officer-1", Role.PROVINCE_OFFICER)
SITE = uuid4()


def registration(person: UUID | None = None, dose: int = 1) -> Registration:
    person = person or uuid4()
    return Registration(
        id=registration_id(person, dose),  # type: ignore[call-arg]
        actor=OFFICER,
        at=AT,
        person_id=person,
        dose_number=dose,
        priority_group="ELDERLY_65_PLUS",
        priority_rank=10,
        ward_code="00001",
        province_code="01",
        site_id=None,
        previous_product=None,
        due_on=DAY,
        language="vi",
        automatic=False,
    )


def plan(capacity: int = 2) -> DayPlan:
    return DayPlan(
        id=uuid4(),  # type: ignore[call-arg]
        actor=OFFICER,
        at=AT,
        site_id=SITE,
        day=DAY,
        sessions=[
            Session("morning", "07:30", "11:30", capacity).as_list(),
            Session("afternoon", "13:30", "16:30", 1).as_list(),
        ],
    )


def appointment(person: UUID, session: str = "morning") -> Appointment:
    return Appointment(uuid4(), uuid4(), person, session, 10, 1, "BBIBP-CorV")


def test_a_site_schedule_refuses_closed_days_and_pauses() -> None:
    site = SiteSchedule(
        id=schedule_id(SITE),  # type: ignore[call-arg]
        actor=OFFICER,
        at=AT,
        site_id=SITE,
        name="Trạm Y tế Phúc Xá",
        ward_code="00001",
        province_code="01",
        address="1 Nghĩa Dũng",
        sessions=[Session("morning", "07:30", "11:30", 100).as_list()],
        opening_days=[0, 1, 2, 3, 4],
    )
    site.check_open_on(DAY)
    with pytest.raises(SiteClosed, match="does not open on Sunday"):
        site.check_open_on(DAY - timedelta(days=1))
    site.set_status(status=SiteStatus.PAUSED, reason="flood", actor=OFFICER, at=AT)
    with pytest.raises(SiteClosed, match="paused"):
        site.check_open_on(DAY)
    assert site.capacity_per_day == 100


def test_a_registration_is_booked_once_released_with_its_original_time_and_renewed_only_when_withdrawn() -> (
    None
):
    r = registration()
    later = AT + timedelta(days=3)
    first = uuid4()
    r.book(
        appointment_id=first,
        plan_id=uuid4(),
        site_id=SITE,
        day=DAY,
        session="morning",
        actor=OFFICER,
        at=later,
    )
    with pytest.raises(AlreadyBooked):
        r.book(
            appointment_id=uuid4(),
            plan_id=uuid4(),
            site_id=SITE,
            day=DAY,
            session="morning",
            actor=OFFICER,
            at=later,
        )
    r.release(appointment_id=first, reason="no_show", actor=OFFICER, at=later)
    assert r.status is RegistrationStatus.WAITING
    assert r.queued_at == AT  # original priority
    with pytest.raises(AlreadyRegistered):
        r.renew(priority_group="X", priority_rank=1, site_id=None, language="vi", actor=OFFICER, at=later)
    r.withdraw(reason="moved abroad", actor=OFFICER, at=later)
    r.renew(
        priority_group="HEALTH_WORKER", priority_rank=1, site_id=None, language="en", actor=OFFICER, at=later
    )
    assert r.status is RegistrationStatus.WAITING
    assert r.queued_at == later


def test_a_registration_is_not_booked_before_its_dose_is_due() -> None:
    r = registration()
    with pytest.raises(RuleViolation, match="not due before"):
        r.book(
            appointment_id=uuid4(),
            plan_id=uuid4(),
            site_id=SITE,
            day=DAY - timedelta(days=1),
            session="morning",
            actor=OFFICER,
            at=AT,
        )


def test_a_plan_never_exceeds_capacity_nor_books_a_person_twice() -> None:
    p = plan(capacity=2)
    a, b = uuid4(), uuid4()
    p.book([appointment(a), appointment(b)], actor=OFFICER, at=AT)
    with pytest.raises(RuleViolation, match="full"):
        p.book([appointment(uuid4())], actor=OFFICER, at=AT)
    with pytest.raises(AlreadyBooked, match="already has an appointment"):
        p.book([appointment(a, "afternoon")], actor=OFFICER, at=AT)
    assert p.taken("morning") == 2


def test_cancelling_a_session_frees_its_places_and_refuses_new_bookings() -> None:
    p = plan()
    booked = [appointment(uuid4()), appointment(uuid4())]
    p.book(booked, actor=OFFICER, at=AT)
    cancelled = p.cancel_session("morning", reason="no vaccinator", actor=OFFICER, at=AT)
    assert {c.appointment_id for c in cancelled} == {b.appointment_id for b in booked}
    assert p.taken("morning") == 0
    with pytest.raises(RuleViolation, match="cancelled"):
        p.book([appointment(uuid4())], actor=OFFICER, at=AT)


def test_check_in_then_dose_then_close_marks_the_others_no_show() -> None:
    p = plan(capacity=3)
    came, absent, arrived_only = appointment(uuid4()), appointment(uuid4()), appointment(uuid4())
    p.book([came, absent, arrived_only], actor=OFFICER, at=AT)
    with pytest.raises(RuleViolation, match="not today"):
        p.check_in(came.appointment_id, today=DAY - timedelta(days=1), actor=OFFICER, at=AT)
    p.check_in(came.appointment_id, today=DAY, actor=OFFICER, at=AT)
    p.check_in(arrived_only.appointment_id, today=DAY, actor=OFFICER, at=AT)
    dose = uuid4()
    p.link_dose(came.appointment_id, dose, actor=OFFICER, at=AT)
    missing = p.close_day(actor=OFFICER, at=AT)
    assert {m.appointment_id for m in missing} == {absent.appointment_id, arrived_only.appointment_id}
    assert p.appointments[came.appointment_id].status is AppointmentStatus.DONE
    assert p.appointments[came.appointment_id].dose_id == dose
    assert p.appointments[absent.appointment_id].status is AppointmentStatus.NO_SHOW
    assert p.close_day(actor=OFFICER, at=AT) == []


def test_a_message_resumes_an_open_attempt_with_the_same_key_and_gives_up_after_max_attempts() -> None:
    person = uuid4()
    m = Message(
        id=uuid4(),  # type: ignore[call-arg]
        actor=OFFICER,
        at=AT,
        person_id=person,
        kind="appointment",
        text=PersonalData(person, "Lịch tiêm"),
        language="vi",
        encoding="UCS-2",
        parts=1,
        appointment_id=None,
        dose_id=None,
    )
    sender = Actor("sms-sender", Role.SYSTEM)
    first = m.start_attempt(attempt_id=uuid4(), phone_digest="d", actor=sender, at=AT)
    # Within its lease the attempt belongs to the sender that started it (it may still be calling).
    assert m.held_by_another(AT + ATTEMPT_LEASE - timedelta(seconds=1))
    with pytest.raises(RuleViolation, match="Another sender"):
        m.start_attempt(
            attempt_id=uuid4(), phone_digest="d", actor=sender, at=AT + ATTEMPT_LEASE - timedelta(seconds=1)
        )
    # The sender died after calling the gateway: once the lease ran out the next one resends under
    # the same key, recorded again (its claim, and another call counted).
    later = AT + ATTEMPT_LEASE
    assert not m.held_by_another(later)
    assert m.start_attempt(attempt_id=uuid4(), phone_digest="d", actor=sender, at=later) == first
    assert (m.attempts, m.attempt_started_at) == (2, later)
    m.failed(attempt_id=first, error="503", next_try_at=AT, actor=sender, at=later)
    assert m.status is MessageStatus.PENDING
    for _ in range(MAX_ATTEMPTS - 2):
        attempt = m.start_attempt(attempt_id=uuid4(), phone_digest="d", actor=sender, at=AT)
        m.failed(attempt_id=attempt, error="503", next_try_at=AT, actor=sender, at=AT)
    assert m.status.value == "failed"
    with pytest.raises(RuleViolation):
        m.start_attempt(attempt_id=uuid4(), phone_digest="d", actor=sender, at=AT)


def test_only_a_message_never_tried_can_be_withdrawn_and_a_withdrawn_one_is_never_sent() -> None:
    person = uuid4()

    def message() -> Message:
        return Message(
            id=uuid4(),  # type: ignore[call-arg]
            actor=OFFICER,
            at=AT,
            person_id=person,
            kind="appointment",
            text=PersonalData(person, "Lịch tiêm"),
            language="vi",
            encoding="UCS-2",
            parts=1,
            appointment_id=uuid4(),
            dose_id=None,
        )

    sender = Actor("sms-sender", Role.SYSTEM)
    m = message()
    m.withdraw(reason="appointment cancelled", actor=sender, at=AT)
    assert m.status is MessageStatus.WITHDRAWN
    with pytest.raises(RuleViolation, match="already withdrawn"):
        m.start_attempt(attempt_id=uuid4(), phone_digest="d", actor=sender, at=AT)
    tried = message()
    tried.start_attempt(attempt_id=uuid4(), phone_digest="d", actor=sender, at=AT)
    with pytest.raises(RuleViolation, match="not yet tried"):
        tried.withdraw(reason="appointment cancelled", actor=sender, at=AT)
