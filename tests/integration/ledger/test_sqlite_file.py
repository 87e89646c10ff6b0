"""Preparing the SQLite file (mode 0600) must not disturb a database this process already has open.

Closing any descriptor of a file drops all of this process's POSIX locks on it, those of SQLite's
open connections included; another process then takes the database as unused (it checkpoints and
deletes the -wal under a live writer: "file is not a database", seen in test_kill after SIGKILLs).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from ledger.settings import SQLITE_FILE_MODE, prepare_sqlite_file

PROBE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
try:
    conn.execute("BEGIN IMMEDIATE")
except sqlite3.OperationalError as exc:
    print(exc)
else:
    print("acquired")
"""


def other_process_can_write(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip()


def test_preparing_an_open_database_keeps_its_locks(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    prepare_sqlite_file(path)
    assert path.stat().st_mode & 0o777 == SQLITE_FILE_MODE
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN IMMEDIATE")  # a write lock on the database file, held by this process
        holder.execute("INSERT INTO t VALUES (1)")
        assert other_process_can_write(path) == "database is locked"
        prepare_sqlite_file(path)  # a second component of the same process opening the same ledger
        assert other_process_can_write(path) == "database is locked"
        holder.execute("COMMIT")
    finally:
        holder.close()
    assert sqlite3.connect(path).execute("SELECT x FROM t").fetchall() == [(1,)]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".new")]  # no staging file left behind


def test_companions_of_an_older_database_are_tightened(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).chmod(0o644)
    prepare_sqlite_file(path)
    for suffix in ("", "-wal", "-shm"):
        assert path.with_name(path.name + suffix).stat().st_mode & 0o777 == SQLITE_FILE_MODE
    assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]
    conn.close()
