"""Staff find a citizen by the national ID they typed when registering online (s3 usertrial).

A self-registration holds the number without claiming it (issue 12, item 10), so the ledger's claim
index does not know it: before the declared-ID index the desk said "not found … or register new" and
steered the nurse to a duplicate. Now the desk lists the people who declared the number, marked as not
yet confirmed, and the person's page offers the confirmation against the card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from tests.e2e.web.conftest import make_app, sign_in_as
from tests.e2e.web.test_register_claims import FREE, TAKEN, citizen, register, world  # noqa: F401
from tests.people import listed

STRANGER = "001190777888"
EN = {"Accept-Language": "en"}
VI = {"Accept-Language": "vi"}


def staff(app: Flask, site: object) -> FlaskClient:
    desk = app.test_client()
    sign_in_as(desk, "staff", site_id=str(site))
    return desk


def test_staff_find_a_self_registered_person_by_the_id_they_declared(world: dict[str, Any]) -> None:  # noqa: F811
    app, ledger = world["app"], world["ledger"]
    register(citizen(app, "0399000011"), FREE, name="Trần Văn Dò")
    person = next(r for r in listed(ledger, limit=50) if r.claimed_national_id == FREE)
    desk = staff(app, world["site"])

    page = desk.post("/desk/find", data={"national_id": FREE}, headers=EN)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Trần Văn Dò" in text
    assert f"/desk/people/{person.person_id}" in text
    assert "ID declared online, not yet confirmed" in text
    vi = desk.post("/desk/find", data={"national_id": f" {FREE} "}, headers=VI).get_data(as_text=True)
    assert "tự khai khi đăng ký trực tuyến, chưa xác nhận" in vi
    assert "Chưa xác nhận" in vi

    api = desk.post("/api/v1/desk/find", json={"national_id": FREE})
    assert api.status_code == 200
    assert api.get_json()["national_id_confirmed"] is False
    assert [p["id"] for p in api.get_json()["people"]] == [str(person.person_id)]

    # The person's page offers the confirmation; once confirmed, the search goes straight to them.
    assert "Card seen: confirm the ID number" in desk.get(
        f"/desk/people/{person.person_id}", headers=EN
    ).get_data(as_text=True)
    assert desk.post(f"/desk/people/{person.person_id}/id-card/confirm", data={}).status_code == 302
    found = desk.post("/desk/find", data={"national_id": FREE})
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/desk/people/{person.person_id}")
    assert desk.post("/api/v1/desk/find", json={"national_id": FREE}).get_json() == {
        "id": str(person.person_id)
    }


def test_several_declarations_of_one_number_are_listed_and_a_confirmed_owner_wins(
    world: dict[str, Any],  # noqa: F811
) -> None:
    app = world["app"]
    register(citizen(app, "0399000012"), FREE, name="Lê Thị Một")
    register(citizen(app, "0399000013"), FREE, name="Lê Thị Hai")
    register(citizen(app, "0399000014"), TAKEN, name="Kẻ Mạo Danh")
    desk = staff(app, world["site"])
    text = desk.post("/desk/find", data={"national_id": FREE}, headers=EN).get_data(as_text=True)
    assert "Lê Thị Một" in text
    assert "Lê Thị Hai" in text
    assert "(2 people)" in text
    # A number a registered person owns (claimed at the desk) still finds its owner only.
    owned = desk.post("/desk/find", data={"national_id": TAKEN})
    assert owned.status_code == 302
    assert owned.headers["Location"].endswith(f"/desk/people/{world['owner']}")


def test_a_stranger_id_finds_nobody_and_the_number_is_not_stored_in_clear(world: dict[str, Any]) -> None:  # noqa: F811
    app = world["app"]
    register(citizen(app, "0399000015"), FREE)
    desk = staff(app, world["site"])
    missing = desk.post("/desk/find", data={"national_id": STRANGER}, headers=EN)
    assert missing.status_code == 404
    assert "not yet confirmed" not in missing.get_data(as_text=True)
    # The typed number stays in the box, and the nurse is pointed to the phone before registering anew.
    assert f'value="{STRANGER}"' in missing.get_data(as_text=True)
    assert "Find them by the phone number they used" in missing.get_data(as_text=True)
    assert desk.post("/api/v1/desk/find", json={"national_id": STRANGER}).status_code == 404

    views = app.extensions["immunize"].platform.views
    table = views.table("declared_id_index_declared_ids")
    rows = views.query(f"SELECT id_key, person_id FROM {table}")
    assert len(rows) == 1
    assert all(FREE not in str(cell) for row in rows for cell in row)
    assert len(str(rows[0][0])) == 64  # an HMAC-SHA256 handle


def test_an_erased_person_is_not_found_by_their_declared_id(world: dict[str, Any]) -> None:  # noqa: F811
    app, ledger = world["app"], world["ledger"]
    register(citizen(app, "0399000016"), FREE, name="Đỗ Văn Xoá")
    person = next(r for r in listed(ledger, limit=50) if r.claimed_national_id == FREE)
    desk = staff(app, world["site"])
    assert desk.post("/desk/find", data={"national_id": FREE}).status_code == 200
    ledger.erase_person(
        person_id=person.person_id,
        reason="asked to be forgotten",
        actor=Actor("officer", LedgerRole.ADMIN),
        idempotency_key="erase-1",
    )
    gone = desk.post("/desk/find", data={"national_id": FREE}, headers=EN)
    assert gone.status_code == 404
    assert "Đỗ Văn Xoá" not in gone.get_data(as_text=True)
    views = app.extensions["immunize"].platform.views
    assert views.query(f"SELECT person_id FROM {views.table('declared_id_index_declared_ids')}") == []


def test_a_new_web_secret_rebuilds_the_declared_id_index(tmp_path: Path) -> None:
    """Keyed like phone_index: a new secret gives new handles, the view is rebuilt from the log, and a
    handle made with the old secret finds nobody."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url, key_dir=tmp_path / "lk")
    site = ledger.register_site(
        code="VN-01-0001",
        name="Trạm Y tế Phúc Xá",
        ward_code="00001",
        capacity_per_day=300,
        actor=Actor("admin", LedgerRole.ADMIN),
        idempotency_key="site",
    )
    first = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url, WTF_CSRF_ENABLED=False)
    register(citizen(first, "0399000017"), FREE, name="Vũ Thị Khoá")
    assert staff(first, site).post("/desk/find", data={"national_id": FREE}).status_code == 200
    old_keys = first.extensions["immunize"].platform.read.keys
    assert old_keys is not None
    old_handle = old_keys.national_id(FREE)
    assert old_handle

    second = make_app(
        tmp_path,
        ledger,
        IMMUNIZE_DATABASE_URL=url,
        WTF_CSRF_ENABLED=False,
        IMMUNIZE_SECRET_KEY="another-secret-" + "y" * 40,
    )
    page = staff(second, site).post("/desk/find", data={"national_id": FREE}, headers=EN)
    assert page.status_code == 200
    assert "Vũ Thị Khoá" in page.get_data(as_text=True)
    assert second.extensions["immunize"].platform.read.people_declaring_id(old_handle) == []
