"""The HC1 text of a signed certificate: zlib, then base45 (RFC 9285), then the "HC1:" prefix."""

from __future__ import annotations

import zlib
from functools import lru_cache

PREFIX = "HC1:"
# Level 9, measured against 6 on 96 real certificates: the same bytes (35,535 in all) and the same CPU
# time (about 30 us each, mostly deflate's setup), so 9 stays: it can only make the QR code smaller.
ZLIB_LEVEL = 9

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


# Base45 encoding of all 2-byte groups at once (RFC 9285 section 4: n = c + 45*d + 2025*e, written c, d, e),
# with big-integer arithmetic over 40-bit slots, one group per slot: a product of a group and a
# multiplier stays below 2**38, so no carry crosses slots. Division by a constant is a multiplication
# and a shift: for n < 2**16, (n * ceil(2**32 / 2025)) >> 32 == n // 2025 (the error is below
# 2**-16 < 1/2025), and for r < 2025, (r * ceil(2**24 / 45)) >> 24 == r // 45 (error below 2**-13 < 1/45);
# tests/credentials/test_hc1.py checks both over every possible value and the whole encoder against
# the base45 library.
DIV_2025 = (-(-(1 << 32) // 2025), 32)  # (multiplier, shift): n // 2025 for every n < 2**16
DIV_45 = (-(-(1 << 24) // 45), 24)  # (multiplier, shift): r // 45 for every r < 2025
_DIGIT_TABLE = bytes(ord(ALPHABET[i]) if i < 45 else 0 for i in range(256))


@lru_cache(maxsize=16)
def _byte_mask(count: int) -> int:
    """0xFF in the lowest byte of each of `count` 40-bit slots (certificates share a few lengths)."""
    return int.from_bytes(b"\x00\x00\x00\x00\xff" * count, "big")


def b45encode(data: bytes) -> str:
    """Base45 text of `data`: two bytes become three characters, a last odd byte two (RFC 9285 4)."""
    count = len(data) // 2
    text = b""
    if count:
        slots = bytearray(5 * count)
        slots[3::5] = data[0 : 2 * count : 2]
        slots[4::5] = data[1 : 2 * count : 2]
        values = int.from_bytes(slots, "big")
        byte_mask = _byte_mask(count)
        high = (values * DIV_2025[0]) >> DIV_2025[1] & byte_mask
        low = values - 2025 * high
        middle = (low * DIV_45[0]) >> DIV_45[1] & byte_mask
        first = low - 45 * middle
        digits = ((first << 16) | (middle << 8) | high).to_bytes(5 * count, "big")
        out = bytearray(3 * count)
        out[0::3] = digits[2::5]
        out[1::3] = digits[3::5]
        out[2::3] = digits[4::5]
        text = bytes(out).translate(_DIGIT_TABLE)
    if len(data) % 2:
        last = data[-1]
        text += bytes((_DIGIT_TABLE[last % 45], _DIGIT_TABLE[last // 45]))
    return text.decode("ascii")


def encode_hc1(cose_sign1: bytes) -> str:
    """The HC1 string of a COSE_Sign1 message, ready for a QR code in alphanumeric mode."""
    return PREFIX + b45encode(zlib.compress(cose_sign1, ZLIB_LEVEL))
