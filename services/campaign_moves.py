"""Changes to an appointment or a place in the queue: cancel, move to another session, day or site
(with the vaccine in stock there), the places it may move to, and moving a waiting registration to
another ward."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

from ledger.campaign.errors import (
    NoStock,
)
from ledger.campaign.values import (
    check_day,
)
from ledger.values import Actor
from projections import (
    plan_queries,
    priority_queries,
    queue_queries,
    site_queries,
    site_stock_queries,
)
from services.campaign_base import CampaignBase, as_id, derived_key


class MoveOperations(CampaignBase):
    """Cancelling and moving appointments, moving registrations."""

    def appointment(self, appointment_id: str | UUID) -> plan_queries.AppointmentRow:
        """One appointment as listed, or AppointmentNotFound."""
        return self._appointment(appointment_id)

    def cancel_appointment(
        self,
        appointment_id: str | UUID,
        *,
        actor: Actor,
        reason: str = "",
        withdraw: bool = False,
        idempotency_key: str | None = None,
    ) -> None:
        """The person (or staff) cancels an appointment (on a page, through the API, or by texting "HUY":
        then the key is the received text's)."""
        a = self._appointment(appointment_id)
        self.ledger.cancel_appointment(
            plan_id=UUID(a.plan_id),
            appointment_id=UUID(a.appointment_id),
            reason=reason,
            withdraw=withdraw,
            actor=actor,
            idempotency_key=idempotency_key or derived_key("cancel", a.appointment_id),
        )

    def move_appointment(
        self, appointment_id: str | UUID, *, site_id: str | UUID, day: date | str, session: str, actor: Actor
    ) -> UUID:
        """Move an appointment to another session, day or site; under the target site's booking lock
        (ledger.campaign.site_locks), so a planner of that site cannot take the same free dose."""
        with self.ledger.site_locks.hold([as_id(site_id, "site")]):
            return self._move_appointment(
                appointment_id, site_id=site_id, day=day, session=session, actor=actor
            )

    def _move_appointment(
        self, appointment_id: str | UUID, *, site_id: str | UUID, day: date | str, session: str, actor: Actor
    ) -> UUID:
        a = self._appointment(appointment_id)
        the_day = check_day(day, self.ledger.today())
        self._check_move_stock(a, as_id(site_id, "site"), the_day)
        return self.ledger.move_appointment(
            plan_id=UUID(a.plan_id),
            appointment_id=UUID(a.appointment_id),
            site_id=as_id(site_id, "site"),
            day=the_day,
            session=session,
            actor=actor,
            idempotency_key=derived_key("move", a.appointment_id, site_id, the_day, session),
        )

    def _check_move_stock(self, a: plan_queries.AppointmentRow, site_id: UUID, day: date) -> None:
        """A move to another site needs the appointment's vaccine free there (its own site holds it)."""
        if str(site_id) == a.site_id:
            return
        self.site(site_id)  # an unknown site is "not found", not "no stock"
        rows = site_stock_queries.stock(self.store, day, today=self.ledger.today(), site_id=site_id)
        if not any(r.product == a.product and r.free > 0 for r in rows):
            target = site_queries.site(self.store, site_id)
            raise NoStock(
                f"{target.name if target else site_id} has no {a.product} free for {day.isoformat()}: choose "
                "another site or day.",
                site=target.name if target else str(site_id),
                day=day,
            )

    def move_options(
        self,
        appointment_id: str | UUID,
        *,
        days: int = priority_queries.LOOK_AHEAD_DAYS,
        ward: str | None = None,
    ) -> list[priority_queries.SessionPlace]:
        """The sessions a booked appointment may move to: free places from tomorrow (or the day the dose
        is due) for `days` days, at its site or another open site of the same ward (or of `ward`, another
        ward or province) with the vaccine in stock; the appointment's own session is left out."""
        a = self._appointment(appointment_id)
        if a.status != "booked":
            return []
        current = site_queries.site(self.store, a.site_id)
        if current is None:
            return []
        if ward is not None:
            current = replace(current, ward=self.ledger.reference.ward(ward).code)
        today = self.ledger.today()
        due = next(
            (
                date.fromisoformat(r.due_on)
                for r in queue_queries.registrations_of_person(self.store, a.person_id)
                if r.registration_id == a.registration_id
            ),
            today,
        )
        first = max(today + timedelta(days=1), due)  # today's list is already set at the site
        ward_sites = [s for s in site_queries.sites(self.store, ward=current.ward) if s.status == "open"]
        stocked = {
            s.site_id
            for s in ward_sites
            if s.site_id == a.site_id
            or any(
                r.product == a.product and r.free > 0
                for r in site_stock_queries.stock(self.store, first, today=today, site_id=s.site_id)
            )
        }
        last = first + timedelta(days=days - 1)  # `days` days from the first, both ends included
        places = priority_queries.session_places(
            self.store, [s for s in ward_sites if s.site_id in stocked], first, last
        )
        return [p for p in places if (p.site_id, p.day, p.session) != (a.site_id, a.day, a.session)]

    def transfer_registration(
        self,
        registration_id: str | UUID,
        *,
        actor: Actor,
        ward_code: str | None = None,
        site_id: str | UUID | None = None,
        moves_seen: int | None = None,
    ) -> None:
        """A waiting person moves their place to another ward's queue (or a site of it), keeping their
        priority and registration time. `moves_seen` is how many times the registration had moved when
        the person chose (`moves_of`): a resent form is the same move, moving back later a new one."""
        reg = as_id(registration_id, "registration")
        site = as_id(site_id, "site") if site_id else None
        seen = self.moves_of(reg) if moves_seen is None else moves_seen
        self.ledger.transfer_registration(
            registration_id=reg,
            ward_code=ward_code or None,
            site_id=site,
            actor=actor,
            idempotency_key=derived_key("transfer", reg, ward_code, site, seen),
        )

    def withdraw_registration(self, registration_id: str | UUID, *, reason: str, actor: Actor) -> None:
        """Take a waiting place out of the queue (the person no longer wants it, moved abroad...): the
        person, or staff of the site or ward it waits at, or an officer of its province."""
        reg = as_id(registration_id, "registration")
        self.ledger.withdraw_registration(
            registration_id=reg, reason=reason, actor=actor, idempotency_key=derived_key("withdraw", reg)
        )

    def moves_of(self, registration_id: str | UUID) -> int:
        """How many times a registration has moved to another ward or site (0 when never)."""
        return int(getattr(self.ledger.registration(as_id(registration_id, "registration")), "transfers", 0))
