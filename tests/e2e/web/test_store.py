"""The web app's own tables on every store: memory, a SQLite file, a fresh PostgreSQL database."""

from __future__ import annotations

import pytest

from ledger.settings import parse_database_url
from web.accounts import Accounts
from web.errors import BadInput, RateLimited, SignInFailed
from web.roles import Role
from web.store import SqlStore

CHEAP = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}


def accounts_on(url: str) -> Accounts:
    from argon2 import PasswordHasher

    return Accounts(SqlStore(parse_database_url(url)), "s" * 40, hasher=PasswordHasher(**CHEAP))


def test_staff_accounts_codes_and_rate_limits_work_the_same_on_every_store(database_url: str) -> None:
    accounts = accounts_on(database_url)
    accounts.add_staff("nurse.an", "a long enough password", Role.STAFF, site_id="site-1")
    with pytest.raises(BadInput):
        accounts.add_staff("nurse.an", "another long password", Role.STAFF, site_id="site-1")
    assert accounts.authenticate("Nurse.An", "a long enough password").site_id == "site-1"
    with pytest.raises(SignInFailed):
        accounts.authenticate("nurse.an", "wrong password!")
    with pytest.raises(SignInFailed):
        accounts.authenticate("nobody", "a long enough password")

    code = accounts.issue_code("0912345678", now=1000.0)
    with pytest.raises(SignInFailed):
        accounts.check_code("0912345678", "000000" if code != "000000" else "111111", now=1001.0)
    accounts.check_code("0912345678", code, now=1002.0)
    with pytest.raises(SignInFailed):  # a code works once
        accounts.check_code("0912345678", code, now=1003.0)

    for second in range(3):
        accounts.hit("bucket", 3, 60, now=2000.0 + second)
    with pytest.raises(RateLimited):
        accounts.hit("bucket", 3, 60, now=2010.0)
    accounts.hit("bucket", 3, 60, now=2070.0)  # the window has moved on


def test_a_second_connection_sees_the_same_accounts(database_url: str) -> None:
    if database_url.startswith("memory"):
        pytest.skip("an in-memory store lives in one process object")
    accounts_on(database_url).add_staff("auditor.binh", "a long enough password", Role.AUDITOR)
    assert [a.username for a in accounts_on(database_url).list_staff()] == ["auditor.binh"]


@pytest.mark.parametrize(
    ("username", "password", "role", "site", "province"),
    [
        ("x", "a long enough password", Role.STAFF, "s", ""),
        ("nurse.an", "short", Role.STAFF, "s", ""),
        ("nurse.an", "a long enough password", Role.STAFF, "", ""),
        ("officer.an", "a long enough password", Role.PROVINCE, "", ""),
        ("citizen.an", "a long enough password", Role.CITIZEN, "", ""),
    ],
)
def test_bad_staff_accounts_are_refused_with_a_reason(
    username: str, password: str, role: Role, site: str, province: str
) -> None:
    accounts = accounts_on("memory://")
    with pytest.raises(BadInput) as caught:
        accounts.add_staff(username, password, role, site_id=site, province_code=province)
    assert str(caught.value)
    assert accounts.list_staff() == []
