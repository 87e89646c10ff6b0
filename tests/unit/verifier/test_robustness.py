"""Whatever a QR code holds, verify answers with a result or a VerificationError, and answers quickly.

Real certificates (published vectors and our own) are mutated at every layer: the text, the zlib
stream, the CBOR bytes, the COSE headers, and the signed claims (re-signed, so the deeper stages
run too).
"""

from __future__ import annotations

import zlib
from datetime import timedelta
from typing import Any

import base45
import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.verifier.pki import NOW, claims, hc1_from_cose, issue, make_csca, make_dsc, sample_dcc, sign1
from tests.unit.verifier.vectors import all_cases
from verifier import TrustList, VerificationError, VerificationResult, verify
from verifier.base45 import ALPHABET
from verifier.errors import ALL_REASONS

DSC = make_dsc(make_csca())
OWN_TRUST = TrustList.from_certificates([DSC.der])
VALID_CASES = [
    case
    for case in all_cases()
    if case.expected.get("EXPECTEDVERIFY") is True and "CERTIFICATE" in case.context and "PREFIX" in case.raw
][:12]
SEEDS = [
    (case.raw["PREFIX"], TrustList.from_certificates([case.certificate]), case.clock) for case in VALID_CASES
]
SEEDS.append((issue(DSC), OWN_TRUST, NOW))
FAST = settings(max_examples=150, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])


def outcome(text: Any, trust: TrustList, now: Any) -> VerificationResult | VerificationError:
    """verify's answer; any other exception fails the test by propagating."""
    try:
        return verify(text, trust, now=now)
    except VerificationError as error:
        return error


def mutate_bytes(data: bytes, draw: st.DrawFn) -> bytes:
    """Flip, insert, delete or truncate a few bytes."""
    buffer = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        position = draw(st.integers(0, max(len(buffer) - 1, 0)))
        if operation == "flip" and buffer:
            buffer[position] ^= draw(st.integers(1, 255))
        elif operation == "insert":
            buffer[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif operation == "delete" and buffer:
            del buffer[position]
        elif operation == "truncate":
            del buffer[position:]
    return bytes(buffer)


@st.composite
def seed(draw: st.DrawFn) -> tuple[str, TrustList, Any]:
    return draw(st.sampled_from(SEEDS))


@FAST
@given(seed(), st.data())
def test_text_mutations(start: tuple[str, TrustList, Any], data: st.DataObject) -> None:
    text, trust, now = start
    characters = list(text)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(characters) - 1))
        character = data.draw(st.sampled_from(ALPHABET) | st.characters())
        if data.draw(st.booleans()):
            characters[position] = character
        else:
            characters.insert(position, character)
    outcome("".join(characters), trust, now)


def layers(text: str) -> tuple[bytes, bytes]:
    compressed = base45.b45decode(text[4:])
    return compressed, zlib.decompress(compressed)


@FAST
@given(seed(), st.data())
def test_zlib_stream_mutations(start: tuple[str, TrustList, Any], data: st.DataObject) -> None:
    text, trust, now = start
    compressed, _ = layers(text)
    mutated = mutate_bytes(compressed, data.draw)
    outcome("HC1:" + base45.b45encode(mutated).decode(), trust, now)


@FAST
@given(seed(), st.data())
def test_cbor_byte_mutations(start: tuple[str, TrustList, Any], data: st.DataObject) -> None:
    text, trust, now = start
    _, cose = layers(text)
    result = outcome(hc1_from_cose(mutate_bytes(cose, data.draw)), trust, now)
    if isinstance(result, VerificationError):
        assert result.reason in ALL_REASONS
        assert str(result)


CBOR_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=10)
    | st.binary(max_size=12),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.integers(-300, 300) | st.text(max_size=3), children, max_size=3)
        | st.builds(cbor2.CBORTag, st.sampled_from([0, 1, 2, 3, 4, 18, 24, 61, 258, 1004]), children)
    ),
    max_leaves=8,
)


@FAST
@given(seed(), st.data())
def test_cose_header_mutations(start: tuple[str, TrustList, Any], data: st.DataObject) -> None:
    text, trust, now = start
    _, cose = layers(text)
    message = cbor2.loads(cose)
    item = list(message.value if isinstance(message, cbor2.CBORTag) else message)
    if data.draw(st.booleans()):
        header = data.draw(st.dictionaries(st.sampled_from([1, 4, 33, -1, 5]), CBOR_VALUES, max_size=3))
        item[0] = cbor2.dumps(header) if data.draw(st.booleans()) else data.draw(CBOR_VALUES)
    else:
        item[1] = data.draw(
            st.dictionaries(st.sampled_from([1, 4, 33]), CBOR_VALUES, max_size=3) | CBOR_VALUES
        )
    outcome(hc1_from_cose(cbor2.dumps(cbor2.CBORTag(18, item))), trust, now)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@FAST
@given(st.data())
def test_signed_claims_mutations(data: st.DataObject) -> None:
    """Validly signed, so validity, key usage, schema, revocation and rules all meet odd values."""
    payload = claims(sample_dcc())
    path = data.draw(st.sampled_from(_paths(payload)[1:]))
    parent: Any = payload
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(CBOR_VALUES)
    try:
        encoded = cbor2.dumps(payload)
    except Exception:
        return  # a value cbor2 cannot write is not a certificate anyone can issue
    result = outcome(hc1_from_cose(sign1(DSC, encoded)), OWN_TRUST, NOW)
    if isinstance(result, VerificationResult):
        from verifier.acceptance import assess_levels

        # the rules decide (a rule that raises counts as failed) for any payload the schema lets through
        decision = assess_levels(result.dcc, result.kind, NOW)
        assert decision.level in {"green", "yellow", None}


@pytest.mark.parametrize("depth", [1000, 30000])
def test_deeply_nested_cbor_is_refused(depth: int) -> None:
    for blob in (b"\x81" * depth + b"\x00", b"\xa1\x01" * depth + b"\x00"):
        result = outcome("HC1:" + base45.b45encode(zlib.compress(blob)).decode(), OWN_TRUST, NOW)
        assert isinstance(result, VerificationError)
        assert result.reason in ("cbor", "cose")
