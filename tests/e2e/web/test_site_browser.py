"""The site's own pages in a real browser (Debian's chromium), at phone width, in Vietnamese, with and
without JavaScript: staff mark a person as not come during the day and undo it when the person turns up
late; a province officer adds a site and edits it (bad input gets one sentence and keeps what was typed);
staff and officers return unopened vials from a site to the province store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from keys.development import ensure_development_keys
from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services.campaign import CampaignService
from services.stock import StockService
from tests.e2e.web.browser_harness import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, live_server
from tests.e2e.web.conftest import make_app
from web.roles import Role

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")

PASSWORD = "site browser password"
SYSTEM = Actor("browser-setup", LedgerRole.SYSTEM)
PFIZER = "EU/1/20/1528"
NAMES = ("Đỗ Thị Hạnh", "Lý Văn Toàn", "Mai Thị Quyên", "Tạ Văn Khôi")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A site in Phúc Xá planned for today with four people, its staff and Hà Nội's officer."""
    base = tmp_path_factory.mktemp("site-browser")
    ensure_development_keys(base / "keys", datetime.now(UTC), warn=lambda line: None)
    ledger = Ledger("memory://", key_dir=base / "lk")
    app = make_app(base, ledger, PUBLIC_CACHE_SECONDS=0)
    backend = app.extensions["immunize"].backend
    service = CampaignService(backend.ledger, backend.views)
    site = service.add_site(
        code="VN-01-0201",
        name="Trạm Y tế Phường Phúc Xá",
        ward_code="00001",
        address="Số 1 Nghĩa Dũng, Ba Đình",
        sessions=[Session("morning", "07:30", "11:30", 4), Session("afternoon", "13:30", "16:30", 2)],
        actor=SYSTEM,
    )
    ledger.receive_lot(
        product=PFIZER,
        lot_number="PX-201",
        expiry=ledger.today() + timedelta(days=180),
        site_id=UUID(site.site_id),
        quantity=50,
        actor=SYSTEM,
        idempotency_key="lot-201",
    )
    for n, name in enumerate(NAMES):
        pid = ledger.register_person(
            national_id=f"0010910{n:05d}",
            full_name=name,
            date_of_birth="1970-05-05",
            sex="female",
            phone=f"09771{n:05d}",
            ward_code="00001",
            priority_group="HEALTH_WORKER",
            actor=SYSTEM,
            idempotency_key=f"site-browser-person-{n}",
        )
        service.register(person=pid, group="HEALTH_WORKER", actor=SYSTEM)
    service.plan_day(site.site_id, ledger.today(), actor=SYSTEM)
    stock = StockService(backend.ledger, backend.views)
    store_lot = stock.receive(
        province_code="01",
        product=PFIZER,
        lot_number="RT-301",
        expiry=ledger.today() + timedelta(days=90),
        doses_per_vial=6,
        vials=10,
        actor=SYSTEM,
    )
    stock.allocate(store_lot_id=store_lot, site_id=site.site_id, vials=4, actor=SYSTEM)
    accounts = app.extensions["immunize"].accounts
    accounts.add_staff("nurse.site", PASSWORD, Role.STAFF, site_id=site.site_id)
    accounts.add_staff("officer.site", PASSWORD, Role.PROVINCE, province_code="01")
    with live_server(app) as url:
        yield {"url": url, "ledger": ledger, "service": service, "site": site.site_id}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="vi-VN", java_script_enabled=request.param
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
        context.close()


