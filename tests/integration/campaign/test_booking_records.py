"""Bulk booking without loading aggregates records exactly what the aggregates would, and the fast
JSON encoder writes the library's bytes.

- `ledger.campaign.booking_records` reads a registration's facts from its stored events: the same
  facts as the aggregate, for every state a registration can be in;
- the Booked and appointment Queued events it builds equal those `Registration.book` and `message()`
  make (but for the moment they were made);
- a registration changed after it was read is never booked: the store refuses the stale version
  and the command reads again;
- `ledger.event_encoding` writes those two events to the same bytes as the library.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    Transcoding,
    UUIDAsHex,
)

from ledger.campaign.booking_commands import BookingCommands
from ledger.campaign.booking_records import (
    BOOKED_SHAPE,
    QUEUED_SHAPE,
    RegistrationFacts,
    booked_event,
    facts_from_stream,
)
from ledger.campaign.messages import Message
from ledger.campaign.planning import Booking
from ledger.campaign.registrations import Registration
from ledger.campaign.values import Language, MessageKind, RegistrationStatus, registration_id
from ledger.event_encoding import FastMapper
from ledger.transcodings import ActorAsList, DateAsISO
from ledger.values import Actor, PersonalData, Role
from tests.integration.campaign.conftest import ADMIN, ASTRAZENECA, MONDAY, OFFICER, Story


def _registrations_in_every_state(s: Story) -> dict[str, UUID]:
    """Five people through planning (2 + 1 places), a cancellation, a withdrawal and a renewal."""
    people = [s.person() for _ in range(5)]
    for p in people:
        s.service.register(person=p, group="HEALTH_WORKER", actor=ADMIN)
        s.clock.now += timedelta(minutes=1)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    monday = s.service.day(s.site_id, MONDAY)
    assert monday is not None
    booked = [a for session in monday.sessions for a in session.appointments]
    assert len(booked) == 3
    s.service.cancel_appointment(booked[2].appointment_id, actor=ADMIN)  # released: waiting, booked once
    withdrawn, renewed = registration_id(people[3], 1), registration_id(people[4], 1)
    for rid in (withdrawn, renewed):
        s.ledger.withdraw_registration(
            registration_id=rid, reason="", actor=ADMIN, idempotency_key=f"w-{rid}"
        )
    s.service.register(person=people[4], group="CHRONIC_DISEASE_OR_OVER_65", actor=ADMIN, language="en")
    return {
        "booked": UUID(booked[0].registration_id),
        "released": UUID(booked[2].registration_id),
        "withdrawn": withdrawn,
        "renewed": renewed,
    }


def test_facts_read_from_the_stored_events_are_the_aggregates(story: Story) -> None:
    s = story
    ids = _registrations_in_every_state(s)
    streams = s.ledger.streams(list(ids.values()))
    for name, rid in ids.items():
        aggregate = s.ledger.registration(rid)
        facts = facts_from_stream(streams[rid])
        assert facts == RegistrationFacts.of(aggregate), name
    assert facts_from_stream(streams[ids["booked"]]).status is RegistrationStatus.BOOKED  # type: ignore[union-attr]
    released = facts_from_stream(streams[ids["released"]])
    assert released is not None
    assert released.status is RegistrationStatus.WAITING
    assert released.bookings == 1
    assert facts_from_stream(streams[ids["withdrawn"]]).status is RegistrationStatus.WITHDRAWN  # type: ignore[union-attr]
    renewed = facts_from_stream(streams[ids["renewed"]])
    assert renewed is not None
    assert renewed.language is Language.EN
    assert renewed.version == 3


def test_a_stream_with_an_unknown_event_is_left_to_the_aggregate(story: Story) -> None:
    s = story
    rid = _registrations_in_every_state(s)["booked"]
    stream = s.ledger.streams([rid])[rid]
    assert facts_from_stream(stream) is not None
    odd = type(stream[-1])(stream[-1].originator_id, stream[-1].originator_version, "ledger.x:Y", b"{}")
    assert facts_from_stream([*stream[:-1], odd]) is None
    newer = type(stream[0])(stream[0].originator_id, 1, stream[0].topic, b'{"class_version":2}')
    assert facts_from_stream([newer]) is None


def test_the_built_events_are_those_the_aggregates_record(story: Story) -> None:
    s = story
    p = s.person()
    s.service.register(person=p, group="HEALTH_WORKER", actor=ADMIN)
    rid = registration_id(p, 1)
    reg = s.ledger.registration(rid)
    facts = RegistrationFacts.of(reg)
    at = datetime(2021, 8, 1, 3, 0, tzinfo=UTC)
    args: dict[str, Any] = {
        "appointment_id": UUID(int=7),
        "plan_id": UUID(int=8),
        "site_id": s.site_id,
        "day": MONDAY,
        "session": "morning",
        "actor": OFFICER,
        "at": at,
    }
    built = booked_event(facts, timestamp=at, **args)
    reg.book(**args)
    (recorded,) = reg.collect_events()
    assert type(built) is type(recorded)
    assert {**vars(built), "timestamp": None} == {**vars(recorded), "timestamp": None}

    message_args: dict[str, Any] = {
        "person_id": p,
        "kind": MessageKind.APPOINTMENT,
        "text": "Lịch tiêm: 02/08/2021 07:30",
        "language": Language.VI,
        "cause": UUID(int=7),
        "actor": OFFICER,
        "at": at,
        "appointment_id": UUID(int=7),
    }
    queued = s.ledger.queued_message(timestamp=at, **message_args)
    (created,) = s.ledger.message(**message_args).collect_events()
    assert type(queued) is type(created) is Message.Queued
    plain = {**vars(queued), "timestamp": None, "text": queued.text.value}
    assert plain == {**vars(created), "timestamp": None, "text": created.text.value}


def test_a_registration_changed_after_it_was_read_is_skipped_not_booked(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = story
    p = s.person()
    s.service.register(person=p, group="HEALTH_WORKER", actor=ADMIN)
    rid = registration_id(p, 1)
    read = BookingCommands._registration_facts
    stale = read(s.ledger, [rid])  # waiting, at version 1
    s.ledger.withdraw_registration(registration_id=rid, reason="", actor=ADMIN, idempotency_key="gone")
    reads: list[list[UUID]] = []

    def first_read_is_stale(self: BookingCommands, ids: list[UUID]) -> dict[UUID, RegistrationFacts]:
        reads.append(ids)
        return stale if len(reads) == 1 else read(self, ids)

    monkeypatch.setattr(BookingCommands, "_registration_facts", first_read_is_stale)
    rank = stale[rid].priority_rank
    (result,) = s.ledger.book_days(
        day=MONDAY,
        sites=[(s.site_id, [Booking(rid, p, "morning", 1, ASTRAZENECA, rank)])],
        actor=OFFICER,
        idempotency_key="book-stale",
    )
    assert len(reads) == 2  # the store refused the Booked event at the stale version: read again
    assert result.appointment_ids == ()
    assert result.skipped == 1
    assert s.ledger.registration(rid).status is RegistrationStatus.WITHDRAWN
    s.service.refresh()
    assert s.service.messages(kind="appointment") == []


class _Sealed(Transcoding):
    """Personal data in a fixed form (the real seal draws a random nonce: bytes would differ)."""

    type = PersonalData
    name = "personal_data"

    def encode(self, obj: PersonalData) -> dict[str, str]:
        return {"o": obj.owner.hex, "c": f"sealed:{obj.value}"}

    def decode(self, data: dict[str, str]) -> PersonalData:
        raise NotImplementedError


class _Ring:
    def seal(self, data: PersonalData) -> dict[str, str]:
        return _Sealed().encode(data)


def _mappers() -> tuple[Mapper[UUID], FastMapper]:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO(), ActorAsList(), _Sealed()):
        transcoder.register(transcoding)
    fast = FastMapper(transcoder=transcoder)
    fast.use(_Ring(), [BOOKED_SHAPE, QUEUED_SHAPE])  # type: ignore[arg-type]
    return Mapper(transcoder=transcoder), fast


def test_booked_and_queued_events_are_written_as_the_library_writes_them(sqlite_story: Story) -> None:
    assert BOOKED_SHAPE.matches(), "Registration.Booked's fields changed: update booking_records.BOOKED_SHAPE"
    assert QUEUED_SHAPE.matches(), "Message.Queued's fields changed: update booking_records.QUEUED_SHAPE"
    s = sqlite_story
    _registrations_in_every_state(s)
    p = s.person()
    s.service.register(person=p, group="HEALTH_WORKER", actor=ADMIN)
    s.ledger.book_days(  # an actor with a site and no province, and a text with quotes and a backslash
        day=MONDAY + timedelta(days=1),
        sites=[(s.site_id, [Booking(registration_id(p, 1), p, "morning", 1, ASTRAZENECA, 1)])],
        actor=Actor('nhân viên "A"\\', Role.ADMIN, s.site_id),
        idempotency_key="odd-actor",
    )
    library, fast = _mappers()
    written: Counter[str] = Counter()
    for n in s.ledger.recorder.select_notifications(0, 10_000):
        event = s.ledger.mapper.to_domain_event(n)
        assert fast.to_stored_event(event) == library.to_stored_event(event), n.topic
        written[type(event).__name__] += 1
    assert written["Booked"] >= 4
    assert written["Queued"] >= 4
    # The ledger's own mapper writes these classes directly, and they load back as they were.
    assert type(s.ledger.mapper) is FastMapper
    assert s.ledger.mapper._fast.keys() >= {Registration.Booked, Message.Queued}  # and the certificate ones
