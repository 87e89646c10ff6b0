"""The CSCA and DSC certificates carry what EU DCC verifiers look for: CA flags, key usage, EKU, validity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from keys.errors import InvalidKeyInput
from keys.signing import generate_test_pki

NOW = datetime(2026, 11, 22, 8, 30, 15, 123456, tzinfo=UTC)
VACCINATION = ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.2")


def certificates(
    algorithm: str = "ES256",
    csca_validity: timedelta = timedelta(days=3650),
    signing_period: timedelta = timedelta(days=730),
    grace: timedelta = timedelta(days=365),
) -> tuple[x509.Certificate, x509.Certificate]:
    pki = generate_test_pki(
        NOW, algorithm, csca_validity=csca_validity, signing_period=signing_period, grace=grace
    )
    csca = x509.load_der_x509_certificate(pki.csca_der)
    dsc = x509.load_der_x509_certificate(pki.document_signer.certificate_der)
    return csca, dsc


def names(certificate: x509.Certificate, oid: ObjectIdentifier) -> list[str]:
    return [str(attribute.value) for attribute in certificate.subject.get_attributes_for_oid(oid)]


@pytest.mark.parametrize("algorithm", ["ES256", "PS256"])
def test_the_csca_is_a_self_signed_ca_that_may_only_sign_certificates(algorithm: str) -> None:
    csca, _dsc = certificates(algorithm)

    csca.verify_directly_issued_by(csca)
    constraints = csca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    usage = csca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign
    assert usage.crl_sign
    assert not usage.digital_signature
    assert names(csca, NameOID.COUNTRY_NAME) == ["VN"]
    assert names(csca, NameOID.ORGANIZATION_NAME) == ["Ministry of Health of Viet Nam"]


@pytest.mark.parametrize(
    ("algorithm", "key_type"), [("ES256", ec.EllipticCurvePublicKey), ("PS256", rsa.RSAPublicKey)]
)
def test_the_dsc_is_issued_by_the_csca_for_vaccination_only(algorithm: str, key_type: type) -> None:
    csca, dsc = certificates(algorithm)

    dsc.verify_directly_issued_by(csca)
    assert dsc.issuer == csca.subject
    assert not dsc.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = dsc.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert not usage.key_cert_sign
    assert list(dsc.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [VACCINATION]
    assert names(dsc, NameOID.COUNTRY_NAME) == ["VN"]
    public = dsc.public_key()
    assert isinstance(public, key_type)
    if isinstance(public, ec.EllipticCurvePublicKey):
        assert public.curve.name == "secp256r1"
    else:
        assert isinstance(public, rsa.RSAPublicKey)
        assert public.key_size == 2048


def test_validity_periods_are_explicit_and_start_at_now() -> None:
    csca, dsc = certificates(
        csca_validity=timedelta(days=3650), signing_period=timedelta(days=730), grace=timedelta(days=365)
    )

    start = NOW.replace(microsecond=0)
    assert csca.not_valid_before_utc == start
    assert csca.not_valid_after_utc == start + timedelta(days=3650)
    assert dsc.not_valid_before_utc == start
    assert dsc.not_valid_after_utc == start + timedelta(days=730 + 365)


def test_a_dsc_never_outlives_its_csca() -> None:
    csca, dsc = certificates(csca_validity=timedelta(days=400), signing_period=timedelta(days=730))

    assert dsc.not_valid_after_utc == csca.not_valid_after_utc


def test_a_non_positive_validity_is_refused() -> None:
    with pytest.raises(InvalidKeyInput, match="positive"):
        generate_test_pki(NOW, signing_period=timedelta(0))


def test_a_list_signer_is_certified_by_the_csca_for_lists_only() -> None:
    from keys.certificates import EKU_LIST_SIGNING
    from keys.publish import list_signer
    from verifier.trustlist import LIST_SIGNING_EKU

    assert EKU_LIST_SIGNING.dotted_string == LIST_SIGNING_EKU  # keys and the verifier agree
    pki = generate_test_pki(NOW, "PS256")
    csca = x509.load_der_x509_certificate(pki.csca_der)
    signer = list_signer(pki.csca_signer, NOW, timedelta(days=7))
    certificate = signer.certificate
    certificate.verify_directly_issued_by(csca)
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        EKU_LIST_SIGNING
    ]
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert not usage.key_cert_sign
    assert certificate.not_valid_before_utc == NOW.replace(microsecond=0)
    assert certificate.not_valid_after_utc == NOW.replace(microsecond=0) + timedelta(days=37)
    assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)  # fresh P-256, whatever the CSCA's
    assert list_signer(pki.csca_signer, NOW, timedelta(days=7)).kid != signer.kid  # a new one per list
    # the CSCA itself may only sign certificates: that is why lists have a signer of their own
    assert not csca.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature


def test_a_list_signer_never_outlives_its_csca() -> None:
    from keys.publish import list_signer

    pki = generate_test_pki(NOW, csca_validity=timedelta(days=10))
    csca = x509.load_der_x509_certificate(pki.csca_der)
    signer = list_signer(pki.csca_signer, NOW, timedelta(days=7))
    assert signer.certificate.not_valid_after_utc == csca.not_valid_after_utc
    with pytest.raises(InvalidKeyInput):
        pki.csca_signer.issue_list_signer(
            ec.generate_private_key(ec.SECP256R1()), NOW + timedelta(days=11), NOW + timedelta(days=12)
        )
