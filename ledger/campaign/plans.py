"""A site's plan for one day: its sessions (as they were when first planned) and the appointments.

One aggregate per site and day (id derived from both). Every change to the day's appointments is an
event on it, so two planners working on the same day at once conflict in the store and one retries:
capacity holds under concurrency, not only in one process.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ledger.campaign.errors import (
    AlreadyBooked,
    AppointmentClosed,
    AppointmentNotFound,
    AttendanceNotOpen,
    LateArrivalNotNoShow,
    NoShowNotBooked,
    SessionUnavailable,
)
from ledger.campaign.values import AppointmentStatus, Session
from ledger.errors import RuleViolation
from ledger.values import Actor


@dataclass(frozen=True)
class Appointment:
    """One person's place in one session (state, rebuilt from events)."""

    appointment_id: UUID
    registration_id: UUID
    person_id: UUID
    session: str
    priority_rank: int
    dose_number: int
    product: str
    status: AppointmentStatus = AppointmentStatus.BOOKED
    dose_id: UUID | None = None

    def as_entry(self) -> list[str | int]:
        """The form stored in the booking event."""
        return [
            self.appointment_id.hex,
            self.registration_id.hex,
            self.person_id.hex,
            self.session,
            self.priority_rank,
            self.dose_number,
            self.product,
        ]

    @classmethod
    def from_entry(cls, entry: list[str | int]) -> Appointment:
        """Back from the stored form."""
        appointment, registration, person, session, rank, dose_number, product = entry
        return cls(
            UUID(hex=str(appointment)),
            UUID(hex=str(registration)),
            UUID(hex=str(person)),
            str(session),
            int(rank),
            int(dose_number),
            str(product),
        )


