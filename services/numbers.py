"""Numbers as people read them: the one rule for grouping and decimals in both languages, used by the
pages (the `num` filter) and by the error catalog's sentences alike."""

from __future__ import annotations


def show_number(value: object, lang: str, decimals: int = 0) -> str:
    """4.259 and 2.254,1 in Vietnamese; 4,259 and 2,254.1 in English; '' for nothing; anything that is
    not a number as it is."""
    if value is None or value == "":
        return ""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def quantity(value: object, lang: str) -> object:
    """A whole-number value of a sentence grouped as the language groups it (2.000 / 2,000); anything
    else unchanged. Catalog sentences hold counts and limits, never codes, as integers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return show_number(value, lang)
    return value
