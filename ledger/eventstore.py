"""The one module that touches eventsourcing's internals and SQL on the library's tables.

Everything else in the ledger uses the library's public API (`repository.get`, `save`). Here:
- the application's persistence is chosen (`construct_factory`: the one place to swap the recorder,
  e.g. for write-time audit hashing);
- the mapper (`ledger.event_encoding`: the appointment's two events encoded from a field list, the
  library's exact bytes) and `streams` (stored events undecoded, for reads of a few fields);
- `save` without the library's per-object runtime-Protocol checks (and taking a bare event);
- loading many aggregates in one SELECT;
- opening the per-person key tables (ledger.keytables) in the ledger's own database;
- the library's read failures, turned into ledger errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.persistence import (
    InfrastructureFactory,
    Mapper,
    MapperDeserialisationError,
    PersistenceError,
    Recording,
    StoredEvent,
)
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteDatastore
from eventsourcing.utils import Environment

from ledger.database import Database
from ledger.errors import LedgerError, StoreError
from ledger.event_encoding import EventShape, FastMapper
from ledger.failover import follow_primary
from ledger.keytables import MemoryKeyTable, SqlKeyTable
from ledger.personaldata import KeyRing
from ledger.settings import StoreSettings
from ledger.transparency import with_transparency


@contextmanager
def reading() -> Iterator[None]:
    """Turn the library's read failures into ledger errors (a key-store error inside decoding stays itself)."""
    try:
        yield
    except MapperDeserialisationError as exc:
        if isinstance(exc.__cause__, LedgerError):
            raise exc.__cause__ from None
        raise StoreError(f"A stored event cannot be decoded ({exc}): check the ledger version.") from exc
    except PersistenceError as exc:
        raise StoreError(f"The ledger database failed while reading ({exc}): try again later.") from exc


