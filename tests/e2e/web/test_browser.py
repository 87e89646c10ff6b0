"""Real-browser stories (Debian's chromium through Playwright): public pages, staff desk, citizen certificate."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from keys.development import ensure_development_keys
from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services.demo_population import seed_demo
from tests.e2e.web.browser_harness import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, live_server
from tests.e2e.web.conftest import make_app, person_holding
from tests.people import listed
from web.roles import Role

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")

STAFF_PASSWORD = "browser test password"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A seeded ledger, a staff account at a site with a fresh lot, the app served on a loopback port."""
    base = tmp_path_factory.mktemp("browser")
    ensure_development_keys(base / "keys", datetime.now(UTC), warn=lambda line: None)
    ledger = Ledger("memory://", key_dir=base / "lk")
    seed_demo(ledger, people=60, seed=11)
    outbox = base / "outbox.jsonl"
    # The stories write and then read public pages at once: no freshness interval for the public cache
    # (its staleness is tested on its own in test_public_cache).
    app = make_app(base, ledger, MESSAGE_SENDER="file", OUTBOX_FILE=str(outbox), PUBLIC_CACHE_SECONDS=0)
    platform = app.extensions["immunize"].platform
    platform.read.refresh()
    site = platform.read.sites()[0]  # by code
    ledger.receive_lot(
        product="EU/1/20/1528",
        lot_number="BROWSER-1",
        expiry=ledger.today() + timedelta(days=180),
        site_id=UUID(site.id),
        quantity=100,
        actor=Actor("test-setup", LedgerRole.SYSTEM),
        idempotency_key="browser-fresh-lot",
    )
    app.extensions["immunize"].accounts.add_staff(
        "nurse.browser", STAFF_PASSWORD, Role.STAFF, site_id=site.id
    )
    with live_server(app) as url:
        yield {"url": url, "ledger": ledger, "app": app, "outbox": outbox, "base": base, "site": site}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="vi-VN", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
        context.close()


ACCESSIBILITY_PROBLEMS = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!named) problems.push('no label: ' + (el.name || el.id));
  }
  for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push('no alt: ' + img.src);
  for (const svg of document.querySelectorAll('svg')) if (!svg.getAttribute('aria-label')) problems.push('unnamed chart');
  if (!document.documentElement.lang) problems.push('no lang');
  if (document.querySelectorAll('h1').length !== 1) problems.push('h1 count ' + document.querySelectorAll('h1').length);
  for (const b of document.querySelectorAll('button')) if (!b.textContent.trim()) problems.push('empty button');  // textContent: a button folded in <details> has no innerText
  return problems;
}"""


def shot(page: Any, name: str) -> None:
    """Save a screenshot, and check the page's accessible markup (labels, alt text, lang, one h1)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if page.context.browser is not None:  # JavaScript may be off: then the markup is checked by other tests
        try:
            problems = page.evaluate(ACCESSIBILITY_PROBLEMS)
        except playwright_sync.Error:
            return
        assert problems == [], (name, problems)


