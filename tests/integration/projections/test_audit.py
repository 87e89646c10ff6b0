"""Stories of tamper evidence on SQLite and PostgreSQL: leaves written with every event, the tree, signed
checkpoints, and `audit verify`.

Each tampering story edits the database directly with SQL, as an intruder with database access
would, right after a write and with no checkpoint run, and expects verify to name the FIRST broken
position and what it looks like.
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
from ledger.merkle import leaf_hash
from projections.audit import (
    AuditError,
    AuditKey,
    Database,
    TamperingDetected,
    audit_status,
    head,
    make_checkpoints,
    progress_bar,
    trusted_keys,
    verify,
)
from projections.audit.database import DEFAULT_APP_NAME
from projections.audit.tree import tables
from tests.integration.projections.rfc9162 import tree_hash
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


def written(url: str) -> Database:
    """A ledger of 25 events (5 tallies, 4 counts each): leaves written with them, no checkpoint run."""
    fill(url).close()
    return database(url)


def leaves_of(db: Database) -> list[bytes]:
    """Every event's leaf, recomputed here from the documented encoding (not the stored leaves)."""
    return [
        leaf_hash(r.position, r.originator_id, r.originator_version, r.topic, r.state) for r in events_of(db)
    ]


def test_every_event_has_its_leaf_as_soon_as_it_is_written(store_url: str) -> None:
    db = written(store_url)
    tree = head(db)
    assert (tree.size, tree.last_position) == (25, 25)
    # The stored head is the RFC 9162 tree of the documented leaves (computed by the test's own code).
    assert tree.frontier.root() == tree_hash(leaves_of(db))
    report = verify(db, trusted_keys(db, []))
    assert (report.events, report.position, report.checkpoints) == (25, 25, 0)
    db.close()


def test_a_batch_is_one_leaf_row_and_later_saves_extend_the_tree(store_url: str, audit_key: AuditKey) -> None:
    db = written(store_url)
    assert db.execute(f"SELECT COUNT(*) FROM {tables(db).leaves}")[0][0] == 1
    app = fill(store_url, aggregates=300, rounds=0, prefix="late")  # 300 more events: a tile closes at 256
    app.close()
    assert head(db).size == 325
    assert db.execute(f"SELECT level, idx FROM {tables(db).nodes}") == [(8, 0)]
    assert head(db).frontier.root() == tree_hash(leaves_of(db))
    make_checkpoints(db, audit_key, NOW)
    assert verify(db, trusted_keys(db, [audit_key.public])).checkpoints == 1
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
def test_verify_names_the_first_tampered_position_with_no_checkpoint_run(
    store_url: str,
    audit_key: AuditKey,
    story: str,
    tamper: Callable[[Database], None],
    position: int,
    kind: str,
) -> None:
    db = written(store_url)
    tamper(db)
    with pytest.raises(TamperingDetected) as caught:
        verify(db, trusted_keys(db, [audit_key.public]))
    assert (caught.value.position, caught.value.tampering) == (position, kind), story
    assert f"position {position}" in str(caught.value)
    assert kind in str(caught.value)
    db.close()


def test_two_changes_are_reported_at_the_first(store_url: str, audit_key: AuditKey) -> None:
    db = written(store_url)
    alter(db, 20)
    remove(db, 4)
    with pytest.raises(TamperingDetected) as caught:
        verify(db, trusted_keys(db, [audit_key.public]))
    assert (caught.value.position, caught.value.tampering) == (4, "removed")
    db.close()


def test_an_event_appended_behind_the_recorders_back_is_caught(store_url: str, audit_key: AuditKey) -> None:
    db = written(store_url)
    insert(db, 26)  # after the end: no leaf was written for it
    with pytest.raises(TamperingDetected) as caught:
        verify(db, trusted_keys(db, []))
    assert (caught.value.position, caught.value.tampering) == (26, "inserted")
    db.close()


