"""One phone for a whole family (user trial, sessions 4 and 5): the mother and her son, who has no phone
of his own, were each sent "Lịch tiêm vắc xin: mũi 1, …" on the same number, and nothing said whose
appointment each was. A text about one person is now headed with that person's given name (a corrected
name too), never the full name nor an ID number; the answer to the phone's own "HUY" is not headed."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.campaign.texts import addressed, given_name
from ledger.campaign.values import Language
from services.sms_gateways import FileGateway
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, Story


def sent(outbox: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]


def test_a_familys_texts_on_one_phone_each_name_the_person_they_are_about(
    story: Story, tmp_path: Path
) -> None:
    s = story
    mother = s.person(full_name="Trần Thị Lan", national_id="001085000771")
    son = s.person(
        full_name="Nguyễn Minh Khoa",
        national_id=None,
        guardian_id=mother,
        relationship="child",
        date_of_birth="2008-01-01",
        phone=None,
    )
    s.ledger.correct_name(
        person_id=son, full_name="Nguyễn Minh Khôi", reason="birth certificate", actor=ADMIN,
        idempotency_key="name",
    )  # fmt: skip
    s.service.register(person=mother, group="CHRONIC_DISEASE_OR_OVER_65", actor=ADMIN)
    s.service.register(person=son, group="CHRONIC_DISEASE_OR_OVER_65", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    outbox = tmp_path / "outbox.jsonl"
    s.service.send_pending(FileGateway(outbox))

    texts = sent(outbox)
    assert len(texts) == 2
    assert len({t["to"] for t in texts}) == 1  # both on the mother's phone
    heads = sorted(t["text"].split(": Lịch tiêm vắc xin: mũi 1, 02/08/2021")[0] for t in texts)
    assert heads == ["Gửi Khôi", "Gửi Lan"]  # the corrected name, given names only
    for t in texts:
        assert "Nguyễn" not in t["text"]
        assert "Trần" not in t["text"]
        assert "001085000771" not in t["text"]
        assert t["encoding"] == "UCS-2"
    # What was stored is the text without the heading (the heading is the sender's, from the record).
    assert all(m.text.startswith("Lịch tiêm vắc xin: mũi 1") for m in s.service.messages(kind="appointment"))

    # The phone's own "HUY" is answered about the phone (a numbered list), not headed with one name;
    # the two appointments share day, time and place, so the list tells them apart by given name
    # (before, an identical pair was kept for a human and the phone got no answer).
    phone = s.ledger.get_person(mother).phone
    assert phone is not None
    assert phone.value is not None
    assert s.service.reply(phone.value, "HUY", message_id="gw-1").outcome == "asked_which"
    s.service.send_pending(FileGateway(outbox))
    listing = sent(outbox)[-1]["text"]
    assert listing.startswith("Số này có 2 lịch tiêm: 1) ")
    assert "Khôi 02/08 07:30" in listing
    assert "Lan 02/08 07:30" in listing
    assert s.service.reply(phone.value, "HUY 2", message_id="gw-2").outcome == "cancelled"
    second = listing.split("2) ")[1].split(" ")[0]
    cancelled = [p for p in (mother, son) if s.service.my_appointments(p)[0].status == "cancelled"]
    assert cancelled == [mother if second == "Lan" else son]


def test_the_heading_is_the_given_name_in_the_texts_language() -> None:
    text = "Lịch tiêm vắc xin: mũi 1, 02/08/2021 07:30-11:30, Trạm Y tế."
    assert given_name("Nguyễn Thị  Ánh ") == "Ánh"
    assert addressed(text, "Nguyễn Thị Ánh", Language.VI) == "Gửi Ánh: " + text
    assert addressed("Vaccination appointment: dose 1.", "Lê Văn Bình", Language.EN) == (
        "For Bình: Vaccination appointment: dose 1."
    )
    assert addressed(text, "", Language.VI) == text  # erased: no heading, nothing guessed
    assert len(given_name("A " + "x" * 50)) == 20  # a long word is shortened, not the whole text
