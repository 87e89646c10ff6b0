"""`immunize site add|edit|pause|reopen` and `immunize appointment no-show|came-late` on a SQLite file:
an edit changes ward, address, sessions and days in one go; bad input is one line with its exit status
and writes nothing; another province's officer is refused."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import click
import pytest
from click.testing import CliRunner

from cli import appointment_commands, message_commands, plan_commands, registration_commands, site_commands
from cli.main import FriendlyGroup
from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.settings import parse_database_url
from ledger.values import Actor, Role
from projections.store import open_view_store
from services.campaign import CampaignService

OFFICER = ["--actor", "officer-hn", "--role", "province_officer", "--actor-province", "01"]
HCM = ["--actor", "officer-hcm", "--role", "province_officer", "--actor-province", "79"]

CAMPAIGN_COMMANDS = (
    *site_commands.COMMANDS,
    *registration_commands.COMMANDS,
    *plan_commands.COMMANDS,
    *appointment_commands.COMMANDS,
    *message_commands.COMMANDS,
)


@pytest.fixture
def immunize() -> click.Group:
    group = FriendlyGroup("immunize")
    for command in CAMPAIGN_COMMANDS:
        group.add_command(command)
    return group


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", url)
    monkeypatch.setenv("IMMUNIZE_LANGUAGE", "en")
    monkeypatch.delenv("IMMUNIZE_MASTER_KEY", raising=False)
    monkeypatch.delenv("IMMUNIZE_KEY_DIR", raising=False)
    monkeypatch.delenv("IMMUNIZE_ACTOR_PROVINCE", raising=False)
    return url


def head(url: str) -> int:
    ledger = Ledger(url)
    try:
        return ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()


def test_edit_pause_and_reopen_a_site_from_the_cli(url: str, immunize: click.Group) -> None:
    runner = CliRunner()
    added = runner.invoke(
        immunize,
        ["site", "add", "--code", "VN-01-0042", "--name", "Trạm Y tế Phúc Xá", "--ward", "00001",
         "--session", "morning=07:30-11:30/100", "--json", *OFFICER],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    site = json.loads(added.output)["site_id"]
    edit = ["site", "edit", site, "--ward", "00004", "--address", "Số 2 Trúc Bạch", "--days", "mon,wed,fri"]
    before = head(url)
    for bad, status, line in (
        (["--session", "morning=07:30-11:30/0"], 3, "A session holds 1 to 2,000 people, not 0."),
        (["--session", "morning=07:30-11:30/2001"], 3, "A session holds 1 to 2,000 people, not 2,001."),
    ):
        refused = runner.invoke(immunize, [*edit, *bad, *OFFICER])
        assert refused.exit_code == status, refused.output
        assert line in refused.output
    other = runner.invoke(
        immunize, [*edit[:3], "--ward", "26734", "--session", "morning=07:30-11:30/9", *OFFICER]
    )
    assert other.exit_code == 5
    assert "Ward 26734 is in province 79, not in province 01." in other.output
    hcm = runner.invoke(immunize, [*edit, "--session", "morning=07:30-11:30/9", *HCM])
    assert hcm.exit_code == 5
    assert "Traceback" not in refused.output + other.output + hcm.output
    assert head(url) == before

    saved = runner.invoke(
        immunize,
        [
            *edit,
            "--session",
            "morning=07:00-11:00/120",
            "--session",
            "afternoon=13:30-16:30/80",
            "--json",
            *OFFICER,
        ],
    )
    assert saved.exit_code == 0, saved.output
    row = json.loads(saved.output)
    assert (row["ward"], row["address"], row["opening_days"]) == ("00004", "Số 2 Trúc Bạch", "mon,wed,fri")
    assert [(s["name"], s["start"], s["capacity"]) for s in row["sessions"]] == [
        ("morning", "07:00", 120),
        ("afternoon", "13:30", 80),
    ]
    assert runner.invoke(immunize, ["site", "pause", site, "--reason", "lũ", *OFFICER]).exit_code == 0
    listed = json.loads(runner.invoke(immunize, ["site", "list", "--json"]).output)
    assert listed[0]["status"] == "paused"
    again = runner.invoke(immunize, ["site", "pause", site, *OFFICER])
    assert again.exit_code != 0
    assert "Traceback" not in again.output
    assert runner.invoke(immunize, ["site", "reopen", site, *OFFICER]).exit_code == 0
    assert json.loads(runner.invoke(immunize, ["site", "list", "--json"]).output)[0]["status"] == "open"


def test_a_no_show_and_a_late_arrival_from_the_cli(url: str, immunize: click.Group) -> None:
    system = Actor("setup", Role.SYSTEM)
    ledger = Ledger(url)
    store = open_view_store(parse_database_url(url))
    try:
        service = CampaignService(ledger, store)
        site = service.add_site(
            code="VN-01-0043",
            name="Trạm Y tế Phúc Xá",
            ward_code="00001",
            address="",
            sessions=[Session("morning", "07:30", "11:30", 5)],
            actor=system,
        )
        ledger.receive_lot(
            product="BBIBP-CorV",
            lot_number="SP-1",
            expiry=ledger.today().replace(year=ledger.today().year + 1),
            site_id=UUID(site.site_id),
            quantity=5,
            actor=system,
            idempotency_key="lot",
        )
        person = ledger.register_person(
            national_id="001085000777",
            full_name="Trần Thị Lan",
            date_of_birth="1960-01-01",
            sex="female",
            phone="0912345777",
            ward_code="00001",
            priority_group="HEALTH_WORKER",
            actor=system,
            idempotency_key="p",
        )
        service.register(person=person, group="HEALTH_WORKER", actor=system)
        planned = service.plan_day(site.site_id, ledger.today(), actor=system)
        appointment = planned.sessions[0]["appointments"][0]["appointment_id"]
    finally:
        store.close()
        ledger.close()
    runner = CliRunner()
    staff = ["--actor", "nurse", "--role", "site_staff", "--actor-site", site.site_id]
    other = [
        "--actor",
        "nurse-2",
        "--role",
        "site_staff",
        "--actor-site",
        "00000000-0000-0000-0000-000000000001",
    ]
    refused = runner.invoke(immunize, ["appointment", "no-show", appointment, *other])
    assert refused.exit_code == 5, refused.output
    refused = runner.invoke(immunize, ["appointment", "check-in", appointment, *other])
    assert refused.exit_code == 5, refused.output
    marked = runner.invoke(immunize, ["appointment", "no-show", appointment, *staff])
    assert marked.exit_code == 0, marked.output
    listed = json.loads(
        runner.invoke(immunize, ["registration", "list", "--site", site.site_id, "--json"]).output
    )
    assert [r["status"] for r in listed] == ["waiting"]
    late = runner.invoke(immunize, ["appointment", "came-late", appointment, *staff])
    assert late.exit_code == 0, late.output
    twice = runner.invoke(immunize, ["appointment", "no-show", appointment, *staff])
    assert twice.exit_code == 0  # the same request again (its key): answered, nothing more written
    listed = json.loads(
        runner.invoke(immunize, ["registration", "list", "--site", site.site_id, "--json"]).output
    )
    assert [r["status"] for r in listed] == ["booked"]
