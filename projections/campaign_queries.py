"""Reads of the campaign view (and the operations view's lots) as plain dataclasses.

Stock of a product at a site on a day = doses of its lots there that are not expired on that day,
minus the doses given from them, minus the appointments still booked for it (not yet given). Lots
allocated from a province store are counted from the stock view (sealed vials: opened ones are
wasted at the end of their day, and wasted doses are gone); lots received straight at a site from
the operations view's lots and lot use.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from ledger.campaign.planning import Candidate
from projections import stock_queries
from projections.store import Row, ViewStore


def _rows(store: ViewStore, sql: str, *params: Any) -> list[Row]:
    with store.transaction(write=False) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _t(store: ViewStore, name: str) -> str:
    return store.table(name)


@dataclass(frozen=True)
class SiteRow:
    """A campaign site as listed."""

    site_id: str
    code: str
    name: str
    ward: str
    province: str
    address: str
    sessions: list[dict[str, Any]]
    opening_days: str
    status: str

    @property
    def capacity_per_day(self) -> int:
        """The sum of the sessions' capacities."""
        return sum(int(s["capacity"]) for s in self.sessions)

    def as_json(self) -> dict[str, Any]:
        """The JSON form (`immunize site list --json`, the API)."""
        return {
            "site_id": self.site_id,
            "code": self.code,
            "name": self.name,
            "ward": self.ward,
            "province": self.province,
            "address": self.address,
            "sessions": self.sessions,
            "opening_days": self.opening_days,
            "status": self.status,
            "capacity_per_day": self.capacity_per_day,
        }


def _site(row: Row) -> SiteRow:
    sessions = [
        {"name": n, "start": s, "end": e, "capacity": int(c)} for n, s, e, c in json.loads(str(row[6]))
    ]
    return SiteRow(
        str(row[0]),
        str(row[1] or ""),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        str(row[5]),
        sessions,
        str(row[7]),
        str(row[8]),
    )


_SITE_COLUMNS = (
    "s.site_id, o.code, s.name, s.ward, s.province, s.address, s.sessions, s.opening_days, s.status"
)


def sites(store: ViewStore, *, province: str | None = None, ward: str | None = None) -> list[SiteRow]:
    """Campaign sites, by province and name."""
    sql = (
        f"SELECT {_SITE_COLUMNS} FROM {_t(store, 'campaign_sites')} s "
        f"LEFT JOIN {_t(store, 'operations_sites')} o ON o.site_id = s.site_id"
    )
    conditions, params = [], []
    if province is not None:
        conditions.append("s.province = ?")
        params.append(province)
    if ward is not None:
        conditions.append("s.ward = ?")
        params.append(ward)
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    return [_site(r) for r in _rows(store, sql + " ORDER BY s.province, s.name, s.site_id", *params)]


def all_site_ids(store: ViewStore) -> list[UUID]:
    """Every vaccination site (campaign or not), by code."""
    return [
        UUID(str(r[0]))
        for r in _rows(store, f"SELECT site_id FROM {_t(store, 'operations_sites')} ORDER BY code")
    ]


def site(store: ViewStore, site_id: UUID | str) -> SiteRow | None:
    """One campaign site, or None."""
    rows = _rows(
        store,
        f"SELECT {_SITE_COLUMNS} FROM {_t(store, 'campaign_sites')} s "
        f"LEFT JOIN {_t(store, 'operations_sites')} o ON o.site_id = s.site_id WHERE s.site_id = ?",
        str(site_id),
    )
    return _site(rows[0]) if rows else None


# ---- the queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationRow:
    """A registration as listed (no personal data: ids, group, status)."""

    registration_id: str
    person_id: str
    dose_number: int
    priority_group: str
    priority_rank: int
    ward: str
    site_id: str | None
    due_on: str
    queued_at: str
    status: str
    appointment_id: str | None

    def as_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "registration_id": self.registration_id,
            "person_id": self.person_id,
            "dose_number": self.dose_number,
            "priority_group": self.priority_group,
            "priority_rank": self.priority_rank,
            "ward": self.ward,
            "site_id": self.site_id,
            "due_on": self.due_on,
            "registered_at": self.queued_at,
            "status": self.status,
            "appointment_id": self.appointment_id,
        }


_REG_COLUMNS = (
    "registration_id, person_id, dose_number, priority_group, priority_rank, ward, site_id, due_on, "
    "queued_at, status, appointment_id"
)


def _registration(r: Row) -> RegistrationRow:
    return RegistrationRow(
        str(r[0]),
        str(r[1]),
        int(r[2]),
        str(r[3]),
        int(r[4]),
        str(r[5]),
        str(r[6]) if r[6] else None,
        str(r[7]),
        str(r[8]),
        str(r[9]),
        str(r[10]) if r[10] else None,
    )


