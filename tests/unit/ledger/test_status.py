"""The one vaccination status (green / yellow / none, with the reason), from doses or from a certificate's dn/sd."""

from __future__ import annotations

import pytest

from ledger.reference import reference
from ledger.status import Colour, Reason, status_of_numbers, vaccination_status

AZ, PFIZER, JANSSEN = "EU/1/21/1529", "EU/1/20/1528", "EU/1/20/1525"
VACCINES = reference().vaccines


@pytest.mark.parametrize(
    ("doses", "colour", "reason", "dn", "sd"),
    [
        ((), Colour.NONE, Reason.NO_DOSE, 0, 0),
        ((AZ,), Colour.YELLOW, Reason.PRIMARY_INCOMPLETE, 1, 2),
        ((AZ, AZ), Colour.GREEN, Reason.PRIMARY_COMPLETE, 2, 2),
        ((AZ, PFIZER), Colour.GREEN, Reason.PRIMARY_COMPLETE, 2, 2),  # a mixed second dose completes it
        ((AZ, AZ, PFIZER), Colour.GREEN, Reason.BOOSTER, 3, 3),
        ((JANSSEN,), Colour.GREEN, Reason.PRIMARY_COMPLETE, 1, 1),
        ((JANSSEN, PFIZER), Colour.GREEN, Reason.BOOSTER, 2, 1),
        (("NOT-A-VACCINE",), Colour.YELLOW, Reason.UNKNOWN_VACCINE, 1, 0),
    ],
)
def test_status_of_doses(doses: tuple[str, ...], colour: Colour, reason: Reason, dn: int, sd: int) -> None:
    status = vaccination_status(doses, VACCINES)
    assert (status.colour, status.reason, status.dose_number, status.series_doses) == (colour, reason, dn, sd)


@pytest.mark.parametrize(
    "doses", [(AZ,), (AZ, AZ), (AZ, AZ, PFIZER), (JANSSEN,), (JANSSEN, PFIZER), (PFIZER, PFIZER, PFIZER, AZ)]
)
def test_a_certificate_s_numbers_give_the_colour_of_the_doses_behind_it(doses: tuple[str, ...]) -> None:
    behind = vaccination_status(doses, VACCINES)
    assert status_of_numbers(behind.dose_number, behind.series_doses).colour == behind.colour


def test_no_dose_number_is_no_status() -> None:
    assert status_of_numbers(0, 0).colour is Colour.NONE


@pytest.mark.parametrize(
    "doses", [(AZ,), (AZ, AZ), (AZ, PFIZER), (AZ, AZ, PFIZER), (JANSSEN,), (JANSSEN, PFIZER), (PFIZER,) * 4]
)
def test_the_status_numbers_doses_as_the_certificate_issuer_does(doses: tuple[str, ...]) -> None:
    """ledger.status and credentials.series (what goes into dn/sd) never disagree."""
    from datetime import date, timedelta

    from credentials.record import DoseRecord
    from credentials.series import latest_dose

    records = tuple(
        DoseRecord(
            mp=mp, ma=VACCINES[mp].ma, vp=VACCINES[mp].vp, date=date(2021, 8, 2) + timedelta(days=60 * i)
        )
        for i, mp in enumerate(doses)
    )
    issued = latest_dose(records)
    status = vaccination_status(doses, VACCINES)
    assert (status.colour.value, status.dose_number, status.series_doses) == (
        issued.status.value,
        issued.dose_number,
        issued.series_doses,
    )
