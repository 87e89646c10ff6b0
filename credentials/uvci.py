"""Unique vaccination certificate identifiers (UVCI) for Viet Nam, with their Luhn mod N check character."""

from __future__ import annotations

import base64
from collections.abc import Callable

from credentials.errors import CredentialError

PREFIX = "URN:UVCI:01:VN:"
# eHealth Network guidelines on verifiable vaccination certificates, Annex 2 (UVCI): the optional
# check character is the Luhn mod N of the whole UVCI over the 38 characters A-Z, 0-9, "/" and ":",
# appended after "#". The order of the characters decides the result: A-Z first, then 0-9, then
# "/" and ":" is the order the national issuers in the published test data (AT, DK, FR) use
# (tests/credentials/test_uvci.py checks every check character found in those vectors).
CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"
_CODE = {char: code for code, char in enumerate(CHARSET)}
_N = len(CHARSET)
OPAQUE_BYTES = 16  # 128 random bits: collisions are out of reach at 150 million certificates

RandomBytes = Callable[[int], bytes]


# Code point of each character (255: not in the character set), and the Luhn sum of a doubled code point.
_CODES = bytes(_CODE.get(chr(byte), 255) for byte in range(256))
_DOUBLED = bytes((2 * code) // _N + (2 * code) % _N if code < _N else 0 for code in range(256))


def check_character(uvci: str) -> str:
    """The Luhn mod N check character of a UVCI (without its "#" suffix); letters count as upper case."""
    text = uvci.upper()
    codes = text.encode("latin-1", errors="replace").translate(_CODES) if text.isascii() else b"\xff"
    if 255 in codes:
        bad = next((c for c in text if c not in _CODE), "?")
        raise CredentialError(f"The UVCI {uvci!r} contains {bad!r}, outside A-Z, 0-9, '/' and ':'.")
    # Luhn mod N: from the right, every other code point is doubled (the last one first), and a doubled
    # value adds its two base-N digits.
    backwards = codes[::-1]
    total = sum(backwards[0::2].translate(_DOUBLED)) + sum(backwards[1::2])
    return CHARSET[(_N - total % _N) % _N]


def has_valid_check(uvci_with_check: str) -> bool:
    """Whether a UVCI ending in "#<check>" carries the right check character."""
    body, sep, check = uvci_with_check.rpartition("#")
    return bool(sep) and len(check) == 1 and check.upper() == check_character(body)


def new_uvci(random_bytes: RandomBytes) -> str:
    """A fresh `URN:UVCI:01:VN:<opaque>#<check>`; the opaque part is random, never derived from personal data."""
    raw = random_bytes(OPAQUE_BYTES)
    if not isinstance(raw, bytes) or len(raw) != OPAQUE_BYTES:
        raise CredentialError(f"The random source must return {OPAQUE_BYTES} bytes for a UVCI.")
    opaque = base64.b32encode(raw).decode("ascii").rstrip("=")  # A-Z and 2-7 only: 26 characters
    body = PREFIX + opaque
    return f"{body}#{check_character(body)}"
