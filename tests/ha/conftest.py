"""The failover drill's cluster (one per module) and its report in pytest's summary.

The drill runs wherever Patroni and etcd are installed (`bash scripts/system-deps.sh test` installs
them, as `make test` does); under CI=true their absence fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ha.cluster import ClusterUnavailable, HaCluster, missing_tools

REPORT: list[str] = []


def versions() -> str:
    found = []
    for tool in ("patroni", "etcd"):
        path = shutil.which(tool)
        if path:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
            found.append(out.splitlines()[0].strip() if out else tool)
    return ", ".join(found)


@pytest.fixture(scope="module")
def ha_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HaCluster]:
    """etcd + three Patroni nodes from scripts/ha-cluster.sh; always stopped and removed afterwards."""
    missing = missing_tools()
    if missing:
        message = f"the failover drill needs {' and '.join(missing)}: run 'bash scripts/system-deps.sh test' as root"
        REPORT.append(f"failover drill NOT RUN: {message}")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    cluster = HaCluster(tmp_path_factory.mktemp("ha"))
    try:
        try:
            cluster.up()
        except ClusterUnavailable as exc:
            log = "\n".join(cluster.log)
            pytest.fail(f"the three-node cluster did not come up: {exc}\n{log}")
        REPORT.append(f"failover drill: cluster of three Patroni nodes up ({versions()})")
        yield cluster
    finally:
        cluster.down()


@pytest.fixture
def ha_workdir(tmp_path: Path) -> Path:
    return tmp_path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("high availability (tests/ha)")
        for line in REPORT:
            terminalreporter.write_line(line)
