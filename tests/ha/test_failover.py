"""The failover drill, once: writers keep writing while the primary is killed; nothing is lost or doubled."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from ledger.application import Ledger
from ledger.errors import ConfigurationError, PrimaryUnavailable
from ledger.failover import check_primary, check_replica
from ledger.records import PersonRequest
from ledger.settings import REPLICA_URL_VARIABLE, parse_database_url
from projections.queries import public_statistics
from projections.registry import view_classes
from projections.store import open_view_store
from tests.e2e.web.conftest import make_app
from tests.ha.cluster import SCRIPT, HaCluster
from tests.ha.conftest import REPORT
from tests.ha.drill import ADMIN, IMMUNIZE, NOW, PASSPHRASE, Drill
from tests.ha.pitr import Restored, base_backup
from tests.integration.projections.campaign import letters

pytestmark = [pytest.mark.ha, pytest.mark.slow]


def test_the_script_says_the_cluster_is_already_up_and_where(ha_cluster: HaCluster) -> None:
    again = subprocess.run(
        ["bash", str(SCRIPT), "up"],
        env=ha_cluster.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 0
    assert "already up" in again.stdout
    assert str(ha_cluster.root) in again.stdout
    assert ha_cluster.database_url in again.stdout
    status = subprocess.run(
        ["bash", str(SCRIPT), "status"],
        env=ha_cluster.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert status.returncode == 0
    assert "Leader" in status.stdout
    assert "Sync Standby" in status.stdout  # synchronous_mode: a commit is on a replica too


def test_a_failover_loses_nothing_and_applies_nothing_twice(ha_cluster: HaCluster, ha_workdir: Path) -> None:
    drill = Drill(ha_cluster, ha_workdir, writers=4, log=lambda line: None)
    try:
        figures = drill.round(1)
    finally:
        drill.close()
    REPORT.append("failover drill: " + json.dumps(figures.as_dict(), default=str))
    assert figures.writer_errors == []
    assert figures.acknowledged > 0
    assert figures.lost == 0
    assert figures.duplicates == 0
    assert figures.new_leader != figures.old_leader
    # failover_s (kill -> first write; goal <= 30 s) is reported, not asserted: no timing in tests.
    assert figures.audit_verified, figures.notes
    assert figures.checkpoint_consistent  # the checkpoint signed before the kill is extended, not rewritten
    assert figures.digests_equal


def test_the_replica_url_must_reach_a_replica_and_the_main_url_a_primary(ha_cluster: HaCluster) -> None:
    primary = parse_database_url(ha_cluster.database_url)
    replica = parse_database_url(ha_cluster.replica_url, REPLICA_URL_VARIABLE)
    assert check_primary(primary).startswith("127.0.0.1:")
    assert check_replica(replica) >= 0.0  # seconds behind the primary, shown where staleness matters
    with pytest.raises(ConfigurationError, match=r"IMMUNIZE_REPLICA_URL reaches .*, which is a primary"):
        check_replica(parse_database_url(ha_cluster.database_url, REPLICA_URL_VARIABLE))
    with pytest.raises(ConfigurationError, match=r"IMMUNIZE_DATABASE_URL reaches .*, which is a replica"):
        check_primary(parse_database_url(ha_cluster.replica_url))


def test_a_main_url_that_reaches_only_a_replica_says_so(ha_cluster: HaCluster, ha_workdir: Path) -> None:
    url = ha_cluster.replica_url + "&failover_timeout=2"  # target_session_attrs=standby: never the primary
    with pytest.raises(
        PrimaryUnavailable,
        match=r"^no primary among .* after 2 s \(the server reached is a read-only replica",
    ):
        Ledger(url, key_dir=ha_workdir / "keys")


def test_backup_and_point_in_time_recovery_before_a_bad_batch(
    ha_cluster: HaCluster, ha_workdir: Path
) -> None:
    state = ha_cluster.state()
    bin_dir = Path(state["BIN_DIR"])
    password = state["PASSWORD"]
    leader = ha_cluster.leader()
    assert leader is not None
    port = int(state[f"PG_{leader}"])
    key_dir = ha_workdir / "keys"
    ledger = Ledger(ha_cluster.database_url, clock=lambda: NOW, key_dir=key_dir)
    base = base_backup(bin_dir, "127.0.0.1", port, password)
    restored: Restored | None = None
    try:
        good = ledger.register_people(people("1", 20), actor=ADMIN, idempotency_key="pitr-good")
        with psycopg.connect(ha_cluster.database_url) as conn:
            row = conn.execute("SELECT clock_timestamp()").fetchone()
        assert row is not None
        before_bad = row[0].isoformat()
        bad = ledger.register_people(people("2", 20), actor=ADMIN, idempotency_key="pitr-bad")
        wait_archived(ha_cluster.database_url)

        # `immunize backup` works against the cluster as against one server.
        env = {
            **os.environ,
            "IMMUNIZE_DATABASE_URL": ha_cluster.database_url,
            "IMMUNIZE_KEY_DIR": str(key_dir),
            "IMMUNIZE_KEY_PASSPHRASE": PASSPHRASE,
        }
        out = ha_workdir / "ledger-backup.jsonl.gz"
        made = subprocess.run(
            [str(IMMUNIZE), "backup", "--out", str(out)],
            env=env,
            cwd=ha_workdir,
            capture_output=True,
            text=True,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        assert out.stat().st_size > 0

        # Base backup + archived WAL, replayed up to just before the bad batch.
        restored = Restored(bin_dir, base / "data", Path(state["ARCHIVE"]), before_bad)
        restored.start()
        restored.wait_promoted(password)
        url = f"postgresql://postgres:{password}@127.0.0.1:{restored.port}/{parse_database_url(ha_cluster.database_url).dbname}"
        copy = Ledger(url, clock=lambda: NOW, key_dir=key_dir)
        try:
            found = copy.get_people([*good, *bad])
        finally:
            copy.close()
        assert set(found) == set(good)
    finally:
        ledger.close()
        if restored is not None:
            restored.stop()
        shutil.rmtree(base, ignore_errors=True)


def people(batch: str, count: int) -> list[PersonRequest]:
    return [
        PersonRequest(
            national_id=f"00109{batch}{i:06d}",  # Hà Nội, male born in the 1900s
            full_name=f"Trần Văn Bình {letters(int(batch))} {letters(i)}",
            date_of_birth="1990-01-01",
            sex="male",
            phone=None,
            ward_code="00001",
            priority_group="HEALTH_WORKER",
        )
        for i in range(count)
    ]


def wait_archived(url: str, timeout: float = 60) -> None:
    """Switch to a new WAL segment and wait until the archiver has copied the one just closed."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
        assert row is not None
        segment = row[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = conn.execute("SELECT last_archived_wal FROM pg_stat_archiver").fetchone()
            if done is not None and done[0] is not None and done[0] >= segment:
                return
            time.sleep(0.2)
    raise TimeoutError(f"WAL segment {segment} was not archived in {timeout} s")


def test_public_statistics_read_the_replica_and_say_how_far_behind(
    ha_cluster: HaCluster, ha_workdir: Path
) -> None:
    primary_views = open_view_store(parse_database_url(ha_cluster.database_url))
    replica_views = open_view_store(parse_database_url(ha_cluster.replica_url, REPLICA_URL_VARIABLE))
    try:
        for view_class in view_classes():
            view_class.recorder(primary_views).create_table()
        deadline = time.monotonic() + 30
        while True:  # the tables reach the replica by streaming replication
            try:
                public_statistics(replica_views)
                break
            except Exception:  # the view tables are not on the replica yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        primary_views.close()
        replica_views.close()

    app = make_app(
        ha_workdir, IMMUNIZE_DATABASE_URL=ha_cluster.database_url, IMMUNIZE_REPLICA_URL=ha_cluster.replica_url
    )
    with app.test_client() as client:
        page = client.get("/statistics", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert b'id="replica-staleness"' in page.data
    assert app.extensions["immunize"].platform.backend.public_views is not None

    wrong = make_app(
        ha_workdir,
        IMMUNIZE_DATABASE_URL=ha_cluster.database_url,
        IMMUNIZE_REPLICA_URL=ha_cluster.database_url,
    )
    with pytest.raises(ConfigurationError, match=r"IMMUNIZE_REPLICA_URL reaches .*, which is a primary"):
        _ = wrong.extensions["immunize"].platform.backend
