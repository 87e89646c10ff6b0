"""Planning a site's days from its area's queue (a day, a week, a province's day) and cancelling a
session with its people re-booked. Idempotency keys are derived from what is booked, so a retried plan
writes nothing twice, and planning the same day again with nothing new writes nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from ledger.campaign import permissions as campaign_permissions
from ledger.campaign.errors import (
    NoStock,
)
from ledger.campaign.message_commands import SCHEDULER
from ledger.campaign.planning import SessionPlaces, plan_day
from ledger.campaign.values import (
    allowed_products,
    check_day,
    extra_wait_days,
)
from ledger.errors import NotPermitted, SiteNotFound
from ledger.values import Actor, Role
from projections import (
    plan_queries,
    queue_queries,
    site_queries,
    site_stock_queries,
)
from services.campaign_base import CampaignBase, as_id, derived_key
from services.province_planning import ProvinceDay, plan_province


@dataclass(frozen=True)
class PlannedDay:
    """A site's day after planning: the JSON of `immunize plan day`."""

    site_id: str
    date: str
    sessions: list[dict[str, Any]]
    waiting: int
    booked_now: int
    closed: bool = False
    # Why the `waiting` due people have no place: groups whose counts add up to `waiting`
    # (ledger.campaign.planning.WaitingGroup.as_json), largest first.
    waiting_reasons: tuple[dict[str, Any], ...] = ()
    not_due: int = 0  # registered in the site's area but not due by this day (not in `waiting`)
    first_due: str | None = None  # the earliest day one of them is due

    def as_json(self) -> dict[str, Any]:
        """{"site_id", "date", "sessions": [...], "waiting", "waiting_reasons": [{"reason", "count",
        "dose_number", "product"}], "not_due_yet": {"count", "first_due"}}."""
        return {
            "site_id": self.site_id,
            "date": self.date,
            "sessions": self.sessions,
            "waiting": self.waiting,
            "waiting_reasons": list(self.waiting_reasons),
            "not_due_yet": {"count": self.not_due, "first_due": self.first_due},
        }


