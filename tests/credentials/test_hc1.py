"""The issuer's base45 encoder gives RFC 9285's examples and what the base45 library gives for any bytes."""

from __future__ import annotations

import zlib

import base45
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credentials.hc1 import b45encode, encode_hc1


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ],
)
def test_the_examples_of_rfc_9285(raw: bytes, text: str) -> None:
    assert b45encode(raw) == text


@given(st.binary(max_size=600))
def test_any_bytes_round_trip_through_the_library(raw: bytes) -> None:
    assert base45.b45decode(b45encode(raw)) == raw


def test_an_hc1_string_is_prefixed_compressed_base45() -> None:
    message = b"\xd2\x84" + bytes(range(256)) * 2
    hc1 = encode_hc1(message)
    assert hc1.startswith("HC1:")
    assert zlib.decompress(base45.b45decode(hc1[4:])) == message
