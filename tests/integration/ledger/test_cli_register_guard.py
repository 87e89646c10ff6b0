"""`immunize person register` is held to the same rule as the desk: a number someone typed at online
registration (held until staff see the card) is refused in the registration's own transaction (exit 6,
conflict, one sentence in the chosen language), and nothing is written. Before, the CLI had no web key
and skipped the desk's check, making the second person the desk refuses."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli.errors import ReportingGroup
from cli.ledger_commands import COMMANDS
from ledger.application import Ledger
from ledger.values import Actor, Role

NUMBER = "001085066066"


@pytest.fixture
def immunize() -> click.Group:
    group = ReportingGroup("immunize")
    for command in COMMANDS:
        group.add_command(command)
    return group


def args(number: str) -> list[str]:
    return [
        "person", "register", "--national-id", number, "--name", "Đỗ Văn Hai", "--dob", "1980-02-03",
        "--sex", "male", "--ward", "00001", "--group", "HEALTH_WORKER",
    ]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_cli_refuses_a_number_declared_online(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, immunize: click.Group, language: str
) -> None:
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'ledger.db'}")
    monkeypatch.delenv("IMMUNIZE_MASTER_KEY", raising=False)
    monkeypatch.delenv("IMMUNIZE_KEY_DIR", raising=False)
    monkeypatch.setenv("IMMUNIZE_LANGUAGE", language)
    ledger = Ledger()
    online = ledger.register_person(
        national_id=NUMBER, full_name="Đỗ Văn Hai", date_of_birth="1980-02-03", sex="male", phone="0912000111",
        ward_code="00001", priority_group="HEALTH_WORKER", actor=Actor("0912000111", Role.CITIZEN),
        idempotency_key="online",
    )  # fmt: skip
    head = ledger.recorder.max_notification_id()
    ledger.close()

    refused = CliRunner().invoke(immunize, args(NUMBER))
    assert refused.exit_code == 6, refused.output
    sentence = {
        "en": "Someone registered online with this ID number",
        "vi": "Đã có người tự đăng ký trực tuyến với số giấy tờ này",
    }[language]
    assert sentence in refused.output
    assert "Traceback" not in refused.output
    assert len(refused.output.strip().splitlines()) == 1

    ledger = Ledger()
    try:
        assert ledger.recorder.max_notification_id() == head  # nothing written
        assert ledger.find_person(NUMBER) is None
        assert ledger.person_record(online).full_name == "Đỗ Văn Hai"
    finally:
        ledger.close()
    assert CliRunner().invoke(immunize, args("001085066067")).exit_code == 0  # another number registers
