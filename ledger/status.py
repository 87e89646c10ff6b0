"""The one vaccination status of Viet Nam: green (primary series complete), yellow (partly), none.

Used by the web's health book and desk, the projections, and the tests of the verifier's Viet Nam
CertLogic rules (a certificate's dn/sd give the same colour as the doses behind it). Numbering follows
credentials.series (the eHealth Network's dose numbering): the primary series is the first dose's product.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ledger.reference import Vaccine


class Colour(StrEnum):
    """The colour Viet Nam showed with a vaccination record."""

    GREEN = "green"
    YELLOW = "yellow"
    NONE = "none"


class Reason(StrEnum):
    """Why a person has that colour (a catalog key `status.<reason>` says it in Vietnamese and English)."""

    NO_DOSE = "no_dose"
    PRIMARY_INCOMPLETE = "primary_incomplete"
    PRIMARY_COMPLETE = "primary_complete"
    BOOSTER = "booster"
    UNKNOWN_VACCINE = "unknown_vaccine"


@dataclass(frozen=True)
class VaccinationStatus:
    """The colour, the reason, and the DCC numbering of the latest dose (dn/sd; 0/0 with no dose)."""

    colour: Colour
    reason: Reason
    doses_given: int
    dose_number: int
    series_doses: int

    def __str__(self) -> str:
        return self.colour.value


def status_of_numbers(dose_number: int, series_doses: int) -> VaccinationStatus:
    """The status a certificate's dn/sd say (what an offline verifier sees)."""
    if dose_number <= 0:
        return VaccinationStatus(Colour.NONE, Reason.NO_DOSE, 0, 0, 0)
    if dose_number < series_doses:
        return VaccinationStatus(
            Colour.YELLOW, Reason.PRIMARY_INCOMPLETE, dose_number, dose_number, series_doses
        )
    # 3/3 may be a booster after two doses or a three-dose primary series: both are green.
    reason = Reason.BOOSTER if dose_number > series_doses else Reason.PRIMARY_COMPLETE
    return VaccinationStatus(Colour.GREEN, reason, dose_number, dose_number, series_doses)


def vaccination_status(products: Sequence[str], vaccines: Mapping[str, Vaccine]) -> VaccinationStatus:
    """The status of a person whose active doses, oldest first, were of these products (mp codes)."""
    given = len(products)
    if given == 0:
        return VaccinationStatus(Colour.NONE, Reason.NO_DOSE, 0, 0, 0)
    first = vaccines.get(products[0])
    if first is None or any(p not in vaccines for p in products):
        return VaccinationStatus(Colour.YELLOW, Reason.UNKNOWN_VACCINE, given, given, 0)
    primary = first.doses_in_primary_series
    if given < primary:
        return VaccinationStatus(Colour.YELLOW, Reason.PRIMARY_INCOMPLETE, given, given, primary)
    if given == primary:
        return VaccinationStatus(Colour.GREEN, Reason.PRIMARY_COMPLETE, given, given, primary)
    # Boosters (eHealth Network numbering): (n+1)/(n+1) after n >= 2 doses, 2/1, 3/1 after one dose.
    return VaccinationStatus(Colour.GREEN, Reason.BOOSTER, given, given, 1 if primary == 1 else given)
