"""The trust list and the revocation list are COSE_Sign1 files a verifier checks with the CSCA alone."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from keys.errors import InvalidKeyInput
from keys.lists import build_revocation_list, build_trust_list, uci_hash
from keys.publish import issue_revocation_list, issue_trust_list, read_revoked_ucis
from keys.signing import generate_test_pki, load_current_signer
from keys.store import KeyStore
from tests.unit.keys.cose_reader import read_verified

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
PASSPHRASE = "trust list passphrase"
UCIS = ["URN:UVCI:01:VN:8F2A1C9D0B7E4#K", "URN:UVCI:01:VN:00000000000001#7"]


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    key_store = KeyStore(tmp_path / "keys")
    key_store.init(PASSPHRASE, NOW)
    return key_store


def test_the_trust_list_is_signed_by_a_list_signer_of_the_csca_and_lists_the_current_dsc(
    store: KeyStore,
) -> None:
    signer = load_current_signer(store.path, PASSPHRASE, NOW)

    protected, payload = read_verified(
        issue_trust_list(store.path, PASSPHRASE, NOW), store.csca_certificate()
    )

    # read_verified checked the x5chain certificate: issued by the CSCA, CA=false, list-signing EKU only
    list_signer = x509.load_der_x509_certificate(protected[33])
    assert protected == {1: -7, 4: hashlib.sha256(protected[33]).digest()[:8], 33: protected[33]}
    assert list_signer.issuer == store.csca_certificate().subject
    assert list_signer.not_valid_before_utc == NOW
    assert list_signer.not_valid_after_utc == NOW + timedelta(days=7 + 30)  # next update + margin
    assert payload["type"] == "immunize-trust-list"
    assert payload["version"] == 1
    assert payload["issuer"] == "VN"
    assert payload["issued_at"] == int(NOW.timestamp())
    assert payload["next_update"] == int((NOW + timedelta(days=7)).timestamp())
    assert payload["certificates"] == [{"kid": signer.kid, "der": signer.certificate_der}]


def test_a_trust_list_does_not_verify_with_another_key_or_altered_bytes(store: KeyStore) -> None:
    data = issue_trust_list(store.path, PASSPHRASE, NOW)
    stranger = generate_test_pki(NOW).csca_certificate

    with pytest.raises(InvalidSignature):
        read_verified(data, stranger)
    altered = data.replace(b"immunize-trust-list", b"immunize-trust-lisT")
    with pytest.raises(InvalidSignature):
        read_verified(altered, store.csca_certificate())


def test_rotation_keeps_the_old_dsc_in_the_trust_list_and_revocation_drops_it(store: KeyStore) -> None:
    old = load_current_signer(store.path, PASSPHRASE, NOW)
    store.rotate(PASSPHRASE, NOW + timedelta(days=1))
    new = load_current_signer(store.path, PASSPHRASE, NOW + timedelta(days=1))

    _, rotated = read_verified(
        issue_trust_list(store.path, PASSPHRASE, NOW + timedelta(days=1)), store.csca_certificate()
    )
    store.revoke(old.kid, "compromise", NOW + timedelta(days=2))
    _, revoked = read_verified(
        issue_trust_list(store.path, PASSPHRASE, NOW + timedelta(days=2)), store.csca_certificate()
    )

    assert [entry["kid"] for entry in rotated["certificates"]] == [old.kid, new.kid]
    assert [entry["kid"] for entry in revoked["certificates"]] == [new.kid]


def test_sequence_numbers_grow_with_every_list_and_survive_reopening(store: KeyStore) -> None:
    csca = store.csca_certificate()

    sequences = [
        read_verified(issue_trust_list(store.path, PASSPHRASE, NOW), csca)[1]["sequence"] for _ in range(3)
    ]
    revocations = [
        read_verified(issue_revocation_list(KeyStore(store.path).path, PASSPHRASE, UCIS, NOW), csca)[1][
            "sequence"
        ]
        for _ in range(2)
    ]

    assert sequences == [1, 2, 3]
    assert revocations == [1, 2]
    assert KeyStore(store.path).manifest().sequences == {"trust-list": 3, "revocation-list": 2}


def test_next_update_can_be_a_period_or_a_moment(store: KeyStore) -> None:
    csca = store.csca_certificate()

    _, short = read_verified(issue_trust_list(store.path, PASSPHRASE, NOW, timedelta(hours=6)), csca)
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    _, fixed = read_verified(issue_trust_list(store.path, PASSPHRASE, NOW, moment), csca)

    assert short["next_update"] - short["issued_at"] == 6 * 3600
    assert fixed["next_update"] == int(moment.timestamp())
    with pytest.raises(InvalidKeyInput, match="next_update"):
        issue_trust_list(store.path, PASSPHRASE, NOW, NOW - timedelta(seconds=1))
    assert store.manifest().sequences["trust-list"] == 2


def test_the_revocation_list_carries_the_first_16_bytes_of_sha256_of_each_uci(store: KeyStore) -> None:
    data = issue_revocation_list(store.path, PASSPHRASE, [*UCIS, UCIS[0]], NOW)

    _, payload = read_verified(data, store.csca_certificate())

    expected = sorted(hashlib.sha256(uci.encode("utf-8")).digest()[:16] for uci in UCIS)
    assert payload["type"] == "immunize-revocation-list"
    assert payload["hash_type"] == "UCI"
    assert payload["issuer"] == "VN"
    assert payload["hashes"] == expected
    assert [uci_hash(uci) for uci in UCIS] == [hashlib.sha256(uci.encode()).digest()[:16] for uci in UCIS]


def test_a_bad_uci_spends_no_sequence_number(store: KeyStore) -> None:
    with pytest.raises(InvalidKeyInput, match="spaces"):
        issue_revocation_list(store.path, PASSPHRASE, ["URN:UVCI:01:VN:ABC DEF"], NOW)
    with pytest.raises(InvalidKeyInput, match="1 to 80"):
        issue_revocation_list(store.path, PASSPHRASE, ["U" * 81], NOW)

    assert store.manifest().sequences["revocation-list"] == 0


def test_revoked_ucis_are_read_one_a_line(tmp_path: Path) -> None:
    source = tmp_path / "revoked.txt"
    source.write_text(f"# superseded certificates\n{UCIS[0]}\n\n  {UCIS[1]}  \n", "utf-8")
    assert read_revoked_ucis(source) == UCIS

    source.write_text(f"{UCIS[0]}\nnot\ta uci\n", "utf-8")
    with pytest.raises(InvalidKeyInput, match="line 2"):
        read_revoked_ucis(source)


@pytest.mark.parametrize("algorithm", ["ES256", "PS256"])
def test_lists_built_in_memory_verify_for_either_algorithm(algorithm: str) -> None:
    pki = generate_test_pki(NOW, algorithm)

    protected, trust = read_verified(
        build_trust_list(pki.csca_signer, [pki.document_signer.certificate_der], 5, NOW), pki.csca_certificate
    )
    _, revocation = read_verified(build_revocation_list(pki.csca_signer, UCIS, 9, NOW), pki.csca_certificate)

    assert protected[1] == (-7 if algorithm == "ES256" else -37)
    assert protected[4] == pki.csca_signer.kid
    assert trust["sequence"] == 5
    assert trust["certificates"][0]["kid"] == pki.document_signer.kid
    assert revocation["sequence"] == 9


def test_an_expired_certificate_never_enters_a_trust_list() -> None:
    pki = generate_test_pki(NOW, signing_period=timedelta(days=10), grace=timedelta(days=5))

    _, payload = read_verified(
        build_trust_list(pki.csca_signer, [pki.document_signer.certificate_der], 1, NOW + timedelta(days=15)),
        pki.csca_certificate,
    )

    assert payload["certificates"] == []


def test_a_sequence_number_must_be_positive() -> None:
    pki = generate_test_pki(NOW)

    with pytest.raises(InvalidKeyInput, match="positive integer"):
        build_trust_list(pki.csca_signer, [], 0, NOW)
