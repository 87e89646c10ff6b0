"""The outbox: delivered once through a real HTTP adapter to a local fake gateway, retried with
backoff, and never sent twice nor lost when the sender is killed mid-batch; replies to check-ins."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from ledger.domainmodel import Person
from services.sms_gateways import FileGateway, GatewayRefused, HttpGateway, Sms, gateway_from_settings
from tests.fake_sms_gateway import FakeGateway, Received
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, Clock, Story, make_story


@pytest.fixture
def gateway() -> FakeGateway:
    fake = FakeGateway().start()
    yield fake  # type: ignore[misc]
    fake.stop()


def plan_people(s: Story, n: int) -> None:
    for _ in range(n):
        s.service.register(person=s.person(), group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)


def test_messages_go_once_through_the_http_gateway_and_failures_are_retried_with_backoff(
    sqlite_story: Story, gateway: FakeGateway, request: pytest.FixtureRequest
) -> None:
    s = sqlite_story
    plan_people(s, 3)
    gateway.fail_next = 2
    http = HttpGateway(gateway.url, gateway.token)
    request.addfinalizer(http.close)
    first = s.service.send_pending(http, backoff=timedelta(minutes=5))
    assert (first.sent, first.retrying) == (1, 2)
    # Not due yet: the backoff holds them back.
    assert s.service.send_pending(http, backoff=timedelta(minutes=5)).sent == 0
    s.clock.advance(1)
    s.clock.now = s.clock.now  # the sender uses the ledger's clock
    second = s.service.send_pending(http, backoff=timedelta(minutes=5))
    assert second.sent == 2
    assert len(gateway.accepted) == 3
    assert all(m.status == "sent" for m in s.service.messages())
    assert {r.reference for r in gateway.accepted} == {m.message_id for m in s.service.messages()}
    assert all(r.encoding == "UCS-2" and "Lịch tiêm vắc xin" in r.text for r in gateway.accepted)
    # Nothing is pending any more: another run sends nothing.
    assert s.service.send_pending(http).sent == 0
    assert len(gateway.accepted) == 3


def test_a_sender_killed_mid_batch_sends_nothing_twice_and_loses_nothing(
    clock: Clock, tmp_path: Path, gateway: FakeGateway
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    s = make_story(url, clock, tmp_path / "keys", morning=20, afternoon=10)
    try:
        plan_people(s, 30)
        assert len(s.service.messages(status="pending")) == 30
        env = {
            **os.environ,
            "IMMUNIZE_DATABASE_URL": url,
            "IMMUNIZE_MESSAGE_SENDER": "gateway",
            "IMMUNIZE_SMS_GATEWAY_URL": gateway.url,
            "IMMUNIZE_SMS_GATEWAY_TOKEN": gateway.token,
        }
        env.pop("IMMUNIZE_KEY_DIR", None)
        killed = threading.Event()
        holder: dict[str, subprocess.Popen[bytes]] = {}

        def kill_at_fifteen(received: Received) -> None:
            # The sender has called the gateway for its 15th message and not yet heard back: kill it.
            if len(gateway.accepted) == 15 and not killed.is_set():
                killed.set()
                os.kill(holder["p"].pid, signal.SIGKILL)

        gateway.on_accept = kill_at_fifteen
        holder["p"] = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cli.main import main; main()",
                "messages",
                "send",
                "--batch",
                "10",
                "--workers",
                "1",
            ],
            env=env,
            cwd=Path(__file__).resolve().parents[3],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        _, err = holder["p"].communicate(timeout=120)
        assert killed.is_set(), err.decode()
        assert holder["p"].returncode == -signal.SIGKILL
        assert len(gateway.accepted) == 15
        gateway.on_accept = None

        # What the killed sender had recorded as sent before it died (its pipeline records a batch's
        # outcomes while the gateway works on the next batch, so anywhere from none to 15).
        recorded = len(s.service.messages(status="sent"))
        assert 0 <= recorded <= 15

        # Another sender picks up: every open attempt is resent under its recorded key, so the ones
        # the gateway had accepted (up to message 15) are recognised, not sent again; the rest go once.
        http = HttpGateway(gateway.url, gateway.token)
        try:
            report = s.service.send_pending(http, batch=10)
        finally:
            http.close()
        assert report.sent == 30 - recorded
        per_message = Counter(r.reference for r in gateway.accepted)
        messages = s.service.messages()
        assert len(gateway.accepted) == 30
        assert set(per_message) == {m.message_id for m in messages}
        assert set(per_message.values()) == {1}
        assert gateway.duplicates == 15 - recorded
        assert all(m.status == "sent" for m in messages)
    finally:
        s.store.close()
        s.ledger.close()


def test_the_file_sender_writes_each_key_once_even_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    sms = Sms(__import__("uuid").uuid4(), "+84912345678", "Mũi tiêm", "UCS-2")
    first = FileGateway(path).send(sms, "key-1")
    assert FileGateway(path).send(sms, "key-1") == first
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1
    assert "Mũi tiêm" in path.read_text(encoding="utf-8")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(GatewayRefused, match="https"):
        HttpGateway("http://gateway.example/sms", "t")
    with pytest.raises(GatewayRefused, match="not an SMS sender"):
        gateway_from_settings("pigeon")


def test_check_in_replies_become_reaction_reports_and_serious_ones_are_flagged(
    sqlite_story: Story, tmp_path: Path
) -> None:
    s = sqlite_story
    s.clock.now = s.clock.now.replace(day=2)  # Monday: the appointments' day
    first, second, third = s.person(), s.person(), s.person()
    for person in (first, second, third):
        s.service.register(person=person, group="HEALTH_WORKER", actor=ADMIN)
    planned = s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    appointments = [a["appointment_id"] for x in planned.sessions for a in x["appointments"]]
    for appointment in appointments:
        s.service.check_in(appointment, actor=s.vaccinator)
        product = s.service._appointment(appointment).product
        s.service.record_dose(appointment, lot_id=s.lots[product], actor=s.vaccinator)
    s.clock.advance(1)
    done = s.service.run_day()
    assert done.checkins == 3
    head = s.ledger.recorder.max_notification_id()
    s.service.run_day()  # the job run again writes nothing more
    assert s.ledger.recorder.max_notification_id() == head
    s.service.send_pending(FileGateway(tmp_path / "outbox.jsonl"))
    checkins = s.service.messages(kind="checkin_day1")
    assert len(checkins) == 3
    assert all("Trả lời 1 nếu bình thường" in m.text for m in checkins)

    phones = {s.ledger.get_person(p).phone.value: p for p in (first, second, third)}
    by_person = {s.ledger.get_person(p).id: phone for phone, p in phones.items()}
    serious = s.service.reply(by_person[first].replace("+84", "0"), "3  sốt cao 39 độ, khó thở")
    assert serious.outcome == "serious"
    person: Person = s.ledger.get_person(first)
    [reaction] = person.reactions
    assert reaction.needs_follow_up
    assert "sốt cao 39 độ, khó thở" in (reaction.symptoms.value or "")
    assert s.service.reply(by_person[second], "2").outcome == "mild"
    assert s.ledger.get_person(second).reactions[0].severity.value == "mild"
    assert s.service.reply(by_person[third], "1").outcome == "no_reaction"
    assert s.ledger.get_person(third).reactions == []
    # A second answer to the same check-in is not guessed: it is kept for a person.
    assert s.service.reply(by_person[third], "2").outcome == "kept"
    assert s.service.reply(by_person[third], "cảm ơn").outcome == "kept"
    assert len(s.service.kept_replies()) == 2

    head = s.ledger.recorder.max_notification_id()
    assert s.service.reply("0999999999", "3 đau").outcome == "unknown_phone"
    assert s.ledger.recorder.max_notification_id() == head
