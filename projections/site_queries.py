"""Reads of the campaign's sites (the campaign view, with the operations view's site codes)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from projections.sql_reads import read_rows
from projections.store import Row, ViewStore


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
        f"SELECT {_SITE_COLUMNS} FROM {store.table('campaign_sites')} s "
        f"LEFT JOIN {store.table('operations_sites')} o ON o.site_id = s.site_id"
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
    return [_site(r) for r in read_rows(store, sql + " ORDER BY s.province, s.name, s.site_id", *params)]


def all_site_ids(store: ViewStore) -> list[UUID]:
    """Every vaccination site (campaign or not), by code."""
    return [
        UUID(str(r[0]))
        for r in read_rows(store, f"SELECT site_id FROM {store.table('operations_sites')} ORDER BY code")
    ]


def site(store: ViewStore, site_id: UUID | str) -> SiteRow | None:
    """One campaign site, or None."""
    rows = read_rows(
        store,
        f"SELECT {_SITE_COLUMNS} FROM {store.table('campaign_sites')} s "
        f"LEFT JOIN {store.table('operations_sites')} o ON o.site_id = s.site_id WHERE s.site_id = ?",
        str(site_id),
    )
    return _site(rows[0]) if rows else None
