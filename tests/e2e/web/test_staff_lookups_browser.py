"""The auditor's view of staff lookups (who looked up a number) in a real browser at phone width."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.application import Ledger
from tests.e2e.web.test_browser import STAFF_PASSWORD, browser, page, shot, world  # noqa: F401  (fixtures)
from tests.people import listed
from web.roles import Role

pytestmark = pytest.mark.browser


def sign_in(page: Any, url: str, username: str) -> None:  # noqa: F811
    page.goto(url + "/signin/staff")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_the_auditor_sees_who_looked_up_a_phone_number(world: dict[str, Any], page: Any) -> None:  # noqa: F811
    ledger: Ledger = world["ledger"]
    holder = next(r for r in listed(ledger, limit=200) if r.phone and not r.guardian_id and not r.erased)
    assert holder.phone is not None
    sign_in(page, world["url"], "nurse.browser")
    page.wait_for_url("**/desk/")
    page.get_by_label("Số điện thoại", exact=True).fill(holder.phone)
    page.locator("section[aria-labelledby=h-phone] button").click()
    page.wait_for_load_state()

    world["app"].extensions["immunize"].accounts.add_staff("auditor.browser", STAFF_PASSWORD, Role.AUDITOR)
    page.context.clear_cookies()
    sign_in(page, world["url"], "auditor.browser")
    page.goto(world["url"] + "/audit/reads")
    page.get_by_label("Ai đã tra cứu số này?", exact=False).fill("+84 " + holder.phone[1:])
    page.locator("form:has(#number) button").click()
    page.wait_for_load_state()
    rows = page.locator("h2#lookups ~ table tbody tr").all_inner_texts()
    assert any("nurse.browser" in row and "Số điện thoại" in row for row in rows)
    assert holder.phone not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows a phone
    shot(page, "audit-staff-lookups")
