"""Reads of planned days: sessions, appointments, the plans of a day, and the doses given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from projections.sql_reads import read_rows
from projections.store import Row, ViewStore


@dataclass(frozen=True)
class PlannedSession:
    """A session of a planned day: capacity, places held, cancelled or not."""

    name: str
    capacity: int
    taken: int
    cancelled: bool


def plans_of_day(store: ViewStore, day: date) -> dict[str, tuple[bool, list[PlannedSession]]]:
    """Every plan of `day` by site id: (closed, its sessions with places held), in two queries."""
    taken = {
        (str(r[0]), str(r[1])): int(r[2])
        for r in read_rows(
            store,
            f"SELECT plan_id, session, count(*) FROM {store.table('campaign_appointments')} WHERE day = ? "
            "AND status IN ('booked', 'arrived', 'done') GROUP BY plan_id, session",
            day.isoformat(),
        )
    }
    plans: dict[str, tuple[bool, list[PlannedSession]]] = {}
    for site_id, plan, closed, name, capacity, cancelled in read_rows(
        store,
        f"SELECT p.site_id, p.plan_id, p.closed, s.name, s.capacity, s.cancelled FROM {store.table('campaign_plans')} p "
        f"JOIN {store.table('campaign_sessions')} s ON s.plan_id = p.plan_id WHERE p.day = ? "
        "ORDER BY p.site_id, s.position",
        day.isoformat(),
    ):
        entry = plans.setdefault(str(site_id), (bool(closed), []))
        entry[1].append(
            PlannedSession(str(name), int(capacity), taken.get((str(plan), str(name)), 0), bool(cancelled))
        )
    return plans


@dataclass(frozen=True)
class AppointmentRow:
    """An appointment as the day's list shows it."""

    appointment_id: str
    plan_id: str
    site_id: str
    day: str
    session: str
    registration_id: str
    person_id: str
    priority_rank: int
    dose_number: int
    product: str
    status: str
    dose_id: str | None

    def as_plan_entry(self) -> dict[str, Any]:
        """The entry of `plan day --json`."""
        return {
            "appointment_id": self.appointment_id,
            "person_id": self.person_id,
            "priority_rank": self.priority_rank,
            "dose_number": self.dose_number,
            "product": self.product,
        }

    def as_json(self) -> dict[str, Any]:
        """The full JSON form."""
        return {
            **self.as_plan_entry(),
            "plan_id": self.plan_id,
            "site_id": self.site_id,
            "date": self.day,
            "session": self.session,
            "registration_id": self.registration_id,
            "status": self.status,
            "dose_id": self.dose_id,
        }


_APPOINTMENT_COLUMNS = (
    "appointment_id, plan_id, site_id, day, session, registration_id, person_id, priority_rank, dose_number, "
    "product, status, dose_id"
)


def _appointment(r: Row) -> AppointmentRow:
    return AppointmentRow(
        str(r[0]),
        str(r[1]),
        str(r[2]),
        str(r[3]),
        str(r[4]),
        str(r[5]),
        str(r[6]),
        int(r[7]),
        int(r[8]),
        str(r[9]),
        str(r[10]),
        str(r[11]) if r[11] else None,
    )


@dataclass(frozen=True)
class SessionRow:
    """A session of a planned day, with its appointments in booking order."""

    name: str
    start: str
    end: str
    capacity: int
    cancelled: bool
    appointments: list[AppointmentRow] = field(default_factory=list)

    @property
    def taken(self) -> int:
        """Places held (booked, arrived, done)."""
        return sum(1 for a in self.appointments if a.status in ("booked", "arrived", "done"))


@dataclass(frozen=True)
class DayRow:
    """A site's planned day: its sessions and appointments."""

    plan_id: str
    site_id: str
    day: str
    closed: bool
    sessions: list[SessionRow]


