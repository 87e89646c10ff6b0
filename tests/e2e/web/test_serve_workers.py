"""`immunize serve --workers 2 --followers`: gunicorn workers, a follower and a sender process, stopped by
SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append((int(entry.name), command))
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process table from /proc")
def test_serve_runs_several_workers_and_a_follower_and_stops_them_all(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "IMMUNIZE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "IMMUNIZE_SECURE_COOKIES": "0",
    }
    command = [sys.executable, "-c", "from cli.main import main; main()", "serve", "--workers", "2"]
    command += ["--threads", "2", "--followers", "--allow-development", "--port", str(port)]
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log_file:
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    try:
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline and not status:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    status = response.status
            except OSError:
                time.sleep(0.2)
        assert status == 200
        children = _children(server.pid)
        followers = [pid for pid, cmd in children if "projections run" in cmd]
        workers = [pid for pid, cmd in children if " serve " in cmd]
        renderers = [pid for pid, cmd in children if "certificate render --follow" in cmd]
        senders = [pid for pid, cmd in children if "messages send --follow" in cmd]
        assert len(followers) == 1  # IMMUNIZE_FOLLOWER_PROCESSES=2 splits the views between two
        assert len(renderers) == 1
        assert len(senders) == 1  # the SMS sender runs beside the follower
        assert len(workers) == 2
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/statistics", timeout=10) as response:
            assert response.headers["ETag"]
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        assert server.returncode == 0
        for pid in [*followers, *renderers, *senders, *workers]:
            assert (
                not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
            )
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    log = log_path.read_text()
    assert "WARNING: immunize serve --allow-development" in log  # the fail-closed checks still speak
    assert "2 gunicorn workers" in log


def test_several_workers_refuse_an_in_memory_ledger(tmp_path: Path) -> None:
    env = {**os.environ, "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"), "IMMUNIZE_DATABASE_URL": "memory://"}
    command = [sys.executable, "-c", "from cli.main import main; main()", "serve", "--workers", "2"]
    result = subprocess.run(
        [*command, "--allow-development"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "several workers need a shared store" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process table from /proc")
def test_one_process_with_followers_stops_them_on_sigterm(tmp_path: Path) -> None:
    # a service manager stops `immunize serve --followers` (waitress, one process) with SIGTERM: the
    # follower, renderer and sender must not be left running
    port = _free_port()
    env = {
        **os.environ,
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "IMMUNIZE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "IMMUNIZE_SECURE_COOKIES": "0",
    }
    command = [sys.executable, "-c", "from cli.main import main; main()", "serve", "--followers"]
    command += ["--allow-development", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list[int] = []
    try:
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline and not status:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    status = response.status
            except OSError:
                time.sleep(0.2)
        assert status == 200
        children = [
            pid for pid, cmd in _children(server.pid) if "--follow" in cmd or "projections run" in cmd
        ]
        assert len(children) == 3  # follower, renderer, sender
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        for pid in children:
            assert (
                not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
            )
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        for pid in children:  # never leave them behind, even when the test fails
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
