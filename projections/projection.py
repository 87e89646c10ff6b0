"""The base of every view: an eventsourcing `Projection` that applies a page of events per transaction.

A view class lists its tables and marks its handlers with `@handles(EventClass, ...)`. Events it
has no handler for are skipped without being decoded, but their position is still recorded. All
writes of a page are queued on a `Batch` and flushed with `executemany` just before the position is
recorded, in the same transaction: a page is applied entirely, once, or not at all.

A view has a `version`: bump it when its tables or handlers change, and every store rebuilds the
view on its next start (projections.recorder). A keyed view (`keyed = True`, the phone index) is
built with a key held by the web process (`ViewKeys`); a new key rebuilds it the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.projection import Projection

from ledger.topics import stored_topics
from projections.errors import ProjectionError
from projections.recorder import Table, ViewRecorder
from projections.store import Cursor, Row, ViewStore

Handler = Callable[[Any, Any, "Batch"], None]
F = TypeVar("F", bound=Callable[..., None])


def handles(*event_classes: type) -> Callable[[F], F]:
    """Mark a view method as the handler of these event classes: `def on_x(self, event, batch)`."""

    def mark(method: F) -> F:
        method._handles = event_classes  # type: ignore[attr-defined]
        return method

    return mark


# Any valid number: the check value depends only on the key (it tells keys apart, reveals no phone).
KEY_PROBE = "0900000000"


@dataclass(frozen=True)
class ViewKeys:
    """Keys that keyed views are built with: `phone` turns a stored phone number into the web's
    keyed handle (HMAC under the web secret), or None for a number that is not one; `national_id`
    does the same for a national ID number (the same secret, another purpose: the check covers both)."""

    phone: Callable[[str], str | None]
    national_id: Callable[[str], str | None] = field(default=lambda _number: None)

    def check(self) -> str:
        """A check value of the key: a new key gives a new value (so the keyed views are rebuilt)."""
        return hashlib.sha256((self.phone(KEY_PROBE) or "").encode()).hexdigest()[:32]


class ViewNeedsKey(ProjectionError):
    """A keyed view was asked for where its key is not held (only the web process holds it)."""

    code = "view_needs_key"
    kind = "unavailable"


class ViewMovedOn(ProjectionError, IntegrityError):
    """Another reader of the log (the background runner, another process) applied events to this view
    since the caller read its position: `position` is where the view is now (the caller reads on)."""

    code = "view_moved_on"
    kind = "conflict"

    def __init__(self, view: str, position: int) -> None:
        super().__init__(f"View {view} is already at position {position}.")
        self.position = position


class Batch:
    """The writes of one page of events, flushed in order inside the page's transaction.

    `insert` queues a new row: inserts since the last other write are grouped per statement
    (rows of different tables, or new keys of one table, do not depend on each other) and sent with
    one `executemany` each. `execute` queues any other write (update, delete); it is a barrier: the
    inserts before it are sent before it, so a write always sees the rows queued ahead of it.
    `count` adds to a counter row (summed in memory, written once per key as an upsert that adds);
    `memo` is a per-page cache views use so a later event of the page sees an earlier one's effect
    without a read. Nothing here outlives the page: memory does not grow with the ledger.
    """

    def __init__(self, store: ViewStore, cursor: Cursor) -> None:
        self.store = store
        self.cursor = cursor
        self._ops: list[tuple[str, list[tuple[Any, ...]]]] = []
        self._insert_groups: dict[str, list[tuple[Any, ...]]] = {}
        self._last_was_execute = False
        self._counters: dict[str, dict[tuple[Any, ...], int]] = {}
        self.memo: dict[str, dict[Any, Any]] = {}

    def insert(self, sql: str, *params: Any) -> None:
        """Queue the insert of a new row (grouped with the other inserts since the last `execute`)."""
        group = self._insert_groups.get(sql)
        if group is None:
            group = self._insert_groups[sql] = []
            self._ops.append((sql, group))
        group.append(params)
        self._last_was_execute = False

    def execute(self, sql: str, *params: Any) -> None:
        """Queue one write, after everything queued so far."""
        # A later insert must not join a group queued before this write.
        self._insert_groups = {}
        if self._last_was_execute and self._ops[-1][0] == sql:
            self._ops[-1][1].append(params)
        else:
            self._ops.append((sql, [params]))
        self._last_was_execute = True

    def count(self, upsert_sql: str, key: tuple[Any, ...], delta: int) -> None:
        """Add `delta` to the counter at `key`; `upsert_sql` takes the key columns then the delta."""
        counters = self._counters.setdefault(upsert_sql, {})
        counters[key] = counters.get(key, 0) + delta

    def query(self, sql: str, *params: Any) -> list[Row]:
        """Read inside the page's transaction, after the queued writes."""
        self.flush_ops()
        self.cursor.execute(sql, params)
        return self.cursor.fetchall()

    def load(self, memo: str, select: str, column: str, keys: Iterable[Any]) -> dict[Any, Any]:
        """Fill `memo[memo]` from `select WHERE column IN keys`, one query per 500 keys.

        `select` is `SELECT key, a, b FROM table`; rows become `memo[key] = (a, b)`. Keys already in
        the memo are not read again; keys with no row map to None.
        """
        cache = self.memo.setdefault(memo, {})
        wanted = [k for k in dict.fromkeys(keys) if k not in cache]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            condition, as_array = self.store.in_list(column, len(chunk))
            rows = self.query(f"{select} WHERE {condition}", *([chunk] if as_array else chunk))
            for k in chunk:
                cache[k] = None
            for row in rows:
                cache[row[0]] = row[1:]
        return cache

    def flush_ops(self) -> None:
        """Send the queued writes in order, each group as one statement or one executemany."""
        ops, self._ops, self._insert_groups, self._last_was_execute = self._ops, [], {}, False
        for sql, rows in ops:
            if len(rows) == 1:
                self.cursor.execute(sql, rows[0])
            else:
                self.cursor.executemany(sql, rows)

    def flush(self) -> None:
        """Send every queued write and counter of the page."""
        self.flush_ops()
        for sql, counters in self._counters.items():
            # Sorted keys: the same lock order in every transaction.
            self.cursor.executemany(sql, [(*key, delta) for key, delta in sorted(counters.items())])
        self._counters.clear()


