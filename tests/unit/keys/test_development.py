"""`make run` gets development keys on first start, and is told loudly that they are not for production."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keys.development import ensure_development_keys
from keys.errors import PassphraseMissing, WrongPassphrase
from keys.settings import DEVELOPMENT_PASSPHRASE
from keys.signing import load_current_signer, signer_from_environment
from keys.store import KeyStore

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_first_start_creates_development_keys_with_the_well_known_passphrase(tmp_path: Path) -> None:
    lines: list[str] = []

    store = ensure_development_keys(tmp_path / "keys", NOW, environ={}, warn=lines.append)

    assert store.manifest().development
    assert load_current_signer(store.path, DEVELOPMENT_PASSPHRASE, NOW).algorithm == -7
    assert any("DEVELOPMENT KEYS" in line and "production" in line for line in lines)
    assert any("IMMUNIZE_KEY_PASSPHRASE is unset" in line and "PUBLIC" in line for line in lines)


def test_a_set_passphrase_protects_development_keys_too(tmp_path: Path) -> None:
    lines: list[str] = []

    store = ensure_development_keys(
        tmp_path / "keys", NOW, environ={"IMMUNIZE_KEY_PASSPHRASE": "my dev secret"}, warn=lines.append
    )

    assert load_current_signer(store.path, "my dev secret", NOW)
    with pytest.raises(WrongPassphrase):
        load_current_signer(store.path, DEVELOPMENT_PASSPHRASE, NOW)
    assert not any("PUBLIC" in line for line in lines)
    assert any("DEVELOPMENT KEYS" in line for line in lines)


def test_later_starts_reuse_the_keys_and_still_warn(tmp_path: Path) -> None:
    first = ensure_development_keys(tmp_path / "keys", NOW, environ={}, warn=lambda _line: None)
    kid = load_current_signer(first.path, DEVELOPMENT_PASSPHRASE, NOW).kid
    lines: list[str] = []

    ensure_development_keys(tmp_path / "keys", NOW + timedelta(days=3), environ={}, warn=lines.append)

    assert load_current_signer(first.path, DEVELOPMENT_PASSPHRASE, NOW + timedelta(days=3)).kid == kid
    assert len(first.documents()) == 1
    assert any("DEVELOPMENT KEYS" in line for line in lines)


def test_development_keys_past_their_signing_period_are_rotated(tmp_path: Path) -> None:
    store = ensure_development_keys(tmp_path / "keys", NOW, environ={}, warn=lambda _line: None)
    much_later = NOW + timedelta(days=800)

    ensure_development_keys(store.path, much_later, environ={}, warn=lambda _line: None)

    assert len(store.documents()) == 2
    assert load_current_signer(store.path, DEVELOPMENT_PASSPHRASE, much_later)


def test_a_production_key_store_is_left_alone(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    store.init("production passphrase", NOW)
    before = (store.path / "manifest.json").read_bytes()
    lines: list[str] = []

    ensure_development_keys(store.path, NOW + timedelta(days=900), environ={}, warn=lines.append)

    assert (store.path / "manifest.json").read_bytes() == before
    assert lines == []


def test_the_signer_from_the_environment_opens_development_keys_without_a_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ensure_development_keys(tmp_path / "keys", NOW, environ={}, warn=lambda _line: None)
    monkeypatch.setenv("IMMUNIZE_KEY_DIR", str(store.path))
    monkeypatch.delenv("IMMUNIZE_KEY_PASSPHRASE", raising=False)

    signer = signer_from_environment(NOW)

    assert signer.kid == load_current_signer(store.path, DEVELOPMENT_PASSPHRASE, NOW).kid


def test_the_signer_from_the_environment_needs_the_passphrase_for_production_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = KeyStore(tmp_path / "keys")
    store.init("production passphrase", NOW)
    monkeypatch.delenv("IMMUNIZE_KEY_PASSPHRASE", raising=False)

    with pytest.raises(PassphraseMissing, match="IMMUNIZE_KEY_PASSPHRASE is not set"):
        signer_from_environment(NOW, store.path)
    monkeypatch.setenv("IMMUNIZE_KEY_PASSPHRASE", "production passphrase")
    assert signer_from_environment(NOW, store.path).algorithm == -7
