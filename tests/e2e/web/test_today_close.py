"""Closing the day on the site staff's today page (user trial, session 5): the page says, before the
button is pressed, how many of today's booked people go back to the queue; before the first session has
begun it warns, and a close confirmed without that warning is refused with one sentence and closes
nothing (at 04:40 the whole day's list went back to the queue on a single tick)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest
from flask import Flask

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.values import Actor, Role
from services.campaign import CampaignService
from tests.e2e.web.conftest import csrf_token, make_app, sign_in_as

DAY = date(2021, 8, 2)
DAWN = datetime(2021, 8, 1, 22, 40, tzinfo=UTC)  # 05:40 on 2 August in Hà Nội: before the 07:30 session
MORNING = datetime(2021, 8, 2, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội: the morning session is on
SYSTEM = Actor("test", Role.SYSTEM)


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.now = DAWN
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
        self.ledger = Ledger(url, clock=lambda: self.now, key_dir=tmp_path / "ledger-keys")
        self.app: Flask = make_app(tmp_path, self.ledger, IMMUNIZE_DATABASE_URL=url)
        backend = self.app.extensions["immunize"].backend
        self.service = CampaignService(backend.ledger, backend.views)
        site = self.service.add_site(
            code="VN-01-0001",
            name="Trạm Y tế Phúc Xá",
            ward_code="00001",
            address="1 Nghĩa Dũng",
            sessions=[Session("morning", "07:30", "11:30", 3), Session("afternoon", "13:30", "16:30", 3)],
            actor=SYSTEM,
        )
        self.site_id = site.site_id
        self.lot = self.ledger.receive_lot(
            product="BBIBP-CorV",
            lot_number="SP-9",
            expiry=date(2022, 3, 1),
            site_id=UUID(site.site_id),
            quantity=10,
            actor=SYSTEM,
            idempotency_key="lot",
        )
        for n in range(4):
            person = self.ledger.register_person(
                national_id=f"0010850{n:05d}",
                full_name=("Trần Thị Lan", "Lê Văn Bình", "Phạm Minh Chi", "Vũ Đức Nam")[n],
                date_of_birth="1960-01-01",
                sex="female",
                phone=f"091234{n:04d}",
                ward_code="00001",
                priority_group="HEALTH_WORKER",
                actor=SYSTEM,
                idempotency_key=f"p{n}",
            )
            self.service.register(person=person, group="HEALTH_WORKER", actor=SYSTEM)
        planned = self.service.plan_day(site.site_id, DAY, actor=SYSTEM)
        self.booked = [a["appointment_id"] for s in planned.sessions for a in s["appointments"]]
        assert len(self.booked) == 4
        self.client = self.app.test_client()
        sign_in_as(self.client, "staff", site_id=site.site_id)

    def post_close(self, confirm: str) -> tuple[int, str]:
        answer = self.client.post(
            "/staff/today/close", data={"confirm": confirm, "csrf_token": csrf_token(self.client)}
        )
        return answer.status_code, answer.get_data(as_text=True)

    def statuses(self) -> list[str]:
        day = self.service.day(self.site_id, DAY)
        assert day is not None
        return sorted(a.status for s in day.sessions for a in s.appointments)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    try:
        yield w
    finally:
        w.ledger.close()


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_before_the_first_session_the_page_warns_and_a_plain_tick_closes_nothing(world: World) -> None:
    page = world.client.get("/staff/today").get_data(as_text=True)
    words = text(page)
    assert "Chưa đến giờ tiêm: buổi đầu tiên hôm nay bắt đầu lúc 07:30" in words
    assert "4 người đã hẹn hôm nay mà chưa được tiêm sẽ không được tiêm hôm nay" in words
    assert "Khi kết thúc ngày, 4 người đã hẹn hôm nay mà chưa được tiêm" in words
    assert 'name="confirm" value="early"' in page  # the box that goes with the warning

    # The box as it was before the warning (or an API-shaped post): refused, nothing closed.
    status, refused = world.post_close("1")
    assert status == 400
    assert (
        "Ngày tiêm chưa kết thúc vì chưa buổi nào bắt đầu (buổi đầu tiên lúc 07:30) và 4 người đã hẹn sẽ "
        "trở lại hàng chờ." in text(refused)
    )
    assert world.statuses() == ["booked"] * 4

    # Confirmed with the warning in front of them: closed, all four back in the queue.
    status, _ = world.post_close("early")
    assert status == 302
    assert world.statuses() == ["no_show"] * 4
    closed = text(world.client.get("/staff/today").get_data(as_text=True))
    assert "Đã kết thúc ngày tiêm: 4 người không đến" in closed


def test_during_the_day_the_page_counts_who_goes_back_as_closing_then_does(world: World) -> None:
    world.now = MORNING
    staff = Actor("staff", Role.SITE_STAFF, site_id=UUID(world.site_id))
    world.service.check_in(world.booked[0], actor=staff)
    world.service.record_dose(world.booked[0], lot_id=str(world.lot), actor=staff)
    world.service.check_in(world.booked[1], actor=staff)  # came, no dose yet: also sent back
    world.service.mark_no_show(world.booked[2], actor=staff)  # already back in the queue

    page = world.client.get("/staff/today").get_data(as_text=True)
    words = text(page)
    assert "Chưa đến giờ tiêm" not in words
    assert "Khi kết thúc ngày, 2 người đã hẹn hôm nay mà chưa được tiêm" in words
    assert 'name="confirm" value="1"' in page

    status, _ = world.post_close("1")
    assert status == 302
    assert world.statuses() == ["done", "no_show", "no_show", "no_show"]
    notice = text(world.client.get("/staff/today").get_data(as_text=True))
    assert "Đã kết thúc ngày tiêm: 2 người không đến" in notice  # the two the page announced


def test_a_dose_without_a_lot_asks_to_choose_one_from_the_list(world: World) -> None:
    """The lot is a list to choose from: "Chưa điền «Lô vắc xin». Hãy điền …" ("fill in") did not fit."""
    world.now = MORNING
    answer = world.client.post(
        f"/staff/today/{world.booked[0]}/dose", data={"lot_id": "", "csrf_token": csrf_token(world.client)}
    )
    assert answer.status_code == 400
    assert "Hãy chọn «Lô vắc xin» trong danh sách." in text(answer.get_data(as_text=True))
    assert world.statuses() == ["booked"] * 4
