"""Confirmations of successful actions, shown once on the next page ("Đã ghi nhận mũi 2 cho …").

The session cookie is signed, not encrypted: a notice keeps only a catalog key and non-personal
parameters (a dose number); the page that shows it fills in the person's name from what it displays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import flash, get_flashed_messages

CATEGORY = "notice"


@dataclass(frozen=True)
class Notice:
    key: str
    params: dict[str, str | int]


def confirm(key: str, **params: str | int) -> None:
    """Show `key` (a catalog key) on the next page; `params` must hold no personal data."""
    flash(json.dumps({"key": key, "params": params}), CATEGORY)


def pending() -> list[Notice]:
    """The notices waiting for this page (each is shown once)."""
    found: list[Notice] = []
    for raw in get_flashed_messages(category_filter=[CATEGORY]):
        try:
            data = json.loads(str(raw))
            found.append(Notice(str(data["key"]), dict(data.get("params") or {})))
        except (ValueError, KeyError, TypeError):
            continue
    return found


def names(people: object, key: str = "id", value: str = "full_name") -> dict[str, str]:
    """Template filter: {id: name} of the people a page shows, to name them in its notices."""
    found: dict[str, str] = {}
    for person in people or ():  # type: ignore[attr-defined]
        getter = person.get if isinstance(person, dict) else lambda name, p=person: getattr(p, name, "")
        found[str(getter(key))] = str(getter(value))
    return found
