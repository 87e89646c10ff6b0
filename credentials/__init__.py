"""Signed EU DCC vaccination certificates: payload, CWT, COSE_Sign1, HC1, QR pictures and the printable PDF."""

from credentials.cose import ES256, PS256, DocumentSigner
from credentials.errors import (
    CredentialError,
    InvalidRecordError,
    RenderingError,
    SchemaViolationError,
    SelfCheckError,
    SigningError,
)
from credentials.issuer import DEFAULT_VALIDITY, IssuedCertificate, issue, reread
from credentials.record import DoseRecord, VaccinationRecord
from credentials.series import Status
from credentials.transliteration import transliterate
from credentials.uvci import check_character, has_valid_check

__all__ = [
    "DEFAULT_VALIDITY",
    "ES256",
    "PS256",
    "CredentialError",
    "DocumentSigner",
    "DoseRecord",
    "InvalidRecordError",
    "IssuedCertificate",
    "RenderingError",
    "SchemaViolationError",
    "SelfCheckError",
    "SigningError",
    "Status",
    "VaccinationRecord",
    "check_character",
    "has_valid_check",
    "issue",
    "reread",
    "transliterate",
]
