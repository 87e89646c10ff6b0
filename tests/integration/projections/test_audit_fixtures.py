"""Shared pieces of the audit and backup stories: a tiny audited application, stores, tampering by SQL.

The transparency log only needs stored events, so most stories use this tiny application (named
"Ledger", so PostgreSQL keeps its events in `ledger_events` like the real ledger). The drills in
test_backup.py use the real ledger.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from ledger.settings import parse_database_url
from ledger.transparency import transparency_env
from projections.audit import AuditKey, Database
from projections.audit.database import StoredRow
from projections.projection import Batch, ViewProjection, handles
from projections.recorder import Table

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


class Tally(Aggregate):
    """Something counted: enough to give the log several aggregates and versions."""

    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name
        self.total = 0

    @event("Counted")
    def count(self, amount: int) -> None:
        self.total += amount


class TinyLedger(Application[uuid.UUID]):
    """The tiny audited application."""

    name = "Ledger"


def tiny_ledger(url: str) -> TinyLedger:
    """The tiny application with the ledger's recorder: leaves written with every event."""
    settings = parse_database_url(url)
    return TinyLedger(env={**settings.eventsourcing_env(), **transparency_env(settings.kind)})


def fill(url: str, aggregates: int = 5, rounds: int = 4, prefix: str = "t") -> TinyLedger:
    """`aggregates` tallies counted `rounds` times: aggregates * (rounds + 1) events."""
    app = tiny_ledger(url)
    tallies = [Tally(f"{prefix}{i}") for i in range(aggregates)]
    for amount in range(rounds):
        for tally in tallies:
            tally.count(amount + 1)
    app.save(*tallies)
    return app


class TallyView(ViewProjection):
    """Totals per tally: the projection the replay and restore stories rebuild."""

    name = "tallies"
    tables = (
        Table(
            "totals",
            (
                "tally_id TEXT NOT NULL",
                "name TEXT NOT NULL",
                "total BIGINT NOT NULL",
                "events BIGINT NOT NULL",
            ),
            ("tally_id",),
        ),
    )

    @handles(Tally.Created)
    def on_created(self, e: Any, batch: Batch) -> None:
        batch.execute(
            f"INSERT INTO {self.t('totals')} (tally_id, name, total, events) VALUES (?, ?, 0, 1)",
            str(e.originator_id),
            e.name,
        )

    @handles(Tally.Counted)  # type: ignore[attr-defined]
    def on_counted(self, e: Any, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('totals')} SET total = total + ?, events = events + 1 WHERE tally_id = ?",
            e.amount,
            str(e.originator_id),
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="session")
def audit_key() -> AuditKey:
    return AuditKey.generate()


def database(url: str) -> Database:
    return Database(parse_database_url(url))


# ---- tampering, by editing the database directly --------------------------------------------------


def _stored_id(db: Database, originator_id: str) -> Any:
    return uuid.UUID(originator_id).hex if db.kind == "sqlite" else uuid.UUID(originator_id)


def alter(db: Database, position: int) -> None:
    """UPDATE: one byte more in the stored state of one event."""
    col = db.position_column
    (state,) = db.execute(f"SELECT state FROM {db.events_table} WHERE {col} = ?", (position,))[0]
    db.execute(f"UPDATE {db.events_table} SET state = ? WHERE {col} = ?", (bytes(state) + b" ", position))


def remove(db: Database, position: int) -> None:
    """DELETE one event."""
    db.execute(f"DELETE FROM {db.events_table} WHERE {db.position_column} = ?", (position,))


def _move(db: Database, source: int, target: int) -> None:
    db.execute(
        f"UPDATE {db.events_table} SET {db.position_column} = ? WHERE {db.position_column} = ?",
        (target, source),
    )


def swap(db: Database, first: int, second: int) -> None:
    """Reorder: two events exchange their positions."""
    _move(db, first, -1)
    _move(db, second, first)
    _move(db, -1, second)


def insert(db: Database, position: int) -> None:
    """INSERT a forged event at `position`, shifting every later event up by one."""
    col = db.position_column
    db.execute(f"UPDATE {db.events_table} SET {col} = {col} + 1000000 WHERE {col} >= ?", (position,))
    db.execute(f"UPDATE {db.events_table} SET {col} = {col} - 999999 WHERE {col} >= 1000000")
    forged = StoredRow(
        position,
        str(uuid.uuid4()),
        1,
        "tests.integration.projections.test_audit_fixtures:Tally.Created",
        b'{"name":"forged"}',
    )
    db._insert_event_rows([forged])  # behind the recorder's back: no leaf


def events_of(db: Database) -> list[StoredRow]:
    return list(db.iter_events())
