"""Names become ICAO 9303 machine-readable text (fnt/gnt) with every Vietnamese diacritic removed, never a letter lost."""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import pytest

from credentials import InvalidRecordError, transliterate

# The twelve Vietnamese vowel letters and the five tone marks (plus no tone), as combining characters.
VOWELS = {
    "a": "A",
    "ă": "A",
    "â": "A",
    "e": "E",
    "ê": "E",
    "i": "I",
    "o": "O",
    "ô": "O",
    "ơ": "O",
    "u": "U",
    "ư": "U",
    "y": "Y",
}
TONES = {
    "ngang": "",
    "huyền": "\u0300",  # grave
    "sắc": "\u0301",  # acute
    "hỏi": "\u0309",  # hook above
    "ngã": "\u0303",  # tilde
    "nặng": "\u0323",  # dot below
}
ICAO = re.compile(r"[A-Z<]*")


def every_vowel_with_every_tone() -> list[tuple[str, str]]:
    """72 lower-case and 72 upper-case precomposed letters (Ầ, ự, ỹ, ...) with their base letter."""
    letters = []
    for vowel, base in VOWELS.items():
        for mark in TONES.values():
            for case in (str.lower, str.upper):
                letters.append((unicodedata.normalize("NFC", case(vowel) + mark), base))
    return letters


def test_there_are_144_vowel_letters_all_precomposed_and_distinct() -> None:
    letters = [letter for letter, _ in every_vowel_with_every_tone()]
    assert len(set(letters)) == 144
    # Each one is a single code point, which is exactly what a table-only transliterator drops.
    assert all(len(letter) == 1 for letter in letters)


@pytest.mark.parametrize(("letter", "base"), every_vowel_with_every_tone())
def test_every_vowel_with_every_tone_keeps_its_base_letter(letter: str, base: str) -> None:
    assert transliterate(f"X{letter}X") == f"X{base}X"
    # The same letter typed decomposed (base + combining marks) gives the same result.
    assert transliterate(unicodedata.normalize("NFD", f"X{letter}X")) == f"X{base}X"


def test_d_with_stroke_becomes_d_in_both_cases() -> None:
    assert transliterate("Đặng Đức đạt") == "DANG<DUC<DAT"


def test_every_example_row_of_the_reference_file(shared_dir: Path) -> None:
    with (shared_dir / "data" / "vn" / "transliteration_examples.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8
    for row in rows:
        assert transliterate(row["fn"]) == row["fnt"], row["fn"]
        assert transliterate(row["gn"]) == row["gnt"], row["gn"]
        # Guard against the table-only mistake the file documents ("Nguyễn" -> "NGUYN").
        if row["naive_icao_table_only_fnt"] and row["naive_icao_table_only_fnt"] != row["fnt"]:
            assert transliterate(row["fn"]) != row["naive_icao_table_only_fnt"]
        if row["naive_icao_table_only_gnt"] and row["naive_icao_table_only_gnt"] != row["gnt"]:
            assert transliterate(row["gn"]) != row["naive_icao_table_only_gnt"]


def test_no_letter_of_a_vietnamese_name_is_lost() -> None:
    name = "Nguyễn Trương Thị Quỳnh Hương Bùi Ngọc Ẩn Lợi Mỹ Đỗ"
    result = transliterate(name)
    # As many letters out as in: diacritics removed, never letters dropped.
    assert len(result.replace("<", "")) == sum(1 for c in name if c.isalpha())
    assert result == "NGUYEN<TRUONG<THI<QUYNH<HUONG<BUI<NGOC<AN<LOI<MY<DO"


def test_spaces_hyphens_and_apostrophes_follow_icao() -> None:
    assert transliterate("d'Červenková Panklová") == "DCERVENKOVA<PANKLOVA"
    assert transliterate("Jiřina-Maria Alena") == "JIRINA<MARIA<ALENA"
    # Runs of separators collapse to one filler; none at either end.
    assert transliterate("  Thị  -  Ánh ") == "THI<ANH"


def test_multinational_letters_use_the_icao_table() -> None:
    assert transliterate("Ærøskøbing Straße Þór Łukasz") == "AEROESKOEBING<STRASSE<THOR<LUKASZ"


def test_output_is_always_icao_characters_and_at_most_80_long() -> None:
    long_name = " ".join(["Nguyễn"] * 20)  # 139 characters
    result = transliterate(long_name)
    assert ICAO.fullmatch(result)
    assert len(result) <= 80
    assert not result.endswith("<")


@pytest.mark.parametrize("name", ["", "   ", "'", "-- ''", "."])
def test_a_name_that_transliterates_to_nothing_is_refused(name: str) -> None:
    with pytest.raises(InvalidRecordError, match="transliterates to nothing"):
        transliterate(name, field="family name")


@pytest.mark.parametrize("name", ["阮氏", "Nguyen2", "Anh☺"])
def test_characters_without_a_transliteration_are_refused_not_dropped(name: str) -> None:
    with pytest.raises(InvalidRecordError, match="no ICAO 9303 transliteration"):
        transliterate(name)
