"""One person's visits as the citizen's pages show them: each appointment with its session's times and
its site's name and address, in one statement however many there are (the health book and the
vaccination page read this; which appointments a citizen sees is services.citizen's rule)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from projections.sql_reads import read_rows
from projections.store import ViewStore


@dataclass(frozen=True)
class VisitRow:
    """An appointment, where and when: the session's times ("" before the day is planned) and the site."""

    appointment_id: str
    day: date
    session: str
    start: str
    end: str
    site_id: str
    site_name: str
    address: str
    dose_number: int
    product: str
    status: str


def visits_of_person(
    store: ViewStore, person_id: UUID | str, statuses: Sequence[str], *, from_day: date | None = None
) -> list[VisitRow]:
    """The person's appointments in these statuses (from `from_day` on when given), soonest first, each
    joined to its plan's session of that name and to its site (`campaign` view)."""
    if not statuses:
        return []
    marks = ", ".join("?" for _ in statuses)
    since = " AND a.day >= ?" if from_day is not None else ""
    params: list[object] = [str(person_id), *statuses]
    if from_day is not None:
        params.append(from_day.isoformat())
    rows = read_rows(
        store,
        "SELECT a.appointment_id, a.day, a.session, s.start_time, s.end_time, a.site_id, t.name, t.address, "
        f"a.dose_number, a.product, a.status FROM {store.table('campaign_appointments')} a "
        f"LEFT JOIN {store.table('campaign_sessions')} s ON s.plan_id = a.plan_id AND s.name = a.session "
        f"LEFT JOIN {store.table('campaign_sites')} t ON t.site_id = a.site_id "
        f"WHERE a.person_id = ? AND a.status IN ({marks}){since} ORDER BY a.day, s.start_time, a.seq",
        *params,
    )
    found: dict[str, VisitRow] = {}
    for r in rows:
        found.setdefault(
            str(r[0]),
            VisitRow(
                str(r[0]),
                date.fromisoformat(str(r[1])),
                str(r[2]),
                str(r[3] or ""),
                str(r[4] or ""),
                str(r[5]),
                str(r[6] or ""),
                str(r[7] or ""),
                int(r[8]),
                str(r[9]),
                str(r[10]),
            ),
        )
    return sorted(found.values(), key=lambda v: (v.day, v.start))
