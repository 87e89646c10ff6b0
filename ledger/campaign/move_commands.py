"""Use case: a person (or a guardian, or staff on their behalf) moves their appointment.

A move is the person's own request: planning never moves anyone already told. In one transaction
the old place is freed (`AppointmentCancelled`, reason "moved"), the new one is taken on the target
day's plan (`AppointmentsBooked`), the registration follows (`Released` then `Booked`, keeping its
original queue time) and one "change" message goes to the outbox. Where a person may move to: another
session or day at the same site, another site of the ward, or a site of another ward or province (they
work elsewhere for a month): the registration then waits in that ward's queue (`Transferred`), with
the same priority and registration time, should the new appointment be released.

A person still waiting (no appointment yet) moves their place to another ward's queue the same way
(`transfer_registration`), told by one "transfer" message (it names no day or place to go, so it
waits for the morning in the quiet hours; ledger.campaign.quiet_hours).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import checks
from ledger.campaign import permissions
from ledger.campaign.errors import DayInPast, MoveNotDue, MoveSameWard, MoveToSameSession
from ledger.campaign.plan_commands import PlanCommands
from ledger.campaign.plans import Appointment
from ledger.campaign.sites import SiteSchedule
from ledger.campaign.texts import appointment_text, transfer_text
from ledger.campaign.values import MessageKind, extra_wait_days, schedule_id
from ledger.campaign.values import appointment_id as new_appointment_id
from ledger.campaign.values import plan_id as day_plan_id
from ledger.commands import Outcome
from ledger.errors import SiteNotFound
from ledger.permissions import require_in_province
from ledger.values import Actor


class MoveCommands(PlanCommands):
    """Move an appointment to another session, day or site of the ward."""

    def move_appointment(
        self,
        *,
        plan_id: UUID,
        appointment_id: UUID,
        site_id: UUID,
        day: date,
        session: str,
        actor: Actor,
        idempotency_key: str,
    ) -> UUID:
        """Move a booked appointment (one transaction, one "change" message); returns the new id."""
        pid = checks.as_uuid(plan_id, "plan")
        aid = checks.as_uuid(appointment_id, "appointment")
        new_site = checks.as_uuid(site_id, "site")
        session = checks.text(session, "session", 40)
        today = self.today()
        if day < today:
            raise DayInPast(
                f"{day.isoformat()} is in the past (today is {today.isoformat()}): choose today or a later day.",
                day=day,
                today=today,
            )
        target_schedule = self.schedule(new_site)
        require_in_province(actor, target_schedule.province_code)

        def attempt(at: datetime) -> Outcome:
            old = self.plan(pid)
            a = old.appointment(aid)
            person = self.get_person(a.person_id)
            permissions.require_appointment_actor(
                actor, person.id, person.guardian_id, old.site_id, self.schedule(old.site_id).province_code
            )
            if old.site_id == new_site and old.day == day and a.session == session:
                raise MoveToSameSession(
                    "That is already the appointment: choose another session or day.",
                    session=session,
                    day=day,
                )
            reg = self.registration(a.registration_id)
            due_on = reg.due_on
            if reg.previous_product is not None:  # the booked product may be a mix with a longer interval
                due_on += timedelta(days=extra_wait_days(reg.previous_product, a.product, self.reference))
            if due_on > day:
                raise MoveNotDue(
                    f"Dose {reg.dose_number} is not due before {due_on.isoformat()}: choose a later day.",
                    dose_number=reg.dose_number,
                    due_on=due_on,
                )
            old.cancel(aid, reason="moved", actor=actor, at=at)
            reg.release(appointment_id=aid, reason="moved", actor=actor, at=at)
            if target_schedule.ward_code != reg.ward_code:  # another ward: its queue from now on
                reg.transfer(
                    ward_code=target_schedule.ward_code,
                    province_code=target_schedule.province_code,
                    site_id=None,
                    actor=actor,
                    at=at,
                )
            target = (
                old
                if old.id == day_plan_id(new_site, day)
                else self._open_plan(target_schedule, day, actor, at)
            )
            moved = Appointment(
                new_appointment_id(target.id, reg.id, reg.bookings),
                reg.id,
                reg.person_id,
                session,
                reg.priority_rank,
                reg.dose_number,
                a.product,
            )
            target.book([moved], actor=actor, at=at)
            reg.book(
                appointment_id=moved.appointment_id,
                plan_id=target.id,
                site_id=new_site,
                day=day,
                session=session,
                actor=actor,
                at=at,
            )
            saved: list[Aggregate] = [old, reg] if target is old else [old, target, reg]
            saved.append(
                self.message(
                    person_id=person.id,
                    kind=MessageKind.CHANGE,
                    text=appointment_text(
                        MessageKind.CHANGE, self.visit(target_schedule, target, moved), reg.language
                    ),
                    language=reg.language,
                    cause=moved.appointment_id,
                    actor=actor,
                    at=at,
                    appointment_id=moved.appointment_id,
                )
            )
            return Outcome(saved, {"a": moved.appointment_id.hex})

        result = self.run_command(
            "move_appointment",
            idempotency_key,
            {"plan": pid, "a": aid, "site": new_site, "day": day, "s": session, "actor": actor},
            attempt,
        )
        return UUID(hex=str(result["a"]))

    def transfer_registration(
        self,
        *,
        registration_id: UUID,
        actor: Actor,
        idempotency_key: str,
        ward_code: str | None = None,
        site_id: UUID | None = None,
    ) -> None:
        """Move a waiting registration to another ward's queue (any site of `ward_code`, or the site
        `site_id`), keeping its priority and registration time; one "transfer" message tells the person."""
        reg_id = checks.as_uuid(registration_id, "registration")
        site = checks.as_uuid(site_id, "site") if site_id is not None else None
        if site is not None:
            schedule = self.maybe(SiteSchedule, schedule_id(site))
            if schedule is None:
                raise SiteNotFound(f"No vaccination site {site}: choose a site from the list.")
            ward = self.reference.ward(schedule.ward_code)
        elif ward_code is not None:
            ward = self.reference.ward(ward_code)
        else:
            raise MoveSameWard("Choose the ward or site to move to.", ward="")
        require_in_province(actor, ward.province_code)

        def attempt(at: datetime) -> Outcome:
            reg = self.registration(reg_id)
            person = self.get_person(reg.person_id)
            permissions.require_queue_actor(
                actor,
                person.id,
                person.guardian_id,
                province_code=reg.province_code,  # an officer moves only their province's queue
                ward_code=reg.ward_code,
                site_id=reg.site_id,
                actor_ward=self.actor_ward(actor),
            )
            if reg.ward_code == ward.code and reg.site_id == site:
                raise MoveSameWard(
                    f"This registration already waits in {ward.name}: choose another ward or site.",
                    ward=ward.name,
                )
            reg.transfer(
                ward_code=ward.code, province_code=ward.province_code, site_id=site, actor=actor, at=at
            )
            message = self.message(
                person_id=person.id,
                kind=MessageKind.TRANSFER,
                text=transfer_text(
                    f"{ward.full_name or ward.name}, {self.reference.province(ward.province_code).name}",
                    reg.dose_number,
                    reg.language,
                ),
                language=reg.language,
                cause=reg.id,
                actor=actor,
                at=at,
                serial=reg.transfers,
            )
            return Outcome([reg, message], {})

        self.run_command(
            "transfer_registration",
            idempotency_key,
            {"r": reg_id, "ward": ward.code, "site": site, "actor": actor},
            attempt,
        )
