"""Use cases: delivery bookkeeping of the outbox, day-based messages, and replies to check-ins.

Delivery is recorded in batches (one transaction per batch of attempts, one per batch of outcomes):
the attempt ids are stored before the gateway is called. Reminders and check-ins have ids derived
from what caused them, so running the day's job twice queues each message once.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from ledger import checks
from ledger.campaign.base import CampaignBase
from ledger.campaign.errors import MessageNotFound
from ledger.campaign.messages import InboundReply, Message, MessageStatus
from ledger.campaign.plans import DayPlan
from ledger.campaign.quiet_hours import QuietHours
from ledger.campaign.registrations import Registration
from ledger.campaign.sms import segment
from ledger.campaign.texts import addressed, appointment_text, checkin_text
from ledger.campaign.values import (
    AppointmentStatus,
    Language,
    MessageKind,
    message_id,
    registration_id,
)
from ledger.commands import RECEIPT_NAMESPACE, Outcome, check_key
from ledger.errors import NotPermitted
from ledger.values import Actor, PersonalData, Role, Severity

SENDER = Actor("sms-sender", Role.SYSTEM)
GATEWAY = Actor("sms-gateway", Role.SYSTEM)
SCHEDULER = Actor("campaign-scheduler", Role.SYSTEM)
MAX_BACKOFF = timedelta(hours=6)  # a retry is never put off longer than this
MAX_REPLY = 480  # three SMS parts: longer replies are cut, not refused
ANSWER_NS = UUID("3c1f6f0e-6a43-4d6e-9a53-5b0f2f7b9d21")  # answers to texts: from the received text's key
log = logging.getLogger("immunize.campaign.replies")


@dataclass(frozen=True)
class Outgoing:
    """One message handed to a sender: the attempt id is the gateway's idempotency key."""

    message_id: UUID
    attempt_id: UUID
    to: str
    text: str
    encoding: str


@dataclass(frozen=True)
class AttemptBatch:
    """What `start_attempt_batch` gives: what to send, and the messages as saved."""

    outgoing: list[Outgoing]
    messages: dict[UUID, Message]


@dataclass(frozen=True)
class DeliveryOutcome:
    """What the gateway said about one attempt: a reference when accepted, else an error."""

    message_id: UUID
    attempt_id: UUID
    gateway_ref: str | None
    error: str = ""


@dataclass(frozen=True)
class ReplyResult:
    """What a reply became: "no_reaction", "mild", "serious", "kept" (for a human), "unknown_phone", or
    for an "HUY" (services.sms_cancel): "cancelled", "asked_which", "nothing_to_cancel"."""

    outcome: str
    person_id: UUID | None = None
    reaction_id: UUID | None = None


@dataclass(frozen=True)
class CancelWord:
    """A text asking to cancel an appointment: "HUY", or "HUY 2" (the second of a numbered list)."""

    choice: int | None


_CANCEL = re.compile(r"HUY(?:\s+LICH(?:\s+TIEM)?)?\s*(\d{1,2})?")


def parse_cancel(text: str) -> CancelWord | None:
    """ "HUY", "huy", "Huỷ", "HỦY", "hủy lịch", "HUY 2", "huy2": people type with or without diacritics
    and in any case, so the marks are dropped (NFD, then the combining marks, đ as d) before matching;
    a full stop or exclamation mark at the end is ignored. None for anything else (kept for a human)."""
    decomposed = unicodedata.normalize("NFD", str(text)[:MAX_REPLY])
    plain = (
        "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("đ", "d").replace("Đ", "D")
    )
    words = " ".join(plain.upper().split()).rstrip(".! ")
    found = _CANCEL.fullmatch(words)
    if found is None:
        return None
    return CancelWord(int(found.group(1)) if found.group(1) else None)


def parse_reply(text: str) -> tuple[str, str] | None:
    """A check-in reply: "1" (no reaction), "2" (mild), "3 <text>" (serious); None for anything else."""
    words = " ".join(str(text).split())
    if words == "1":
        return "no_reaction", ""
    if words == "2":
        return "mild", ""
    if words.startswith("3") and (len(words) == 1 or words[1] == " "):
        return "serious", words[2:].strip()
    return None


