"""Many QR Code symbols at once: the same steps as credentials.qrencode.encode, on one row per symbol.

One symbol costs about 200 us even at version 1, because every numpy call has a fixed cost: two thirds of a
version 18 symbol is that overhead. A re-issue draws its whole batch, so here the symbols of one version
go through every step together (Reed-Solomon, placement, the eight masks' scoring), one row each.

The work arrays are allocated once per thread and symbol size and written in place (`out=`): a batch's
arrays are 100-300 KB each, above glibc's mmap threshold, so fresh ones per operation would be mapped
and faulted in every time, which made a first batch encoder slower than one symbol at a time. Every
symbol is exactly what `encode` gives (the tests compare both with segno).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from credentials.qrencode import (
    GAP,
    Bytes,
    QrMatrix,
    _block_index,
    _choose_version,
    _data_codewords_of,
    _error_correction,
    _flatten,
    _layout,
    _Lines,
    _lines,
    _resolve_chains,
    _values_of,
)

BATCH = 16  # symbols scored together: past ~16 the arrays outgrow the caches and nothing more is saved
# Work arrays are kept for this many symbol sizes per thread: an HC1 takes one of a few versions (3 MB
# each at version 18), and a run of other texts cannot keep growing them (version 40's are 11 MB).
_SIZES_KEPT = 6
_LOW_BITS = np.uint64(0x0101010101010101)  # bit 0 of each byte of a word


def _round8(length: int) -> int:
    return (length + 7) // 8 * 8


@dataclass
class _Work:
    """The work arrays of one symbol size, `BATCH` rows each, `width` (a multiple of 8) bytes a row.
    Each rule writes the first part of its array; the rest of every row stays zero, so whole rows can
    be counted as 8-byte words."""

    width: int
    flat: Bytes
    same: Bytes
    five: Bytes
    pairs: Bytes
    block: Bytes
    found: Bytes
    inner: Bytes
    two: Bytes
    dark: Bytes
    both: Bytes
    words: npt.NDArray[np.uint64]  # the bit-k counter of _per_mask


def _work(lines: _Lines) -> _Work:
    per_thread = _local.__dict__.setdefault("work", {})
    found: _Work | None = per_thread.get(lines.size)
    if found is None:
        width = _round8(lines.flat)

        def zeros() -> Bytes:
            return np.zeros((BATCH, width), dtype=np.uint8)

        found = _Work(
            width=width,
            flat=zeros(),
            same=zeros(),
            five=zeros(),
            pairs=zeros(),
            block=zeros(),
            found=zeros(),
            inner=zeros(),
            two=zeros(),
            dark=zeros(),
            both=zeros(),
            words=np.zeros((BATCH, width // 8), dtype=np.uint64),
        )
        if len(per_thread) >= _SIZES_KEPT:  # a batch of many versions keeps only the latest sizes' arrays
            per_thread.pop(next(iter(per_thread)))
        per_thread[lines.size] = found
    return found


_local = threading.local()


def _per_mask(lanes: Bytes, work: _Work) -> npt.NDArray[np.int64]:
    """[symbol, k]: how many modules of each row have bit k set (mask k), over whole rows of `lanes`.
    Bit k of eight modules at once: a word shifted by k and masked to each byte's low bit; at most 255
    words are added before the bytes of their sums are added (a byte holds up to 255)."""
    n = lanes.shape[0]
    words = lanes.view(np.uint64)
    scratch = work.words[:n]
    starts = np.arange(0, words.shape[1], 255)
    counts = np.empty((n, 8), dtype=np.int64)
    for k in range(8):
        np.right_shift(words, np.uint64(k), out=scratch)
        np.bitwise_and(scratch, _LOW_BITS, out=scratch)
        sums = np.add.reduceat(scratch, starts, axis=1)
        counts[:, k] = sums.view(np.uint8).reshape(n, -1).sum(axis=1, dtype=np.int64)
    return counts


@cache
def _padded(version: int) -> tuple[npt.NDArray[np.intp], Bytes]:
    """The layout's flat_source and flat_masks padded to the work arrays' width (light, no mask)."""
    layout = _layout(version)
    flat = layout.lines.flat
    width = _round8(flat)
    source = np.full(width, layout.bits, dtype=np.intp)  # entry `bits` is light under every mask
    source[:flat] = layout.flat_source
    masks = np.zeros(width, dtype=np.uint8)
    masks[:flat] = layout.flat_masks
    return source, masks


def _penalties_many(lanes: Sequence[Bytes]) -> list[list[int]]:
    """qrencode._penalties of up to BATCH size x size lanes matrices of one size, scored together."""
    lines = _lines(lanes[0].shape[0])
    work = _work(lines)
    work.flat[: len(lanes), : lines.flat] = np.stack([_flatten(matrix) for matrix in lanes])
    scores: list[list[int]] = _scores(work, lines, len(lanes)).tolist()
    return scores


def _scores(work: _Work, lines: _Lines, n: int) -> npt.NDArray[np.int64]:
    """[symbol, k]: the penalty score of mask k of each of the first `n` symbols in `work.flat`; the same
    rules, in the same order, as qrencode._scores (see there for why each is what it is)."""
    size, stride, length = lines.size, lines.stride, lines.length
    flat = work.flat[:n]
    line = flat[:, GAP : GAP + length]
    same = work.same[:n, :length]
    np.bitwise_xor(line, flat[:, GAP + 1 : GAP + 1 + length], out=same)
    np.invert(same, out=same)
    same &= lines.pairs
    five = work.five[:n, : length - 3]
    np.bitwise_and(same[:, :-3], same[:, 1:-2], out=five)
    five &= same[:, 2:-1]
    five &= same[:, 3:]
    pairs = work.pairs[:n, : length - 4]
    np.bitwise_and(five[:, :-1], five[:, 1:], out=pairs)
    span = (size - 1) * stride
    block = work.block[:n, :span]
    np.bitwise_xor(line[:, :span], line[:, stride : stride + span], out=block)
    np.invert(block, out=block)
    block &= same[:, :span]
    block &= same[:, stride : stride + span]

    def at(offset: int) -> Bytes:
        return flat[:, GAP + offset : GAP + offset + length]

    found = work.found[:n, :length]
    np.bitwise_and(at(0), at(2), out=found)
    found &= at(3)
    found &= at(4)
    found &= at(6)
    inner = work.inner[:n, :length]
    np.bitwise_or(at(1), at(5), out=inner)
    np.invert(inner, out=inner)
    found &= inner
    whole = lines.flat
    two = work.two[:n, : whole - 1]
    np.bitwise_or(flat[:, : whole - 1], flat[:, 1:whole], out=two)
    dark = work.dark[:n, : whole - 3]
    np.bitwise_or(two[:, :-2], two[:, 2:], out=dark)
    both = work.both[:n, :length]
    np.bitwise_and(dark[:, :length], dark[:, 11 : 11 + length], out=both)
    np.invert(both, out=both)
    found &= both  # the patterns that qualify
    # Chains of overlapping patterns are rare: only their symbols are resolved, one at a time, exactly as
    # one symbol is (`inner` is free again and holds the overlaps).
    chained = np.zeros(n, dtype=bool)
    for shift in (4, 6):
        overlaps = work.inner[:n, : length - shift]
        np.bitwise_and(found[:, shift:], found[:, :-shift], out=overlaps)
        chained |= overlaps.any(axis=1)
    for row in np.flatnonzero(chained).tolist():
        found[row] = _resolve_chains(found[row].copy())
    scores = (
        3 * _per_mask(work.five[:n], work)
        - 2 * _per_mask(work.pairs[:n], work)
        + 3 * _per_mask(work.block[:n], work)
        + 40 * _per_mask(work.found[:n], work)
    )
    # N4. Every module is in `flat` twice (its row and its column) and the gaps are light: half the count.
    darks = _per_mask(flat, work) // 2
    n4 = [[10 * int(abs(float(darks[i, k]) / (size**2) * 100 - 50) / 5) for k in range(8)] for i in range(n)]
    return scores + np.array(n4, dtype=np.int64)


def _encode_version(values: Sequence[npt.NDArray[np.uint16]], version: int) -> list[QrMatrix]:
    """The symbols of up to BATCH texts that all take `version`."""
    n = len(values)
    layout = _layout(version)
    work = _work(layout.lines)
    source, masks = _padded(version)
    data = np.stack([_data_codewords_of(v, version) for v in values])
    index, degree = _block_index(version)
    padded = np.concatenate((np.zeros((n, 1), dtype=np.uint8), data), axis=1)
    blocks = padded[:, index]  # [symbol, block, position]
    ecc = _error_correction(blocks.reshape(-1, blocks.shape[2]), degree).reshape(n, -1)
    codewords = np.concatenate((data, ecc), axis=1)
    entries = np.zeros((n, layout.bits + 2), dtype=np.uint8)  # [symbol, codeword bit ..., light, dark]
    np.multiply(np.unpackbits(codewords, axis=1), np.uint8(255), out=entries[:, : layout.bits])
    entries[:, -1] = 255  # dark under every mask
    flat = work.flat[:n]
    np.take(entries, source, axis=1, out=flat, mode="clip")
    flat ^= masks
    scores = _scores(work, layout.lines, n)
    best = scores.argmin(axis=1)  # the first pattern with the lowest penalty (7.8.3.1)
    size, stride = layout.size, layout.lines.stride
    lanes = flat[:, layout.lines.rows].reshape(n, size, stride)[:, :, :size]
    final = (lanes >> best.astype(np.uint8)[:, None, None]) & 1
    final |= layout.overlays[best]
    matrices = []
    for row, mask in enumerate(best.tolist()):
        modules = final[row].tobytes()
        matrices.append(
            QrMatrix(
                version=version,
                mask=mask,
                rows=tuple(modules[i : i + size] for i in range(0, size * size, size)),
            )
        )
    return matrices


def encode_many(texts: Sequence[str]) -> list[QrMatrix]:
    """The QR Code of each alphanumeric text (HC1 strings), in order: the same symbols as `encode`, drawn
    together by version, up to BATCH at a time. A text that cannot be drawn raises the same error as
    `encode` before any symbol is drawn."""
    values = [_values_of(text) for text in texts]
    by_version: dict[int, list[int]] = {}
    for position, value in enumerate(values):
        by_version.setdefault(_choose_version(len(value)), []).append(position)
    matrices: list[QrMatrix | None] = [None] * len(texts)
    for version, positions in by_version.items():
        for start in range(0, len(positions), BATCH):
            part = positions[start : start + BATCH]
            for position, matrix in zip(
                part, _encode_version([values[p] for p in part], version), strict=True
            ):
                matrices[position] = matrix
    return [matrix for matrix in matrices if matrix is not None]
