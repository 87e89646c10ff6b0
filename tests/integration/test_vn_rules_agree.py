"""Viet Nam's green/yellow CertLogic rule sets (shipped with the verifier) agree with the platform's own status.

The platform's status is ledger.status (the one vaccination-status function: green, yellow, none),
and credentials.series.latest_dose, which the issuer stamps on every certificate. Every vaccine of
the campaign is tried from its first dose to two boosters, and mixed series; the certificate the
issuer builds must get from the rules the card the platform gives the person, and the card its own
dn/sd say (ledger.status.status_of_numbers, what an offline verifier sees).
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest

from credentials.payload import build_payload
from credentials.record import DoseRecord, VaccinationRecord
from credentials.valuesets import VaccineProduct, products
from ledger.reference import reference
from ledger.status import status_of_numbers, vaccination_status
from verifier.acceptance import assess_levels

TODAY = dt.date(2022, 3, 1)
NOW = dt.datetime(2022, 3, 1, 12, 0, tzinfo=dt.UTC)


def _dose(product: VaccineProduct, day: dt.date) -> DoseRecord:
    return DoseRecord(mp=product.mp, ma=product.ma, vp=sorted(product.vp_codes)[0], date=day)


def _histories() -> list[object]:
    found = []
    catalogue = sorted(products().values(), key=lambda item: item.mp)
    for product in catalogue:
        for count in range(1, product.primary_doses + 3):
            days = [TODAY - dt.timedelta(days=60 * (count - index)) for index in range(count)]
            doses = tuple(_dose(product, day) for day in days)
            found.append(pytest.param(doses, id=f"{product.mp} x{count}"))
    for first, second in pairwise(catalogue):
        mixed = (_dose(first, TODAY - dt.timedelta(days=90)), _dose(second, TODAY - dt.timedelta(days=30)))
        found.append(pytest.param(mixed, id=f"{first.mp} then {second.mp}"))
    return found


@pytest.mark.parametrize("doses", _histories())
def test_the_rules_give_the_card_the_platform_gives(doses: tuple[DoseRecord, ...]) -> None:
    record = VaccinationRecord(
        family_name="Nguyễn", given_names="Thị Ánh", date_of_birth="1980-05-17", doses=doses
    )
    dcc, latest = build_payload(record, "URN:UVCI:01:VN:AGREE0001#A", TODAY)
    card = assess_levels(dcc, "v", NOW).level or "none"
    platform = vaccination_status([dose.mp for dose in doses], reference().vaccines)
    entry = dcc["v"][0]
    assert card == platform.colour.value == latest.status.value
    assert card == status_of_numbers(entry["dn"], entry["sd"]).colour.value
    assert (entry["dn"], entry["sd"]) == (platform.dose_number, platform.series_doses)


def test_the_two_catalogues_are_the_same_vaccines() -> None:
    assert set(reference().vaccines) == set(products())
