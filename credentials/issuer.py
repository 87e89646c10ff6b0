"""Issuing a signed EU DCC vaccination certificate (HC1) from a VaccinationRecord: build, check, sign, encode, re-verify."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from credentials.cose import DocumentSigner, cwt_claims, sign1
from credentials.errors import CredentialError
from credentials.hc1 import encode_hc1
from credentials.payload import build_payload
from credentials.record import VaccinationRecord
from credentials.schema import validate_dcc
from credentials.selfcheck import check_with_verifier, read_back
from credentials.series import Status
from credentials.uvci import RandomBytes, new_uvci

ISSUER_COUNTRY = "VN"
DEFAULT_VALIDITY = dt.timedelta(days=365)
# Dose dates are local dates in Viet Nam (UTC+7, no daylight saving): "today" is judged there, so a dose
# given just after midnight local time can be certified at once.
VIETNAM_TIME = dt.timezone(dt.timedelta(hours=7), "ICT")


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate ready to hand out: the HC1 string and what the ledger and the pictures need to know."""

    hc1: str
    uvci: str
    dcc: dict[str, Any]
    status: Status
    dose_number: int
    series_doses: int
    kid: bytes
    issued_at: dt.datetime
    expires_at: dt.datetime


def issue(
    record: VaccinationRecord,
    signer: DocumentSigner,
    *,
    now: dt.datetime,
    random_bytes: RandomBytes = os.urandom,
    validity: dt.timedelta = DEFAULT_VALIDITY,
    self_check: bool = True,
) -> IssuedCertificate:
    """Issue the certificate of `record`'s latest dose, valid from `now` for `validity`.

    The DCC is checked against the official schema and value sets before signing, and the finished
    HC1 is read back by the verifier (unless `self_check` is False, for benchmarks of the encoding
    alone): a certificate that fails either check is never returned.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise CredentialError("The issuing time must carry a time zone (use datetime.now(UTC)).")
    if validity <= dt.timedelta(0):
        raise CredentialError("The certificate validity must be positive, e.g. 365 days.")
    issued_at = now.replace(microsecond=0)
    expires_at = issued_at + validity
    today = now.astimezone(VIETNAM_TIME).date()
    uvci = new_uvci(random_bytes)
    dcc, latest = build_payload(record, uvci, today)
    validate_dcc(dcc)
    cose_message = sign1(cwt_claims(dcc, ISSUER_COUNTRY, issued_at, expires_at), signer)
    hc1 = encode_hc1(cose_message)
    if self_check:
        check_with_verifier(hc1, signer.certificate_der, issued_at, dcc)
    return IssuedCertificate(
        hc1=hc1,
        uvci=uvci,
        dcc=dcc,
        status=latest.status,
        dose_number=latest.dose_number,
        series_doses=latest.series_doses,
        kid=signer.kid,
        issued_at=issued_at,
        expires_at=expires_at,
    )


def reread(hc1: str, signer: DocumentSigner, now: dt.datetime) -> IssuedCertificate:
    """A certificate issued earlier with `signer`, verified again at `now` and described as when it was issued."""
    return reread_with(hc1, signer.certificate_der, now)


def reread_with(hc1: str, certificate_der: bytes, now: dt.datetime) -> IssuedCertificate:
    """The same as `reread`, with only the signer's certificate (DER) at hand: the verifier trusts that DSC
    alone (the check that what is printed is what was signed)."""
    result = read_back(hc1, certificate_der, now)
    entry = result.dcc["v"][0]
    dose_number, series_doses = int(entry["dn"]), int(entry["sd"])
    return IssuedCertificate(
        hc1=hc1,
        uvci=str(entry["ci"]),
        dcc=result.dcc,
        status=Status.GREEN if dose_number >= series_doses else Status.YELLOW,
        dose_number=dose_number,
        series_doses=series_doses,
        kid=result.kid,
        issued_at=result.issued_at,
        expires_at=result.expires_at,
    )
