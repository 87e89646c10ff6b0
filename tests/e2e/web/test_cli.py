"""`immunize run` from nothing: keys, demo campaign, projections, demo sign-in details, a server that answers."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_immunize_run_starts_a_seeded_server_and_prints_the_demo_sign_in(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "IMMUNIZE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
    }
    env.pop("IMMUNIZE_SECRET_KEY", None)
    command = [
        str(Path(sys.executable).with_name("immunize")),
        "run",
        "--port",
        str(port),
        "--scale",
        "0.00002",
        "--days",
        "150",
    ]
    log = tmp_path / "run.log"
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path)
        try:
            deadline = time.monotonic() + 300  # a bound, not a timing check: the first start simulates
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                        assert response.status == 200
                        break
                except OSError:
                    assert process.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.5)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/statistics", timeout=10) as response:
                assert response.status == 200
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/trust-list", timeout=10) as response:
                assert len(response.read()) > 100
            while "immunize sender: delivering" not in log.read_text():  # the sender process has started
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        finally:
            process.send_signal(signal.SIGTERM)  # as a service manager stops it
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    text = log.read_text()
    assert "DEVELOPMENT KEYS" in text
    assert "Demo campaign seeded" in text
    # Keys dated from before the campaign signed the simulated certificates.
    assert re.search(r"\b[1-9][0-9,]* certificates\b", text), text
    assert "Development keys for today:" not in text  # that step printed no error
    # Keys dated the campaign's eve still sign today: no second key, no second warning.
    assert text.count("WARNING: DEVELOPMENT KEYS") == 1, text
    assert "username demo.staff" in text
    # The demo campaign ends today: the staff's site is the one with the most of today's appointments.
    assert re.search(r"username demo\.staff .*\): [1-9][0-9]* appointments today\)", text), text
    assert re.search(r"the 150 days from 20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]\)", text), text
    assert "citizen   phone 0" in text
    # The outbox is delivered to the console as `serve --followers` does, each number masked.
    assert "- SMS sender (immunize messages send --follow, console) started as process" in text
    assert "immunize sender: delivering as messages appear" in text
    assert not re.search(r"\[sms\] to \+?[0-9]{9,}", text), text
    # SIGTERM stops it as Ctrl-C does, and its sender process with it (not left behind).
    assert "immunize sender: stopped" in text
    sender = re.search(r"console\) started as process ([0-9]+)", text)
    assert sender is not None
    with pytest.raises(ProcessLookupError):
        os.kill(int(sender.group(1)), 0)
    assert "Traceback" not in text
    assert (tmp_path / "keys" / "web-secret-key").exists()


def test_make_run_takes_the_port_from_port() -> None:
    """`make run PORT=8080` serves on 8080 (the Makefile passes it to `immunize run --port`)."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    root = Path(__file__).resolve().parents[3]
    dry = subprocess.run(
        [make, "-n", "-C", str(root), "run", "PORT=8123"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "immunize run --port 8123" in dry.stdout
    default = subprocess.run(
        [make, "-n", "-C", str(root), "run"], capture_output=True, text=True, timeout=60, check=True
    )
    assert "immunize run --port 8000" in default.stdout


def test_a_ledger_seeded_on_an_earlier_day_says_how_to_get_a_campaign_ending_today(tmp_path: Path) -> None:
    """A later start on a ledger whose campaign ended on an earlier day (nothing planned today): the
    demo staff's line says so and what to do, instead of leaving an empty today page unexplained."""
    from cli.web_commands import _demo_accounts
    from ledger.application import Ledger
    from projections.registry import catch_up_views
    from services.demo_population import seed_demo
    from tests.e2e.web.conftest import make_app

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url, key_dir=tmp_path / "lk")
    seed_demo(ledger, people=20, seed=4)  # the small fixed population of 2021: no plan today
    app = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url)
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    accounts = {role: where for role, _username, _password, where in _demo_accounts(app, ledger)}
    assert accounts["staff"].endswith(
        ": 0 appointments today; the demo campaign was seeded on an earlier day: remove ./var and run again "
        "for one ending today"
    )
    assert accounts["province"].startswith("province ")
