"""The citizen's health book: who a phone signs in for, registering self and dependants, declarations,
reactions. The signed-in phone is the only key: a person outside its family is 'not found'.

Where a health book is read from (the one place this is said; README "Projections" points here).
Every page that shows one (the citizen's person page, the family list, the staff desk's person page,
`GET /api/v1/desk/people/<id>` and `GET /api/v1/me/people/<id>`) reads:

- doses, their numbers, lots and sites, the green/yellow status and every certificate from the
  projections (`health_book`, `certificate_index`, site names from `sites_and_lots`). The page first
  catches those views up to the ledger's head (`backend.read.refresh()`), so a write made a moment
  ago (a dose just recorded, a correction, a certificate just issued) is on the page at once, without
  reading the doses from the aggregate;
- identity (name, date of birth, national ID, sex, ward), reactions and health declarations from the
  ledger's Person aggregate, because they are the person's sealed personal data: no view stores them,
  so they are opened only when a page shows them and erasure (crypto-shredding) reaches them at once.
  `next_dose_number` also comes from there: the domain is the one place that computes it;
- a person's visits (booked or arrived appointments, `VISIBLE_STATUSES`) with their site's name and
  address and their session's times from the `campaign` view, in one statement however many there
  are (`visits`); the campaign's views are caught up with the read views behind the same head query.

No page reads doses or certificates from the aggregate any more. The person page (`person_page`) and
the family list (`family`) send a constant number of statements whatever the family, doses or visits:
the person page 5 (household, record, doses with site names, certificates, visits), the family list 4
(holders, dependants, the records in one read, everyone's doses); each one more for the data keys when
they are looked up again (every 2 s) and one more for the log's head without a follower; PostgreSQL adds
its `SET LOCAL jit = off` to the family's record read. tests/e2e/web/test_citizen_statements.py counts
them on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from ledger.application import Ledger
from ledger.domainmodel import Person
from ledger.errors import IdempotencyKeyReused
from ledger.phone import normalise_phone
from ledger.records import PersonRecord
from ledger.values import Actor, Role
from projections import visit_queries
from projections.book_queries import BookDose
from projections.visit_queries import VisitRow
from services.backend import Backend
from services.errors import AlreadyRegisteredToday, NotInFamily, RegisterFirst
from services.people import (
    DeclarationForm,
    FamilyMember,
    HealthBook,
    PersonForm,
    ReactionForm,
    default_priority_group,
    family_member,
    health_book_of,
    phone_family,
)


@dataclass(frozen=True)
class PriorityGroupChoice:
    code: str
    vi: str
    en: str


def priority_groups(ledger: Ledger) -> list[PriorityGroupChoice]:
    groups = sorted(ledger.reference.priority_groups.values(), key=lambda g: g.rank)
    return [PriorityGroupChoice(g.code, g.name_vi, g.name_en) for g in groups]


def family(backend: Backend, phone: str) -> list[FamilyMember]:
    """The people this phone signs in for: each registered holder and the dependants they manage
    (the phone index and the people directory, services.people.phone_family)."""
    return phone_family(backend, phone)


def member(backend: Backend, phone: str, person_id: str) -> FamilyMember:
    """A person of the phone's family; anyone else is 'not found' (no hint that they exist). The
    household comes from the views (`check_member`); only this person's record is opened."""
    return _member(backend, phone, person_id)[0]


def member_and_book(backend: Backend, phone: str, person_id: str) -> tuple[FamilyMember, HealthBook]:
    """The family member and their health book from one opening of their record and one read of
    their doses (the reaction form shows both)."""
    who, record, doses, names = _member(backend, phone, person_id, with_site_names=True)
    certificates = backend.read.certificates_of(record.person_id)
    return who, health_book_of(record, backend.reference, doses, names, certificates)


Visit = VisitRow  # an appointment as the citizen's pages show it: where, when, which dose


@dataclass(frozen=True)
class PersonPage:
    """What the citizen's page about one family member shows: who, the health book, the next visit
    (or, with none booked, the next dose and when it falls due)."""

    person: FamilyMember
    book: HealthBook
    next_visit: Visit | None
    next_dose: NextDose | None


def person_page(backend: Backend, phone: str, person_id: str) -> PersonPage:
    """The person page in a constant number of statements, whatever the family, doses or visits: the
    views caught up once (the campaign's with them: the next visit), the household checked, the record
    opened once (identity, and the next dose's rule from the same aggregate), doses with their sites'
    names, certificates, and every visit with its site and session in one read each."""
    backend.read.refresh(campaign=True)
    relation = check_member(backend, phone, person_id, refreshed=True)
    pid = UUID(person_id)
    person = backend.ledger.get_person(pid)
    record = PersonRecord.of(person)
    if record.erased:
        raise NotInFamily("No such person in your family.")
    doses, names = backend.read.doses_with_site_names(pid)
    book = health_book_of(record, backend.reference, doses, names, backend.read.certificates_of(pid))
    upcoming = _visits(backend, pid, upcoming=True)
    return PersonPage(
        family_member(record, backend.reference, relation, doses),
        book,
        upcoming[0] if upcoming else None,
        None if upcoming else next_dose(backend.ledger, person)[0],
    )


