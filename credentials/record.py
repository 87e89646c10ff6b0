"""What credentials needs to know about a person: the plain input the ledger side builds from its history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class DoseRecord:
    """One dose as given: EU DCC value-set codes of the product, the day and the country."""

    mp: str  # vaccine medicinal product, e.g. "EU/1/21/1529"
    ma: str  # marketing authorisation holder or manufacturer, e.g. "ORG-100001699"
    vp: str  # vaccine or prophylaxis (SNOMED CT), e.g. "29061000087103"
    date: dt.date
    country: str = "VN"  # ISO 3166-1 alpha-2 country of vaccination


@dataclass(frozen=True)
class VaccinationRecord:
    """A person's name as written, date of birth as recorded and every valid dose, oldest first."""

    family_name: str  # as written in Vietnamese, e.g. "Nguyễn"
    given_names: str  # middle and given names, e.g. "Thị Ánh"
    date_of_birth: str  # as recorded: "1980-05-17", "1980-05" or "1980"
    doses: tuple[DoseRecord, ...]
