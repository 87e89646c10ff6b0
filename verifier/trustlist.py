"""Trusted document signing keys: from certificates, or from the signed trust list file of keys/."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, load_der_public_key
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from verifier import cose
from verifier.errors import SignatureError, TrustListError, VerificationError
from verifier.keyusage import (
    DCC_PURPOSES,
    DerError,
    allowed_types,
    extended_key_usages,
    subject_public_key_info,
    validity,
)

TRUST_LIST_TYPE = "immunize-trust-list"
REVOCATION_LIST_TYPE = "immunize-revocation-list"
FORMAT_VERSION = 1
DEFAULT_GRACE = timedelta(days=7)
MAX_LIST_BYTES = 16 * 1024 * 1024
UCI_HASH_BYTES = 16
# The extended key usage of a dedicated list-signing certificate, issued by the CSCA to sign the trust
# and revocation lists (keys/certificates.py issues it). A UUID-derived OID (ITU-T X.667, arc 2.25)
# needs no registration and cannot collide with the EU's DCC usages.
LIST_SIGNING_EKU = "2.25.112380698561778753552740446666779278916"


def key_id(certificate_der: bytes) -> bytes:
    """The DCC kid: the first 8 bytes of the SHA-256 of the signing certificate's DER."""
    return hashlib.sha256(certificate_der).digest()[:8]


