"""The verification pipeline: one function per stage, time passed in, every failure a typed error."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import NoneType
from typing import Any

from verifier import cose, schema
from verifier.base45 import b45decode
from verifier.errors import (
    CborError,
    CompressionError,
    ExpiredError,
    KeyUsageError,
    NotYetValidError,
    PrefixError,
    RevokedError,
    SchemaError,
    SignatureError,
    SignerExpiredError,
    SignerNotYetValidError,
    SignerValidityError,
    TrustListError,
    UnknownKidError,
    VerificationError,
)
from verifier.trustlist import TrustedKey, TrustList

PREFIX = "HC1:"
MAX_TEXT_CHARS = 8192  # a QR code holds at most 4296 alphanumeric characters (ISO/IEC 18004)
MAX_INFLATED_BYTES = 64 * 1024  # decompression bomb guard
CLAIM_ISSUER, CLAIM_EXPIRES, CLAIM_ISSUED_AT, CLAIM_HCERT = 1, 4, 6, -260
HCERT_EU_DCC = 1
KINDS = ("v", "t", "r")
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)
KIND_NAMES = {"v": "vaccination", "t": "test", "r": "recovery"}


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """A certificate that passed every check, with what the checks established."""

    dcc: dict[str, Any]
    kind: str
    kid: bytes
    issuer: str | None
    issued_at: datetime
    expires_at: datetime
    schema_version: str
    warnings: tuple[str, ...] = ()

    @property
    def certificate_id(self) -> str | None:
        """The unique certificate identifier (ci) of the certificate's single entry."""
        entries = self.dcc.get(self.kind)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            ci = entries[0].get("ci")
            return ci if isinstance(ci, str) else None
        return None


def unprefix(text: Any) -> str:
    """Strip the HC1: context identifier (EU DCC technical specification vol. 1, section 3.4)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise PrefixError("This is not a health certificate: it contains non-text bytes.") from None
    if not isinstance(text, str):
        raise PrefixError("This is not a health certificate: no text was given.")
    text = text.strip()
    if len(text) > MAX_TEXT_CHARS:
        raise PrefixError("This is not a health certificate: the text is far too long for a QR code.")
    if not text.startswith(PREFIX):
        raise PrefixError("This is not an EU-format health certificate: it does not start with HC1:.")
    body: str = text[len(PREFIX) :]
    return body


def inflate(data: bytes) -> bytes:
    """Inflate the zlib stream (RFC 1950), refusing more than 64 KiB of output (decompression bombs)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_INFLATED_BYTES)
        if inflater.unconsumed_tail:
            raise CompressionError(
                "The certificate inflates to more than 64 KiB: refused as a decompression bomb."
            )
        if not inflater.eof:
            raise CompressionError("The certificate's compressed data is truncated.")
    except zlib.error:
        raise CompressionError("The certificate's compressed data is corrupt.") from None
    return out


def find_keys(message: cose.Sign1, trust: TrustList) -> list[TrustedKey]:
    """Every trusted key with the certificate's kid."""
    keys = trust.candidates(message.kid)
    if not keys:
        raise UnknownKidError(
            f"The certificate was signed with a key this verifier does not trust (kid {message.kid.hex()})."
        )
    return keys


def check_signature(message: cose.Sign1, keys: list[TrustedKey]) -> TrustedKey:
    """The first key whose signature verifies; SignatureError if none does."""
    failure: VerificationError | None = None
    for key in keys:
        try:
            cose.verify_signature(message, key.public_key, ec_size=key.ec_size)
        except SignatureError as error:
            failure = error
            continue
        return key
    assert failure is not None
    raise failure


def decode_claims(payload: bytes) -> dict[Any, Any]:
    """The CWT claims map (RFC 8392)."""
    # Plain dicts and lists as decoded; cbor2 yields frozendict/tuple only inside tags or map keys, and
    # such shapes then fail the schema like any other wrong type.
    claims = cose.loads(payload)
    if not isinstance(claims, dict):
        raise CborError("The certificate's claims are not a CBOR map.")
    return claims


