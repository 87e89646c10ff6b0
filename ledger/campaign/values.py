"""Value types of campaign operations: sessions, opening days, languages, the dose-mixing rule.

Events store sessions as plain lists ([name, start, end, capacity]) so that no new transcoding is
needed and old events replay whatever these classes become.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from ledger.campaign.errors import CampaignInputInvalid, CapacityInvalid, DayInPast, OpeningDaysInvalid
from ledger.reference import Reference

MAX_SESSION_CAPACITY = 2_000  # a sane maximum per session (one site, half a day)
MAX_SESSIONS_PER_DAY = 6
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_DAY = tuple(range(7))

# Ids derived from other ids (never from personal data), so that "one per X" is enforced by the store.
SCHEDULE_NS = uuid5(NAMESPACE_URL, "https://immunize.invalid/campaign/site-schedule")
REGISTRATION_NS = uuid5(NAMESPACE_URL, "https://immunize.invalid/campaign/registration")
PLAN_NS = uuid5(NAMESPACE_URL, "https://immunize.invalid/campaign/day-plan")
APPOINTMENT_NS = uuid5(NAMESPACE_URL, "https://immunize.invalid/campaign/appointment")
MESSAGE_NS = uuid5(NAMESPACE_URL, "https://immunize.invalid/campaign/message")
STOCK_NS = uuid5(NAMESPACE_URL, "https://immunize.invalid/campaign/lot-stock")


def schedule_id(site_id: UUID) -> UUID:
    """The id of a site's schedule (one per site)."""
    return uuid5(SCHEDULE_NS, site_id.hex)


def registration_id(person_id: UUID, dose_number: int) -> UUID:
    """The id of a person's registration for one dose (one per person and dose: nobody registered twice)."""
    return uuid5(REGISTRATION_NS, f"{person_id.hex}:{dose_number}")


def plan_id(site_id: UUID, day: date) -> UUID:
    """The id of a site's plan for one day (one per site and day)."""
    return uuid5(PLAN_NS, f"{site_id.hex}:{day.isoformat()}")


def appointment_id(plan: UUID, registration: UUID, booking: int) -> UUID:
    """An appointment's id: the plan, the registration and how many times it was booked before."""
    return uuid5(APPOINTMENT_NS, f"{plan.hex}:{registration.hex}:{booking}")


def message_id(cause: UUID, kind: str, serial: int = 0) -> UUID:
    """A message's id from what caused it (an appointment, a dose, a registration): a job run twice
    queues the message once."""
    return uuid5(MESSAGE_NS, f"{cause.hex}:{kind}:{serial}")


def lot_stock_id(lot_id: UUID) -> UUID:
    """The id of a lot's stock record (shipment, allocations, wastage, expiry)."""
    return uuid5(STOCK_NS, lot_id.hex)


class Language(StrEnum):
    """The language a person chose for messages (Vietnamese unless they chose English)."""

    VI = "vi"
    EN = "en"


class SiteStatus(StrEnum):
    """Whether a site takes appointments."""

    OPEN = "open"
    PAUSED = "paused"


class RegistrationStatus(StrEnum):
    """Where a registration is: waiting in the queue, booked, withdrawn, or done (dose given)."""

    WAITING = "waiting"
    BOOKED = "booked"
    WITHDRAWN = "withdrawn"
    DONE = "done"


class AppointmentStatus(StrEnum):
    """An appointment's life: booked, then arrived (checked in) and done, or cancelled or no-show."""

    BOOKED = "booked"
    ARRIVED = "arrived"
    DONE = "done"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def holds_seat(self) -> bool:
        """True while the appointment takes one of the session's places."""
        return self in (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.DONE)


