"""Aggregates and events of the immunization ledger (no framework, no crypto, no database).

Following eventsourcing's bankaccounts/cargoshipping examples: events are named in the past tense
and declared as explicit classes (so they can be upcast later), the `@event` methods only apply
state (replay never depends on today's rules), and the business rules live in plain methods that
check first and then call the `@event` method. Times and ids are passed in, never read inside.

Every event carries `actor` (who: id, role, site) and `at` (when, timezone-aware UTC).
Personal fields are `PersonalData` values, sealed with the person's own key by the application.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ledger.errors import (
    DoseNotAfterPrevious,
    DoseNotFound,
    DoseOutOfSequence,
    IntervalTooShort,
    PersonErasedError,
    ReactionNotFound,
    RuleViolation,
)
from ledger.receipt_model import Receipt as Receipt  # moved by issue 11; importable from here as before
from ledger.site_model import VaccinationSite as VaccinationSite
from ledger.site_model import VaccineLot as VaccineLot
from ledger.values import Actor, PersonalData, Severity, Sex


@dataclass(frozen=True)
class Dose:
    """A dose as the person's record holds it (state, rebuilt from events)."""

    dose_id: UUID
    dose_number: int
    product: str  # EU DCC medicinal product code (vaccines.csv mp_code)
    lot_id: UUID
    lot_number: str
    administered_on: date
    site_id: UUID
    vaccinator_id: str
    mixed_products: bool  # a different product from the previous dose (heterologous: flagged, not refused)
    recorded_by: Actor
    recorded_at: datetime
    voided: bool = False


@dataclass(frozen=True)
class Reaction:
    """An adverse reaction report on the person's record (state)."""

    reaction_id: UUID
    dose_id: UUID | None
    onset: date
    symptoms: PersonalData
    severity: Severity
    reported_by: Actor
    reported_at: datetime
    follow_ups: tuple[str, ...] = ()  # outcomes recorded by staff (sealed text is kept in events only)
    follow_up_done: bool = False

    @property
    def needs_follow_up(self) -> bool:
        """Serious reactions need a recorded follow-up by staff."""
        return self.severity is Severity.SERIOUS and not self.follow_up_done


@dataclass(frozen=True)
class Declaration:
    """A health declaration on the person's record (state): shown in the health book and at the desk."""

    declaration_id: UUID
    symptoms: PersonalData
    exposure: PersonalData
    travel: PersonalData
    has_symptoms: bool
    declared_by: Actor
    declared_at: datetime


