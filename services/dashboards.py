"""The public statistics, the response center's operations view, and a province officer's overview.

Read from the projections (statistics, operations) and the read side (sites, lots); small counts are
suppressed by the projection (None means fewer than 5).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from ledger.commands import vietnam_day
from ledger.errors import LedgerError
from ledger.values import Actor, Role
from projections import stock_queries as sq
from projections.queries import operations_overview, public_statistics
from services.backend import Backend
from services.simulation.scale import population_scale, scale_note, scaled_reference
from services.stock import StockService

NEAR_EXPIRY = timedelta(days=30)


@dataclass(frozen=True)
class DayCount:
    date: str
    doses: int | None


@dataclass(frozen=True)
class ProvinceCoverage:
    code: str
    name: str
    doses: int | None
    coverage: float | None  # % of the population with at least one dose
    population: int = 0  # GSO 2020 average population
    first_dose_people: int | None = None  # None when suppressed (fewer than 5)
    coverage2: float | None = None  # % of the population with at least two doses


@dataclass(frozen=True)
class VaccineCount:
    code: str
    name: str
    doses: int | None


@dataclass(frozen=True)
class GroupCount:
    code: str
    name_en: str
    name_vi: str
    doses: int | None


@dataclass(frozen=True)
class DoseNumberCount:
    dose_number: int
    doses: int | None


@dataclass(frozen=True)
class ReactionRate:
    severity: str
    count: int | None
    per_100k: float | None


@dataclass(frozen=True)
class Statistics:
    total_doses: int
    people_vaccinated: int
    reactions_per_100k: float | None  # None when a severity's count is hidden (a sum of the rest misleads)
    per_day: tuple[DayCount, ...]
    provinces: tuple[ProvinceCoverage, ...]
    vaccines: tuple[VaccineCount, ...]
    groups: tuple[GroupCount, ...]
    dose_numbers: tuple[DoseNumberCount, ...]
    reactions: tuple[ReactionRate, ...]
    notes: tuple[str, ...]
    replica_behind_s: float | None = None  # read from a replica this many seconds behind the primary

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def statistics(backend: Backend) -> Statistics:
    """The public statistics (from the replica when one is configured, with how far behind it is)."""
    views, behind = backend.views, None
    if backend.public_views is not None and backend.replica_staleness is not None:
        try:
            behind = backend.replica_staleness()
            views = backend.public_views
        except LedgerError:  # the replica is away or was promoted: the primary answers instead
            behind = None
    scale = population_scale(os.environ)  # a simulated ledger (immunize simulate, immunize run's demo)
    stats = public_statistics(views, reference_data=scaled_reference(backend.reference, scale))
    if scale != 1:
        stats.notes.append(scale_note(scale))
    first = next((cell.value for number, cell in stats.by_dose_number if number == 1), None)
    rates = [rate for _severity, _cell, rate in stats.reactions if rate is not None]
    return Statistics(
        total_doses=stats.total_doses.value or 0,
        people_vaccinated=first or 0,
        reactions_per_100k=round(sum(rates), 1) if len(rates) == len(stats.reactions) else None,
        per_day=tuple(DayCount(day, cell.value) for day, cell in stats.doses_by_day),
        provinces=tuple(
            ProvinceCoverage(
                p.code,
                p.name,
                p.doses.value,
                p.first_dose_coverage_pct,
                p.population,
                p.first_dose_people.value,
                p.second_dose_coverage_pct,
            )
            for p in stats.provinces
        ),
        vaccines=tuple(VaccineCount(mp, name, cell.value) for mp, name, cell in stats.by_vaccine),
        groups=tuple(GroupCount(code, en, vi, cell.value) for code, en, vi, cell in stats.by_priority_group),
        dose_numbers=tuple(DoseNumberCount(n, cell.value) for n, cell in stats.by_dose_number),
        reactions=tuple(ReactionRate(severity, cell.value, rate) for severity, cell, rate in stats.reactions),
        notes=tuple(stats.notes),
        replica_behind_s=behind,
    )


@dataclass(frozen=True)
class Lag:
    name: str
    behind: int
    seconds: float
    position: int


@dataclass(frozen=True)
class TargetProgress:
    name: str
    goal: str
    progress: str
    met: bool
    key: str = ""  # stable name of the target (the pages say it in their language)
    target_pct: float = 0.0
    current_pct: float = 0.0
    deadline: str = ""
    days_left: int = 0


@dataclass(frozen=True)
class StockLine:
    vaccine: str
    lot_number: str
    expiry: str
    quantity: int
    near_expiry: bool
    expired: bool
    site: str = ""
    days_to_expiry: int = 0


@dataclass(frozen=True)
class FollowUpLine:
    """A serious reaction waiting for a follow-up: where and since when (no name: the page is not a file)."""

    person_id: str
    reaction_id: str
    province: str
    onset: str
    reported_on: str
    days_waiting: int


@dataclass(frozen=True)
class FollowUpForm:
    """What the response center's AEFI team found when following up a serious reaction."""

    outcome: str
    resolved: bool
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Operations:
    lag: tuple[Lag, ...]
    targets: tuple[TargetProgress, ...]
    per_day: tuple[DayCount, ...]
    lots: tuple[StockLine, ...]
    serious_open: int
    notes: tuple[str, ...]
    follow_ups: tuple[FollowUpLine, ...] = ()  # longest waiting first

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def _vaccine_name(backend: Backend, mp: str) -> str:
    vaccine = backend.reference.vaccines.get(mp)
    return vaccine.name if vaccine is not None else mp


