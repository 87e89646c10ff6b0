"""How a private key is kept on disk: PBKDF2-HMAC-SHA256 (600,000 rounds) and AES-256-GCM.

Issue 12, item 8: the PKCS#8 PEM files that cryptography's BestAvailableEncryption writes use
PBKDF2 with 2,048 rounds, and PKCS#12 through its encryption builder keeps a MAC whose key comes
from 2,048 rounds whatever the key bag uses (an offline guesser attacks the MAC). So the key is
kept in a small, documented container of our own instead (a JSON object, one per file):

    {"format": "immunize-protected-key", "version": 1,
     "kdf": "pbkdf2-sha256", "iterations": 600000, "salt": <base64, 16 bytes>,
     "cipher": "aes-256-gcm", "nonce": <base64, 12 bytes>, "ciphertext": <base64>}

The ciphertext is the unencrypted PKCS#8 DER of the key; the associated data is the canonical
JSON of every other field, so the parameters cannot be lowered without the passphrase. 600,000
rounds is OWASP's 2023 figure for PBKDF2-HMAC-SHA256. Tests choose a lower cost through
IMMUNIZE_KEY_KDF_ROUNDS (`immunize serve` refuses to run with one below the default).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from keys.errors import InvalidKeyInput, KeyStoreCorrupt, PassphraseTooWeak, WrongPassphrase

FORMAT = "immunize-protected-key"
VERSION = 1
KDF = "pbkdf2-sha256"
CIPHER = "aes-256-gcm"
DEFAULT_ROUNDS = 600_000
LOWEST_ROUNDS = 1_000  # what a test may choose; never below
ROUNDS_ENV = "IMMUNIZE_KEY_KDF_ROUNDS"
MIN_PASSPHRASE_LENGTH = 12
LEGACY_PEM_PREFIX = b"-----BEGIN"


def kdf_rounds(environ: Mapping[str, str] | None = None) -> int:
    """The PBKDF2 rounds for keys written now: 600,000, or IMMUNIZE_KEY_KDF_ROUNDS (tests)."""
    value = (os.environ if environ is None else environ).get(ROUNDS_ENV, "").strip()
    if not value:
        return DEFAULT_ROUNDS
    try:
        rounds = int(value)
    except ValueError as exc:
        raise InvalidKeyInput(f"{ROUNDS_ENV} must be a whole number such as {DEFAULT_ROUNDS}") from exc
    if rounds < LOWEST_ROUNDS:
        raise InvalidKeyInput(f"{ROUNDS_ENV} must be at least {LOWEST_ROUNDS}")
    return rounds


def check_passphrase_strength(passphrase: bytes) -> None:
    """Outside development a passphrase has at least 12 characters (PassphraseTooWeak otherwise)."""
    try:
        length = len(passphrase.decode("utf-8"))
    except UnicodeDecodeError:
        length = len(passphrase)
    if length < MIN_PASSPHRASE_LENGTH:
        raise PassphraseTooWeak(
            f"the key passphrase has {length} characters: choose one of at least {MIN_PASSPHRASE_LENGTH} "
            "(a few random words) and set it in IMMUNIZE_KEY_PASSPHRASE"
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _header_bytes(header: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(header), sort_keys=True, separators=(",", ":")).encode("utf-8")


def _derive(passphrase: bytes, salt: bytes, iterations: int) -> bytes:
    return PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations).derive(
        passphrase
    )


def protect(key: Any, passphrase: bytes, *, rounds: int | None = None) -> bytes:
    """The private key in the protected container (JSON bytes)."""
    iterations = rounds if rounds is not None else kdf_rounds()
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    header = {"format": FORMAT, "version": VERSION, "kdf": KDF, "iterations": iterations, "salt": _b64(salt)}
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    sealed = AESGCM(_derive(passphrase, salt, iterations)).encrypt(nonce, plain, _header_bytes(header))
    document = {**header, "cipher": CIPHER, "nonce": _b64(nonce), "ciphertext": _b64(sealed)}
    return json.dumps(document, indent=1, sort_keys=True).encode("utf-8") + b"\n"


def is_legacy(data: bytes) -> bool:
    """A PKCS#8 PEM written before the container (PBKDF2 with 2,048 rounds): `immunize keys migrate`."""
    return data.lstrip().startswith(LEGACY_PEM_PREFIX)


def rounds_of(data: bytes) -> int:
    """The PBKDF2 rounds protecting this file (2,048 for a legacy PEM)."""
    if is_legacy(data):
        return 2_048
    return int(_document(data, "key file")["iterations"])


def _document(data: bytes, where: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError("not a protected key")
        if (
            document.get("version") != VERSION
            or document.get("kdf") != KDF
            or document.get("cipher") != CIPHER
        ):
            raise ValueError("unsupported protection")
        if not isinstance(document.get("iterations"), int) or document["iterations"] < LOWEST_ROUNDS:
            raise ValueError("too few rounds")
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeyStoreCorrupt(f"{where} is not a protected private key: restore it from its backup") from exc
    return document


def unprotect(data: bytes, passphrase: bytes, *, where: str = "the key file") -> Any:
    """The private key in `data` (the container, or a legacy PKCS#8 PEM); WrongPassphrase if it does not open."""
    wrong = WrongPassphrase(
        f"the passphrase does not open {where}: set IMMUNIZE_KEY_PASSPHRASE to the passphrase "
        "the keys were created with"
    )
    if is_legacy(data):
        try:
            return serialization.load_pem_private_key(data, password=passphrase)
        except (ValueError, TypeError) as exc:
            raise wrong from exc
    document = _document(data, where)
    header = {name: document[name] for name in ("format", "version", "kdf", "iterations", "salt")}
    try:
        salt = base64.b64decode(document["salt"], validate=True)
        nonce = base64.b64decode(document["nonce"], validate=True)
        sealed = base64.b64decode(document["ciphertext"], validate=True)
    except (binascii.Error, TypeError, KeyError) as exc:
        raise KeyStoreCorrupt(f"{where} is damaged: restore it from its backup") from exc
    try:
        plain = AESGCM(_derive(passphrase, salt, int(document["iterations"]))).decrypt(
            nonce, sealed, _header_bytes(header)
        )
    except InvalidTag as exc:
        raise wrong from exc
    try:
        return serialization.load_der_private_key(plain, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyStoreCorrupt(f"{where} holds no private key: restore it from its backup") from exc