class DayPlan(Aggregate):
    """The appointments of one site on one day, by session."""

    id: UUID  # plan_id(site_id, day)

    class Opened(Aggregate.Created):
        """Planning of a site-day began; the sessions are fixed for the day from here."""

        actor: Actor
        at: datetime
        site_id: UUID
        day: date
        sessions: list[list[str | int]]

    @event(Opened)
    def __init__(
        self, actor: Actor, at: datetime, site_id: UUID, day: date, sessions: list[list[str | int]]
    ) -> None:
        self.site_id = site_id
        self.day = day
        self.sessions = tuple(Session.from_list(s) for s in sessions)
        self.cancelled_sessions: set[str] = set()
        self.appointments: dict[UUID, Appointment] = {}
        self.day_closed = False

    def session(self, name: str) -> Session:
        """The session with that name."""
        for s in self.sessions:
            if s.name == name:
                return s
        raise SessionUnavailable(
            f"There is no session {name!r} on {self.day.isoformat()}: use one of "
            f"{', '.join(s.name for s in self.sessions)}.",
            session=name,
            day=self.day,
        )

    def taken(self, session: str) -> int:
        """Places of a session held by an appointment."""
        return sum(1 for a in self.appointments.values() if a.session == session and a.status.holds_seat)

    def holding(self) -> list[Appointment]:
        """Appointments that hold a place, in session order then booking order."""
        order = {s.name: i for i, s in enumerate(self.sessions)}
        return sorted(
            (a for a in self.appointments.values() if a.status.holds_seat), key=lambda a: order[a.session]
        )

    def appointment(self, appointment_id: UUID) -> Appointment:
        """The appointment with that id."""
        try:
            return self.appointments[appointment_id]
        except KeyError:
            raise AppointmentNotFound(
                f"No appointment {appointment_id} on {self.day.isoformat()}: check the id."
            ) from None

    # ---- booking ------------------------------------------------------------------------------

    class AppointmentsBooked(Aggregate.Event):
        """People were given places (one event per planning run or booking)."""

        actor: Actor
        at: datetime
        entries: list[list[str | int]]

    def book(self, appointments: list[Appointment], *, actor: Actor, at: datetime) -> None:
        """Add appointments; refuses a full or cancelled session and a person already booked today."""
        if not appointments:
            return
        if self.day_closed:
            raise SessionUnavailable(
                f"The day {self.day.isoformat()} is closed: plan another day.", session="", day=self.day
            )
        taken: dict[str, int] = {}
        people: set[UUID] = set()
        for held in self.appointments.values():
            if held.status.holds_seat:
                taken[held.session] = taken.get(held.session, 0) + 1
                people.add(held.person_id)
        for a in appointments:
            session = self.session(a.session)
            if a.session in self.cancelled_sessions:
                raise SessionUnavailable(
                    f"The {a.session} session of {self.day.isoformat()} was cancelled.",
                    session=a.session,
                    day=self.day,
                )
            taken[a.session] = taken.get(a.session, 0) + 1
            if taken[a.session] > session.capacity:
                raise SessionUnavailable(
                    f"The {a.session} session of {self.day.isoformat()} is full ({session.capacity} "
                    "places): choose another session or day.",
                    session=a.session,
                    day=self.day,
                )
            if a.person_id in people:
                raise AlreadyBooked(
                    f"This person already has an appointment on {self.day.isoformat()}: move it instead.",
                    day=self.day,
                )
            people.add(a.person_id)
        self._booked(actor=actor, at=at, entries=[a.as_entry() for a in appointments])

    @event(AppointmentsBooked)
    def _booked(self, actor: Actor, at: datetime, entries: list[list[str | int]]) -> None:
        for entry in entries:
            a = Appointment.from_entry(entry)
            self.appointments[a.appointment_id] = a

    # ---- changes ------------------------------------------------------------------------------

    class AppointmentCancelled(Aggregate.Event):
        """An appointment was cancelled (by the person, or moved elsewhere); the place is free again."""

        actor: Actor
        at: datetime
        appointment_id: UUID
        reason: str

    def cancel(self, appointment_id: UUID, *, reason: str, actor: Actor, at: datetime) -> Appointment:
        """Cancel one booked appointment; returns it as it was."""
        a = self.appointment(appointment_id)
        if a.status is not AppointmentStatus.BOOKED:
            raise AppointmentClosed(
                f"This appointment is {a.status.value}: it can no longer be cancelled or moved.",
                status=a.status.value,
            )
        self._cancelled(actor=actor, at=at, appointment_id=appointment_id, reason=reason)
        return a

    @event(AppointmentCancelled)
    def _cancelled(self, actor: Actor, at: datetime, appointment_id: UUID, reason: str) -> None:
        self._set(appointment_id, AppointmentStatus.CANCELLED)

    class SessionCancelled(Aggregate.Event):
        """The site cancelled a session: its booked appointments are cancelled (and re-booked elsewhere)."""

        actor: Actor
        at: datetime
        session: str
        reason: str

    def cancel_session(self, name: str, *, reason: str, actor: Actor, at: datetime) -> list[Appointment]:
        """Cancel a session; returns the booked appointments it cancelled."""
        self.session(name)
        if name in self.cancelled_sessions:
            raise RuleViolation(f"The {name} session of {self.day.isoformat()} is already cancelled.")
        if any(
            a.session == name and a.status is AppointmentStatus.ARRIVED for a in self.appointments.values()
        ):
            raise RuleViolation(
                f"People have already arrived for the {name} session: vaccinate them or record no-shows first."
            )
        booked = [
            a
            for a in self.appointments.values()
            if a.session == name and a.status is AppointmentStatus.BOOKED
        ]
        self._session_cancelled(actor=actor, at=at, session=name, reason=reason)
        return booked

    @event(SessionCancelled)
    def _session_cancelled(self, actor: Actor, at: datetime, session: str, reason: str) -> None:
        self.cancelled_sessions.add(session)
        for a in list(self.appointments.values()):
            if a.session == session and a.status is AppointmentStatus.BOOKED:
                self._set(a.appointment_id, AppointmentStatus.CANCELLED)

    class ArrivalRecorded(Aggregate.Event):
        """The person checked in at the site."""

        actor: Actor
        at: datetime
        appointment_id: UUID

    def check_in(self, appointment_id: UUID, *, today: date, actor: Actor, at: datetime) -> None:
        """Turn an appointment into an arrival (on its day only)."""
        a = self.appointment(appointment_id)
        if today != self.day:
            raise RuleViolation(
                f"This appointment is for {self.day.isoformat()}, not today ({today.isoformat()})."
            )
        if a.status is not AppointmentStatus.BOOKED:
            raise RuleViolation(f"This appointment is {a.status.value}: it cannot be checked in.")
        self._arrived(actor=actor, at=at, appointment_id=appointment_id)

    @event(ArrivalRecorded)
    def _arrived(self, actor: Actor, at: datetime, appointment_id: UUID) -> None:
        self._set(appointment_id, AppointmentStatus.ARRIVED)

    class DoseLinked(Aggregate.Event):
        """The dose given at this appointment was recorded."""

        actor: Actor
        at: datetime
        appointment_id: UUID
        dose_id: UUID

    def link_dose(self, appointment_id: UUID, dose_id: UUID, *, actor: Actor, at: datetime) -> Appointment:
        """Mark the appointment done with the dose recorded (booked or arrived)."""
        a = self.appointment(appointment_id)
        if a.status not in (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED):
            raise RuleViolation(f"This appointment is {a.status.value}: record the dose without it.")
        self._dose_linked(actor=actor, at=at, appointment_id=appointment_id, dose_id=dose_id)
        return a

    @event(DoseLinked)
    def _dose_linked(self, actor: Actor, at: datetime, appointment_id: UUID, dose_id: UUID) -> None:
        a = self.appointments[appointment_id]
        self.appointments[appointment_id] = replace(a, status=AppointmentStatus.DONE, dose_id=dose_id)

    class DayClosed(Aggregate.Event):
        """The day ended: whoever was booked and did not come is a no-show (released, re-queued)."""

        actor: Actor
        at: datetime
        no_shows: list[str]

    def close_day(self, *, actor: Actor, at: datetime) -> list[Appointment]:
        """Close the day; returns the no-shows (booked or arrived without a dose)."""
        if self.day_closed:
            return []
        missing = [
            a
            for a in self.appointments.values()
            if a.status in (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)
        ]
        self._closed(actor=actor, at=at, no_shows=[a.appointment_id.hex for a in missing])
        return missing

    @event(DayClosed)
    def _closed(self, actor: Actor, at: datetime, no_shows: list[str]) -> None:
        self.day_closed = True
        for hex_id in no_shows:
            self._set(UUID(hex=hex_id), AppointmentStatus.NO_SHOW)

    # ---- a no-show during the day, undone if the person comes late -----------------------------

    class NoShowMarked(Aggregate.Event):
        """Staff marked a booked person as not come, before the day's end (their place is free)."""

        actor: Actor
        at: datetime
        appointment_id: UUID

    def mark_no_show(self, appointment_id: UUID, *, today: date, actor: Actor, at: datetime) -> Appointment:
        """A booked person did not come (today, before the day is closed); returns the appointment."""
        a = self.appointment(appointment_id)
        self.check_attendance_open(today)
        if a.status is not AppointmentStatus.BOOKED:
            raise NoShowNotBooked(
                f"This appointment is {a.status.value}: only a booked person can be marked as not come.",
                status=a.status.value,
            )
        self._no_show(actor=actor, at=at, appointment_id=appointment_id)
        return a

    @event(NoShowMarked)
    def _no_show(self, actor: Actor, at: datetime, appointment_id: UUID) -> None:
        self._set(appointment_id, AppointmentStatus.NO_SHOW)

    class LateArrivalRecorded(Aggregate.Event):
        """A person marked as not come turned up later the same day: arrived, their place held again."""

        actor: Actor
        at: datetime
        appointment_id: UUID

    def arrive_late(self, appointment_id: UUID, *, today: date, actor: Actor, at: datetime) -> Appointment:
        """Undo today's no-show: the person is here (the place must still be free)."""
        a = self.appointment(appointment_id)
        self.check_attendance_open(today)
        if a.status is not AppointmentStatus.NO_SHOW:
            raise LateArrivalNotNoShow(
                f"This appointment is {a.status.value}, not a no-show: check the person in instead.",
                status=a.status.value,
            )
        if a.session in self.cancelled_sessions or self.taken(a.session) >= self.session(a.session).capacity:
            raise SessionUnavailable(
                f"The {a.session} session of {self.day.isoformat()} has no free place any more: record the "
                "dose at the desk.",
                session=a.session,
                day=self.day,
            )
        if any(h.person_id == a.person_id and h.status.holds_seat for h in self.appointments.values()):
            raise AlreadyBooked(
                f"This person has another appointment on {self.day.isoformat()}: use that one.", day=self.day
            )
        self._came_late(actor=actor, at=at, appointment_id=appointment_id)
        return a

    @event(LateArrivalRecorded)
    def _came_late(self, actor: Actor, at: datetime, appointment_id: UUID) -> None:
        self._set(appointment_id, AppointmentStatus.ARRIVED)

    def check_attendance_open(self, today: date) -> None:
        """Refuses a no-show or late arrival on another day than `today`, or once the day is closed."""
        if self.day_closed or today != self.day:
            raise AttendanceNotOpen(
                f"The list of {self.day.isoformat()} is "
                + ("closed" if self.day_closed else f"not today's ({today.isoformat()})")
                + ": no-shows and late arrivals are recorded on the day itself, before it is closed.",
                day=self.day,
                closed=self.day_closed,
            )

    def _set(self, appointment_id: UUID, status: AppointmentStatus) -> None:
        self.appointments[appointment_id] = replace(self.appointments[appointment_id], status=status)
