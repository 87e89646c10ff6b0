"""Cancel an appointment by SMS: a reply "HUY" (any case, with or without diacritics) from the phone of a
person with an upcoming appointment cancels it through the citizen's own use case
(`CampaignService.cancel_appointment`: the place is freed, the registration goes back to the queue
with its original priority, and the "cancelled" text is queued in the same transaction: that text is
the confirmation).

One phone may hold several people (a guardian's number for the children, a family sharing one
phone). Nothing is guessed then: the person gets a numbered list of the appointments (day, time, site:
what the appointment texts said, since texts carry no names) and answers "HUY 2". A number is acted on
only when the latest list sent to that phone is still the list of now (compared text to text), so an
appointment booked or cancelled in between never shifts "2" onto another person; otherwise the list is
sent again. More than five appointments, or two the list cannot tell apart (same day, time and
site), are kept for a human in the replies list, as any text the system cannot act on.

Only people whose current number is that phone are considered (a number corrected since no longer
cancels anything). An unknown phone is logged without the number and writes nothing. The received
text's key (the gateway's message id) is the idempotency key of what it became, so a gateway's retry
gets the first outcome and nothing is cancelled or sent twice.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.campaign.message_commands import CancelWord, ReplyResult
from ledger.campaign.messages import Message
from ledger.campaign.texts import Choice, cancel_choice_text, given_name, nothing_to_cancel_text
from ledger.campaign.values import Language
from ledger.values import Actor, Role
from projections import message_queries, plan_queries, site_queries

if TYPE_CHECKING:
    from services.campaign_moves import MoveOperations

MAX_CHOICES = 5
log = logging.getLogger("immunize.campaign.replies")


@dataclass(frozen=True)
class _Option:
    appointment: plan_queries.AppointmentRow
    choice: Choice
    actor: Actor


def cancel_by_sms(service: MoveOperations, phone: str, text: str, word: CancelWord, key: str) -> ReplyResult:
    """What an "HUY" from `phone` becomes: "cancelled", "asked_which" (a numbered list sent),
    "nothing_to_cancel", "kept" (for a human) or "unknown_phone"."""
    ledger = service.ledger
    done = ledger.reply_receipt(key)
    if done is not None:
        return _recorded(done)
    digest = ledger.phone_digest(phone)
    service.refresh()
    texted = message_queries.people_texted_at(service.store, digest)
    reached = ledger.reach([p for p, _ in texted])
    # Only the people this phone reaches now: a number corrected since cancels nothing.
    people = [
        (p, lang)
        for p, lang in texted
        if (number := reached.get(p, (None, None, ""))[0]) is not None
        and ledger.phone_digest(number) == digest
    ]
    contacts = {p: reached[p][1] for p, _ in people}
    names = {p: given_name(reached[p][2]) for p, _ in people}  # a family's list says whose each one is
    if not people:
        log.warning("SMS cancel from a phone that reaches nobody now (number not logged); ignored")
        return ReplyResult("unknown_phone")
    language = Language.EN if all(lang == "en" for _, lang in people) else Language.VI
    first = people[0][0]
    options = _options(service, [p for p, _ in people], contacts, names, ledger.today())
    if not options:
        ledger.answer_sms(
            person_id=first,
            text=nothing_to_cancel_text(language),
            language=language,
            outcome="nothing_to_cancel",
            idempotency_key=key,
        )
        return ReplyResult("nothing_to_cancel", first)
    descriptors = [(o.choice.name, o.choice.day, o.choice.start, o.choice.site_name) for o in options]
    if len(options) > MAX_CHOICES or len(set(descriptors)) < len(descriptors):
        return ledger.receive_reply(
            phone=phone, text=text, checkin_id=None, person_id=first, idempotency_key=key
        )
    listing = cancel_choice_text([o.choice for o in options], language)
    chosen: _Option | None = None
    if len(options) == 1 and word.choice in (None, 1):
        chosen = options[0]
    elif word.choice is not None and 1 <= word.choice <= len(options) and _listed(service, people, listing):
        chosen = options[word.choice - 1]
    if chosen is None:
        ledger.answer_sms(
            person_id=chosen_person(options),
            text=listing,
            language=language,
            outcome="asked_which",
            idempotency_key=key,
        )
        return ReplyResult("asked_which", chosen_person(options))
    a = chosen.appointment
    service.cancel_appointment(a.appointment_id, actor=chosen.actor, reason="HUY (SMS)", idempotency_key=key)
    return ReplyResult("cancelled", UUID(a.person_id))


def chosen_person(options: list[_Option]) -> UUID:
    """The person a list is sealed for (the first listed: the phone's own reader)."""
    return UUID(options[0].appointment.person_id)


def _options(
    service: MoveOperations,
    people: list[UUID],
    contacts: dict[UUID, UUID | None],
    names: dict[UUID, str],
    today: date,
) -> list[_Option]:
    sites: dict[str, site_queries.SiteRow | None] = {}
    found = []
    for a in plan_queries.upcoming_appointments(service.store, people, today):
        if a.site_id not in sites:
            sites[a.site_id] = site_queries.site(service.store, a.site_id)
        site = sites[a.site_id]
        start = next((str(s["start"]) for s in (site.sessions if site else []) if s["name"] == a.session), "")
        guardian = contacts.get(UUID(a.person_id))
        # The phone's owner acts: the person, or the guardian whose number a child's texts go to.
        actor = Actor(str(guardian), Role.GUARDIAN) if guardian else Actor(a.person_id, Role.CITIZEN)
        choice = Choice(
            date.fromisoformat(a.day), start, site.name if site else "", names.get(UUID(a.person_id), "")
        )
        found.append(_Option(a, choice, actor))
    return sorted(
        found, key=lambda o: (o.choice.day, o.choice.start, o.choice.site_name, o.appointment.appointment_id)
    )


def _listed(service: MoveOperations, people: list[tuple[UUID, str]], listing: str) -> bool:
    """True when the latest list sent to these people is the list of now (so "HUY 2" means what it
    meant when the person read it)."""
    latest = message_queries.latest_answer(service.store, [p for p, _ in people])
    if latest is None:
        return False
    message = service.ledger.maybe(Message, latest)
    return message is not None and message.text.value == unicodedata.normalize("NFC", listing)


def _recorded(done: dict[str, object]) -> ReplyResult:
    """A retried text: what it became the first time."""
    person = done.get("p")
    person_id = UUID(hex=str(person)) if isinstance(person, str) and person else None
    if done.get("command") == "cancel_appointment":
        return ReplyResult("cancelled", person_id)
    outcome = str(done.get("o") or "kept")
    reaction = done.get("r")
    return ReplyResult(outcome, person_id, UUID(hex=str(reaction)) if reaction else None)
