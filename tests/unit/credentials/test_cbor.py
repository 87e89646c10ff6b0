"""The issuer's own CBOR encoder writes exactly what cbor2 writes for every kind of item a DCC holds."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credentials.cbor import Tag, dumps

BOUNDARIES = [
    0,
    23,
    24,
    255,
    256,
    65535,
    65536,
    2**32 - 1,
    2**32,
    2**64 - 1,
    -1,
    -24,
    -25,
    -256,
    -257,
    -(2**64),
]


@pytest.mark.parametrize("number", BOUNDARIES)
def test_integers_at_every_head_size(number: int) -> None:
    assert dumps(number) == cbor2.dumps(number)


@pytest.mark.parametrize("length", [0, 23, 24, 255, 256, 65535, 65536])
def test_text_and_bytes_at_every_length_size(length: int) -> None:
    assert dumps("ễ" * length) == cbor2.dumps("ễ" * length)
    assert dumps(b"\x01" * length) == cbor2.dumps(b"\x01" * length)


def test_a_tagged_cose_structure() -> None:
    item = [b"\xa2\x01&\x04H12345678", {}, b"payload", b"\x00" * 64]
    assert dumps(Tag(18, item)) == cbor2.dumps(cbor2.CBORTag(18, item))


@given(
    st.recursive(
        st.integers(-(2**64), 2**64 - 1) | st.text() | st.binary(),
        lambda children: (
            st.lists(children, max_size=5)
            | st.dictionaries(st.integers(-300, 300) | st.text(max_size=5), children, max_size=5)
        ),
        max_leaves=20,
    )
)
def test_any_dcc_like_value(value: Any) -> None:
    assert dumps(value) == cbor2.dumps(value)


@pytest.mark.parametrize("value", [True, None, 1.5, 2**64, {"x": False}])
def test_values_a_dcc_never_holds_are_refused(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        dumps(value)
