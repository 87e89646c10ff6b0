"""The issuer's base45 encoder gives RFC 9285's examples and what the base45 library gives for any bytes."""

from __future__ import annotations

import zlib

import base45
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credentials.hc1 import DIV_45, DIV_2025, b45encode, encode_hc1


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


def test_the_encoders_divisions_by_multiplication_are_exact_for_every_value() -> None:
    multiplier, shift = DIV_2025
    assert all((n * multiplier) >> shift == n // 2025 for n in range(1 << 16))
    assert 0xFFFF * multiplier < 1 << 40  # one 40-bit slot holds the product
    multiplier, shift = DIV_45
    assert all((r * multiplier) >> shift == r // 45 for r in range(2025))


@given(st.binary(max_size=2000))
def test_any_bytes_encode_as_the_base45_library_encodes_them(raw: bytes) -> None:
    assert b45encode(raw) == base45.b45encode(raw).decode("ascii")


def test_every_two_byte_group_encodes_as_the_library_encodes_it() -> None:
    every_group = bytes(range(256)) * 2  # all high bytes against all low bytes below
    raw = b"".join(bytes((high, low)) for high in range(256) for low in range(256))
    assert b45encode(raw) == base45.b45encode(raw).decode("ascii")
    assert b45encode(every_group + b"\xff") == base45.b45encode(every_group + b"\xff").decode("ascii")
