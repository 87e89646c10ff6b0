"""Use case: staff join an online registration to the record registered at a site with the same number.

How it happens: a citizen registers online typing their ID number (held, not claimed: issue 12 gives
the same answer whether the number is free or taken), while the same person was registered at a site
with that number, before or at the same moment. The online record can then never be confirmed (the
number is the other record's), and the citizen's phone signs in to a record without their doses.

What the citizen sees online is the same for everyone (never whether the number is taken): bring the
card to a site; if you were registered at a site before, staff join the two records and nothing is
lost. At the site, staff see the card, find both records by the number, and join them: in one
transaction the registered record takes the online one's phone (the citizen signs in to it from then
on), guardian or dependants, health declarations and place in the queue (the registration for the next
dose, with its priority, place and original time), and the online record is erased (its key shredded,
its held number released). Both records' versions are checked on save, so a change to either meanwhile
is re-read or refused; the registered record's claim on the number is checked in the same transaction.

A booked appointment on the online record goes with the place (session 6): cancelled as "joined" and
booked again, same site, day and session, for the registered record's next dose, when that dose is due
by then and may be that vaccine (else refused: cancel it first, the place in the queue is kept).

Refused, writing nothing, each with a sentence that says what to do: a number that is not the same, an
appointment the registered record cannot take (above), doses or reactions recorded on the online record
(record them on the registered one), a guardian on both sides.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import checks
from ledger import permissions as ledger_permissions
from ledger.campaign.errors import AlreadyRegistered
from ledger.campaign.plans import Appointment
from ledger.campaign.registration_commands import RegistrationCommands
from ledger.campaign.registrations import Registration
from ledger.campaign.sites import SiteSchedule
from ledger.campaign.values import (
    Language,
    RegistrationStatus,
    allowed_products,
    extra_wait_days,
    registration_id,
    schedule_id,
)
from ledger.campaign.values import appointment_id as new_appointment_id
from ledger.claims import WithEvents
from ledger.commands import Outcome
from ledger.domainmodel import Person
from ledger.errors import PersonErasedError, PersonNotFound, RuleViolation
from ledger.values import Actor, PersonalData

JOINED = "joined to the record registered at a site with the same ID number"


class JoinCommands(RegistrationCommands):
    """Join an online registration to the person registered at a site with the same number."""

    def join_online_registration(
        self, *, online_id: UUID, registered_id: UUID, actor: Actor, idempotency_key: str
    ) -> None:
        """Move what the online record holds to the registered one, then erase the online record."""
        online_id = checks.as_uuid(online_id, "person")
        registered_id = checks.as_uuid(registered_id, "person")
        ledger_permissions.require_staff(actor, "health staff, who saw the ID card, join two records")
        if online_id == registered_id:
            raise RuleViolation(
                "Choose the online registration and the registered record: they are the same."
            )

        def attempt(at: datetime) -> Outcome:
            people = self.get_people([online_id, registered_id])
            online, registered = people.get(online_id), people.get(registered_id)
            if online is None or registered is None:
                raise PersonNotFound("One of the two records does not exist: search the ID number again.")
            if online.erased or registered.erased:
                raise PersonErasedError("One of the two records was erased: search the ID number again.")
            held = online.pending_national_id
            number = registered.national_id.text if registered.national_id is not None else None
            if held is None or held.text is None or held.text != number:
                raise RuleViolation(
                    "These records do not have the same ID number (typed online, and confirmed at a site): "
                    "check the card; join only the records of the card's owner."
                )
            if online.active_doses or online.reactions:
                raise RuleViolation(
                    "Doses or reactions were recorded on the online registration: void them there and record "
                    "them on the registered record, then join."
                )
            changed: dict[UUID, Aggregate] = {registered.id: registered, online.id: online}
            self._take_phone(online, registered, actor, at)
            self._take_family(online, registered, changed, actor, at)
            for declaration in online.health_declarations:
                registered.declare_health(
                    declaration_id=declaration.declaration_id,
                    symptoms=PersonalData(registered.id, declaration.symptoms.text),
                    exposure=PersonalData(registered.id, declaration.exposure.text),
                    travel=PersonalData(registered.id, declaration.travel.text),
                    has_symptoms=declaration.has_symptoms,
                    actor=declaration.declared_by,
                    at=declaration.declared_at,
                )
            moved = self._take_queue_place(online.id, registered, actor, at)
            online.erase(reason=JOINED, actor=actor, at=at)
            writes = WithEvents(
                at=at,
                claims=[(self.keys.national_id_digest(number), registered.id)],  # still this record's
                release_holds=[online.id],
            )
            return Outcome([*changed.values(), *moved], {}, with_events=writes)

        self.run_command(
            "join_online_registration",
            idempotency_key,
            {"online": online_id, "registered": registered_id, "actor": actor},
            attempt,
        )
        self.keys.forget_person(online_id)  # as an erasure: after the events are stored (and on a retry)

    @staticmethod
    def _take_phone(online: Person, registered: Person, actor: Actor, at: datetime) -> None:
        """The phone the citizen signs in with (proved by a code) goes to the registered record."""
        phone = online.phone.text if online.phone is not None else None
        current = registered.phone.text if registered.phone is not None else None
        if phone and phone != current:
            registered.correct_phone(
                phone=PersonalData(registered.id, phone), reason=JOINED, actor=actor, at=at
            )

    def _take_family(
        self, online: Person, registered: Person, changed: dict[UUID, Aggregate], actor: Actor, at: datetime
    ) -> None:
        """A guardian who registered the person online manages the registered record; dependants the online
        record managed move under the registered one."""
        guardian_id: UUID | None = online.guardian_id
        if guardian_id is not None and registered.guardian_id != guardian_id:
            if registered.guardian_id is not None:
                raise RuleViolation(
                    "The registered record already has another guardian: a person has one guardian; ask "
                    "which family manages them before joining."
                )
            guardian = self.get_person(guardian_id)
            relationship = guardian.relationships.get(online.id, "other")
            guardian.add_dependant(registered.id, relationship, actor, at)
            registered.link_guardian(guardian_id, relationship, actor, at)
            changed[guardian.id] = guardian
        dependants = self.get_people(online.dependant_ids)
        for dependant_id in online.dependant_ids:
            dependant = dependants.get(dependant_id)
            if dependant is None or dependant.erased or dependant_id in registered.dependant_ids:
                continue
            relationship = online.relationships.get(dependant_id, "other")
            registered.add_dependant(dependant_id, relationship, actor, at)
            dependant.move_to_guardian(registered.id, relationship, actor, at)
            changed[dependant.id] = dependant

    def _take_queue_place(
        self, online_id: UUID, registered: Person, actor: Actor, at: datetime
    ) -> list[Aggregate]:
        """The online record's waiting registration becomes the registered record's, for its next dose, with
        the same priority, place and original time in the queue (kept if it already waits itself)."""
        waiting = self.maybe(Registration, registration_id(online_id, 1))
        if waiting is None or waiting.status in (RegistrationStatus.WITHDRAWN, RegistrationStatus.DONE):
            return []
        booked = None
        if (
            waiting.status is RegistrationStatus.BOOKED
            and waiting.plan_id is not None
            and waiting.appointment_id is not None
        ):
            # The appointment goes with the place: freed here, booked again below for the registered
            # record's next dose at the same site, day and session (the person was told that visit).
            plan = self.plan(waiting.plan_id)
            booked = plan, plan.cancel(waiting.appointment_id, reason=JOINED, actor=actor, at=at)
            waiting.release(appointment_id=booked[1].appointment_id, reason=JOINED, actor=actor, at=at)
        waiting.withdraw(reason=JOINED, actor=actor, at=at)
        site = waiting.site_id
        schedule = self.maybe(SiteSchedule, schedule_id(site)) if site is not None else None
        ward = self.reference.ward(waiting.ward_code) if schedule is None else None
        try:
            taken, _ = self._registration(
                registered,
                waiting.priority_group,
                waiting.priority_rank,
                Language(waiting.language),
                site if schedule is not None else None,
                schedule,
                ward,
                actor,
                waiting.queued_at,  # its place in the queue: the time it first queued
            )
        except AlreadyRegistered:
            if booked is not None:
                raise _cannot_carry() from None
            return [waiting]  # the registered record waits (or is booked) already: its own place stays
        if booked is None:
            return [waiting, taken]
        plan, old = booked
        due_on = taken.due_on
        if taken.previous_product is not None:
            due_on += timedelta(days=extra_wait_days(taken.previous_product, old.product, self.reference))
        if due_on > plan.day or old.product not in allowed_products(taken.previous_product, self.reference):
            raise _cannot_carry()
        carried = Appointment(
            new_appointment_id(plan.id, taken.id, taken.bookings),
            taken.id,
            registered.id,
            old.session,
            taken.priority_rank,
            taken.dose_number,
            old.product,
        )
        plan.book([carried], actor=actor, at=at)
        taken.book(
            appointment_id=carried.appointment_id,
            plan_id=plan.id,
            site_id=plan.site_id,
            day=plan.day,
            session=old.session,
            actor=actor,
            at=at,
        )
        return [plan, waiting, taken]


def _cannot_carry() -> RuleViolation:
    return RuleViolation(
        "The online registration's appointment cannot go to the registered record (its next dose is not "
        "due by then, is another vaccine, or it already has a place): cancel the appointment first (the "
        "person keeps their place in the queue), then join."
    )
