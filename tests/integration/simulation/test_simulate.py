"""Stories of `immunize simulate`: the same seed gives the same ledger, and three independent counts of
the campaign - the simulator's own tally, the public statistics projection, and an auditor's replay of
the exported log on a fresh store - agree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import _register, immunize
from keys.development import ensure_development_keys
from ledger.application import Ledger
from ledger.errors import InvalidInput
from ledger.settings import parse_database_url
from projections.queries import public_statistics
from projections.store import open_view_store
from services.simulation.campaign import (
    Tally,
    certificates_in_index,
    check_arguments,
    ledger_digest,
    simulate,
    statistics_totals,
    tally_totals,
)
from web.platform import Platform

SCALE = 0.00002  # about 1,950 people in 63 provinces
DAYS = 75  # AstraZeneca from day 0, Sinopharm from day 49


def _run(tmp_path: Path, name: str, seed: int) -> tuple[str, Tally, dict[str, object]]:
    url = f"sqlite:///{tmp_path / name / 'ledger.db'}"
    # One deployment's master key for every run: keyed digests in the views (the phone a text went to)
    # depend on it by design, so "same seed, same ledger" holds for the same keys.
    keys, shared = tmp_path / name / "keys", tmp_path / "master.key"
    if shared.exists():
        keys.mkdir(parents=True)
        shutil.copy2(shared, keys / "master.key")
    ledger = Ledger(url, key_dir=keys)
    if not shared.exists():
        shutil.copy2(keys / "master.key", shared)
    store = open_view_store(ledger.store)
    # Signing keys dated from before the campaign (certificates are signed on the simulated days), each
    # run its own: the digest must not depend on the key (no signature or kid is in any view).
    signing = tmp_path / name / "signing"
    ensure_development_keys(signing, datetime(2021, 3, 1, tzinfo=UTC), warn=lambda _line: None)
    backend = Platform(ledger.store, signing, ledger=ledger, views=store).backend
    try:
        tally = simulate(ledger, store, scale=SCALE, days=DAYS, seed=seed, certificates=backend)
        totals = statistics_totals(store)
        assert certificates_in_index(store) == tally.certificates
        assert public_statistics(store).total_doses.value == tally.doses  # the page's own total
    finally:
        store.close()
        ledger.close()
    return url, tally, totals


@pytest.mark.slow
def test_same_seed_same_ledger_and_three_counts_agree(tmp_path: Path) -> None:
    url, first, published = _run(tmp_path, "a", seed=1)
    _, again, _ = _run(tmp_path, "b", seed=1)
    _, other, _ = _run(tmp_path, "c", seed=2)

    # Determinism: the same seed, the same ledger (every view's digest); another seed, another ledger.
    assert first.digest == again.digest
    assert first.view_digests == again.view_digests
    assert first.as_json() | {"seconds": 0, "events_per_second": 0} == again.as_json() | {
        "seconds": 0,
        "events_per_second": 0,
    }
    assert other.digest != first.digest

    # A campaign happened: people, appointments, doses, no-shows, believable coverage somewhere.
    assert first.people > 1_500
    assert first.dependants > 0
    assert first.sites >= 63
    assert first.registrations > 0
    assert first.appointments > 0
    assert first.doses > 20
    assert set(first.doses_by_product) <= {"EU/1/21/1529", "BBIBP-CorV"}  # only these had arrived
    assert any(pct > 0 for pct in first.coverage().values())
    assert first.messages["appointment"] == first.appointments  # each booking texted once
    assert first.certificates > 0  # asked for after doses, through the certificate service
    assert first.messages_sent >= first.appointments  # the outbox's sender delivered to the phones
    assert first.replies["no_reaction"] > 0  # day-1 check-ins answered "1" through the reply path
    assert first.notes == []

    # The simulator's tally equals the public statistics projection's counts (and the page's total).
    assert published == tally_totals(first)

    # An auditor's export, replayed on a fresh store, reproduces every view and the same totals.
    _register()
    env = {
        "IMMUNIZE_DATABASE_URL": url,
        "IMMUNIZE_KEY_DIR": str(tmp_path / "signing"),
        "IMMUNIZE_KEY_PASSPHRASE": "test passphrase",
        "IMMUNIZE_MASTER_KEY": "",
    }
    runner = CliRunner()
    checkpoint = runner.invoke(immunize, ["audit", "checkpoint"], env=env)
    assert checkpoint.exit_code == 0, checkpoint.output
    export = tmp_path / "export.jsonl"
    made = runner.invoke(immunize, ["audit", "export", "--out", str(export)], env=env)
    assert made.exit_code == 0, made.output
    workdir = tmp_path / "auditor"
    replay = runner.invoke(
        immunize,
        ["audit", "replay", str(export), "--workdir", str(workdir)],
        env={
            "IMMUNIZE_DATABASE_URL": "sqlite:////nonexistent/none.db",
            "IMMUNIZE_KEY_DIR": str(workdir / "k"),
        },
    )
    assert replay.exit_code == 0, replay.output
    printed = dict(
        line.split(" ", 1) for line in replay.output.splitlines() if line.split(" ")[0] in first.view_digests
    )
    assert printed == first.view_digests
    replayed = open_view_store(parse_database_url(f"sqlite:///{workdir / 'replay-ledger.db'}"))
    try:
        assert ledger_digest(replayed)[0] == first.digest
        assert statistics_totals(replayed) == published
        assert certificates_in_index(replayed) == first.certificates
    finally:
        replayed.close()


@pytest.mark.parametrize(
    ("scale", "days", "start", "says"),
    [
        (0, 120, "2021-03-08", "scale 0 is out of range"),
        (1.5, 120, "2021-03-08", "scale 1.5 is out of range"),
        (0.0001, 0, "2021-03-08", "days 0 is out of range"),
        (0.0001, 120, "8/3/2021", "not a date"),
    ],
)
def test_bad_arguments_get_one_clear_sentence(scale: float, days: int, start: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        check_arguments(scale, days, start)


def test_the_command_refuses_bad_arguments_before_writing(tmp_path: Path) -> None:
    _register()
    db = tmp_path / "ledger.db"
    result = CliRunner().invoke(
        immunize,
        ["simulate", "--scale", "-1"],
        env={
            "IMMUNIZE_DATABASE_URL": f"sqlite:///{db}",
            "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
            "IMMUNIZE_LANGUAGE": "en",
        },
    )
    assert result.exit_code == 3  # invalid
    assert result.output.strip().splitlines() == [
        "Error: The scale -1.0 is out of range: use a number above 0 and at most 1 (e.g. 0.0001)."
    ]
    assert not db.exists()


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        (["--scale", "0"], "Error: The scale 0.0 is out of range: use a number above 0 and at most 1 (e.g. 0.0001)."),
        (["--scale", "1.01"], "Error: The scale 1.01 is out of range: use a number above 0 and at most 1 (e.g. 0.0001)."),
        (["--days", "0"], "Error: The number of days 0 is out of range: use 1 to 730."),
        (["--days", "-3"], "Error: The number of days -3 is out of range: use 1 to 730."),
        (["--start", "2021-02-30"], "Error: The start day '2021-02-30' is not a date: use YYYY-MM-DD, e.g. 2021-03-08."),
        (["--start", "soon"], "Error: The start day 'soon' is not a date: use YYYY-MM-DD, e.g. 2021-03-08."),
    ],
)  # fmt: skip
def test_the_installed_command_says_one_line_for_a_bad_argument(
    tmp_path: Path, arguments: list[str], line: str
) -> None:
    """Through the real `immunize` executable: one line on stderr, exit 3 (invalid input), no traceback,
    nothing written; in English when asked, and in Vietnamese by default with the English sentence kept."""
    db = tmp_path / "ledger.db"
    command = [str(Path(sys.executable).parent / "immunize"), "simulate", *arguments]
    base = {**os.environ, "IMMUNIZE_DATABASE_URL": f"sqlite:///{db}", "IMMUNIZE_KEY_DIR": str(tmp_path / "k")}
    base.pop("IMMUNIZE_LANGUAGE", None)
    for env, expected in [({**base, "IMMUNIZE_LANGUAGE": "en"}, line), (base, None)]:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 3
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        if expected is not None:
            assert lines == [expected]
        else:  # Vietnamese first, the precise English sentence after it
            assert lines[0].startswith("Lỗi: ")
            assert lines[0].endswith(f"({line.removeprefix('Error: ')})")
        assert result.stdout == ""
        assert not db.exists()
        assert not (tmp_path / "k").exists()


def test_demo_seed_runs_the_simulator_once_and_people_keeps_the_small_fixture(tmp_path: Path) -> None:
    _register()
    env = {
        "IMMUNIZE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
    }
    runner = CliRunner()
    seeded = runner.invoke(
        immunize, ["demo", "seed", "--scale", "0.000005", "--days", "20", "--json"], env=env
    )
    assert seeded.exit_code == 0, seeded.output
    summary = json.loads(seeded.output[seeded.output.index("{") :])
    assert summary["people"] > 100
    assert summary["sites"] >= 63
    assert summary["scale"] == 0.000005
    again = runner.invoke(immunize, ["demo", "seed"], env=env)
    assert again.exit_code == 0
    assert "already has people: nothing seeded" in again.output
    listed = runner.invoke(immunize, ["person", "list", "--json", "--limit", "100000"], env=env)
    assert len(json.loads(listed.output)) == summary["people"]  # nothing added by the second run

    mixed = runner.invoke(immunize, ["demo", "seed", "--people", "5", "--days", "3"], env=env)
    assert mixed.exit_code == 3
    said = mixed.output.strip().splitlines()
    assert len(said) == 1
    assert "--people seeds the small fixed population: leave out --scale and --days." in said[0]
    bad = runner.invoke(immunize, ["demo", "seed", "--scale", "2"], env=env)
    assert bad.exit_code == 3
    assert "scale 2.0 is out of range" in bad.output
