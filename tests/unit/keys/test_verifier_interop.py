"""The verifier's own reader accepts the lists keys/ writes: the agreed format holds on both sides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from keys.publish import issue_revocation_list, issue_trust_list, write_file
from keys.signing import load_current_signer
from keys.store import KeyStore
from verifier.trustlist import TrustList

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
PASSPHRASE = "interop passphrase"
REVOKED = "URN:UVCI:01:VN:REVOKED0001#Q"


def test_the_verifier_loads_our_trust_and_revocation_lists(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    store.init(PASSPHRASE, NOW)
    old = load_current_signer(store.path, PASSPHRASE, NOW)
    store.rotate(PASSPHRASE, NOW + timedelta(days=1))
    new = load_current_signer(store.path, PASSPHRASE, NOW + timedelta(days=1))
    write_file(tmp_path / "trust.cbor", issue_trust_list(store.path, PASSPHRASE, NOW + timedelta(days=1)))
    write_file(
        tmp_path / "revoked.cbor",
        issue_revocation_list(store.path, PASSPHRASE, [REVOKED], NOW + timedelta(days=1)),
    )

    trust = TrustList.load(
        tmp_path / "trust.cbor", (store.path / "csca.crt.pem").read_bytes(), tmp_path / "revoked.cbor"
    )

    assert set(trust.keys) == {old.kid, new.kid}
    # both lists signed by a list signer the CSCA certified, as the verifier requires of non-anchor signers
    assert [info.signed_by.split()[:2] for info in trust.lists] == [["list", "signer"], ["list", "signer"]]
    assert trust.is_revoked(REVOKED)
    assert not trust.is_revoked("URN:UVCI:01:VN:STILLVALID01#A")
    assert trust.check_fresh(NOW + timedelta(days=2)) == []
    assert trust.check_fresh(NOW + timedelta(days=9))  # past next_update: a warning
