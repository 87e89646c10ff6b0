"""SMS encoding and segmentation (3GPP TS 23.038 alphabets, TS 23.040 concatenation).

A text that uses only the GSM 7-bit default alphabet (and its extension table, two septets per
character) is sent as GSM-7: up to 160 septets in one SMS, 153 per part when concatenated (the UDH
takes 7). Anything else, such as Vietnamese with its diacritics, goes as UCS-2 (UTF-16 code units):
up to 70 in one SMS, 67 per part. A part never splits an escape pair or a surrogate pair.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# TS 23.038 section 6.2.1: the default alphabet (positions 0x00-0x7F), with ESC (0x1B) left out.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# TS 23.038 section 6.2.1.1: the extension table, each sent as ESC + one septet.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
MAX_PARTS = 8  # a longer text is a mistake in a template, not something to send


@dataclass(frozen=True)
class Segments:
    """How a text goes out: its encoding and the text of each SMS part."""

    encoding: str  # "GSM-7" or "UCS-2"
    parts: tuple[str, ...]

    @property
    def count(self) -> int:
        """The number of SMS the text costs."""
        return len(self.parts)


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 default alphabet or its extension table."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def septets(text: str) -> int:
    """The length of a GSM-7 text in septets (extension characters take two)."""
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)


def ucs2_units(text: str) -> int:
    """The length of a text in UTF-16 code units (characters beyond the BMP take two)."""
    return len(text.encode("utf-16-be")) // 2


@lru_cache(maxsize=4096)  # planning sends one text to hundreds of people: split it once
def segment(text: str) -> Segments:
    """Split `text` into SMS parts in the cheapest encoding that loses nothing (NFC first, so a
    decomposed Vietnamese letter is one UCS-2 unit, not two)."""
    text = unicodedata.normalize("NFC", text)
    if is_gsm7(text):
        length = septets(text)
        if length <= GSM7_SINGLE:
            return Segments("GSM-7", (text,))
        if length == len(text):  # no extension characters: every character is one septet
            return Segments("GSM-7", _slices(text, GSM7_PART))
        return Segments("GSM-7", _split(text, GSM7_PART, lambda ch: 2 if ch in GSM7_EXTENSION else 1))
    units = ucs2_units(text)
    if units <= UCS2_SINGLE:
        return Segments("UCS-2", (text,))
    if units == len(text):  # all in the BMP: every character is one UTF-16 unit
        return Segments("UCS-2", _slices(text, UCS2_PART))
    return Segments("UCS-2", _split(text, UCS2_PART, lambda ch: 2 if ord(ch) > 0xFFFF else 1))


def _slices(text: str, limit: int) -> tuple[str, ...]:
    """Fixed-width parts (every character one unit)."""
    return tuple(text[i : i + limit] for i in range(0, len(text), limit))


def _split(text: str, limit: int, width: Callable[[str], int]) -> tuple[str, ...]:
    """Greedy split by character width; a character is never cut (escape or surrogate pairs)."""
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        w = width(ch)
        if used + w > limit:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += w
    if current:
        parts.append("".join(current))
    return tuple(parts)


def encode_ucs2(part: str) -> bytes:
    """The bytes of one UCS-2 part as they go over the air (UTF-16 big-endian)."""
    return part.encode("utf-16-be")
