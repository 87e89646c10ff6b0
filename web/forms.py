"""Form and JSON bodies turned into plain, bounded values; the ledger then applies its own rules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from web.errors import BadInput

SEVERITIES = ("mild", "moderate", "serious")
SEXES = ("female", "male", "other")
CORRECTION_FIELDS = ("full_name", "sex", "date_of_birth", "phone", "void_dose")


def text(data: Mapping[str, Any], name: str, *, required: bool = True, limit: int = 200) -> str:
    value = data.get(name)
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise BadInput(f"the field {name} is empty", key="error.field_missing", field=name)
    if len(value) > limit:
        raise BadInput(f"the field {name} is too long", key="error.field_too_long", field=name)
    return value


def choice(data: Mapping[str, Any], name: str, options: tuple[str, ...]) -> str:
    value = text(data, name)
    if value not in options:
        raise BadInput(
            f"the field {name} must be one of {', '.join(options)}", key="error.field_choice", field=name
        )
    return value


def day(data: Mapping[str, Any], name: str, *, required: bool = True) -> date | None:
    value = text(data, name, required=required, limit=10)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadInput(f"{name} is not a date (YYYY-MM-DD)", key="error.date_invalid", field=name) from exc


def person_form(data: Mapping[str, Any], *, dependant: bool = False) -> dict[str, Any]:
    return {
        "full_name": text(data, "full_name"),
        "date_of_birth": text(data, "date_of_birth", limit=10),
        "sex": choice(data, "sex", SEXES),
        "national_id": text(data, "national_id", required=not dependant, limit=12),
        "ward_code": text(data, "ward_code", limit=5),
        "priority_group": text(data, "priority_group", required=False, limit=3),
    }


def reaction_form(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "dose_id": text(data, "dose_id", required=False, limit=64),
        "onset": day(data, "onset"),
        "symptoms": text(data, "symptoms", limit=500),
        "severity": choice(data, "severity", SEVERITIES),
    }


def declaration_form(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "symptoms": text(data, "symptoms", required=False, limit=500),
        "exposure": str(data.get("exposure", "")).lower() in ("1", "on", "true", "yes"),
        "travel": text(data, "travel", required=False, limit=200),
    }


def dose_form(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "lot_id": text(data, "lot_id", limit=64),
        "dose_number": _int(data, "dose_number"),
        "given_on": day(data, "given_on"),
        "idempotency_key": text(data, "idempotency_key", required=False, limit=100),
    }


def correction_form(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "field": choice(data, "field", CORRECTION_FIELDS),
        "value": text(data, "value", required=False, limit=200),
        "dose_id": text(data, "dose_id", required=False, limit=64),
        "reason": text(data, "reason", limit=500),
    }


def _int(data: Mapping[str, Any], name: str) -> int:
    value = text(data, name, limit=3)
    try:
        return int(value)
    except ValueError as exc:
        raise BadInput(f"{name} must be a whole number", key="error.number_invalid", field=name) from exc
