"""Use cases: booking a site-day, cancelling appointments, cancelling a session.

Every change saves the day plan, the registrations it touches and the messages it causes in one
transaction. The planner (`ledger.campaign.planning`) decides who; `book_day` re-checks each booking
against the aggregates, so a registration booked elsewhere in the meantime is skipped, not doubled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import checks
from ledger.campaign import permissions
from ledger.campaign.base import CampaignBase
from ledger.campaign.booking_records import RegistrationFacts, booked_event, read_facts
from ledger.campaign.errors import AlreadyBooked
from ledger.campaign.planning import Booking
from ledger.campaign.plans import Appointment, DayPlan
from ledger.campaign.registrations import Registration
from ledger.campaign.sites import SiteSchedule
from ledger.campaign.texts import appointment_text, cancel_text
from ledger.campaign.values import Language, MessageKind, RegistrationStatus, schedule_id
from ledger.campaign.values import appointment_id as new_appointment_id
from ledger.campaign.values import plan_id as day_plan_id
from ledger.commands import Outcome
from ledger.errors import RuleViolation, SiteNotFound
from ledger.values import Actor


@dataclass(frozen=True)
class Booked:
    """What booking a day gave: the new appointments' ids, and the bookings skipped as stale."""

    plan_id: UUID
    appointment_ids: tuple[UUID, ...]
    skipped: int


def _booked(result: dict[str, Any]) -> Booked:
    """A booking command's result back as Booked."""
    ids = str(result["a"])
    return Booked(
        UUID(hex=str(result["plan"])),
        tuple(UUID(hex=ids[i : i + 32]) for i in range(0, len(ids), 32)),
        int(result["s"]),
    )