def test_the_keyboard_reaches_the_skip_link_first(world: dict[str, Any], page: Any) -> None:
    page.goto(world["url"] + "/statistics")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_public_home_switches_language_without_javascript_help(world: dict[str, Any], page: Any) -> None:
    page.goto(world["url"] + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", level=1).inner_text() == "Chiến dịch tiêm chủng COVID-19"
    shot(page, "home-vi")
    page.get_by_role("link", name="English").click()  # a link (GET): the choice is a cookie
    page.wait_for_url("**/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "COVID-19 vaccination campaign"
    shot(page, "home-en")


def test_a_staff_member_records_a_dose(world: dict[str, Any], page: Any) -> None:
    ledger: Ledger = world["ledger"]
    person = next(r for r in listed(ledger, limit=200) if r.national_id and not r.doses and not r.erased)
    page.goto(world["url"] + "/signin/staff")
    page.get_by_label("Tên đăng nhập").fill("nurse.browser")
    page.get_by_label("Mật khẩu").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/desk/")
    shot(page, "staff-desk")
    page.get_by_label("Số CCCD/CMND", exact=True).fill(person.national_id or "")
    page.get_by_role("button", name="Tìm", exact=True).first.click()
    page.wait_for_url("**/desk/people/**")
    assert person.national_id not in page.url
    assert page.get_by_role("heading", level=1).inner_text() == person.full_name
    page.get_by_label("Lô vắc xin").select_option(
        label=page.locator("#lot_id option", has_text="BROWSER-1").inner_text()
    )
    shot(page, "staff-dose-form")
    page.locator("#record-dose").click()
    page.wait_for_load_state()
    shot(page, "staff-dose-recorded")
    doses = ledger.person_record(person.person_id).doses
    assert len(doses) == 1
    assert doses[0].lot_number == "BROWSER-1"
    assert page.locator("table.doses tbody tr").count() == 1
    assert "BROWSER-1" in page.locator("table.doses").inner_text()


def test_the_public_statistics_page_works_without_javascript(world: dict[str, Any], browser: Any) -> None:
    from projections.registry import catch_up_views

    catch_up_views(world["ledger"], world["app"].extensions["immunize"].platform.views)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB", java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(world["url"] + "/statistics")
        assert page.get_by_role("heading", level=1).inner_text() == "Vaccination statistics"
        assert page.locator("svg.chart").count() >= 4
        assert page.locator("table.provinces tbody tr").count() == 63
        total = int(page.locator("#total-doses").inner_text().replace(",", ""))
        assert total == sum(len(r.doses) for r in listed(world["ledger"], limit=1000))
        shot(page, "public-statistics")
    finally:
        context.close()


def code_from_outbox(outbox: Path, phone: str) -> str:
    messages = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines() if line.strip()]
    text = [m["text"] for m in messages if m["phone"] == phone][-1]
    match = re.search(r"\b(\d{6})\b", text)
    assert match is not None, text
    return match.group(1)


def download(url: str, path: Path) -> Path:
    with urllib.request.urlopen(url, timeout=10) as response:  # a loopback URL of the test server
        path.write_bytes(response.read())
    return path


def test_a_citizen_signs_in_and_downloads_a_certificate_that_dcc_verify_accepts(
    world: dict[str, Any], page: Any
) -> None:
    ledger: Ledger = world["ledger"]
    holder = next(
        r
        for r in listed(ledger, limit=200)
        if r.phone and len(r.doses) >= 2 and not r.guardian_id and not r.erased
    )
    page.goto(world["url"] + "/")
    page.get_by_role("link", name="Người dân").first.click()
    page.get_by_label("Số điện thoại").fill(holder.phone)
    shot(page, "citizen-phone")
    page.get_by_role("button", name="Gửi mã").click()
    page.wait_for_url("**/signin/citizen/code")
    page.get_by_label("Mã xác thực").fill(code_from_outbox(world["outbox"], holder.phone))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url("**/me/")
    shot(page, "citizen-health-book")
    page.get_by_role("link", name=holder.full_name).click()
    page.get_by_role("link", name="Chứng nhận tiêm chủng").click()
    page.wait_for_url("**/certificate")
    page.get_by_role("button", name="Lấy chứng nhận").click()  # issuing is an explicit action
    page.wait_for_url("**/certificate")
    page.wait_for_load_state()
    assert page.locator("#cert-status").inner_text() in ("Thẻ xanh", "Thẻ vàng")
    assert page.locator("figure.qr img").evaluate("img => img.naturalWidth") > 0
    shot(page, "citizen-certificate")
    with page.expect_download() as download_info:
        page.locator("#download-png").click()
    picture = world["base"] / "certificate.png"
    download_info.value.save_as(str(picture))
    with page.expect_download() as pdf_info:
        page.locator("#download-pdf").click()
    printable = world["base"] / "certificate.pdf"
    pdf_info.value.save_as(str(printable))
    assert printable.read_bytes().startswith(b"%PDF-")

    trust_list = download(world["url"] + "/trust-list", world["base"] / "trust-list.cbor")
    anchor = download(world["url"] + "/trust-anchor", world["base"] / "csca.pem")
    verifier = Path(sys.executable).with_name("dcc-verify")
    result = subprocess.run(
        [
            str(verifier),
            "--trust-list",
            str(trust_list),
            "--anchor",
            str(anchor),
            "--json",
            "--image",
            str(picture),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    verdict = json.loads(result.stdout)
    assert holder.date_of_birth in json.dumps(verdict, ensure_ascii=False)


def test_the_response_center_sees_the_lag_and_the_page_refreshes_itself(
    world: dict[str, Any], page: Any
) -> None:
    world["app"].extensions["immunize"].accounts.add_staff(
        "response.browser", STAFF_PASSWORD, Role.RESPONSE, replace=True
    )
    page.goto(world["url"] + "/signin/staff")
    page.get_by_label("Tên đăng nhập").fill("response.browser")
    page.get_by_label("Mật khẩu").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/operations/")
    assert page.locator('meta[http-equiv="refresh"]').get_attribute("content") == "15"
    assert page.get_by_text("Độ trễ dữ liệu").is_visible()
    names = page.locator("#lag tbody td:first-child").all_text_contents()  # folded: read, not seen
    assert {"Số liệu công khai", "Bảng điều hành", "Sổ sức khỏe"} <= set(names)  # never internal view names
    shot(page, "response-center")
    # signed out, the page sends the visitor to sign in
    page.get_by_role("button", name="Đăng xuất").click()
    page.goto(world["url"] + "/operations/")
    assert "/signin" in page.url


def sign_in_citizen(page: Any, world: dict[str, Any], phone: str) -> None:
    page.goto(world["url"] + "/signin/citizen")
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_role("button", name="Gửi mã").click()
    page.wait_for_url("**/signin/citizen/code")
    page.get_by_label("Mã xác thực").fill(code_from_outbox(world["outbox"], phone))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url("**/me/")


def choose_address(page: Any, province: str, district: str, ward: str) -> None:
    """Search each list without accents, as a person typing on a phone would, and check the choice."""
    page.get_by_label("Tìm trong danh sách Tỉnh/thành phố").fill(province)
    page.locator("#district_code:not([disabled])").wait_for()
    page.get_by_label("Quận/huyện", exact=True).select_option(label=district)
    page.locator("#ward_code:not([disabled])").wait_for()
    page.get_by_label("Tìm trong danh sách Phường/xã").fill("phuc xa")
    assert page.locator("#ward_code option:checked").inner_text() == ward


def fill_person(page: Any, name: str, born: str, national_id: str | None, group: str) -> None:
    page.get_by_label("Họ và tên").fill(name)
    page.get_by_label("Ngày sinh").fill(born)
    page.get_by_label("Nữ").check()
    if national_id is not None:
        page.get_by_label("Số CCCD/CMND").fill(national_id)
    choose_address(page, "ha noi", "Ba Đình", "Phường Phúc Xá")
    page.get_by_label("Nhóm ưu tiên").select_option(value=group)


def test_a_citizen_registers_and_adds_a_dependant_on_a_phone(world: dict[str, Any], page: Any) -> None:
    ledger: Ledger = world["ledger"]
    sign_in_citizen(page, world, "0388123456")
    shot(page, "story-1-empty-health-book")
    page.get_by_role("link", name="Đăng ký bản thân").click()
    fill_person(page, "Nguyễn Thị Lan", "15/04/1991", "001191004321", "HEALTH_WORKER")
    shot(page, "story-2-register-form")
    page.get_by_role("button", name="Đăng ký bản thân").click()
    page.wait_for_url("**/me/")
    assert page.get_by_role("status").inner_text() == (
        "Đã đăng ký Nguyễn Thị Lan. Sổ sức khỏe đã sẵn sàng. "
        "Hãy mang CCCD/CMND khi đi tiêm lần đầu: nhân viên y tế sẽ xác nhận số giấy tờ. "
        "Nếu trước đây bạn đã được đăng ký tại điểm tiêm với số này, "
        "nhân viên sẽ gộp hai hồ sơ: mũi tiêm, người phụ thuộc và thứ tự chờ của bạn được giữ nguyên."
    )
    me = person_holding(ledger, "001191004321")  # held until the card is seen (issue 12)
    assert (me.priority_group, me.ward_code, me.date_of_birth) == ("HEALTH_WORKER", "00001", "1991-04-15")
    shot(page, "story-3-registered")

    page.get_by_role("link", name="Thêm người phụ thuộc").click()
    page.get_by_label("Quan hệ với bạn").select_option(label="Con")
    fill_person(page, "Trần Minh An", "02/09/2015", None, "OTHER")
    page.get_by_label("Ngày sinh").fill("31/02/2015")  # a mistake: the form comes back with what was typed
    page.get_by_role("button", name="Thêm người phụ thuộc").click()
    assert "Ngày sinh không hợp lệ" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Họ và tên").input_value() == "Trần Minh An"
    assert page.locator("#ward_code option:checked").inner_text() == "Phường Phúc Xá"
    shot(page, "story-4-dependant-error-keeps-input")
    page.get_by_label("Ngày sinh").fill("02/09/2015")
    page.get_by_role("button", name="Thêm người phụ thuộc").click()
    page.wait_for_url("**/me/")
    assert page.get_by_role("status").inner_text() == "Đã thêm Trần Minh An vào gia đình của bạn."
    assert "02/09/2015" in page.locator("ul.people").inner_text()
    assert len(ledger.dependants(me.person_id)) == 1
    shot(page, "story-5-dependant-added")


def test_the_desk_registers_a_walk_in_records_a_dose_and_refuses_an_early_second(
    world: dict[str, Any], page: Any
) -> None:
    ledger: Ledger = world["ledger"]
    page.goto(world["url"] + "/signin/staff")
    page.get_by_label("Tên đăng nhập").fill("nurse.browser")
    page.get_by_label("Mật khẩu").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/desk/")
    assert "<" not in page.title()
    page.get_by_role("link", name="Đăng ký người mới").click()
    fill_person(page, "Lê Văn Bình", "20/11/1980", "001080007788", "EDUCATION_ADMIN_PUBLIC_FACING")
    shot(page, "story-6-desk-register")
    page.get_by_role("button", name="Đăng ký người mới").click()
    page.wait_for_url("**/desk/people/**")
    assert page.get_by_role("status").inner_text() == "Đã đăng ký Lê Văn Bình. Có thể ghi nhận mũi tiêm."
    page.get_by_label("Lô vắc xin").select_option(
        label=page.locator("#lot_id option", has_text="BROWSER-1").inner_text()
    )
    today = ledger.today()
    assert page.get_by_label("Ngày tiêm").input_value() == today.strftime("%d/%m/%Y")
    page.locator("#record-dose").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "Đã ghi nhận mũi 1 cho Lê Văn Bình."
    shot(page, "story-7-dose-recorded")

    # dose 2 on the same day is too early for Comirnaty (21 days): the page says when it can be given
    page.get_by_label("Lô vắc xin").select_option(
        label=page.locator("#lot_id option", has_text="BROWSER-1").inner_text()
    )
    page.get_by_label("Mũi số").fill("2")
    page.locator("#record-dose").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert").inner_text()
    earliest = (today + timedelta(days=21)).strftime("%d/%m/%Y")
    assert "21 ngày" in alert, alert
    assert earliest in alert, alert
    assert page.get_by_label("Mũi số").input_value() == "2"  # what was typed stays
    shot(page, "story-8-early-second-dose")
    person = ledger.person_by_national_id("001080007788")
    assert len(ledger.person_record(person.person_id).doses) == 1


def test_the_header_is_compact_and_nothing_overflows_a_phone(world: dict[str, Any], page: Any) -> None:
    from projections.registry import catch_up_views

    catch_up_views(world["ledger"], world["app"].extensions["immunize"].platform.views)
    for path in ("/", "/statistics", "/verify", "/api/docs", "/signin/citizen"):
        page.goto(world["url"] + path)
        header = page.locator("header.top").bounding_box()
        assert header is not None
        assert header["height"] / 844 < 0.12, (path, header["height"])  # was 28% of the first screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.goto(world["url"] + "/statistics")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4500, height  # was about 6,800 px
    assert page.locator("details.table[open]").count() == 0  # tables folded under their charts
    shot(page, "statistics-vi")
    page.goto(world["url"] + "/api/docs")
    assert page.get_by_role("heading", level=1).inner_text() == "API của nền tảng tiêm chủng"
    shot(page, "api-docs")
