"""Issue 13: the whole citizen story on one family phone, in Debian's chromium at 390 px, in Vietnamese.

A mother signs in with the one-time code, registers herself and her son, registers both for
vaccination, sees the appointment and the place in the queue, moves hers within the ward and then to
another ward, cancels her son's, sees the health book after her dose, reports a reaction and gets her
certificate. The province plans and the nurse records the dose between the steps, through the same
services their own pages use. Every page is checked to fit the phone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

import pytest

from keys.development import ensure_development_keys
from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services.campaign import CampaignService
from tests.e2e.web.browser_harness import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, live_server
from tests.e2e.web.conftest import make_app
from tests.e2e.web.test_browser import fill_person, sign_in_citizen
from tests.people import listed

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")

SYSTEM = Actor("story-setup", LedgerRole.SYSTEM)
OFFICER = Actor("officer.hanoi", LedgerRole.PROVINCE_OFFICER, province_code="01")
PFIZER = "EU/1/20/1528"
PHONE = "0388765432"
# 09:00 in Viet Nam today: the day's sessions are still ahead (the clock is the ledger's parameter).
NOW = datetime.combine(datetime.now(UTC).date(), time(2, 0), UTC)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("family-story")
    ensure_development_keys(base / "keys", NOW - timedelta(days=1), warn=lambda line: None)
    ledger = Ledger("memory://", key_dir=base / "lk", clock=lambda: NOW)
    outbox = base / "outbox.jsonl"
    # The web reads the ledger's clock: when the story moves the ledger to tomorrow, the certificate
    # is issued tomorrow too (with the real clock it failed whenever Viet Nam's date was still today).
    app = make_app(
        base,
        ledger,
        MESSAGE_SENDER="file",
        OUTBOX_FILE=str(outbox),
        PUBLIC_CACHE_SECONDS=0,
        CLOCK=lambda: ledger.clock(),
    )
    backend = app.extensions["immunize"].backend
    service = CampaignService(backend.ledger, backend.views)
    sites: dict[str, str] = {}
    lots: dict[str, UUID] = {}
    for code, name, ward, address in (
        ("VN-01-0201", "Trạm Y tế Phường Phúc Xá", "00001", "Số 1 Nghĩa Dũng, Ba Đình"),
        ("VN-01-0202", "Trường THCS Phúc Xá", "00001", "Số 5 Phúc Xá, Ba Đình"),
        ("VN-01-0203", "Trạm Y tế Phường Trúc Bạch", "00004", "Số 2 Trúc Bạch, Ba Đình"),
    ):
        site = service.add_site(
            code=code,
            name=name,
            ward_code=ward,
            address=address,
            sessions=[Session("morning", "07:30", "11:30", 3), Session("afternoon", "13:30", "16:30", 2)],
            actor=SYSTEM,
        )
        lots[code] = ledger.receive_lot(
            product=PFIZER,
            lot_number=f"FS-{code[-3:]}",
            expiry=ledger.today() + timedelta(days=180),
            site_id=UUID(site.site_id),
            quantity=100,
            actor=SYSTEM,
            idempotency_key=f"lot-{code}",
        )
        sites[code] = site.site_id
    with live_server(app) as url:
        yield {
            "url": url,
            "ledger": ledger,
            "outbox": outbox,
            "service": service,
            "sites": sites,
            "lots": lots,
        }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def look(page: Any, name: str) -> None:
    """A screenshot to look at, and the checks every page of the story must pass."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"family-{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url
    assert "Traceback" not in page.content()


def test_a_family_on_one_phone_from_sign_in_to_certificate(world: dict[str, Any], page: Any) -> None:
    ledger: Ledger = world["ledger"]
    service: CampaignService = world["service"]
    today = ledger.today()

    # 1. One phone for the family: sign in with the code, register herself and her son.
    sign_in_citizen(page, world, PHONE)
    page.get_by_role("link", name="Đăng ký bản thân").click()
    fill_person(page, "Võ Thị Hạnh", "12/03/1988", "001188007654", "HEALTH_WORKER")
    page.get_by_role("button", name="Đăng ký bản thân").click()
    page.wait_for_url("**/me/")
    page.get_by_role("link", name="Thêm người phụ thuộc").click()
    page.get_by_label("Quan hệ với bạn").select_option(label="Con")
    fill_person(page, "Võ Minh Quân", "05/06/2012", None, "OTHER")
    page.get_by_role("button", name="Thêm người phụ thuộc").click()
    page.wait_for_url("**/me/")
    look(page, "01-family")
    people = {r.full_name: r for r in listed(ledger, limit=50)}
    mother, son = people["Võ Thị Hạnh"], people["Võ Minh Quân"]

    # 2. Register both for vaccination, from each one's health book.
    for who, group in ((mother, "HEALTH_WORKER"), (son, "OTHER")):
        page.goto(world["url"] + "/me/")
        page.get_by_role("link", name=who.full_name).click()
        page.get_by_role("link", name="Đăng ký và lịch tiêm").click()
        look(page, f"02-register-{group.lower()}")
        page.get_by_label("Nhóm ưu tiên").select_option(value=group)
        page.get_by_role("button", name="Đăng ký tiêm").click()
        page.wait_for_url(f"**/me/vaccination/{who.person_id}")
        assert "Đã đăng ký tiêm mũi 1" in page.get_by_role("status").inner_text()
        place = page.locator("#place-1").inner_text()
        assert "Thứ tự chờ:" in place
        assert f"Dự kiến có lịch ngày {today:%d/%m/%Y}" in place  # today's sessions are ahead
        look(page, f"03-queue-{group.lower()}")

    # 3. The province plans today: both see their appointment, with the place and time.
    service.plan_day(world["sites"]["VN-01-0201"], today, actor=OFFICER)
    page.goto(world["url"] + f"/me/vaccination/{mother.person_id}")
    card = page.locator("section.appointment").inner_text()
    assert f"Lịch hẹn: {today:%d/%m/%Y}" in card
    assert "Trạm Y tế Phường Phúc Xá" in card
    look(page, "04-appointment")

    # 4. Move within the ward: tomorrow afternoon at the school.
    page.get_by_role("link", name="Đổi lịch").click()
    look(page, "05-move-ward")
    tomorrow = today + timedelta(days=1)
    slot = f"{world['sites']['VN-01-0202']}|{tomorrow.isoformat()}|afternoon"
    day = page.locator(f"details.slot-day:has(input[value='{slot}'])")
    if day.get_attribute("open") is None:  # days are folded; the first one is open
        day.locator("summary").click()
    page.locator(f"input[value='{slot}']").check()
    page.get_by_role("button", name="Đổi sang buổi đã chọn").click()
    page.wait_for_url(f"**/me/vaccination/{mother.person_id}")
    assert "Đã đổi lịch tiêm của Võ Thị Hạnh" in page.get_by_role("status").inner_text()
    assert "Trường THCS Phúc Xá" in page.locator("section.appointment").inner_text()

    # 5. Move to another ward (she works in Trúc Bạch this month), with the ward picker.
    page.get_by_role("link", name="Đổi lịch").click()
    page.get_by_text("Tiêm ở phường/xã hoặc tỉnh khác?").click()
    page.get_by_label("Tìm trong danh sách Phường/xã").fill("truc bach")
    page.get_by_role("button", name="Xem buổi tiêm ở đó").click()
    page.wait_for_load_state()
    look(page, "06-move-elsewhere")
    assert "Các buổi tiêm còn chỗ ở Phường Trúc Bạch" in page.locator("#move-where").inner_text()
    slot = f"{world['sites']['VN-01-0203']}|{tomorrow.isoformat()}|morning"
    page.locator(f"input[value='{slot}']").check()
    page.get_by_role("button", name="Đổi sang buổi đã chọn").click()
    page.wait_for_url(f"**/me/vaccination/{mother.person_id}")
    assert "Trạm Y tế Phường Trúc Bạch" in page.locator("section.appointment").inner_text()
    look(page, "07-moved-elsewhere")

    # 6. Cancel the son's appointment (his guardian does it), after the confirmation page.
    page.goto(world["url"] + f"/me/vaccination/{son.person_id}")
    page.get_by_role("link", name="Hủy lịch").click()
    look(page, "08-cancel-confirm")
    page.get_by_role("button", name="Xác nhận hủy lịch").click()
    page.wait_for_url(f"**/me/vaccination/{son.person_id}")
    assert "Đã hủy lịch tiêm của Võ Minh Quân" in page.get_by_role("status").inner_text()
    assert "Thứ tự chờ: 1" in page.locator("#place-1").inner_text()  # his place is kept
    look(page, "09-cancelled")

    # 6b. He will stay with his grandmother in Trúc Bạch: his place moves to that ward's queue.
    page.get_by_role("link", name="Chuyển nơi chờ tiêm").click()
    page.get_by_label("Tìm trong danh sách Phường/xã").fill("truc bach")
    page.get_by_role("button", name="Xem điểm tiêm ở đó").click()
    page.wait_for_load_state()
    page.get_by_label("Nơi muốn tiêm").select_option(
        label="Trạm Y tế Phường Trúc Bạch · Số 2 Trúc Bạch, Ba Đình"
    )
    look(page, "09b-transfer")
    page.get_by_role("button", name="Chuyển sang đây").click()
    page.wait_for_url(f"**/me/vaccination/{son.person_id}")
    assert (
        "Đã chuyển nơi chờ tiêm của Võ Minh Quân sang Phường Trúc Bạch"
        in page.get_by_role("status").inner_text()
    )
    assert "người đang chờ ở Phường Trúc Bạch" in page.locator("#place-1").inner_text()
    look(page, "09c-transferred")

    # 7. Tomorrow at Trúc Bạch the nurse records her dose; her health book shows it and dose 2.
    mine = next(a for a in service.my_appointments(mother.person_id) if a.status == "booked")
    nurse = Actor("nurse.trucbach", LedgerRole.VACCINATOR, UUID(world["sites"]["VN-01-0203"]))
    ledger.clock = lambda: NOW + timedelta(days=1)
    service.check_in(mine.appointment_id, actor=nurse)
    service.record_dose(mine.appointment_id, lot_id=world["lots"]["VN-01-0203"], actor=nurse)
    page.goto(world["url"] + "/me/")
    page.get_by_role("link", name=mother.full_name).click()
    doses = page.locator("table").first.inner_text()
    assert f"{tomorrow:%d/%m/%Y}" in doses
    assert "Trạm Y tế Phường Trúc Bạch" in doses
    assert (
        f"Mũi 2 đến hạn từ {tomorrow + timedelta(days=21):%d/%m/%Y}"
        in page.locator("#next-dose-due").inner_text()
    )
    look(page, "10-health-book")
    page.get_by_role("link", name="Đăng ký và lịch tiêm").click()
    due = tomorrow + timedelta(days=21)
    assert f"Mũi 2 đến hạn từ {due:%d/%m/%Y}" in page.locator("#next-dose").inner_text()
    look(page, "11-next-dose")

    # 8. She reports a mild reaction, then gets her certificate.
    page.goto(world["url"] + f"/me/people/{mother.person_id}")
    page.get_by_role("link", name="Báo phản ứng sau tiêm").click()
    look(page, "12-reaction-form")
    # Sent empty by mistake: the page's own sentence in Vietnamese, not the browser's bubble (which
    # speaks the phone's language, English on this one).
    page.get_by_role("button", name="Gửi").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").is_visible()
    assert "Please" not in page.get_by_role("alert").inner_text()
    look(page, "12b-reaction-empty")
    page.get_by_label("Ngày bắt đầu triệu chứng").fill(f"{tomorrow:%d/%m/%Y}")
    page.get_by_label("Triệu chứng", exact=True).fill("Đau chỗ tiêm, sốt nhẹ buổi tối")
    page.get_by_label("Nhẹ").check()
    page.get_by_role("button", name="Gửi").click()
    page.wait_for_url(f"**/me/people/{mother.person_id}")
    assert page.get_by_role("status").is_visible()
    assert "Đau chỗ tiêm, sốt nhẹ buổi tối" in page.locator("main").inner_text()
    look(page, "13-reaction-sent")
    page.goto(world["url"] + f"/me/people/{mother.person_id}")
    page.get_by_role("link", name="Chứng nhận tiêm chủng").click()
    page.get_by_role("button", name="Lấy chứng nhận").click()
    page.wait_for_url("**/certificate")
    page.wait_for_load_state()
    assert page.locator("#cert-status").inner_text() in ("Thẻ xanh", "Thẻ vàng")
    look(page, "14-certificate")
