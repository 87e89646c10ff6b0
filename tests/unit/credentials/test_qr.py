"""QR pictures: the fast encoder makes segno's very symbol (its mask scorer gives segno's score for any matrix), the PNG
is segno's picture, and a real reader gets the text back."""

from __future__ import annotations

import io
import random
import re

import numpy as np
import pytest
import segno
import segno.consts
import segno.encoder
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from credentials import RenderingError, issue
from credentials.qr import hc1_png, hc1_svg, png_bytes, qr_matrices, qr_matrix, svg_text
from credentials.qrbatch import BATCH, _penalties_many, encode_many
from credentials.qrencode import ALPHANUMERIC, _penalties, _per_mask, _per_mask_sparse, encode
from credentials.qrtables import ALIGNMENT_POSITIONS, BLOCKS_Q, FORMAT_Q, VERSION_INFO
from keys.signing import InMemoryPKI
from tests.qr_reader import QR_ONLY
from tests.unit.credentials.conftest import ASTRAZENECA, NOW, PFIZER, dose, record
from tests.unit.verifier.vectors import all_cases


def capacity_q(version: int) -> int:
    """Most alphanumeric characters a version holds at level Q: mode (4 bits), count, 11 bits per pair."""
    data_bits = 8 * sum(count * data for count, _, data in BLOCKS_Q[version])
    count_bits = 9 if version < 10 else 11 if version < 27 else 13
    pairs, rest = divmod(data_bits - 4 - count_bits, 11)
    return 2 * pairs + (1 if rest >= 6 else 0)


def segno_symbol(text: str) -> segno.QRCode:
    return segno.make(text, mode="alphanumeric", error="q", boost_error=False, micro=False)


def segno_rows(text: str) -> tuple[bytes, ...]:
    return tuple(bytes(row) for row in segno_symbol(text).matrix)


def pixels(png: bytes) -> tuple[tuple[int, int], bytes]:
    image = Image.open(io.BytesIO(png))
    return image.size, image.convert("L").tobytes()


def read_qr(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=QR_ONLY)]


def random_text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(ALPHANUMERIC) for _ in range(length))


@pytest.fixture(scope="module")
def certificates(pki: InMemoryPKI) -> list[str]:
    """HC1 strings of real certificates, short and long names."""
    people = [
        record(dose(ASTRAZENECA, "2021-08-01")),
        record(dose(ASTRAZENECA, "2021-08-01"), dose(PFIZER, "2021-10-01"), family="Đặng", given="Văn Đức"),
        record(
            dose(PFIZER, "2021-10-01"), family="Tôn Nữ", given="Thị Ngọc Hương Quỳnh Như Ý Bảo Châu Hoàng Lan"
        ),
    ]
    return [issue(person, pki.document_signer, now=NOW).hc1 for person in people]


def test_the_tables_are_the_standards_as_segno_has_them() -> None:
    q = segno.consts.ERROR_LEVEL_Q
    for version in range(1, 41):
        assert BLOCKS_Q[version] == tuple(
            (e.num_blocks, e.num_total, e.num_data) for e in segno.consts.ECC[version][q]
        )
    assert ALIGNMENT_POSITIONS[2:] == tuple(tuple(p) for p in segno.consts.ALIGNMENT_POS)
    assert tuple(segno.consts.FORMAT_INFO[0x18 + mask] for mask in range(8)) == FORMAT_Q
    assert tuple(segno.consts.VERSION_INFO) == VERSION_INFO


def test_issued_certificates_get_segnos_symbol_and_zxing_reads_them_back(certificates: list[str]) -> None:
    for hc1 in certificates:
        matrix = qr_matrix(hc1)
        symbol = segno_symbol(hc1)
        assert (matrix.version, matrix.mask) == (symbol.version, symbol.mask)
        assert matrix.rows == segno_rows(hc1)
        assert read_qr(hc1_png(hc1)) == [hc1]


def published_hc1() -> list[str]:
    """The HC1 text of every published EU DCC test vector (205 to 1,093 characters, 87 lengths)."""
    texts = [case.raw.get("PREFIX") for case in all_cases()]
    return sorted({t for t in texts if isinstance(t, str) and t and set(t) <= set(ALPHANUMERIC)})


