"""IMMUNIZE_DATABASE_URL is the one setting that chooses the store."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from ledger.application import Ledger
from ledger.errors import ConfigurationError, PrimaryUnavailable
from ledger.settings import parse_database_url, replica_settings, store_settings


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


def test_a_multi_host_url_lists_every_server_for_libpq() -> None:
    settings = parse_database_url(
        "postgresql://app:pw@db1:5432,db2,10.0.0.3:6432/ledger?target_session_attrs=read-write&failover_timeout=12"
    )
    assert settings.hosts == (("db1", 5432), ("db2", 5432), ("10.0.0.3", 6432))
    kwargs = settings.connection_kwargs()
    assert kwargs["host"] == "db1,db2,10.0.0.3"
    assert kwargs["port"] == "5432,5432,6432"
    assert kwargs["target_session_attrs"] == "read-write"
    assert settings.failover_timeout == 12
    env = settings.eventsourcing_env()
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("db1,db2,10.0.0.3", "5432,5432,6432")
    assert settings.redacted_url == (
        "postgresql://app:***@db1:5432,db2:5432,10.0.0.3:6432/ledger?target_session_attrs=read-write"
    )


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://u:p@db1:5432,:5433/x", "host:port,host:port"),
        ("postgresql://u:p@db1:5432,db2:port/x", "host:port,host:port"),
        ("postgresql://u:p@db1,db2/x?target_session_attrs=primaryish", "target_session_attrs"),
        ("postgresql://u:p@db1,db2/x?failover_timeout=0", "failover_timeout"),
    ],
)
def test_bad_multi_host_urls_say_what_to_write(url: str, says: str) -> None:
    with pytest.raises(ConfigurationError, match=says):
        parse_database_url(url)


def test_a_replica_url_is_optional_and_must_be_postgres() -> None:
    assert replica_settings({}) is None
    replica = replica_settings(
        {"IMMUNIZE_REPLICA_URL": "postgresql://u:p@r1,r2/x?target_session_attrs=standby"}
    )
    assert replica is not None
    assert replica.target_session_attrs == "standby"
    with pytest.raises(ConfigurationError, match="IMMUNIZE_REPLICA_URL"):
        replica_settings({"IMMUNIZE_REPLICA_URL": "sqlite:///var/x.db"})


def test_no_primary_among_the_hosts_after_the_bound(tmp_path: Path) -> None:
    # Real libpq against ports where nothing listens: every host refuses, so there is no primary.
    ports = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    url = (
        f"postgresql://u:p@127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}/x"
        "?target_session_attrs=read-write&failover_timeout=1&connect_timeout=1"
    )
    with pytest.raises(PrimaryUnavailable) as caught:
        Ledger(url, key_dir=tmp_path / "keys")
    assert str(caught.value).startswith(
        f"no primary among 127.0.0.1:{ports[0]}, 127.0.0.1:{ports[1]} after 1 s"
    )