def _area(store: ViewStore, alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    return f"({p}site_id = ? OR ({p}site_id IS NULL AND {p}ward = ?))"


def registrations_for_site(
    store: ViewStore, site_id: UUID | str, *, limit: int = 10_000
) -> list[RegistrationRow]:
    """The open registrations of a site's area (its own, and its ward's without a preferred site), in
    planning order."""
    found = site(store, site_id)
    if found is None:
        return []
    rows = _rows(
        store,
        f"SELECT {_REG_COLUMNS} FROM {_t(store, 'campaign_registrations')} "
        f"WHERE status IN ('waiting', 'booked') AND {_area(store)} "
        "ORDER BY CASE WHEN dose_number >= 2 THEN 0 ELSE 1 END, priority_rank, queued_at, registration_id "
        "LIMIT ?",
        found.site_id,
        found.ward,
        limit,
    )
    return [_registration(r) for r in rows]


def registrations_of_person(store: ViewStore, person_id: UUID | str) -> list[RegistrationRow]:
    """A person's registrations, latest dose first."""
    rows = _rows(
        store,
        f"SELECT {_REG_COLUMNS} FROM {_t(store, 'campaign_registrations')} WHERE person_id = ? "
        "ORDER BY dose_number DESC",
        str(person_id),
    )
    return [_registration(r) for r in rows]


def candidates(store: ViewStore, site_id: str, ward: str, day: date) -> list[Candidate]:
    """Waiting registrations of the site's area due on or before `day` (the planner's input)."""
    rows = _rows(
        store,
        f"SELECT registration_id, person_id, dose_number, priority_rank, queued_at, due_on, previous_product "
        f"FROM {_t(store, 'campaign_registrations')} WHERE status = 'waiting' AND due_on <= ? "
        f"AND {_area(store)}",
        day.isoformat(),
        site_id,
        ward,
    )
    return [
        Candidate(
            UUID(str(r[0])),
            UUID(str(r[1])),
            int(r[2]),
            int(r[3]),
            datetime.fromisoformat(str(r[4])),
            date.fromisoformat(str(r[5])),
            str(r[6]) if r[6] else None,
        )
        for r in rows
    ]


def busy_people(store: ViewStore, day: date, people: Sequence[UUID]) -> set[UUID]:
    """Of these people, those holding an appointment on `day` anywhere, or marked as not come that day
    (a no-show during the day is not booked again for the same day by a re-plan)."""
    busy: set[UUID] = set()
    ids = [str(p) for p in people]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        condition, as_array = store.in_list("person_id", len(chunk))
        rows = _rows(
            store,
            f"SELECT DISTINCT person_id FROM {_t(store, 'campaign_appointments')} WHERE day = ? "
            f"AND status IN ('booked', 'arrived', 'done', 'no_show') AND {condition}",
            day.isoformat(),
            *([chunk] if as_array else chunk),
        )
        busy.update(UUID(str(r[0])) for r in rows)
    return busy


def province_candidates(
    store: ViewStore, province: str, day: date
) -> list[tuple[str | None, str, Candidate]]:
    """Every waiting registration of a province due on or before `day`, with its preferred site (or
    None) and its ward: a province's planning input in one indexed query."""
    rows = _rows(
        store,
        "SELECT registration_id, person_id, dose_number, priority_rank, queued_at, due_on, previous_product, "
        f"site_id, ward FROM {_t(store, 'campaign_registrations')} WHERE status = 'waiting' AND province = ? "
        "AND due_on <= ?",
        province,
        day.isoformat(),
    )
    return [
        (
            str(r[7]) if r[7] else None,
            str(r[8]),
            Candidate(
                UUID(str(r[0])),
                UUID(str(r[1])),
                int(r[2]),
                int(r[3]),
                datetime.fromisoformat(str(r[4])),
                date.fromisoformat(str(r[5])),
                str(r[6]) if r[6] else None,
            ),
        )
        for r in rows
    ]


def not_yet_due(store: ViewStore, site_id: str, ward: str, day: date) -> tuple[int, date | None]:
    """Waiting registrations of the site's area whose dose is due only after `day`: how many, and
    the first day one of them is due."""
    rows = _rows(
        store,
        f"SELECT count(*), min(due_on) FROM {_t(store, 'campaign_registrations')} WHERE status = 'waiting' "
        f"AND due_on > ? AND {_area(store)}",
        day.isoformat(),
        site_id,
        ward,
    )
    count, first = rows[0] if rows else (0, None)
    return int(count or 0), date.fromisoformat(str(first)) if first else None


def waiting_counts(store: ViewStore, province: str, day: date) -> dict[tuple[str | None, str], int]:
    """How many registrations of a province wait and are due on `day`, by (preferred site or None,
    ward), leaving out people busy that day (as `busy_on`): the "waiting" of sites with no free
    place, without reading each registration."""
    rows = _rows(
        store,
        f"SELECT site_id, ward, count(*) FROM {_t(store, 'campaign_registrations')} WHERE status = 'waiting' "
        "AND province = ? AND due_on <= ? AND person_id NOT IN (SELECT person_id FROM "
        f"{_t(store, 'campaign_appointments')} WHERE day = ? AND status IN ('booked', 'arrived', 'done', "
        "'no_show')) GROUP BY site_id, ward",
        province,
        day.isoformat(),
        day.isoformat(),
    )
    return {(str(r[0]) if r[0] else None, str(r[1])): int(r[2]) for r in rows}


def busy_on(store: ViewStore, day: date) -> set[UUID]:
    """Everyone holding an appointment on `day`, anywhere (or marked as not come that day)."""
    rows = _rows(
        store,
        f"SELECT DISTINCT person_id FROM {_t(store, 'campaign_appointments')} WHERE day = ? "
        "AND status IN ('booked', 'arrived', 'done', 'no_show')",
        day.isoformat(),
    )
    return {UUID(str(r[0])) for r in rows}


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
        for r in _rows(
            store,
            f"SELECT plan_id, session, count(*) FROM {_t(store, 'campaign_appointments')} WHERE day = ? "
            "AND status IN ('booked', 'arrived', 'done') GROUP BY plan_id, session",
            day.isoformat(),
        )
    }
    plans: dict[str, tuple[bool, list[PlannedSession]]] = {}
    for site_id, plan, closed, name, capacity, cancelled in _rows(
        store,
        f"SELECT p.site_id, p.plan_id, p.closed, s.name, s.capacity, s.cancelled FROM {_t(store, 'campaign_plans')} p "
        f"JOIN {_t(store, 'campaign_sessions')} s ON s.plan_id = p.plan_id WHERE p.day = ? "
        "ORDER BY p.site_id, s.position",
        day.isoformat(),
    ):
        entry = plans.setdefault(str(site_id), (bool(closed), []))
        entry[1].append(
            PlannedSession(str(name), int(capacity), taken.get((str(plan), str(name)), 0), bool(cancelled))
        )
    return plans


