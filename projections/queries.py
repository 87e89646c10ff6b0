"""Read functions for the web app and the CLI: plain dataclasses out of the views.

- `health_book(ledger, store, person_id)` and `family_health_books(ledger, store, guardian_id)`:
  the citizen's records; identity and symptoms come from the ledger (decrypted, or "[erased]").
- `public_statistics(store)`: the public tables, small counts suppressed.
- `operations_overview(ledger, store, today=..., now=...)`: the response center's dashboard.
- `current_certificate(store, person_id)`, `revoked_certificates(store)`: the certificate index.

Every function reads committed view rows only; a view that is behind the log shows the state at
its position (see `operations_overview(...).lag`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from ledger.application import Ledger
from ledger.reference import Reference, reference
from ledger.status import VaccinationStatus, vaccination_status
from ledger.values import Severity
from projections.certificate_index import CertificateIndex
from projections.errors import ProjectionError
from projections.health_book import HealthBook
from projections.operations import Operations
from projections.registry import ViewLag, view_status
from projections.sql_reads import read_rows
from projections.statistics import Statistics
from projections.store import Row, ViewStore

K = TypeVar("K")

SUPPRESSION_THRESHOLD = 5
# No per-province adult (18+) count is published (see data/vn/README.md): adults are estimated as a
# national share of the population. ESTIMATE, not a sourced statistic: about 70 million of the
# 97.6 million people of 2020 were 18 or older in 2021 as reported in the press during the campaign.
ADULT_SHARE_ESTIMATE = 0.72
ADULT_SHARE_LABEL = (
    "Adults (18+) are estimated as 72% of the GSO 2020 population in every province: an assumed national "
    "share, not a published per-province figure."
)
TARGETS = (
    # (key, description, deadline, share of the denominator, denominator)
    (
        "adults_first_dose_2021",
        "50% of adults with at least one dose by the end of 2021",
        date(2021, 12, 31),
        0.50,
        "adults",
    ),
    (
        "population_first_dose_q1_2022",
        "70% of the population with at least one dose by the end of Q1 2022",
        date(2022, 3, 31),
        0.70,
        "population",
    ),
)


class PersonNotInView(ProjectionError):
    """The person is not (yet) in the health book."""

    code = "person_not_in_view"
    kind = "not_found"


# ---- health book -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DoseEntry:
    """One dose in a health book (voided doses only when asked for)."""

    dose_id: str
    dose_number: int
    product: str
    product_name: str
    lot_number: str
    site_id: str
    site_name: str
    date: str
    mixed_products: bool
    voided: bool
    corrections: int


@dataclass(frozen=True)
class ReactionEntry:
    """A reported adverse reaction; `symptoms` is decrypted from the ledger (or "[erased]")."""

    reaction_id: str
    dose_id: str | None
    onset: str
    severity: str
    symptoms: str
    follow_ups: int
    resolved: bool

    @property
    def needs_follow_up(self) -> bool:
        """Serious and not yet resolved."""
        return self.severity == Severity.SERIOUS.value and not self.resolved


@dataclass(frozen=True)
class CertificateEntry:
    """A certificate in the index (the HC1 itself is not kept: it is personal data)."""

    uci: str
    certificate_id: str
    person_id: str | None  # None once the person was erased
    dose_id: str | None
    dose_number: int | None
    series_doses: int | None
    colour: str  # "green" or "yellow"
    issued_on: str
    expires_on: str
    status: str  # "current", "superseded" or "revoked"
    changed_on: str | None
    reason: str | None
    superseded_by: str | None


@dataclass(frozen=True)
class HealthBookEntry:
    """A person's health book. For an erased person only `person_id`, `erased` and family links remain."""

    person_id: str
    full_name: str
    date_of_birth: str
    national_id: str | None
    province_code: str | None
    province_name: str | None
    priority_group: str | None
    guardian_id: str | None
    relationship: str | None
    erased: bool
    status: str  # green, yellow, none (ledger.status, the one rule), or "erased"
    doses: tuple[DoseEntry, ...]
    reactions: tuple[ReactionEntry, ...]
    declarations: int
    last_declared_on: str | None
    certificate: CertificateEntry | None
    dependant_ids: tuple[str, ...] = field(default=())
    status_reason: str = ""  # ledger.status.Reason: no_dose, primary_incomplete, primary_complete, booster

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict for the web API."""
        data = {k: v for k, v in self.__dict__.items() if k not in ("doses", "reactions", "certificate")}
        data["doses"] = [d.__dict__ for d in self.doses]
        data["reactions"] = [{**r.__dict__, "needs_follow_up": r.needs_follow_up} for r in self.reactions]
        data["certificate"] = self.certificate.__dict__ if self.certificate else None
        data["dependant_ids"] = list(self.dependant_ids)
        return data


def _vaccination_status(doses: list[DoseEntry], ref: Reference) -> VaccinationStatus:
    """ledger.status over the doses not voided, oldest first (the web and the certificates use the same)."""
    active = sorted((d for d in doses if not d.voided), key=lambda d: (d.date, d.dose_number))
    return vaccination_status([d.product for d in active], ref.vaccines)


def health_book(
    ledger: Ledger, store: ViewStore, person_id: UUID | str, *, include_voided: bool = False
) -> HealthBookEntry:
    """The health book of one person: the view's rows, identity and symptoms read from the ledger."""
    pid = _person_id(person_id)
    books = _health_books(ledger, store, [pid], include_voided=include_voided)
    if pid not in books:
        raise PersonNotInView(f"Person {pid} is not in the health book yet: try again in a moment.")
    return books[pid]


