"""Reads on a followed read side (IMMUNIZE_VIEWS_FOLLOWED, services.read_side): a follower process keeps
the views at the head, so a signed-in read does no catch-up; the caller's own writes are shown at once
(read-your-writes, web.read_your_writes); a phone registered a moment ago still signs in.

No follower runs here: the tests play it by catching the views up themselves (`follow`), so that what
a page shows is exactly what the views hold, and a catch-up inside a request is seen in `refreshes`.
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
from ledger.values import Actor, Role
from projections.registry import catch_up_views
from services.demo_population import seed_demo
from services.read_side import ReadSide
from tests.e2e.web.conftest import make_app
from tests.people import listed
from web.roles import Role as WebRole

SYSTEM = Actor("followed-reads-test", Role.SYSTEM)
PASSWORD = "correct horse battery"


def follow(read: ReadSide) -> None:
    """What the follower process does: every read view (keyed ones too) to the head."""
    catch_up_views(read.ledger, read.views, read.names, keys=read.keys)


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url, key_dir=tmp_path / "lk")
    seed_demo(ledger, people=30, seed=11)
    app = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url, VIEWS_FOLLOWED=True)
    read = app.extensions["immunize"].platform.read
    assert read.followed
    follow(read)
    site = read.sites()[0]
    lot = ledger.receive_lot(
        product="EU/1/20/1528",
        lot_number="FOLLOWED-1",
        expiry=ledger.today() + timedelta(days=90),
        site_id=UUID(site.id),
        quantity=100,
        actor=SYSTEM,
        idempotency_key="followed-lot",
    )
    follow(read)
    return {"app": app, "ledger": ledger, "read": read, "site": site.id, "lot": str(lot)}


def staff_api(app: Flask, site_id: str, username: str = "nurse.lan") -> tuple[FlaskClient, dict[str, str]]:
    app.extensions["immunize"].accounts.add_staff(username, PASSWORD, WebRole.STAFF, site_id=site_id)
    client = app.test_client()
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    signed = client.post(
        "/api/v1/auth/staff",
        json={"username": username, "password": PASSWORD},
        headers={"X-CSRFToken": token},
    )
    assert signed.status_code == 200
    return client, {"X-CSRFToken": signed.get_json()["csrf_token"]}


def without_doses(ledger: Ledger, count: int) -> list[UUID]:
    people = [
        r.person_id for r in listed(ledger, limit=100) if r.national_id and not r.doses and not r.erased
    ]
    assert len(people) >= count
    return people[:count]


def record(
    client: FlaskClient, headers: dict[str, str], person: UUID, lot: str, today: str, key: str
) -> None:
    answer = client.post(
        f"/api/v1/desk/people/{person}/doses",
        json={"lot_id": lot, "dose_number": "1", "given_on": today, "idempotency_key": key},
        headers=headers,
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)


def lots_of(client: FlaskClient, person: UUID) -> list[str]:
    answer = client.get(f"/api/v1/desk/people/{person}")
    assert answer.status_code == 200
    return [d["lot_number"] for d in answer.get_json()["doses"]]


def test_a_read_shows_the_views_as_the_follower_left_them_and_catches_nothing_up(
    world: dict[str, Any],
) -> None:
    app, ledger, read = world["app"], world["ledger"], world["read"]
    client, _ = staff_api(app, world["site"])
    [person] = without_doses(ledger, 1)
    ledger.record_dose(  # written by someone else (another worker, the CLI): not this session's write
        person_id=person,
        dose_number=1,
        product="EU/1/20/1528",
        lot_id=UUID(world["lot"]),
        administered_on=ledger.today(),
        site_id=UUID(world["site"]),
        actor=Actor("nurse-elsewhere", Role.VACCINATOR, site_id=UUID(world["site"])),
        idempotency_key="followed-elsewhere",
    )
    before = read.refreshes
    assert lots_of(client, person) == []  # the follower has not applied it yet: the page says so
    assert client.get("/api/v1/desk/lots").status_code == 200
    assert read.refreshes == before  # no catch-up inside either request

    follow(read)
    assert lots_of(client, person) == ["FOLLOWED-1"]
    assert read.refreshes == before


def test_the_callers_own_dose_is_on_the_next_page_and_other_pages_cost_no_catch_up(
    world: dict[str, Any],
) -> None:
    app, ledger, read = world["app"], world["ledger"], world["read"]
    client, headers = staff_api(app, world["site"])
    mine, other = without_doses(ledger, 2)
    today = app.extensions["immunize"].clock().date().isoformat()
    record(client, headers, mine, world["lot"], today, "followed-mine")

    before = read.refreshes
    assert lots_of(client, other) == []  # another person's page: nothing of ours to wait for
    assert read.refreshes == before
    assert lots_of(client, mine) == ["FOLLOWED-1"]  # our own dose, though no follower ran
    assert read.refreshes == before + 1
    assert lots_of(client, mine) == ["FOLLOWED-1"]
    assert read.refreshes == before + 1  # seen once: the next read needs nothing

    # Another nurse's session wrote nothing: it sees the follower's position, at no catch-up.
    record(client, headers, other, world["lot"], today, "followed-other")
    second, _ = staff_api(app, world["site"], "nurse.mai")
    before = read.refreshes
    assert lots_of(second, other) == []
    assert read.refreshes == before
    follow(read)  # the follower got there first: the nurse who recorded it needs no catch-up either
    assert lots_of(client, other) == ["FOLLOWED-1"]
    assert read.refreshes == before


def test_a_phone_registered_a_moment_ago_signs_in_and_strangers_are_not_found(world: dict[str, Any]) -> None:
    app, ledger = world["app"], world["ledger"]
    person = ledger.register_person(
        national_id="001190123456",
        full_name="Trần Thị Mới",
        date_of_birth="1990-04-05",
        sex="female",
        phone="0366 555 444",
        ward_code="00001",
        priority_group="OTHER",
        actor=SYSTEM,
        idempotency_key="followed-new",
    )
    client = app.test_client()
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    sent = client.post("/api/v1/auth/otp", json={"phone": "0366555444"}, headers={"X-CSRFToken": token})
    assert sent.status_code == 200
    text = app.extensions["immunize"].sender.messages[-1].text
    code = next(w.rstrip(".") for w in text.split() if w.rstrip(".").isdigit() and len(w.rstrip(".")) == 6)
    signed = client.post("/api/v1/auth/otp/verify", json={"code": code}, headers={"X-CSRFToken": token})
    assert signed.status_code == 200
    assert client.get(f"/api/v1/me/people/{person}").status_code == 200
    stranger = next(r.person_id for r in listed(ledger, limit=100) if r.person_id != person and not r.erased)
    refused = client.get(f"/api/v1/me/people/{stranger}")
    assert refused.status_code == 404
    assert client.get(f"/api/v1/me/people/{stranger}/certificate").status_code == 404