# ---- plans ------------------------------------------------------------------------------------


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
    plans = _rows(
        store,
        f"SELECT plan_id, closed FROM {_t(store, 'campaign_plans')} WHERE site_id = ? AND day = ?",
        str(site_id),
        day.isoformat(),
    )
    if not plans:
        return None
    plan, closed = str(plans[0][0]), bool(plans[0][1])
    sessions = {
        str(r[0]): SessionRow(str(r[0]), str(r[1]), str(r[2]), int(r[3]), bool(r[4]))
        for r in _rows(
            store,
            f"SELECT name, start_time, end_time, capacity, cancelled FROM {_t(store, 'campaign_sessions')} "
            "WHERE plan_id = ? ORDER BY position",
            plan,
        )
    }
    status = " AND status IN ('booked', 'arrived', 'done')" if holding_only else ""
    for r in _rows(
        store,
        f"SELECT {_APPOINTMENT_COLUMNS} FROM {_t(store, 'campaign_appointments')} WHERE plan_id = ?{status} "
        "ORDER BY seq",
        plan,
    ):
        a = _appointment(r)
        sessions[a.session].appointments.append(a)
    return DayRow(plan, str(site_id), day.isoformat(), closed, list(sessions.values()))


def appointment(store: ViewStore, appointment_id: UUID | str) -> AppointmentRow | None:
    """One appointment, or None."""
    rows = _rows(
        store,
        f"SELECT {_APPOINTMENT_COLUMNS} FROM {_t(store, 'campaign_appointments')} WHERE appointment_id = ?",
        str(appointment_id),
    )
    return _appointment(rows[0]) if rows else None


def appointments_of_person(store: ViewStore, person_id: UUID | str) -> list[AppointmentRow]:
    """A person's appointments, latest day first."""
    rows = _rows(
        store,
        f"SELECT {_APPOINTMENT_COLUMNS} FROM {_t(store, 'campaign_appointments')} WHERE person_id = ? "
        "ORDER BY day DESC, seq DESC",
        str(person_id),
    )
    return [_appointment(r) for r in rows]


def plans_on(store: ViewStore, day: date, *, open_only: bool = False) -> list[tuple[str, str]]:
    """(plan id, site id) of every plan of a day."""
    closed = " AND closed = 0" if open_only else ""
    return [
        (str(r[0]), str(r[1]))
        for r in _rows(
            store,
            f"SELECT plan_id, site_id FROM {_t(store, 'campaign_plans')} WHERE day = ?{closed}",
            day.isoformat(),
        )
    ]


