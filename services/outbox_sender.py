"""The resident SMS sender (`immunize messages send --follow`, started by `immunize serve --followers`).

It delivers messages as they appear: each round runs `CampaignService.send_pending` (attempt ids
recorded before the gateway is called, outcomes recorded after, so a crash never sends twice), then
pauses `poll` seconds. A message the gateway refused or could not take waits `backoff` x
2^(attempts-1) with equal jitter before its next attempt (Ledger.record_outcomes); when the gateway
is down, or the store fails, the sender itself pauses longer each time (poll x 2^failures, up to
`max_pause`, with jitter) instead of hammering it. Once a day, from `daily_at` (Viet Nam time), it
runs the campaign's daily job first (`CampaignService.run_day`: no-shows of earlier days released,
next doses due registered, tomorrow's reminders and the day-1 and day-7 check-ins queued), so those
messages go out on schedule; the job is idempotent, so a restart running it again queues nothing
twice. At night in Viet Nam (`quiet`, 21:00-07:00 by default) it delivers only the urgent kinds (a
cancelled or changed appointment: ledger.campaign.quiet_hours); the rest goes out when the quiet hours
end. It stops between rounds when asked (SIGTERM sets `stop`); what is in flight is finished and
recorded first. Several senders may run at once (`shard` i of n reads its own part of the outbox; the
ledger's claim of each batch keeps any overlap from sending twice).

Time and randomness are parameters: the ledger's clock, `wait(seconds)` (returns True to stop) and
`random()` (a number in [0, 1)), so tests drive it step by step.
"""

from __future__ import annotations

import logging
import random as _random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from eventsourcing.persistence import PersistenceError

from ledger.campaign.quiet_hours import QuietHours
from ledger.commands import VIETNAM_TIME
from ledger.errors import LedgerError
from services.campaign import CampaignService
from services.sms_gateways import Gateway

log = logging.getLogger("immunize.campaign.sender")


@dataclass(frozen=True)
class SenderSettings:
    """How the resident sender paces itself."""

    batch: int = 200
    workers: int = 4  # gateway calls at once
    backoff: timedelta = timedelta(seconds=30)  # a failed message's first retry (then doubles)
    poll: float = 2.0  # seconds between looks at the outbox when it was empty
    max_pause: float = 300.0  # the longest pause after repeated failures
    daily_at: time | None = time(8, 0)  # Viet Nam time of the daily job; None: never
    quiet: QuietHours | None = field(default_factory=QuietHours)  # None: deliver at any hour
    shard: tuple[int, int] | None = None  # (i, n): this sender's part of the outbox


@dataclass
class SenderTally:
    """What a resident sender did since it started."""

    rounds: int = 0
    sent: int = 0
    retrying: int = 0
    failures: int = 0  # rounds that failed (store or gateway down)
    daily_runs: list[date] = field(default_factory=list)
    queued_by_daily: int = 0


class ResidentSender:
    """Deliver as messages appear; run the daily job on schedule; stop when asked."""

    def __init__(
        self,
        service: CampaignService,
        gateway: Gateway,
        settings: SenderSettings | None = None,
        *,
        stop: threading.Event | None = None,
        wait: Callable[[float], bool] | None = None,
        random: Callable[[], float] = _random.random,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.service = service
        self.gateway = gateway
        self.settings = settings or SenderSettings()
        self.stop = stop or threading.Event()
        self.wait = wait or self.stop.wait
        self.random = random
        self.report = report or (lambda line: log.info("%s", line))
        self.tally = SenderTally()
        self._failures_in_a_row = 0
        self._daily_done: date | None = None

    def _daily_due(self) -> date | None:
        """Today (Viet Nam time) when the daily job is due and has not run today in this process."""
        if self.settings.daily_at is None:
            return None
        local = self.service.ledger.now().astimezone(VIETNAM_TIME)
        if local.time() < self.settings.daily_at or self._daily_done == local.date():
            return None
        return local.date()

    def _pause_after_failure(self) -> float:
        self._failures_in_a_row += 1
        self.tally.failures += 1
        pause = min(self.settings.max_pause, self.settings.poll * 2.0**self._failures_in_a_row)
        return pause / 2 + pause / 2 * self.random()  # equal jitter: never in step with other senders

    def round(self) -> float:
        """One round: the daily job if due, then every message due now; returns the pause before the next."""
        self.tally.rounds += 1
        try:
            today = self._daily_due()
            if today is not None:
                done = self.service.run_day(today)
                self._daily_done = today
                self.tally.daily_runs.append(today)
                queued = done.reminders + done.checkins
                self.tally.queued_by_daily += queued
                self.report(
                    f"daily job {today.isoformat()}: {done.reminders} reminders, {done.checkins} check-ins, "
                    f"{done.next_doses_registered} next doses registered, {done.no_shows} no-shows released"
                )
            delivery = self.service.send_pending(
                self.gateway,
                batch=self.settings.batch,
                workers=self.settings.workers,
                backoff=self.settings.backoff,
                jitter=self.random,
                quiet=self.settings.quiet,
                shard=self.settings.shard,
            )
        except (LedgerError, PersistenceError) as exc:
            # One line, no personal data; the open attempts are resumed under their keys next round.
            pause = self._pause_after_failure()
            self.report(f"round failed ({type(exc).__name__}: {exc}); trying again in {pause:.1f} s")
            return pause
        self.tally.sent += delivery.sent
        self.tally.retrying += delivery.retrying
        if delivery.sent or delivery.retrying:
            self.report(f"sent {delivery.sent}, to retry {delivery.retrying}, failed {delivery.failed}")
        if delivery.retrying and not delivery.sent:
            pause = self._pause_after_failure()
            self.report(f"the gateway took nothing: pausing {pause:.1f} s")
            return pause
        self._failures_in_a_row = 0
        return self.settings.poll

    def run(self) -> SenderTally:
        """Rounds until `stop` is set (or `wait` says stop)."""
        while not self.stop.is_set():
            pause = self.round()
            if self.stop.is_set() or self.wait(pause):
                break
        return self.tally
