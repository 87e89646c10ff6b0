"""The site staff desk: find a person, register a walk-in, record a dose, report a reaction, correct.

Every rule (sequence, interval, lot at this site, dates) is the ledger's; the desk turns the form
into a ledger command with the staff member as actor and returns what the page shows next.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from ledger.application import Ledger
from ledger.errors import IdempotencyKeyReused, InvalidInput, PersonNotFound
from ledger.phone import normalise_phone
from ledger.values import Actor, NationalId, Role
from projections import stock_queries
from services.backend import Backend
from services.errors import (
    AlreadyRegisteredAtDesk,
    CorrectionDoseMissing,
    NationalIdDeclaredOnline,
    NoOneWithPhone,
    RecordNotFound,
)
from services.people import (
    FamilyMember,
    PersonForm,
    default_priority_group,
    family_member,
    parse_id,
    phone_family,
    records,
)


def fresh_key(prefix: str = "desk") -> str:
    """An idempotency key for a command sent once (forms carry their own, so a resend is one dose)."""
    return f"{prefix}-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class StaffMember:
    """Who is at the desk: an account and the site it is bound to (the CLI may act as another role)."""

    username: str
    site_id: UUID
    role: Role = Role.SITE_STAFF

    @property
    def actor(self) -> Actor:
        return Actor(actor_id=self.username, role=self.role, site_id=self.site_id)


def staff_member(username: str, site_id: str) -> StaffMember:
    """A site staff member from a session (the site id as stored there)."""
    return StaffMember(username=username, site_id=parse_id(site_id))


@dataclass(frozen=True)
class SiteSummary:
    id: str
    name: str
    code: str
    province_code: str


@dataclass(frozen=True)
class LotChoice:
    """A lot the dose form offers: held at this site and not expired today."""

    id: str
    label: str
    product: str
    lot_number: str
    expiry: str


@dataclass(frozen=True)
class DoseForm:
    """A dose as the desk form sends it; the product is the lot's."""

    lot_id: UUID
    given_on: date
    dose_number: int | None = None  # None: the person's next dose number
    idempotency_key: str = ""
    product: str | None = None  # None: the lot's; given (the CLI), the ledger checks it is the lot's


@dataclass(frozen=True)
class DoseResult:
    person_id: UUID
    dose_id: UUID
    dose_number: int
    mixed_products: bool
    lot_number: str
    vaccine: str

    def as_json(self) -> dict[str, object]:
        return {
            "person_id": str(self.person_id),
            "dose_id": str(self.dose_id),
            "dose_number": self.dose_number,
            "mixed_products": self.mixed_products,
            "lot_number": self.lot_number,
            "vaccine": self.vaccine,
        }


@dataclass(frozen=True)
class Correction:
    """One correction with its reason: a field's new value, or the dose to void."""

    field: str  # full_name, sex, date_of_birth, phone, void_dose
    value: str
    reason: str
    dose_id: UUID | None = None


def site(backend: Backend, site_id: UUID) -> SiteSummary:
    """The staff member's site, from the sites_and_lots view."""
    backend.read.refresh()
    found = backend.read.site(str(site_id))
    if found is None:
        return SiteSummary(id=str(site_id), name=str(site_id), code="", province_code="")
    return SiteSummary(id=found.id, name=found.name, code=found.code, province_code=found.province_code)


def site_lots(backend: Backend, site_id: UUID, *, today: date) -> list[LotChoice]:
    """The lots held at this site and usable today, for the dose form's picker: unexpired, and not used
    up (the today page's rule, `site_stock_queries.lots_at`: a lot the stock view counts at nothing left
    is left out; a lot the stock view has not seen yet is still offered)."""
    backend.read.refresh()
    vaccines = backend.reference.vaccines
    wanted = str(site_id)
    used_up = {
        row.site_lot_id
        for row in stock_queries.site_lots(backend.views, site_ids=[wanted])
        if row.remaining <= 0
    }
    lots = [
        LotChoice(
            id=lot.id,
            label=f"{vaccines[lot.product].name if lot.product in vaccines else lot.product} · "
            f"{lot.lot_number} · {lot.expiry.isoformat()}",
            product=lot.product,
            lot_number=lot.lot_number,
            expiry=lot.expiry.isoformat(),
        )
        for lot in backend.read.lots(site_ids=[wanted])
        if lot.expiry >= today and lot.id not in used_up
    ]
    return sorted(lots, key=lambda lot: lot.label)


