"""Site staff move, withdraw, check in, mark absent or cancel only their own site's waiting places.

The attacker: staff of one site (signed in, so inside the system) pulling people out of another site's
queue into their own, or withdrawing them. A booked appointment was already held to its site's staff
(s5); a place still waiting (no appointment yet) was not: any staff member anywhere could move or
withdraw it, and an officer of another province could withdraw it. The rule is the ledger's
(`permissions.require_queue_actor`), so the API, the pages, the CLI and batch jobs all give the same
answer; a refusal writes nothing.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from ledger.campaign.errors import WaitingPlaceOfAnotherSite
from ledger.campaign.values import Session
from ledger.errors import NotPermitted, OutsideProvince
from ledger.values import Actor, Role
from projections import queue_queries
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, Story
from tests.integration.campaign.test_move_story import mine

TRUC_BACH = "00004"  # Phường Trúc Bạch, Hà Nội (province 01), next to Phúc Xá
TAN_DINH = "26734"  # Phường Tân Định, Hồ Chí Minh City (province 79)
OFFICER_79 = Actor("officer-79", Role.PROVINCE_OFFICER, province_code="79")


def other_site(s: Story, *, code: str, ward: str, officer: Actor) -> UUID:
    site = s.service.add_site(
        code=code,
        name=f"Trạm Y tế {code}",
        ward_code=ward,
        address="1 Phố Nào Đó",
        sessions=[Session("morning", "07:30", "11:30", 3)],
        actor=officer,
    )
    return UUID(site.site_id)


def waiting(s: Story, person: UUID) -> queue_queries.RegistrationRow:
    s.service.refresh()
    return queue_queries.registrations_of_person(s.store, person)[0]


def test_staff_of_another_site_cannot_move_or_withdraw_a_waiting_place(story: Story) -> None:
    s = story  # on memory, SQLite and PostgreSQL
    me = s.person()
    s.service.register(person=me, group="HEALTH_WORKER", actor=ADMIN)
    reg = waiting(s, me)
    assert reg.ward == "00001"
    truc_bach = other_site(s, code="VN-01-0004", ward=TRUC_BACH, officer=OFFICER)
    tan_dinh = other_site(s, code="VN-79-0001", ward=TAN_DINH, officer=OFFICER_79)
    neighbour = Actor("staff-truc-bach", Role.SITE_STAFF, truc_bach)
    far = Actor("staff-tan-dinh", Role.SITE_STAFF, tan_dinh)
    head = s.ledger.recorder.max_notification_id()

    # Staff of a site of the same province, and of another province, pull the place into their ward.
    for actor, ward in ((neighbour, TRUC_BACH), (far, TAN_DINH)):
        with pytest.raises(WaitingPlaceOfAnotherSite):
            s.service.transfer_registration(reg.registration_id, ward_code=ward, actor=actor)
        with pytest.raises(WaitingPlaceOfAnotherSite):
            s.service.transfer_registration(reg.registration_id, site_id=actor.site_id, actor=actor)
        with pytest.raises(WaitingPlaceOfAnotherSite):
            s.ledger.withdraw_registration(
                registration_id=UUID(reg.registration_id), reason="x", actor=actor, idempotency_key=s.key()
            )
    # An officer of another province may not withdraw it either (moving it was already refused).
    with pytest.raises(OutsideProvince):
        s.ledger.withdraw_registration(
            registration_id=UUID(reg.registration_id), reason="x", actor=OFFICER_79, idempotency_key=s.key()
        )
    assert s.ledger.recorder.max_notification_id() == head  # nothing written
    assert waiting(s, me).ward == "00001"
    assert waiting(s, me).status == "waiting"

    # The site's own staff may move it (the person asked at the desk); then it is Tân Định's place.
    own = Actor("staff-phuc-xa", Role.SITE_STAFF, s.site_id)
    s.service.transfer_registration(reg.registration_id, ward_code=TAN_DINH, actor=own)
    assert waiting(s, me).ward == TAN_DINH
    with pytest.raises(WaitingPlaceOfAnotherSite):
        s.ledger.withdraw_registration(
            registration_id=UUID(reg.registration_id), reason="x", actor=own, idempotency_key=s.key()
        )
    # Tân Định's staff (any site of the ward: no site was chosen) now hold it.
    s.ledger.withdraw_registration(
        registration_id=UUID(reg.registration_id), reason="moved away", actor=far, idempotency_key=s.key()
    )
    assert waiting(s, me).status == "withdrawn"


def test_a_place_waiting_for_one_site_is_that_sites_not_its_neighbours(sqlite_story: Story) -> None:
    s = sqlite_story
    me = s.person()
    s.service.register(person=me, group="HEALTH_WORKER", actor=ADMIN)
    reg = waiting(s, me)
    second = other_site(s, code="VN-01-0002", ward="00001", officer=OFFICER)  # same ward, another site
    own = Actor("staff-phuc-xa", Role.SITE_STAFF, s.site_id)
    s.service.transfer_registration(reg.registration_id, site_id=second, ward_code=None, actor=OFFICER)
    with pytest.raises(WaitingPlaceOfAnotherSite):
        s.service.transfer_registration(reg.registration_id, ward_code=TRUC_BACH, actor=own)
    s.service.transfer_registration(
        reg.registration_id, ward_code=TRUC_BACH, actor=Actor("v", Role.VACCINATOR, second)
    )
    assert waiting(s, me).ward == TRUC_BACH


def test_staff_of_another_site_cannot_touch_a_booked_appointment(story: Story) -> None:
    s = story
    me = s.person()
    s.service.register(person=me, group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    s.clock.advance(1)  # Monday: the day is open for attendance
    appointment = mine(s, me)
    truc_bach = other_site(s, code="VN-01-0004", ward=TRUC_BACH, officer=OFFICER)
    neighbour = Actor("staff-truc-bach", Role.SITE_STAFF, truc_bach)
    head = s.ledger.recorder.max_notification_id()
    for act in (
        lambda: s.service.check_in(appointment, actor=neighbour),
        lambda: s.service.mark_no_show(appointment, actor=neighbour),
        lambda: s.service.cancel_appointment(appointment, actor=neighbour, reason="x"),
        lambda: s.service.move_appointment(
            appointment, site_id=s.site_id, day=date(2021, 8, 3), session="morning", actor=neighbour
        ),
        lambda: s.service.cancel_appointment(appointment, actor=OFFICER_79, reason="x"),
    ):
        with pytest.raises(NotPermitted):
            act()
    assert s.ledger.recorder.max_notification_id() == head
