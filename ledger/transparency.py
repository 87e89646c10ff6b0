"""The transparency log, written at event-write time: every event gets its Merkle leaf in the
transaction that stores it (RFC 9162 hashing, see ledger.merkle).

The tree tables and the functions that read and extend them are in ledger.transparency_tree (and
re-exported here, so `from ledger.transparency import TreeTables` keeps working).

The recorders below subclass eventsourcing's SQLite and PostgreSQL application recorders and append
the leaves after the events' INSERT, in the same transaction: a crash leaves both or neither. The
rows a registration needs with its events (data keys, national-ID claims and holds: ledger.claims) are
written there too, and so are the events a command makes under the writers' lock (a dose's stock draw:
ledger.locked_writes), before the leaves, so they get theirs. On PostgreSQL the library's table lock
already serialises writers; the head row is also updated with a compare-and-set on the size, so a writer that slipped past the lock aborts (IntegrityError, which
the ledger retries) instead of forking the tree. Positions must increase with the leaf index; a
transaction whose events would sit before the tree's last position is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import Environment, retry
from psycopg.sql import SQL

from ledger import locked_writes
from ledger.claims import SqlTables, write_sql
from ledger.locked_writes import EventsTable
from ledger.transparency_tree import (
    BLOCK,
    LeafBatch,
    Run,
    StoredLike,
    StoredTree,
    TreeDamaged,
    TreeHead,
    TreeTables,
    append_leaves,
    backfill,
    head_of,
    head_sql,
    iter_leaf_batches,
    leaf_batches,
    leaf_hashes,
    locate,
    read_head,
)


class _SQLiteRun:
    def __init__(self, cursor: SQLiteCursor) -> None:
        self._c = cursor

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        self._c.execute(sql, tuple(params))
        return list(self._c.fetchall())

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._c.executemany(sql, rows)


class _PgRun:
    def __init__(self, cursor: Any) -> None:
        self._c = cursor

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        conn = self._c.connection
        if conn.pgconn.pipeline_status:
            # Inside the events' pipeline (insert_events): the statements sent before must be answered
            # first, or fetchall() reads the result of an earlier INSERT ("didn't produce records").
            with conn.pipeline() as pipeline:
                pipeline.sync()
        self._c.execute(sql.replace("?", "%s"), tuple(params))
        return [tuple(r.values()) if isinstance(r, dict) else r for r in self._c.fetchall()]

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        sql = sql.replace("?", "%s")
        if len(rows) == 1:
            self._c.execute(sql, tuple(rows[0]))
        else:
            self._c.executemany(sql, rows)


class _PgQueuedRun(_PgRun):
    """Reads on a cursor of their own inside the events' pipeline: each statement is queued behind the
    ones sent before (the table lock) and fetched without a separate sync first."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        self._c.execute(sql.replace("?", "%s"), tuple(params))
        return [tuple(r.values()) if isinstance(r, dict) else r for r in self._c.fetchall()]


class SQLiteTransparencyRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite recorder, plus the events' Merkle leaves in the same transaction."""

    makes_locked_events = True  # calls ledger.locked_writes.current() under the write lock

    @property
    def tree_tables(self) -> TreeTables:
        return TreeTables.for_store("sqlite", self.events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.tree_tables.create_statements()]

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT MAX(rowid) FROM {self.events_table_name}")
            newest = c.fetchone()[0]
            behind = newest is not None and newest > read_head(_SQLiteRun(c), self.tree_tables).last_position
        if behind:
            with self.datastore.transaction(commit=True) as c:
                backfill(_SQLiteRun(c), self.tree_tables, self.events_table_name, "rowid")

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        assert ids is not None
        # The INSERT above took SQLite's write lock: the head read below is the latest committed one,
        # and so is what the command's locked events (a dose's stock draw: ledger.locked_writes) read.
        written = list(zip(ids, stored_events, strict=True))
        make = locked_writes.current()
        if make is not None:
            late = list(make(_SQLiteRun(c), EventsTable("sqlite", self.events_table_name)))
            if late:
                more = super()._insert_events(c, late, **kwargs)
                assert more is not None
                written += zip(more, late, strict=True)
        append_leaves(_SQLiteRun(c), self.tree_tables, written)
        write_sql(
            _SQLiteRun(c), SqlTables.sqlite(self.events_table_name)
        )  # keys and claims, same transaction
        return ids


