"""Form and JSON bodies turned into the services' typed forms (bounded text); the ledger then applies its rules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from services.dashboards import FollowUpForm
from services.desk import Correction, DoseForm
from services.people import DeclarationForm, PersonForm, ReactionForm, parse_id
from web.errors import BadInput
from web.formats import parse_birth_date, parse_day

SEVERITIES = ("mild", "moderate", "serious")
SEXES = ("female", "male", "other")
RELATIONSHIPS = ("child", "parent", "grandparent", "spouse", "other")
# Priority-group codes are words like HEALTH_WORKER (ledger/data/vn/priority_groups.csv); the ledger
# checks the code itself, the form only bounds its length.
GROUP_CODE_LIMIT = 40
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
    """A date typed dd/mm/yyyy (ISO yyyy-mm-dd from API clients too)."""
    value = text(data, name, required=required, limit=10)
    if not value:
        return None
    return parse_day(value, field=name)


def ward(data: Mapping[str, Any]) -> str:
    """The ward chosen in the province → district → ward picker (API clients send ward_code alone)."""
    value = str(data.get("ward_code") or "").strip()
    if not value:
        missing = (
            "district_code" if data.get("province_code") and not data.get("district_code") else "ward_code"
        )
        if not data.get("province_code") and "province_code" in data:
            missing = "province_code"
        raise BadInput(f"the field {missing} is empty", key="error.place_missing", field=missing)
    if len(value) > 5 or not value.isdigit():
        raise BadInput("choose the ward from the list", key="error.ward_unknown", field="ward_code")
    return value


def person_form(data: Mapping[str, Any], *, dependant: bool = False) -> PersonForm:
    relationship = None
    if dependant:
        relationship = choice(data, "relationship", RELATIONSHIPS) if data.get("relationship") else "child"
    return PersonForm(
        full_name=text(data, "full_name"),
        date_of_birth=parse_birth_date(text(data, "date_of_birth", limit=10)),
        sex=choice(data, "sex", SEXES),
        national_id=text(data, "national_id", required=not dependant, limit=12) or None,
        ward_code=ward(data),
        priority_group=text(data, "priority_group", required=False, limit=GROUP_CODE_LIMIT) or None,
        relationship=relationship,
    )


def reaction_form(data: Mapping[str, Any]) -> ReactionForm:
    dose_id = text(data, "dose_id", required=False, limit=64)
    onset = day(data, "onset")
    assert onset is not None  # required: day() raised otherwise
    return ReactionForm(
        onset=onset,
        symptoms=text(data, "symptoms", limit=500),
        severity=choice(data, "severity", SEVERITIES),
        dose_id=parse_id(dose_id) if dose_id else None,
    )


def declaration_form(data: Mapping[str, Any]) -> DeclarationForm:
    """A health declaration says something: symptoms (or 'none'), contact, and travel (or 'none')."""
    symptoms = text(data, "symptoms", required=False, limit=500)
    travel = text(data, "travel", required=False, limit=200)
    no_symptoms = _ticked(data, "no_symptoms")
    no_travel = _ticked(data, "no_travel")
    if not symptoms and not no_symptoms:
        raise BadInput(
            "say which symptoms, or tick 'no symptoms'", key="error.declare_symptoms", field="symptoms"
        )
    if not travel and not no_travel:
        raise BadInput("say where you went, or tick 'nowhere'", key="error.declare_travel", field="travel")
    if symptoms and no_symptoms:
        raise BadInput("symptoms typed and 'no symptoms' ticked", key="error.declare_both", field="symptoms")
    # Empty text once "no symptoms" / "nowhere" was ticked: the ledger's has_symptoms then stays false.
    return DeclarationForm(symptoms=symptoms, exposure=_ticked(data, "exposure"), travel=travel)


def follow_up_form(data: Mapping[str, Any]) -> FollowUpForm:
    """The outcome of a serious reaction's follow-up, and whether it closes the case."""
    return FollowUpForm(
        outcome=text(data, "outcome", limit=1000),
        resolved=_ticked(data, "resolved"),
        idempotency_key=text(data, "idempotency_key", required=False, limit=100) or None,
    )


def _ticked(data: Mapping[str, Any], name: str) -> bool:
    value = data.get(name, "")
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "on", "true", "yes")


def dose_form(data: Mapping[str, Any]) -> DoseForm:
    given_on = day(data, "given_on")
    assert given_on is not None  # required: day() raised otherwise
    number = text(data, "dose_number", required=False, limit=3)
    return DoseForm(
        lot_id=parse_id(text(data, "lot_id", limit=64)),
        given_on=given_on,
        dose_number=_int(data, "dose_number") if number else None,
        idempotency_key=text(data, "idempotency_key", required=False, limit=100),
    )


# The correction's value is typed: staff at a Vietnamese desk type the sex in Vietnamese (with or without
# accents), as the person page shows it; the codes themselves are accepted too (API clients).
TYPED_SEXES = {
    "nữ": "female",
    "nu": "female",
    "female": "female",
    "nam": "male",
    "male": "male",
    "khác": "other",
    "khac": "other",
    "other": "other",
}


def correction_form(data: Mapping[str, Any]) -> Correction:
    dose_id = text(data, "dose_id", required=False, limit=64)
    field = choice(data, "field", CORRECTION_FIELDS)
    value = text(data, "value", required=False, limit=200)
    if field == "sex":
        if value.lower() not in TYPED_SEXES:
            raise BadInput("type female, male or other", key="error.sex_typed", field="sex")
        value = TYPED_SEXES[value.lower()]
    elif field == "date_of_birth" and value:
        value = parse_birth_date(value)  # typed dd/mm/yyyy (or the year) as on every other form
    return Correction(
        field=field,
        value=value,
        reason=text(data, "reason", limit=500),
        dose_id=parse_id(dose_id) if dose_id else None,
    )


def _int(data: Mapping[str, Any], name: str) -> int:
    value = text(data, name, limit=3)
    try:
        return int(value)
    except ValueError as exc:
        raise BadInput(f"{name} must be a whole number", key="error.number_invalid", field=name) from exc
