"""The outbox and replies: messages as operators see them, the sender loop that delivers them through a
gateway, and replies from phones (a "HUY" cancels through the moves above)."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from ledger.application import Ledger
from ledger.campaign.errors import (
    CampaignInputInvalid,
    GatewayError,
)
from ledger.campaign.message_commands import (
    AttemptBatch,
    DeliveryOutcome,
    Outgoing,
    ReplyResult,
    parse_cancel,
)
from ledger.campaign.messages import Message
from ledger.campaign.quiet_hours import QuietHours
from ledger.campaign.values import (
    MessageKind,
)
from ledger.phone import international
from projections import (
    message_queries,
)
from services.campaign_moves import MoveOperations
from services.sms_cancel import cancel_by_sms
from services.sms_gateways import Gateway, GatewayUnavailable, Sms


@dataclass(frozen=True)
class MessageView:
    """A message as operators see it (number and text decrypted from the ledger)."""

    message_id: str
    to: str
    kind: str
    text: str
    status: str
    appointment_id: str | None
    attempts: int = 0
    parts: int = 1
    encoding: str = "UCS-2"

    def as_json(self) -> dict[str, Any]:
        """{"message_id", "to", "kind", "text", "status", "appointment_id"}."""
        return {
            "message_id": self.message_id,
            "to": self.to,
            "kind": self.kind,
            "text": self.text,
            "status": self.status,
            "appointment_id": self.appointment_id,
        }


@dataclass
class DeliveryReport:
    """What a sender run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    withdrawn: int = 0  # never sent: their appointment was cancelled first
    batches: int = 0
    errors: list[str] = field(default_factory=list)


class MessageOperations(MoveOperations):
    """Messages, their delivery, and replies."""

    def messages(
        self, *, status: str | None = None, kind: str | None = None, limit: int = 1_000
    ) -> list[MessageView]:
        """Messages with number and text (read from the ledger: personal data is not in the view)."""
        if status is not None and status not in ("pending", "sent", "failed", "withdrawn"):
            raise CampaignInputInvalid(
                f"{status!r} is not a message status: use pending, sent, failed or withdrawn."
            )
        if kind is not None and kind not in {k.value for k in MessageKind}:
            raise CampaignInputInvalid(
                f"{kind!r} is not a message kind: use one of {', '.join(k.value for k in MessageKind)}."
            )
        self.refresh()
        rows = message_queries.messages(self.store, status=status, kind=kind, limit=limit)
        aggregates = self.ledger.many(Message, [UUID(r.message_id) for r in rows])
        phones = self.ledger.recipients([UUID(r.person_id) for r in rows])
        views = []
        for r in rows:
            m = aggregates.get(UUID(r.message_id))
            views.append(
                MessageView(
                    r.message_id,
                    phones.get(UUID(r.person_id)) or "-",
                    r.kind,
                    m.text.text if m else "[erased]",
                    "pending" if r.status == "sending" else r.status,
                    r.appointment_id,
                    r.attempts,
                    r.parts,
                    r.encoding,
                )
            )
        return views

    def send_pending(
        self,
        gateway: Gateway,
        *,
        batch: int = 200,
        backoff: timedelta = timedelta(seconds=30),
        max_batches: int | None = None,
        workers: int = 1,
        on_batch: Callable[[int], None] | None = None,
        jitter: Callable[[], float] | None = None,
        quiet: QuietHours | None = None,
        shard: tuple[int, int] | None = None,
    ) -> DeliveryReport:
        """Deliver every message due now, in batches: attempts recorded, then the gateway called (the
        attempt id as idempotency key, at most `workers` calls at once), then the outcomes recorded in
        one transaction. While one batch is with the gateway the next batch's attempts are recorded
        and the previous batch's outcomes (two batches in flight at most). Stops when nothing is due,
        or when a whole batch failed (the gateway is down: the next run retries after the backoff).
        A failed message waits `backoff` x 2^(attempts-1), spread by `jitter` (see
        Ledger.record_outcomes). In `quiet` hours (Viet Nam's night) only the urgent kinds go out; the
        others wait for the morning. With `shard` (i, n) this sender reads only its part of the outbox:
        n senders (processes) then work on disjoint batches; the claim of each batch in the ledger keeps
        any overlap from sending twice."""
        report = DeliveryReport()
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sms-sender")
        flight: tuple[AttemptBatch, list[Future[DeliveryOutcome]]] | None = None
        started = 0
        stopping = False
        queue: list[UUID] = []
        passed: set[UUID] = set()
        try:
            while True:
                current: tuple[AttemptBatch, list[Future[DeliveryOutcome]]] | None = None
                while not stopping and (max_batches is None or started < max_batches):
                    if not queue:
                        # Read the next few batches' ids at once: the view is caught up less often
                        # (a message handled since is refused by its aggregate, never sent twice).
                        self.refresh()
                        busy = set(flight[0].messages) if flight is not None else set()
                        now = self.ledger.now()
                        due = message_queries.due_message_ids(
                            self.store,
                            now,
                            limit=batch * 5 + len(busy),
                            kinds=quiet.kinds_now(now) if quiet is not None else None,
                            shard=shard,
                        )
                        # An appointment cancelled before its text went out (at night, say): the person
                        # gets the "cancelled" text, never the appointment that no longer exists.
                        stale = set(message_queries.cancelled_appointment_messages(self.store, due))
                        if stale:
                            report.withdrawn += self.ledger.withdraw_messages(
                                sorted(stale), reason="its appointment was cancelled before it was sent"
                            )
                        queue = [i for i in due if i not in busy and i not in passed and i not in stale]
                    ids, queue = queue[:batch], queue[batch:]
                    if not ids:
                        break
                    attempts = self.ledger.start_attempt_batch(ids, quiet=quiet)
                    # Those neither sent nor failed now (held by another sender, or not due after all)
                    # are not read again in this run.
                    passed.update(set(ids) - set(attempts.messages))
                    if attempts.outgoing:
                        started += 1
                        current = (attempts, [pool.submit(_deliver, gateway, o) for o in attempts.outgoing])
                        break
                    # every one of them failed at once (no number): look for more
                if flight is not None:
                    outcomes = [f.result() for f in flight[1]]
                    self.ledger.record_outcomes(
                        outcomes, backoff=backoff, loaded=flight[0].messages, jitter=jitter
                    )
                    report.batches += 1
                    for o in outcomes:
                        if o.gateway_ref is not None:
                            report.sent += 1
                        else:
                            report.retrying += 1
                            report.errors.append(o.error)
                    if on_batch is not None:
                        on_batch(report.sent)
                    if all(o.gateway_ref is None for o in outcomes):
                        stopping = True  # the gateway is down: finish what is in flight, then stop
                if current is None:
                    break
                flight = current
        finally:
            pool.shutdown()
        self.refresh()
        report.failed = self.failed_count()
        return report

    def failed_count(self) -> int:
        """Messages given up on (shown to operators)."""
        return len(message_queries.messages(self.store, status="failed", limit=100_000))

    def reply(
        self, phone: str, text: str, *, message_id: str | None = None, received_at: str | None = None
    ) -> ReplyResult:
        """A reply from a phone (the gateway's inbound call, or `immunize messages reply`). A gateway that
        delivers the same message again (a retry after a timeout) records it once: see `reply_key`."""
        if not isinstance(text, str) or len(text) > 2_000:
            raise CampaignInputInvalid("The reply must be text of at most 2,000 characters.")
        digest = self.ledger.phone_digest(phone)
        key = reply_key(self.ledger, phone, text, message_id=message_id, received_at=received_at)
        cancel = parse_cancel(text)
        if cancel is not None:
            result = cancel_by_sms(self, phone, text, cancel, key)
            self.refresh()
            return result
        self.refresh()
        checkin, person = message_queries.latest_checkin(self.store, digest)
        result = self.ledger.receive_reply(
            phone=phone, text=text, checkin_id=checkin, person_id=person, idempotency_key=key
        )
        self.refresh()
        return result

    def kept_replies(self) -> list[tuple[str, str, str | None, str]]:
        """Replies kept for a human, oldest first."""
        self.refresh()
        return message_queries.kept_replies(self.store)


