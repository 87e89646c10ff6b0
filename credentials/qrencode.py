"""A fast QR Code encoder for HC1 strings: alphanumeric mode, error correction level Q, the mask segno would pick.

segno builds a version 18 symbol in about 40 ms, most of them choosing the mask with per-module Python
loops. This encoder does the same steps (ISO/IEC 18004:2015 section 7) with numpy on whole arrays:
  - the bit stream from a character table and 11-bit shifts;
  - Reed-Solomon as a table lookup per data position (encoding is linear over GF(256)), all blocks at once;
  - interleaving and module placement as one gather through an index built once per version;
  - the eight masks evaluated together: each module is one byte whose bit k is its colour under mask k,
    so every penalty rule is a handful of byte-wise operations for all eight masks, and the counts per
    mask are bit counts per bit position; rows and columns are laid out in one flat array with light gaps
    (see _Lines), so each rule is an operation on shifted 1-D slices.
It scores masks exactly as segno does (before format information is drawn, segno's N3 search included),
so the tests can require the very same matrix as segno for every input.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from credentials.errors import RenderingError
from credentials.qrtables import ALIGNMENT_POSITIONS, BLOCKS_Q, FORMAT_Q, VERSION_INFO

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_NOT_ALPHANUMERIC = 255
_VALUES = np.full(256, _NOT_ALPHANUMERIC, dtype=np.uint16)
_VALUES[np.frombuffer(ALPHANUMERIC.encode("ascii"), dtype=np.uint8)] = np.arange(45, dtype=np.uint16)
_SHIFTS_11 = np.arange(10, -1, -1, dtype=np.uint16)  # the bits of an 11-bit group, most significant first
_FILLER = np.frombuffer(b"\xec\x11" * 1500, dtype=np.uint8)  # pad codewords 11101100 00010001 (7.4.10)

Bytes = npt.NDArray[np.uint8]


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


@cache
def _data_codewords(version: int) -> int:
    return sum(count * data for count, _, data in BLOCKS_Q[version])


@cache
def _choose_version(length: int) -> int:
    """The smallest version whose level-Q data capacity holds `length` alphanumeric characters."""
    for version in range(1, 41):
        bits = 4 + _count_bits(version) + 11 * (length // 2) + 6 * (length % 2)
        if bits <= 8 * _data_codewords(version):
            return version
    raise RenderingError(
        f"A text of {length} characters does not fit in a QR Code at error correction level Q."
    )


def _bits(value: int, length: int) -> list[int]:
    return [(value >> shift) & 1 for shift in range(length - 1, -1, -1)]


def _data_codewords_of(values: npt.NDArray[np.uint16], version: int) -> Bytes:
    """Mode indicator, count, the character pairs, terminator, padding to full data codewords (7.4.4-7.4.10)."""
    length = len(values)
    capacity = 8 * _data_codewords(version)
    stream = np.zeros(capacity, dtype=np.uint8)
    head = [0, 0, 1, 0, *_bits(length, _count_bits(version))]  # alphanumeric mode indicator, character count
    stream[: len(head)] = head
    pairs = length // 2
    groups = 45 * values[0 : 2 * pairs : 2] + values[1 : 2 * pairs : 2]  # 45 x first + second (7.4.5)
    end = len(head) + 11 * pairs
    stream[len(head) : end] = ((groups[:, None] >> _SHIFTS_11) & 1).ravel()
    if length % 2:
        stream[end : end + 6] = _bits(int(values[-1]), 6)
        end += 6
    # Terminator (up to 4 zero bits), then zero bits up to the codeword boundary. Like segno, a stream
    # already on the boundary gets a whole zero codeword (after the terminator every reader ignores it):
    # this keeps the symbols identical. The rest is filled with pad codewords.
    end += min(4, capacity - end)
    used = min(end // 8 + 1, capacity // 8)
    data = np.packbits(stream)
    data[used:] = _FILLER[: capacity // 8 - used]
    return data


# --- error correction (7.5) ----------------------------------------------------------------------


@cache
def _gf_product_table() -> Bytes:
    """a x b in GF(256) with the QR polynomial x^8+x^4+x^3+x^2+1, for every pair of bytes."""
    exp, log = [0] * 512, [0] * 256
    value = 1
    for power in range(255):
        exp[power] = exp[power + 255] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    table = np.zeros((256, 256), dtype=np.uint8)
    for a in range(1, 256):
        for b in range(1, 256):
            table[a, b] = exp[log[a] + log[b]]
    return table


@cache
def _generator(degree: int) -> tuple[int, ...]:
    """The generator polynomial's coefficients below the leading 1: prod (x - alpha^k), k < degree (7.5.2)."""
    product = _gf_product_table()
    alpha = 1
    generator = [1]
    for _ in range(degree):  # multiply by (x - alpha^k)
        nxt = [*generator, 0]
        for k, coefficient in enumerate(generator):
            nxt[k + 1] ^= int(product[coefficient, alpha])
        generator = nxt
        alpha = int(product[alpha, 2])
    return tuple(generator[1:])


