"""The desk's find-by-phone in a real browser at phone width (Debian's chromium through Playwright)."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.application import Ledger
from tests.e2e.web.test_browser import STAFF_PASSWORD, browser, page, shot, world  # noqa: F401  (fixtures)
from tests.people import listed

pytestmark = pytest.mark.browser


def test_the_desk_finds_a_family_by_the_phone_number_a_parent_says(world: dict[str, Any], page: Any) -> None:  # noqa: F811
    ledger: Ledger = world["ledger"]
    people = listed(ledger, limit=200)
    holder = next(
        r for r in people if r.phone and not r.guardian_id and not r.erased and ledger.dependants(r.person_id)
    )
    children = [r for r in people if r.guardian_id == holder.person_id and not r.erased]
    assert holder.phone is not None
    assert children
    page.goto(world["url"] + "/signin/staff")
    page.get_by_label("Tên đăng nhập").fill("nurse.browser")
    page.get_by_label("Mật khẩu").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/desk/")

    spoken = f"{holder.phone[:4]} {holder.phone[4:7]} {holder.phone[7:]}"  # as a parent reads it out
    page.get_by_label("Số điện thoại", exact=True).fill(spoken)
    page.locator("section[aria-labelledby=h-phone] button").click()
    page.wait_for_load_state()
    listed_names = page.locator("ul.people li strong").all_inner_texts()
    assert listed_names[0] == holder.full_name
    assert {c.full_name for c in children} <= set(listed_names)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows a phone
    shot(page, "staff-find-by-phone")

    page.get_by_role("link", name=children[0].full_name).click()
    page.wait_for_url("**/desk/people/**")
    assert page.get_by_role("heading", level=1).inner_text() == children[0].full_name
