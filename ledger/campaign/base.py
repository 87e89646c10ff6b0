"""What the campaign use cases share: loading their aggregates, and composing outbox messages.

A message is built in the same attempt as the event that causes it and saved with it, in one
transaction (the outbox pattern with the event store as the outbox).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from ledger.base import LedgerBase
from ledger.campaign.errors import RegistrationNotFound
from ledger.campaign.messages import Message
from ledger.campaign.plans import Appointment, DayPlan
from ledger.campaign.registrations import Registration
from ledger.campaign.sites import SiteSchedule
from ledger.campaign.sms import segment
from ledger.campaign.texts import Visit
from ledger.campaign.values import Language, MessageKind, message_id, schedule_id
from ledger.domainmodel import Person
from ledger.errors import PhoneInvalid, SiteNotFound
from ledger.eventstore import reading
from ledger.phone import international
from ledger.values import Actor, PersonalData

T = TypeVar("T")


class CampaignBase(LedgerBase):
    """Loading schedules, plans and registrations; building messages."""

    def maybe(self, kind: type[T], aggregate_id: UUID) -> T | None:
        """The aggregate with that id, or None when there is none (or it is of another type)."""
        try:
            with reading():
                aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, kind) else None

    def many(self, kind: type[T], ids: Sequence[UUID]) -> dict[UUID, T]:
        """Several aggregates of one type in a few queries; missing ids are left out."""
        found: dict[UUID, T] = {}
        unique = list(dict.fromkeys(ids))
        with reading():
            for start in range(0, len(unique), 500):
                for aggregate in self.load_many(unique[start : start + 500]):
                    if isinstance(aggregate, kind):
                        found[aggregate.id] = aggregate
        return found

    def site_province(self, site_id: UUID) -> str:
        """The province of a site (never changes, so read through the site cache)."""
        return self._cached(self._site_cache, site_id, self.get_site).province_code

    def schedule(self, site_id: UUID) -> SiteSchedule:
        """The site's schedule (a site registered before campaign operations has none yet)."""
        found = self.maybe(SiteSchedule, schedule_id(site_id))
        if found is None:
            raise SiteNotFound(
                f"No vaccination site {site_id} with sessions: check the site id, or set its sessions "
                "with `immunize site add`."
            )
        return found

    def plan(self, plan_id: UUID) -> DayPlan:
        """A day plan that must exist."""
        found = self.maybe(DayPlan, plan_id)
        if found is None:
            raise RegistrationNotFound(f"No plan {plan_id}: plan the day first.")
        return found

    def registration(self, registration_id: UUID) -> Registration:
        """A registration that must exist."""
        found = self.maybe(Registration, registration_id)
        if found is None:
            raise RegistrationNotFound(f"No registration {registration_id}: register the person first.")
        return found

    def phone_digest(self, phone: str) -> str:
        """A keyed hash of a Vietnamese mobile number typed in any form (ledger.phone; PhoneInvalid for
        anything else), to match a reply to its sender without decrypting."""
        # +84XXXXXXXXX: the form digests were always taken of, so attempts recorded before still match.
        return self.keys.master.fingerprint(b"phone:" + international(phone).encode("ascii"))

    def message(
        self,
        *,
        person_id: UUID,
        kind: MessageKind,
        text: str,
        language: Language,
        cause: UUID,
        actor: Actor,
        at: datetime,
        appointment_id: UUID | None = None,
        dose_id: UUID | None = None,
        serial: int = 0,
    ) -> Message:
        """A message to a person, queued in the caller's transaction (the number is found when sent)."""
        parts = segment(text)
        return Message(  # type: ignore[call-arg]
            id=message_id(cause, kind.value, serial),
            actor=actor,
            at=at,
            person_id=person_id,
            kind=kind.value,
            text=PersonalData(person_id, "".join(parts.parts)),
            language=language.value,
            encoding=parts.encoding,
            parts=parts.count,
            appointment_id=appointment_id,
            dose_id=dose_id,
        )

    def phone_of(self, person: Person, guardians: dict[UUID, Person]) -> str | None:
        """The number to text: the person's, else their guardian's (a child); None when erased or none."""
        if person.erased:
            return None
        phone = person.phone.value if person.phone is not None else None
        if phone is None and person.guardian_id is not None:
            guardian = guardians.get(person.guardian_id)
            if guardian is not None and not guardian.erased and guardian.phone is not None:
                phone = guardian.phone.value
        if not phone:
            return None
        try:
            return international(phone)
        except PhoneInvalid:
            return None  # a number stored before numbers were checked, not a Vietnamese mobile: no SMS

    @staticmethod
    def visit(schedule: SiteSchedule, plan: DayPlan, appointment: Appointment) -> Visit:
        """What a message says about an appointment."""
        session = plan.session(appointment.session)
        return Visit(
            plan.day, session.start, session.end, schedule.name, schedule.address, appointment.dose_number
        )
