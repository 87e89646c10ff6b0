"""The Ledger application: every command and query of the immunization ledger, on one ordered log.

Use cases follow get -> act -> save (eventsourcing's Application is the repository and the unit of
work). Every writing command takes an `actor` and an `idempotency_key`; its events and a Receipt
(id = uuid5(namespace, key)) are saved in one transaction, so a retry returns the first result and
writes nothing. A stale save (someone else changed the same person) is retried from a fresh read,
a bounded number of times, then raises ConflictError. Time comes from the `clock` parameter.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    MapperDeserialisationError,
    PersistenceError,
    Recording,
    StoredEvent,
    Transcoding,
)

from ledger.domainmodel import Person, Receipt, VaccinationSite, VaccineLot
from ledger.errors import (
    ConflictError,
    DoseDateInvalid,
    DuplicateNationalId,
    IdempotencyKeyReused,
    InvalidInput,
    LedgerError,
    LotNotFound,
    LotUnusable,
    NotPermitted,
    PersonErasedError,
    PersonNotFound,
    SiteNotFound,
    StoreError,
)
from ledger.personaldata import KeyRing, MemoryKeyTable, PersonalDataAsSealed, SqlKeyTable, load_master_key
from ledger.records import DoseRecorded, DoseRequest, PersonRecord, PersonRequest
from ledger.reference import Reference, reference
from ledger.settings import StoreSettings, parse_database_url, store_settings
from ledger.values import (
    Actor,
    NationalId,
    PartialDate,
    PersonalData,
    Relationship,
    Role,
    Severity,
    Sex,
    normalise_name,
    normalise_phone,
)

RECEIPT_NAMESPACE = uuid5(NAMESPACE_URL, "https://immunize.invalid/ledger/idempotency-receipt")
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")  # dose dates are local dates (no DST in Viet Nam)
MAX_ATTEMPTS = 8
MAX_BATCH = 5_000
T = TypeVar("T")


def utc_now() -> datetime:
    """The default clock: now, timezone-aware UTC."""
    return datetime.now(UTC)


# ---- transcodings for the value types the events carry ---------------------------------------


class DateAsISO(Transcoding):
    """`date` as YYYY-MM-DD (the default transcoder refuses dates)."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ActorAsList(Transcoding):
    """`Actor` as [id, role, site hex or null] (a list: cheaper to decode than a nested object)."""

    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> list[str | None]:
        return [obj.actor_id, obj.role.value, obj.site_id.hex if obj.site_id else None]

    def decode(self, data: list[str | None] | dict[str, Any]) -> Actor:
        if isinstance(data, dict):  # the first format: {"id", "role", "site"}
            return Actor(data["id"], Role(data["role"]), data["site"])
        actor_id, role, site = data
        return Actor(str(actor_id), Role(str(role)), UUID(hex=site) if site else None)


# ---- small helpers ---------------------------------------------------------------------------


def _text(value: object, what: str, limit: int = 2_000, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} must be text.")
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"The {what} is empty: fill it in.")
    if len(text) > limit:
        raise InvalidInput(f"The {what} is longer than {limit} characters: shorten it.")
    return text


def _uuid(value: object, what: str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a valid {what} id: copy the id exactly.") from None


def _date(value: object, what: str) -> date:
    if isinstance(value, datetime):
        raise InvalidInput(f"The {what} must be a date, not a date and time.")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"The {what} {value!r} is not a date: use YYYY-MM-DD.") from None


def _enum(kind: type[T], value: object, what: str) -> T:
    try:
        return kind(value)  # type: ignore[call-arg]
    except ValueError:
        choices = ", ".join(str(v.value) for v in kind)  # type: ignore[attr-defined]
        raise InvalidInput(f"{value!r} is not a {what}: use one of {choices}.") from None


def _check_key(idempotency_key: object) -> str:
    if not isinstance(idempotency_key, str) or not idempotency_key.strip() or len(idempotency_key) > 200:
        raise InvalidInput(
            "Every change needs an idempotency key of 1 to 200 characters (e.g. a UUID per request)."
        )
    return idempotency_key


def _canonical(command: str, args: dict[str, Any]) -> bytes:
    return json.dumps({"command": command, "args": args}, sort_keys=True, default=str).encode("utf-8")


def _fields(checked: _CheckedPerson) -> tuple[object, ...]:
    """A registration's fields for the idempotency fingerprint (faster than dataclasses.astuple)."""
    return tuple(getattr(checked, name) for name in _CheckedPerson.__dataclass_fields__)


@contextmanager
def _reading() -> Iterator[None]:
    """Turn the library's read failures into ledger errors (a key-store error inside decoding stays itself)."""
    try:
        yield
    except MapperDeserialisationError as exc:
        if isinstance(exc.__cause__, LedgerError):
            raise exc.__cause__ from None
        raise StoreError(f"A stored event cannot be decoded ({exc}): check the ledger version.") from exc
    except PersistenceError as exc:
        raise StoreError(f"The ledger database failed while reading ({exc}): try again later.") from exc


@dataclass(frozen=True)
class _CheckedPerson:
    """A registration after validation."""

    number: str | None
    name: str
    dob: PartialDate
    sex: Sex
    phone: str | None
    ward_code: str
    province_code: str
    priority_group: str
    guardian_id: UUID | None
    relationship: str | None


@dataclass
class _Outcome:
    """What one attempt of a command produced: aggregates to save and the result to return."""

    aggregates: list[Aggregate]
    result: dict[str, Any]
    undo: list[Callable[[], None]] = field(default_factory=list)