class MessageCommands(CampaignBase):
    """Attempts and outcomes of delivery; reminders and check-ins; replies."""

    def start_attempts(self, message_ids: Sequence[UUID]) -> list[Outgoing]:
        """Record an attempt for each message due for one, with the digest of the number it goes to
        (open attempts are resumed with their own id, so the gateway sees the same key); returns what
        to send. Messages already sent or failed, or not yet due for a retry, are left out; a message
        to someone with no number (or erased) fails at once."""
        return self.start_attempt_batch(message_ids).outgoing

    def start_attempt_batch(
        self, message_ids: Sequence[UUID], *, quiet: QuietHours | None = None
    ) -> AttemptBatch:
        """`start_attempts`, also keeping the messages as saved, so that recording the outcomes does
        not load them again. In `quiet` hours only the urgent kinds are claimed; the others wait.

        Recording the attempts is the sender's claim on the batch: if another sender recorded an
        attempt on one of these messages in the meantime, the store refuses the whole transaction; the
        messages are then read again and the batch is claimed without the ones now held by the other
        sender (two senders never both win a message, so several can share one outbox)."""
        ids = list(message_ids)
        for tries in range(5):
            try:
                return self._claim(ids, quiet)
            except IntegrityError:
                if tries == 4:
                    raise
        raise AssertionError("unreachable")

    def _claim(self, message_ids: list[UUID], quiet: QuietHours | None) -> AttemptBatch:
        at = self.now()
        messages = [
            m
            for m in self.many(Message, message_ids).values()
            if m.status not in (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.WITHDRAWN)
            and (quiet is None or quiet.may_send(m.kind.value, at))
            and not m.held_by_another(at)
            and (m.open_attempt is not None or m.next_try_at is None or m.next_try_at <= at)
        ]
        # Only the numbers and names are needed: read without rebuilding the people (sealed, decrypted
        # here). The name heads the text (one phone may serve a family); it is never logged.
        reach = self.addressees([m.person_id for m in messages])
        outgoing: list[Outgoing] = []
        changed: list[Aggregate] = []
        for m in messages:
            phone, name = reach.get(m.person_id, (None, ""))
            text = m.text.value
            if phone is None or text is None:
                attempt = m.start_attempt(attempt_id=uuid4(), phone_digest="", actor=SENDER, at=at)
                m.failed(
                    attempt_id=attempt,
                    error="no phone number (or erased)",
                    next_try_at=None,
                    actor=SENDER,
                    at=at,
                )
                changed.append(m)
                continue
            attempt = m.start_attempt(
                attempt_id=uuid4(), phone_digest=self.phone_digest(phone), actor=SENDER, at=at
            )
            changed.append(m)
            if m.kind is not MessageKind.SMS_ANSWER:  # an answer is about the phone's own text
                text = addressed(text, name, Language.EN if m.language == "en" else Language.VI)
            sent = segment(text)  # the heading may change the encoding (a name with diacritics)
            outgoing.append(Outgoing(m.id, attempt, phone, "".join(sent.parts), sent.encoding))
        if changed:
            self.save(*changed)  # before any gateway call: a crash after this resends under the same key
        return AttemptBatch(outgoing, {m.id: m for m in messages})

    def withdraw_messages(self, message_ids: Sequence[UUID], *, reason: str) -> int:
        """Withdraw the messages not yet tried among these (their appointment was cancelled before the
        text went out: the person gets the "cancelled" text, not an appointment that no longer exists);
        returns how many. One transaction; read again if a sender claimed one meanwhile."""
        for tries in range(5):
            at = self.now()
            changed: list[Aggregate] = []
            for m in self.many(Message, list(message_ids)).values():
                if m.status is MessageStatus.PENDING and m.open_attempt is None and not m.attempts:
                    m.withdraw(reason=reason, actor=SENDER, at=at)
                    changed.append(m)
            try:
                if changed:
                    self.save(*changed)
                return len(changed)
            except IntegrityError:
                if tries == 4:
                    raise
        raise AssertionError("unreachable")

    def recipients(self, person_ids: Sequence[UUID]) -> dict[UUID, str | None]:
        """The number each person's messages go to now (theirs, or their guardian's), None if none."""
        return self.contact_numbers(list(person_ids))

    def record_outcomes(
        self,
        outcomes: Sequence[DeliveryOutcome],
        *,
        backoff: timedelta,
        loaded: dict[UUID, Message] | None = None,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        """Record delivered or failed attempts in one transaction; a failure is retried after
        `backoff` × 2^(attempts-1), capped at MAX_BACKOFF; with `jitter` (a number in [0, 1) each
        call: the randomness, a parameter) the wait is drawn between half of that and all of it, so
        messages that failed together do not all come back at the same moment ("equal jitter").
        `loaded` are the messages as `start_attempt_batch` saved them: used as they are, and read
        again only if someone changed one of them in the meantime."""
        at = self.now()
        for fresh in (False, True):
            if fresh or loaded is None:
                messages = self.many(Message, [o.message_id for o in outcomes])
            else:
                messages = {o.message_id: loaded[o.message_id] for o in outcomes if o.message_id in loaded}
            changed: list[Aggregate] = []
            for o in outcomes:
                m = messages.get(o.message_id)
                if m is None or m.open_attempt != o.attempt_id:
                    continue
                if o.gateway_ref is not None:
                    m.delivered(attempt_id=o.attempt_id, gateway_ref=o.gateway_ref, actor=SENDER, at=at)
                else:
                    wait = min(backoff * (2 ** max(0, m.attempts - 1)), MAX_BACKOFF)
                    if jitter is not None:
                        wait = wait / 2 + wait / 2 * min(max(jitter(), 0.0), 1.0)
                    m.failed(
                        attempt_id=o.attempt_id,
                        error=o.error or "refused",
                        next_try_at=at + wait,
                        actor=SENDER,
                        at=at,
                    )
                changed.append(m)
            if not changed:
                return
            try:
                self.save(*changed)
                return
            except IntegrityError:
                if fresh or loaded is None:
                    raise
                continue  # another sender moved one of them: read them again and record what still applies

    def queue_reminders(self, plans: Sequence[UUID], *, idempotency_key: str) -> int:
        """The reminder the day before, for every booked appointment of these plans; returns how many."""
        args = {"plans": "".join(p.hex for p in plans)}

        def attempt(at: datetime) -> Outcome:
            saved: list[Aggregate] = []
            for plan in self.many(DayPlan, list(plans)).values():
                schedule = self.schedule(plan.site_id)
                booked = [a for a in plan.appointments.values() if a.status is AppointmentStatus.BOOKED]
                ids = [message_id(a.appointment_id, MessageKind.REMINDER.value) for a in booked]
                already = self.many(Message, ids)
                regs = self.many(Registration, [a.registration_id for a in booked])
                for a, mid in zip(booked, ids, strict=True):
                    if mid in already:
                        continue
                    reg = regs.get(a.registration_id)
                    language = reg.language if reg else Language.VI
                    message = self.message(
                        person_id=a.person_id,
                        kind=MessageKind.REMINDER,
                        text=appointment_text(MessageKind.REMINDER, self.visit(schedule, plan, a), language),
                        language=language,
                        cause=a.appointment_id,
                        actor=SCHEDULER,
                        at=at,
                        appointment_id=a.appointment_id,
                    )
                    saved.append(message)
            return Outcome(saved, {"n": len(saved)})

        return int(self.run_command("queue_reminders", idempotency_key, args, attempt)["n"])

    def queue_checkins(
        self, doses: Sequence[tuple[UUID, UUID, int]], *, days_after: int, idempotency_key: str
    ) -> int:
        """Check-ins `days_after` (1 or 7) a dose, for (person, dose id, dose number) triples; returns how many."""
        if days_after not in (1, 7):
            raise ValueError("check-ins are on day 1 and day 7")
        kind = MessageKind.CHECKIN_DAY1 if days_after == 1 else MessageKind.CHECKIN_DAY7
        args = {"d": "".join(d.hex for _, d, _ in doses), "k": kind.value}

        def attempt(at: datetime) -> Outcome:
            ids = [message_id(dose, kind.value) for _, dose, _ in doses]
            already = self.many(Message, ids)
            regs = self.many(Registration, [registration_id(p, n) for p, _, n in doses])
            saved: list[Aggregate] = []
            for (person_id, dose_id, number), mid in zip(doses, ids, strict=True):
                if mid in already:
                    continue
                reg = regs.get(registration_id(person_id, number))
                language = reg.language if reg else Language.VI
                message = self.message(
                    person_id=person_id,
                    kind=kind,
                    text=checkin_text(days_after, language),
                    language=language,
                    cause=dose_id,
                    actor=SCHEDULER,
                    at=at,
                    dose_id=dose_id,
                )
                saved.append(message)
            return Outcome(saved, {"n": len(saved)})

        return int(self.run_command("queue_checkins", idempotency_key, args, attempt)["n"])

    def receive_reply(
        self, *, phone: str, text: str, checkin_id: UUID | None, person_id: UUID | None, idempotency_key: str
    ) -> ReplyResult:
        """A reply from a phone. The caller found (from the messages view) the latest check-in sent to
        that phone and its person; None means the phone is unknown: logged without the number, no event.
        "1"/"2"/"3 <text>" answer the check-in ("2" and "3" become reaction reports, "3" serious and so
        flagged for follow-up); any other text is kept for a human, never guessed."""
        text = str(text)[:MAX_REPLY]
        if person_id is None:
            log.warning("SMS reply from a phone that is not in the outbox (number not logged); ignored")
            return ReplyResult("unknown_phone")
        parsed = parse_reply(text)
        # Not the check-in: a gateway's retry finds another one once the first delivery answered it.
        args = {"p": person_id, "t": text}

        def attempt(at: datetime) -> Outcome:
            person = self.get_person(person_id)
            checkin = self.maybe(Message, checkin_id) if checkin_id is not None else None
            usable = checkin is not None and checkin.kind.is_checkin and checkin.answer is None
            if parsed is None or not usable or checkin is None:
                kept = InboundReply(  # type: ignore[call-arg]
                    id=self.new_id(),
                    actor=GATEWAY,
                    at=at,
                    person_id=person.id,
                    message_id=checkin_id,
                    text=PersonalData(person.id, text),
                )
                return Outcome([kept], {"o": "kept", "r": None})
            answer, words = parsed
            reaction_id: UUID | None = None
            saved: list[Aggregate] = [checkin]
            if answer != "no_reaction":
                reaction_id = self.new_id()
                dose = checkin.dose_id
                given = next((d for d in person.active_doses if d.dose_id == dose), None)
                severity = Severity.SERIOUS if answer == "serious" else Severity.MILD
                symptoms = words or (
                    "mild reaction (SMS reply 2)" if answer == "mild" else "serious (SMS reply 3)"
                )
                person.report_reaction(
                    reaction_id=reaction_id,
                    dose_id=given.dose_id if given else None,
                    onset=self.today(),  # the day it was reported: the reply does not say when it began
                    symptoms=PersonalData(person.id, f"[SMS {checkin.kind.value}] {symptoms}"),
                    severity=severity,
                    actor=GATEWAY,
                    at=at,
                )
                saved.append(person)
            checkin.answer_checkin(answer=answer, reaction_id=reaction_id, actor=GATEWAY, at=at)
            return Outcome(saved, {"o": answer, "r": reaction_id.hex if reaction_id else None})

        result = self.run_command("receive_reply", idempotency_key, args, attempt)
        reaction = result.get("r")
        return ReplyResult(str(result["o"]), person_id, UUID(hex=str(reaction)) if reaction else None)

    def reply_receipt(self, idempotency_key: str) -> dict[str, object] | None:
        """What an inbound text with this key already became ({"command", ...its result}), or None when
        it was never handled: a gateway's retry is answered from this, never decided again."""
        receipt = self.receipt(uuid5(RECEIPT_NAMESPACE, check_key(idempotency_key)))
        return None if receipt is None else {"command": receipt.command, **receipt.result}

    def answer_sms(
        self, *, person_id: UUID, text: str, language: Language, outcome: str, idempotency_key: str
    ) -> None:
        """Queue the answer to a text a person sent (at most one per received text: its key), sealed with
        the person's key; `outcome` is what the text became, kept in the receipt for a retry."""

        def attempt(at: datetime) -> Outcome:
            message = self.message(
                person_id=person_id,
                kind=MessageKind.SMS_ANSWER,
                text=text,
                language=language,
                cause=uuid5(ANSWER_NS, idempotency_key),
                actor=GATEWAY,
                at=at,
            )
            return Outcome([message], {"o": outcome, "p": person_id.hex})

        self.run_command("answer_sms", idempotency_key, {"p": person_id, "t": text, "o": outcome}, attempt)

    def handle_reply(self, *, reply_id: UUID, note: str, actor: Actor, idempotency_key: str) -> None:
        """Staff dealt with a kept reply."""
        rid = checks.as_uuid(reply_id, "reply")
        note = checks.text(note, "note", 500, required=False)
        if not actor.role.is_staff:
            raise NotPermitted("Only staff deal with SMS replies.")

        def attempt(at: datetime) -> Outcome:
            reply = self.maybe(InboundReply, rid)
            if reply is None:
                raise MessageNotFound(f"No kept reply {rid}: check the id.")
            reply.handle(note=note, actor=actor, at=at)
            return Outcome([reply], {})

        self.run_command("handle_reply", idempotency_key, {"r": rid, "n": note, "actor": actor}, attempt)
