"""Trust material and checks: the signed trust list and revocation list, the CSCA anchor, verifying an
HC1 string (web.pictures reads QR pictures). Signed lists are cached per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization

from keys.certificates import der
from keys.publish import issue_revocation_list, issue_trust_list
from keys.settings import passphrase_from_environment
from keys.store import KeyStore
from ledger.status import status_of_numbers
from services.backend import Backend
from services.errors import (
    CertificateNotAccepted,
    KeysMissing,
    NoPersonForCertificate,
)
from services.people import parse_id
from verifier import TrustList, VerificationError, verify
from verifier.trustlist import uci_hash

LIST_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class Download:
    """Bytes to hand out as a file."""

    data: bytes
    filename: str
    mimetype: str = "application/octet-stream"


@dataclass(frozen=True)
class Verdict:
    """The answer to 'is this certificate valid?': who and which dose, or why not (a verifier reason)."""

    valid: bool
    reason: str = ""  # the verifier's reason when not valid (revoked, expired, signature, ...)
    code: str = ""  # the error code of that reason (its message in services.messages)
    message: str = ""  # the verifier's English sentence
    name: str = ""
    name_transliterated: str = ""
    date_of_birth: str = ""
    dose: str = ""  # "2/2"
    status: str = ""  # green or yellow (ledger.status, from dn/sd)
    uci: str = ""

    def as_json(self) -> dict[str, object]:
        if not self.valid:
            return {"valid": False, "reason": self.reason, "message": self.message}
        return {
            "valid": True,
            "name": self.name,
            "name_transliterated": self.name_transliterated,
            "date_of_birth": self.date_of_birth,
            "dose": self.dose,
            "status": self.status,
            "uci": self.uci,
        }


def key_store(backend: Backend) -> KeyStore:
    store = KeyStore(backend.key_dir)
    if not store.exists():
        raise KeysMissing(
            f"There are no signing keys in {backend.key_dir}: run `immunize keys init` "
            "(or `make run` for development keys).",
            key_dir=str(backend.key_dir),
        )
    return store


def passphrase(backend: Backend) -> bytes:
    return passphrase_from_environment(development=key_store(backend).manifest().development)


def trust(backend: Backend, now: datetime, *, revocation: bool = False) -> TrustList:
    """Every DSC of the key store (the trust-list file), and with `revocation` the withdrawn UCIs."""
    store = key_store(backend)
    trusted = TrustList.from_certificates([der(c) for _r, c in store.trusted_documents(now)])
    if revocation:
        head = backend.ledger.recorder.max_notification_id() or 0
        caches = backend.caches
        with caches.lock:
            if caches.revoked_hashes is None or caches.revoked_hashes[0] != head:  # re-read after new events
                hashes = frozenset(uci_hash(u) for u in backend.read.withdrawn_ucis())
                caches.revoked_hashes = (head, hashes)
            trusted.revoked = caches.revoked_hashes[1]
    return trusted


def verify_certificate(backend: Backend, hc1: str, *, now: datetime, revocation: bool = True) -> Verdict:
    """The verdict on an HC1 string. Revoked certificates are refused (reason `revoked`; superseded ones
    stay valid), as offline verifiers with the revocation list refuse them."""
    try:
        result = verify(hc1, trust(backend, now, revocation=revocation), now=now)
    except VerificationError as exc:
        return Verdict(valid=False, reason=exc.reason, code=exc.code, message=str(exc))
    dcc = result.dcc
    name = dcc.get("nam", {})
    vaccination = (dcc.get("v") or [{}])[0]
    dn, sd = int(vaccination.get("dn", 0)), int(vaccination.get("sd", 0))
    return Verdict(
        valid=True,
        name=f"{name.get('fn', '')} {name.get('gn', '')}".strip(),
        name_transliterated=f"{name.get('fnt', '')} {name.get('gnt', '')}".strip(),
        date_of_birth=str(dcc.get("dob", "")),
        dose=f"{dn}/{sd}" if dn else "",
        status=status_of_numbers(dn, sd).colour.value,
        uci=str(vaccination.get("ci", "")),
    )


def person_for_certificate(backend: Backend, hc1: str, *, now: datetime) -> str:
    """The person id a certificate shown at the desk belongs to (an old, superseded one finds them too)."""
    verdict = verify_certificate(backend, hc1, now=now, revocation=False)
    if not verdict.valid:
        raise CertificateNotAccepted(verdict.message, reason=verdict.reason)
    person_id = backend.read.person_for_uci(verdict.uci)
    if person_id is None:
        raise NoPersonForCertificate("No person in this ledger has that certificate.")
    return str(parse_id(person_id))


def trust_list_file(backend: Backend, *, now: datetime) -> Download:
    """The signed trust list (a new one at most hourly: each spends a sequence number)."""
    caches = backend.caches
    with caches.lock:
        if caches.trust_list is None or now - caches.trust_list[0] > LIST_LIFETIME:
            caches.trust_list = (now, issue_trust_list(backend.key_dir, passphrase(backend), now))
        return Download(caches.trust_list[1], "trust-list.cbor")


def trust_anchor_file(backend: Backend) -> Download:
    pem = key_store(backend).csca_certificate().public_bytes(serialization.Encoding.PEM)
    return Download(pem, "csca.pem", "application/x-pem-file")


def revocation_list_file(backend: Backend, *, now: datetime) -> Download:
    """The signed revocation list: a new one as soon as the withdrawn UCIs changed, and at least hourly
    so its next-update stays ahead; otherwise the same bytes."""
    head = backend.ledger.recorder.max_notification_id() or 0
    caches = backend.caches
    with caches.lock:
        cached = caches.revocation_list
        if cached is None or now - cached[0] > LIST_LIFETIME or cached[1] != head:
            ucis = sorted(backend.read.withdrawn_ucis())
            if cached is None or now - cached[0] > LIST_LIFETIME or ucis != cached[2]:
                data = issue_revocation_list(backend.key_dir, passphrase(backend), ucis, now)
                cached = (now, head, ucis, data)
            else:
                cached = (cached[0], head, ucis, cached[3])
            caches.revocation_list = cached
        return Download(cached[3], "revocation-list.cbor")