def uci_hash(certificate_id: str) -> bytes:
    """The revocation hash of a UCI: first 16 bytes of SHA-256 of its UTF-8 text (EU 'UCI' hash type)."""
    return hashlib.sha256(certificate_id.encode("utf-8")).digest()[:UCI_HASH_BYTES]


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One document signing certificate: its kid, parsed public key, the types it may sign, its validity."""

    kid: bytes
    der: bytes
    public_key: cose.PublicKey
    types: frozenset[str]
    ec_size: int = 0  # bytes per ECDSA coordinate; 0 for RSA
    not_before: datetime = _EARLIEST
    not_after: datetime = _LATEST


def _parse_certificate(der: bytes, what: str) -> x509.Certificate:
    try:
        with warnings.catch_warnings():
            # Real national certificates carry negative serial numbers, which cryptography only warns about.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            return x509.load_der_x509_certificate(der)
    except Exception as error:  # cryptography raises ValueError and others for broken DER
        raise TrustListError(f"{what} could not be read ({error}).") from None


def _key_and_validity(der: bytes) -> tuple[Any, datetime, datetime]:
    """The public key and validity of a DSC: through cryptography, else read from its DER.

    Some national DSCs have fields cryptography refuses (an X.509 version it does not know, odd
    encodings). Trusting a DSC given directly needs only its key, validity and EKU, which the DER
    reader gets; lists (TrustList.load) still require certificates cryptography parses, to check
    their issuer's signature.
    """
    try:
        certificate = _parse_certificate(der, "A signing certificate")
        return certificate.public_key(), certificate.not_valid_before_utc, certificate.not_valid_after_utc
    except Exception as error:
        try:
            not_before, not_after = validity(der)
            return load_der_public_key(subject_public_key_info(der)), not_before, not_after
        except Exception:
            raise TrustListError(f"A signing certificate could not be read ({error}).") from None


def trusted_key(der: bytes, kid: bytes | None = None) -> TrustedKey:
    """Parse a DSC once (the public key is kept so verify never parses it again)."""
    public_key, not_before, not_after = _key_and_validity(der)
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise TrustListError("A signing certificate has a key type the DCC does not use (only EC and RSA).")
    kid = kid if kid is not None else key_id(der)
    return TrustedKey(
        kid,
        der,
        public_key,
        allowed_types(der),
        cose.ec_coordinate_size(public_key),
        not_before,
        not_after,
    )


@dataclass(frozen=True, slots=True)
class SignedListInfo:
    """What a signed list says about itself, kept to judge its freshness at check time."""

    kind: str
    issuer: str
    sequence: int
    issued_at: datetime
    next_update: datetime
    signed_by: str  # "anchor" or "list signer <kid hex>"

    @property
    def name(self) -> str:
        """How the list is called in messages."""
        return "trust list" if self.kind == TRUST_LIST_TYPE else "revocation list"

    def stale(self, now: datetime, grace: timedelta) -> TrustListError | None:
        """The refusal of a list past its next update plus the grace period at `now`, else None."""
        if now > self.next_update + grace:
            return TrustListError(
                f"The {self.name} (number {self.sequence}) is out of date: its next update was due "
                f"{self.next_update:%Y-%m-%d %H:%M} UTC and the grace period ended "
                f"{self.next_update + grace:%Y-%m-%d %H:%M} UTC; load a newer one."
            )
        return None


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
        now: datetime | None = None,
    ) -> TrustList:
        """Read the signed trust list (and revocation list) of keys/, checking every signature against the anchor.

        Lists count only when signed by the anchor itself or by a list-signing certificate it issued
        (see `_signer`); every DSC in the trust list must be issued by the anchor and be of its country.
        With `now`, a list already past its next update plus the grace period is refused here.
        """
        anchor_certificate = load_anchor(anchor)
        info, payload = _read_signed_list(Path(path), anchor_certificate, TRUST_LIST_TYPE)
        trust = cls(grace=grace)
        entries = payload.get("certificates")
        if not isinstance(entries, list):
            raise TrustListError("The trust list has no list of certificates.")
        country = _country(anchor_certificate.subject)
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("der"), bytes):
                raise TrustListError("The trust list has a certificate entry without DER bytes.")
            der = entry["der"]
            if entry.get("kid") != key_id(der):
                raise TrustListError("The trust list has a certificate whose kid does not match its DER.")
            _check_document_signer(der, anchor_certificate, country)
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
        if now is not None:
            for item in trust.lists:
                refusal = item.stale(now, grace)
                if refusal is not None:
                    raise refusal
        return trust

    @property
    def sequence(self) -> int:
        """The trust list's sequence number (0 for keys given directly)."""
        return next((info.sequence for info in self.lists if info.kind == TRUST_LIST_TYPE), 0)

    def add(self, key: TrustedKey) -> None:
        """Trust one more key (several certificates may share a kid: every one is tried)."""
        same = self.keys.setdefault(key.kid, [])
        if all(existing.der != key.der for existing in same):
            same.append(key)

    def candidates(self, kid: bytes) -> list[TrustedKey]:
        """Every trusted key with this kid (empty if none)."""
        return self.keys.get(kid, [])

    def check_fresh(self, now: datetime) -> list[str]:
        """Warnings for lists past their next update; TrustListError past the grace, naming the date."""
        warnings: list[str] = []
        for info in self.lists:
            refusal = info.stale(now, self.grace)
            if refusal is not None:
                raise refusal
            if now > info.next_update:
                warnings.append(
                    f"The {info.name} was due for an update on {info.next_update:%Y-%m-%d %H:%M} UTC; "
                    "load a newer one soon."
                )
        return warnings

    def is_revoked(self, certificate_id: str) -> bool:
        """Whether this UCI is on the loaded revocation list."""
        return bool(self.revoked) and uci_hash(certificate_id) in self.revoked


def newest_good(
    paths: Iterable[str | Path],
    anchor: bytes | str | x509.Certificate,
    now: datetime,
    revocation_list: str | Path | None = None,
    grace: timedelta = DEFAULT_GRACE,
) -> tuple[TrustList, list[str]]:
    """The newest trust list among `paths` that is authentic and not stale at `now`, and why others were refused.

    A verifier keeps every list it downloaded: when today's download is forged, corrupt or already
    stale, it goes on with the newest good one it has (highest sequence number, then issue time).
    """
    good: list[TrustList] = []
    refused: list[str] = []
    for path in paths:
        try:
            good.append(TrustList.load(path, anchor, revocation_list, grace, now))
        except TrustListError as error:
            refused.append(f"{Path(path).name}: {error}")
    if not good:
        raise TrustListError(
            "No usable trust list: " + " ".join(refused) if refused else "No trust list was given."
        )
    best = max(good, key=lambda trust: (trust.sequence, trust.lists[0].issued_at))
    return best, refused


def _country(name: x509.Name) -> str | None:
    """The countryName of an X.509 name (None if it has none)."""
    try:
        values = name.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    except Exception:
        return None
    value = values[0].value if values else None
    return value.upper() if isinstance(value, str) else None


