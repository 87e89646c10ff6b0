"""Site staff sign in with a password, find a person by national ID (POST only), record a dose, correct."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services import citizen
from services.demo_population import seed_demo
from services.people import FamilyMember
from tests.e2e.web.conftest import make_app
from tests.people import listed
from web.roles import Role

PASSWORD = "correct horse battery"


def family_of(app: Flask, phone: str) -> list[FamilyMember]:
    """The people a phone signs in for, as the citizen pages list them (services.citizen.family)."""
    return citizen.family(app.extensions["immunize"].backend, phone)


@pytest.fixture  # per test, not per module: tests write to it
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ledger, Path]:
    base = tmp_path_factory.mktemp("staff")
    ledger = Ledger("memory://", key_dir=base / "lk")
    seed_demo(ledger, people=40, seed=5)
    return ledger, base


def a_site_with_lots(app: Flask) -> Any:
    """A demo site, given a fresh lot today (the demo campaign's own lots expired in 2022)."""
    read = app.extensions["immunize"].platform.read  # the sites_and_lots view
    read.refresh()
    site = read.sites()[0]  # by code
    receive_fresh_lot(app.extensions["immunize"].platform.ledger, site.id)
    read.refresh()
    return site


def receive_fresh_lot(ledger: Ledger, site_id: str) -> None:
    today = ledger.today()
    ledger.receive_lot(
        product="EU/1/20/1528",
        lot_number="FRESH-1",
        expiry=today + timedelta(days=180),
        site_id=UUID(site_id),
        quantity=500,
        actor=Actor("test-setup", LedgerRole.SYSTEM),
        idempotency_key=f"fresh-lot-{site_id}",
    )


def staff_client(app: Flask, site_id: str) -> FlaskClient:
    app.extensions["immunize"].accounts.add_staff(
        "nurse.lan", PASSWORD, Role.STAFF, site_id=site_id, replace=True
    )
    client = app.test_client()
    response = client.post("/signin/staff", data={"username": "nurse.lan", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/desk/")
    return client


def test_a_wrong_password_is_refused_and_repeated_failures_are_rate_limited(
    seeded: tuple[Ledger, Path],
) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    app.extensions["immunize"].accounts.add_staff("nurse.mai", PASSWORD, Role.STAFF, site_id="x")
    client = app.test_client()
    statuses = [
        client.post("/signin/staff", data={"username": "nurse.mai", "password": "wrong password"}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 401
    assert "Too many failed sign-ins. Wait 2 seconds" in client.post(
        "/signin/staff",
        data={"username": "nurse.mai", "password": PASSWORD},
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)


def test_passwords_are_stored_as_argon2_hashes(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger)
    app.extensions["immunize"].accounts.add_staff("nurse.hoa", PASSWORD, Role.STAFF, site_id="x")
    rows = app.extensions["immunize"].accounts.store.query("SELECT password_hash FROM web_accounts")
    assert all(row[0].startswith("$argon2id$") and PASSWORD not in row[0] for row in rows)


def test_staff_find_a_person_by_national_id_and_record_the_next_dose(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    site = a_site_with_lots(app)
    client = staff_client(app, site.id)
    person = next(r for r in listed(ledger, limit=100) if r.national_id and not r.doses)
    found = client.post("/desk/find", data={"national_id": person.national_id})
    assert found.status_code == 302
    location = found.headers["Location"]
    assert person.national_id not in location  # opaque id in the URL, never the national ID
    page = client.get(location)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    lots = app.extensions["immunize"].platform.read.lots()
    here = [lot for lot in lots if lot.site_id == site.id]
    elsewhere = [lot for lot in lots if lot.site_id != site.id]
    today_date = app.extensions["immunize"].clock().date()
    assert [lot.id for lot in here if lot.expiry >= today_date]
    assert all(lot.id in html for lot in here if lot.expiry >= today_date)
    assert not any(lot.id in html for lot in here if lot.expiry < today_date)  # expired lots are not offered
    assert not any(lot.id in html for lot in elsewhere)
    lot = next(lot for lot in here if lot.expiry >= today_date)
    today = app.extensions["immunize"].clock().date().isoformat()
    response = client.post(
        f"{location}/doses",
        data={"lot_id": lot.id, "dose_number": "1", "given_on": today, "idempotency_key": "k-1"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    doses = ledger.person_record(person.person_id).doses
    assert len(doses) == 1
    assert doses[0].lot_id.hex == lot.id.replace("-", "")
    # the same form sent twice (a retry) is one dose
    client.post(
        f"{location}/doses",
        data={"lot_id": lot.id, "dose_number": "1", "given_on": today, "idempotency_key": "k-1"},
    )
    assert len(ledger.person_record(person.person_id).doses) == 1


def test_a_lot_of_another_site_is_refused(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    site = a_site_with_lots(app)
    client = staff_client(app, site.id)
    other_lot = next(lot for lot in app.extensions["immunize"].platform.read.lots() if lot.site_id != site.id)
    person = next(r for r in listed(ledger, limit=100) if r.national_id and not r.doses)
    today = app.extensions["immunize"].clock().date().isoformat()
    response = client.post(
        f"/desk/people/{person.person_id}/doses",
        data={"lot_id": other_lot.id, "dose_number": "1", "given_on": today},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert f"Lot {other_lot.lot_number} is not held at this site" in response.get_data(as_text=True)
    assert ledger.person_record(person.person_id).doses == ()


def test_a_correction_needs_a_reason_and_is_recorded(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    site = a_site_with_lots(app)
    client = staff_client(app, site.id)
    # site-bound staff correct the identity of people their site vaccinated (issue 12); this test used to
    # lean on the dose an earlier test recorded in a shared ledger
    person = next(
        r
        for r in listed(ledger, limit=100)
        if r.national_id and any(str(dose.site_id) == site.id for dose in r.doses)
    )
    url = f"/desk/people/{person.person_id}/corrections"
    response = client.post(
        url,
        data={"field": "full_name", "value": "Trần Văn Sửa", "reason": ""},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "“Reason” is empty. Fill it in and send again." in response.get_data(as_text=True)
    response = client.post(
        url, data={"field": "full_name", "value": "Trần Văn Sửa", "reason": "typo on the form"}
    )
    assert response.status_code == 302
    assert ledger.person_record(person.person_id).full_name == "Trần Văn Sửa"


def test_the_staff_add_command_reads_the_password_from_the_environment(tmp_path: Path) -> None:
    from cli.web_commands import staff

    db = tmp_path / "ledger.db"
    env = {
        "IMMUNIZE_DATABASE_URL": f"sqlite:///{db}",
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "IMMUNIZE_STAFF_PASSWORD": PASSWORD,
        "IMMUNIZE_SECRET_KEY": "k" * 40,
    }
    runner = CliRunner()
    result = runner.invoke(staff, ["add", "nurse.binh", "--role", "staff", "--site", "site-1"], env=env)
    assert result.exit_code == 0, result.output
    listed = runner.invoke(staff, ["list"], env=env)
    assert "nurse.binh\tstaff\tsite-1" in listed.output
    assert PASSWORD not in listed.output
    refused = runner.invoke(staff, ["add", "nurse.binh", "--role", "staff", "--site", "site-1"], env=env)
    assert refused.exit_code != 0
    assert os.stat(db).st_size > 0


def test_staff_record_a_reaction_at_the_desk(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    site = a_site_with_lots(app)
    client = staff_client(app, site.id)
    person = next(r for r in listed(ledger, limit=100) if r.doses and not r.erased)
    dose = person.doses[-1]
    response = client.post(
        f"/desk/people/{person.person_id}/reactions",
        data={
            "dose_id": str(dose.dose_id),
            "onset": dose.administered_on.isoformat(),
            "symptoms": "phát ban (rash)",
            "severity": "serious",
        },
    )
    assert response.status_code == 302
    reactions = ledger.person_record(person.person_id).reactions
    assert any(r.symptoms.text == "phát ban (rash)" and r.needs_follow_up for r in reactions)
    page = client.get(f"/desk/people/{person.person_id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "phát ban (rash)" in page
    assert "Serious" in page


def test_staff_register_a_walk_in_and_the_citizen_can_then_sign_in_for_them(
    seeded: tuple[Ledger, Path],
) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    site = a_site_with_lots(app)
    client = staff_client(app, site.id)
    response = client.post(
        "/desk/register",
        data={
            "full_name": "Đỗ Văn Tới",
            "date_of_birth": "1960",
            "sex": "male",
            "national_id": "079060001234",
            "ward_code": "26734",
            "priority_group": "",
            "phone": "0377 111 222",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "079060001234" not in response.headers["Location"]
    record = ledger.person_by_national_id("079060001234")
    assert record.full_name == "Đỗ Văn Tới"
    assert record.phone == "0377111222"
    family = family_of(app, "0377111222")
    assert [p.full_name for p in family] == ["Đỗ Văn Tới"]
    again = client.post(
        "/desk/register",
        data={
            "full_name": "Đỗ Văn Tới",
            "date_of_birth": "1960",
            "sex": "male",
            "national_id": "079060001234",
            "ward_code": "26734",
            "priority_group": "",
        },
        headers={"Accept-Language": "en"},
    )
    assert again.status_code == 400
    assert "already registered" in again.get_data(as_text=True)
