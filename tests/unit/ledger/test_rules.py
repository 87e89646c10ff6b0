"""Rules written once in the ledger: a name a certificate can carry, a lot held where the dose is given."""

from __future__ import annotations

from uuid import UUID

import pytest

from ledger.errors import LotNotAtSite, NameNotTransliterable
from ledger.rules import check_lot_at_site, check_name_transliterable, split_name


@pytest.mark.parametrize(
    "name", ["Nguyễn Thị Ánh", "Đặng Văn Đức", "Tôn Nữ Ngọc Hân", "Mai", "Nguyễn-Lê Minh", "H'Hen Niê"]
)
def test_vietnamese_names_can_go_on_a_certificate(name: str) -> None:
    check_name_transliterable(name)


@pytest.mark.parametrize(
    ("name", "letters"),
    [("Trần 明", "明"), ("Lê Văn 7", "7"), ("' Ánh", "' Ánh")],
)
def test_a_name_a_certificate_cannot_carry_is_refused_with_the_letters(name: str, letters: str) -> None:
    with pytest.raises(NameNotTransliterable) as caught:
        check_name_transliterable(name)
    assert caught.value.params == {"letters": letters}


def test_the_name_is_split_as_the_certificate_splits_it() -> None:
    assert split_name("  Lê   Hoàng Bảo Ngọc ") == ("Lê", "Hoàng Bảo Ngọc")
    assert split_name("Mai") == ("Mai", "")


def test_a_lot_is_used_only_at_the_site_that_holds_it() -> None:
    here, there = UUID(int=1), UUID(int=2)
    check_lot_at_site(lot_number="AZ-1", lot_site_id=here, site_id=here)
    with pytest.raises(LotNotAtSite) as caught:
        check_lot_at_site(lot_number="AZ-1", lot_site_id=there, site_id=here)
    assert caught.value.params == {"lot_number": "AZ-1"}
