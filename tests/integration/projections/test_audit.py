"""Stories of tamper evidence: the chain, signed checkpoints, and `audit verify` on SQLite and PostgreSQL.

Each tampering story edits the database directly with SQL, as an intruder with database access
would, and expects verify to name the FIRST broken position and what it looks like.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from cli.main import _register, immunize
from ledger.application import Ledger
from projections.audit import (
    AuditError,
    AuditKey,
    Database,
    TamperingDetected,
    audit_status,
    extend_chain,
    progress_bar,
    trusted_keys,
    verify,
)
from projections.audit.chainhash import GENESIS, ledger_identity, next_link
from projections.audit.database import DEFAULT_APP_NAME
from tests.integration.projections.test_audit_fixtures import (
    NOW,
    alter,
    audit_key,
    database,
    events_of,
    fill,
    insert,
    remove,
    store_url,
    swap,
)

__all__ = ["audit_key", "store_url"]  # fixtures used here


def chained(url: str, key: AuditKey, interval: int = 7) -> Database:
    """A ledger of 25 events (5 tallies, 4 counts each), chained with a checkpoint every `interval`."""
    fill(url).close()
    db = database(url)
    extend_chain(db, key, NOW, interval)
    return db


def test_an_untouched_log_verifies_with_every_checkpoint(store_url: str, audit_key: AuditKey) -> None:
    db = chained(store_url, audit_key)
    report = verify(db, trusted_keys(db, [audit_key.public]))
    assert (report.events, report.position, report.checkpoints, report.unchained) == (25, 25, 4, 0)
    status = audit_status(db)
    assert [c.position for c in status.checkpoints] == [7, 14, 21, 25]
    # The links are the documented chain: SHA-256(previous || canonical event), from 32 zero bytes.
    link = GENESIS
    for row in events_of(db):
        link = next_link(link, row)
    assert status.head_link == link.hex()
    assert report.ledger == ledger_identity(events_of(db)[0]) == status.ledger
    db.close()


def test_new_events_stay_unchained_until_the_next_checkpoint(store_url: str, audit_key: AuditKey) -> None:
    db = chained(store_url, audit_key)
    fill(store_url, aggregates=2, rounds=1, prefix="late").close()
    report = verify(db, trusted_keys(db, [audit_key.public]))
    assert (report.events, report.unchained) == (25, 4)
    assert "4 newer events are not chained yet" in report.summary()
    result = extend_chain(db, audit_key, NOW, 7)
    assert (result.chained, [c.position for c in result.checkpoints]) == (4, [28, 29])
    assert verify(db, trusted_keys(db, [audit_key.public])).events == 29
    db.close()


TAMPERING: list[tuple[str, Callable[[Database], None], int, str]] = [
    ("altered state", lambda db: alter(db, 9), 9, "altered"),
    ("altered last event", lambda db: alter(db, 25), 25, "altered"),
    ("removed", lambda db: remove(db, 9), 9, "removed"),
    ("removed last event", lambda db: remove(db, 25), 25, "removed"),
    ("inserted", lambda db: insert(db, 9), 9, "inserted"),
    ("reordered", lambda db: swap(db, 9, 12), 9, "reordered"),
]


@pytest.mark.parametrize(("story", "tamper", "position", "kind"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_verify_names_the_first_tampered_position(
    store_url: str,
    audit_key: AuditKey,
    story: str,
    tamper: Callable[[Database], None],
    position: int,
    kind: str,
) -> None:
    db = chained(store_url, audit_key)
    tamper(db)
    with pytest.raises(TamperingDetected) as caught:
        verify(db, trusted_keys(db, [audit_key.public]))
    assert (caught.value.position, caught.value.tampering) == (position, kind), story
    assert f"position {position}" in str(caught.value)
    assert kind in str(caught.value)
    db.close()


def test_two_changes_are_reported_at_the_first(store_url: str, audit_key: AuditKey) -> None:
    db = chained(store_url, audit_key)
    alter(db, 20)
    remove(db, 4)
    with pytest.raises(TamperingDetected) as caught:
        verify(db, trusted_keys(db, [audit_key.public]))
    assert (caught.value.position, caught.value.tampering) == (4, "removed")
    db.close()


def test_a_checkpoint_with_a_bad_signature_is_caught(store_url: str, audit_key: AuditKey) -> None:
    db = chained(store_url, audit_key)
    db.execute(
        f"UPDATE {db.table('audit_checkpoints')} SET signed_at = ? WHERE seq = 2",
        ("2020-01-01T00:00:00+00:00",),
    )
    with pytest.raises(TamperingDetected) as caught:
        verify(db, trusted_keys(db, [audit_key.public]))
    assert (caught.value.position, caught.value.tampering) == (14, "bad-signature")
    assert "checkpoint #2" in str(caught.value)
    db.close()


def test_a_deleted_checkpoint_is_caught(store_url: str, audit_key: AuditKey) -> None:
    db = chained(store_url, audit_key)
    db.execute(f"DELETE FROM {db.table('audit_checkpoints')} WHERE seq = 2")
    with pytest.raises(TamperingDetected, match="checkpoint #2 is missing") as caught:
        verify(db, trusted_keys(db, [audit_key.public]))
    assert caught.value.tampering == "rewritten"
    db.close()


def test_rewriting_the_chain_with_the_log_is_caught_by_the_signed_checkpoint(
    store_url: str, audit_key: AuditKey
) -> None:
    """An intruder alters event 9 and recomputes every later link: only the key could hide that."""
    db = chained(store_url, audit_key)
    alter(db, 9)
    rows = events_of(db)
    link = GENESIS
    for row in rows:
        link = next_link(link, row)
        db.execute(f"UPDATE {db.table('audit_chain')} SET link = ? WHERE position = ?", (link, row.position))
    with pytest.raises(TamperingDetected) as caught:
        verify(db, trusted_keys(db, [audit_key.public]))
    assert (caught.value.position, caught.value.tampering) == (14, "rewritten")
    db.close()


def test_checkpoints_signed_by_another_key_are_not_trusted(store_url: str, audit_key: AuditKey) -> None:
    db = chained(store_url, audit_key)
    stranger = AuditKey.generate()
    with pytest.raises(TamperingDetected) as caught:
        verify(db, trusted_keys(db, [stranger.public]))
    assert caught.value.tampering == "unknown-key"
    # Without a pinned key, the database's own key is used, and the report says so.
    assert "not a pinned key" in verify(db, trusted_keys(db, [])).summary()
    db.close()


def test_the_audit_key_is_stored_encrypted_and_private(tmp_path: Path) -> None:
    key, created = AuditKey.load_or_create(tmp_path, b"correct horse")
    assert created
    path = tmp_path / "audit" / "ledger-audit-key.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    again, created_again = AuditKey.load_or_create(tmp_path, b"correct horse")
    assert not created_again
    assert again.public.key_id == key.public.key_id
    with pytest.raises(AuditError, match="IMMUNIZE_KEY_PASSPHRASE"):
        AuditKey.load(tmp_path, b"wrong")
    with pytest.raises(AuditError, match="never overwritten"):
        AuditKey.generate().save(tmp_path, b"correct horse")


def test_the_memory_store_cannot_be_audited() -> None:
    with pytest.raises(AuditError, match="SQLite or PostgreSQL"):
        database("memory://")


def test_cli_checkpoint_then_verify_then_tamper(store_url: str, tmp_path: Path) -> None:
    """The commands an operator runs: exit 0 while intact, 2 naming the position once tampered."""
    fill(store_url).close()
    _register()
    env = {
        "IMMUNIZE_DATABASE_URL": store_url,
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "IMMUNIZE_KEY_PASSPHRASE": "test passphrase",
    }
    runner = CliRunner()
    made = runner.invoke(immunize, ["audit", "checkpoint", "--interval", "10"], env=env)
    assert made.exit_code == 0, made.output
    assert "chained 25 events, signed 3 checkpoints" in made.output
    published = runner.invoke(immunize, ["audit", "public-key"], env=env)
    assert published.exit_code == 0
    assert published.output.split("\n", 1)[1] == (tmp_path / "keys/audit/ledger-audit-public.pem").read_text()
    ok = runner.invoke(immunize, ["audit", "verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "intact: 25 events" in ok.output
    with database(store_url) as db:
        swap(db, 3, 4)
    broken = runner.invoke(immunize, ["audit", "verify"], env=env)
    assert broken.exit_code == 2
    assert "tampering at position 3: event reordered" in broken.output
    status = runner.invoke(immunize, ["audit", "status"], env=env)
    assert "FAILED: tampering at position 3" in status.output


def test_long_runs_show_events_per_second_on_a_terminal() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    with progress_bar("verifying", 50_000, console) as advance:
        for _ in range(50):
            advance(1000)
    assert "verifying" in screen.getvalue()
    assert "events/s" in screen.getvalue()
    assert "50000/50000" in screen.getvalue()
    with progress_bar("quiet", 10, Console(file=io.StringIO(), force_terminal=False)) as advance:
        advance(10)  # not a terminal: no bar, no error


def test_the_audited_table_is_the_real_ledgers() -> None:
    assert Ledger.name == DEFAULT_APP_NAME