def test_the_published_vectors_get_segnos_symbol_and_zxing_reads_them_back() -> None:
    texts = published_hc1()
    assert len(texts) >= 150
    batch = encode_many(texts)  # one batch of mixed lengths and versions
    assert len({matrix.version for matrix in batch}) > 3
    for text, together in zip(texts, batch, strict=True):
        matrix = encode(text)
        assert matrix.rows == segno_rows(text), text[:40]
        assert together == matrix, text[:40]
        assert read_qr(png_bytes(matrix)) == [text]


def test_capacities_match_the_standards_table() -> None:
    # ISO/IEC 18004:2015 Table 7, alphanumeric at level Q: the smallest and the largest symbol.
    assert capacity_q(1) == 16
    assert capacity_q(40) == 2420


@pytest.mark.parametrize("version", [1, 2, 9, 10, 18, 26, 27, 40])
def test_a_full_version_and_one_character_more(version: int) -> None:
    rng = random.Random(version)
    full = random_text(rng, capacity_q(version))
    matrix = encode(full)
    assert matrix.version == version
    assert matrix.rows == segno_rows(full)
    if version < 40:
        assert encode(full + "A").version == version + 1
    else:
        with pytest.raises(RenderingError, match="does not fit"):
            encode(full + "A")


def test_all_forty_versions_give_segnos_symbol() -> None:
    rng = random.Random(40)
    for version in range(1, 41):
        text = random_text(rng, capacity_q(version) - rng.randrange(3))
        matrix = encode(text)
        assert matrix.version == version
        assert matrix.rows == segno_rows(text), version
        assert encode_many([text]) == [matrix]  # a batch of one


def test_a_batch_of_every_version_gives_segnos_symbols_in_order() -> None:
    # Forty versions in one call (each a batch of one), shuffled, beside more than BATCH texts of one
    # version (two batches, the second partly full), each text once short of its version's capacity.
    rng = random.Random(41)
    texts = [random_text(rng, capacity_q(version) - rng.randrange(3)) for version in range(1, 41)]
    texts += [random_text(rng, rng.randint(530, 560)) for _ in range(BATCH + 5)]
    rng.shuffle(texts)
    batch = encode_many(texts)
    assert len({matrix.version for matrix in batch}) == 40
    assert [matrix.rows for matrix in batch] == [segno_rows(text) for text in texts]
    assert [(m.version, m.mask) for m in batch] == [(s.version, s.mask) for s in map(segno_symbol, texts)]
    assert qr_matrices(texts) == batch


@settings(max_examples=15, deadline=None)
@given(st.lists(st.text(alphabet=ALPHANUMERIC, min_size=1, max_size=400), min_size=1, max_size=6))
def test_any_batch_of_alphanumeric_texts_gives_segnos_symbols(texts: list[str]) -> None:
    assert [matrix.rows for matrix in encode_many(texts)] == [segno_rows(text) for text in texts]


def test_a_batch_with_text_that_is_not_hc1_alphanumeric_is_refused_whole(certificates: list[str]) -> None:
    assert encode_many([]) == []
    for bad in ("hc1:lowercase", "", "A" * 2421):
        with pytest.raises(RenderingError):
            encode_many([certificates[0], bad])


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=ALPHANUMERIC, min_size=1, max_size=700))
def test_any_alphanumeric_text_gives_segnos_symbol(text: str) -> None:
    assert encode(text).rows == segno_rows(text)


@pytest.mark.parametrize(("scale", "border"), [(1, 4), (4, 4), (3, 0), (7, 2), (2, 1), (8, 4), (16, 7)])
def test_the_png_is_segnos_picture_pixel_for_pixel(certificates: list[str], scale: int, border: int) -> None:
    hc1 = certificates[1]
    ours = png_bytes(qr_matrix(hc1), scale, border)
    theirs = io.BytesIO()
    segno_symbol(hc1).save(theirs, kind="png", scale=scale, border=border)
    assert pixels(ours) == pixels(theirs.getvalue())


def test_the_svg_draws_exactly_the_dark_modules(certificates: list[str]) -> None:
    hc1 = certificates[0]
    matrix = qr_matrix(hc1)
    svg = hc1_svg(hc1, scale=3)
    side = matrix.size + 8
    assert f'viewBox="0 0 {side} {side}"' in svg
    assert f'width="{side * 3}"' in svg
    drawn = [bytearray(matrix.size) for _ in range(matrix.size)]
    for x, y, length in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        for dx in range(int(length)):
            drawn[int(y) - 4][int(x) - 4 + dx] = 1
    assert tuple(bytes(row) for row in drawn) == matrix.rows


