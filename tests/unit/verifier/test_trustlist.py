"""A venue loads the signed trust list of keys/, pinned to the national CSCA, and keeps it fresh."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import cbor2
import pytest

from tests.unit.verifier.pki import (
    NOW,
    issue,
    make_csca,
    make_dsc,
    revocation_list_payload,
    sample_dcc,
    signed_list,
    trust_list_payload,
)
from verifier import TrustList, VerificationError, verify
from verifier.trustlist import uci_hash

CSCA = make_csca()
DSC = make_dsc(CSCA)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def trust_file(tmp_path: Path, signer=CSCA, x5chain: bool = False, **payload) -> Path:  # type: ignore[no-untyped-def]
    return write(
        tmp_path, "trust.cbor", signed_list(signer, trust_list_payload([DSC.der], **payload), x5chain)
    )


def load_error(path: Path, anchor: bytes = CSCA.der, **options) -> VerificationError:  # type: ignore[no-untyped-def]
    with pytest.raises(VerificationError) as caught:
        TrustList.load(path, anchor=anchor, **options)
    assert caught.value.reason == "trust_list"
    return caught.value


def test_a_list_signed_by_the_pinned_csca_is_trusted(tmp_path: Path) -> None:
    trust = TrustList.load(trust_file(tmp_path), anchor=CSCA.der)
    assert verify(issue(DSC), trust, now=NOW).kid == DSC.kid


def test_the_anchor_may_be_given_as_pem_bytes_or_text(tmp_path: Path) -> None:
    path = trust_file(tmp_path)
    assert TrustList.load(path, anchor=CSCA.pem).candidates(DSC.kid)
    assert TrustList.load(path, anchor=CSCA.pem.decode()).candidates(DSC.kid)


def test_a_list_signed_by_a_list_signer_the_csca_issued_is_trusted(tmp_path: Path) -> None:
    list_signer = make_dsc(CSCA, usages=None, seed=21)
    trust = TrustList.load(trust_file(tmp_path, signer=list_signer, x5chain=True), anchor=CSCA.der)
    assert verify(issue(DSC), trust, now=NOW).kid == DSC.kid


def test_the_list_signer_must_be_valid_at_check_time(tmp_path: Path) -> None:
    short_lived = make_dsc(CSCA, usages=None, seed=22, valid_until=NOW + timedelta(hours=1))
    trust = TrustList.load(trust_file(tmp_path, signer=short_lived, x5chain=True), anchor=CSCA.der)
    assert verify(issue(DSC), trust, now=NOW).kind == "v"
    with pytest.raises(VerificationError) as caught:
        verify(issue(DSC), trust, now=NOW + timedelta(hours=2))
    assert caught.value.reason == "trust_list"


def test_a_list_signer_from_another_csca_is_refused(tmp_path: Path) -> None:
    foreign = make_dsc(make_csca(seed=9), usages=None, seed=23)
    error = load_error(trust_file(tmp_path, signer=foreign, x5chain=True))
    assert "not issued by the trusted anchor" in str(error)


def test_a_list_signed_by_another_key_is_refused(tmp_path: Path) -> None:
    load_error(trust_file(tmp_path, signer=make_csca(seed=9)))


def test_a_list_whose_content_was_altered_is_refused(tmp_path: Path) -> None:
    message = cbor2.loads(signed_list(CSCA, trust_list_payload([DSC.der])))
    protected, unprotected, payload, signature = message.value
    content = cbor2.loads(payload)
    content["certificates"].append({"kid": b"12345678", "der": b"evil"})
    altered = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(content), signature]))
    load_error(write(tmp_path, "trust.cbor", altered))


@pytest.mark.parametrize("garbage", [b"", b"\x00", b"\xd2\x84", b"not cbor at all", cbor2.dumps({"type": 1})])
def test_a_corrupt_file_is_refused(tmp_path: Path, garbage: bytes) -> None:
    load_error(write(tmp_path, "trust.cbor", garbage))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert "could not be read" in str(load_error(tmp_path / "absent.cbor"))


def test_a_bad_anchor_is_refused(tmp_path: Path) -> None:
    load_error(trust_file(tmp_path), anchor=b"not a certificate")


@pytest.mark.parametrize(
    ("field", "value"),
    [("type", "immunize-revocation-list"), ("version", 2), ("sequence", "1"), ("next_update", "soon")],
)
def test_a_list_with_wrong_fields_is_refused(tmp_path: Path, field: str, value: object) -> None:
    payload = trust_list_payload([DSC.der])
    payload[field] = value
    load_error(write(tmp_path, "trust.cbor", signed_list(CSCA, payload)))


def test_an_entry_whose_kid_does_not_match_its_certificate_is_refused(tmp_path: Path) -> None:
    payload = trust_list_payload([DSC.der])
    payload["certificates"][0]["kid"] = b"\x00" * 8
    load_error(write(tmp_path, "trust.cbor", signed_list(CSCA, payload)))


def test_past_next_update_warns_then_fails_after_the_grace(tmp_path: Path) -> None:
    path = trust_file(tmp_path, next_update=NOW)
    trust = TrustList.load(path, anchor=CSCA.der, grace=timedelta(days=2))
    assert verify(issue(DSC), trust, now=NOW).warnings == ()
    late = verify(issue(DSC), trust, now=NOW + timedelta(days=1))
    assert len(late.warnings) == 1
    assert "due for an update" in late.warnings[0]
    with pytest.raises(VerificationError) as caught:
        verify(issue(DSC), trust, now=NOW + timedelta(days=2, seconds=1))
    assert caught.value.reason == "trust_list"


def test_a_revoked_certificate_is_refused_and_others_pass(tmp_path: Path) -> None:
    revoked_ci = "URN:UVCI:01:VN:REVOKED1#B"
    revocations = write(tmp_path, "revoked.cbor", signed_list(CSCA, revocation_list_payload([revoked_ci])))
    trust = TrustList.load(trust_file(tmp_path), anchor=CSCA.der, revocation_list=revocations)
    assert trust.is_revoked(revoked_ci)
    assert uci_hash(revoked_ci) in trust.revoked
    with pytest.raises(VerificationError) as caught:
        verify(issue(DSC, sample_dcc(ci=revoked_ci)), trust, now=NOW)
    assert caught.value.reason == "revoked"
    assert verify(issue(DSC, sample_dcc(ci="URN:UVCI:01:VN:GOOD0001#C")), trust, now=NOW).kind == "v"


def test_an_unsigned_or_stale_revocation_list_is_refused(tmp_path: Path) -> None:
    forged = write(tmp_path, "revoked.cbor", signed_list(make_csca(seed=9), revocation_list_payload([])))
    load_error(trust_file(tmp_path), revocation_list=forged)
    stale = write(
        tmp_path,
        "stale.cbor",
        signed_list(CSCA, revocation_list_payload([], next_update=NOW - timedelta(days=30))),
    )
    trust = TrustList.load(trust_file(tmp_path), anchor=CSCA.der, revocation_list=stale)
    with pytest.raises(VerificationError) as caught:
        verify(issue(DSC), trust, now=NOW)
    assert caught.value.reason == "trust_list"
    assert "revocation list" in str(caught.value)


def test_from_certificates_refuses_what_is_not_a_certificate() -> None:
    with pytest.raises(VerificationError) as caught:
        TrustList.from_certificates([b"\x30\x03\x02\x01\x01"])
    assert caught.value.reason == "trust_list"
