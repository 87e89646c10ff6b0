"""IMMUNIZE_DATABASE_URL is the one setting that chooses the store."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from ledger.errors import ConfigurationError
from ledger.settings import parse_database_url, store_settings


def test_default_is_a_sqlite_file_under_var() -> None:
    settings = store_settings({})
    assert settings.kind == "sqlite"
    assert settings.sqlite_path == Path("var/ledger.db")
    assert settings.eventsourcing_env()["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"


def test_sqlite_relative_and_absolute_paths() -> None:
    assert parse_database_url("sqlite:///data/l.db").sqlite_path == Path("data/l.db")
    assert parse_database_url("sqlite:////tmp/l.db").sqlite_path == Path("/tmp/l.db")


def test_postgres_url_maps_onto_eventsourcing_settings() -> None:
    settings = parse_database_url("postgresql://alice:s%40cret@db.example:6543/ledger?pool_size=3")
    env = settings.eventsourcing_env()
    assert env == {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": "ledger",
        "POSTGRES_HOST": "db.example",
        "POSTGRES_PORT": "6543",
        "POSTGRES_USER": "alice",
        "POSTGRES_PASSWORD": "s@cret",
        "POSTGRES_POOL_SIZE": "3",
    }
    assert "s@cret" not in settings.redacted_url


@pytest.mark.parametrize(
    "url", ["mysql://x/y", "postgresql://host-only", "sqlite://", "postgresql://h:notaport/db"]
)
def test_bad_urls_say_what_to_use(url: str) -> None:
    with pytest.raises(ConfigurationError, match="IMMUNIZE_DATABASE_URL"):
        parse_database_url(url)


def test_the_throwaway_postgres_server_is_real(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute("select current_setting('server_version_num')::int").fetchone()
    assert row is not None
    assert row[0] >= 130000