# What a citizen sees of their appointments (the one rule; the health book and the vaccination page):
# those that still hold a place for them, booked or arrived.
VISIBLE_STATUSES = ("booked", "arrived")


def visits(backend: Backend, person_id: UUID, *, upcoming: bool = False) -> list[Visit]:
    """A family member's booked or arrived appointments with their site and session times, soonest
    first; `upcoming` keeps those from Viet Nam's today on (a past day's appointment not yet closed by
    the daily job is not upcoming). The campaign's views are caught up first (read-your-writes: a move
    made a moment ago shows); one statement for the visits however many there are."""
    backend.read.refresh(campaign=True)
    return _visits(backend, person_id, upcoming=upcoming)


def _visits(backend: Backend, person_id: UUID, *, upcoming: bool) -> list[Visit]:
    return visit_queries.visits_of_person(
        backend.views, person_id, VISIBLE_STATUSES, from_day=backend.ledger.today() if upcoming else None
    )


def _member(
    backend: Backend, phone: str, person_id: str, *, with_site_names: bool = False
) -> tuple[FamilyMember, PersonRecord, list[BookDose], dict[str, str]]:
    relation = check_member(backend, phone, person_id)
    pid = UUID(person_id)
    record = backend.ledger.person_record(pid)
    if record.erased:
        raise NotInFamily("No such person in your family.")
    doses, names = (
        backend.read.doses_with_site_names(pid) if with_site_names else (backend.read.doses_of(pid), {})
    )
    return family_member(record, backend.reference, relation, doses), record, doses, names


def check_member(backend: Backend, phone: str, person_id: str, *, refreshed: bool = False) -> str:
    """`member` for a read: the same answer from the views alone, no record opened (a health book or a
    certificate download checks the household this way, then reads only what it shows). Returns
    "self" for a holder of the phone, "dependant" for one they manage. `refreshed`: the caller has
    just brought the views up to the log (not asked again)."""
    relation = (
        backend.read.household(backend.phone_key(normalise_phone(phone)), refresh=not refreshed).get(
            person_id
        )
        if backend.phone_key is not None
        else None
    )
    if relation is None:
        raise NotInFamily("No such person in your family.")
    return relation


def acting_for(person: FamilyMember) -> Actor:
    """Acting for oneself, or as the guardian of a dependant."""
    if person.guardian_id:
        return Actor(actor_id=person.guardian_id, role=Role.GUARDIAN)
    return Actor(actor_id=person.id, role=Role.CITIZEN)


def registration_key(ledger: Ledger, registrant: str, form: PersonForm) -> str:
    """The idempotency key of a registration from the citizen's pages or API, derived from the request:
    the same registrant (the signed-in phone for oneself, the guardian for a dependant) registering the
    same name and date of birth on the same day (Viet Nam's) is registering one person, however often
    the form is sent (a double tap, a browser resend, an API client's retry). Sent again with other
    details (another ward, a corrected ID number) it is refused with `AlreadyRegisteredToday`, not a
    second person. Tomorrow it is a new request; two children of one name born the same day are told
    apart by staff at the desk. A keyed hash (the master key's): receipt ids are in clear in the log and must not let anyone
    test guesses of a name, a birth date or a number."""
    request = json.dumps(
        [registrant, _folded(form.full_name), str(form.date_of_birth).strip(), ledger.today().isoformat()],
        ensure_ascii=False,
    )
    return "registration-" + ledger.keys.master.fingerprint(
        b"registration-request:" + request.encode("utf-8")
    )


def _folded(name: object) -> str:
    """A name as a person would tell it apart: NFC, single spaces, case ignored ("nguyễn  văn an" is
    "Nguyễn Văn An")."""
    return " ".join(unicodedata.normalize("NFC", str(name)).split()).casefold()


@contextmanager
def _registered_once() -> Iterator[None]:
    """The same registration sent again with other details is refused in the citizen's words."""
    try:
        yield
    except IdempotencyKeyReused:
        raise AlreadyRegisteredToday(
            "This person (the same name and date of birth) was already registered from this phone today: "
            "find them in your family list; staff correct other details at the visit."
        ) from None


def register_self(ledger: Ledger, phone: str, form: PersonForm) -> UUID:
    """Register the signed-in phone's holder (the phone comes from the sign-in, never from the form);
    the same registration sent twice gives one person (`registration_key`)."""
    own_phone = normalise_phone(phone)
    with _registered_once():
        return ledger.register_person(
            idempotency_key=registration_key(ledger, "self:" + own_phone, form),
            national_id=form.national_id,
            full_name=form.full_name,
            date_of_birth=form.date_of_birth,
            sex=form.sex,
            phone=own_phone,
            ward_code=form.ward_code,
            priority_group=form.priority_group or default_priority_group(ledger.reference),
            actor=Actor(actor_id="web-citizen", role=Role.CITIZEN),
        )


