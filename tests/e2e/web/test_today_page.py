"""The site staff's today page on SQLite, through the Flask client: every appointment of the day in its
session with the person's name and status, names read by the batched names-only reader (issue 13's speed
row), the same as the whole records give, after a check-in, a dose, a name correction and an erasure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.records import PersonRecord
from ledger.values import Actor, Role
from services.campaign import CampaignService
from tests.e2e.web.conftest import make_app, sign_in_as

NOW = datetime(2021, 8, 2, 1, 0, tzinfo=UTC)  # Monday 2 August 2021, 08:00 in Hà Nội
DAY = date(2021, 8, 2)
SYSTEM = Actor("test", Role.SYSTEM)
ADMIN = Actor("admin", Role.ADMIN)
NAMES = ("Trần Thị Lan", "Nguyễn Thị Hông", "Lê Văn Bình", "Phạm Minh Chi", "Vũ Đức Nam")


def cards(html: str) -> list[tuple[str, str, str]]:
    """(session heading's first word, name, status class) of every card, in page order."""
    found = []
    for section in re.findall(r'<section aria-labelledby="h-(\w+)">(.*?)</section>', html, re.S):
        for status, name in re.findall(
            r'<li id="a-[^"]+" class="card status-(\w+)">\s*<p><a href="[^"]+"><strong>([^<]+)</strong>',
            section[1],
        ):
            found.append((section[0], name, status))
    return found


def test_the_page_lists_each_appointment_with_the_name_and_status_the_records_give(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url, clock=lambda: NOW, key_dir=tmp_path / "ledger-keys")
    try:
        app = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url)
        backend = app.extensions["immunize"].backend
        service = CampaignService(backend.ledger, backend.views)
        site = service.add_site(
            code="VN-01-0001",
            name="Trạm Y tế Phúc Xá",
            ward_code="00001",
            address="1 Nghĩa Dũng",
            sessions=[Session("morning", "07:30", "11:30", 3), Session("afternoon", "13:30", "16:30", 3)],
            actor=SYSTEM,
        )
        lot = ledger.receive_lot(
            product="BBIBP-CorV",
            lot_number="SP-9",
            expiry=date(2022, 3, 1),
            site_id=UUID(site.site_id),
            quantity=10,
            actor=SYSTEM,
            idempotency_key="lot",
        )
        people = []
        for n, name in enumerate(NAMES):
            person = ledger.register_person(
                national_id=f"0010850{n:05d}",
                full_name=name,
                date_of_birth="1960-01-01",
                sex="female",
                phone=f"091234{n:04d}",
                ward_code="00001",
                priority_group="HEALTH_WORKER",
                actor=SYSTEM,
                idempotency_key=f"p{n}",
            )
            service.register(person=person, group="HEALTH_WORKER", actor=SYSTEM)
            people.append(person)
        planned = service.plan_day(site.site_id, DAY, actor=SYSTEM)
        booked = [a for s in planned.sessions for a in s["appointments"]]
        assert len(booked) == 5
        staff = Actor("staff", Role.SITE_STAFF, site_id=UUID(site.site_id))
        service.check_in(booked[0]["appointment_id"], actor=staff)
        service.check_in(booked[1]["appointment_id"], actor=staff)
        service.record_dose(booked[1]["appointment_id"], lot_id=str(lot), actor=staff)
        # Correct one name and erase another person among those not checked in (planning order is by time).
        others = [p for p in people if str(p) not in {a["person_id"] for a in booked[:2]}]
        ledger.correct_name(
            person_id=others[0],
            full_name="Nguyễn Thị Ánh Hồng",
            reason="ID card",
            actor=ADMIN,
            idempotency_key="n",
        )
        ledger.erase_person(person_id=others[1], reason="request", actor=ADMIN, idempotency_key="e")
        before = {p: name for p, name in zip(people, NAMES, strict=True)}

        client = app.test_client()
        sign_in_as(client, "staff", site_id=site.site_id)
        page = client.get("/staff/today")
        assert page.status_code == 200
        shown = cards(page.get_data(as_text=True))

        day = service.day(site.site_id, DAY)
        assert day is not None
        records = {
            str(pid): PersonRecord.of(p).display_name
            for pid, p in ledger.get_people(
                [UUID(a.person_id) for s in day.sessions for a in s.appointments]
            ).items()
        }
        expected = [(s.name, records[a.person_id], a.status) for s in day.sessions for a in s.appointments]
        assert shown == expected
        statuses = sorted(status for _, _, status in shown)
        assert statuses[:2] == ["arrived", "booked"]
        assert "done" in statuses
        assert "Nguyễn Thị Ánh Hồng" in {name for _, name, _ in shown}
        assert before[others[0]] not in page.get_data(as_text=True)
        assert before[others[1]] not in page.get_data(as_text=True)  # erased: never shown again
    finally:
        ledger.close()
