"""Tried as a vaccinator would (issue 12's reproductions): each mistake gets its own sentence with the
values, in Vietnamese and English, through the real app and a real (in-memory) ledger; nothing is written.

Before the error codes every case below showed only "Không ghi nhận được: thông tin chưa đúng".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.values import Actor, Role
from tests.e2e.web.conftest import make_app, sign_in_as

ADMIN = Actor("error-messages-test", Role.ADMIN)
ASTRAZENECA = "EU/1/21/1529"
TODAY = datetime(2021, 10, 1, 3, 0, tzinfo=UTC)


class World:
    """One site with an AstraZeneca lot, another site with its own lot, and Chị Ánh (dose 1 on 02/08/2021)."""

    def __init__(self, tmp_path: Path) -> None:
        self.ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: TODAY)
        self.site = self.ledger.register_site(
            code="VN-01-0001",
            name="Trạm Y tế Phường Phúc Xá",
            ward_code="00001",
            capacity_per_day=300,
            actor=ADMIN,
            idempotency_key="site-1",
        )
        self.other_site = self.ledger.register_site(
            code="VN-79-0001",
            name="Trạm Y tế Phường Tân Định",
            ward_code="26734",
            capacity_per_day=300,
            actor=ADMIN,
            idempotency_key="site-2",
        )
        self.lot = self._lot("AZ-HN-1", self.site)
        self.other_lot = self._lot("AZ-HCM-1", self.other_site)
        self.person = self.ledger.register_person(
            national_id="001185012345",
            full_name="Nguyễn Thị Ánh",
            date_of_birth="1985-03-02",
            sex="female",
            phone="0912345678",
            ward_code="00001",
            priority_group="OTHER",
            actor=ADMIN,
            idempotency_key="person-1",
        )
        self.ledger.record_dose(
            person_id=self.person,
            dose_number=1,
            product=ASTRAZENECA,
            lot_id=self.lot,
            administered_on=date(2021, 8, 2),
            site_id=self.site,
            actor=ADMIN,
            idempotency_key="dose-1",
        )
        self.app = make_app(tmp_path, self.ledger, WTF_CSRF_ENABLED=False, CLOCK=lambda: TODAY)

    def _lot(self, number: str, site: UUID) -> UUID:
        return self.ledger.receive_lot(
            product=ASTRAZENECA,
            lot_number=number,
            expiry=date(2030, 1, 1),
            site_id=site,
            quantity=100,
            actor=ADMIN,
            idempotency_key=f"lot-{number}",
        )

    def staff(self) -> FlaskClient:
        client = self.app.test_client()
        sign_in_as(client, "staff", site_id=str(self.site))
        return client

    def events(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def page_text(client: FlaskClient, url: str, data: dict[str, str], lang: str) -> tuple[int, str]:
    response = client.post(url, data=data, headers={"Accept-Language": lang})
    return response.status_code, response.get_data(as_text=True)


def dose(world: World, number: str, given_on: str, lot: UUID | None = None) -> dict[str, str]:
    return {"lot_id": str(lot or world.lot), "dose_number": number, "given_on": given_on}


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("vi", "Mũi 2 phải cách mũi 1 ít nhất 28 ngày (sớm nhất 30/08/2021)."),
        ("en", "Dose 2 must be at least 28 days after dose 1 (earliest 30/08/2021)."),
    ],
)
def test_dose_two_on_the_day_of_dose_one_names_the_earliest_day(
    world: World, lang: str, message: str
) -> None:
    before = world.events()
    status, text = page_text(
        world.staff(), f"/desk/people/{world.person}/doses", dose(world, "2", "2021-08-02"), lang
    )
    assert status == 400
    assert message in text
    assert "thông tin chưa đúng" not in text
    assert world.events() == before


def test_dose_two_too_soon_says_the_same_whatever_the_day(world: World) -> None:
    status, text = page_text(
        world.staff(), f"/desk/people/{world.person}/doses", dose(world, "2", "2021-08-20"), "vi"
    )
    assert status == 400
    assert "Mũi 2 phải cách mũi 1 ít nhất 28 ngày (sớm nhất 30/08/2021)." in text


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("vi", "Người này cần tiêm mũi 2, không phải mũi 3."),
        ("en", "This person&#39;s next dose is dose 2, not dose 3."),
    ],
)
def test_a_skipped_dose_names_the_dose_that_is_due(world: World, lang: str, message: str) -> None:
    before = world.events()
    status, text = page_text(
        world.staff(), f"/desk/people/{world.person}/doses", dose(world, "3", "2021-09-15"), lang
    )
    assert status == 400
    assert message in text
    assert world.events() == before


def test_the_health_book_offers_the_next_dose_number_the_ledger_computed(world: World) -> None:
    page = world.staff().get(f"/desk/people/{world.person}").get_data(as_text=True)
    assert 'name="dose_number"' in page
    assert 'value="2"' in page


def walk_in(**changes: str) -> dict[str, str]:
    form = {
        "full_name": "Trần Văn Bình",
        "date_of_birth": "1970-05-06",
        "sex": "male",
        "national_id": "001070012345",
        "ward_code": "00001",
        "priority_group": "OTHER",
        "phone": "",
    }
    form.update(changes)
    return form


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("vi", "Mã phường/xã 99999 không tồn tại."),
        ("en", "There is no ward with code 99999."),
    ],
)
def test_a_ward_code_that_does_not_exist_is_named(world: World, lang: str, message: str) -> None:
    before = world.events()
    status, text = page_text(world.staff(), "/desk/register", walk_in(ward_code="99999"), lang)
    assert status == 400
    assert message in text
    assert world.events() == before


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("vi", "Ngày sinh 01/01/2099 ở tương lai (hôm nay là 01/10/2021). Kiểm tra lại năm sinh."),
        ("en", "The date of birth 01/01/2099 is in the future (today is 01/10/2021). Check the year."),
    ],
)
def test_a_date_of_birth_in_2099_is_refused_with_both_dates(world: World, lang: str, message: str) -> None:
    before = world.events()
    status, text = page_text(world.staff(), "/desk/register", walk_in(date_of_birth="2099-01-01"), lang)
    assert status == 400
    assert message in text
    assert world.events() == before


def test_a_name_that_cannot_go_on_a_certificate_is_refused_when_typed(world: World) -> None:
    status, text = page_text(world.staff(), "/desk/register", walk_in(full_name="Trần 明"), "vi")
    assert status == 400
    assert "Tên có ký tự 明 không viết được bằng chữ Latinh trên chứng nhận (ICAO 9303)." in text
    assert world.ledger.find_person("001070012345") is None


def test_a_lot_of_another_site_is_named_and_refused(world: World) -> None:
    status, text = page_text(
        world.staff(),
        f"/desk/people/{world.person}/doses",
        dose(world, "2", "2021-09-15", lot=world.other_lot),
        "vi",
    )
    assert status == 400
    assert "Lô AZ-HCM-1 không thuộc điểm tiêm này." in text


def api_client(app: Flask, site: UUID) -> tuple[FlaskClient, dict[str, str]]:
    client = app.test_client()
    sign_in_as(client, "staff", site_id=str(site))
    return client, {"Accept-Language": "en"}


def test_the_api_answers_with_the_code_the_kind_s_status_and_the_sentence(world: World) -> None:
    client, headers = api_client(world.app, world.site)
    url = f"/api/v1/desk/people/{world.person}/doses"
    early = client.post(
        url, json={"lot_id": str(world.lot), "dose_number": 2, "given_on": "2021-08-02"}, headers=headers
    )
    assert early.status_code == 400
    assert early.get_json()["error"] == "dose_too_soon"
    assert (
        early.get_json()["message"] == "Dose 2 must be at least 28 days after dose 1 (earliest 30/08/2021)."
    )
    elsewhere = client.post(
        url,
        json={"lot_id": str(world.other_lot), "dose_number": 2, "given_on": "2021-09-15"},
        headers=headers,
    )
    assert (elsewhere.status_code, elsewhere.get_json()["error"]) == (403, "lot_not_at_site")
    taken = client.post(
        "/api/v1/desk/people",
        json={**walk_in(national_id="001185012345"), "full_name": "Nguyễn Thị Ánh"},
        headers=headers,
    )
    assert (taken.status_code, taken.get_json()["error"]) == (409, "national_id_taken")
    unknown = client.get(f"/api/v1/desk/people/{UUID(int=7)}", headers=headers)
    assert (unknown.status_code, unknown.get_json()["error"]) == (404, "person_not_found")
    ok = client.post(
        url,
        json={"lot_id": str(world.lot), "given_on": "2021-09-15", "idempotency_key": "k"},
        headers=headers,
    )
    assert ok.status_code == 200
    assert ok.get_json()["dose_number"] == 2  # no number sent: the ledger's next dose number


def test_voiding_another_site_s_dose_says_whom_to_ask(world: World) -> None:
    dose_id = world.ledger.person_record(world.person).doses[0].dose_id
    client = world.app.test_client()
    sign_in_as(client, "staff", site_id=str(world.other_site))
    response = client.post(
        f"/api/v1/desk/people/{world.person}/corrections",
        json={"field": "void_dose", "dose_id": str(dose_id), "reason": "typo"},
        headers={"Accept-Language": "vi"},
    )
    assert (response.status_code, response.get_json()["error"]) == (403, "dose_of_another_site")
    assert response.get_json()["message"].startswith("Mũi tiêm này do điểm tiêm khác thực hiện.")
    assert len(world.ledger.person_record(world.person).doses) == 1


def test_a_dose_number_out_of_range_from_an_api_client_is_named(world: World) -> None:
    client, _ = api_client(world.app, world.site)
    response = client.post(
        f"/api/v1/desk/people/{world.person}/doses",
        json={"lot_id": str(world.lot), "dose_number": 25, "given_on": "2021-09-15"},
        headers={"Accept-Language": "vi"},
    )
    assert (response.status_code, response.get_json()["error"]) == (400, "dose_number_invalid")
    assert response.get_json()["message"] == "Số mũi 25 không hợp lệ: nhập số nguyên từ 1 đến 20."


def test_a_province_officer_finds_and_erases_only_people_of_their_province(world: World) -> None:
    saigon = world.app.test_client()
    sign_in_as(saigon, "province", province_code="79")
    found = saigon.post(
        "/province/people/find", data={"national_id": "001185012345"}, headers={"Accept-Language": "vi"}
    )
    assert found.status_code == 404
    assert "Không tìm thấy người này trong tỉnh của bạn." in found.get_data(as_text=True)
    erase = saigon.post(
        f"/province/people/{world.person}/erase", data={"confirm": "erase", "reason": "request"}
    )
    assert erase.status_code == 404
    assert not world.ledger.person_record(world.person).erased
    hanoi = world.app.test_client()
    sign_in_as(hanoi, "province", province_code="01")
    found = hanoi.post("/province/people/find", data={"national_id": "001185012345"})
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/province/people/{world.person}")


def test_a_citizen_registering_themselves_gets_the_same_sentences(world: World) -> None:
    client = world.app.test_client()
    sign_in_as(client, "citizen", phone="0987654321")
    form = {**walk_in(), "national_id": "001190000777", "full_name": "Phạm Thu Hà", "sex": "female"}
    del form["phone"]
    _, text = page_text(client, "/me/register", {**form, "ward_code": "99999"}, "vi")
    assert "Mã phường/xã 99999 không tồn tại." in text
    _, text = page_text(client, "/me/register", {**form, "date_of_birth": "01/01/2099"}, "en")
    assert "The date of birth 01/01/2099 is in the future (today is 01/10/2021)." in text
    assert world.ledger.find_person("001190000777") is None
