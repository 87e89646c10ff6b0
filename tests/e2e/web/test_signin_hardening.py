"""Security review, issue 12: the one-time code race, the open redirect, staff sign-in backoff.

Each test reproduces what the review did and asserts it no longer works.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask

from ledger.application import Ledger
from ledger.settings import parse_database_url
from tests.e2e.web.conftest import make_app
from web.accounts import Accounts
from web.errors import RateLimited, SignInFailed, WebError
from web.roles import Role
from web.store import SqlStore

CHEAP = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
PASSWORD = "correct horse battery"


def accounts_on(url: str) -> Accounts:
    return Accounts(
        SqlStore(parse_database_url(url)), "s" * 40, hasher=PasswordHasher(**CHEAP), otp_attempts=5
    )


# item 3: the attempt limit holds under concurrent guesses -----------------------------------------------
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_sixteen_concurrent_wrong_codes_are_compared_at_most_five_times(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}" if kind == "sqlite" else request.getfixturevalue("postgres_url")
    accounts = accounts_on(url)
    code = accounts.issue_code("0912345678", now=1000.0)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    start = threading.Barrier(16)
    outcomes: list[str] = []
    lock = threading.Lock()

    def guess() -> None:
        start.wait()
        try:
            accounts.check_code("0912345678", wrong, now=1001.0)
            outcome = "accepted"
        except WebError as exc:
            outcome = exc.message_key
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=guess) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every guess that was compared and was not the last allowed one answers "wrong code"; the fifth
    # compared guess voids the code. So exactly four "wrong" answers, however the threads interleave.
    assert outcomes.count("error.code_wrong") == 4, outcomes
    assert "accepted" not in outcomes
    with pytest.raises((SignInFailed, RateLimited)):  # the code is void now, even the right one
        accounts.check_code("0912345678", code, now=1002.0)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_right_code_raced_against_itself_signs_in_once(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}" if kind == "sqlite" else request.getfixturevalue("postgres_url")
    accounts = accounts_on(url)
    code = accounts.issue_code("0912345678", now=1000.0)
    start = threading.Barrier(8)
    accepted: list[int] = []

    def use() -> None:
        start.wait()
        try:
            accounts.check_code("0912345678", code, now=1001.0)
        except WebError:
            return
        accepted.append(1)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(accepted) == 1


def test_after_five_wrong_codes_the_right_one_is_refused() -> None:
    accounts = accounts_on("memory://")
    code = accounts.issue_code("0912345678", now=1000.0)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        with pytest.raises(SignInFailed):
            accounts.check_code("0912345678", wrong, now=1001.0)
    with pytest.raises(RateLimited):
        accounts.check_code("0912345678", wrong, now=1001.0)
    with pytest.raises(SignInFailed):
        accounts.check_code("0912345678", code, now=1001.0)


# item 4: only same-site paths after sign-in ------------------------------------------------------------
@pytest.fixture
def staff_app(tmp_path: Path, ledger: Ledger) -> Flask:
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    app.extensions["immunize"].accounts.add_staff("officer.an", PASSWORD, Role.PROVINCE, province_code="01")
    return app


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.com",
        "/\n/evil.com",
        "/\r\n/evil.com",
        "/ /evil.com",
        "/\x00/evil.com",
        "/\x7f/evil.com",
        "/\u3000/evil.com",
        "//evil.com",
        "/\\evil.com",
        "https://evil.com/",
        "javascript:alert(1)",
        "evil.com",
        "/%2F/evil.com/../x",
    ],
)
def test_sign_in_never_redirects_off_the_site(staff_app: Flask, target: str) -> None:
    client = staff_app.test_client()
    response = client.post(
        "/signin/staff", data={"username": "officer.an", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/province/"


@pytest.mark.parametrize("query", ["/%09/evil.com", "/%0A/evil.com", "/%0D%0A/evil.com"])
def test_the_reviews_encoded_targets_neither_redirect_nor_fail(staff_app: Flask, query: str) -> None:
    client = staff_app.test_client()
    page = client.get(f"/signin/staff?next={query}")
    assert page.status_code == 200
    assert "evil.com" not in page.get_data(as_text=True)
    assert client.get(f"/signin?next={query}").status_code == 200
    response = client.post(
        f"/signin/staff?next={query}", data={"username": "officer.an", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/province/"


def test_a_same_site_path_is_still_honoured(staff_app: Flask) -> None:
    client = staff_app.test_client()
    response = client.post(
        "/signin/staff",
        data={"username": "officer.an", "password": PASSWORD, "next": "/province/?page=2#top"},
    )
    assert response.headers["Location"] == "/province/?page=2#top"


# item 9: only failures count, with exponential backoff and the wait shown ----------------------------
class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def sign_in(client: object, username: str, password: str, address: str = "203.0.113.7") -> tuple[int, str]:
    from flask.testing import FlaskClient

    assert isinstance(client, FlaskClient)
    response = client.post(
        "/signin/staff",
        data={"username": username, "password": password},
        headers={"Accept-Language": "en"},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code, response.get_data(as_text=True)


def test_successful_sign_ins_are_not_counted(tmp_path: Path, ledger: Ledger) -> None:
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False, CLOCK=Clock())
    app.extensions["immunize"].accounts.add_staff("nurse.mai", PASSWORD, Role.STAFF, site_id="x")
    client = app.test_client()
    assert [sign_in(client, "nurse.mai", PASSWORD)[0] for _ in range(12)] == [302] * 12


def test_wrong_passwords_delay_the_account_exponentially_and_say_how_long(
    tmp_path: Path, ledger: Ledger
) -> None:
    clock = Clock()
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False, CLOCK=clock)
    app.extensions["immunize"].accounts.add_staff("nurse.mai", PASSWORD, Role.STAFF, site_id="x")
    client = app.test_client()
    for _ in range(5):  # the first five failures are free
        assert sign_in(client, "nurse.mai", "wrong password")[0] == 401
    waits = []
    for _ in range(4):
        status, _text = sign_in(client, "nurse.mai", "wrong password")
        assert status == 401
        status, text = sign_in(client, "nurse.mai", PASSWORD, address="198.51.100.9")
        assert status == 429
        assert "Wait" in text
        seconds = app.extensions["immunize"].accounts.signin_wait(
            "nurse.mai", "198.51.100.9", clock.now.timestamp()
        )
        waits.append(seconds)
        clock.now += timedelta(seconds=seconds)
    assert waits == [2, 4, 8, 16]
    # After waiting, the real user signs in, and that clears the account's failures.
    assert sign_in(client, "nurse.mai", PASSWORD, address="198.51.100.9")[0] == 302
    assert sign_in(client, "nurse.mai", "wrong password")[0] == 401
    assert sign_in(client, "nurse.mai", PASSWORD, address="198.51.100.9")[0] == 302


def test_the_wait_is_shown_in_minutes_when_long(tmp_path: Path, ledger: Ledger) -> None:
    clock = Clock()
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False, CLOCK=clock)
    app.extensions["immunize"].accounts.add_staff("nurse.mai", PASSWORD, Role.STAFF, site_id="x")
    client = app.test_client()
    for _ in range(15):  # an hour apart: each one past the last wait; 2 ** 10 s is over the 15 min cap
        clock.now += timedelta(hours=1)
        sign_in(client, "nurse.mai", "wrong password")
    status, text = sign_in(client, "nurse.mai", PASSWORD)
    assert status == 429
    assert "Wait 15 minutes" in text


def test_one_address_guessing_many_accounts_is_slowed_down(tmp_path: Path, ledger: Ledger) -> None:
    clock = Clock()
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False, CLOCK=clock)
    accounts = app.extensions["immunize"].accounts
    for n in range(30):
        accounts.add_staff(f"nurse.{n:02d}", PASSWORD, Role.STAFF, site_id="x")
    client = app.test_client()
    statuses = [sign_in(client, f"nurse.{n:02d}", "wrong password")[0] for n in range(30)]
    assert statuses[:20] == [401] * 20
    assert 429 in statuses[20:]
    # Another address is not held up by that one.
    assert sign_in(client, "nurse.29", PASSWORD, address="198.51.100.9")[0] == 302
