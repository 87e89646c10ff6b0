"""What every use case of the ledger stands on: opening the store, the clock, loading aggregates."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar, TypeVar, cast
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, PersistenceError, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from ledger.checks import as_uuid
from ledger.commands import CommandRunner, utc_now
from ledger.domainmodel import Person, VaccinationSite, VaccineLot
from ledger.errors import LedgerError, LotNotFound, PersonNotFound, SiteNotFound, StoreError
from ledger.eventstore import reading
from ledger.failover import Reconnect
from ledger.keytables import SqlKeyTable
from ledger.personaldata import KeyRing, load_master_key
from ledger.reference import Reference, reference
from ledger.settings import StoreSettings, parse_database_url, prepare_sqlite_file, store_settings
from ledger.site_lot_catch_up import count_site_lots
from ledger.stock_records import StockRecords
from ledger.topics import register_moved_topics
from ledger.transcodings import register_ledger_transcodings
from ledger.values import ERASED_TEXT, PersonalData

T = TypeVar("T")
_NAME_EVENTS = (Person.Registered, Person.NameCorrected, Person.Erased)  # what person_names reads
_NAME = "full_name"
# The stored name events seal the name (ledger.sealed_fields; a test checks): person_names opens only it.
_NAME_KEY = b'"' + _NAME.encode() + b'":'
_JSON = json.JSONDecoder()


class LedgerBase(CommandRunner):
    """The ledger's store, keys, reference data and clock, and loading of its aggregates."""

    env: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        database_url: str | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        reference_data: Reference | None = None,
        key_dir: Path | None = None,
        env: dict[str, str] | None = None,
        new_id: Callable[[], UUID] = uuid4,
    ) -> None:
        """Open the ledger on `database_url` (default: IMMUNIZE_DATABASE_URL, else ./var/ledger.db)."""
        self.store: StoreSettings = parse_database_url(database_url) if database_url else store_settings()
        self.clock = clock
        self.new_id = new_id  # aggregate ids: random by default, seeded in demos and tests
        self._site_cache: dict[UUID, VaccinationSite] = {}
        self._lot_cache: dict[UUID, VaccineLot] = {}
        self._stock_records: StockRecords | None = None
        self.reference = reference_data or reference()
        if key_dir is None and self.store.kind == "sqlite":
            assert self.store.sqlite_path is not None
            key_dir = self.store.sqlite_path.parent / "keys"
        elif key_dir is None and self.store.kind == "postgres":
            key_dir = Path("var") / "keys"
        self.key_dir = key_dir  # where the master key file is (a worker process opens the same ledger)
        self.keys = KeyRing(load_master_key(key_dir))
        if self.store.kind == "sqlite":
            assert self.store.sqlite_path is not None
            prepare_sqlite_file(self.store.sqlite_path)  # mode 0600 before SQLite creates it
        settings = self.store.eventsourcing_env()
        settings.update(env or {})
        self.reconnect = Reconnect(self.store)  # commands follow a new primary (ledger/failover.py)
        self.reconnect.run(lambda: self._open(settings), "opening the ledger")

    def _open(self, settings: dict[str, str]) -> None:
        try:
            super().__init__(env=settings)
            table = self.key_table()
            self.keys.attach(table)
            if isinstance(table, SqlKeyTable) and not table.holds_backfilled():
                self._backfill_holds(table)
            if isinstance(table, SqlKeyTable):
                count_site_lots(self, table)  # once per store (ledger.site_lot_catch_up)
        except PersistenceError as exc:
            if getattr(self, "factory", None) is not None:
                self.factory.close()  # its pool's threads would keep trying
            raise StoreError(
                f"The ledger database {self.store.redacted_url} cannot be opened: {exc}"
            ) from exc

    def _backfill_holds(self, table: SqlKeyTable) -> None:
        """A store from before the holds table: add the numbers people typed online and staff have not
        confirmed yet (erased people left out), so that a new registration checks them too (ledger.claims).
        Read once per store; a marker row says it was done."""
        after = 0
        while True:
            page = self.originators(get_topic(Person.NationalIdHeld), after, 1000)
            if not page:
                break
            after = page[-1][0]
            people = self.get_people([person_id for _, person_id in page])
            table.add_holds(
                [
                    (self.keys.national_id_digest(held.text), person.id)
                    for person in people.values()
                    if not person.erased and (held := person.pending_national_id) is not None and held.text
                ],
                done=False,
            )
        table.add_holds([], done=True)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """The library's transcodings plus dates, actors and sealed personal data."""
        super().register_transcodings(transcoder)
        register_ledger_transcodings(transcoder, self.keys)
        register_moved_topics()  # events stored under a moved class's old topic still load

    # ---- loading aggregates --------------------------------------------------------------------

    def _get(self, kind: type[T], aggregate_id: UUID, missing: LedgerError) -> T:
        try:
            with reading():
                aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise missing from None
        if not isinstance(aggregate, kind):
            raise missing
        return aggregate

    @property
    def stock_records(self) -> StockRecords:
        """Site lots' stock records, read through their own snapshots (ledger.stock_records)."""
        if self._stock_records is None:
            # Its snapshot table is created on first use; on PostgreSQL two processes doing that at
            # once race on CREATE TABLE IF NOT EXISTS (a duplicate pg_type row): the loser retries.
            for attempt in range(5):
                try:
                    self._stock_records = StockRecords(self)
                    break
                except PersistenceError:
                    if attempt == 4:
                        raise
                    time.sleep(0.05 * (attempt + 1))
        assert self._stock_records is not None
        return self._stock_records

    def get_person(self, person_id: UUID) -> Person:
        """The Person aggregate (personal data decrypted, or erased values)."""
        person_id = as_uuid(person_id, "person")
        return self._get(Person, person_id, PersonNotFound(f"No person {person_id}: check the id."))

    def get_site(self, site_id: UUID) -> VaccinationSite:
        """The VaccinationSite aggregate."""
        site_id = as_uuid(site_id, "site")
        return self._get(
            VaccinationSite, site_id, SiteNotFound(f"No vaccination site {site_id}: check the site id.")
        )

    def get_lot(self, lot_id: UUID) -> VaccineLot:
        """The VaccineLot aggregate."""
        lot_id = as_uuid(lot_id, "lot")
        return self._get(VaccineLot, lot_id, LotNotFound(f"No vaccine lot {lot_id}: receive the lot first."))

    def get_people(self, person_ids: Sequence[UUID]) -> dict[UUID, Person]:
        """Several people in one query per few hundred (batch commands, listings); missing ids are left out."""
        ids = list(dict.fromkeys(person_ids))
        found: dict[UUID, Person] = {}
        with reading():
            for start in range(0, len(ids), 500):
                for aggregate in self.load_many(ids[start : start + 500]):
                    if isinstance(aggregate, Person):
                        found[aggregate.id] = aggregate
        return found

    def person_names(self, person_ids: Sequence[UUID]) -> dict[UUID, str]:
        """Only the names of several people, for a list (the site's day at 400 appointments).

        The people's streams come in one query per 500, but only the events that set or erase a name
        (registered, name corrected, erased) are decoded, their data keys come in one more query, and
        one value is decrypted per person; no other sealed field is opened and nothing is kept.
        "[erased]" for an erased person; ids that are not people are left out.
        """
        ids = list(dict.fromkeys(person_ids))
        names: dict[UUID, PersonalData | None] = {}  # None: erased
        with reading():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = self._select_streams(chunk)
                if rows is None:  # in-memory store: the aggregates themselves
                    for pid, person in self.get_people(chunk).items():
                        names[pid] = None if person.erased else person.full_name
                    continue
                for stored in sorted(rows, key=lambda r: r.originator_version):
                    kind = resolve_topic(stored.topic)
                    if not isinstance(kind, type) or not issubclass(kind, _NAME_EVENTS):
                        continue
                    pid = cast("UUID", stored.originator_id)
                    if issubclass(kind, Person.Erased):
                        names[pid] = None
                    elif pid in names and names[pid] is None:
                        continue  # an erased person stays erased
                    else:
                        names[pid] = self._sealed_name(stored)
        self.keys.prefetch(pid for pid, name in names.items() if name is not None)
        return {pid: ERASED_TEXT if name is None else name.text for pid, name in names.items()}

    def _sealed_name(self, stored: StoredEvent) -> PersonalData:
        """The `full_name` of a stored name event, still sealed (decrypted when read).

        When the state has the current shape (no class version, the key once: only the top level of a
        name event has it, every nested value being a typed object), just that one value is parsed as
        JSON where the key stands, whatever the order of the keys around it (2 us instead of 12 us for
        the whole state through the library's decoder, which calls back into Python for every nested
        object). Anything else (an upcast class version, an older form) goes through the full decoder.
        """
        raw = stored.state
        if b'"class_version"' not in raw and raw.count(_NAME_KEY) == 1:
            text = raw.decode("utf-8")
            start = text.index('"' + _NAME + '":') + len(_NAME) + 3
            try:
                field, _ = _JSON.raw_decode(text, start)
            except ValueError:
                field = None
            sealed = field.get("_data_") if isinstance(field, dict) else None
            if (
                isinstance(field, dict)
                and field.get("_type_") == "personal_data"
                and isinstance(sealed, dict)
                and isinstance(sealed.get("o"), str)
            ):
                return self.keys.open(sealed)
        event = self.mapper.to_domain_event(stored)
        return cast("Person.Registered | Person.NameCorrected", event).full_name

    def known_lot(self, lot_id: UUID) -> VaccineLot:
        """A lot as certificates read it (product, manufacturer: fixed when it was received, so cached)."""
        return self._cached(self._lot_cache, as_uuid(lot_id, "lot"), self.get_lot)

    @staticmethod
    def _cached(cache: dict[UUID, T], key: UUID, load: Callable[[UUID], T]) -> T:
        """Sites and lots as dose checks read them: existence, product, lot number and expiry never
        change after the first event, so they are cached (read-only here; commands load afresh)."""
        found = cache.get(key)
        if found is None:
            if len(cache) > 10_000:
                cache.clear()
            found = cache[key] = load(key)
        return found