def find_by_national_id(ledger: Ledger, national_id: str) -> UUID:
    """The person registered with this national ID (the ledger's own keyed index: one person per number)."""
    return ledger.person_by_national_id(national_id.strip()).person_id


@dataclass(frozen=True)
class IdSearch:
    """What a national ID finds at the desk: its confirmed owner (`person_id`), or else the people who
    typed it when registering online (`declared`, not yet confirmed: staff check the card)."""

    person_id: UUID | None
    declared: list[FamilyMember]


def search_national_id(backend: Backend, national_id: str) -> IdSearch:
    """The confirmed owner of this number (the ledger's claim index), or the people who declared it online
    (the declared-ID index, keyed with the web's key), erased people left out; PersonNotFound for neither."""
    try:
        return IdSearch(find_by_national_id(backend.ledger, national_id), [])
    except PersonNotFound as not_found:
        keys = backend.read.keys
        handle = keys.national_id(NationalId(national_id.strip()).number) if keys is not None else None
        held = backend.read.people_declaring_id(handle) if handle else []
        found = records(backend.ledger, held)
        declared = [
            family_member(
                found[p],
                backend.reference,
                "dependant" if found[p].guardian_id else "self",  # a guardian may type a child's ID
                backend.read.doses_of(p),
            )
            for p in held
            if p in found and not found[p].erased
        ]
        if not declared:
            raise not_found
        return IdSearch(None, declared)


def find_by_phone(backend: Backend, phone: str) -> list[FamilyMember]:
    """Everyone a phone number reaches: its holders and the dependants they manage (a child has no ID
    card; a parent gives their number). Read from the phone index and the people directory."""
    people = phone_family(backend, phone)
    if not people:
        raise NoOneWithPhone(
            "No one is registered with that phone number: check it, or find them by ID card."
        )
    return people


def register(
    ledger: Ledger,
    form: PersonForm,
    *,
    phone: str | None,
    actor: Actor,
    guardian_id: UUID | None = None,
    idempotency_key: str = "",
) -> UUID:
    """Register a person (a dependant with `guardian_id`); the ledger checks every field and who may."""
    return ledger.register_person(
        national_id=form.national_id,
        full_name=form.full_name,
        date_of_birth=form.date_of_birth,
        sex=form.sex,
        phone=normalise_phone(phone) if phone else None,
        ward_code=form.ward_code,
        priority_group=form.priority_group or default_priority_group(ledger.reference),
        actor=actor,
        idempotency_key=idempotency_key or fresh_key(),
        guardian_id=guardian_id,
        relationship=form.relationship if guardian_id is not None else None,
    )


def register_at_site(backend: Backend, form: PersonForm, *, phone: str | None, staff: StaffMember) -> UUID:
    """Staff register a walk-in (phone optional: it links the citizen's sign-in). Refused, writing nothing,
    when the number was declared online by someone not yet confirmed (`NationalIdDeclaredOnline`): that is
    most likely the same citizen, and a second record would claim the number and leave theirs
    unconfirmable. The ledger checks the numbers held online in the registration's own transaction
    (ledger.claims), so a citizen registering at the same moment cannot slip between check and write, and
    the CLI's registration is held to it too; the check here reads the declared-ID view first, which
    also knows holds made before the ledger kept them. The same form sent again gives the same person
    (`desk_registration_key`)."""
    ledger = backend.ledger
    _refuse_if_declared_online(backend, form.national_id)
    try:
        return register(
            ledger,
            form,
            phone=phone,
            actor=staff.actor,
            idempotency_key=desk_registration_key(ledger, staff, form),
        )
    except IdempotencyKeyReused:
        raise AlreadyRegisteredAtDesk(
            "This person (the same name, date of birth and ID number) was already registered at this desk "
            "today: find them by their ID number and correct other details on their page."
        ) from None


