"""Reads for the public priority list, a person's place in the queue, and the places a booked person
may move to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from ledger.campaign.planning import Candidate
from projections.queue_queries import PLANNING_ORDER, candidate
from projections.site_queries import SiteRow
from projections.sql_reads import read_rows
from projections.store import ViewStore

SMALL_COUNT = 5  # counts 1 to 4 are shown as "< 5": in a small ward a count could name a person


LOOK_AHEAD_DAYS = 14  # how far the priority list and the move page look for the next open places


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
        for r in read_rows(
            store,
            f"SELECT plan_id, site_id, day, closed FROM {store.table('campaign_plans')} "
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
        for r in read_rows(
            store,
            f"SELECT plan_id, name, start_time, end_time, capacity, cancelled FROM "
            f"{store.table('campaign_sessions')} WHERE {pcond} ORDER BY position",
            *pargs,
        ):
            planned_sessions.setdefault(str(r[0]), []).append(
                (str(r[1]), str(r[2]), str(r[3]), int(r[4]), bool(r[5]))
            )
        for r in read_rows(
            store,
            f"SELECT plan_id, session, count(*) FROM {store.table('campaign_appointments')} "
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
    regs = store.table("campaign_registrations")
    rows = read_rows(
        store,
        f"SELECT priority_rank, priority_group, count(*) FROM {regs} "
        "WHERE status = 'waiting' AND ward = ? GROUP BY priority_rank, priority_group ORDER BY priority_rank",
        ward,
    )
    groups = [(int(r[0]), str(r[1]), int(r[2])) for r in rows]
    later = read_rows(
        store, f"SELECT count(*) FROM {regs} WHERE status = 'waiting' AND ward = ? AND dose_number >= 2", ward
    )
    return groups, sum(n for _, _, n in groups), int(later[0][0]) if later else 0


def ward_queue(store: ViewStore, ward: str) -> list[tuple[str | None, Candidate]]:
    """Every waiting registration of a ward, due or not, with its preferred site (or None): the input
    of the ward's estimate (services.queue_estimate), which runs the planner over the coming days."""
    rows = read_rows(
        store,
        "SELECT registration_id, person_id, dose_number, priority_rank, queued_at, due_on, previous_product, "
        f"site_id FROM {store.table('campaign_registrations')} WHERE status = 'waiting' AND ward = ? "
        f"ORDER BY {PLANNING_ORDER}",  # the planning order: sorting it again in Python is then linear
        ward,
    )
    return [
        (
            str(r[7]) if r[7] else None,
            candidate(r),
        )
        for r in rows
    ]


def queue_position(store: ViewStore, registration_id: UUID | str) -> int | None:
    """How many waiting registrations of the same ward come before this one (0 = first), or None."""
    regs = store.table("campaign_registrations")
    rows = read_rows(
        store,
        f"SELECT status, ward, site_id, dose_number, priority_rank, queued_at, registration_id FROM {regs} "
        "WHERE registration_id = ?",
        str(registration_id),
    )
    if not rows or str(rows[0][0]) != "waiting":
        return None
    _, ward, site_id, number, rank, queued, rid = rows[0]
    later_dose = 0 if int(number) >= 2 else 1
    ahead = read_rows(
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
    rows = read_rows(
        store,
        f"SELECT count(*) FROM {store.table('campaign_registrations')} WHERE status = 'waiting' AND ward = ?",
        ward,
    )
    return int(rows[0][0]) if rows else 0
