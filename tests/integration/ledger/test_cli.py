"""The ledger's CLI: demo seed, person list/show/register, dose record; errors are one line, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli.errors import ReportingGroup
from cli.ledger_commands import COMMANDS


@pytest.fixture
def immunize() -> click.Group:
    group = ReportingGroup("immunize")
    for command in COMMANDS:
        group.add_command(command)
    return group


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'ledger.db'}")
    monkeypatch.delenv("IMMUNIZE_MASTER_KEY", raising=False)
    monkeypatch.delenv("IMMUNIZE_KEY_DIR", raising=False)
    monkeypatch.setenv("IMMUNIZE_LANGUAGE", "en")  # these tests read the English sentences
    return CliRunner()


def test_seed_then_list_and_show_people(runner: CliRunner, immunize: click.Group) -> None:
    seeded = runner.invoke(immunize, ["demo", "seed", "--people", "120", "--seed", "7", "--json"])
    assert seeded.exit_code == 0, seeded.output
    summary = json.loads(seeded.output)
    assert summary["people"] >= 120
    assert summary["doses"] > 0

    listed = runner.invoke(immunize, ["person", "list", "--json", "--limit", "1000"])
    assert listed.exit_code == 0, listed.output
    people = json.loads(listed.output)
    assert len(people) == summary["people"]
    assert sum(len(p["doses"]) for p in people) == summary["doses"]
    assert sum(1 for p in people if p["guardian_id"]) == summary["dependants"]

    first = people[0]
    shown = runner.invoke(immunize, ["person", "show", first["national_id"], "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == first

    text = runner.invoke(immunize, ["person", "list", "--limit", "3"])
    assert text.exit_code == 0
    assert len(text.output.splitlines()) == 3
    assert first["national_id"] not in text.output  # masked in lists
    assert first["national_id"][-4:] in text.output


def test_register_and_record_a_dose_from_the_shell(runner: CliRunner, immunize: click.Group) -> None:
    from ledger.application import Ledger
    from ledger.values import Actor, Role

    registered = runner.invoke(
        immunize,
        [
            "person",
            "register",
            "--national-id",
            "001085012345",
            "--name",
            "Nguyễn Thị Ánh",
            "--dob",
            "1985-03",
            "--sex",
            "female",
            "--phone",
            "0912345678",
            "--ward",
            "00001",
            "--group",
            "HEALTH_WORKER",
        ],
    )
    assert registered.exit_code == 0, registered.output
    ledger = Ledger()
    admin = Actor("admin", Role.ADMIN)
    site = ledger.register_site(
        code="S",
        name="Trạm Y tế Phúc Xá",
        ward_code="00001",
        capacity_per_day=100,
        actor=admin,
        idempotency_key="s",
    )
    from datetime import date

    lot = ledger.receive_lot(
        product="EU/1/20/1528",
        lot_number="PF1",
        expiry=date(2030, 1, 1),
        site_id=site,
        quantity=10,
        actor=admin,
        idempotency_key="l",
    )
    ledger.close()
    recorded = runner.invoke(
        immunize,
        [
            "dose",
            "record",
            "--person",
            "001085012345",
            "--number",
            "1",
            "--product",
            "EU/1/20/1528",
            "--lot",
            str(lot),
            "--date",
            "2021-08-02",
            "--site",
            str(site),
        ],
    )
    assert recorded.exit_code == 0, recorded.output
    assert recorded.output.startswith("dose 1 recorded")
    shown = runner.invoke(immunize, ["person", "show", "001085012345"])
    assert "dose 1: 2021-08-02  EU/1/20/1528  lot PF1" in shown.output


@pytest.mark.parametrize(
    ("args", "message", "status"),
    [
        (["person", "show", "123"], "12 digits (CCCD) or 9 digits (CMND)", 3),
        (["person", "show", "001085012345"], "No person is registered", 4),
        (
            [
                "person",
                "register",
                "--national-id",
                "001085012345",
                "--name",
                "A",
                "--dob",
                "1985-13",
                "--sex",
                "male",
                "--ward",
                "00001",
            ],
            "not a real date",
            3,
        ),
        (
            [
                "dose",
                "record",
                "--person",
                "001085012345",
                "--number",
                "1",
                "--product",
                "X",
                "--lot",
                "nope",
                "--date",
                "2021-08-02",
                "--site",
                "nope",
            ],
            "--lot and --site must be ids",
            3,
        ),
    ],
)
def test_errors_are_one_line_and_exit_non_zero(
    runner: CliRunner, immunize: click.Group, args: list[str], message: str, status: int
) -> None:
    result = runner.invoke(immunize, args)
    assert result.exit_code == status
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_reseeding_with_other_parameters_is_refused_clearly(runner: CliRunner, immunize: click.Group) -> None:
    assert runner.invoke(immunize, ["demo", "seed", "--people", "20", "--seed", "2"]).exit_code == 0
    again = runner.invoke(immunize, ["demo", "seed", "--people", "20", "--seed", "2"])
    assert again.exit_code == 0  # the same seed twice: idempotent
    other = runner.invoke(immunize, ["demo", "seed", "--people", "25", "--seed", "2"])
    assert other.exit_code == 3  # invalid
    assert "use another --seed or a fresh database" in other.output


def test_the_cli_cannot_record_a_dose_from_another_site_s_lot(
    runner: CliRunner, immunize: click.Group
) -> None:
    """The lot-at-site rule was only in the web; the CLI goes through the same service and ledger rule."""
    from datetime import date

    from ledger.application import Ledger
    from ledger.values import Actor, Role

    ledger = Ledger()
    admin = Actor("admin", Role.ADMIN)
    hanoi = ledger.register_site(
        code="HN",
        name="Trạm Y tế Phúc Xá",
        ward_code="00001",
        capacity_per_day=100,
        actor=admin,
        idempotency_key="s1",
    )
    saigon = ledger.register_site(
        code="HCM",
        name="Trạm Y tế Tân Định",
        ward_code="26734",
        capacity_per_day=100,
        actor=admin,
        idempotency_key="s2",
    )
    saigon_lot = ledger.receive_lot(
        product="EU/1/20/1528",
        lot_number="PF-HCM",
        expiry=date(2030, 1, 1),
        site_id=saigon,
        quantity=10,
        actor=admin,
        idempotency_key="l",
    )
    person = ledger.register_person(
        national_id="001085012345",
        full_name="Nguyễn Thị Ánh",
        date_of_birth="1985",
        sex="female",
        phone=None,
        ward_code="00001",
        priority_group="OTHER",
        actor=admin,
        idempotency_key="p",
    )
    ledger.close()
    args = ["dose", "record", "--person", str(person), "--lot", str(saigon_lot), "--date", "2021-08-02"]
    refused = runner.invoke(immunize, [*args, "--site", str(hanoi)])
    assert refused.exit_code == 5  # forbidden
    assert "Lot PF-HCM is not held at this site" in refused.output
    recorded = runner.invoke(immunize, [*args, "--site", str(saigon)])
    assert recorded.exit_code == 0, recorded.output
    assert recorded.output.startswith("dose 1 recorded")  # no --number: the person's next dose
