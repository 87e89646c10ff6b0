"""Reads of the stock view as plain dataclasses: store lots, site allocations, stock per site and
product, allocation against use per province."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from projections.sql_reads import read_rows
from projections.store import ViewStore


@dataclass(frozen=True)
class StoreLotRow:
    """A lot in a province store."""

    lot_id: str
    province: str
    product: str
    lot_number: str
    expiry: date
    doses_per_vial: int
    received: int
    allocated: int  # net of the doses sites returned
    written_off: int
    returned: int = 0  # doses sites sent back (in the store again)

    @property
    def available(self) -> int:
        """Doses still in the store."""
        return self.received - self.allocated - self.written_off

    def as_json(self) -> dict[str, Any]:
        return {
            "lot_id": self.lot_id,
            "province": self.province,
            "product": self.product,
            "lot_number": self.lot_number,
            "expiry": self.expiry.isoformat(),
            "doses_per_vial": self.doses_per_vial,
            "received": self.received,
            "allocated": self.allocated,
            "written_off": self.written_off,
            "returned": self.returned,
            "available": self.available,
        }


@dataclass(frozen=True)
class SiteLotRow:
    """A site's allocation of a store lot (or a lot received at the site: empty `store_lot_id`) and what
    became of it."""

    site_lot_id: str
    store_lot_id: str
    site_id: str
    province: str
    product: str
    lot_number: str
    expiry: date
    doses_per_vial: int
    allocated: int
    used: int
    vials_opened: int
    wasted_open: int
    wasted_expired: int
    open_doses: int
    returned: int = 0  # unopened vials sent back to the store (already taken off `allocated`)

    @property
    def from_store(self) -> bool:
        """Allocated from a province store (a lot received at the site cannot be returned)."""
        return bool(self.store_lot_id)

    @property
    def wasted(self) -> int:
        return self.wasted_open + self.wasted_expired

    @property
    def remaining(self) -> int:
        """Doses still at the site (sealed vials and opened ones not yet closed)."""
        return self.allocated - self.used - self.wasted

    @property
    def sealed(self) -> int:
        """Doses in unopened vials."""
        return self.remaining - self.open_doses

    def as_json(self) -> dict[str, Any]:
        return {
            "site_lot_id": self.site_lot_id,
            "store_lot_id": self.store_lot_id,
            "site_id": self.site_id,
            "product": self.product,
            "lot_number": self.lot_number,
            "expiry": self.expiry.isoformat(),
            "doses_per_vial": self.doses_per_vial,
            "allocated": self.allocated,
            "used": self.used,
            "wasted": self.wasted,
            "open_doses": self.open_doses,
            "returned": self.returned,
            "sealed": self.sealed,
            "remaining": self.remaining,
        }


def store_lots(store: ViewStore, *, province: str | None = None) -> list[StoreLotRow]:
    """The store lots (of one province), soonest expiry first."""
    where, params = ("WHERE province = ?", [province]) if province is not None else ("", [])
    return [
        StoreLotRow(
            str(r[0]),
            str(r[1]),
            str(r[2]),
            str(r[3]),
            date.fromisoformat(str(r[4])),
            *(int(x) for x in r[5:10]),
        )
        for r in read_rows(
            store,
            f"SELECT lot_id, province, product, lot_number, expiry, doses_per_vial, received, allocated, written_off, "
            "returned "
            f"FROM {store.table('stock_store_lots')} {where} ORDER BY expiry, lot_number, lot_id",
            *params,
        )
    ]


def site_lots(
    store: ViewStore, *, site_ids: list[str] | None = None, province: str | None = None
) -> list[SiteLotRow]:
    """Site allocations (of some sites, or of a province), soonest expiry first."""
    clauses: list[str] = []
    params: list[Any] = []
    if site_ids is not None:
        if not site_ids:
            return []
        clauses.append(f"site_id IN ({', '.join('?' * len(site_ids))})")
        params.extend(site_ids)
    if province is not None:
        clauses.append("province = ?")
        params.append(province)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return [
        SiteLotRow(
            str(r[0]),
            str(r[1]),
            str(r[2]),
            str(r[3]),
            str(r[4]),
            str(r[5]),
            date.fromisoformat(str(r[6])),
            *(int(x) for x in r[7:15]),
        )
        for r in read_rows(
            store,
            f"SELECT site_lot_id, store_lot_id, site_id, province, product, lot_number, expiry, doses_per_vial, "
            f"allocated, used, vials_opened, wasted_open, wasted_expired, open_doses, returned "
            f"FROM {store.table('stock_site_lots')} {where} ORDER BY site_id, expiry, lot_number, site_lot_id",
            *params,
        )
    ]


@dataclass(frozen=True)
class ProvinceProduct:
    """Allocation against use in one province for one product (doses)."""

    province: str
    product: str
    received: int
    in_store: int
    allocated: int
    used: int
    wasted: int
    at_sites: int

    @property
    def use_rate(self) -> float:
        """Share of the allocated doses used (0 when nothing was allocated)."""
        return self.used / self.allocated if self.allocated else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "province": self.province,
            "product": self.product,
            "received": self.received,
            "in_store": self.in_store,
            "allocated": self.allocated,
            "used": self.used,
            "wasted": self.wasted,
            "at_sites": self.at_sites,
        }


def allocation_vs_use(store: ViewStore, *, province: str | None = None) -> list[ProvinceProduct]:
    """Per province and product: received, still in store, allocated, used, wasted, left at sites."""
    totals: dict[tuple[str, str], list[int]] = {}
    for lot in store_lots(store, province=province):
        t = totals.setdefault((lot.province, lot.product), [0] * 6)
        t[0] += lot.received
        t[1] += lot.available
        t[4] += lot.written_off
    for s in site_lots(store, province=province):
        t = totals.setdefault((s.province, s.product), [0] * 6)
        if not s.from_store:  # received straight at the site: received there, and held there
            t[0] += s.allocated
        t[2] += s.allocated
        t[3] += s.used
        t[4] += s.wasted
        t[5] += s.remaining
    return [ProvinceProduct(p, product, *t) for (p, product), t in sorted(totals.items())]


def usable_at(
    store: ViewStore, day: date, *, site_id: str | None = None
) -> dict[tuple[str, str], tuple[int, int]]:
    """Per (site, product): (doses a session on `day` can count on: sealed vials of unexpired lots,
    doses of lots expired by `day` still not written off)."""
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for s in site_lots(store, site_ids=[site_id] if site_id is not None else None):
        usable, expired = found.get((s.site_id, s.product), (0, 0))
        if s.expiry >= day:
            usable += s.sealed
        else:
            expired += s.remaining
        found[(s.site_id, s.product)] = (usable, expired)
    return found


def tracked_lot_ids(store: ViewStore) -> str:
    """SQL for the ids of the site lots that came from a store (for excluding them from other sums)."""
    return f"SELECT site_lot_id FROM {store.table('stock_site_lots')}"


@dataclass(frozen=True)
class SiteName:
    """A site a lot may be allocated to (every registered site, from the operations view)."""

    site_id: str
    code: str
    name: str
    province: str


def sites(store: ViewStore, *, province: str | None = None, site_id: str | None = None) -> list[SiteName]:
    """Registered sites of a province (or one site), by name."""
    clauses, params = [], []
    if province is not None:
        clauses.append("province = ?")
        params.append(province)
    if site_id is not None:
        clauses.append("site_id = ?")
        params.append(site_id)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return [
        SiteName(str(r[0]), str(r[1]), str(r[2]), str(r[3]))
        for r in read_rows(
            store,
            f"SELECT site_id, code, name, province FROM {store.table('operations_sites')} {where} ORDER BY name, code",
            *params,
        )
    ]