def family_health_books(
    ledger: Ledger, store: ViewStore, guardian_id: UUID | str, *, include_voided: bool = False
) -> list[HealthBookEntry]:
    """The guardian's health book first, then every dependant's (erased dependants shown as erased)."""
    gid = _person_id(guardian_id)
    view = HealthBook.recorder(store)
    with store.transaction(write=False) as cursor:
        cursor.execute(
            f"SELECT person_id FROM {view.t('people')} WHERE guardian_id = ? ORDER BY person_id",
            (gid,),
        )
        dependants = [row[0] for row in cursor.fetchall()]
    books = _health_books(ledger, store, [gid, *dependants], include_voided=include_voided)
    if gid not in books:
        raise PersonNotInView(f"Person {gid} is not in the health book yet: try again in a moment.")
    # The guardian's own list gives the order in which dependants were added.
    order = list(dict.fromkeys([gid, *books[gid].dependant_ids, *dependants]))
    return [books[p] for p in order if p in books]


def _person_id(value: UUID | str) -> str:
    try:
        return str(value if isinstance(value, UUID) else UUID(str(value)))
    except ValueError:
        raise PersonNotInView(
            f"{value!r} is not a person id: use the id shown on the registration."
        ) from None


def _health_books(
    ledger: Ledger, store: ViewStore, person_ids: list[str], *, include_voided: bool
) -> dict[str, HealthBookEntry]:
    view = HealthBook.recorder(store)
    ops = Operations.recorder(store)
    ref = ledger.reference
    marks = ",".join("?" * len(person_ids))
    with store.transaction(write=False) as cursor:
        cursor.execute(
            f"SELECT person_id, guardian_id, relationship, province, priority_group, erased, declarations, "
            f"last_declared_on FROM {view.t('people')} WHERE person_id IN ({marks})",
            person_ids,
        )
        people = {row[0]: row for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT d.person_id, d.dose_id, d.dose_number, d.product, d.lot_number, d.site_id, d.day, "
            f"d.mixed_products, d.voided, d.corrections, s.name FROM {view.t('doses')} d "
            f"LEFT JOIN {ops.t('sites')} s ON s.site_id = d.site_id "
            f"WHERE d.person_id IN ({marks}) ORDER BY d.seq",
            person_ids,
        )
        doses: dict[str, list[DoseEntry]] = {}
        for r in cursor.fetchall():
            if r[8] and not include_voided:
                continue
            vaccine = ref.vaccines.get(r[3])
            doses.setdefault(r[0], []).append(
                DoseEntry(
                    r[1],
                    int(r[2]),
                    r[3],
                    vaccine.name if vaccine else r[3],
                    r[4],
                    r[5],
                    r[10] or "",
                    r[6],
                    bool(r[7]),
                    bool(r[8]),
                    int(r[9]),
                )
            )
        cursor.execute(
            f"SELECT person_id, reaction_id, dose_id, onset, severity, follow_ups, resolved "
            f"FROM {view.t('reactions')} WHERE person_id IN ({marks}) ORDER BY onset, reaction_id",
            person_ids,
        )
        reaction_rows: dict[str, list[Row]] = {}
        for r in cursor.fetchall():
            reaction_rows.setdefault(r[0], []).append(r)
    certificates = {p: current_certificate(store, p) for p in people}
    aggregates = ledger.get_people([UUID(p) for p in people if not people[p][5]])
    books: dict[str, HealthBookEntry] = {}
    for pid, row in people.items():
        erased = bool(row[5])
        person = aggregates.get(UUID(pid))
        if person is not None and person.full_name.erased:
            erased = True
        symptoms = {str(r.reaction_id): r.symptoms.text for r in person.reactions} if person else {}
        person_doses = doses.get(pid, [])
        province = ref.provinces.get(row[3]) if row[3] else None
        status = _vaccination_status(person_doses, ref)
        books[pid] = HealthBookEntry(
            person_id=pid,
            full_name="[erased]" if erased or person is None else person.full_name.text,
            date_of_birth="[erased]" if erased or person is None else person.date_of_birth.text,
            national_id=None
            if erased or person is None or person.national_id is None
            else person.national_id.text,
            province_code=row[3],
            province_name=province.name if province else None,
            priority_group=row[4],
            guardian_id=row[1],
            relationship=row[2],
            erased=erased,
            status="erased" if erased else status.colour.value,
            status_reason="" if erased else status.reason.value,
            doses=tuple(person_doses),
            reactions=tuple(
                ReactionEntry(r[1], r[2], r[3], r[4], symptoms.get(r[1], "[erased]"), int(r[5]), bool(r[6]))
                for r in reaction_rows.get(pid, [])
            ),
            declarations=int(row[6]),
            last_declared_on=row[7],
            certificate=certificates.get(pid),
            dependant_ids=tuple(str(d) for d in person.dependant_ids) if person else (),
        )
    return books