class PlanningOperations(CampaignBase):
    """Planning days and cancelling sessions."""

    def plan_day(self, site_id: str | UUID, day: date | str, *, actor: Actor) -> PlannedDay:
        """Fill the site's sessions of that day from its area's queue; running it again writes nothing
        new unless new people registered or places were freed. Read and written under the site's
        booking lock (ledger.campaign.site_locks): another planner of the site waits, then reads these
        bookings, so two planners at once never book the same doses twice."""
        site_uuid = as_id(site_id, "site")
        with self.ledger.site_locks.hold([site_uuid]):
            return self._plan_day(site_uuid, site_id, day, actor=actor)

    def _plan_day(self, site_uuid: UUID, site_id: str | UUID, day: date | str, *, actor: Actor) -> PlannedDay:
        the_day = check_day(day, self.ledger.today())
        self.refresh()
        site = site_queries.site(self.store, site_uuid)
        if site is None:
            raise SiteNotFound(f"No vaccination site {site_id}: see `immunize site list`.")
        schedule = self.ledger.schedule(site_uuid)
        # Who may plan it, before anything is read: with nothing new to book nothing reaches the ledger's
        # own check, and the answer (the day's plan) was shown to anyone (the CLI's attacker walk).
        campaign_permissions.require_site_manager(actor, schedule.province_code, site_uuid)
        existing = plan_queries.day_plan(self.store, site_uuid, the_day)
        if existing is None:
            schedule.check_open_on(the_day)
            sessions = [SessionPlaces(s.name, s.capacity) for s in schedule.sessions]
        else:
            sessions = [SessionPlaces(s.name, s.capacity, s.taken, s.cancelled) for s in existing.sessions]
        candidates = queue_queries.candidates(self.store, site.site_id, site.ward, the_day)
        stock = {
            s.product: s.free
            for s in site_stock_queries.stock(
                self.store, the_day, today=self.ledger.today(), site_id=site.site_id
            )
        }
        busy = (
            queue_queries.busy_people(self.store, the_day, [c.person_id for c in candidates])
            if candidates
            else set()
        )
        reference = self.ledger.reference
        cache: dict[str | None, tuple[str, ...]] = {}

        def allowed(previous: str | None) -> tuple[str, ...]:
            if previous not in cache:
                cache[previous] = allowed_products(previous, reference)
            return cache[previous]

        result = plan_day(
            the_day,
            sessions,
            candidates,
            stock,
            allowed,
            busy,
            wait=lambda p, q: extra_wait_days(p, q, reference),
        )
        free_places = sum(s.free for s in sessions)
        if not result.bookings and candidates and free_places and not any(n > 0 for n in stock.values()):
            raise NoStock(
                f"Site {site.name} has no vaccine in stock for {the_day.isoformat()}: allocate a lot to it, "
                "then plan again.",
                site=site.name,
                day=the_day,
            )
        booked_now = 0
        if result.bookings or existing is None:
            booked = self.ledger.book_day(
                site_id=site_uuid,
                day=the_day,
                bookings=result.bookings,
                actor=actor,
                idempotency_key=derived_key(
                    "plan",
                    site_uuid,
                    the_day,
                    existing.sessions if existing else None,
                    [(b.registration_id, b.session, b.product) for b in result.bookings],
                ),
            )
            booked_now = len(booked.appointment_ids)
            self.refresh()
        not_due, first_due = queue_queries.not_yet_due(self.store, site.site_id, site.ward, the_day)
        planned = self._planned(site_uuid, the_day, result.waiting, booked_now)
        return replace(
            planned,
            waiting_reasons=tuple(g.as_json() for g in result.reasons),
            not_due=not_due,
            first_due=first_due.isoformat() if first_due else None,
        )

    def plan_province_day(
        self, province: str, day: date | str, *, actor: Actor, workers: int = 1
    ) -> ProvinceDay:
        """Plan a day at every site of a province in one run (see services.province_planning), under
        every one of its sites' booking locks (a site planned alone at the same moment waits)."""
        self.refresh()
        code = self.ledger.reference.province(province).code
        sites = [UUID(s.site_id) for s in site_queries.sites(self.store, province=code)]
        with self.ledger.site_locks.hold(sites):
            return plan_province(
                self.ledger, self.store, self.refresh, province, day, actor=actor, workers=workers
            )

    def _planned(self, site_id: UUID, day: date, waiting: int, booked_now: int) -> PlannedDay:
        plan = plan_queries.day_plan(self.store, site_id, day, holding_only=True)
        sessions = [
            {
                "name": s.name,
                "start": s.start,
                "end": s.end,
                "capacity": s.capacity,
                "appointments": [a.as_plan_entry() for a in s.appointments],
            }
            for s in (plan.sessions if plan else [])
        ]
        return PlannedDay(
            str(site_id), day.isoformat(), sessions, waiting, booked_now, bool(plan and plan.closed)
        )

    def plan_week(
        self, site_id: str | UUID, start: date | str, *, actor: Actor, days: int = 7
    ) -> list[PlannedDay]:
        """Plan each opening day of the week from `start` (closed days are skipped)."""
        first = check_day(start, self.ledger.today())
        schedule = self.ledger.schedule(as_id(site_id, "site"))
        planned = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            if day.weekday() in schedule.opening_days:
                try:
                    planned.append(self.plan_day(site_id, day, actor=actor))
                except NoStock:
                    break
        return planned

    def cancel_session(
        self,
        site_id: str | UUID,
        day: date,
        session: str,
        *,
        reason: str,
        actor: Actor,
        rebook_days: int = 14,
    ) -> tuple[int, list[PlannedDay]]:
        """Cancel a session, then re-book its people on the site's next opening days (they keep their
        original priority, so they come first among equals); returns (cancelled, days planned)."""
        site_uuid = as_id(site_id, "site")
        released = self.ledger.cancel_session(
            site_id=site_uuid,
            day=day,
            session=session,
            reason=reason,
            actor=actor,
            idempotency_key=derived_key("cancel-session", site_uuid, day, session),
        )
        planned: list[PlannedDay] = []
        schedule = self.ledger.schedule(site_uuid)
        manager = (
            actor
            if actor.role in (Role.PROVINCE_OFFICER, Role.ADMIN, Role.SYSTEM, Role.SITE_STAFF)
            else SCHEDULER
        )
        for offset in range(1, rebook_days + 1):
            later = day + timedelta(days=offset)
            if later.weekday() not in schedule.opening_days:
                continue
            try:
                planned.append(self.plan_day(site_uuid, later, actor=manager))
            except (NoStock, NotPermitted):
                break
            self.refresh()
            still = {
                r.registration_id
                for r in queue_queries.registrations_for_site(self.store, site_uuid)
                if r.status == "waiting"
            }
            if not still & {str(r) for r in released}:
                break
        return len(released), planned
