"""Typed verification failures: one base error, one subclass per stage, each with a stable reason."""

from __future__ import annotations

from typing import ClassVar


class VerificationError(Exception):
    """A certificate, trust list or rule file was rejected; `.reason` names the stage, str() says why."""

    reason = "invalid"
    #: stable code (the key of the message in Vietnamese and English) and error kind of every project error
    code: ClassVar[str] = "certificate_invalid"
    kind: ClassVar[str] = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PrefixError(VerificationError):
    """The text is not an HC1 health certificate."""

    reason = "prefix"
    code = "certificate_prefix"


class Base45Error(VerificationError):
    """The text after HC1: is not valid base45."""

    reason = "base45"
    code = "certificate_base45"


class CompressionError(VerificationError):
    """The zlib stream is broken or inflates beyond the size limit."""

    reason = "compression"
    code = "certificate_compression"


class CborError(VerificationError):
    """A CBOR structure could not be decoded or has the wrong shape."""

    reason = "cbor"
    code = "certificate_cbor"


class CoseError(VerificationError):
    """The COSE_Sign1 envelope is malformed or uses an unsupported algorithm."""

    reason = "cose"
    code = "certificate_cose"


class UnknownKidError(VerificationError):
    """No trusted signing certificate has the key identifier of this certificate."""

    reason = "unknown_kid"
    code = "certificate_unknown_kid"


class SignatureError(VerificationError):
    """The signature does not verify with any trusted key of that kid."""

    reason = "signature"
    code = "certificate_signature"


class NotYetValidError(VerificationError):
    """The certificate's issued-at time lies after the check time."""

    reason = "not_yet_valid"
    code = "certificate_not_yet_valid"


class ExpiredError(VerificationError):
    """The certificate's expiry time lies before the check time."""

    reason = "expired"
    code = "certificate_expired"


class SignerValidityError(VerificationError):
    """The document signing certificate is not valid at the check time, or was not when it signed."""

    reason = "signer_validity"
    code = "certificate_signer_validity"


class SignerExpiredError(SignerValidityError):
    """The document signing certificate has expired at the check time."""

    reason = "signer_expired"
    code = "certificate_signer_expired"


class SignerNotYetValidError(SignerValidityError):
    """The document signing certificate is not valid yet at the check time."""

    reason = "signer_not_yet_valid"
    code = "certificate_signer_not_yet_valid"


class KeyUsageError(VerificationError):
    """The signing certificate may not sign this kind of certificate."""

    reason = "key_usage"
    code = "certificate_key_usage"


class SchemaError(VerificationError):
    """The health certificate payload does not follow the DCC schema of its version."""

    reason = "schema"
    code = "certificate_schema"


class RevokedError(VerificationError):
    """The certificate identifier is on the revocation list."""

    reason = "revoked"
    code = "certificate_revoked"


class TrustListError(VerificationError):
    """The trust list or revocation list is unsigned, corrupt, or too old to rely on."""

    reason = "trust_list"
    code = "certificate_trust_list"
    kind = "unavailable"


class RulesError(VerificationError):
    """An acceptance rule file is malformed."""

    reason = "rules"
    code = "certificate_rules"


ALL_REASONS = (
    "prefix",
    "base45",
    "compression",
    "cbor",
    "cose",
    "unknown_kid",
    "signature",
    "not_yet_valid",
    "expired",
    "signer_validity",
    "signer_expired",
    "signer_not_yet_valid",
    "key_usage",
    "schema",
    "revoked",
    "trust_list",
)
