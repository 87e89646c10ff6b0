"""A fast QR Code encoder for HC1 strings: alphanumeric mode, error correction level Q, the mask segno would pick.

segno builds a version 18 symbol in about 45 ms, 35 of them choosing the mask with per-module Python
loops. This encoder does the same steps (ISO/IEC 18004:2015 section 7) on whole rows at once: bit
strings through lookup tables, Reed-Solomon with precomputed generator multiples, module placement
with one itemgetter, masks as big-integer XORs, and the penalty rules with regular expressions and
integer bit tricks. It scores masks exactly as segno does (before format information is drawn), so
the tests can require the very same matrix as segno for every input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import zip_longest
from operator import itemgetter

from credentials.errors import RenderingError
from credentials.qrtables import ALIGNMENT_POSITIONS, BLOCKS_Q, FORMAT_Q, VERSION_INFO

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {char: value for value, char in enumerate(ALPHANUMERIC)}
_SEPARATOR = 2  # a cell value that is neither light (0) nor dark (1): ends each row in the padded layouts
_BITS = [bytes((byte >> (7 - k)) & 1 for k in range(8)) for byte in range(256)]


@dataclass(frozen=True)
class QrMatrix:
    """A finished QR Code symbol: rows of modules (1 dark, 0 light), without the quiet zone."""

    version: int
    mask: int
    rows: tuple[bytes, ...]

    @property
    def size(self) -> int:
        """Modules per side: 17 + 4 x version."""
        return len(self.rows)


# --- data encoding (ISO/IEC 18004:2015 7.4) -----------------------------------------------------


def _count_bits(version: int) -> int:
    """Length of the character count indicator in alphanumeric mode (Table 3)."""
    return 9 if version < 10 else 11 if version < 27 else 13


def _data_codewords(version: int) -> int:
    return sum(count * data for count, _, data in BLOCKS_Q[version])


def _choose_version(length: int) -> int:
    """The smallest version whose level-Q data capacity holds `length` alphanumeric characters."""
    for version in range(1, 41):
        bits = 4 + _count_bits(version) + 11 * (length // 2) + 6 * (length % 2)
        if bits <= 8 * _data_codewords(version):
            return version
    raise RenderingError(
        f"A text of {length} characters does not fit in a QR Code at error correction level Q."
    )


@cache
def _pair_bits() -> dict[str, str]:
    """The 11-bit code of every two-character group (45 x first + second, 7.4.5), built on first use."""
    return {a + b: format(45 * _VALUE[a] + _VALUE[b], "011b") for a in ALPHANUMERIC for b in ALPHANUMERIC}


_PAIRS = re.compile("..", re.S)


def _data_bytes(text: str, version: int) -> bytes:
    """Mode indicator, count, the character pairs, terminator, padding to full data codewords (7.4.4-7.4.10)."""
    count_bits = _count_bits(version)
    parts = ["0010", format(len(text), f"0{count_bits}b")]  # alphanumeric mode indicator, character count
    parts += map(_pair_bits().__getitem__, _PAIRS.findall(text))
    if len(text) % 2:
        parts.append(format(_VALUE[text[-1]], "06b"))
    stream = "".join(parts)
    capacity = 8 * _data_codewords(version)
    stream += "0" * min(4, capacity - len(stream))  # terminator
    # Zero bits up to the codeword boundary. Like segno, a stream already on the boundary gets a whole
    # zero codeword (after the terminator every reader ignores it): this keeps the symbols identical.
    stream += "0" * (8 - len(stream) % 8)
    data = int(stream, 2).to_bytes(len(stream) // 8, "big")[: capacity // 8]
    filler = (b"\xec\x11" * capacity)[: capacity // 8 - len(data)]  # pad codewords 11101100 00010001
    return data + filler


# --- error correction (7.5) ----------------------------------------------------------------------


@cache
def _gf_tables() -> tuple[list[int], list[int]]:
    """Exponent and logarithm tables of GF(256) with the QR polynomial x^8+x^4+x^3+x^2+1."""
    exp, log = [0] * 512, [0] * 256
    value = 1
    for power in range(255):
        exp[power] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    for power in range(255, 512):
        exp[power] = exp[power - 255]
    return exp, log


@cache
def _generator_multiples(degree: int) -> tuple[int, ...]:
    """For each byte f: f times the generator polynomial's lower coefficients, as one integer."""
    exp, log = _gf_tables()
    generator = [1]
    for root in range(degree):  # multiply by (x - alpha^root)
        product = [*generator, 0]
        for k, coefficient in enumerate(generator):
            if coefficient:
                product[k + 1] ^= exp[log[coefficient] + root]
        generator = product
    lower = generator[1:]
    multiples = [0]
    for factor in range(1, 256):
        multiples.append(int.from_bytes(bytes(exp[log[factor] + log[c]] if c else 0 for c in lower), "big"))
    return tuple(multiples)


