"""What staff and citizens look up comes from the projections' views (services.read_side): sites and
lots, the people directory, the phone index keyed with the web's secret, UCI -> person.

The proofs change a view's row behind the app's back and see the page follow the view; the phone
index survives a restart, follows corrections and erasure, and is rebuilt when the web secret changes.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.phone import normalise_phone
from ledger.values import Actor, Role
from services import citizen
from services.demo_population import seed_demo
from services.people import FamilyMember
from tests.e2e.web.conftest import make_app
from tests.people import listed
from web.roles import Role as WebRole

SYSTEM = Actor("read-side-test", Role.SYSTEM)
PASSWORD = "correct horse battery"


def family_of(app: Flask, phone: str) -> list[FamilyMember]:
    """The people a phone signs in for, as the citizen pages list them (services.citizen.family)."""
    return citizen.family(app.extensions["immunize"].backend, phone)


def staff_client(app: Flask, site_id: str) -> FlaskClient:
    app.extensions["immunize"].accounts.add_staff("nurse.hoa", PASSWORD, WebRole.STAFF, site_id=site_id)
    client = app.test_client()
    response = client.post("/signin/staff", data={"username": "nurse.hoa", "password": PASSWORD})
    assert response.status_code == 302
    return client


def view_table(app: Flask, name: str) -> str:
    return str(app.extensions["immunize"].platform.views.table(name))


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Ledger, Path]:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    seed_demo(ledger, people=40, seed=8)
    return ledger, tmp_path


def test_the_phone_index_survives_a_restart_follows_corrections_and_a_new_secret(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url, key_dir=tmp_path / "lk")
    seed_demo(ledger, people=30, seed=6)
    holder = next(r for r in listed(ledger) if r.phone and not r.guardian_id)
    assert holder.phone is not None
    first = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url)
    assert str(holder.person_id) in [p.id for p in family_of(first, holder.phone)]
    views = first.extensions["immunize"].platform.views
    phones = views.query(f"SELECT phone_key, person_id FROM {view_table(first, 'phone_index_phones')}")
    assert phones
    assert all(holder.phone not in str(row) for row in phones)
    old_handle = first.extensions["immunize"].accounts.key_for("phone", normalise_phone(holder.phone))
    assert (old_handle, str(holder.person_id)) in phones

    # a restarted app reads on from the view's stored position and sees the correction
    ledger.correct_phone(
        person_id=holder.person_id, phone="0355123123", reason="new SIM", actor=SYSTEM, idempotency_key="rs-1"
    )
    second = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url)
    assert [p.id for p in family_of(second, "0355123123")][:1] == [str(holder.person_id)]
    assert str(holder.person_id) not in [p.id for p in family_of(second, holder.phone)]

    # a new secret: every handle changes, so the view is rebuilt from the log and old handles find nobody
    third = make_app(
        tmp_path, ledger, IMMUNIZE_DATABASE_URL=url, IMMUNIZE_SECRET_KEY="another-secret-" + "y" * 40
    )
    assert [p.id for p in family_of(third, "0355123123")][:1] == [str(holder.person_id)]
    read = third.extensions["immunize"].platform.read
    stale = second.extensions["immunize"].accounts.key_for("phone", "0355123123")
    assert read.people_with_phone(stale) == []

    # erasure takes the person out of the phone index
    ledger.erase_person(person_id=holder.person_id, reason="request", actor=SYSTEM, idempotency_key="rs-2")
    assert family_of(third, "0355123123") == []


def test_the_desk_reads_its_site_and_lot_picker_from_the_sites_and_lots_view(
    seeded: tuple[Ledger, Path],
) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    read = app.extensions["immunize"].platform.read
    read.refresh()
    site = read.sites()[0]
    lot = ledger.receive_lot(
        product="EU/1/20/1528",
        lot_number="RS-LOT-1",
        expiry=ledger.today() + timedelta(days=90),
        site_id=UUID(site.id),
        quantity=100,
        actor=SYSTEM,
        idempotency_key="rs-lot",
    )
    client = staff_client(app, site.id)
    person = next(r for r in listed(ledger) if r.national_id and not r.erased)
    page = client.get(f"/desk/people/{person.person_id}").get_data(as_text=True)
    assert "RS-LOT-1" in page
    assert str(lot) in page

    views = app.extensions["immunize"].platform.views
    views.execute(
        f"UPDATE {view_table(app, 'sites_and_lots_sites')} SET name = ? WHERE site_id = ?",
        ("Điểm tiêm X", site.id),
    )
    views.execute(
        f"UPDATE {view_table(app, 'sites_and_lots_lots')} SET lot_number = ? WHERE lot_id = ?",
        ("RS-VIEW", str(lot)),
    )
    assert "Điểm tiêm X" in client.get("/desk/").get_data(as_text=True)
    page = client.get(f"/desk/people/{person.person_id}").get_data(as_text=True)
    assert "RS-VIEW" in page
    assert "RS-LOT-1" not in page


def test_the_province_page_lists_the_sites_of_the_view(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    read = app.extensions["immunize"].platform.read
    read.refresh()
    site = read.sites()[0]
    app.extensions["immunize"].accounts.add_staff(
        "officer.binh", PASSWORD, WebRole.PROVINCE, province_code=site.province_code
    )
    client = app.test_client()
    assert (
        client.post("/signin/staff", data={"username": "officer.binh", "password": PASSWORD}).status_code
        == 302
    )
    app.extensions["immunize"].platform.views.execute(
        f"UPDATE {view_table(app, 'sites_and_lots_sites')} SET name = ? WHERE site_id = ?",
        ("Trạm Từ Bảng", site.id),
    )
    data = client.get("/api/v1/province").get_json()
    assert "Trạm Từ Bảng" in [s["name"] for s in data["sites"]]
    assert {s["code"] for s in data["sites"]} == {s.code for s in read.sites(province=site.province_code)}


def test_staff_find_a_family_by_phone_from_the_phone_index_and_the_people_directory(
    seeded: tuple[Ledger, Path],
) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    read = app.extensions["immunize"].platform.read
    read.refresh()
    client = staff_client(app, read.sites()[0].id)
    people = listed(ledger)
    holder = next(r for r in people if r.phone and not r.guardian_id and ledger.dependants(r.person_id))
    assert holder.phone is not None
    dependants = [d for d in people if d.guardian_id == holder.person_id]
    assert dependants

    # typed as people say it: the one normaliser makes it the same number
    spoken = "+84 " + holder.phone[1:4] + " " + holder.phone[4:]
    page = client.post("/desk/find", data={"phone": spoken})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for person in [holder, *dependants]:
        assert f"/desk/people/{person.person_id}" in html
        assert person.full_name in html
    assert holder.phone not in html  # the number itself is not echoed back

    nobody = client.post("/desk/find", data={"phone": "0399999999"}, headers={"Accept-Language": "en"})
    assert nobody.status_code == 404
    assert "No one is registered with that phone number" in nobody.get_data(as_text=True)

    # the view is the source: take the holder's handle out of it and the desk finds nobody
    app.extensions["immunize"].platform.views.execute(
        f"DELETE FROM {view_table(app, 'phone_index_phones')} WHERE person_id = ?", (str(holder.person_id),)
    )
    assert client.post("/desk/find", data={"phone": holder.phone}).status_code == 404


def test_a_holder_without_dependants_is_opened_directly(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    read = app.extensions["immunize"].platform.read
    read.refresh()
    client = staff_client(app, read.sites()[0].id)
    person = ledger.register_person(
        national_id="079300000123",
        full_name="Võ Thị Một Mình",
        date_of_birth="1990-02-03",
        sex="female",
        phone="0377111222",
        ward_code="26734",
        priority_group="HEALTH_WORKER",
        actor=SYSTEM,
        idempotency_key="rs-alone",
    )
    response = client.post("/desk/find", data={"phone": "0377 111 222"})  # registered a moment ago
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/desk/people/{person}")


def test_a_staff_page_refreshes_the_views_at_most_once(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    read = app.extensions["immunize"].platform.read
    read.refresh()
    client = staff_client(app, read.sites()[0].id)
    person = next(r for r in listed(ledger) if r.national_id and not r.erased)
    client.get(f"/desk/people/{person.person_id}")
    before = read.refreshes
    assert client.get(f"/desk/people/{person.person_id}").status_code == 200
    assert read.refreshes == before  # nothing new in the log: no view is touched

    ledger.correct_name(
        person_id=person.person_id,
        full_name="Đỗ Văn Sửa",
        reason="typo",
        actor=SYSTEM,
        idempotency_key="rs-n",
    )
    page = client.get(f"/desk/people/{person.person_id}")
    assert page.status_code == 200
    assert "Đỗ Văn Sửa" in page.get_data(as_text=True)
    assert read.refreshes == before + 1  # the site, the lots and the names: one catch-up for the page


def test_the_health_book_pages_read_the_views_caught_up_to_the_write_just_made(
    seeded: tuple[Ledger, Path],
) -> None:
    """A dose recorded at the desk is on the next page at once (the views are caught up to the head
    before reading), and what the page lists is the health_book view's, not the aggregate's."""
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    read = app.extensions["immunize"].platform.read
    read.refresh()
    site = read.sites()[0]
    lot = ledger.receive_lot(
        product="EU/1/20/1528",
        lot_number="RS-BOOK-1",
        expiry=ledger.today() + timedelta(days=90),
        site_id=UUID(site.id),
        quantity=100,
        actor=SYSTEM,
        idempotency_key="rs-book-lot",
    )
    client = staff_client(app, site.id)
    person = next(r for r in listed(ledger) if r.national_id and not r.doses and not r.erased)
    today = app.extensions["immunize"].clock().date().isoformat()
    recorded = client.post(
        f"/desk/people/{person.person_id}/doses",
        data={"lot_id": str(lot), "dose_number": "1", "given_on": today, "idempotency_key": "rs-book-1"},
    )
    assert recorded.status_code == 302

    book = client.get(f"/api/v1/desk/people/{person.person_id}").get_json()
    assert [(d["dose_number"], d["lot_number"], d["lot_id"]) for d in book["doses"]] == [
        (1, "RS-BOOK-1", str(lot))
    ]
    assert book["status"] == "yellow"

    # the view is the source: its row, changed behind the app's back, is what the pages show
    views = app.extensions["immunize"].platform.views
    views.execute(
        f"UPDATE {view_table(app, 'health_book_doses')} SET lot_number = ? WHERE person_id = ?",
        ("RS-FROM-VIEW", str(person.person_id)),
    )
    assert [
        d["lot_number"] for d in client.get(f"/api/v1/desk/people/{person.person_id}").get_json()["doses"]
    ] == ["RS-FROM-VIEW"]
    assert "RS-FROM-VIEW" in client.get(f"/desk/people/{person.person_id}").get_data(as_text=True)
    assert [d.lot_number for d in ledger.person_record(person.person_id).doses] == ["RS-BOOK-1"]
