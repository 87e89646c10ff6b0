"""The outbox: each message is an aggregate queued in the same save as the event that caused it.

Delivery is recorded as events too. A sender records `AttemptStarted` (with a fresh attempt id)
before it calls the gateway and passes that id as the gateway's idempotency key; `Delivered` or
`AttemptFailed` follows. Recording the attempt is also the sender's claim on the message: two senders
writing the same message's next event cannot both succeed (the store refuses the second), so several
senders can work on one outbox. A sender killed between the call and the record leaves an open
attempt: once its lease (ATTEMPT_LEASE) has run out, the next sender resends with the same attempt id,
so the gateway recognises the retry and nothing goes out twice; nothing is lost because the message
stays pending until `Delivered`. Within the lease the attempt is left to the sender that holds it.

The text is personal data (sealed with the person's key). The phone number is looked up when the
message is sent (the person's current number, or their guardian's), so planning never decrypts a
number and a corrected number is used; each attempt records `phone_digest`, a keyed hash of the
number, so a reply can be matched to its person without decrypting anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ledger.campaign.values import MessageKind
from ledger.errors import RuleViolation
from ledger.values import Actor, PersonalData

MAX_ATTEMPTS = 6  # then the message is failed and shown to an operator
# How long an open attempt belongs to the sender that started it. Past it, the sender is taken to have
# died and another resumes the attempt under the same key: at worst the gateway sees the key twice and
# answers the first reference, so this trades a repeated call against how soon a crash is recovered.
ATTEMPT_LEASE = timedelta(minutes=5)


class MessageStatus(StrEnum):
    """Where a message is in delivery."""

    PENDING = "pending"  # waiting for (another) attempt
    SENDING = "sending"  # an attempt started and has no outcome yet
    SENT = "sent"
    FAILED = "failed"  # gave up after MAX_ATTEMPTS
    WITHDRAWN = "withdrawn"  # never sent: what it said no longer holds (its appointment was cancelled)


class Message(Aggregate):
    """One SMS to one person (several parts if long)."""

    id: UUID  # message_id(cause, kind)

    class Queued(Aggregate.Created):
        """A message was put in the outbox."""

        actor: Actor
        at: datetime
        person_id: UUID
        kind: str
        text: PersonalData
        language: str
        encoding: str
        parts: int
        appointment_id: UUID | None
        dose_id: UUID | None

    @event(Queued)
    def __init__(
        self,
        actor: Actor,
        at: datetime,
        person_id: UUID,
        kind: str,
        text: PersonalData,
        language: str,
        encoding: str,
        parts: int,
        appointment_id: UUID | None,
        dose_id: UUID | None,
    ) -> None:
        self.person_id = person_id
        self.kind = MessageKind(kind)
        self.text = text
        self.phone_digest: str | None = None
        self.language = language
        self.encoding = encoding
        self.parts = parts
        self.appointment_id = appointment_id
        self.dose_id = dose_id
        self.queued_at = at
        self.status = MessageStatus.PENDING
        self.attempts = 0
        self.open_attempt: UUID | None = None
        self.attempt_started_at: datetime | None = None
        self.next_try_at: datetime | None = at
        self.last_error = ""
        self.answer: str | None = None

    class AttemptStarted(Aggregate.Event):
        """A sender is about to call the gateway with this attempt id as idempotency key."""

        actor: Actor
        at: datetime
        attempt_id: UUID
        phone_digest: str

    def held_by_another(self, at: datetime) -> bool:
        """True while an open attempt is within its lease (its sender may still be calling the gateway)."""
        return (
            self.open_attempt is not None
            and self.attempt_started_at is not None
            and at < self.attempt_started_at + ATTEMPT_LEASE
        )

    def start_attempt(self, *, attempt_id: UUID, phone_digest: str, actor: Actor, at: datetime) -> UUID:
        """Record an attempt before the gateway call; an open attempt whose lease ran out is resumed
        with its own id (`held_by_another` says whether it may be)."""
        if self.status in (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.WITHDRAWN):
            raise RuleViolation(f"This message is already {self.status.value}.")
        if self.held_by_another(at):
            raise RuleViolation("Another sender is delivering this message.")
        if self.open_attempt is not None:
            # Its sender died mid-call: resend with the same key, recorded again (a claim, and a new lease).
            attempt_id = self.open_attempt
        self._attempt_started(actor=actor, at=at, attempt_id=attempt_id, phone_digest=phone_digest)
        return attempt_id

    @event(AttemptStarted)
    def _attempt_started(self, actor: Actor, at: datetime, attempt_id: UUID, phone_digest: str) -> None:
        self.open_attempt = attempt_id
        self.attempt_started_at = at
        self.phone_digest = phone_digest
        self.attempts += 1
        self.status = MessageStatus.SENDING

    class Delivered(Aggregate.Event):
        """The gateway accepted the message."""

        actor: Actor
        at: datetime
        attempt_id: UUID
        gateway_ref: str

    def delivered(self, *, attempt_id: UUID, gateway_ref: str, actor: Actor, at: datetime) -> None:
        """Record the gateway's acceptance of the open attempt."""
        if self.open_attempt != attempt_id:
            raise RuleViolation("That attempt is not this message's open attempt.")
        self._delivered(actor=actor, at=at, attempt_id=attempt_id, gateway_ref=gateway_ref[:200])

    @event(Delivered)
    def _delivered(self, actor: Actor, at: datetime, attempt_id: UUID, gateway_ref: str) -> None:
        self.open_attempt = None
        self.status = MessageStatus.SENT
        self.sent_at = at
        self.gateway_ref = gateway_ref

    class AttemptFailed(Aggregate.Event):
        """The gateway refused or could not be reached; `next_try_at` None means given up."""

        actor: Actor
        at: datetime
        attempt_id: UUID
        error: str
        next_try_at: datetime | None

    def failed(
        self, *, attempt_id: UUID, error: str, next_try_at: datetime | None, actor: Actor, at: datetime
    ) -> None:
        """Record a failed attempt: retry later, or give up after MAX_ATTEMPTS."""
        if self.open_attempt != attempt_id:
            raise RuleViolation("That attempt is not this message's open attempt.")
        if self.attempts >= MAX_ATTEMPTS:
            next_try_at = None
        self._failed(actor=actor, at=at, attempt_id=attempt_id, error=error[:300], next_try_at=next_try_at)

    @event(AttemptFailed)
    def _failed(
        self, actor: Actor, at: datetime, attempt_id: UUID, error: str, next_try_at: datetime | None
    ) -> None:
        self.open_attempt = None
        self.last_error = error
        self.next_try_at = next_try_at
        self.status = MessageStatus.PENDING if next_try_at is not None else MessageStatus.FAILED

    class Withdrawn(Aggregate.Event):
        """The message will not be sent: what it says no longer holds (e.g. its appointment was
        cancelled before the text went out, at night or while the gateway was down)."""

        actor: Actor
        at: datetime
        reason: str

    def withdraw(self, *, reason: str, actor: Actor, at: datetime) -> None:
        """Withdraw a message nobody has tried to send yet (an open attempt may have reached the phone)."""
        if self.status is not MessageStatus.PENDING or self.open_attempt is not None or self.attempts:
            raise RuleViolation("Only a message not yet tried can be withdrawn.")
        self._withdrawn(actor=actor, at=at, reason=reason[:300])

    @event(Withdrawn)
    def _withdrawn(self, actor: Actor, at: datetime, reason: str) -> None:
        self.status = MessageStatus.WITHDRAWN
        self.next_try_at = None
        self.last_error = reason

    class Answered(Aggregate.Event):
        """The person replied to this check-in: "no_reaction", "mild" or "serious"."""

        actor: Actor
        at: datetime
        answer: str
        reaction_id: UUID | None

    def answer_checkin(self, *, answer: str, reaction_id: UUID | None, actor: Actor, at: datetime) -> None:
        """Record the reply to a check-in (the first answer counts; later ones are kept as replies)."""
        if not self.kind.is_checkin:
            raise RuleViolation("Only check-in messages take an answer.")
        if self.answer is not None:
            raise RuleViolation("This check-in was already answered.")
        self._answered(actor=actor, at=at, answer=answer, reaction_id=reaction_id)

    @event(Answered)
    def _answered(self, actor: Actor, at: datetime, answer: str, reaction_id: UUID | None) -> None:
        self.answer = answer