class MessageKind(StrEnum):
    """What a message is about."""

    APPOINTMENT = "appointment"
    CHANGE = "change"  # a booked appointment moved: where and when to go now
    TRANSFER = "transfer"  # a waiting place moved to another ward's queue (no appointment yet)
    CANCEL = "cancel"
    REMINDER = "reminder"
    NEXT_DOSE_DUE = "next_dose_due"
    CHECKIN_DAY1 = "checkin_day1"
    CHECKIN_DAY7 = "checkin_day7"
    SMS_ANSWER = "sms_answer"  # the answer to a text the person sent (e.g. "HUY": which appointment?)

    @property
    def is_checkin(self) -> bool:
        """True for the check-ins whose replies become reaction reports."""
        return self in (MessageKind.CHECKIN_DAY1, MessageKind.CHECKIN_DAY7)


def check_time(text: object, what: str) -> str:
    """A time of day as HH:MM (24 hours)."""
    if not isinstance(text, str) or not _TIME.fullmatch(text.strip()):
        raise CampaignInputInvalid(f"The {what} {text!r} is not a time of day: use HH:MM, e.g. 07:30.")
    return text.strip()


def check_capacity(value: object) -> int:
    """A session's capacity: 1 to MAX_SESSION_CAPACITY people."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise CampaignInputInvalid(f"The capacity {value!r} is not a whole number: type e.g. 200.") from None
    if number <= 0:
        raise CapacityInvalid(
            f"A session's capacity must be at least 1 person, not {number}: pause the site instead of "
            "setting 0.",
            capacity=number,
            maximum=MAX_SESSION_CAPACITY,
        )
    if number > MAX_SESSION_CAPACITY:
        raise CapacityInvalid(
            f"A session's capacity of {number} is more than {MAX_SESSION_CAPACITY:,} people: split it "
            "into more sessions or check the number.",
            capacity=number,
            maximum=MAX_SESSION_CAPACITY,
        )
    return number


@dataclass(frozen=True)
class Session:
    """One session of a site's day: a name, start and end time (HH:MM, local), and its capacity."""

    name: str
    start: str
    end: str
    capacity: int

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise CampaignInputInvalid(
                f"The session name {self.name!r} is not valid: use lower-case letters, e.g. morning."
            )
        check_time(self.start, "session start")
        check_time(self.end, "session end")
        if self.start >= self.end:
            raise CampaignInputInvalid(
                f"The session {self.name} starts at {self.start}, not before its end {self.end}: "
                "check the times."
            )
        object.__setattr__(self, "capacity", check_capacity(self.capacity))

    def as_list(self) -> list[str | int]:
        """The form stored in events."""
        return [self.name, self.start, self.end, self.capacity]

    @classmethod
    def from_list(cls, data: Sequence[str | int]) -> Session:
        """Back from the form stored in events."""
        name, start, end, capacity = data
        return cls(str(name), str(start), str(end), int(capacity))

    @classmethod
    def parse(cls, text: str) -> Session:
        """Read `name=HH:MM-HH:MM/capacity`, e.g. `morning=07:30-11:30/200`."""
        match = re.fullmatch(r"\s*([^=\s]+)\s*=\s*([0-9:]+)\s*-\s*([0-9:]+)\s*/\s*(\S+)\s*", str(text))
        if match is None:
            raise CampaignInputInvalid(
                f"{text!r} is not a session: write name=start-end/capacity, e.g. morning=07:30-11:30/200."
            )
        name, start, end, capacity = match.groups()
        return cls(name, start, end, check_capacity(capacity))


DEFAULT_SESSIONS = (Session("morning", "07:30", "11:30", 200), Session("afternoon", "13:30", "16:30", 200))


