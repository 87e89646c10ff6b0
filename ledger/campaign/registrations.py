"""A registration: one person's intent to receive one dose, and its place in the queue.

One aggregate per person and dose number (id derived from both), so the store itself refuses a
second registration for the same dose. While booked it holds the appointment; a released
appointment (cancelled, session cancelled, no-show) puts the person back in the queue with the
same registration time, so they keep their original priority.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ledger.campaign.errors import AlreadyBooked, AlreadyRegistered, RegistrationClosed
from ledger.campaign.values import Language, RegistrationStatus
from ledger.errors import RuleViolation
from ledger.values import Actor


class Registration(Aggregate):
    """A person waiting for (or booked for, or given) one dose."""

    id: UUID  # registration_id(person_id, dose_number)

    class Registered(Aggregate.Created):
        """A person registered (or was registered automatically) for a dose."""

        actor: Actor
        at: datetime
        person_id: UUID
        dose_number: int
        priority_group: str
        priority_rank: int
        ward_code: str
        province_code: str
        site_id: UUID | None  # a preferred site, else any site of the ward
        previous_product: str | None  # the product of the previous dose (decides what this one may be)
        due_on: date
        language: str
        automatic: bool  # a next dose registered by the system when it became due

    @event(Registered)
    def __init__(
        self,
        actor: Actor,
        at: datetime,
        person_id: UUID,
        dose_number: int,
        priority_group: str,
        priority_rank: int,
        ward_code: str,
        province_code: str,
        site_id: UUID | None,
        previous_product: str | None,
        due_on: date,
        language: str,
        automatic: bool,
    ) -> None:
        self.person_id = person_id
        self.dose_number = dose_number
        self.priority_group = priority_group
        self.priority_rank = priority_rank
        self.ward_code = ward_code
        self.province_code = province_code
        self.site_id = site_id
        self.previous_product = previous_product
        self.due_on = due_on
        self.language = Language(language)
        self.automatic = automatic
        self.queued_at = at
        self.status = RegistrationStatus.WAITING
        self.appointment_id: UUID | None = None
        self.plan_id: UUID | None = None
        self.bookings = 0  # how many times booked (appointment ids are derived from it)

    # ---- booking ------------------------------------------------------------------------------

    class Booked(Aggregate.Event):
        """The person got an appointment."""

        actor: Actor
        at: datetime
        appointment_id: UUID
        plan_id: UUID
        site_id: UUID
        day: date
        session: str

    def book(
        self,
        *,
        appointment_id: UUID,
        plan_id: UUID,
        site_id: UUID,
        day: date,
        session: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        """Give the person an appointment; they must be waiting (nobody booked twice)."""
        if self.status is RegistrationStatus.BOOKED:
            raise AlreadyBooked(
                "This person already has an appointment: move or cancel it instead of booking another.",
                day=self.booked_day,
            )
        if self.status is not RegistrationStatus.WAITING:
            raise RuleViolation(f"This registration is {self.status.value}: register again to book.")
        if day < self.due_on:
            raise RuleViolation(
                f"Dose {self.dose_number} is not due before {self.due_on.isoformat()}: choose a later day."
            )
        self._booked(
            actor=actor,
            at=at,
            appointment_id=appointment_id,
            plan_id=plan_id,
            site_id=site_id,
            day=day,
            session=session,
        )

    @event(Booked)
    def _booked(
        self,
        actor: Actor,
        at: datetime,
        appointment_id: UUID,
        plan_id: UUID,
        site_id: UUID,
        day: date,
        session: str,
    ) -> None:
        self.status = RegistrationStatus.BOOKED
        self.appointment_id = appointment_id
        self.plan_id = plan_id
        self.bookings += 1
        self.booked_day = day

    class Released(Aggregate.Event):
        """The appointment was released (cancelled, moved, session cancelled, no-show): back to waiting
        with the original registration time."""

        actor: Actor
        at: datetime
        appointment_id: UUID
        reason: str

    def release(self, *, appointment_id: UUID, reason: str, actor: Actor, at: datetime) -> None:
        """Put the person back in the queue (only the appointment they hold)."""
        if self.status is not RegistrationStatus.BOOKED or self.appointment_id != appointment_id:
            raise RuleViolation("That appointment is no longer this person's: reload and try again.")
        self._released(actor=actor, at=at, appointment_id=appointment_id, reason=reason)

    @event(Released)
    def _released(self, actor: Actor, at: datetime, appointment_id: UUID, reason: str) -> None:
        self.status = RegistrationStatus.WAITING
        self.appointment_id = None
        self.plan_id = None

    # ---- another ward (the person is elsewhere for a while) ------------------------------------

    class Transferred(Aggregate.Event):
        """The person moved their place to another ward's queue (or another site of the ward): the same
        priority and registration time, now planned there."""

        actor: Actor
        at: datetime
        ward_code: str
        province_code: str
        site_id: UUID | None  # a preferred site of that ward, else any site of it

    def transfer(
        self, *, ward_code: str, province_code: str, site_id: UUID | None, actor: Actor, at: datetime
    ) -> None:
        """Wait in another ward's queue from now on; only a waiting registration moves (a booked one
        is released first, by the move of its appointment)."""
        if self.status is RegistrationStatus.BOOKED:
            raise AlreadyBooked(
                "This person has an appointment: move the appointment to a site of the other ward instead.",
                day=self.booked_day,
            )
        if self.status is not RegistrationStatus.WAITING:
            raise RegistrationClosed(
                f"This registration is {self.status.value}: register again instead of moving it.",
                status=self.status.value,
            )
        self._transferred(
            actor=actor, at=at, ward_code=ward_code, province_code=province_code, site_id=site_id
        )

    @event(Transferred)
    def _transferred(
        self, actor: Actor, at: datetime, ward_code: str, province_code: str, site_id: UUID | None
    ) -> None:
        self.ward_code = ward_code
        self.province_code = province_code
        self.site_id = site_id
        self.transfers = getattr(self, "transfers", 0) + 1

    # ---- the end of a registration ------------------------------------------------------------

    class Withdrawn(Aggregate.Event):
        """The person (or staff) withdrew the registration: out of the queue."""

        actor: Actor
        at: datetime
        reason: str

    def withdraw(self, *, reason: str, actor: Actor, at: datetime) -> None:
        """Leave the queue; an appointment must be cancelled first."""
        if self.status is RegistrationStatus.BOOKED:
            raise AlreadyBooked("Cancel the appointment first, then withdraw the registration.")
        if self.status is not RegistrationStatus.WAITING:
            raise RuleViolation(f"This registration is already {self.status.value}.")
        self._withdrawn(actor=actor, at=at, reason=reason)

    @event(Withdrawn)
    def _withdrawn(self, actor: Actor, at: datetime, reason: str) -> None:
        self.status = RegistrationStatus.WITHDRAWN

    class Renewed(Aggregate.Event):
        """A withdrawn registration was made again: back in the queue from now."""

        actor: Actor
        at: datetime
        priority_group: str
        priority_rank: int
        site_id: UUID | None
        language: str

    def renew(
        self,
        *,
        priority_group: str,
        priority_rank: int,
        site_id: UUID | None,
        language: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        """Register again after withdrawing; an open registration is refused (nobody registered twice)."""
        if self.status is not RegistrationStatus.WITHDRAWN:
            raise AlreadyRegistered(
                f"This person is already registered for dose {self.dose_number} ({self.status.value}): "
                "see their place in the queue instead.",
                dose_number=self.dose_number,
            )
        self._renewed(
            actor=actor,
            at=at,
            priority_group=priority_group,
            priority_rank=priority_rank,
            site_id=site_id,
            language=language,
        )

    @event(Renewed)
    def _renewed(
        self,
        actor: Actor,
        at: datetime,
        priority_group: str,
        priority_rank: int,
        site_id: UUID | None,
        language: str,
    ) -> None:
        self.priority_group = priority_group
        self.priority_rank = priority_rank
        self.site_id = site_id
        self.language = Language(language)
        self.queued_at = at
        self.status = RegistrationStatus.WAITING

    class Fulfilled(Aggregate.Event):
        """The dose was given (linked to the appointment when there was one)."""

        actor: Actor
        at: datetime
        dose_id: UUID
        appointment_id: UUID | None

    def fulfil(self, *, dose_id: UUID, actor: Actor, at: datetime) -> None:
        """Close the registration with the dose given."""
        if self.status in (RegistrationStatus.DONE, RegistrationStatus.WITHDRAWN):
            raise RuleViolation(f"This registration is already {self.status.value}.")
        self._fulfilled(actor=actor, at=at, dose_id=dose_id, appointment_id=self.appointment_id)

    @event(Fulfilled)
    def _fulfilled(self, actor: Actor, at: datetime, dose_id: UUID, appointment_id: UUID | None) -> None:
        self.status = RegistrationStatus.DONE
        self.dose_id = dose_id
