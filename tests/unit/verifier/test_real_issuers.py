"""Genuine certificates shaped the way real issuers wrote them are verified, as the specification allows.

Each shape is built here with the test PKI and signed, so only the shape differs from a plain certificate.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import cbor2
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.unit.verifier.pki import NOW, claims, hc1_from_cose, make_csca, make_dsc, sample_dcc, sign1
from verifier import TrustList, VerificationError, pipeline, verify
from verifier.pipeline import extract_dcc

DSC = make_dsc(make_csca(), seed=30)
TRUST = TrustList.from_certificates([DSC.der])


def signed(payload: dict[Any, Any], **headers: Any) -> str:
    return hc1_from_cose(sign1(DSC, cbor2.dumps(payload), **headers))


def test_an_old_ver_is_checked_against_the_newest_schema() -> None:
    dcc = sample_dcc()
    dcc["ver"] = "1.0.0"
    # 1.0.0 had no "ver"-dependent fields the newest lacks; its strict patterns are not applied
    dcc["v"][0]["is"] = "Ministry of Health of Viet Nam (Bộ Y tế)"
    assert verify(signed(claims(dcc)), TRUST, now=NOW).schema_version == "1.3.3"


def test_a_code_missing_from_todays_value_sets_is_still_authentic() -> None:
    dcc = sample_dcc()
    dcc["v"][0]["mp"] = "Covid-19-recombinant-2026"
    dcc["v"][0]["co"] = "XK"
    assert verify(signed(claims(dcc)), TRUST, now=NOW).dcc["v"][0]["mp"] == "Covid-19-recombinant-2026"


def test_null_groups_are_absent_groups() -> None:
    dcc = sample_dcc()
    dcc.update(t=None, r=None)
    result = verify(signed(claims(dcc)), TRUST, now=NOW)
    assert result.kind == "v"
    assert result.certificate_id == "URN:UVCI:01:VN:TEST0001#A"


def test_only_null_groups_is_not_a_certificate() -> None:
    dcc = sample_dcc()
    dcc["v"] = None
    with pytest.raises(VerificationError) as caught:
        verify(signed(claims(dcc)), TRUST, now=NOW)
    assert caught.value.reason == "schema"


def test_several_entries_in_a_group_are_verified_each_one_checked() -> None:
    dcc = sample_dcc(dn=1, sd=2, dt="2021-06-01")
    dcc["v"].append(dict(dcc["v"][0], dn=2, dt="2021-07-01", ci="URN:UVCI:01:VN:TEST0002#B"))
    result = verify(signed(claims(dcc)), TRUST, now=NOW)
    assert len(result.dcc["v"]) == 2
    dcc["v"][1]["dn"] = "2"  # one malformed entry makes the certificate malformed
    with pytest.raises(VerificationError) as caught:
        verify(signed(claims(dcc)), TRUST, now=NOW)
    assert caught.value.reason == "schema"


def test_cbor_tagged_date_times_tag_0_and_tag_1_are_read_as_rfc3339_text() -> None:
    test_dcc: dict[str, Any] = {
        "ver": "1.3.0",
        "nam": {"fn": "Trần", "fnt": "TRAN", "gnt": "THI<BINH"},
        "dob": "1985-03-02",
        "t": [
            {
                "tg": "840539006",
                "tt": "LP6464-4",
                "nm": "PCR",
                "sc": datetime(2021, 8, 31, 9, 30, tzinfo=UTC),  # cbor2 writes tag 0 (text)
                "tr": "260415000",
                "tc": "Bệnh viện Bạch Mai",
                "co": "VN",
                "is": "Ministry of Health of Viet Nam",
                "ci": "URN:UVCI:01:VN:TEST0003#C",
            }
        ],
    }
    tag0 = cbor2.dumps(claims(test_dcc))
    assert b"\xc0" in tag0
    payload = cbor2.loads(tag0)
    payload[-260][1]["t"][0]["sc"] = cbor2.CBORTag(
        1, int(datetime(2021, 8, 31, 9, 30, tzinfo=UTC).timestamp())
    )
    tag1 = cbor2.dumps(payload)
    for encoded in (tag0, tag1):
        result = verify(hc1_from_cose(sign1(DSC, encoded)), TRUST, now=NOW)
        assert result.dcc["t"][0]["sc"] == "2021-08-31T09:30:00Z"


def test_a_full_date_tag_1004_is_read_as_an_iso_date() -> None:
    dcc = sample_dcc()
    payload = claims(dcc)
    payload[-260][1]["v"][0]["dt"] = date(2021, 8, 1)  # cbor2 writes tag 1004 (RFC 8943)
    assert verify(signed(payload), TRUST, now=NOW).dcc["v"][0]["dt"] == "2021-08-01"


def test_integers_encoded_as_floats_are_integers() -> None:
    payload = claims(sample_dcc())
    payload[-260][1]["v"][0].update(dn=2.0, sd=2.0)
    payload[6] = float(payload[6])
    result = verify(signed(payload), TRUST, now=NOW)
    entry = result.dcc["v"][0]
    assert (entry["dn"], entry["sd"]) == (2, 2)
    assert type(entry["dn"]) is int
    payload[-260][1]["v"][0]["dn"] = 1.5  # a fraction is not a dose number
    with pytest.raises(VerificationError) as caught:
        verify(signed(payload), TRUST, now=NOW)
    assert caught.value.reason == "schema"


def test_unknown_extra_claims_and_fields_are_ignored() -> None:
    payload = claims(sample_dcc())
    payload[7] = b"\x01\x02"  # cti
    payload[-261] = {"something": "national"}
    payload[-260][2] = {"another": "payload kind"}
    payload[-260][1]["x-national"] = {"level": 3}
    payload[-260][1]["v"][0]["lot"] = "A1234"
    assert verify(signed(payload), TRUST, now=NOW).kind == "v"


def test_kid_in_the_unprotected_header_when_the_protected_has_none() -> None:
    hc1 = signed(claims(sample_dcc()), protected={1: -7}, unprotected={4: DSC.kid})
    assert verify(hc1, TRUST, now=NOW).kid == DSC.kid
    no_kid = signed(claims(sample_dcc()), protected={1: -7})
    with pytest.raises(VerificationError) as caught:
        verify(no_kid, TRUST, now=NOW)
    assert caught.value.reason == "cose"


def test_an_issued_at_with_a_fraction_and_a_clock_a_minute_behind() -> None:
    payload = claims(sample_dcc(), issued_at=NOW + timedelta(seconds=60))
    payload[6] = payload[6] + 0.25
    assert verify(signed(payload), TRUST, now=NOW).kind == "v"


def test_claim_times_written_as_tag_1_date_times_are_read() -> None:
    payload = claims(sample_dcc())
    payload[6] = cbor2.CBORTag(1, payload[6])
    payload[4] = cbor2.CBORTag(1, payload[4])
    result = verify(signed(payload), TRUST, now=NOW)
    assert result.issued_at == NOW - timedelta(days=30)


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.replace(microsecond=0))
    | st.dates(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(JSONISH)
def test_the_quick_all_json_test_never_skips_a_conversion(value: Any) -> None:
    payload = cbor2.dumps({-260: {1: {"x": value}}})
    claims_map = cbor2.loads(payload)
    quick = extract_dcc(claims_map, payload)
    assert repr(quick) == repr(extract_dcc(cbor2.loads(payload)))  # repr: 1.0 and 1 differ, as types do
    assert "datetime" not in repr(quick)
    assert "date(" not in repr(quick)


@settings(max_examples=500, deadline=None)
@given(
    st.binary(max_size=64)
    | st.lists(
        st.sampled_from(
            # Each head whole and in pieces, so every head and every near miss (d9 03 without ec) occurs.
            [
                *(b"\xd8\x64", b"\xd9\x03\xec", b"\xd9\x03", b"\xd8", b"\x64", b"\xd9", b"\x03", b"\xec"),
                *(b"\xc0", b"\xc1", b"\xf9", b"\xfa", b"\xfb", b"a"),
            ]
        )
    ).map(b"".join)
)
@example(b"a\xd9\x03\xeca")  # tag 1004 alone
@example(b"a\xd8\x64a")  # tag 100 alone
@example(b"a\xd9\x03a\xec\xd8a\x64")  # the pieces apart: plain
def test_the_all_json_byte_test_matches_the_single_pattern_it_replaced(encoded: bytes) -> None:
    # The byte test as first written: one alternation over every non-JSON CBOR head.
    reference = re.compile(rb"[\xc0\xc1\xf9\xfa\xfb]|\xd8\x64|\xd9\x03\xec")
    assert pipeline._plain_json_bytes(encoded) == (reference.search(encoded) is None)
