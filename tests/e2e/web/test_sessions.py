"""Security review, issue 12, item 2: sessions are revoked by sign-out, password, role and phone changes.

Flask's session is a signed cookie kept by the browser, so revoking it needs a server-side check:
each account has a session version, stamped into the session at sign-in and compared on every request.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from cli.main import _register, immunize
from ledger.application import Ledger
from services.demo_population import seed_demo
from tests.e2e.web.conftest import SECRET, make_app
from tests.e2e.web.test_citizen import a_vaccinated_holder, sign_in_with_code
from web.roles import Role

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture  # per test, not per module: tests write to it
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ledger, Path]:
    base = tmp_path_factory.mktemp("sessions")
    ledger = Ledger("memory://", key_dir=base / "lk")
    seed_demo(ledger, people=20, seed=7)
    return ledger, base


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("immunize_session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie: str, path: str) -> int:
    """What a second browser holding a copy of the cookie gets for `path`."""
    other = app.test_client()
    other.set_cookie("immunize_session", cookie)
    return other.get(path).status_code


def role_seen(app: Flask, cookie: str) -> str:
    other = app.test_client()
    other.set_cookie("immunize_session", cookie)
    role = other.get("/api/v1/session").get_json()["role"]
    assert isinstance(role, str)
    return role


def test_a_citizen_cookie_saved_before_sign_out_no_longer_opens_the_family(
    seeded: tuple[Ledger, Path],
) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    holder = a_vaccinated_holder(ledger)
    client = app.test_client()
    sign_in_with_code(client, app, holder.phone)
    saved = session_cookie(client)
    assert replay(app, saved, "/api/v1/me/family") == 200
    assert client.post("/signout").status_code == 302
    assert replay(app, saved, "/api/v1/me/family") == 401
    assert replay(app, saved, "/me/") == 302  # sent to sign in


def test_signing_out_through_the_api_revokes_too(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    holder = a_vaccinated_holder(ledger)
    client = app.test_client()
    sign_in_with_code(client, app, holder.phone)
    saved = session_cookie(client)
    assert client.post("/api/v1/auth/signout", json={}).status_code == 200
    assert replay(app, saved, "/api/v1/me/family") == 401
    # Signing in again gives a session that works.
    sign_in_with_code(client, app, holder.phone)
    assert client.get("/api/v1/me/family").status_code == 200


def test_a_province_officers_cookie_dies_with_staff_add_replace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", url)
    monkeypatch.setenv("IMMUNIZE_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("IMMUNIZE_SECRET_KEY", SECRET)
    monkeypatch.setenv("IMMUNIZE_MESSAGE_SENDER", "memory")
    ledger = Ledger(url, key_dir=tmp_path / "keys")
    app = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url, WTF_CSRF_ENABLED=False)
    accounts = app.extensions["immunize"].accounts
    accounts.add_staff("officer.an", PASSWORD, Role.PROVINCE, province_code="01")
    now = [0.0]
    accounts.monotonic = lambda: now[0]  # the worker's clock, stopped: the bound is crossed below
    client = app.test_client()
    assert (
        client.post("/signin/staff", data={"username": "officer.an", "password": PASSWORD}).status_code == 302
    )
    saved = session_cookie(client)
    assert replay(app, saved, "/province/") == 200

    monkeypatch.setenv("IMMUNIZE_STAFF_PASSWORD", NEW_PASSWORD)
    _register()
    result = CliRunner().invoke(
        immunize, ["staff", "add", "officer.an", "--role", "auditor", "--replace"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    # Another process revoked it: this worker trusts the version it read for at most
    # SESSION_CHECK_SECONDS (web.accounts.session_is_current), then the old session is refused.
    now[0] += accounts.session_check_seconds
    assert replay(app, saved, "/province/") == 302  # the old session is gone: sign in again
    assert replay(app, saved, "/audit/") == 302  # and it never gains the new role
    assert (
        client.post("/signin/staff", data={"username": "officer.an", "password": NEW_PASSWORD}).status_code
        == 302
    )
    assert client.get("/audit/").status_code == 200


def test_a_password_change_revokes_every_older_session(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    accounts = app.extensions["immunize"].accounts
    accounts.add_staff("nurse.lan", PASSWORD, Role.STAFF, site_id="site-1", replace=True)
    phone_one, phone_two = app.test_client(), app.test_client()
    for client in (phone_one, phone_two):
        assert (
            client.post("/signin/staff", data={"username": "nurse.lan", "password": PASSWORD}).status_code
            == 302
        )
    saved = [session_cookie(phone_one), session_cookie(phone_two)]
    assert [role_seen(app, cookie) for cookie in saved] == ["staff", "staff"]
    accounts.add_staff("nurse.lan", NEW_PASSWORD, Role.STAFF, site_id="site-1", replace=True)
    assert [role_seen(app, cookie) for cookie in saved] == ["public", "public"]


def test_another_accounts_sign_out_leaves_this_session_alone(seeded: tuple[Ledger, Path]) -> None:
    ledger, base = seeded
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    accounts = app.extensions["immunize"].accounts
    accounts.add_staff("nurse.lan", PASSWORD, Role.STAFF, site_id="site-1", replace=True)
    accounts.add_staff("nurse.hoa", PASSWORD, Role.STAFF, site_id="site-1", replace=True)
    lan, hoa = app.test_client(), app.test_client()
    lan.post("/signin/staff", data={"username": "nurse.lan", "password": PASSWORD})
    hoa.post("/signin/staff", data={"username": "nurse.hoa", "password": PASSWORD})
    hoa.post("/signout")
    assert lan.get("/api/v1/session").get_json()["role"] == "staff"
    assert hoa.get("/api/v1/session").get_json()["role"] == "public"
