"""`immunize certificate reissue --all --workers 2`, the real CLI in its own process, on SQLite and PostgreSQL,
with batches small enough that both workers run several at once: every certificate re-issued once, none
failed, the pool never broken. On PostgreSQL forked workers inherited the parent's connections (two
processes on one session: "prepared statement _pg3_1 already exists") and opened their ledgers at the same
moment ("tuple concurrently updated"): the run died with a broken process pool."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keys.development import ensure_development_keys
from keys.settings import DEVELOPMENT_PASSPHRASE
from keys.store import KeyStore
from ledger.application import Ledger
from ledger.certificates import certificates_of, current_certificate
from services import certificate_files, certificates
from services.demo_population import seed_demo
from tests.people import listed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    found: str = request.getfixturevalue("postgres_url")
    return found


def test_reissue_all_with_two_workers_re_issues_everyone_once(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        **os.environ,
        "IMMUNIZE_DATABASE_URL": url,
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "IMMUNIZE_KEY_PASSPHRASE": DEVELOPMENT_PASSPHRASE,
    }
    env.pop("IMMUNIZE_MASTER_KEY", None)
    for name in ("IMMUNIZE_DATABASE_URL", "IMMUNIZE_KEY_DIR", "IMMUNIZE_KEY_PASSPHRASE"):
        monkeypatch.setenv(name, env[name])  # this process opens the ledger as the CLI does
    monkeypatch.delenv("IMMUNIZE_MASTER_KEY", raising=False)
    now = datetime.now(UTC)
    ensure_development_keys(tmp_path / "keys", now, warn=lambda line: None)
    keys = KeyStore(tmp_path / "keys")
    signer = keys.current_signer(DEVELOPMENT_PASSPHRASE, now)
    ledger = Ledger(url)
    try:
        seed_demo(ledger, people=24, seed=4)
        people = [r.person_id for r in listed(ledger, limit=200) if r.doses]
        assert len(people) >= 8
        for person in people:
            issued = certificates.issue_new(
                ledger, person, signer, now=now, validity=timedelta(days=365), idempotency_key=f"t-{person}"
            )
            certificates.mark_issued(ledger, issued)
            certificates.keep_files(ledger, issued, formats=("hc1", "png"))
    finally:
        ledger.close()
    keys.rotate(DEVELOPMENT_PASSPHRASE, now)
    new_kid = keys.current_signer(DEVELOPMENT_PASSPHRASE, now).kid.hex()

    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from cli.main import main; main()",
            "certificate",
            "reissue",
            "--all",
            "--workers",
            "2",
            "--batch",
            "2",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"Re-issued {len(people)}, " in run.stdout, run.stdout
    assert "already current 0," in run.stdout, run.stdout
    assert "failed 0 " in run.stdout, run.stdout

    ledger = Ledger(url)
    try:
        for person in people:
            given = certificates_of(ledger, person)
            assert len(given) == 2, f"{person}: {[c.uci for c in given]}"  # one re-issue each
            current = current_certificate(ledger, person)
            assert current is not None
            assert current.kid == new_kid
            assert certificate_files.complete(ledger, current.uci, ("hc1", "png"))
    finally:
        ledger.close()