# ---- certificates ----------------------------------------------------------------------------


def _certificate(row: Row) -> CertificateEntry:
    return CertificateEntry(*row)


_CERT_COLUMNS = (
    "uci, certificate_id, person_id, dose_id, dose_number, series_doses, colour, issued_on, expires_on, status, "
    "changed_on, reason, superseded_by"
)


def current_certificate(store: ViewStore, person_id: UUID | str) -> CertificateEntry | None:
    """The person's current certificate, or None."""
    view = CertificateIndex.recorder(store)
    with store.transaction(write=False) as cursor:
        cursor.execute(
            f"SELECT {_CERT_COLUMNS} FROM {view.t('certificates')} WHERE person_id = ? AND status = 'current' "
            "ORDER BY issued_on DESC, uci",
            (str(person_id),),
        )
        row = cursor.fetchone()
    return None if row is None else _certificate(row)


def revoked_certificates(store: ViewStore, *, include_superseded: bool = False) -> list[CertificateEntry]:
    """Revoked certificates, oldest change first: the revocation list's input.

    Superseded certificates (a later dose was given) stay valid and are not listed unless asked for.
    """
    view = CertificateIndex.recorder(store)
    statuses = ("revoked", "superseded") if include_superseded else ("revoked",)
    with store.transaction(write=False) as cursor:
        cursor.execute(
            f"SELECT {_CERT_COLUMNS} FROM {view.t('certificates')} WHERE status IN ({','.join('?' * len(statuses))}) "
            "ORDER BY changed_on, uci",
            statuses,
        )
        return [_certificate(row) for row in cursor.fetchall()]


