"""Every error of credentials/ derives from CredentialError; messages say what to do."""

from __future__ import annotations


class CredentialError(Exception):
    """Base of every certificate-issuing error. `str(error)` is one sentence a person can act on."""


class InvalidRecordError(CredentialError):
    """The vaccination record cannot become a certificate (no dose, bad name, unknown code, bad date)."""


class SchemaViolationError(CredentialError):
    """The DCC payload fails the official schema or value sets: it is never handed out."""


class SigningError(CredentialError):
    """The document signer failed or returned something that is not a signature."""


class SelfCheckError(CredentialError):
    """The verifier rejected a certificate we just issued: it is never handed out."""


class RenderingError(CredentialError):
    """The QR code or the PDF could not be drawn (too long, font missing, file not writable)."""
