"""A registration sent again (a double tap on the form, a browser resend, an API client's retry) gives one
person: the idempotency key is derived from the request (who registers, the name, the date of birth,
Viet Nam's day), never drawn at random (services.citizen.registration_key)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.values import Actor, Role
from services import citizen
from services.people import PersonForm
from tests.e2e.web.conftest import make_app
from tests.e2e.web.test_citizen import sign_in_with_code
from tests.people import listed

ADMIN = Actor("registration-test", Role.ADMIN)
NOW = datetime(2021, 10, 1, 3, 0, tzinfo=UTC)
SELF = {
    "full_name": "Trần Văn Dò",
    "date_of_birth": "1991-05-06",
    "sex": "male",
    "national_id": "001091654321",
    "ward_code": "00001",
    "priority_group": "",
}
CHILD = {"full_name": "Trần Bảo Ngọc", "date_of_birth": "2015-04-03", "sex": "female", "ward_code": "00001"}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def app_on_sqlite(tmp_path: Path, clock: Callable[[], datetime]) -> tuple[Ledger, Flask]:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}", key_dir=tmp_path / "lk", clock=clock)
    return ledger, make_app(tmp_path, ledger, CLOCK=clock, WTF_CSRF_ENABLED=False)


def people(ledger: Ledger) -> list[str | None]:
    return sorted(r.full_name for r in listed(ledger, limit=100))


def signed_in(app: Flask, phone: str) -> FlaskClient:
    client = app.test_client()
    sign_in_with_code(client, app, phone)
    return client


def test_the_registration_form_sent_twice_gives_one_person(tmp_path: Path) -> None:
    ledger, app = app_on_sqlite(tmp_path, Clock())
    client = signed_in(app, "0399000010")
    first = client.post("/me/register", data=SELF)
    head = ledger.recorder.max_notification_id()
    again = client.post("/me/register", data=SELF)
    assert (first.status_code, again.status_code) == (302, 302)
    assert ledger.recorder.max_notification_id() == head  # the resend wrote nothing
    assert people(ledger) == ["Trần Văn Dò"]

    # Sent again after a change (another ward, the name typed in lower case): the same person, so refused
    # in one sentence instead of a second person.
    changed = client.post(
        "/me/register",
        data={**SELF, "full_name": "trần  văn dò", "ward_code": "00004"},
        headers={"Accept-Language": "en"},
    )
    assert changed.status_code == 409
    assert "already registered from this phone today" in changed.get_data(as_text=True)
    assert people(ledger) == ["Trần Văn Dò"]
    assert ledger.recorder.max_notification_id() == head


def test_a_dependant_added_twice_on_the_page_and_the_api_is_one_dependant(tmp_path: Path) -> None:
    ledger, app = app_on_sqlite(tmp_path, Clock())
    ledger.register_person(
        national_id="001091654321", full_name="Trần Văn Dò", date_of_birth="1991-05-06", sex="male",
        phone="0399000011", ward_code="00001", priority_group="OTHER", actor=ADMIN, idempotency_key="holder",
    )  # fmt: skip
    client = signed_in(app, "0399000011")
    pages = [client.post("/me/dependants/new", data=CHILD).status_code for _ in range(2)]
    head = ledger.recorder.max_notification_id()
    api = [client.post("/api/v1/me/dependants", json=CHILD) for _ in range(2)]
    assert pages == [302, 302]
    assert [a.status_code for a in api] == [200, 200]
    assert ledger.recorder.max_notification_id() == head
    family = client.get("/api/v1/me/family").get_json()["family"]
    [child] = [p for p in family if p.get("guardian_id")]
    assert {a.get_json()["id"] for a in api} == {child["id"]}  # the API answers the first one's id

    # Another child is another dependant.
    assert client.post("/me/dependants/new", data={**CHILD, "full_name": "Trần Bảo An"}).status_code == 302
    assert people(ledger) == ["Trần Bảo An", "Trần Bảo Ngọc", "Trần Văn Dò"]


def test_the_key_is_the_registrant_the_person_and_the_day_and_shows_nothing_in_clear(tmp_path: Path) -> None:
    clock = Clock()
    ledger, _ = app_on_sqlite(tmp_path, clock)
    form = PersonForm(full_name="Trần Bảo Ngọc", date_of_birth="2015-04-03", sex="female", ward_code="00001")
    key = citizen.registration_key(ledger, "guardian:g-1", form)
    same = PersonForm(full_name=" trần bảo  ngọc ", date_of_birth="2015-04-03", sex="male", ward_code="00004")
    assert citizen.registration_key(ledger, "guardian:g-1", same) == key
    assert citizen.registration_key(ledger, "guardian:g-2", form) != key  # another guardian's child
    other_birthday = PersonForm(
        full_name="Trần Bảo Ngọc", date_of_birth="2016-04-03", sex="female", ward_code="1"
    )
    assert citizen.registration_key(ledger, "guardian:g-1", other_birthday) != key
    # Nothing but a keyed hash: no name, birth date or registrant in clear. (Not `"2015" not in key`:
    # a random master key's hex digest holds "2015" about once in a thousand runs.)
    assert re.fullmatch(r"registration-[0-9a-f]{64}", key), key
    clock.now += timedelta(days=1)  # tomorrow it is a new request
    assert citizen.registration_key(ledger, "guardian:g-1", form) != key
