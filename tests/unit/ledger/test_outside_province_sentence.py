"""An officer without a province is refused in words of the page's language (the CLI showed "(none)",
English, inside the Vietnamese sentence)."""

from __future__ import annotations

import pytest

from ledger.errors import OutsideProvince
from ledger.permissions import require_in_province
from ledger.values import Actor, Role
from services.messages import message


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_officer_without_a_province_is_refused_without_an_english_placeholder(lang: str) -> None:
    with pytest.raises(OutsideProvince) as refused:
        require_in_province(Actor("officer", Role.PROVINCE_OFFICER), "79")
    sentence = message(refused.value, lang)
    assert sentence is not None
    assert "none" not in sentence.lower()
    assert "79" in sentence
