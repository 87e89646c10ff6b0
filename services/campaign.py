"""Campaign operations for the web, the API and the CLI: sites, registrations, planning, messages, stock.

A service reads the projections (after bringing the campaign and operations views up to the log),
decides with the ledger's pure planner, and writes through the ledger's commands, which re-check
every rule against the aggregates. Idempotency keys of planning are derived from what is booked, so
a retried plan writes nothing twice, and planning the same day again with nothing new writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from ledger.application import Ledger
from ledger.campaign.errors import (
    AppointmentNotFound,
    CampaignInputInvalid,
    GatewayError,
    NoStock,
)
from ledger.campaign.message_commands import (
    AttemptBatch,
    DeliveryOutcome,
    Outgoing,
    ReplyResult,
    parse_cancel,
)
from ledger.campaign.messages import Message
from ledger.campaign.planning import SessionPlaces, plan_day
from ledger.campaign.quiet_hours import QuietHours
from ledger.campaign.registration_commands import RegistrationEntry, RegistrationMade
from ledger.campaign.values import (
    EVERY_DAY,
    MessageKind,
    Session,
    allowed_products,
    check_day,
    extra_wait_days,
    plan_id,
)
from ledger.errors import NotPermitted, PersonNotFound, SiteNotFound
from ledger.phone import international
from ledger.reference import Vaccine
from ledger.values import Actor, Role
from projections import (
    message_queries,
    plan_queries,
    priority_queries,
    queue_queries,
    site_queries,
    site_stock_queries,
)
from projections.registry import catch_up_views
from projections.store import ViewStore
from services.province_planning import ProvinceDay, plan_province
from services.queue_estimate import WardReach, vietnam_time, ward_reach
from services.sms_cancel import cancel_by_sms
from services.sms_gateways import Gateway, GatewayUnavailable, Sms
from services.stock import StockService

VIEWS = ("operations", "campaign", "stock")
SCHEDULER = Actor("campaign-scheduler", Role.SYSTEM)


def _key(*parts: object) -> str:
    """An idempotency key derived from what a command does (a retry is the same request)."""
    return "campaign:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


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


@dataclass(frozen=True)
class MessageView:
    """A message as operators see it (number and text decrypted from the ledger)."""

    message_id: str
    to: str
    kind: str
    text: str
    status: str
    appointment_id: str | None
    attempts: int = 0
    parts: int = 1
    encoding: str = "UCS-2"

    def as_json(self) -> dict[str, Any]:
        """{"message_id", "to", "kind", "text", "status", "appointment_id"}."""
        return {
            "message_id": self.message_id,
            "to": self.to,
            "kind": self.kind,
            "text": self.text,
            "status": self.status,
            "appointment_id": self.appointment_id,
        }


@dataclass
class DeliveryReport:
    """What a sender run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    withdrawn: int = 0  # never sent: their appointment was cancelled first
    batches: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class QueuePlace:
    """A registration and its place in the ward's queue (position 1 = next; None when not waiting)."""

    registration: queue_queries.RegistrationRow
    position: int | None
    waiting: int
    next_day: str | None  # the ward's next day with places that can be given
    in_next_day: bool  # the planner, run ahead, reaches this person on that day
    expected_day: str | None = None  # the day the planner, run ahead, reaches them (None: not in 2 weeks)


@dataclass(frozen=True)
class DayTasks:
    """What the day's job did."""

    no_shows: int
    next_doses_registered: int
    reminders: int
    checkins: int


