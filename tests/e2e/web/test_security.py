"""Headers, CSRF, cookies, secrets, logs, language catalog and the OpenAPI description."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from flask import Flask

from ledger.application import Ledger
from tests.e2e.web.conftest import make_app, sign_in_as
from web.catalog import CATALOG
from web.config import SECRET_FILE_NAME
from web.roles import Role


def test_every_page_carries_the_security_headers(client: object) -> None:
    from flask.testing import FlaskClient

    assert isinstance(client, FlaskClient)
    for path in ("/", "/signin/citizen", "/statistics", "/api/v1/openapi.json", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_forms_without_the_csrf_token_are_refused(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/signin/citizen", data={"phone": "0912345678"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "Your session has expired" in response.get_data(as_text=True)
    assert app.extensions["immunize"].sender.messages == []
    page = client.get("/signin/citizen").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/signin/citizen", data={"phone": "0912345678", "csrf_token": token})
    assert response.status_code == 302
    assert len(app.extensions["immunize"].sender.messages) == 1


def test_api_calls_need_the_csrf_header(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/api/v1/auth/otp", json={"phone": "0912345678"}).status_code == 400
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    response = client.post("/api/v1/auth/otp", json={"phone": "0912345678"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.get_json() == {"sent_to": "*******678"}


def test_the_session_cookie_is_secure_httponly_and_samesite(tmp_path: Path, ledger: Ledger) -> None:
    app = make_app(tmp_path, ledger, SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    response = client.get("/api/v1/session")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_the_secret_key_is_generated_into_the_key_dir_once_with_mode_0600(
    tmp_path: Path, ledger: Ledger
) -> None:
    first = make_app(tmp_path, ledger, IMMUNIZE_SECRET_KEY="")
    path = tmp_path / "keys" / SECRET_FILE_NAME
    assert path.exists()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    second = make_app(tmp_path, ledger, IMMUNIZE_SECRET_KEY="")
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 40


def test_request_logs_name_the_route_never_the_values(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    person = "3b1d0c52-5f0e-4a55-9a9a-111111111111"
    client = app.test_client()
    sign_in_as(client, "citizen", phone="0912345678")
    with caplog.at_level(logging.INFO, logger="immunize.web"):
        client.get(f"/me/people/{person}")
        client.post("/api/v1/auth/otp", json={"phone": "0912345678"})
    text = caplog.text
    assert "/me/people/<person_id>" in text
    assert person not in text
    assert "0912345678" not in text


def test_the_catalog_has_both_languages_for_every_key() -> None:
    missing = [key for key, entry in CATALOG.items() if set(entry) != {"vi", "en"}]
    assert missing == []
    templates = Path(__file__).resolve().parents[3] / "web" / "templates"
    import re

    used = set()
    for template in templates.glob("*.html"):
        used |= set(re.findall(r"t\('([a-z_]+\.[a-z_]+)'", template.read_text(encoding="utf-8")))
    assert sorted(used - set(CATALOG)) == []


def test_the_language_switch_changes_the_page_language(client: object) -> None:
    from flask.testing import FlaskClient

    assert isinstance(client, FlaskClient)
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    client.post("/language", data={"lang": "en", "next": "/", "csrf_token": token})
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Vaccination statistics" in page
    client.post("/language", data={"lang": "vi", "next": "https://evil.example/", "csrf_token": token})
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Số liệu tiêm chủng" in page


def test_openapi_describes_exactly_the_api_routes(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    described = {
        (path, method.upper()) for path, operations in document["paths"].items() for method in operations
    }
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                routes.add((path, method))
    assert described == routes


def test_national_ids_never_travel_in_urls(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        assert "national" not in rule.rule
        if rule.endpoint in ("staff.find", "api.find"):
            assert rule.methods is not None
            assert "GET" not in rule.methods


def test_behind_a_proxy_each_client_has_its_own_rate_limit(tmp_path: Path, ledger: Ledger) -> None:
    app = make_app(tmp_path, ledger, PROXY_HOPS=1, RATE_OTP_PER_CLIENT=(2, 900), WTF_CSRF_ENABLED=False)
    client = app.test_client()

    def ask(phone: str, address: str) -> int:
        return client.post(
            "/signin/citizen", data={"phone": phone}, headers={"X-Forwarded-For": address}
        ).status_code

    assert [ask("0912000001", "203.0.113.7"), ask("0912000002", "203.0.113.7")] == [302, 302]
    assert ask("0912000003", "203.0.113.7") == 400  # this client asked too often
    assert ask("0912000004", "198.51.100.9") == 302  # another client behind the same proxy did not


def test_without_signing_keys_the_downloads_say_what_to_run(app: Flask) -> None:
    response = app.test_client().get("/trust-list", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "The signing keys are not set up yet." in text
    assert "immunize keys init" in text
    assert "Traceback" not in text


def test_the_database_files_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    """Issue 12, item 11: the SQLite file and its -wal/-shm companions are 0600."""
    from projections.registry import catch_up_views
    from tests.e2e.web.conftest import make_app as build

    path = tmp_path / "data" / "ledger.db"
    url = f"sqlite:///{path}"
    app = build(tmp_path, IMMUNIZE_DATABASE_URL=url)
    ledger = app.extensions["immunize"].platform.ledger
    app.extensions["immunize"].accounts.add_staff("auditor.an", "a long enough password", Role.AUDITOR)
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    files = [p for p in path.parent.iterdir() if p.name.startswith("ledger.db")]
    assert path in files
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name


def test_an_existing_database_file_is_tightened_to_0600(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    Ledger(f"sqlite:///{path}", key_dir=tmp_path / "keys")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
