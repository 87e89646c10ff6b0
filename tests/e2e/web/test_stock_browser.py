"""The stock page in a real browser (Debian's chromium), at phone width, in Vietnamese: a province
officer receives a shipment, allocates vials to a site, and is told in one sentence when asking for
more than the store holds; the page never scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keys.development import ensure_development_keys
from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from tests.e2e.web.browser_harness import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, live_server
from tests.e2e.web.conftest import make_app
from web.roles import Role

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")

PASSWORD = "stock browser password"
SYSTEM = Actor("browser-setup", LedgerRole.SYSTEM)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("stock-browser")
    ensure_development_keys(base / "keys", datetime.now(UTC), warn=lambda line: None)
    ledger = Ledger("memory://", key_dir=base / "lk")
    app = make_app(base, ledger, PUBLIC_CACHE_SECONDS=0)
    for code, name, ward in (
        ("HN-1", "Trạm Y tế Phường Phúc Xá", "00001"),
        ("HCM-1", "Trạm Y tế Tân Định", "26734"),
    ):
        ledger.register_site(
            code=code, name=name, ward_code=ward, capacity_per_day=200, actor=SYSTEM, idempotency_key=code
        )
    app.extensions["immunize"].accounts.add_staff(
        "officer.hanoi", PASSWORD, Role.PROVINCE, province_code="01"
    )
    with live_server(app) as url:
        yield {"url": url, "ledger": ledger}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def test_an_officer_receives_and_allocates_on_a_phone(world: dict[str, Any], browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(world["url"] + "/signin/staff")
        page.get_by_label("Tên đăng nhập").fill("officer.hanoi")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_load_state()
        page.get_by_role("link", name="Kho vắc xin").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Nhập lô vắc xin vào kho tỉnh").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.get_by_label("Vắc xin", exact=True).select_option(label="AstraZeneca")
        page.get_by_label("Số lô", exact=True).fill("ABV-2108")
        expiry = (world["ledger"].today() + timedelta(days=90)).isoformat()
        page.get_by_label("Hạn dùng", exact=True).fill(expiry)
        page.get_by_label("Số liều mỗi lọ", exact=True).fill("10")
        page.get_by_label("Số lượng", exact=True).fill("12")
        page.get_by_role("button", name="Nhập kho").click()
        page.wait_for_load_state()
        assert page.get_by_role("status").filter(has_text="Đã nhập lô ABV-2108 vào kho.").is_visible()

        # More vials than the store holds: one sentence, the choices kept, nothing written.
        head = world["ledger"].recorder.max_notification_id()
        page.get_by_label("Lô trong kho", exact=True).select_option(index=0)
        page.get_by_label("Điểm tiêm", exact=True).select_option(label="Trạm Y tế Phường Phúc Xá (HN-1)")
        page.locator("#vials").fill("13")
        page.get_by_role("button", name="Phân bổ").click()
        page.wait_for_load_state()
        alert = page.get_by_role("alert")
        assert "chỉ còn 12 lọ (120 liều) trong kho, ít hơn 13 lọ (130 liều)" in alert.inner_text()
        assert page.locator("#vials").input_value() == "13"
        assert world["ledger"].recorder.max_notification_id() == head

        page.locator("#vials").fill("5")
        page.get_by_role("button", name="Phân bổ").click()
        page.wait_for_load_state()
        assert page.get_by_role("status").filter(has_text="Đã phân bổ 5 lọ.").is_visible()
        sites = page.locator("section[aria-labelledby=h-sites]")
        assert "Trạm Y tế Phường Phúc Xá" in sites.inner_text()
        assert "50" in sites.inner_text()
        assert "Trạm Y tế Tân Định" not in page.content()  # another province's site is never offered
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "stock-officer-final.png"), full_page=True)
        context.close()
