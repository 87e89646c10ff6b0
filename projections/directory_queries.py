"""Read functions of the directory views: sites and lots, the people directory, the phone index.

Plain dataclasses out of committed view rows (a view behind the log shows the state at its
position: callers catch up first when a page must show a write just made, see services.read_side).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from projections.declared_id_index import DeclaredIdIndex
from projections.people_directory import PeopleDirectory
from projections.phone_index import PhoneIndex
from projections.sites import SitesAndLots
from projections.store import Row, ViewStore


@dataclass(frozen=True)
class SiteEntry:
    """A vaccination site."""

    id: str
    code: str
    name: str
    ward_code: str
    province_code: str
    capacity_per_day: int


@dataclass(frozen=True)
class LotEntry:
    """A vaccine lot, where it is held now; `quantity` as received."""

    id: str
    product: str
    manufacturer: str
    lot_number: str
    expiry: date
    site_id: str
    quantity: int


@dataclass(frozen=True)
class DirectoryEntry:
    """A registered person as the directory lists them (no personal data: that stays in the ledger)."""

    person_id: UUID
    seq: int
    guardian_id: UUID | None
    relationship: str | None
    ward_code: str | None
    province_code: str | None
    birth_year: int | None
    registered_on: str
    registered_at_site: str | None
    erased: bool


_SITE = "site_id, code, name, ward_code, province_code, capacity_per_day"
_LOT = "lot_id, product, manufacturer, lot_number, expiry, site_id, quantity"
_PERSON = (
    "person_id, seq, guardian_id, relationship, ward_code, province_code, birth_year, registered_on, "
    "registered_at_site, erased"
)


def _site(row: Row) -> SiteEntry:
    return SiteEntry(str(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), int(row[5]))


def _lot(row: Row) -> LotEntry:
    return LotEntry(
        str(row[0]),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        date.fromisoformat(str(row[4])),
        str(row[5]),
        int(row[6]),
    )


def _person(row: Row) -> DirectoryEntry:
    return DirectoryEntry(
        person_id=UUID(str(row[0])),
        seq=int(row[1]),
        guardian_id=UUID(str(row[2])) if row[2] else None,
        relationship=str(row[3]) if row[3] else None,
        ward_code=str(row[4]) if row[4] else None,
        province_code=str(row[5]) if row[5] else None,
        birth_year=int(row[6]) if row[6] is not None else None,
        registered_on=str(row[7]),
        registered_at_site=str(row[8]) if row[8] else None,
        erased=bool(row[9]),
    )


def _in(store: ViewStore, column: str, values: Sequence[str]) -> tuple[str, tuple[object, ...]]:
    condition, as_array = store.in_list(column, len(values))
    return condition, ((list(values),) if as_array else tuple(values))


# ---- sites and lots ----------------------------------------------------------------------------


def sites(store: ViewStore, *, province: str | None = None) -> list[SiteEntry]:
    """Every site (of one province), by code."""
    table = SitesAndLots.recorder(store).t("sites")
    if province is None:
        rows = store.query(f"SELECT {_SITE} FROM {table} ORDER BY code, site_id")
    else:
        rows = store.query(
            f"SELECT {_SITE} FROM {table} WHERE province_code = ? ORDER BY code, site_id", (province,)
        )
    return [_site(r) for r in rows]


def sites_by_id(store: ViewStore, site_ids: Sequence[str]) -> dict[str, SiteEntry]:
    """The sites with these ids (unknown ids are left out)."""
    wanted = sorted(set(site_ids))
    if not wanted:
        return {}
    condition, params = _in(store, "site_id", wanted)
    rows = store.query(
        f"SELECT {_SITE} FROM {SitesAndLots.recorder(store).t('sites')} WHERE {condition}", params
    )
    return {str(r[0]): _site(r) for r in rows}


def lots(store: ViewStore, *, site_ids: Sequence[str] | None = None) -> list[LotEntry]:
    """Every lot (held at these sites), by site, expiry and lot number."""
    table = SitesAndLots.recorder(store).t("lots")
    order = "ORDER BY site_id, expiry, lot_number, lot_id"
    if site_ids is None:
        return [_lot(r) for r in store.query(f"SELECT {_LOT} FROM {table} {order}")]
    if not site_ids:
        return []
    condition, params = _in(store, "site_id", sorted(set(site_ids)))
    return [_lot(r) for r in store.query(f"SELECT {_LOT} FROM {table} WHERE {condition} {order}", params)]


# ---- people ------------------------------------------------------------------------------------


def people(store: ViewStore, *, after: int = 0, limit: int = 100) -> list[DirectoryEntry]:
    """People in registration order: the `limit` first whose number (`seq`) is above `after`."""
    table = PeopleDirectory.recorder(store).t("people")
    rows = store.query(f"SELECT {_PERSON} FROM {table} WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
    return [_person(r) for r in rows]


def directory_entries(store: ViewStore, person_ids: Sequence[UUID]) -> dict[UUID, DirectoryEntry]:
    """The directory rows of these people (unknown ids are left out)."""
    wanted = sorted({str(p) for p in person_ids})
    if not wanted:
        return {}
    condition, params = _in(store, "person_id", wanted)
    rows = store.query(
        f"SELECT {_PERSON} FROM {PeopleDirectory.recorder(store).t('people')} WHERE {condition}", params
    )
    return {entry.person_id: entry for entry in map(_person, rows)}


def dependants_of(store: ViewStore, guardian_ids: Sequence[UUID]) -> list[DirectoryEntry]:
    """The people these guardians manage, in registration order."""
    wanted = sorted({str(g) for g in guardian_ids})
    if not wanted:
        return []
    condition, params = _in(store, "guardian_id", wanted)
    table = PeopleDirectory.recorder(store).t("people")
    return [
        _person(r)
        for r in store.query(f"SELECT {_PERSON} FROM {table} WHERE {condition} ORDER BY seq", params)
    ]


def people_with_phone(store: ViewStore, phone_key: str) -> list[UUID]:
    """The holders whose phone has this keyed handle (ViewKeys.phone of the number)."""
    table = PhoneIndex.recorder(store).t("phones")
    rows = store.query(f"SELECT person_id FROM {table} WHERE phone_key = ? ORDER BY person_id", (phone_key,))
    return [UUID(str(r[0])) for r in rows]


def household(store: ViewStore, phone_key: str) -> list[tuple[bool, DirectoryEntry]]:
    """(holder?, directory row) of the holders of the phone with this keyed handle and of the
    dependants they manage, holders first, in one statement (the phone index and the directory)."""
    phones = PhoneIndex.recorder(store).t("phones")
    people = PeopleDirectory.recorder(store).t("people")
    holders = f"SELECT person_id FROM {phones} WHERE phone_key = ?"
    rows = store.query(
        f"SELECT 1, {_PERSON} FROM {people} WHERE person_id IN ({holders})"
        f" UNION ALL SELECT 0, {_PERSON} FROM {people} WHERE guardian_id IN ({holders})"
        " ORDER BY 1 DESC, 3",
        (phone_key, phone_key),
    )
    return [(bool(r[0]), _person(r[1:])) for r in rows]


def people_declaring_id(store: ViewStore, id_key: str) -> list[UUID]:
    """The people holding (not yet confirmed) a national ID with this keyed handle (ViewKeys.national_id)."""
    table = DeclaredIdIndex.recorder(store).t("declared_ids")
    rows = store.query(f"SELECT person_id FROM {table} WHERE id_key = ? ORDER BY person_id", (id_key,))
    return [UUID(str(r[0])) for r in rows]
