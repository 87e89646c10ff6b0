"""A small CBOR encoder (RFC 8949) for exactly what a DCC needs: integers, text, bytes, arrays, maps, tags.

Issuing uses its own encoder so that the tests, which decode with cbor2, share no code with it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
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


def _encode(item: Any, emit: Callable[[bytes], None]) -> None:
    """Append the encoding of `item`: text, integers, bytes, arrays, maps and tags; anything else is refused."""
    kind = type(item)
    if kind is str:
        raw = item.encode("utf-8")
        size = len(raw)
        emit(_TEXT[size] if size < 256 else head(3, size))
        emit(raw)
    elif kind is int:
        if 0 <= item < 256:
            emit(_UINT[item])
        elif -256 <= item < 0:
            emit(_NINT[-1 - item])
        else:
            emit(head(0, item) if item >= 0 else head(1, -1 - item))
    elif kind is dict:
        size = len(item)
        emit(_MAP[size] if size < 256 else head(5, size))
        for key, value in item.items():
            _encode(key, emit)
            _encode(value, emit)
    elif kind is list or kind is tuple:
        size = len(item)
        emit(_ARRAY[size] if size < 256 else head(4, size))
        for element in item:
            _encode(element, emit)
    elif kind is bytes:
        size = len(item)
        emit(_BYTES[size] if size < 256 else head(2, size))
        emit(item)
    elif kind is Tag:
        emit(head(6, item.number))
        _encode(item.value, emit)
    else:  # bool (a subclass of int, so never `kind is int`), None, floats: not part of a DCC
        raise TypeError(f"cannot encode {kind.__name__} as CBOR")


def dumps(item: Any) -> bytes:
    """The CBOR encoding of `item`; maps keep their insertion order."""
    out: list[bytes] = []
    _encode(item, out.append)
    return b"".join(out)
