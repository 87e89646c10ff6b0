"""The JSON API tells the same stories as the pages: sign-in with CSRF header, family, desk, dose."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app
from tests.people import listed
from web.roles import Role


@pytest.fixture  # per test, not per module: tests write to it
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("api")
    ledger = Ledger("memory://", key_dir=base / "lk")
    seed_demo(ledger, people=40, seed=9)
    app = make_app(base, ledger)
    read = app.extensions["immunize"].platform.read  # the sites_and_lots view
    read.refresh()
    site = read.sites()[0]  # by code
    lot = ledger.receive_lot(
        product="EU/1/21/1529",
        lot_number="API-1",
        expiry=ledger.today() + timedelta(days=60),
        site_id=UUID(site.id),
        quantity=50,
        actor=Actor("t", LedgerRole.SYSTEM),
        idempotency_key="api-lot",
    )
    app.extensions["immunize"].accounts.add_staff(
        "nurse.api", "api test password", Role.STAFF, site_id=site.id
    )
    return {"app": app, "ledger": ledger, "site": site, "lot": str(lot)}


def csrf(client: FlaskClient) -> dict[str, str]:
    return {"X-CSRFToken": client.get("/api/v1/session").get_json()["csrf_token"]}


def test_staff_record_a_dose_through_the_api(world: dict[str, Any]) -> None:
    client = world["app"].test_client()
    response = client.post(
        "/api/v1/auth/staff",
        json={"username": "nurse.api", "password": "api test password"},
        headers=csrf(client),
    )
    assert response.get_json()["role"] == "staff"
    headers = {"X-CSRFToken": response.get_json()["csrf_token"]}
    lots = client.get("/api/v1/desk/lots").get_json()["lots"]
    assert [lot["lot_number"] for lot in lots] == ["API-1"]
    ledger: Ledger = world["ledger"]
    person = next(r for r in listed(ledger, limit=100) if r.national_id and not r.doses)
    found = client.post(
        "/api/v1/desk/find", json={"national_id": person.national_id}, headers=headers
    ).get_json()
    assert found == {"id": str(person.person_id)}
    body = {
        "lot_id": world["lot"],
        "dose_number": 1,
        "given_on": ledger.today().isoformat(),
        "idempotency_key": "api-1",
    }
    recorded = client.post(f"/api/v1/desk/people/{found['id']}/doses", json=body, headers=headers)
    assert recorded.status_code == 200, recorded.get_json()
    assert recorded.get_json()["dose_number"] == 1
    book = client.get(f"/api/v1/desk/people/{found['id']}").get_json()
    assert [d["lot_number"] for d in book["doses"]] == ["API-1"]
    assert "phone" not in book
    again = client.post(
        f"/api/v1/desk/people/{found['id']}/doses", json={**body, "dose_number": 1}, headers=headers
    )
    assert again.get_json()["dose_id"] == recorded.get_json()["dose_id"]  # same idempotency key: same dose
    bad = client.post(
        f"/api/v1/desk/people/{found['id']}/doses",
        json={**body, "idempotency_key": "api-2", "given_on": "2999-01-01"},
        headers={**headers, "Accept-Language": "en"},
    )
    assert bad.status_code == 400
    assert bad.get_json()["error"] == "dose_date_in_future"
    assert bad.get_json()["message"].startswith("The dose date 01/01/2999 is in the future")
    assert "future" in bad.get_json()["detail"]


def test_a_citizen_manages_the_family_through_the_api(world: dict[str, Any]) -> None:
    app = world["app"]
    ledger: Ledger = world["ledger"]
    holder = next(r for r in listed(ledger, limit=100) if r.phone and not r.guardian_id and r.doses)
    client = app.test_client()
    sent = client.post("/api/v1/auth/otp", json={"phone": holder.phone}, headers=csrf(client))
    assert sent.status_code == 200
    text = app.extensions["immunize"].sender.messages[-1].text
    code = next(w.rstrip(".") for w in text.split() if w.rstrip(".").isdigit() and len(w.rstrip(".")) == 6)
    signed_in = client.post("/api/v1/auth/otp/verify", json={"code": code}, headers=csrf(client)).get_json()
    assert signed_in["role"] == "citizen"
    headers = {"X-CSRFToken": signed_in["csrf_token"]}
    family = client.get("/api/v1/me/family").get_json()["family"]
    assert str(holder.person_id) in [p["id"] for p in family]
    added = client.post(
        "/api/v1/me/dependants",
        headers=headers,
        json={
            "full_name": "Lê Minh Khang",
            "date_of_birth": "2016",
            "sex": "male",
            "ward_code": holder.ward_code,
        },
    )
    assert added.status_code == 200, added.get_json()
    family = client.get("/api/v1/me/family").get_json()["family"]
    assert "Lê Minh Khang" in [p["full_name"] for p in family]
    empty = client.post(
        f"/api/v1/me/people/{added.get_json()['id']}/declarations",
        headers=headers,
        json={"symptoms": "", "exposure": False, "travel": ""},
    )
    assert empty.status_code == 400
    assert empty.get_json()["error"] == "declare_symptoms"
    declared = client.post(
        f"/api/v1/me/people/{added.get_json()['id']}/declarations",
        headers=headers,
        json={"symptoms": "", "no_symptoms": True, "exposure": False, "travel": "Đà Nẵng"},
    )
    assert declared.get_json() == {"ok": True}
    book = client.get(f"/api/v1/me/people/{added.get_json()['id']}").get_json()
    assert [d["travel"] for d in book["declarations"]] == ["Đà Nẵng"]
    missing = client.post(
        "/api/v1/me/dependants", headers={**headers, "Accept-Language": "vi"}, json={"full_name": "X"}
    )
    assert missing.status_code == 400
    # the field is named as the form labels it, never by its internal name
    assert missing.get_json()["message"] == "Chưa điền «Ngày sinh». Hãy điền rồi gửi lại."


def test_the_province_officer_sees_only_their_provinces_sites(world: dict[str, Any], tmp_path: Path) -> None:
    app = world["app"]
    site = world["site"]
    app.extensions["immunize"].accounts.add_staff(
        "officer.api", "api test password", Role.PROVINCE, province_code=site.province_code, replace=True
    )
    client = app.test_client()
    client.post(
        "/api/v1/auth/staff",
        json={"username": "officer.api", "password": "api test password"},
        headers=csrf(client),
    )
    data = client.get("/api/v1/province").get_json()
    read = app.extensions["immunize"].platform.read
    expected = {s.code for s in read.sites() if s.province_code == site.province_code}
    assert {s["code"] for s in data["sites"]} == expected
    assert "API-1" in {lot["lot_number"] for lot in data["lots"]}
    page = client.get("/province/").get_data(as_text=True)
    assert data["province_name"] in page
