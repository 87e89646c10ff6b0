"""Value types of the ledger: small, immutable, validated on construction (no framework, no crypto)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from ledger.errors import DateInvalid, InvalidInput, NameInvalid, NationalIdInvalid
from ledger.phone import normalise_phone as _normalise_phone

_DIGITS = re.compile(r"[0-9]+")
_PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
ERASED_TEXT = "[erased]"


class Sex(StrEnum):
    """Sex as recorded on the registration form."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class Severity(StrEnum):
    """Severity of an adverse reaction; serious ones need a follow-up."""

    MILD = "mild"
    MODERATE = "moderate"
    SERIOUS = "serious"


class Relationship(StrEnum):
    """How a dependant is related to the guardian who manages their record."""

    CHILD = "child"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    SPOUSE = "spouse"
    OTHER = "other"


class Role(StrEnum):
    """What the person acting is, which decides what they may do."""

    CITIZEN = "citizen"  # acting for themselves
    GUARDIAN = "guardian"  # acting for a dependant
    VACCINATOR = "vaccinator"  # site staff who gives doses
    SITE_STAFF = "site_staff"  # site staff who registers, records, corrects
    PROVINCE_OFFICER = "province_officer"
    ADMIN = "admin"
    SYSTEM = "system"  # imports, demo seeding, migrations

    @property
    def is_staff(self) -> bool:
        """True for the roles that work at (or above) a vaccination site."""
        return self in (Role.VACCINATOR, Role.SITE_STAFF, Role.PROVINCE_OFFICER, Role.ADMIN, Role.SYSTEM)

    @property
    def is_site_bound(self) -> bool:
        """True for the roles that may only act at their own site."""
        return self in (Role.VACCINATOR, Role.SITE_STAFF)


@dataclass(frozen=True)
class Actor:
    """Who did something: an account id, the role they acted in, their site (site staff) and their
    province (a province officer's reach, issue 13; None for national roles and for events stored
    before actors carried one)."""

    actor_id: str
    role: Role
    site_id: UUID | None = None
    province_code: str | None = None

    def __post_init__(self) -> None:
        if not self.actor_id or len(self.actor_id) > 100:
            raise InvalidInput("The actor id must be 1 to 100 characters: say who is acting.")
        if not isinstance(self.role, Role):
            raise InvalidInput(f"Unknown role {self.role!r}: use one of {', '.join(r.value for r in Role)}.")
        if self.role.is_site_bound and self.site_id is None:
            raise InvalidInput(f"A {self.role.value} acts at a site: give the actor's site id.")


@dataclass(frozen=True, order=True)
class NationalId:
    """A Vietnamese national ID number: 12-digit CCCD (citizen identity card) or 9-digit CMND (old card)."""

    number: str

    def __post_init__(self) -> None:
        number = self.number.strip() if isinstance(self.number, str) else ""
        if not _DIGITS.fullmatch(number) or len(number) not in (9, 12):
            raise NationalIdInvalid(
                "A national ID number is 12 digits (CCCD) or 9 digits (CMND): check the card and type digits only."
            )
        object.__setattr__(self, "number", number)

    @property
    def kind(self) -> str:
        """'CCCD' for 12 digits, 'CMND' for 9."""
        return "CCCD" if len(self.number) == 12 else "CMND"

    @property
    def province_prefix(self) -> str | None:
        """The 2-digit GSO province code a CCCD starts with (after a leading 0); None for a CMND."""
        return self.number[1:3] if self.kind == "CCCD" else None

    def __str__(self) -> str:
        return self.number


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date that may be only a year or a year and month (many older people know only their birth year)."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1900 <= self.year <= 2100:
            raise DateInvalid(
                f"The year {self.year} is out of range: use a four-digit year from 1900.",
                value=str(self.year),
            )
        if self.month is None and self.day is not None:
            raise InvalidInput("A date with a day needs a month: use YYYY, YYYY-MM or YYYY-MM-DD.")
        try:
            date(self.year, self.month or 1, self.day or 1)
        except ValueError as exc:
            raise DateInvalid(
                f"{self.isoformat()} is not a real date: check month and day.", value=self.isoformat()
            ) from exc

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read YYYY, YYYY-MM or YYYY-MM-DD."""
        match = _PARTIAL_DATE.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise DateInvalid(
                f"{text!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD.", value=str(text)[:20]
            )
        year, month, day = match.groups()
        return cls(int(year), int(month) if month else None, int(day) if day else None)

    @classmethod
    def of(cls, day: date) -> PartialDate:
        """The full date `day` as a PartialDate."""
        return cls(day.year, day.month, day.day)

    def earliest(self) -> date:
        """The first day this date could be."""
        return date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> date:
        """The last day this date could be."""
        if self.day is not None:
            return self.earliest()
        if self.month is None:
            return date(self.year, 12, 31)
        next_month = date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return date.fromordinal(next_month.toordinal() - 1)

    def isoformat(self) -> str:
        """YYYY, YYYY-MM or YYYY-MM-DD, as the DCC `dob` field expects."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text

    def __str__(self) -> str:
        return self.isoformat()


def normalise_name(name: str) -> str:
    """A full name in NFC (Vietnamese text arrives both composed and decomposed) with single spaces."""
    if not isinstance(name, str):
        raise NameInvalid("The full name must be text.")
    text = " ".join(unicodedata.normalize("NFC", name).split())
    if not text:
        raise NameInvalid("The full name is empty: type the name as on the ID card, family name first.")
    if len(text) > 200:
        raise NameInvalid("The full name is longer than 200 characters: shorten it.")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise NameInvalid("The full name contains control characters: type letters and spaces only.")
    return text


def normalise_phone(phone: str) -> str:
    """A Vietnamese mobile number in its national form 0XXXXXXXXX (see ledger.phone, the one normaliser)."""
    return _normalise_phone(phone)


class PersonalData:
    """A piece of personal data belonging to one person (`owner`), encrypted at rest with that person's key.

    The application's transcoding seals it; read back, it stays sealed until `value` is first used
    (an opaque `opener` decrypts it), so commands that never look at a name never decrypt one. Once
    the owner's key is destroyed (erasure) the value is None ("erased") instead of an error, so the
    log can still be replayed.
    """

    __slots__ = ("_opener", "_value", "owner")

    def __init__(
        self, owner: UUID, value: str | None = None, *, opener: Callable[[], str | None] | None = None
    ):
        self.owner = owner
        self._value = value
        self._opener = opener

    @property
    def value(self) -> str | None:
        """The clear value (decrypted on first use), or None once erased."""
        if self._opener is not None:
            self._value = self._opener()
            self._opener = None
        return self._value

    @property
    def erased(self) -> bool:
        """True once the owner's key is gone."""
        return self.value is None

    @property
    def text(self) -> str:
        """The value, or "[erased]" after erasure."""
        value = self.value
        return ERASED_TEXT if value is None else value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PersonalData):
            return NotImplemented
        return self.owner == other.owner and self.value == other.value

    def __hash__(self) -> int:
        return hash((self.owner, self.value))

    def __repr__(self) -> str:
        # Never print personal data by accident (logs, tracebacks).
        return f"PersonalData(owner={self.owner})"

    __str__ = __repr__
