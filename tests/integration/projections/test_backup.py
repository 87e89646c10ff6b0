"""Stories of the backup and restore drill on the real ledger: SQLite and PostgreSQL, either way round,
and every damaged or misplaced backup refused with nothing half-restored."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import _register, immunize
from ledger.application import Ledger
from ledger.personaldata import INDEX_TABLE, KEYS_TABLE
from ledger.settings import parse_database_url
from projections.audit import (
    AuditError,
    AuditKey,
    FileFormatError,
    make_checkpoints,
    rebuild_all,
    trusted_keys,
    verify,
)
from projections.audit.tree import load_checkpoints
from projections.backup import master_key_problem, restore_backup, write_backup
from projections.registry import rebuild
from projections.store import open_view_store
from services.demo_population import seed_demo
from tests.integration.projections.test_audit_fixtures import NOW, audit_key, database, events_of, fill
from tests.people import listed
from web.store import SqlStore

__all__ = ["audit_key"]

CLOCK = datetime(2022, 3, 1, tzinfo=UTC)


def _url(kind: str, tmp_path: Path, request: pytest.FixtureRequest, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / name}.db"
    url: str = request.getfixturevalue("postgres_server").url("postgres")
    # A second fresh PostgreSQL database when the test needs two.
    import psycopg

    dbname = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    request.addfinalizer(drop)
    return url.rsplit("/", 1)[0] + "/" + dbname


def ledger_on(url: str, tmp_path: Path) -> Ledger:
    """The real ledger; source and target share one master key (the key is never in a backup)."""
    return Ledger(url, key_dir=tmp_path / "master", clock=lambda: CLOCK)


def seeded(url: str, tmp_path: Path, key: AuditKey) -> Ledger:
    """A seeded campaign, checkpointed every 100 events, then a few more registrations after the last one."""
    ledger = ledger_on(url, tmp_path)
    seed_demo(ledger, people=30, seed=1)
    with database(url) as db:
        make_checkpoints(db, key, NOW, interval=100)
    seed_demo(ledger, people=3, seed=2)
    return ledger


def key_rows(url: str) -> dict[str, set[tuple[object, ...]]]:
    with database(url) as db:
        return {
            table: {
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                for row in db.execute(f"SELECT * FROM {db.table(table)}")
            }
            for table in (KEYS_TABLE, INDEX_TABLE)
        }


DRILLS = [
    ("sqlite", "sqlite"),
    pytest.param("postgres", "postgres", marks=pytest.mark.postgres),
    pytest.param("sqlite", "postgres", marks=pytest.mark.postgres),
    pytest.param("postgres", "sqlite", marks=pytest.mark.postgres),
]


@pytest.mark.parametrize(("source_kind", "target_kind"), DRILLS)
def test_the_whole_drill_restores_the_same_ledger(
    source_kind: str, target_kind: str, tmp_path: Path, request: pytest.FixtureRequest, audit_key: AuditKey
) -> None:
    source = _url(source_kind, tmp_path, request, "source")
    target = _url(target_kind, tmp_path, request, "target")
    ledger = seeded(source, tmp_path, audit_key)
    store = open_view_store(parse_database_url(source))
    published = rebuild(ledger, store)
    store.close()

    backup = tmp_path / "ledger.backup.gz"
    with database(source) as db, backup.open("wb") as out:
        written = write_backup(db, out, trusted_keys(db, [audit_key.public]), NOW)
    assert written.events == written.chained > 0
    assert written.rows[KEYS_TABLE] > 30

    restored = restore_backup(backup, parse_database_url(target), [audit_key.public])
    assert (restored.events, restored.ledger) == (written.events, written.ledger)

    with database(source) as a, database(target) as b:
        assert events_of(b) == events_of(a)
        assert load_checkpoints(b) == load_checkpoints(a)
        report = verify(b, trusted_keys(b, [audit_key.public]))
        assert report.events == written.events
        assert report.checkpoints == len(load_checkpoints(a)) > 0
    assert key_rows(target) == key_rows(source)
    assert rebuild_all(parse_database_url(target), lambda url: ledger_on(url, tmp_path)) == published

    # The restored ledger is a working ledger: personal data opens with the same master key,
    # and new events continue after the restored positions.
    copy = ledger_on(target, tmp_path)
    someone = listed(ledger, limit=1)[0]
    assert copy.person_record(someone.person_id).full_name == someone.full_name
    head = copy.recorder.max_notification_id()
    seed_demo(copy, people=2, seed=3)
    assert (copy.recorder.max_notification_id() or 0) > (head or 0)
    ledger.close()
    copy.close()


def test_the_cli_drill_prints_the_same_digests(
    tmp_path: Path, request: pytest.FixtureRequest, audit_key: AuditKey
) -> None:
    source = _url("sqlite", tmp_path, request, "source")
    target = _url("sqlite", tmp_path, request, "target")
    ledger = seeded(source, tmp_path, audit_key)
    store = open_view_store(parse_database_url(source))
    published = rebuild(ledger, store)
    store.close()
    ledger.close()
    SqlStore(parse_database_url(source))  # the web's tables: a staff account is not in the log
    with database(source) as db:
        db.execute(
            "INSERT INTO web_accounts (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
            ("nurse.lan", "argon2-hash", "site_staff", "2022-03-01T00:00:00+00:00"),
        )
    _register()
    runner = CliRunner()
    env = {
        "IMMUNIZE_DATABASE_URL": source,
        "IMMUNIZE_KEY_DIR": str(tmp_path / "master"),
        "IMMUNIZE_LANGUAGE": "en",
    }
    backup = tmp_path / "b.gz"
    made = runner.invoke(immunize, ["backup", "--out", str(backup)], env=env)
    assert made.exit_code == 0, made.output
    done = runner.invoke(immunize, ["restore", str(backup), "--database-url", target], env=env)
    assert done.exit_code == 0, done.output
    printed = dict(line.split(" ", 1) for line in done.output.splitlines() if line.split(" ")[0] in published)
    assert printed == published
    with database(target) as db:
        assert db.execute("SELECT username, role FROM web_accounts") == [("nurse.lan", "site_staff")]
    again = runner.invoke(immunize, ["restore", str(backup), "--database-url", target], env=env)
    assert again.exit_code == 7
    assert "already holds this ledger" in again.output


def test_a_backup_of_another_ledger_is_refused(tmp_path: Path, audit_key: AuditKey) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    target = f"sqlite:///{tmp_path / 'target.db'}"
    seeded(source, tmp_path, audit_key).close()
    fill(target).close()
    backup = tmp_path / "b.gz"
    with database(source) as db, backup.open("wb") as out:
        summary = write_backup(db, out, trusted_keys(db, [audit_key.public]), NOW)
    with database(target) as db:
        before = events_of(db)
    with pytest.raises(AuditError, match="holds another ledger") as caught:
        restore_backup(backup, parse_database_url(target), [])
    assert str(summary.ledger) in str(caught.value)
    with database(target) as db:
        assert events_of(db) == before


def _rewrite(backup: Path, edit: object) -> None:
    lines = [json.loads(line) for line in gzip.decompress(backup.read_bytes()).splitlines()]
    edit(lines)  # type: ignore[operator]
    backup.write_bytes(gzip.compress(b"".join(json.dumps(x).encode() + b"\n" for x in lines)))


def _bad_signature(lines: list[dict[str, object]]) -> None:
    checkpoint = next(line for line in lines if line["type"] == "checkpoint")
    body, _, signature = str(checkpoint["note"]).partition("\n\n")
    checkpoint["note"] = body.replace("\n100\n", "\n100\n") + "\nextension\n\n" + signature


def _damaged_key_row(lines: list[dict[str, object]]) -> None:
    row = next(line for line in lines if line["type"] == "row")
    values = row["values"]
    assert isinstance(values, dict)
    values["owner"] = "0" * 32


DAMAGE = [
    ("truncated", None, "truncated"),
    ("bad checkpoint signature", _bad_signature, "bad signature"),
    ("damaged key-store row", _damaged_key_row, "checksum does not match"),
]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
@pytest.mark.parametrize(("story", "edit", "message"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_a_damaged_backup_restores_nothing(
    kind: str,
    story: str,
    edit: object,
    message: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    audit_key: AuditKey,
) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    target = _url(kind, tmp_path, request, "target")
    seeded(source, tmp_path, audit_key).close()
    backup = tmp_path / "b.gz"
    with database(source) as db, backup.open("wb") as out:
        write_backup(db, out, trusted_keys(db, [audit_key.public]), NOW)
    if edit is None:
        data = backup.read_bytes()
        backup.write_bytes(data[: len(data) * 2 // 3])
    else:
        _rewrite(backup, edit)
    with pytest.raises(FileFormatError, match=message):
        restore_backup(backup, parse_database_url(target), [])
    with database(target) as db:
        assert db.count_events() == 0, story
        assert load_checkpoints(db) == []
    assert key_rows(target) == {KEYS_TABLE: set(), INDEX_TABLE: set()}


def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    with pytest.raises(FileFormatError, match="not a gzip file"):
        restore_backup(text, parse_database_url(f"sqlite:///{tmp_path / 't.db'}"), [])
    export_like = tmp_path / "export.gz"
    export_like.write_bytes(
        gzip.compress(b'{"type":"header","format":"immunize-audit-export","version":1}\n')
    )
    with pytest.raises(FileFormatError, match="not an 'immunize-backup' file"):
        restore_backup(export_like, parse_database_url(f"sqlite:///{tmp_path / 't.db'}"), [])


def test_an_empty_ledger_backs_up_and_restores(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    target = f"sqlite:///{tmp_path / 'target.db'}"
    ledger_on(source, tmp_path).close()
    backup = tmp_path / "b.gz"
    with database(source) as db, backup.open("wb") as out:
        summary = write_backup(db, out, trusted_keys(db, []), NOW)
    assert (summary.ledger, summary.events) == (None, 0)
    restored = restore_backup(backup, parse_database_url(target), [])
    assert (restored.ledger, restored.events) == (None, 0)


def test_a_store_with_leftover_key_rows_is_not_empty(tmp_path: Path, audit_key: AuditKey) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    target = f"sqlite:///{tmp_path / 'target.db'}"
    seeded(source, tmp_path, audit_key).close()
    backup = tmp_path / "b.gz"
    with database(source) as db, backup.open("wb") as out:
        write_backup(db, out, trusted_keys(db, [audit_key.public]), NOW)
    leftover = ledger_on(target, tmp_path)
    leftover.keys.create_keys([uuid.uuid4()])
    leftover.close()
    with pytest.raises(AuditError, match=f"table {KEYS_TABLE} holds 1 rows"):
        restore_backup(backup, parse_database_url(target), [audit_key.public])


def test_the_cli_says_in_one_line_what_is_wrong_with_a_file(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    _register()
    result = CliRunner().invoke(
        immunize,
        ["restore", str(notes), "--database-url", f"sqlite:///{tmp_path / 't.db'}"],
        env={"IMMUNIZE_LANGUAGE": "en"},
    )
    assert result.exit_code == 3
    assert result.output == f"Error: {notes} is not a gzip file: it is not an immunize backup\n"
    replay = CliRunner().invoke(immunize, ["--lang", "en", "audit", "replay", str(notes)])
    assert replay.exit_code == 3
    assert replay.output == "Error: line 1: the line is not valid JSON: the file is corrupt\n"


def test_a_restore_without_the_master_key_says_so(tmp_path: Path, audit_key: AuditKey) -> None:
    """The master key is never in a backup: restored elsewhere, the personal data waits for it."""
    source = f"sqlite:///{tmp_path / 'source.db'}"
    target = f"sqlite:///{tmp_path / 'elsewhere' / 'target.db'}"
    (tmp_path / "elsewhere").mkdir()
    seeded(source, tmp_path, audit_key).close()
    backup = tmp_path / "b.gz"
    with database(source) as db, backup.open("wb") as out:
        write_backup(db, out, trusted_keys(db, [audit_key.public]), NOW)
    restore_backup(backup, parse_database_url(target), [audit_key.public])
    assert master_key_problem(parse_database_url(target)) is not None  # a fresh master key was made there
    (tmp_path / "elsewhere" / "keys" / "master.key").write_bytes(
        (tmp_path / "master" / "master.key").read_bytes()
    )
    assert master_key_problem(parse_database_url(target)) is None
