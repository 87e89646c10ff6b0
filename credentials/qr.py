"""QR pictures of an HC1 string: PNG written straight from the module matrix, and SVG.

The matrix comes from credentials.qrencode (alphanumeric mode, level Q, the same symbol segno makes).
The PNG is 1-bit greyscale built with numpy in whole arrays: each byte of eight packed modules becomes its
pixel bytes by one table look-up, each module row is written once and repeated with PNG's Up filter, and
zlib compresses it.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from credentials.errors import RenderingError
from credentials.qrbatch import encode_many
from credentials.qrencode import Bytes, QrMatrix, encode

DEFAULT_SCALE = 4  # pixels per module: a version 18 symbol is then 388 pixels wide with its quiet zone
QUIET_ZONE = 4  # modules of light border on each side (ISO/IEC 18004:2015 section 6.3.8)
# zlib's run-length strategy: repeated pixel rows (filter Up) are zero bytes and module runs are byte runs, so
# matching only runs is as fast as level 1 and smaller than level 9's full search (1,856 bytes against 1,934
# for a version 18 symbol at scale 4, in a quarter of level 6's time).
PNG_ZLIB_LEVEL = 9
PNG_ZLIB_STRATEGY = zlib.Z_RLE
# memLevel 8, not 9: zlib's buffers stay at 64 KiB each, under glibc's mmap threshold, so a picture does
# not map and fault in fresh pages (about 100 us of a certificate's PNG, measured beside the QR encoder).
# The bytes of a certificate's picture are the same as with 9 (run-length matching uses no hash chains and
# it fits one block); only much larger pictures (scale 9 and up of a version 30 symbol) split into more
# blocks, a few bytes longer, with the same pixels.
PNG_ZLIB_MEMLEVEL = 8
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def qr_matrix(hc1: str) -> QrMatrix:
    """The QR Code symbol of an HC1 string (alphanumeric mode, error correction level Q)."""
    return encode(hc1)


def qr_matrices(texts: Sequence[str]) -> list[QrMatrix]:
    """The symbols of many HC1 strings, in order: the same as `qr_matrix` of each, drawn together (a
    re-issue's batch costs about a third less a symbol than one at a time)."""
    return encode_many(texts)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def _pixel_bytes(scale: int) -> Bytes:
    """[8 modules packed in a byte] -> their `scale` pixel bytes: each module bit repeated `scale` times."""
    modules = np.unpackbits(np.arange(256, dtype=np.uint8)).reshape(256, 8)
    return np.packbits(np.repeat(modules, scale, axis=1), axis=1)  # (256, scale)


@cache
def _lines_template(count: int, scale: int, row_bytes: int) -> Bytes:
    """The filtered image with every pixel row empty: each module row is `scale` pixel rows, the first with
    PNG filter type 0 (None), the others with type 2 (Up) and all zero bytes, as they repeat the row above."""
    lines = np.zeros((count, scale, 1 + row_bytes), dtype=np.uint8)
    lines[:, 1:, 0] = 2
    return lines


def png_bytes(matrix: QrMatrix, scale: int = DEFAULT_SCALE, border: int = QUIET_ZONE) -> bytes:
    """A 1-bit greyscale PNG of the symbol: black modules of `scale` pixels on white, `border` modules of quiet zone."""
    if not 1 <= scale <= 64 or not 0 <= border <= 64:
        raise RenderingError(
            "Draw QR codes with a scale of 1-64 pixels per module and a border of 0-64 modules."
        )
    modules = np.frombuffer(b"".join(matrix.rows), dtype=np.uint8).reshape(matrix.size, matrix.size)
    count = matrix.size + 2 * border
    side = count * scale
    row_bytes = (side + 7) // 8
    white = np.ones((count, count), dtype=np.uint8)  # greyscale 1 is white, 0 is black
    white[border : border + matrix.size, border : border + matrix.size] ^= modules
    # Eight modules (one packed byte; the last byte of a row is padded with 0 bits, which stay 0 pixel bits past the row's end) become
    # `scale` pixel bytes by one table look-up; the row is then cut to its whole bytes.
    packed = _pixel_bytes(scale)[np.packbits(white, axis=1)].reshape(count, -1)[:, :row_bytes]
    lines = _lines_template(count, scale, row_bytes).copy()
    lines[:, 0, 1:] = packed
    compressor = zlib.compressobj(PNG_ZLIB_LEVEL, zlib.DEFLATED, 15, PNG_ZLIB_MEMLEVEL, PNG_ZLIB_STRATEGY)
    idat = compressor.compress(lines.tobytes()) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1 bit greyscale, no interlace
    return _PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def svg_text(matrix: QrMatrix, scale: int = DEFAULT_SCALE, border: int = QUIET_ZONE) -> str:
    """An SVG of the symbol: one path of horizontal runs of dark modules on a white square."""
    if not 1 <= scale <= 64 or not 0 <= border <= 64:
        raise RenderingError(
            "Draw QR codes with a scale of 1-64 pixels per module and a border of 0-64 modules."
        )
    side = matrix.size + 2 * border
    runs: list[str] = []
    for y, row in enumerate(matrix.rows):
        x = 0
        while (x := row.find(1, x)) != -1:
            end = row.find(0, x)
            end = matrix.size if end == -1 else end
            runs.append(f"M{x + border} {y + border}h{end - x}v1h{x - end}z")
            x = end
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side * scale}" height="{side * scale}" '
        f'viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>\n'
    )


def hc1_png(hc1: str, scale: int = DEFAULT_SCALE) -> bytes:
    """The PNG QR code of an HC1 string."""
    return png_bytes(qr_matrix(hc1), scale)


def hc1_svg(hc1: str, scale: int = DEFAULT_SCALE) -> str:
    """The SVG QR code of an HC1 string."""
    return svg_text(qr_matrix(hc1), scale)


def write_picture(path: Path, content: bytes | str) -> None:
    """Write a picture file, with one clear error if it cannot be written."""
    try:
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    except OSError as exc:
        raise RenderingError(f"Cannot write {path}: {exc.strerror or exc}; choose a writable path.") from exc
