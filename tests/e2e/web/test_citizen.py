"""A citizen signs in with a one-time code, sees the family's health book, adds a dependant, reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.application import Ledger
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, person_holding
from tests.people import listed
from web.outbox import MemorySender


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture  # per test, not per module: tests write to it
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ledger, Path]:
    base = tmp_path_factory.mktemp("citizen")
    ledger = Ledger("memory://", key_dir=base / "lk")
    seed_demo(ledger, people=40, seed=3)
    return ledger, base


def a_vaccinated_holder(ledger: Ledger) -> Any:
    return next(r for r in listed(ledger, limit=100) if r.phone and r.doses and not r.guardian_id)


def last_code(app: Flask) -> str:
    sender = app.extensions["immunize"].sender
    assert isinstance(sender, MemorySender)
    text = sender.messages[-1].text
    return next(
        word.rstrip(".") for word in text.split() if word.rstrip(".").isdigit() and len(word.rstrip(".")) == 6
    )


def sign_in_with_code(client: FlaskClient, app: Flask, phone: str) -> None:
    response = client.post("/signin/citizen", data={"phone": phone})
    assert response.status_code == 302
    response = client.post("/signin/citizen/code", data={"code": last_code(app)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me/")


def test_a_citizen_signs_in_with_a_code_and_sees_their_family(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    holder = a_vaccinated_holder(ledger)
    client = app.test_client()
    sign_in_with_code(client, app, holder.phone)
    page = client.get("/me/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert holder.full_name in html
    for dependant in ledger.dependants(holder.person_id):
        assert dependant.full_name in html
    # the phone number never appears whole on the page (only masked)
    assert holder.phone not in html
    book = client.get(f"/me/people/{holder.person_id}")
    assert book.status_code == 200
    assert str(len(holder.doses)) in book.get_data(as_text=True)


def test_the_code_message_is_in_the_outbox_and_the_code_is_stored_only_as_a_hash(
    seeded: tuple[Ledger, Path],
) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    client.post("/signin/citizen", data={"phone": "0912 345 678"})
    code = last_code(app)
    rows = app.extensions["immunize"].accounts.store.query("SELECT phone_key, code_hash FROM web_otp")
    assert len(rows) == 1
    assert code not in rows[0][1]
    assert "0912345678" not in rows[0][0]


def test_a_wrong_code_is_refused_and_five_wrong_codes_void_it(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    client.post("/signin/citizen", data={"phone": "0912345679"}, headers={"Accept-Language": "en"})
    code = last_code(app)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        response = client.post(
            "/signin/citizen/code", data={"code": wrong}, headers={"Accept-Language": "en"}
        )
        assert response.status_code == 400
        assert "The code is not right" in response.get_data(as_text=True)
    response = client.post("/signin/citizen/code", data={"code": wrong}, headers={"Accept-Language": "en"})
    assert "Too many wrong codes" in response.get_data(as_text=True)
    # even the right code no longer works: it was voided
    response = client.post("/signin/citizen/code", data={"code": code}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert client.get("/me/").status_code == 302


def test_an_expired_code_is_refused(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    clock = Clock()
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False, CLOCK=clock)
    client = app.test_client()
    client.post("/signin/citizen", data={"phone": "0987654321"})
    code = last_code(app)
    clock.now += timedelta(minutes=6)
    response = client.post("/signin/citizen/code", data={"code": code}, headers={"Accept-Language": "vi"})
    assert response.status_code == 400
    assert "Mã đã hết hạn" in response.get_data(as_text=True)


def test_asking_for_codes_is_rate_limited_per_phone(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    statuses = [client.post("/signin/citizen", data={"phone": "0911111111"}).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 400]
    assert len(app.extensions["immunize"].sender.messages) == 3


def test_a_citizen_cannot_open_someone_elses_health_book(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    holders = [r for r in listed(ledger, limit=100) if r.phone and not r.guardian_id]
    me, other = holders[0], next(h for h in holders if h.phone != holders[0].phone)
    client = app.test_client()
    sign_in_with_code(client, app, me.phone)
    assert client.get(f"/me/people/{other.person_id}").status_code == 404
    assert client.get(f"/api/v1/me/people/{other.person_id}").status_code == 404
    assert (
        client.post(
            f"/me/people/{other.person_id}/declaration", data={"symptoms": "", "travel": ""}
        ).status_code
        == 404
    )


def test_a_citizen_adds_a_dependant_and_reports_a_reaction(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    holder = a_vaccinated_holder(ledger)
    client = app.test_client()
    sign_in_with_code(client, app, holder.phone)
    before = len(ledger.dependants(holder.person_id))
    response = client.post(
        "/me/dependants/new",
        data={
            "full_name": "Nguyễn Thị Bé",
            "date_of_birth": "2015-06-01",
            "sex": "female",
            "ward_code": holder.ward_code,
            "priority_group": "",
        },
    )
    assert response.status_code == 302
    dependants = ledger.dependants(holder.person_id)
    assert len(dependants) == before + 1
    assert any(d.full_name == "Nguyễn Thị Bé" for d in dependants)
    dose = holder.doses[-1]
    response = client.post(
        f"/me/people/{holder.person_id}/reaction",
        data={
            "dose_id": str(dose.dose_id),
            "onset": dose.administered_on.isoformat(),
            "symptoms": "sốt nhẹ",
            "severity": "mild",
        },
    )
    assert response.status_code == 302
    assert any(r.symptoms.text == "sốt nhẹ" for r in ledger.person_record(holder.person_id).reactions)


def test_bad_input_gets_a_clear_message_in_the_users_language(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    response = client.post("/signin/citizen", data={"phone": "12"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "That phone number is not right" in response.get_data(as_text=True)
    response = client.post("/signin/citizen", data={"phone": "12"}, headers={"Accept-Language": "vi"})
    assert "Số điện thoại không đúng" in response.get_data(as_text=True)


def test_the_session_cookie_never_carries_the_phone_number_in_clear(seeded: tuple[Ledger, Path]) -> None:
    import base64
    import zlib

    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    holder = a_vaccinated_holder(ledger)
    client = app.test_client()
    sign_in_with_code(client, app, holder.phone)
    cookie = client.get_cookie("immunize_session")
    assert cookie is not None
    payload = cookie.value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(raw) if cookie.value.startswith(".") else raw).decode()
    assert "principal" in text
    assert holder.phone not in text
    assert holder.phone[1:] not in text


def test_a_new_citizen_registers_themselves_with_the_phone_they_proved(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    sign_in_with_code(client, app, "0399888777")
    assert "citizen.register" not in client.get("/me/").get_data(as_text=True)
    assert "/me/register" in client.get("/me/").get_data(as_text=True)
    response = client.post(
        "/me/register",
        data={
            "full_name": "Phạm Thị Hồng",
            "date_of_birth": "1990-02-03",
            "sex": "female",
            "national_id": "001190123456",
            "ward_code": "00001",
            "priority_group": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    record = person_holding(ledger, "001190123456")
    assert record.phone == "0399888777"
    assert "Phạm Thị Hồng" in client.get("/me/").get_data(as_text=True)
