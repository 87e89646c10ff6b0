"""COSE_Sign1 (RFC 8152/9052) envelope parsing and signature checking, as the EU DCC uses it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from verifier.errors import CborError, CoseError, SignatureError

ES256 = -7
PS256 = -37
SUPPORTED_ALGORITHMS = {ES256: "ES256", PS256: "PS256"}
COSE_SIGN1_TAG = 18
CWT_TAG = 61
HEADER_ALG = 1
HEADER_KID = 4
HEADER_X5CHAIN = 33
_SHA256 = hashes.SHA256()
# The Sig_structure is hashed with hashlib and handed over prehashed: the same ECDSA check (SHA-256 on the
# key's own curve), without cryptography building a hash object per call.
_ECDSA_PREHASHED_SHA256 = ec.ECDSA(Prehashed(_SHA256))
_PSS = padding.PSS(mgf=padding.MGF1(_SHA256), salt_length=padding.PSS.AUTO)

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class Sign1(NamedTuple):
    """A decoded COSE_Sign1 message: headers merged (protected wins), payload and raw signature."""

    protected_bytes: bytes
    headers: dict[Any, Any]
    payload: bytes
    signature: bytes

    @property
    def alg(self) -> Any:
        """The declared algorithm (COSE label 1)."""
        return self.headers.get(HEADER_ALG)

    @property
    def kid(self) -> bytes:
        """The key identifier (COSE label 4); a CoseError if absent or not a byte string."""
        kid = self.headers.get(HEADER_KID)
        if not isinstance(kid, bytes) or not kid:
            raise CoseError("The certificate does not name the key it was signed with (no kid).")
        return kid

    def signed_bytes(self) -> bytes:
        """The Sig_structure ["Signature1", protected, external_aad, payload] (RFC 9052 section 4.4).

        Written directly (array of 4, text "Signature1", byte strings) instead of through cbor2: it is
        on every verification's path and the encoding is fixed by RFC 8949 section 3.
        """
        return b"".join(
            (
                _SIG_STRUCTURE_HEAD,
                _bstr_head(len(self.protected_bytes)),
                self.protected_bytes,
                b"\x40",
                _bstr_head(len(self.payload)),
                self.payload,
            )
        )


_SIG_STRUCTURE_HEAD = b"\x84\x6aSignature1"  # array(4), text(10) "Signature1"


def _bstr_head(length: int) -> bytes:
    """The CBOR head of a byte string of this length (major type 2, RFC 8949 section 3.1)."""
    if length < 24:
        return bytes([0x40 + length])
    if length < 0x100:
        return b"\x58" + length.to_bytes(1, "big")
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


def loads(data: bytes, what: str = "certificate") -> Any:
    """Decode CBOR, turning every decoder failure (whatever its class) into a CborError."""
    try:
        return cbor2.loads(data)
    except Exception as error:  # cbor2 raises many types (CBORDecodeError, ValueError, RecursionError ...)
        raise CborError(f"The {what} data is not valid CBOR ({type(error).__name__}).") from None


def thaw(item: Any) -> Any:
    """Plain dicts and lists instead of cbor2's frozendict/tuple (which it uses inside tags and keys)."""
    if isinstance(item, Mapping):
        return {key: thaw(value) for key, value in item.items()}
    if isinstance(item, list | tuple):
        return [thaw(value) for value in item]
    return item


@lru_cache(maxsize=256)
def _protected_header(data: bytes, what: str) -> Any:
    """A decoded protected header; one signer's certificates all carry the same few bytes, so cache them."""
    return loads(data, what)


def _byte_string_at(data: bytes, at: int) -> tuple[bytes, int] | None:
    """A definite-length CBOR byte string (major type 2) starting at `at`, and where it ends; None otherwise."""
    if at >= len(data):
        return None
    head = data[at]
    if 0x40 <= head < 0x58:
        start, length = at + 1, head - 0x40
    elif head == 0x58 and at + 1 < len(data):
        start, length = at + 2, data[at + 1]
    elif head == 0x59 and at + 2 < len(data):
        start, length = at + 3, data[at + 1] << 8 | data[at + 2]
    else:
        return None
    end = start + length
    if end > len(data):
        return None
    return data[start:end], end


def _common_sign1(data: bytes) -> tuple[bytes, bytes, bytes] | None:
    """(protected, payload, signature) of the shape every DCC issuer writes, else None.

    The shape: optional tag 18, an array of four, three definite byte strings around an empty
    unprotected map, nothing after. For such bytes cbor2 yields exactly these items, so the
    general path below is only needed for anything else (tests compare both on random messages).
    """
    at = 2 if data[:2] == b"\xd2\x84" else 1 if data[:1] == b"\x84" else 0
    if not at:
        return None
    protected = _byte_string_at(data, at)
    if protected is None or data[protected[1] : protected[1] + 1] != b"\xa0":
        return None
    payload = _byte_string_at(data, protected[1] + 1)
    if payload is None:
        return None
    signature = _byte_string_at(data, payload[1])
    if signature is None or signature[1] != len(data):
        return None
    return protected[0], payload[0], signature[0]


