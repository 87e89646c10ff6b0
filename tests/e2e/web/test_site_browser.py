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
