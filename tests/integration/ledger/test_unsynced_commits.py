"""`Ledger.unsynced_commits()`: a bulk load of simulated data (the demo campaign) does not wait for an
fsync at every commit on SQLite, and everything it wrote is in the database file when it ends."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ledger.application import Ledger
from ledger.values import Actor, Role

from .conftest import Clock

ADMIN = Actor("admin-1", Role.ADMIN)
NORMAL, FULL = 1, 2  # PRAGMA synchronous values


def _synchronous(ledger: Ledger) -> int:
    datastore = ledger.recorder.datastore  # type: ignore[attr-defined]
    with datastore.get_connection(commit=False) as connection:
        return int(connection._sqlite_conn.execute("PRAGMA synchronous").fetchone()[0])


def _register(ledger: Ledger, key: str, national_id: str) -> None:
    ledger.register_person(
        national_id=national_id,
        full_name="Nguyễn Thị Ánh",
        date_of_birth="1985-03-02",
        sex="female",
        phone=None,
        ward_code="00001",
        priority_group="OTHER",
        actor=ADMIN,
        idempotency_key=key,
    )


def _events_in_the_file(path: Path) -> int:
    """Events in the main database file alone (immutable: the -wal is not read)."""
    reader = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        tables = [r[0] for r in reader.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        events = next(t for t in tables if t.endswith("events") and "snapshot" not in t)
        return int(reader.execute(f"SELECT count(*) FROM {events}").fetchone()[0])
    finally:
        reader.close()


def test_commits_skip_the_fsync_inside_and_are_on_disk_after(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger = Ledger(f"sqlite:///{path}", clock=Clock(), key_dir=tmp_path / "keys")
    try:
        _register(ledger, "before", "001085012345")
        assert _synchronous(ledger) == FULL  # the library's default: every commit waits for the disk
        with ledger.unsynced_commits():
            assert _synchronous(ledger) == NORMAL
            _register(ledger, "inside-1", "001085012346")
            _register(ledger, "inside-2", "001085012347")
        assert _synchronous(ledger) == FULL
        # The block's checkpoint copied every commit into the database file itself.
        written = ledger.recorder.max_notification_id() or 0
        assert written > 0
        assert _events_in_the_file(path) == written
        _register(ledger, "after", "001085012348")
        assert (ledger.recorder.max_notification_id() or 0) > written
    finally:
        ledger.close()


def test_a_memory_ledger_is_left_as_it_is(tmp_path: Path) -> None:
    ledger = Ledger("memory://", clock=Clock(), key_dir=tmp_path / "keys")
    try:
        with ledger.unsynced_commits():
            _register(ledger, "inside", "001085012345")
        assert (ledger.recorder.max_notification_id() or 0) > 0
    finally:
        ledger.close()