def _remainder(block: list[int], degree: int) -> list[int]:
    """The Reed-Solomon remainder of one block by polynomial long division (the textbook shift register)."""
    product = _gf_product_table()
    generator = _generator(degree)
    remainder = [0] * degree
    for byte in block:
        factor = remainder[0] ^ byte
        remainder = [*remainder[1:], 0]
        if factor:
            remainder = [r ^ int(product[factor, g]) for r, g in zip(remainder, generator, strict=True)]
    return remainder


@cache
def _position_tables(length: int, degree: int) -> Bytes:
    """[position, byte value] -> the remainder of a block holding only that byte there. Encoding is linear
    over GF(256), so a block's remainder is the XOR of one table row per data byte."""
    product = _gf_product_table()
    units = np.array(
        [_remainder([0] * k + [1] + [0] * (length - k - 1), degree) for k in range(length)], dtype=np.uint8
    )
    return product[:, units].transpose(1, 0, 2).copy()  # (length, 256, degree)


@cache
def _row_offsets(length: int) -> npt.NDArray[np.intp]:
    """[position, 1]: the first row of each position's table in the tables stacked as (length x 256) rows."""
    return (np.arange(length, dtype=np.intp) * 256)[:, None]


def _error_correction(blocks: Bytes, degree: int) -> Bytes:
    """The error correction codewords of equally long blocks (one per row), all at once (7.5.2)."""
    length = blocks.shape[1]
    tables = _position_tables(length, degree).reshape(length * 256, degree)
    # One table row per (position, block), positions outermost, so the XOR runs over whole rows of blocks.
    rows = np.take(tables, (_row_offsets(length) + blocks.T).ravel(), axis=0)
    ecc: Bytes = np.bitwise_xor.reduce(rows.reshape(length, blocks.shape[0], degree), axis=0)
    return ecc


@cache
def _block_index(version: int) -> tuple[npt.NDArray[np.intp], int]:
    """(index into [0, *data codewords] giving every block as one row, the error correction degree).

    All blocks of a version have the same number of error correction codewords; the shorter blocks of
    group 1 get a leading zero, which leaves a Reed-Solomon remainder unchanged (the polynomial is the
    same), so one table look-up serves every block."""
    groups = BLOCKS_Q[version]
    degrees = {total - size for _, total, size in groups}
    if len(degrees) != 1:
        raise AssertionError(f"version {version} has blocks with different error correction lengths")
    longest = max(size for _, _, size in groups)
    rows: list[list[int]] = []
    position = 1  # 0 is the padding zero
    for count, _, size in groups:
        for _ in range(count):
            rows.append([0] * (longest - size) + list(range(position, position + size)))
            position += size
    return np.array(rows, dtype=np.intp), degrees.pop()


def _codewords(data: Bytes, version: int) -> Bytes:
    """Data codewords then error correction codewords, block after block (interleaving is in the layout)."""
    index, degree = _block_index(version)
    blocks = np.concatenate((np.zeros(1, dtype=np.uint8), data))[index]
    return np.concatenate((data, _error_correction(blocks, degree).ravel()))


@cache
def _interleaving(version: int) -> list[int]:
    """For each codeword of the final message (7.6), its index in `_codewords`' output: codeword k of every
    block in turn, the shorter blocks of group 1 having nothing at the last index, then the same for the
    error correction codewords."""
    data_blocks: list[list[int]] = []
    ecc_blocks: list[list[int]] = []
    data_position = 0
    ecc_position = _data_codewords(version)
    for count, total, size in BLOCKS_Q[version]:
        for _ in range(count):
            data_blocks.append(list(range(data_position, data_position + size)))
            ecc_blocks.append(list(range(ecc_position, ecc_position + total - size)))
            data_position += size
            ecc_position += total - size
    order: list[int] = []
    for blocks in (data_blocks, ecc_blocks):
        longest = max(len(block) for block in blocks)
        order += [block[k] for k in range(longest) for block in blocks if k < len(block)]
    return order