def plans_before(store: ViewStore, day: date) -> list[tuple[str, str, str]]:
    """(plan id, site id, day) of open plans of earlier days (to close them: no-shows)."""
    return [
        (str(r[0]), str(r[1]), str(r[2]))
        for r in _rows(
            store,
            f"SELECT plan_id, site_id, day FROM {_t(store, 'campaign_plans')} WHERE day < ? AND closed = 0",
            day.isoformat(),
        )
    ]


# ---- stock ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockRow:
    """Doses of one product at one site: in unexpired lots, used, booked (not yet given), free."""

    site_id: str
    product: str
    on_hand: int
    booked: int
    expired: int

    @property
    def free(self) -> int:
        """Doses free for new appointments."""
        return max(0, self.on_hand - self.booked)

    def as_json(self) -> dict[str, Any]:
        """The JSON form (`immunize stock --json`)."""
        return {
            "site_id": self.site_id,
            "product": self.product,
            "on_hand": self.on_hand,
            "booked": self.booked,
            "free": self.free,
            "expired": self.expired,
        }


def stock(store: ViewStore, day: date, *, site_id: UUID | str | None = None) -> list[StockRow]:
    """Stock per site and product on `day`."""
    where, params = ("AND l.site_id = ?", [str(site_id)]) if site_id is not None else ("", [])
    lots = _rows(
        store,
        f"SELECT l.site_id, l.product, l.expiry, l.quantity - COALESCE(u.n, 0) "
        f"FROM {_t(store, 'operations_lots')} l LEFT JOIN {_t(store, 'operations_lot_use')} u "
        f"ON u.lot_id = l.lot_id WHERE l.lot_id NOT IN ({stock_queries.tracked_lot_ids(store)}) {where}",
        *params,
    )
    on_hand: dict[tuple[str, str], int] = {}
    expired: dict[tuple[str, str], int] = {}
    for site, product, expiry, left in lots:
        key = (str(site), str(product))
        target = on_hand if str(expiry) >= day.isoformat() else expired
        target[key] = target.get(key, 0) + max(0, int(left))
        on_hand.setdefault(key, 0)
    tracked = stock_queries.usable_at(store, day, site_id=str(site_id) if site_id is not None else None)
    for key, (usable, gone) in tracked.items():
        on_hand[key] = on_hand.get(key, 0) + usable
        if gone:
            expired[key] = expired.get(key, 0) + gone
    where_a = "AND site_id = ?" if site_id is not None else ""
    booked = {
        (str(r[0]), str(r[1])): int(r[2])
        for r in _rows(
            store,
            f"SELECT site_id, product, count(*) FROM {_t(store, 'campaign_appointments')} "
            f"WHERE status IN ('booked', 'arrived') AND day >= ? {where_a} GROUP BY site_id, product",
            day.isoformat(),
            *params,
        )
    }
    keys = sorted(set(on_hand) | set(booked))
    return [
        StockRow(s, p, on_hand.get((s, p), 0), booked.get((s, p), 0), expired.get((s, p), 0)) for s, p in keys
    ]


def lots_at(store: ViewStore, site_id: UUID | str, day: date) -> list[tuple[str, str, str]]:
    """(lot id, product, lot number) of the unexpired lots held at a site on `day`."""
    return [
        (str(r[0]), str(r[1]), str(r[2]))
        for r in _rows(
            store,
            f"SELECT lot_id, product, lot_number FROM {_t(store, 'operations_lots')} WHERE site_id = ? AND expiry >= ? "
            f"AND lot_id NOT IN (SELECT site_lot_id FROM {_t(store, 'stock_site_lots')} "
            "WHERE allocated - used - wasted_open - wasted_expired <= 0) "
            "ORDER BY expiry, lot_number",
            str(site_id),
            day.isoformat(),
        )
    ]


# ---- the outbox -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRow:
    """A message's delivery state (the number and text are read from the ledger when shown)."""

    message_id: str
    person_id: str
    kind: str
    status: str
    appointment_id: str | None
    dose_id: str | None
    queued_at: str
    attempts: int
    answer: str | None
    encoding: str
    parts: int


_MESSAGE_COLUMNS = "message_id, person_id, kind, status, appointment_id, dose_id, queued_at, attempts, answer, encoding, parts"


def messages(
    store: ViewStore,
    *,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 1_000,
    offset: int = 0,
) -> list[MessageRow]:
    """Messages, oldest first, optionally by status and kind ("pending" includes those being sent)."""
    conditions, params = [], []
    if status == "pending":
        conditions.append("status IN ('pending', 'sending')")
    elif status is not None:
        conditions.append("status = ?")
        params.append(status)
    if kind is not None:
        conditions.append("kind = ?")
        params.append(kind)
    where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    rows = _rows(
        store,
        f"SELECT {_MESSAGE_COLUMNS} FROM {_t(store, 'campaign_messages')} {where} "
        "ORDER BY queued_at, message_id LIMIT ? OFFSET ?",
        *params,
        limit,
        offset,
    )
    return [
        MessageRow(
            str(r[0]),
            str(r[1]),
            str(r[2]),
            str(r[3]),
            str(r[4]) if r[4] else None,
            str(r[5]) if r[5] else None,
            str(r[6]),
            int(r[7]),
            str(r[8]) if r[8] else None,
            str(r[9]),
            int(r[10]),
        )
        for r in rows
    ]


