"""The HC1 text of a signed certificate: zlib, then base45 (RFC 9285), then the "HC1:" prefix."""

from __future__ import annotations

import struct
import zlib
from functools import cache

PREFIX = "HC1:"
ZLIB_LEVEL = 9  # the smallest output: fewer QR modules, and zlib is a small share of the issuing time

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


@cache
def _triples() -> list[str]:
    """Every 3-character group for a 2-byte chunk, built on first use: encoding is one lookup per chunk."""
    return [ALPHABET[n % 45] + ALPHABET[n // 45 % 45] + ALPHABET[n // 2025] for n in range(65536)]


def b45encode(data: bytes) -> str:
    """Base45 text of `data`: two bytes become three characters, a last odd byte two (RFC 9285 4)."""
    count = len(data) // 2
    text = "".join(map(_triples().__getitem__, struct.unpack(f">{count}H", data[: 2 * count])))
    if len(data) & 1:
        last = data[-1]
        text += ALPHABET[last % 45] + ALPHABET[last // 45]
    return text


def encode_hc1(cose_sign1: bytes) -> str:
    """The HC1 string of a COSE_Sign1 message, ready for a QR code in alphanumeric mode."""
    return PREFIX + b45encode(zlib.compress(cose_sign1, ZLIB_LEVEL))
