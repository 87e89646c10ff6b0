"""Parsing the ISO 8601 instants the EU vectors and staff type (Z, +0200, fractions of any length)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d\d)(\d\d)$")
_FRACTION = re.compile(r"\.(\d+)")


def parse_instant(text: str) -> datetime:
    """An aware datetime from ISO 8601 text; a bare date or a time without offset is taken as UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    value = _OFFSET_WITHOUT_COLON.sub(r"\1:\2", value) if "T" in value else value
    value = _FRACTION.sub(lambda match: "." + (match[1] + "000000")[:6], value)
    parsed = datetime.fromisoformat(value)  # ValueError for text that is not ISO 8601
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
