"""The COSE_Sign1 envelope built from precomputed parts is byte for byte what cbor2 writes for it."""

from __future__ import annotations

import cbor2
from hypothesis import given
from hypothesis import strategies as st

from credentials.cose import ES256, PS256, sign1


class RecordingSigner:
    """A document signer that returns a fixed signature and remembers what it was asked to sign."""

    def __init__(self, algorithm: int, kid: bytes, signature: bytes) -> None:
        self.algorithm = algorithm
        self.kid = kid
        self.certificate_der = b""
        self.signature = signature
        self.signed: list[bytes] = []

    def sign(self, sig_structure: bytes) -> bytes:
        self.signed.append(sig_structure)
        return self.signature


@given(
    st.sampled_from([ES256, PS256]),
    st.binary(min_size=1, max_size=40),
    st.sampled_from([0, 1, 23, 24, 255, 256, 65535, 65536]),
    st.binary(max_size=20),
    st.binary(min_size=1, max_size=300),
)
def test_the_message_and_the_signed_bytes_are_what_cbor2_writes(
    algorithm: int, kid: bytes, size: int, tail: bytes, rsa_signature: bytes
) -> None:
    payload = b"\x00" * size + tail
    signature = bytes(range(64)) if algorithm == ES256 else rsa_signature
    signer = RecordingSigner(algorithm, kid, signature)
    message = sign1(payload, signer)
    protected = cbor2.dumps({1: algorithm, 4: kid})
    assert signer.signed == [cbor2.dumps(["Signature1", protected, b"", payload])]
    assert message == cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