def due_message_ids(
    store: ViewStore,
    now: datetime,
    *,
    limit: int = 500,
    kinds: Collection[str] | None = None,
    shard: tuple[int, int] | None = None,
) -> list[UUID]:
    """Messages to (re)try now: those left "sending" by a sender that stopped (their lease ran out:
    resumed under their key), then the pending ones that are due, oldest first. Two queries, so that
    the second walks the (status, queued_at, message_id) index and stops at `limit` instead of sorting
    every pending message of a province (about 100 ms a call at 120,000). `kinds` keeps only those
    kinds (quiet hours); `shard` (i, n) only the messages of sender i of n (by the id's first hex
    digit, so n senders read disjoint parts of the outbox)."""
    at = now.astimezone(UTC).isoformat()
    extra, params = "", []
    if kinds is not None:
        extra += f" AND kind IN ({', '.join('?' for _ in sorted(kinds)) or 'NULL'})"
        params += sorted(kinds)
    if shard is not None:
        index, count = shard
        digits = [d for d in "0123456789abcdef" if int(d, 16) % count == index]
        extra += f" AND substr(message_id, 1, 1) IN ({', '.join('?' for _ in digits) or 'NULL'})"
        params += digits
    table = _t(store, "campaign_messages")
    rows = list(
        _rows(
            store,
            f"SELECT message_id FROM {table} WHERE status = 'sending' "
            f"AND (next_try_at IS NULL OR next_try_at <= ?){extra} ORDER BY queued_at, message_id LIMIT ?",
            at,
            *params,
            limit,
        )
    )
    if len(rows) < limit:
        rows += _rows(
            store,
            f"SELECT message_id FROM {table} WHERE status = 'pending' "
            f"AND (next_try_at IS NULL OR next_try_at <= ?){extra} ORDER BY queued_at, message_id LIMIT ?",
            at,
            *params,
            limit - len(rows),
        )
    return [UUID(str(r[0])) for r in rows]


def cancelled_appointment_messages(store: ViewStore, message_ids: Sequence[UUID]) -> list[UUID]:
    """Those of these messages that announce or remind of an appointment cancelled since (or moved:
    a move cancels the old appointment), and were never tried."""
    if not message_ids:
        return []
    marks = ", ".join("?" for _ in message_ids)
    rows = _rows(
        store,
        f"SELECT m.message_id FROM {_t(store, 'campaign_messages')} AS m "
        f"JOIN {_t(store, 'campaign_appointments')} AS a ON a.appointment_id = m.appointment_id "
        f"WHERE m.message_id IN ({marks}) AND m.kind IN ('appointment', 'reminder') AND m.status = 'pending' "
        "AND m.attempts = 0 AND a.status = 'cancelled'",
        *[str(i) for i in message_ids],
    )
    return [UUID(str(r[0])) for r in rows]


def latest_checkin(store: ViewStore, phone_digest: str) -> tuple[UUID | None, UUID | None]:
    """(check-in message id, person id) of the latest check-in sent to that phone; (None, person) when
    the phone had only other messages; (None, None) when the phone is unknown."""
    rows = _rows(
        store,
        f"SELECT message_id, person_id, kind FROM {_t(store, 'campaign_messages')} WHERE phone_digest = ? "
        "ORDER BY CASE WHEN kind IN ('checkin_day1', 'checkin_day7') AND status = 'sent' AND answer IS NULL "
        "THEN 0 ELSE 1 END, queued_at DESC LIMIT 1",
        phone_digest,
    )
    if not rows:
        return None, None
    message, person, kind = rows[0]
    if str(kind) in ("checkin_day1", "checkin_day7"):
        return UUID(str(message)), UUID(str(person))
    return None, UUID(str(person))


def kept_replies(store: ViewStore, *, handled: bool = False) -> list[tuple[str, str, str | None, str]]:
    """(reply id, person id, message id, received at) of replies kept for a human."""
    return [
        (str(r[0]), str(r[1]), str(r[2]) if r[2] else None, str(r[3]))
        for r in _rows(
            store,
            f"SELECT reply_id, person_id, message_id, received_at FROM {_t(store, 'campaign_replies')} "
            "WHERE handled = ? ORDER BY received_at",
            int(handled),
        )
    ]


# ---- doses ------------------------------------------------------------------------------------