# --- the symbol's layout (6.3, 7.7) --------------------------------------------------------------


@dataclass(frozen=True)
class _Lines:
    """The mask scorer's layout of one symbol size: every row, then every column, one after another in one
    flat array, each line followed by GAP light modules, with GAP light modules before the first. Then
    every rule is an operation on whole 1-D slices shifted by a few modules (or by one line, `stride`):
    the light gaps stand for the light modules beyond the symbol's edge that N3 counts, and stop a
    1:1:3:1:1 pattern from spanning two lines (any four of its seven modules include a dark one)."""

    size: int
    stride: int  # size + GAP
    length: int  # the lines with their gaps: 2 x size x stride
    flat: int  # the whole array: GAP + length + 10 (N3 looks up to 10 modules past a start)
    pairs: Bytes  # [position]: 0xFF where the module and the next are in the same line, else 0

    @property
    def rows(self) -> slice:
        """The rows' part of the flat array (with their gaps)."""
        return slice(GAP, GAP + self.size * self.stride)


GAP = 4  # light modules around each line: N3 wants four light modules before or after a pattern


@cache
def _lines(size: int) -> _Lines:
    stride = size + GAP
    length = 2 * size * stride
    column = np.arange(length) % stride
    pairs = np.where(column < size - 1, 255, 0).astype(np.uint8)
    return _Lines(size=size, stride=stride, length=length, flat=GAP + length + 10, pairs=pairs)


def _flat_positions(lines: _Lines) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """(index into the flat array, index into the size x size matrix, raveled) of every module, rows then
    columns: where each module of the matrix appears in the scorer's lines (twice, once in its row and
    once in its column)."""
    size, stride = lines.size, lines.stride
    i, j = np.divmod(np.arange(size * size), size)
    in_rows = GAP + i * stride + j
    in_columns = GAP + (size + j) * stride + i
    return np.concatenate((in_rows, in_columns)), np.concatenate((i * size + j, i * size + j))


def _flatten(lanes: Bytes) -> Bytes:
    """A size x size matrix of lanes laid out as the scorer's lines."""
    lines = _lines(lanes.shape[0])
    flat = np.zeros(lines.flat, dtype=np.uint8)
    where, what = _flat_positions(lines)
    flat[where] = lanes.ravel()[what]
    return flat


@dataclass(frozen=True)
class _Layout:
    """Everything about one version that does not depend on the data, built once per version."""

    size: int
    bits: int  # codeword bits (8 x all codewords)
    source: npt.NDArray[np.intp]  # per module: its bit among [codeword bits..., light, remainder..., dark]
    masks: Bytes  # per module: bit k set where mask pattern k inverts it (data modules only)
    overlays: Bytes  # [pattern]: format information, version information and the dark module
    flat_source: npt.NDArray[np.intp]  # `source` laid out as the scorer's lines (see _Lines)
    flat_masks: Bytes  # `masks` laid out the same way (0 in the light gaps)
    lines: _Lines


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


def _function_patterns(version: int, size: int) -> list[list[int]]:
    """The grid with finder, timing and alignment patterns (1 dark, 0 light), the format and version
    information areas reserved light, and -1 where data goes."""
    grid = [[-1] * size for _ in range(size)]
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
    return grid


def _overlay(version: int, size: int, pattern: int) -> Bytes:
    """The dark modules of format information (7.9.1), version information (7.10) and the dark module."""
    cells = np.zeros((size, size), dtype=np.uint8)
    info = FORMAT_Q[pattern]
    for k in range(8):
        vbit, hbit = (info >> k) & 1, (info >> (14 - k)) & 1
        near = k if k < 6 else k + 1  # skips the timing pattern in row and column 6
        cells[near, 8] = vbit  # vertical, upper left
        cells[8, near] = hbit  # horizontal, upper left
        cells[8, size - 1 - k] = vbit  # horizontal, upper right
        cells[size - 1 - k, 8] = hbit  # vertical, lower left
    cells[size - 8, 8] = 1  # the dark module
    if version >= 7:
        bits = VERSION_INFO[version - 7]
        for k in range(6):
            for m in range(3):
                bit = (bits >> (3 * k + m)) & 1
                cells[size - 11 + m, k] = bit  # lower left
                cells[k, size - 11 + m] = bit  # upper right
    return cells


