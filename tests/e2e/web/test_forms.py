"""Forms a person fills in: every registration form works, errors keep what was typed, success is confirmed."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.domainmodel import Person
from services import desk
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, person_holding, sign_in_as
from tests.e2e.web.test_staff import a_site_with_lots

# Phường Phúc Xá (00001), Quận Ba Đình (001), Thành phố Hà Nội (01)
PLACE = {"province_code": "01", "district_code": "001", "ward_code": "00001"}
PERSON = {
    "full_name": "Phạm Thị Hồng",
    "date_of_birth": "03/02/1990",
    "sex": "female",
    "priority_group": "HEALTH_WORKER",
    **PLACE,
}


@pytest.fixture  # per test, not per module: tests write to it
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ledger, Path]:
    base = tmp_path_factory.mktemp("forms")
    ledger = Ledger("memory://", key_dir=base / "lk")
    seed_demo(ledger, people=12, seed=3)
    return ledger, base


@pytest.fixture
def app(seeded: tuple[Ledger, Path]) -> Flask:
    ledger, base = seeded
    return make_app(base, ledger, WTF_CSRF_ENABLED=False)


def citizen(app: Flask, phone: str) -> FlaskClient:
    client = app.test_client()
    sign_in_as(client, "citizen", phone=phone)
    return client


def page(response: Any) -> str:
    text: str = response.get_data(as_text=True)
    return text


def test_a_citizen_registers_with_a_priority_group_code_and_an_address_from_the_lists(
    app: Flask, seeded: tuple[Ledger, Path]
) -> None:
    ledger, _ = seeded
    client = citizen(app, "0399000111")
    response = client.post("/me/register", data={**PERSON, "national_id": "001190000111"})
    assert response.status_code == 302, page(response)
    record = person_holding(ledger, "001190000111")
    assert record.priority_group == "HEALTH_WORKER"
    assert record.ward_code == "00001"
    assert record.date_of_birth == "1990-02-03"  # typed dd/mm/yyyy, stored ISO
    home = page(client.get("/me/"))
    assert "Đã đăng ký Phạm Thị Hồng. Sổ sức khỏe đã sẵn sàng." in home
    assert "03/02/1990" in home
    assert "Đã đăng ký" not in page(client.get("/me/"))  # a confirmation is shown once


def test_a_citizen_adds_a_dependant_with_a_relationship(app: Flask, seeded: tuple[Ledger, Path]) -> None:
    ledger, _ = seeded
    client = citizen(app, "0399000222")
    assert client.post("/me/register", data={**PERSON, "national_id": "001190000222"}).status_code == 302
    form = page(client.get("/me/dependants/new"))
    assert 'name="relationship"' in form
    assert "Ông/bà" in form
    response = client.post(
        "/me/dependants/new",
        data={
            **PERSON,
            "full_name": "Phạm Văn Ông",
            "date_of_birth": "1950",
            "sex": "male",
            "relationship": "grandparent",
            "priority_group": "CHRONIC_DISEASE_OR_OVER_65",
        },
    )
    assert response.status_code == 302, page(response)
    guardian = person_holding(ledger, "001190000222")
    added = [e for e in ledger.events.get(guardian.person_id) if isinstance(e, Person.DependantAdded)]
    assert [e.relationship for e in added] == ["grandparent"]
    dependant = ledger.person_record(added[0].dependant_id)
    assert (dependant.date_of_birth, dependant.priority_group) == ("1950", "CHRONIC_DISEASE_OR_OVER_65")
    assert "Đã thêm Phạm Văn Ông vào gia đình của bạn." in page(client.get("/me/"))


def test_staff_register_a_walk_in_and_record_a_dose_with_a_confirmation(
    app: Flask, seeded: tuple[Ledger, Path]
) -> None:
    ledger, _ = seeded
    site = a_site_with_lots(app)
    client = app.test_client()
    sign_in_as(client, "staff", site_id=site.id)
    response = client.post(
        "/desk/register",
        data={**PERSON, "full_name": "Đỗ Văn Khách", "national_id": "001190000333", "phone": ""},
    )
    assert response.status_code == 302, page(response)
    person_url = response.headers["Location"]
    assert "Đã đăng ký Đỗ Văn Khách. Có thể ghi nhận mũi tiêm." in page(client.get(person_url))
    lots = desk.site_lots(app.extensions["immunize"].backend, UUID(site.id), today=ledger.today())
    fresh = next(lot for lot in lots if "FRESH-1" in lot.label)
    today = ledger.today().strftime("%d/%m/%Y")
    recorded = client.post(
        person_url + "/doses", data={"lot_id": fresh.id, "dose_number": "1", "given_on": today}
    )
    assert recorded.status_code == 302, page(recorded)
    assert "Đã ghi nhận mũi 1 cho Đỗ Văn Khách." in page(client.get(person_url))
    person = ledger.person_by_national_id("001190000333")
    assert [d.administered_on for d in ledger.person_record(person.person_id).doses] == [ledger.today()]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ward_code": ""}, "Chưa chọn «Phường/xã». Hãy chọn trong danh sách."),
        ({"district_code": "", "ward_code": ""}, "Chưa chọn «Quận/huyện». Hãy chọn trong danh sách."),
        ({"date_of_birth": "31/02/1990"}, "Ngày sinh không hợp lệ."),
        ({"full_name": ""}, "Chưa điền «Họ và tên»."),
    ],
)
def test_an_error_names_the_field_as_labelled_and_keeps_what_was_typed(
    app: Flask, change: dict[str, str], message: str
) -> None:
    client = citizen(app, "0399000444")
    typed = {**PERSON, "national_id": "001190000444", **change}
    response = client.post("/me/register", data=typed)
    text = page(response)
    assert message in text
    for internal in ("ward_code", "district_code", "date_of_birth", "full_name", "priority_group"):
        assert f"«{internal}»" not in text
        assert f"mục {internal}" not in text
    if typed["full_name"]:
        assert 'value="Phạm Thị Hồng"' in text
    assert 'value="001190000444"' in text
    assert '<option value="HEALTH_WORKER" selected>' in text
    assert '<option value="01" selected>Hà Nội</option>' in text
    if typed["district_code"]:  # the server fills the next list, so the form works without script
        assert '<option value="001" selected>Ba Đình</option>' in text
        assert "Phường Phúc Xá" in text


def test_the_address_lists_come_from_the_reference_data(app: Flask) -> None:
    body = app.test_client().get("/places/01.json").get_json()
    assert body["name"] == "Hà Nội"
    ba_dinh = next(d for d in body["districts"] if d["code"] == "001")
    assert {"code": "00001", "name": "Phường Phúc Xá"} in ba_dinh["wards"]
    assert len(body["districts"]) == 30  # Hà Nội's 30 districts (GSO list)
    assert app.test_client().get("/places/99.json").status_code == 404


def test_a_declaration_must_say_something_and_is_shown_in_the_book_and_at_the_desk(
    app: Flask, seeded: tuple[Ledger, Path]
) -> None:
    ledger, _ = seeded
    site = a_site_with_lots(app)
    client = citizen(app, "0399000555")
    assert client.post("/me/register", data={**PERSON, "national_id": "001190000555"}).status_code == 302
    person_id = str(person_holding(ledger, "001190000555").person_id)
    url = f"/me/people/{person_id}/declaration"
    empty = page(client.post(url, data={"symptoms": "", "travel": ""}))
    assert "Hãy ghi triệu chứng, hoặc đánh dấu «Không có triệu chứng»." in empty
    kept = page(client.post(url, data={"symptoms": "", "travel": "Huế", "exposure": "yes"}))
    assert 'value="Huế"' in kept
    assert 'name="exposure" value="yes" checked' in kept
    sent = client.post(url, data={"symptoms": "Ho khan", "travel": "", "no_travel": "yes", "exposure": "yes"})
    assert sent.status_code == 302
    book = page(client.get(f"/me/people/{person_id}"))
    assert "Đã nhận khai báo y tế của Phạm Thị Hồng." in book
    assert "Ho khan" in book
    assert "không đi đâu" in book
    assert "có tiếp xúc F0" in book
    desk = app.test_client()
    sign_in_as(desk, "staff", site_id=site.id)
    at_desk = page(desk.get(f"/desk/people/{person_id}"))
    assert "Khai báo y tế" in at_desk
    assert "Ho khan" in at_desk


def test_a_declaration_goes_to_the_site_the_person_is_booked_at(tmp_path: Path) -> None:
    from ledger.values import Actor
    from ledger.values import Role as LedgerRole
    from tests.e2e.web.test_campaign import setup

    client, service, site_id, _lot = setup(tmp_path)
    planned = service.plan_day(site_id, service.ledger.today(), actor=Actor("t", LedgerRole.SYSTEM))
    person_id = planned.sessions[0]["appointments"][0]["person_id"]
    service.ledger.declare_health(
        person_id=UUID(person_id),
        symptoms="Sốt nhẹ hôm qua",
        exposure="",
        travel="",
        actor=Actor("t", LedgerRole.SYSTEM),
        idempotency_key="declared",
    )
    sign_in_as(client, "staff", site_id=site_id)
    booked_here = page(client.get(f"/desk/people/{person_id}"))
    assert "Sốt nhẹ hôm qua" in booked_here
    sign_in_as(client, "staff", site_id=str(UUID(int=5)))
    elsewhere = page(client.get(f"/desk/people/{person_id}"))
    assert "Sốt nhẹ hôm qua" not in elsewhere
    assert "khai báo y tế được gửi đến điểm tiêm đó" in elsewhere


def test_the_desk_title_is_plain_text(app: Flask) -> None:
    import re

    site = a_site_with_lots(app)
    client = app.test_client()
    sign_in_as(client, "staff", site_id=site.id)
    title = re.search(r"<title>(.*?)</title>", page(client.get("/desk/")), re.S)
    assert title is not None
    assert title.group(1) == "Bàn tiêm · Tiêm chủng COVID-19"
