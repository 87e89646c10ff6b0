"""`immunize certificate render --follow` as its own process: it renders what is issued while it runs, stops
on SIGTERM, and a renderer killed with SIGKILL at any moment leaves every certificate either fully stored
(all four files and its mark) or not at all; the next run renders the rest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keys.development import ensure_development_keys
from keys.settings import DEVELOPMENT_PASSPHRASE
from keys.store import KeyStore
from ledger.application import Ledger
from services import certificate_files, certificates
from services.certificate_files import tables
from services.demo_population import seed_demo
from tests.people import listed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Ledger, list[str], dict[str, str]]:
    url = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    (tmp_path / "var").mkdir()
    env = {**os.environ, "IMMUNIZE_DATABASE_URL": url, "IMMUNIZE_KEY_DIR": str(tmp_path / "keys")}
    env.pop("IMMUNIZE_MASTER_KEY", None)
    env.pop("IMMUNIZE_KEY_PASSPHRASE", None)
    for name, value in env.items():
        if name.startswith("IMMUNIZE_"):
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("IMMUNIZE_MASTER_KEY", raising=False)
    monkeypatch.delenv("IMMUNIZE_KEY_PASSPHRASE", raising=False)
    now = datetime.now(UTC)
    ensure_development_keys(tmp_path / "keys", now, warn=lambda line: None)
    signer = KeyStore(tmp_path / "keys").current_signer(DEVELOPMENT_PASSPHRASE, now)
    ledger = Ledger()
    seed_demo(ledger, people=40, seed=6)
    ucis = []
    for record in [r for r in listed(ledger, limit=200) if r.doses][:12]:
        issued = certificates.issue_new(
            ledger,
            record.person_id,
            signer,
            now=now,
            validity=timedelta(days=365),
            idempotency_key=f"r-{record.person_id}",
        )
        ucis.append(issued.uci)  # not marked, not rendered: only the log knows
    return ledger, ucis, env


def renderer(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", "certificate", "render", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def formats_stored(ledger: Ledger) -> dict[str, tuple[int, int]]:
    """uci -> (files stored, rendered mark) for every indexed certificate."""
    t = tables(ledger)
    rows = t.db.query(
        f"SELECT i.uci, COUNT(f.fmt), i.rendered FROM {t.index} i LEFT JOIN {t.files} f ON f.uci = i.uci "
        "GROUP BY i.uci, i.rendered"
    )
    return {str(uci): (int(count), int(mark)) for uci, count, mark in rows}


def test_follow_renders_every_issued_certificate_and_stops_on_sigterm(
    setup: tuple[Ledger, list[str], dict[str, str]],
) -> None:
    ledger, ucis, env = setup
    process = renderer(env, "--follow", "--poll-interval", "0.1")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            stored = formats_stored(ledger)
            if len(stored) == len(ucis) and all(v == (4, 1) for v in stored.values()):
                break
            time.sleep(0.2)
        assert formats_stored(ledger) == dict.fromkeys(ucis, (4, 1))
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()
    assert b"Rendered 12" in err


def test_a_renderer_killed_at_any_moment_leaves_nothing_half_stored(
    setup: tuple[Ledger, list[str], dict[str, str]],
) -> None:
    ledger, ucis, env = setup
    process = renderer(env, "--follow", "--poll-interval", "0.1")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(v[1] for v in formats_stored(ledger).values()):
        time.sleep(0.05)
    process.kill()  # SIGKILL: no clean-up, wherever it was
    process.communicate(timeout=30)
    stored = formats_stored(ledger)
    assert set(stored.values()) <= {(0, 0), (4, 1)}  # all four files and the mark, or nothing
    done = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "certificate", "render"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        check=True,
    )
    assert b"failed 0" in done.stdout
    assert formats_stored(ledger) == dict.fromkeys(ucis, (4, 1))
    for uci in ucis:
        assert certificate_files.load(ledger, uci, "pdf") is not None


def test_a_single_process_renders_in_a_thread_of_its_own(
    setup: tuple[Ledger, list[str], dict[str, str]], tmp_path: Path
) -> None:
    from cli.certificate_commands import start_renderer_thread

    ledger, ucis, _ = setup
    stop = start_renderer_thread(ledger, tmp_path / "keys")  # what `immunize run` and a lone `serve` start
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and formats_stored(ledger) != dict.fromkeys(ucis, (4, 1)):
            time.sleep(0.2)
    finally:
        stop.set()
    assert formats_stored(ledger) == dict.fromkeys(ucis, (4, 1))
