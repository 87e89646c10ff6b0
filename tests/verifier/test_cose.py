"""The hand-written Sig_structure encoding is byte for byte what a CBOR library writes."""

from __future__ import annotations

import cbor2
from hypothesis import given
from hypothesis import strategies as st

from verifier.cose import Sign1


@given(
    st.binary(max_size=300),
    st.sampled_from([0, 1, 23, 24, 255, 256, 65535, 65536, 70000]),
    st.binary(max_size=30),
)
def test_sig_structure_matches_cbor2(protected: bytes, payload_size: int, tail: bytes) -> None:
    payload = b"p" * payload_size + tail
    expected = cbor2.dumps(["Signature1", protected, b"", payload])
    assert Sign1(protected, {}, payload, b"").signed_bytes() == expected
