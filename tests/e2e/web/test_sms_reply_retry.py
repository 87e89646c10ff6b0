"""An SMS reply the gateway delivers again (a retry after a timeout) is recorded once: the idempotency key
comes from the gateway's message id, or from the sender, the text and the gateway's timestamp, never
drawn at random (services.campaign_messages.reply_key)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from services.campaign_messages import reply_key
from services.sms_gateways import FileGateway
from tests.e2e.web.conftest import make_app
from tests.integration.campaign.conftest import MONDAY, OFFICER, Clock, Story, make_story

SECRET = {"X-Gateway-Secret": "gateway-shared-secret"}


@pytest.fixture
def texted(tmp_path: Path) -> tuple[Story, FlaskClient, dict[UUID, str]]:
    """Two people vaccinated on Monday, each texted the day-1 check-in on Tuesday; a SQLite store."""
    s = make_story(f"sqlite:///{tmp_path / 'ledger.db'}", Clock(), tmp_path / "keys")
    s.clock.now = s.clock.now.replace(day=2)
    phones = {s.person(phone="0912345678"): "+84912345678", s.person(phone="0987654321"): "+84987654321"}
    for who in phones:
        s.service.register(person=who, group="HEALTH_WORKER", actor=OFFICER)
    planned = s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    for appointment in [a["appointment_id"] for x in planned.sessions for a in x["appointments"]]:
        s.service.check_in(appointment, actor=s.vaccinator)
        product = s.service._appointment(appointment).product
        s.service.record_dose(appointment, lot_id=s.lots[product], actor=s.vaccinator)
    s.clock.advance(1)
    assert s.service.run_day().checkins == 2
    s.service.send_pending(FileGateway(tmp_path / "outbox.jsonl"))
    app = make_app(tmp_path, s.ledger, CLOCK=s.clock, SMS_INBOUND_SECRET="gateway-shared-secret")
    return s, app.test_client(), phones


def reactions(s: Story, person: UUID) -> list[str | None]:
    return [r.symptoms.text for r in s.ledger.person_record(person).reactions]


def test_a_reply_delivered_twice_with_the_gateways_id_records_one_reaction(
    texted: tuple[Story, FlaskClient, dict[UUID, str]],
) -> None:
    s, client, phones = texted
    first, second = phones
    body = {"from": phones[first], "text": "3 sốt cao 39 độ", "message_id": "gw-7781"}
    answers = [client.post("/api/v1/sms/inbound", json=body, headers=SECRET) for _ in range(2)]
    head = s.ledger.recorder.max_notification_id()
    third = client.post("/api/v1/sms/inbound", json=body, headers=SECRET)
    assert [a.status_code for a in [*answers, third]] == [200, 200, 200]
    # The retries answer what the first delivery did (not "kept" for a human) and write nothing.
    assert [a.get_json()["outcome"] for a in [*answers, third]] == ["serious"] * 3
    assert s.ledger.recorder.max_notification_id() == head
    assert reactions(s, first) == ["[SMS checkin_day1] sốt cao 39 độ"]
    assert s.service.kept_replies() == []
    assert reactions(s, second) == []

    # Another message of the gateway with the same words is another message: kept for a human.
    again = client.post("/api/v1/sms/inbound", json={**body, "message_id": "gw-7790"}, headers=SECRET)
    assert again.get_json()["outcome"] == "kept"
    assert len(s.service.kept_replies()) == 1
    assert len(reactions(s, first)) == 1


def test_without_an_id_the_sender_text_and_gateway_timestamp_make_the_message(
    texted: tuple[Story, FlaskClient, dict[UUID, str]],
) -> None:
    s, client, phones = texted
    _, second = phones
    body = {"from": "0987654321", "text": "2", "received_at": "2021-08-03T08:15:02+07:00"}
    outcomes = [
        client.post("/api/v1/sms/inbound", json=b, headers=SECRET).get_json()["outcome"]
        # the same message, the number in another form the second time (one normaliser)
        for b in (body, {**body, "from": phones[second]})
    ]
    assert outcomes == ["mild", "mild"]
    assert reactions(s, second) == ["[SMS checkin_day1] mild reaction (SMS reply 2)"]
    later = client.post(
        "/api/v1/sms/inbound", json={**body, "received_at": "2021-08-03T08:20:40+07:00"}, headers=SECRET
    )
    assert later.get_json()["outcome"] == "kept"  # sent again later: a new message, for a human


def test_a_reply_with_neither_id_nor_timestamp_is_refused_and_nothing_is_written(
    texted: tuple[Story, FlaskClient, dict[UUID, str]],
) -> None:
    s, client, _ = texted
    head = s.ledger.recorder.max_notification_id()
    for extra in ({}, {"message_id": "", "received_at": ""}):
        refused = client.post(
            "/api/v1/sms/inbound", json={"from": "0912345678", "text": "2", **extra}, headers=SECRET
        )
        assert refused.status_code == 400
    too_long = client.post(
        "/api/v1/sms/inbound",
        json={"from": "0912345678", "text": "2", "message_id": "x" * 201},
        headers=SECRET,
    )
    assert too_long.status_code == 400
    assert s.ledger.recorder.max_notification_id() == head


def test_the_key_is_keyed_and_shows_neither_number_nor_text_nor_id(
    texted: tuple[Story, FlaskClient, dict[UUID, str]],
) -> None:
    s, _, _ = texted
    by_id = reply_key(s.ledger, "0912345678", "3 sốt", message_id="gw-1")
    assert by_id == reply_key(s.ledger, "+84 912 345 678", "other words", message_id=" gw-1 ")
    assert by_id != reply_key(s.ledger, "0912345678", "3 sốt", message_id="gw-2")
    at = reply_key(s.ledger, "0912345678", "3 sốt", received_at="1627953302")
    assert at == reply_key(s.ledger, "84912345678", "3 sốt", received_at="1627953302")
    assert at != reply_key(s.ledger, "0912345678", "3 sốt ", received_at="1627953302")
    for key in (by_id, at):
        for clear in ("912345678", "sốt", "gw-1"):
            assert clear not in key
    # The CLI and the simulator give neither: each call is a new message.
    assert reply_key(s.ledger, "0912345678", "1") != reply_key(s.ledger, "0912345678", "1")
