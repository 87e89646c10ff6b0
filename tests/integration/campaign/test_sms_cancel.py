"""Cancel by SMS: "HUY" from the phone of a person with an upcoming appointment cancels it through the
citizen's own use case (the registration back in the queue, the "cancelled" text as confirmation); a
family's phone gets a numbered list instead of a guess; a retried text is recorded once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from uuid import UUID

import pytest

from ledger.campaign.message_commands import parse_cancel
from services.sms_gateways import FileGateway
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, Story

TUESDAY = MONDAY.replace(day=3)


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("HUY", None),
        ("huy", None),
        ("Huỷ", None),
        ("HỦY", None),
        ("hủy", None),
        ("Hu\u0309y", None),  # decomposed: the hook above as a combining mark
        ("  Hủy lịch tiêm. ", None),
        ("HUY 2", 2),
        ("huy2", 2),
        ("Hủy  1!", 1),
    ],
)
def test_cancel_words_with_or_without_diacritics(text: str, choice: int | None) -> None:
    word = parse_cancel(text)
    assert word is not None
    assert word.choice == choice


@pytest.mark.parametrize("text", ["HUYEN", "huy bo di", "3 huy", "khong huy", "1", "HUY 123", ""])
def test_other_texts_are_not_a_cancel(text: str) -> None:
    assert parse_cancel(text) is None


def deliver(s: Story, tmp_path: Path) -> None:
    s.service.send_pending(FileGateway(tmp_path / "outbox.jsonl"))


def phone_of(s: Story, person: UUID) -> str:
    phone = s.ledger.get_person(person).phone
    assert phone is not None
    assert phone.value is not None
    return phone.value


def test_huy_cancels_the_one_upcoming_appointment_and_a_retry_changes_nothing(
    story: Story, tmp_path: Path
) -> None:
    s = story
    person = s.person()
    s.service.register(person=person, group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    deliver(s, tmp_path)
    [appointment] = s.service.my_appointments(person)

    result = s.service.reply(phone_of(s, person).replace("0", "+84", 1), "Huỷ", message_id="gw-1")
    assert (result.outcome, result.person_id) == ("cancelled", person)
    [after] = s.service.my_appointments(person)
    assert (after.appointment_id, after.status) == (appointment.appointment_id, "cancelled")
    # Back in the queue with its original priority, as the citizen's cancel does.
    [(registration, place)] = s.service.my_registrations(person)
    assert (registration.status, place) == ("waiting", 0)  # nobody ahead
    [confirmation] = s.service.messages(kind="cancel")
    assert "đã bị hủy" in confirmation.text
    assert confirmation.appointment_id == appointment.appointment_id

    head = s.ledger.recorder.max_notification_id()
    again = s.service.reply(phone_of(s, person), "Huỷ", message_id="gw-1")  # the gateway's retry
    assert again.outcome == "cancelled"
    assert s.ledger.recorder.max_notification_id() == head
    # A new "HUY" now finds nothing to cancel, and says so.
    assert s.service.reply(phone_of(s, person), "HUY", message_id="gw-2").outcome == "nothing_to_cancel"
    [answer] = s.service.messages(kind="sms_answer")
    assert "không có lịch tiêm" in answer.text


def test_an_unknown_phone_is_logged_and_writes_nothing(
    story: Story, caplog: pytest.LogCaptureFixture
) -> None:
    s = story
    head = s.ledger.recorder.max_notification_id()
    assert s.service.reply("0999 888 777", "HỦY", message_id="gw-9").outcome == "unknown_phone"
    assert s.ledger.recorder.max_notification_id() == head
    assert "999888777" not in caplog.text


def test_a_family_phone_gets_a_numbered_list_and_huy_2_cancels_the_second(
    sqlite_story: Story, tmp_path: Path
) -> None:
    s = sqlite_story
    # The mother is booked on Monday morning, her son (no phone of his own) on Tuesday morning.
    mother = s.person()
    son = s.person(
        national_id=None, guardian_id=mother, relationship="child", date_of_birth="2008-01-01", phone=None
    )
    s.service.register(person=mother, group="CHRONIC_DISEASE_OR_OVER_65", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    s.service.register(person=son, group="CHRONIC_DISEASE_OR_OVER_65", actor=ADMIN)
    s.service.plan_day(s.site_id, TUESDAY, actor=OFFICER)
    deliver(s, tmp_path)
    [mine] = s.service.my_appointments(mother)
    [his] = s.service.my_appointments(son)
    assert (mine.day, mine.session, his.day, his.session) == (
        "2021-08-02",
        "morning",
        "2021-08-03",
        "morning",
    )
    phone = phone_of(s, mother)

    # "HUY 2" before any list was sent is not guessed either: the list comes first.
    assert s.service.reply(phone, "HUY 2", message_id="gw-0").outcome == "asked_which"
    asked = s.service.reply(phone, "HUY", message_id="gw-1")
    assert asked.outcome == "asked_which"
    lists = s.service.messages(kind="sms_answer")
    assert len(lists) == 2
    assert lists[-1].text == (
        "Số này có 2 lịch tiêm: 1) Bình 02/08 07:30 Trạm Y tế Phường Phúc Xá; 2) Chi 03/08 07:30 Trạm Y tế "
        "Phường Phúc Xá. Nhắn HUY 1 hoặc HUY 2 để hủy lịch đó."
    )
    assert Counter(a.status for p in (mother, son) for a in s.service.my_appointments(p)) == {"booked": 2}

    assert s.service.reply(phone, "Hủy 2", message_id="gw-2").outcome == "cancelled"
    assert [a.status for a in s.service.my_appointments(son)] == ["cancelled"]
    assert [a.status for a in s.service.my_appointments(mother)] == ["booked"]
    # The list changed (one appointment left): "HUY 2" now has no second entry: the list again.
    assert s.service.reply(phone, "HUY 2", message_id="gw-3").outcome == "asked_which"
    assert s.service.reply(phone, "HUY 1", message_id="gw-4").outcome == "cancelled"
    assert [a.status for a in s.service.my_appointments(mother)] == ["cancelled"]
    assert len(s.service.messages(kind="cancel")) == 2


def test_two_appointments_the_list_cannot_tell_apart_are_kept_for_a_human(
    sqlite_story: Story, tmp_path: Path
) -> None:
    s = sqlite_story
    mother = s.person()
    # Same day, session and place, and the same given name: the list (which names each person by given
    # name) still could not tell them apart.
    twins = [
        s.person(
            national_id=None,
            guardian_id=mother,
            relationship="child",
            date_of_birth="2008-01-01",
            phone=None,
            full_name=name,
        )
        for name in ("Nguyễn Minh An", "Trần Văn An")
    ]
    for who in twins:
        s.service.register(person=who, group="CHRONIC_DISEASE_OR_OVER_65", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)  # both in Monday morning's session
    deliver(s, tmp_path)
    assert s.service.reply(phone_of(s, mother), "HUY", message_id="gw-1").outcome == "kept"
    assert len(s.service.kept_replies()) == 1
    assert {a.status for t in twins for a in s.service.my_appointments(t)} == {"booked"}
