"""An independent reader of HC1 strings for the tests: base45 library, zlib, cbor2 and cryptography only."""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from dataclasses import dataclass
from typing import Any

import base45
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


@dataclass(frozen=True)
class Decoded:
    """What an EU DCC reader sees in an HC1 string."""

    protected: dict[int, Any]
    unprotected: dict[Any, Any]
    claims: dict[int, Any]
    signature: bytes
    to_be_signed: bytes

    @property
    def dcc(self) -> dict[str, Any]:
        return self.claims[-260][1]  # type: ignore[no-any-return]

    @property
    def issued_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.claims[6], dt.UTC)

    @property
    def expires_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.claims[4], dt.UTC)


def decode(hc1: str) -> Decoded:
    """Unprefix, base45-decode, inflate and parse the COSE_Sign1 of an HC1 string (no verification)."""
    assert hc1.startswith("HC1:")
    cose = zlib.decompress(base45.b45decode(hc1[4:]))
    message = cbor2.loads(cose)
    assert isinstance(message, cbor2.CBORTag)
    assert message.tag == 18
    protected_bytes, unprotected, payload, signature = message.value
    to_be_signed = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
    return Decoded(
        cbor2.loads(protected_bytes), dict(unprotected), cbor2.loads(payload), signature, to_be_signed
    )


def verify_signature(decoded: Decoded, certificate_der: bytes) -> None:
    """Raise unless the signature verifies with the certificate's key and the kid names the certificate."""
    assert decoded.protected[4] == hashlib.sha256(certificate_der).digest()[:8]
    key = x509.load_der_x509_certificate(certificate_der).public_key()
    if decoded.protected[1] == -7:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        assert len(decoded.signature) == 64
        r = int.from_bytes(decoded.signature[:32], "big")
        s = int.from_bytes(decoded.signature[32:], "big")
        key.verify(encode_dss_signature(r, s), decoded.to_be_signed, ec.ECDSA(hashes.SHA256()))
    else:
        assert decoded.protected[1] == -37
        assert isinstance(key, rsa.RSAPublicKey)
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        key.verify(decoded.signature, decoded.to_be_signed, pss, hashes.SHA256())
