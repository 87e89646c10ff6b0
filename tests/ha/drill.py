"""The failover drill: steady dose ingest through the ledger's commands while the primary is killed.

Steps (issue 15): concurrent writers, each command with its own idempotency key; `kill -9` the
primary's PostgreSQL and its Patroni; Patroni promotes the synchronous standby; the writers carry on
(their commands follow the new primary, ledger/failover.py); the old primary is started again and
Patroni brings it back as a replica (pg_rewind). Then the figures: every acknowledged command is in
the log (lost), none is in it twice (duplicates), kill -> first successful write (failover_s),
`immunize audit verify`, and each view's digest against a rebuild's.

Used once by tests/ha/test_failover.py and N times by benchmarks/bench_failover.py.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger.application import Ledger
from ledger.errors import LedgerError, PrimaryUnavailable
from ledger.settings import parse_database_url
from ledger.values import Actor, Role
from projections.reader import LedgerReader
from projections.registry import digests, rebuild, run_views
from projections.store import open_view_store
from tests.ha.cluster import HaCluster

ADMIN = Actor("drill-admin", Role.SYSTEM)
ASTRAZENECA = "EU/1/21/1529"
HANOI_WARD = "00001"
REGISTERED = "ledger.domainmodel:Person.Registered"
DOSE = "ledger.domainmodel:Person.DoseAdministered"
NOW = datetime(2021, 12, 1, 3, 0, tzinfo=UTC)  # the ledger's clock: time is a parameter
IMMUNIZE = Path(sys.executable).parent / "immunize"
PASSPHRASE = "failover drill passphrase"


@dataclass
class Ack:
    """One command that returned success to its writer."""

    kind: str  # "register" or "dose"
    key: str
    person_id: UUID
    started: float
    done: float


@dataclass
class Figures:
    """What one round measured."""

    acknowledged: int = 0
    lost: int = 0
    duplicates: int = 0
    failover_s: float = 0.0  # kill -> first successful write
    promotion_s: float = 0.0  # kill -> Patroni reports a new leader
    rejoin_s: float = 0.0  # old primary started again -> replica on the new timeline
    rewound: bool = False  # Patroni ran pg_rewind on the old primary
    old_leader: str = ""
    new_leader: str = ""
    audit_verified: bool = False
    # `audit verify --trusted-checkpoint` with the checkpoint signed before the kill: today's log extends it
    checkpoint_consistent: bool = False
    digests_equal: bool = False
    retried_unavailable: int = 0  # commands that hit PrimaryUnavailable and were sent again (same key)
    writer_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Writer(threading.Thread):
    """Registers a person, then records their first dose, again and again, each with its own key."""

    def __init__(self, drill: Drill, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.drill = drill
        self.acks: list[Ack] = []
        self.errors: list[str] = []
        self.unavailable = 0

    def _call(self, kind: str, key: str, command: Callable[[], Any], person: UUID | None) -> Any:
        started = time.monotonic()
        while True:
            try:
                result = command()
            except PrimaryUnavailable:
                # What a client does when the bound passes: send it again with the same key.
                self.unavailable += 1
                continue
            except LedgerError as exc:
                self.errors.append(f"{kind} {key}: {exc}")
                return None
            except Exception as exc:
                self.errors.append(f"{kind} {key}: {type(exc).__name__}: {exc}")
                return None
            self.acks.append(Ack(kind, key, person or result, started, time.monotonic()))
            return result

    def run(self) -> None:
        drill = self.drill
        ledger = drill.ledger
        for n in itertools.count():
            if drill.stop.is_set() or len(self.errors) > 5:
                return
            number = drill.next_national_id()
            key = f"{drill.prefix}-{self.name}-{n}"
            person = self._call(
                "register",
                f"{key}-p",
                partial(
                    ledger.register_person,
                    national_id=number,
                    full_name="Nguyễn Thị Ánh",
                    date_of_birth="1985-03-02",
                    sex="female",
                    phone=None,
                    ward_code=HANOI_WARD,
                    priority_group="HEALTH_WORKER",
                    actor=ADMIN,
                    idempotency_key=f"{key}-p",
                ),
                None,
            )
            if person is None:
                continue
            self._call(
                "dose",
                f"{key}-d",
                partial(
                    ledger.record_dose,
                    person_id=person,
                    dose_number=1,
                    product=ASTRAZENECA,
                    lot_id=drill.lot,
                    administered_on=date(2021, 11, 30),
                    site_id=drill.site,
                    actor=drill.vaccinator,
                    idempotency_key=f"{key}-d",
                ),
                person,
            )


class Drill:
    """One ledger, its views and its audit on a running HaCluster; `round()` kills the leader once."""

    def __init__(
        self, cluster: HaCluster, workdir: Path, *, writers: int = 4, log: Callable[[str], None] = print
    ):
        self.cluster = cluster
        self.workdir = workdir
        self.writers = writers
        self.log = log
        self.url = cluster.database_url
        self.key_dir = workdir / "keys"
        self.env = {
            **os.environ,
            "IMMUNIZE_DATABASE_URL": self.url,
            "IMMUNIZE_KEY_DIR": str(self.key_dir),
            "IMMUNIZE_KEY_PASSPHRASE": PASSPHRASE,
        }
        self.ledger = Ledger(self.url, clock=lambda: NOW, key_dir=self.key_dir)
        self.reader = LedgerReader(self.url, key_dir=self.key_dir)
        self.store = open_view_store(parse_database_url(self.url))
        self.stop = threading.Event()
        self._ids = itertools.count(1)
        self._ids_lock = threading.Lock()
        self.prefix = "setup"
        self.site = self.ledger.register_site(
            code="HN-HA-01",
            name="Trạm Y tế Phường Phúc Xá",
            ward_code=HANOI_WARD,
            capacity_per_day=100_000,
            actor=ADMIN,
            idempotency_key="drill-site",
        )
        self.vaccinator = Actor("drill-vaccinator", Role.VACCINATOR, self.site)
        self.lot = self.ledger.receive_lot(
            product=ASTRAZENECA,
            lot_number="AZ-HA-01",
            expiry=date(2022, 6, 30),
            site_id=self.site,
            quantity=1_000_000,
            actor=self.vaccinator,
            idempotency_key="drill-lot",
        )

    def next_national_id(self) -> str:
        with self._ids_lock:
            return f"001185{next(self._ids):06d}"  # Hà Nội, female born in the 1900s ('1'), 85

    def close(self) -> None:
        self.store.close()
        self.reader.close()
        self.ledger.close()

    def immunize(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(IMMUNIZE), *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def trusted_checkpoint_options(self, saved: Path) -> list[str]:
        """`--trusted-checkpoint` (the checkpoint signed before the kill: today's log must extend it)
        when this version of `audit verify` has it; every signed checkpoint is checked either way."""
        public = self.key_dir / "audit" / "ledger-audit-public.pem"
        helps = self.immunize("audit", "verify", "--help").stdout
        if "--trusted-checkpoint" in helps and public.exists() and saved.read_text().strip():
            return ["--trusted-checkpoint", str(saved), "--public-key", str(public)]
        return []

    def counts(self) -> tuple[Counter[str], set[UUID], Counter[UUID]]:
        """Events per topic, people registered, and doses per person, read from the log itself."""
        topics: Counter[str] = Counter()
        people: set[UUID] = set()
        doses: Counter[UUID] = Counter()
        position = 0
        while True:
            page = self.ledger.recorder.select_notifications(position, 1000, inclusive_of_start=False)
            if not page:
                return topics, people, doses
            for n in page:
                topics[n.topic] += 1
                if n.topic == REGISTERED:
                    people.add(UUID(str(n.originator_id)))
                elif n.topic == DOSE:
                    doses[UUID(str(n.originator_id))] += 1
            position = page[-1].id

    def round(self, number: int, *, before_s: float = 3.0, after_acks: int = 30) -> Figures:
        figures = Figures()
        self.prefix = f"r{number}"
        self.stop.clear()
        before, _, _ = self.counts()
        checkpoint = self.immunize("audit", "checkpoint", "--development")
        if checkpoint.returncode != 0:
            figures.notes.append(f"audit checkpoint before the kill failed: {checkpoint.stderr.strip()}")
        saved = self.workdir / f"checkpoint-before-round-{number}.txt"
        saved.write_text(checkpoint.stdout)
        views = run_views(self.reader, self.store, poll_interval=0.05)  # the supervisor's own restart delays
        writers = [Writer(self, f"w{i}") for i in range(self.writers)]
        try:
            for writer in writers:
                writer.start()
            time.sleep(before_s)
            old = self.cluster.leader()
            assert old is not None, "no leader before the kill"
            figures.old_leader = old
            self.log(f"round {number}: kill -9 {old} (PostgreSQL and Patroni)")
            killed_at = time.monotonic()
            self.cluster.kill_node(old)
            new = self.cluster.wait_for_leader(60, other_than=old)
            figures.new_leader = new
            figures.promotion_s = time.monotonic() - killed_at
            self.log(
                f"round {number}: {new} promoted after {figures.promotion_s:.1f} s; starting {old} again"
            )
            started_at = time.monotonic()
            self.cluster.start_node(old)
            self.cluster.wait_rejoined(old, 120)
            figures.rejoin_s = time.monotonic() - started_at
            log_text = self.cluster.patroni_log(old)
            figures.rewound = "running pg_rewind" in log_text and "pg_rewind exit code=0" in log_text
            # Writers go on until each has written some more after the failover.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(
                sum(1 for a in w.acks if a.started > killed_at) < after_acks for w in writers if w.is_alive()
            ):
                time.sleep(0.1)
        finally:
            self.stop.set()
            for writer in writers:
                writer.join(timeout=60)
        acks = [a for w in writers for a in w.acks]
        figures.acknowledged = len(acks)
        figures.writer_errors = [e for w in writers for e in w.errors]
        figures.retried_unavailable = sum(w.unavailable for w in writers)
        after_kill = [a.done for a in acks if a.started >= killed_at]
        figures.failover_s = round(min(after_kill) - killed_at, 2) if after_kill else float("inf")

        after, people, doses = self.counts()
        registered = [a for a in acks if a.kind == "register"]
        dosed = [a for a in acks if a.kind == "dose"]
        figures.lost = sum(1 for a in registered if a.person_id not in people) + sum(
            1 for a in dosed if doses[a.person_id] < 1
        )
        # Every command was acknowledged or reported an error: anything more in the log was applied twice.
        figures.duplicates = (
            (after[REGISTERED] - before[REGISTERED] - len(registered))
            + (after[DOSE] - before[DOSE] - len(dosed))
            + sum(1 for a in dosed if doses[a.person_id] > 1)
        )

        head = self.ledger.recorder.max_notification_id()
        try:
            views.wait(head, timeout=120)
        finally:
            views.stop()
        live = digests(self.store)
        figures.digests_equal = rebuild(self.reader, self.store) == live

        checkpoint = self.immunize("audit", "checkpoint", "--development")
        trusted = self.trusted_checkpoint_options(saved)
        verify = self.immunize("audit", "verify", *trusted)
        figures.audit_verified = checkpoint.returncode == 0 and verify.returncode == 0
        figures.checkpoint_consistent = figures.audit_verified and bool(trusted)
        if not figures.audit_verified:
            figures.notes.append(
                f"audit: {checkpoint.stderr.strip()} {verify.stdout.strip()} {verify.stderr.strip()}"
            )
        self.log(
            f"round {number}: {figures.acknowledged} acknowledged, {figures.lost} lost, "
            f"{figures.duplicates} duplicates, first write {figures.failover_s} s after the kill"
        )
        return figures
