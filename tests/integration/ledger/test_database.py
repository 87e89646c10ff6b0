"""The one storage module: portable placeholders, escaping, schema-qualified names, all-or-nothing, on real stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.database import Database, DatabaseError, to_pyformat
from ledger.settings import parse_database_url


def test_placeholders_become_pyformat_and_percent_signs_are_escaped() -> None:
    assert to_pyformat("SELECT a FROM t WHERE b = ? AND c LIKE 'x%'") == (
        "SELECT a FROM t WHERE b = %s AND c LIKE 'x%%'"
    )
    # A `?` inside a literal or a quoted identifier is text, not a placeholder.
    assert to_pyformat("SELECT '?', \"a?b\" FROM t WHERE x = ?") == "SELECT '?', \"a?b\" FROM t WHERE x = %s"
    assert to_pyformat("SELECT 'it''s ?' || ?") == "SELECT 'it''s ?' || %s"
    assert to_pyformat("SELECT 5 % 3 -- 10% of ?\n, ?") == "SELECT 5 %% 3 -- 10%% of ?\n, %s"


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(parse_database_url(database_url))
    yield database  # type: ignore[misc]
    database.close()


def test_literals_with_percent_and_question_marks_round_trip(db: Database) -> None:
    table = db.table("t_db_check")
    db.execute(f"CREATE TABLE IF NOT EXISTS {table} (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
    db.execute(f"INSERT INTO {table} (k, v) VALUES (?, '50% off?')", ("a",))
    db.execute(f"INSERT INTO {table} (k, v) VALUES (?, ?)", ("b", "100%"))
    assert db.query(f"SELECT k, v FROM {table} WHERE v LIKE '%\\%%' ESCAPE '\\' ORDER BY k") == [
        ("a", "50% off?"),
        ("b", "100%"),
    ]
    assert db.query(f"SELECT k FROM {table} WHERE v = '50% off?'") == [("a",)]


def test_a_failed_transaction_writes_nothing_and_says_which_database(db: Database) -> None:
    table = db.table("t_all_or_nothing")
    db.execute(f"CREATE TABLE IF NOT EXISTS {table} (k TEXT PRIMARY KEY)")

    def insert_twice() -> None:
        with db.transaction() as cursor:
            cursor.execute(f"INSERT INTO {table} (k) VALUES (?)", ("one",))
            cursor.execute(f"INSERT INTO {table} (k) VALUES (?)", ("one",))  # duplicate key

    with pytest.raises(DatabaseError, match="refused a statement"):
        insert_twice()
    assert db.query(f"SELECT COUNT(*) FROM {table}") == [(0,)]


def test_a_read_inside_a_write_gets_its_own_connection(tmp_path: Path) -> None:
    db = Database(parse_database_url(f"sqlite:///{tmp_path / 'nested.db'}"))
    try:
        db.execute('CREATE TABLE "n" (k TEXT)')
        with db.transaction() as outer:
            outer.execute('INSERT INTO "n" (k) VALUES (?)', ("x",))
            assert db.query('SELECT COUNT(*) FROM "n"') == [(0,)]  # not yet committed
        assert db.query('SELECT COUNT(*) FROM "n"') == [(1,)]
    finally:
        db.close()


def test_one_database_per_url_per_process(tmp_path: Path) -> None:
    settings = parse_database_url(f"sqlite:///{tmp_path / 'shared.db'}")
    first = Database.shared(settings)
    second = Database.shared(settings)
    try:
        assert first is second
    finally:
        second.close()
        first.close()
    assert Database.shared(settings) is not first  # closed by its last user: a fresh one next time


@pytest.mark.postgres
def test_a_schema_prefix_puts_every_table_in_that_schema(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute('CREATE SCHEMA "immunize"')
    db = Database(parse_database_url(postgres_url + "?schema=immunize"))
    try:
        assert db.table("web_x") == '"immunize"."web_x"'
        db.execute("CREATE TABLE web_unqualified (k TEXT)")  # unqualified: the schema comes first
        db.execute(f"CREATE TABLE {db.table('qualified')} (k TEXT)")
    finally:
        db.close()
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'immunize' ORDER BY 1"
        ).fetchall()
    assert [r[0] for r in rows] == ["qualified", "web_unqualified"]
