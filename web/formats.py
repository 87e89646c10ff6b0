"""Dates and numbers as people read and type them: dd/mm/yyyy, and each language's own separators."""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import date, datetime

from ledger.commands import VIETNAM_TIME
from services import numbers
from web.errors import BadInput

# dd/mm/yyyy, also with '-' or '.' between the parts and one-digit days or months (3/9/2021)
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_day(text: str, *, field: str) -> date:
    """A full date typed as dd/mm/yyyy (or ISO yyyy-mm-dd, which API clients send)."""
    value = text.strip()
    match = _DAY_MONTH_YEAR.match(value)
    try:
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        if _ISO.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise BadInput(f"{field} is not a date (dd/mm/yyyy)", key="error.date_invalid", field=field)


def parse_birth_date(text: str, *, field: str = "date_of_birth") -> str:
    """A date of birth as the ledger stores it (yyyy-mm-dd, yyyy-mm or yyyy): some people know only the year."""
    value = text.strip()
    try:
        if _YEAR.match(value):
            return value
        match = _MONTH_YEAR.match(value)
        if match:
            return date(int(match.group(2)), int(match.group(1)), 1).isoformat()[:7]
        if _ISO_MONTH.match(value):
            return date.fromisoformat(value + "-01").isoformat()[:7]
        return parse_day(value, field=field).isoformat()
    except (ValueError, BadInput):
        raise BadInput(
            f"{field} is not a date (dd/mm/yyyy, or the year alone)",
            key="error.birth_date_invalid",
            field=field,
        ) from None


def show_date(value: object, lang: str) -> str:
    """A stored date (date, datetime, 'yyyy-mm-dd', 'yyyy-mm' or 'yyyy') for reading: 30/08/2021 or 30 Aug 2021."""
    if value is None or value == "":
        return ""
    if isinstance(value, str) and len(value) > 10 and _ISO.match(value[:10]):
        with suppress(ValueError):  # a stored moment ('2021-08-30T20:00:00+00:00') reads as a datetime
            value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        # a moment is shown as the day it was in Viet Nam: 20:00 UTC is already tomorrow there
        value = value.astimezone(VIETNAM_TIME).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        year, month, day = value.year, value.month, value.day
    else:
        text = str(value)
        try:
            if _ISO.match(text[:10]):
                parsed = date.fromisoformat(text[:10])
                year, month, day = parsed.year, parsed.month, parsed.day
            elif _ISO_MONTH.match(text):
                return (
                    f"{text[5:7]}/{text[:4]}"
                    if lang == "vi"
                    else f"{MONTHS_EN[int(text[5:7]) - 1]} {text[:4]}"
                )
            else:
                return text
        except (ValueError, IndexError):
            return text
    if lang == "vi":
        return f"{day:02d}/{month:02d}/{year:04d}"
    return f"{day} {MONTHS_EN[month - 1]} {year}"


def typed_date(value: object) -> str:
    """A stored date put back into a dd/mm/yyyy text box (the same in both languages)."""
    return show_date(value, "vi")


def show_number(value: object, lang: str, decimals: int = 0) -> str:
    """4.259 and 2.254,1 in Vietnamese; 4,259 and 2,254.1 in English; '' for nothing (services.numbers)."""
    return numbers.show_number(value, lang, decimals)


def show_moment(value: object, lang: str) -> str:
    """A stored instant (aware datetime or ISO text) in Viet Nam time: 30/08/2021 14:05 or 30 Aug 2021 14:05."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else None
    if moment is None:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(VIETNAM_TIME)
    return f"{show_date(moment.date(), lang)} {moment:%H:%M}"
