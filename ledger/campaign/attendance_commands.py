"""Use cases on the day itself: check-in, no-shows (one person during the day, undone if they come late;
everyone left at the day's end), and recording the dose given at an appointment (one, or a session's).

Every change saves the day plan, the registrations it touches, the person and the stock in one
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import checks
from ledger.campaign import permissions
from ledger.campaign.base import CampaignBase
from ledger.campaign.errors import LateArrivalRebooked, NoShowVaccinatedToday
from ledger.campaign.plans import Appointment, DayPlan
from ledger.campaign.registrations import Registration
from ledger.campaign.values import AppointmentStatus, RegistrationStatus
from ledger.campaign.values import plan_id as day_plan_id
from ledger.commands import Outcome
from ledger.domainmodel import Person, VaccineLot
from ledger.doses import DoseCommands
from ledger.errors import RuleViolation
from ledger.records import DoseRequest
from ledger.values import Actor


class AttendanceCommands(CampaignBase, DoseCommands):
    """Check in, close the day, record the dose given at an appointment."""

    def check_in(self, *, plan_id: UUID, appointment_id: UUID, actor: Actor, idempotency_key: str) -> None:
        """The person arrived at the site."""
        pid = checks.as_uuid(plan_id, "plan")
        aid = checks.as_uuid(appointment_id, "appointment")

        def attempt(at: datetime) -> Outcome:
            plan = self.plan(pid)
            permissions.require_site_worker(actor, plan.site_id, self.site_province(plan.site_id))
            plan.check_in(aid, today=self.today(), actor=actor, at=at)
            return Outcome([plan], {})

        self.run_command("check_in", idempotency_key, {"plan": pid, "a": aid, "actor": actor}, attempt)

    def close_day(self, *, site_id: UUID, day: date, actor: Actor, idempotency_key: str) -> int:
        """End of the day: booked people who did not get their dose are no-shows, released back to the
        queue with their original priority; returns how many."""
        site_id = checks.as_uuid(site_id, "site")
        permissions.require_site_worker(actor, site_id, self.site_province(site_id))

        def attempt(at: datetime) -> Outcome:
            plan = self.maybe(DayPlan, day_plan_id(site_id, day))
            if plan is None:
                return Outcome([], {"n": 0})
            missing = plan.close_day(actor=actor, at=at)
            regs = self.many(Registration, [a.registration_id for a in missing])
            saved: list[Aggregate] = [plan]
            for a in missing:
                reg = regs[a.registration_id]
                if reg.status is RegistrationStatus.BOOKED and reg.appointment_id == a.appointment_id:
                    reg.release(appointment_id=a.appointment_id, reason="no_show", actor=actor, at=at)
                    saved.append(reg)
            return Outcome(saved, {"n": len(missing)})

        result = self.run_command(
            "close_day", idempotency_key, {"site": site_id, "day": day, "actor": actor}, attempt
        )
        return int(result["n"])

    def mark_no_show(
        self, *, plan_id: UUID, appointment_id: UUID, actor: Actor, idempotency_key: str
    ) -> None:
        """A booked person did not come, said before the day is closed (the staff's "did not come"):
        released back to the queue with their original priority, as the day's end does. Refused for
        someone vaccinated that day (at the desk), for another site's list, on another day."""
        pid = checks.as_uuid(plan_id, "plan")
        aid = checks.as_uuid(appointment_id, "appointment")

        def attempt(at: datetime) -> Outcome:
            plan = self.plan(pid)
            permissions.require_site_worker(actor, plan.site_id, self.site_province(plan.site_id))
            a = plan.appointment(aid)
            person = self.get_person(a.person_id)
            if any(d.administered_on == plan.day for d in person.active_doses):
                raise NoShowVaccinatedToday(
                    f"This person was vaccinated on {plan.day.isoformat()}: they came, so they cannot be "
                    "marked as not come.",
                    day=plan.day,
                )
            plan.mark_no_show(aid, today=self.today(), actor=actor, at=at)
            reg = self.registration(a.registration_id)
            saved: list[Aggregate] = [plan]
            if reg.status is RegistrationStatus.BOOKED and reg.appointment_id == aid:
                reg.release(appointment_id=aid, reason="no_show", actor=actor, at=at)
                saved.append(reg)
            return Outcome(saved, {})

        self.run_command("mark_no_show", idempotency_key, {"plan": pid, "a": aid, "actor": actor}, attempt)

    def record_late_arrival(
        self, *, plan_id: UUID, appointment_id: UUID, actor: Actor, idempotency_key: str
    ) -> None:
        """Undo today's no-show: the person came late. They are checked in, and their registration holds
        this appointment again (refused if it moved on meanwhile, or if the place was given away)."""
        pid = checks.as_uuid(plan_id, "plan")
        aid = checks.as_uuid(appointment_id, "appointment")

        def attempt(at: datetime) -> Outcome:
            plan = self.plan(pid)
            permissions.require_site_worker(actor, plan.site_id, self.site_province(plan.site_id))
            a = plan.appointment(aid)
            plan.check_attendance_open(self.today())
            reg = self.registration(a.registration_id)
            if a.status is AppointmentStatus.NO_SHOW and reg.status is not RegistrationStatus.WAITING:
                booked = reg.booked_day if reg.status is RegistrationStatus.BOOKED else None
                raise LateArrivalRebooked(
                    f"Since the no-show this person's registration is {reg.status.value}"
                    + (f" (a new appointment on {booked.isoformat()})" if booked else "")
                    + ": record today's dose at the desk.",
                    status=reg.status.value,
                    day=booked or "",
                )
            plan.arrive_late(aid, today=self.today(), actor=actor, at=at)
            reg.book(
                appointment_id=aid,
                plan_id=pid,
                site_id=plan.site_id,
                day=plan.day,
                session=a.session,
                actor=actor,
                at=at,
            )
            return Outcome([plan, reg], {})

        self.run_command(
            "record_late_arrival", idempotency_key, {"plan": pid, "a": aid, "actor": actor}, attempt
        )

    def _give(
        self,
        plan: DayPlan,
        a: Appointment,
        person: Person,
        reg: Registration,
        lot: VaccineLot,
        interval: int | None,
        vaccinator: str,
        today: date,
        actor: Actor,
        at: datetime,
    ) -> UUID:
        """The dose given at an appointment: on the person, linked on the plan, the registration fulfilled."""
        self._check_birth(person, today)
        previous = person.active_doses[-1].product if person.active_doses else None
        dose_id = self.new_id()
        person.administer_dose(
            dose_id=dose_id,
            dose_number=a.dose_number,
            product=lot.product,
            lot_id=lot.id,
            lot_number=lot.lot_number,
            administered_on=today,
            site_id=plan.site_id,
            vaccinator_id=vaccinator,
            min_interval_days=self._interval(previous, lot.product) if previous else interval,
            actor=actor,
            at=at,
        )
        plan.link_dose(a.appointment_id, dose_id, actor=actor, at=at)
        reg.fulfil(dose_id=dose_id, actor=actor, at=at)
        return dose_id

    def record_session_doses(
        self,
        *,
        plan_id: UUID,
        doses: Sequence[tuple[UUID, UUID]],
        actor: Actor,
        idempotency_key: str,
        vaccinator_id: str | None = None,
    ) -> list[UUID]:
        """Many people of one site-day checked in and given their dose, in one transaction (a session's
        list entered together at its end): `doses` is (appointment id, lot id) pairs, each checked as
        `check_in` + `record_appointment_dose` check one; any refusal refuses the whole list. Returns
        the dose ids in the order given."""
        pid = checks.as_uuid(plan_id, "plan")
        checks.batch_size(len(doses), "dose", "doses")
        pairs = [(checks.as_uuid(a, "appointment"), checks.as_uuid(lot, "lot")) for a, lot in doses]
        if len({a for a, _ in pairs}) != len(pairs):
            raise RuleViolation("The same appointment appears twice in this list: record each dose once.")
        today = self.today()
        plan = self.plan(pid)
        if plan.day != today:
            raise RuleViolation(
                f"These appointments are for {plan.day.isoformat()}, not today: record the doses at the desk."
            )
        lots: dict[UUID, VaccineLot] = {}
        checked: list[tuple[Appointment, VaccineLot, int | None, str]] = []
        for aid, lid in pairs:
            a = plan.appointment(aid)
            lot = lots.get(lid) or self.get_lot(lid)
            request = DoseRequest(
                person_id=a.person_id,
                dose_number=a.dose_number,
                product=lot.product,
                lot_id=lid,
                administered_on=today,
                site_id=plan.site_id,
                vaccinator_id=vaccinator_id,
            )
            _item, interval, vaccinator = self._check_dose(request, actor, today, lots, {})
            checked.append((a, lots[lid], interval, vaccinator))

        def attempt(at: datetime) -> Outcome:
            current = self.plan(pid)
            people = self.get_people([a.person_id for a, _, _, _ in checked])
            regs = self.many(Registration, [a.registration_id for a, _, _, _ in checked])
            ids: list[UUID] = []
            for a, lot, interval, vaccinator in checked:
                permissions.require_site_worker(actor, current.site_id)
                if current.appointment(a.appointment_id).status is AppointmentStatus.BOOKED:
                    current.check_in(a.appointment_id, today=today, actor=actor, at=at)
                person = people.get(a.person_id) or self.get_person(a.person_id)
                reg = regs.get(a.registration_id) or self.registration(a.registration_id)
                ids.append(self._give(current, a, person, reg, lot, interval, vaccinator, today, actor, at))
            drawn = self.draw_stock([(lot.id, today) for _, lot, _, _ in checked], actor, at)
            saved: list[Aggregate] = [current, *people.values(), *regs.values()]
            return Outcome(saved, {"doses": "".join(i.hex for i in ids)}, locked=drawn)

        result = self.run_command(
            "record_session_doses",
            idempotency_key,
            {"plan": pid, "doses": pairs, "v": vaccinator_id, "actor": actor},
            attempt,
        )
        text = str(result["doses"])
        return [UUID(hex=text[i : i + 32]) for i in range(0, len(text), 32)]

    def record_appointment_dose(
        self,
        *,
        plan_id: UUID,
        appointment_id: UUID,
        lot_id: UUID,
        actor: Actor,
        idempotency_key: str,
        vaccinator_id: str | None = None,
    ) -> UUID:
        """Record the dose given at an appointment (today, at its site, the appointment's dose number)
        and link it: the appointment is done and the registration fulfilled, in one transaction."""
        pid = checks.as_uuid(plan_id, "plan")
        aid = checks.as_uuid(appointment_id, "appointment")
        lid = checks.as_uuid(lot_id, "lot")
        today = self.today()
        plan = self.plan(pid)
        a = plan.appointment(aid)
        if plan.day != today:
            raise RuleViolation(
                f"This appointment is for {plan.day.isoformat()}, not today: record the dose at the desk."
            )
        lot = self.get_lot(lid)
        request = DoseRequest(
            person_id=a.person_id,
            dose_number=a.dose_number,
            product=lot.product,
            lot_id=lid,
            administered_on=today,
            site_id=plan.site_id,
            vaccinator_id=vaccinator_id,
        )
        _item, interval, vaccinator = self._check_dose(request, actor, today, {}, {})

        def attempt(at: datetime) -> Outcome:
            current = self.plan(pid)
            person = self.get_person(a.person_id)
            reg = self.registration(a.registration_id)
            dose_id = self._give(current, a, person, reg, lot, interval, vaccinator, today, actor, at)
            drawn = self.draw_stock([(lid, today)], actor, at)
            return Outcome([person, current, reg], {"dose": dose_id.hex}, locked=drawn)

        result = self.run_command(
            "record_appointment_dose",
            idempotency_key,
            {"plan": pid, "a": aid, "lot": lid, "v": vaccinator, "actor": actor},
            attempt,
        )
        return UUID(hex=str(result["dose"]))