def _shift_register(block: bytes, degree: int) -> int:
    """The Reed-Solomon remainder of one block, by polynomial division as a shift register."""
    multiples = _generator_multiples(degree)
    top_shift = 8 * (degree - 1)
    mask = (1 << (8 * degree)) - 1
    remainder = 0
    for byte in block:
        factor = (remainder >> top_shift) ^ byte
        remainder = ((remainder << 8) & mask) ^ multiples[factor]
    return remainder


@cache
def _position_tables(length: int, degree: int) -> tuple[list[int], ...]:
    """For each data position, the remainder of every byte value there: encoding is linear over GF(256),
    so a block's remainder is the XOR of one table entry per byte."""
    exp, log = _gf_tables()
    tables = []
    for position in range(length):
        unit = _shift_register(bytes(position) + b"\x01" + bytes(length - position - 1), degree)
        coefficients = unit.to_bytes(degree, "big")
        table = [0]
        for value in range(1, 256):
            table.append(
                int.from_bytes(bytes(exp[log[value] + log[c]] if c else 0 for c in coefficients), "big")
            )
        tables.append(table)
    return tuple(tables)


def _error_correction(block: bytes, degree: int) -> bytes:
    """The Reed-Solomon error correction codewords of one block (7.5.2)."""
    remainder = 0
    for table, byte in zip(_position_tables(len(block), degree), block, strict=True):
        remainder ^= table[byte]
    return remainder.to_bytes(degree, "big")


def _final_message(data: bytes, version: int) -> bytes:
    """Data and error correction codewords split into blocks and interleaved (7.6)."""
    blocks: list[bytes] = []
    ecc: list[bytes] = []
    position = 0
    for count, total, size in BLOCKS_Q[version]:
        for _ in range(count):
            block = data[position : position + size]
            position += size
            blocks.append(block)
            ecc.append(_error_correction(block, total - size))
    # Codeword k of every block in turn; the shorter blocks of group 1 have nothing at the last index.
    interleaved = [b for column in zip_longest(*blocks) for b in column if b is not None]
    interleaved += [b for column in zip_longest(*ecc) for b in column if b is not None]
    return bytes(interleaved)


# --- the symbol's layout (6.3, 7.7) --------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Everything about one version that does not depend on the data, built once per version."""

    size: int
    data_cells: int
    place: itemgetter[tuple[int, ...]]  # (data bits + light + dark + separator) -> padded row-major cells
    masks: tuple[int, ...]  # per mask pattern: the data cells it inverts, one bit per padded cell
    overlays: tuple[int, ...]  # per mask pattern: format information, version information, dark module