def doses_on(store: ViewStore, day: date) -> list[tuple[UUID, UUID, int]]:
    """(person id, dose id, dose number) of the doses given on `day`."""
    return [
        (UUID(str(r[0])), UUID(str(r[1])), int(r[2]))
        for r in _rows(
            store,
            f"SELECT person_id, dose_id, dose_number FROM {_t(store, 'campaign_doses')} WHERE day = ? "
            "ORDER BY dose_id",
            day.isoformat(),
        )
    ]


def last_doses_without_next(store: ViewStore, since: date) -> list[tuple[UUID, int, str, str]]:
    """(person id, dose number, product, day) of each person's latest dose given on or after `since`
    for whom no registration of the next dose exists (candidates for automatic registration)."""
    doses, regs = _t(store, "campaign_doses"), _t(store, "campaign_registrations")
    rows = _rows(
        store,
        f"SELECT d.person_id, d.dose_number, d.product, d.day FROM {doses} d "
        f"WHERE d.day >= ? AND d.dose_number = (SELECT max(dose_number) FROM {doses} x WHERE x.person_id = d.person_id) "
        f"AND NOT EXISTS (SELECT 1 FROM {regs} r WHERE r.person_id = d.person_id AND r.dose_number = d.dose_number + 1)",
        since.isoformat(),
    )
    return [(UUID(str(r[0])), int(r[1]), str(r[2]), str(r[3])) for r in rows]


# ---- the public priority list, a person's place, the places a booked person may move to -----------

SMALL_COUNT = 5  # counts 1 to 4 are shown as "< 5": in a small ward a count could name a person
LOOK_AHEAD_DAYS = 14  # how far the priority list and the move page look for the next open places
_ORDER = "CASE WHEN dose_number >= 2 THEN 0 ELSE 1 END, priority_rank, queued_at, registration_id"


# What the cut-off estimate counts (said with it in the API; the page says it in the reader's language).
ESTIMATE_BASIS = (
    "The planner run ahead on today's data: free places of the ward's open sites (sessions not yet over), "
    "each site's doses in stock of the products the waiting doses may use (a later dose the previous "
    "dose's product or an allowed mix, after its interval), in planning order. An estimate: the "
    "province's planning decides."
)


def shown_count(n: int) -> int | None:
    """A count as public output shows it: None stands for 1 to 4 (suppressed), else the count."""
    return None if 0 < n < SMALL_COUNT else n


@dataclass(frozen=True)
class Cutoff:
    """How far the next day's free places reach in a ward's queue (the last person they reach)."""

    later_dose: bool  # the places end among people due for a second or later dose
    rank: int
    group: str
    registered_on: str  # the registration date (Viet Nam day) of the last person reached


@dataclass(frozen=True)
class PriorityList:
    """Per ward: waiting people per priority group, and where the next day's places end."""

    ward: str
    groups: list[tuple[int, str, int]]  # (rank, group code, waiting): raw, suppress before showing
    waiting: int
    next_day: str | None  # the next day with places that can be given (None: none in the look-ahead)
    free_places: int  # places free on that day in sessions not yet over
    cutoff: Cutoff | None  # the last person that day's places reach (None: everyone fits, or nobody)
    later_doses: int  # waiting people due for a second or later dose (they come first)
    usable_places: int = 0  # of the free places, those with a dose in stock of a product the queue needs
    everyone_fits: bool = True  # every waiting person due by next_day gets a place that day

    @property
    def cutoff_rank(self) -> int | None:
        """The rank the next day's places end in (None: everyone fits)."""
        return self.cutoff.rank if self.cutoff else None

    @property
    def suppressed(self) -> bool:
        """Some count is small enough to be shown as "< 5" only."""
        return any(shown_count(n) is None for _, _, n in self.groups) or shown_count(self.later_doses) is None

    @property
    def waiting_at_least(self) -> int:
        """What the total may say without undoing the suppression (the sum of what is shown, plus one
        for each suppressed group): exact when nothing is suppressed."""
        return sum(n if shown_count(n) is not None else 1 for _, _, n in self.groups)

    def as_json(self) -> dict[str, Any]:
        """The public JSON form: counts 1 to 4 are the string "<5", the total a lower bound then."""
        cut = self.cutoff
        return {
            "ward": self.ward,
            "waiting": self.waiting if not self.suppressed else None,
            "waiting_at_least": self.waiting_at_least,
            "groups": [
                {"rank": r, "group": g, "waiting": shown_count(n) if shown_count(n) is not None else "<5"}
                for r, g, n in self.groups
            ],
            "later_doses": shown_count(self.later_doses)
            if shown_count(self.later_doses) is not None
            else "<5",
            "next_day": self.next_day,
            "places_next_day": self.usable_places,
            "free_places_next_day": self.free_places,
            "everyone_fits": self.everyone_fits,
            "estimate_basis": ESTIMATE_BASIS,
            "cutoff": None
            if cut is None
            else {
                "later_dose": cut.later_dose,
                "rank": cut.rank,
                "group": cut.group,
                "registered_on": cut.registered_on,
            },
        }


