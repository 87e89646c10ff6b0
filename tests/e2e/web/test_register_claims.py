"""Issue 12, item 10: a signed-in citizen can no longer probe or claim national IDs from /me/register.

The review: /me/register answered "already registered" for taken IDs and let any phone claim an
unused one, with no rate limit. Now the answer is the same whether the number is taken or free, the
number is only held with the registration until staff confirm it against the ID card at the
person's first visit to a vaccination site, and registrations are rate-limited per phone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.errors import LedgerError
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from tests.e2e.web.conftest import make_app, sign_in_as
from tests.e2e.web.test_citizen import sign_in_with_code
from tests.people import listed

TAKEN = "001190123456"
FREE = "001190654321"
ADMIN = Actor("admin", LedgerRole.ADMIN)


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    site = ledger.register_site(
        code="VN-01-0001",
        name="Trạm Y tế Phúc Xá",
        ward_code="00001",
        capacity_per_day=300,
        actor=ADMIN,
        idempotency_key="site",
    )
    owner = ledger.register_person(
        national_id=TAKEN,
        full_name="Phạm Thị Hồng",
        date_of_birth="1990-02-03",
        sex="female",
        phone="0912000333",
        ward_code="00001",
        priority_group="OTHER",
        actor=ADMIN,
        idempotency_key="owner",
    )
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    return {"app": app, "ledger": ledger, "site": site, "owner": owner}


def register(client: FlaskClient, national_id: str, name: str = "Trần Văn Dò") -> tuple[int, str, str]:
    response = client.post(
        "/me/register",
        data={
            "full_name": name,
            "date_of_birth": "1991-05-06",
            "sex": "male",
            "national_id": national_id,
            "ward_code": "00001",
            "priority_group": "",
        },
        headers={"Accept-Language": "en"},
    )
    home = client.get("/me/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    return response.status_code, response.headers.get("Location", ""), home


def citizen(app: Flask, phone: str) -> FlaskClient:
    client = app.test_client()
    sign_in_with_code(client, app, phone)
    return client


def test_taken_and_free_ids_get_the_same_answer(world: dict[str, Any]) -> None:
    app = world["app"]
    taken = register(citizen(app, "0399000001"), TAKEN)
    free = register(citizen(app, "0399000002"), FREE)
    assert taken[:2] == free[:2]
    assert "already" not in taken[2]
    assert "bring your ID card" in taken[2]
    assert "bring your ID card" in free[2]
    # Nothing is claimed yet: the free number is not attached to anyone, the taken one stays its owner's.
    with pytest.raises(LedgerError):
        world["ledger"].person_by_national_id(FREE)
    assert world["ledger"].person_by_national_id(TAKEN).person_id == world["owner"]


def test_staff_confirm_a_held_id_against_the_card_at_the_first_visit(world: dict[str, Any]) -> None:
    app, ledger = world["app"], world["ledger"]
    register(citizen(app, "0399000002"), FREE, name="Trần Văn Dò")
    claimer = register(citizen(app, "0399000003"), TAKEN, name="Kẻ Mạo Danh")
    held = [r for r in listed(ledger, limit=50) if r.claimed_national_id]
    assert sorted(r.claimed_national_id for r in held) == sorted([FREE, TAKEN])
    desk = app.test_client()
    sign_in_as(desk, "staff", site_id=str(world["site"]))
    honest = next(r for r in held if r.claimed_national_id == FREE)
    page = desk.get(f"/desk/people/{honest.person_id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert FREE in page  # staff compare the held number with the card
    confirmed = desk.post(f"/desk/people/{honest.person_id}/id-card/confirm", data={})
    assert confirmed.status_code == 302
    assert ledger.person_by_national_id(FREE).person_id == honest.person_id
    impostor = next(r for r in held if r.claimed_national_id == TAKEN)
    refused = desk.post(
        f"/desk/people/{impostor.person_id}/id-card/confirm", data={}, headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 409
    assert ledger.person_by_national_id(TAKEN).person_id == world["owner"]
    assert claimer[0] == 302


def test_registrations_are_rate_limited_per_phone(world: dict[str, Any]) -> None:
    client = citizen(world["app"], "0399000004")
    # Six different people (the same name twice the same day is one registration: test_registration_retry).
    names = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà")
    statuses = [register(client, f"00119000{n:04d}", name=f"Trần Văn {names[n]}")[0] for n in range(6)]
    assert statuses[:5] == [302] * 5
    assert statuses[5] == 429
    assert UUID(int=0) is not None


def test_the_api_confirms_a_held_id_too(world: dict[str, Any]) -> None:
    app, ledger = world["app"], world["ledger"]
    register(citizen(app, "0399000005"), FREE)
    held = next(r for r in listed(ledger, limit=50) if r.claimed_national_id == FREE)
    desk = app.test_client()
    sign_in_as(desk, "staff", site_id=str(world["site"]))
    assert desk.post(f"/api/v1/desk/people/{held.person_id}/id-card/confirm", json={}).status_code == 200
    assert ledger.person_by_national_id(FREE).person_id == held.person_id
