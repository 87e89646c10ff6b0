"""Quiet hours: no campaign SMS delivered at night in Viet Nam (by default 21:00-07:00, Asia/Ho_Chi_Minh).

A message due at night waits until the quiet hours end, except the kinds a person must get at once
(`URGENT`): a cancelled or changed appointment, and the answer to a text the person has just sent.

The rule: a message is urgent when waiting for the morning could send the person to the wrong place or
time, or leave them waiting for an answer they asked for. A session cancelled in the evening for 07:30
the next morning, or a moved appointment (kind "change": a new day, time or site), would otherwise
reach the person only after they left home; and a cancellation or an answer ("which appointment?") to
an "HUY" the person has just texted finds them awake and waiting for it. Those are also rare (a
person's own change, a site's cancelled session). Everything else can wait without harm: appointments
from planning, reminders, next dose due, day-1 and day-7 check-ins, and a waiting place moved to another
ward's queue (kind "transfer": no appointment yet, so nothing to go to; it used to be sent as a
"change" and went out at night). Sign-in codes do not go through this outbox: a person asks for one and
waits for it, at any hour.

This set is the one place the rule lives: the senders ask `may_send`/`kinds_now`.

Time is a parameter (the moment is given): the rule is pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from ledger.campaign.errors import QuietHoursInvalid
from ledger.campaign.values import MessageKind
from ledger.commands import VIETNAM_TIME

_HH_MM = re.compile(r"[0-2][0-9]:[0-5][0-9]")
URGENT = frozenset({MessageKind.CANCEL.value, MessageKind.CHANGE.value, MessageKind.SMS_ANSWER.value})
DEFAULT = "21:00-07:00"


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end` (Viet Nam time; may run past midnight) only `urgent` kinds are delivered."""

    start: time = time(21, 0)
    end: time = time(7, 0)
    urgent: frozenset[str] = URGENT

    def contains(self, moment: datetime) -> bool:
        """True when `moment` (any time zone) falls in the quiet hours in Viet Nam."""
        local = moment.astimezone(VIETNAM_TIME).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def may_send(self, kind: str, moment: datetime) -> bool:
        """True when a message of this kind may be delivered at `moment`."""
        return kind in self.urgent or not self.contains(moment)

    def kinds_now(self, moment: datetime) -> frozenset[str] | None:
        """The kinds that may be delivered at `moment`: None for every kind (outside quiet hours)."""
        return self.urgent if self.contains(moment) else None

    def describe(self) -> str:
        """As configured: "21:00-07:00"."""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @classmethod
    def parse(cls, text: str | None) -> QuietHours | None:
        """HH:MM-HH:MM (Viet Nam time), or "off" (or empty) for none; QuietHoursInvalid otherwise."""
        value = (text if text is not None else DEFAULT).strip().lower()
        if value in ("off", "", "none"):
            return None
        start, sep, end = value.partition("-")
        try:
            if not sep or not all(_HH_MM.fullmatch(part.strip()) for part in (start, end)):
                raise ValueError
            first, last = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        except ValueError:
            raise QuietHoursInvalid(
                f"The SMS quiet hours {text!r} are not HH:MM-HH:MM: use e.g. 21:00-07:00, or off.", value=text
            ) from None
        if first == last:
            raise QuietHoursInvalid(
                f"The SMS quiet hours {text!r} start and end at the same time: use e.g. 21:00-07:00, or off.",
                value=text,
            )
        return cls(first, last)