def _mask_condition(pattern: int, i: int, j: int) -> bool:
    """Data mask pattern conditions (Table 10), i = row, j = column."""
    if pattern == 0:
        return (i + j) % 2 == 0
    if pattern == 1:
        return i % 2 == 0
    if pattern == 2:
        return j % 3 == 0
    if pattern == 3:
        return (i + j) % 3 == 0
    if pattern == 4:
        return (i // 2 + j // 3) % 2 == 0
    if pattern == 5:
        return (i * j) % 2 + (i * j) % 3 == 0
    if pattern == 6:
        return ((i * j) % 2 + (i * j) % 3) % 2 == 0
    return ((i + j) % 2 + (i * j) % 3) % 2 == 0


@cache
def _layout(version: int) -> _Layout:
    size = 17 + 4 * version
    unset = -1
    grid = [[unset] * size for _ in range(size)]
    # Finder patterns with their separators (6.3.3, 6.3.4).
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        for r in range(-1, 8):
            for c in range(-1, 8):
                i, j = top + r, left + c
                if 0 <= i < size and 0 <= j < size:
                    ring = max(abs(r - 3), abs(c - 3))
                    grid[i][j] = 1 if ring in (0, 1, 3) else 0
    # Format information areas, dark module included, reserved light for the mask evaluation (7.9).
    for k in range(9):
        grid[k][8] = grid[8][k] = 0
    for k in range(8):
        grid[size - 1 - k][8] = grid[8][size - 1 - k] = 0
    # Version information areas (7.10).
    if version >= 7:
        for k in range(6):
            for m in range(3):
                grid[k][size - 11 + m] = grid[size - 11 + m][k] = 0
    # Timing patterns (6.3.5).
    for k in range(8, size - 8):
        grid[6][k] = grid[k][6] = 1 - k % 2
    # Alignment patterns (6.3.6), except where they would overlap a finder pattern.
    centres = ALIGNMENT_POSITIONS[version]
    corners = (
        {(centres[0], centres[0]), (centres[0], centres[-1]), (centres[-1], centres[0])} if centres else set()
    )
    for ci in centres:
        for cj in centres:
            if (ci, cj) in corners:
                continue
            for r in range(-2, 3):
                for c in range(-2, 3):
                    grid[ci + r][cj + c] = 1 if max(abs(r), abs(c)) != 1 else 0
    # Data placement order (7.7.3): two-module columns from the right, alternately upwards and downwards.
    order: list[tuple[int, int]] = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1  # the vertical timing pattern shifts the remaining columns left
        for vertical in range(size):
            for z in range(2):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = size - 1 - vertical if upwards else vertical
                if grid[i][j] == unset:
                    grid[i][j] = -2 - len(order)  # marks the cell as the n-th data module
                    order.append((i, j))
    data_cells = len(order)
    width = size + 1  # each row followed by a separator cell
    light, dark, separator = data_cells, data_cells + 1, data_cells + 2
    sources: list[int] = []
    for i in range(size):
        for j in range(size):
            value = grid[i][j]
            sources.append(-2 - value if value <= -2 else dark if value == 1 else light)
        sources.append(separator)
    masks, overlays = [], []
    for pattern in range(8):
        cells = bytearray(width * size)
        for i, j in order:
            cells[i * width + j] = _mask_condition(pattern, i, j)
        masks.append(_plane(bytes(cells)))
        overlays.append(_plane(bytes(_overlay(version, size, width, pattern))))
    return _Layout(
        size=size,
        data_cells=data_cells,
        place=itemgetter(*sources),
        masks=tuple(masks),
        overlays=tuple(overlays),
    )


_DARK_DIGIT = bytes.maketrans(b"\x00\x01\x02", b"010")
_CELL_OF_DIGIT = bytes.maketrans(b"01", b"\x00\x01")


def _plane(cells: bytes) -> int:
    """One bit per cell, set where the cell is dark (1); the first cell is the most significant bit."""
    return int(cells.translate(_DARK_DIGIT), 2)


def _overlay(version: int, size: int, width: int, pattern: int) -> bytearray:
    """The dark modules of format information (7.9.1), version information (7.10) and the dark module."""
    cells = bytearray(width * size)
    info = FORMAT_Q[pattern]
    for k in range(8):
        vbit, hbit = (info >> k) & 1, (info >> (14 - k)) & 1
        near = k if k < 6 else k + 1  # skips the timing pattern in row and column 6
        cells[near * width + 8] = vbit  # vertical, upper left
        cells[8 * width + near] = hbit  # horizontal, upper left
        cells[8 * width + size - 1 - k] = vbit  # horizontal, upper right
        cells[(size - 1 - k) * width + 8] = hbit  # vertical, lower left
    cells[(size - 8) * width + 8] = 1  # the dark module
    if version >= 7:
        bits = VERSION_INFO[version - 7]
        for k in range(6):
            for m in range(3):
                bit = (bits >> (3 * k + m)) & 1
                cells[(size - 11 + m) * width + k] = bit  # lower left
                cells[k * width + size - 11 + m] = bit  # upper right
    return cells


# --- masking and its evaluation (7.8) ------------------------------------------------------------


@dataclass(frozen=True)
class _Windows:
    """Bit masks over the padded row-major layout (one bit per cell: n cells then a separator per row).

    For a direction with step 1 (along rows) or width (down columns): `before[s]` marks cells with at
    least s cells before them in their line, `after[k]` cells with a cell 7 + k places after them.
    """

    cells: int  # every module (not the separators)
    before: tuple[int, ...]
    after: tuple[int, ...]


@cache
def _windows(size: int, vertical: bool) -> _Windows:
    width = size + 1
    length = width * size

    def marks(condition: Callable[[int], bool]) -> int:
        """Bit k (from the most significant end) set for modules whose position along their line passes."""
        text = "".join(
            "1" if k % width < size and condition(k // width if vertical else k % width) else "0"
            for k in range(length)
        )
        return int(text, 2)

    def at_least(s: int) -> Callable[[int], bool]:
        return lambda along: along >= s

    def room_after(k: int) -> Callable[[int], bool]:
        return lambda along: along + 7 + k < size

    return _Windows(
        cells=marks(lambda along: True),
        before=tuple(marks(at_least(s)) for s in range(5)),
        after=tuple(marks(room_after(k)) for k in range(4)),
    )


def _line_scores(dark: int, light: int, step: int, w: _Windows) -> tuple[int, int]:
    """N1 and N3 of every row (step 1) or every column (step = row width), in whole-matrix integer operations.

    One bit per cell, the first cell most significant: `x >> step` puts the previous cell of each line at
    every cell, `x << step` the next one. Separator bits are neither dark nor light.
    """
    # N1: cell k equals the one before it; five equal cells end at k; a run of 5 + i scores 3 + i.
    same = ((dark & (dark >> step)) | (light & (light >> step))) & w.before[1]
    five = same & (same >> step) & (same >> 2 * step) & (same >> 3 * step)
    n1 = five.bit_count() + 2 * (five & ~(five >> step)).bit_count()
    # N3: 1:1:3:1:1 starting at k with no dark module among the four before or the four after it
    # (cells beyond the edge of the symbol count as light).
    s1, s2, s3, s4, s5, s6 = (step * k for k in range(1, 7))
    found = dark & (light << s1) & (dark << s2) & (dark << s3) & (dark << s4) & (light << s5) & (dark << s6)
    if not found:
        return n1, 0
    before = 0
    for s in range(1, 5):
        before |= (dark >> (step * s)) & w.before[s]
    after = 0
    for k in range(4):
        after |= (dark << (step * (7 + k))) & w.after[k]
    qualifies = found & ~(before & after)
    # segno's search resumes 7 cells after a counted pattern, so a pattern overlapping a counted one
    # (4 or 6 cells later) is not counted. Resolve these chains until nothing changes.
    counted = qualifies
    while True:
        settled = qualifies & ~(counted >> (4 * step)) & ~(counted >> s6)
        if settled == counted:
            break
        counted = settled
    return n1, 40 * counted.bit_count()


def _penalty(dark: int, layout: _Layout) -> int:
    """The penalty score of a masked symbol (Table 11): N1 + N2 + N3 + N4, as segno computes it."""
    size = layout.size
    width = size + 1
    along_rows, down_columns = _windows(size, False), _windows(size, True)
    light = along_rows.cells & ~dark
    n1_rows, n3_rows = _line_scores(dark, light, 1, along_rows)
    n1_columns, n3_columns = _line_scores(dark, light, width, down_columns)
    # N2: each 2x2 block of one colour (lower right corner at k) scores 3.
    d = dark & (dark >> 1)
    g = light & (light >> 1)
    uniform = ((d & (d >> width)) | (g & (g >> width))) & along_rows.before[1] & down_columns.before[1]
    n2 = 3 * uniform.bit_count()
    # N4: 10 points per 5 % the dark share departs from 50 % (segno's float arithmetic, for the same ties).
    percent = float(dark.bit_count()) / (size**2)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1_rows + n1_columns + n2 + n3_rows + n3_columns + n4


def encode(text: str) -> QrMatrix:
    """The QR Code of an alphanumeric text (an HC1 string) at error correction level Q."""
    try:
        values_ok = all(char in _VALUE for char in text)
    except TypeError:
        values_ok = False
    if not isinstance(text, str) or not text or not values_ok:
        raise RenderingError(
            "Only HC1 text (0-9, A-Z, space and $%*+-./:) can be drawn as an alphanumeric QR code."
        )
    version = _choose_version(len(text))
    layout = _layout(version)
    message = _final_message(_data_bytes(text, version), version)
    bits = b"".join(map(_BITS.__getitem__, message))
    bits += bytes(layout.data_cells - len(bits))  # remainder bits (7.6)
    unmasked = bytes(layout.place(bits + b"\x00\x01\x02"))
    dark = _plane(unmasked)
    scores = [_penalty(dark ^ mask, layout) for mask in layout.masks]
    best_mask = scores.index(min(scores))  # the first pattern with the lowest penalty (7.8.3.1)
    final = (dark ^ layout.masks[best_mask]) | layout.overlays[best_mask]
    cells = f"{final:0{len(unmasked)}b}".encode("ascii").translate(_CELL_OF_DIGIT)
    width = layout.size + 1
    rows = tuple(cells[i * width : i * width + layout.size] for i in range(layout.size))
    return QrMatrix(version=version, mask=best_mask, rows=rows)
