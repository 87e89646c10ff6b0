"""Issue 12, item 1, through the web: the review's nationwide void and phone-change takeover.

The review: `demo.staff` of one commune station voided a dose given in another province with
POST /api/v1/desk/people/<id>/corrections and got 200, changed the person's phone (200), and the
new phone then signed in as the person and downloaded the certificate.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from tests.e2e.web.conftest import make_app, sign_in_as
from tests.e2e.web.test_citizen import last_code
from web.outbox import MemorySender

ADMIN = Actor("admin", LedgerRole.ADMIN)
OLD_PHONE = "0912000222"
NEW_PHONE = "0987000111"


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    here = ledger.register_site(
        code="VN-01-0001",
        name="Trạm Y tế Phúc Xá",
        ward_code="00001",
        capacity_per_day=300,
        actor=ADMIN,
        idempotency_key="site-here",
    )
    there = ledger.register_site(
        code="VN-79-0001",
        name="Trạm Y tế Tân Định",
        ward_code="26734",
        capacity_per_day=300,
        actor=ADMIN,
        idempotency_key="site-there",
    )
    vaccinator = Actor("nurse.there", LedgerRole.VACCINATOR, there)
    lot = ledger.receive_lot(
        product="EU/1/20/1528",
        lot_number="PF-1",
        expiry=ledger.today() + timedelta(days=100),
        site_id=there,
        quantity=100,
        actor=vaccinator,
        idempotency_key="lot",
    )
    person = ledger.register_person(
        national_id="079185000111",
        full_name="Lê Thị Bình",
        date_of_birth="1985-01-02",
        sex="female",
        phone=OLD_PHONE,
        ward_code="26734",
        priority_group="OTHER",
        actor=ADMIN,
        idempotency_key="person",
    )
    dose = ledger.record_dose(
        person_id=person,
        dose_number=1,
        product="EU/1/20/1528",
        lot_id=lot,
        administered_on=ledger.today(),
        site_id=there,
        actor=vaccinator,
        idempotency_key="dose",
    )
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    return {
        "app": app,
        "ledger": ledger,
        "here": here,
        "there": there,
        "person": person,
        "dose": dose.dose_id,
    }


def staff_at(world: dict[str, Any], site: str, name: str) -> FlaskClient:
    client: FlaskClient = world["app"].test_client()
    sign_in_as(client, "staff", site_id=str(world[site]))
    with client.session_transaction() as session:
        session["principal"] = {**session["principal"], "subject": name}
    return client


def messages(app: Flask) -> list[tuple[str, str]]:
    sender = app.extensions["immunize"].sender
    assert isinstance(sender, MemorySender)
    return [(m.phone, m.text) for m in sender.messages]


def test_the_reviews_nationwide_void_is_refused(world: dict[str, Any]) -> None:
    stranger = staff_at(world, "here", "demo.staff")
    response = stranger.post(
        f"/api/v1/desk/people/{world['person']}/corrections",
        json={"field": "void_dose", "dose_id": str(world["dose"]), "reason": "review"},
    )
    assert response.status_code == 403
    assert len(world["ledger"].person_record(world["person"]).doses) == 1


def test_the_reviews_phone_takeover_is_refused_and_sends_nothing(world: dict[str, Any]) -> None:
    stranger = staff_at(world, "here", "demo.staff")
    response = stranger.post(
        f"/api/v1/desk/people/{world['person']}/corrections",
        json={"field": "phone", "value": NEW_PHONE, "reason": "review"},
    )
    assert response.status_code == 403
    assert world["ledger"].person_record(world["person"]).phone == OLD_PHONE
    assert messages(world["app"]) == []


def test_a_phone_change_waits_for_the_code_sent_to_the_new_number_and_tells_the_old_one(
    world: dict[str, Any],
) -> None:
    app, ledger, person = world["app"], world["ledger"], world["person"]
    # The person is signed in on their old phone somewhere.
    old_session = app.test_client()
    old_session.post("/signin/citizen", data={"phone": OLD_PHONE})
    old_session.post("/signin/citizen/code", data={"code": last_code(app)})
    assert old_session.get("/api/v1/me/family").status_code == 200

    desk = staff_at(world, "there", "nurse.there")
    asked = desk.post(
        f"/api/v1/desk/people/{person}/corrections",
        json={"field": "phone", "value": NEW_PHONE, "reason": "new SIM"},
    )
    assert asked.status_code == 202
    assert asked.get_json()["sent_to"] == "*******111"
    assert ledger.person_record(person).phone == OLD_PHONE  # nothing changes before the code
    assert messages(app)[-1][0] == NEW_PHONE
    code = last_code(app)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert desk.post(f"/api/v1/desk/people/{person}/phone/confirm", json={"code": wrong}).status_code == 401
    assert ledger.person_record(person).phone == OLD_PHONE
    done = desk.post(f"/api/v1/desk/people/{person}/phone/confirm", json={"code": code})
    assert done.status_code == 200
    assert ledger.person_record(person).phone == NEW_PHONE
    told = [text for phone, text in messages(app) if phone == OLD_PHONE]
    assert told
    assert "0987000111" not in told[-1]  # the old number learns of the change, not the new number
    assert old_session.get("/api/v1/me/family").status_code == 401  # the old phone's sessions end


def test_the_phone_change_page_flow_at_the_desk(world: dict[str, Any]) -> None:
    app, ledger, person = world["app"], world["ledger"], world["person"]
    desk = staff_at(world, "there", "nurse.there")
    page = desk.post(
        f"/desk/people/{person}/corrections",
        data={"field": "phone", "value": NEW_PHONE, "reason": "new SIM"},
        headers={"Accept-Language": "en"},
    )
    assert page.status_code == 200
    assert "*******111" in page.get_data(as_text=True)
    done = desk.post(f"/desk/people/{person}/phone/confirm", data={"code": last_code(app)})
    assert done.status_code == 302
    assert ledger.person_record(person).phone == NEW_PHONE


def test_staff_reads_of_a_health_book_are_recorded_for_the_auditor(world: dict[str, Any]) -> None:
    desk = staff_at(world, "there", "nurse.there")
    assert desk.get(f"/api/v1/desk/people/{world['person']}").status_code == 200
    assert desk.get(f"/desk/people/{world['person']}").status_code == 200
    auditor = world["app"].test_client()
    sign_in_as(auditor, "auditor")
    page = auditor.get("/audit/reads", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert page.count("nurse.there") == 2
    assert str(world["person"]) in page
    assert str(world["there"]) in page
    staff = staff_at(world, "there", "nurse.there")
    assert staff.get("/audit/reads").status_code == 403
    assert UUID(str(world["person"]))
