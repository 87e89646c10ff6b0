"""The three-node Patroni cluster of scripts/ha-cluster.sh, driven from Python (the drill and its benchmark).

Everything it starts is stopped by PID and its folder removed, whatever happens: `down()` runs the
script's `down`, then kills any PID of the state file still alive.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "ha-cluster.sh"
NODES = ("node1", "node2", "node3")


class ClusterUnavailable(RuntimeError):
    """Patroni or etcd is missing, or the cluster did not come up."""


def missing_tools() -> list[str]:
    """The programs the cluster needs that are not installed."""
    return [tool for tool in ("patroni", "etcd") if shutil.which(tool) is None]


class HaCluster:
    """etcd + three Patroni nodes; `up()`, `down()`, the leader, killing and restarting a node."""

    def __init__(self, workdir: Path) -> None:
        self.state_file = workdir / "ha-cluster.state"
        self.env = {**os.environ, "IMMUNIZE_HA_STATE": str(self.state_file), "TMPDIR": "/tmp"}
        self.log: list[str] = []

    def _script(self, *args: str, timeout: float) -> str:
        result = subprocess.run(
            ["bash", str(SCRIPT), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.log.append(f"$ ha-cluster.sh {' '.join(args)}\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            raise ClusterUnavailable(
                f"ha-cluster.sh {args[0]} failed: {result.stderr.strip() or result.stdout}"
            )
        return result.stdout

    def up(self) -> str:
        """Start the cluster; returns what the script printed."""
        missing = missing_tools()
        if missing:
            raise ClusterUnavailable(
                f"{' and '.join(missing)} not installed: run 'bash scripts/system-deps.sh test' as root"
            )
        return self._script("up", timeout=300)

    def state(self) -> dict[str, str]:
        """The state file: URLs, ports, PIDs, folders."""
        values: dict[str, str] = {}
        for line in self.state_file.read_text().splitlines():
            name, _, raw = line.partition("=")
            values[name] = shlex.split(raw)[0] if raw else ""
        return values

    @property
    def database_url(self) -> str:
        return self.state()["DATABASE_URL"]

    @property
    def replica_url(self) -> str:
        return self.state()["REPLICA_URL"]

    @property
    def root(self) -> Path:
        return Path(self.state()["ROOT"])

    def down(self) -> None:
        """Stop everything by PID and remove the folder, even when the script itself fails."""
        if not self.state_file.exists():
            return
        state = self.state()
        with contextlib.suppress(ClusterUnavailable, subprocess.TimeoutExpired):
            self._script("down", timeout=120)
        # Belt and braces: any PID the script started, or a postmaster, still alive is killed.
        pids = [state.get(f"PID_{name}", "") for name in (*NODES, "etcd")]
        root = Path(state.get("ROOT", "/nonexistent"))
        for name in NODES:
            with contextlib.suppress(OSError, IndexError):
                pids.append((root / name / "data" / "postmaster.pid").read_text().split()[0])
        for pid in pids:
            if pid.isdigit():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(pid), signal.SIGKILL)
        if root.name.startswith("immunize-ha."):
            shutil.rmtree(root, ignore_errors=True)
        self.state_file.unlink(missing_ok=True)

    # -- Patroni's REST API ------------------------------------------------------------------------
    def _get(self, node: str, path: str) -> tuple[int, Any]:
        port = self.state()[f"REST_{node}"]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, None
        except (urllib.error.URLError, OSError, ValueError):
            return 0, None

    def leader(self) -> str | None:
        """The node Patroni made primary, if any."""
        for node in NODES:
            if self._get(node, "/primary")[0] == 200:
                return node
        return None

    def members(self) -> list[dict[str, Any]]:
        """Patroni's view of the cluster (name, role, state, timeline), from any node that answers."""
        for node in NODES:
            status, body = self._get(node, "/cluster")
            if status == 200 and body:
                return list(body.get("members", []))
        return []

    def wait_for_leader(self, timeout: float, other_than: str | None = None) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            leader = self.leader()
            if leader is not None and leader != other_than:
                return leader
            time.sleep(0.2)
        raise ClusterUnavailable(f"no new leader within {timeout:g} s")

    def postmaster_pid(self, node: str) -> int:
        return int((self.root / node / "data" / "postmaster.pid").read_text().split()[0])

    def kill_node(self, node: str) -> None:
        """kill -9 the node's PostgreSQL (postmaster) and its Patroni, without warning."""
        postmaster = self.postmaster_pid(node)
        patroni = int(self.state()[f"PID_{node}"])
        os.kill(patroni, signal.SIGKILL)
        os.kill(postmaster, signal.SIGKILL)

    def start_node(self, node: str) -> None:
        self._script("start-node", node, timeout=30)

    def wait_rejoined(self, node: str, timeout: float) -> dict[str, Any]:
        """Wait until `node` runs as a replica on the leader's timeline; returns its member entry."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            members = {m["name"]: m for m in self.members()}
            leader = next((m for m in members.values() if m.get("role") in ("leader", "master")), None)
            me = members.get(node)
            if (
                leader is not None
                and me is not None
                and me.get("role") in ("replica", "sync_standby")
                and me.get("state") in ("running", "streaming")
                and me.get("timeline") == leader.get("timeline")
            ):
                return me
            time.sleep(0.5)
        raise ClusterUnavailable(f"{node} did not rejoin as a replica within {timeout:g} s: {self.members()}")

    def patroni_log(self, node: str) -> str:
        return (self.root / node / "patroni.log").read_text(errors="replace")
