"""The Viet Nam reference data (a verbatim copy of shared/data/vn), read once and cached; never edited.

Found through IMMUNIZE_REFERENCE_DIR, else the copy shipped in `ledger/data/vn`.
"""

from __future__ import annotations

import csv
import functools
import os
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import (
    InvalidInput,
    PriorityGroupUnknown,
    ReferenceDataError,
    VaccineUnknown,
    WardUnknown,
)

REFERENCE_DIR_VARIABLE = "IMMUNIZE_REFERENCE_DIR"
SHIPPED_DIR = Path(__file__).resolve().parent / "data" / "vn"
FILES = (
    "provinces.csv",
    "districts.csv",
    "wards.csv",
    "province_population.csv",
    "priority_groups.csv",
    "vaccines.csv",
)


@dataclass(frozen=True)
class Province:
    """A province or centrally-run city (GSO code, e.g. "01" Hà Nội)."""

    code: str
    name: str
    name_ascii: str
    region: str
    population: int  # GSO 2020 average population, precise to 100 people


@dataclass(frozen=True)
class District:
    """A district (GSO code) and its province."""

    code: str
    name: str
    province_code: str


@dataclass(frozen=True)
class Ward:
    """A ward or commune (GSO code) with its district and province."""

    code: str
    name: str
    full_name: str
    district_code: str
    province_code: str


@dataclass(frozen=True)
class PriorityGroup:
    """One of the 16 priority groups of MoH Decision 3355/QĐ-BYT, in rank order."""

    rank: int
    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class Vaccine:
    """A vaccine product with its EU DCC codes and MoH primary series and minimum interval."""

    name: str
    mp: str  # medicinal product (vaccine-medicinal-product value set)
    ma: str  # marketing authorisation holder / manufacturer
    vp: str  # vaccine prophylaxis (SNOMED CT)
    doses_in_primary_series: int
    min_interval_days: int | None  # None for a single-dose product
    mp_display: str
    ma_display: str


@dataclass(frozen=True)
class Reference:
    """All reference tables, indexed by code."""

    directory: Path
    provinces: dict[str, Province]
    districts: dict[str, District]
    wards: dict[str, Ward]
    priority_groups: dict[str, PriorityGroup]
    vaccines: dict[str, Vaccine]  # by mp code

    def ward(self, code: str) -> Ward:
        """The ward with that GSO code, or an error saying where to look codes up."""
        try:
            return self.wards[code]
        except (KeyError, TypeError):
            raise WardUnknown(
                f"{code!r} is not a GSO ward code: use a 5-digit code from wards.csv (e.g. 00001 Phúc Xá).",
                ward_code=str(code)[:20],
            ) from None

    def priority_group(self, code: str) -> PriorityGroup:
        """The priority group with that code."""
        try:
            return self.priority_groups[code]
        except (KeyError, TypeError):
            raise PriorityGroupUnknown(
                f"{code!r} is not a priority group: use one of {', '.join(self.priority_groups)}.",
                group=str(code)[:40],
            ) from None

    def vaccine(self, mp: str) -> Vaccine:
        """The vaccine with that DCC medicinal product code."""
        try:
            return self.vaccines[mp]
        except (KeyError, TypeError):
            raise VaccineUnknown(
                f"{mp!r} is not a vaccine product used in Viet Nam: use one of {', '.join(self.vaccines)}.",
                product=str(mp)[:40],
            ) from None

    def min_days_between(self, previous: str, product: str) -> int | None:
        """The fewest days between a dose of `previous` and a next dose of `product`: the stricter of
        the two products' primary-series intervals (None when neither has one). The one rule for the
        dose check and the planner."""
        intervals = [
            v
            for v in (self.vaccines[p].min_interval_days for p in (previous, product) if p in self.vaccines)
            if v is not None
        ]
        return max(intervals) if intervals else None

    def province(self, code: str) -> Province:
        """The province with that GSO code."""
        try:
            return self.provinces[code]
        except (KeyError, TypeError):
            raise InvalidInput(
                f"{code!r} is not a GSO province code: use a code from provinces.csv."
            ) from None


def reference_dir(environ: dict[str, str] | None = None) -> Path:
    """Where the reference data is: IMMUNIZE_REFERENCE_DIR, else the copy shipped with the package."""
    env = os.environ if environ is None else environ
    configured = env.get(REFERENCE_DIR_VARIABLE)
    candidates = [Path(configured)] if configured else [SHIPPED_DIR]
    for candidate in candidates:
        if all((candidate / name).is_file() for name in FILES):
            return candidate
    where = candidates[0]
    raise ReferenceDataError(
        f"The Viet Nam reference data was not found in {where}: set {REFERENCE_DIR_VARIABLE} to the "
        "directory holding provinces.csv, districts.csv, wards.csv and vaccines.csv."
    )


def _rows(directory: Path, name: str) -> list[dict[str, str]]:
    try:
        with (directory / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReferenceDataError(f"Cannot read {directory / name}: {exc}; restore the file.") from exc


def load_reference(directory: Path) -> Reference:
    """Read every reference table from `directory`."""
    try:
        population = {
            r["province_code"]: int(r["population"]) for r in _rows(directory, "province_population.csv")
        }
        provinces = {
            r["code"]: Province(
                r["code"], r["name"], r["name_ascii"], r["region"], population.get(r["code"], 0)
            )
            for r in _rows(directory, "provinces.csv")
        }
        districts = {
            r["code"]: District(r["code"], r["name"], r["province_code"])
            for r in _rows(directory, "districts.csv")
        }
        wards = {
            r["code"]: Ward(
                r["code"],
                r["name"],
                r["full_name"],
                r["district_code"],
                districts[r["district_code"]].province_code,
            )
            for r in _rows(directory, "wards.csv")
        }
        groups = {
            r["code"]: PriorityGroup(int(r["rank"]), r["code"], r["name_vi"], r["name_en"])
            for r in _rows(directory, "priority_groups.csv")
        }
        vaccines = {
            r["mp_code"]: Vaccine(
                name=r["name"],
                mp=r["mp_code"],
                ma=r["ma_code"],
                vp=r["vp_code"],
                doses_in_primary_series=int(r["doses_in_primary_series"]),
                min_interval_days=int(r["min_interval_days"]) if r["min_interval_days"].strip() else None,
                mp_display=r["mp_display"],
                ma_display=r["ma_display"],
            )
            for r in _rows(directory, "vaccines.csv")
        }
    except (KeyError, ValueError) as exc:
        raise ReferenceDataError(
            f"The reference data in {directory} is malformed ({exc}): restore the files."
        ) from exc
    return Reference(directory, provinces, districts, wards, groups, vaccines)


@functools.cache
def _cached(directory: str) -> Reference:
    return load_reference(Path(directory))


def reference(directory: Path | None = None) -> Reference:
    """The reference data (cached per directory)."""
    return _cached(str((directory or reference_dir()).resolve()))
