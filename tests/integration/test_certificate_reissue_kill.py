"""`immunize certificate reissue --all` killed with SIGKILL at the two worst moments, then run again: inside
the ledger's transaction (the events inserted, their transparency leaves being written, nothing committed)
and just after it committed (the new certificates in the ledger, their index rows and files not stored).

The child is the real CLI in its own process; a few lines run before it only choose the moment it dies (a
SIGKILL it sends itself there). Whatever the moment, the next run must leave every person with exactly one
new certificate, signed with the new key, its files stored, and the audit log whole."""

from __future__ import annotations

import os
import signal
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
from projections.audit import make_checkpoints, trusted_keys, verify
from services import certificate_files, certificates
from services.demo_population import seed_demo
from tests.integration.projections.test_audit_fixtures import audit_key, database
from tests.people import listed

__all__ = ["audit_key"]

ROOT = Path(__file__).resolve().parents[2]

# Run before the CLI in the child: the moment it kills itself (SIGKILL: no clean-up, no atexit).
DIE_AFTER_COMMIT = """
import os, signal
import services.certificate_files as files
files.store_issued = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
"""
DIE_INSIDE_TRANSACTION = """
import os, signal
import ledger.transparency as transparency
real = transparency.append_leaves
def die(*args, **kwargs):
    real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
transparency.append_leaves = die
"""
RUN_CLI = "\nfrom cli.main import main\nmain()\n"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "IMMUNIZE_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'ledger.db'}",
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "IMMUNIZE_KEY_PASSPHRASE": DEVELOPMENT_PASSPHRASE,
    }
    env.pop("IMMUNIZE_MASTER_KEY", None)
    return env


def _reissue(tmp_path: Path, before: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", before + RUN_CLI, "certificate", "reissue", "--all"],
        env=_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize("moment", [DIE_INSIDE_TRANSACTION, DIE_AFTER_COMMIT], ids=["inside", "after-commit"])
def test_a_re_issue_killed_at_the_worst_moment_resumes_and_issues_nothing_twice(
    moment: str, tmp_path: Path, audit_key: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in _env(tmp_path).items():  # this process opens the ledger as the CLI does
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("IMMUNIZE_MASTER_KEY", raising=False)
    now = datetime.now(UTC)
    url = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    ensure_development_keys(tmp_path / "keys", now, warn=lambda line: None)
    keys = KeyStore(tmp_path / "keys")
    signer = keys.current_signer(DEVELOPMENT_PASSPHRASE, now)
    ledger = Ledger(url)  # the master key in IMMUNIZE_KEY_DIR, as the CLI finds it
    try:
        seed_demo(ledger, people=20, seed=4)
        people = [r.person_id for r in listed(ledger, limit=200) if r.doses]
        assert len(people) >= 5
        for person in people:
            issued = certificates.issue_new(
                ledger, person, signer, now=now, validity=timedelta(days=365), idempotency_key=f"t-{person}"
            )
            certificates.mark_issued(ledger, issued)
            certificates.keep_files(ledger, issued, formats=("hc1", "png"))
        head = ledger.recorder.max_notification_id()
    finally:
        ledger.close()
    keys.rotate(DEVELOPMENT_PASSPHRASE, now)
    new_kid = keys.current_signer(DEVELOPMENT_PASSPHRASE, now).kid.hex()

    killed = _reissue(tmp_path, moment)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    ledger = Ledger(url)
    try:
        written = ledger.recorder.max_notification_id()
        if moment is DIE_INSIDE_TRANSACTION:
            assert written == head  # nothing of the killed transaction was committed
        else:
            assert (written or 0) > (head or 0)  # the batch committed, its files were never stored
    finally:
        ledger.close()

    again = _reissue(tmp_path)
    assert again.returncode == 0, again.stderr
    assert "failed 0" in again.stdout, again.stdout

    ledger = Ledger(url)
    try:
        for person in people:
            given = certificates_of(ledger, person)
            assert len(given) == 2, f"{person}: {[c.uci for c in given]}"  # one re-issue each, never two
            current = current_certificate(ledger, person)
            assert current is not None
            assert current.id == given[1].id
            assert current.kid == new_kid
            assert given[0].superseded_by == current.uci
            assert certificate_files.complete(ledger, current.uci, ("hc1", "png"))
            assert certificate_files.entry(ledger, given[0].uci).state == "superseded"  # type: ignore[union-attr]
        final = ledger.recorder.max_notification_id()
    finally:
        ledger.close()
    with database(url) as db:  # every committed event has its leaf: the log verifies
        make_checkpoints(db, audit_key, now)  # type: ignore[arg-type]
        assert verify(db, trusted_keys(db, [audit_key.public])).events == final  # type: ignore[attr-defined]
