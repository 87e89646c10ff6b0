"""The signing API credentials/ relies on: kid, COSE algorithm, raw ES256 and PS256 signatures that verify."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from keys.errors import InvalidKeyInput
from keys.signing import DocumentSigner, Signer, generate_test_pki

NOW = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
SIG_STRUCTURE = b"\x84jSignature1C\xa1\x01&@Dpayload"


def verify_es256(certificate_der: bytes, data: bytes, signature: bytes) -> None:
    """Verify a COSE ES256 signature (raw r||s) with nothing but cryptography."""
    public = x509.load_der_x509_certificate(certificate_der).public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    public.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))


def verify_ps256(certificate_der: bytes, data: bytes, signature: bytes) -> None:
    """Verify a COSE PS256 signature (RSASSA-PSS, SHA-256, salt 32) with nothing but cryptography."""
    public = x509.load_der_x509_certificate(certificate_der).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(
        signature, data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()
    )


def test_an_es256_document_signer_signs_64_raw_bytes_that_verify() -> None:
    signer = generate_test_pki(NOW).document_signer

    signature = signer.sign(SIG_STRUCTURE)

    assert signer.algorithm == -7
    assert len(signature) == 64
    verify_es256(signer.certificate_der, SIG_STRUCTURE, signature)
    with pytest.raises(InvalidSignature):
        verify_es256(signer.certificate_der, SIG_STRUCTURE + b"x", signature)


def test_a_ps256_document_signer_signs_with_pss_salt_32_that_verifies() -> None:
    signer = generate_test_pki(NOW, "PS256").document_signer

    signature = signer.sign(SIG_STRUCTURE)

    assert signer.algorithm == -37
    assert len(signature) == 256  # RSA-2048
    verify_ps256(signer.certificate_der, SIG_STRUCTURE, signature)
    with pytest.raises(InvalidSignature):
        verify_ps256(signer.certificate_der, SIG_STRUCTURE + b"x", signature)


@pytest.mark.parametrize("algorithm", ["ES256", "PS256"])
def test_the_kid_is_the_first_8_bytes_of_sha256_of_the_certificate_der(algorithm: str) -> None:
    pki = generate_test_pki(NOW, algorithm)

    for signer in (pki.document_signer, pki.csca_signer):
        assert signer.kid == hashlib.sha256(signer.certificate_der).digest()[:8]
    assert pki.document_signer.kid != pki.csca_signer.kid


def test_the_test_pki_dsc_is_issued_by_its_csca() -> None:
    pki = generate_test_pki(NOW)

    dsc = x509.load_der_x509_certificate(pki.document_signer.certificate_der)

    dsc.verify_directly_issued_by(pki.csca_certificate)
    assert isinstance(pki.document_signer, DocumentSigner)
    assert pki.csca_der == pki.csca_signer.certificate_der


def test_a_signer_refuses_a_key_that_is_not_its_certificates() -> None:
    one, other = generate_test_pki(NOW), generate_test_pki(NOW)

    with pytest.raises(InvalidKeyInput, match="does not belong"):
        Signer(other.document_signer._private_key, one.document_signer.certificate)


def test_the_csca_cannot_pose_as_a_document_signer() -> None:
    pki = generate_test_pki(NOW)

    with pytest.raises(InvalidKeyInput, match="vaccination"):
        DocumentSigner(pki.csca_signer._private_key, pki.csca_certificate)


def test_time_must_be_timezone_aware() -> None:
    with pytest.raises(InvalidKeyInput, match="timezone-aware"):
        generate_test_pki(datetime(2026, 11, 22, 8, 30))  # naive on purpose