def test_text_that_is_not_hc1_alphanumeric_is_refused() -> None:
    for text in ("hc1:lowercase", "HC1:Ư", "", "A" * 2421):
        with pytest.raises(RenderingError):
            encode(text)


def test_silly_picture_sizes_are_refused(certificates: list[str]) -> None:
    matrix = qr_matrix(certificates[0])
    with pytest.raises(RenderingError, match="scale"):
        png_bytes(matrix, scale=0)
    with pytest.raises(RenderingError, match="scale"):
        svg_text(matrix, scale=1000)


def segno_penalties(lanes: np.ndarray) -> list[int]:
    """segno's own penalty score of each of the eight matrices held bitwise in `lanes` (bit k = matrix k)."""
    size = lanes.shape[0]
    return [
        segno.encoder.evaluate_mask([bytearray(row) for row in (lanes >> k) & 1], size, size)
        for k in range(8)
    ]


@settings(max_examples=30, deadline=None)
@given(
    st.integers(min_value=21, max_value=101),
    st.sampled_from([0.5, 0.2, 0.8]),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_the_mask_scorer_gives_segnos_score_for_any_matrix(size: int, dark_share: float, seed: int) -> None:
    # Random modules, some far from half dark, so that runs, blocks and 1:1:3:1:1 patterns (overlapping
    # ones too) are common: every rule and segno's N3 search order are compared, for all eight at once.
    rng = np.random.default_rng(seed)
    lanes = np.packbits(rng.random((size, size, 8)) < dark_share, axis=2, bitorder="little")[:, :, 0]
    assert _penalties(lanes) == segno_penalties(lanes)


@settings(max_examples=15, deadline=None)
@given(
    st.integers(min_value=21, max_value=101),
    st.integers(min_value=1, max_value=BATCH),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_the_batch_mask_scorer_gives_segnos_score_for_any_matrices(size: int, count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    shares = rng.choice([0.5, 0.2, 0.8], size=count)
    matrices = [
        np.packbits(rng.random((size, size, 8)) < share, axis=2, bitorder="little")[:, :, 0]
        for share in shares
    ]
    assert _penalties_many(matrices) == [segno_penalties(lanes) for lanes in matrices]


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=1, max_value=300),
    st.sampled_from([0.0, 0.01, 0.3, 1.0]),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_counting_only_non_zero_words_gives_the_full_count(length: int, share: float, seed: int) -> None:
    # Any length (words of eight modules and a tail), from empty to full: the same count per mask.
    rng = np.random.default_rng(seed)
    lanes = np.where(rng.random(length) < share, rng.integers(1, 256, length), 0).astype(np.uint8)
    assert list(_per_mask_sparse(lanes)) == list(_per_mask(lanes))
    assert list(_per_mask(lanes)) == [int(((lanes >> k) & 1).sum()) for k in range(8)]


def test_overlapping_finder_like_patterns_are_counted_as_segno_counts_them() -> None:
    # 1011101 patterns starting 4 and 6 modules after another (segno resumes its search 7 modules after a
    # counted one), with and without light modules around them.
    lines = [
        "0000101110111010000",
        "00001011101011101000000",
        "1011101110111011101",
        "10111010111010111010000",
        "1111011101110111010000",
    ]
    size = 23
    lanes = np.zeros((size, size), dtype=np.uint8)
    for k, line in enumerate(lines):
        bits = np.array([int(c) for c in line.ljust(size, "0")], dtype=np.uint8)
        lanes[2 * k] |= bits << k  # in rows, for mask k
        lanes[:, 2 * k + 11] |= bits << (7 - k)  # and in columns, for another
    assert _penalties(lanes) == segno_penalties(lanes)
    # In a batch, beside a matrix without such chains (resolved for the one symbol only).
    plain = np.zeros_like(lanes)
    assert _penalties_many([plain, lanes, plain]) == [segno_penalties(m) for m in (plain, lanes, plain)]


@settings(max_examples=12, deadline=None)
@given(st.text(alphabet=ALPHANUMERIC, min_size=1, max_size=900))
def test_zxing_reads_back_the_png_of_any_alphanumeric_text(text: str) -> None:
    assert read_qr(png_bytes(encode(text))) == [text]
