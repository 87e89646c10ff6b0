"""Joining an online registration carries its booked appointment (it was refused: "cancel it first").

The citizen registered online with their number and was booked for Monday morning; the desk had
registered them before with the same number. Staff join the records: the appointment stays the
person's visit (same site, day and session), now the registered record's, in the same transaction;
the place is not given away meanwhile and no second place is taken. When the registered record's next
dose cannot take it (not due by then), the join is refused and writes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from ledger.campaign.registrations import Registration
from ledger.campaign.values import RegistrationStatus, registration_id
from ledger.errors import RuleViolation
from ledger.values import Actor, Role
from projections import plan_queries
from tests.integration.campaign.conftest import MONDAY, OFFICER, SINOPHARM, Story


def online_twin(s: Story, registered: UUID) -> UUID:
    """The same person, registered online with the registered record's number (held, not claimed)."""
    number = s.ledger.person_record(registered).national_id
    phone = "0912000111"
    online = s.ledger.register_person(
        national_id=number, full_name="Nguyễn Văn An", date_of_birth="1950-03-02", sex="male", phone=phone,
        ward_code="00001", priority_group="CHRONIC_DISEASE_OR_OVER_65", actor=Actor(phone, Role.CITIZEN),
        idempotency_key="online-" + uuid4().hex,
    )  # fmt: skip
    s.ledger.register_for_vaccination(
        person_id=online,
        priority_group="CHRONIC_DISEASE_OR_OVER_65",
        actor=Actor(str(online), Role.CITIZEN),
        idempotency_key="reg-" + uuid4().hex,
    )
    return online


def monday(s: Story) -> list[tuple[str, str, str]]:
    plan = s.service.day(s.site_id, MONDAY)
    assert plan is not None
    return [(a.person_id, x.name, a.status) for x in plan.sessions for a in x.appointments]


def join(s: Story, online: UUID, registered: UUID) -> None:
    s.ledger.join_online_registration(
        online_id=online,
        registered_id=registered,
        actor=Actor("nurse-1", Role.SITE_STAFF, s.site_id),
        idempotency_key="join-" + uuid4().hex,
    )


def test_the_joined_record_keeps_the_online_records_appointment(story: Story) -> None:
    s = story  # on memory, SQLite and PostgreSQL
    registered = s.person(phone=None)
    online = online_twin(s, registered)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    [(who, session, status)] = monday(s)
    assert (who, status) == (str(online), "booked")
    join(s, online, registered)  # the old code: "The online registration has an appointment: cancel it first"
    s.service.refresh()
    assert monday(s) == [(str(registered), session, "booked")]  # the same visit, one place, now theirs
    taken = s.ledger.maybe(Registration, registration_id(registered, 1))
    assert taken is not None
    assert (taken.status, taken.booked_day, taken.site_id) == (RegistrationStatus.BOOKED, MONDAY, None)
    assert s.ledger.get_person(online).erased
    assert s.ledger.person_record(registered).phone == "0912000111"
    plan = plan_queries.day_plan(s.store, s.site_id, MONDAY)
    assert plan is not None
    assert sum(1 for x in plan.sessions for a in x.appointments if a.status == "booked") == 1


def test_an_appointment_the_registered_dose_cannot_take_is_refused_and_nothing_written(story: Story) -> None:
    s = story
    registered = s.person(phone=None)
    s.ledger.record_dose(  # given today at the desk: dose 2 is not due on Monday
        person_id=registered,
        dose_number=1,
        product=SINOPHARM,
        lot_id=s.lots[SINOPHARM],
        administered_on=s.clock.now.date(),
        site_id=s.site_id,
        actor=s.vaccinator,
        idempotency_key="dose-1",
    )
    s.clock.now += timedelta(minutes=1)
    online = online_twin(s, registered)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    head = s.ledger.recorder.max_notification_id()
    with pytest.raises(RuleViolation, match="cancel the appointment first"):
        join(s, online, registered)
    assert s.ledger.recorder.max_notification_id() == head
