"""Fixtures for the web tests: a real app on a real (in-memory) ledger, and signed-in clients per role."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.application import Ledger
from tests.people import listed
from web import create_app

SECRET = "test-secret-key-" + "x" * 40
ROLES = ("anonymous", "citizen", "staff", "province", "response", "auditor")


def make_app(tmp_path: Path, ledger: Ledger | None = None, **extra: Any) -> Flask:
    config: dict[str, Any] = {
        "TESTING": True,
        "IMMUNIZE_DATABASE_URL": "memory://",
        "IMMUNIZE_SECRET_KEY": SECRET,
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "MESSAGE_SENDER": "memory",
        "SESSION_COOKIE_SECURE": False,
        # Real argon2id, cheaper parameters: the suite signs in hundreds of times.
        "PASSWORD_HASHER": {"time_cost": 1, "memory_cost": 8192, "parallelism": 1},
    }
    if ledger is not None:
        config["LEDGER"] = ledger
    config.update(extra)
    return create_app(config)


def copy_seeded(template: Path, dest: Path) -> Path:
    """A private copy of a seeded directory, so that a test that writes never changes what others read.

    SQLite files go through SQLite's backup API (a consistent copy even while the template is open in
    WAL mode); everything else (key directories) is copied as files.
    """
    shutil.copytree(template, dest, ignore=shutil.ignore_patterns("*.db", "*.db-wal", "*.db-shm"))
    for database in template.glob("*.db"):
        with (
            closing(sqlite3.connect(database)) as source,
            closing(sqlite3.connect(dest / database.name)) as target,
        ):
            source.backup(target)
    return dest


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger("memory://", key_dir=tmp_path / "ledger-keys")


@pytest.fixture
def app(tmp_path: Path, ledger: Ledger) -> Flask:
    return make_app(tmp_path, ledger)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as client:
        yield client


def sign_in_as(
    client: FlaskClient, role: str, *, site_id: str = "", province_code: str = "01", phone: str = "0912345678"
) -> None:
    """Put a principal straight into the session (the sign-in flows have their own tests)."""
    from web.roles import SESSION_VERSION, Principal, Role, session_account
    from web.signin import seal

    assert client.application is not None
    with client.application.test_request_context():
        sealed = seal(phone)
    # Stamp the account's current session version, as a real sign-in does (issue 12, item 2).
    version = 0
    if role != "anonymous":
        accounts = client.application.extensions["immunize"].accounts
        version = accounts.session_version(session_account(Principal(Role(role), f"test-{role}")))
    with client.session_transaction() as session:
        session.clear()
        if role == "anonymous":
            return
        session["principal"] = {
            "role": role,
            "subject": f"test-{role}",
            "site_id": site_id,
            "province_code": province_code,
            "display": role,
        }
        session[SESSION_VERSION] = version
        if role == "citizen":
            session["phone"] = sealed


def csrf_token(client: FlaskClient) -> str:
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    assert isinstance(token, str)
    return token


def fixed_clock() -> datetime:
    return datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def person_holding(ledger: Ledger, national_id: str) -> Any:
    """The person who typed this national ID online (held until staff see the card: issue 12, item 10)."""
    return next(r for r in listed(ledger, limit=100_000) if r.claimed_national_id == national_id)
