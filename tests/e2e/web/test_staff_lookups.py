"""A desk lookup by national ID or phone number (page or API) is recorded for the auditor (who, when,
which site, a keyed digest of the number, never the number, and how many people it found) and each
staff account may make only so many (RATE_STAFF_LOOKUPS): a desk account cannot walk through numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.values import Actor, Role
from tests.e2e.web.conftest import make_app, sign_in_as
from web.roles import Role as WebRole

ADMIN = Actor("lookup-test", Role.ADMIN)
PHONE = "0912345678"
NATIONAL_ID = "001070012345"
PASSWORD = "correct horse battery"


@pytest.fixture
def desk(tmp_path: Path) -> dict[str, Any]:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}", key_dir=tmp_path / "lk")
    site = ledger.register_site(
        code="S", name="Trạm Y tế Phúc Xá", ward_code="00001", capacity_per_day=10, actor=ADMIN,
        idempotency_key="s",
    )  # fmt: skip
    holder = ledger.register_person(
        national_id=NATIONAL_ID, full_name="Trần Văn Bình", date_of_birth="1970", sex="male", phone=PHONE,
        ward_code="00001", priority_group="OTHER", actor=ADMIN, idempotency_key="holder",
    )  # fmt: skip
    child = ledger.register_person(
        national_id=None, full_name="Trần Bảo Ngọc", date_of_birth="2015-04-03", sex="female", phone=None,
        ward_code="00001", priority_group="OTHER", actor=ADMIN, idempotency_key="child", guardian_id=holder,
        relationship="child",
    )  # fmt: skip
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False, RATE_STAFF_LOOKUPS=(6, 600))
    return {"app": app, "ledger": ledger, "site": site, "holder": holder, "child": child}


def staff(app: Flask, username: str, site: UUID) -> FlaskClient:
    app.extensions["immunize"].accounts.add_staff(username, PASSWORD, WebRole.STAFF, site_id=str(site))
    client = app.test_client()
    assert client.post("/signin/staff", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def rows(app: Flask) -> list[tuple[object, ...]]:
    return [
        tuple(r)
        for r in app.extensions["immunize_reads"].store.query(
            "SELECT actor, role, site_id, kind, digest, found FROM web_staff_lookups ORDER BY rowid"
        )
    ]


def test_every_lookup_by_number_is_logged_with_a_keyed_digest_found_or_not(desk: dict[str, Any]) -> None:
    app, site = desk["app"], desk["site"]
    client = staff(app, "nurse.hoa", site)
    assert client.post("/desk/find", data={"phone": "+84 912 345 678"}).status_code == 200  # the family
    assert client.post("/desk/find", data={"national_id": NATIONAL_ID}).status_code == 302
    assert client.post("/desk/find", data={"national_id": "001099999999"}).status_code == 404
    api = client.post("/api/v1/desk/find", json={"phone": "84912345678"})
    assert {p["id"] for p in api.get_json()["people"]} == {str(desk["holder"]), str(desk["child"])}
    assert client.post("/api/v1/desk/find", json={"national_id": NATIONAL_ID}).get_json()["id"] == str(
        desk["holder"]
    )

    logged = rows(app)
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in logged] == [
        ("nurse.hoa", "staff", str(site), "phone", 2),
        ("nurse.hoa", "staff", str(site), "national_id", 1),
        ("nurse.hoa", "staff", str(site), "national_id", 0),
        ("nurse.hoa", "staff", str(site), "phone", 2),
        ("nurse.hoa", "staff", str(site), "national_id", 1),
    ]
    phone_digest, id_digest = logged[0][4], logged[1][4]
    assert logged[3][4] == phone_digest  # one number in any typed form is one digest
    assert logged[4][4] == id_digest
    assert len({phone_digest, id_digest, logged[2][4]}) == 3
    for clear in ("912345678", "12345678", NATIONAL_ID, "70012345"):
        assert all(clear not in str(value) for row in logged for value in row)

    # The auditor types a number and sees who looked it up; the numbers themselves are nowhere.
    auditor = app.test_client()
    sign_in_as(auditor, "auditor")
    page = auditor.post("/audit/reads", data={"number": "0912 345 678"}, headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("<td>Phone number</td>") == 2
    assert "<td>National ID</td>" not in html
    every = auditor.get("/audit/reads", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert every.count("<td>National ID</td>") == 3
    assert PHONE not in every
    assert NATIONAL_ID not in every


def test_lookups_by_number_are_rate_limited_per_staff_account(desk: dict[str, Any]) -> None:
    app, site = desk["app"], desk["site"]
    client = staff(app, "nurse.hoa", site)
    statuses = [client.post("/desk/find", data={"phone": f"03990000{n:02d}"}).status_code for n in range(6)]
    assert statuses == [404] * 6  # nobody has these numbers: the lookups count all the same
    refused = client.post("/desk/find", data={"national_id": NATIONAL_ID}, headers={"Accept-Language": "en"})
    assert refused.status_code == 429
    assert client.post("/api/v1/desk/find", json={"phone": PHONE}).status_code == 429
    assert len(rows(app)) == 6  # a refused lookup looked nothing up

    # Another staff member is not held back by this one.
    other = staff(app, "nurse.lan", site)
    assert other.post("/desk/find", data={"national_id": NATIONAL_ID}).status_code == 302
    assert len(rows(app)) == 7
