"""The ledger audit key: an Ed25519 key that signs checkpoints of the audit chain.

The private key lives encrypted (PKCS#8, passphrase IMMUNIZE_KEY_PASSPHRASE) at mode 0600 in
IMMUNIZE_KEY_DIR/audit/, never in the repository; the public key is published with every export
and backup so an auditor can check the checkpoints without trusting the database.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from keys.errors import KeysError
from keys.protection import protect, unprotect
from projections.audit.errors import AuditError

ALGORITHM = "Ed25519"
PRIVATE_FILE = "ledger-audit-key.json"  # keys.protection: PBKDF2-SHA256 600,000 rounds + AES-256-GCM
LEGACY_PRIVATE_FILE = "ledger-audit-key.pem"  # PKCS#8, 2,048 rounds: `immunize keys migrate` rewrites it
PUBLIC_FILE = "ledger-audit-public.pem"


@dataclass(frozen=True)
class AuditPublicKey:
    """A public audit key and its id (the first 8 bytes of SHA-256 of the raw key, in hex)."""

    key: Ed25519PublicKey

    @property
    def raw(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.raw).digest()[:8].hex()

    @property
    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when `signature` is this key's signature of `message`."""
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    @classmethod
    def from_pem(cls, pem: str | bytes, where: str = "the public key") -> AuditPublicKey:
        """Parse a PEM public key, or say that `where` does not hold an Ed25519 public key."""
        data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise AuditError(f"{where} is not a PEM public key: {exc}") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise AuditError(f"{where} is not an Ed25519 public key (the audit key type)")
        return cls(key)

    @classmethod
    def from_file(cls, path: Path) -> AuditPublicKey:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise AuditError(f"cannot read the audit public key {path}: {exc.strerror}") from exc
        return cls.from_pem(data, str(path))


@dataclass(frozen=True)
class AuditKey:
    """The private audit key, decrypted in memory only while checkpoints are signed."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> AuditPublicKey:
        return AuditPublicKey(self.private.public_key())

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    @classmethod
    def generate(cls) -> AuditKey:
        return cls(Ed25519PrivateKey.generate())

    def save(self, key_dir: Path, passphrase: bytes) -> Path:
        """Write the encrypted private key (mode 0600, never overwritten) and the public key."""
        directory = key_dir / "audit"
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_path = directory / PRIVATE_FILE
        if (directory / LEGACY_PRIVATE_FILE).exists():
            raise AuditError(
                f"an audit key already exists at {directory / LEGACY_PRIVATE_FILE}: it is never overwritten"
            )
        data = protect(self.private, passphrase)
        try:
            fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise AuditError(
                f"an audit key already exists at {private_path}: it is never overwritten"
            ) from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        (directory / PUBLIC_FILE).write_text(self.public.pem, encoding="ascii")
        return private_path

    @classmethod
    def load(cls, key_dir: Path, passphrase: bytes) -> AuditKey:
        """Decrypt the audit key of `key_dir`, or say why it cannot be used."""
        path = private_key_path(key_dir)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise AuditError(
                f"there is no ledger audit key at {path}: run `immunize audit checkpoint` to create one"
            ) from exc
        except OSError as exc:
            raise AuditError(f"cannot read the audit key {path}: {exc.strerror}") from exc
        try:
            key = unprotect(data, passphrase, where=str(path))
        except (KeysError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise AuditError(
                f"the audit key {path} cannot be decrypted: check IMMUNIZE_KEY_PASSPHRASE"
            ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise AuditError(f"the audit key {path} is not an Ed25519 key")
        return cls(key)

    @classmethod
    def load_or_create(cls, key_dir: Path, passphrase: bytes) -> tuple[AuditKey, bool]:
        """The audit key of `key_dir`, created on first use; the flag says whether it was created."""
        if private_key_path(key_dir).exists():
            return cls.load(key_dir, passphrase), False
        key = cls.generate()
        key.save(key_dir, passphrase)
        return key, True


def private_key_path(key_dir: Path) -> Path:
    """The audit key file: the protected one, or the legacy PEM of an installation not yet migrated."""
    directory = key_dir / "audit"
    if not (directory / PRIVATE_FILE).exists() and (directory / LEGACY_PRIVATE_FILE).exists():
        return directory / LEGACY_PRIVATE_FILE
    return directory / PRIVATE_FILE


def migrate_audit_key(key_dir: Path, passphrase: bytes, new_passphrase: bytes | None = None) -> bool:
    """Rewrite a legacy (or re-passphrased) audit key in the protected container; True if rewritten."""
    path = private_key_path(key_dir)
    if not path.exists() or (path.name == PRIVATE_FILE and new_passphrase is None):
        return False
    key = AuditKey.load(key_dir, passphrase)
    temporary = path.with_name(f".{PRIVATE_FILE}.tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(protect(key.private, new_passphrase or passphrase))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path.with_name(PRIVATE_FILE))
    if path.name == LEGACY_PRIVATE_FILE:
        path.unlink()
    return True


def local_public_key(key_dir: Path) -> AuditPublicKey | None:
    """The public audit key of this installation, if it has one (what `verify` trusts by default)."""
    path = key_dir / "audit" / PUBLIC_FILE
    return AuditPublicKey.from_file(path) if path.exists() else None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
