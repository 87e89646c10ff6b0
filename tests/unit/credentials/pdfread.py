"""A small PDF reader for the tests: the text of the page (through each font's ToUnicode map) and its images.

It shares nothing with fpdf2: it parses the objects, inflates streams with zlib, maps glyph codes with
the fonts' CMaps, and hands CCITT Group 4 images to Pillow wrapped in a minimal TIFF file.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import dataclass

from PIL import Image

_OBJECT = re.compile(rb"(\d+) 0 obj((?:(?!endobj).)*?)(?:stream\r?\n(.*?)\r?\nendstream|endobj)", re.S)
_ESCAPES = {
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"b": b"\b",
    b"f": b"\f",
    b"(": b"(",
    b")": b")",
    b"\\": b"\\",
}


@dataclass
class PdfObject:
    header: bytes
    stream: bytes | None


def objects(pdf: bytes) -> dict[int, PdfObject]:
    found = {}
    for match in _OBJECT.finditer(pdf):
        header, stream = match.group(2), match.group(3)
        if stream is not None and b"/FlateDecode" in header:
            stream = zlib.decompress(stream)
        found[int(match.group(1))] = PdfObject(header, stream)
    return found


def _cmap(data: bytes) -> dict[int, str]:
    mapping = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, start in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = int(start, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """A PDF literal string starting after "(" at `start`: its bytes and the index after ")"."""
    out, depth, i = bytearray(), 1, start
    while True:
        char = data[i : i + 1]
        if char == b"\\":
            nxt = data[i + 1 : i + 2]
            if nxt.isdigit():
                octal = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4])
                assert octal is not None
                out.append(int(octal.group(), 8))
                i += 1 + len(octal.group())
                continue
            out += _ESCAPES.get(nxt, nxt)
            i += 2
            continue
        if char == b"(":
            depth += 1
        elif char == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += char
        i += 1


def page_text(pdf: bytes) -> list[str]:
    """Every string the page shows, decoded through its font's ToUnicode map."""
    found = objects(pdf)
    fonts = {}
    resources = re.search(rb"/Font\s*<<(.*?)>>", pdf, re.S)
    assert resources is not None
    for name, number in re.findall(rb"/(\w+)\s+(\d+) 0 R", resources.group(1)):
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", found[int(number)].header)
        assert to_unicode is not None
        stream = found[int(to_unicode.group(1))].stream
        assert stream is not None
        fonts[name] = _cmap(stream)
    texts = []
    for item in found.values():
        content = item.stream
        if content is None or b" Tj" not in content:
            continue
        font: dict[int, str] = {}
        i = 0
        while i < len(content):
            select = re.compile(rb"/(\w+) [\d.]+ Tf").match(content, i)
            if select:
                font = fonts[select.group(1)]
                i = select.end()
                continue
            if content[i : i + 1] == b"(":
                raw, i = _literal(content, i + 1)
                codes = struct.unpack(f">{len(raw) // 2}H", raw)
                texts.append("".join(font.get(code, "\ufffd") for code in codes))
                continue
            i += 1
    return texts


def images(pdf: bytes) -> list[Image.Image]:
    """The page's images; CCITT Group 4 ones are read by Pillow from a minimal TIFF wrapper."""
    pictures = []
    for item in objects(pdf).values():
        if b"/Subtype /Image" not in item.header or item.stream is None:
            continue
        width = int(re.search(rb"/Width (\d+)", item.header).group(1))  # type: ignore[union-attr]
        height = int(re.search(rb"/Height (\d+)", item.header).group(1))  # type: ignore[union-attr]
        if b"/CCITTFaxDecode" in item.header:
            black_is_1 = b"/BlackIs1 true" in item.header
            pictures.append(Image.open(io.BytesIO(_tiff_g4(item.stream, width, height, black_is_1))))
        else:
            mode = "L" if b"/DeviceGray" in item.header else "RGB"
            pictures.append(Image.frombytes(mode, (width, height), item.stream))
    return pictures


def _tiff_g4(data: bytes, width: int, height: int, black_is_1: bool) -> bytes:
    """A one-strip little-endian TIFF holding CCITT T.6 (Group 4) data."""
    tags = [
        (256, 4, width),  # ImageWidth
        (257, 4, height),  # ImageLength
        (258, 3, 1),  # BitsPerSample
        (259, 3, 4),  # Compression: CCITT T.6
        (262, 3, 1 if black_is_1 else 0),  # PhotometricInterpretation: BlackIsZero / WhiteIsZero
        (273, 4, 8),  # StripOffsets: the data follows the header
        (278, 4, height),  # RowsPerStrip
        (279, 4, len(data)),  # StripByteCounts
    ]
    ifd_offset = 8 + len(data)
    ifd = struct.pack("<H", len(tags))
    for tag, kind, value in tags:
        ifd += (
            struct.pack("<HHII", tag, kind, 1, value)
            if kind == 4
            else struct.pack("<HHIHH", tag, kind, 1, value, 0)
        )
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", ifd_offset) + data + ifd
