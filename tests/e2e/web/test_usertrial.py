"""What a user trial found: each test reproduces one problem a person met on the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from ledger.application import Ledger
from tests.e2e.web.conftest import make_app


@pytest.fixture
def app(tmp_path: Path, ledger: Ledger) -> Flask:
    return make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)


def test_a_mistyped_phone_comes_back_in_the_sign_in_form(app: Flask) -> None:
    client = app.test_client()
    client.get("/signin/citizen")
    response = client.post("/signin/citizen", data={"phone": "09x123"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="09x123"' in page  # what was typed is kept, to be corrected, not typed again


def test_a_wrong_password_keeps_the_username_in_the_form(app: Flask) -> None:
    client = app.test_client()
    client.get("/signin/staff")
    response = client.post("/signin/staff", data={"username": "nobody.here", "password": "wrong password"})
    assert response.status_code in (400, 401)
    page = response.get_data(as_text=True)
    assert 'value="nobody.here"' in page
    assert "wrong password" not in page  # the password is never echoed