def revoked_ucis(store: ViewStore, *, include_superseded: bool = False) -> list[str]:
    """Just the UCIs of `revoked_certificates`."""
    return [c.uci for c in revoked_certificates(store, include_superseded=include_superseded)]


def certificate_by_uci(store: ViewStore, uci: str) -> CertificateEntry | None:
    """The certificate with that UCI (any status), or None."""
    view = CertificateIndex.recorder(store)
    with store.transaction(write=False) as cursor:
        cursor.execute(f"SELECT {_CERT_COLUMNS} FROM {view.t('certificates')} WHERE uci = ?", (uci,))
        row = cursor.fetchone()
    return None if row is None else _certificate(row)


# ---- public statistics -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A published count: `value` is None when suppressed (fewer than 5, or to protect such a cell)."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        """True when the count is hidden."""
        return self.value is None

    def __str__(self) -> str:
        return f"<{SUPPRESSION_THRESHOLD}" if self.value is None else str(self.value)


def suppress(counts: Mapping[K, int]) -> dict[K, Cell]:
    """Hide counts from 1 to 4; if that hides exactly one cell, also hide the next smallest one, so
    the hidden cell cannot be recovered from the table's total (secondary suppression)."""
    hidden = {k for k, n in counts.items() if 0 < n < SUPPRESSION_THRESHOLD}
    if len(hidden) == 1:
        others = sorted((n, str(k), k) for k, n in counts.items() if k not in hidden and n > 0)
        if others:
            hidden.add(others[0][2])
    return {k: Cell(None if k in hidden else n) for k, n in counts.items()}


def _published(n: int) -> Cell:
    return Cell(None if 0 < n < SUPPRESSION_THRESHOLD else n)


def _rate(numerator: Cell, denominator: int, scale: float = 100.0) -> float | None:
    if numerator.value is None or denominator <= 0:
        return None
    return round(numerator.value * scale / denominator, 2)


@dataclass(frozen=True)
class ProvinceStatistics:
    """One province: doses, people with 1 and 2+ doses, coverage of its population."""

    code: str
    name: str
    population: int
    doses: Cell
    first_dose_people: Cell
    second_dose_people: Cell
    first_dose_coverage_pct: float | None
    second_dose_coverage_pct: float | None
    adults_first_dose: Cell
    adult_population_estimate: int
    adults_first_dose_coverage_pct: float | None  # against an ESTIMATED denominator


@dataclass(frozen=True)
class PublicStatistics:
    """Every public table; cells under 5 suppressed; `notes` label the estimates."""

    total_doses: Cell
    doses_by_day: list[tuple[str, Cell]]
    provinces: list[ProvinceStatistics]
    by_vaccine: list[tuple[str, str, Cell]]  # (mp code, name, doses)
    by_priority_group: list[tuple[str, str, str, Cell]]  # (code, English, Vietnamese, doses)
    by_dose_number: list[tuple[int, Cell]]
    reactions: list[tuple[str, Cell, float | None]]  # (severity, count, per 100,000 doses)
    notes: list[str]


