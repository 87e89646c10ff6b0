"""A venue loads the signed trust list of keys/, pinned to the national CSCA, and keeps it fresh."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import cbor2
import pytest

from tests.unit.verifier.pki import (
    NOW,
    OID_LIST_SIGNING,
    OID_VACCINATION,
    issue,
    make_csca,
    make_dsc,
    make_list_signer,
    make_self_signed,
    revocation_list_payload,
    sample_dcc,
    signed_list,
    trust_list_payload,
)
from verifier import TrustList, VerificationError, verify
from verifier.trustlist import newest_good, uci_hash

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
    """The refusal of loading the list; it is a one-sentence TrustListError."""
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
    list_signer = make_list_signer(CSCA)
    trust = TrustList.load(trust_file(tmp_path, signer=list_signer, x5chain=True), anchor=CSCA.der)
    assert trust.lists[0].signed_by == f"list signer {list_signer.kid.hex()}"
    assert verify(issue(DSC), trust, now=NOW).kid == DSC.kid


def test_the_reviews_forgery_a_dsc_in_x5chain_signing_a_list_with_its_own_key_is_refused(
    tmp_path: Path,
) -> None:
    """The review's steps: (1) sign the list with a DSC key, (2) put the DSC in header 33, (3) add a key of one's own."""
    forger = make_self_signed()
    forged = signed_list(DSC, trust_list_payload([DSC.der, forger.der]), x5chain=True)
    path = write(tmp_path, "trust.cbor", forged)
    error = load_error(path)
    assert "not a list-signing certificate" in str(error)
    # and the forged list is not half-used either: nothing signed by the forger's key verifies
    genuine = write(tmp_path, "genuine.cbor", signed_list(CSCA, trust_list_payload([DSC.der])))
    trust = TrustList.load(genuine, anchor=CSCA.der)
    with pytest.raises(VerificationError) as caught:
        verify(issue(forger), trust, now=NOW)
    assert caught.value.reason == "unknown_kid"


def test_the_same_forgery_with_the_dsc_named_by_kid_only_is_refused(tmp_path: Path) -> None:
    forger = make_self_signed()
    forged = signed_list(DSC, trust_list_payload([DSC.der, forger.der]), x5chain=False)
    error = load_error(write(tmp_path, "trust.cbor", forged))
    assert DSC.kid.hex() in str(error)
    assert "document signing keys cannot sign lists" in str(error)


def test_a_dsc_listed_in_the_very_list_it_signed_does_not_qualify_by_kid(tmp_path: Path) -> None:
    # The kid of the list's signature names a DSC the list itself carries: still not the anchor.
    forged = signed_list(DSC, trust_list_payload([DSC.der]))
    load_error(write(tmp_path, "trust.cbor", forged))


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"usages": None}, "list-signing extended key usage"),
        ({"usages": ("1.3.6.1.5.5.7.3.3",)}, "list-signing extended key usage"),
        ({"usages": (OID_LIST_SIGNING, OID_VACCINATION)}, "no health certificate usage"),
        ({"ca": True}, "CA=false"),
        ({"ca": None}, "CA=false"),
    ],
    ids=["no-eku", "code-signing-eku", "also-a-dsc", "a-ca", "no-basic-constraints"],
)
def test_a_list_signer_needs_its_own_eku_and_ca_false(
    tmp_path: Path, options: dict[str, object], complaint: str
) -> None:
    signer = make_list_signer(CSCA, seed=51, **options)  # type: ignore[arg-type]
    error = load_error(trust_file(tmp_path, signer=signer, x5chain=True))
    assert complaint in str(error)


def test_the_list_signer_must_be_valid_when_the_list_was_issued(tmp_path: Path) -> None:
    short_lived = make_list_signer(CSCA, seed=52, valid_until=NOW + timedelta(hours=1))
    issued_in_time = trust_file(tmp_path, signer=short_lived, x5chain=True, issued_at=NOW)
    trust = TrustList.load(issued_in_time, anchor=CSCA.der)
    # a list issued while its signer was valid stays good until its own next update (+ grace)
    assert verify(issue(DSC), trust, now=NOW + timedelta(days=2)).kind == "v"
    issued_late = trust_file(tmp_path, signer=short_lived, x5chain=True, issued_at=NOW + timedelta(hours=2))
    error = load_error(issued_late)
    assert "not valid when the list was issued" in str(error)


def test_a_list_signer_from_another_csca_is_refused(tmp_path: Path) -> None:
    foreign = make_list_signer(make_csca(seed=9), seed=23)
    error = load_error(trust_file(tmp_path, signer=foreign, x5chain=True))
    assert "not issued by the trusted anchor" in str(error)


def test_every_dsc_in_a_list_must_be_issued_by_the_anchor(tmp_path: Path) -> None:
    for stranger in (make_self_signed(seed=91), make_dsc(make_csca(seed=9), seed=24)):
        payload = trust_list_payload([DSC.der, stranger.der])
        error = load_error(write(tmp_path, "trust.cbor", signed_list(CSCA, payload)))
        assert stranger.kid.hex() in str(error)
        assert "did not issue" in str(error)


def test_every_dsc_in_a_list_must_be_of_the_anchors_country(tmp_path: Path) -> None:
    elsewhere = make_dsc(CSCA, seed=25, country="FR")
    payload = trust_list_payload([DSC.der, elsewhere.der])
    error = load_error(write(tmp_path, "trust.cbor", signed_list(CSCA, payload)))
    assert "FR instead of VN" in str(error)


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


def test_a_stale_list_is_refused_at_load_naming_the_date(tmp_path: Path) -> None:
    path = trust_file(tmp_path, issued_at=NOW - timedelta(days=20), next_update=NOW - timedelta(days=10))
    error = load_error(path, now=NOW, grace=timedelta(days=7))
    assert "2021-08-22 12:00 UTC" in str(error)  # the next update that was due
    assert "2021-08-29 12:00 UTC" in str(error)  # the end of the grace period
    assert TrustList.load(path, anchor=CSCA.der, now=NOW, grace=timedelta(days=11)).candidates(DSC.kid)


def test_the_verifier_keeps_the_newest_good_list(tmp_path: Path) -> None:
    good = write(tmp_path, "1.cbor", signed_list(CSCA, trust_list_payload([DSC.der], sequence=1)))
    newer_forged = write(
        tmp_path,
        "2.cbor",
        signed_list(DSC, trust_list_payload([DSC.der, make_self_signed().der], sequence=2)),
    )
    newest_stale = write(
        tmp_path,
        "3.cbor",
        signed_list(
            CSCA,
            trust_list_payload(
                [DSC.der],
                sequence=3,
                issued_at=NOW - timedelta(days=30),
                next_update=NOW - timedelta(days=20),
            ),
        ),
    )
    trust, refused = newest_good([good, newer_forged, newest_stale], CSCA.der, NOW)
    assert trust.sequence == 1
    assert [line.split(":")[0] for line in refused] == ["2.cbor", "3.cbor"]
    assert "out of date" in refused[1]
    rotated = make_dsc(CSCA, seed=26)
    newer = write(
        tmp_path, "4.cbor", signed_list(CSCA, trust_list_payload([DSC.der, rotated.der], sequence=4))
    )
    trust, refused = newest_good([good, newer], CSCA.der, NOW)
    assert trust.sequence == 4
    assert refused == []
    with pytest.raises(VerificationError) as caught:
        newest_good([newer_forged], CSCA.der, NOW)
    assert "No usable trust list" in str(caught.value)


def test_rotation_keeps_the_old_dsc_verifiable(tmp_path: Path) -> None:
    old = make_dsc(CSCA, seed=27, valid_from=NOW - timedelta(days=200), valid_until=NOW + timedelta(days=300))
    new = make_dsc(CSCA, seed=28, valid_from=NOW - timedelta(days=1))
    trust = TrustList.load(
        write(tmp_path, "trust.cbor", signed_list(CSCA, trust_list_payload([old.der, new.der]))),
        anchor=CSCA.der,
    )
    signed_before_rotation = issue(
        old, issued_at=NOW - timedelta(days=100), expires_at=NOW + timedelta(days=265)
    )
    assert verify(signed_before_rotation, trust, now=NOW + timedelta(days=3)).kid == old.kid
    assert verify(issue(new, issued_at=NOW), trust, now=NOW + timedelta(days=3)).kid == new.kid


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
        signed_list(
            CSCA,
            revocation_list_payload(
                [], issued_at=NOW - timedelta(days=40), next_update=NOW - timedelta(days=30)
            ),
        ),
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