def _claim_time(claims: dict[Any, Any], label: int, name: str) -> float:
    value = claims.get(label)
    if isinstance(value, datetime) and value.tzinfo is not None:  # written as CBOR tag 1 (or 0)
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # NaN is no time
        raise CborError(f"The certificate has no valid {name} time.")
    return value


def _as_datetime(value: float, name: str) -> datetime:
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise CborError(f"The certificate's {name} time is out of range.") from None


def check_validity(
    claims: dict[Any, Any], now: datetime, clock_skew: timedelta = DEFAULT_CLOCK_SKEW
) -> tuple[datetime, datetime]:
    """iat <= now <= exp against the CWT claims alone (RFC 8392 sections 3.1.4 and 3.1.6).

    A phone's clock drifts: the check time may be `clock_skew` before iat or after exp and still pass.
    """
    issued = claims.get(CLAIM_ISSUED_AT)
    expires = claims.get(CLAIM_EXPIRES)
    if type(issued) is not int or type(expires) is not int:  # tag 1, floats, missing: probed one by one
        issued = _claim_time(claims, CLAIM_ISSUED_AT, "issue")
        expires = _claim_time(claims, CLAIM_EXPIRES, "expiry")
    issued_at = _as_datetime(issued, "issue")
    expires_at = _as_datetime(expires, "expiry")
    skew = clock_skew.total_seconds()
    moment = now.timestamp()
    if moment + skew < issued:
        raise NotYetValidError(
            f"The certificate is not valid yet: it was issued for {issued_at:%Y-%m-%d %H:%M} UTC."
        )
    if moment - skew > expires:
        raise ExpiredError(f"The certificate expired on {expires_at:%Y-%m-%d %H:%M} UTC.")
    return issued_at, expires_at


def check_signer_validity(
    key: TrustedKey, issued_at: datetime, now: datetime, clock_skew: timedelta = DEFAULT_CLOCK_SKEW
) -> None:
    """The DSC was valid when it signed (iat) and is valid at the check time (EU DCC vol. 1, 5.1.1)."""
    # Compared as datetimes, the message built only on failure (this runs on every verification).
    if key.not_before <= issued_at <= key.not_after and key.not_before <= now + clock_skew:
        if now - clock_skew <= key.not_after:
            return
        raise SignerExpiredError(
            f"The certificate's signing certificate (kid {key.kid.hex()}) has expired ({_validity(key)})."
        )
    if not key.not_before <= issued_at <= key.not_after:
        raise SignerValidityError(
            f"The certificate was issued on {issued_at:%Y-%m-%d}, when its signing certificate (kid "
            f"{key.kid.hex()}, {_validity(key)}) was not valid."
        )
    raise SignerNotYetValidError(
        f"The certificate's signing certificate (kid {key.kid.hex()}) is not valid yet ({_validity(key)})."
    )


def _validity(key: TrustedKey) -> str:
    return f"valid {key.not_before:%Y-%m-%d} to {key.not_after:%Y-%m-%d}"


# CBOR heads after which cbor2 yields something that is not JSON data: tag 0/1 date-times, tags 100
# and 1004 dates (RFC 8943), half/single/double floats. None of these bytes occur in UTF-8 text; if
# none occurs in the payload at all, the decoded payload is plain JSON data and is not walked.
# Tested with C-level bytes operations: translate() deletes every byte but the five one-byte heads (any
# left means one occurs), then two substring searches; the same answer as the alternation regex
# rb"[\xc0\xc1\xf9\xfa\xfb]|\xd8\x64|\xd9\x03\xec" (a test holds it to that), at a fraction of its cost.
# First one translate() keeping the five one-byte heads and the first bytes of the two tag heads: empty
# (nearly every payload) means none occurs; only otherwise are the two substring searches needed.
_NON_JSON_ONE_BYTE_HEADS = b"\xc0\xc1\xf9\xfa\xfb"
_ALL_BUT_ONE_BYTE_HEADS = bytes(byte for byte in range(256) if byte not in _NON_JSON_ONE_BYTE_HEADS)
_ALL_BUT_HEAD_STARTS = bytes(byte for byte in range(256) if byte not in b"\xc0\xc1\xf9\xfa\xfb\xd8\xd9")
_NON_JSON_TAG_HEADS = (b"\xd8\x64", b"\xd9\x03\xec")  # tag 100, tag 1004