def public_statistics(store: ViewStore, *, reference_data: Reference | None = None) -> PublicStatistics:
    """The public statistics from the statistics view (all 63 provinces, all 16 priority groups)."""
    ref = reference_data or reference()
    view = Statistics.recorder(store)
    by_day = {
        r[0]: int(r[1]) for r in read_rows(store, f"SELECT day, n FROM {view.t('by_day')} WHERE n <> 0")
    }
    by_product = {r[0]: int(r[1]) for r in read_rows(store, f"SELECT product, n FROM {view.t('by_product')}")}
    by_group = {
        r[0]: int(r[1]) for r in read_rows(store, f"SELECT priority_group, n FROM {view.t('by_group')}")
    }
    by_severity = {
        r[0]: int(r[1]) for r in read_rows(store, f"SELECT severity, n FROM {view.t('reactions')}")
    }
    province_rows = read_rows(store, f"SELECT province, dose_number, adult, n FROM {view.t('by_province')}")
    doses: dict[str, int] = {}
    first: dict[str, int] = {}
    second: dict[str, int] = {}
    adults_first: dict[str, int] = {}
    by_number: dict[int, int] = {}
    for province, number, adult, n in province_rows:
        n = int(n)
        doses[province] = doses.get(province, 0) + n
        by_number[int(number)] = by_number.get(int(number), 0) + n
        if number == "1":
            first[province] = first.get(province, 0) + n
            if adult == "1":
                adults_first[province] = adults_first.get(province, 0) + n
        if number == "2":
            second[province] = second.get(province, 0) + n
    total = sum(by_day.values())

    day_cells = suppress(by_day)
    province_doses = suppress({code: doses.get(code, 0) for code in ref.provinces})
    province_first = suppress({code: first.get(code, 0) for code in ref.provinces})
    province_second = suppress({code: second.get(code, 0) for code in ref.provinces})
    province_adults = suppress({code: adults_first.get(code, 0) for code in ref.provinces})
    provinces = []
    for code, province in sorted(ref.provinces.items()):
        adult_population = round(province.population * ADULT_SHARE_ESTIMATE)
        provinces.append(
            ProvinceStatistics(
                code=code,
                name=province.name,
                population=province.population,
                doses=province_doses[code],
                first_dose_people=province_first[code],
                second_dose_people=province_second[code],
                first_dose_coverage_pct=_rate(province_first[code], province.population),
                second_dose_coverage_pct=_rate(province_second[code], province.population),
                adults_first_dose=province_adults[code],
                adult_population_estimate=adult_population,
                adults_first_dose_coverage_pct=_rate(province_adults[code], adult_population),
            )
        )
    vaccine_cells = suppress({mp: by_product.get(mp, 0) for mp in {*ref.vaccines, *by_product}})
    group_cells = suppress({code: by_group.get(code, 0) for code in {*ref.priority_groups, *by_group}})
    number_cells = suppress(by_number)
    severities = [s.value for s in Severity]
    reaction_cells = suppress({s: by_severity.get(s, 0) for s in severities})
    total_cell = _published(total)
    return PublicStatistics(
        total_doses=total_cell,
        doses_by_day=sorted(day_cells.items()),
        provinces=provinces,
        by_vaccine=[
            (mp, ref.vaccines[mp].name if mp in ref.vaccines else mp, cell)
            for mp, cell in sorted(vaccine_cells.items())
        ],
        by_priority_group=[
            (
                code,
                ref.priority_groups[code].name_en if code in ref.priority_groups else code,
                ref.priority_groups[code].name_vi if code in ref.priority_groups else code,
                cell,
            )
            for code, cell in sorted(
                group_cells.items(),
                key=lambda item: ref.priority_groups[item[0]].rank if item[0] in ref.priority_groups else 99,
            )
        ],
        by_dose_number=sorted(number_cells.items()),
        reactions=[(s, reaction_cells[s], _rate(reaction_cells[s], total, 100_000.0)) for s in severities],
        notes=[
            ADULT_SHARE_LABEL,
            f"Counts from 1 to {SUPPRESSION_THRESHOLD - 1} are not shown (nor one more cell when only one would "
            "be hidden), so no cell reveals a person.",
            "Coverage compares people by province of residence with the GSO 2020 average population.",
            "A voided dose is not counted; a corrected dose is counted with its corrected details.",
        ],
    )


# ---- operations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetProgress:
    """Progress towards a campaign target."""

    key: str
    description: str
    deadline: str
    target_pct: float
    current_pct: float
    people: int
    denominator: int
    denominator_is_estimate: bool
    met: bool
    days_left: int


@dataclass(frozen=True)
class SiteDay:
    """Doses given at a site on a day, against its daily capacity."""

    site_id: str
    site_code: str
    site_name: str
    province: str
    day: str
    doses: int
    capacity_per_day: int


@dataclass(frozen=True)
class LotStock:
    """A vaccine lot: where, expiry, doses received, used and left."""

    lot_id: str
    product: str
    lot_number: str
    site_id: str
    expiry: str
    quantity: int
    used: int
    remaining: int
    days_to_expiry: int
    near_expiry: bool
    expired: bool


