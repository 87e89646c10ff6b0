"""COSE_Sign1 (RFC 9052 §4.2) as the trust and revocation lists use it: a CBOR tag 18 message."""

from __future__ import annotations

import cbor2

from keys.signer import Signer

COSE_SIGN1_TAG = 18
HEADER_ALG = 1
HEADER_KID = 4
HEADER_X5CHAIN = 33  # RFC 9360 §2


def sign1(signer: Signer, payload: bytes, *, include_certificate: bool = False) -> bytes:
    """A tagged COSE_Sign1 over `payload`: protected {1: alg, 4: kid} (+ {33: cert DER}), unprotected {}."""
    header: dict[int, int | bytes] = {HEADER_ALG: signer.algorithm, HEADER_KID: signer.kid}
    if include_certificate:
        header[HEADER_X5CHAIN] = signer.certificate_der
    protected = cbor2.dumps(header, canonical=True)
    # RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad, payload].
    sig_structure = cbor2.dumps(["Signature1", protected, b"", payload])
    signature = signer.sign(sig_structure)
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
