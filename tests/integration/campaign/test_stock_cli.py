"""`immunize stock ...` on a SQLite file: receive, allocate, see; an officer of another province is
refused with one line and nothing is written; `immunize stock --site --json` keeps its shape."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import click
import pytest
from click.testing import CliRunner

from cli.main import FriendlyGroup
from cli.stock_commands import COMMANDS
from ledger.application import Ledger
from ledger.values import Actor, Role

ADMIN = Actor("admin", Role.ADMIN)
AZ = "EU/1/21/1529"


@pytest.fixture
def immunize() -> click.Group:
    group = FriendlyGroup("immunize")
    for command in COMMANDS:
        group.add_command(command)
    return group


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", url)
    monkeypatch.setenv("IMMUNIZE_LANGUAGE", "en")  # the refusals below are read in English
    monkeypatch.delenv("IMMUNIZE_MASTER_KEY", raising=False)
    monkeypatch.delenv("IMMUNIZE_KEY_DIR", raising=False)
    monkeypatch.delenv("IMMUNIZE_ACTOR_PROVINCE", raising=False)
    return url


def sites(url: str) -> tuple[UUID, UUID]:
    ledger = Ledger(url)
    try:
        hanoi = ledger.register_site(
            code="HN",
            name="Trạm Y tế Phúc Xá",
            ward_code="00001",
            capacity_per_day=100,
            actor=ADMIN,
            idempotency_key="s1",
        )
        saigon = ledger.register_site(
            code="HCM",
            name="Trạm Y tế Tân Định",
            ward_code="26734",
            capacity_per_day=100,
            actor=ADMIN,
            idempotency_key="s2",
        )
    finally:
        ledger.close()
    return hanoi, saigon


def head(url: str) -> int:
    ledger = Ledger(url)
    try:
        return ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()


def test_receive_allocate_and_see_from_the_cli(url: str, immunize: click.Group) -> None:
    runner = CliRunner()
    hanoi, saigon = sites(url)
    officer = ["--actor", "officer-hn", "--role", "province_officer", "--actor-province", "01"]
    received = runner.invoke(
        immunize,
        [
            "stock", "receive", "--province", "01", "--product", AZ, "--lot", "ABV-1", "--expiry", "2099-01-01",
            "--doses-per-vial", "10", "--vials", "5", "--json", *officer,
        ],
    )  # fmt: skip
    assert received.exit_code == 0, received.output
    lot = json.loads(received.output)["lot_id"]
    allocated = runner.invoke(
        immunize,
        ["stock", "allocate", "--lot", lot, "--site", str(hanoi), "--doses", "20", "--json", *officer],
    )
    assert allocated.exit_code == 0, allocated.output
    site_lot = json.loads(allocated.output)["site_lot_id"]

    # Hồ Chí Minh City's officer: one line, exit 5 (forbidden), nothing written.
    before = head(url)
    hcm = ["--actor", "officer-hcm", "--role", "province_officer", "--actor-province", "79"]
    refused = runner.invoke(
        immunize, ["stock", "allocate", "--lot", lot, "--site", str(hanoi), "--doses", "10", *hcm]
    )
    assert refused.exit_code == 5
    assert refused.output.strip().splitlines() == [
        "Error: A province officer works only in their own province (79), not in province 01. "
        "Sign in as an officer of that province."
    ]
    other = runner.invoke(
        immunize, ["stock", "allocate", "--lot", lot, "--site", str(saigon), "--doses", "10", *officer]
    )
    assert other.exit_code == 5  # forbidden
    assert "Allocate only to sites of the same province" in other.output
    over = runner.invoke(
        immunize, ["stock", "allocate", "--lot", lot, "--site", str(hanoi), "--doses", "40", *officer]
    )
    assert over.exit_code == 6  # conflict
    assert "(30 doses) left in the store, fewer than the" in over.output
    assert "(40 doses) asked" in over.output
    assert "Traceback" not in refused.output + other.output + over.output
    assert head(url) == before

    shown = runner.invoke(immunize, ["stock", "--site", str(hanoi), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == [
        {"site_id": str(hanoi), "product": AZ, "on_hand": 20, "booked": 0, "free": 20, "expired": 0}
    ]
    lots = runner.invoke(immunize, ["stock", "lots", "--json", *officer])
    picture = json.loads(lots.output)
    assert [(s["site_lot_id"], s["remaining"]) for s in picture["site_lots"]] == [(site_lot, 20)]
    assert [(s["lot_id"], s["available"]) for s in picture["store_lots"]] == [(lot, 30)]
    assert picture["provinces"][0]["allocated"] == 20
    hcm_view = json.loads(runner.invoke(immunize, ["stock", "lots", "--json", *hcm]).output)
    assert hcm_view == {"store_lots": [], "site_lots": [], "provinces": []}

    # Return: unopened vials back to the store (one line when it asks too much; another province refused).
    before = head(url)
    too_many = runner.invoke(immunize, ["stock", "return", "--lot", site_lot, "--vials", "3", *officer])
    assert too_many.exit_code == 6, too_many.output
    assert (
        "has only 2 unopened vials (20 doses), fewer than the 3 vials (30 doses) returned" in too_many.output
    )
    refused = runner.invoke(immunize, ["stock", "return", "--lot", site_lot, "--vials", "1", *hcm])
    assert refused.exit_code == 5, refused.output
    assert head(url) == before
    returned = runner.invoke(
        immunize, ["stock", "return", "--lot", site_lot, "--vials", "1", "--key", "r1", "--json", *officer]
    )
    assert returned.exit_code == 0, returned.output
    assert json.loads(returned.output) == {"site_lot_id": site_lot, "returned": 10}
    again = runner.invoke(
        immunize, ["stock", "return", "--lot", site_lot, "--vials", "1", "--key", "r1", "--json", *officer]
    )
    assert json.loads(again.output)["returned"] == 10  # a retry with its key writes nothing more
    picture = json.loads(runner.invoke(immunize, ["stock", "lots", "--json", *officer]).output)
    assert [(s["remaining"], s["returned"]) for s in picture["site_lots"]] == [(10, 10)]
    assert [(s["available"], s["returned"]) for s in picture["store_lots"]] == [(40, 10)]