def operations(backend: Backend, *, now: datetime) -> Operations:
    """Targets, doses per day, stock, open serious reactions, projection lag."""
    today = vietnam_day(now)
    scale = population_scale(os.environ)  # the demo's targets against the population statistics use
    overview = operations_overview(
        backend.ledger,
        backend.views,
        today=today,
        now=now,
        reference=scaled_reference(backend.reference, scale),
    )
    backend.read.refresh()
    site_names = {site.id: site.name for site in backend.read.sites()}
    provinces = backend.reference.provinces
    # A lot allocated from a province store counts what its stock record says is left (waste included).
    stock = StockService(backend.ledger, backend.views)
    stock.refresh()
    tracked = {r.site_lot_id: r.remaining for r in sq.site_lots(backend.views)}
    per_day: dict[str, int] = {}
    for site_day in overview.site_days:
        per_day[site_day.day] = per_day.get(site_day.day, 0) + site_day.doses
    return Operations(
        lag=tuple(Lag(x.name, x.behind, round(x.seconds, 1), x.position) for x in overview.lag),
        targets=tuple(
            TargetProgress(
                name=t.description,
                goal=f"{t.target_pct:.0f}% · {t.deadline}",
                progress=f"{t.current_pct:.2f}%",
                met=t.met,
                key=t.key,
                target_pct=t.target_pct,
                current_pct=t.current_pct,
                deadline=t.deadline,
                days_left=t.days_left,
            )
            for t in overview.targets
        ),
        per_day=tuple(DayCount(day, n) for day, n in sorted(per_day.items())),
        lots=tuple(
            StockLine(
                vaccine=_vaccine_name(backend, lot.product),
                lot_number=lot.lot_number,
                expiry=lot.expiry,
                quantity=tracked.get(lot.lot_id, lot.remaining),
                near_expiry=lot.near_expiry,
                expired=lot.expired,
                site=site_names.get(lot.site_id, ""),
                days_to_expiry=lot.days_to_expiry,
            )
            for lot in overview.lots
        ),
        serious_open=len(overview.follow_ups),
        notes=tuple(overview.notes),
        follow_ups=tuple(
            FollowUpLine(
                person_id=f.person_id,
                reaction_id=f.reaction_id,
                province=provinces[f.province].name if f.province in provinces else f.province,
                onset=f.onset,
                reported_on=f.reported_on,
                days_waiting=f.days_waiting,
            )
            for f in sorted(overview.follow_ups, key=lambda f: (-f.days_waiting, f.reported_on))
        ),
    )


def record_follow_up(
    backend: Backend, person_id: UUID, reaction_id: UUID, form: FollowUpForm, *, staff_id: str
) -> None:
    """The response center records the follow-up of a serious reaction (outcome, and whether it is closed).

    The response center acts nationwide with a province officer's rights over reactions (ledger.permissions:
    health staff record follow-ups); the actor id says it was the response center.
    """
    backend.ledger.record_follow_up(
        person_id=person_id,
        reaction_id=reaction_id,
        outcome=form.outcome,
        resolved=form.resolved,
        actor=Actor(actor_id=f"response:{staff_id}", role=Role.PROVINCE_OFFICER),
        idempotency_key=form.idempotency_key or f"follow-up-{uuid.uuid4().hex}",
    )


@dataclass(frozen=True)
class ProvinceSite:
    name: str
    code: str
    ward_code: str
    capacity_per_day: int


@dataclass(frozen=True)
class ProvinceLot:
    lot_number: str
    vaccine: str
    expiry: str
    quantity: int
    site: str
    expired: bool
    near_expiry: bool


@dataclass(frozen=True)
class ProvinceOverview:
    province_code: str
    province_name: str
    sites: tuple[ProvinceSite, ...]
    lots: tuple[ProvinceLot, ...]

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def province_overview(backend: Backend, province_code: str, *, today: date) -> ProvinceOverview:
    """The province's sites and the lots held at them, expired and near-expiry lots flagged."""
    backend.read.refresh()
    province = backend.reference.provinces.get(province_code)
    sites = backend.read.sites(province=province_code)
    names = {s.id: s.name for s in sites}
    lots = [
        ProvinceLot(
            lot_number=lot.lot_number,
            vaccine=_vaccine_name(backend, lot.product),
            expiry=lot.expiry.isoformat(),
            quantity=lot.quantity,
            site=names[lot.site_id],
            expired=lot.expiry < today,
            near_expiry=today <= lot.expiry <= today + NEAR_EXPIRY,
        )
        for lot in backend.read.lots(site_ids=list(names))
    ]
    return ProvinceOverview(
        province_code=province_code,
        province_name=province.name if province is not None else province_code,
        sites=tuple(
            ProvinceSite(s.name, s.code, s.ward_code, s.capacity_per_day)
            for s in sorted(sites, key=lambda s: s.name)
        ),
        lots=tuple(sorted(lots, key=lambda lot: (lot.site, lot.expiry))),
    )
