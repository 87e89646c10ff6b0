"""The API's error `message` is in the language the request asks for (Accept-Language), Vietnamese
without one; a language cookie left by the pages does not override the request's header on the API
(it answered Vietnamese to `Accept-Language: en` before). The pages keep the visitor's choice.

And a taken site code through the API: 409 `site_code_taken`, the service's sentence; the page shows
the same sentence beside the code field (one rule, services.campaign_sites)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from ledger.application import Ledger
from tests.e2e.web.conftest import csrf_token, make_app, sign_in_as
from tests.e2e.web.test_site_page import good, post

BODY = {
    "code": "VN-01-0888",
    "name": "Trạm Y tế Trúc Bạch",
    "ward_code": "00004",
    "sessions": ["morning=07:30-11:30/50"],
}
VI = "Mã điểm tiêm VN-01-0888 đã dùng cho Trạm Y tế Trúc Bạch: chọn mã khác."
EN = "The site code VN-01-0888 is already Trạm Y tế Trúc Bạch's: choose another code."


@pytest.fixture
def officer(tmp_path: Path) -> FlaskClient:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    client = make_app(tmp_path, ledger).test_client()
    sign_in_as(client, "province", province_code="01")
    first = client.post("/api/v1/campaign/sites", json=BODY, headers={"X-CSRFToken": csrf_token(client)})
    assert first.status_code == 200, first.get_json()
    return client


def again(client: FlaskClient, **headers: str) -> Any:
    return client.post(
        "/api/v1/campaign/sites",
        json={**BODY, "name": "Trạm Y tế Khác"},
        headers={"X-CSRFToken": csrf_token(client), **headers},
    )


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        (None, None, VI),  # no header: Vietnamese
        (None, "en", EN),
        (None, "en-US,en;q=0.9", EN),
        (None, "vi-VN,vi;q=0.9,en;q=0.5", VI),
        ("vi", "en", EN),  # the pages' cookie does not answer the API's explicit header (the old bug)
        ("en", "vi", VI),
        ("en", None, EN),  # no header: the visitor's choice
    ],
)
def test_the_api_error_message_is_in_the_language_of_the_request(
    officer: FlaskClient, cookie: str | None, accept: str | None, expected: str
) -> None:
    if cookie:
        officer.get(f"/?lang={cookie}")
    answer = again(officer, **({"Accept-Language": accept} if accept else {}))
    assert answer.status_code == 409
    body = answer.get_json()
    assert (body["error"], body["message"], body["detail"]) == ("site_code_taken", expected, EN)


def test_the_page_refuses_a_taken_code_with_the_services_sentence(officer: FlaskClient) -> None:
    page = post(officer, "/province/sites/new", good(site_code="VN-01-0888", site_name="Trạm Y tế Khác"))
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert VI in html
    assert (
        'name="site_code" maxlength="50" autocomplete="off" value="VN-01-0888" autofocus aria-invalid="true"'
        in html
    )
    # the page in Vietnamese whatever the browser sends: a page keeps the visitor's choice
    officer.get("/?lang=vi")
    page = officer.post(
        "/province/sites/new",
        data={**good(site_code="VN-01-0888"), "csrf_token": csrf_token(officer)},
        headers={"Accept-Language": "en"},
    )
    assert VI in page.get_data(as_text=True)
