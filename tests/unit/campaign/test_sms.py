"""SMS parts: GSM-7 when the text allows it, UCS-2 for Vietnamese, split without cutting a character."""

from __future__ import annotations

import unicodedata
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.campaign.sms import (
    GSM7_PART,
    MAX_PARTS,
    UCS2_PART,
    encode_ucs2,
    is_gsm7,
    segment,
    septets,
    ucs2_units,
)
from ledger.campaign.texts import Visit, appointment_text, cancel_text, checkin_text, next_dose_text
from ledger.campaign.values import Language, MessageKind


def test_plain_english_fits_one_gsm7_sms_of_160() -> None:
    assert segment("A" * 160).parts == ("A" * 160,)
    assert segment("A" * 160).encoding == "GSM-7"
    long = segment("A" * 161)
    assert [len(p) for p in long.parts] == [153, 8]


def test_extension_characters_count_two_and_are_never_cut() -> None:
    text = "A" * 152 + "€" + "B" * 10  # 164 septets: two parts
    parts = segment(text).parts
    assert septets(parts[0]) <= GSM7_PART
    assert parts[0] == "A" * 152  # the euro sign (ESC + septet) would straddle the boundary
    assert "".join(parts) == text


def test_vietnamese_goes_as_ucs2_and_keeps_every_diacritic() -> None:
    text = "Lịch tiêm vắc xin: mũi 2, 02/08/2021 07:30-11:30, Trạm Y tế phường Phúc Xá, số 1 Nghĩa Dũng."
    result = segment(text)
    assert result.encoding == "UCS-2"
    assert all(ucs2_units(p) <= UCS2_PART for p in result.parts)
    decoded = "".join(p.encode("utf-16-be").decode("utf-16-be") for p in result.parts)
    assert decoded == text
    assert b"".join(encode_ucs2(p) for p in result.parts).decode("utf-16-be") == text


def test_decomposed_vietnamese_is_composed_first() -> None:
    text = unicodedata.normalize("NFD", "Mũi tiêm")
    assert "".join(segment(text).parts) == "Mũi tiêm"


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=600))
def test_any_text_splits_losslessly_within_limits(text: str) -> None:
    result = segment(text)
    joined = "".join(result.parts)
    assert joined == unicodedata.normalize("NFC", text)
    if result.encoding == "GSM-7":
        assert is_gsm7(joined)
        limit = 160 if len(result.parts) == 1 else GSM7_PART
        assert all(septets(p) <= limit for p in result.parts)
    else:
        limit = 70 if len(result.parts) == 1 else UCS2_PART
        assert all(ucs2_units(p) <= limit for p in result.parts)


def test_every_message_kind_fits_a_few_parts_in_both_languages() -> None:
    visit = Visit(
        date(2021, 8, 2), "07:30", "11:30", "Trạm Y tế phường " + "Rất Dài " * 20, "Số " + "9" * 200, 2
    )
    texts = [
        *(
            appointment_text(k, visit, lang)
            for k in (MessageKind.APPOINTMENT, MessageKind.CHANGE, MessageKind.REMINDER)
            for lang in Language
        ),
        *(cancel_text(visit, lang, rebooked) for lang in Language for rebooked in (True, False)),
        *(next_dose_text(2, date(2021, 8, 30), lang) for lang in Language),
        *(checkin_text(days, lang) for days in (1, 7) for lang in Language),
    ]
    for text in texts:
        assert segment(text).count <= MAX_PARTS // 2, text
    english = appointment_text(
        MessageKind.APPOINTMENT,
        Visit(date(2021, 8, 2), "07:30", "11:30", "Phuc Xa health station", "1 Nghia Dung", 1),
        Language.EN,
    )
    assert segment(english).encoding == "GSM-7"
    assert "02/08/2021 07:30-11:30" in english
    assert "Phuc Xa health station" in english