class PostgresTransparencyRecorder(PostgresApplicationRecorder):
    """eventsourcing's PostgreSQL recorder, plus the events' Merkle leaves in the same transaction.

    `insert_events` is the library's (table lock, NOTIFY, INSERT ... RETURNING, in a pipeline) with
    the leaves appended before the commit. Unlike the library's, an error after the INSERT is not
    caught inside the transaction: it rolls the events back with the leaves.
    """

    makes_locked_events = True  # calls ledger.locked_writes.current() under the table lock

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tree_tables = TreeTables.for_store("postgres", self.events_table_name, self.datastore.schema)
        self.sql_create_statements.extend(SQL(s).format() for s in self.tree_tables.create_statements())

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        """The library's INSERT (table lock, NOTIFY, one INSERT ... SELECT FROM unnest RETURNING the
        positions), with the events sent as four binary arrays (ids, versions, topics, states) instead of
        one array of its composite type, which psycopg dumps as text, each state escaped as hex: a
        certificate re-issue batch (~660 events of ~1 KB) spent more client CPU there than in the rest of
        the save. Same rows in the same order, same positions returned."""
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(self._binary_insert, self._binary_columns(stored_events), prepare=True)

    @property
    def _binary_insert(self) -> SQL:
        found: SQL | None = getattr(self, "_binary_insert_sql", None)
        if found is None:
            id_type = "uuid" if self.datastore.originator_id_type == "uuid" else "text"
            found = SQL(
                f'INSERT INTO "{self.datastore.schema}"."{self.events_table_name}" AS t '
                "(originator_id, originator_version, topic, state) "
                f"SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) "
                "RETURNING notification_id"
            )
            self._binary_insert_sql = found
        return found

    def _binary_columns(self, stored_events: Sequence[StoredEvent]) -> tuple[list[Any], ...]:
        as_text = self.datastore.originator_id_type != "uuid"
        return (
            [str(e.originator_id) if as_text else e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )

    def create_table(self) -> None:
        super().create_table()
        events = f'"{self.datastore.schema}"."{self.events_table_name}"'
        with self.datastore.transaction(commit=False) as curs:
            newest = _PgRun(curs).query(f"SELECT MAX(notification_id) FROM {events}")[0][0]
            behind = newest is not None and newest > read_head(_PgRun(curs), self.tree_tables).last_position
        if behind:
            with self.datastore.transaction(commit=True) as curs:
                self._lock_table(curs)
                backfill(_PgRun(curs), self.tree_tables, events, "notification_id")

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events:
            return []
        with (
            self.datastore.get_connection() as conn,
            conn.pipeline() as pipeline,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            events = list(stored_events)
            make = locked_writes.current()  # events made under the table lock: ledger.locked_writes
            if make is not None:
                # The lock first, then what `make` reads, queued behind it (one round trip; the latest
                # committed rows); its events go in the same INSERT as the command's.
                self._lock_table(curs)
                with conn.cursor() as reads:
                    table = EventsTable("postgres", f'"{self.datastore.schema}"."{self.events_table_name}"')
                    events += make(_PgQueuedRun(reads), table)
            self._insert_stored_events(curs, events, **kwargs)  # LOCK again: held already, no wait
            with conn.cursor() as heads:
                # The tree's head, read behind the INSERT (so under the lock) in the same round trip.
                heads.execute(head_sql(self.tree_tables))
                pipeline.sync()
                ids = list(self._fetch_ids_after_insert_events(curs, events, **kwargs) or [])
                head = head_of([tuple(r.values()) if isinstance(r, dict) else r for r in heads.fetchall()])
            append_leaves(_PgRun(curs), self.tree_tables, list(zip(ids, events, strict=True)), head)
            write_sql(_PgRun(curs), SqlTables.postgres(self.datastore.schema, self.events_table_name))
        return ids[: len(stored_events)]  # the caller's events' positions (the locked ones follow them)


RECORDER_TOPICS = {
    "sqlite": "ledger.transparency:SQLiteTransparencyRecorder",
    "postgres": "ledger.transparency:PostgresTransparencyRecorder",
}


_MODULE_KINDS = {"eventsourcing.sqlite": "sqlite", "eventsourcing.postgres": "postgres"}


def with_transparency(env: Environment) -> Environment:
    """An application's settings with the transparency recorder chosen (unless a recorder is already set)."""
    kind = _MODULE_KINDS.get(env.get("PERSISTENCE_MODULE") or "")
    if kind is not None and not env.get("APPLICATION_RECORDER_TOPIC"):
        env.update(transparency_env(kind))
    return env


def transparency_env(kind: str) -> dict[str, str]:
    """The eventsourcing setting that makes an application's recorder write the Merkle leaves."""
    topic = RECORDER_TOPICS.get(kind)
    return {"APPLICATION_RECORDER_TOPIC": topic} if topic else {}


__all__ = [
    "BLOCK",
    "LeafBatch",
    "PostgresTransparencyRecorder",
    "Run",
    "SQLiteTransparencyRecorder",
    "StoredLike",
    "StoredTree",
    "TreeDamaged",
    "TreeHead",
    "TreeTables",
    "append_leaves",
    "backfill",
    "iter_leaf_batches",
    "leaf_batches",
    "leaf_hashes",
    "locate",
    "read_head",
    "transparency_env",
    "with_transparency",
]
