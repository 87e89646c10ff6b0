"""Stories of `immunize simulate`: the same seed gives the same ledger, and three independent counts of
the campaign - the simulator's own tally, the public statistics projection, and an auditor's replay of
the exported log on a fresh store - agree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import _register, immunize
from cli.simulate_commands import check_signing_keys
from keys.development import ensure_development_keys
from ledger.application import Ledger
from ledger.errors import InvalidInput
from ledger.settings import parse_database_url
from projections import plan_queries, site_stock_queries
from projections.queries import public_statistics
from projections.statistics import Statistics as StatisticsView
from projections.store import ViewStore, open_view_store
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


def _end_day(store: ViewStore, end: date) -> dict[str, object]:
    """What the staff find on a campaign's end day and around it: appointments by day and status, and
    the stock behind the end day's bookings."""
    booked: dict[str, Counter[str]] = {}
    for day in (end - timedelta(days=1), end, end + timedelta(days=1), end + timedelta(days=2)):
        counts: Counter[str] = Counter()
        for _plan, site in plan_queries.plans_on(store, day):
            plan = plan_queries.day_plan(store, site, day)
            for session in plan.sessions if plan else []:
                counts.update(a.status for a in session.appointments)
        booked[day.isoformat()] = counts
    sites = {site for _plan, site in plan_queries.plans_on(store, end)}
    stock = [row for row in site_stock_queries.stock(store, end, today=end) if row.site_id in sites]
    dose_days = {row[0] for row in _dose_days(store)}
    return {"appointments": booked, "stock": stock, "last_dose_day": max(dose_days) if dose_days else None}


def _dose_days(store: ViewStore) -> list[tuple[str]]:
    view = StatisticsView.recorder(store)
    with store.transaction(write=False) as cursor:
        sql = f"SELECT DISTINCT day FROM {view.t('by_day')}"
        return [(str(r[0]),) for r in cursor.stream(sql)]


def _run(
    tmp_path: Path, name: str, seed: int, end: date | None = None
) -> tuple[str, Tally, dict[str, object], dict[str, object]]:
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
    # With an end day, the campaign starts DAYS before it (as `immunize run`'s, ending today).
    start = check_arguments(SCALE, DAYS, None, end, today=end) if end else check_arguments(SCALE, DAYS)
    signing = tmp_path / name / "signing"
    eve = start - timedelta(days=1)
    ensure_development_keys(
        signing, datetime(eve.year, eve.month, eve.day, tzinfo=UTC), warn=lambda _line: None
    )
    backend = Platform(ledger.store, signing, ledger=ledger, views=store).backend
    try:
        tally = simulate(ledger, store, scale=SCALE, days=DAYS, seed=seed, start=start, certificates=backend)
        totals = statistics_totals(store)
        assert certificates_in_index(store) == tally.certificates
        assert public_statistics(store).total_doses.value == tally.doses  # the page's own total
        facts = _end_day(store, end) if end else {}
    finally:
        store.close()
        ledger.close()
    return url, tally, totals, facts


@pytest.mark.slow
def test_same_seed_same_ledger_and_three_counts_agree(tmp_path: Path) -> None:
    url, first, published, _ = _run(tmp_path, "a", seed=1)
    _, again, _, _ = _run(tmp_path, "b", seed=1)
    _, other, _, _ = _run(tmp_path, "c", seed=2)

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


@pytest.mark.slow
def test_a_campaign_ending_today_leaves_todays_work_booked_with_vaccine_in_date(tmp_path: Path) -> None:
    """`immunize run`'s demo: the campaign ends on the end day (today there): no dose is dated after its
    eve, the end day is booked from stock in date (every booking has its dose on hand), and its
    certificates are signed (keys dated the day before its start)."""
    end = date(2026, 6, 1)
    _, tally, published, facts = _run(tmp_path, "ending", seed=1, end=end)
    assert tally.start == date(2026, 3, 18)  # DAYS before the end day
    assert tally.notes == []
    assert tally.certificates > 0
    assert published == tally_totals(tally)
    appointments = facts["appointments"]
    assert isinstance(appointments, dict)
    assert set(appointments["2026-06-01"]) == {"booked"}  # the end day's work is left to the staff
    assert appointments["2026-06-01"]["booked"] > 0
    assert not appointments["2026-06-02"]  # planned on its eve, like every day of the campaign
    assert facts["last_dose_day"] is not None
    assert str(facts["last_dose_day"]) < "2026-06-01"
    stock = facts["stock"]
    assert isinstance(stock, list)
    assert stock
    for row in stock:  # every booking of the end day has its dose on hand, none counted from expired lots
        assert row.on_hand >= row.booked, row
    assert sum(row.booked for row in stock) >= appointments["2026-06-01"]["booked"]


@pytest.mark.parametrize(
    ("start", "end", "today", "first_day"),
    [
        (None, None, None, date(2021, 3, 8)),  # the documented default: the deterministic digest
        ("2021-04-01", None, None, date(2021, 4, 1)),
        (None, "today", date(2026, 12, 1), date(2026, 6, 4)),  # 180 days before today
        (None, " Today ", date(2026, 12, 1), date(2026, 6, 4)),
        (None, "2026-11-30", date(2026, 12, 1), date(2026, 6, 3)),
        (None, date(2026, 12, 1), None, date(2026, 6, 4)),
    ],
)
def test_the_first_day_from_a_start_or_an_end(
    start: str | None, end: str | date | None, today: date | None, first_day: date
) -> None:
    assert check_arguments(0.0001, 180, start, end, today=today) == first_day


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        ("2021-03-08", "today", "Give the start day or the end day, not both"),
        (None, "tomorrow", "The end day 'tomorrow' is not a date: use today or YYYY-MM-DD"),
        (None, "2026-12-02", "The end day 2026-12-02 is after today \\(2026-12-01\\)"),
    ],
)
def test_a_bad_end_gets_one_clear_sentence(start: str | None, end: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        check_arguments(0.0001, 120, start, end, today=date(2026, 12, 1))


def test_keys_that_cannot_sign_the_first_day_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    """Keys made before `simulate`, dated after its start (how `certificates: 0` came about at scale 0.001):
    one line saying what to do, nothing written; keys dated before the start are accepted."""
    _register()
    keys, db = tmp_path / "keys", tmp_path / "ledger.db"
    ensure_development_keys(keys, datetime(2026, 11, 30, 22, 53, tzinfo=UTC), warn=lambda _line: None)
    env = {
        "IMMUNIZE_DATABASE_URL": f"sqlite:///{db}",
        "IMMUNIZE_KEY_DIR": str(keys),
        "IMMUNIZE_LANGUAGE": "en",
    }
    result = CliRunner().invoke(immunize, ["simulate", "--days", "3"], env=env)
    assert result.exit_code == 3, result.output
    assert result.output.strip().splitlines() == [
        f"Error: The signing key in {keys} signs from 2026-11-30 to 2028-11-29, so it cannot sign the "
        "certificates of a campaign starting 2021-03-08: use a key directory without keys (simulate then "
        "creates development keys dated 2021-03-07) or run `immunize keys init --development --now "
        "2021-03-07T00:00:00+00:00` first."
    ]
    assert not db.exists()
    check_signing_keys(keys, date(2026, 12, 1))  # the same keys sign a campaign starting after them


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
