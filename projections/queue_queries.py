"""Reads of the queue: registrations waiting or booked, in planning order, and who is busy on a day
(the planner's input)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ledger.campaign.planning import Candidate
from projections.site_queries import site
from projections.sql_reads import read_rows
from projections.store import Row, ViewStore

# The planning order: doses after the first before first doses, then by priority group, then by the
# time of registration (ties by id): ledger.campaign.planning.Candidate.order, in SQL.
PLANNING_ORDER = "CASE WHEN dose_number >= 2 THEN 0 ELSE 1 END, priority_rank, queued_at, registration_id"


def candidate(r: Row) -> Candidate:
    """The planner's input from a row whose first seven columns are registration_id, person_id,
    dose_number, priority_rank, queued_at, due_on, previous_product."""
    return Candidate(
        UUID(str(r[0])),
        UUID(str(r[1])),
        int(r[2]),
        int(r[3]),
        datetime.fromisoformat(str(r[4])),
        date.fromisoformat(str(r[5])),
        str(r[6]) if r[6] else None,
    )


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
    rows = read_rows(
        store,
        f"SELECT {_REG_COLUMNS} FROM {store.table('campaign_registrations')} "
        f"WHERE status IN ('waiting', 'booked') AND {_area(store)} "
        f"ORDER BY {PLANNING_ORDER} LIMIT ?",
        found.site_id,
        found.ward,
        limit,
    )
    return [_registration(r) for r in rows]


def registrations_of_person(store: ViewStore, person_id: UUID | str) -> list[RegistrationRow]:
    """A person's registrations, latest dose first."""
    rows = read_rows(
        store,
        f"SELECT {_REG_COLUMNS} FROM {store.table('campaign_registrations')} WHERE person_id = ? "
        "ORDER BY dose_number DESC",
        str(person_id),
    )
    return [_registration(r) for r in rows]


def candidates(store: ViewStore, site_id: str, ward: str, day: date) -> list[Candidate]:
    """Waiting registrations of the site's area due on or before `day` (the planner's input)."""
    rows = read_rows(
        store,
        f"SELECT registration_id, person_id, dose_number, priority_rank, queued_at, due_on, previous_product "
        f"FROM {store.table('campaign_registrations')} WHERE status = 'waiting' AND due_on <= ? "
        f"AND {_area(store)}",
        day.isoformat(),
        site_id,
        ward,
    )
    return [candidate(r) for r in rows]


def busy_people(store: ViewStore, day: date, people: Sequence[UUID]) -> set[UUID]:
    """Of these people, those holding an appointment on `day` anywhere, or marked as not come that day
    (a no-show during the day is not booked again for the same day by a re-plan)."""
    busy: set[UUID] = set()
    ids = [str(p) for p in people]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        condition, as_array = store.in_list("person_id", len(chunk))
        rows = read_rows(
            store,
            f"SELECT DISTINCT person_id FROM {store.table('campaign_appointments')} WHERE day = ? "
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
    rows = read_rows(
        store,
        "SELECT registration_id, person_id, dose_number, priority_rank, queued_at, due_on, previous_product, "
        f"site_id, ward FROM {store.table('campaign_registrations')} WHERE status = 'waiting' AND province = ? "
        "AND due_on <= ?",
        province,
        day.isoformat(),
    )
    return [
        (
            str(r[7]) if r[7] else None,
            str(r[8]),
            candidate(r),
        )
        for r in rows
    ]


def not_yet_due(store: ViewStore, site_id: str, ward: str, day: date) -> tuple[int, date | None]:
    """Waiting registrations of the site's area whose dose is due only after `day`: how many, and
    the first day one of them is due."""
    rows = read_rows(
        store,
        f"SELECT count(*), min(due_on) FROM {store.table('campaign_registrations')} WHERE status = 'waiting' "
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
    rows = read_rows(
        store,
        f"SELECT site_id, ward, count(*) FROM {store.table('campaign_registrations')} WHERE status = 'waiting' "
        "AND province = ? AND due_on <= ? AND person_id NOT IN (SELECT person_id FROM "
        f"{store.table('campaign_appointments')} WHERE day = ? AND status IN ('booked', 'arrived', 'done', "
        "'no_show')) GROUP BY site_id, ward",
        province,
        day.isoformat(),
        day.isoformat(),
    )
    return {(str(r[0]) if r[0] else None, str(r[1])): int(r[2]) for r in rows}


def busy_on(store: ViewStore, day: date) -> set[UUID]:
    """Everyone holding an appointment on `day`, anywhere (or marked as not come that day)."""
    rows = read_rows(
        store,
        f"SELECT DISTINCT person_id FROM {store.table('campaign_appointments')} WHERE day = ? "
        "AND status IN ('booked', 'arrived', 'done', 'no_show')",
        day.isoformat(),
    )
    return {UUID(str(r[0])) for r in rows}