def day_plan(
    store: ViewStore, site_id: UUID | str, day: date, *, holding_only: bool = False
) -> DayRow | None:
    """A site's day as planned (None before any planning)."""
    plans = read_rows(
        store,
        f"SELECT plan_id, closed FROM {store.table('campaign_plans')} WHERE site_id = ? AND day = ?",
        str(site_id),
        day.isoformat(),
    )
    if not plans:
        return None
    plan, closed = str(plans[0][0]), bool(plans[0][1])
    sessions = {
        str(r[0]): SessionRow(str(r[0]), str(r[1]), str(r[2]), int(r[3]), bool(r[4]))
        for r in read_rows(
            store,
            f"SELECT name, start_time, end_time, capacity, cancelled FROM {store.table('campaign_sessions')} "
            "WHERE plan_id = ? ORDER BY position",
            plan,
        )
    }
    status = " AND status IN ('booked', 'arrived', 'done')" if holding_only else ""
    for r in read_rows(
        store,
        f"SELECT {_APPOINTMENT_COLUMNS} FROM {store.table('campaign_appointments')} WHERE plan_id = ?{status} "
        "ORDER BY seq",
        plan,
    ):
        a = _appointment(r)
        sessions[a.session].appointments.append(a)
    return DayRow(plan, str(site_id), day.isoformat(), closed, list(sessions.values()))


def appointment(store: ViewStore, appointment_id: UUID | str) -> AppointmentRow | None:
    """One appointment, or None."""
    rows = read_rows(
        store,
        f"SELECT {_APPOINTMENT_COLUMNS} FROM {store.table('campaign_appointments')} WHERE appointment_id = ?",
        str(appointment_id),
    )
    return _appointment(rows[0]) if rows else None


def appointments_of_person(store: ViewStore, person_id: UUID | str) -> list[AppointmentRow]:
    """A person's appointments, latest day first."""
    rows = read_rows(
        store,
        f"SELECT {_APPOINTMENT_COLUMNS} FROM {store.table('campaign_appointments')} WHERE person_id = ? "
        "ORDER BY day DESC, seq DESC",
        str(person_id),
    )
    return [_appointment(r) for r in rows]


def plans_on(store: ViewStore, day: date, *, open_only: bool = False) -> list[tuple[str, str]]:
    """(plan id, site id) of every plan of a day."""
    closed = " AND closed = 0" if open_only else ""
    return [
        (str(r[0]), str(r[1]))
        for r in read_rows(
            store,
            f"SELECT plan_id, site_id FROM {store.table('campaign_plans')} WHERE day = ?{closed}",
            day.isoformat(),
        )
    ]


def plans_before(store: ViewStore, day: date) -> list[tuple[str, str, str]]:
    """(plan id, site id, day) of open plans of earlier days (to close them: no-shows)."""
    return [
        (str(r[0]), str(r[1]), str(r[2]))
        for r in read_rows(
            store,
            f"SELECT plan_id, site_id, day FROM {store.table('campaign_plans')} WHERE day < ? AND closed = 0",
            day.isoformat(),
        )
    ]


def upcoming_appointments(store: ViewStore, person_ids: Sequence[UUID], today: date) -> list[AppointmentRow]:
    """The booked appointments of these people from `today` on, soonest first."""
    if not person_ids:
        return []
    marks = ", ".join("?" for _ in person_ids)
    rows = read_rows(
        store,
        f"SELECT {_APPOINTMENT_COLUMNS} FROM {store.table('campaign_appointments')} "
        f"WHERE person_id IN ({marks}) AND status = 'booked' AND day >= ? ORDER BY day, seq, appointment_id",
        *[str(p) for p in person_ids],
        today.isoformat(),
    )
    return [_appointment(r) for r in rows]


def doses_on(store: ViewStore, day: date) -> list[tuple[UUID, UUID, int]]:
    """(person id, dose id, dose number) of the doses given on `day`."""
    return [
        (UUID(str(r[0])), UUID(str(r[1])), int(r[2]))
        for r in read_rows(
            store,
            f"SELECT person_id, dose_id, dose_number FROM {store.table('campaign_doses')} WHERE day = ? "
            "ORDER BY dose_id",
            day.isoformat(),
        )
    ]


def last_doses_without_next(store: ViewStore, since: date) -> list[tuple[UUID, int, str, str]]:
    """(person id, dose number, product, day) of each person's latest dose given on or after `since`
    for whom no registration of the next dose exists (candidates for automatic registration)."""
    doses, regs = store.table("campaign_doses"), store.table("campaign_registrations")
    rows = read_rows(
        store,
        f"SELECT d.person_id, d.dose_number, d.product, d.day FROM {doses} d "
        f"WHERE d.day >= ? AND d.dose_number = (SELECT max(dose_number) FROM {doses} x WHERE x.person_id = d.person_id) "
        f"AND NOT EXISTS (SELECT 1 FROM {regs} r WHERE r.person_id = d.person_id AND r.dose_number = d.dose_number + 1)",
        since.isoformat(),
    )
    return [(UUID(str(r[0])), int(r[1]), str(r[2]), str(r[3])) for r in rows]