def _plain_json_bytes(encoded: bytes) -> bool:
    """Whether no head of a non-JSON CBOR item occurs anywhere in these bytes."""
    if not encoded.translate(None, _ALL_BUT_HEAD_STARTS):
        return True
    return (
        not encoded.translate(None, _ALL_BUT_ONE_BYTE_HEADS)
        and _NON_JSON_TAG_HEADS[0] not in encoded
        and _NON_JSON_TAG_HEADS[1] not in encoded
    )


def extract_dcc(claims: dict[Any, Any], encoded: bytes | None = None) -> dict[str, Any]:
    """The DCC payload (claim -260 (hcert), key 1 (eu_dcc_v1)) as the JSON data it stands for.

    `encoded`, the CBOR the claims were decoded from, lets the common all-JSON payload skip the walk.
    """
    hcert = claims.get(CLAIM_HCERT)
    dcc = hcert.get(HCERT_EU_DCC) if isinstance(hcert, Mapping) else None
    if not isinstance(dcc, Mapping):
        raise CborError("The certificate's claims hold no health certificate payload (claim -260).")
    if encoded is not None and isinstance(dcc, dict) and _plain_json_bytes(encoded):
        return dcc
    return as_json(dcc)  # type: ignore[no-any-return]


def _needs_conversion(value: Any) -> bool:
    if isinstance(value, dict):
        return any(map(_needs_conversion, value.values()))
    if isinstance(value, list):
        return any(map(_needs_conversion, value))
    return not isinstance(value, str | int | NoneType) or isinstance(value, float)


def as_json(value: Any) -> Any:
    """CBOR data as JSON data, as real issuers' encodings mean it (EU DCC vol. 1, 3.3.3; RFC 8949 3.4).

    Date-times tagged 0 (text) or 1 (epoch) become RFC 3339 text, full dates (tag 1004) ISO dates,
    integer-valued floats (dn 1.0) integers; cbor2's frozen maps and tuples plain dicts and lists.
    Anything else is kept, for the structure check to judge.
    """
    if isinstance(value, dict) and not _needs_conversion(value):
        return value  # the common case: plain JSON already, nothing is copied
    return _convert(value)


