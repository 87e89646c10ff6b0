"""The hand-written COSE fast paths give byte for byte what cbor2 and cryptography give."""

from __future__ import annotations

import cbor2
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given
from hypothesis import strategies as st

from verifier.cose import Sign1, der_signature, parse_sign1, parse_sign1_generally
from verifier.errors import VerificationError


@given(
    st.binary(max_size=300),
    st.sampled_from([0, 1, 23, 24, 255, 256, 65535, 65536, 70000]),
    st.binary(max_size=30),
)
def test_sig_structure_matches_cbor2(protected: bytes, payload_size: int, tail: bytes) -> None:
    payload = b"p" * payload_size + tail
    expected = cbor2.dumps(["Signature1", protected, b"", payload])
    assert Sign1(protected, {}, payload, b"").signed_bytes() == expected


def test_der_signature_matches_cryptography_on_edge_values() -> None:
    for size in (32, 48, 66):
        for r, s in (
            (0, 0),
            (1, 2 ** (8 * size) - 1),
            (0x80, 0x7F),
            (2 ** (8 * size - 1), 2 ** (8 * size - 9)),
        ):
            raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
            assert der_signature(raw, size) == encode_dss_signature(r, s)


@given(st.sampled_from([32, 48, 66]), st.data())
def test_der_signature_matches_cryptography(size: int, data: st.DataObject) -> None:
    r = data.draw(st.integers(0, 2 ** (8 * size) - 1))
    s = data.draw(st.integers(0, 2 ** (8 * size) - 1))
    raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    assert der_signature(raw, size) == encode_dss_signature(r, s)


def _outcome(parse: object, data: bytes) -> object:
    try:
        return parse(data)  # type: ignore[operator]
    except VerificationError as error:
        return (type(error), error.reason)


header_items = st.one_of(st.integers(-40, 40), st.binary(max_size=10), st.text(max_size=5))


@given(
    st.dictionaries(header_items, header_items, max_size=3),
    st.dictionaries(header_items, header_items, max_size=2),
    st.binary(max_size=70000).filter(lambda b: len(b) < 300 or len(b) > 60000),
    st.binary(max_size=70),
    st.sampled_from([None, 18, 61, 17]),
    st.binary(max_size=3),
)
def test_sign1_fast_path_agrees_with_cbor2(
    protected: dict[object, object],
    unprotected: dict[object, object],
    payload: bytes,
    signature: bytes,
    tag: int | None,
    tail: bytes,
) -> None:
    protected_bytes = cbor2.dumps(protected) if protected else b""
    message: object = [protected_bytes, unprotected, payload, signature]
    if tag is not None:
        message = cbor2.CBORTag(tag, message)
    data = cbor2.dumps(message) + tail
    assert _outcome(parse_sign1, data) == _outcome(parse_sign1_generally, data)


@given(st.binary(max_size=120), st.integers(0, 119), st.binary(min_size=1, max_size=4))
def test_sign1_fast_path_agrees_with_cbor2_on_damaged_bytes(tail: bytes, at: int, damage: bytes) -> None:
    good = cbor2.dumps(
        cbor2.CBORTag(18, [cbor2.dumps({1: -7, 4: b"12345678"}), {}, b"payload" + tail, b"s" * 64])
    )
    cut = at % len(good)
    for data in (good, good[:cut], good[:cut] + damage + good[cut + len(damage) :], good + damage):
        assert _outcome(parse_sign1, data) == _outcome(parse_sign1_generally, data)
