"""A border officer checks certificates signed by keys the verifier trusts, and every way they can fail."""

from __future__ import annotations

import zlib
from datetime import timedelta

import base45
import cbor2
import pytest
from cryptography import x509

from tests.unit.verifier.pki import (
    NOW,
    OID_TEST,
    OID_VACCINATION,
    PS256,
    claims,
    hc1_from_cose,
    issue,
    make_csca,
    make_dsc,
    sample_dcc,
    sign1,
)
from verifier import TrustList, VerificationError, verify
from verifier.errors import ALL_REASONS
from verifier.pipeline import MAX_INFLATED_BYTES


@pytest.fixture(scope="module")
def dsc():  # type: ignore[no-untyped-def]
    return make_dsc(make_csca())


@pytest.fixture(scope="module")
def trust(dsc) -> TrustList:  # type: ignore[no-untyped-def]
    return TrustList.from_certificates([dsc.der])


def reason_of(hc1: object, trust: TrustList, now=NOW) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(VerificationError) as caught:
        verify(hc1, trust, now=now)
    assert caught.value.reason in ALL_REASONS
    assert str(caught.value).endswith("."), "the message is a sentence"
    return caught.value.reason


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa"])
def test_a_certificate_signed_with_each_supported_key_verifies(kind: str) -> None:
    signer = make_dsc(make_csca(), kind=kind, seed=7)
    result = verify(issue(signer), TrustList.from_certificates([signer.der]), now=NOW)
    assert result.kind == "v"
    assert result.kid == signer.kid
    assert result.issuer == "VN"
    assert result.issued_at == NOW - timedelta(days=30)
    assert result.expires_at == NOW + timedelta(days=300)
    assert result.dcc == sample_dcc()
    assert result.certificate_id == "URN:UVCI:01:VN:TEST0001#A"
    assert result.warnings == ()


def test_untagged_and_cwt_tagged_envelopes_verify(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    payload = cbor2.dumps(claims(sample_dcc()))
    untagged = sign1(dsc, payload, tag=False)
    assert verify(hc1_from_cose(untagged), trust, now=NOW).kind == "v"
    tagged = cbor2.loads(sign1(dsc, payload))
    wrapped = cbor2.dumps(cbor2.CBORTag(61, tagged))
    assert verify(hc1_from_cose(wrapped), trust, now=NOW).kind == "v"


def test_kid_in_the_unprotected_header_is_used_when_the_protected_one_has_none(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    payload = cbor2.dumps(claims(sample_dcc()))
    message = sign1(dsc, payload, protected={1: -7}, unprotected={4: dsc.kid})
    assert verify(hc1_from_cose(message), trust, now=NOW).kid == dsc.kid


def test_the_protected_kid_wins_over_the_unprotected_one(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    payload = cbor2.dumps(claims(sample_dcc()))
    wrong_protected = sign1(dsc, payload, protected={1: -7, 4: b"foo"}, unprotected={4: dsc.kid})
    assert reason_of(hc1_from_cose(wrong_protected), trust) == "unknown_kid"
    right_protected = sign1(dsc, payload, protected={1: -7, 4: dsc.kid}, unprotected={4: b"foo"})
    assert verify(hc1_from_cose(right_protected), trust, now=NOW).kid == dsc.kid


def test_every_certificate_sharing_a_kid_is_tried(dsc) -> None:  # type: ignore[no-untyped-def]
    other = make_dsc(make_csca(), seed=3)
    trust = TrustList.from_certificates([other.der, dsc.der])
    trust.keys[dsc.kid] = [trust.keys[other.kid][0], *trust.keys[dsc.kid]]  # a colliding kid, first in line
    assert verify(issue(dsc), trust, now=NOW).kid == dsc.kid


def test_bytes_and_surrounding_whitespace_are_accepted(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    hc1 = issue(dsc)
    assert verify(hc1.encode("ascii"), trust, now=NOW).kind == "v"
    assert verify(f"  {hc1}\n", trust, now=NOW).kind == "v"


def test_the_check_time_must_be_aware(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError):
        verify(issue(dsc), trust, now=NOW.replace(tzinfo=None))


def test_a_missing_trust_list_is_a_trust_list_error(dsc) -> None:  # type: ignore[no-untyped-def]
    assert reason_of(issue(dsc), None) == "trust_list"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "prefix"),
        ("HC2:6BFOXN", "prefix"),
        (None, "prefix"),
        (12345, "prefix"),
        ("HC1:" + "A" * 9000, "prefix"),
        ("HC1:ab~", "base45"),
        ("HC1:ÄÖ", "base45"),
        ("HC1:A", "base45"),
        ("HC1:GGW", "base45"),  # 'GGW' is 65535 + 1: beyond two bytes
        ("HC1:" + base45.b45encode(b"not zlib at all").decode(), "compression"),
        ("HC1:" + base45.b45encode(zlib.compress(b"\xff\xff"))[:-3].decode(), "compression"),
        ("HC1:" + base45.b45encode(zlib.compress(b"\xff\xff")).decode(), "cbor"),
        ("HC1:" + base45.b45encode(zlib.compress(cbor2.dumps([1, 2, 3]))).decode(), "cose"),
        ("HC1:" + base45.b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(98, [])))).decode(), "cose"),
    ],
)
def test_malformed_text_fails_at_its_stage(text: object, reason: str, trust: TrustList) -> None:
    assert reason_of(text, trust) == reason


