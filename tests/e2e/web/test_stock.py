"""Vaccine stock through the web app: the province officer's page (receive, allocate, see), the JSON
API, site staff seeing their own site only, and every bad input answered with one sentence and no
write; an officer of another province is refused by the ledger, page and API alike."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import UUID

from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services.stock import StockService
from tests.e2e.web.conftest import csrf_token, make_app, sign_in_as

SYSTEM = Actor("test", LedgerRole.SYSTEM)
AZ = "EU/1/21/1529"


def setup(tmp_path: Path) -> tuple[FlaskClient, Ledger, UUID, UUID, str]:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    app = make_app(tmp_path, ledger)
    hanoi = ledger.register_site(
        code="HN-1",
        name="Trạm Y tế Phúc Xá",
        ward_code="00001",
        capacity_per_day=100,
        actor=SYSTEM,
        idempotency_key="s1",
    )
    saigon = ledger.register_site(
        code="HCM-1",
        name="Trạm Y tế Tân Định",
        ward_code="26734",
        capacity_per_day=100,
        actor=SYSTEM,
        idempotency_key="s2",
    )
    expiry = ledger.today().replace(year=ledger.today().year + 1).isoformat()
    return app.test_client(), ledger, hanoi, saigon, expiry


def head(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def test_a_province_officer_receives_and_allocates_on_the_page(tmp_path: Path) -> None:
    client, ledger, hanoi, saigon, expiry = setup(tmp_path)
    sign_in_as(client, "province", province_code="01")
    page = client.get("/stock")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Nhập lô vắc xin vào kho tỉnh" in html
    assert 'name="viewport"' in html  # the phone-width layout of base.html
    token = csrf_token(client)
    received = client.post(
        "/stock/receive",
        data={
            "csrf_token": token,
            "key": "receive-1",
            "product": AZ,
            "lot_number": "ABV-77",
            "expiry": expiry,
            "doses_per_vial": "10",
            "doses": "20",
            "unit": "vials",
        },
    )
    assert received.status_code == 302
    again = client.post(  # the same form submitted twice: one shipment
        "/stock/receive",
        data={
            "csrf_token": token,
            "key": "receive-1",
            "product": AZ,
            "lot_number": "ABV-77",
            "expiry": expiry,
            "doses_per_vial": "10",
            "doses": "20",
            "unit": "vials",
        },
    )
    assert again.status_code == 302
    shown = client.get("/stock").get_data(as_text=True)
    assert "Đã nhập lô ABV-77 vào kho." in shown
    assert shown.count("ABV-77") >= 2  # the store table and the allocation picker
    lot = re.search(r'<option value="([0-9a-f-]{36})"[^>]*>ABV-77', shown)
    assert lot is not None
    allocated = client.post(
        "/stock/allocate",
        data={"csrf_token": token, "key": "a-1", "lot_id": lot.group(1), "site_id": str(hanoi), "vials": "3"},
    )
    assert allocated.status_code == 302
    after = client.get("/stock").get_data(as_text=True)
    assert "Đã phân bổ 3 lọ." in after
    assert "Trạm Y tế Phúc Xá" in after
    assert "Trạm Y tế Tân Định" not in after  # another province's site is not offered

    # Bad inputs: one sentence each, the form kept, nothing written.
    before = head(ledger)
    cases = [
        (
            {"lot_id": lot.group(1), "site_id": str(hanoi), "vials": "30"},
            409,
            "chỉ còn 17 lọ (170 liều) trong kho, ít hơn 30 lọ (300 liều)",
        ),
        (
            {"lot_id": lot.group(1), "site_id": str(saigon), "vials": "1"},
            403,
            "Chỉ phân bổ cho điểm tiêm cùng tỉnh",
        ),
        ({"lot_id": lot.group(1), "site_id": str(UUID(int=9)), "vials": "1"}, 404, None),
        ({"lot_id": lot.group(1), "site_id": str(hanoi), "vials": "0"}, 400, "Số lượng không hợp lệ"),
    ]
    for form, status, sentence in cases:
        refused = client.post("/stock/allocate", data={"csrf_token": token, **form})
        assert refused.status_code == status, (form, refused.status_code)
        body = refused.get_data(as_text=True)
        assert 'role="alert"' in body
        if sentence:
            assert sentence in body
    bad_vial = client.post(
        "/stock/receive",
        data={
            "csrf_token": token,
            "product": AZ,
            "lot_number": "ABV-78",
            "expiry": expiry,
            "doses_per_vial": "0",
            "doses": "5",
            "unit": "vials",
        },
    )
    assert bad_vial.status_code == 400
    assert "Số lượng không hợp lệ (0)" in bad_vial.get_data(as_text=True)
    assert 'value="ABV-78"' in bad_vial.get_data(as_text=True)  # what was typed is kept
    assert head(ledger) == before


def test_the_api_and_the_other_province(tmp_path: Path) -> None:
    client, ledger, hanoi, saigon, expiry = setup(tmp_path)
    sign_in_as(client, "province", province_code="01")
    headers = {"X-CSRFToken": csrf_token(client)}
    received = client.post(
        "/api/v1/stock/shipments",
        json={
            "province": "01",
            "product": AZ,
            "lot_number": "PF-1",
            "expiry": expiry,
            "doses_per_vial": 6,
            "doses": 60,
        },
        headers={**headers, "Idempotency-Key": "ship-1"},
    )
    assert received.status_code == 200, received.get_json()
    lot = received.get_json()["lot_id"]
    allocated = client.post(
        "/api/v1/stock/allocations", json={"lot_id": lot, "site_id": str(hanoi), "vials": 2}, headers=headers
    )
    assert allocated.status_code == 200, allocated.get_json()
    seen = client.get("/api/v1/stock/lots").get_json()
    assert [(s["lot_number"], s["allocated"], s["remaining"]) for s in seen["site_lots"]] == [
        ("PF-1", 12, 12)
    ]
    assert seen["store_lots"][0]["available"] == 48
    expired = client.post(
        "/api/v1/stock/shipments",
        json={
            "province": "01",
            "product": AZ,
            "lot_number": "OLD",
            "expiry": "2020-01-01",
            "doses_per_vial": 1,
            "doses": 1,
        },
        headers=headers,
    )
    assert expired.status_code == 409
    assert expired.get_json()["error"] == "stock_lot_expired"

    # Hồ Chí Minh City's officer: not this store, not this site; nothing written.
    before = head(ledger)
    sign_in_as(client, "province", province_code="79")
    headers = {"X-CSRFToken": csrf_token(client)}
    refused = client.post(
        "/api/v1/stock/allocations", json={"lot_id": lot, "site_id": str(hanoi), "vials": 1}, headers=headers
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "outside_province"
    assert "tỉnh của mình (79), không phải tỉnh 01" in refused.get_json()["message"]
    shipment = client.post(
        "/api/v1/stock/shipments",
        json={
            "province": "01",
            "product": AZ,
            "lot_number": "X",
            "expiry": expiry,
            "doses_per_vial": 1,
            "doses": 1,
        },
        headers=headers,
    )
    assert shipment.status_code == 403
    assert client.get("/api/v1/stock/lots").get_json() == {"store_lots": [], "site_lots": [], "provinces": []}
    assert client.get(f"/api/v1/stock/lots?site={hanoi}").status_code == 403
    campaign_stock = client.get("/api/v1/campaign/stock").get_json()
    assert all(r["site_id"] != str(hanoi) for r in campaign_stock)
    assert head(ledger) == before

    # Site staff: their own site's lots only; they do not allocate.
    sign_in_as(client, "staff", site_id=str(saigon))
    assert client.get("/api/v1/stock/lots").get_json()["site_lots"] == []
    assert client.get(f"/api/v1/stock/lots?site={hanoi}").status_code == 403
    headers = {"X-CSRFToken": csrf_token(client)}
    assert (
        client.post(
            "/api/v1/stock/allocations",
            json={"lot_id": lot, "site_id": str(saigon), "vials": 1},
            headers=headers,
        ).status_code
        == 403
    )
    closing = client.post(f"/api/v1/stock/sites/{hanoi}/close-day", json={}, headers=headers)
    assert closing.status_code == 403  # another site's vials, let alone another province's
    sign_in_as(client, "staff", site_id=str(hanoi))
    mine = client.get("/api/v1/stock/lots").get_json()
    assert [s["lot_number"] for s in mine["site_lots"]] == ["PF-1"]
    assert mine["store_lots"] == []
    page = client.get("/stock").get_data(as_text=True)
    assert "PF-1" in page
    assert "Nhập lô vắc xin vào kho tỉnh" not in page


def test_the_operations_view_shows_allocation_against_use_per_province(tmp_path: Path) -> None:
    client, _ledger, hanoi, _saigon, expiry = setup(tmp_path)
    app = client.application
    backend = app.extensions["immunize"].backend
    stock = StockService(backend.ledger, backend.views)
    from datetime import date

    site_lots = stock.deliver(
        province_code="01",
        product=AZ,
        lot_number="ABV-DEMO",
        expiry=date.fromisoformat(expiry),
        doses_per_vial=10,
        allocations={hanoi: 40},
        actor=SYSTEM,
        key="demo",
    )
    ledger: Ledger = backend.ledger
    person = ledger.register_person(
        national_id="001085011111",
        full_name="Lê Văn Tám",
        date_of_birth="1960",
        sex="male",
        phone=None,
        ward_code="00001",
        priority_group="OTHER",
        actor=SYSTEM,
        idempotency_key="p",
    )
    ledger.record_dose(
        person_id=person,
        dose_number=1,
        product=AZ,
        lot_id=site_lots[hanoi],
        administered_on=ledger.today(),
        site_id=hanoi,
        actor=SYSTEM,
        idempotency_key="d",
    )
    assert stock.close_day(hanoi, ledger.today(), actor=SYSTEM) == 9
    sign_in_as(client, "response")
    html = client.get("/operations/?refresh=off").get_data(as_text=True)
    table = html[html.index('id="allocation"') :]
    assert "Phân bổ và sử dụng" in html
    # province, vaccine, received 40, in store 0, allocated 40, used 1, wasted 9, left at sites 30
    assert re.search(
        r">Hà Nội</td>.*?>40</td>.*?>0</td>.*?>40</td>.*?>1</td>.*?>9</td>.*?>30</td>", table, re.S
    )
    lots = html[html.index('class="stock"') : html.index('id="allocation"')]
    assert re.search(r"ABV-DEMO.*?>30</td>", lots, re.S)  # the lot's stock line counts the waste too


def test_returns_through_the_api_and_the_page(tmp_path: Path) -> None:
    client, ledger, hanoi, saigon, expiry = setup(tmp_path)
    sign_in_as(client, "province", province_code="01")
    headers = {"X-CSRFToken": csrf_token(client)}
    lot = client.post(
        "/api/v1/stock/shipments",
        json={
            "province": "01",
            "product": AZ,
            "lot_number": "RT-1",
            "expiry": expiry,
            "doses_per_vial": 10,
            "vials": 4,
        },
        headers=headers,
    ).get_json()["lot_id"]
    site_lot = client.post(
        "/api/v1/stock/allocations", json={"lot_id": lot, "site_id": str(hanoi), "vials": 3}, headers=headers
    ).get_json()["site_lot_id"]

    # Another province's officer and another site's staff: refused, nothing written.
    before = head(ledger)
    sign_in_as(client, "province", province_code="79")
    refused = client.post(
        "/api/v1/stock/returns",
        json={"site_lot_id": site_lot, "vials": 1},
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "outside_province"
    sign_in_as(client, "staff", site_id=str(saigon))
    token = csrf_token(client)
    assert (
        client.post(
            "/stock/return", data={"csrf_token": token, "site_lot_id": site_lot, "vials": "1"}
        ).status_code
        == 403
    )
    assert head(ledger) == before

    # The site's staff: too many vials is one sentence with the form kept; then a return.
    sign_in_as(client, "staff", site_id=str(hanoi))
    token = csrf_token(client)
    over = client.post(
        "/stock/return", data={"csrf_token": token, "site_lot_id": site_lot, "vials": "4", "key": "k1"}
    )
    assert over.status_code == 409
    html = over.get_data(as_text=True)
    assert "Lô RT-1 chỉ còn" in html
    assert "lọ chưa mở (30 liều), ít hơn" in html
    assert "(40 liều) muốn trả" in html
    assert (
        'id="return_vials" name="vials" type="number" inputmode="numeric" min="1" required value="4"' in html
    )
    assert head(ledger) == before
    done = client.post(
        "/stock/return", data={"csrf_token": token, "site_lot_id": site_lot, "vials": "2", "key": "k2"}
    )
    assert done.status_code == 302
    again = client.post(
        "/stock/return", data={"csrf_token": token, "site_lot_id": site_lot, "vials": "2", "key": "k2"}
    )
    assert again.status_code == 302  # the same form sent twice: one return
    api = client.post(
        "/api/v1/stock/returns", json={"site_lot_id": site_lot, "doses": 10}, headers={"X-CSRFToken": token}
    )
    assert api.get_json() == {"site_lot_id": site_lot, "returned": 10}
    mine = client.get("/api/v1/stock/lots").get_json()["site_lots"]
    assert [(s["allocated"], s["returned"], s["remaining"]) for s in mine] == [(0, 30, 0)]
    assert "Không có lọ chưa mở nào để trả về kho." in client.get("/stock").get_data(as_text=True)
    sign_in_as(client, "province", province_code="01")
    store = client.get("/api/v1/stock/lots").get_json()["store_lots"]
    assert [(s["available"], s["returned"]) for s in store] == [(40, 30)]