class Ledger(Application[UUID]):
    """The immunization ledger: people, sites, lots, doses, reactions, declarations, corrections."""

    name = "Ledger"
    is_snapshotting_enabled = False
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
        self.reference = reference_data or reference()
        if key_dir is None and self.store.kind == "sqlite":
            assert self.store.sqlite_path is not None
            key_dir = self.store.sqlite_path.parent / "keys"
        elif key_dir is None and self.store.kind == "postgres":
            key_dir = Path("var") / "keys"
        self.keys = KeyRing(load_master_key(key_dir))
        if self.store.kind == "sqlite":
            assert self.store.sqlite_path is not None
            self.store.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        settings = self.store.eventsourcing_env()
        settings.update(env or {})
        try:
            super().__init__(env=settings)
            self.keys.attach(self._key_table())
        except PersistenceError as exc:
            raise StoreError(
                f"The ledger database {self.store.redacted_url} cannot be opened: {exc}"
            ) from exc

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """The library's transcodings plus dates, actors and sealed personal data."""
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(ActorAsList())
        transcoder.register(PersonalDataAsSealed(self.keys))

    def _key_table(self) -> MemoryKeyTable | SqlKeyTable:
        datastore = getattr(self.recorder, "datastore", None)
        if datastore is None:
            return MemoryKeyTable()
        if self.store.kind == "postgres":
            schema = datastore.schema

            def pg_transaction(commit: bool) -> Any:
                return datastore.transaction(commit=commit)

            return SqlKeyTable(pg_transaction, "%s", "BYTEA", lambda name: f'"{schema}".{name}')

        def sqlite_transaction(commit: bool) -> Any:
            return datastore.transaction(commit=commit)

        return SqlKeyTable(sqlite_transaction, "?", "BLOB")

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save aggregates' pending events in one transaction (the library's save, minus its per-object
        runtime-Protocol isinstance checks, which cost more than encoding an event on Python 3.11)."""
        if kwargs or not all(isinstance(obj, Aggregate) for obj in objs):
            return super().save(*objs, **kwargs)
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for aggregate in objs:
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    # ---- the command runner: idempotency, retries on conflicts, errors wrapped --------------

    def now(self) -> datetime:
        """The clock's time, checked to be timezone-aware."""
        at = self.clock()
        if at.tzinfo is None:
            raise InvalidInput("The clock gave a time without a timezone: pass a timezone-aware clock.")
        return at.astimezone(UTC)

    def today(self) -> date:
        """Today's date in Viet Nam (dose dates are local dates)."""
        return self.now().astimezone(VIETNAM_TIME).date()

    def _run(
        self,
        command: str,
        idempotency_key: str,
        args: dict[str, Any],
        attempt: Callable[[datetime], _Outcome],
    ) -> dict[str, Any]:
        """Run `attempt` once per idempotency key: check the receipt, act, save events + receipt."""
        key = _check_key(idempotency_key)
        receipt_id = uuid5(RECEIPT_NAMESPACE, key)
        fingerprint = self.keys.master.fingerprint(_canonical(command, args))
        for attempt_number in range(MAX_ATTEMPTS):
            previous = self._receipt(receipt_id)
            if previous is not None:
                if previous.command != command or previous.fingerprint != fingerprint:
                    raise IdempotencyKeyReused(
                        f"The idempotency key {key!r} was already used for a different {previous.command}: "
                        "use a new key for a new request."
                    )
                return previous.result
            at = self.now()
            outcome = attempt(at)
            receipt = Receipt(
                id=receipt_id,
                at=at,  # type: ignore[call-arg]
                command=command,
                fingerprint=fingerprint,
                result=outcome.result,
            )
            try:
                self.save(*outcome.aggregates, receipt)
            except IntegrityError:
                for undo in outcome.undo:
                    undo()
                time.sleep(0.002 * (attempt_number + 1))
                continue
            except PersistenceError as exc:
                for undo in outcome.undo:
                    undo()
                raise StoreError(
                    f"The ledger database failed while saving ({exc}): try again later."
                ) from exc
            except BaseException:
                for undo in outcome.undo:
                    undo()
                raise
            return outcome.result
        raise ConflictError(
            f"{command} conflicted {MAX_ATTEMPTS} times with changes made at the same moment: "
            "nothing was written; try again."
        )

    def _receipt(self, receipt_id: UUID) -> Receipt | None:
        try:
            with _reading():
                receipt: Receipt = self.repository.get(receipt_id)
        except AggregateNotFoundError:
            return None
        return receipt

    # ---- loading aggregates --------------------------------------------------------------------

    def _get(self, kind: type[T], aggregate_id: UUID, missing: LedgerError) -> T:
        try:
            with _reading():
                aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise missing from None
        if not isinstance(aggregate, kind):
            raise missing
        return aggregate

    def get_person(self, person_id: UUID) -> Person:
        """The Person aggregate (personal data decrypted, or erased values)."""
        person_id = _uuid(person_id, "person")
        return self._get(Person, person_id, PersonNotFound(f"No person {person_id}: check the id."))

    def get_site(self, site_id: UUID) -> VaccinationSite:
        """The VaccinationSite aggregate."""
        site_id = _uuid(site_id, "site")
        return self._get(
            VaccinationSite, site_id, SiteNotFound(f"No vaccination site {site_id}: check the site id.")
        )

    def get_lot(self, lot_id: UUID) -> VaccineLot:
        """The VaccineLot aggregate."""
        lot_id = _uuid(lot_id, "lot")
        return self._get(VaccineLot, lot_id, LotNotFound(f"No vaccine lot {lot_id}: receive the lot first."))

    def get_people(self, person_ids: Sequence[UUID]) -> dict[UUID, Person]:
        """Several people in one query per few hundred (batch commands, listings); missing ids are left out."""
        ids = list(dict.fromkeys(person_ids))
        found: dict[UUID, Person] = {}
        with _reading():
            for start in range(0, len(ids), 500):
                for aggregate in self._load_many(ids[start : start + 500]):
                    if isinstance(aggregate, Person):
                        found[aggregate.id] = aggregate
        return found

    def _load_many(self, ids: list[UUID]) -> Iterator[Aggregate]:
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
                "FROM unnest(%s::uuid[]) AS ids(id) CROSS JOIN LATERAL ("
                f"SELECT * FROM {events_table} AS t WHERE t.originator_id = ids.id OFFSET 0) AS e"
            )
            with datastore.transaction(commit=False) as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute(sql, (ids,))
                return [
                    StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
                    for r in cursor.fetchall()
                ]
        marks = ",".join("?" * len(ids))
        sql = f"SELECT originator_id, originator_version, topic, state FROM {table} WHERE originator_id IN ({marks})"  # noqa: S608
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, [i.hex for i in ids])
            return [
                StoredEvent(UUID(r["originator_id"]), r["originator_version"], r["topic"], bytes(r["state"]))
                for r in cursor.fetchall()
            ]

    # ---- sites and lots ------------------------------------------------------------------------

    def register_site(
        self,
        *,
        code: str,
        name: str,
        ward_code: str,
        capacity_per_day: int,
        actor: Actor,
        idempotency_key: str,
    ) -> UUID:
        """Register a vaccination site in a ward; returns the site id."""
        code = _text(code, "site code", 50)
        name = normalise_name(name) if isinstance(name, str) else _text(name, "site name")
        ward = self.reference.ward(ward_code)
        if (
            not isinstance(capacity_per_day, int)
            or isinstance(capacity_per_day, bool)
            or not 1 <= capacity_per_day <= 100_000
        ):
            raise InvalidInput("The daily capacity must be a whole number from 1 to 100000.")
        if actor.role not in (Role.PROVINCE_OFFICER, Role.ADMIN, Role.SYSTEM):
            raise NotPermitted("Only a province officer or administrator registers vaccination sites.")
        args = {"code": code, "name": name, "ward": ward.code, "capacity": capacity_per_day, "actor": actor}

        def attempt(at: datetime) -> _Outcome:
            site = VaccinationSite(  # type: ignore[call-arg]
                id=self.new_id(),
                actor=actor,
                at=at,
                code=code,
                name=name,
                ward_code=ward.code,
                province_code=ward.province_code,
                capacity_per_day=capacity_per_day,
            )
            return _Outcome([site], {"site_id": site.id.hex})

        return UUID(self._run("register_site", idempotency_key, args, attempt)["site_id"])

    def receive_lot(
        self,
        *,
        product: str,
        lot_number: str,
        expiry: date,
        site_id: UUID,
        quantity: int,
        actor: Actor,
        idempotency_key: str,
        manufacturer: str | None = None,
    ) -> UUID:
        """Record a vaccine lot received at a site; returns the lot id. Manufacturer defaults to the product's."""
        vaccine = self.reference.vaccine(product)
        lot_number = _text(lot_number, "lot number", 50)
        expiry = _date(expiry, "expiry date")
        manufacturer = vaccine.ma if manufacturer is None else _text(manufacturer, "manufacturer", 100)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 10_000_000:
            raise InvalidInput("The quantity must be a whole number of doses from 1 to 10000000.")
        if not actor.role.is_staff:
            raise NotPermitted("Only staff receive vaccine lots.")
        site = self.get_site(site_id)
        self._check_site_actor(actor, site.id)
        args = {
            "product": vaccine.mp,
            "lot": lot_number,
            "expiry": expiry,
            "site": site.id,
            "qty": quantity,
            "ma": manufacturer,
            "actor": actor,
        }

        def attempt(at: datetime) -> _Outcome:
            lot = VaccineLot(  # type: ignore[call-arg]
                id=self.new_id(),
                actor=actor,
                at=at,
                product=vaccine.mp,
                manufacturer=manufacturer,
                lot_number=lot_number,
                expiry=expiry,
                site_id=site.id,
                quantity=quantity,
            )
            return _Outcome([lot], {"lot_id": lot.id.hex})

        return UUID(self._run("receive_lot", idempotency_key, args, attempt)["lot_id"])

    def transfer_lot(self, *, lot_id: UUID, site_id: UUID, actor: Actor, idempotency_key: str) -> None:
        """Move a lot to another site."""
        if not actor.role.is_staff:
            raise NotPermitted("Only staff move vaccine lots.")
        site = self.get_site(site_id)

        def attempt(at: datetime) -> _Outcome:
            lot = self.get_lot(lot_id)
            lot.transfer(site_id=site.id, actor=actor, at=at)
            return _Outcome([lot], {})

        self._run(
            "transfer_lot", idempotency_key, {"lot": str(lot_id), "site": site.id, "actor": actor}, attempt
        )

    def change_site_capacity(
        self, *, site_id: UUID, capacity_per_day: int, actor: Actor, idempotency_key: str
    ) -> None:
        """Change a site's daily capacity."""
        if (
            not isinstance(capacity_per_day, int)
            or isinstance(capacity_per_day, bool)
            or not 1 <= capacity_per_day <= 100_000
        ):
            raise InvalidInput("The daily capacity must be a whole number from 1 to 100000.")
        if actor.role not in (Role.PROVINCE_OFFICER, Role.ADMIN, Role.SYSTEM, Role.SITE_STAFF):
            raise NotPermitted("Only site staff, a province officer or an administrator change capacity.")
        self._check_site_actor(actor, _uuid(site_id, "site"))

        def attempt(at: datetime) -> _Outcome:
            site = self.get_site(site_id)
            site.change_capacity(capacity_per_day=capacity_per_day, actor=actor, at=at)
            return _Outcome([site], {})

        self._run(
            "change_site_capacity",
            idempotency_key,
            {"site": str(site_id), "cap": capacity_per_day, "actor": actor},
            attempt,
        )

    @staticmethod
    def _check_site_actor(actor: Actor, site_id: UUID) -> None:
        if actor.role.is_site_bound and actor.site_id != site_id:
            raise NotPermitted(
                f"A {actor.role.value} may only act at their own site: sign in at site {site_id}."
            )

    # ---- people and families -------------------------------------------------------------------

    def register_person(
        self,
        *,
        national_id: str | None,
        full_name: str,
        date_of_birth: str,
        sex: str,
        phone: str | None,
        ward_code: str,
        priority_group: str,
        actor: Actor,
        idempotency_key: str,
        guardian_id: UUID | None = None,
        relationship: str | None = None,
    ) -> UUID:
        """Register a person (one per national ID); with `guardian_id`, a dependant managed by that guardian."""
        request = PersonRequest(
            national_id=national_id,
            full_name=full_name,
            date_of_birth=date_of_birth,
            sex=sex,
            phone=phone,
            ward_code=ward_code,
            priority_group=priority_group,
            guardian_id=guardian_id,
            relationship=relationship,
        )
        return self._register("register_person", [request], actor, idempotency_key)[0]

    def register_people(
        self, batch: Sequence[PersonRequest], *, actor: Actor, idempotency_key: str
    ) -> list[UUID]:
        """Register many people in one transaction (all or nothing; one idempotency key for the batch)."""
        if not batch:
            raise InvalidInput("The batch is empty: give at least one person.")
        if len(batch) > MAX_BATCH:
            raise InvalidInput(f"A batch holds at most {MAX_BATCH} people: split it.")
        return self._register("register_people", list(batch), actor, idempotency_key)

    def _check_person(self, request: PersonRequest, actor: Actor, today: date) -> _CheckedPerson:
        """Validate one registration, turning strings into domain values."""
        if not isinstance(request, PersonRequest):
            raise InvalidInput("Each person must be a PersonRequest.")
        number = NationalId(request.national_id).number if request.national_id is not None else None
        if number is not None and len(number) == 12 and number[1:3] not in self.reference.provinces:
            raise InvalidInput(
                f"A CCCD starts with 0 and a province code; {number[:3]} is not one: check the card."
            )
        name = normalise_name(request.full_name)
        if not isinstance(request.date_of_birth, str):
            raise InvalidInput("The date of birth must be text: YYYY, YYYY-MM or YYYY-MM-DD.")
        dob = PartialDate.parse(request.date_of_birth)
        if dob.earliest() > today:
            raise InvalidInput(f"The date of birth {dob} is in the future: check it.")
        the_sex = _enum(Sex, request.sex, "sex")
        the_phone = normalise_phone(request.phone) if request.phone is not None else None
        ward = self.reference.ward(request.ward_code)
        group = self.reference.priority_group(request.priority_group)
        guardian_id: UUID | None = None
        relationship: str | None = None
        if request.guardian_id is None:
            if number is None:
                raise InvalidInput(
                    "Only a dependant may be registered without a national ID number: give the guardian."
                )
            if request.relationship is not None:
                raise InvalidInput("A relationship is only given for a dependant: give the guardian id too.")
        else:
            guardian_id = _uuid(request.guardian_id, "guardian")
            relationship = _enum(Relationship, request.relationship or "other", "relationship").value
        self._check_may_register(actor, guardian_id)
        return _CheckedPerson(
            number,
            name,
            dob,
            the_sex,
            the_phone,
            ward.code,
            ward.province_code,
            group.code,
            guardian_id,
            relationship,
        )

    def _register(
        self, command: str, batch: list[PersonRequest], actor: Actor, idempotency_key: str
    ) -> list[UUID]:
        today = self.today()
        checked: list[_CheckedPerson] = []
        numbers: set[str] = set()
        for index, request in enumerate(batch):
            try:
                item = self._check_person(request, actor, today)
                if item.number is not None and item.number in numbers:
                    raise DuplicateNationalId(
                        "The same national ID number appears twice in this batch: remove one."
                    )
            except LedgerError as exc:
                if len(batch) == 1:
                    raise
                raise type(exc)(f"person {index + 1} of the batch: {exc}") from exc
            if item.number is not None:
                numbers.add(item.number)
            checked.append(item)
        args = {"people": [_fields(c) for c in checked], "actor": actor}

        def attempt(at: datetime) -> _Outcome:
            ids = [self.new_id() for _ in checked]
            undo: list[Callable[[], None]] = []
            claims = [(c.number, person_id) for c, person_id in zip(checked, ids, strict=True) if c.number]
            try:
                self._claim_national_ids(claims, at)
                undo.append(lambda: self.keys.release_national_ids(claims))
                self.keys.create_keys(ids)
                undo.append(lambda: self.keys.destroy_many(ids))
                guardians = self.get_people([c.guardian_id for c in checked if c.guardian_id is not None])
                people: list[Aggregate] = []
                for index, (c, person_id) in enumerate(zip(checked, ids, strict=True)):
                    people.append(
                        Person(  # type: ignore[call-arg]
                            id=person_id,
                            actor=actor,
                            at=at,
                            national_id=PersonalData(person_id, c.number) if c.number is not None else None,
                            full_name=PersonalData(person_id, c.name),
                            date_of_birth=PersonalData(person_id, c.dob.isoformat()),
                            birth_year=c.dob.year,
                            sex=c.sex,
                            phone=PersonalData(person_id, c.phone) if c.phone is not None else None,
                            ward_code=c.ward_code,
                            province_code=c.province_code,
                            priority_group=c.priority_group,
                            guardian_id=c.guardian_id,
                        )
                    )
                    if c.guardian_id is not None:
                        guardian = guardians.get(c.guardian_id)
                        where = f"person {index + 1} of the batch: " if len(checked) > 1 else ""
                        if guardian is None:
                            raise PersonNotFound(
                                f"{where}No guardian {c.guardian_id}: register the guardian first."
                            )
                        guardian.add_dependant(person_id, c.relationship or "other", actor, at)
            except BaseException:
                for step in reversed(undo):
                    step()
                raise
            return _Outcome([*people, *guardians.values()], {"person_ids": [i.hex for i in ids]}, undo)

        result = self._run(command, idempotency_key, args, attempt)
        return [UUID(i) for i in result["person_ids"]]

    def _check_may_register(self, actor: Actor, guardian_id: UUID | None) -> None:
        if actor.role is Role.GUARDIAN and guardian_id is None:
            raise NotPermitted("A guardian registers dependants: give the guardian id.")
        if (
            actor.role in (Role.CITIZEN, Role.GUARDIAN)
            and guardian_id is not None
            and actor.actor_id != str(guardian_id)
        ):
            raise NotPermitted("A citizen may only add dependants to their own account.")

    def _claim_national_ids(self, claims: list[tuple[str, UUID]], at: datetime) -> None:
        """Claim each national ID for its new person (one person per national ID), or raise and claim none."""
        holders = self.keys.claim_national_ids(claims, at)
        taken = []
        for number, person_id in claims:
            holder = holders.get(number)
            if holder is None or holder == person_id:
                continue
            if self._exists(holder) or not self.keys.claim_is_stale(number, at):
                self.keys.release_national_ids(claims)
                raise DuplicateNationalId(
                    "A person with this national ID number is already registered: look them up instead of "
                    "registering again, or correct the number."
                )
            taken.append((number, holder, person_id))
        for number, holder, person_id in taken:
            if not self.keys.take_over_national_id(number, holder, person_id, at):
                self.keys.release_national_ids(claims)
                raise ConflictError(
                    "Someone registered this national ID number at the same moment: look it up and try again."
                )

    def _exists(self, aggregate_id: UUID) -> bool:
        try:
            return bool(self.recorder.select_events(aggregate_id, limit=1))
        except PersistenceError as exc:
            raise StoreError(f"The ledger database failed while reading ({exc}): try again later.") from exc

    def link_dependant(
        self, *, guardian_id: UUID, dependant_id: UUID, relationship: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Let a guardian manage an already registered person (e.g. an elderly parent with their own ID)."""
        guardian_id = _uuid(guardian_id, "guardian")
        dependant_id = _uuid(dependant_id, "dependant")
        rel = _enum(Relationship, relationship, "relationship").value
        self._check_may_register(actor, guardian_id)

        def attempt(at: datetime) -> _Outcome:
            guardian = self.get_person(guardian_id)
            dependant = self.get_person(dependant_id)
            if dependant.erased:
                raise PersonErasedError("That person was erased: they cannot be linked.")
            guardian.add_dependant(dependant_id, rel, actor, at)
            return _Outcome([guardian], {})

        self._run(
            "link_dependant",
            idempotency_key,
            {"g": guardian_id, "d": dependant_id, "rel": rel, "actor": actor},
            attempt,
        )

    def find_person(self, national_id: str) -> UUID | None:
        """The id of the person registered with that national ID number (keyed-hash index), or None."""
        return self.keys.find_national_id(NationalId(national_id).number)

    def person_by_national_id(self, national_id: str) -> PersonRecord:
        """The record of the person registered with that national ID number."""
        person_id = self.find_person(national_id)
        if person_id is None or not self._exists(person_id):
            raise PersonNotFound(
                "No person is registered with that national ID number: check it or register them."
            )
        return self.person_record(person_id)

    def person_record(self, person_id: UUID) -> PersonRecord:
        """A person's record with personal data decrypted (or "[erased]")."""
        return PersonRecord.of(self.get_person(person_id))

    def dependants(self, guardian_id: UUID) -> list[PersonRecord]:
        """The records a guardian manages."""
        guardian = self.get_person(guardian_id)
        people = self.get_people(guardian.dependant_ids)
        return [PersonRecord.of(people[d]) for d in guardian.dependant_ids if d in people]

    def list_people(self, limit: int = 100, after: int = 0) -> list[PersonRecord]:
        """People in registration order, read from the log (until a projection serves this)."""
        if limit < 1:
            raise InvalidInput("The limit must be at least 1.")
        topic = f"{Person.Registered.__module__}:{Person.Registered.__qualname__}"
        ids: list[UUID] = []
        position = after
        while len(ids) < limit:
            try:
                page = self.recorder.select_notifications(
                    position, min(1000, limit - len(ids)), topics=[topic], inclusive_of_start=False
                )
            except PersistenceError as exc:
                raise StoreError(
                    f"The ledger database failed while reading ({exc}): try again later."
                ) from exc
            if not page:
                break
            ids.extend(UUID(str(n.originator_id)) for n in page)
            position = page[-1].id
        people = self.get_people(ids)
        return [PersonRecord.of(people[i]) for i in ids if i in people]

    # ---- doses ---------------------------------------------------------------------------------

    def record_dose(
        self,
        *,
        person_id: UUID,
        dose_number: int,
        product: str,
        lot_id: UUID,
        administered_on: date,
        site_id: UUID,
        actor: Actor,
        idempotency_key: str,
        vaccinator_id: str | None = None,
    ) -> DoseRecorded:
        """Record one dose, checking sequence, interval, dates, lot and who records where."""
        request = DoseRequest(
            person_id=_uuid(person_id, "person"),
            dose_number=dose_number,
            product=product,
            lot_id=_uuid(lot_id, "lot"),
            administered_on=_date(administered_on, "dose date"),
            site_id=_uuid(site_id, "site"),
            vaccinator_id=vaccinator_id,
        )
        return self._record_doses("record_dose", [request], actor, idempotency_key)[0]

    def record_doses(
        self, batch: Sequence[DoseRequest], *, actor: Actor, idempotency_key: str
    ) -> list[DoseRecorded]:
        """Record a batch of doses in one transaction (all or nothing; one idempotency key for the batch)."""
        if not batch:
            raise InvalidInput("The batch is empty: give at least one dose.")
        if len(batch) > MAX_BATCH:
            raise InvalidInput(f"A batch holds at most {MAX_BATCH} doses: split it.")
        return self._record_doses("record_doses", list(batch), actor, idempotency_key)

    def _record_doses(
        self, command: str, batch: list[DoseRequest], actor: Actor, idempotency_key: str
    ) -> list[DoseRecorded]:
        if not actor.role.is_staff:
            raise NotPermitted("Only vaccination staff record doses.")
        today = self.today()
        lots: dict[UUID, VaccineLot] = {}
        sites: dict[UUID, VaccinationSite] = {}
        checked: list[tuple[DoseRequest, int | None, str]] = []
        for index, item in enumerate(batch):
            where = f"dose {index + 1} of the batch: " if len(batch) > 1 else ""
            try:
                checked.append(self._check_dose(item, actor, today, lots, sites))
            except LedgerError as exc:
                raise type(exc)(f"{where}{exc}") from exc
        # The fingerprint's input, built by hand: str(UUID) and json's default hook are slow per dose.
        args = {
            "doses": "\n".join(
                f"{r.person_id.hex}|{r.dose_number}|{r.product}|{r.lot_id.hex}|{r.administered_on}|"
                f"{r.site_id.hex}|{r.vaccinator_id}"
                for r in batch
            ),
            "actor": actor,
        }

        def attempt(at: datetime) -> _Outcome:
            people = self.get_people([r.person_id for r in batch])
            results = []
            for index, (item, interval, vaccinator) in enumerate(checked):
                where = f"dose {index + 1} of the batch: " if len(batch) > 1 else ""
                person = people.get(item.person_id)
                if person is None:
                    raise PersonNotFound(f"{where}No person {item.person_id}: register them first.")
                try:
                    self._check_birth(person, item.administered_on)
                    dose_id = self.new_id()
                    lot = lots[item.lot_id]
                    previous = person.active_doses[-1].product if person.active_doses else None
                    person.administer_dose(
                        dose_id=dose_id,
                        dose_number=item.dose_number,
                        product=item.product,
                        lot_id=lot.id,
                        lot_number=lot.lot_number,
                        administered_on=item.administered_on,
                        site_id=item.site_id,
                        vaccinator_id=vaccinator,
                        min_interval_days=self._interval(previous, item.product) if previous else interval,
                        actor=actor,
                        at=at,
                    )
                except LedgerError as exc:
                    if not where:
                        raise
                    raise type(exc)(f"{where}{exc}") from exc
                results.append(
                    DoseRecorded(person.id, dose_id, item.dose_number, person.doses[-1].mixed_products)
                )
            # A compact receipt: the dose ids and mixed flags; person and number come from the request.
            compact = {
                "dose_ids": "".join(r.dose_id.hex for r in results),
                "mixed": "".join("1" if r.mixed_products else "0" for r in results),
            }
            return _Outcome(list(people.values()), compact)

        result = self._run(command, idempotency_key, args, attempt)
        if "doses" in result:  # receipts written before the compact form
            return [DoseRecorded.from_result(r) for r in result["doses"]]
        ids, mixed = result["dose_ids"], result["mixed"]
        return [
            DoseRecorded(
                item.person_id, UUID(hex=ids[32 * i : 32 * i + 32]), item.dose_number, mixed[i] == "1"
            )
            for i, item in enumerate(batch)
        ]

    def _check_dose(
        self,
        item: DoseRequest,
        actor: Actor,
        today: date,
        lots: dict[UUID, VaccineLot],
        sites: dict[UUID, VaccinationSite],
    ) -> tuple[DoseRequest, int | None, str]:
        """Checks that need no person: product, lot, site, dates, who records where."""
        if not isinstance(item, DoseRequest):
            raise InvalidInput("Each dose must be a DoseRequest.")
        if (
            not isinstance(item.dose_number, int)
            or isinstance(item.dose_number, bool)
            or not 1 <= item.dose_number <= 20
        ):
            raise InvalidInput("The dose number must be a whole number from 1 to 20.")
        vaccine = self.reference.vaccine(item.product)
        day = _date(item.administered_on, "dose date")
        if day > today:
            raise DoseDateInvalid(f"The dose date {day} is in the future (today is {today}): check the date.")
        if item.site_id not in sites:
            sites[item.site_id] = self._cached(self._site_cache, item.site_id, self.get_site)
        self._check_site_actor(actor, item.site_id)
        if item.lot_id not in lots:
            lots[item.lot_id] = self._cached(self._lot_cache, item.lot_id, self.get_lot)
        lot = lots[item.lot_id]
        if lot.product != vaccine.mp:
            raise LotUnusable(
                f"Lot {lot.lot_number} is {lot.product}, not {vaccine.mp}: pick the lot of the vaccine given."
            )
        if not lot.usable_on(day):
            raise LotUnusable(
                f"Lot {lot.lot_number} expired on {lot.expiry}, before the dose date {day}: do not use it; "
                "record the lot actually used."
            )
        vaccinator = (
            actor.actor_id if item.vaccinator_id is None else _text(item.vaccinator_id, "vaccinator id", 100)
        )
        return item, vaccine.min_interval_days, vaccinator

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

    def _interval(self, previous_product: str, product: str) -> int | None:
        """Minimum days between doses: the stricter of the two products' primary-series intervals."""
        intervals = [
            v
            for v in (
                self.reference.vaccines[p].min_interval_days
                for p in (previous_product, product)
                if p in self.reference.vaccines
            )
            if v is not None
        ]
        return max(intervals) if intervals else None

    @staticmethod
    def _check_birth(person: Person, day: date) -> None:
        if person.erased:
            raise PersonErasedError("This person was erased: nothing more can be recorded for them.")
        if day.year > person.birth_year:
            return  # decided by the clear birth year: no need to decrypt the date of birth
        if person.date_of_birth.value is None:
            raise PersonErasedError("This person was erased: nothing more can be recorded for them.")
        born = PartialDate.parse(person.date_of_birth.value)
        if day < born.earliest():
            raise DoseDateInvalid(f"The dose date {day} is before the date of birth: check both dates.")

    def correct_dose(
        self,
        *,
        person_id: UUID,
        dose_id: UUID,
        reason: str,
        actor: Actor,
        idempotency_key: str,
        product: str | None = None,
        lot_id: UUID | None = None,
        administered_on: date | None = None,
        site_id: UUID | None = None,
        vaccinator_id: str | None = None,
    ) -> None:
        """Correct a dose's details (only the ones given change), with a reason."""
        reason = _text(reason, "reason", 500)
        if not actor.role.is_staff:
            raise NotPermitted("Only vaccination staff correct doses.")
        person_id = _uuid(person_id, "person")
        dose_id = _uuid(dose_id, "dose")
        args = {
            "p": person_id,
            "d": dose_id,
            "why": reason,
            "product": product,
            "lot": lot_id,
            "date": administered_on,
            "site": site_id,
            "vac": vaccinator_id,
            "actor": actor,
        }

        def attempt(at: datetime) -> _Outcome:
            person = self.get_person(person_id)
            current = person.dose(dose_id)
            item = DoseRequest(
                person_id=person_id,
                dose_number=current.dose_number,
                product=product if product is not None else current.product,
                lot_id=_uuid(lot_id, "lot") if lot_id is not None else current.lot_id,
                administered_on=_date(administered_on, "dose date")
                if administered_on is not None
                else current.administered_on,
                site_id=_uuid(site_id, "site") if site_id is not None else current.site_id,
                vaccinator_id=vaccinator_id if vaccinator_id is not None else current.vaccinator_id,
            )
            lots: dict[UUID, VaccineLot] = {}
            _, _, vaccinator = self._check_dose(item, actor, self.today(), lots, {})
            self._check_birth(person, item.administered_on)
            person.correct_dose(
                dose_id=dose_id,
                product=item.product,
                lot_id=item.lot_id,
                lot_number=lots[item.lot_id].lot_number,
                administered_on=item.administered_on,
                site_id=item.site_id,
                vaccinator_id=vaccinator,
                reason=reason,
                actor=actor,
                at=at,
            )
            return _Outcome([person], {})

        self._run("correct_dose", idempotency_key, args, attempt)

    def void_dose(
        self, *, person_id: UUID, dose_id: UUID, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Void a dose recorded by mistake, with a reason; later doses are renumbered."""
        reason = _text(reason, "reason", 500)
        if not actor.role.is_staff:
            raise NotPermitted("Only vaccination staff void doses.")
        person_id = _uuid(person_id, "person")
        dose_id = _uuid(dose_id, "dose")

        def attempt(at: datetime) -> _Outcome:
            person = self.get_person(person_id)
            person.void_dose(dose_id=dose_id, reason=reason, actor=actor, at=at)
            return _Outcome([person], {})

        self._run(
            "void_dose",
            idempotency_key,
            {"p": person_id, "d": dose_id, "why": reason, "actor": actor},
            attempt,
        )

    # ---- reactions and health declarations -----------------------------------------------------

    def _check_acts_for(self, actor: Actor, person: Person) -> None:
        """Citizens act for themselves, guardians for their dependants, staff for anyone."""
        if actor.role.is_staff:
            return
        if actor.role is Role.CITIZEN and actor.actor_id == str(person.id):
            return
        if (
            actor.role is Role.GUARDIAN
            and person.guardian_id is not None
            and actor.actor_id == str(person.guardian_id)
        ):
            return
        raise NotPermitted("You may only report for yourself or a dependant you manage.")

    def report_reaction(
        self,
        *,
        person_id: UUID,
        onset: date,
        symptoms: str,
        severity: str,
        actor: Actor,
        idempotency_key: str,
        dose_id: UUID | None = None,
    ) -> UUID:
        """Report an adverse reaction (by the person, a guardian or staff); returns the reaction id."""
        person_id = _uuid(person_id, "person")
        onset = _date(onset, "onset date")
        text = _text(symptoms, "symptoms", 2_000)
        level = _enum(Severity, severity, "severity")
        the_dose = _uuid(dose_id, "dose") if dose_id is not None else None
        if onset > self.today():
            raise InvalidInput(f"The onset date {onset} is in the future: check it.")
        args = {
            "p": person_id,
            "onset": onset,
            "sym": text,
            "sev": level.value,
            "dose": the_dose,
            "actor": actor,
        }

        def attempt(at: datetime) -> _Outcome:
            person = self.get_person(person_id)
            self._check_acts_for(actor, person)
            reaction_id = self.new_id()
            person.report_reaction(
                reaction_id=reaction_id,
                dose_id=the_dose,
                onset=onset,
                symptoms=PersonalData(person.id, text),
                severity=level,
                actor=actor,
                at=at,
            )
            return _Outcome([person], {"reaction_id": reaction_id.hex})

        return UUID(self._run("report_reaction", idempotency_key, args, attempt)["reaction_id"])

    def record_follow_up(
        self,
        *,
        person_id: UUID,
        reaction_id: UUID,
        outcome: str,
        resolved: bool,
        actor: Actor,
        idempotency_key: str,
    ) -> None:
        """Staff record a follow-up of a reaction (serious reactions need one that resolves them)."""
        person_id = _uuid(person_id, "person")
        reaction_id = _uuid(reaction_id, "reaction")
        text = _text(outcome, "follow-up outcome", 2_000)
        if not isinstance(resolved, bool):
            raise InvalidInput("Say whether the follow-up resolves the reaction (true or false).")

        def attempt(at: datetime) -> _Outcome:
            person = self.get_person(person_id)
            person.record_follow_up(
                reaction_id=reaction_id,
                outcome=PersonalData(person.id, text),
                resolved=resolved,
                actor=actor,
                at=at,
            )
            return _Outcome([person], {})

        self._run(
            "record_follow_up",
            idempotency_key,
            {"p": person_id, "r": reaction_id, "o": text, "res": resolved, "actor": actor},
            attempt,
        )

    def declare_health(
        self,
        *,
        person_id: UUID,
        symptoms: str,
        exposure: str,
        travel: str,
        actor: Actor,
        idempotency_key: str,
    ) -> UUID:
        """Record a health declaration (empty text means "none"); returns the declaration id."""
        person_id = _uuid(person_id, "person")
        texts = [
            _text(v, what, 2_000, required=False)
            for v, what in ((symptoms, "symptoms"), (exposure, "exposure"), (travel, "travel"))
        ]
        args = {"p": person_id, "t": texts, "actor": actor}

        def attempt(at: datetime) -> _Outcome:
            person = self.get_person(person_id)
            self._check_acts_for(actor, person)
            declaration_id = self.new_id()
            person.declare_health(
                declaration_id=declaration_id,
                symptoms=PersonalData(person.id, texts[0]),
                exposure=PersonalData(person.id, texts[1]),
                travel=PersonalData(person.id, texts[2]),
                has_symptoms=bool(texts[0]),
                actor=actor,
                at=at,
            )
            return _Outcome([person], {"declaration_id": declaration_id.hex})

        return UUID(self._run("declare_health", idempotency_key, args, attempt)["declaration_id"])

    # ---- corrections and erasure ---------------------------------------------------------------

    def _correct(
        self,
        command: str,
        person_id: UUID,
        args: dict[str, Any],
        idempotency_key: str,
        act: Callable[[Person, datetime], None],
        actor: Actor,
    ) -> None:
        person_id = _uuid(person_id, "person")

        def attempt(at: datetime) -> _Outcome:
            person = self.get_person(person_id)
            if actor.role is Role.CITIZEN and command == "correct_phone":
                self._check_acts_for(actor, person)
            elif not actor.role.is_staff:
                raise NotPermitted(
                    "Only staff correct a registration (a citizen may correct their own phone)."
                )
            act(person, at)
            return _Outcome([person], {})

        self._run(command, idempotency_key, {"p": person_id, **args, "actor": actor}, attempt)

    def correct_name(
        self, *, person_id: UUID, full_name: str, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Correct a person's full name, with a reason."""
        name = normalise_name(full_name)
        why = _text(reason, "reason", 500)
        self._correct(
            "correct_name",
            person_id,
            {"v": name, "why": why},
            idempotency_key,
            lambda p, at: p.correct_name(full_name=PersonalData(p.id, name), reason=why, actor=actor, at=at),
            actor,
        )

    def correct_sex(
        self, *, person_id: UUID, sex: str, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Correct a person's recorded sex, with a reason."""
        the_sex = _enum(Sex, sex, "sex")
        why = _text(reason, "reason", 500)
        self._correct(
            "correct_sex",
            person_id,
            {"v": the_sex.value, "why": why},
            idempotency_key,
            lambda p, at: p.correct_sex(sex=the_sex, reason=why, actor=actor, at=at),
            actor,
        )

    def correct_date_of_birth(
        self, *, person_id: UUID, date_of_birth: str, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Correct a person's date of birth, with a reason (no recorded dose may fall before it)."""
        dob = PartialDate.parse(date_of_birth)
        if dob.earliest() > self.today():
            raise InvalidInput(f"The date of birth {dob} is in the future: check it.")
        why = _text(reason, "reason", 500)
        self._correct(
            "correct_date_of_birth",
            person_id,
            {"v": dob.isoformat(), "why": why},
            idempotency_key,
            lambda p, at: p.correct_date_of_birth(
                date_of_birth=PersonalData(p.id, dob.isoformat()),
                birth_year=dob.year,
                earliest=dob.earliest(),
                reason=why,
                actor=actor,
                at=at,
            ),
            actor,
        )

    def correct_phone(
        self, *, person_id: UUID, phone: str | None, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Correct (or remove, with None) a person's phone number, with a reason."""
        number = normalise_phone(phone) if phone is not None else None
        why = _text(reason, "reason", 500)
        self._correct(
            "correct_phone",
            person_id,
            {"v": number, "why": why},
            idempotency_key,
            lambda p, at: p.correct_phone(
                phone=PersonalData(p.id, number) if number else None, reason=why, actor=actor, at=at
            ),
            actor,
        )

    def erase_person(self, *, person_id: UUID, reason: str, actor: Actor, idempotency_key: str) -> None:
        """Erase a person: record the erasure, then destroy their key and national ID index entry."""
        person_id = _uuid(person_id, "person")
        why = _text(reason, "reason", 500)

        def attempt(at: datetime) -> _Outcome:
            person = self.get_person(person_id)
            person.erase(reason=why, actor=actor, at=at)
            return _Outcome([person], {})

        self._run("erase_person", idempotency_key, {"p": person_id, "why": why, "actor": actor}, attempt)
        # After the event is safely stored (and again on any retry): shred.
        self.keys.forget_person(person_id)