class CampaignService:
    """The campaign use cases on one ledger and its view store."""

    def __init__(self, ledger: Ledger, store: ViewStore) -> None:
        self.ledger = ledger
        self.store = store
        self._held = False

    @contextmanager
    def caught_up_once(self) -> Iterator[None]:
        """Many calls as one batch (every site's day planned, every site's list read): the views are
        brought up to the log once before and once after, not around each call. Inside, reads see the
        views as they were at the start: a call's own writes are not read back (a plan returns its
        `booked_now`, but its sessions as they were). The ledger still re-checks every write."""
        self.refresh()
        self._held = True
        try:
            yield
        finally:
            self._held = False
            self.refresh()

    def refresh(self) -> None:
        """Bring the campaign and operations views up to the log (reads then see every write so far).

        A projections follower may be applying the same pages at the same moment: the view's position
        then refuses the second writer's page (IntegrityError, rolled back), and catching up again
        resumes from the position the follower reached."""
        if self._held:
            return
        for _ in range(5):
            try:
                catch_up_views(self.ledger, self.store, VIEWS)
                return
            except IntegrityError:
                continue
        catch_up_views(self.ledger, self.store, VIEWS)

    # ---- sites -----------------------------------------------------------------------------------

    def add_site(
        self,
        *,
        code: str,
        name: str,
        ward_code: str,
        address: str,
        sessions: Sequence[Session],
        opening_days: Sequence[int] = EVERY_DAY,
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> site_queries.SiteRow:
        """Add a site with its sessions; returns it as listed."""
        site_id = self.ledger.add_campaign_site(
            code=code,
            name=name,
            ward_code=ward_code,
            address=address,
            sessions=sessions,
            opening_days=opening_days,
            actor=actor,
            idempotency_key=idempotency_key or _key("site", code, name, ward_code, address, sessions),
        )
        self.refresh()
        found = site_queries.site(self.store, site_id)
        assert found is not None
        return found

    def update_site(
        self,
        site_id: str | UUID,
        *,
        ward_code: str,
        address: str,
        sessions: Sequence[Session],
        opening_days: Sequence[int],
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> site_queries.SiteRow:
        """Edit a site (ward in its province, address, sessions with their capacity, opening days) in one
        transaction; days already planned keep their sessions. Returns the site as listed."""
        site_uuid = _uuid(site_id, "site")
        self.ledger.update_campaign_site(
            site_id=site_uuid,
            ward_code=ward_code,
            address=address,
            sessions=sessions,
            opening_days=opening_days,
            actor=actor,
            idempotency_key=idempotency_key
            or _key("site-edit", site_uuid, ward_code, address, sessions, opening_days, self.ledger.new_id()),
        )
        return self.site(site_uuid)

    def set_site_status(
        self,
        site_id: str | UUID,
        status: str,
        *,
        reason: str = "",
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> site_queries.SiteRow:
        """Pause a site (no new appointments) or reopen it; returns the site as listed."""
        site_uuid = _uuid(site_id, "site")
        self.ledger.set_site_status(
            site_id=site_uuid,
            status=status,
            reason=reason,
            actor=actor,
            idempotency_key=idempotency_key or _key("site-status", site_uuid, status, self.ledger.new_id()),
        )
        return self.site(site_uuid)

    def sites(self, *, province: str | None = None) -> list[site_queries.SiteRow]:
        """Campaign sites (a province's, or all)."""
        if province is not None:
            self.ledger.reference.province(province)
        self.refresh()
        return site_queries.sites(self.store, province=province)

    def site(self, site_id: str | UUID) -> site_queries.SiteRow:
        """One site, or SiteNotFound."""
        self.refresh()
        found = site_queries.site(self.store, _uuid(site_id, "site"))
        if found is None:
            raise SiteNotFound(f"No vaccination site {site_id}: see `immunize site list`.")
        return found

    # ---- registrations ---------------------------------------------------------------------------

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
        site = _uuid(site_id, "site") if site_id is not None else None
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

    # ---- planning --------------------------------------------------------------------------------

    def plan_day(self, site_id: str | UUID, day: date | str, *, actor: Actor) -> PlannedDay:
        """Fill the site's sessions of that day from its area's queue; running it again writes nothing
        new unless new people registered or places were freed."""
        site_uuid = _uuid(site_id, "site")
        the_day = check_day(day, self.ledger.today())
        self.refresh()
        site = site_queries.site(self.store, site_uuid)
        if site is None:
            raise SiteNotFound(f"No vaccination site {site_id}: see `immunize site list`.")
        schedule = self.ledger.schedule(site_uuid)
        existing = plan_queries.day_plan(self.store, site_uuid, the_day)
        if existing is None:
            schedule.check_open_on(the_day)
            sessions = [SessionPlaces(s.name, s.capacity) for s in schedule.sessions]
        else:
            sessions = [SessionPlaces(s.name, s.capacity, s.taken, s.cancelled) for s in existing.sessions]
        candidates = queue_queries.candidates(self.store, site.site_id, site.ward, the_day)
        stock = {
            s.product: s.free for s in site_stock_queries.stock(self.store, the_day, site_id=site.site_id)
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
                idempotency_key=_key(
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
        """Plan a day at every site of a province in one run (see services.province_planning)."""
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

    def day(self, site_id: str | UUID, day: date) -> plan_queries.DayRow | None:
        """A site's day as planned, every appointment with its status (the staff's today page)."""
        self.refresh()
        return plan_queries.day_plan(self.store, _uuid(site_id, "site"), day)

    def names(self, day: plan_queries.DayRow | None) -> dict[str, str]:
        """The names of the people on a day's list, by person id (one batched read; "[erased]" when erased)."""
        ids = [UUID(a.person_id) for s in (day.sessions if day else []) for a in s.appointments]
        return {str(pid): name for pid, name in self.ledger.person_names(ids).items()}

    def plan_week(
        self, site_id: str | UUID, start: date | str, *, actor: Actor, days: int = 7
    ) -> list[PlannedDay]:
        """Plan each opening day of the week from `start` (closed days are skipped)."""
        first = check_day(start, self.ledger.today())
        schedule = self.ledger.schedule(_uuid(site_id, "site"))
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
        site_uuid = _uuid(site_id, "site")
        released = self.ledger.cancel_session(
            site_id=site_uuid,
            day=day,
            session=session,
            reason=reason,
            actor=actor,
            idempotency_key=_key("cancel-session", site_uuid, day, session),
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

    def _appointment(self, appointment_id: str | UUID) -> plan_queries.AppointmentRow:
        self.refresh()
        found = plan_queries.appointment(self.store, _uuid(appointment_id, "appointment"))
        if found is None:
            raise AppointmentNotFound(f"No appointment {appointment_id}: check the id.")
        return found

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
            idempotency_key=idempotency_key or _key("cancel", a.appointment_id),
        )

    def move_appointment(
        self, appointment_id: str | UUID, *, site_id: str | UUID, day: date | str, session: str, actor: Actor
    ) -> UUID:
        """Move an appointment to another session, day or site."""
        a = self._appointment(appointment_id)
        the_day = check_day(day, self.ledger.today())
        self._check_move_stock(a, _uuid(site_id, "site"), the_day)
        return self.ledger.move_appointment(
            plan_id=UUID(a.plan_id),
            appointment_id=UUID(a.appointment_id),
            site_id=_uuid(site_id, "site"),
            day=the_day,
            session=session,
            actor=actor,
            idempotency_key=_key("move", a.appointment_id, site_id, the_day, session),
        )

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
        reg = _uuid(registration_id, "registration")
        site = _uuid(site_id, "site") if site_id else None
        seen = self.moves_of(reg) if moves_seen is None else moves_seen
        self.ledger.transfer_registration(
            registration_id=reg,
            ward_code=ward_code or None,
            site_id=site,
            actor=actor,
            idempotency_key=_key("transfer", reg, ward_code, site, seen),
        )

    def moves_of(self, registration_id: str | UUID) -> int:
        """How many times a registration has moved to another ward or site (0 when never)."""
        return int(getattr(self.ledger.registration(_uuid(registration_id, "registration")), "transfers", 0))

    def check_in(self, appointment_id: str | UUID, *, actor: Actor) -> None:
        """The person arrived."""
        a = self._appointment(appointment_id)
        self.ledger.check_in(
            plan_id=UUID(a.plan_id),
            appointment_id=UUID(a.appointment_id),
            actor=actor,
            idempotency_key=_key("check-in", a.appointment_id),
        )

    def mark_no_show(self, appointment_id: str | UUID, *, actor: Actor) -> None:
        """The person did not come (said during the day): released and re-queued with their priority."""
        a = self._appointment(appointment_id)
        self.ledger.mark_no_show(
            plan_id=UUID(a.plan_id),
            appointment_id=UUID(a.appointment_id),
            actor=actor,
            idempotency_key=_key("no-show", a.appointment_id),
        )

    def record_late_arrival(self, appointment_id: str | UUID, *, actor: Actor) -> None:
        """The person marked as not come turned up later the same day: checked in on the appointment."""
        a = self._appointment(appointment_id)
        self.ledger.record_late_arrival(
            plan_id=UUID(a.plan_id),
            appointment_id=UUID(a.appointment_id),
            actor=actor,
            idempotency_key=_key("came-late", a.appointment_id),
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
            lot_id=_uuid(lot_id, "lot"),
            vaccinator_id=vaccinator_id,
            actor=actor,
            idempotency_key=_key("dose", a.appointment_id),
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
        site_uuid = _uuid(site_id, "site")
        pairs = [(_uuid(a, "appointment"), _uuid(lot, "lot")) for a, lot in doses]
        return self.ledger.record_session_doses(
            plan_id=plan_id(site_uuid, day),
            doses=pairs,
            vaccinator_id=vaccinator_id,
            actor=actor,
            idempotency_key=_key("session-doses", site_uuid, day, pairs),
        )

    def close_day(self, site_id: str | UUID, day: date, *, actor: Actor) -> int:
        """End of a site's day: no-shows released and re-queued with their original priority."""
        site_uuid = _uuid(site_id, "site")
        return self.ledger.close_day(
            site_id=site_uuid, day=day, actor=actor, idempotency_key=_key("close", site_uuid, day)
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
                chunk, day=today, idempotency_key=_key("due", today, chunk)
            )
        tomorrow = [UUID(p) for p, _ in plan_queries.plans_on(self.store, today + timedelta(days=1))]
        reminders = (
            self.ledger.queue_reminders(tomorrow, idempotency_key=_key("remind", today, tomorrow))
            if tomorrow
            else 0
        )
        checkins = 0
        for days_after in (1, 7):
            doses = plan_queries.doses_on(self.store, today - timedelta(days=days_after))
            for start in range(0, len(doses), 500):
                part = doses[start : start + 500]
                checkins += self.ledger.queue_checkins(
                    part, days_after=days_after, idempotency_key=_key("checkin", days_after, today, part)
                )
        self.refresh()
        return DayTasks(no_shows, registered, reminders, checkins)

    # ---- the citizen: where an appointment may move, a person's place in the queue ----------------

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
                for r in site_stock_queries.stock(self.store, first, site_id=s.site_id)
            )
        }
        places = priority_queries.session_places(
            self.store, [s for s in ward_sites if s.site_id in stocked], first, first + timedelta(days=days)
        )
        return [p for p in places if (p.site_id, p.day, p.session) != (a.site_id, a.day, a.session)]

    def appointment(self, appointment_id: str | UUID) -> plan_queries.AppointmentRow:
        """One appointment as listed, or AppointmentNotFound."""
        return self._appointment(appointment_id)

    def _check_move_stock(self, a: plan_queries.AppointmentRow, site_id: UUID, day: date) -> None:
        """A move to another site needs the appointment's vaccine free there (its own site holds it)."""
        if str(site_id) == a.site_id:
            return
        self.site(site_id)  # an unknown site is "not found", not "no stock"
        rows = site_stock_queries.stock(self.store, day, site_id=site_id)
        if not any(r.product == a.product and r.free > 0 for r in rows):
            target = site_queries.site(self.store, site_id)
            raise NoStock(
                f"{target.name if target else site_id} has no {a.product} free for {day.isoformat()}: choose "
                "another site or day.",
                site=target.name if target else str(site_id),
                day=day,
            )

    def change_capacity(
        self, site_id: str | UUID, capacities: dict[str, int], *, actor: Actor
    ) -> site_queries.SiteRow:
        """New capacities for some of a site's sessions (times and opening days stay); days already
        planned keep theirs."""
        site_uuid = _uuid(site_id, "site")
        schedule = self.ledger.schedule(site_uuid)
        sessions = [
            Session(x.name, x.start, x.end, capacities.get(x.name, x.capacity)) for x in schedule.sessions
        ]
        self.ledger.change_sessions(
            site_id=site_uuid,
            sessions=sessions,
            opening_days=schedule.opening_days,
            actor=actor,
            idempotency_key=_key(
                "capacity", site_uuid, [s.as_list() for s in sessions], schedule.opening_days
            ),
        )
        return self.site(site_uuid)

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

    # ---- stock and the public list ---------------------------------------------------------------

    def stock(
        self, *, site_id: str | UUID | None = None, day: date | None = None
    ) -> list[site_stock_queries.StockRow]:
        """Stock per site and product."""
        self.refresh()
        return site_stock_queries.stock(
            self.store, day or self.ledger.today(), site_id=_uuid(site_id, "site") if site_id else None
        )

    def lots_at(self, site_id: str | UUID) -> list[tuple[str, str, str]]:
        """The unexpired lots a site holds today: (lot id, product, lot number)."""
        return site_stock_queries.lots_at(self.store, _uuid(site_id, "site"), self.ledger.today())

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

    # ---- messages --------------------------------------------------------------------------------

    def messages(
        self, *, status: str | None = None, kind: str | None = None, limit: int = 1_000
    ) -> list[MessageView]:
        """Messages with number and text (read from the ledger: personal data is not in the view)."""
        if status is not None and status not in ("pending", "sent", "failed", "withdrawn"):
            raise CampaignInputInvalid(
                f"{status!r} is not a message status: use pending, sent, failed or withdrawn."
            )
        if kind is not None and kind not in {k.value for k in MessageKind}:
            raise CampaignInputInvalid(
                f"{kind!r} is not a message kind: use one of {', '.join(k.value for k in MessageKind)}."
            )
        self.refresh()
        rows = message_queries.messages(self.store, status=status, kind=kind, limit=limit)
        aggregates = self.ledger.many(Message, [UUID(r.message_id) for r in rows])
        phones = self.ledger.recipients([UUID(r.person_id) for r in rows])
        views = []
        for r in rows:
            m = aggregates.get(UUID(r.message_id))
            views.append(
                MessageView(
                    r.message_id,
                    phones.get(UUID(r.person_id)) or "-",
                    r.kind,
                    m.text.text if m else "[erased]",
                    "pending" if r.status == "sending" else r.status,
                    r.appointment_id,
                    r.attempts,
                    r.parts,
                    r.encoding,
                )
            )
        return views

    def send_pending(
        self,
        gateway: Gateway,
        *,
        batch: int = 200,
        backoff: timedelta = timedelta(seconds=30),
        max_batches: int | None = None,
        workers: int = 1,
        on_batch: Callable[[int], None] | None = None,
        jitter: Callable[[], float] | None = None,
        quiet: QuietHours | None = None,
        shard: tuple[int, int] | None = None,
    ) -> DeliveryReport:
        """Deliver every message due now, in batches: attempts recorded, then the gateway called (the
        attempt id as idempotency key, at most `workers` calls at once), then the outcomes recorded in
        one transaction. While one batch is with the gateway the next batch's attempts are recorded
        and the previous batch's outcomes (two batches in flight at most). Stops when nothing is due,
        or when a whole batch failed (the gateway is down: the next run retries after the backoff).
        A failed message waits `backoff` x 2^(attempts-1), spread by `jitter` (see
        Ledger.record_outcomes). In `quiet` hours (Viet Nam's night) only the urgent kinds go out; the
        others wait for the morning. With `shard` (i, n) this sender reads only its part of the outbox:
        n senders (processes) then work on disjoint batches; the claim of each batch in the ledger keeps
        any overlap from sending twice."""
        report = DeliveryReport()
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sms-sender")
        flight: tuple[AttemptBatch, list[Future[DeliveryOutcome]]] | None = None
        started = 0
        stopping = False
        queue: list[UUID] = []
        passed: set[UUID] = set()
        try:
            while True:
                current: tuple[AttemptBatch, list[Future[DeliveryOutcome]]] | None = None
                while not stopping and (max_batches is None or started < max_batches):
                    if not queue:
                        # Read the next few batches' ids at once: the view is caught up less often
                        # (a message handled since is refused by its aggregate, never sent twice).
                        self.refresh()
                        busy = set(flight[0].messages) if flight is not None else set()
                        now = self.ledger.now()
                        due = message_queries.due_message_ids(
                            self.store,
                            now,
                            limit=batch * 5 + len(busy),
                            kinds=quiet.kinds_now(now) if quiet is not None else None,
                            shard=shard,
                        )
                        # An appointment cancelled before its text went out (at night, say): the person
                        # gets the "cancelled" text, never the appointment that no longer exists.
                        stale = set(message_queries.cancelled_appointment_messages(self.store, due))
                        if stale:
                            report.withdrawn += self.ledger.withdraw_messages(
                                sorted(stale), reason="its appointment was cancelled before it was sent"
                            )
                        queue = [i for i in due if i not in busy and i not in passed and i not in stale]
                    ids, queue = queue[:batch], queue[batch:]
                    if not ids:
                        break
                    attempts = self.ledger.start_attempt_batch(ids, quiet=quiet)
                    # Those neither sent nor failed now (held by another sender, or not due after all)
                    # are not read again in this run.
                    passed.update(set(ids) - set(attempts.messages))
                    if attempts.outgoing:
                        started += 1
                        current = (attempts, [pool.submit(_deliver, gateway, o) for o in attempts.outgoing])
                        break
                    # every one of them failed at once (no number): look for more
                if flight is not None:
                    outcomes = [f.result() for f in flight[1]]
                    self.ledger.record_outcomes(
                        outcomes, backoff=backoff, loaded=flight[0].messages, jitter=jitter
                    )
                    report.batches += 1
                    for o in outcomes:
                        if o.gateway_ref is not None:
                            report.sent += 1
                        else:
                            report.retrying += 1
                            report.errors.append(o.error)
                    if on_batch is not None:
                        on_batch(report.sent)
                    if all(o.gateway_ref is None for o in outcomes):
                        stopping = True  # the gateway is down: finish what is in flight, then stop
                if current is None:
                    break
                flight = current
        finally:
            pool.shutdown()
        self.refresh()
        report.failed = self.failed_count()
        return report

    def failed_count(self) -> int:
        """Messages given up on (shown to operators)."""
        return len(message_queries.messages(self.store, status="failed", limit=100_000))

    def reply(
        self, phone: str, text: str, *, message_id: str | None = None, received_at: str | None = None
    ) -> ReplyResult:
        """A reply from a phone (the gateway's inbound call, or `immunize messages reply`). A gateway that
        delivers the same message again (a retry after a timeout) records it once: see `reply_key`."""
        if not isinstance(text, str) or len(text) > 2_000:
            raise CampaignInputInvalid("The reply must be text of at most 2,000 characters.")
        digest = self.ledger.phone_digest(phone)
        key = reply_key(self.ledger, phone, text, message_id=message_id, received_at=received_at)
        cancel = parse_cancel(text)
        if cancel is not None:
            result = cancel_by_sms(self, phone, text, cancel, key)
            self.refresh()
            return result
        self.refresh()
        checkin, person = message_queries.latest_checkin(self.store, digest)
        result = self.ledger.receive_reply(
            phone=phone, text=text, checkin_id=checkin, person_id=person, idempotency_key=key
        )
        self.refresh()
        return result

    def kept_replies(self) -> list[tuple[str, str, str | None, str]]:
        """Replies kept for a human, oldest first."""
        self.refresh()
        return message_queries.kept_replies(self.store)


MAX_GATEWAY_FIELD = 200


def reply_key(
    ledger: Ledger, phone: str, text: str, *, message_id: str | None = None, received_at: str | None = None
) -> str:
    """The idempotency key of an inbound SMS, from what identifies the delivery: the gateway's message id
    when it gives one, else the sender, the text and the gateway's timestamp (the same words from the same
    phone at the same instant are one message). A keyed hash (the master key's): the receipt id sits in
    clear in the log and must not let anyone test guesses of a number or a reply. With neither (the CLI,
    the simulator: each call is one message by construction) every call is a new message.

    Not the check-in the reply answers: that is looked up when the reply arrives and moves on once the
    first delivery answered it, so a retry would not find the same one."""
    for value, what in ((message_id, "message_id"), (received_at, "received_at")):
        if value is not None and (not isinstance(value, str) or len(value) > MAX_GATEWAY_FIELD):
            raise CampaignInputInvalid(f"The gateway's {what} must be text of at most 200 characters.")
    if message_id is not None and message_id.strip():
        request = ["id", message_id.strip()]
    elif received_at is not None and received_at.strip():
        request = ["at", international(phone), text, received_at.strip()]
    else:
        return f"sms-reply-{uuid4()}"
    canonical = json.dumps(request, ensure_ascii=False).encode("utf-8")
    return "sms-reply-" + ledger.keys.master.fingerprint(b"sms-inbound:" + canonical)


def _deliver(gateway: Gateway, o: Outgoing) -> DeliveryOutcome:
    try:
        reference = gateway.send(Sms(o.message_id, o.to, o.text, o.encoding), str(o.attempt_id))
    except GatewayUnavailable as exc:
        return DeliveryOutcome(o.message_id, o.attempt_id, None, str(exc))
    except GatewayError as exc:
        return DeliveryOutcome(o.message_id, o.attempt_id, None, str(exc))
    return DeliveryOutcome(o.message_id, o.attempt_id, reference)


def _may_be_due(vaccine: Vaccine | None, number: int, given: date, today: date) -> bool:
    """Whether a next primary dose may be due today (the ledger decides; this only spares it loading
    people whose interval has not passed yet, or whose series is complete)."""
    if vaccine is None:
        return True
    if number >= vaccine.doses_in_primary_series:
        return False
    return given + timedelta(days=vaccine.min_interval_days or 0) <= today


def _uuid(value: object, what: str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value).strip())
    except ValueError:
        raise CampaignInputInvalid(f"{value!r} is not a {what} id: copy the id exactly.") from None


def plan_of(site_id: UUID, day: date) -> UUID:
    """The plan id of a site-day."""
    return plan_id(site_id, day)


def wait_between(backoff: timedelta) -> None:
    """Sleep for a backoff (the sender loop between empty polls)."""
    time.sleep(max(0.0, backoff.total_seconds()))