def _check_document_signer(der: bytes, anchor: x509.Certificate, country: str | None) -> None:
    """A DSC in a list must be issued by the anchor (signature checked) and be of the anchor's country."""
    certificate = _parse_certificate(der, "A signing certificate in the trust list")
    kid = key_id(der).hex()
    try:
        certificate.verify_directly_issued_by(anchor)
    except Exception:
        raise TrustListError(
            f"The trust list holds a signing certificate (kid {kid}) that the trusted anchor did not issue: "
            "the list is refused."
        ) from None
    if _country(certificate.subject) != country:
        raise TrustListError(
            f"The trust list holds a signing certificate (kid {kid}) of another country than its anchor "
            f"({_country(certificate.subject)} instead of {country}): the list is refused."
        )


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
        signer, signed_by = _signer(message, anchor, name)
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
        signed_by=signed_by,
    )
    if info.next_update <= info.issued_at:
        raise TrustListError(f"The {name}'s next update does not come after its issue time.")
    for certificate, role in ((anchor, "trusted anchor"), (signer, "signing certificate")):
        if not certificate.not_valid_before_utc <= info.issued_at <= certificate.not_valid_after_utc:
            raise TrustListError(
                f"The {name}'s {role} was not valid when the list was issued "
                f"({info.issued_at:%Y-%m-%d %H:%M} UTC; valid {certificate.not_valid_before_utc:%Y-%m-%d} "
                f"to {certificate.not_valid_after_utc:%Y-%m-%d})."
            )
    return info, payload


def _signer(message: cose.Sign1, anchor: x509.Certificate, name: str) -> tuple[x509.Certificate, str]:
    """The certificate that signed the list: the anchor itself, or a list-signing certificate it issued.

    A document signing certificate never qualifies, whether it comes in the x5chain header (33) or is
    named by its kid alone: without x5chain only the anchor's own kid is accepted, and a certificate
    in x5chain must carry the list-signing EKU, no DCC EKU, and CA=false.
    """
    anchor_der = anchor.public_bytes(Encoding.DER)
    chain = message.headers.get(cose.HEADER_X5CHAIN)
    if isinstance(chain, list):  # RFC 9360: a single certificate or an array, leaf first
        chain = chain[0] if chain else None
    if chain is None or chain == anchor_der:
        if message.kid != key_id(anchor_der):
            raise TrustListError(
                f"The {name} was signed by a key that is neither the trusted anchor nor a list-signing "
                f"certificate it issued (kid {message.kid.hex()}); document signing keys cannot sign lists."
            )
        return anchor, "anchor"
    if not isinstance(chain, bytes):
        raise TrustListError(f"The {name}'s signer certificate (x5chain) is not DER bytes.")
    signer = _parse_certificate(chain, f"The {name}'s signer certificate (x5chain)")
    try:
        signer.verify_directly_issued_by(anchor)
    except Exception:
        raise TrustListError(
            f"The {name}'s signer certificate was not issued by the trusted anchor."
        ) from None
    _check_list_signer(signer, chain, name)
    if message.kid != key_id(chain):
        raise TrustListError(f"The {name}'s kid does not match its signer certificate.")
    return signer, f"list signer {key_id(chain).hex()}"


def _check_list_signer(signer: x509.Certificate, der: bytes, name: str) -> None:
    """A list-signing certificate: CA=false, the list-signing EKU, and no DCC EKU (then it is a DSC)."""
    try:
        constraints = signer.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca: bool | None = constraints.ca
    except x509.ExtensionNotFound:
        is_ca = None
    except Exception:
        raise TrustListError(f"The {name}'s signer certificate has unreadable extensions.") from None
    if is_ca is not False:
        raise TrustListError(
            f"The {name}'s signer certificate is not a list-signing certificate (it must say CA=false)."
        )
    try:
        purposes = extended_key_usages(der) or ()
    except (DerError, IndexError):
        raise TrustListError(f"The {name}'s signer certificate has unreadable extensions.") from None
    if LIST_SIGNING_EKU not in purposes or DCC_PURPOSES.intersection(purposes):
        raise TrustListError(
            f"The {name}'s signer certificate is not a list-signing certificate (it needs the list-signing "
            f"extended key usage {LIST_SIGNING_EKU} and no health certificate usage); "
            "document signing certificates cannot sign lists."
        )
