"""`immunize registration join ONLINE REGISTERED`: the desk's join from the console (there was none).
The same rules as the page and the API (the ledger's): staff only, the numbers must match; the online
record's phone and place in the queue move, the online record is erased; a refusal is one line and
writes nothing."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest
from click.testing import CliRunner

from cli import registration_commands
from cli.main import FriendlyGroup
from ledger.application import Ledger
from ledger.campaign.registrations import Registration
from ledger.campaign.values import RegistrationStatus, registration_id
from ledger.values import Actor, Role
from tests.integration.ledger.test_join_online_registration import NUMBER, PHONE, online_citizen
from tests.integration.ledger.test_registration_atomic import ADMIN, register


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", url)
    monkeypatch.setenv("IMMUNIZE_LANGUAGE", "en")
    for name in ("IMMUNIZE_MASTER_KEY", "IMMUNIZE_KEY_DIR", "IMMUNIZE_ACTOR_PROVINCE"):
        monkeypatch.delenv(name, raising=False)
    return url


def test_staff_join_an_online_registration_from_the_console(url: str) -> None:
    ledger = Ledger(url)
    try:
        registered = register(ledger, NUMBER, ADMIN)
        citizen = online_citizen(ledger)
        other = online_citizen(ledger, number="001085040099", phone="0912000999")
        ledger.register_for_vaccination(
            person_id=citizen,
            priority_group="HEALTH_WORKER",
            actor=Actor(str(citizen), Role.CITIZEN),
            idempotency_key="reg-" + uuid4().hex,
        )
        head = ledger.recorder.max_notification_id()
    finally:
        ledger.close()
    group = FriendlyGroup("immunize")
    group.add_command(registration_commands.registration)
    runner = CliRunner()
    staff = ["--actor", "nurse-1", "--role", "site_staff", "--actor-site", str(uuid4())]
    citizen_role = ["--actor", str(citizen), "--role", "citizen"]
    for args, line in (
        (
            [str(citizen), str(registered), *citizen_role],
            "health staff, who saw the ID card, join two records",
        ),
        ([str(other), str(registered), *staff], "These records do not have the same ID number"),
        (["not-an-id", str(registered), *staff], "not-an-id"),
    ):
        refused = runner.invoke(group, ["registration", "join", *args])
        assert refused.exit_code != 0, refused.output
        assert line in refused.output
        assert "Traceback" not in refused.output
    ledger = Ledger(url)
    try:
        assert ledger.recorder.max_notification_id() == head  # the refusals wrote nothing
    finally:
        ledger.close()

    joined = runner.invoke(group, ["registration", "join", str(citizen), str(registered), *staff])
    assert joined.exit_code == 0, joined.output
    again = runner.invoke(group, ["registration", "join", str(citizen), str(registered), *staff])
    assert again.exit_code == 0, again.output  # the same request sent again: one join
    ledger = Ledger(url)
    try:
        assert ledger.person_record(registered).phone == PHONE
        assert ledger.get_person(citizen).erased
        taken = ledger.maybe(Registration, registration_id(registered, 1))
        assert taken is not None
        assert taken.status is RegistrationStatus.WAITING
    finally:
        ledger.close()
