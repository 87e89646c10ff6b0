"""The outbox: delivered once through a real HTTP adapter to a local fake gateway, retried with
backoff, and never sent twice nor lost when the sender is killed mid-batch; replies to check-ins."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import sleep
from uuid import UUID

import pytest

from ledger.campaign.messages import ATTEMPT_LEASE, Message
from ledger.domainmodel import Person
from services.outbox_sender import ResidentSender, SenderSettings
from services.sms_gateways import FileGateway, GatewayRefused, HttpGateway, Sms, gateway_from_settings
from tests.fake_sms_gateway import FakeGateway, Received
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, Clock, Story, make_story

MAIN = [sys.executable, "-c", "from cli.main import main; main()"]


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
            "IMMUNIZE_SMS_QUIET_HOURS": "off",  # the child runs on the real clock, at any hour
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

        # The killed sender's open attempts (recorded before it called the gateway) are its own until
        # their lease runs out: another sender started at once leaves them alone and sends only the
        # messages nobody had attempted yet.
        ids = [UUID(m.message_id) for m in s.service.messages()]
        open_attempts = [m for m in s.ledger.many(Message, ids).values() if m.open_attempt is not None]
        assert len(open_attempts) >= 15 - recorded  # every one the gateway took and nobody recorded
        s.clock.now = datetime.now(UTC)  # the child process ran on the real clock
        http = HttpGateway(gateway.url, gateway.token)
        try:
            early = s.service.send_pending(http, batch=10)
            assert early.sent == 30 - recorded - len(open_attempts)
            assert gateway.duplicates == 0
            # Once the lease has run out, every open attempt is resent under its recorded key, so the
            # ones the gateway had accepted (up to message 15) are recognised, not sent again; the
            # rest go once.
            s.clock.now += ATTEMPT_LEASE + timedelta(seconds=1)
            report = s.service.send_pending(http, batch=10)
        finally:
            http.close()
        assert report.sent == len(open_attempts)
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


class Steps:
    """The resident sender's time: each pause moves the story's clock on, and the script's steps run
    between rounds; it says stop after the last step."""

    def __init__(self, s: Story, steps: list[Callable[[], None]]) -> None:
        self.s = s
        self.steps = steps
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> bool:
        self.pauses.append(seconds)
        self.s.clock.now += timedelta(seconds=max(seconds, 61))  # past any backoff of the story
        if not self.steps:
            return True
        self.steps.pop(0)()
        return False


def test_the_resident_sender_retries_with_backoff_and_jitter_and_sends_the_daily_messages_on_time(
    sqlite_story: Story, gateway: FakeGateway, request: pytest.FixtureRequest
) -> None:
    s = sqlite_story
    s.clock.now = datetime(2021, 8, 1, 0, 30, tzinfo=UTC)  # Sunday 07:30 in Viet Nam: before the daily job
    plan_people(s, 3)
    gateway.fail_next = 3
    http = HttpGateway(gateway.url, gateway.token)
    request.addfinalizer(http.close)
    settings = SenderSettings(
        batch=10, workers=2, backoff=timedelta(seconds=60), poll=1.0, daily_at=time(8, 0)
    )

    def monday_doses() -> None:
        s.clock.now = datetime(2021, 8, 2, 2, 0, tzinfo=UTC)  # Monday 09:00: the appointments' day
        for message in s.service.messages(kind="appointment"):
            assert message.appointment_id is not None
            s.service.check_in(message.appointment_id, actor=s.vaccinator)
            product = s.service._appointment(message.appointment_id).product
            s.service.record_dose(message.appointment_id, lot_id=s.lots[product], actor=s.vaccinator)

    def tuesday_morning() -> None:
        s.clock.now = datetime(2021, 8, 3, 1, 30, tzinfo=UTC)  # Tuesday 08:30: day 1 after the doses

    def backoff_was_jittered() -> None:
        # Round 1 (07:30, before the daily job) failed: each message waits 60 s with equal jitter
        # (half of it, plus half of it x 0.5 = 45 s).
        ids = [UUID(m.message_id) for m in s.service.messages(kind="appointment")]
        waits = {m.next_try_at for m in s.ledger.many(Message, ids).values()}
        assert waits == {datetime(2021, 8, 1, 0, 30, 45, tzinfo=UTC)}

    def sunday_after_eight() -> None:
        s.clock.now = datetime(2021, 8, 1, 1, 30, tzinfo=UTC)  # Sunday 08:30: the daily job is due

    steps = Steps(s, [backoff_was_jittered, sunday_after_eight, monday_doses, tuesday_morning])
    sender = ResidentSender(s.service, http, settings, wait=steps, random=lambda: 0.5)
    tally = sender.run()

    # After the failed round the sender paused longer (poll 1 s x 2, jittered to 1.5 s), then polled
    # at its pace again once the gateway took messages.
    assert steps.pauses[:2] == [pytest.approx(1.5), 1.0]
    kinds = Counter(m.kind for m in s.service.messages(status="sent"))
    # Sunday's daily job queued the reminders of Monday's appointments; Tuesday's queued the day-1
    # check-ins of Monday's doses; each went out as soon as it was queued.
    assert (kinds["appointment"], kinds["reminder"], kinds["checkin_day1"]) == (3, 3, 3)
    assert [d.isoformat() for d in tally.daily_runs] == ["2021-08-01", "2021-08-02", "2021-08-03"]
    assert len([r for r in gateway.accepted if ": Nhắc lịch: ngày mai tiêm vắc xin" in r.text]) == 3
    assert len(gateway.accepted) == len({r.key for r in gateway.accepted}) == 9
    assert (tally.sent, tally.failures) == (9, 1)
    assert s.service.messages(status="pending") == []


def test_the_resident_sender_delivers_messages_as_they_appear_and_stops_on_sigterm(
    clock: Clock, tmp_path: Path, gateway: FakeGateway
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    s = make_story(url, clock, tmp_path / "keys", morning=20, afternoon=10)
    env = {
        **os.environ,
        "IMMUNIZE_DATABASE_URL": url,
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "IMMUNIZE_MESSAGE_SENDER": "gateway",
        "IMMUNIZE_SMS_GATEWAY_URL": gateway.url,
        "IMMUNIZE_SMS_GATEWAY_TOKEN": gateway.token,
        "IMMUNIZE_SMS_QUIET_HOURS": "off",  # the child runs on the real clock, at any hour
    }

    def until(n: int) -> None:
        for _ in range(600):
            if len(gateway.accepted) >= n:
                return
            sleep(0.1)
        raise AssertionError(f"the sender delivered {len(gateway.accepted)} of {n}")

    sender = None
    try:
        plan_people(s, 3)
        sender = subprocess.Popen(
            [*MAIN, "messages", "send", "--follow", "--poll", "0.2", "--daily-at", "off", "--json"],
            env=env,
            cwd=Path(__file__).resolve().parents[3],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        until(3)
        plan_people(s, 2)  # new appointments while it runs: it finds their messages by itself
        until(5)
        sender.send_signal(signal.SIGTERM)
        out, err = sender.communicate(timeout=60)
        assert sender.returncode == 0, err.decode()
        assert json.loads(out)["sent"] == 5
        assert "Traceback" not in err.decode()
        assert len(gateway.accepted) == len({r.key for r in gateway.accepted}) == 5
        assert {m.status for m in s.service.messages()} == {"sent"}
    finally:
        if sender is not None and sender.poll() is None:
            sender.kill()
            sender.wait()
        s.store.close()
        s.ledger.close()