class BookingCommands(CampaignBase):
    """Book a day (or several), cancel an appointment, cancel a session (moving is in move_commands)."""

    def _open_plan(self, schedule: SiteSchedule, day: date, actor: Actor, at: datetime) -> DayPlan:
        """The day's plan, opened with the site's current sessions when it does not exist yet."""
        pid = day_plan_id(schedule.site_id, day)
        existing = self.maybe(DayPlan, pid)
        if existing is not None:
            return existing
        schedule.check_open_on(day)
        return DayPlan(  # type: ignore[call-arg]
            id=pid,
            actor=actor,
            at=at,
            site_id=schedule.site_id,
            day=day,
            sessions=[s.as_list() for s in schedule.sessions],
        )

    def book_day(
        self, *, site_id: UUID, day: date, bookings: Sequence[Booking], actor: Actor, idempotency_key: str
    ) -> Booked:
        """Give places to the planner's bookings, with an appointment message each."""
        site_id = checks.as_uuid(site_id, "site")
        schedule = self.schedule(site_id)
        permissions.require_site_manager(actor, schedule.province_code, site_id)
        if day < self.today():
            raise RuleViolation(f"{day.isoformat()} is in the past: plan today or a later day.")
        args = {
            "site": site_id,
            "day": day,
            "b": "".join(f"{b.registration_id.hex}{b.session}|{b.product};" for b in bookings),
            "actor": actor,
        }

        def attempt(at: datetime) -> Outcome:
            current = self.schedule(site_id)
            plan = self._open_plan(current, day, actor, at)
            registrations = self._registration_facts([b.registration_id for b in bookings])
            booked, saved = self._book_into(current, plan, bookings, registrations, actor, at, strict=True)
            # Each message is sealed with its person's key when saved, right after this: load them now.
            self.keys.prefetch(b.person_id for b in bookings)
            return Outcome(saved, booked)

        return _booked(self.run_command("book_day", idempotency_key, args, attempt))

    def book_days(
        self,
        *,
        day: date,
        sites: Sequence[tuple[UUID, Sequence[Booking]]],
        actor: Actor,
        idempotency_key: str,
    ) -> list[Booked]:
        """Book several sites' day at once (a province's planning run): one transaction for all of them,
        each site still its own DayPlan with its own rules. A booking the store shows as taken in the
        meantime (a stale read) is skipped, not doubled; returns one Booked per site, in order."""
        site_ids = [checks.as_uuid(s, "site") for s, _ in sites]
        if len(set(site_ids)) != len(site_ids):
            raise RuleViolation("A site appears twice in one planning run: plan each site once.")
        if day < self.today():
            raise RuleViolation(f"{day.isoformat()} is in the past: plan today or a later day.")
        schedules = self.many(SiteSchedule, [schedule_id(s) for s in site_ids])
        for sid in site_ids:
            found = schedules.get(schedule_id(sid))
            if found is None:
                raise SiteNotFound(f"No vaccination site {sid} with sessions: check the site id.")
            permissions.require_site_manager(actor, found.province_code, sid)
        args = {
            "day": day,
            "b": "".join(
                f"{sid.hex}:" + "".join(f"{b.registration_id.hex}{b.session}|{b.product};" for b in bookings)
                for sid, (_, bookings) in zip(site_ids, sites, strict=True)
            ),
            "actor": actor,
        }
        everyone = [b for _, bookings in sites for b in bookings]

        def attempt(at: datetime) -> Outcome:
            current = self.many(SiteSchedule, [schedule_id(s) for s in site_ids])
            plans = self.many(DayPlan, [day_plan_id(s, day) for s in site_ids])
            registrations = self._registration_facts([b.registration_id for b in everyone])
            saved: list[Aggregate | Aggregate.Event] = []
            results: list[dict[str, Any]] = []
            for sid, (_, bookings) in zip(site_ids, sites, strict=True):
                schedule = current[schedule_id(sid)]
                plan = plans.get(day_plan_id(sid, day)) or self._open_plan(schedule, day, actor, at)
                booked, aggregates = self._book_into(
                    schedule, plan, bookings, registrations, actor, at, strict=False
                )
                saved.extend(aggregates)
                results.append(booked)
            # Keys are cached for seconds only (an erasure elsewhere is noticed): load them just
            # before the save seals each message with its person's key.
            self.keys.prefetch(b.person_id for b in everyone)
            return Outcome(saved, {"sites": results})

        result = self.run_command("book_days", idempotency_key, args, attempt)
        return [_booked(r) for r in result["sites"]]

    def _registration_facts(self, ids: list[UUID]) -> dict[UUID, RegistrationFacts]:
        """What booking needs of each registration, read from its stored events (booking_records)."""
        unique = list(dict.fromkeys(ids))
        return read_facts(self.streams(unique), lambda rest: self.many(Registration, rest), unique)

    def _book_into(
        self,
        schedule: SiteSchedule,
        plan: DayPlan,
        bookings: Sequence[Booking],
        registrations: dict[UUID, RegistrationFacts],
        actor: Actor,
        at: datetime,
        *,
        strict: bool,
    ) -> tuple[dict[str, Any], list[Aggregate | Aggregate.Event]]:
        """Book into one site-day: each registration re-checked (waiting, due, the same person), its
        appointment, its Booked event and its appointment message. `strict` refuses a booking whose
        person is already booked elsewhere (a direct booking); otherwise it is skipped as stale.

        The Booked and Queued events are built directly (ledger.campaign.booking_records), at the
        registration's next version and the message's first: a registration changed since it was
        read, or a message already queued, makes the store refuse the save, and the command retries."""
        day = plan.day
        if plan.day_closed:
            raise RuleViolation(f"The day {day.isoformat()} is closed: plan another day.")
        appointments: list[Appointment] = []
        saved: list[Aggregate | Aggregate.Event] = [plan]
        texts: dict[tuple[str, int, Language], str] = {}  # one text per session, dose and language
        skipped = 0
        timestamp = Registration.Booked.create_timestamp()
        for b in bookings:
            reg = registrations.get(b.registration_id)
            if strict and reg is not None and reg.status is RegistrationStatus.BOOKED:
                assert reg.booked_day is not None, "a booked registration has its day"
                raise AlreadyBooked(
                    f"This person already has an appointment (on {reg.booked_day.isoformat()}): move it "
                    "instead of booking another; nothing was booked.",
                    day=reg.booked_day,
                )
            if (
                reg is None
                or reg.status is not RegistrationStatus.WAITING
                or reg.due_on > day
                or reg.person_id != b.person_id
            ):
                skipped += 1
                continue
            a = Appointment(
                new_appointment_id(plan.id, reg.id, reg.bookings),
                reg.id,
                reg.person_id,
                b.session,
                reg.priority_rank,
                reg.dose_number,
                b.product,
            )
            # The same event Registration.book records (waiting and due were checked just above).
            saved.append(
                booked_event(
                    reg,
                    appointment_id=a.appointment_id,
                    plan_id=plan.id,
                    site_id=schedule.site_id,
                    day=day,
                    session=b.session,
                    actor=actor,
                    at=at,
                    timestamp=timestamp,
                )
            )
            appointments.append(a)
            key = (b.session, reg.dose_number, reg.language)
            text = texts.get(key)
            if text is None:
                text = texts[key] = appointment_text(
                    MessageKind.APPOINTMENT, self.visit(schedule, plan, a), reg.language
                )
            saved.append(
                self.queued_message(
                    person_id=reg.person_id,
                    kind=MessageKind.APPOINTMENT,
                    text=text,
                    language=reg.language,
                    cause=a.appointment_id,
                    actor=actor,
                    at=at,
                    timestamp=timestamp,
                    appointment_id=a.appointment_id,
                )
            )
        plan.book(appointments, actor=actor, at=at)
        return (
            {"plan": plan.id.hex, "a": "".join(a.appointment_id.hex for a in appointments), "s": skipped},
            saved,
        )

    def cancel_appointment(
        self,
        *,
        plan_id: UUID,
        appointment_id: UUID,
        reason: str,
        actor: Actor,
        idempotency_key: str,
        withdraw: bool = False,
    ) -> None:
        """Cancel an appointment (the person, a guardian or staff): the place is freed, the person goes
        back to the queue with their original priority (or leaves it with `withdraw`), and is told."""
        pid = checks.as_uuid(plan_id, "plan")
        aid = checks.as_uuid(appointment_id, "appointment")
        reason = checks.text(reason, "reason", 500, required=False)

        def attempt(at: datetime) -> Outcome:
            plan = self.plan(pid)
            a = plan.appointment(aid)
            person = self.get_person(a.person_id)
            schedule = self.schedule(plan.site_id)
            permissions.require_appointment_actor(
                actor, person.id, person.guardian_id, plan.site_id, schedule.province_code
            )
            plan.cancel(aid, reason=reason, actor=actor, at=at)
            reg = self.registration(a.registration_id)
            reg.release(appointment_id=aid, reason="cancelled", actor=actor, at=at)
            if withdraw:
                reg.withdraw(reason=reason, actor=actor, at=at)
            saved: list[Aggregate] = [plan, reg]
            message = self.message(
                person_id=person.id,
                kind=MessageKind.CANCEL,
                text=cancel_text(self.visit(schedule, plan, a), reg.language, rebooked=False),
                language=reg.language,
                cause=aid,
                actor=actor,
                at=at,
                appointment_id=aid,
            )
            saved.append(message)
            return Outcome(saved, {})

        self.run_command(
            "cancel_appointment",
            idempotency_key,
            {"plan": pid, "a": aid, "why": reason, "w": withdraw, "actor": actor},
            attempt,
        )

    def cancel_session(
        self, *, site_id: UUID, day: date, session: str, reason: str, actor: Actor, idempotency_key: str
    ) -> list[UUID]:
        """The site cancels a session: its people go back to the queue first in line (original priority)
        and are told; returns the registrations released (to re-book them)."""
        site_id = checks.as_uuid(site_id, "site")
        reason = checks.text(reason, "reason", 500)
        permissions.require_site_worker(actor, site_id, self.site_province(site_id))

        def attempt(at: datetime) -> Outcome:
            schedule = self.schedule(site_id)
            plan = self.plan(day_plan_id(site_id, day))
            cancelled = plan.cancel_session(session, reason=reason, actor=actor, at=at)
            regs = self.many(Registration, [a.registration_id for a in cancelled])
            saved: list[Aggregate] = [plan]
            for a in cancelled:
                reg = regs[a.registration_id]
                reg.release(appointment_id=a.appointment_id, reason="session_cancelled", actor=actor, at=at)
                saved.append(reg)
                message = self.message(
                    person_id=a.person_id,
                    kind=MessageKind.CANCEL,
                    text=cancel_text(self.visit(schedule, plan, a), reg.language, rebooked=True),
                    language=reg.language,
                    cause=a.appointment_id,
                    actor=actor,
                    at=at,
                    appointment_id=a.appointment_id,
                )
                saved.append(message)
            return Outcome(saved, {"r": "".join(a.registration_id.hex for a in cancelled)})

        result = self.run_command(
            "cancel_session",
            idempotency_key,
            {"site": site_id, "day": day, "s": session, "why": reason, "actor": actor},
            attempt,
        )
        ids = str(result["r"])
        return [UUID(hex=ids[i : i + 32]) for i in range(0, len(ids), 32)]
