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


def _head(major: int, argument: int) -> bytes:
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


def _int(item: int, out: list[bytes]) -> None:
    out.append(_head(0, item) if item >= 0 else _head(1, -1 - item))


def _text(item: str, out: list[bytes]) -> None:
    raw = item.encode("utf-8")
    out.append(_head(3, len(raw)))
    out.append(raw)


def _bytes(item: bytes, out: list[bytes]) -> None:
    out.append(_head(2, len(item)))
    out.append(item)


def _array(item: list[Any] | tuple[Any, ...], out: list[bytes]) -> None:
    out.append(_head(4, len(item)))
    for element in item:
        _encode(element, out)


def _map(item: dict[Any, Any], out: list[bytes]) -> None:
    out.append(_head(5, len(item)))
    for key, value in item.items():
        _encode(key, out)
        _encode(value, out)


def _tag(item: Tag, out: list[bytes]) -> None:
    out.append(_head(6, item.number))
    _encode(item.value, out)


# Dispatch on the exact type: bool (a subclass of int) and anything unexpected are refused.
_ENCODERS: dict[type, Callable[[Any, list[bytes]], None]] = {
    int: _int,
    str: _text,
    bytes: _bytes,
    list: _array,
    tuple: _array,
    dict: _map,
    Tag: _tag,
}


def _encode(item: Any, out: list[bytes]) -> None:
    encoder = _ENCODERS.get(type(item))
    if encoder is None:
        raise TypeError(f"cannot encode {type(item).__name__} as CBOR")
    encoder(item, out)


def dumps(item: Any) -> bytes:
    """The CBOR encoding of `item`; maps keep their insertion order."""
    out: list[bytes] = []
    _encode(item, out)
    return b"".join(out)
