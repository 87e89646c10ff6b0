"""Trusted document signing keys: from certificates, or from the signed trust list file of keys/."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from verifier import cose
from verifier.errors import SignatureError, TrustListError, VerificationError
from verifier.keyusage import allowed_types

TRUST_LIST_TYPE = "immunize-trust-list"
REVOCATION_LIST_TYPE = "immunize-revocation-list"
FORMAT_VERSION = 1
DEFAULT_GRACE = timedelta(days=7)
MAX_LIST_BYTES = 16 * 1024 * 1024
UCI_HASH_BYTES = 16


def key_id(certificate_der: bytes) -> bytes:
    """The DCC kid: the first 8 bytes of the SHA-256 of the signing certificate's DER."""
    return hashlib.sha256(certificate_der).digest()[:8]


def uci_hash(certificate_id: str) -> bytes:
    """The revocation hash of a UCI: first 16 bytes of SHA-256 of its UTF-8 text (EU 'UCI' hash type)."""
    return hashlib.sha256(certificate_id.encode("utf-8")).digest()[:UCI_HASH_BYTES]


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One document signing certificate: its kid, parsed public key and the types it may sign."""

    kid: bytes
    der: bytes
    public_key: cose.PublicKey
    types: frozenset[str]
    ec_size: int = 0  # bytes per ECDSA coordinate; 0 for RSA


def trusted_key(der: bytes, kid: bytes | None = None) -> TrustedKey:
    """Parse a DSC once (the public key is kept so verify never parses it again)."""
    try:
        certificate = x509.load_der_x509_certificate(der)
        public_key = certificate.public_key()
    except Exception as error:  # cryptography raises ValueError and others for broken DER
        raise TrustListError(f"A signing certificate could not be read ({error}).") from None
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise TrustListError("A signing certificate has a key type the DCC does not use (only EC and RSA).")
    kid = kid if kid is not None else key_id(der)
    return TrustedKey(kid, der, public_key, allowed_types(der), cose.ec_coordinate_size(public_key))


@dataclass(frozen=True, slots=True)
class SignedListInfo:
    """What a signed list says about itself, kept to judge its freshness at check time."""

    kind: str
    issuer: str
    sequence: int
    issued_at: datetime
    next_update: datetime
    signer_not_before: datetime
    signer_not_after: datetime


@dataclass
class TrustList:
    """The keys a verifier trusts, looked up by kid, plus freshness and revocation data if signed."""

    keys: dict[bytes, list[TrustedKey]] = field(default_factory=dict)
    lists: tuple[SignedListInfo, ...] = ()
    revoked: frozenset[bytes] = frozenset()
    grace: timedelta = DEFAULT_GRACE

    @classmethod
    def from_certificates(cls, certificates: Iterable[bytes]) -> TrustList:
        """Trust these DER X.509 signing certificates as they are (no list signature, no freshness)."""
        trust = cls()
        for der in certificates:
            if not isinstance(der, bytes):
                raise TrustListError("Signing certificates must be given as DER bytes.")
            trust.add(trusted_key(der))
        return trust

    @classmethod
    def load(
        cls,
        path: str | Path,
        anchor: bytes | str | x509.Certificate,
        revocation_list: str | Path | None = None,
        grace: timedelta = DEFAULT_GRACE,
    ) -> TrustList:
        """Read the signed trust list (and revocation list) of keys/, checking signatures against the anchor."""
        anchor_certificate = load_anchor(anchor)
        info, payload = _read_signed_list(Path(path), anchor_certificate, TRUST_LIST_TYPE)
        trust = cls(grace=grace)
        entries = payload.get("certificates")
        if not isinstance(entries, list):
            raise TrustListError("The trust list has no list of certificates.")
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("der"), bytes):
                raise TrustListError("The trust list has a certificate entry without DER bytes.")
            der = entry["der"]
            if entry.get("kid") != key_id(der):
                raise TrustListError("The trust list has a certificate whose kid does not match its DER.")
            trust.add(trusted_key(der))
        lists = [info]
        if revocation_list is not None:
            revocation_info, revocation = _read_signed_list(
                Path(revocation_list), anchor_certificate, REVOCATION_LIST_TYPE
            )
            if revocation.get("hash_type") != "UCI":
                raise TrustListError("The revocation list uses a hash type other than UCI.")
            hashes = revocation.get("hashes")
            if not isinstance(hashes, list) or not all(
                isinstance(item, bytes) and len(item) == UCI_HASH_BYTES for item in hashes
            ):
                raise TrustListError("The revocation list hashes are not 16-byte strings.")
            trust.revoked = frozenset(hashes)
            lists.append(revocation_info)
        trust.lists = tuple(lists)
        return trust

    def add(self, key: TrustedKey) -> None:
        """Trust one more key (several certificates may share a kid: every one is tried)."""
        same = self.keys.setdefault(key.kid, [])
        if all(existing.der != key.der for existing in same):
            same.append(key)

    def candidates(self, kid: bytes) -> list[TrustedKey]:
        """Every trusted key with this kid (empty if none)."""
        return self.keys.get(kid, [])

    def check_fresh(self, now: datetime) -> list[str]:
        """Warnings for lists past their next update; TrustListError past the grace or outside the signer's validity."""
        warnings: list[str] = []
        for info in self.lists:
            name = "trust list" if info.kind == TRUST_LIST_TYPE else "revocation list"
            if not info.signer_not_before <= now <= info.signer_not_after:
                raise TrustListError(f"The {name}'s signing certificate is not valid at {now.isoformat()}.")
            if now > info.next_update + self.grace:
                raise TrustListError(
                    f"The {name} is out of date (next update was due {info.next_update.isoformat()}); "
                    "load a newer one before checking certificates."
                )
            if now > info.next_update:
                warnings.append(
                    f"The {name} was due for an update on {info.next_update.isoformat()}; load a newer one soon."
                )
        return warnings

    def is_revoked(self, certificate_id: str) -> bool:
        """Whether this UCI is on the loaded revocation list."""
        return bool(self.revoked) and uci_hash(certificate_id) in self.revoked


