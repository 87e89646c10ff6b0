"""Standalone offline verifier of EU DCC-format health certificates (HC1 QR codes)."""

from verifier.errors import VerificationError
from verifier.pipeline import VerificationResult, verify
from verifier.trustlist import TrustList

__all__ = ["TrustList", "VerificationError", "VerificationResult", "verify"]