def check_sessions(sessions: Iterable[Session]) -> tuple[Session, ...]:
    """A day's sessions: 1 to 6, unique names, in time order and not overlapping."""
    ordered = tuple(sorted(sessions, key=lambda s: s.start))
    if not ordered:
        raise CampaignInputInvalid("A site needs at least one session: e.g. morning=07:30-11:30/200.")
    if len(ordered) > MAX_SESSIONS_PER_DAY:
        raise CampaignInputInvalid(
            f"{len(ordered)} sessions a day is more than {MAX_SESSIONS_PER_DAY}: merge some sessions."
        )
    names = [s.name for s in ordered]
    if len(set(names)) != len(names):
        raise CampaignInputInvalid("Two sessions have the same name: give each session its own name.")
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise CampaignInputInvalid(
                f"The sessions {before.name} and {after.name} overlap: {after.name} starts at "
                f"{after.start}, before {before.name} ends at {before.end}."
            )
    return ordered


def check_days(days: Iterable[int]) -> tuple[int, ...]:
    """Opening days as weekday numbers (0 = Monday): at least one, each 0 to 6, sorted, once each."""
    found = tuple(sorted(set(days)))
    if not found or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in found):
        raise OpeningDaysInvalid("A site must open on at least one day of the week: tick its opening days.")
    return found


def parse_opening_days(text: str) -> tuple[int, ...]:
    """Opening days as `mon,tue,...` or `daily` (0 = Monday, as `date.weekday()`)."""
    words = [w.strip().lower()[:3] for w in str(text).split(",") if w.strip()]
    if words in (["dai"], ["all"], ["eve"]):
        return EVERY_DAY
    days: set[int] = set()
    for word in words:
        if word not in WEEKDAYS:
            raise CampaignInputInvalid(
                f"{word!r} is not a day of the week: use mon,tue,wed,thu,fri,sat,sun or daily."
            )
        days.add(WEEKDAYS.index(word))
    if not days:
        raise CampaignInputInvalid("A site must open on at least one day: e.g. mon,tue,wed,thu,fri.")
    return tuple(sorted(days))


def format_opening_days(days: Iterable[int]) -> str:
    """The inverse of `parse_opening_days`."""
    days = tuple(sorted(days))
    return "daily" if days == EVERY_DAY else ",".join(WEEKDAYS[d] for d in days)


# vaccines.csv has no mixing column, so the rule is read from its `vp_code` (the vaccine platform):
# a dose of the same platform is interchangeable, and after a viral-vector (ChAdOx1) dose an mRNA
# vaccine is allowed (Viet Nam did this in 2021 when AstraZeneca second doses ran short). The
# product of the previous dose is always preferred.
VIRAL_VECTOR = "29061000087103"
MRNA = "1119349007"


def allowed_products(previous: str | None, reference: Reference) -> tuple[str, ...]:
    """The products a dose may use after `previous` (None: any first dose), preferred first."""
    if previous is None:
        return tuple(sorted(reference.vaccines))
    try:
        before = reference.vaccines[previous]
    except KeyError:
        return (previous,)
    same_platform = sorted(mp for mp, v in reference.vaccines.items() if mp != previous and v.vp == before.vp)
    mixes = sorted(mp for mp, v in reference.vaccines.items() if before.vp == VIRAL_VECTOR and v.vp == MRNA)
    return tuple(dict.fromkeys([previous, *same_platform, *mixes]))


def extra_wait_days(previous: str, product: str, reference: Reference) -> int:
    """Days after a registration's due day before `product` may follow `previous`. The due day counts
    the previous product's own interval; a mix waits for the stricter of the two
    (`Reference.min_days_between`), e.g. Moderna (28 days) after Pfizer (21 days) waits 7 more."""
    own = reference.vaccines[previous].min_interval_days if previous in reference.vaccines else None
    needed = reference.min_days_between(previous, product)
    return max(0, (needed or 0) - (own or 0))


def check_day(value: object, today: date, what: str = "day") -> date:
    """A day to plan or book: a real date, today or later."""
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise CampaignInputInvalid(f"The {what} {value!r} is not a date: use YYYY-MM-DD.") from None
    if day < today:
        raise DayInPast(
            f"The {what} {day.isoformat()} is in the past (today is {today.isoformat()}): choose today or a "
            "later day.",
            day=day,
            today=today,
        )
    return day
