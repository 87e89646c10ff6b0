"""One Vietnamese phone normaliser (ledger.phone) under registration and the campaign's SMS replies:
`+84 912 345 678`, `0912345678` and `84912345678` are one number and reach one person."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.errors import PhoneInvalid
from services.sms_gateways import FileGateway
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, Story

FORMS = ("+84 912 345 678", "0912345678", "84912345678")


@pytest.mark.parametrize("registered_as", FORMS)
def test_a_reply_from_any_form_of_the_number_reaches_the_person_registered_with_another(
    sqlite_story: Story, tmp_path: Path, registered_as: str
) -> None:
    s = sqlite_story
    s.clock.now = s.clock.now.replace(day=2)  # Monday: the appointments' day
    person = s.person(phone=registered_as)
    other = s.person(phone="0987654321")  # someone else texted too: replies must not mix them up
    assert s.ledger.person_record(person).phone == "0912345678"  # registration stores the national form
    for who in (person, other):
        s.service.register(person=who, group="HEALTH_WORKER", actor=ADMIN)
    planned = s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    for appointment in [a["appointment_id"] for x in planned.sessions for a in x["appointments"]]:
        s.service.check_in(appointment, actor=s.vaccinator)
        product = s.service._appointment(appointment).product
        s.service.record_dose(appointment, lot_id=s.lots[product], actor=s.vaccinator)
    s.clock.advance(1)
    assert s.service.run_day().checkins == 2
    outbox = tmp_path / "outbox.jsonl"
    s.service.send_pending(FileGateway(outbox))
    assert "+84912345678" in outbox.read_text()  # the gateway gets the international form

    first, *again = (s.service.reply(form, "2") for form in FORMS)
    assert (first.outcome, first.person_id) == ("mild", person)
    assert [(r.outcome, r.person_id) for r in again] == [("kept", person), ("kept", person)]
    assert len(s.ledger.get_person(person).reactions) == 1
    assert s.ledger.get_person(other).reactions == []


def test_a_reply_from_something_that_is_not_a_vietnamese_mobile_is_refused_like_at_registration(
    sqlite_story: Story,
) -> None:
    s = sqlite_story
    head = s.ledger.recorder.max_notification_id()
    with pytest.raises(PhoneInvalid):
        s.person(phone="+1 555 123 4567")
    with pytest.raises(PhoneInvalid):
        s.service.reply("+1 555 123 4567", "1")
    assert s.ledger.recorder.max_notification_id() == head