class EventStore(Application[UUID]):
    """The eventsourcing Application with the ledger's storage details; use cases live in subclasses."""

    store: StoreSettings
    keys: KeyRing
    event_shapes: ClassVar[tuple[EventShape, ...]] = ()  # classes written without the transcoder
    _database: Database | None = None

    def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
        """The persistence (popo, SQLite or PostgreSQL recorders) from `PERSISTENCE_MODULE`.

        This is the one place where the recorder is chosen: a subclass of a recorder (audit hashing,
        failover) is plugged in here, so every save of every use case goes through it.
        """
        factory = super().construct_factory(with_transparency(env))  # Merkle leaves written with the events
        if self.store.kind == "postgres":
            # A multi-host URL: every pool connection goes to whichever server is primary now.
            follow_primary(factory.datastore, self.store)  # type: ignore[attr-defined]
        return factory

    def construct_mapper(self) -> Mapper[UUID]:
        """The library's mapper, writing the classes of `event_shapes` directly (ledger.event_encoding)."""
        mapper = self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=FastMapper)
        assert isinstance(mapper, FastMapper)
        mapper.use(self.keys, self.event_shapes)
        return mapper

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save aggregates' pending events in one transaction (the library's save, minus its per-object
        runtime-Protocol isinstance checks, which cost more than encoding an event on Python 3.11).

        An aggregate's event may also be given on its own, built for an aggregate the caller did not
        load (bulk booking: `ledger.campaign.booking_records`); its version is the caller's
        optimistic check, the store refuses it (IntegrityError) if another event took that version."""
        if kwargs or not all(isinstance(obj, Aggregate | CanMutateAggregate) for obj in objs):
            return super().save(*objs, **kwargs)
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, Aggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.events.append(obj)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    @contextmanager
    def unsynced_commits(self) -> Iterator[None]:
        """SQLite: inside, the event store's commits do not wait for the disk (a bulk load of simulated
        data; each commit otherwise waits for an fsync of the WAL, 1-5 ms here). In WAL mode with
        `synchronous=NORMAL` the file is never corrupted, but a power cut may lose the last commits
        (sqlite.org/pragma.html#pragma_synchronous). When the block ends the connections wait for the
        disk again and a checkpoint puts every commit made inside on disk. Nothing else on SQLite
        (memory, PostgreSQL) changes. Meant for one writer: connections another thread holds at the
        moment keep their setting."""
        datastore = getattr(self.recorder, "datastore", None)
        pool = getattr(datastore, "pool", None)
        if not isinstance(datastore, SQLiteDatastore) or not isinstance(pool, SQLiteConnectionPool):
            yield
            return
        if pool.is_sqlite_memory_mode:
            yield
            return
        create = pool._create_connection

        def set_all(mode: str) -> None:
            for connection in list(pool._pool):  # the idle ones
                connection._sqlite_conn.execute(f"PRAGMA synchronous={mode}")

        def unsynced() -> SQLiteConnection:
            connection = create()
            connection._sqlite_conn.execute("PRAGMA synchronous=NORMAL")
            return connection

        pool._create_connection = unsynced  # type: ignore[method-assign]
        set_all("NORMAL")
        try:
            yield
        finally:
            pool._create_connection = create  # type: ignore[method-assign]
            set_all("FULL")  # the library's default
            with datastore.get_connection(commit=False) as connection:
                connection._sqlite_conn.execute("PRAGMA wal_checkpoint(FULL)").fetchall()

    def key_table(self) -> MemoryKeyTable | SqlKeyTable:
        """The per-person key tables, in the ledger's own database (memory for the in-memory store)."""
        if getattr(self.recorder, "datastore", None) is None:
            return MemoryKeyTable()
        self._database = Database.shared(self.store)
        return SqlKeyTable(self._database)

    def close(self) -> None:
        """Close the event store and release this ledger's use of the process's Database."""
        super().close()
        database: Database | None = getattr(self, "_database", None)
        if database is not None:
            self._database = None
            database.close()

    def exists(self, aggregate_id: UUID) -> bool:
        """True if any event of that aggregate is stored."""
        try:
            return bool(self.recorder.select_events(aggregate_id, limit=1))
        except PersistenceError as exc:
            raise StoreError(f"The ledger database failed while reading ({exc}): try again later.") from exc

    def originators(self, topic: str, after: int, limit: int) -> list[tuple[int, UUID]]:
        """(position, aggregate id) of up to `limit` events with that topic after `after`, in log order."""
        found: list[tuple[int, UUID]] = []
        position = after
        while len(found) < limit:
            try:
                page = self.recorder.select_notifications(
                    position, min(1000, limit - len(found)), topics=[topic], inclusive_of_start=False
                )
            except PersistenceError as exc:
                raise StoreError(
                    f"The ledger database failed while reading ({exc}): try again later."
                ) from exc
            if not page:
                break
            found.extend((n.id, UUID(str(n.originator_id))) for n in page)
            position = page[-1].id
        return found

    def load_many(self, ids: list[UUID]) -> Iterator[Aggregate]:
        """Rebuild many aggregates from one SELECT (the library only reads one stream at a time)."""
        if not ids:
            return
        rows = self._select_streams(ids)
        if rows is None:  # in-memory store: one stream at a time is fast enough
            for aggregate_id in ids:
                try:
                    yield self.repository.get(aggregate_id)
                except AggregateNotFoundError:
                    continue
            return
        streams: dict[UUID, list[StoredEvent]] = {}
        for stored in rows:
            key = (
                stored.originator_id
                if isinstance(stored.originator_id, UUID)
                else UUID(str(stored.originator_id))
            )
            streams.setdefault(key, []).append(stored)
        for stream in streams.values():
            stream.sort(key=lambda s: s.originator_version)
            aggregate: Aggregate | None = None
            for stored in stream:
                domain_event = cast("Aggregate.Event", self.mapper.to_domain_event(stored))
                aggregate = domain_event.mutate(aggregate)  # what project_aggregate does, minus its checks
            if aggregate is not None:
                yield aggregate

    def streams(self, ids: list[UUID]) -> dict[UUID, list[StoredEvent]]:
        """The stored events of many aggregates, undecoded, each stream in version order (for reads
        that need a few fields of many small aggregates, not the aggregates themselves)."""
        streams: dict[UUID, list[StoredEvent]] = {}
        with reading():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = self._select_streams(chunk)
                if rows is None:  # in-memory store
                    rows = [s for i in chunk for s in self.recorder.select_events(i)]
                for stored in rows:
                    key = (
                        stored.originator_id
                        if isinstance(stored.originator_id, UUID)
                        else UUID(str(stored.originator_id))
                    )
                    streams.setdefault(key, []).append(stored)
        for stream in streams.values():
            stream.sort(key=lambda s: s.originator_version)
        return streams

    def _select_streams(self, ids: list[UUID]) -> list[StoredEvent] | None:
        datastore = getattr(self.recorder, "datastore", None)
        table = getattr(self.recorder, "events_table_name", None)
        if datastore is None or table is None:
            return None
        if self.store.kind == "postgres":
            # One index lookup per id, whatever the planner's statistics say: `= ANY(...)` became a
            # sequential scan of a freshly loaded 1M-event table (no statistics yet), and the huge
            # estimated cost switched JIT compilation on (~150 ms a query). OFFSET 0 keeps the
            # LATERAL subquery from being flattened into a hash join.
            events_table = f'"{datastore.schema}"."{table}"'  # the library's own identifiers
            sql = (
                "SELECT e.originator_id, e.originator_version, e.topic, e.state "  # noqa: S608
                "FROM unnest(%b::uuid[]) AS ids(id) CROSS JOIN LATERAL ("  # binary: no text per id
                f"SELECT * FROM {events_table} AS t WHERE t.originator_id = ids.id OFFSET 0) AS e"
            )
            with datastore.transaction(commit=False) as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute(sql, (ids,))
                return [
                    StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
                    for r in cursor.fetchall()
                ]
        # The stored hex id mapped back to the UUID asked for (no UUID parsed per row: ~10 rows a person).
        by_hex = {i.hex: i for i in ids}
        marks = ",".join("?" * len(by_hex))
        sql = f"SELECT originator_id, originator_version, topic, state FROM {table} WHERE originator_id IN ({marks})"  # noqa: S608
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, list(by_hex))
            return [
                StoredEvent(by_hex.get(r[0]) or UUID(r[0]), r[1], r[2], bytes(r[3]))
                for r in cursor.fetchall()
            ]