def test_a_leaf_rewritten_to_match_an_altered_event_is_caught_by_the_tree(store_url: str) -> None:
    """The intruder alters event 9 and rewrites its stored leaf: the stored tree head no longer agrees."""
    db = written(store_url)
    alter(db, 9)
    t = tables(db)
    first, hashes = db.execute(f"SELECT first_index, hashes FROM {t.leaves}")[0]
    row = events_of(db)[8]
    forged = bytes(hashes)[: 8 * 32] + leaf_hash(*row) + bytes(hashes)[9 * 32 :]
    db.execute(f"UPDATE {t.leaves} SET hashes = ? WHERE first_index = ?", (forged, first))
    with pytest.raises(TamperingDetected) as caught:
        verify(db, trusted_keys(db, []))
    assert caught.value.tampering == "tree-head"
    db.close()


def test_a_signed_checkpoint_catches_a_history_recomputed_in_the_database(
    store_url: str, audit_key: AuditKey
) -> None:
    """The intruder alters event 9 and recomputes every leaf and the head: only the signature disagrees."""
    db = written(store_url)
    make_checkpoints(db, audit_key, NOW)
    alter(db, 9)
    _recompute_tree(db)
    with pytest.raises(TamperingDetected) as caught:
        verify(db, trusted_keys(db, [audit_key.public]))
    assert (caught.value.position, caught.value.tampering) == (25, "rewritten")
    assert "tree size 25" in str(caught.value)
    db.close()


def _recompute_tree(db: Database) -> None:
    """What an intruder with database access (but not the audit key) can do: rebuild the tree tables."""
    from ledger.transparency import append_leaves

    t = tables(db)
    rows = events_of(db)
    with db.transaction():
        for table in (t.leaves, t.nodes, t.head):
            db.execute(f"DELETE FROM {table}")
        append_leaves(db, t, [(r.position, r) for r in rows])


def test_a_checkpoint_with_a_bad_signature_is_caught(store_url: str, audit_key: AuditKey) -> None:
    db = written(store_url)
    make_checkpoints(db, audit_key, NOW)
    note = db.execute(f"SELECT note FROM {db.table('transparency_checkpoints')}")[0][0]
    forged = note.replace("\n25\n", "\n24\n")
    db.execute(f"UPDATE {db.table('transparency_checkpoints')} SET note = ?", (forged,))
    with pytest.raises(TamperingDetected) as caught:
        verify(db, trusted_keys(db, [audit_key.public]))
    assert (caught.value.position, caught.value.tampering) == (25, "bad-checkpoint")
    assert "bad signature" in str(caught.value)
    db.close()


def test_checkpoints_signed_by_another_key_are_not_trusted(store_url: str, audit_key: AuditKey) -> None:
    db = written(store_url)
    make_checkpoints(db, audit_key, NOW)
    stranger = AuditKey.generate()
    with pytest.raises(TamperingDetected, match="not signed by a trusted audit key") as caught:
        verify(db, trusted_keys(db, [stranger.public]))
    assert caught.value.tampering == "bad-checkpoint"
    # Without a pinned key, the database's own key is used, and the report says so.
    assert "not a pinned key" in verify(db, trusted_keys(db, [])).summary()
    db.close()


def test_checkpoints_every_interval_and_on_demand_are_kept_and_consistent(
    store_url: str, audit_key: AuditKey
) -> None:
    db = written(store_url)
    run = make_checkpoints(db, audit_key, NOW, interval=10)
    assert [c.tree_size for c in run.signed] == [10, 20, 25]
    again = make_checkpoints(db, audit_key, NOW, interval=10)
    assert again.signed == []
    assert again.latest is not None
    assert again.latest.tree_size == 25
    fill(store_url, aggregates=2, rounds=5, prefix="more").close()  # 12 more: 37
    # Not on demand and not yet 60 s later: only the multiple of 10 is signed.
    later = make_checkpoints(db, audit_key, NOW, interval=10, on_demand=False)
    assert [c.tree_size for c in later.signed] == [30]
    report = verify(db, trusted_keys(db, [audit_key.public]))
    assert report.checkpoints == 4
    status = audit_status(db)
    assert [c.tree_size for c in status.checkpoints] == [10, 20, 25, 30]
    db.close()


