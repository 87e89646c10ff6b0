"""The desk's "register a new person" (page and API) against the national IDs citizens declared online,
and against a resent form (s3 deskdup).

1. A self-registration holds its number without claiming it (issue 12, item 10). Before this guard a
   nurse who registered the same citizen again at the desk made a second person who claimed the number,
   and the online person's number could then never be confirmed (409). Now the desk refuses, writing
   nothing, and points to the search and the confirmation.
2. The desk's idempotency key is derived from the request (services.desk.desk_registration_key): a
   resent form gets the first answer, the same person, not "already registered".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services import desk
from services.desk import StaffMember
from services.people import PersonForm
from tests.e2e.web.conftest import sign_in_as
from tests.e2e.web.test_register_claims import FREE, TAKEN, citizen, register, world  # noqa: F401
from tests.people import listed

EN = {"Accept-Language": "en"}
VI = {"Accept-Language": "vi"}
WALK_IN = "001190222333"


def staff(app: Flask, site: object) -> FlaskClient:
    client = app.test_client()
    sign_in_as(client, "staff", site_id=str(site))
    return client


def form(national_id: str, name: str = "Trần Văn Dò", ward: str = "00001") -> dict[str, str]:
    return {
        "full_name": name,
        "date_of_birth": "1991-05-06",
        "sex": "male",
        "national_id": national_id,
        "ward_code": ward,
        "priority_group": "",
        "phone": "",
    }


def holders(ledger: Any, number: str) -> list[Any]:
    return [r for r in listed(ledger, limit=100) if r.claimed_national_id == number]


def test_the_desk_refuses_to_register_again_an_id_declared_online(world: dict[str, Any]) -> None:  # noqa: F811
    app, ledger = world["app"], world["ledger"]
    register(citizen(app, "0399000021"), FREE, name="Trần Văn Dò")
    (online,) = holders(ledger, FREE)
    nurse = staff(app, world["site"])
    head = ledger.recorder.max_notification_id()

    page = nurse.post("/desk/register", data=form(f" {FREE} ", name="Tran Van Do"), headers=EN)
    text = page.get_data(as_text=True)
    assert page.status_code == 409
    assert "Someone registered online with this ID number" in text
    assert 'id="national_id-error"' in text  # beside the ID field, not at the top
    assert 'aria-invalid="true"' in text
    assert 'value="Tran Van Do"' in text  # the form is kept as typed
    assert f'value=" {FREE} "' in text
    vi = nurse.post("/desk/register", data=form(FREE), headers=VI).get_data(as_text=True)
    assert "Đã có người tự đăng ký trực tuyến với số giấy tờ này" in vi

    api = nurse.post("/api/v1/desk/people", json=form(FREE))
    assert api.status_code == 409
    assert api.get_json()["error"] == "national_id_declared_online"
    assert ledger.recorder.max_notification_id() == head  # nothing written
    assert [r.person_id for r in holders(ledger, FREE)] == [online.person_id]

    # The way the message points to: find, confirm; the number is then the online person's.
    assert nurse.post(f"/desk/people/{online.person_id}/id-card/confirm", data={}).status_code == 302
    assert ledger.person_by_national_id(FREE).person_id == online.person_id
    # Once confirmed, registering the number again is the ledger's plain duplicate, not this message.
    again = nurse.post("/api/v1/desk/people", json=form(FREE))
    assert again.status_code != 200
    assert again.get_json()["error"] != "national_id_declared_online"


def test_numbers_no_one_declared_or_declared_by_an_erased_person_register_as_before(
    world: dict[str, Any],  # noqa: F811
) -> None:
    app, ledger = world["app"], world["ledger"]
    nurse = staff(app, world["site"])
    fresh = nurse.post("/api/v1/desk/people", json=form(WALK_IN, name="Ngô Văn Mới"))
    assert fresh.status_code == 200
    assert ledger.person_by_national_id(WALK_IN).person_id.hex == fresh.get_json()["id"].replace("-", "")

    register(citizen(app, "0399000022"), FREE, name="Đỗ Văn Xoá")
    (online,) = holders(ledger, FREE)
    ledger.erase_person(
        person_id=online.person_id,
        reason="asked to be forgotten",
        actor=Actor("officer", LedgerRole.ADMIN),
        idempotency_key="erase-1",
    )
    page = nurse.post("/desk/register", data=form(FREE, name="Đỗ Văn Mới"))
    assert page.status_code == 302
    assert ledger.person_by_national_id(FREE).person_id != online.person_id


def test_a_resent_desk_registration_gives_the_same_person(world: dict[str, Any]) -> None:  # noqa: F811
    app, ledger = world["app"], world["ledger"]
    nurse = staff(app, world["site"])

    first = nurse.post("/desk/register", data=form(WALK_IN, name="Ngô Văn Hai"))
    assert first.status_code == 302
    head = ledger.recorder.max_notification_id()
    resent = nurse.post("/desk/register", data=form(WALK_IN, name="Ngô Văn Hai"))
    assert resent.status_code == 302
    assert resent.headers["Location"] == first.headers["Location"]
    assert ledger.recorder.max_notification_id() == head  # the resend wrote nothing

    api_first = nurse.post("/api/v1/desk/people", json=form("001190444555", name="Lý Thị Ba"))
    api_again = nurse.post("/api/v1/desk/people", json=form("001190444555", name="Lý Thị Ba"))
    assert api_first.status_code == api_again.status_code == 200
    assert api_first.get_json() == api_again.get_json()

    # Sent again with another detail: one person still, and a sentence for the desk (not "reload").
    changed = nurse.post("/api/v1/desk/people", json=form("001190444555", name="Lý Thị Ba", ward="00004"))
    assert changed.status_code == 409
    assert changed.get_json()["error"] == "already_registered_at_desk"
    assert str(ledger.person_by_national_id("001190444555").person_id) == api_first.get_json()["id"]
    assert sum(r.full_name == "Lý Thị Ba" for r in listed(ledger, limit=100)) == 1
    assert sum(r.full_name == "Ngô Văn Hai" for r in listed(ledger, limit=100)) == 1


def test_the_desk_key_follows_the_request_and_shows_nothing_in_clear(world: dict[str, Any]) -> None:  # noqa: F811
    ledger, site = world["ledger"], world["site"]
    lan, mai = StaffMember("nurse.lan", site), StaffMember("nurse.mai", site)
    base = PersonForm(
        full_name="Trần Văn Dò", date_of_birth="1991-05-06", sex="male", ward_code="00001", national_id=TAKEN
    )
    key = desk.desk_registration_key(ledger, lan, base)
    assert key == desk.desk_registration_key(ledger, lan, base)
    assert key == desk.desk_registration_key(
        ledger, lan, replace(base, full_name="trần  văn dò", ward_code="00004")
    )
    assert key != desk.desk_registration_key(ledger, mai, base)
    assert key != desk.desk_registration_key(ledger, lan, replace(base, national_id=FREE))
    assert key != desk.desk_registration_key(ledger, lan, replace(base, date_of_birth="1991-05-07"))
    for clear in (TAKEN, "1991-05-06", "Trần", "nurse.lan"):
        assert clear not in key