def test_a_decompression_bomb_is_refused(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    bomb = zlib.compress(b"\0" * (MAX_INFLATED_BYTES + 1), 9)
    assert len(bomb) < 1000
    assert reason_of("HC1:" + base45.b45encode(bomb).decode(), trust) == "compression"
    exactly_limit = zlib.compress(b"\0" * MAX_INFLATED_BYTES, 9)
    assert reason_of("HC1:" + base45.b45encode(exactly_limit).decode(), trust) != "compression"


def test_an_unknown_signer_is_reported_by_kid(trust) -> None:  # type: ignore[no-untyped-def]
    stranger = make_dsc(make_csca(seed=5), seed=5)
    assert reason_of(issue(stranger), trust) == "unknown_kid"


def test_a_tampered_payload_fails_the_signature(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    message = cbor2.loads(sign1(dsc, cbor2.dumps(claims(sample_dcc()))))
    protected, unprotected, _, sig = message.value
    forged = cbor2.dumps(claims(sample_dcc(dn=3, sd=2)))
    tampered = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, forged, sig]))
    assert reason_of(hc1_from_cose(tampered), trust) == "signature"


def test_a_declared_algorithm_that_does_not_match_the_key_fails(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    mislabelled = sign1(dsc, cbor2.dumps(claims(sample_dcc())), alg=PS256)
    assert reason_of(hc1_from_cose(mislabelled), trust) == "signature"


def test_an_unsupported_algorithm_is_a_cose_error(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    eddsa = sign1(dsc, cbor2.dumps(claims(sample_dcc())), protected={1: -8, 4: dsc.kid})
    assert reason_of(hc1_from_cose(eddsa), trust) == "cose"


def test_validity_is_iat_to_exp_inclusive_without_clock_skew(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    hc1 = issue(dsc, issued_at=NOW, expires_at=NOW + timedelta(days=1))
    strict = timedelta(0)
    assert verify(hc1, trust, now=NOW, clock_skew=strict).kind == "v"
    assert verify(hc1, trust, now=NOW + timedelta(days=1), clock_skew=strict).kind == "v"
    for now, reason in (
        (NOW - timedelta(seconds=1), "not_yet_valid"),
        (NOW + timedelta(days=1, seconds=1), "expired"),
    ):
        with pytest.raises(VerificationError) as caught:
            verify(hc1, trust, now=now, clock_skew=strict)
        assert caught.value.reason == reason


def test_a_phone_clock_five_minutes_off_is_tolerated_by_default(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    hc1 = issue(dsc, issued_at=NOW, expires_at=NOW + timedelta(days=1))
    assert verify(hc1, trust, now=NOW - timedelta(minutes=5)).kind == "v"
    assert verify(hc1, trust, now=NOW + timedelta(days=1, minutes=5)).kind == "v"
    assert reason_of(hc1, trust, now=NOW - timedelta(minutes=5, seconds=1)) == "not_yet_valid"
    assert reason_of(hc1, trust, now=NOW + timedelta(days=1, minutes=5, seconds=1)) == "expired"
    wider = timedelta(minutes=30)
    assert verify(hc1, trust, now=NOW - timedelta(minutes=29), clock_skew=wider).kind == "v"


def test_a_certificate_issued_outside_its_signers_validity_is_refused() -> None:
    signer = make_dsc(make_csca(), seed=15, valid_from=NOW - timedelta(days=10))
    trust = TrustList.from_certificates([signer.der])
    before_the_signer = issue(signer, issued_at=NOW - timedelta(days=11))
    assert reason_of(before_the_signer, trust) == "signer_validity"
    assert verify(issue(signer, issued_at=NOW - timedelta(days=9)), trust, now=NOW).kind == "v"


def test_an_expired_or_not_yet_valid_signer_is_reported_as_such() -> None:
    signer = make_dsc(make_csca(), seed=16, valid_from=NOW - timedelta(days=100), valid_until=NOW)
    trust = TrustList.from_certificates([signer.der])
    hc1 = issue(signer, issued_at=NOW - timedelta(days=50), expires_at=NOW + timedelta(days=300))
    assert verify(hc1, trust, now=NOW).kind == "v"
    assert reason_of(hc1, trust, now=NOW + timedelta(days=1)) == "signer_expired"
    assert reason_of(hc1, trust, now=NOW - timedelta(days=101)) in {"not_yet_valid", "signer_not_yet_valid"}
    early = issue(signer, issued_at=NOW - timedelta(days=100), expires_at=NOW + timedelta(days=300))
    assert reason_of(early, trust, now=NOW - timedelta(days=100, minutes=6)) == "not_yet_valid"


def test_float_times_are_accepted(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    payload = claims(sample_dcc())
    payload[6] = float(payload[6]) + 0.5
    payload[4] = float(payload[4])
    assert verify(hc1_from_cose(sign1(dsc, cbor2.dumps(payload))), trust, now=NOW).kind == "v"


@pytest.mark.parametrize("missing", [4, 6, -260])
def test_claims_without_times_or_payload_fail_as_cbor(dsc, trust, missing: int) -> None:  # type: ignore[no-untyped-def]
    payload = claims(sample_dcc())
    del payload[missing]
    assert reason_of(hc1_from_cose(sign1(dsc, cbor2.dumps(payload))), trust) == "cbor"


def test_a_test_only_signer_may_not_sign_vaccinations() -> None:
    test_signer = make_dsc(make_csca(), usages=(OID_TEST,), seed=11)
    trust = TrustList.from_certificates([test_signer.der])
    assert reason_of(issue(test_signer), trust) == "key_usage"


def test_the_mistaken_oid_arc_and_an_absent_eku_both_count() -> None:
    mistaken = make_dsc(make_csca(), usages=("1.3.6.1.4.1.0.1847.2021.1.2",), seed=12)
    assert verify(issue(mistaken), TrustList.from_certificates([mistaken.der]), now=NOW).kind == "v"
    no_eku = make_dsc(make_csca(), usages=None, seed=13)
    assert verify(issue(no_eku), TrustList.from_certificates([no_eku.der]), now=NOW).kind == "v"
    vaccination_only = make_dsc(make_csca(), usages=(OID_VACCINATION,), seed=14)
    assert (
        verify(issue(vaccination_only), TrustList.from_certificates([vaccination_only.der]), now=NOW).kind
        == "v"
    )


def test_a_payload_off_schema_fails_as_schema(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    no_birth_date = sample_dcc()
    del no_birth_date["dob"]
    assert reason_of(issue(dsc, no_birth_date), trust) == "schema"
    two_groups = sample_dcc()
    two_groups["r"] = [{"tg": "840539006"}]
    assert reason_of(issue(dsc, two_groups), trust) == "schema"
    empty_group = sample_dcc()
    empty_group["v"] = []
    assert reason_of(issue(dsc, empty_group), trust) == "schema"
    bad_version = sample_dcc()
    bad_version["ver"] = "one"
    assert reason_of(issue(dsc, bad_version), trust) == "schema"


def test_every_version_is_checked_against_the_newest_release(dsc, trust) -> None:  # type: ignore[no-untyped-def]
    for ver in ("1.0.0", "1.3.9", "2.0.0"):
        payload = sample_dcc()
        payload["ver"] = ver
        assert verify(issue(dsc, payload), trust, now=NOW).schema_version == "1.3.3"


def _eku_der(*oids: str) -> bytes:
    """The DER of an ExtendedKeyUsage value naming these OIDs."""
    return x509.ExtendedKeyUsage([x509.ObjectIdentifier(oid) for oid in oids]).public_bytes()


@pytest.mark.parametrize(
    "misplaced",
    [
        x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), _eku_der(OID_VACCINATION)),
        x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(OID_VACCINATION), None)]),
    ],
    ids=["eku-bytes-in-a-private-extension", "vaccination-oid-as-a-policy"],
)
def test_an_eu_oid_outside_the_eku_extension_does_not_count(misplaced: x509.ExtensionType) -> None:
    test_only = make_dsc(make_csca(), usages=(OID_TEST,), seed=17, extensions=(misplaced,))
    assert OID_VACCINATION.encode() not in test_only.der  # the OID is there in DER form only
    trust = TrustList.from_certificates([test_only.der])
    assert trust.candidates(test_only.kid)[0].types == frozenset({"t"})
    assert reason_of(issue(test_only), trust) == "key_usage"


def test_an_eku_naming_only_other_purposes_allows_every_type() -> None:
    server = make_dsc(make_csca(), usages=("1.3.6.1.5.5.7.3.1",), seed=18)
    assert TrustList.from_certificates([server.der]).candidates(server.kid)[0].types == {"v", "t", "r"}
