"""The nurse finds, at phone width, a citizen by the ID they declared online, and is told to check the card."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from tests.e2e.web.test_browser import STAFF_PASSWORD, browser, page, shot, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

DECLARED = "001190246813"


def test_the_nurse_finds_a_declared_id_and_is_told_to_check_the_card(
    world: dict[str, Any],  # noqa: F811
    page: Any,  # noqa: F811
) -> None:
    ledger: Ledger = world["ledger"]
    person_id = ledger.register_person(
        national_id=DECLARED,
        full_name="Ngô Thị Tự Khai",
        date_of_birth="1988-08-08",
        sex="female",
        phone="0399000018",
        ward_code="00001",
        priority_group="OTHER",
        actor=Actor("web-citizen", LedgerRole.CITIZEN),  # typed online: held, not claimed
        idempotency_key="declared-browser",
    )
    page.goto(world["url"] + "/signin/staff")
    page.get_by_label("Tên đăng nhập").fill("nurse.browser")
    page.get_by_label("Mật khẩu").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/desk/")
    page.get_by_label("Số CCCD/CMND", exact=True).fill(DECLARED)
    page.get_by_role("button", name="Tìm", exact=True).first.click()
    page.wait_for_load_state()
    notice = page.locator("section[aria-labelledby=h-declared]")
    assert "chưa xác nhận" in notice.inner_text()
    assert "Ngô Thị Tự Khai" in notice.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows a phone
    shot(page, "desk-declared-id")
    notice.get_by_role("link", name="Ngô Thị Tự Khai").click()
    page.wait_for_url(f"**/desk/people/{person_id}")
    page.get_by_role("button", name="Đã xem thẻ: xác nhận số giấy tờ").click()
    page.wait_for_load_state()
    assert ledger.person_by_national_id(DECLARED).person_id == person_id
