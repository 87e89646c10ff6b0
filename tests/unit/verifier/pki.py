"""A throwaway PKI for tests, built with cryptography and cbor2 only: CSCA, DSCs, HC1 texts, signed lists.

Independent of keys/ and credentials/ on purpose: the verifier is checked against the agreed
formats, not against the code that also writes them.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import base45
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

NOW = datetime(2021, 9, 1, 12, 0, tzinfo=UTC)
VALID_FROM = datetime(2021, 1, 1, tzinfo=UTC)
VALID_UNTIL = datetime(2023, 1, 1, tzinfo=UTC)
OID_TEST = "1.3.6.1.4.1.1847.2021.1.1"
OID_VACCINATION = "1.3.6.1.4.1.1847.2021.1.2"
OID_RECOVERY = "1.3.6.1.4.1.1847.2021.1.3"
# The list-signing usage agreed between keys/ and the verifier (a UUID OID, ITU-T X.667 arc 2.25).
OID_LIST_SIGNING = "2.25.112380698561778753552740446666779278916"
ES256, PS256 = -7, -37

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class Signer:
    """A private key with its certificate (DER)."""

    key: PrivateKey
    der: bytes

    @property
    def kid(self) -> bytes:
        return hashlib.sha256(self.der).digest()[:8]

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(Encoding.PEM)


def _name(common_name: str, country: str = "VN") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@cache
def _key(kind: str, seed: int) -> PrivateKey:
    """Keys are generated once per (kind, seed) and reused across tests (RSA generation is slow)."""
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_csca(seed: int = 0) -> Signer:
    """A self-signed country signing CA."""
    key = _key("p256", 1000 + seed)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(f"CSCA VN {seed}"))
        .issuer_name(_name(f"CSCA VN {seed}"))
        .public_key(key.public_key())
        .serial_number(1 + seed)
        .not_valid_before(VALID_FROM - timedelta(days=365))
        .not_valid_after(VALID_UNTIL + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    )
    return Signer(key, builder.sign(key, hashes.SHA256()).public_bytes(Encoding.DER))


def make_dsc(
    csca: Signer,
    kind: str = "p256",
    usages: tuple[str, ...] | None = (OID_VACCINATION, OID_TEST, OID_RECOVERY),
    seed: int = 0,
    valid_from: datetime = VALID_FROM,
    valid_until: datetime = VALID_UNTIL,
    country: str = "VN",
    ca: bool | None = None,
    extensions: tuple[x509.ExtensionType, ...] = (),
) -> Signer:
    """A document signing (or list signing) certificate issued by the CSCA; usages=None: no EKU.

    `ca` adds BasicConstraints (None: none); `extensions` adds more (non-critical) extensions.
    """
    key = _key(kind, seed)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(f"DSC {kind} {seed}", country))
        .issuer_name(csca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(100 + seed)
        .not_valid_before(valid_from)
        .not_valid_after(valid_until)
    )
    if usages is not None:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier(oid) for oid in usages]), critical=False
        )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    assert isinstance(csca.key, ec.EllipticCurvePrivateKey)
    return Signer(key, builder.sign(csca.key, hashes.SHA256()).public_bytes(Encoding.DER))


def make_list_signer(
    csca: Signer,
    seed: int = 50,
    usages: tuple[str, ...] | None = (OID_LIST_SIGNING,),
    ca: bool | None = False,
    valid_from: datetime = VALID_FROM,
    valid_until: datetime = VALID_UNTIL,
) -> Signer:
    """A dedicated list-signing certificate issued by the CSCA: its own EKU, CA=false."""
    return make_dsc(csca, usages=usages, seed=seed, ca=ca, valid_from=valid_from, valid_until=valid_until)


def make_self_signed(seed: int = 90, country: str = "VN") -> Signer:
    """A key of the forger's own, certifying itself (subject = issuer), with every DCC usage."""
    key = _key("p256", seed)
    name = _name(f"Forger {seed}", country)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(900 + seed)
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_UNTIL)
        .add_extension(
            x509.ExtendedKeyUsage(
                [x509.ObjectIdentifier(oid) for oid in (OID_VACCINATION, OID_TEST, OID_RECOVERY)]
            ),
            critical=False,
        )
    )
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return Signer(key, builder.sign(key, hashes.SHA256()).public_bytes(Encoding.DER))


