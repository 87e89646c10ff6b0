"""Typed forms and records shared by the citizen and desk use cases: a person, a health book, an id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from ledger.application import VIETNAM_TIME, Ledger
from ledger.domainmodel import Declaration, Reaction
from ledger.errors import InvalidInput
from ledger.phone import normalise_phone
from ledger.records import PersonRecord
from ledger.reference import Reference
from ledger.status import VaccinationStatus, vaccination_status
from projections import directory_queries
from projections.book_queries import BookCertificate, BookDose
from projections.registry import catch_up_views
from projections.store import ViewStore
from services.backend import Backend
from services.errors import RecordNotFound


def parse_id(text: str) -> UUID:
    """An id from a link or form; anything that is not one answers 'not found' (no hint why)."""
    try:
        return UUID(str(text))
    except ValueError:
        raise RecordNotFound(f"{str(text)[:40]!r} is not a record id.") from None


@dataclass(frozen=True)
class PersonForm:
    """A person as typed on a registration form (the ledger checks and normalises every field)."""

    full_name: str
    date_of_birth: str  # YYYY, YYYY-MM or YYYY-MM-DD
    sex: str
    ward_code: str
    national_id: str | None = None
    priority_group: str | None = None  # None: the lowest-ranked group (everyone else)
    relationship: str | None = None  # dependants only


def records(ledger: Ledger, person_ids: Sequence[UUID]) -> dict[UUID, PersonRecord]:
    """The records of these people, loaded together (personal data opened, or "[erased]"): their
    streams in one read and their data keys in one more (not one per person)."""
    people = ledger.get_people(person_ids)
    ledger.keys.prefetch(people)
    return {person_id: PersonRecord.of(person) for person_id, person in people.items()}


def list_people(ledger: Ledger, views: ViewStore, *, limit: int = 100, after: int = 0) -> list[PersonRecord]:
    """People in registration order, from the people directory view (caught up first): the `limit`
    first after registration number `after`. The records come from the ledger (names opened)."""
    if limit < 1:
        raise InvalidInput("The limit must be at least 1.")
    catch_up_views(ledger, views, ["people_directory"])
    entries = directory_queries.people(views, after=after, limit=limit)
    found = records(ledger, [e.person_id for e in entries])
    return [found[e.person_id] for e in entries if e.person_id in found]


def phone_family(backend: Backend, phone: str) -> list[FamilyMember]:
    """The holders of this phone and the dependants each manages, holder first, erased people left out.

    Read from the views: the phone index (the web's keyed handle of the number, never the number)
    finds the holders, the people directory their dependants; names come from the ledger (opened
    only now, in one read), doses from the health-book view in one statement for everyone: a family
    of six costs the statements a family of one does. Caught up first: a holder registered a moment
    ago is found at once.
    """
    if backend.phone_key is None:
        return []
    key = backend.phone_key(normalise_phone(phone))
    holders = backend.read.people_with_phone(key)  # refreshed first
    dependants = backend.read.dependants_of(holders)
    everyone = [*holders, *(d.person_id for d in dependants)]
    found = records(backend.ledger, everyone)
    doses = backend.read.doses_of_people(everyone)  # one statement for the whole family
    people: list[FamilyMember] = []
    for holder in holders:
        record = found.get(holder)
        if record is None or record.erased:
            continue
        people.append(family_member(record, backend.reference, "self", doses.get(holder, [])))
        for entry in dependants:
            dependant = found.get(entry.person_id)
            if entry.guardian_id == holder and dependant is not None and not dependant.erased:
                mine = doses.get(entry.person_id, [])
                people.append(family_member(dependant, backend.reference, "dependant", mine))
    return people


def default_priority_group(reference: Reference) -> str:
    """The group of people in no priority group (the lowest rank)."""
    return max(reference.priority_groups.values(), key=lambda g: g.rank).code


def status_of(doses: Sequence[BookDose], reference: Reference) -> VaccinationStatus:
    """The green/yellow/none status of these doses (ledger.status, the one rule), oldest first."""
    ordered = sorted(doses, key=lambda d: d.day)
    return vaccination_status([d.product for d in ordered], reference.vaccines)


@dataclass(frozen=True)
class FamilyMember:
    """One person a phone signs in for: the holder, or a dependant they manage."""

    id: str
    full_name: str
    date_of_birth: str
    relation: str  # "self" or "dependant"
    guardian_id: str | None
    doses: int
    status: str  # green, yellow, none
    status_reason: str

    def as_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def family_member(
    record: PersonRecord, reference: Reference, relation: str, doses: Sequence[BookDose]
) -> FamilyMember:
    """A family line: the name from the ledger, the doses and status from the health-book view."""
    status = status_of(doses, reference)
    return FamilyMember(
        id=str(record.person_id),
        full_name=record.display_name,
        date_of_birth=record.date_of_birth,
        relation=relation,
        guardian_id=str(record.guardian_id) if record.guardian_id else None,
        doses=len(doses),
        status=status.colour.value,
        status_reason=status.reason.value,
    )


@dataclass(frozen=True)
class DoseLine:
    """A dose as the health book shows it."""

    dose_id: str
    dose_number: int
    product: str
    vaccine: str
    lot_id: str
    lot_number: str
    date: str  # ISO date
    site_id: str
    site_name: str
    vaccinator_id: str
    mixed_products: bool


@dataclass(frozen=True)
class ReactionLine:
    """A reported reaction as the health book shows it (symptoms are the reporter's words)."""

    reaction_id: str
    dose_id: str | None
    onset: str
    symptoms: str
    severity: str
    needs_follow_up: bool
    reported_by_role: str


@dataclass(frozen=True)
class DeclarationLine:
    """A health declaration as the health book and the desk show it (newest last)."""

    declaration_id: str
    declared_on: str  # ISO date
    symptoms: str  # "-" when none
    exposure: str
    travel: str  # "-" when nowhere
    has_symptoms: bool
    declared_by_role: str


@dataclass(frozen=True)
class CertificateLine:
    """A certificate the person was given: superseded ones stay valid; a revoked one says why."""

    uci: str
    dose_number: int
    series_doses: int
    issued_on: str  # ISO date
    state: str  # current, superseded, revoked
    reason: str | None
    revoked_on: str | None


@dataclass(frozen=True)
class HealthBook:
    """One person's record as citizen and staff pages show it (never the phone number); which part is read
    from the views and which from the ledger is said in services.citizen."""

    id: str
    national_id: str | None
    full_name: str
    display_name: str
    date_of_birth: str
    sex: str
    ward_code: str
    province_code: str
    priority_group: str
    guardian_id: str | None
    dependant_ids: tuple[str, ...]
    doses: tuple[DoseLine, ...]
    reactions: tuple[ReactionLine, ...]
    declarations: tuple[DeclarationLine, ...]
    certificates: tuple[CertificateLine, ...]  # newest first
    erased: bool
    status: str  # green, yellow, none
    status_reason: str
    next_dose_number: int
    # A number typed online, waiting for staff to see the card (never which number, nor whether a site
    # registered it already: the page says the same to everyone, issue 12).
    national_id_pending: bool = False

    def as_json(self) -> dict[str, object]:
        lists = ("doses", "reactions", "declarations", "certificates", "dependant_ids")
        data = {k: v for k, v in self.__dict__.items() if k not in lists}
        data["person_id"] = self.id
        data["dependant_ids"] = list(self.dependant_ids)
        data["doses"] = [d.__dict__ for d in self.doses]
        data["reactions"] = [r.__dict__ for r in self.reactions]
        data["declarations"] = [d.__dict__ for d in self.declarations]
        data["certificates"] = [c.__dict__ for c in self.certificates]
        return data


def dose_line(dose: BookDose, reference: Reference, site_names: dict[str, str]) -> DoseLine:
    vaccine = reference.vaccines.get(dose.product)
    return DoseLine(
        dose_id=dose.dose_id,
        dose_number=dose.dose_number,
        product=dose.product,
        vaccine=vaccine.name if vaccine is not None else dose.product,
        lot_id=dose.lot_id,
        lot_number=dose.lot_number,
        date=dose.day.isoformat(),
        site_id=dose.site_id,
        site_name=site_names.get(dose.site_id, ""),
        vaccinator_id=dose.vaccinator_id,
        mixed_products=dose.mixed_products,
    )


def reaction_line(reaction: Reaction) -> ReactionLine:
    return ReactionLine(
        reaction_id=str(reaction.reaction_id),
        dose_id=str(reaction.dose_id) if reaction.dose_id else None,
        onset=reaction.onset.isoformat(),
        symptoms=reaction.symptoms.text,
        severity=reaction.severity.value,
        needs_follow_up=reaction.needs_follow_up,
        reported_by_role=reaction.reported_by.role.value,
    )


def declaration_line(declaration: Declaration) -> DeclarationLine:
    return DeclarationLine(
        declaration_id=str(declaration.declaration_id),
        declared_on=declaration.declared_at.astimezone(VIETNAM_TIME)
        .date()
        .isoformat(),  # the day in Viet Nam
        symptoms=declaration.symptoms.text,
        exposure=declaration.exposure.text,
        travel=declaration.travel.text,
        has_symptoms=declaration.has_symptoms,
        declared_by_role=declaration.declared_by.role.value,
    )


def certificate_line(certificate: BookCertificate) -> CertificateLine:
    revoked = certificate.status == "revoked"
    return CertificateLine(
        uci=certificate.uci,
        dose_number=certificate.dose_number,
        series_doses=certificate.series_doses,
        issued_on=certificate.issued_on,
        state=certificate.status,
        reason=certificate.reason if revoked else None,
        revoked_on=certificate.changed_on if revoked else None,
    )


def health_book_of(
    record: PersonRecord,
    reference: Reference,
    doses: Sequence[BookDose],
    site_names: dict[str, str],
    certificates: Sequence[BookCertificate] = (),
) -> HealthBook:
    """The page's health book: identity, reactions and declarations from the ledger record (sealed
    personal data, opened here); doses, status and certificates from the views (services.citizen)."""
    status = status_of(doses, reference)
    return HealthBook(
        id=str(record.person_id),
        national_id=record.national_id,
        full_name=record.full_name,
        display_name=record.display_name,
        date_of_birth=record.date_of_birth,
        sex=record.sex,
        ward_code=record.ward_code,
        province_code=record.province_code,
        priority_group=record.priority_group,
        guardian_id=str(record.guardian_id) if record.guardian_id else None,
        dependant_ids=tuple(str(d) for d in record.dependant_ids),
        doses=tuple(dose_line(d, reference, site_names) for d in doses),
        reactions=tuple(reaction_line(r) for r in record.reactions),
        declarations=tuple(declaration_line(d) for d in record.declarations),
        certificates=tuple(certificate_line(c) for c in certificates),  # newest first
        erased=record.erased,
        status=status.colour.value,
        status_reason=status.reason.value,
        next_dose_number=record.next_dose_number,
        national_id_pending=bool(record.claimed_national_id),
    )


@dataclass(frozen=True)
class ReactionForm:
    """A reaction report: when it started, what, how bad, after which dose (if known)."""

    onset: date
    symptoms: str
    severity: str
    dose_id: UUID | None = None


@dataclass(frozen=True)
class DeclarationForm:
    """A health declaration before a visit."""

    symptoms: str
    exposure: bool
    travel: str