def test_the_audit_key_is_stored_encrypted_and_private(tmp_path: Path) -> None:
    key, created = AuditKey.load_or_create(tmp_path, b"correct horse")
    assert created
    path = tmp_path / "audit" / "ledger-audit-key.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert b'"kdf": "pbkdf2-sha256"' in path.read_bytes()  # keys.protection (issue 12, item 8)
    assert b"PRIVATE KEY" not in path.read_bytes()
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


def _cli_env(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "IMMUNIZE_DATABASE_URL": url,
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "IMMUNIZE_KEY_PASSPHRASE": "test passphrase",
    }


def test_cli_flip_a_byte_right_after_a_write_exits_2_naming_the_position(
    store_url: str, tmp_path: Path
) -> None:
    """The auditor's drill from the issue: seed, flip one byte, verify: no checkpoint was ever run."""
    fill(store_url).close()
    _register()
    env = _cli_env(store_url, tmp_path)
    runner = CliRunner()
    ok = runner.invoke(immunize, ["audit", "verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "intact: 25 events" in ok.output
    with database(store_url) as db:
        col = db.position_column
        (state,) = db.execute(f"SELECT state FROM {db.events_table} WHERE {col} = 17")[0]
        flipped = bytes(state)[:3] + bytes([bytes(state)[3] ^ 1]) + bytes(state)[4:]
        db.execute(f"UPDATE {db.events_table} SET state = ? WHERE {col} = 17", (flipped,))
    broken = runner.invoke(immunize, ["audit", "verify"], env=env)
    assert broken.exit_code == 2, broken.output
    assert "tampering at position 17: event altered" in broken.output
    assert "Traceback" not in broken.output
    status = runner.invoke(immunize, ["audit", "status"], env=env)
    assert "FAILED: tampering at position 17" in status.output


def test_cli_checkpoint_prints_a_signed_note_and_verify_then_tamper(store_url: str, tmp_path: Path) -> None:
    fill(store_url).close()
    _register()
    env = _cli_env(store_url, tmp_path)
    runner = CliRunner()
    made = runner.invoke(immunize, ["audit", "checkpoint"], env=env)
    assert made.exit_code == 0, made.output
    lines = made.stdout.split("\n")
    assert lines[0].startswith("immunize.vn/ledger/sha256:")
    assert lines[1] == "25"
    assert lines[3] == ""
    assert lines[4].startswith("\u2014 immunize.vn/ledger/")
    published = runner.invoke(immunize, ["audit", "public-key"], env=env)
    assert published.exit_code == 0
    assert published.stdout.split("\n", 1)[1] == (tmp_path / "keys/audit/ledger-audit-public.pem").read_text()
    with database(store_url) as db:
        swap(db, 3, 4)
    broken = runner.invoke(immunize, ["audit", "verify"], env=env)
    assert broken.exit_code == 2
    assert "tampering at position 3: event reordered" in broken.stderr


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


def test_a_legacy_audit_key_is_read_then_rewritten_by_keys_migrate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12, item 8: an audit key written as PKCS#8 PEM (2,048 rounds) keeps working and is migrated."""
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives import serialization

    from keys.store import KeyStore

    passphrase = "correct horse battery staple"
    KeyStore(tmp_path).init(passphrase, datetime(2026, 11, 22, tzinfo=UTC))
    key = AuditKey.generate()
    (tmp_path / "audit").mkdir(mode=0o700)
    legacy = tmp_path / "audit" / "ledger-audit-key.pem"
    legacy.write_bytes(
        key.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase.encode()),
        )
    )
    assert AuditKey.load(tmp_path, passphrase.encode()).public.key_id == key.public.key_id
    monkeypatch.setenv("IMMUNIZE_KEY_PASSPHRASE", passphrase)
    _register()
    result = CliRunner().invoke(immunize, ["keys", "migrate", "--key-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "audit/ledger-audit-key.json" in result.output
    assert not legacy.exists()
    assert AuditKey.load(tmp_path, passphrase.encode()).public.key_id == key.public.key_id
