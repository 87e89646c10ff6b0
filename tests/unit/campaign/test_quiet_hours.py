"""Quiet hours in Viet Nam's time, whatever the server's zone; which kinds still go at night."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from ledger.campaign.errors import QuietHoursInvalid
from ledger.campaign.quiet_hours import QuietHours


def vn(hour: int, minute: int = 0) -> datetime:
    """That time of 1 August 2021 in Viet Nam (UTC+7), as the UTC moment a clock gives."""
    return datetime(2021, 8, 1, (hour - 7) % 24, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [
        (20, 59, False),
        (21, 0, True),
        (23, 30, True),
        (0, 0, True),
        (6, 59, True),
        (7, 0, False),
        (12, 0, False),
    ],
)
def test_the_default_quiet_hours_are_21_to_7_in_viet_nam(hour: int, minute: int, quiet: bool) -> None:
    hours = QuietHours.parse(None)
    assert hours is not None
    assert hours.describe() == "21:00-07:00"
    assert hours.contains(vn(hour, minute)) is quiet
    # An appointment waits for the morning; a cancelled or changed one goes at once.
    assert hours.may_send("appointment", vn(hour, minute)) is not quiet
    assert hours.may_send("checkin_day1", vn(hour, minute)) is not quiet
    assert hours.may_send("cancel", vn(hour, minute))
    assert hours.may_send("change", vn(hour, minute))
    # A waiting place moved to another ward's queue names nothing to go to: it waits too.
    assert hours.may_send("transfer", vn(hour, minute)) is not quiet
    # The answer to a text the person has just sent ("HUY": which appointment?) goes at once too.
    assert hours.may_send("sms_answer", vn(hour, minute))
    assert hours.kinds_now(vn(hour, minute)) == ({"cancel", "change", "sms_answer"} if quiet else None)


def test_quiet_hours_are_configurable_within_a_day_or_across_midnight_or_off() -> None:
    lunch = QuietHours.parse("12:00-13:30")
    assert lunch == QuietHours(time(12, 0), time(13, 30))
    assert lunch.contains(vn(12, 45))
    assert not lunch.contains(vn(13, 30))
    assert not lunch.contains(vn(23, 0))
    late = QuietHours.parse(" 22:30 - 06:00 ")
    assert late is not None
    assert late.contains(vn(5, 59))
    assert not late.contains(vn(22, 29))
    assert QuietHours.parse("off") is None
    assert QuietHours.parse("OFF") is None


@pytest.mark.parametrize("text", ["21-07", "21:00", "25:00-07:00", "21:00-21:00", "night"])
def test_quiet_hours_that_are_not_hh_mm_hh_mm_get_one_sentence(text: str) -> None:
    with pytest.raises(QuietHoursInvalid, match="21:00-07:00") as caught:
        QuietHours.parse(text)
    assert caught.value.params == {"value": text}
