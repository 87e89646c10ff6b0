"""Stories of the auditor's export: written from a verified log, checked line by line, replayed to
the same projection digests in a fresh store - and every kind of damage named by its line."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import _register, immunize
from ledger.application import Ledger
from ledger.settings import parse_database_url
from projections.audit import (
    AuditError,
    AuditKey,
    FileFormatError,
    TamperingDetected,
    load_export,
    make_checkpoints,
    rebuild_all,
    trusted_keys,
    write_export,
)
from projections.audit.database import StoredRow
from projections.audit.jsonlines import LogFileWriter
from projections.registry import rebuild
from projections.store import open_view_store
from services.demo_population import seed_demo
from tests.integration.projections.test_audit_fixtures import (
    NOW,
    TallyView,
    alter,
    audit_key,
    database,
    events_of,
    fill,
    store_url,
    tiny_ledger,
)

__all__ = ["audit_key", "store_url"]


def exported(url: str, key: AuditKey, path: Path) -> Path:
    """25 tiny events, checkpoints at 10, 20 and 25, exported to `path`."""
    fill(url).close()
    with database(url) as db:
        make_checkpoints(db, key, NOW, interval=10)
        with path.open("wb") as out:
            write_export(db, out, trusted_keys(db, [key.public]), NOW)
    return path


def lines_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def write_lines(path: Path, lines: list[dict[str, object]]) -> None:
    path.write_bytes(b"".join(json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in lines))


def test_an_export_replays_to_the_same_events_and_digests(
    store_url: str, audit_key: AuditKey, tmp_path: Path
) -> None:
    path = exported(store_url, audit_key, tmp_path / "export.jsonl")
    lines = lines_of(path)
    assert [line["type"] for line in lines[:2]] == ["header", "event"]
    assert [line["tree_size"] for line in lines if line["type"] == "checkpoint"] == [10, 20, 25]
    assert lines[-1]["type"] == "trailer"
    assert lines[-1]["events"] == 25
    assert lines[0]["keys"][0]["key_id"] == audit_key.public.key_id  # type: ignore[index]

    workdir = tmp_path / "replay"
    workdir.mkdir()
    summary, pinned, url = load_export(path, workdir, [audit_key.public])
    assert (summary.events, summary.checkpoints, pinned) == (25, 3, True)
    with database(store_url) as source, database(url) as copy:
        assert events_of(copy) == events_of(source)  # same positions, same stored bytes
    replayed = rebuild_all(parse_database_url(url), app_factory=tiny_ledger, views=[TallyView])
    original = rebuild_all(parse_database_url(store_url), app_factory=tiny_ledger, views=[TallyView])
    assert replayed == original
    assert len(replayed["tallies"]) == 64


def test_a_tampered_log_is_never_exported(store_url: str, audit_key: AuditKey, tmp_path: Path) -> None:
    fill(store_url).close()
    with database(store_url) as db:
        make_checkpoints(db, audit_key, NOW, interval=10)
        alter(db, 17)
        with pytest.raises(TamperingDetected, match="position 17"):
            write_export(db, io.BytesIO(), trusted_keys(db, [audit_key.public]), NOW)


def test_exporting_before_any_checkpoint_says_what_to_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    fill(url).close()
    with database(url) as db, pytest.raises(AuditError, match="audit checkpoint"):
        write_export(db, io.BytesIO(), trusted_keys(db, []), NOW)


def _damage_state(lines: list[dict[str, object]]) -> None:
    event = lines[5]
    event["state"] = base64.b64encode(base64.b64decode(str(event["state"])) + b" ").decode()


def _swap(lines: list[dict[str, object]]) -> None:
    lines[3], lines[4] = lines[4], lines[3]


def _drop_event(lines: list[dict[str, object]]) -> None:
    del lines[4]


def _forge_signature(lines: list[dict[str, object]]) -> None:
    checkpoint = next(line for line in lines if line["type"] == "checkpoint")
    body, _, signature_line = str(checkpoint["note"]).partition("\n\n")
    name, blob = signature_line.rstrip("\n").rsplit(" ", 1)
    signature = bytearray(base64.b64decode(blob))
    signature[10] ^= 1
    checkpoint["note"] = f"{body}\n\n{name} {base64.b64encode(bytes(signature)).decode()}\n"


def _edit_header(lines: list[dict[str, object]]) -> None:
    lines[0]["created_at"] = "2000-01-01T00:00:00+00:00"


def _other_ledger(lines: list[dict[str, object]]) -> None:
    lines[0]["ledger"] = "sha256:" + "ab" * 32


DAMAGE = [
    ("header of another ledger", _other_ledger, 2, "does not give the ledger identity"),
    ("altered event", _damage_state, 6, "does not match its leaf hash"),
    ("reordered events", _swap, 5, "reordered or duplicated"),
    ("removed event", _drop_event, 11, "out of place"),
    ("forged checkpoint signature", _forge_signature, 12, "bad signature"),
    ("edited header", _edit_header, 30, "checksum does not match"),
    ("truncated file", lambda lines: lines.pop(), 29, "truncated"),
]


@pytest.mark.parametrize(("story", "damage", "line", "message"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_a_damaged_export_is_refused_naming_the_line(
    tmp_path: Path, audit_key: AuditKey, story: str, damage: object, line: int, message: str
) -> None:
    path = exported(f"sqlite:///{tmp_path / 'ledger.db'}", audit_key, tmp_path / "export.jsonl")
    lines = lines_of(path)
    damage(lines)  # type: ignore[operator]
    write_lines(path, lines)
    workdir = tmp_path / "replay"
    workdir.mkdir()
    with pytest.raises(FileFormatError, match=message) as caught:
        load_export(path, workdir, [audit_key.public])
    assert caught.value.line == line or (caught.value.line is None and f"line {line}" in str(caught.value)), (
        story
    )


def test_garbage_and_cut_lines_are_named(tmp_path: Path, audit_key: AuditKey) -> None:
    path = exported(f"sqlite:///{tmp_path / 'ledger.db'}", audit_key, tmp_path / "export.jsonl")
    data = path.read_bytes()
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(data[: len(data) - 20])
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_bytes(data.replace(b'{"type":"event","position":3', b'{"type":"event","position":3}}', 1))
    for number, (broken, message) in enumerate([(cut, "cut short"), (garbage, "not valid JSON")]):
        workdir = tmp_path / f"replay{number}"
        workdir.mkdir()
        with pytest.raises(FileFormatError, match=message):
            load_export(broken, workdir, [audit_key.public])


def test_an_export_checked_against_the_wrong_published_key_is_refused(
    tmp_path: Path, audit_key: AuditKey
) -> None:
    path = exported(f"sqlite:///{tmp_path / 'ledger.db'}", audit_key, tmp_path / "export.jsonl")
    workdir = tmp_path / "replay"
    workdir.mkdir()
    with pytest.raises(FileFormatError, match="not signed by a trusted audit key"):
        load_export(path, workdir, [AuditKey.generate().public])


@pytest.mark.slow
def test_the_auditor_reproduces_the_published_figures_from_the_real_ledger(
    store_url: str, tmp_path: Path
) -> None:
    """Export a seeded campaign with the CLI; `audit replay` prints the digests the live views have."""
    ledger = Ledger(store_url, key_dir=tmp_path / "master", clock=lambda: datetime(2022, 3, 1, tzinfo=UTC))
    seed_demo(ledger, people=40)
    store = open_view_store(parse_database_url(store_url))
    published = rebuild(ledger, store)
    store.close()
    ledger.close()
    _register()
    env = {
        "IMMUNIZE_DATABASE_URL": store_url,
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "IMMUNIZE_KEY_PASSPHRASE": "test passphrase",
        "IMMUNIZE_MASTER_KEY": "",
    }
    runner = CliRunner()
    assert runner.invoke(immunize, ["audit", "checkpoint"], env=env).exit_code == 0
    export = tmp_path / "export.jsonl"
    made = runner.invoke(immunize, ["audit", "export", "--out", str(export)], env=env)
    assert made.exit_code == 0, made.output
    # The auditor's machine: no database, no personal keys; the published audit key.
    auditor_env = {
        "IMMUNIZE_DATABASE_URL": "sqlite:////nonexistent/none.db",
        "IMMUNIZE_KEY_DIR": str(tmp_path / "auditor"),
    }
    public = tmp_path / "keys" / "audit" / "ledger-audit-public.pem"
    replay = runner.invoke(
        immunize, ["audit", "replay", str(export), "--public-key", str(public)], env=auditor_env
    )
    assert replay.exit_code == 0, replay.output
    printed = dict(
        line.split(" ", 1) for line in replay.output.splitlines() if line.split(" ")[0] in published
    )
    assert printed == published
    assert not (tmp_path / "auditor" / "master.key").exists()  # no key was needed, none was made


def test_event_lines_are_the_compact_json_of_their_fields() -> None:
    out = io.BytesIO()
    writer = LogFileWriter(out)
    row = StoredRow(7, "3adb4aea-864b-46ec-a47f-24d35e67dc6a", 2, 'ledger.x:Việt "Nam"', b"\x00\xffstate")
    writer.event(row, b"\x01" * 32)
    writer.event(row._replace(position=8), b"\x02" * 32)
    writer.trailer()
    expected = [
        {
            "type": "event",
            "position": 7,
            "originator_id": row.originator_id,
            "originator_version": 2,
            "topic": row.topic,
            "state": base64.b64encode(row.state).decode(),
            "leaf": "01" * 32,
        },
        {
            "type": "event",
            "position": 8,
            "originator_id": row.originator_id,
            "originator_version": 2,
            "topic": row.topic,
            "state": base64.b64encode(row.state).decode(),
            "leaf": "02" * 32,
        },
    ]
    assert out.getvalue().splitlines(keepends=True)[:2] == [
        json.dumps(e, separators=(",", ":"), ensure_ascii=False).encode() + b"\n" for e in expected
    ]


def test_an_export_from_before_the_transparency_log_is_refused_with_what_to_do(tmp_path: Path) -> None:
    old = tmp_path / "old.jsonl"
    old.write_bytes(
        b'{"type":"header","format":"immunize-audit-export","version":1,"ledger":null,"keys":[]}\n'
    )
    workdir = tmp_path / "replay"
    workdir.mkdir()
    with pytest.raises(FileFormatError, match="written before the transparency log: export again"):
        load_export(old, workdir, [])
