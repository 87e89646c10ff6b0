"""At phone width, in Vietnamese: the nurse opens a citizen's online registration whose number the site
registered before, reads for whom, joins the two with one button, and lands on the registered record with
the confirmation. Nothing overflows 390 px."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from tests.e2e.web.test_browser import STAFF_PASSWORD, browser, page, shot, world  # noqa: F401

pytestmark = pytest.mark.browser

NUMBER = "001190246802"


def test_the_nurse_joins_the_online_registration_to_the_registered_record(
    world: dict[str, Any],  # noqa: F811
    page: Any,  # noqa: F811
) -> None:
    ledger: Ledger = world["ledger"]

    def person(name: str, phone: str | None, actor: Actor, key: str) -> Any:
        return ledger.register_person(
            national_id=NUMBER, full_name=name, date_of_birth="1979-09-09", sex="male", phone=phone,
            ward_code="00001", priority_group="OTHER", actor=actor, idempotency_key=key,
        )  # fmt: skip

    registered = person("Đinh Văn Gộp", None, Actor("admin", LedgerRole.ADMIN), "join-browser-desk")
    online = person("Đinh Văn Gộp", "0399000029", Actor("0399000029", LedgerRole.CITIZEN), "join-browser-web")
    page.goto(world["url"] + "/signin/staff")
    page.get_by_label("Tên đăng nhập").fill("nurse.browser")
    page.get_by_label("Mật khẩu").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/desk/")
    page.goto(f"{world['url']}/desk/people/{online}")
    notice = page.locator("#same-number").inner_text()
    assert "Số này đã được đăng ký tại điểm tiêm cho Đinh Văn Gộp (sinh 09/09/1979)" in notice
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "desk-join-online-registration")
    page.get_by_role("button", name="Đã xem thẻ: gộp vào hồ sơ đã đăng ký").click()
    page.wait_for_url(f"**/desk/people/{registered}")
    assert "Đã gộp đăng ký trực tuyến vào hồ sơ của Đinh Văn Gộp" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "desk-joined")
    assert ledger.person_record(online).erased
    assert ledger.person_record(registered).phone == "0399000029"
