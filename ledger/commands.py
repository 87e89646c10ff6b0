"""The command runner: every write of the ledger runs here once per idempotency key.

A command checks its input, then `run_command` calls its `attempt` with the time: the attempt reads
aggregates, acts and returns what to save and what to answer. The events and a Receipt
(id = uuid5(namespace, key), holding a keyed fingerprint of the command's arguments and its result)
are saved in one transaction, so a retry with the same key returns the first result and writes
nothing, and the same key with different arguments is refused. A stale save (someone changed the same
aggregate at the same moment) is retried from a fresh read, a bounded number of times, then raises
ConflictError. Certificate issue and revoke use the same runner.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, PersistenceError

from ledger.claims import WithEvents, written_with_events
from ledger.domainmodel import Receipt
from ledger.errors import ConflictError, IdempotencyKeyReused, InvalidInput, StoreError
from ledger.eventstore import EventStore, reading
from ledger.failover import Reconnect
from ledger.keytables import MemoryKeyTable
from ledger.locked_writes import UnderLock, made_under_lock

RECEIPT_NAMESPACE = uuid5(NAMESPACE_URL, "https://immunize.invalid/ledger/idempotency-receipt")
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")  # dose dates are local dates (no DST in Viet Nam)


def vietnam_day(at: datetime) -> date:
    """The day it is in Viet Nam at that moment: every "today" (the ledger's, the pages', the CLI's)
    is this one; the UTC date is a day behind from 17:00 to 24:00 UTC."""
    if at.tzinfo is None:
        raise InvalidInput("The clock gave a time without a timezone: pass a timezone-aware clock.")
    return at.astimezone(VIETNAM_TIME).date()


MAX_ATTEMPTS = 16
BACKOFF_CAP = 0.064  # seconds: 16 attempts wait at most about 0.8 s in all


def conflict_backoff(attempt_number: int, draw: Callable[[], float] = random.random) -> float:
    """Seconds to wait before retrying a command whose save conflicted: doubling from 2 ms up to
    `BACKOFF_CAP`, drawn between half and all of it ("equal jitter"). Several writers drawing from one
    busy lot (one stock record) kept colliding at a fixed 2 ms step and gave up after 8 tries (the HA
    drill's 4 writers lost 18 of 744 doses to "conflicted 8 times"); the jitter spreads them apart."""
    ceiling = min(0.002 * 2**attempt_number, BACKOFF_CAP)
    return float(ceiling * (0.5 + 0.5 * draw()))


def utc_now() -> datetime:
    """The default clock: now, timezone-aware UTC."""
    return datetime.now(UTC)


def check_key(idempotency_key: object) -> str:
    """An idempotency key: 1 to 200 characters."""
    if not isinstance(idempotency_key, str) or not idempotency_key.strip() or len(idempotency_key) > 200:
        raise InvalidInput(
            "Every change needs an idempotency key of 1 to 200 characters (e.g. a UUID per request)."
        )
    return idempotency_key


def canonical(command: str, args: dict[str, Any]) -> bytes:
    """The bytes a command's fingerprint is computed over."""
    return json.dumps({"command": command, "args": args}, sort_keys=True, default=str).encode("utf-8")


@dataclass
class Outcome:
    """What one attempt of a command produced: aggregates to save and the result to return.

    `undo` steps run if the save fails (e.g. release national ID claims made outside the event log).
    """

    aggregates: Sequence[Aggregate | Aggregate.Event]  # an event alone: see EventStore.save
    result: dict[str, Any]
    undo: list[Callable[[], None]] = field(default_factory=list)
    # Rows written in the events' own transaction (new people's keys, national-ID claims: ledger.claims).
    with_events: WithEvents | None = None
    # Events made inside the save under the writers' lock (a dose's stock draw: ledger.locked_writes).
    locked: UnderLock | None = None


Attempt = Callable[[datetime], Outcome]
# An attempt given the aggregates the runner read with the receipt, in the same statement (absent ids
# are not in the dict): `run_command_loaded`.
LoadedAttempt = Callable[[datetime, dict[UUID, Aggregate]], Outcome]


class CommandRunner(EventStore):
    """The clock and `run_command`, on top of the event store."""

    clock: Callable[[], datetime]
    reconnect: Reconnect

    def now(self) -> datetime:
        """The clock's time, checked to be timezone-aware."""
        at = self.clock()
        if at.tzinfo is None:
            raise InvalidInput("The clock gave a time without a timezone: pass a timezone-aware clock.")
        return at.astimezone(UTC)

    def today(self) -> date:
        """Today's date in Viet Nam (dose dates are local dates)."""
        return vietnam_day(self.now())

    def run_command(
        self,
        command: str,
        idempotency_key: str,
        args: dict[str, Any],
        attempt: Attempt,
        *,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Run `attempt` once per idempotency key: check the receipt, act, save events + receipt.

        `args` are what make two requests the same request (fingerprinted with the master key, so the
        receipt holds no personal data); `at` fixes the time of every attempt (default: the clock).
        After a lost connection the whole command runs again on the new primary (ledger/failover.py):
        the receipt check makes that safe.
        """
        return self.reconnect.run(
            lambda: self._run_once(command, idempotency_key, args, lambda when, _: attempt(when), at, ()),
            command,
        )

    def run_command_loaded(
        self,
        command: str,
        idempotency_key: str,
        args: dict[str, Any],
        load: Sequence[UUID],
        attempt: LoadedAttempt,
    ) -> dict[str, Any]:
        """`run_command`, with the aggregates `load` read together with the receipt: one statement per
        attempt instead of one for the receipt and one more for the attempt's own reads (the dose
        write: the receipt and the person)."""
        ids = list(dict.fromkeys(load))
        return self.reconnect.run(
            lambda: self._run_once(command, idempotency_key, args, attempt, None, ids), command
        )

    def _run_once(
        self,
        command: str,
        idempotency_key: str,
        args: dict[str, Any],
        attempt: LoadedAttempt,
        at: datetime | None,
        load: Sequence[UUID],
    ) -> dict[str, Any]:
        key = check_key(idempotency_key)
        receipt_id = uuid5(RECEIPT_NAMESPACE, key)
        fingerprint = self.keys.master.fingerprint(canonical(command, args))
        for attempt_number in range(MAX_ATTEMPTS):
            loaded: dict[UUID, Aggregate] = {}
            if load:
                with reading():
                    loaded = {a.id: a for a in self.load_many([receipt_id, *load])}
                found = loaded.pop(receipt_id, None)
                previous = found if isinstance(found, Receipt) else None
            else:
                previous = self.receipt(receipt_id)
            if previous is not None:
                if previous.command != command or previous.fingerprint != fingerprint:
                    raise IdempotencyKeyReused(
                        f"The idempotency key {key!r} was already used for a different {previous.command}: "
                        "use a new key for a new request."
                    )
                return previous.result
            when = at if at is not None else self.now()
            outcome = attempt(when, loaded)
            receipt = Receipt(
                id=receipt_id,
                at=when,  # type: ignore[call-arg]
                command=command,
                fingerprint=fingerprint,
                result=outcome.result,
            )
            if self._save_outcome(outcome, receipt, attempt_number):
                return outcome.result
        raise ConflictError(
            f"{command} conflicted {MAX_ATTEMPTS} times with changes made at the same moment: "
            "nothing was written; try again."
        )

    def _save_outcome(self, outcome: Outcome, receipt: Receipt, attempt_number: int) -> bool:
        """Save one attempt's events and receipt; False means "stale: read again and retry"."""
        try:
            self._save_with_events(outcome, receipt)
        except IntegrityError:
            for undo in outcome.undo:
                undo()
            time.sleep(conflict_backoff(attempt_number))
            return False
        except PersistenceError as exc:
            for undo in outcome.undo:
                undo()
            raise StoreError(f"The ledger database failed while saving ({exc}): try again later.") from exc
        except BaseException:
            for undo in outcome.undo:
                undo()
            raise
        return True

    def _save_with_events(self, outcome: Outcome, receipt: Receipt) -> None:
        """Save the events and receipt, with the outcome's keys and claims in the same transaction,
        and the events it makes under the writers' lock (ledger.locked_writes)."""
        aggregates = list(outcome.aggregates)
        locked = outcome.locked
        if locked is not None and not getattr(self.recorder, "makes_locked_events", False):
            aggregates += locked.now()  # in memory: no transaction to make them in
            under_lock = None
        else:
            under_lock = locked
        with made_under_lock(under_lock):
            self._save_with_rows(outcome, aggregates, receipt)
        if locked is not None:
            locked.saved()

    def _save_with_rows(
        self, outcome: Outcome, aggregates: list[Aggregate | Aggregate.Event], receipt: Receipt
    ) -> None:
        writes = outcome.with_events
        if writes is None:
            self.save(*aggregates, receipt)
            return
        owners = [owner for owner, _ in writes.keys]
        saved = False
        try:
            table = self.keys.table
            if isinstance(table, MemoryKeyTable):  # no transaction: one lock across check and save
                table.write_with_events(writes, self.exists, lambda: self.save(*aggregates, receipt))
            else:
                with written_with_events(writes):
                    self.save(*aggregates, receipt)
            saved = True
        finally:
            self.keys.settle(owners, saved=saved)

    def receipt(self, receipt_id: UUID) -> Receipt | None:
        """The receipt of an earlier command, or None."""
        try:
            with reading():
                receipt: Receipt = self.repository.get(receipt_id)
        except AggregateNotFoundError:
            return None
        return receipt
