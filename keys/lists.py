"""The signed trust list (DSCs to trust) and revocation list (hashes of revoked UCIs), both COSE_Sign1."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

import cbor2
from cryptography import x509

from keys.certificates import kid_of, utc_seconds
from keys.cose import sign1
from keys.errors import InvalidKeyInput
from keys.signer import Signer

ISSUER = "VN"
LIST_VERSION = 1
TRUST_LIST_TYPE = "immunize-trust-list"
REVOCATION_LIST_TYPE = "immunize-revocation-list"
DEFAULT_NEXT_UPDATE = timedelta(days=7)
UCI_HASH_TYPE = "UCI"
UCI_HASH_LENGTH = 16
# The DCC schema (1.3.x) limits `ci` to 80 characters.
MAX_UCI_LENGTH = 80


def uci_hash(uci: str) -> bytes:
    """The revocation hash of a UCI: the first 16 bytes of SHA-256 of its UTF-8 text (EU DCC "UCI" hash type)."""
    return hashlib.sha256(check_uci(uci).encode("utf-8")).digest()[:UCI_HASH_LENGTH]


def check_uci(uci: str) -> str:
    """The UCI exactly as printed in a certificate, or InvalidKeyInput saying what is wrong with it."""
    if not isinstance(uci, str):
        raise InvalidKeyInput(f"a UCI must be text, got {type(uci).__name__}")
    if not uci or len(uci) > MAX_UCI_LENGTH:
        raise InvalidKeyInput(f"a UCI has 1 to {MAX_UCI_LENGTH} characters, got {len(uci)}: {uci[:20]!r}...")
    if not uci.isprintable() or any(character.isspace() for character in uci):
        raise InvalidKeyInput(
            f"the UCI {uci!r} contains spaces or control characters: give it as in the certificate"
        )
    return uci


def list_times(now: datetime, next_update: timedelta | datetime) -> tuple[int, int]:
    """(issued_at, next_update) as epoch seconds; next_update is a period after `now` or a later moment."""
    issued = utc_seconds(now)
    until = issued + next_update if isinstance(next_update, timedelta) else utc_seconds(next_update)
    if until <= issued:
        raise InvalidKeyInput("next_update must come after issued_at: give a positive period")
    return int(issued.timestamp()), int(until.timestamp())


def _check_sequence(sequence: int) -> int:
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise InvalidKeyInput(f"a list sequence number is a positive integer, got {sequence!r}")
    return sequence


def build_trust_list(
    signer: Signer,
    certificates: Iterable[bytes],
    sequence: int,
    now: datetime,
    next_update: timedelta | datetime = DEFAULT_NEXT_UPDATE,
    *,
    include_certificate: bool = False,
) -> bytes:
    """Sign a trust list of the given DSCs (DER); any not valid at `now` is left out, as the format requires.

    `include_certificate` puts the signer's certificate in the x5chain header (33): needed when a
    list signer, not the CSCA the verifier pins, signs.
    """
    issued_at, update = list_times(now, next_update)
    moment = utc_seconds(now)
    entries = []
    for certificate_der in certificates:
        try:
            certificate = x509.load_der_x509_certificate(certificate_der)
        except ValueError as exc:
            raise InvalidKeyInput("a trust list entry is not a DER X.509 certificate") from exc
        if certificate.not_valid_before_utc <= moment < certificate.not_valid_after_utc:
            entries.append({"kid": kid_of(certificate_der), "der": certificate_der})
    payload = {
        "type": TRUST_LIST_TYPE,
        "version": LIST_VERSION,
        "issuer": ISSUER,
        "sequence": _check_sequence(sequence),
        "issued_at": issued_at,
        "next_update": update,
        "certificates": entries,
    }
    return sign1(signer, cbor2.dumps(payload, canonical=True), include_certificate=include_certificate)


def build_revocation_list(
    signer: Signer,
    revoked_ucis: Iterable[str],
    sequence: int,
    now: datetime,
    next_update: timedelta | datetime = DEFAULT_NEXT_UPDATE,
    *,
    include_certificate: bool = False,
) -> bytes:
    """Sign a revocation list of the hashes of the revoked UCIs (deduplicated, sorted); see build_trust_list."""
    issued_at, update = list_times(now, next_update)
    hashes = sorted({uci_hash(uci) for uci in revoked_ucis})
    payload = {
        "type": REVOCATION_LIST_TYPE,
        "version": LIST_VERSION,
        "issuer": ISSUER,
        "sequence": _check_sequence(sequence),
        "issued_at": issued_at,
        "next_update": update,
        "hash_type": UCI_HASH_TYPE,
        "hashes": hashes,
    }
    return sign1(signer, cbor2.dumps(payload, canonical=True), include_certificate=include_certificate)
