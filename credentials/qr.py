"""QR pictures of an HC1 string: PNG written straight from the module matrix, and SVG.

The matrix comes from credentials.qrencode (alphanumeric mode, level Q, the same symbol segno makes).
The PNG is 1-bit greyscale built a whole row at a time: bytes.translate and bytes.replace turn a row
of modules into pixel bits, each pixel row is written `scale` times, and zlib compresses it.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from credentials.errors import RenderingError
from credentials.qrencode import QrMatrix, encode

DEFAULT_SCALE = 4  # pixels per module: a version 18 symbol is then 388 pixels wide with its quiet zone
QUIET_ZONE = 4  # modules of light border on each side (ISO/IEC 18004:2015 section 6.3.8)
PNG_ZLIB_LEVEL = (
    1  # the rows repeat (filter Up), so level 1 is within 10 % of level 9 in size at half the time
)
_MODULE_LETTERS = bytes.maketrans(b"\x00\x01", b"ld")  # light, dark
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def qr_matrix(hc1: str) -> QrMatrix:
    """The QR Code symbol of an HC1 string (alphanumeric mode, error correction level Q)."""
    return encode(hc1)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(matrix: QrMatrix, scale: int = DEFAULT_SCALE, border: int = QUIET_ZONE) -> bytes:
    """A 1-bit greyscale PNG of the symbol: black modules of `scale` pixels on white, `border` modules of quiet zone."""
    if not 1 <= scale <= 64 or not 0 <= border <= 64:
        raise RenderingError(
            "Draw QR codes with a scale of 1-64 pixels per module and a border of 0-64 modules."
        )
    side = (matrix.size + 2 * border) * scale
    padding = -side % 8
    quiet = b"1" * (border * scale)
    light, dark = b"1" * scale, b"0" * scale  # greyscale 1 is white, 0 is black
    line_bytes = (side + padding) // 8
    # A pixel row that repeats the one above is written with PNG filter type 2 (Up): all zero bytes,
    # which zlib compresses almost for free. New rows use filter type 0 (None).
    same_again = (b"\x02" + bytes(line_bytes)) * (scale - 1)
    blank = b"\x00" + int(b"1" * side + b"0" * padding, 2).to_bytes(line_bytes, "big")
    quiet_band = blank + (b"\x02" + bytes(line_bytes)) * (border * scale - 1) if border else b""
    # All module rows at once: letters for the modules, pixel bits for the letters, one integer parse.
    letters = b"r".join(matrix.rows).translate(_MODULE_LETTERS)
    digits = quiet + letters.replace(b"l", light).replace(b"d", dark).replace(
        b"r", quiet + b"0" * padding + quiet
    )
    packed = int(digits + quiet + b"0" * padding, 2).to_bytes(line_bytes * matrix.size, "big")
    lines = [quiet_band]
    for start in range(0, len(packed), line_bytes):
        lines.append(b"\x00" + packed[start : start + line_bytes] + same_again)
    lines.append(quiet_band)
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1 bit greyscale, no interlace
    idat = zlib.compress(b"".join(lines), PNG_ZLIB_LEVEL)
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
