"""An independent COSE_Sign1 reader for the tests: cbor2 and cryptography only, no code of keys/."""

from __future__ import annotations

from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

LIST_SIGNING = x509.ObjectIdentifier("2.25.112380698561778753552740446666779278916")


def list_signer_of(protected: dict[int, Any], anchor: x509.Certificate) -> x509.Certificate:
    """The x5chain certificate of a list, checked as a list signer the anchor issued."""
    signer = x509.load_der_x509_certificate(protected[33])
    signer.verify_directly_issued_by(anchor)
    assert signer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usages = list(signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert usages == [LIST_SIGNING]
    assert signer.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    return signer


def read_verified(
    message: bytes, signer_certificate: x509.Certificate
) -> tuple[dict[int, Any], dict[str, Any]]:
    """Check the tagged COSE_Sign1 against the certificate's public key; return (protected header, payload).

    A message carrying x5chain (33) must be signed by that certificate, itself a list signer that
    `signer_certificate` (then the anchor) issued.
    """
    tagged = cbor2.loads(message)
    assert isinstance(tagged, cbor2.CBORTag)
    assert tagged.tag == 18
    protected_bstr, unprotected, payload_bstr, signature = tagged.value
    assert unprotected == {}
    protected = cbor2.loads(protected_bstr)
    if 33 in protected:
        signer_certificate = list_signer_of(protected, signer_certificate)
    to_be_signed = cbor2.dumps(["Signature1", protected_bstr, b"", payload_bstr])
    public = signer_certificate.public_key()
    if protected[1] == -7:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        assert len(signature) == 64
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        public.verify(encode_dss_signature(r, s), to_be_signed, ec.ECDSA(hashes.SHA256()))
    else:
        assert protected[1] == -37
        assert isinstance(public, rsa.RSAPublicKey)
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        public.verify(signature, to_be_signed, pss, hashes.SHA256())
    return protected, cbor2.loads(payload_bstr)
