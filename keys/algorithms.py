"""The two signature algorithms a DCC signer may use (ES256, PS256): key generation and COSE signing."""

from __future__ import annotations

from enum import Enum
from typing import TypeAlias

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from keys.errors import InvalidKeyInput

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

# RFC 8230 / RFC 9053: PS256 uses the digest length as PSS salt length.
PSS_SALT_LENGTH = 32
# P-256 coordinates are 32 bytes; COSE ECDSA signatures are r || s, each left-padded (RFC 9053 §2.1).
P256_COORDINATE_BYTES = 32
RSA_KEY_BITS = 2048


class Algorithm(Enum):
    """A COSE signature algorithm: its name is the value, its COSE identifier is `.cose`."""

    ES256 = "ES256"
    PS256 = "PS256"

    @property
    def cose(self) -> int:
        """The COSE algorithm identifier (RFC 9053): -7 for ES256, -37 for PS256."""
        return -7 if self is Algorithm.ES256 else -37


def parse_algorithm(value: str | int | Algorithm) -> Algorithm:
    """Turn "ES256"/"PS256", a COSE identifier (-7/-37) or an Algorithm into an Algorithm."""
    if isinstance(value, Algorithm):
        return value
    for algorithm in Algorithm:
        if value in (algorithm.value, algorithm.cose) or (
            isinstance(value, str) and value.strip().upper() == algorithm.value
        ):
            return algorithm
    raise InvalidKeyInput(f"unsupported signature algorithm {value!r}: use ES256 (the default) or PS256")


def algorithm_of(key: PrivateKey) -> Algorithm:
    """The algorithm a stored private key is for (P-256 -> ES256, RSA -> PS256)."""
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return Algorithm.ES256
    if isinstance(key, rsa.RSAPrivateKey):
        return Algorithm.PS256
    raise InvalidKeyInput(
        "the stored key is neither P-256 nor RSA: regenerate it with `immunize keys rotate`"
    )


def generate_private_key(algorithm: Algorithm) -> PrivateKey:
    """A fresh private key for the algorithm, from the operating system's randomness."""
    if algorithm is Algorithm.ES256:
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)


def cose_sign(key: PrivateKey, data: bytes) -> bytes:
    """Sign `data` as COSE wants it: ES256 as raw r||s (64 bytes), PS256 as RSASSA-PSS SHA-256, salt 32."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(P256_COORDINATE_BYTES, "big") + s.to_bytes(P256_COORDINATE_BYTES, "big")
    return key.sign(
        data,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH),
        hashes.SHA256(),
    )