def _convert(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _convert(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_convert(item) for item in value]
    if isinstance(value, datetime):
        text = value.isoformat()
        return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def certificate_kind(dcc: dict[str, Any]) -> str:
    """Which single kind of group the DCC carries: v, t or r (a null group counts as absent)."""
    v, t, r = dcc.get("v"), dcc.get("t"), dcc.get("r")
    if (v is not None) + (t is not None) + (r is not None) != 1:
        raise SchemaError("The certificate must hold exactly one group: vaccination, test or recovery.")
    return "v" if v is not None else "t" if t is not None else "r"


def check_schema(dcc: dict[str, Any], kind: str) -> str:
    """The structure of the newest DCC schema release, and at least one entry in the group."""
    release = schema.validate(dcc)
    entries = dcc[kind]
    if not isinstance(entries, list) or not entries:
        raise SchemaError("The certificate's group holds no vaccination, test or recovery entry.")
    return release


def check_key_usage(key: TrustedKey, kind: str) -> None:
    """The DSC's extended key usage must allow this type (EU DCC technical specification vol. 1, 5.1.2)."""
    if kind not in key.types:
        raise KeyUsageError(
            f"The certificate's signing key may not sign {KIND_NAMES[kind]} certificates (key usage)."
        )


def check_revocation(result: VerificationResult, trust: TrustList) -> None:
    """The certificate identifier must not be on the revocation list."""
    if not trust.revoked:
        return
    ci = result.certificate_id
    if ci is not None and trust.is_revoked(ci):
        raise RevokedError("The certificate has been revoked by its issuer.")


def verify(
    hc1: Any, trust: TrustList, now: datetime, clock_skew: timedelta = DEFAULT_CLOCK_SKEW
) -> VerificationResult:
    """Verify an HC1 text completely; returns what was established or raises a VerificationError."""
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise TypeError("verify needs an aware datetime for now (with a time zone).")
    if not isinstance(trust, TrustList):
        raise TrustListError(
            "No trust list was given: load one with TrustList.load or TrustList.from_certificates."
        )
    try:
        return _verify_common(hc1, trust, now, clock_skew) or _verify(hc1, trust, now, clock_skew)
    except VerificationError:
        raise
    except RecursionError:
        raise CborError("The certificate's data is nested too deeply.") from None
    except Exception as error:  # last line of defence: nothing but VerificationError escapes
        raise CborError(f"The certificate could not be read ({type(error).__name__}).") from None


def _verify(hc1: Any, trust: TrustList, now: datetime, clock_skew: timedelta) -> VerificationResult:
    """Every stage one after the other: the reference path, and the one that words every refusal."""
    warnings = trust.check_fresh(now) if trust.lists else ()
    message = cose.parse_sign1(inflate(b45decode(unprefix(hc1))))
    key = check_signature(message, find_keys(message, trust))
    return _after_signature(message, key, trust, now, clock_skew, warnings)


def _after_signature(
    message: cose.Sign1,
    key: TrustedKey,
    trust: TrustList,
    now: datetime,
    clock_skew: timedelta,
    warnings: tuple[str, ...] | list[str],
) -> VerificationResult:
    payload = message.payload
    claims = decode_claims(payload)
    issued_at, expires_at = check_validity(claims, now, clock_skew)
    check_signer_validity(key, issued_at, now, clock_skew)
    dcc = extract_dcc(claims, payload)
    kind = certificate_kind(dcc)
    if kind not in key.types:
        check_key_usage(key, kind)
    release = check_schema(dcc, kind)
    issuer = claims.get(CLAIM_ISSUER)
    result = VerificationResult(  # positional: the same fields, a third cheaper than keywords
        dcc,
        kind,
        key.kid,
        issuer if isinstance(issuer, str) else None,
        issued_at,
        expires_at,
        release,
        tuple(warnings),
    )
    if trust.revoked:
        check_revocation(result, trust)
    return result


def _verify_common(
    hc1: Any, trust: TrustList, now: datetime, clock_skew: timedelta
) -> VerificationResult | None:
    """verify for the shape nearly every issuer writes, in one frame; None to take the staged path.

    Every stage's function call costs little alone, but some thirty of them per verification, run
    right after OpenSSL's check has pushed the interpreter's code out of the CPU caches, cost about
    as much as the stages' work. This path does the same checks in the same order inline, for text
    input, a COSE_Sign1 of the common shape with an ES256 key, int claim times and an all-JSON
    payload. Wherever anything differs or fails it stops: before the signature check `_verify` runs
    from the start; after a good signature `_after_signature` goes on from there. So every refusal,
    and every certificate of another shape, gets exactly the staged path's answer and wording
    (tests hold the two paths to the same outcome). The exceptions raised here come from the same
    stage functions, at the same point, as on the staged path.
    """
    warnings = trust.check_fresh(now) if trust.lists else ()
    if type(hc1) is not str:
        return None
    text = hc1.strip()
    if len(text) > MAX_TEXT_CHARS or not text.startswith(PREFIX):
        return None
    data = inflate(b45decode(text[4:]))
    common = cose._common_sign1(data)
    if common is None or not 0 < len(common[0]) <= 64:
        return None
    protected_bytes, payload, signature = common
    protected = cose._protected_header(protected_bytes, "certificate")
    if type(protected) is not dict:
        return None
    alg = protected.get(cose.HEADER_ALG)
    kid = protected.get(cose.HEADER_KID)
    if type(alg) is not int or alg != cose.ES256 or type(kid) is not bytes or not kid:
        return None
    keys = trust.candidates(kid)
    if len(keys) != 1:
        return None
    key = keys[0]
    size = key.ec_size
    if not size or len(signature) != 2 * size:
        return None
    signed = b"".join(
        (
            cose._SIG_STRUCTURE_HEAD,
            cose._bstr_head(len(protected_bytes)),
            protected_bytes,
            b"\x40",
            cose._bstr_head(len(payload)),
            payload,
        )
    )
    try:
        key.public_key.verify(  # type: ignore[call-arg]
            cose.der_signature(signature, size),
            hashlib.sha256(signed).digest(),
            cose._ECDSA_PREHASHED_SHA256,  # type: ignore[arg-type]
        )
    except Exception:
        return None  # the staged path checks again and words the refusal
    # Signed by this key: from here on, anything off goes on along the staged path from this point.
    claims = cose.loads(payload)
    hcert = claims.get(CLAIM_HCERT) if type(claims) is dict else None
    dcc: Any = hcert.get(HCERT_EU_DCC) if type(hcert) is dict else None
    issued = claims.get(CLAIM_ISSUED_AT) if type(claims) is dict else None
    expires = claims.get(CLAIM_EXPIRES) if type(claims) is dict else None
    issued_at = expires_at = None
    if type(issued) is int and type(expires) is int:
        skew = clock_skew.total_seconds()
        moment = now.timestamp()
        if issued <= moment + skew and moment - skew <= expires:
            try:
                issued_at = datetime.fromtimestamp(issued, UTC)
                expires_at = datetime.fromtimestamp(expires, UTC)
            except (OverflowError, OSError, ValueError):
                issued_at = expires_at = None
    kind = None
    if (
        issued_at is not None
        and expires_at is not None
        and key.not_before <= issued_at <= key.not_after
        and key.not_before <= now + clock_skew
        and now - clock_skew <= key.not_after
        and type(dcc) is dict
        and not payload.translate(None, _ALL_BUT_HEAD_STARTS)
    ):
        # A null group (which the structure check reads as absent) goes the staged way.
        v, t, r = dcc.get("v", _ABSENT), dcc.get("t", _ABSENT), dcc.get("r", _ABSENT)
        if (v is not _ABSENT) + (t is not _ABSENT) + (r is not _ABSENT) == 1 and None not in (v, t, r):
            kind = "v" if v is not _ABSENT else "t" if t is not _ABSENT else "r"
    if (
        kind is None
        or issued_at is None
        or expires_at is None
        or kind not in key.types
        or not _newest_check()(dcc)
        or type(dcc[kind]) is not list
        or not dcc[kind]
    ):
        message = cose.Sign1(protected_bytes, dict(protected), payload, signature)
        return _after_signature(message, key, trust, now, clock_skew, warnings)
    issuer = claims.get(CLAIM_ISSUER)
    result = VerificationResult(
        dcc,
        kind,
        key.kid,
        issuer if isinstance(issuer, str) else None,
        issued_at,
        expires_at,
        schema.newest_release(),
        tuple(warnings),
    )
    if trust.revoked:
        check_revocation(result, trust)
    return result


_ABSENT = object()
_NEWEST: list[schema.Check] = []


def _newest_check() -> schema.Check:
    """The newest release's compiled structure check (what schema.validate tries first)."""
    if not _NEWEST:
        check = schema._fast_checker()
        _NEWEST.append(check if check is not None else lambda _dcc: False)
    return _NEWEST[0]