class InboundReply(Aggregate):
    """A reply that could not be understood: kept, sealed, for a person to read and act on."""

    id: UUID

    class Kept(Aggregate.Created):
        """An unexpected reply from a known phone."""

        actor: Actor
        at: datetime
        person_id: UUID
        message_id: UUID | None
        text: PersonalData

    @event(Kept)
    def __init__(
        self, actor: Actor, at: datetime, person_id: UUID, message_id: UUID | None, text: PersonalData
    ) -> None:
        self.person_id = person_id
        self.message_id = message_id
        self.text = text
        self.handled = False
        self.note: PersonalData | None = None

    class Handled(Aggregate.Event):
        """Staff read the reply and dealt with it.

        `note` is staff's words about a person's reply ("said she has a fever, called her back"): sealed
        with the person's key like the reply itself, so an erasure makes it unreadable too. Events
        stored before session 6 hold it as plain text (a `str`); they load as they are (the aggregate
        reads either), and being in clear, no erasure reaches them."""

        actor: Actor
        at: datetime
        note: PersonalData | str

    def handle(self, *, note: str, actor: Actor, at: datetime) -> None:
        """Mark the reply dealt with."""
        if self.handled:
            raise RuleViolation("This reply was already dealt with.")
        self._handled(actor=actor, at=at, note=PersonalData(self.person_id, note))

    @event(Handled)
    def _handled(self, actor: Actor, at: datetime, note: PersonalData | str) -> None:
        self.handled = True
        self.note = note if isinstance(note, PersonalData) else PersonalData(self.person_id, note)