@cache
def _layout(version: int) -> _Layout:
    size = 17 + 4 * version
    grid = _function_patterns(version, size)
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
                if grid[i][j] == -1:
                    order.append((i, j))
    codewords = _interleaving(version)
    bits = 8 * len(codewords)
    light, dark = bits, bits + 1  # the two constant entries after the codeword bits
    source = np.zeros((size, size), dtype=np.intp)
    for i in range(size):
        for j in range(size):
            source[i, j] = dark if grid[i][j] == 1 else light
    masks = np.zeros((size, size), dtype=np.uint8)
    for n, (i, j) in enumerate(order):
        # The n-th data bit of the final message; remainder bits past the codewords are light (7.6).
        source[i, j] = 8 * codewords[n // 8] + n % 8 if n < bits else light
        masks[i, j] = sum(1 << pattern for pattern in range(8) if _mask_condition(pattern, i, j))
    lines = _lines(size)
    where, what = _flat_positions(lines)
    flat_source = np.full(lines.flat, light, dtype=np.intp)  # the gaps are light under every mask
    flat_source[where] = source.ravel()[what]
    flat_masks = np.zeros(lines.flat, dtype=np.uint8)
    flat_masks[where] = masks.ravel()[what]
    return _Layout(
        size=size,
        bits=bits,
        source=source,
        masks=masks,
        overlays=np.stack([_overlay(version, size, pattern) for pattern in range(8)]),
        flat_source=flat_source,
        flat_masks=flat_masks,
        lines=lines,
    )


# --- masking and its evaluation (7.8) ------------------------------------------------------------


def _per_mask(lanes: npt.NDArray[np.generic]) -> npt.NDArray[np.uint64]:
    """How many modules have bit k set, for each mask k. unpackbits gives each module a word of eight
    bytes, byte k its bit k, so adding words counts all eight masks at once; each byte holds at most 255,
    so words are added in runs of 255 and the bytes of those sums added at the end."""
    words = np.unpackbits(np.asarray(lanes, dtype=np.uint8).ravel(), bitorder="little").view(np.uint64)
    sums = np.add.reduceat(words, np.arange(0, words.size, 255))
    counts: npt.NDArray[np.uint64] = sums.view(np.uint8).reshape(-1, 8).sum(axis=0, dtype=np.uint64)
    return counts


def _per_mask_sparse(lanes: Bytes) -> npt.NDArray[np.uint64]:
    """_per_mask of a mostly zero array (N3's patterns): only its words of eight modules that are not
    all zero are counted."""
    whole = lanes.size // 8 * 8
    words = lanes[:whole].view(np.uint64)
    busy = words[words != 0].view(np.uint8)
    return _per_mask(np.concatenate((busy, lanes[whole:])))


def _penalties(lanes: Bytes) -> list[int]:
    """The penalty score (Table 11, N1 + N2 + N3 + N4, as segno computes it) of each of the eight masks;
    `lanes[i, j]` holds in bit k the colour (1 dark) of module (i, j) under mask k."""
    return _scores(_flatten(lanes), _lines(lanes.shape[0]))


def _overlapping(counted: Bytes, qualifies: Bytes) -> bool:
    """Whether a qualifying pattern starts 4 or 6 modules after a counted one."""
    return bool((counted[4:] & qualifies[:-4]).any() or (counted[6:] & qualifies[:-6]).any())


def _resolve_chains(qualifies: Bytes) -> Bytes:
    """segno's search resumes 7 modules after a counted pattern, so a pattern overlapping a counted one
    (it can start 4 or 6 modules later) is not counted. Resolve these chains until nothing changes.
    Patterns in different lines are at least 11 apart, so the shifts never reach across lines."""
    counted = qualifies
    while _overlapping(counted, qualifies):
        settled = qualifies.copy()
        settled[4:] &= ~counted[:-4]
        settled[6:] &= ~counted[:-6]
        if np.array_equal(settled, counted):
            break
        counted = settled
    return counted


def _scores(flat: Bytes, lines: _Lines) -> list[int]:
    """The penalty scores of the eight masks of a symbol laid out as `lines` (see _Lines).

    Each byte holds a module under all eight masks (bit k: mask k), so each rule runs once for all of
    them, and rows and columns are scored together as the lines of one array.
    """
    size, stride, length = lines.size, lines.stride, lines.length
    line = flat[GAP : GAP + length]
    # same[p]: module p has the colour of module p + 1, both in one line.
    same = np.bitwise_xor(line, flat[GAP + 1 : GAP + 1 + length])
    np.invert(same, out=same)
    same &= lines.pairs
    # N1: `five` marks the first of five equal modules; a run of 5 + i holds 1 + i of them and i pairs of
    # neighbouring ones (`pairs`), so 3 x five - 2 x pairs scores it 3 + i.
    five = same[:-3] & same[1:-2]
    five &= same[2:-1]
    five &= same[3:]
    pairs = five[:-1] & five[1:]
    # N2: each 2x2 block of one colour scores 3 (rows only: a block is the same seen from the columns).
    span = (size - 1) * stride
    block = np.bitwise_xor(line[:span], line[stride : stride + span])
    np.invert(block, out=block)
    block &= same[:span]
    block &= same[stride : stride + span]

    # N3: 1:1:3:1:1 (dark light dark dark dark light dark) with four light modules before or after it;
    # modules beyond the edge of the symbol count as light (the gaps). at(k): module k of a pattern
    # starting at each position of `line`.
    def at(offset: int) -> Bytes:
        return flat[GAP + offset : GAP + offset + length]

    found = at(0) & at(2)
    found &= at(3)
    found &= at(4)
    found &= at(6)
    inner = at(1) | at(5)
    np.invert(inner, out=inner)
    found &= inner
    # dark[p]: a dark module among flat[p : p + 4]; before a start at p that is dark[p] (in flat's
    # positions, four back), after the pattern it is dark[p + 11].
    two = flat[:-1] | flat[1:]
    dark = two[:-2] | two[2:]
    both = dark[:length] & dark[11 : 11 + length]
    np.invert(both, out=both)
    qualifies = found & both
    counted = _resolve_chains(qualifies)
    n1 = 3 * _per_mask(five).astype(np.int64) - 2 * _per_mask(pairs).astype(np.int64)
    scores = n1 + 3 * _per_mask(block).astype(np.int64) + 40 * _per_mask_sparse(counted).astype(np.int64)
    # N4: 10 points per 5 % the dark share departs from 50 % (segno's float arithmetic, for the same ties).
    darks = _per_mask(flat[lines.rows])
    return [int(scores[k]) + 10 * int(abs(float(darks[k]) / (size**2) * 100 - 50) / 5) for k in range(8)]


def _values_of(text: str) -> npt.NDArray[np.uint16]:
    """The alphanumeric values of a text's characters (Table 5), or one clear error."""
    try:
        raw = text.encode("ascii") if isinstance(text, str) else b""
    except UnicodeEncodeError:
        raw = b""
    values = _VALUES[np.frombuffer(raw, dtype=np.uint8)]
    if not raw or bool((values == _NOT_ALPHANUMERIC).any()):
        raise RenderingError(
            "Only HC1 text (0-9, A-Z, space and $%*+-./:) can be drawn as an alphanumeric QR code."
        )
    return values


def encode(text: str) -> QrMatrix:
    """The QR Code of an alphanumeric text (an HC1 string) at error correction level Q."""
    values = _values_of(text)
    version = _choose_version(len(values))
    layout = _layout(version)
    codewords = _codewords(_data_codewords_of(values, version), version)
    entries = np.zeros(layout.bits + 2, dtype=np.uint8)
    entries[: layout.bits] = np.unpackbits(codewords) * np.uint8(255)
    entries[-1] = 255  # dark under every mask
    flat = entries[layout.flat_source]
    flat ^= layout.flat_masks
    scores = _scores(flat, layout.lines)
    best = scores.index(min(scores))  # the first pattern with the lowest penalty (7.8.3.1)
    size = layout.size
    lanes = flat[layout.lines.rows].reshape(size, layout.lines.stride)[:, :size]
    final = (((lanes >> best) & 1) | layout.overlays[best]).tobytes()
    return QrMatrix(
        version=version, mask=best, rows=tuple(final[i : i + size] for i in range(0, size * size, size))
    )