@dataclass(frozen=True)
class SessionPlace:
    """A session of a site-day with its free places (what a person may move to)."""

    site_id: str
    site_name: str
    address: str
    day: str
    session: str
    start: str
    end: str
    free: int

    @property
    def key(self) -> str:
        """One form value for the choice: site|day|session."""
        return f"{self.site_id}|{self.day}|{self.session}"


def session_places(
    store: ViewStore, ward_sites: Sequence[SiteRow], first: date, last: date
) -> list[SessionPlace]:
    """Every session with free places at these (open) sites from `first` to `last`, by day, site, start
    time: the site's sessions where the day is not planned yet, the plan's own sessions where it is
    (cancelled sessions and closed days have none)."""
    from ledger.campaign.values import parse_opening_days

    if not ward_sites:
        return []
    ids = [s.site_id for s in ward_sites]
    condition, as_array = store.in_list("site_id", len(ids))
    args = [ids] if as_array else ids
    plans = {
        (str(r[1]), str(r[2])): (str(r[0]), bool(r[3]))
        for r in _rows(
            store,
            f"SELECT plan_id, site_id, day, closed FROM {_t(store, 'campaign_plans')} "
            f"WHERE day >= ? AND day <= ? AND {condition}",
            first.isoformat(),
            last.isoformat(),
            *args,
        )
    }
    planned_sessions: dict[str, list[tuple[str, str, str, int, bool]]] = {}
    taken: dict[tuple[str, str], int] = {}
    if plans:
        plan_ids = [p for p, _ in plans.values()]
        pcond, parray = store.in_list("plan_id", len(plan_ids))
        pargs = [plan_ids] if parray else plan_ids
        for r in _rows(
            store,
            f"SELECT plan_id, name, start_time, end_time, capacity, cancelled FROM "
            f"{_t(store, 'campaign_sessions')} WHERE {pcond} ORDER BY position",
            *pargs,
        ):
            planned_sessions.setdefault(str(r[0]), []).append(
                (str(r[1]), str(r[2]), str(r[3]), int(r[4]), bool(r[5]))
            )
        for r in _rows(
            store,
            f"SELECT plan_id, session, count(*) FROM {_t(store, 'campaign_appointments')} "
            f"WHERE status IN ('booked', 'arrived', 'done') AND {pcond} GROUP BY plan_id, session",
            *pargs,
        ):
            taken[(str(r[0]), str(r[1]))] = int(r[2])
    found: list[SessionPlace] = []
    day = first
    while day <= last:
        for site_row in ward_sites:
            if site_row.status != "open":
                continue
            plan = plans.get((site_row.site_id, day.isoformat()))
            if plan is None:
                if day.weekday() not in parse_opening_days(site_row.opening_days):
                    continue
                sessions = [
                    (x["name"], x["start"], x["end"], int(x["capacity"]), False) for x in site_row.sessions
                ]
                used: dict[str, int] = {}
            else:
                plan_id, closed = plan
                if closed:
                    continue
                sessions = planned_sessions.get(plan_id, [])
                used = {name: taken.get((plan_id, name), 0) for name, *_ in sessions}
            for name, start, end, capacity, cancelled in sessions:
                free = capacity - used.get(name, 0)
                if not cancelled and free > 0:
                    found.append(
                        SessionPlace(
                            site_row.site_id,
                            site_row.name,
                            site_row.address,
                            day.isoformat(),
                            name,
                            start,
                            end,
                            free,
                        )
                    )
        day = date.fromordinal(day.toordinal() + 1)
    found.sort(key=lambda p: (p.day, p.start, p.site_name, p.site_id))
    return found


def priority_counts(store: ViewStore, ward: str) -> tuple[list[tuple[int, str, int]], int, int]:
    """A ward's waiting people per priority group (rank, group, count), in all, and those due for a
    second or later dose: raw counts (suppress small ones before showing). No ids leave here."""
    regs = _t(store, "campaign_registrations")
    rows = _rows(
        store,
        f"SELECT priority_rank, priority_group, count(*) FROM {regs} "
        "WHERE status = 'waiting' AND ward = ? GROUP BY priority_rank, priority_group ORDER BY priority_rank",
        ward,
    )
    groups = [(int(r[0]), str(r[1]), int(r[2])) for r in rows]
    later = _rows(
        store, f"SELECT count(*) FROM {regs} WHERE status = 'waiting' AND ward = ? AND dose_number >= 2", ward
    )
    return groups, sum(n for _, _, n in groups), int(later[0][0]) if later else 0


