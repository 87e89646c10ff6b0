"""Read functions for the health-book pages: one person's doses (`health_book` view) and certificates
(`certificate_index` view), as rows the service layer turns into what the page shows.

Nothing personal is here: identity, reactions' and declarations' own words are opened from the
ledger by the caller (services.citizen says which page reads what, and why).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from projections.certificate_index import CertificateIndex
from projections.health_book import HealthBook
from projections.sites import SitesAndLots
from projections.store import Row, ViewStore


@dataclass(frozen=True)
class BookDose:
    """A dose that counts (voided doses are left out), numbered as the ledger numbers it."""

    dose_id: str
    dose_number: int
    product: str
    lot_id: str
    lot_number: str
    day: date
    site_id: str
    vaccinator_id: str
    mixed_products: bool


@dataclass(frozen=True)
class BookCertificate:
    """A certificate the person was given: current, superseded (still valid) or revoked (with why)."""

    uci: str
    dose_number: int
    series_doses: int
    issued_on: str
    status: str
    reason: str | None
    changed_on: str | None


def doses_of(store: ViewStore, person_id: UUID) -> list[BookDose]:
    """The person's doses that count, in the order given."""
    table = HealthBook.recorder(store).t("doses")
    rows = store.query(
        f"SELECT {_DOSE} FROM {table} WHERE person_id = ? AND voided = 0 ORDER BY seq",
        (str(person_id),),
    )
    return [_dose(r) for r in rows]


def doses_of_people(store: ViewStore, person_ids: Sequence[UUID]) -> dict[UUID, list[BookDose]]:
    """`doses_of` for several people in one statement (a family list): person id -> their doses that
    count, in the order given (an empty list for one with none)."""
    found: dict[UUID, list[BookDose]] = {pid: [] for pid in person_ids}
    if not found:
        return found
    table = HealthBook.recorder(store).t("doses")
    by_text = {str(pid): pid for pid in found}
    marks = ", ".join("?" for _ in by_text)
    rows = store.query(
        f"SELECT person_id, {_DOSE} FROM {table} WHERE person_id IN ({marks}) AND voided = 0 ORDER BY seq",
        tuple(by_text),
    )
    for r in rows:
        found[by_text[str(r[0])]].append(_dose(r[1:]))
    return found


def doses_with_site_names(store: ViewStore, person_id: UUID) -> tuple[list[BookDose], dict[str, str]]:
    """`doses_of` and the names of the sites that gave them (`sites_and_lots`), in one statement."""
    doses = HealthBook.recorder(store).t("doses")
    sites = SitesAndLots.recorder(store).t("sites")
    columns = ", ".join(f"d.{c.strip()}" for c in _DOSE.split(","))
    rows = store.query(
        f"SELECT {columns}, s.name FROM {doses} d LEFT JOIN {sites} s ON s.site_id = d.site_id "
        "WHERE d.person_id = ? AND d.voided = 0 ORDER BY d.seq",
        (str(person_id),),
    )
    return [_dose(r) for r in rows], {str(r[6]): str(r[9]) for r in rows if r[9] is not None}


_DOSE = "dose_id, dose_number, product, lot_id, lot_number, day, site_id, vaccinator_id, mixed_products"


def _dose(r: Row) -> BookDose:
    return BookDose(
        str(r[0]),
        int(r[1]),
        str(r[2]),
        str(r[3]),
        str(r[4]),
        date.fromisoformat(str(r[5])),
        str(r[6]),
        str(r[7]),
        bool(r[8]),
    )


def certificates_of(store: ViewStore, person_id: UUID) -> list[BookCertificate]:
    """Every certificate the person was given, newest first."""
    table = CertificateIndex.recorder(store).t("certificates")
    rows = store.query(
        f"SELECT uci, dose_number, series_doses, issued_on, status, reason, changed_on FROM {table} "
        "WHERE person_id = ? ORDER BY seq DESC",
        (str(person_id),),
    )
    return [
        BookCertificate(
            str(r[0]),
            int(r[1] or 0),
            int(r[2] or 0),
            str(r[3]),
            str(r[4]),
            r[5] and str(r[5]),
            r[6] and str(r[6]),
        )
        for r in rows
    ]
