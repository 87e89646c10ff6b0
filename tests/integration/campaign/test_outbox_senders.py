"""Several senders on one outbox (SQLite file and PostgreSQL): recording an attempt is a claim two
senders cannot both win, so a message is attempted once however the senders race; senders given
shards read disjoint parts of the outbox and together deliver each message once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from ledger.application import Ledger
from ledger.campaign.messages import Message
from ledger.settings import parse_database_url
from projections import message_queries
from projections.store import open_view_store
from services.campaign import CampaignService
from services.sms_gateways import HttpGateway
from tests.fake_sms_gateway import FakeGateway
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, Clock, Story, make_story


@pytest.fixture(params=["sqlite", "postgres"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store two ledgers (two senders) open at once."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def two(shared_url: str, clock: Clock, tmp_path: Path) -> Iterator[tuple[Story, CampaignService]]:
    """The story's ledger, and a second ledger (another sender) on the same store and keys."""
    s = make_story(shared_url, clock, tmp_path / "keys", morning=20, afternoon=10)
    other = Ledger(shared_url, clock=clock, key_dir=tmp_path / "keys")
    store = open_view_store(parse_database_url(shared_url))
    try:
        yield s, CampaignService(other, store)
    finally:
        store.close()
        other.close()
        s.store.close()
        s.ledger.close()


def planned(s: Story, n: int) -> list[UUID]:
    for _ in range(n):
        s.service.register(person=s.person(), group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    return [UUID(m.message_id) for m in s.service.messages(status="pending")]


def attempts_recorded(ledger: Ledger, ids: list[UUID]) -> Counter[UUID]:
    """How many AttemptStarted events each message has in the store."""
    counts: Counter[UUID] = Counter()
    for mid in ids:
        for event in ledger.events.get(mid):
            if isinstance(event, Message.AttemptStarted):
                counts[mid] += 1
    return counts


def test_two_senders_racing_for_one_batch_never_both_claim_a_message(
    two: tuple[Story, CampaignService],
) -> None:
    s, second = two
    ids = planned(s, 12)
    assert len(ids) == 12
    mine = s.ledger
    load = mine.many
    raced: list[list[UUID]] = []

    def many_then_the_other_sender_claims(kind: type, wanted: list[UUID]) -> dict[UUID, object]:
        found = load(kind, wanted)
        if kind is Message and not raced:
            # Between this sender's read and its write, the other sender claims five of the batch.
            claimed = second.ledger.start_attempt_batch(wanted[:5])
            raced.append([o.message_id for o in claimed.outgoing])
        return found  # type: ignore[return-value]

    mine.many = many_then_the_other_sender_claims  # type: ignore[method-assign]
    try:
        batch = mine.start_attempt_batch(ids)
    finally:
        del mine.many  # type: ignore[method-assign]
    assert raced == [ids[:5]]
    # The store refused this sender's first write (a stale message); read again, it claimed the rest.
    assert [o.message_id for o in batch.outgoing] == ids[5:]
    assert attempts_recorded(mine, ids) == Counter(dict.fromkeys(ids, 1))
    # Within the lease, neither sender takes what the other holds.
    assert mine.start_attempt_batch(ids[:5]).outgoing == []
    assert second.ledger.start_attempt_batch(ids[5:]).outgoing == []


@pytest.mark.parametrize("shards", [2, 3])
def test_senders_on_disjoint_shards_deliver_each_message_once(
    two: tuple[Story, CampaignService], shards: int, request: pytest.FixtureRequest
) -> None:
    s, second = two
    ids = planned(s, 30)
    gateway = FakeGateway().start()
    request.addfinalizer(gateway.stop)
    services = [s.service, second] + [second] * (shards - 2)
    reports = []

    def run(service: CampaignService, i: int) -> None:
        http = HttpGateway(gateway.url, gateway.token)
        try:
            reports.append(service.send_pending(http, batch=4, workers=2, shard=(i, shards)))
        finally:
            http.close()

    # Shards are read by message id: no message left out, none read twice.
    s.service.refresh()
    parts = [
        set(message_queries.due_message_ids(s.store, s.clock.now, limit=100, shard=(i, shards)))
        for i in range(shards)
    ]
    assert set().union(*parts) == set(ids)
    assert sum(len(p) for p in parts) == len(ids)

    threads = [threading.Thread(target=run, args=(svc, i)) for i, svc in enumerate(services[:2])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for i in range(2, shards):
        run(services[i], i)
    assert sum(r.sent for r in reports) == 30
    assert len(gateway.accepted) == 30
    assert gateway.duplicates == 0
    assert Counter(r.reference for r in gateway.accepted) == Counter({str(i): 1 for i in ids})
    assert attempts_recorded(s.ledger, ids) == Counter(dict.fromkeys(ids, 1))
    assert {m.status for m in s.service.messages()} == {"sent"}


def test_the_sender_reads_the_number_a_message_goes_to_without_rebuilding_people(story: Story) -> None:
    """The light read of numbers (only the events that set one) agrees with the people rebuilt: a
    corrected number, a removed one, a child texted on the guardian's number, an erased person."""
    s = story
    kept = s.person()
    corrected = s.person()
    removed = s.person()
    guardian = s.person()
    child = s.person(
        national_id=None, guardian_id=guardian, relationship="child", date_of_birth="2010-01-01", phone=None
    )
    erased = s.person()
    s.ledger.correct_phone(
        person_id=corrected, phone="0987 000 111", reason="typo", actor=ADMIN, idempotency_key="c1"
    )
    s.ledger.correct_phone(person_id=removed, phone=None, reason="gone", actor=ADMIN, idempotency_key="c2")
    s.ledger.erase_person(person_id=erased, reason="asked", actor=ADMIN, idempotency_key="c3")
    numbers = s.ledger.contact_numbers([kept, corrected, removed, child, erased, s.site_id])
    assert (
        numbers
        == {
            kept: "+84" + s.ledger.get_person(kept).phone.value[1:],  # type: ignore[union-attr]
            corrected: "+84987000111",
            removed: None,
            child: "+84" + s.ledger.get_person(guardian).phone.value[1:],  # type: ignore[union-attr]
            erased: None,
        }
    )


@pytest.mark.parametrize(
    ("option", "sentence"),
    [
        (["--quiet-hours", "25:00-07:00"], "The SMS quiet hours 25:00-07:00 are not HH:MM-HH:MM."),
        (["--shard", "2/2"], "The sender's part 2/2 is not I/N with 0 <= I < N <= 16."),
    ],
)
def test_a_bad_quiet_hours_or_shard_option_gets_one_sentence(
    tmp_path: Path, option: list[str], sentence: str
) -> None:
    env = {
        **os.environ,
        "IMMUNIZE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "IMMUNIZE_LANGUAGE": "en",
    }
    done = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "messages", "send", *option],
        env=env,
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert sentence in done.stderr
