"""Value types: national IDs, partial dates, names, phones, and personal data that never prints itself."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidInput
from ledger.values import Actor, NationalId, PartialDate, PersonalData, Role, normalise_name, normalise_phone


def test_national_ids_are_cccd_or_cmnd() -> None:
    assert NationalId("001085012345").kind == "CCCD"
    assert NationalId("001085012345").province_prefix == "01"
    assert NationalId(" 012345678 ").kind == "CMND"
    for bad in ("0010850123", "1234567890123", "00108501234x", "", "12345678"):
        with pytest.raises(InvalidInput):
            NationalId(bad)


def test_a_partial_date_knows_its_earliest_and_latest_day() -> None:
    assert PartialDate.parse("1941").earliest() == date(1941, 1, 1)
    assert PartialDate.parse("1941").latest() == date(1941, 12, 31)
    assert PartialDate.parse("2020-02").latest() == date(2020, 2, 29)
    assert PartialDate.parse("2021-12").latest() == date(2021, 12, 31)
    assert PartialDate.parse("1985-03-02").isoformat() == "1985-03-02"
    for bad in ("85", "1985-3", "1985-02-30", "1899", "1985/03/02", "1985--02"):
        with pytest.raises(InvalidInput):
            PartialDate.parse(bad)


def test_names_are_nfc_with_single_spaces() -> None:
    assert normalise_name("  Nguye\u0302\u0303n   Thi\u0323 ") == "Nguyễn Thị"
    with pytest.raises(InvalidInput):
        normalise_name("Nguyễn\x00")


def test_phones_are_vietnamese_mobile_numbers_in_national_form() -> None:
    assert normalise_phone("091 234-5678") == "0912345678"
    assert normalise_phone("+84 912 345 678") == "0912345678"
    with pytest.raises(InvalidInput):
        normalise_phone("call me")


def test_personal_data_never_prints_its_value() -> None:
    data = PersonalData(uuid4(), "Nguyễn Thị Ánh")
    assert "Nguyễn" not in repr(data)
    assert "Nguyễn" not in str(data)
    assert data.text == "Nguyễn Thị Ánh"
    assert PersonalData(uuid4(), None).text == "[erased]"


def test_site_staff_must_name_their_site() -> None:
    with pytest.raises(InvalidInput, match="site id"):
        Actor("v1", Role.VACCINATOR)
    assert Actor("a1", Role.ADMIN).site_id is None


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.sampled_from([1, 2, 3]))
def test_partial_dates_read_back_what_they_write(day: date, precision: int) -> None:
    text = day.isoformat()[: {1: 4, 2: 7, 3: 10}[precision]]
    parsed = PartialDate.parse(text)
    assert parsed.isoformat() == text
    assert parsed.earliest() <= day <= parsed.latest()


@given(st.text(alphabet="0123456789", min_size=1, max_size=14))
def test_only_nine_or_twelve_digits_make_a_national_id(number: str) -> None:
    if len(number) in (9, 12):
        assert NationalId(number).number == number
    else:
        with pytest.raises(InvalidInput):
            NationalId(number)