class ViewProjection(Projection[ViewRecorder]):
    """A view of the ledger: tables, handlers per event class, and how to apply a page of events."""

    name: str = ""
    version: ClassVar[int] = 1  # bump when tables or handlers change: the view is rebuilt on next start
    keyed: ClassVar[bool] = False  # built with a key of the web process (ViewKeys)
    tables: ClassVar[Sequence[Table]] = ()
    _handlers: ClassVar[dict[type, tuple[Handler, ...]]] = {}
    handled_topics: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Every class of the hierarchy may handle the same event: base classes' handlers run first.
        handlers: dict[type, tuple[Handler, ...]] = {}
        for klass in reversed(cls.__mro__):
            for attribute in vars(klass).values():
                for event_class in getattr(attribute, "_handles", ()):
                    handlers[event_class] = (*handlers.get(event_class, ()), attribute)
        cls._handlers = handlers
        # events stored before a class moved keep its old topic (ledger.topics)
        cls.handled_topics = frozenset(
            topic for event_class in handlers for topic in stored_topics(event_class)
        )

    def __init__(self, view: ViewRecorder) -> None:
        super().__init__(view)
        self.store = view.store

    @classmethod
    def recorder(cls, store: ViewStore, keys: ViewKeys | None = None) -> ViewRecorder:
        """This view's recorder (its tables, tracking and version) in `store`."""
        key_check = keys.check() if (cls.keyed and keys is not None) else None
        return ViewRecorder(store, cls.name, cls.tables, version=cls.version, key_check=key_check)

    @classmethod
    def open(cls, store: ViewStore, keys: ViewKeys | None = None) -> ViewProjection:
        """The view ready to apply events in `store` (a keyed view needs its keys)."""
        if cls.keyed:
            raise ViewNeedsKey(f"The view {cls.name} is built with the web's key: run it in the web process.")
        return cls(cls.recorder(store))

    def t(self, table: str) -> str:
        """The full name of one of this view's tables."""
        return self.view._names.get(table) or self.view.t(table)

    def adding_upsert(self, table: Table) -> str:
        """For a counter table (keys then `n`): insert the key with n, or add n to the existing row."""
        name = self.t(table.name)
        return (
            f"INSERT INTO {name} ({', '.join(table.column_names)}) VALUES ({', '.join('?' * len(table.column_names))}) "
            f"ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET n = {name}.n + excluded.n"
        )

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Apply one event and record its position (what eventsourcing's ProjectionRunner calls)."""
        self.process_page([domain_event], tracking)

    def process_page(self, events: Sequence[Any], tracking: Tracking, *, after: int | None = None) -> None:
        """Apply a page of events (those this view handles) and record `tracking`, in one transaction.

        `after` is the position the caller read before the page: if the view is elsewhere now (another
        reader applied events meanwhile) nothing is applied and `ViewMovedOn` says where it is.
        """
        with self.store.transaction(write=True) as cursor:
            self.apply_in(cursor, events, tracking, after=after)

    def apply_in(
        self, cursor: Cursor, events: Sequence[Any], tracking: Tracking, *, after: int | None = None
    ) -> None:
        """`process_page` inside the caller's transaction (projections.runner applies a page to several
        views in one): the same checks, writes and position, committed or rolled back by the caller."""
        handlers = self._handlers
        if after is not None:
            # FOR UPDATE on PostgreSQL: a second reader applying the same page waits here until
            # the first commits, then sees the new position (SQLite's writers are serial already).
            lock = " FOR UPDATE" if self.store.dialect == "postgres" else ""
            cursor.execute(
                f"SELECT notification_id FROM {self.view.tracking_table} WHERE application_name = ?{lock}",
                (tracking.application_name,),
            )
            row = cursor.fetchone()
            position = int(row[0]) if row else 0
            if position != after:
                raise ViewMovedOn(self.name, position)
        batch = Batch(self.store, cursor)
        if events:
            self.prefetch(events, batch)
            for event in events:
                for handler in handlers.get(type(event), ()):
                    handler(self, event, batch)
            batch.flush()
        self.view.record_tracking(cursor, tracking)

    def prefetch(self, events: Sequence[Any], batch: Batch) -> None:
        """Read in bulk what the page's handlers will look up (override; the default reads nothing)."""
