"""The per-request session check trusts a session version it read for SESSION_CHECK_SECONDS per worker
(web.accounts.session_is_current): one statement per account and interval instead of one per request.

Two apps on one SQLite store play two workers of one server. What must hold: the worker that revokes
refuses the old session at once; every other worker refuses it once the bound has passed (its clock is
a parameter here); a session signed in through another worker a moment ago is accepted at once; and
repeated requests of one session within the bound read no session version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from ledger.application import Ledger
from tests.e2e.web.conftest import make_app
from web.roles import Role

PASSWORD = "correct horse battery"


class Workers:
    def __init__(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
        ledger = Ledger(url, key_dir=tmp_path / "lk")
        self.now = 0.0
        self.apps: list[Flask] = []
        for _ in range(2):
            app = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url, WTF_CSRF_ENABLED=False)
            accounts = app.extensions["immunize"].accounts
            accounts.monotonic = lambda: self.now
            assert accounts.session_check_seconds == 2.0  # the default: the bound stated in the README
            self.apps.append(app)
        self.accounts(0).add_staff("nurse.lan", PASSWORD, Role.STAFF, site_id="site-1")

    def accounts(self, worker: int) -> Any:
        return self.apps[worker].extensions["immunize"].accounts

    def signed_in(self, worker: int) -> str:
        client = self.apps[worker].test_client()
        answer = client.post("/signin/staff", data={"username": "nurse.lan", "password": PASSWORD})
        assert answer.status_code == 302
        cookie = client.get_cookie("immunize_session")
        assert cookie is not None
        return cookie.value

    def role_seen(self, worker: int, cookie: str) -> str:
        client = self.apps[worker].test_client()
        client.set_cookie("immunize_session", cookie)
        role = client.get("/api/v1/session").get_json()["role"]
        assert isinstance(role, str)
        return role

    def sign_out(self, worker: int, cookie: str) -> None:
        client = self.apps[worker].test_client()
        client.set_cookie("immunize_session", cookie)
        assert client.post("/signout").status_code == 302


@pytest.fixture
def workers(tmp_path: Path) -> Workers:
    return Workers(tmp_path)


def test_a_sign_out_holds_at_once_where_it_was_made_and_within_the_bound_everywhere(
    workers: Workers,
) -> None:
    cookie = workers.signed_in(0)
    assert [workers.role_seen(w, cookie) for w in (0, 1)] == ["staff", "staff"]  # both read the version
    copy = cookie  # a copy of the cookie (another tab, a stolen one)
    workers.sign_out(0, cookie)
    assert workers.role_seen(0, copy) == "public"  # the worker that revoked it: at once
    workers.now += 1.9
    assert workers.role_seen(1, copy) == "staff"  # the other worker still trusts what it read 1.9 s ago
    workers.now += 0.1
    assert workers.role_seen(1, copy) == "public"  # past the 2 s bound: refused there too


def test_a_session_signed_in_through_another_worker_is_accepted_at_once(workers: Workers) -> None:
    first = workers.signed_in(0)
    assert workers.role_seen(1, first) == "staff"  # worker 1 now remembers this version
    workers.sign_out(0, first)  # a newer version, made in worker 0
    second = workers.signed_in(0)  # stamped with it
    assert workers.role_seen(1, second) == "staff"  # worker 1 reads again rather than refusing it
    assert workers.role_seen(1, first) == "public"  # and has learnt that the old one is revoked


def test_within_the_bound_one_session_is_checked_with_one_statement(
    workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    cookie = workers.signed_in(0)
    accounts = workers.accounts(1)
    read: list[str] = []
    query = accounts.store.query

    def counted(statement: str, params: Any = ()) -> Any:
        if "web_sessions" in statement:
            read.append(statement)
        return query(statement, params)

    monkeypatch.setattr(accounts.store, "query", counted)
    for _ in range(5):
        assert workers.role_seen(1, cookie) == "staff"
    assert len(read) == 1
    workers.now += 2.0
    assert workers.role_seen(1, cookie) == "staff"
    assert len(read) == 2  # read again once the bound has passed


def test_with_no_bound_every_request_reads_the_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url, key_dir=tmp_path / "lk")
    monkeypatch.setenv("IMMUNIZE_SESSION_CHECK_SECONDS", "0")
    apps = [make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url, WTF_CSRF_ENABLED=False) for _ in range(2)]
    apps[0].extensions["immunize"].accounts.add_staff("nurse.lan", PASSWORD, Role.STAFF, site_id="site-1")
    client = apps[0].test_client()
    client.post("/signin/staff", data={"username": "nurse.lan", "password": PASSWORD})
    cookie = client.get_cookie("immunize_session")
    assert cookie is not None
    other = apps[1].test_client()
    other.set_cookie("immunize_session", cookie.value)
    assert other.get("/api/v1/session").get_json()["role"] == "staff"
    client.post("/signout")
    assert other.get("/api/v1/session").get_json()["role"] == "public"  # at once, no clock moved
