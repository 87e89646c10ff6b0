"""The signing API credentials/ uses: the current document signer from the key store, or a test PKI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509

from keys.algorithms import Algorithm, generate_private_key, parse_algorithm
from keys.certificates import (
    DEFAULT_CSCA_VALIDITY,
    DEFAULT_DSC_GRACE,
    DEFAULT_DSC_SIGNING_PERIOD,
    der,
    dsc_period,
    issue_csca,
    issue_dsc,
)
from keys.settings import key_dir_from_environment, passphrase_from_environment
from keys.signer import DocumentSigner, Signer
from keys.store import KeyStore


@dataclass(frozen=True)
class InMemoryPKI:
    """A CSCA and one DSC that exist only in memory: for tests, never written to disk."""

    csca_signer: Signer
    document_signer: DocumentSigner

    @property
    def csca_certificate(self) -> x509.Certificate:
        """The CSCA certificate (self-signed)."""
        return self.csca_signer.certificate

    @property
    def csca_der(self) -> bytes:
        """The CSCA certificate's DER."""
        return self.csca_signer.certificate_der


def generate_test_pki(
    now: datetime,
    algorithm: str | int | Algorithm = Algorithm.ES256,
    *,
    csca_algorithm: str | int | Algorithm | None = None,
    csca_validity: timedelta = DEFAULT_CSCA_VALIDITY,
    signing_period: timedelta = DEFAULT_DSC_SIGNING_PERIOD,
    grace: timedelta = DEFAULT_DSC_GRACE,
) -> InMemoryPKI:
    """A fresh CSCA valid from `now` and a DSC (ES256 by default, or PS256) it issued, kept in memory."""
    dsc_algorithm = parse_algorithm(algorithm)
    ca_algorithm = parse_algorithm(csca_algorithm) if csca_algorithm is not None else dsc_algorithm
    csca_key = generate_private_key(ca_algorithm)
    csca = issue_csca(csca_key, now, csca_validity)
    dsc_key = generate_private_key(dsc_algorithm)
    dsc = issue_dsc(dsc_key, csca, csca_key, dsc_period(now, csca, signing_period, grace))
    return InMemoryPKI(Signer(csca_key, csca), DocumentSigner(dsc_key, dsc))


def load_current_signer(key_dir: str | Path, passphrase: bytes | str, now: datetime) -> DocumentSigner:
    """The key store's current DSC with its decrypted key, if it may sign at `now` (else a KeysError)."""
    return KeyStore(key_dir).current_signer(passphrase, now)


def load_signer(key_dir: str | Path, kid: bytes, passphrase: bytes | str, now: datetime) -> DocumentSigner:
    """A given DSC of the key store with its decrypted key, if it may sign at `now` (else a KeysError)."""
    return KeyStore(key_dir).signer(kid, passphrase, now)


def signer_from_environment(now: datetime, key_dir: str | Path | None = None) -> DocumentSigner:
    """The current signer of IMMUNIZE_KEY_DIR (or `key_dir`) unlocked with IMMUNIZE_KEY_PASSPHRASE.

    For a development key store (`ensure_development_keys`) the well-known development passphrase
    applies when IMMUNIZE_KEY_PASSPHRASE is unset; a production store always needs the variable.
    """
    store = KeyStore(key_dir if key_dir is not None else key_dir_from_environment())
    passphrase = passphrase_from_environment(development=store.manifest().development)
    return store.current_signer(passphrase, now)


__all__ = [
    "Algorithm",
    "DocumentSigner",
    "InMemoryPKI",
    "Signer",
    "der",
    "generate_test_pki",
    "load_current_signer",
    "load_signer",
    "signer_from_environment",
]
