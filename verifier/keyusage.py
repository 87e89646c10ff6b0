"""Which certificate types (v, t, r) a document signing certificate may sign, from its X.509 EKU.

The ExtendedKeyUsage extension (RFC 5280 section 4.2.1.12, OID 2.5.29.37) is read by walking the
certificate's DER structure: Certificate → tbsCertificate → [3] extensions → the one Extension whose
extnID is the EKU → its SEQUENCE OF KeyPurposeId. An EU OID anywhere else in the certificate (another
extension, a policy, a name) does not count. The walk is our own rather than cryptography's because
real national DSCs carry extensions its strict parser refuses (an empty EKU sequence, in the EU
vector common/CO15), and the DCC only needs this one extension.
"""

from __future__ import annotations

from datetime import UTC, datetime

from verifier.errors import TrustListError, VerificationError

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
DCC_PURPOSES = frozenset(_TYPE_BY_OID)
EKU_OID = "2.5.29.37"
_SEQUENCE, _OID, _BOOLEAN, _OCTET_STRING, _EXTENSIONS = 0x30, 0x06, 0x01, 0x04, 0xA3


class DerError(VerificationError, ValueError):
    """The DER bytes do not have the structure X.509 requires (caught where certificates are read)."""

    reason = "der"
    code = "certificate_der"


def _element(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at `at` (X.690 section 8.1)."""
    if at + 2 > len(data):
        raise DerError("truncated element")
    tag, first = data[at], data[at + 1]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags do not occur in X.509")
    start = at + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise DerError("bad length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise DerError("element runs past its parent")
    return tag, start, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """Every element directly inside data[start:end]."""
    found = []
    at = start
    while at < end:
        element = _element(data, at)
        if element[2] > end:
            raise DerError("element runs past its parent")
        found.append(element)
        at = element[2]
    return found


def decode_oid(body: bytes) -> str:
    """The dotted text of an OBJECT IDENTIFIER's content octets (X.690 section 8.19)."""
    if not body or body[-1] & 0x80:
        raise DerError("bad object identifier")
    numbers: list[int] = []
    value = 0
    for byte in body:
        value = value << 7 | byte & 0x7F
        if not byte & 0x80:
            numbers.append(value)
            value = 0
    first = numbers[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(number) for number in head + numbers[1:])


def _tbs_fields(certificate_der: bytes) -> list[tuple[int, int, int]]:
    """The tbsCertificate's fields from the serial number on (the optional [0] version dropped)."""
    tag, start, _end = _element(certificate_der, 0)
    if tag != _SEQUENCE:
        raise DerError("a certificate is a SEQUENCE")
    tbs_tag, tbs_start, tbs_end = _element(certificate_der, start)
    if tbs_tag != _SEQUENCE:
        raise DerError("tbsCertificate is a SEQUENCE")
    fields = _children(certificate_der, tbs_start, tbs_end)
    return fields[1:] if fields and fields[0][0] == 0xA0 else fields


def _time(certificate_der: bytes, element: tuple[int, int, int]) -> datetime:
    """A UTCTime (YYMMDDHHMMSSZ, 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ) (RFC 5280 4.1.2.5)."""
    tag, start, end = element
    text = certificate_der[start:end].decode("ascii")
    if tag == 0x17 and len(text) == 13 and text.endswith("Z"):
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    elif not (tag == 0x18 and len(text) == 15 and text.endswith("Z")):
        raise DerError("a validity time is UTCTime or GeneralizedTime in UTC")
    return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)


def validity(certificate_der: bytes) -> tuple[datetime, datetime]:
    """The certificate's notBefore and notAfter, read from its DER."""
    fields = _tbs_fields(certificate_der)
    tag, start, end = fields[3]
    times = _children(certificate_der, start, end)
    if tag != _SEQUENCE or len(times) != 2:
        raise DerError("validity is a SEQUENCE of two times")
    return _time(certificate_der, times[0]), _time(certificate_der, times[1])


def subject_public_key_info(certificate_der: bytes) -> bytes:
    """The DER of the certificate's SubjectPublicKeyInfo (tag and length included)."""
    fields = _tbs_fields(certificate_der)
    tag, _start, end = fields[5]
    if tag != _SEQUENCE:
        raise DerError("subjectPublicKeyInfo is a SEQUENCE")
    head = fields[4][2]  # the element starts right where the subject ends
    return certificate_der[head:end]


def extended_key_usages(certificate_der: bytes) -> tuple[str, ...] | None:
    """The KeyPurposeIds of the certificate's EKU extension; None if it has no EKU extension."""
    tag, start, _end = _element(certificate_der, 0)
    if tag != _SEQUENCE:
        raise DerError("a certificate is a SEQUENCE")
    tbs_tag, tbs_start, tbs_end = _element(certificate_der, start)
    if tbs_tag != _SEQUENCE:
        raise DerError("tbsCertificate is a SEQUENCE")
    for child_tag, child_start, child_end in _children(certificate_der, tbs_start, tbs_end):
        if child_tag != _EXTENSIONS:
            continue
        outer = _children(certificate_der, child_start, child_end)
        if len(outer) != 1 or outer[0][0] != _SEQUENCE:
            raise DerError("extensions are a SEQUENCE")
        for ext_tag, ext_start, ext_end in _children(certificate_der, outer[0][1], outer[0][2]):
            if ext_tag != _SEQUENCE:
                raise DerError("an extension is a SEQUENCE")
            parts = _children(certificate_der, ext_start, ext_end)
            if not parts or parts[0][0] != _OID or parts[-1][0] != _OCTET_STRING:
                raise DerError("an extension is {extnID, critical?, extnValue}")
            if decode_oid(certificate_der[parts[0][1] : parts[0][2]]) != EKU_OID:
                continue
            value_start, value_end = parts[-1][1], parts[-1][2]
            seq_tag, seq_start, seq_end = _element(certificate_der, value_start)
            if seq_tag != _SEQUENCE or seq_end != value_end:
                raise DerError("ExtendedKeyUsage is a SEQUENCE")
            purposes = []
            for oid_tag, oid_start, oid_end in _children(certificate_der, seq_start, seq_end):
                if oid_tag != _OID:
                    raise DerError("a KeyPurposeId is an OBJECT IDENTIFIER")
                purposes.append(decode_oid(certificate_der[oid_start:oid_end]))
            return tuple(purposes)
    return None


def allowed_types(certificate_der: bytes) -> frozenset[str]:
    """The types this DSC may sign: those its EKU names among the EU OIDs, or every type if none."""
    try:
        purposes = extended_key_usages(certificate_der) or ()
    except (DerError, IndexError):
        raise TrustListError("A signing certificate's extensions could not be read as X.509.") from None
    found = frozenset(_TYPE_BY_OID[oid] for oid in purposes if oid in _TYPE_BY_OID)
    return found or ALL_TYPES