def _refuse_if_declared_online(backend: Backend, national_id: str | None) -> None:
    """Raise NationalIdDeclaredOnline if the number has no confirmed owner and someone (not erased)
    declared it online. A number with a confirmed owner is left to the ledger's claim (a resend of this
    very registration is answered with its person; anyone else is a duplicate); a malformed one to the
    ledger's own check, which says what is wrong with it."""
    keys = backend.read.keys
    if not national_id or not national_id.strip() or keys is None:
        return
    try:
        number = NationalId(national_id.strip()).number
    except InvalidInput:
        return
    try:
        find_by_national_id(backend.ledger, number)
        return
    except PersonNotFound:
        pass
    handle = keys.national_id(number)
    held = backend.read.people_declaring_id(handle) if handle else []
    if any(not r.erased for r in records(backend.ledger, held).values()):
        raise NationalIdDeclaredOnline(
            "Someone registered online with this ID number (not yet confirmed): do not register again; "
            "find them by this number, open their record, check the card and confirm the number."
        )


@dataclass(frozen=True)
class SameNumber:
    """Records of one ID number on both sides of a desk + online race: the one registered at a site (its
    number confirmed) and the online registrations that typed it (held: never confirmable)."""

    registered: FamilyMember | None  # shown on an online registration's page: the record to join it to
    online: list[FamilyMember]  # shown on the registered record's page: the registrations to join


def same_number(backend: Backend, person_id: UUID) -> SameNumber:
    """On a person's desk page: if their number is confirmed, the online registrations that typed it too;
    if it is held (typed online), the record registered at a site with it, if any. Staff see this beside
    the ID card, and join the records (`join_online_registration`)."""
    record = backend.ledger.person_record(person_id)
    keys = backend.read.keys
    if record.erased:
        return SameNumber(None, [])
    if record.claimed_national_id:  # typed online: is the number someone's at a site?
        owner = backend.ledger.find_person(record.claimed_national_id)
        if owner is None or owner == person_id or not backend.ledger.exists(owner):
            return SameNumber(None, [])
        found = records(backend.ledger, [owner])[owner]
        if found.erased:
            return SameNumber(None, [])
        return SameNumber(family_member(found, backend.reference, "self", backend.read.doses_of(owner)), [])
    if not record.national_id or keys is None:
        return SameNumber(None, [])
    handle = keys.national_id(record.national_id)
    held = [p for p in (backend.read.people_declaring_id(handle) if handle else []) if p != person_id]
    found_all = records(backend.ledger, held)
    online = [
        family_member(found_all[p], backend.reference, "self", backend.read.doses_of(p))
        for p in held
        if p in found_all and not found_all[p].erased
    ]
    return SameNumber(None, online)


def join_online_registration(
    backend: Backend, online_id: UUID, registered_id: UUID, *, staff: StaffMember
) -> None:
    """Join an online registration to the record registered at a site with the same number (the ledger
    checks the numbers match, moves phone, family, declarations and place in the queue, erases the online
    one). The same form sent twice is one join."""
    backend.ledger.join_online_registration(
        online_id=online_id,
        registered_id=registered_id,
        actor=staff.actor,
        idempotency_key=f"desk-join:{online_id.hex}:{registered_id.hex}",
    )


