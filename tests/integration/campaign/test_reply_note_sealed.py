"""Staff's note on a citizen's SMS reply is sealed with the person's key (it was stored in clear).

A reply that could not be understood ("tôi bị sốt cao từ tối qua") is kept sealed for staff; what
staff write when they deal with it ("gọi lại, sốt 39 độ, đã hẹn khám") is about the person's health
just the same. It is now `PersonalData`: not in the stored bytes, read back with the key, erased with
the person. A note stored by older code (plain text) still loads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from ledger.campaign.messages import InboundReply
from ledger.values import Actor, PersonalData, Role
from tests.integration.campaign.conftest import ADMIN, Story

NOTE = "Gọi lại: sốt 39 độ từ tối qua, đã hẹn khám"
OLD_NOTE = "Đã gọi lại, không sao"


def kept_reply(s: Story, person: object, text: str) -> InboundReply:
    reply = InboundReply(  # type: ignore[call-arg]
        id=uuid4(),
        actor=Actor("sms-gateway", Role.SYSTEM),
        at=datetime(2021, 8, 1, 3, 0, tzinfo=UTC),
        person_id=person,
        message_id=None,
        text=PersonalData(person, text),  # type: ignore[arg-type]
    )
    s.ledger.save(reply)
    return reply


def stored_state(s: Story, reply: InboundReply) -> bytes:
    return b"".join(e.state for e in s.ledger.recorder.select_events(reply.id))


def test_a_reply_note_is_sealed_read_back_and_erased_with_the_person(story: Story) -> None:
    s = story  # on memory, SQLite and PostgreSQL
    person = s.person()
    reply = kept_reply(s, person, "tôi bị sốt cao")
    s.ledger.handle_reply(
        reply_id=reply.id, note=NOTE, actor=Actor("staff-1", Role.SITE_STAFF, s.site_id), idempotency_key="n1"
    )
    if s.ledger.store.kind != "memory":
        state = stored_state(s, reply)
        assert NOTE.encode() not in state
        assert NOTE.encode("unicode_escape") not in state
    back = s.ledger.maybe(InboundReply, reply.id)
    assert back is not None
    assert back.handled
    assert isinstance(back.note, PersonalData)
    assert back.note.text == NOTE

    # A note stored by the code before (plain text in the event) still loads.
    old = kept_reply(s, person, "ok")
    old._handled(actor=ADMIN, at=datetime(2021, 8, 1, 4, 0, tzinfo=UTC), note=OLD_NOTE)
    s.ledger.save(old)
    if s.ledger.store.kind != "memory":
        old_state = stored_state(s, old).decode("utf-8")
        assert OLD_NOTE in old_state or OLD_NOTE.encode("unicode_escape").decode("ascii") in old_state
    loaded = s.ledger.maybe(InboundReply, old.id)
    assert loaded is not None
    assert loaded.handled
    assert loaded.note is not None
    assert loaded.note.text == OLD_NOTE

    # Erasure shreds the person's key: the sealed note is unreadable from then on.
    s.ledger.erase_person(person_id=person, reason="asked", actor=ADMIN, idempotency_key="erase")
    erased = s.ledger.maybe(InboundReply, reply.id)
    assert erased is not None
    assert erased.note is not None
    assert erased.note.erased
