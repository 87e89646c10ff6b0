"""The HC1 text of a signed certificate: zlib, then base45 (RFC 9285), then the "HC1:" prefix."""

from __future__ import annotations

import struct
import zlib

PREFIX = "HC1:"
ZLIB_LEVEL = 9  # the smallest output: fewer QR modules, and zlib is a small share of the issuing time

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


# The first two characters of every 3-character group (the value modulo 2025): a small table that stays
# in the CPU cache (a 65,536-entry table of whole groups measured slower inside the issuing pipeline).
_LOW_PAIRS = [ALPHABET[n % 45] + ALPHABET[n // 45] for n in range(2025)]


def b45encode(data: bytes) -> str:
    """Base45 text of `data`: two bytes become three characters, a last odd byte two (RFC 9285 4)."""
    count = len(data) // 2
    out: list[str] = []
    append = out.append
    for value in struct.unpack(f">{count}H", data[: 2 * count]):
        high, low = divmod(value, 2025)
        append(_LOW_PAIRS[low])
        append(ALPHABET[high])
    if len(data) % 2:
        last = data[-1]
        append(ALPHABET[last % 45] + ALPHABET[last // 45])
    return "".join(out)


def encode_hc1(cose_sign1: bytes) -> str:
    """The HC1 string of a COSE_Sign1 message, ready for a QR code in alphanumeric mode."""
    return PREFIX + b45encode(zlib.compress(cose_sign1, ZLIB_LEVEL))
