"""Dose number and series total follow the product and EU booster practice; green once the primary series is done."""

from __future__ import annotations

import pytest

from credentials import InvalidRecordError, Status
from credentials.series import latest_dose
from tests.unit.credentials.conftest import ABDALA, ASTRAZENECA, JANSSEN, MODERNA, PFIZER, SINOPHARM, dose

DAYS = ["2021-07-01", "2021-08-01", "2021-09-01", "2021-12-01", "2022-01-10"]


def numbered(*products: tuple[str, str, str]) -> tuple[int, int, Status]:
    """(dn, sd, status) of the last dose after doses of `products`, a month apart."""
    latest = latest_dose(tuple(dose(p, DAYS[i]) for i, p in enumerate(products)))
    return latest.dose_number, latest.series_doses, latest.status


@pytest.mark.parametrize(
    ("products", "expected"),
    [
        ((ASTRAZENECA,), (1, 2, Status.YELLOW)),
        ((ASTRAZENECA, ASTRAZENECA), (2, 2, Status.GREEN)),
        ((SINOPHARM, SINOPHARM), (2, 2, Status.GREEN)),
        ((ABDALA,), (1, 3, Status.YELLOW)),
        ((ABDALA, ABDALA), (2, 3, Status.YELLOW)),
        ((ABDALA, ABDALA, ABDALA), (3, 3, Status.GREEN)),
        ((JANSSEN,), (1, 1, Status.GREEN)),
    ],
)
def test_primary_series_doses_count_against_the_products_series(products: tuple, expected: tuple) -> None:
    assert numbered(*products) == expected


def test_a_heterologous_second_dose_completes_the_primary_series() -> None:
    assert numbered(ASTRAZENECA, PFIZER) == (2, 2, Status.GREEN)


def test_boosters_after_a_two_dose_series_are_n_of_n() -> None:
    assert numbered(ASTRAZENECA, ASTRAZENECA, PFIZER) == (3, 3, Status.GREEN)
    assert numbered(ASTRAZENECA, ASTRAZENECA, PFIZER, MODERNA) == (4, 4, Status.GREEN)


def test_boosters_after_a_three_dose_series_are_n_of_n() -> None:
    assert numbered(ABDALA, ABDALA, ABDALA, PFIZER) == (4, 4, Status.GREEN)


def test_boosters_after_janssen_keep_a_series_of_one() -> None:
    assert numbered(JANSSEN, PFIZER) == (2, 1, Status.GREEN)
    assert numbered(JANSSEN, PFIZER, MODERNA) == (3, 1, Status.GREEN)


def test_the_certificate_is_about_the_latest_dose() -> None:
    latest = latest_dose((dose(ASTRAZENECA, DAYS[0]), dose(PFIZER, DAYS[1])))
    assert latest.dose.mp == PFIZER[0]
    assert latest.product.name == "Comirnaty"


def test_no_dose_is_refused() -> None:
    with pytest.raises(InvalidRecordError, match="no recorded dose"):
        latest_dose(())


def test_doses_out_of_order_are_refused() -> None:
    with pytest.raises(InvalidRecordError, match="oldest first"):
        latest_dose((dose(PFIZER, DAYS[2]), dose(PFIZER, DAYS[0])))


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (("EU/1/99/0000", "ORG-100030215", "1119349007"), "Unknown vaccine code"),
        (("CoronaVac", "Sinovac-Biotech", "1157024006"), "not used in Viet Nam"),
        (("EU/1/20/1528", "ORG-100001699", "1119349007"), "manufacturer code"),
        (("EU/1/20/1528", "ORG-100030215", "29061000087103"), "vaccine type code"),
        (("EU/1/20/1528", "ORG-100030215", "123"), "vaccine type code"),
    ],
)
def test_unknown_or_mismatched_codes_are_refused(codes: tuple[str, str, str], message: str) -> None:
    with pytest.raises(InvalidRecordError, match=message):
        latest_dose((dose(codes, DAYS[0]),))
