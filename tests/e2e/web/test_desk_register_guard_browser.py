"""At phone width, the desk's "register a new person" refuses an ID a citizen declared online: the
sentence is beside the ID field, the form is kept as typed, and no second person is made."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from tests.e2e.web.test_browser import STAFF_PASSWORD, browser, fill_person, page, shot, world  # noqa: F401
from tests.people import listed

pytestmark = pytest.mark.browser

DECLARED = "001190135791"


def test_the_desk_is_told_beside_the_id_field_that_the_citizen_registered_online(
    world: dict[str, Any],  # noqa: F811
    page: Any,  # noqa: F811
) -> None:
    ledger: Ledger = world["ledger"]
    ledger.register_person(
        national_id=DECLARED,
        full_name="Ngô Thị Tự Khai",
        date_of_birth="1988-08-08",
        sex="female",
        phone="0399000019",
        ward_code="00001",
        priority_group="OTHER",
        actor=Actor("web-citizen", LedgerRole.CITIZEN),  # typed online: held, not claimed
        idempotency_key="declared-guard-browser",
    )
    people = len(listed(ledger, limit=200))
    page.goto(world["url"] + "/signin/staff")
    page.get_by_label("Tên đăng nhập").fill("nurse.browser")
    page.get_by_label("Mật khẩu").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/desk/")
    page.get_by_role("link", name="Đăng ký người mới").click()
    fill_person(page, "Ngô Thị Tự Khai", "08/08/1988", DECLARED, "OTHER")
    page.get_by_role("button", name="Đăng ký người mới").click()
    page.wait_for_load_state()
    error = page.locator("#national_id-error")
    assert "Đã có người tự đăng ký trực tuyến với số giấy tờ này" in error.inner_text()
    assert page.get_by_label("Số CCCD/CMND").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Số CCCD/CMND").input_value() == DECLARED
    assert page.get_by_label("Họ và tên").input_value() == "Ngô Thị Tự Khai"
    assert page.locator("#ward_code option:checked").inner_text() == "Phường Phúc Xá"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows a phone
    shot(page, "desk-register-declared-id")
    assert len(listed(ledger, limit=200)) == people  # no second person