def fits_a_phone(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def sign_in_staff(page: Any, world: dict[str, Any], username: str) -> None:
    page.goto(world["url"] + "/signin/staff")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def card(page: Any, name: str) -> Any:
    return page.locator("li.card").filter(has_text=name)


def test_staff_mark_a_person_as_not_come_and_undo_it_when_they_come_late(
    world: dict[str, Any], page: Any, request: pytest.FixtureRequest
) -> None:
    # One person per run: the javascript run uses the first, the other run the second.
    name = NAMES[0] if "no-javascript" not in request.node.name else NAMES[1]
    sign_in_staff(page, world, "nurse.site")
    page.goto(world["url"] + "/staff/today")
    fits_a_phone(page)
    person = card(page, name)
    assert "Đã hẹn" in person.inner_text()
    person.get_by_role("button", name="Không đến").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Đã ghi không đến").is_visible()
    person = card(page, name)
    assert "Không đến" in person.locator(".badge").inner_text()
    assert person.get_by_role("button", name="Không đến").count() == 0
    assert person.get_by_role("button", name="Ghi nhận mũi tiêm").count() == 0
    fits_a_phone(page)
    waiting = [r for r in world["service"].registrations(world["site"]) if r.status == "waiting"]
    assert len(waiting) == 1  # back in the queue

    person.get_by_role("button", name="Đến muộn").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Đã ghi nhận người đến muộn").is_visible()
    person = card(page, name)
    assert "Đã đến" in person.locator(".badge").inner_text()
    person.get_by_role("button", name="Ghi nhận mũi tiêm").click()
    page.wait_for_load_state()
    assert "Đã tiêm" in card(page, name).locator(".badge").inner_text()
    fits_a_phone(page)


def test_staff_return_unopened_vials_to_the_store(world: dict[str, Any], page: Any) -> None:
    sign_in_staff(page, world, "nurse.site")
    page.goto(world["url"] + "/stock")
    fits_a_phone(page)
    assert page.get_by_role("heading", name="Trả lọ chưa mở về kho tỉnh").is_visible()
    before = world["ledger"].recorder.max_notification_id()
    page.get_by_label("Lô tại điểm tiêm").select_option(index=0)
    page.locator("#return_vials").fill("9")
    page.get_by_role("button", name="Trả về kho").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert "Lô RT-301 chỉ còn" in alert.inner_text()
    assert "lọ chưa mở (" in alert.inner_text()
    assert "ít hơn 9 lọ (54 liều) muốn trả" in alert.inner_text()  # in vials, as the form asks
    assert page.locator("#return_vials").input_value() == "9"  # what was typed is kept
    assert world["ledger"].recorder.max_notification_id() == before
    fits_a_phone(page)

    page.locator("#return_vials").fill("1")
    page.get_by_role("button", name="Trả về kho").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Đã trả 1 lọ về kho tỉnh.").is_visible()
    row = page.locator("section[aria-labelledby=h-sites] tr").filter(has_text="RT-301")
    assert int(row.locator('td[data-label="Đã trả về kho"]').inner_text()) in (6, 12)  # one vial per run
    fits_a_phone(page)


def test_an_officer_adds_a_site_and_edits_it_on_a_phone(
    world: dict[str, Any], page: Any, request: pytest.FixtureRequest
) -> None:
    run = "2" if "no-javascript" in request.node.name else "1"
    sign_in_staff(page, world, "officer.site")
    page.goto(world["url"] + "/province/campaign")
    page.get_by_role("link", name="Thêm điểm tiêm").click()
    page.wait_for_load_state()
    fits_a_phone(page)
    page.get_by_label("Mã điểm tiêm").fill(f"VN-01-09{run}")
    page.get_by_label("Tên điểm tiêm").fill(f"Điểm tiêm lưu động Trúc Bạch {run}")
    page.get_by_label("Phường/xã").fill("00004 — Phường Trúc Bạch, Ba Đình")
    page.get_by_label("Địa chỉ").fill("Số 2 Trúc Bạch")
    morning = page.locator("fieldset.session").filter(has_text="Buổi sáng")
    morning.get_by_label("Số chỗ").fill("2500")
    before = world["ledger"].recorder.max_notification_id()
    page.get_by_role("button", name="Thêm điểm tiêm").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert (
        alert.inner_text()
        == "Số chỗ mỗi buổi phải từ 1 đến 2.000, không phải 2.500. Muốn ngừng thì tạm dừng điểm tiêm."
    )
    assert page.get_by_label("Tên điểm tiêm").input_value() == f"Điểm tiêm lưu động Trúc Bạch {run}"
    assert page.get_by_label("Phường/xã").input_value() == "00004 — Phường Trúc Bạch, Ba Đình"
    assert page.locator("#capacity-morning").get_attribute("aria-invalid") == "true"
    assert world["ledger"].recorder.max_notification_id() == before
    fits_a_phone(page)

    page.locator("#capacity-morning").fill("120")
    page.get_by_label("Chủ Nhật").uncheck()
    page.get_by_role("button", name="Thêm điểm tiêm").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Đã thêm điểm tiêm").is_visible()
    assert page.get_by_role(
        "heading", name=f"Sửa điểm tiêm · Điểm tiêm lưu động Trúc Bạch {run}"
    ).is_visible()
    assert not page.get_by_label("Chủ Nhật").is_checked()
    fits_a_phone(page)

    page.locator("#capacity-afternoon").fill("60")
    page.get_by_label("Phường/xã").fill("26734")
    page.get_by_role("button", name="Lưu điểm tiêm").click()
    page.wait_for_load_state()
    assert "thuộc tỉnh 79, không thuộc tỉnh 01" in page.get_by_role("alert").inner_text()
    assert page.locator("#capacity-afternoon").input_value() == "60"
    page.get_by_label("Phường/xã").fill("00001")
    page.get_by_role("button", name="Lưu điểm tiêm").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Đã lưu điểm tiêm").is_visible()
    page.get_by_label("Lý do (không bắt buộc)").fill("Mất điện")
    page.get_by_role("button", name="Tạm dừng điểm tiêm").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Đã tạm dừng").is_visible()
    page.get_by_role("button", name="Mở lại điểm tiêm").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Đã mở lại").is_visible()
    fits_a_phone(page)
    [site] = [s for s in world["service"].sites(province="01") if s.code == f"VN-01-09{run}"]
    assert (site.ward, site.status) == ("00001", "open")
    assert [(s["name"], s["capacity"]) for s in site.sessions] == [("morning", 120), ("afternoon", 60)]
