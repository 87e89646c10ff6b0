"""The key store keeps private keys encrypted and private, rotates with overlap, and revokes for good."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from keys.errors import (
    InvalidKeyInput,
    KeyFileMissing,
    KeyNotUsable,
    KeyRevoked,
    KeysAlreadyExist,
    KeysNotInitialised,
    KeyStoreCorrupt,
    PassphraseMissing,
    UnknownKey,
    WrongPassphrase,
)
from keys.signing import load_current_signer, load_signer
from keys.store import KeyStore

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
PASSPHRASE = "correct horse battery staple"
DAY = timedelta(days=1)


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    key_store = KeyStore(tmp_path / "keys")
    key_store.init(PASSPHRASE, NOW, signing_period=timedelta(days=730), grace=timedelta(days=365))
    return key_store


def key_files(store: KeyStore) -> list[Path]:
    return sorted(store.path.glob("*.key.json"))


def test_private_keys_are_protected_files_only_the_owner_can_read(store: KeyStore) -> None:
    files = key_files(store)

    assert len(files) == 2  # the CSCA's and the first DSC's
    for path in files:
        data = path.read_bytes()
        assert json.loads(data)["format"] == "immunize-protected-key"
        assert b"PRIVATE KEY" not in data
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o700


def test_the_manifest_records_each_dsc_with_its_period_and_status(store: KeyStore) -> None:
    manifest = json.loads((store.path / "manifest.json").read_text())

    [document] = manifest["documents"]
    assert manifest["current"] == document["kid"]
    assert document["status"] == "active"
    assert document["algorithm"] == "ES256"
    assert document["not_before"] == int(NOW.timestamp())
    assert document["signing_until"] == int((NOW + timedelta(days=730)).timestamp())
    assert document["not_after"] == int((NOW + timedelta(days=730 + 365)).timestamp())
    certificate = x509.load_pem_x509_certificate((store.path / document["certificate"]).read_bytes())
    assert certificate.not_valid_after_utc == NOW + timedelta(days=1095)


def test_the_current_signer_loads_with_the_right_passphrase(store: KeyStore) -> None:
    signer = load_current_signer(store.path, PASSPHRASE, NOW + DAY)

    assert signer.kid.hex() == json.loads((store.path / "manifest.json").read_text())["current"]
    assert len(signer.sign(b"data")) == 64


def test_a_wrong_passphrase_says_which_variable_to_set(store: KeyStore) -> None:
    with pytest.raises(
        WrongPassphrase, match="set IMMUNIZE_KEY_PASSPHRASE to the passphrase the keys were created with"
    ):
        load_current_signer(store.path, "not the passphrase", NOW)


def test_an_empty_passphrase_is_refused(store: KeyStore) -> None:
    with pytest.raises(PassphraseMissing, match="IMMUNIZE_KEY_PASSPHRASE"):
        load_current_signer(store.path, "", NOW)


def test_a_missing_key_directory_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(KeysNotInitialised, match="run `immunize keys init`"):
        load_current_signer(tmp_path / "nowhere", PASSPHRASE, NOW)
    (tmp_path / "empty").mkdir()
    with pytest.raises(KeysNotInitialised, match="run `immunize keys init`"):
        load_current_signer(tmp_path / "empty", PASSPHRASE, NOW)


def test_a_missing_key_file_is_named(store: KeyStore) -> None:
    signer = load_current_signer(store.path, PASSPHRASE, NOW)
    (store.path / f"dsc-{signer.kid.hex()}.key.json").unlink()

    with pytest.raises(KeyFileMissing, match=f"dsc-{signer.kid.hex()}.key.json is missing"):
        load_current_signer(store.path, PASSPHRASE, NOW)


def test_a_tampered_certificate_or_manifest_is_detected(store: KeyStore) -> None:
    signer = load_current_signer(store.path, PASSPHRASE, NOW)
    csca = (store.path / "csca.crt.pem").read_bytes()
    (store.path / f"dsc-{signer.kid.hex()}.crt.pem").write_bytes(csca)
    with pytest.raises(KeyStoreCorrupt, match="not the certificate the manifest names"):
        load_current_signer(store.path, PASSPHRASE, NOW)

    (store.path / "manifest.json").write_text("{not json")
    with pytest.raises(KeyStoreCorrupt, match="restore the key directory"):
        load_current_signer(store.path, PASSPHRASE, NOW)


def test_init_refuses_to_overwrite_existing_keys(store: KeyStore) -> None:
    before = (store.path / "manifest.json").read_bytes()

    with pytest.raises(KeysAlreadyExist, match="immunize keys rotate"):
        store.init(PASSPHRASE, NOW)
    assert (store.path / "manifest.json").read_bytes() == before


def test_rotation_signs_with_the_new_key_and_keeps_the_old_one_trusted(store: KeyStore) -> None:
    old = load_current_signer(store.path, PASSPHRASE, NOW)
    later = NOW + timedelta(days=200)

    new_record = store.rotate(PASSPHRASE, later)
    new = load_current_signer(store.path, PASSPHRASE, later)

    assert new.kid == new_record.kid != old.kid
    statuses = {record.kid: record.status for record in store.documents()}
    assert statuses == {old.kid: "retired", new.kid: "active"}
    assert [record.kid for record, _ in store.trusted_documents(later)] == [old.kid, new.kid]
    with pytest.raises(KeyNotUsable, match="retired"):
        load_signer(store.path, old.kid, PASSPHRASE, later)


def test_a_retired_dsc_leaves_the_trust_list_when_it_expires(store: KeyStore) -> None:
    old = load_current_signer(store.path, PASSPHRASE, NOW)
    store.rotate(PASSPHRASE, NOW + timedelta(days=700))
    old_expiry = NOW + timedelta(days=1095)

    assert old.kid in [record.kid for record, _ in store.trusted_documents(old_expiry - DAY)]
    assert old.kid not in [record.kid for record, _ in store.trusted_documents(old_expiry)]


def test_a_key_past_its_signing_period_must_be_rotated(store: KeyStore) -> None:
    with pytest.raises(KeyNotUsable, match="run `immunize keys rotate`"):
        load_current_signer(store.path, PASSPHRASE, NOW + timedelta(days=730))
    with pytest.raises(KeyNotUsable, match="check the system clock"):
        load_current_signer(store.path, PASSPHRASE, NOW - DAY)


def test_a_revoked_key_leaves_the_trust_list_and_can_no_longer_sign(store: KeyStore) -> None:
    old = load_current_signer(store.path, PASSPHRASE, NOW)
    store.rotate(PASSPHRASE, NOW + DAY)

    revoked = store.revoke(old.kid, "compromise", NOW + 2 * DAY)

    assert (revoked.status, revoked.reason) == ("revoked", "compromise")
    assert old.kid not in [record.kid for record, _ in store.trusted_documents(NOW + 2 * DAY)]
    with pytest.raises(KeyRevoked, match="compromise"):
        load_signer(store.path, old.kid, PASSPHRASE, NOW + 2 * DAY)
    assert load_current_signer(store.path, PASSPHRASE, NOW + 2 * DAY).kid != old.kid


def test_revoking_the_current_key_leaves_nothing_to_sign_with_until_rotation(store: KeyStore) -> None:
    current = load_current_signer(store.path, PASSPHRASE, NOW)

    store.revoke(current.kid, "superseded", NOW + DAY)

    with pytest.raises(KeyNotUsable, match="run `immunize keys rotate`"):
        load_current_signer(store.path, PASSPHRASE, NOW + DAY)
    assert store.trusted_documents(NOW + DAY) == []
    store.rotate(PASSPHRASE, NOW + DAY)
    assert load_current_signer(store.path, PASSPHRASE, NOW + DAY).kid != current.kid


def test_revocation_needs_a_known_kid_and_reason(store: KeyStore) -> None:
    current = load_current_signer(store.path, PASSPHRASE, NOW)

    with pytest.raises(InvalidKeyInput, match="compromise"):
        store.revoke(current.kid, "bored", NOW)
    with pytest.raises(UnknownKey, match="immunize keys list"):
        store.revoke(b"\x00" * 8, "compromise", NOW)
    store.revoke(current.kid, "cessation", NOW)
    with pytest.raises(InvalidKeyInput, match="already revoked"):
        store.revoke(current.kid, "compromise", NOW)


def test_rotation_to_ps256_keeps_an_es256_csca(store: KeyStore) -> None:
    store.rotate(PASSPHRASE, NOW + DAY, "PS256")

    signer = load_current_signer(store.path, PASSPHRASE, NOW + DAY)

    assert signer.algorithm == -37
    x509.load_der_x509_certificate(signer.certificate_der).verify_directly_issued_by(store.csca_certificate())


def test_rotation_needs_the_right_passphrase(store: KeyStore) -> None:
    with pytest.raises(WrongPassphrase):
        store.rotate("wrong", NOW + DAY)
    assert len(store.documents()) == 1
