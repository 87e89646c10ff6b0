"""CWT claims and the COSE_Sign1 envelope (RFC 8392, RFC 9052) that carry a DCC, signed by a document signer."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Protocol

from credentials import cbor
from credentials.errors import SigningError
from keys.errors import KeysError

ES256 = -7
PS256 = -37
COSE_SIGN1_TAG = 18
# COSE header labels (RFC 9052 3.1) and CWT claim keys (RFC 8392 3.1; -260 is the EU DCC health certificate claim).
HEADER_ALG, HEADER_KID = 1, 4
CLAIM_ISS, CLAIM_EXP, CLAIM_IAT, CLAIM_HCERT = 1, 4, 6, -260
HCERT_DCC = 1
_SIGNATURE_LENGTH = {ES256: 64}  # ECDSA P-256 in COSE is raw r||s, 32 bytes each (RFC 9053 2.1)


class DocumentSigner(Protocol):
    """What issuing needs from a document signing key (keys.signing.DocumentSigner provides it)."""

    @property
    def kid(self) -> bytes: ...  # first 8 bytes of SHA-256 of the signing certificate's DER

    @property
    def algorithm(self) -> int: ...  # COSE algorithm: -7 (ES256) or -37 (PS256)

    @property
    def certificate_der(self) -> bytes: ...  # the document signing certificate (X.509, DER)

    def sign(self, sig_structure: bytes) -> bytes: ...  # the COSE signature over the Sig_structure


def cwt_claims(
    dcc: dict[str, Any], issuer_country: str, issued_at: dt.datetime, expires_at: dt.datetime
) -> bytes:
    """The CWT claims map {1: iss, 4: exp, 6: iat, -260: {1: DCC}} in CBOR, times in whole seconds."""
    return cbor.dumps(
        {
            CLAIM_ISS: issuer_country,
            CLAIM_EXP: int(expires_at.timestamp()),
            CLAIM_IAT: int(issued_at.timestamp()),
            CLAIM_HCERT: {HCERT_DCC: dcc},
        }
    )


def _bstr_head(length: int) -> bytes:
    """The CBOR head of a byte string of `length` bytes (major type 2, shortest form, RFC 8949 4.2.1)."""
    return cbor.head(2, length)


@lru_cache(maxsize=16)
def _envelope(algorithm: int, kid: bytes) -> tuple[bytes, bytes, bytes]:
    """What stays the same for every message of one signer, encoded once.

    (Sig_structure up to the payload's head, COSE_Sign1 up to the payload's head, protected header)
    """
    protected = cbor.dumps({HEADER_ALG: algorithm, HEADER_KID: kid})
    # RFC 9052 4.4: Sig_structure = ["Signature1", body_protected, external_aad, payload]
    sig_structure_head = cbor.head(4, 4) + cbor.dumps("Signature1") + cbor.dumps(protected) + cbor.dumps(b"")
    # RFC 9052 4.2: COSE_Sign1 = tag 18 [protected, unprotected {}, payload, signature]
    message_head = cbor.head(6, COSE_SIGN1_TAG) + cbor.head(4, 4) + cbor.dumps(protected) + cbor.dumps({})
    return sig_structure_head, message_head, protected


def sign1(payload: bytes, signer: DocumentSigner) -> bytes:
    """A tagged COSE_Sign1 message: protected {1: alg, 4: kid}, empty unprotected header, the signature.

    Byte for byte cbor.dumps(Tag(18, [protected, {}, payload, signature])) over a Sig_structure of
    cbor.dumps(["Signature1", protected, b"", payload]); the constant parts come from _envelope.
    """
    algorithm, kid = signer.algorithm, signer.kid
    if algorithm not in (ES256, PS256):
        raise SigningError(
            f"The signing key uses COSE algorithm {algorithm}; only ES256 (-7) and PS256 (-37) are supported."
        )
    sig_structure_head, message_head, _ = _envelope(algorithm, kid)
    payload_head = _bstr_head(len(payload))
    try:
        signature = signer.sign(sig_structure_head + payload_head + payload)
    except KeysError:
        raise  # already says what to do about the key
    except Exception as exc:  # a key store or HSM failure of any kind: never a half-made certificate
        raise SigningError(
            f"The document signer failed ({type(exc).__name__}: {exc}); check the signing key."
        ) from exc
    expected = _SIGNATURE_LENGTH.get(algorithm)
    if (
        not isinstance(signature, bytes)
        or not signature
        or (expected is not None and len(signature) != expected)
    ):
        raise SigningError(
            "The document signer returned something that is not a COSE signature; check the signing key."
        )
    return message_head + payload_head + payload + _bstr_head(len(signature)) + signature
