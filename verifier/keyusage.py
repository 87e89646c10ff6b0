"""Which certificate types (v, t, r) a document signing certificate may sign, read leniently."""

from __future__ import annotations

# EU DCC "Digital Signing Certificate" extended key usage OIDs (eHN technical specification vol. 1,
# section 5.1.2), plus the mistaken arc 1.3.6.1.4.1.0.1847.2021.1.x that some issuers used.
_TYPE_BY_OID = {
    "1.3.6.1.4.1.1847.2021.1.1": "t",
    "1.3.6.1.4.1.1847.2021.1.2": "v",
    "1.3.6.1.4.1.1847.2021.1.3": "r",
    "1.3.6.1.4.1.0.1847.2021.1.1": "t",
    "1.3.6.1.4.1.0.1847.2021.1.2": "v",
    "1.3.6.1.4.1.0.1847.2021.1.3": "r",
}
ALL_TYPES = frozenset({"v", "t", "r"})


def _encode_oid(dotted: str) -> bytes:
    """DER tag-length-value of an OBJECT IDENTIFIER (X.690 section 8.19)."""
    parts = [int(part) for part in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for number in parts[2:]:
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        body.extend(reversed(chunk))
    return bytes([0x06, len(body)]) + bytes(body)


_ENCODED = {_encode_oid(oid): kind for oid, kind in _TYPE_BY_OID.items()}


def allowed_types(certificate_der: bytes) -> frozenset[str]:
    """The types this DSC may sign: those its EKU names, or every type if it names none.

    Read from the raw DER rather than through an X.509 parser: some national certificates carry
    extensions that strict parsers reject, and the DCC rule only asks which of six OIDs occur.
    """
    found = frozenset(kind for encoded, kind in _ENCODED.items() if encoded in certificate_der)
    return found or ALL_TYPES
