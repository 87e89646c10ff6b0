"""Campaign pages in a real browser (Debian's chromium), at phone width, in Vietnamese, as people meet
them: a citizen registers, is planned, sees the appointment, moves it and cancels it; site staff check
people in, record the dose and close the day; a province officer plans a day and a week; anyone reads
a ward's priority list (with and without JavaScript). Each bad input a page can produce shows its own
sentence beside the field and keeps what was chosen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import pytest

from keys.development import ensure_development_keys
from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.commands import vietnam_day
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services.campaign import CampaignService
from tests.e2e.web.browser_harness import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, live_server
from tests.e2e.web.conftest import make_app
from tests.e2e.web.test_browser import fill_person, shot, sign_in_citizen
from tests.people import listed
from web.roles import Role

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")

PASSWORD = "campaign browser password"
SYSTEM = Actor("browser-setup", LedgerRole.SYSTEM)
PFIZER = "EU/1/20/1528"


def vi(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two sites in Phúc Xá and one in Trúc Bạch with sessions and vaccine, staff and officer accounts."""
    base = tmp_path_factory.mktemp("campaign-browser")
    ensure_development_keys(base / "keys", datetime.now(UTC), warn=lambda line: None)
    # The story runs at noon in Hà Nội whatever the hour the suite runs: before the first session
    # (07:30) the today page warns and asks another box to close the day (test_today_close).
    started = datetime.now(UTC)
    noon = datetime.combine(vietnam_day(started), time(5, 0), UTC)
    ledger = Ledger("memory://", key_dir=base / "lk", clock=lambda: noon + (datetime.now(UTC) - started))
    outbox = base / "outbox.jsonl"
    app = make_app(base, ledger, MESSAGE_SENDER="file", OUTBOX_FILE=str(outbox), PUBLIC_CACHE_SECONDS=0)
    backend = app.extensions["immunize"].backend
    service = CampaignService(backend.ledger, backend.views)
    sites = {}
    for code, name, ward, address, morning, afternoon in (
        ("VN-01-0101", "Trạm Y tế Phường Phúc Xá", "00001", "Số 1 Nghĩa Dũng, Ba Đình", 3, 1),
        ("VN-01-0102", "Trường THCS Phúc Xá", "00001", "Số 5 Phúc Xá, Ba Đình", 4, 4),
        ("VN-01-0103", "Trạm Y tế Phường Trúc Bạch", "00004", "Số 2 Trúc Bạch, Ba Đình", 2, 2),
    ):
        site = service.add_site(
            code=code,
            name=name,
            ward_code=ward,
            address=address,
            sessions=[
                Session("morning", "07:30", "11:30", morning),
                Session("afternoon", "13:30", "16:30", afternoon),
            ],
            actor=SYSTEM,
        )
        ledger.receive_lot(
            product=PFIZER,
            lot_number=f"PX-{code[-3:]}",
            expiry=ledger.today() + timedelta(days=180),
            site_id=UUID(site.site_id),
            quantity=200,
            actor=SYSTEM,
            idempotency_key=f"lot-{code}",
        )
        sites[code] = site.site_id
    accounts = app.extensions["immunize"].accounts
    accounts.add_staff("nurse.phucxa", PASSWORD, Role.STAFF, site_id=sites["VN-01-0101"])
    accounts.add_staff("officer.hanoi", PASSWORD, Role.PROVINCE, province_code="01")
    with live_server(app) as url:
        yield {
            "url": url,
            "ledger": ledger,
            "app": app,
            "outbox": outbox,
            "base": base,
            "service": service,
            "sites": sites,
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
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
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


GIVEN = ("An", "Bình", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Lan", "Mai")
MIDDLE = ("Anh", "Bảo", "Cúc", "Diệp", "Hằng", "Khánh", "Linh")


def name_of(n: int) -> str:
    """A distinct Vietnamese name per number (names carry no digits)."""
    return f"Phạm {MIDDLE[n // 10]} {GIVEN[n % 10]}"


def person(world: dict[str, Any], n: int, ward: str, group: str = "HEALTH_WORKER") -> UUID:
    ledger: Ledger = world["ledger"]
    pid = ledger.register_person(
        national_id=f"0010900{n:05d}",
        full_name=name_of(n),
        date_of_birth="1970-05-05",
        sex="female",
        phone=f"09770{n:05d}",
        ward_code=ward,
        priority_group=group,
        actor=SYSTEM,
        idempotency_key=f"browser-person-{n}",
    )
    world["service"].register(person=pid, group=group, actor=SYSTEM)
    return pid


def test_a_citizen_registers_is_planned_moves_and_cancels_on_a_phone(
    world: dict[str, Any], page: Any
) -> None:
    service: CampaignService = world["service"]
    ledger: Ledger = world["ledger"]
    tomorrow = ledger.today() + timedelta(days=1)
    sign_in_citizen(page, world, "0388777111")
    page.get_by_role("link", name="Đăng ký bản thân").click()
    fill_person(page, "Đỗ Thị Mai", "12/03/1958", "001158004444", "CHRONIC_DISEASE_OR_OVER_65")
    page.get_by_role("button", name="Đăng ký bản thân").click()
    page.wait_for_url("**/me/")
    page.get_by_role("link", name="Đỗ Thị Mai").click()
    page.get_by_role("link", name="Đăng ký và lịch tiêm").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Lịch tiêm của tôi: Đỗ Thị Mai"
    assert page.get_by_text("Chưa đăng ký tiêm.").is_visible()
    shot(page, "campaign-1-citizen-not-registered")
    fits_a_phone(page)

    # A group that is not on the list (a tampered or stale form): its own sentence, beside the field.
    page.get_by_label("Nơi muốn tiêm").select_option(label="Trường THCS Phúc Xá")
    page.locator("#priority_group option").first.evaluate("o => o.value = 'NOT_A_GROUP'")
    page.get_by_label("Nhóm ưu tiên").select_option(index=0)
    page.get_by_role("button", name="Đăng ký tiêm").click()
    error = page.locator("#priority_group-error")
    assert "Nhóm ưu tiên NOT_A_GROUP không có trong danh mục" in error.inner_text()
    assert page.get_by_label("Nhóm ưu tiên").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "priority_group"  # the keyboard is on it
    assert page.locator("#place option:checked").inner_text() == "Trường THCS Phúc Xá"  # kept
    shot(page, "campaign-2-citizen-unknown-group")

    page.get_by_label("Nhóm ưu tiên").select_option(value="CHRONIC_DISEASE_OR_OVER_65")
    page.get_by_label("Nơi muốn tiêm").select_option(index=0)  # any site where I live
    page.get_by_role("button", name="Đăng ký tiêm").click()
    assert page.get_by_role("status").inner_text() == (
        "Đã đăng ký tiêm mũi 1 cho Đỗ Thị Mai. Tin nhắn sẽ báo lịch tiêm."
    )
    assert "Thứ tự chờ: 1 / 1 người đang chờ ở Phường Phúc Xá" in page.locator("ul.queue").inner_text()
    assert page.get_by_role("button", name="Đăng ký tiêm").count() == 0  # nobody registers twice
    shot(page, "campaign-3-citizen-registered")

    # Planned: the Phúc Xá health station's morning tomorrow.
    me = service.person_id(
        next(m for m in listed(service.ledger, limit=1000) if m.full_name == "Đỗ Thị Mai").person_id
    )
    service.plan_day(world["sites"]["VN-01-0101"], tomorrow, actor=SYSTEM)
    page.reload()
    card = page.locator("section.appointment")
    text = card.inner_text()
    assert f"Lịch hẹn: {vi(tomorrow)}" in text
    assert "Buổi sáng 07:30–11:30" in text
    assert "Trạm Y tế Phường Phúc Xá, Số 1 Nghĩa Dũng, Ba Đình" in text
    shot(page, "campaign-4-citizen-appointment")
    fits_a_phone(page)

    # Move: the health station's afternoon has one place; someone takes it while the page is open.
    card.get_by_role("link", name="Đổi lịch").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Đổi lịch tiêm: Đỗ Thị Mai"
    afternoon = f"{world['sites']['VN-01-0101']}|{tomorrow.isoformat()}|afternoon"
    page.locator(f"input[value='{afternoon}']").check()
    shot(page, "campaign-5-move-choices")
    fits_a_phone(page)
    for n in (1, 2, 3):  # three health workers register; planning gives them the station's last places
        person(world, n, "00001", "HEALTH_WORKER")
    service.plan_day(world["sites"]["VN-01-0101"], tomorrow, actor=SYSTEM)
    page.get_by_role("button", name="Đổi sang buổi đã chọn").click()
    assert "vừa hết chỗ" in page.locator("#slot-error").inner_text()
    assert vi(tomorrow) in page.locator("#slot-error").inner_text()
    shot(page, "campaign-6-move-session-full")
    # The other school site of the ward, the day after tomorrow.
    later = tomorrow + timedelta(days=1)
    school = f"{world['sites']['VN-01-0102']}|{later.isoformat()}|morning"
    page.locator("summary", has_text=vi(later)).click()  # each day folds open
    page.locator(f"input[value='{school}']").check()
    page.get_by_role("button", name="Đổi sang buổi đã chọn").click()
    assert page.get_by_role("status").inner_text() == (
        "Đã đổi lịch tiêm của Đỗ Thị Mai. Tin nhắn lịch mới đang được gửi."
    )
    text = page.locator("section.appointment").inner_text()
    assert f"Lịch hẹn: {vi(later)}" in text
    assert "Trường THCS Phúc Xá" in text
    changes = [m for m in service.messages(kind="change") if vi(later) in m.text]
    assert len(changes) == 1
    assert "Lịch tiêm vắc xin đã thay đổi" in changes[0].text
    shot(page, "campaign-7-moved")
    page.goto(world["url"] + f"/me/people/{me}")  # the health book shows the next appointment too
    assert (
        f"Lịch tiêm sắp tới: Buổi sáng 07:30–11:30, {vi(later)} · Trường THCS Phúc Xá"
        in page.locator("#upcoming").inner_text()
    )

    # The public list shows her own place when she is signed in, and no one else's data.
    page.goto(world["url"] + "/priority?ward_code=00001")
    assert "Đỗ Thị Mai" not in page.locator("table.priority").inner_text()
    assert "Đỗ Thị Mai: Thứ tự chờ" not in page.content()  # booked, so not waiting: no place shown

    # Cancel: back in the queue with the original priority, told by message.
    page.goto(world["url"] + f"/me/vaccination/{me}")
    page.get_by_role("link", name="Hủy lịch").click()  # asks once more, showing what is cancelled
    assert vi(later) in page.locator("p.current").inner_text()
    shot(page, "campaign-7b-cancel-confirm")
    page.get_by_role("button", name="Xác nhận hủy lịch").click()
    assert page.get_by_role("status").inner_text() == (
        "Đã hủy lịch tiêm của Đỗ Thị Mai. Đỗ Thị Mai vẫn giữ thứ tự trong hàng chờ."
    )
    assert page.locator("section.appointment").count() == 0
    assert "Thứ tự chờ: 1 /" in page.locator("ul.queue").inner_text()  # later doses and rank: still first
    assert any(vi(later) in m.text and "đã bị hủy" in m.text for m in service.messages(kind="cancel"))
    shot(page, "campaign-8-cancelled")
    page.goto(world["url"] + "/priority?ward_code=00001")
    assert "Đỗ Thị Mai: Thứ tự chờ: " in page.locator("section").inner_text()  # her own place, signed in

    # Her grandson, a dependant she manages, is registered from his own page; nobody else's page opens.
    page.goto(world["url"] + "/me/")
    page.get_by_role("link", name="Thêm người phụ thuộc").click()
    page.get_by_label("Quan hệ với bạn").select_option(label="Khác")
    fill_person(page, "Đỗ Minh Khôi", "05/06/2012", None, "OTHER")
    page.get_by_role("button", name="Thêm người phụ thuộc").click()
    page.wait_for_url("**/me/")
    page.get_by_role("link", name="Đỗ Minh Khôi").click()
    page.get_by_role("link", name="Đăng ký và lịch tiêm").click()
    page.get_by_label("Nhóm ưu tiên").select_option(value="OTHER")
    page.get_by_role("button", name="Đăng ký tiêm").click()
    assert page.get_by_role("status").inner_text() == (
        "Đã đăng ký tiêm mũi 1 cho Đỗ Minh Khôi. Tin nhắn sẽ báo lịch tiêm."
    )
    shot(page, "campaign-8b-dependant-registered")
    stranger = person(world, 4, "00001")
    answer = page.goto(world["url"] + f"/me/vaccination/{stranger}")
    assert answer is not None
    assert answer.status == 404
    assert "Không tìm thấy người này trong gia đình của bạn." in page.content()


def test_staff_check_in_record_the_dose_and_close_the_day(world: dict[str, Any], page: Any) -> None:
    service: CampaignService = world["service"]
    ledger: Ledger = world["ledger"]
    today = ledger.today()
    station = world["sites"]["VN-01-0101"]
    people = [person(world, n, "00001") for n in (11, 12, 13)]
    service.plan_day(station, today, actor=SYSTEM)
    sign_in_staff(page, world, "nurse.phucxa")
    page.get_by_role("link", name="Hôm nay").click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Danh sách tiêm hôm nay · {vi(today)}"
    listed = page.locator("ol.today").first.inner_text()
    assert name_of(11) in listed
    assert name_of(12) in listed
    shot(page, "campaign-9-staff-today")
    fits_a_phone(page)

    first = page.locator("ol.today li").filter(has_text=name_of(11))
    first.get_by_role("button", name="Đã đến").click()
    assert page.get_by_role("status").inner_text() == "Đã ghi nhận người đến."
    first = page.locator("ol.today li").filter(has_text=name_of(11))
    assert "Đã đến" in first.locator(".badge").inner_text()
    first.get_by_label("Lô").select_option(label="PX-101")
    first.get_by_role("button", name="Ghi nhận mũi tiêm").click()
    assert page.get_by_role("status").inner_text() == "Đã ghi nhận mũi tiêm theo lịch hẹn."
    done = page.locator("ol.today li").filter(has_text=name_of(11))
    assert "Đã tiêm" in done.locator(".badge").inner_text()
    record = ledger.person_record(people[0])
    assert [d.lot_number for d in record.doses] == ["PX-101"]
    shot(page, "campaign-10-staff-dose")

    # Closing the day needs the box ticked; then whoever did not come is a no-show, back in the queue.
    page.get_by_role("button", name="Kết thúc ngày tiêm").click()
    assert (
        page.locator("#close-error").inner_text() == "Hãy đánh dấu ô xác nhận trước khi kết thúc ngày tiêm."
    )
    shot(page, "campaign-11-close-unconfirmed")
    page.get_by_label("Tôi xác nhận").check()
    page.get_by_role("button", name="Kết thúc ngày tiêm").click()
    notice = page.get_by_role("status").inner_text()
    assert notice.startswith("Đã kết thúc ngày tiêm: ")
    missed = page.locator("ol.today .badge", has_text="Không đến").count()
    assert missed >= 2
    assert f"{missed} người không đến" in notice
    assert page.get_by_role("button", name="Đã đến").count() == 0
    waiting = {p.registration.person_id for x in people[1:] for p in service.queue_places(x) if p.position}
    assert waiting == {str(p) for p in people[1:]}
    shot(page, "campaign-12-day-closed")


def test_an_officer_plans_a_day_and_a_week_and_bad_dates_say_what_is_wrong(
    world: dict[str, Any], page: Any
) -> None:
    service: CampaignService = world["service"]
    ledger: Ledger = world["ledger"]
    truc_bach = world["sites"]["VN-01-0103"]
    for n in range(20, 40):
        person(world, n, "00004")
    sign_in_staff(page, world, "officer.hanoi")
    page.get_by_role("link", name="Kế hoạch tiêm").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Kế hoạch tiêm của tỉnh"
    assert "Buổi sáng 07:30–11:30: 2" in page.locator("ul.sites").inner_text()
    # Stock has its own pages (receive, allocate): this page links there.
    assert page.get_by_role("link", name="Xem tồn kho và phân bổ lô").get_attribute("href") == "/stock"
    shot(page, "campaign-13-province")
    fits_a_phone(page)

    # Places per session: 1 to 2,000; the wrong one says so beside itself and keeps what was typed.
    card = page.locator(f"#site-{truc_bach}")
    card.get_by_text("Đổi số chỗ mỗi buổi").click()
    card.get_by_label("Buổi sáng 07:30–11:30: số chỗ").fill("2500")
    card.get_by_role("button", name="Lưu số chỗ").click()
    card = page.locator(f"#site-{truc_bach}")
    field_error = card.locator(f"#capacity-{truc_bach}-morning-error").inner_text()
    assert field_error.startswith("Số chỗ mỗi buổi phải từ 1 đến 2.000, không phải 2.500.")
    assert card.get_by_label("Buổi sáng 07:30–11:30: số chỗ").input_value() == "2500"
    assert page.evaluate("document.activeElement.id") == f"capacity-{truc_bach}-morning"
    shot(page, "campaign-13b-capacity-too-large")
    card.get_by_label("Buổi sáng 07:30–11:30: số chỗ").fill("0")
    card.get_by_role("button", name="Lưu số chỗ").click()
    assert "không phải 0" in page.locator(f"#capacity-{truc_bach}-morning-error").inner_text()
    page.locator(f"#site-{truc_bach}").get_by_label("Buổi sáng 07:30–11:30: số chỗ").fill("2")
    page.locator(f"#site-{truc_bach}").get_by_role("button", name="Lưu số chỗ").click()
    assert page.get_by_role("status").inner_text() == "Đã lưu số chỗ mỗi buổi."

    page.get_by_label("Điểm tiêm", exact=True).select_option(label="Trạm Y tế Phường Trúc Bạch (VN-01-0103)")
    page.get_by_label("Ngày bắt đầu").fill("01/01/2020")
    page.get_by_role("button", name="Lập kế hoạch tiêm").click()
    assert page.locator("#date-error").inner_text().startswith("Ngày 01/01/2020 đã qua")
    assert page.get_by_label("Ngày bắt đầu").input_value() == "01/01/2020"
    assert page.locator("#site_id option:checked").inner_text() == "Trạm Y tế Phường Trúc Bạch (VN-01-0103)"
    shot(page, "campaign-14-date-in-past")
    page.get_by_label("Ngày bắt đầu").fill("31/02/2027")
    page.get_by_role("button", name="Lập kế hoạch tiêm").click()
    assert page.locator("#date-error").inner_text().startswith("«Ngày bắt đầu» không phải ngày hợp lệ.")
    assert page.get_by_label("Ngày bắt đầu").input_value() == "31/02/2027"

    first = ledger.today() + timedelta(days=2)
    page.get_by_label("Ngày bắt đầu").fill(vi(first))
    page.get_by_label("Một ngày").check()
    page.get_by_role("button", name="Lập kế hoạch tiêm").click()
    notices = page.get_by_role("status").locator("p").all_inner_texts()
    assert notices[0] == "Đã lập kế hoạch 1 ngày: 4 lịch hẹn mới, 16 người còn chờ."
    assert "16 người chờ vì các buổi đã hết chỗ." in notices  # why they wait
    shot(page, "campaign-14b-day-planned-why-waiting")
    day = service.day(truc_bach, first)
    assert day is not None
    assert sum(s.taken for s in day.sessions) == 4

    page.get_by_label("Điểm tiêm", exact=True).select_option(label="Trạm Y tế Phường Trúc Bạch (VN-01-0103)")
    page.get_by_label("Ngày bắt đầu").fill(vi(first + timedelta(days=1)))
    page.get_by_label("Cả tuần").check()
    page.get_by_role("button", name="Lập kế hoạch tiêm").click()
    notices = page.get_by_role("status").locator("p").all_inner_texts()
    assert notices[0] == "Đã lập kế hoạch 7 ngày: 16 lịch hẹn mới, 0 người còn chờ."
    assert not any("người chờ vì" in line for line in notices)  # nobody waits: no reason given
    shot(page, "campaign-15-week-planned")
    planned = [service.day(truc_bach, first + timedelta(days=k)) for k in range(1, 8)]
    assert sum(s.taken for d in planned if d for s in d.sessions) == 16


def test_anyone_reads_a_wards_priority_list_with_small_counts_hidden(
    world: dict[str, Any], page: Any
) -> None:
    for n in range(50, 57):  # 7 health workers and 2 over-65s wait in Trúc Bạch (ward 00004)
        person(world, n, "00004")
    for n in range(60, 62):
        person(world, n, "00004", "CHRONIC_DISEASE_OR_OVER_65")
    page.goto(world["url"] + "/")
    page.get_by_role("link", name="Thứ tự ưu tiên").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Danh sách ưu tiên theo phường/xã"
    page.get_by_label("Tìm trong danh sách Tỉnh/thành phố").fill("ha noi")
    page.locator("#district_code:not([disabled])").wait_for()
    page.get_by_label("Quận/huyện", exact=True).select_option(label="Ba Đình")
    page.locator("#ward_code:not([disabled])").wait_for()
    page.get_by_label("Tìm trong danh sách Phường/xã").fill("truc bach")
    page.get_by_role("button", name="Xem").click()
    table = page.locator("table.priority").inner_text()
    assert "Nhân viên y tế" in table
    assert "Bệnh nền, trên 65 tuổi\t< 5" in table
    assert "Phạm" not in page.content()
    assert "0977" not in page.content()
    cutoff = page.locator("#cutoff").inner_text()
    assert cutoff.startswith("Ngày tiêm tới: ")
    assert "Dự kiến đến nhóm 1 (Nhân viên y tế)" in cutoff or "Mọi người" in cutoff
    shot(page, "campaign-16-priority-list")
    fits_a_phone(page)


def test_the_priority_list_works_without_javascript(world: dict[str, Any], browser: Any) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="vi-VN", java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(world["url"] + "/priority")
        page.get_by_label("Tỉnh/thành phố", exact=True).select_option(value="01")
        page.get_by_role("button", name="Xem").click()
        page.get_by_label("Quận/huyện", exact=True).select_option(value="001")
        page.get_by_role("button", name="Xem").click()
        page.get_by_label("Phường/xã", exact=True).select_option(value="00001")
        page.get_by_role("button", name="Xem").click()
        assert page.locator("table.priority").count() == 1
        assert page.get_by_role("heading", level=2).first.inner_text().startswith("Phường Phúc Xá")
        shot(page, "campaign-17-priority-no-js")
    finally:
        context.close()


def test_a_citizen_moves_and_cancels_without_javascript(world: dict[str, Any], browser: Any) -> None:
    from ledger.campaign.planning import Booking
    from ledger.campaign.values import registration_id

    service: CampaignService = world["service"]
    ledger: Ledger = world["ledger"]
    me = person(world, 65, "00001")
    day = ledger.today() + timedelta(days=3)
    school = world["sites"]["VN-01-0102"]
    ledger.book_day(
        site_id=UUID(school),
        day=day,
        bookings=[Booking(registration_id(me, 1), me, "afternoon", 1, PFIZER, 1)],
        actor=SYSTEM,
        idempotency_key="no-js-booking",
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="vi-VN", java_script_enabled=False
    )
    try:
        page = context.new_page()
        sign_in_citizen(page, world, "0977000065")
        page.goto(world["url"] + f"/me/vaccination/{me}")
        assert "Buổi chiều 13:30–16:30" in page.locator("section.appointment").inner_text()
        page.get_by_role("link", name="Đổi lịch").click()
        later = day + timedelta(days=1)
        page.locator("summary", has_text=vi(later)).click()  # <details> opens without script
        page.locator(f"input[value='{school}|{later.isoformat()}|morning']").check()
        page.get_by_role("button", name="Đổi sang buổi đã chọn").click()
        assert page.get_by_role("status").inner_text().startswith("Đã đổi lịch tiêm của Phạm")
        assert f"Lịch hẹn: {vi(later)}" in page.locator("section.appointment").inner_text()
        page.get_by_role("link", name="Hủy lịch").click()
        page.get_by_label("Rút khỏi hàng chờ").check()
        page.get_by_role("button", name="Xác nhận hủy lịch").click()
        assert "rút" in page.get_by_role("status").inner_text()
        assert [p.registration.status for p in service.queue_places(me)] == ["withdrawn"]
        assert page.get_by_role("button", name="Đăng ký tiêm").count() == 1  # may register again
        shot(page, "campaign-18-no-js-moved-and-withdrawn")
    finally:
        context.close()
