"""The key store: a directory of encrypted private keys, certificates and a JSON manifest of their status."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from keys.algorithms import Algorithm, PrivateKey, algorithm_of, generate_private_key, parse_algorithm
from keys.certificates import (
    DEFAULT_CSCA_VALIDITY,
    DEFAULT_DSC_GRACE,
    DEFAULT_DSC_SIGNING_PERIOD,
    der,
    dsc_period,
    issue_csca,
    issue_dsc,
    kid_of,
    utc_seconds,
)
from keys.errors import (
    InvalidKeyInput,
    KeyFileMissing,
    KeyNotUsable,
    KeyRevoked,
    KeysAlreadyExist,
    KeysError,
    KeysNotInitialised,
    KeyStoreCorrupt,
    PassphraseMissing,
    UnknownKey,
)
from keys.protection import check_passphrase_strength, kdf_rounds, protect, rounds_of, unprotect
from keys.signer import DocumentSigner, Signer

MANIFEST_NAME = "manifest.json"
LOCK_NAME = ".lock"
MANIFEST_FORMAT = "immunize-key-store"
MANIFEST_VERSION = 1
CSCA_CERTIFICATE_NAME = "csca.crt.pem"
CSCA_KEY_NAME = "csca.key.json"
LEGACY_CSCA_KEY_NAME = "csca.key.pem"  # PKCS#8 PEM, PBKDF2 2,048 rounds: `immunize keys migrate`
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_KEY_FILE_BYTES = 64 * 1024

ACTIVE = "active"
RETIRED = "retired"
REVOKED = "revoked"
# Revocation reasons, after RFC 5280 §5.3.1 CRLReason, in words an operator types.
REVOCATION_REASONS = (
    "compromise",
    "ca-compromise",
    "superseded",
    "cessation",
    "affiliation-changed",
    "unspecified",
)
SEQUENCE_KINDS = ("trust-list", "revocation-list")


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True)
class CscaRecord:
    """What the manifest says about the country signing CA."""

    kid: bytes
    algorithm: Algorithm
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True)
class DocumentRecord:
    """What the manifest says about one document signing certificate (DSC)."""

    kid: bytes
    algorithm: Algorithm
    not_before: datetime
    signing_until: datetime
    not_after: datetime
    status: str
    reason: str | None = None
    status_changed_at: datetime | None = None
    current: bool = False

    def trusted_at(self, now: datetime) -> bool:
        """Whether verifiers should trust it at `now`: not revoked and within its X.509 validity."""
        return self.status != REVOKED and self.not_before <= now < self.not_after

    @property
    def certificate_name(self) -> str:
        """The file name of its certificate in the key directory."""
        return f"dsc-{self.kid.hex()}.crt.pem"

    @property
    def key_name(self) -> str:
        """The file name of its protected private key in the key directory (see keys.protection)."""
        return f"dsc-{self.kid.hex()}.key.json"

    @property
    def legacy_key_name(self) -> str:
        """Where a key store made before issue 12 kept the key (PKCS#8 PEM)."""
        return f"dsc-{self.kid.hex()}.key.pem"


@dataclass(frozen=True)
class Manifest:
    """The whole manifest: the CSCA, every DSC in issue order, the current kid, list sequence numbers."""

    development: bool
    csca: CscaRecord
    documents: tuple[DocumentRecord, ...]
    current: bytes | None
    sequences: dict[str, int]

    def document(self, kid: bytes) -> DocumentRecord:
        """The DSC with this kid, or UnknownKey."""
        for record in self.documents:
            if record.kid == kid:
                return record
        known = ", ".join(record.kid.hex() for record in self.documents) or "none"
        raise UnknownKey(
            f"no signing key has kid {kid.hex()}: the known kids are {known} (see `immunize keys list`)"
        )

    def to_json(self) -> dict[str, Any]:
        """The manifest as JSON-ready data (times as epoch seconds, kids as hex)."""
        return {
            "format": MANIFEST_FORMAT,
            "version": MANIFEST_VERSION,
            "development": self.development,
            "csca": {
                "kid": self.csca.kid.hex(),
                "algorithm": self.csca.algorithm.value,
                "certificate": CSCA_CERTIFICATE_NAME,
                "key": CSCA_KEY_NAME,
                "not_before": _epoch(self.csca.not_before),
                "not_after": _epoch(self.csca.not_after),
            },
            "current": self.current.hex() if self.current is not None else None,
            "documents": [
                {
                    "kid": record.kid.hex(),
                    "algorithm": record.algorithm.value,
                    "certificate": record.certificate_name,
                    "key": record.key_name,
                    "not_before": _epoch(record.not_before),
                    "signing_until": _epoch(record.signing_until),
                    "not_after": _epoch(record.not_after),
                    "status": record.status,
                    "reason": record.reason,
                    "status_changed_at": (
                        _epoch(record.status_changed_at) if record.status_changed_at is not None else None
                    ),
                }
                for record in self.documents
            ],
            "sequences": dict(self.sequences),
        }

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        """Read the manifest's JSON data, checking every field (KeyStoreCorrupt when anything is off)."""
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            raise ValueError("not a key store manifest")
        if data.get("version") != MANIFEST_VERSION:
            raise ValueError(f"unsupported manifest version {data.get('version')!r}")
        csca = data["csca"]
        current = data["current"]
        documents = []
        for item in data["documents"]:
            status = item["status"]
            if status not in (ACTIVE, RETIRED, REVOKED):
                raise ValueError(f"unknown status {status!r}")
            kid = bytes.fromhex(item["kid"])
            changed = item.get("status_changed_at")
            documents.append(
                DocumentRecord(
                    kid=kid,
                    algorithm=parse_algorithm(item["algorithm"]),
                    not_before=_moment(int(item["not_before"])),
                    signing_until=_moment(int(item["signing_until"])),
                    not_after=_moment(int(item["not_after"])),
                    status=status,
                    reason=item.get("reason"),
                    status_changed_at=_moment(int(changed)) if changed is not None else None,
                    current=current is not None and kid.hex() == current,
                )
            )
        sequences = {kind: int(data["sequences"].get(kind, 0)) for kind in SEQUENCE_KINDS}
        return cls(
            development=bool(data["development"]),
            csca=CscaRecord(
                kid=bytes.fromhex(csca["kid"]),
                algorithm=parse_algorithm(csca["algorithm"]),
                not_before=_moment(int(csca["not_before"])),
                not_after=_moment(int(csca["not_after"])),
            ),
            documents=tuple(documents),
            current=bytes.fromhex(current) if current is not None else None,
            sequences=sequences,
        )


def normalise_passphrase(passphrase: bytes | str) -> bytes:
    """The passphrase as bytes; an empty one is refused."""
    value = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
    if not value:
        raise PassphraseMissing(
            "the key passphrase is empty: set IMMUNIZE_KEY_PASSPHRASE to the passphrase that protects the keys"
        )
    return value


def _protected(key: PrivateKey, passphrase: bytes) -> bytes:
    """The key in the PBKDF2-SHA256 (600,000 rounds) + AES-256-GCM container (never unencrypted)."""
    return protect(key, passphrase)


# Unlocked keys by a digest of (passphrase, file bytes): a certificate download must not pay
# 600,000 PBKDF2 rounds each time. A changed file or passphrase is a different entry.
_UNLOCKED: dict[bytes, PrivateKey] = {}
_UNLOCKED_LIMIT = 32
_UNLOCKED_LOCK = threading.Lock()


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create `path` with `mode` (failing if it exists) and write `data` durably."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(descriptor, mode)
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class KeyStore:
    """One key directory: create, rotate, revoke, and load signers from it."""

    def __init__(self, key_dir: str | Path) -> None:
        self.path = Path(key_dir)
        self.manifest_path = self.path / MANIFEST_NAME

    # -- reading -----------------------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether this directory holds a key store (its manifest exists)."""
        return self.manifest_path.is_file()

    def manifest(self) -> Manifest:
        """The manifest, or a KeysError saying what to do."""
        if not self.path.is_dir():
            raise KeysNotInitialised(
                f"the key directory {self.path} does not exist: run `immunize keys init` "
                "(or set IMMUNIZE_KEY_DIR to the directory that holds the keys)"
            )
        if not self.manifest_path.is_file():
            raise KeysNotInitialised(
                f"the key directory {self.path} has no keys ({MANIFEST_NAME} is missing): run `immunize keys init` "
                "(or set IMMUNIZE_KEY_DIR to the directory that holds the keys)"
            )
        try:
            if self.manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
                raise ValueError("manifest too large")
            return Manifest.from_json(json.loads(self.manifest_path.read_text("utf-8")))
        except KeysError:
            raise
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyStoreCorrupt(
                f"{self.manifest_path} cannot be read ({exc}): restore the key directory from its backup"
            ) from exc

    def documents(self) -> tuple[DocumentRecord, ...]:
        """Every DSC the store has issued, oldest first."""
        return self.manifest().documents

    def csca_certificate(self) -> x509.Certificate:
        """The CSCA certificate."""
        manifest = self.manifest()
        return self._certificate(CSCA_CERTIFICATE_NAME, manifest.csca.kid)

    def document_certificate(self, kid: bytes) -> x509.Certificate:
        """The certificate of the DSC with this kid."""
        record = self.manifest().document(kid)
        return self._certificate(record.certificate_name, record.kid)

    def trusted_documents(self, now: datetime) -> list[tuple[DocumentRecord, x509.Certificate]]:
        """Every DSC verifiers should trust at `now` (not revoked, not expired), with its certificate."""
        moment = utc_seconds(now)
        return [
            (record, self._certificate(record.certificate_name, record.kid))
            for record in self.manifest().documents
            if record.trusted_at(moment)
        ]

    def current_signer(self, passphrase: bytes | str, now: datetime) -> DocumentSigner:
        """The current DSC with its decrypted key, if it may sign at `now`."""
        manifest = self.manifest()
        if manifest.current is None:
            raise KeyNotUsable(
                f"the key store {self.path} has no current signing key (the last one was revoked): "
                "run `immunize keys rotate`"
            )
        return self._document_signer(manifest, manifest.document(manifest.current), passphrase, now)

    def signer(self, kid: bytes, passphrase: bytes | str, now: datetime) -> DocumentSigner:
        """The DSC with this kid and its decrypted key, if it may sign at `now` (only the current one may)."""
        manifest = self.manifest()
        return self._document_signer(manifest, manifest.document(kid), passphrase, now)

    def csca_signer(self, passphrase: bytes | str, now: datetime) -> Signer:
        """The CSCA with its decrypted key (signs DSCs, the trust list and the revocation list)."""
        manifest = self.manifest()
        moment = utc_seconds(now)
        if not manifest.csca.not_before <= moment < manifest.csca.not_after:
            raise KeyNotUsable(
                f"the CSCA is valid from {manifest.csca.not_before:%Y-%m-%d} to {manifest.csca.not_after:%Y-%m-%d}, "
                f"not at {moment:%Y-%m-%d %H:%M}: create a new key store with `immunize keys init`"
            )
        certificate = self._certificate(CSCA_CERTIFICATE_NAME, manifest.csca.kid)
        return Signer(self._private_key(CSCA_KEY_NAME, passphrase, LEGACY_CSCA_KEY_NAME), certificate)

    def _document_signer(
        self, manifest: Manifest, record: DocumentRecord, passphrase: bytes | str, now: datetime
    ) -> DocumentSigner:
        moment = utc_seconds(now)
        if record.status == REVOKED:
            raise KeyRevoked(
                f"signing key {record.kid.hex()} was revoked ({record.reason}) and can no longer sign: "
                "run `immunize keys rotate` for a new one"
            )
        if record.kid != manifest.current:
            current = manifest.current.hex() if manifest.current else "none"
            raise KeyNotUsable(
                f"signing key {record.kid.hex()} was retired by a rotation and no longer signs: "
                f"use the current key ({current})"
            )
        if moment < record.not_before:
            raise KeyNotUsable(
                f"signing key {record.kid.hex()} is valid only from {record.not_before:%Y-%m-%d %H:%M:%S} UTC: "
                "check the system clock"
            )
        if moment >= record.signing_until:
            raise KeyNotUsable(
                f"signing key {record.kid.hex()} stopped signing at {record.signing_until:%Y-%m-%d %H:%M} UTC: "
                "run `immunize keys rotate`"
            )
        certificate = self._certificate(record.certificate_name, record.kid)
        return DocumentSigner(
            self._private_key(record.key_name, passphrase, record.legacy_key_name), certificate
        )

    def _read(self, name: str, limit: int) -> bytes:
        path = self.path / name
        try:
            if path.stat().st_size > limit:
                raise KeyStoreCorrupt(f"{path} is larger than any key file: restore it from the backup")
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise KeyFileMissing(
                f"{path} is missing from the key directory: restore it from the backup of {self.path}"
            ) from exc
        except OSError as exc:
            raise KeyStoreCorrupt(f"{path} cannot be read ({exc.strerror}): check its permissions") from exc

    def _certificate(self, name: str, kid: bytes) -> x509.Certificate:
        try:
            certificate = x509.load_pem_x509_certificate(self._read(name, MAX_KEY_FILE_BYTES))
        except ValueError as exc:
            raise KeyStoreCorrupt(
                f"{self.path / name} is not a PEM certificate: restore it from the backup"
            ) from exc
        if kid_of(der(certificate)) != kid:
            raise KeyStoreCorrupt(
                f"{self.path / name} is not the certificate the manifest names (kid {kid.hex()}): "
                "restore the key directory from its backup"
            )
        return certificate

    def _key_file(self, name: str, legacy: str) -> str:
        """The key file to read: the protected one, or the legacy PEM of a store not yet migrated."""
        if not (self.path / name).exists() and (self.path / legacy).exists():
            return legacy
        return name

    def _private_key(self, name: str, passphrase: bytes | str, legacy: str = "") -> PrivateKey:
        secret = normalise_passphrase(passphrase)
        name = self._key_file(name, legacy) if legacy else name
        data = self._read(name, MAX_KEY_FILE_BYTES)
        digest = hashlib.sha256(len(secret).to_bytes(4, "big") + secret + data).digest()
        with _UNLOCKED_LOCK:
            cached = _UNLOCKED.get(digest)
        if cached is not None:
            return cached
        key = unprotect(data, secret, where=str(self.path / name))
        if not isinstance(key, PrivateKey):
            raise KeyStoreCorrupt(f"{self.path / name} holds neither a P-256 nor an RSA key")
        algorithm_of(key)
        with _UNLOCKED_LOCK:
            if len(_UNLOCKED) >= _UNLOCKED_LIMIT:
                _UNLOCKED.pop(next(iter(_UNLOCKED)))
            _UNLOCKED[digest] = key
        return key

    def key_files(self) -> list[tuple[str, str]]:
        """(protected name, legacy name) of every private key the manifest names: the CSCA's, then each DSC's."""
        manifest = self.manifest()
        return [(CSCA_KEY_NAME, LEGACY_CSCA_KEY_NAME)] + [
            (record.key_name, record.legacy_key_name) for record in manifest.documents
        ]

    def needs_migration(self) -> list[str]:
        """Key files kept in the legacy PEM or with fewer PBKDF2 rounds than keys are written with now."""
        wanted = kdf_rounds()
        weak = []
        for name, legacy in self.key_files():
            chosen = self._key_file(name, legacy)
            path = self.path / chosen
            if path.exists() and (
                chosen == legacy or rounds_of(self._read(chosen, MAX_KEY_FILE_BYTES)) < wanted
            ):
                weak.append(chosen)
        return weak

    def migrate(self, passphrase: bytes | str, new_passphrase: bytes | str | None = None) -> list[str]:
        """Rewrite every private key in the current container (and optionally under a new passphrase).

        Each key is written to a temporary file, synced and renamed into place before its old file
        is removed, so an interruption leaves every key readable. Returns the files rewritten.
        """
        secret = normalise_passphrase(passphrase)
        target = normalise_passphrase(new_passphrase) if new_passphrase is not None else secret
        manifest = self.manifest()
        if not manifest.development:
            check_passphrase_strength(target)
        rewritten = []
        with self._locked():
            files = self.key_files()
            keys = [(name, legacy, self._private_key(name, secret, legacy)) for name, legacy in files]
            wanted = kdf_rounds()
            for name, legacy, key in keys:
                current = self._key_file(name, legacy)
                up_to_date = current == name and rounds_of(self._read(name, MAX_KEY_FILE_BYTES)) >= wanted
                if up_to_date and target == secret:
                    continue
                temporary = self.path / f".{name}.tmp"
                with contextlib.suppress(FileNotFoundError):
                    temporary.unlink()
                try:
                    _write_new(temporary, _protected(key, target), 0o600)
                    os.replace(temporary, self.path / name)
                    if current != name:
                        (self.path / current).unlink()
                except OSError as exc:
                    raise KeysError(
                        f"cannot rewrite {self.path / name} ({exc.strerror}): check the directory"
                    ) from exc
                rewritten.append(name)
        return rewritten

    # -- changing ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold an exclusive lock on the key directory so two commands never interleave their changes."""
        try:
            descriptor = os.open(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise KeysError(
                f"cannot lock the key directory {self.path} ({exc.strerror}): check its permissions"
            ) from exc
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    def _save(self, manifest: Manifest) -> None:
        """Replace the manifest atomically (write a temporary file, fsync, rename)."""
        temporary = self.path / f".{MANIFEST_NAME}.tmp"
        data = json.dumps(manifest.to_json(), indent=2, sort_keys=True).encode("utf-8") + b"\n"
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        _write_new(temporary, data, 0o600)
        os.replace(temporary, self.manifest_path)

    def _new_document(
        self,
        csca: x509.Certificate,
        csca_key: PrivateKey,
        passphrase: bytes,
        now: datetime,
        algorithm: Algorithm,
        signing_period: timedelta,
        grace: timedelta,
    ) -> DocumentRecord:
        period = dsc_period(now, csca, signing_period, grace)
        key = generate_private_key(algorithm)
        certificate = issue_dsc(key, csca, csca_key, period)
        record = DocumentRecord(
            kid=kid_of(der(certificate)),
            algorithm=algorithm,
            not_before=period.not_before,
            signing_until=period.signing_until,
            not_after=period.not_after,
            status=ACTIVE,
            status_changed_at=period.not_before,
            current=True,
        )
        _write_new(self.path / record.key_name, _protected(key, passphrase), 0o600)
        _write_new(
            self.path / record.certificate_name, certificate.public_bytes(serialization.Encoding.PEM), 0o644
        )
        return record

    def init(
        self,
        passphrase: bytes | str,
        now: datetime,
        algorithm: str | int | Algorithm = Algorithm.ES256,
        *,
        csca_validity: timedelta = DEFAULT_CSCA_VALIDITY,
        signing_period: timedelta = DEFAULT_DSC_SIGNING_PERIOD,
        grace: timedelta = DEFAULT_DSC_GRACE,
        development: bool = False,
    ) -> DocumentRecord:
        """Create the CSCA and a first current DSC in a new key directory (mode 0700)."""
        secret = normalise_passphrase(passphrase)
        if not development:
            check_passphrase_strength(secret)
        chosen = parse_algorithm(algorithm)
        moment = utc_seconds(now)
        if self.exists():
            raise KeysAlreadyExist(
                f"{self.path} already holds keys: use `immunize keys rotate` for a new signing key "
                "(or choose another IMMUNIZE_KEY_DIR)"
            )
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise KeysError(
                f"cannot create the key directory {self.path} ({exc.strerror}): choose a writable IMMUNIZE_KEY_DIR"
            ) from exc
        with self._locked():
            if self.exists():
                raise KeysAlreadyExist(
                    f"{self.path} already holds keys: use `immunize keys rotate` for a new signing key"
                )
            try:
                csca_key = generate_private_key(chosen)
                csca = issue_csca(csca_key, moment, csca_validity)
                record = self._new_document(csca, csca_key, secret, moment, chosen, signing_period, grace)
                for name in (CSCA_KEY_NAME, LEGACY_CSCA_KEY_NAME, CSCA_CERTIFICATE_NAME):
                    with contextlib.suppress(FileNotFoundError):
                        (self.path / name).unlink()  # left over by an init that failed half way
                _write_new(self.path / CSCA_KEY_NAME, _protected(csca_key, secret), 0o600)
                _write_new(
                    self.path / CSCA_CERTIFICATE_NAME, csca.public_bytes(serialization.Encoding.PEM), 0o644
                )
                manifest = Manifest(
                    development=development,
                    csca=CscaRecord(
                        kid=kid_of(der(csca)),
                        algorithm=chosen,
                        not_before=csca.not_valid_before_utc,
                        not_after=csca.not_valid_after_utc,
                    ),
                    documents=(record,),
                    current=record.kid,
                    sequences=dict.fromkeys(SEQUENCE_KINDS, 0),
                )
                self._save(manifest)
            except OSError as exc:
                raise KeysError(
                    f"cannot write the keys to {self.path} ({exc.strerror}): check the directory"
                ) from exc
        return record

    def rotate(
        self,
        passphrase: bytes | str,
        now: datetime,
        algorithm: str | int | Algorithm | None = None,
        *,
        signing_period: timedelta = DEFAULT_DSC_SIGNING_PERIOD,
        grace: timedelta = DEFAULT_DSC_GRACE,
    ) -> DocumentRecord:
        """Issue a new DSC and make it current; the previous current one is retired but stays trusted."""
        secret = normalise_passphrase(passphrase)
        moment = utc_seconds(now)
        manifest = self.manifest()
        with self._locked():
            manifest = self.manifest()
            previous = next((record for record in manifest.documents if record.current), None)
            if algorithm is not None:
                chosen = parse_algorithm(algorithm)
            else:
                chosen = previous.algorithm if previous is not None else manifest.csca.algorithm
            self.csca_signer(secret, moment)  # checks the CSCA is valid now and the passphrase opens it
            if not manifest.development:
                check_passphrase_strength(secret)  # a new key under a weak passphrase: no
            csca = self._certificate(CSCA_CERTIFICATE_NAME, manifest.csca.kid)
            try:
                record = self._new_document(
                    csca,
                    self._private_key(CSCA_KEY_NAME, secret, LEGACY_CSCA_KEY_NAME),
                    secret,
                    moment,
                    chosen,
                    signing_period,
                    grace,
                )
            except OSError as exc:
                raise KeysError(
                    f"cannot write the new key to {self.path} ({exc.strerror}): check the directory"
                ) from exc
            documents = tuple(
                replace(item, status=RETIRED, status_changed_at=moment, current=False)
                if item.current and item.status == ACTIVE
                else replace(item, current=False)
                for item in manifest.documents
            )
            self._save(replace(manifest, documents=(*documents, record), current=record.kid))
        return record

    def revoke(self, kid: bytes, reason: str, now: datetime) -> DocumentRecord:
        """Revoke a DSC: it leaves the trust list and can no longer sign. Revoking the current one leaves none."""
        normalised = reason.strip().lower()
        if normalised not in REVOCATION_REASONS:
            raise InvalidKeyInput(
                f"unknown revocation reason {reason!r}: use one of {', '.join(REVOCATION_REASONS)}"
            )
        moment = utc_seconds(now)
        with self._locked():
            manifest = self.manifest()
            record = manifest.document(kid)
            if record.status == REVOKED:
                raise InvalidKeyInput(f"signing key {kid.hex()} is already revoked ({record.reason})")
            revoked = replace(
                record, status=REVOKED, reason=normalised, status_changed_at=moment, current=False
            )
            documents = tuple(revoked if item.kid == kid else item for item in manifest.documents)
            current = None if manifest.current == kid else manifest.current
            self._save(replace(manifest, documents=documents, current=current))
        return revoked

    def next_sequence(self, kind: str) -> int:
        """Reserve the next sequence number of a published list ("trust-list" or "revocation-list")."""
        if kind not in SEQUENCE_KINDS:
            raise InvalidKeyInput(f"unknown list kind {kind!r}: use one of {', '.join(SEQUENCE_KINDS)}")
        self.manifest()
        with self._locked():
            manifest = self.manifest()
            sequence = manifest.sequences.get(kind, 0) + 1
            self._save(replace(manifest, sequences={**manifest.sequences, kind: sequence}))
        return sequence
