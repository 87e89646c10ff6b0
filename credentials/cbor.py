"""A small CBOR encoder (RFC 8949) for exactly what a DCC needs: integers, text, bytes, arrays, maps, tags.

Issuing uses its own encoder so that the tests, which decode with cbor2, share no code with it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tag:
    """A tagged CBOR item, e.g. Tag(18, [...]) for COSE_Sign1."""

    number: int
    value: Any


def head(major: int, argument: int) -> bytes:
    """The initial byte(s) of an item: major type and argument in the shortest form (RFC 8949 4.2.1)."""
    if argument < 24:
        return bytes((major << 5 | argument,))
    if argument < 0x100:
        return bytes((major << 5 | 24, argument))
    if argument < 0x10000:
        return struct.pack(">BH", major << 5 | 25, argument)
    if argument < 0x100000000:
        return struct.pack(">BI", major << 5 | 26, argument)
    if argument < 0x10000000000000000:
        return struct.pack(">BQ", major << 5 | 27, argument)
    raise ValueError("integer too large for CBOR")


# Heads for arguments below 256 of every major type, built once: most items of a DCC use these.
_HEADS = [[head(major, n) for n in range(256)] for major in range(8)]
_UINT, _NINT, _BYTES, _TEXT, _ARRAY, _MAP = (_HEADS[m] for m in range(6))


# Encoded text of the DCC's field names and constant values, looked up before encoding (a dict lookup
# costs less than encode + head + two appends); every other text is encoded as it comes.
_KNOWN_TEXT = {
    text: _TEXT[len(text.encode("utf-8"))] + text.encode("utf-8")
    for text in (
        "ver", "nam", "fn", "fnt", "gn", "gnt", "dob", "v", "t", "r", "tg", "vp", "mp", "ma", "dn", "sd",
        "dt", "co", "is", "ci", "1.3.0", "840539006", "VN", "Ministry of Health of Viet Nam",
    )
}  # fmt: skip


def _encode(item: Any, out: list[bytes]) -> None:
    """Append the encoding of `item`: text, integers, bytes, arrays, maps and tags; anything else is refused.

    Text and small integers inside maps and arrays are written inline (most of a DCC's items), not
    through a call per item.
    """
    append = out.append
    kind = type(item)
    if kind is dict:
        size = len(item)
        append(_MAP[size] if size < 256 else head(5, size))
        for pair in item.items():
            for element in pair:
                if type(element) is str:
                    known = _KNOWN_TEXT.get(element)
                    if known is None:
                        raw = element.encode("utf-8")
                        size = len(raw)
                        append(_TEXT[size] if size < 256 else head(3, size))
                        append(raw)
                    else:
                        append(known)
                elif type(element) is int and 0 <= element < 256:
                    append(_UINT[element])
                else:
                    _encode(element, out)
    elif kind is str:
        raw = item.encode("utf-8")
        size = len(raw)
        append(_TEXT[size] if size < 256 else head(3, size))
        append(raw)
    elif kind is int:
        if 0 <= item < 256:
            append(_UINT[item])
        elif -256 <= item < 0:
            append(_NINT[-1 - item])
        else:
            append(head(0, item) if item >= 0 else head(1, -1 - item))
    elif kind is list or kind is tuple:
        size = len(item)
        append(_ARRAY[size] if size < 256 else head(4, size))
        for element in item:
            _encode(element, out)
    elif kind is bytes:
        size = len(item)
        append(_BYTES[size] if size < 256 else head(2, size))
        append(item)
    elif kind is Tag:
        append(head(6, item.number))
        _encode(item.value, out)
    else:  # bool (a subclass of int, so never `kind is int`), None, floats: not part of a DCC
        raise TypeError(f"cannot encode {kind.__name__} as CBOR")


def dumps(item: Any) -> bytes:
    """The CBOR encoding of `item`; maps keep their insertion order."""
    out: list[bytes] = []
    _encode(item, out)
    return b"".join(out)
