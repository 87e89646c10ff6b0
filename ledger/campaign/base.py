"""What the campaign use cases share: loading their aggregates, and composing outbox messages.

A message is built in the same attempt as the event that causes it and saved with it, in one
transaction (the outbox pattern with the event store as the outbox).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from ledger.base import LedgerBase
from ledger.campaign.booking_records import BOOKED_SHAPE, QUEUED_SHAPE
from ledger.campaign.errors import RegistrationNotFound
from ledger.campaign.messages import Message
from ledger.campaign.plans import Appointment, DayPlan
from ledger.campaign.registrations import Registration
from ledger.campaign.site_locks import SiteLocks
from ledger.campaign.sites import SiteSchedule
from ledger.campaign.sms import segment
from ledger.campaign.texts import Visit
from ledger.campaign.values import Language, MessageKind, message_id, schedule_id
from ledger.domainmodel import Person
from ledger.errors import PhoneInvalid, SiteNotFound
from ledger.event_encoding import EventShape
from ledger.eventstore import reading
from ledger.phone import international
from ledger.values import Actor, PersonalData

T = TypeVar("T")
_MESSAGE_TOPIC = get_topic(Message)


@dataclass
class _Contact:
    phone: PersonalData | None = None
    guardian_id: UUID | None = None
    erased: bool = False
    name: PersonalData | None = None  # still sealed: opened only for a text that names the person


class CampaignBase(LedgerBase):
    """Loading schedules, plans and registrations; building messages."""

    event_shapes: ClassVar[tuple[EventShape, ...]] = (BOOKED_SHAPE, QUEUED_SHAPE)  # two per appointment

    def maybe(self, kind: type[T], aggregate_id: UUID) -> T | None:
        """The aggregate with that id, or None when there is none (or it is of another type)."""
        try:
            with reading():
                aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, kind) else None

    def many(self, kind: type[T], ids: Sequence[UUID]) -> dict[UUID, T]:
        """Several aggregates of one type in a few queries; missing ids are left out."""
        found: dict[UUID, T] = {}
        unique = list(dict.fromkeys(ids))
        with reading():
            for start in range(0, len(unique), 500):
                for aggregate in self.load_many(unique[start : start + 500]):
                    if isinstance(aggregate, kind):
                        found[aggregate.id] = aggregate
        return found

    def site_province(self, site_id: UUID) -> str:
        """The province of a site (never changes, so read through the site cache)."""
        return self._cached(self._site_cache, site_id, self.get_site).province_code

    @property
    def site_locks(self) -> SiteLocks:
        """The sites' booking locks (ledger.campaign.site_locks), made on first use."""
        locks: SiteLocks | None = getattr(self, "_site_locks", None)
        if locks is None:
            locks = self._site_locks = SiteLocks(self.store)
        return locks

    def actor_ward(self, actor: Actor) -> str | None:
        """The ward of a site-bound actor's site today (a site may move ward; None for other roles)."""
        if not actor.role.is_site_bound or actor.site_id is None:
            return None
        found = self.maybe(SiteSchedule, schedule_id(actor.site_id))
        return found.ward_code if found is not None else None

    def schedule(self, site_id: UUID) -> SiteSchedule:
        """The site's schedule (a site registered before campaign operations has none yet)."""
        found = self.maybe(SiteSchedule, schedule_id(site_id))
        if found is None:
            raise SiteNotFound(
                f"No vaccination site {site_id} with sessions: check the site id, or set its sessions "
                "with `immunize site add`."
            )
        return found

    def plan(self, plan_id: UUID) -> DayPlan:
        """A day plan that must exist."""
        found = self.maybe(DayPlan, plan_id)
        if found is None:
            raise RegistrationNotFound(f"No plan {plan_id}: plan the day first.")
        return found

    def registration(self, registration_id: UUID) -> Registration:
        """A registration that must exist."""
        found = self.maybe(Registration, registration_id)
        if found is None:
            raise RegistrationNotFound(f"No registration {registration_id}: register the person first.")
        return found

    def phone_digest(self, phone: str) -> str:
        """A keyed hash of a Vietnamese mobile number typed in any form (ledger.phone; PhoneInvalid for
        anything else), to match a reply to its sender without decrypting."""
        # +84XXXXXXXXX: the form digests were always taken of, so attempts recorded before still match.
        return self.keys.master.fingerprint(b"phone:" + international(phone).encode("ascii"))

    def message(
        self,
        *,
        person_id: UUID,
        kind: MessageKind,
        text: str,
        language: Language,
        cause: UUID,
        actor: Actor,
        at: datetime,
        appointment_id: UUID | None = None,
        dose_id: UUID | None = None,
        serial: int = 0,
    ) -> Message:
        """A message to a person, queued in the caller's transaction (the number is found when sent)."""
        parts = segment(text)
        return Message(  # type: ignore[call-arg]
            id=message_id(cause, kind.value, serial),
            actor=actor,
            at=at,
            person_id=person_id,
            kind=kind.value,
            text=PersonalData(person_id, "".join(parts.parts)),
            language=language.value,
            encoding=parts.encoding,
            parts=parts.count,
            appointment_id=appointment_id,
            dose_id=dose_id,
        )

    def queued_message(
        self,
        *,
        person_id: UUID,
        kind: MessageKind,
        text: str,
        language: Language,
        cause: UUID,
        actor: Actor,
        at: datetime,
        timestamp: datetime,
        appointment_id: UUID | None = None,
    ) -> Message.Queued:
        """The `Queued` event of the message `message()` would create, built directly (bulk booking: no
        aggregate is needed to save a new message; the store refuses it if that message exists)."""
        parts = segment(text)
        return Message.Queued(  # type: ignore[call-arg]
            originator_id=message_id(cause, kind.value, 0),
            originator_version=1,
            timestamp=timestamp,
            originator_topic=_MESSAGE_TOPIC,
            actor=actor,
            at=at,
            person_id=person_id,
            kind=kind.value,
            text=PersonalData(person_id, "".join(parts.parts)),
            language=language.value,
            encoding=parts.encoding,
            parts=parts.count,
            appointment_id=appointment_id,
            dose_id=None,
        )

    def contact_numbers(self, person_ids: Sequence[UUID]) -> dict[UUID, str | None]:
        """The number each person's messages go to now (theirs, or their guardian's; None when erased
        or none), without rebuilding the people (see `texted_via`)."""
        return {pid: number for pid, (number, _) in self.texted_via(person_ids).items()}

    def texted_via(self, person_ids: Sequence[UUID]) -> dict[UUID, tuple[str | None, UUID | None]]:
        """(number, guardian) for each person: the number their messages go to now (None when erased or
        none), and the guardian's id when that number is the guardian's (a child without a phone).

        The sender needs only the number, so of each person's stream only the events that set it (the
        registration, a corrected number, erasure) are decoded; the number is decrypted once, when
        used, and never kept or logged. Ids that are not people are left out."""
        return {pid: (number, via) for pid, (number, via, _) in self.reach(person_ids).items()}

    def addressees(self, person_ids: Sequence[UUID]) -> dict[UUID, tuple[str | None, str]]:
        """(number, full name) for each person: the number their messages go to now (None when erased
        or none) and the person's own name, which a text about them is headed with (one phone may serve
        a whole family). Read with the number, from the same events; "" when erased."""
        return {pid: (number, name) for pid, (number, _, name) in self.reach(person_ids).items()}

    def reach(self, person_ids: Sequence[UUID]) -> dict[UUID, tuple[str | None, UUID | None, str]]:
        """(number, guardian, full name) for each person: `texted_via` and `addressees` in one read."""
        found = self._contacts(list(person_ids))
        guardians = self._contacts(
            [c.guardian_id for c in found.values() if c.phone is None and c.guardian_id is not None]
        )
        numbers: dict[UUID, tuple[str | None, UUID | None, str]] = {}
        for pid, contact in found.items():
            numbers[pid] = (None, None, "")
            if contact.erased:
                continue
            phone = contact.phone.value if contact.phone is not None else None
            via: UUID | None = None
            if phone is None and contact.guardian_id is not None:
                guardian = guardians.get(contact.guardian_id)
                if guardian is not None and not guardian.erased and guardian.phone is not None:
                    phone, via = guardian.phone.value, contact.guardian_id
            # A number stored before numbers were checked, not a Vietnamese mobile: no SMS.
            name = contact.name.value if contact.name is not None else None
            with contextlib.suppress(PhoneInvalid):
                numbers[pid] = (international(phone), via, name or "") if phone else (None, None, "")
        return numbers

    def _contacts(self, person_ids: list[UUID]) -> dict[UUID, _Contact]:
        ids = list(dict.fromkeys(person_ids))
        found: dict[UUID, _Contact] = {}
        with reading():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = self._select_streams(chunk)
                if rows is None:  # in-memory store: the people themselves
                    for pid, person in self.get_people(chunk).items():
                        found[pid] = _Contact(
                            person.phone, person.guardian_id, person.erased, person.full_name
                        )
                    continue
                for stored in sorted(rows, key=lambda r: r.originator_version):
                    kind = resolve_topic(stored.topic)
                    pid = cast("UUID", stored.originator_id)
                    if isinstance(kind, type) and issubclass(kind, Person.Registered):
                        phone, guardian = self._contact_fields(stored)
                        found[pid] = _Contact(phone, guardian, name=self._sealed_name(stored))
                    elif pid not in found:
                        continue  # not a person (or a stream without its first event)
                    elif isinstance(kind, type) and issubclass(kind, Person.NameCorrected):
                        found[pid].name = self._sealed_name(stored)
                    elif isinstance(kind, type) and issubclass(kind, Person.PhoneCorrected):
                        found[pid].phone = self._contact_fields(stored)[0]
                    elif isinstance(kind, type) and issubclass(kind, Person.Erased):
                        found[pid].erased = True
        self.keys.prefetch(pid for pid, c in found.items() if c.phone is not None and not c.erased)
        return found

    def _contact_fields(self, stored: StoredEvent) -> tuple[PersonalData | None, UUID | None]:
        """`phone` (still sealed) and `guardian_id` of a stored registration or corrected number. Read as
        plain JSON when the state has the current shape (the library's decoder calls back into Python for
        every nested object); anything else (an upcast class version, an older form) is decoded fully."""
        try:
            state = json.loads(stored.state)
        except ValueError:
            state = None
        if isinstance(state, dict) and "class_version" not in state and "phone" in state:
            field, guardian = state.get("phone"), state.get("guardian_id")
            sealed = field.get("_data_") if isinstance(field, dict) else None
            phone_ok = field is None or (
                field.get("_type_") == "personal_data"
                and isinstance(sealed, dict)
                and isinstance(sealed.get("o"), str)
            )
            guardian_ok = guardian is None or (
                isinstance(guardian, dict)
                and guardian.get("_type_") == "uuid_hex"
                and isinstance(guardian.get("_data_"), str)
            )
            if phone_ok and guardian_ok:
                return (
                    self.keys.open(sealed) if isinstance(sealed, dict) else None,
                    UUID(hex=guardian["_data_"]) if isinstance(guardian, dict) else None,
                )
        event = self.mapper.to_domain_event(stored)
        return getattr(event, "phone", None), getattr(event, "guardian_id", None)

    @staticmethod
    def visit(schedule: SiteSchedule, plan: DayPlan, appointment: Appointment) -> Visit:
        """What a message says about an appointment."""
        session = plan.session(appointment.session)
        return Visit(
            plan.day, session.start, session.end, schedule.name, schedule.address, appointment.dose_number
        )