def signature(key: PrivateKey, data: bytes, alg: int) -> bytes:
    """A COSE signature: ECDSA raw r||s on the key's curve with SHA-256, or RSASSA-PSS SHA-256."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        size = (key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    return key.sign(data, pss, hashes.SHA256())


def sign1(
    signer: Signer,
    payload: bytes,
    alg: int | None = None,
    protected: dict[int, Any] | None = None,
    unprotected: dict[int, Any] | None = None,
    tag: bool = True,
) -> bytes:
    """A COSE_Sign1 (tag 18) over payload; headers default to {1: alg, 4: kid} protected."""
    if alg is None:
        alg = ES256 if isinstance(signer.key, ec.EllipticCurvePrivateKey) else PS256
    header = {1: alg, 4: signer.kid} if protected is None else protected
    protected_bytes = cbor2.dumps(header) if header else b""
    to_sign = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
    message = [protected_bytes, unprotected or {}, payload, signature(signer.key, to_sign, alg)]
    return cbor2.dumps(cbor2.CBORTag(18, message) if tag else message)


def sample_dcc(
    dn: int = 2, sd: int = 2, dt: str = "2021-08-01", ci: str = "URN:UVCI:01:VN:TEST0001#A"
) -> dict[str, Any]:
    """A Vietnamese vaccination DCC (schema 1.3.0) with real value set codes."""
    return {
        "ver": "1.3.0",
        "nam": {"fn": "Nguyễn", "fnt": "NGUYEN", "gn": "Văn An", "gnt": "VAN<AN"},
        "dob": "1990-01-01",
        "v": [
            {
                "tg": "840539006",
                "vp": "J07BX03",
                "mp": "EU/1/20/1528",
                "ma": "ORG-100030215",
                "dn": dn,
                "sd": sd,
                "dt": dt,
                "co": "VN",
                "is": "Ministry of Health of Viet Nam",
                "ci": ci,
            }
        ],
    }


def claims(
    dcc: dict[str, Any],
    issued_at: datetime = NOW - timedelta(days=30),
    expires_at: datetime = NOW + timedelta(days=300),
) -> dict[int, Any]:
    """CWT claims: 1 issuer, 6 iat, 4 exp, -260 {1: DCC}."""
    return {1: "VN", 6: int(issued_at.timestamp()), 4: int(expires_at.timestamp()), -260: {1: dcc}}


def hc1_from_cose(cose: bytes) -> str:
    """zlib, base45, HC1: prefix."""
    return "HC1:" + base45.b45encode(zlib.compress(cose, 9)).decode("ascii")


def issue(signer: Signer, dcc: dict[str, Any] | None = None, **claim_times: datetime) -> str:
    """An HC1 text signed by signer."""
    payload = cbor2.dumps(claims(dcc or sample_dcc(), **claim_times))
    return hc1_from_cose(sign1(signer, payload))


def signed_list(signer: Signer, payload: dict[str, Any], x5chain: bool = False) -> bytes:
    """A trust/revocation list file: COSE_Sign1 with {1: alg, 4: kid} and optionally {33: signer DER}."""
    alg = ES256 if isinstance(signer.key, ec.EllipticCurvePrivateKey) else PS256
    header: dict[int, Any] = {1: alg, 4: signer.kid}
    if x5chain:
        header[33] = signer.der
    return sign1(signer, cbor2.dumps(payload), protected=header)


def trust_list_payload(
    certificates: list[bytes],
    issued_at: datetime = NOW - timedelta(days=1),
    next_update: datetime = NOW + timedelta(days=6),
    sequence: int = 1,
) -> dict[str, Any]:
    """The agreed trust list content."""
    return {
        "type": "immunize-trust-list",
        "version": 1,
        "issuer": "VN",
        "sequence": sequence,
        "issued_at": int(issued_at.timestamp()),
        "next_update": int(next_update.timestamp()),
        "certificates": [{"kid": hashlib.sha256(der).digest()[:8], "der": der} for der in certificates],
    }


def revocation_list_payload(
    revoked_ucis: list[str],
    issued_at: datetime = NOW - timedelta(days=1),
    next_update: datetime = NOW + timedelta(days=6),
) -> dict[str, Any]:
    """The agreed revocation list content: first 16 bytes of SHA-256 of each UCI."""
    return {
        "type": "immunize-revocation-list",
        "version": 1,
        "issuer": "VN",
        "sequence": 1,
        "issued_at": int(issued_at.timestamp()),
        "next_update": int(next_update.timestamp()),
        "hash_type": "UCI",
        "hashes": [hashlib.sha256(uci.encode()).digest()[:16] for uci in revoked_ucis],
    }
