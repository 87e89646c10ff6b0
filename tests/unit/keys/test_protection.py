"""Issue 12, item 8: private keys under PBKDF2-HMAC-SHA256 (600,000 rounds) + AES-256-GCM, migrated.

The container is opened here with hashlib and AESGCM directly (not through keys.protection), so the
test checks the format as documented, not the code against itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keys.errors import KeyStoreCorrupt, PassphraseTooWeak, WrongPassphrase
from keys.protection import ROUNDS_ENV, protect, unprotect
from keys.signing import load_current_signer
from keys.store import KeyStore

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
PASSPHRASE = "correct horse battery staple"


def open_independently(data: bytes, passphrase: str) -> bytes:
    """The PKCS#8 DER inside a protected key file, decrypted as the module docstring describes it."""
    document = json.loads(data)
    header = {name: document[name] for name in ("format", "version", "kdf", "iterations", "salt")}
    key = hashlib.pbkdf2_hmac(
        "sha256", passphrase.encode(), base64.b64decode(document["salt"]), document["iterations"], 32
    )
    associated = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return AESGCM(key).decrypt(
        base64.b64decode(document["nonce"]), base64.b64decode(document["ciphertext"]), associated
    )


def test_by_default_keys_get_600000_pbkdf2_sha256_rounds_and_aes_256_gcm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ROUNDS_ENV, raising=False)  # the production cost, not the tests' cheaper one
    store = KeyStore(tmp_path / "keys")
    store.init(PASSPHRASE, NOW)
    for path in sorted(store.path.glob("*.key.json")):
        document = json.loads(path.read_bytes())
        assert (document["kdf"], document["cipher"]) == ("pbkdf2-sha256", "aes-256-gcm")
        assert document["iterations"] >= 600_000
        assert len(base64.b64decode(document["salt"])) == 16
        key = serialization.load_der_private_key(open_independently(path.read_bytes(), PASSPHRASE), None)
        assert key is not None
    assert list(store.path.glob("*.pem")) == [store.path / "csca.crt.pem"] or all(
        p.name.endswith(".crt.pem") for p in store.path.glob("*.pem")
    )
    assert store.needs_migration() == []


def test_lowering_the_rounds_in_the_file_breaks_it(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    store.init(PASSPHRASE, NOW)
    path = next(store.path.glob("dsc-*.key.json"))
    document = json.loads(path.read_bytes())
    document["iterations"] = 1000 if document["iterations"] != 1000 else 1001
    path.write_text(json.dumps(document))
    with pytest.raises(InvalidTag):
        open_independently(path.read_bytes(), PASSPHRASE)
    with pytest.raises(WrongPassphrase):
        load_current_signer(store.path, PASSPHRASE, NOW)


def test_a_damaged_file_is_reported_as_damaged(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreCorrupt):
        unprotect(b'{"format": "something else"}', b"x" * 12)


def test_protect_round_trips_and_refuses_a_wrong_passphrase() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    data = protect(key, PASSPHRASE.encode(), rounds=1000)
    assert unprotect(data, PASSPHRASE.encode()).private_numbers() == key.private_numbers()
    with pytest.raises(WrongPassphrase):
        unprotect(data, b"not the passphrase")


@pytest.mark.parametrize("passphrase", ["short", "eleven char"])
def test_production_keys_refuse_a_passphrase_under_12_characters(tmp_path: Path, passphrase: str) -> None:
    with pytest.raises(PassphraseTooWeak, match="at least 12"):
        KeyStore(tmp_path / "keys").init(passphrase, NOW)
    assert not (tmp_path / "keys" / "manifest.json").exists()


def test_development_keys_may_keep_a_short_passphrase(tmp_path: Path) -> None:
    KeyStore(tmp_path / "keys").init("dev", NOW, development=True)


def legacy_store(path: Path, passphrase: str = PASSPHRASE) -> KeyStore:
    """A key store as written before issue 12: the keys as PKCS#8 PEM (BestAvailableEncryption)."""
    store = KeyStore(path)
    store.init(passphrase, NOW)
    for protected in sorted(path.glob("*.key.json")):
        key = unprotect(protected.read_bytes(), passphrase.encode())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase.encode()),
        )
        protected.with_name(protected.name.replace(".key.json", ".key.pem")).write_bytes(pem)
        protected.unlink()
    return store


def test_a_legacy_store_still_signs_but_asks_to_be_migrated(tmp_path: Path) -> None:
    store = legacy_store(tmp_path / "keys")
    assert sorted(store.needs_migration()) == sorted(p.name for p in store.path.glob("*.key.pem"))
    assert len(load_current_signer(store.path, PASSPHRASE, NOW).sign(b"data")) == 64


def test_keys_migrate_rewrites_every_key_and_removes_the_weak_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import _register, immunize

    store = legacy_store(tmp_path / "keys")
    kid = load_current_signer(store.path, PASSPHRASE, NOW).kid
    monkeypatch.setenv("IMMUNIZE_KEY_PASSPHRASE", PASSPHRASE)
    _register()
    result = CliRunner().invoke(immunize, ["keys", "migrate", "--key-dir", str(store.path)])
    assert result.exit_code == 0, result.output
    assert "2 key files rewritten" in result.output
    assert list(store.path.glob("*.key.pem")) == []
    assert store.needs_migration() == []
    assert load_current_signer(store.path, PASSPHRASE, NOW).kid == kid
    again = CliRunner().invoke(immunize, ["keys", "migrate", "--key-dir", str(store.path)])
    assert "already protected" in again.output


def test_keys_migrate_can_move_a_weak_passphrase_to_a_strong_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import _register, immunize

    store = legacy_store(tmp_path / "keys")
    # A store made before the length rule could have a short passphrase: write one like that.
    for path in sorted(store.path.glob("*.key.pem")):
        key = serialization.load_pem_private_key(path.read_bytes(), PASSPHRASE.encode())
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"weak"),
            )
        )
    monkeypatch.setenv("IMMUNIZE_KEY_PASSPHRASE", "weak")
    monkeypatch.setenv("IMMUNIZE_NEW_KEY_PASSPHRASE", "short")
    monkeypatch.setenv("IMMUNIZE_LANGUAGE", "en")
    _register()
    refused = CliRunner().invoke(
        immunize, ["keys", "migrate", "--key-dir", str(store.path), "--new-passphrase"]
    )
    assert refused.exit_code == 3  # invalid
    assert "at least 12" in refused.output
    monkeypatch.setenv("IMMUNIZE_NEW_KEY_PASSPHRASE", PASSPHRASE)
    result = CliRunner().invoke(
        immunize, ["keys", "migrate", "--key-dir", str(store.path), "--new-passphrase"]
    )
    assert result.exit_code == 0, result.output
    with pytest.raises(WrongPassphrase):
        load_current_signer(store.path, "weak", NOW)
    assert load_current_signer(store.path, PASSPHRASE, NOW) is not None
