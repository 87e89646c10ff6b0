"""The site's day for its staff: the day's list, arrivals, no-shows, doses given, closing the day; and
the daily job (earlier days closed, next doses registered, reminders and check-ins queued)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from ledger.campaign.message_commands import SCHEDULER
from ledger.campaign.values import (
    plan_id,
)
from ledger.reference import Vaccine
from ledger.values import Actor
from projections import (
    plan_queries,
)
from services.campaign_base import CampaignBase, as_id, derived_key
from services.stock import StockService


@dataclass(frozen=True)
class DayTasks:
    """What the day's job did."""

    no_shows: int
    next_doses_registered: int
    reminders: int
    checkins: int


def _may_be_due(vaccine: Vaccine | None, number: int, given: date, today: date) -> bool:
    """Whether a next primary dose may be due today (the ledger decides; this only spares it loading
    people whose interval has not passed yet, or whose series is complete)."""
    if vaccine is None:
        return True
    if number >= vaccine.doses_in_primary_series:
        return False
    return given + timedelta(days=vaccine.min_interval_days or 0) <= today


class SiteDayOperations(CampaignBase):
    """A site's day and the daily job."""

    def day(self, site_id: str | UUID, day: date) -> plan_queries.DayRow | None:
        """A site's day as planned, every appointment with its status (the staff's today page)."""
        self.refresh()
        return plan_queries.day_plan(self.store, as_id(site_id, "site"), day)

    def names(self, day: plan_queries.DayRow | None) -> dict[str, str]:
        """The names of the people on a day's list, by person id (one batched read; "[erased]" when erased)."""
        ids = [UUID(a.person_id) for s in (day.sessions if day else []) for a in s.appointments]
        return {str(pid): name for pid, name in self.ledger.person_names(ids).items()}

    def check_in(self, appointment_id: str | UUID, *, actor: Actor) -> None:
        """The person arrived."""
        a = self._appointment(appointment_id)
        self.ledger.check_in(
            plan_id=UUID(a.plan_id),
            appointment_id=UUID(a.appointment_id),
            actor=actor,
            idempotency_key=derived_key("check-in", a.appointment_id),
        )

    def mark_no_show(self, appointment_id: str | UUID, *, actor: Actor) -> None:
        """The person did not come (said during the day): released and re-queued with their priority."""
        a = self._appointment(appointment_id)
        self.ledger.mark_no_show(
            plan_id=UUID(a.plan_id),
            appointment_id=UUID(a.appointment_id),
            actor=actor,
            idempotency_key=derived_key("no-show", a.appointment_id),
        )

    def record_late_arrival(self, appointment_id: str | UUID, *, actor: Actor) -> None:
        """The person marked as not come turned up later the same day: checked in on the appointment."""
        a = self._appointment(appointment_id)
        self.ledger.record_late_arrival(
            plan_id=UUID(a.plan_id),
            appointment_id=UUID(a.appointment_id),
            actor=actor,
            idempotency_key=derived_key("came-late", a.appointment_id),
        )

    def record_dose(
        self,
        appointment_id: str | UUID,
        *,
        lot_id: str | UUID,
        actor: Actor,
        vaccinator_id: str | None = None,
    ) -> UUID:
        """Record the dose given at an appointment (links it)."""
        a = self._appointment(appointment_id)
        return self.ledger.record_appointment_dose(
            plan_id=UUID(a.plan_id),
            appointment_id=UUID(a.appointment_id),
            lot_id=as_id(lot_id, "lot"),
            vaccinator_id=vaccinator_id,
            actor=actor,
            idempotency_key=derived_key("dose", a.appointment_id),
        )

    def record_session_doses(
        self,
        site_id: str | UUID,
        day: date,
        doses: Sequence[tuple[str | UUID, str | UUID]],
        *,
        actor: Actor,
        vaccinator_id: str | None = None,
    ) -> list[UUID]:
        """Check in and record the doses of many appointments of one site-day together (a session's
        list entered at its end): (appointment id, lot id) pairs; all or nothing; returns the dose ids."""
        site_uuid = as_id(site_id, "site")
        pairs = [(as_id(a, "appointment"), as_id(lot, "lot")) for a, lot in doses]
        return self.ledger.record_session_doses(
            plan_id=plan_id(site_uuid, day),
            doses=pairs,
            vaccinator_id=vaccinator_id,
            actor=actor,
            idempotency_key=derived_key("session-doses", site_uuid, day, pairs),
        )

    def close_day(self, site_id: str | UUID, day: date, *, actor: Actor) -> int:
        """End of a site's day: no-shows released and re-queued with their original priority."""
        site_uuid = as_id(site_id, "site")
        return self.ledger.close_day(
            site_id=site_uuid, day=day, actor=actor, idempotency_key=derived_key("close", site_uuid, day)
        )

    def run_day(self, day: date | None = None) -> DayTasks:
        """The daily job: close earlier days (no-shows), register next doses now due, queue tomorrow's
        reminders and the day-1 and day-7 check-ins. Running it twice does nothing more."""
        today = day or self.ledger.today()
        self.refresh()
        no_shows = 0
        for _, site_id, plan_day_text in plan_queries.plans_before(self.store, today):
            no_shows += self.close_day(site_id, date.fromisoformat(plan_day_text), actor=SCHEDULER)
        # Vials opened before today and not used up are wasted; expired doses are written off.
        StockService(self.ledger, self.store).end_of_day(today - timedelta(days=1), actor=SCHEDULER)
        vaccines = self.ledger.reference.vaccines
        due = [
            p
            for p, number, product, given in plan_queries.last_doses_without_next(
                self.store, today - timedelta(days=120)
            )
            if _may_be_due(vaccines.get(product), number, date.fromisoformat(given), today)
        ]
        registered = 0
        for start in range(0, len(due), 500):
            chunk = due[start : start + 500]
            registered += self.ledger.register_due_doses(
                chunk, day=today, idempotency_key=derived_key("due", today, chunk)
            )
        tomorrow = [UUID(p) for p, _ in plan_queries.plans_on(self.store, today + timedelta(days=1))]
        reminders = (
            self.ledger.queue_reminders(tomorrow, idempotency_key=derived_key("remind", today, tomorrow))
            if tomorrow
            else 0
        )
        checkins = 0
        for days_after in (1, 7):
            doses = plan_queries.doses_on(self.store, today - timedelta(days=days_after))
            for start in range(0, len(doses), 500):
                part = doses[start : start + 500]
                checkins += self.ledger.queue_checkins(
                    part,
                    days_after=days_after,
                    idempotency_key=derived_key("checkin", days_after, today, part),
                )
        self.refresh()
        return DayTasks(no_shows, registered, reminders, checkins)
