"""Registrations and the queue: register people for their next dose, a person's registrations and
place in their ward's queue, and the public priority list of a ward."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from ledger.campaign.registration_commands import RegistrationEntry, RegistrationMade
from ledger.errors import PersonNotFound
from ledger.values import Actor
from projections import (
    plan_queries,
    priority_queries,
    queue_queries,
)
from services.campaign_base import CampaignBase, as_id
from services.queue_estimate import WardReach, vietnam_time, ward_reach


@dataclass(frozen=True)
class QueuePlace:
    """A registration and its place in the ward's queue (position 1 = next; None when not waiting)."""

    registration: queue_queries.RegistrationRow
    position: int | None
    waiting: int
    next_day: str | None  # the ward's next day with places that can be given
    in_next_day: bool  # the planner, run ahead, reaches this person on that day
    expected_day: str | None = None  # the day the planner, run ahead, reaches them (None: not in 2 weeks)


class QueueOperations(CampaignBase):
    """Registrations, a person's place in the queue, the public list."""

    def person_id(self, person: str | UUID) -> UUID:
        """A person from a person id or a national ID number."""
        if isinstance(person, UUID):
            return person
        text = str(person).strip()
        try:
            return UUID(text)
        except ValueError:
            pass
        found = self.ledger.find_person(text)
        if found is None:
            raise PersonNotFound(f"No person with the ID number or id {text!r}: register the person first.")
        return found

    def join_online_registration(self, online: str | UUID, registered: str | UUID, *, actor: Actor) -> None:
        """Join a citizen's online registration to the record registered at a site with the same ID
        number (the ledger checks the numbers, moves phone, family, declarations and place in the
        queue, and erases the online record); by person ids, as both records carry the one number.
        The same request sent again is one join."""
        online_id, registered_id = as_id(online, "person"), as_id(registered, "person")
        self.ledger.join_online_registration(
            online_id=online_id,
            registered_id=registered_id,
            actor=actor,
            idempotency_key=f"join:{online_id.hex}:{registered_id.hex}",
        )

    def register(
        self,
        *,
        person: str | UUID,
        group: str,
        actor: Actor,
        site_id: str | UUID | None = None,
        ward_code: str | None = None,
        language: str = "vi",
        idempotency_key: str | None = None,
    ) -> RegistrationMade:
        """Register a person (by id or national ID number) for their next dose."""
        pid = self.person_id(person)
        site = as_id(site_id, "site") if site_id is not None else None
        return self.ledger.register_for_vaccination(
            person_id=pid,
            priority_group=group,
            site_id=site,
            ward_code=ward_code,
            language=language,
            actor=actor,
            idempotency_key=idempotency_key or str(uuid4()),
        )

    def register_many(
        self, entries: Sequence[RegistrationEntry], *, actor: Actor, idempotency_key: str
    ) -> list[RegistrationMade]:
        """Register many people for their next dose in one transaction (an import, a site's list, the
        simulator); people already registered are left out of the result. Batches of 5,000 at most."""
        return self.ledger.register_many_for_vaccination(
            entries, actor=actor, idempotency_key=idempotency_key
        )

    def registrations(self, site_id: str | UUID) -> list[queue_queries.RegistrationRow]:
        """The open registrations of a site's area, in planning order."""
        site = self.site(site_id)
        return queue_queries.registrations_for_site(self.store, site.site_id)

    def my_registrations(self, person_id: UUID) -> list[tuple[queue_queries.RegistrationRow, int | None]]:
        """A person's registrations with their place in the queue (None when not waiting)."""
        self.refresh()
        return [
            (r, priority_queries.queue_position(self.store, r.registration_id))
            for r in queue_queries.registrations_of_person(self.store, person_id)
        ]

    def my_appointments(self, person_id: UUID) -> list[plan_queries.AppointmentRow]:
        """A person's appointments, latest first."""
        self.refresh()
        return plan_queries.appointments_of_person(self.store, person_id)

    def queue_places(self, person_id: UUID) -> list[QueuePlace]:
        """A person's registrations with their place in their ward's queue (1 = next), how many wait
        there, and the day the planner, run ahead over places and stock, reaches them (an estimate:
        services.queue_estimate; planning decides)."""
        self.refresh()
        found = []
        for r in queue_queries.registrations_of_person(self.store, person_id):
            ahead = priority_queries.queue_position(self.store, r.registration_id)
            if ahead is None:
                found.append(QueuePlace(r, None, 0, None, False))
                continue
            # Look from today to two weeks past the day the dose falls due (a second dose weeks ahead).
            late = max(0, (date.fromisoformat(r.due_on) - self.ledger.today()).days)
            reach = self._reach(
                r.ward, until=UUID(r.registration_id), days=late + priority_queries.LOOK_AHEAD_DAYS
            )
            next_day = reach.next_day
            day = reach.expected.get(UUID(r.registration_id))
            found.append(
                QueuePlace(
                    r,
                    ahead + 1,
                    priority_queries.waiting_in_ward(self.store, r.ward),
                    next_day.day.isoformat() if next_day else None,
                    day is not None and next_day is not None and day == next_day.day,
                    day.isoformat() if day else None,
                )
            )
        return found

    def _reach(
        self, ward: str, *, until: UUID | None = None, days: int = priority_queries.LOOK_AHEAD_DAYS
    ) -> WardReach:
        return ward_reach(
            self.store,
            self.ledger.reference,
            ward,
            today=self.ledger.today(),
            now_time=vietnam_time(self.ledger.now()),
            until=until,
            days=days,
        )

    def priority_list(self, ward_code: str) -> priority_queries.PriorityList:
        """The public list of a ward: counts per group, and how far the next day's places with vaccine
        in stock reach (services.queue_estimate)."""
        ward = self.ledger.reference.ward(ward_code)
        self.refresh()
        groups, waiting, later_doses = priority_queries.priority_counts(self.store, ward.code)
        reach = self._reach(ward.code)
        day = reach.next_day
        first = reach.days[0] if reach.days else None  # places, even when no vaccine suits the queue
        return priority_queries.PriorityList(
            ward.code,
            groups,
            waiting,
            day.day.isoformat() if day else None,
            day.free_places if day else (first.free_places if first else 0),
            reach.cutoff(self.ledger.reference),
            later_doses,
            day.usable_places if day else 0,
            reach.everyone_fits,
        )
