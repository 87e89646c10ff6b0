"""One Vietnamese phone normaliser for the ledger and the web: the forms people type are one number."""

from __future__ import annotations

import pytest

from ledger.errors import PhoneInvalid
from ledger.phone import international, normalise_phone
from web.accounts import normalise_phone as web_normalise_phone
from web.errors import BadInput


@pytest.mark.parametrize(
    "typed",
    [
        "+84 912 345 678",
        "0912345678",
        "84912345678",
        "+84912345678",
        "0912.345.678",
        "(091) 234-5678",
        "０９１２３４５６７８",
    ],
)
def test_the_ways_people_type_one_number_are_one_number(typed: str) -> None:
    assert normalise_phone(typed) == "0912345678"
    assert web_normalise_phone(typed) == "0912345678"
    assert international(typed) == "+84912345678"


@pytest.mark.parametrize(
    "typed", ["", "12345", "0212345678", "+1 415 555 0100", "091234567", "09123456789", "abc"]
)
def test_anything_else_is_refused_with_the_value_named(typed: str) -> None:
    with pytest.raises(PhoneInvalid) as caught:
        normalise_phone(typed)
    assert caught.value.params == {"phone": typed}
    with pytest.raises(BadInput):
        web_normalise_phone(typed)