MAX_GATEWAY_FIELD = 200


def reply_key(
    ledger: Ledger, phone: str, text: str, *, message_id: str | None = None, received_at: str | None = None
) -> str:
    """The idempotency key of an inbound SMS, from what identifies the delivery: the gateway's message id
    when it gives one, else the sender, the text and the gateway's timestamp (the same words from the same
    phone at the same instant are one message). A keyed hash (the master key's): the receipt id sits in
    clear in the log and must not let anyone test guesses of a number or a reply. With neither (the CLI,
    the simulator: each call is one message by construction) every call is a new message.

    Not the check-in the reply answers: that is looked up when the reply arrives and moves on once the
    first delivery answered it, so a retry would not find the same one."""
    for value, what in ((message_id, "message_id"), (received_at, "received_at")):
        if value is not None and (not isinstance(value, str) or len(value) > MAX_GATEWAY_FIELD):
            raise CampaignInputInvalid(f"The gateway's {what} must be text of at most 200 characters.")
    if message_id is not None and message_id.strip():
        request = ["id", message_id.strip()]
    elif received_at is not None and received_at.strip():
        request = ["at", international(phone), text, received_at.strip()]
    else:
        return f"sms-reply-{uuid4()}"
    canonical = json.dumps(request, ensure_ascii=False).encode("utf-8")
    return "sms-reply-" + ledger.keys.master.fingerprint(b"sms-inbound:" + canonical)


def _deliver(gateway: Gateway, o: Outgoing) -> DeliveryOutcome:
    try:
        reference = gateway.send(Sms(o.message_id, o.to, o.text, o.encoding), str(o.attempt_id))
    except GatewayUnavailable as exc:
        return DeliveryOutcome(o.message_id, o.attempt_id, None, str(exc))
    except GatewayError as exc:
        return DeliveryOutcome(o.message_id, o.attempt_id, None, str(exc))
    return DeliveryOutcome(o.message_id, o.attempt_id, reference)
