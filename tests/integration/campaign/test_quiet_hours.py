"""No campaign SMS at night in Viet Nam: messages due in the quiet hours wait for the morning, except a
cancelled or changed appointment, which goes at once (the sender's clock is the story's)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest

from ledger.campaign.quiet_hours import QuietHours
from ledger.values import Actor, Role
from services.outbox_sender import ResidentSender, SenderSettings
from services.sms_gateways import HttpGateway
from tests.fake_sms_gateway import FakeGateway
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, PFIZER, SINOPHARM, Story

NIGHT = QuietHours()  # 21:00-07:00 in Viet Nam


def at_vn(day: int, hour: int, minute: int = 0) -> datetime:
    """August 2021, that day and time in Viet Nam, as the UTC moment the clock gives."""
    return datetime(2021, 8, day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


def test_messages_wait_for_the_morning_but_a_cancelled_appointment_goes_at_once(
    story: Story, request: pytest.FixtureRequest
) -> None:
    s = story
    gateway = FakeGateway().start()
    request.addfinalizer(gateway.stop)
    http = HttpGateway(gateway.url, gateway.token)
    request.addfinalizer(http.close)

    s.clock.now = at_vn(1, 10)  # Sunday 10:00: the day's appointments go out at once
    first = s.person()
    s.service.register(person=first, group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    assert s.service.send_pending(http, quiet=NIGHT).sent == 1

    s.clock.now = at_vn(1, 22)  # Sunday 22:00: two more people planned, one told earlier cancels
    later = [s.person(), s.person()]
    for person in later:
        s.service.register(person=person, group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    [told] = [a for a in s.service.my_appointments(first) if a.status == "booked"]
    s.service.cancel_appointment(told.appointment_id, actor=ADMIN, reason="cannot come")
    night = s.service.send_pending(http, quiet=NIGHT)
    assert night.sent == 1
    assert ["đã bị hủy" in r.text for r in gateway.accepted] == [False, True]
    assert Counter(m.kind for m in s.service.messages(status="pending")) == {"appointment": 2}

    s.clock.now = at_vn(2, 6, 59)  # Monday 06:59: still night; one of the two not yet told cancels
    [untold] = s.service.my_appointments(later[1])
    s.service.cancel_appointment(untold.appointment_id, actor=ADMIN, reason="cannot come")
    early = s.service.send_pending(http, quiet=NIGHT)
    assert (early.sent, early.withdrawn) == (1, 0)  # only the cancellation goes at night
    s.clock.now = at_vn(2, 7, 0)  # 07:00: the morning's first round sends what waited
    morning = s.service.send_pending(http, quiet=NIGHT)
    # The appointment cancelled before its text went out is withdrawn, never sent.
    assert (morning.sent, morning.withdrawn) == (1, 1)
    assert s.service.messages(status="pending") == []
    [withdrawn] = s.service.messages(status="withdrawn")
    assert withdrawn.appointment_id == untold.appointment_id
    assert withdrawn.kind == "appointment"
    assert len(gateway.accepted) == len({r.key for r in gateway.accepted}) == 4


def test_the_resident_sender_keeps_quiet_at_night_unless_told_otherwise(
    story: Story, request: pytest.FixtureRequest
) -> None:
    s = story
    gateway = FakeGateway().start()
    request.addfinalizer(gateway.stop)
    http = HttpGateway(gateway.url, gateway.token)
    request.addfinalizer(http.close)
    s.clock.now = at_vn(1, 23, 30)
    s.service.register(person=s.person(), group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)

    def one_round(settings: SenderSettings) -> int:
        sender = ResidentSender(s.service, http, settings, wait=lambda _: True)
        return sender.run().sent

    assert one_round(SenderSettings(daily_at=None)) == 0  # quiet hours by default
    assert one_round(SenderSettings(daily_at=None, quiet=QuietHours(time(23, 45), time(6, 0)))) == 1
    assert len(gateway.accepted) == 1


def test_a_place_moved_to_another_wards_queue_waits_for_the_morning_but_a_moved_appointment_does_not(
    story: Story, request: pytest.FixtureRequest
) -> None:
    """A waiting place moved to another ward (no appointment: nothing to go to) is not urgent; an
    appointment moved to another day or site is (the person could go to the old one in the morning)."""
    from tests.integration.campaign.test_move_story import mine
    from tests.integration.campaign.test_ward_move_story import TAN_DINH, hcm_site, registration

    s = story
    gateway = FakeGateway().start()
    request.addfinalizer(gateway.stop)
    http = HttpGateway(gateway.url, gateway.token)
    request.addfinalizer(http.close)
    s.clock.now = at_vn(1, 10)
    booked, waiting = s.person(), s.person()
    s.service.register(person=booked, group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    s.service.register(person=waiting, group="OTHER", actor=ADMIN)
    there = hcm_site(s, stock={PFIZER: 10, SINOPHARM: 10})
    assert s.service.send_pending(http, quiet=NIGHT).sent == 1  # the appointment, by day

    s.clock.now = at_vn(1, 22)  # Sunday 22:00: one moves their place, the other their appointment
    s.service.transfer_registration(
        registration(s, waiting).registration_id, ward_code=TAN_DINH, actor=Actor(str(waiting), Role.CITIZEN)
    )
    s.service.move_appointment(
        mine(s, booked), site_id=there, day=MONDAY, session="morning", actor=Actor(str(booked), Role.CITIZEN)
    )
    night = s.service.send_pending(http, quiet=NIGHT)
    assert night.sent == 1
    assert "Lịch tiêm vắc xin đã thay đổi" in gateway.accepted[-1].text
    assert Counter(m.kind for m in s.service.messages(status="pending")) == {"transfer": 1}

    s.clock.now = at_vn(2, 7)  # 07:00: the transfer's text goes with the morning's round
    assert s.service.send_pending(http, quiet=NIGHT).sent == 1
    assert "giữ nguyên thứ tự ưu tiên" in gateway.accepted[-1].text
    assert s.service.messages(status="pending") == []
