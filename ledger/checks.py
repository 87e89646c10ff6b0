"""Input checking: turn what callers type into domain values, or raise InvalidInput with one clear sentence.

These checks need no store and no actor; who may do what is in ledger.permissions, and the rules of
the domain (dose sequence, intervals) are in ledger.domainmodel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar
from uuid import UUID

from ledger.errors import BirthDateInFuture, DoseNumberInvalid, InvalidInput, TextEmpty, TextTooLong
from ledger.values import PartialDate, Sex

T = TypeVar("T")
MAX_BATCH = 5_000


def text(value: object, what: str, limit: int = 2_000, *, required: bool = True) -> str:
    """Stripped text of at most `limit` characters (non-empty unless `required` is False)."""
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} must be text.")
    stripped = value.strip()
    if required and not stripped:
        raise TextEmpty(f"The {what} is empty: fill it in.", what=what)
    if len(stripped) > limit:
        raise TextTooLong(
            f"The {what} is longer than {limit} characters: shorten it.", what=what, limit=limit
        )
    return stripped


def as_uuid(value: object, what: str) -> UUID:
    """An id given as a UUID or its text."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a valid {what} id: copy the id exactly.") from None


def as_date(value: object, what: str) -> date:
    """A date given as a `date` or YYYY-MM-DD (a datetime is refused: dose dates are local dates)."""
    if isinstance(value, datetime):
        raise InvalidInput(f"The {what} must be a date, not a date and time.")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"The {what} {value!r} is not a date: use YYYY-MM-DD.") from None


def as_enum(kind: type[T], value: object, what: str) -> T:
    """One of an enum's values, or a sentence listing the choices."""
    try:
        return kind(value)  # type: ignore[call-arg]
    except ValueError:
        choices = ", ".join(str(v.value) for v in kind)  # type: ignore[attr-defined]
        raise InvalidInput(f"{value!r} is not a {what}: use one of {choices}.") from None


def capacity(value: object) -> int:
    """A site's daily capacity."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100_000:
        raise InvalidInput("The daily capacity must be a whole number from 1 to 100000.")
    return value


def quantity(value: object) -> int:
    """The number of doses in a lot."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10_000_000:
        raise InvalidInput("The quantity must be a whole number of doses from 1 to 10000000.")
    return value


def dose_number(value: object) -> int:
    """A dose's number in the series."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 20:
        raise DoseNumberInvalid("The dose number must be a whole number from 1 to 20.", value=str(value)[:10])
    return value


def batch_size(size: int, one: str, many: str) -> None:
    """A batch holds 1 to MAX_BATCH items (`one` person, `many` people)."""
    if not size:
        raise InvalidInput(f"The batch is empty: give at least one {one}.")
    if size > MAX_BATCH:
        raise InvalidInput(f"A batch holds at most {MAX_BATCH} {many}: split it.")


def date_of_birth(value: object, today: date) -> PartialDate:
    """A date of birth (YYYY, YYYY-MM or YYYY-MM-DD), not in the future."""
    if not isinstance(value, str):
        raise InvalidInput("The date of birth must be text: YYYY, YYYY-MM or YYYY-MM-DD.")
    dob = PartialDate.parse(value)
    if dob.earliest() > today:
        raise BirthDateInFuture(
            f"The date of birth {dob} is in the future: check it.", date_of_birth=dob.earliest(), today=today
        )
    return dob


@dataclass(frozen=True)
class CheckedPerson:
    """A registration after validation."""

    number: str | None
    name: str
    dob: PartialDate
    sex: Sex
    phone: str | None
    ward_code: str
    province_code: str
    priority_group: str
    guardian_id: UUID | None
    relationship: str | None

    def fields(self) -> tuple[object, ...]:
        """The fields for the idempotency fingerprint (faster than dataclasses.astuple)."""
        return tuple(getattr(self, name) for name in CheckedPerson.__dataclass_fields__)
