"""Every error of credentials/ derives from CredentialError; messages say what to do."""

from __future__ import annotations

from typing import ClassVar


class CredentialError(Exception):
    """Base of every certificate-issuing error. `str(error)` is one sentence a person can act on."""

    code: ClassVar[str] = "credential_error"
    kind: ClassVar[str] = "invalid"


class InvalidRecordError(CredentialError):
    """The vaccination record cannot become a certificate (no dose, bad name, unknown code, bad date)."""

    code = "record_not_certifiable"


class SchemaViolationError(CredentialError):
    """The DCC payload fails the official schema or value sets: it is never handed out."""

    code = "certificate_schema_violation"
    kind = "unavailable"


class SigningError(CredentialError):
    """The document signer failed or returned something that is not a signature."""

    code = "signing_failed"
    kind = "unavailable"


class SelfCheckError(CredentialError):
    """The verifier rejected a certificate we just issued: it is never handed out."""

    code = "certificate_self_check_failed"
    kind = "unavailable"


class RenderingError(CredentialError):
    """The QR code or the PDF could not be drawn (too long, font missing, file not writable)."""

    code = "certificate_rendering_failed"
    kind = "unavailable"