def parse_sign1(data: bytes, what: str = "certificate") -> Sign1:
    """Decode a COSE_Sign1: tagged 18, untagged, or tag 61 (CWT) around tag 18."""
    common = _common_sign1(data) if isinstance(data, bytes) else None
    if common is not None and 0 < len(common[0]) <= 64:
        protected_bytes, payload, signature = common
        protected = _protected_header(protected_bytes, what)
        if not isinstance(protected, Mapping):
            raise CoseError(f"The {what}'s protected COSE header is not a map.")
        return Sign1(protected_bytes, dict(protected), payload, signature)
    return parse_sign1_generally(data, what)


def parse_sign1_generally(data: bytes, what: str = "certificate") -> Sign1:
    """parse_sign1 through cbor2 for every shape (the tests hold the byte fast path to this)."""
    item = loads(data, what)
    if isinstance(item, cbor2.CBORTag) and item.tag == CWT_TAG:
        item = item.value
    if isinstance(item, cbor2.CBORTag):
        if item.tag != COSE_SIGN1_TAG:
            raise CoseError(f"The {what} is not a COSE_Sign1 message (CBOR tag {item.tag}).")
        item = item.value
    if not isinstance(item, list | tuple) or len(item) != 4:
        raise CoseError(f"The {what} is not a COSE_Sign1 message (expected an array of four items).")
    protected_bytes, unprotected, payload, signature = item
    if (
        not isinstance(protected_bytes, bytes)
        or not isinstance(payload, bytes)
        or not isinstance(signature, bytes)
    ):
        raise CoseError(f"The {what}'s COSE_Sign1 fields have the wrong types.")
    if not isinstance(unprotected, Mapping):
        raise CoseError(f"The {what}'s unprotected COSE header is not a map.")
    if not protected_bytes:
        protected: Any = {}
    elif len(protected_bytes) <= 64:  # {alg, kid}; larger ones (x5chain in list headers) are not cached
        protected = _protected_header(protected_bytes, what)
    else:
        protected = loads(protected_bytes, what)
    if not isinstance(protected, Mapping):
        raise CoseError(f"The {what}'s protected COSE header is not a map.")
    # RFC 9052 section 3: a label must not appear in both; the DCC verifiers let the protected one win.
    headers = {**unprotected, **protected}
    return Sign1(protected_bytes, headers, payload, signature)


def ec_coordinate_size(key: PublicKey) -> int:
    """Bytes per ECDSA coordinate (r or s) for an EC key, 0 for any other key."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return (key.curve.key_size + 7) // 8
    return 0


def _der_integer(big_endian: bytes) -> bytes:
    """A DER INTEGER (X.690 8.3) of an unsigned big-endian number: minimal length, 0x00 before a high bit."""
    first = big_endian[0] if big_endian else 0
    if first >= 0x80:  # half of all values: a 0x00 in front, nothing to strip
        return b"\x02" + bytes((len(big_endian) + 1,)) + b"\x00" + big_endian
    if first:  # no leading zero, no high bit: the bytes as they are
        return b"\x02" + bytes((len(big_endian),)) + big_endian
    digits = big_endian.lstrip(b"\x00") or b"\x00"
    if digits[0] & 0x80:
        digits = b"\x00" + digits
    return b"\x02" + bytes((len(digits),)) + digits


def der_signature(raw: bytes, size: int) -> bytes:
    """The DER ECDSA-Sig-Value (RFC 3279 2.2.3) of a raw COSE r||s signature of `size` bytes per half.

    Byte operations instead of encode_dss_signature(int, int), which costs more than the rest of this
    function by a factor of two on every verification; the tests hold it to encode_dss_signature.
    """
    body = _der_integer(raw[:size]) + _der_integer(raw[size:])
    length = len(body)
    if length < 0x80:
        return b"\x30" + bytes((length,)) + body
    return b"\x30\x81" + bytes((length,)) + body  # P-521: up to 2 * 69 bytes, one length byte


def verify_signature(
    message: Sign1, key: PublicKey, what: str = "certificate", ec_size: int | None = None
) -> None:
    """Check the signature with one public key; raise SignatureError if it does not verify.

    ES256: raw r||s (RFC 9053 section 2.1), checked on the key's own curve with SHA-256, since some
    issuers declared ES256 with P-384 keys. PS256: RSASSA-PSS with SHA-256 and MGF1-SHA-256.
    `ec_size` (from ec_coordinate_size, kept with a trusted key) spares the key-type probe per call.
    """
    alg = message.alg
    if alg not in SUPPORTED_ALGORITHMS:
        raise CoseError(f"The {what} uses an unsupported signature algorithm ({alg!r}).")
    data = message.signed_bytes()
    signature = message.signature
    try:
        if alg == ES256:
            size = ec_coordinate_size(key) if ec_size is None else ec_size
            if not size:
                raise SignatureError(f"The {what} declares ES256 but its signing key is not an EC key.")
            if len(signature) != 2 * size:
                raise SignatureError(f"The {what}'s signature has the wrong length for its key.")
            der = der_signature(signature, size)
            key.verify(der, hashlib.sha256(data).digest(), _ECDSA_PREHASHED_SHA256)  # type: ignore[call-arg, arg-type]
        else:
            if not isinstance(key, rsa.RSAPublicKey):
                raise SignatureError(f"The {what} declares PS256 but its signing key is not an RSA key.")
            key.verify(signature, data, _PSS, _SHA256)
    except InvalidSignature:
        raise SignatureError(f"The {what}'s signature is not valid: it was altered or forged.") from None
    except (ValueError, TypeError) as error:
        raise SignatureError(f"The {what}'s signature could not be checked ({error}).") from None