class Person(Aggregate):
    """A person in the campaign: identity, residence, priority group, family links, doses, reactions."""

    id: UUID  # given by the application (random, never derived from personal data): keys exist before events

    class Registered(Aggregate.Created):
        """A person was registered (a dependant has a guardian and may have no national ID)."""

        actor: Actor
        at: datetime
        national_id: PersonalData | None
        full_name: PersonalData
        date_of_birth: PersonalData  # PartialDate.isoformat(), sealed
        birth_year: int  # clear on purpose: age-band statistics survive erasure
        sex: Sex
        phone: PersonalData | None
        ward_code: str  # GSO ward code (wards.csv)
        province_code: str  # GSO province code, derived from the ward at registration
        priority_group: str  # code from priority_groups.csv
        guardian_id: UUID | None

    @event(Registered)
    def __init__(
        self,
        actor: Actor,
        at: datetime,
        national_id: PersonalData | None,
        full_name: PersonalData,
        date_of_birth: PersonalData,
        birth_year: int,
        sex: Sex,
        phone: PersonalData | None,
        ward_code: str,
        province_code: str,
        priority_group: str,
        guardian_id: UUID | None,
    ) -> None:
        self.national_id = national_id
        self.full_name = full_name
        self.date_of_birth = date_of_birth
        self.birth_year = birth_year
        self.sex = Sex(sex)  # stored as text: back to the enum on replay
        self.phone = phone
        self.ward_code = ward_code
        self.province_code = province_code
        self.priority_group = priority_group
        self.guardian_id = guardian_id
        self.registered_at_site: UUID | None = actor.site_id  # for who may correct (ledger.permissions)
        self.dependant_ids: list[UUID] = []
        self.relationships: dict[UUID, str] = {}  # dependant -> child, parent, grandparent, other
        self.doses: list[Dose] = []
        self.reactions: list[Reaction] = []
        self.declarations = 0
        self.health_declarations: list[Declaration] = []
        self.erased = False
        self.registered_at = at

    # ---- family -------------------------------------------------------------------------------

    class DependantAdded(Aggregate.Event):
        """This person (the guardian) now manages a dependant's record."""

        actor: Actor
        at: datetime
        dependant_id: UUID
        relationship: str  # "child", "parent", "grandparent", "other"

    def add_dependant(self, dependant_id: UUID, relationship: str, actor: Actor, at: datetime) -> None:
        """Link a dependant to this guardian (the dependant was registered with guardian_id = self.id)."""
        self._require_not_erased()
        if self.guardian_id is not None:
            raise RuleViolation("A dependant cannot be a guardian: register the family under an adult.")
        if dependant_id == self.id or dependant_id in self.dependant_ids:
            raise RuleViolation("That dependant is already linked to this guardian.")
        self._dependant_added(actor=actor, at=at, dependant_id=dependant_id, relationship=relationship)

    @event(DependantAdded)
    def _dependant_added(self, actor: Actor, at: datetime, dependant_id: UUID, relationship: str) -> None:
        self.dependant_ids.append(dependant_id)
        self.relationships[dependant_id] = relationship

    class GuardianLinked(Aggregate.Event):
        """This person, registered on their own, is now managed by a guardian (linked by staff). Saved with
        the guardian's `DependantAdded`, so a concurrent erasure or a second guardian conflicts."""

        actor: Actor
        at: datetime
        guardian_id: UUID
        relationship: str

    def link_guardian(self, guardian_id: UUID, relationship: str, actor: Actor, at: datetime) -> None:
        """Have `guardian_id` manage this person's record (one guardian per person)."""
        self._require_not_erased()
        if self.guardian_id is not None:
            raise RuleViolation(
                "This person is already managed by a guardian: a person has one guardian; ask them, or "
                "register the dependant under the guardian who manages them."
            )
        if self.dependant_ids:
            raise RuleViolation("A guardian cannot be a dependant: register the family under an adult.")
        self._guardian_linked(actor=actor, at=at, guardian_id=guardian_id, relationship=relationship)

    def move_to_guardian(self, guardian_id: UUID, relationship: str, actor: Actor, at: datetime) -> None:
        """This dependant's guardian's online registration was joined to their record registered at a site
        (ledger.campaign.join_commands): the same guardian, under their one record now."""
        self._require_not_erased()
        if self.guardian_id is None:
            raise RuleViolation("This person has no guardian to move from.")
        self._guardian_linked(actor=actor, at=at, guardian_id=guardian_id, relationship=relationship)

    @event(GuardianLinked)
    def _guardian_linked(self, actor: Actor, at: datetime, guardian_id: UUID, relationship: str) -> None:
        self.guardian_id = guardian_id

    # ---- doses --------------------------------------------------------------------------------

    class DoseAdministered(Aggregate.Event):
        """A dose was given. `mixed_products` flags a product different from the previous dose."""

        actor: Actor
        at: datetime
        dose_id: UUID
        dose_number: int
        product: str
        lot_id: UUID
        lot_number: str
        administered_on: date
        site_id: UUID
        vaccinator_id: str
        mixed_products: bool

    @property
    def active_doses(self) -> list[Dose]:
        """Doses that count (not voided), in the order given."""
        return [d for d in self.doses if not d.voided]

    @property
    def next_dose_number(self) -> int:
        """The number the next dose must carry (the one place it is computed: records and pages read it)."""
        return len(self.active_doses) + 1

    def administer_dose(
        self,
        *,
        dose_id: UUID,
        dose_number: int,
        product: str,
        lot_id: UUID,
        lot_number: str,
        administered_on: date,
        site_id: UUID,
        vaccinator_id: str,
        min_interval_days: int | None,
        actor: Actor,
        at: datetime,
    ) -> None:
        """Record a dose after checking sequence and interval (lot, dates and product checked by the caller)."""
        self._require_not_erased()
        expected = self.next_dose_number
        if dose_number != expected:
            raise DoseOutOfSequence(
                f"This person's next dose is number {expected}, not {dose_number}: "
                "check the vaccination card, or void a wrong dose first.",
                dose_number=dose_number,
                expected=expected,
            )
        previous = self.active_doses[-1] if self.active_doses else None
        if previous is not None and min_interval_days is not None:
            gap = (administered_on - previous.administered_on).days
            if gap < min_interval_days:
                earliest = date.fromordinal(previous.administered_on.toordinal() + min_interval_days)
                raise IntervalTooShort(
                    f"Only {gap} days since dose {previous.dose_number}; {product} needs at least "
                    f"{min_interval_days}: give this dose on or after {earliest}.",
                    dose_number=dose_number,
                    previous_number=previous.dose_number,
                    previous_on=previous.administered_on,
                    min_days=min_interval_days,
                    days=gap,
                    earliest=earliest,
                )
        if previous is not None and previous.administered_on >= administered_on:
            raise DoseNotAfterPrevious(
                f"Dose {dose_number} on {administered_on} is not after dose {previous.dose_number} "
                f"on {previous.administered_on}: check the dates.",
                dose_number=dose_number,
                given_on=administered_on,
                previous_number=previous.dose_number,
                previous_on=previous.administered_on,
            )
        mixed = previous is not None and previous.product != product
        self._dose_administered(
            actor=actor,
            at=at,
            dose_id=dose_id,
            dose_number=dose_number,
            product=product,
            lot_id=lot_id,
            lot_number=lot_number,
            administered_on=administered_on,
            site_id=site_id,
            vaccinator_id=vaccinator_id,
            mixed_products=mixed,
        )

    @event(DoseAdministered)
    def _dose_administered(
        self,
        actor: Actor,
        at: datetime,
        dose_id: UUID,
        dose_number: int,
        product: str,
        lot_id: UUID,
        lot_number: str,
        administered_on: date,
        site_id: UUID,
        vaccinator_id: str,
        mixed_products: bool,
    ) -> None:
        self.doses.append(
            Dose(
                dose_id=dose_id,
                dose_number=dose_number,
                product=product,
                lot_id=lot_id,
                lot_number=lot_number,
                administered_on=administered_on,
                site_id=site_id,
                vaccinator_id=vaccinator_id,
                mixed_products=mixed_products,
                recorded_by=actor,
                recorded_at=at,
            )
        )

    class DoseCorrected(Aggregate.Event):
        """A dose's details were corrected (all details restated; the dose number does not change)."""

        actor: Actor
        at: datetime
        dose_id: UUID
        product: str
        lot_id: UUID
        lot_number: str
        administered_on: date
        site_id: UUID
        vaccinator_id: str
        mixed_products: bool
        reason: str

    def sites_that_know(self) -> frozenset[UUID | None]:
        """The sites that registered this person or gave them a dose (a snapshot may predate the first)."""
        registered = getattr(self, "registered_at_site", None)
        return frozenset(
            {d.site_id for d in self.doses if not d.voided} | ({registered} if registered else set())
        )

    def dose(self, dose_id: UUID) -> Dose:
        """The non-voided dose with that id."""
        for d in self.doses:
            if d.dose_id == dose_id and not d.voided:
                return d
        raise DoseNotFound(f"This person has no recorded dose {dose_id}: check the dose id.")

    def correct_dose(
        self,
        *,
        dose_id: UUID,
        product: str,
        lot_id: UUID,
        lot_number: str,
        administered_on: date,
        site_id: UUID,
        vaccinator_id: str,
        reason: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        """Correct a dose's details; the order of doses by date must still hold."""
        self._require_not_erased()
        target = self.dose(dose_id)
        active = self.active_doses
        index = active.index(target)
        before = active[index - 1] if index > 0 else None
        after = active[index + 1] if index + 1 < len(active) else None
        if (before and before.administered_on >= administered_on) or (
            after and after.administered_on <= administered_on
        ):
            raise DoseOutOfSequence(
                f"A dose on {administered_on} would be out of order with the other doses: check the date."
            )
        mixed = before is not None and before.product != product
        self._dose_corrected(
            actor=actor,
            at=at,
            dose_id=dose_id,
            product=product,
            lot_id=lot_id,
            lot_number=lot_number,
            administered_on=administered_on,
            site_id=site_id,
            vaccinator_id=vaccinator_id,
            mixed_products=mixed,
            reason=reason,
        )

    @event(DoseCorrected)
    def _dose_corrected(
        self,
        actor: Actor,
        at: datetime,
        dose_id: UUID,
        product: str,
        lot_id: UUID,
        lot_number: str,
        administered_on: date,
        site_id: UUID,
        vaccinator_id: str,
        mixed_products: bool,
        reason: str,
    ) -> None:
        self.doses = [
            replace(
                d,
                product=product,
                lot_id=lot_id,
                lot_number=lot_number,
                administered_on=administered_on,
                site_id=site_id,
                vaccinator_id=vaccinator_id,
                mixed_products=mixed_products,
            )
            if d.dose_id == dose_id
            else d
            for d in self.doses
        ]

    class DoseVoided(Aggregate.Event):
        """A dose recorded by mistake no longer counts; later doses are renumbered."""

        actor: Actor
        at: datetime
        dose_id: UUID
        reason: str

    def void_dose(self, *, dose_id: UUID, reason: str, actor: Actor, at: datetime) -> None:
        """Void a dose recorded by mistake."""
        self._require_not_erased()
        self.dose(dose_id)
        self._dose_voided(actor=actor, at=at, dose_id=dose_id, reason=reason)

    @event(DoseVoided)
    def _dose_voided(self, actor: Actor, at: datetime, dose_id: UUID, reason: str) -> None:
        doses = [replace(d, voided=True) if d.dose_id == dose_id else d for d in self.doses]
        number = 0
        renumbered = []
        for d in doses:
            if not d.voided:
                number += 1
                d = replace(d, dose_number=number)
            renumbered.append(d)
        self.doses = renumbered

    # ---- reactions and declarations -----------------------------------------------------------

    class AdverseReactionReported(Aggregate.Event):
        """An adverse reaction after a dose was reported (by the person, a guardian or staff)."""

        actor: Actor
        at: datetime
        reaction_id: UUID
        dose_id: UUID | None
        onset: date
        symptoms: PersonalData
        severity: Severity

    def report_reaction(
        self,
        *,
        reaction_id: UUID,
        dose_id: UUID | None,
        onset: date,
        symptoms: PersonalData,
        severity: Severity,
        actor: Actor,
        at: datetime,
    ) -> None:
        """Record an adverse reaction report; serious ones then need a follow-up."""
        self._require_not_erased()
        if dose_id is not None:
            given = self.dose(dose_id)
            if onset < given.administered_on:
                raise RuleViolation(
                    f"The onset {onset} is before the dose of {given.administered_on}: check the onset date."
                )
        self._reaction_reported(
            actor=actor,
            at=at,
            reaction_id=reaction_id,
            dose_id=dose_id,
            onset=onset,
            symptoms=symptoms,
            severity=severity,
        )

    @event(AdverseReactionReported)
    def _reaction_reported(
        self,
        actor: Actor,
        at: datetime,
        reaction_id: UUID,
        dose_id: UUID | None,
        onset: date,
        symptoms: PersonalData,
        severity: Severity,
    ) -> None:
        self.reactions.append(
            Reaction(
                reaction_id=reaction_id,
                dose_id=dose_id,
                onset=onset,
                symptoms=symptoms,
                severity=Severity(severity),  # stored as text: back to the enum on replay
                reported_by=actor,
                reported_at=at,
            )
        )

    class ReactionFollowUpRecorded(Aggregate.Event):
        """Staff followed up a reaction (outcome sealed: it is health data); `resolved` closes it."""

        actor: Actor
        at: datetime
        reaction_id: UUID
        outcome: PersonalData
        resolved: bool

    def reaction(self, reaction_id: UUID) -> Reaction:
        """The reaction report with that id."""
        for r in self.reactions:
            if r.reaction_id == reaction_id:
                return r
        raise ReactionNotFound(f"This person has no reaction report {reaction_id}: check the id.")

    def record_follow_up(
        self, *, reaction_id: UUID, outcome: PersonalData, resolved: bool, actor: Actor, at: datetime
    ) -> None:
        """Record a follow-up of a reaction (who may: ledger.permissions)."""
        self._require_not_erased()
        self.reaction(reaction_id)
        self._follow_up_recorded(
            actor=actor, at=at, reaction_id=reaction_id, outcome=outcome, resolved=resolved
        )

    @event(ReactionFollowUpRecorded)
    def _follow_up_recorded(
        self, actor: Actor, at: datetime, reaction_id: UUID, outcome: PersonalData, resolved: bool
    ) -> None:
        self.reactions = [
            replace(
                r, follow_ups=(*r.follow_ups, at.isoformat()), follow_up_done=r.follow_up_done or resolved
            )
            if r.reaction_id == reaction_id
            else r
            for r in self.reactions
        ]

    class HealthDeclared(Aggregate.Event):
        """A health declaration: symptoms, exposure and travel (all sealed), `has_symptoms` in clear."""

        actor: Actor
        at: datetime
        declaration_id: UUID
        symptoms: PersonalData
        exposure: PersonalData
        travel: PersonalData
        has_symptoms: bool

    def declare_health(
        self,
        *,
        declaration_id: UUID,
        symptoms: PersonalData,
        exposure: PersonalData,
        travel: PersonalData,
        has_symptoms: bool,
        actor: Actor,
        at: datetime,
    ) -> None:
        """Record a health declaration."""
        self._require_not_erased()
        self._health_declared(
            actor=actor,
            at=at,
            declaration_id=declaration_id,
            symptoms=symptoms,
            exposure=exposure,
            travel=travel,
            has_symptoms=has_symptoms,
        )

    @event(HealthDeclared)
    def _health_declared(
        self,
        actor: Actor,
        at: datetime,
        declaration_id: UUID,
        symptoms: PersonalData,
        exposure: PersonalData,
        travel: PersonalData,
        has_symptoms: bool,
    ) -> None:
        self.declarations += 1
        self.health_declarations.append(
            Declaration(declaration_id, symptoms, exposure, travel, has_symptoms, actor, at)
        )

    # ---- corrections of identity --------------------------------------------------------------

    class NameCorrected(Aggregate.Event):
        """The full name was corrected."""

        actor: Actor
        at: datetime
        full_name: PersonalData
        reason: str

    def correct_name(self, *, full_name: PersonalData, reason: str, actor: Actor, at: datetime) -> None:
        """Correct the full name."""
        self._require_not_erased()
        self._name_corrected(actor=actor, at=at, full_name=full_name, reason=reason)

    @event(NameCorrected)
    def _name_corrected(self, actor: Actor, at: datetime, full_name: PersonalData, reason: str) -> None:
        self.full_name = full_name

    class SexCorrected(Aggregate.Event):
        """The recorded sex was corrected."""

        actor: Actor
        at: datetime
        sex: Sex
        reason: str

    def correct_sex(self, *, sex: Sex, reason: str, actor: Actor, at: datetime) -> None:
        """Correct the recorded sex."""
        self._require_not_erased()
        self._sex_corrected(actor=actor, at=at, sex=sex, reason=reason)

    @event(SexCorrected)
    def _sex_corrected(self, actor: Actor, at: datetime, sex: Sex, reason: str) -> None:
        self.sex = Sex(sex)

    class DateOfBirthCorrected(Aggregate.Event):
        """The date of birth was corrected."""

        actor: Actor
        at: datetime
        date_of_birth: PersonalData
        birth_year: int
        reason: str

    def correct_date_of_birth(
        self,
        *,
        date_of_birth: PersonalData,
        birth_year: int,
        earliest: date,
        reason: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        """Correct the date of birth; no recorded dose may then fall before birth."""
        self._require_not_erased()
        first = self.active_doses[0] if self.active_doses else None
        if first is not None and first.administered_on < earliest:
            raise RuleViolation(
                f"Dose 1 was given on {first.administered_on}, before that date of birth: check the date."
            )
        self._dob_corrected(
            actor=actor, at=at, date_of_birth=date_of_birth, birth_year=birth_year, reason=reason
        )

    @event(DateOfBirthCorrected)
    def _dob_corrected(
        self, actor: Actor, at: datetime, date_of_birth: PersonalData, birth_year: int, reason: str
    ) -> None:
        self.date_of_birth = date_of_birth
        self.birth_year = birth_year

    class PhoneCorrected(Aggregate.Event):
        """The phone number was corrected."""

        actor: Actor
        at: datetime
        phone: PersonalData | None
        reason: str

    def correct_phone(self, *, phone: PersonalData | None, reason: str, actor: Actor, at: datetime) -> None:
        """Correct (or remove) the phone number."""
        self._require_not_erased()
        self._phone_corrected(actor=actor, at=at, phone=phone, reason=reason)

    @event(PhoneCorrected)
    def _phone_corrected(self, actor: Actor, at: datetime, phone: PersonalData | None, reason: str) -> None:
        self.phone = phone

    # ---- a national ID typed by the citizen, held until staff see the card ----------------------

    class NationalIdHeld(Aggregate.Event):
        """A citizen typed this national ID when registering online; it waits for the card (issue 12, item 10)."""

        actor: Actor
        at: datetime
        national_id: PersonalData

    def hold_national_id(self, *, national_id: PersonalData, actor: Actor, at: datetime) -> None:
        """Keep a self-declared national ID aside until staff confirm it against the ID card."""
        self._require_not_erased()
        self._national_id_held(actor=actor, at=at, national_id=national_id)

    @event(NationalIdHeld)
    def _national_id_held(self, actor: Actor, at: datetime, national_id: PersonalData) -> None:
        self.held_national_id: PersonalData | None = national_id

    class NationalIdConfirmed(Aggregate.Event):
        """Staff saw the ID card: the held national ID becomes the person's."""

        actor: Actor
        at: datetime

    def confirm_national_id(self, *, actor: Actor, at: datetime) -> None:
        self._require_not_erased()
        if self.pending_national_id is None:
            raise RuleViolation("This person has no national ID number waiting for confirmation.")
        self._national_id_confirmed(actor=actor, at=at)

    @event(NationalIdConfirmed)
    def _national_id_confirmed(self, actor: Actor, at: datetime) -> None:
        self.national_id = self.held_national_id
        self.held_national_id = None

    @property
    def pending_national_id(self) -> PersonalData | None:
        """The held national ID (None when there is none, or the person was registered before holding)."""
        held: PersonalData | None = getattr(self, "held_national_id", None)
        return held

    # ---- erasure ------------------------------------------------------------------------------

    class Erased(Aggregate.Event):
        """The person's personal data was erased (their key destroyed); projections purge their rows."""

        actor: Actor
        at: datetime
        reason: str

    def erase(self, *, reason: str, actor: Actor, at: datetime) -> None:
        """Mark the person erased (the application then destroys their key)."""
        self._require_not_erased()  # who may erase: ledger.permissions
        self._erased(actor=actor, at=at, reason=reason)

    @event(Erased)
    def _erased(self, actor: Actor, at: datetime, reason: str) -> None:
        self.erased = True

    def _require_not_erased(self) -> None:
        if self.erased:
            raise PersonErasedError("This person was erased: register them again if they come back.")