def load_anchor(anchor: bytes | str | x509.Certificate) -> x509.Certificate:
    """The pinned CSCA certificate from DER bytes, PEM bytes/text, or an already parsed certificate."""
    if isinstance(anchor, x509.Certificate):
        return anchor
    try:
        if isinstance(anchor, str):
            return x509.load_pem_x509_certificate(anchor.encode("ascii"))
        if anchor.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(anchor)
        return x509.load_der_x509_certificate(anchor)
    except Exception as error:
        raise TrustListError(f"The trust anchor is not an X.509 certificate ({error}).") from None


def _epoch(value: Any, what: str) -> datetime:
    """An integer epoch-seconds field as an aware datetime."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TrustListError(f"The list's {what} is not an integer time.")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise TrustListError(f"The list's {what} is out of range.") from None


def _read_signed_list(
    path: Path, anchor: x509.Certificate, expected_type: str
) -> tuple[SignedListInfo, Mapping[str, Any]]:
    """Read, authenticate and decode one signed list file; any defect is a TrustListError."""
    name = "trust list" if expected_type == TRUST_LIST_TYPE else "revocation list"
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_LIST_BYTES + 1)
    except OSError as error:
        raise TrustListError(f"The {name} file could not be read ({error.strerror}).") from None
    if len(data) > MAX_LIST_BYTES:
        raise TrustListError(f"The {name} file is larger than {MAX_LIST_BYTES} bytes.")
    try:
        message = cose.parse_sign1(data, name)
        signer = _signer(message, anchor, name)
        cose.verify_signature(message, signer.public_key(), name)  # type: ignore[arg-type]
        payload = cose.thaw(cose.loads(message.payload, name))
    except TrustListError:
        raise
    except SignatureError as error:
        raise TrustListError(f"The {name} is not signed by the trusted anchor: {error}") from None
    except VerificationError as error:
        raise TrustListError(f"The {name} file is corrupt: {error}") from None
    if not isinstance(payload, dict):
        raise TrustListError(f"The {name} content is not a map.")
    if payload.get("type") != expected_type or payload.get("version") != FORMAT_VERSION:
        raise TrustListError(f"The file is not an {expected_type} of version {FORMAT_VERSION}.")
    issuer = payload.get("issuer")
    sequence = payload.get("sequence")
    if not isinstance(issuer, str) or not isinstance(sequence, int) or isinstance(sequence, bool):
        raise TrustListError(f"The {name} has no valid issuer or sequence number.")
    info = SignedListInfo(
        kind=expected_type,
        issuer=issuer,
        sequence=sequence,
        issued_at=_epoch(payload.get("issued_at"), "issued_at"),
        next_update=_epoch(payload.get("next_update"), "next_update"),
        signer_not_before=signer.not_valid_before_utc,
        signer_not_after=signer.not_valid_after_utc,
    )
    return info, payload


def _signer(message: cose.Sign1, anchor: x509.Certificate, name: str) -> x509.Certificate:
    """The certificate that signed the list: the anchor itself, or an x5chain certificate it issued."""
    chain = message.headers.get(cose.HEADER_X5CHAIN)
    if isinstance(chain, list):  # RFC 9360: a single certificate or an array, leaf first
        chain = chain[0] if chain else None
    if chain is None:
        signer = anchor
    else:
        if not isinstance(chain, bytes):
            raise TrustListError(f"The {name}'s signer certificate (x5chain) is not DER bytes.")
        try:
            signer = x509.load_der_x509_certificate(chain)
            signer.verify_directly_issued_by(anchor)
        except Exception:
            raise TrustListError(
                f"The {name}'s signer certificate was not issued by the trusted anchor."
            ) from None
    if message.kid != key_id(signer.public_bytes(Encoding.DER)):
        raise TrustListError(f"The {name}'s kid does not match its signer certificate.")
    return signer