def ward_queue(store: ViewStore, ward: str) -> list[tuple[str | None, Candidate]]:
    """Every waiting registration of a ward, due or not, with its preferred site (or None): the input
    of the ward's estimate (services.queue_estimate), which runs the planner over the coming days."""
    rows = _rows(
        store,
        "SELECT registration_id, person_id, dose_number, priority_rank, queued_at, due_on, previous_product, "
        f"site_id FROM {_t(store, 'campaign_registrations')} WHERE status = 'waiting' AND ward = ? "
        f"ORDER BY {_ORDER}",  # the planning order: sorting it again in Python is then linear
        ward,
    )
    return [
        (
            str(r[7]) if r[7] else None,
            Candidate(
                UUID(str(r[0])),
                UUID(str(r[1])),
                int(r[2]),
                int(r[3]),
                datetime.fromisoformat(str(r[4])),
                date.fromisoformat(str(r[5])),
                str(r[6]) if r[6] else None,
            ),
        )
        for r in rows
    ]


def _vn_day(moment: str) -> str:
    """The Viet Nam calendar day (UTC+7) of a stored UTC moment."""
    from datetime import timedelta

    at = datetime.fromisoformat(moment)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at + timedelta(hours=7)).date().isoformat()


def queue_position(store: ViewStore, registration_id: UUID | str) -> int | None:
    """How many waiting registrations of the same ward come before this one (0 = first), or None."""
    regs = _t(store, "campaign_registrations")
    rows = _rows(
        store,
        f"SELECT status, ward, site_id, dose_number, priority_rank, queued_at, registration_id FROM {regs} "
        "WHERE registration_id = ?",
        str(registration_id),
    )
    if not rows or str(rows[0][0]) != "waiting":
        return None
    _, ward, site_id, number, rank, queued, rid = rows[0]
    later_dose = 0 if int(number) >= 2 else 1
    ahead = _rows(
        store,
        f"SELECT count(*) FROM {regs} WHERE status = 'waiting' AND ward = ? AND "
        "((CASE WHEN dose_number >= 2 THEN 0 ELSE 1 END) < ? OR "
        "((CASE WHEN dose_number >= 2 THEN 0 ELSE 1 END) = ? AND (priority_rank < ? OR "
        "(priority_rank = ? AND (queued_at < ? OR (queued_at = ? AND registration_id < ?))))))",
        ward,
        later_dose,
        later_dose,
        rank,
        rank,
        queued,
        queued,
        rid,
    )
    del site_id
    return int(ahead[0][0]) if ahead else 0


def waiting_in_ward(store: ViewStore, ward: str) -> int:
    """How many people wait in a ward's queue (for "your place: 12 of 40")."""
    rows = _rows(
        store,
        f"SELECT count(*) FROM {_t(store, 'campaign_registrations')} WHERE status = 'waiting' AND ward = ?",
        ward,
    )
    return int(rows[0][0]) if rows else 0


def people_texted_at(store: ViewStore, phone_digest: str) -> list[tuple[UUID, str]]:
    """(person id, language of their latest message) of the people whose messages went to that phone
    (matched by the keyed digest recorded at each attempt: a family shares a guardian's number)."""
    rows = _rows(
        store,
        f"SELECT person_id, language, queued_at FROM {_t(store, 'campaign_messages')} WHERE phone_digest = ? "
        "ORDER BY queued_at DESC",
        phone_digest,
    )
    found: dict[str, str] = {}
    for person, language, _ in rows:
        found.setdefault(str(person), str(language))
    return [(UUID(p), language) for p, language in sorted(found.items())]


def upcoming_appointments(store: ViewStore, person_ids: Sequence[UUID], today: date) -> list[AppointmentRow]:
    """The booked appointments of these people from `today` on, soonest first."""
    if not person_ids:
        return []
    marks = ", ".join("?" for _ in person_ids)
    rows = _rows(
        store,
        f"SELECT {_APPOINTMENT_COLUMNS} FROM {_t(store, 'campaign_appointments')} "
        f"WHERE person_id IN ({marks}) AND status = 'booked' AND day >= ? ORDER BY day, seq, appointment_id",
        *[str(p) for p in person_ids],
        today.isoformat(),
    )
    return [_appointment(r) for r in rows]


def latest_answer(store: ViewStore, person_ids: Sequence[UUID]) -> UUID | None:
    """The latest answer to a text ("which appointment?") queued for any of these people."""
    if not person_ids:
        return None
    marks = ", ".join("?" for _ in person_ids)
    rows = _rows(
        store,
        f"SELECT message_id FROM {_t(store, 'campaign_messages')} WHERE kind = 'sms_answer' "
        f"AND person_id IN ({marks}) ORDER BY queued_at DESC, message_id LIMIT 1",
        *[str(p) for p in person_ids],
    )
    return UUID(str(rows[0][0])) if rows else None
