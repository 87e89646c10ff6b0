"""The attacker's walk on the console: every command that acts as someone (it takes --actor and --role),
run as a province officer of another province and as site staff of another site against a site, lot,
person and appointment of Hà Nội. Each is refused with one line (no traceback), exits with a refusal's
status (not 0, not 1: 1 is an unexpected error) and writes nothing. The commands are found by walking the
CLI, so a new one is walked too; the few that cannot name another site's record are listed with why.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import click
import pytest
from click.testing import CliRunner

from cli import main
from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.settings import parse_database_url
from ledger.values import Actor, Role
from projections.store import open_view_store
from services.campaign import CampaignService

ADMIN = Actor("admin", Role.ADMIN)
# Commands whose actor cannot be of "another" place, by what they are: registering a new person (anyone
# at any desk may), recording a dose (the CLI's actor is the --site it records at), adding a site (names
# no existing one), the province's store lots (a province, not a site: walked through stock allocate), a
# read-only listing, revoking a certificate (an administrator's command: it takes no role), joining an
# online registration (the person is at the desk with their card: staff of any site join, as on the page).
NOT_WALKED = {
    "registration join",
    "person register",
    "dose record",
    "site add",
    "stock lots",
    "stock receive",
    "certificate revoke",
}


def commands() -> list[tuple[str, click.Command]]:
    main._register()
    found: list[tuple[str, click.Command]] = []

    def walk(group: click.Group, path: list[str]) -> None:
        for name, command in sorted(group.commands.items()):
            if isinstance(command, click.Group):
                walk(command, [*path, name])
            elif "actor_id" in {p.name for p in command.params}:
                found.append((" ".join([*path, name]), command))

    walk(main.immunize, [])
    return found


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    url = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", url)
    monkeypatch.setenv("IMMUNIZE_LANGUAGE", "en")
    for name in ("IMMUNIZE_MASTER_KEY", "IMMUNIZE_KEY_DIR", "IMMUNIZE_ACTOR_PROVINCE"):
        monkeypatch.delenv(name, raising=False)
    ledger = Ledger(url)
    store = open_view_store(parse_database_url(url))
    try:
        service = CampaignService(ledger, store)
        sessions = [Session("morning", "07:30", "11:30", 5)]
        hanoi = service.add_site(
            code="VN-01-0009",
            name="Trạm Y tế A",
            ward_code="00001",
            address="1 A",
            sessions=sessions,
            actor=ADMIN,
        )
        saigon = service.add_site(
            code="VN-79-0009",
            name="Trạm Y tế B",
            ward_code="26734",
            address="1 B",
            sessions=sessions,
            actor=ADMIN,
        )
        lot = ledger.receive_lot(
            product="BBIBP-CorV", lot_number="AT-1", expiry=ledger.today() + timedelta(days=365),
            site_id=UUID(hanoi.site_id), quantity=20, actor=ADMIN, idempotency_key="lot",
        )  # fmt: skip
        person = ledger.register_person(
            national_id="001085100001", full_name="Nguyễn Thị Nạn", date_of_birth="1961-02-03", sex="female",
            phone="0912340100", ward_code="00001", priority_group="HEALTH_WORKER", actor=ADMIN,
            idempotency_key="p",
        )  # fmt: skip
        service.register(person=person, group="HEALTH_WORKER", actor=ADMIN)
        service.plan_day(hanoi.site_id, ledger.today(), actor=ADMIN)
        [appointment] = service.my_appointments(person)
        head = ledger.recorder.max_notification_id()
        today = ledger.today()
    finally:
        store.close()
        ledger.close()
    return {
        "url": url,
        "head": head,
        "values": {
            "appointment_id": str(appointment.appointment_id),
            "site_id": hanoi.site_id,
            "lot_id": str(lot),
            "site_lot_id": str(lot),
            "day": today.isoformat(),
            "start": today.isoformat(),
            "session": "morning",
            "reason": "attack",
            "province": "01",
            "person": str(person),
            "person_id": str(person),
            "national_id": "001085100001",
            "group": "HEALTH_WORKER",
            "ward_code": "00001",
            "sessions": "morning=07:30-11:30/5",
        },
        "saigon": saigon.site_id,
    }


def _arguments(command: click.Command, values: dict[str, str]) -> list[str]:
    args: list[str] = []
    for param in command.params:
        if isinstance(param, click.Argument) and param.name in values:
            args.append(values[param.name])
        elif isinstance(param, click.Option) and param.name in values and param.opts:
            args += [param.opts[0], values[param.name]]
    return args


def head(url: str) -> int:
    ledger = Ledger(url)
    try:
        return int(ledger.recorder.max_notification_id() or 0)
    finally:
        ledger.close()


@pytest.mark.parametrize("who", ["officer of another province", "staff of another site"])
def test_every_acting_command_refuses_another_places_records(world: dict[str, Any], who: str) -> None:
    runner = CliRunner()
    if who == "officer of another province":
        actor = ["--actor", "officer-79", "--role", "province_officer", "--actor-province", "79"]
    else:
        actor = ["--actor", "nurse-79", "--role", "site_staff", "--actor-site", str(world["saigon"])]
    walked = []
    for path, command in commands():
        if path in NOT_WALKED:
            continue
        names = {p.name for p in command.params}
        if who == "staff of another site" and "actor_site" not in names:
            continue
        result = runner.invoke(
            main.immunize,
            [*path.split(), *_arguments(command, world["values"]), *actor],
            input=world["values"]["person_id"] + "\n",  # the erasure's confirmation, typed
        )
        lines = (result.output or "").strip().splitlines()
        assert result.exit_code not in (0, 1), (path, result.exit_code, result.output, result.exception)
        assert lines, path
        assert lines[-1].startswith("Error: "), (path, result.output)  # one sentence, last (after a prompt)
        assert sum(line.startswith(("Error", "Usage")) for line in lines) == 1, (path, result.output)
        assert "Traceback" not in result.output
        assert head(world["url"]) == world["head"], (path, "wrote")
        walked.append((path, result.exit_code))
    assert len(walked) >= 12, walked
    assert sum(1 for _, code in walked if code in (4, 5)) >= len(walked) - 2, walked
