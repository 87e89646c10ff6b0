"""Shared fixtures: the three stores the same suites run on (in-memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from hypothesis import settings

from tests.postgres_cluster import ClusterUnavailable, ServerAddress, ThrowawayCluster

# Property tests are deterministic (the same examples every run) and carry no time limit: the
# machine is shared, and a per-example deadline is a timing assertion in disguise.
settings.register_profile("project", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("project")

STORES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
POSTGRES_FIXTURES = {"postgres_server", "postgres_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that reaches PostgreSQL carries the `postgres` marker, so `-m "not postgres"` runs
    without starting a server: tests that ask for a PostgreSQL fixture, and every parametrized case
    whose parameter is "postgres" (stores chosen inside a fixture with getfixturevalue)."""
    for item in items:
        uses = POSTGRES_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        if uses or any(isinstance(value, str) and value == "postgres" for value in params):
            item.add_marker(pytest.mark.postgres)


# Key files are protected with 600,000 PBKDF2 rounds; tests choose a cheaper cost (keys.protection).
os.environ.setdefault("IMMUNIZE_KEY_KDF_ROUNDS", "1000")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ServerAddress]:
    """The PostgreSQL server of this test session.

    IMMUNIZE_TEST_POSTGRES_URL (postgresql://user:password@host:port/any) points at an existing
    server; otherwise a throwaway cluster is started and stopped at the end. Under CI=true a
    server that cannot start fails the test: PostgreSQL tests never skip in CI.
    """
    configured = os.environ.get("IMMUNIZE_TEST_POSTGRES_URL")
    if configured:
        parts = urlsplit(configured)
        yield ServerAddress(
            parts.hostname or "127.0.0.1",
            parts.port or 5432,
            parts.username or "postgres",
            parts.password or "",
        )
        return
    cluster = ThrowawayCluster()
    try:
        address = cluster.start()
    except ClusterUnavailable as exc:
        cluster.stop()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL could not start under CI: {exc}")
        pytest.skip(f"PostgreSQL could not start: {exc}")
    try:
        yield address
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_server: ServerAddress) -> Iterator[str]:
    """A fresh, empty database on the session's server, dropped afterwards."""
    name = "t_" + uuid.uuid4().hex[:16]
    admin = postgres_server.url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.url(name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on every store: in-memory, a SQLite file, a fresh PostgreSQL database."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
