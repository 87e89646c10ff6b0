"""X.509 certificates of the signing PKI: the country signing CA (CSCA) and document signers (DSC)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.x509.oid import NameOID, ObjectIdentifier

from keys.algorithms import PSS_SALT_LENGTH, PrivateKey
from keys.errors import InvalidKeyInput

COUNTRY = "VN"
ORGANISATION = "Ministry of Health of Viet Nam"
CSCA_COMMON_NAME = "Viet Nam CSCA"
DSC_COMMON_NAME = "Viet Nam DSC vaccination"

# EU DCC "Technical Specifications for Digital Green Certificates Volume 1", §5.4.1:
# the DSC's extended key usage says which certificate types it may sign.
EKU_VACCINATION = ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.2")
# The list-signing certificate's own extended key usage: the verifier accepts a trust or revocation list
# only from the CSCA or from a certificate the CSCA issued with this usage (and CA=false, no DCC usage).
# A UUID OID (ITU-T X.667, arc 2.25): no registration, no collision with the EU's DCC usages.
EKU_LIST_SIGNING = ObjectIdentifier("2.25.112380698561778753552740446666779278916")
LIST_SIGNER_COMMON_NAME = "Viet Nam list signer"

DEFAULT_CSCA_VALIDITY = timedelta(days=3650)
# How long a DSC signs new certificates before it should be rotated.
DEFAULT_DSC_SIGNING_PERIOD = timedelta(days=730)
# After its signing period a DSC stays valid (and in the trust list) so certificates it signed on its
# last day keep verifying for their own validity (EU DCC: DSC validity exceeds its private key usage).
DEFAULT_DSC_GRACE = timedelta(days=365)
KID_LENGTH = 8


def kid_of(certificate_der: bytes) -> bytes:
    """The COSE kid: the first 8 bytes of SHA-256 of the certificate's DER (EU DCC Volume 1, §3.3.1)."""
    return hashlib.sha256(certificate_der).digest()[:KID_LENGTH]


def utc_seconds(now: datetime) -> datetime:
    """`now` as an aware UTC datetime truncated to whole seconds (X.509 time has second resolution)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidKeyInput("`now` must be a timezone-aware datetime (for example datetime.now(UTC))")
    return now.astimezone(UTC).replace(microsecond=0)


def der(certificate: x509.Certificate) -> bytes:
    """The certificate's DER bytes."""
    return certificate.public_bytes(serialization.Encoding.DER)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _signed(builder: x509.CertificateBuilder, issuer_key: PrivateKey) -> x509.Certificate:
    """Sign with the issuer key: ECDSA-SHA256 for P-256, RSASSA-PSS SHA-256 for RSA (like PS256)."""
    if isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        return builder.sign(issuer_key, hashes.SHA256())
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH)
    return builder.sign(issuer_key, hashes.SHA256(), rsa_padding=pss)


def _check_period(period: timedelta, what: str) -> None:
    if period <= timedelta(0):
        raise InvalidKeyInput(f"the {what} must be a positive duration, got {period}")


def issue_csca(
    key: PrivateKey, now: datetime, validity: timedelta = DEFAULT_CSCA_VALIDITY
) -> x509.Certificate:
    """A self-signed country signing CA valid from `now` for `validity`: CA, may sign certificates only."""
    _check_period(validity, "CSCA validity")
    start = utc_seconds(now)
    name = _name(CSCA_COMMON_NAME)
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    return _signed(builder, key)


@dataclass(frozen=True)
class DscPeriod:
    """When a DSC is valid (X.509 not_before/not_after) and until when it may sign new certificates."""

    not_before: datetime
    signing_until: datetime
    not_after: datetime


def dsc_period(
    now: datetime,
    csca: x509.Certificate,
    signing_period: timedelta = DEFAULT_DSC_SIGNING_PERIOD,
    grace: timedelta = DEFAULT_DSC_GRACE,
) -> DscPeriod:
    """The DSC's periods from `now`, never reaching past the CSCA's own expiry."""
    _check_period(signing_period, "DSC signing period")
    if grace < timedelta(0):
        raise InvalidKeyInput(f"the DSC grace period must not be negative, got {grace}")
    start = utc_seconds(now)
    csca_end = csca.not_valid_after_utc
    if start < csca.not_valid_before_utc or start >= csca_end:
        raise InvalidKeyInput(
            f"the CSCA is valid from {csca.not_valid_before_utc:%Y-%m-%d} to {csca_end:%Y-%m-%d} and cannot "
            f"issue a signing certificate at {start:%Y-%m-%d %H:%M}: issue a new CSCA with `immunize keys init` "
            "in a new key directory"
        )
    not_after = min(start + signing_period + grace, csca_end)
    return DscPeriod(start, min(start + signing_period, not_after), not_after)


def issue_dsc(
    key: PrivateKey,
    csca: x509.Certificate,
    csca_key: PrivateKey,
    period: DscPeriod,
) -> x509.Certificate:
    """A document signing certificate issued by the CSCA, allowed to sign vaccination certificates."""
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{DSC_COMMON_NAME} {period.not_before:%Y-%m-%d}"))
        .issuer_name(csca.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(period.not_before)
        .not_valid_after(period.not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([EKU_VACCINATION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(csca_key.public_key()), critical=False
        )
    )
    return _signed(builder, csca_key)


def issue_list_signer(
    key: PrivateKey,
    csca: x509.Certificate,
    csca_key: PrivateKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    """A list-signing certificate issued by the CSCA: CA=false, digital signature, the list-signing EKU only.

    The CSCA's own key usage is certificate signing (keyCertSign, cRLSign), so it does not sign the
    lists itself: it vouches for this certificate, whose key signs them (keys/publish.py).
    """
    start = utc_seconds(not_before)
    end = min(utc_seconds(not_after), csca.not_valid_after_utc)
    if not csca.not_valid_before_utc <= start < end:
        raise InvalidKeyInput(
            f"a list signer cannot be valid from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} under a CSCA "
            f"valid from {csca.not_valid_before_utc:%Y-%m-%d} to {csca.not_valid_after_utc:%Y-%m-%d}"
        )
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{LIST_SIGNER_COMMON_NAME} {start:%Y-%m-%dT%H%M%S}"))
        .issuer_name(csca.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([EKU_LIST_SIGNING]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(csca_key.public_key()), critical=False
        )
    )
    return _signed(builder, csca_key)
