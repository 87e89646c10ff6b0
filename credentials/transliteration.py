"""ICAO 9303 transliteration of names for the DCC fields fnt/gnt, with every Vietnamese diacritic handled."""

from __future__ import annotations

import re
import unicodedata

from credentials.errors import InvalidRecordError

# DCC schema 1.3.x, person_name: fnt/gnt match ^[A-Z<]*$ and hold at most 80 characters.
MAX_LENGTH = 80

# ICAO Doc 9303 Part 3, section 6 (multinational characters): letters that are not a base letter
# plus combining marks, so Unicode decomposition alone would lose them. Đ is the one Vietnamese needs;
# the other Vietnamese letters (Ơ, Ư, Ễ, ...) decompose and lose their marks below.
_MULTINATIONAL = {
    "Đ": "D", "đ": "D", "Ð": "D", "ð": "D",
    "Æ": "AE", "æ": "AE", "Œ": "OE", "œ": "OE", "Ø": "OE", "ø": "OE",
    "Ä": "AE", "ä": "AE", "Ö": "OE", "ö": "OE", "Ü": "UE", "ü": "UE", "Å": "AA", "å": "AA",
    "ß": "SS", "ẞ": "SS", "Þ": "TH", "þ": "TH", "Ł": "L", "ł": "L", "Ħ": "H", "ħ": "H",
    "ı": "I", "Ĳ": "IJ", "ĳ": "IJ", "Ŋ": "N", "ŋ": "N", "Ŧ": "T", "ŧ": "T", "Ŀ": "L", "ŀ": "L",
}  # fmt: skip

# ICAO 9303: apostrophes are omitted; other punctuation (".", ",") is not represented either.
_DROPPED = frozenset("'’‘ʼ`´.,")
# ICAO 9303: spaces and hyphens become the filler "<".
_FILLER = frozenset("-‐‑–")
_FILLER_RUNS = re.compile("<+")


_CACHE_LIMIT = 4096  # distinct characters remembered (single characters, never whole names)
_characters: dict[str, str | None] = {}


def _transliterate_character(char: str) -> str | None:
    """What one (NFC) character becomes: letters, "<", "" for dropped punctuation, None if it has no form."""
    out = []
    for part in unicodedata.normalize("NFD", _MULTINATIONAL.get(char, char)):
        # Decomposed (Ễ -> E + circumflex + tilde): drop every combining mark.
        if unicodedata.combining(part):
            continue
        upper = part.upper()
        if upper.isascii() and upper.isalpha():
            out.append(upper)
        elif part.isspace() or part in _FILLER:
            out.append("<")
        elif part not in _DROPPED:
            return None
    return "".join(out)


def transliterate(name: str, *, field: str = "name") -> str:
    """The ICAO 9303 machine-readable form of a name: "Nguyễn Thị Ánh" -> "NGUYEN<THI<ANH".

    Raises InvalidRecordError for a letter ICAO has no transliteration for, or a name that
    transliterates to nothing.
    """
    out: list[str] = []
    for char in unicodedata.normalize("NFC", name):
        try:
            mapped = _characters[char]
        except KeyError:
            mapped = _transliterate_character(char)
            if len(_characters) < _CACHE_LIMIT:
                _characters[char] = mapped
        if mapped is None:
            bad = next(p for p in unicodedata.normalize("NFD", char) if not unicodedata.combining(p))
            raise InvalidRecordError(
                f"The {field} {name!r} contains {bad!r}, which has no ICAO 9303 transliteration; "
                "record the name in Latin letters."
            )
        out.append(mapped)
    result = _FILLER_RUNS.sub("<", "".join(out)).strip("<")
    # ICAO 9303 truncates names that do not fit; the DCC schema allows 80 characters.
    result = result[:MAX_LENGTH].rstrip("<")
    if not result:
        raise InvalidRecordError(
            f"The {field} {name!r} transliterates to nothing; record a name with at least one letter."
        )
    return result
