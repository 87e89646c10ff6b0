"""`immunize projections run` killed with SIGKILL while doses are being recorded, again and again:
after a restart nothing is lost and nothing is counted twice (the live digests equal a clean rebuild)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.records import DoseRequest, PersonRequest
from ledger.settings import parse_database_url
from projections.queries import public_statistics
from projections.reader import LedgerReader
from projections.registry import VIEW_NAMES, digests, rebuild, view_status
from projections.store import open_view_store
from tests.integration.projections.campaign import (
    ADMIN,
    ASTRAZENECA,
    HANOI_WARD,
    Campaign,
    key,
    letters,
    setup_sites,
)

IMMUNIZE = Path(sys.executable).parent / "immunize"


@pytest.fixture(params=["sqlite", "postgres"])
def kill_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


class Writer:
    """Registers people and records their first dose in batches until stopped; counts the doses."""

    def __init__(self, ledger: Ledger, campaign: Campaign) -> None:
        self.ledger = ledger
        self.campaign = campaign
        self.doses = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                people = self.ledger.register_people(
                    [
                        PersonRequest(
                            national_id=f"0010{n + i:08d}",
                            full_name=f"Lê Thị Kiểm {letters(n + i)}",
                            date_of_birth="1975",
                            sex="female",
                            phone=None,
                            ward_code=HANOI_WARD,
                            priority_group="HEALTH_WORKER",
                        )
                        for i in range(50)
                    ],
                    actor=ADMIN,
                    idempotency_key=key("kill-people"),
                )
                n += len(people)
                self.ledger.record_doses(
                    [
                        DoseRequest(
                            person_id=p,
                            dose_number=1,
                            product=ASTRAZENECA,
                            lot_id=self.campaign.lots[f"HN-01/{ASTRAZENECA}"],
                            administered_on=date(2021, 8, 2) + timedelta(days=i % 20),
                            site_id=self.campaign.sites[0],
                        )
                        for i, p in enumerate(people)
                    ],
                    actor=ADMIN,
                    idempotency_key=key("kill-doses"),
                )
                self.doses += len(people)
                self.stop.wait(0.05)  # a steady stream rather than a flood
        except BaseException as exc:  # reported by the test
            self.error = exc


STARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture(autouse=True)
def no_runner_outlives_its_test() -> Iterator[None]:
    """A failing test must not leave a follower running (nor an un-waited Popen behind)."""
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
        process.wait()


def start_runner(url: str, tmp_path: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IMMUNIZE_DATABASE_URL": url, "IMMUNIZE_KEY_DIR": str(tmp_path / "keys")}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(IMMUNIZE), "projections", "run", "--poll-interval", "0.05"],
            env=env,
            stdout=out,
            stderr=out,
            cwd=tmp_path,
        )
    STARTED.append(process)
    return process


def positions(reader: LedgerReader, url: str) -> list[int]:
    store = open_view_store(parse_database_url(url))
    try:
        return [lag.position for lag in view_status(reader, store)]
    finally:
        store.close()


@pytest.fixture
def ledger(kill_url: str, tmp_path: Path) -> Iterator[Ledger]:
    os.environ["IMMUNIZE_KEY_DIR"] = str(tmp_path / "keys")
    try:
        app = Ledger(kill_url, clock=lambda: datetime(2021, 12, 1, tzinfo=UTC), key_dir=tmp_path / "keys")
    finally:
        del os.environ["IMMUNIZE_KEY_DIR"]
    yield app
    app.close()


@pytest.mark.slow
def test_a_runner_killed_mid_stream_resumes_without_losing_or_repeating_anything(
    kill_url: str, tmp_path: Path, ledger: Ledger
) -> None:
    campaign = Campaign()
    setup_sites(ledger, campaign)
    reader = LedgerReader(kill_url, key_dir=tmp_path / "keys")
    log = tmp_path / "runner.log"
    writer = Writer(ledger, campaign)
    writer.thread.start()
    try:
        for _kill in range(3):
            runner = start_runner(kill_url, tmp_path, log)
            start = max(positions(reader, kill_url))
            deadline = time.monotonic() + 60
            # Let it apply some pages while the writer keeps writing, then kill it without warning.
            while max(positions(reader, kill_url)) <= start + 300 and time.monotonic() < deadline:
                assert runner.poll() is None, log.read_text()
                time.sleep(0.05)
            runner.send_signal(signal.SIGKILL)
            runner.wait()
            assert max(positions(reader, kill_url)) > start, log.read_text()
    finally:
        writer.stop.set()
        writer.thread.join()
    assert writer.error is None, writer.error
    head = ledger.recorder.max_notification_id()
    assert head is not None

    runner = start_runner(kill_url, tmp_path, log)
    deadline = time.monotonic() + 120
    while min(positions(reader, kill_url)) < head and time.monotonic() < deadline:
        assert runner.poll() is None, log.read_text()
        time.sleep(0.1)
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=30) == 0, log.read_text()
    assert positions(reader, kill_url) == [head] * len(VIEW_NAMES)

    store = open_view_store(parse_database_url(kill_url))
    try:
        stats = public_statistics(store)
        assert stats.total_doses.value == writer.doses
        live = digests(store)
        assert rebuild(reader, store) == live
    finally:
        store.close()
        reader.close()