def desk_registration_key(ledger: Ledger, staff: StaffMember, form: PersonForm) -> str:
    """The idempotency key of a desk registration, derived from the request (as
    services.citizen.registration_key for the citizen's): the same staff account at the same site
    registering the same name, date of birth and national ID on the same day (Viet Nam's) is registering
    one person, so a resent form gets the first answer rather than "already registered". The ID is in the
    key (unlike the citizen's): the desk requires it and claims it, so two people with one name and birth
    date at one desk are told apart by their cards. A keyed hash (the master key's): receipt ids are in
    clear in the log and must not let anyone test guesses of a name, a birth date or a number."""
    name = " ".join(unicodedata.normalize("NFC", str(form.full_name)).split()).casefold()
    number = "".join(str(form.national_id or "").split())
    request = json.dumps(
        [f"desk:{staff.site_id}:{staff.username}", name, str(form.date_of_birth).strip(), number,
         ledger.today().isoformat()],
        ensure_ascii=False,
    )  # fmt: skip
    return "desk-registration-" + ledger.keys.master.fingerprint(
        b"desk-registration-request:" + request.encode("utf-8")
    )


def record_dose(ledger: Ledger, person_id: UUID, form: DoseForm, *, staff: StaffMember) -> DoseResult:
    """Record a dose at the staff member's site from the chosen lot (the ledger checks every rule,
    the lot being held at this site included)."""
    lot = ledger.dose_lot(form.lot_id)
    recorded = ledger.record_dose(
        person_id=person_id,
        dose_number=form.dose_number,  # None: the person's next, read by the command (one read)
        product=form.product or lot.product,
        lot_id=lot.id,
        administered_on=form.given_on,
        site_id=staff.site_id,
        actor=staff.actor,
        idempotency_key=form.idempotency_key or fresh_key(),
    )
    vaccine = ledger.reference.vaccines.get(lot.product)
    return DoseResult(
        person_id=recorded.person_id,
        dose_id=recorded.dose_id,
        dose_number=recorded.dose_number,
        mixed_products=recorded.mixed_products,
        lot_number=lot.lot_number,
        vaccine=vaccine.name if vaccine is not None else lot.product,
    )


def correct(ledger: Ledger, person_id: UUID, correction: Correction, *, staff: StaffMember) -> None:
    """Apply one correction (an event with a reason, never an edit)."""
    actor, reason, key = staff.actor, correction.reason, fresh_key()
    if correction.field == "void_dose":
        if correction.dose_id is None:
            raise CorrectionDoseMissing("Choose the dose to void.")
        ledger.void_dose(
            person_id=person_id, dose_id=correction.dose_id, reason=reason, actor=actor, idempotency_key=key
        )
    elif correction.field == "full_name":
        ledger.correct_name(
            person_id=person_id, full_name=correction.value, reason=reason, actor=actor, idempotency_key=key
        )
    elif correction.field == "sex":
        ledger.correct_sex(
            person_id=person_id, sex=correction.value, reason=reason, actor=actor, idempotency_key=key
        )
    elif correction.field == "date_of_birth":
        ledger.correct_date_of_birth(
            person_id=person_id,
            date_of_birth=correction.value,
            reason=reason,
            actor=actor,
            idempotency_key=key,
        )
    elif correction.field == "phone":
        ledger.correct_phone(
            person_id=person_id,
            phone=correction.value or None,
            reason=reason,
            actor=actor,
            idempotency_key=key,
        )
    else:
        raise RecordNotFound(f"There is no correction of {correction.field!r}.")


def declarations_visible_at(backend: Backend, person_id: UUID, site_id: UUID | str, *, today: date) -> bool:
    """Whether staff of `site_id` see the person's health declarations (issue 12: declarations go to the
    site the person is booked at). A person with a coming appointment (booked or arrived, today or later)
    has their declarations shown at that site only; a walk-in with none is shown at the desk that has
    them in front of it."""
    from services.campaign import CampaignService

    coming = [
        a
        for a in CampaignService(backend.ledger, backend.views).my_appointments(person_id)
        if a.status in ("booked", "arrived") and a.day >= today.isoformat()
    ]
    return not coming or any(a.site_id == str(site_id) for a in coming)
