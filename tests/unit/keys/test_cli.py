"""`immunize keys ...` from a shell: init, rotate, revoke, list, export, trust-list, revocation-list."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509

from cli.keys_commands import keys
from tests.unit.keys.cose_reader import read_verified

PASSPHRASE = "cli passphrase for tests"
NOW = "2026-11-22T08:00:00+00:00"
LATER = "2026-12-01T08:00:00+00:00"


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


def run(*args: str, passphrase: str | None = PASSPHRASE, key_dir: Path | None = None) -> Result:
    env = {
        "IMMUNIZE_KEY_PASSPHRASE": passphrase or "",
        "IMMUNIZE_KEY_DIR": str(key_dir) if key_dir else "",
        "IMMUNIZE_LANGUAGE": "en",
    }
    return CliRunner().invoke(keys, list(args), env=env)


def kids(key_dir: Path) -> list[str]:
    listing = run("list", "--key-dir", str(key_dir), "--now", LATER).output
    return [line.split()[1] for line in listing.splitlines() if line.startswith("DSC")]


def test_init_creates_a_key_store_in_the_key_dir_from_the_environment(key_dir: Path) -> None:
    result = run("init", "--now", NOW, key_dir=key_dir)

    assert result.exit_code == 0, result.output
    assert "Current signing key" in result.output
    assert stat.S_IMODE((key_dir / "csca.key.json").stat().st_mode) == 0o600
    assert len(kids(key_dir)) == 1


def test_init_without_a_passphrase_fails_in_one_line(key_dir: Path) -> None:
    result = run("init", "--key-dir", str(key_dir), passphrase=None)

    assert result.exit_code == 7  # unavailable: the key store cannot be opened
    assert result.output.strip().splitlines() == [
        "Error: IMMUNIZE_KEY_PASSPHRASE is not set: set it to the passphrase that protects the signing keys "
        "(for a new key store, choose one and keep it in your secret manager)"
    ]
    assert not (key_dir / "manifest.json").exists()


def test_a_wrong_passphrase_is_one_line_and_exit_7(key_dir: Path) -> None:
    run("init", "--key-dir", str(key_dir), "--now", NOW)

    result = run("rotate", "--key-dir", str(key_dir), "--now", LATER, passphrase="guess")

    assert result.exit_code == 7  # unavailable: the key store cannot be opened
    assert len(result.output.strip().splitlines()) == 1
    assert "set IMMUNIZE_KEY_PASSPHRASE to the passphrase the keys were created with" in result.output


def test_no_keys_yet_says_to_run_init(key_dir: Path) -> None:
    result = run("list", "--key-dir", str(key_dir))

    assert result.exit_code == 7  # unavailable: the key store cannot be opened
    assert "run `immunize keys init`" in result.output


def test_rotate_then_revoke_the_old_key_and_publish_a_trust_list(key_dir: Path, tmp_path: Path) -> None:
    run("init", "--key-dir", str(key_dir), "--now", NOW)
    assert run("rotate", "--key-dir", str(key_dir), "--now", LATER, "--algorithm", "PS256").exit_code == 0
    old, new = kids(key_dir)

    revoked = run("revoke", old, "--reason", "compromise", "--key-dir", str(key_dir), "--now", LATER)
    published = run(
        "trust-list", "--out", str(tmp_path / "trust.cose"), "--key-dir", str(key_dir), "--now", LATER
    )

    assert revoked.exit_code == 0, revoked.output
    assert published.exit_code == 0, published.output
    csca = x509.load_pem_x509_certificate((key_dir / "csca.crt.pem").read_bytes())
    _, payload = read_verified((tmp_path / "trust.cose").read_bytes(), csca)
    assert [entry["kid"].hex() for entry in payload["certificates"]] == [new]
    assert payload["sequence"] == 1
    listing = run("list", "--key-dir", str(key_dir), "--now", LATER).output
    assert "revoked (compromise)" in listing
    assert "PS256" in listing


def test_revoke_rejects_a_malformed_kid(key_dir: Path) -> None:
    run("init", "--key-dir", str(key_dir), "--now", NOW)

    result = run("revoke", "xyz", "--reason", "compromise", "--key-dir", str(key_dir))

    assert result.exit_code == 2
    assert "16 hexadecimal digits" in result.output


def test_export_writes_each_valid_certificate_as_der_and_pem(key_dir: Path, tmp_path: Path) -> None:
    run("init", "--key-dir", str(key_dir), "--now", NOW)
    run("rotate", "--key-dir", str(key_dir), "--now", LATER)
    out = tmp_path / "export"

    result = run("export", "--out", str(out), "--key-dir", str(key_dir), "--now", LATER)

    assert result.exit_code == 0, result.output
    stems = {f"dsc-{kid}" for kid in kids(key_dir)} | {"csca"}
    assert {path.name for path in out.iterdir()} == {
        f"{stem}.{ext}" for stem in stems for ext in ("der", "pem")
    }
    for stem in stems:
        from_der = x509.load_der_x509_certificate((out / f"{stem}.der").read_bytes())
        assert from_der == x509.load_pem_x509_certificate((out / f"{stem}.pem").read_bytes())
    assert not any(b"PRIVATE KEY" in path.read_bytes() for path in out.iterdir())


def test_revocation_list_from_a_file_of_ucis(key_dir: Path, tmp_path: Path) -> None:
    run("init", "--key-dir", str(key_dir), "--now", NOW)
    ucis = tmp_path / "revoked.txt"
    ucis.write_text("URN:UVCI:01:VN:A1B2C3#4\nURN:UVCI:01:VN:D5E6F7#8\n", "utf-8")

    result = run(
        "revocation-list", "--out", str(tmp_path / "rl.cose"), "--revoked-ucis", str(ucis),
        "--key-dir", str(key_dir), "--now", LATER,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    csca = x509.load_pem_x509_certificate((key_dir / "csca.crt.pem").read_bytes())
    _, payload = read_verified((tmp_path / "rl.cose").read_bytes(), csca)
    expected = sorted(hashlib.sha256(uci.encode()).digest()[:16] for uci in ucis.read_text().split())
    assert payload["hashes"] == expected


def test_revocation_list_without_a_file_reads_the_ledger(
    key_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    run("init", "--key-dir", str(key_dir), "--now", NOW)

    result = run(
        "revocation-list", "--out", str(tmp_path / "rl.cose"), "--key-dir", str(key_dir), "--now", NOW
    )

    assert result.exit_code == 0, result.output
    assert "with 0 UCIs" in result.output
    assert (tmp_path / "rl.cose").exists()


def test_development_init_works_without_a_passphrase_and_warns(key_dir: Path) -> None:
    result = run("init", "--development", "--key-dir", str(key_dir), "--now", NOW, passphrase=None)

    assert result.exit_code == 0, result.output
    assert "DEVELOPMENT KEYS" in result.output
    rotated = run("rotate", "--key-dir", str(key_dir), "--now", LATER, passphrase=None)
    assert rotated.exit_code == 0, rotated.output
    assert "DEVELOPMENT KEYS" in run("list", "--key-dir", str(key_dir)).output
