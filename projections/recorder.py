"""A view's tables and its tracking position, as an eventsourcing tracking recorder.

The position (the last notification id of the ledger processed) lives in the view's own tracking
table, written in the same transaction as the view's rows: a crash loses both or neither, and a
position that is not greater than the recorded one raises `IntegrityError`, rolling the update back
(exactly-once). Each view has its own tracking table, so views rebuild independently.

Each view also has a row in `view_versions`: the version of its code and, for a keyed view (the
phone index), a check value of its key. When either differs from what built the tables, the tables
are dropped and created empty, and the next catch-up replays the log into them: a new view version
or a new key rebuilds the view on the next start, without anyone running `projections rebuild`.
A view built before versions were recorded counts as version 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder

from projections.store import Cursor, ViewStore


@dataclass(frozen=True)
class Table:
    """One table of a view: column definitions (`name TYPE`, portable types) and the primary key."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        """The names of the columns, in order."""
        return tuple(column.split()[0] for column in self.columns)

    def is_text(self, column: str) -> bool:
        """True for a TEXT column (sorted bytewise for digests: COLLATE "C" on PostgreSQL)."""
        for definition in self.columns:
            parts = definition.split()
            if parts[0] == column:
                return parts[1].upper() == "TEXT"
        raise KeyError(column)


VERSIONS_TABLE = "view_versions"


class ViewRecorder(TrackingRecorder):
    """The tables of one view plus its tracking table, in a `ViewStore` shared with the ledger.

    `version` is the view's code version; `key_check` a non-secret check value of a keyed view's
    key (None: not known here, e.g. a status page that never builds the view, so not compared).
    """

    def __init__(
        self,
        store: ViewStore,
        view_name: str,
        tables: Sequence[Table],
        *,
        version: int = 1,
        key_check: str | None = None,
    ) -> None:
        self.store = store
        self.view_name = view_name
        self.tables = tuple(tables)
        self.version = version
        self.key_check = key_check
        self.tracking_table = store.table(f"{view_name}_tracking")
        self.versions_table = store.table(VERSIONS_TABLE)
        self._names: dict[str, str] = {}
        self._upsert_tracking = (
            f"INSERT INTO {self.tracking_table} (application_name, notification_id) VALUES (?, ?) "
            f"ON CONFLICT (application_name) DO UPDATE SET notification_id = excluded.notification_id "
            f"WHERE {self.tracking_table}.notification_id < excluded.notification_id "
            f"RETURNING notification_id"
        )

    def t(self, table: str) -> str:
        """The full (quoted, qualified) name of one of this view's tables."""
        name = self._names.get(table)
        if name is None:
            name = self._names[table] = self.store.table(f"{self.view_name}_{table}")
        return name

    def exists(self) -> bool:
        """True when the view's tables exist (they are created together, in one transaction)."""
        with self.store.transaction(write=False) as cursor:
            if self.store.dialect == "postgres":
                cursor.execute("SELECT to_regclass(?) IS NOT NULL", (self.tracking_table,))
            else:
                cursor.execute(
                    "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    (f"{self.view_name}_tracking",),
                )
            row = cursor.fetchone()
        return bool(row and row[0])

    def create_table(self, *, rebuild_stale: bool = True) -> None:
        """Create the view's tables and tracking table if they do not exist; drop and recreate them
        (empty, position 0) when they were built by another version of the view or another key
        (unless `rebuild_stale` is False: readers such as `digest` and `status` change nothing).

        Checked first without DDL: on PostgreSQL even `CREATE INDEX IF NOT EXISTS` locks the table,
        which would wait on (or deadlock with) a runner writing to it.
        """
        if self.exists() and (not rebuild_stale or self._is_current(self._recorded())):
            return
        with self.store.transaction(write=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.versions_table} "
                "(view_name TEXT PRIMARY KEY, version INTEGER NOT NULL, key_check TEXT NOT NULL)"
            )
            # One process at a time decides (the row is locked on PostgreSQL; SQLite's write
            # transaction is exclusive), so two processes starting together do not drop twice.
            cursor.execute(
                f"INSERT INTO {self.versions_table} (view_name, version, key_check) VALUES (?, 1, '') "
                "ON CONFLICT (view_name) DO NOTHING",
                (self.view_name,),
            )
            lock = " FOR UPDATE" if self.store.dialect == "postgres" else ""
            cursor.execute(
                f"SELECT version, key_check FROM {self.versions_table} WHERE view_name = ?{lock}",
                (self.view_name,),
            )
            row = cursor.fetchone()
            if not self._is_current((int(row[0]), str(row[1])) if row else None):
                self._drop(cursor)
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.tracking_table} "
                "(application_name TEXT PRIMARY KEY, notification_id BIGINT NOT NULL)"
            )
            for table in self.tables:
                columns = ", ".join(table.columns)
                key = ", ".join(table.key)
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.t(table.name)} ({columns}, PRIMARY KEY ({key}))"
                )
                for number, index in enumerate(table.indexes):
                    index_name = f'"{self.view_name}_{table.name}_i{number}"'
                    cursor.execute(
                        f"CREATE INDEX IF NOT EXISTS {index_name} ON {self.t(table.name)} ({', '.join(index)})"
                    )
            if self.key_check is None:
                cursor.execute(
                    f"UPDATE {self.versions_table} SET version = ? WHERE view_name = ?",
                    (self.version, self.view_name),
                )
            else:
                cursor.execute(
                    f"UPDATE {self.versions_table} SET version = ?, key_check = ? WHERE view_name = ?",
                    (self.version, self.key_check, self.view_name),
                )

    def _recorded(self) -> tuple[int, str] | None:
        """(version, key check) the tables were built with; None when no row says (built before versions)."""
        with self.store.transaction(write=False) as cursor:
            if self.store.dialect == "postgres":
                cursor.execute("SELECT to_regclass(?) IS NOT NULL", (self.versions_table,))
            else:
                cursor.execute(
                    "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    (VERSIONS_TABLE,),
                )
            found = cursor.fetchone()
            if not (found and found[0]):
                return None
            cursor.execute(
                f"SELECT version, key_check FROM {self.versions_table} WHERE view_name = ?", (self.view_name,)
            )
            row = cursor.fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def _is_current(self, recorded: tuple[int, str] | None) -> bool:
        version, key_check = recorded or (1, "")
        return version == self.version and (self.key_check is None or key_check == self.key_check)

    def _drop(self, cursor: Cursor) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.tracking_table}")
        for table in self.tables:
            cursor.execute(f"DROP TABLE IF EXISTS {self.t(table.name)}")

    def drop_tables(self) -> None:
        """Drop the view's tables and its position (the first step of a rebuild)."""
        with self.store.transaction(write=True) as cursor:
            self._drop(cursor)

    def record_tracking(self, cursor: Cursor, tracking: Tracking) -> None:
        """Record the position inside the caller's transaction; raise IntegrityError if not ahead."""
        cursor.execute(self._upsert_tracking, (tracking.application_name, tracking.notification_id))
        if cursor.fetchone() is None:
            raise IntegrityError(
                f"View {self.view_name} already processed {tracking.application_name} "
                f"position {tracking.notification_id}"
            )

    def insert_tracking(self, tracking: Tracking) -> None:
        """Record a position on its own (an event this view ignores)."""
        with self.store.transaction(write=True) as cursor:
            self.record_tracking(cursor, tracking)

    def max_tracking_id(self, application_name: str) -> int | None:
        """The last position processed, or None before the first event."""
        with self.store.transaction(write=False) as cursor:
            cursor.execute(
                f"SELECT notification_id FROM {self.tracking_table} WHERE application_name = ?",
                (application_name,),
            )
            row = cursor.fetchone()
        return None if row is None else int(row[0])
