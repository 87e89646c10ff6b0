"""Issue 13: a person moves to another ward or province (working there for a month).

A booked appointment moves to a site of another ward, or a waiting registration moves to another
ward's queue. The same rules as a move in the ward: only when the person (or their guardian, or
staff) asks; one "change" message in the same transaction; each refusal named, nothing written; and
the person keeps their priority and original registration time in the new ward's queue.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from ledger.campaign.errors import (
    AlreadyBooked,
    MoveSameWard,
    NoStock,
    RegistrationClosed,
    SessionUnavailable,
)
from ledger.campaign.values import Session
from ledger.errors import NotPermitted, OutsideProvince, SiteNotFound
from ledger.values import Actor, Role
from projections import priority_queries, queue_queries
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, PFIZER, SINOPHARM, Story
from tests.integration.campaign.test_move_story import mine

TAN_DINH = "26734"  # Phường Tân Định, Hồ Chí Minh City (province 79)
OFFICER_79 = Actor("officer-79", Role.PROVINCE_OFFICER, province_code="79")


def hcm_site(s: Story, *, stock: dict[str, int], capacity: int = 3, code: str = "VN-79-0001") -> str:
    site = s.service.add_site(
        code=code,
        name=f"Trạm Y tế Tân Định {code[-1]}",
        ward_code=TAN_DINH,
        address="1 Hai Bà Trưng, Quận 1",
        sessions=[Session("morning", "07:30", "11:30", capacity)],
        actor=OFFICER_79,
    )
    for product, n in stock.items():
        s.ledger.receive_lot(
            product=product,
            lot_number=f"{code}-{product[-4:]}",
            expiry=date(2022, 3, 1),
            site_id=UUID(site.site_id),
            quantity=n,
            actor=ADMIN,
            idempotency_key=f"lot-{code}-{product}",
        )
    return site.site_id


def registration(s: Story, person: UUID) -> queue_queries.RegistrationRow:
    s.service.refresh()
    return queue_queries.registrations_of_person(s.store, person)[0]


def test_a_booked_person_moves_to_another_province_and_keeps_their_place_there(story: Story) -> None:
    s = story  # on memory, SQLite and PostgreSQL
    (me,) = [s.person() for _ in range(1)]
    s.service.register(person=me, group="HEALTH_WORKER", actor=ADMIN)
    s.clock.now += timedelta(minutes=5)
    # Two people of Tân Định registered after them, in the same group: they will wait behind.
    locals_ = [s.person(ward_code=TAN_DINH) for _ in range(2)]
    for p in locals_:
        s.service.register(person=p, group="HEALTH_WORKER", actor=ADMIN)
        s.clock.now += timedelta(minutes=1)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    appointment = mine(s, me)
    there = hcm_site(s, stock={PFIZER: 10, SINOPHARM: 10})
    citizen = Actor(str(me), Role.CITIZEN)
    offered = s.service.move_options(appointment, ward=TAN_DINH)
    assert {(p.site_id, p.day) for p in offered} >= {(there, MONDAY.isoformat())}
    booked = s.service.appointment(appointment)
    head = s.ledger.recorder.max_notification_id()

    moved = s.service.move_appointment(
        appointment, site_id=there, day=MONDAY, session="morning", actor=citizen
    )
    again = s.service.move_appointment(  # a resent request is the same move
        appointment, site_id=there, day=MONDAY, session="morning", actor=citizen
    )
    assert again == moved
    assert s.ledger.recorder.max_notification_id() > head
    new = s.service.appointment(moved)
    assert (new.site_id, new.day, new.status, new.product) == (
        there,
        MONDAY.isoformat(),
        "booked",
        booked.product,
    )
    assert s.service.appointment(appointment).status == "cancelled"
    changes = s.service.messages(kind="change")
    assert len(changes) == 1  # one "change" message, in the move's transaction
    assert "Trạm Y tế Tân Định 1" in changes[0].text
    reg = registration(s, me)
    assert (reg.ward, reg.status, reg.site_id) == (TAN_DINH, "booked", None)

    # Released there (they cancel), they wait in Tân Định's queue with their original time: first.
    s.service.cancel_appointment(moved, actor=citizen)
    reg = registration(s, me)
    assert reg.ward == TAN_DINH
    assert reg.status == "waiting"
    places = s.service.queue_places(me)
    assert places[0].position == 1
    assert places[0].waiting == 3
    assert priority_queries.queue_position(s.store, registration(s, locals_[0]).registration_id) == 1
    # Planning Tân Định books them first, before the locals who registered later.
    planned = s.service.plan_day(there, MONDAY + timedelta(days=1), actor=OFFICER_79)
    order = [a["person_id"] for x in planned.sessions for a in x["appointments"]]
    assert order[0] == str(me)
    # And Phúc Xá's queue does not hold them any more.
    assert str(me) not in {r.person_id for r in s.service.registrations(s.site_id)}


def test_each_refusal_of_a_move_elsewhere_is_named_and_writes_nothing(sqlite_story: Story) -> None:
    s = sqlite_story
    me = s.person()
    s.service.register(person=me, group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    appointment = mine(s, me)
    product = s.service.appointment(appointment).product
    empty = hcm_site(s, stock={}, code="VN-79-0002")
    full = hcm_site(s, stock={product: 5}, capacity=1, code="VN-79-0003")
    other = s.person(ward_code=TAN_DINH)
    s.service.register(person=other, group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(full, MONDAY, actor=OFFICER_79)  # its one place is taken
    citizen = Actor(str(me), Role.CITIZEN)
    head = s.ledger.recorder.max_notification_id()
    with pytest.raises(NoStock):
        s.service.move_appointment(appointment, site_id=empty, day=MONDAY, session="morning", actor=citizen)
    with pytest.raises(SessionUnavailable):
        s.service.move_appointment(appointment, site_id=full, day=MONDAY, session="morning", actor=citizen)
    with pytest.raises(SiteNotFound):
        s.service.move_appointment(
            appointment, site_id=str(UUID(int=7)), day=MONDAY, session="morning", actor=citizen
        )
    with pytest.raises(NotPermitted):
        s.service.move_appointment(
            appointment, site_id=full, day=MONDAY, session="morning", actor=Actor(str(other), Role.CITIZEN)
        )
    with pytest.raises(OutsideProvince):  # Hà Nội's officer does not book in Hồ Chí Minh City
        s.service.move_appointment(appointment, site_id=full, day=MONDAY, session="morning", actor=OFFICER)
    assert s.ledger.recorder.max_notification_id() == head
    assert registration(s, me).ward == "00001"
    assert s.service.messages(kind="change") == []


def test_a_waiting_person_moves_their_place_to_another_wards_queue(sqlite_story: Story) -> None:
    s = sqlite_story
    guardian = s.person()
    child = s.person(national_id=None, phone=None, guardian_id=guardian, relationship="child")
    s.service.register(person=child, group="OTHER", actor=Actor(str(guardian), Role.GUARDIAN))
    s.clock.now += timedelta(minutes=5)
    local = s.person(ward_code=TAN_DINH)
    s.service.register(person=local, group="OTHER", actor=ADMIN)
    hcm_site(s, stock={PFIZER: 10})
    reg = registration(s, child)
    stranger = Actor(str(local), Role.CITIZEN)
    with pytest.raises(NotPermitted):  # only the child's guardian (or staff) moves the child
        s.service.transfer_registration(reg.registration_id, ward_code=TAN_DINH, actor=stranger)
    with pytest.raises(NotPermitted):  # another family's guardian
        s.service.transfer_registration(
            reg.registration_id, ward_code=TAN_DINH, actor=Actor(str(local), Role.GUARDIAN)
        )
    mum = Actor(str(guardian), Role.GUARDIAN)
    with pytest.raises(MoveSameWard):
        s.service.transfer_registration(reg.registration_id, ward_code="00001", actor=mum)
    assert s.service.messages(kind="transfer") == []

    s.service.transfer_registration(reg.registration_id, ward_code=TAN_DINH, actor=mum, moves_seen=0)
    # The same form sent again (the page said 0 moves so far): the same move, nothing more.
    s.service.transfer_registration(reg.registration_id, ward_code=TAN_DINH, actor=mum, moves_seen=0)
    moved = registration(s, child)
    assert (moved.ward, moved.status, moved.queued_at) == (TAN_DINH, "waiting", reg.queued_at)
    changes = s.service.messages(kind="transfer")
    assert len(changes) == 1
    assert "Phường Tân Định, Hồ Chí Minh" in changes[0].text
    assert "giữ nguyên thứ tự ưu tiên" in changes[0].text
    places = s.service.queue_places(child)
    assert (places[0].position, places[0].waiting) == (1, 2)  # registered before the local person
    # Back home after the month: a new move (not the first one replayed), a second message.
    s.service.transfer_registration(reg.registration_id, ward_code="00001", actor=mum)
    assert registration(s, child).ward == "00001"
    s.service.transfer_registration(reg.registration_id, ward_code=TAN_DINH, actor=mum)
    assert registration(s, child).ward == TAN_DINH
    assert len(s.service.messages(kind="transfer")) == 3


def test_a_booked_or_closed_registration_does_not_move_its_place(sqlite_story: Story) -> None:
    s = sqlite_story
    me = s.person()
    s.service.register(person=me, group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    citizen = Actor(str(me), Role.CITIZEN)
    reg = registration(s, me)
    with pytest.raises(AlreadyBooked):
        s.service.transfer_registration(reg.registration_id, ward_code=TAN_DINH, actor=citizen)
    s.service.cancel_appointment(mine(s, me), actor=citizen, withdraw=True)
    with pytest.raises(RegistrationClosed):
        s.service.transfer_registration(reg.registration_id, ward_code=TAN_DINH, actor=citizen)
    assert registration(s, me).ward == "00001"


def test_an_officer_of_another_province_cannot_pull_a_waiting_place_into_their_province(
    sqlite_story: Story,
) -> None:
    """Hồ Chí Minh City's officer moving a Hà Nội person's waiting place to Tân Định: the target is in their
    province, the queue it leaves is not. Refused, nothing written (any officer could before)."""
    s = sqlite_story
    me = s.person()
    s.service.register(person=me, group="HEALTH_WORKER", actor=ADMIN)
    reg = registration(s, me)
    head = s.ledger.recorder.max_notification_id()
    with pytest.raises(OutsideProvince):
        s.service.transfer_registration(reg.registration_id, ward_code=TAN_DINH, actor=OFFICER_79)
    assert s.ledger.recorder.max_notification_id() == head
    assert registration(s, me).ward == "00001"
    s.service.transfer_registration(reg.registration_id, ward_code=TAN_DINH, actor=ADMIN)  # nationwide
    assert registration(s, me).ward == TAN_DINH