@dataclass(frozen=True)
class FollowUp:
    """A serious reaction still awaiting a resolving follow-up."""

    reaction_id: str
    person_id: str
    dose_id: str | None
    province: str
    onset: str
    reported_on: str
    days_waiting: int


@dataclass(frozen=True)
class OperationsOverview:
    """The response center's dashboard."""

    targets: list[TargetProgress]
    site_days: list[SiteDay]
    lots: list[LotStock]
    follow_ups: list[FollowUp]
    lag: list[ViewLag]
    notes: list[str]


def operations_overview(
    ledger: Ledger,
    store: ViewStore,
    *,
    today: date,
    now: datetime,
    near_expiry_days: int = 30,
    recent_days: int = 14,
    reference: Reference | None = None,
) -> OperationsOverview:
    """Targets, doses per site per day (last `recent_days`), lots in stock, open follow-ups, view lag.

    `reference`: the population the targets are measured against (a simulated ledger's scaled one, as
    the public statistics use); by default the ledger's."""
    ref = reference or ledger.reference
    stats = Statistics.recorder(store)
    view = Operations.recorder(store)
    rows = read_rows(
        store, f"SELECT dose_number, adult, n FROM {stats.t('by_province')} WHERE dose_number = '1'"
    )
    first_people = sum(int(r[2]) for r in rows)
    first_adults = sum(int(r[2]) for r in rows if r[1] == "1")
    population = sum(p.population for p in ref.provinces.values())
    adults = round(population * ADULT_SHARE_ESTIMATE)
    targets = []
    for key, description, deadline, share, denominator_kind in TARGETS:
        people, denominator = (
            (first_adults, adults) if denominator_kind == "adults" else (first_people, population)
        )
        current = round(100.0 * people / denominator, 3) if denominator else 0.0
        targets.append(
            TargetProgress(
                key,
                description,
                deadline.isoformat(),
                share * 100,
                current,
                people,
                denominator,
                denominator_kind == "adults",
                current >= share * 100,
                (deadline - today).days,
            )
        )
    since = date.fromordinal(today.toordinal() - recent_days + 1).isoformat()
    site_days = [
        SiteDay(r[0], r[1] or "", r[2] or "", r[3] or "", r[4], int(r[5]), int(r[6] or 0))
        for r in read_rows(
            store,
            f"SELECT d.site_id, s.code, s.name, s.province, d.day, d.n, s.capacity_per_day FROM {view.t('site_day')} d "
            f"LEFT JOIN {view.t('sites')} s ON s.site_id = d.site_id WHERE d.n <> 0 AND d.day >= ? "
            "ORDER BY d.day DESC, s.code, d.site_id",
            since,
        )
    ]
    lots = []
    for r in read_rows(
        store,
        f"SELECT l.lot_id, l.product, l.lot_number, l.site_id, l.expiry, l.quantity, COALESCE(u.n, 0) "
        f"FROM {view.t('lots')} l LEFT JOIN {view.t('lot_use')} u ON u.lot_id = l.lot_id ORDER BY l.expiry, l.lot_id",
    ):
        days = (date.fromisoformat(r[4]) - today).days
        remaining = int(r[5]) - int(r[6])
        if remaining <= 0:
            continue
        lots.append(
            LotStock(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                int(r[5]),
                int(r[6]),
                remaining,
                days,
                0 <= days <= near_expiry_days,
                days < 0,
            )
        )
    follow_ups = [
        FollowUp(r[0], r[1], r[2], r[3], r[4], r[5], (today - date.fromisoformat(r[5])).days)
        for r in read_rows(
            store,
            f"SELECT reaction_id, person_id, dose_id, province, onset, reported_on FROM {view.t('follow_ups')} "
            "ORDER BY reported_on, reaction_id",
        )
    ]
    return OperationsOverview(
        targets=targets,
        site_days=site_days,
        lots=lots,
        follow_ups=follow_ups,
        lag=view_status(ledger, store, now=now),
        notes=[ADULT_SHARE_LABEL],
    )
