"""Dose number, series total and the Vietnamese green/yellow status of a person's latest dose."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum

from credentials.errors import InvalidRecordError
from credentials.record import DoseRecord
from credentials.valuesets import VaccineProduct, product, products


class Status(StrEnum):
    """The status Viet Nam showed with a certificate."""

    GREEN = "green"  # primary series complete (boosters included)
    YELLOW = "yellow"  # partly vaccinated

    @property
    def label_vi(self) -> str:
        """The Vietnamese label shown to citizens and staff."""
        return "Xanh: đã tiêm đủ liều cơ bản" if self is Status.GREEN else "Vàng: đã tiêm chưa đủ liều cơ bản"

    @property
    def label_en(self) -> str:
        """The English label shown next to the Vietnamese one."""
        return "Green: primary series complete" if self is Status.GREEN else "Yellow: partly vaccinated"


@dataclass(frozen=True)
class LatestDose:
    """The dose a certificate is about, numbered the way the DCC wants (`dn`/`sd`)."""

    dose: DoseRecord
    product: VaccineProduct
    dose_number: int  # dn
    series_doses: int  # sd
    status: Status


def latest_dose(doses: tuple[DoseRecord, ...]) -> LatestDose:
    """Number the latest of a person's valid doses (oldest first) as in EU practice.

    The primary series is the one of the first dose's product (a heterologous second dose completes
    it). Within it a dose is k/n. Booster doses follow the eHealth Network's dose-numbering guidance:
    after a primary series of n >= 2 doses a booster is (n+1)/(n+1), the next (n+2)/(n+2); after a
    single-dose primary series (Jcovden) the boosters are 2/1, 3/1, so a verifier never mistakes
    them for an incomplete series.
    """
    if not doses:
        raise InvalidRecordError("This person has no recorded dose, so there is nothing to certify.")
    checked = [product(d.mp, d.ma, d.vp) for d in doses]
    dates = [d.date for d in doses]
    if dates != sorted(dates):
        raise InvalidRecordError("The doses are not in the order they were given; pass them oldest first.")
    primary = checked[0].primary_doses
    given = len(doses)
    if given < primary:
        dn, sd, status = given, primary, Status.YELLOW
    elif given == primary:
        dn, sd, status = given, primary, Status.GREEN
    else:
        dn, sd, status = given, (1 if primary == 1 else given), Status.GREEN
    return LatestDose(dose=doses[-1], product=checked[-1], dose_number=dn, series_doses=sd, status=status)


NUMBERING_VERSION = "ehn-dose-numbering-1"  # bump when `latest_dose`'s logic changes


def rules_fingerprint() -> str:
    """A short fingerprint of the rules that number doses and colour a certificate (this module's logic and
    each product's primary series): stored with every certificate, so a rule change that alters only the
    status is found by `immunize certificate reissue --all` (a different fingerprint means: check again)."""
    table = sorted((mp, known.primary_doses) for mp, known in products().items())
    text = json.dumps([NUMBERING_VERSION, table], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
