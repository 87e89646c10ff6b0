"""The text of each message kind, in Vietnamese (default) and English; never an ID number.

Texts carry only what the person needs to act: the date, the session's time, the site's name and
address, the dose number. Long site names and addresses are shortened so a message stays within a
few SMS parts (`sms.segment` splits it).

One phone often serves a whole family (a guardian's number for the children, parents sharing one), so
identical "dose 1, 03/12" texts could not be told apart: a text about one person is headed, when it is
sent, with that person's given name only ("Gửi Lan: …"), never the full name or an ID number
(`addressed`). The answers to a text the phone sent are about the phone, not headed; the "HUY" list
names each appointment's person the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledger.campaign.values import Language, MessageKind

MAX_SITE_NAME = 60
MAX_ADDRESS = 80
MAX_GIVEN_NAME = 20


@dataclass(frozen=True)
class Visit:
    """What an appointment message says about the visit."""

    day: date
    start: str
    end: str
    site_name: str
    address: str
    dose_number: int


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def given_name(full_name: str) -> str:
    """The name a person is called by, for a text's heading: the last word of a Vietnamese full name
    (family name first: "Nguyễn Thị Lan" is Lan); "" when there is none (erased)."""
    words = full_name.split()
    return _short(words[-1], MAX_GIVEN_NAME) if words else ""


def addressed(text: str, full_name: str, language: Language) -> str:
    """`text` headed with the given name of the person it is about ("Gửi Lan: Lịch tiêm …"), so that a
    family sharing one phone knows whose appointment each text is; unchanged without a name."""
    name = given_name(full_name)
    if not name:
        return text
    return f"For {name}: {text}" if language is Language.EN else f"Gửi {name}: {text}"


def _where(visit: Visit) -> str:
    place = _short(visit.site_name, MAX_SITE_NAME)
    address = _short(visit.address, MAX_ADDRESS)
    return f"{place}, {address}" if address else place


def appointment_text(kind: MessageKind, visit: Visit, language: Language) -> str:
    """An appointment, a change of it, or the reminder the day before."""
    day = visit.day.strftime("%d/%m/%Y")
    if language is Language.EN:
        lead = {
            MessageKind.APPOINTMENT: "Vaccination appointment",
            MessageKind.CHANGE: "Your vaccination appointment has changed",
            MessageKind.REMINDER: "Reminder: vaccination tomorrow",
        }[kind]
        return (
            f"{lead}: dose {visit.dose_number}, {day} {visit.start}-{visit.end}, {_where(visit)}. "
            "Bring your ID card. Change or cancel in the app."
        )
    lead = {
        MessageKind.APPOINTMENT: "Lịch tiêm vắc xin",
        MessageKind.CHANGE: "Lịch tiêm vắc xin đã thay đổi",
        MessageKind.REMINDER: "Nhắc lịch: ngày mai tiêm vắc xin",
    }[kind]
    return (
        f"{lead}: mũi {visit.dose_number}, {day} {visit.start}-{visit.end}, {_where(visit)}. "
        "Mang theo CCCD. Đổi/hủy lịch trên ứng dụng."
    )


def cancel_text(visit: Visit, language: Language, rebooked: bool) -> str:
    """An appointment cancelled (by the person or because the site cancelled the session)."""
    day = visit.day.strftime("%d/%m/%Y")
    if language is Language.EN:
        then = "You keep your place in the queue; a new appointment will follow." if rebooked else ""
        return f"Your vaccination appointment on {day} {visit.start} at {_short(visit.site_name, MAX_SITE_NAME)} is cancelled. {then}".strip()
    then = "Bạn giữ nguyên thứ tự ưu tiên; lịch mới sẽ được gửi sau." if rebooked else ""
    return f"Lịch tiêm ngày {day} {visit.start} tại {_short(visit.site_name, MAX_SITE_NAME)} đã bị hủy. {then}".strip()


def transfer_text(ward_name: str, dose_number: int, language: Language) -> str:
    """A place in the queue moved to another ward: same priority, an appointment message will follow."""
    ward = _short(ward_name, MAX_SITE_NAME)
    if language is Language.EN:
        return (
            f"Your registration for vaccine dose {dose_number} has moved to {ward}. You keep your priority "
            "and place in time; an appointment message will follow."
        )
    return (
        f"Đăng ký tiêm mũi {dose_number} của bạn đã chuyển sang {ward}. Bạn giữ nguyên thứ tự ưu tiên; "
        "lịch tiêm sẽ được gửi sau."
    )


def next_dose_text(dose_number: int, due_on: date, language: Language) -> str:
    """A next dose is due: the person is in the queue and will get an appointment."""
    day = due_on.strftime("%d/%m/%Y")
    if language is Language.EN:
        return (
            f"Your vaccine dose {dose_number} is due from {day}. You are registered; "
            "an appointment message will follow."
        )
    return f"Đã đến hạn tiêm mũi {dose_number} từ ngày {day}. Bạn đã được đăng ký; lịch tiêm sẽ được gửi sau."


def checkin_text(days_after: int, language: Language) -> str:
    """A check-in 1 or 7 days after a dose; the reply becomes a reaction report."""
    if language is Language.EN:
        when = "yesterday" if days_after == 1 else f"{days_after} days ago"
        return (
            f"How are you after your vaccine dose {when}? Reply 1 if fine, 2 if mild reaction, "
            "3 and a description if serious."
        )
    when = "hôm qua" if days_after == 1 else f"{days_after} ngày trước"
    return (
        f"Sau mũi tiêm {when}, bạn thấy thế nào? Trả lời 1 nếu bình thường, 2 nếu phản ứng nhẹ, "
        "3 kèm mô tả nếu phản ứng nặng."
    )


@dataclass(frozen=True)
class Choice:
    """One appointment an "HUY" could cancel, as the list numbers it."""

    day: date
    start: str
    site_name: str
    name: str = ""  # the given name of the person booked: a family's appointments may share day and place


MAX_CHOICE_SITE = 28  # a list of up to five stays within a few SMS parts


def cancel_choice_text(choices: list[Choice], language: Language) -> str:
    """The numbered list sent when one phone holds several appointments (a family): which one?"""
    items = "; ".join(
        f"{n}) {c.name + ' ' if c.name else ''}{c.day.strftime('%d/%m')} {c.start} "
        f"{_short(c.site_name, MAX_CHOICE_SITE)}"
        for n, c in enumerate(choices, start=1)
    )
    numbers = " hoặc ".join(f"HUY {n}" for n in range(1, len(choices) + 1))
    if language is Language.EN:
        numbers = " or ".join(f"HUY {n}" for n in range(1, len(choices) + 1))
        return f"This number has {len(choices)} vaccination appointments: {items}. Reply {numbers} to cancel that one."
    return f"Số này có {len(choices)} lịch tiêm: {items}. Nhắn {numbers} để hủy lịch đó."


def nothing_to_cancel_text(language: Language) -> str:
    """An "HUY" from a known phone with no upcoming appointment."""
    if language is Language.EN:
        return "There is no upcoming vaccination appointment for this number to cancel."
    return "Số này không có lịch tiêm sắp tới nào để hủy."
