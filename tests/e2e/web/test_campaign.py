"""Campaign operations through the web app: the site's list of the day, the public priority list,
planning through the API (province-bound), and the SMS gateway's inbound replies (shared secret)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services.campaign import CampaignService
from tests.e2e.web.conftest import make_app, sign_in_as
from web.formats import show_date

SYSTEM = Actor("test", LedgerRole.SYSTEM)


def setup(tmp_path: Path) -> tuple[FlaskClient, CampaignService, str, UUID]:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    app = make_app(tmp_path, ledger, SMS_INBOUND_SECRET="gateway-shared-secret")
    backend = app.extensions["immunize"].backend
    service = CampaignService(backend.ledger, backend.views)
    site = service.add_site(
        code="VN-01-0001",
        name="Trạm Y tế Phúc Xá",
        ward_code="00001",
        address="1 Nghĩa Dũng",
        sessions=[Session("morning", "07:30", "11:30", 3)],
        actor=SYSTEM,
    )
    lot = ledger.receive_lot(
        product="BBIBP-CorV",
        lot_number="SP-9",
        expiry=ledger.today().replace(year=ledger.today().year + 1),
        site_id=UUID(site.site_id),
        quantity=10,
        actor=SYSTEM,
        idempotency_key="lot",
    )
    for n in range(4):
        person = ledger.register_person(
            national_id=f"0010850{n:05d}",
            full_name="Trần Thị Lan",
            date_of_birth="1960-01-01",
            sex="female",
            phone=f"091234{n:04d}",
            ward_code="00001",
            priority_group="HEALTH_WORKER",
            actor=SYSTEM,
            idempotency_key=f"p{n}",
        )
        service.register(person=person, group="HEALTH_WORKER", actor=SYSTEM)
    return app.test_client(), service, site.site_id, lot


def test_site_staff_see_todays_list_check_people_in_and_record_the_dose(tmp_path: Path) -> None:
    client, service, site_id, lot = setup(tmp_path)
    today = service.ledger.today()
    planned = service.plan_day(site_id, today, actor=SYSTEM)
    first = planned.sessions[0]["appointments"][0]["appointment_id"]
    sign_in_as(client, "staff", site_id=site_id)
    page = client.get("/staff/today")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("Sinopharm") >= 3  # the product as every page names it
    assert "Buổi sáng 07:30–11:30 · 3/3" in html
    # People by name, never by a piece of their id; the day as the page's language writes dates.
    assert html.count("Trần Thị Lan") == 3
    person_id = planned.sessions[0]["appointments"][0]["person_id"]
    assert f">{person_id[:8]}<" not in html
    english = client.get("/staff/today", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert show_date(today, "en") in english
    assert today.strftime("%d/%m/%Y") not in english
    vietnamese = client.get("/staff/today", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert show_date(today, "vi") in vietnamese
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    assert client.post(f"/staff/today/{first}/check-in", data={"csrf_token": token}).status_code == 302
    assert (
        client.post(f"/staff/today/{first}/dose", data={"csrf_token": token, "lot_id": str(lot)}).status_code
        == 302
    )
    day = client.get(f"/api/v1/campaign/sites/{site_id}/days/{today.isoformat()}").get_json()
    statuses = {a["appointment_id"]: a["status"] for a in day["sessions"][0]["appointments"]}
    assert statuses[first] == "done"
    assert day["sessions"][0]["appointments"][0]["dose_id"]
    # Another site's staff cannot read this site's day.
    sign_in_as(client, "staff", site_id=str(UUID(int=3)))
    assert client.get(f"/api/v1/campaign/sites/{site_id}/days/{today.isoformat()}").status_code == 403


def test_a_province_officer_plans_only_their_provinces_sites(tmp_path: Path) -> None:
    client, service, site_id, _ = setup(tmp_path)
    today = service.ledger.today().isoformat()
    sign_in_as(client, "province", province_code="79")
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    refused = client.post(
        f"/api/v1/campaign/sites/{site_id}/plan", json={"date": today}, headers={"X-CSRFToken": token}
    )
    assert refused.status_code == 403
    sign_in_as(client, "province", province_code="01")
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    past = client.post(
        f"/api/v1/campaign/sites/{site_id}/plan", json={"date": "2020-01-01"}, headers={"X-CSRFToken": token}
    )
    assert past.status_code == 400
    assert past.get_json()["error"] == "campaign_day_in_past"
    body = client.post(
        f"/api/v1/campaign/sites/{site_id}/plan", json={"date": today}, headers={"X-CSRFToken": token}
    ).get_json()
    assert set(body) == {"site_id", "date", "sessions", "waiting", "waiting_reasons", "not_due_yet"}
    assert len(body["sessions"][0]["appointments"]) == 3
    assert body["waiting"] == 1
    assert body["waiting_reasons"] == [
        {"reason": "capacity_full", "count": 1, "dose_number": None, "product": None}
    ]
    stock = client.get(f"/api/v1/campaign/stock?site={site_id}").get_json()
    assert stock == [
        {"site_id": site_id, "product": "BBIBP-CorV", "on_hand": 10, "booked": 3, "free": 7, "expired": 0}
    ]


def test_the_public_priority_list_shows_counts_only(tmp_path: Path) -> None:
    client, _, _, _ = setup(tmp_path)
    body = client.get("/api/v1/campaign/priority-list/00001").get_json()
    # 4 people wait: a count that small is shown as "<5", and the total does not undo it.
    assert body["waiting"] is None
    assert body["waiting_at_least"] == 1
    assert body["groups"] == [{"rank": 1, "group": "HEALTH_WORKER", "waiting": "<5"}]
    assert body["places_next_day"] == 3
    assert body["cutoff"]["rank"] == 1
    assert body["cutoff"]["group"] == "HEALTH_WORKER"
    page = client.get("/priority?ward_code=00001").get_data(as_text=True)
    assert "Nhân viên y tế" in page  # the group by its name in the page's language
    assert "&lt; 5" in page
    assert ">4<" not in page
    assert "Trần" not in page
    assert "0912" not in page
    assert client.get("/api/v1/campaign/priority-list/99999").status_code == 400
    unknown = client.get("/priority?ward_code=99999")
    assert unknown.status_code == 400
    assert "Mã phường/xã 99999 không tồn tại" in unknown.get_data(as_text=True)


def test_the_gateway_posts_replies_with_its_shared_secret(tmp_path: Path) -> None:
    client, service, _, _ = setup(tmp_path)
    head = service.ledger.recorder.max_notification_id()
    assert client.post("/api/v1/sms/inbound", json={"from": "0912340000", "text": "1"}).status_code == 403
    wrong = client.post(
        "/api/v1/sms/inbound", json={"from": "0912340000", "text": "1"}, headers={"X-Gateway-Secret": "nope"}
    )
    assert wrong.status_code == 403
    unknown = client.post(
        "/api/v1/sms/inbound",
        json={"from": "0999999999", "text": "3 sốt", "message_id": "gw-1"},
        headers={"X-Gateway-Secret": "gateway-shared-secret"},
    )
    assert unknown.status_code == 200
    assert unknown.get_json() == {"outcome": "unknown_phone"}
    assert service.ledger.recorder.max_notification_id() == head


def test_a_citizen_sees_their_place_books_nothing_twice_and_cancels_on_the_page(tmp_path: Path) -> None:
    client, service, site_id, _ = setup(tmp_path)
    person = service.person_id("001085000000")
    service.plan_day(site_id, service.ledger.today(), actor=SYSTEM)
    sign_in_as(client, "citizen", phone="0912340000")
    page = client.get(f"/me/vaccination/{person}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    html = page.get_data(as_text=True)
    assert "Sinopharm" in html  # the appointment, its product as every page names it
    assert 'name="priority_group"' not in html  # already registered: no second registration offered
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    [appointment] = [a for a in service.my_appointments(person) if a.status == "booked"]
    cancelled = client.post(
        f"/me/vaccination/{person}/appointments/{appointment.appointment_id}/cancel",
        data={"csrf_token": token},
    )
    assert cancelled.status_code == 302
    html = client.get(f"/me/vaccination/{person}").get_data(as_text=True)
    assert "đang chờ xếp lịch" in html  # back in the queue, with a place shown
    # Someone else's record is not this phone's.
    other = service.person_id("001085000001")
    assert client.get(f"/me/vaccination/{other}").status_code in (403, 404)


def test_a_province_officer_sees_sites_and_stock_and_plans_from_the_page(tmp_path: Path) -> None:
    client, service, site_id, _ = setup(tmp_path)
    sign_in_as(client, "province", province_code="01")
    html = client.get("/province/campaign").get_data(as_text=True)
    assert "Trạm Y tế Phúc Xá" in html
    assert "Buổi sáng 07:30–11:30: 3" in html
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    today = service.ledger.today().isoformat()
    planned = client.post(
        "/province/campaign/plan", data={"csrf_token": token, "site_id": site_id, "first_day": today}
    )
    assert planned.status_code == 302
    day = service.day(site_id, service.ledger.today())
    assert day is not None
    assert len(day.sessions[0].appointments) == 3
    again = service.plan_day(site_id, service.ledger.today(), actor=SYSTEM)  # writes nothing new
    html = client.get("/province/campaign").get_data(as_text=True)
    assert f"{again.waiting} người còn chờ." in html
    for group in again.waiting_reasons:  # each group's reason is on the page, in Vietnamese
        assert group["reason"] == "capacity_full"
        assert f"{group['count']} người chờ vì các buổi đã hết chỗ." in html


def test_the_api_moves_an_appointment_to_an_offered_session_and_names_each_refusal(tmp_path: Path) -> None:
    client, service, site_id, _ = setup(tmp_path)
    person = service.person_id("001085000000")
    today = service.ledger.today()
    service.plan_day(site_id, today, actor=SYSTEM)
    [appointment] = [a for a in service.my_appointments(person) if a.status == "booked"]
    sign_in_as(client, "citizen", phone="0912340000")
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    base = f"/api/v1/me/people/{person}/appointments/{appointment.appointment_id}"
    offered = client.get(f"{base}/move-options").get_json()
    assert offered
    assert {o["date"] for o in offered} >= {(today + timedelta(days=1)).isoformat()}
    assert all(o["free"] > 0 for o in offered)
    assert set(offered[0]) == {"site_id", "site_name", "address", "date", "session", "start", "end", "free"}

    def move(**body: str) -> Any:
        return client.post(f"{base}/move", json=body, headers={"X-CSRFToken": token})

    head = service.ledger.recorder.max_notification_id()
    past = move(site_id=site_id, date="2020-01-01", session="morning")
    assert (past.status_code, past.get_json()["error"]) == (400, "campaign_day_in_past")
    same = move(site_id=site_id, date=today.isoformat(), session="morning")
    assert (same.status_code, same.get_json()["error"]) == (409, "move_same_session")
    unknown = move(site_id=str(UUID(int=9)), date=today.isoformat(), session="morning")
    assert unknown.status_code == 404
    assert service.ledger.recorder.max_notification_id() == head  # nothing written by a refusal
    chosen = offered[0]
    moved = move(site_id=chosen["site_id"], date=chosen["date"], session=chosen["session"])
    assert moved.status_code == 200
    new_id = moved.get_json()["appointment_id"]
    assert service.appointment(new_id).day == chosen["date"]
    assert [m.kind for m in service.messages(kind="change")] == ["change"]
    # Another family's appointment is not found from this phone.
    other = service.person_id("001085000001")
    [theirs] = [a for a in service.my_appointments(other) if a.status == "booked"]
    stranger = client.post(
        f"/api/v1/me/people/{person}/appointments/{theirs.appointment_id}/move",
        json={"site_id": site_id, "date": chosen["date"], "session": "morning"},
        headers={"X-CSRFToken": token},
    )
    assert stranger.status_code == 404