def add_dependant(backend: Backend, phone: str, form: PersonForm) -> UUID:
    """Add a dependant under the phone's first registered holder; the same guardian adding the same
    name and date of birth twice the same day gives one dependant (`registration_key`)."""
    guardians = [p for p in family(backend, phone) if not p.guardian_id]
    if not guardians:
        raise RegisterFirst("Register yourself first.")
    guardian_id = UUID(guardians[0].id)
    with _registered_once():
        return backend.ledger.register_person(
            idempotency_key=registration_key(backend.ledger, f"guardian:{guardian_id}", form),
            national_id=form.national_id,
            full_name=form.full_name,
            date_of_birth=form.date_of_birth,
            sex=form.sex,
            phone=None,
            ward_code=form.ward_code,
            priority_group=form.priority_group or default_priority_group(backend.reference),
            actor=Actor(actor_id=str(guardian_id), role=Role.GUARDIAN),
            guardian_id=guardian_id,
            relationship=form.relationship or "child",
        )


def health_book(backend: Backend, person_id: UUID) -> HealthBook:
    """The person's health book: doses, status and certificates from the views caught up to the head
    (a write made a moment ago shows), identity, reactions and declarations opened from the ledger."""
    backend.read.refresh()
    record = backend.ledger.person_record(person_id)
    doses, names = backend.read.doses_with_site_names(person_id)
    return health_book_of(record, backend.reference, doses, names, backend.read.certificates_of(person_id))


def reaction_key(ledger: Ledger, person_id: UUID, form: ReactionForm, actor: Actor) -> str:
    """The idempotency key of a reaction report, derived from the request itself: the same report of the
    same person (onset, symptoms as typed, severity, dose) by the same reporter is one report, however
    often the form is sent again (a double tap, a browser resend, a client's retry after a timeout).
    A keyed hash (the master key's): the receipt's id in the log must not let anyone test guesses of the
    symptoms."""
    request = json.dumps(
        [
            str(person_id),
            form.onset.isoformat(),
            form.symptoms,
            form.severity,
            str(form.dose_id or ""),
            actor.actor_id,
            actor.role.value,
            str(actor.site_id or ""),
        ],
        ensure_ascii=False,
    )
    return "reaction-" + ledger.keys.master.fingerprint(b"reaction-request:" + request.encode("utf-8"))


def report_reaction(
    ledger: Ledger, person_id: UUID, form: ReactionForm, *, actor: Actor, idempotency_key: str | None = None
) -> UUID:
    """A reaction after a dose, reported by the person, their guardian or staff; a retried report returns
    the first one's id and records nothing more (the key is the caller's, else `reaction_key`)."""
    return ledger.report_reaction(
        person_id=person_id,
        onset=form.onset,
        symptoms=form.symptoms,
        severity=form.severity,
        actor=actor,
        idempotency_key=idempotency_key or reaction_key(ledger, person_id, form, actor),
        dose_id=form.dose_id,
    )


def declaration_key(ledger: Ledger, person_id: UUID, form: DeclarationForm, actor: Actor) -> str:
    """The idempotency key of a health declaration, derived from the request and Viet Nam's day: the same
    declaration sent again the same day is one declaration; tomorrow's, before another visit, is new.
    A keyed hash, like `reaction_key`."""
    request = json.dumps(
        [
            str(person_id),
            ledger.today().isoformat(),
            form.symptoms,
            form.exposure,
            form.travel,
            actor.actor_id,
            actor.role.value,
            str(actor.site_id or ""),
        ],
        ensure_ascii=False,
    )
    return "declaration-" + ledger.keys.master.fingerprint(b"declaration-request:" + request.encode("utf-8"))


def declare_health(
    ledger: Ledger,
    person_id: UUID,
    form: DeclarationForm,
    *,
    actor: Actor,
    idempotency_key: str | None = None,
) -> UUID:
    """A health declaration before a visit; sent again the same day it is recorded once (the key is the
    caller's, else `declaration_key`)."""
    return ledger.declare_health(
        person_id=person_id,
        symptoms=form.symptoms,
        exposure="yes" if form.exposure else "",
        travel=form.travel,
        actor=actor,
        idempotency_key=idempotency_key or declaration_key(ledger, person_id, form, actor),
    )


@dataclass(frozen=True)
class NextDose:
    """A person's next primary-series dose when they have no registration for it yet."""

    number: int
    product: str  # the previous dose's product (the next one is the same, or an allowed mix)
    due_on: date
    interval_days: int  # `Reference.min_days_between` of the product: the one interval rule


def next_dose(ledger: Ledger, person: Person) -> tuple[NextDose | None, int]:
    """(the next primary dose and when it falls due, or None; the doses of a completed primary series,
    or 0). The due day is the ledger's own (`next_dose`: the day the daily job registers the person)."""
    number, previous, earliest = ledger.next_dose(person)
    if previous is None or earliest is None:
        return None, 0
    vaccine = ledger.reference.vaccines.get(previous)
    if vaccine is None:
        return None, 0
    if number > vaccine.doses_in_primary_series:
        return None, vaccine.doses_in_primary_series
    interval = ledger.reference.min_days_between(previous, previous) or 0
    return NextDose(number, previous, earliest, interval), 0
