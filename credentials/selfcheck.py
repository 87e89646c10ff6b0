"""Issuance reads its own output back with the standalone verifier before handing it out."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from credentials.errors import SelfCheckError
from verifier import TrustList, VerificationError, VerificationResult, verify


@lru_cache(maxsize=8)
def _trusting_only(certificate_der: bytes) -> TrustList:
    """A trust list holding only our own signing certificate (parsed once per certificate)."""
    try:
        return TrustList.from_certificates([certificate_der])
    except VerificationError as exc:
        raise SelfCheckError(f"The verifier cannot use our signing certificate ({exc}).") from exc


def check_with_verifier(hc1: str, certificate_der: bytes, now: dt.datetime, dcc: dict[str, Any]) -> None:
    """Verify `hc1` with the verifier, trusting only our signing certificate; it must give back `dcc`."""
    try:
        result = verify(hc1, _trusting_only(certificate_der), now=now)
    except VerificationError as exc:
        raise SelfCheckError(
            f"The verifier rejected the certificate just issued ({exc}); nothing was handed out."
        ) from exc
    if result.dcc != dcc:
        raise SelfCheckError(
            "The verifier read back a different DCC than the one issued; nothing was handed out."
        )


def read_back(hc1: str, certificate_der: bytes, now: dt.datetime) -> VerificationResult:
    """An HC1 issued earlier, verified again trusting only our signing certificate."""
    try:
        return verify(hc1, _trusting_only(certificate_der), now=now)
    except VerificationError as exc:
        raise SelfCheckError(f"A stored certificate no longer verifies ({exc}); issue a new one.") from exc
