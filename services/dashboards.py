"""The public statistics, the response center's operations view, and a province officer's overview.

Read from the projections (statistics, operations) and the read side (sites, lots); small counts are
suppressed by the projection (None means fewer than 5).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone

from projections.queries import operations_overview, public_statistics
from services.backend import Backend

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
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
    reactions_per_100k: float
    per_day: tuple[DayCount, ...]
    provinces: tuple[ProvinceCoverage, ...]
    vaccines: tuple[VaccineCount, ...]
    groups: tuple[GroupCount, ...]
    dose_numbers: tuple[DoseNumberCount, ...]
    reactions: tuple[ReactionRate, ...]
    notes: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def statistics(backend: Backend) -> Statistics:
    """The public statistics."""
    stats = public_statistics(backend.views, reference_data=backend.reference)
    first = next((cell.value for number, cell in stats.by_dose_number if number == 1), None)
    rates = [rate for _severity, _cell, rate in stats.reactions if rate is not None]
    return Statistics(
        total_doses=stats.total_doses.value or 0,
        people_vaccinated=first or 0,
        reactions_per_100k=round(sum(rates), 1),
        per_day=tuple(DayCount(day, cell.value) for day, cell in stats.doses_by_day),
        provinces=tuple(
            ProvinceCoverage(p.code, p.name, p.doses.value, p.first_dose_coverage_pct)
            for p in stats.provinces
        ),
        vaccines=tuple(VaccineCount(mp, name, cell.value) for mp, name, cell in stats.by_vaccine),
        groups=tuple(GroupCount(code, en, vi, cell.value) for code, en, vi, cell in stats.by_priority_group),
        dose_numbers=tuple(DoseNumberCount(n, cell.value) for n, cell in stats.by_dose_number),
        reactions=tuple(ReactionRate(severity, cell.value, rate) for severity, cell, rate in stats.reactions),
        notes=tuple(stats.notes),
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


@dataclass(frozen=True)
class StockLine:
    vaccine: str
    lot_number: str
    expiry: str
    quantity: int
    near_expiry: bool
    expired: bool


@dataclass(frozen=True)
class Operations:
    lag: tuple[Lag, ...]
    targets: tuple[TargetProgress, ...]
    per_day: tuple[DayCount, ...]
    lots: tuple[StockLine, ...]
    serious_open: int
    notes: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def _vaccine_name(backend: Backend, mp: str) -> str:
    vaccine = backend.reference.vaccines.get(mp)
    return vaccine.name if vaccine is not None else mp


def operations(backend: Backend, *, now: datetime) -> Operations:
    """Targets, doses per day, stock, open serious reactions, projection lag."""
    today = now.astimezone(VIETNAM_TIME).date()
    overview = operations_overview(backend.ledger, backend.views, today=today, now=now)
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
            )
            for t in overview.targets
        ),
        per_day=tuple(DayCount(day, n) for day, n in sorted(per_day.items())),
        lots=tuple(
            StockLine(
                vaccine=_vaccine_name(backend, lot.product),
                lot_number=lot.lot_number,
                expiry=lot.expiry,
                quantity=lot.remaining,
                near_expiry=lot.near_expiry,
                expired=lot.expired,
            )
            for lot in overview.lots
        ),
        serious_open=len(overview.follow_ups),
        notes=tuple(overview.notes),
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
    sites = [s for s in backend.read.sites.values() if s.province_code == province_code]
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
        for lot in backend.read.lots.values()
        if lot.site_id in names
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
