"""The staff dose write under concurrency (issue 14, section 3: the slowest route of the surge mix), on
SQLite and on PostgreSQL, beside a raw INSERT of one event row in one transaction on the same database,
with the same writers, in the same run.

  dose write   `services.desk.record_dose`, what `POST /api/v1/desk/people/<id>/doses` runs after
               parsing: the lot, the person's next dose number, then the ledger's command (permission
               checks, the lot and its stock record, the idempotency receipt, the person, the dose
               event, the stock draw, the Merkle leaves, one transaction). Every dose is a first dose of
               its own person, all from ONE lot at ONE site: every dose counts down the same stock record.
  baseline     one INSERT of one event-sized row in one transaction (BEGIN, INSERT, COMMIT) into a table
               of the same database, by the same writers.

Scenarios (each with its own people; setup not timed):
  1 writer            one thread, one process: the cost of a dose alone.
  P x T writers       P processes (like gunicorn's workers, each with its own Ledger on the same store)
                      of T threads each, as fast as they can (closed loop): the worst contention.
  P x T at R/s        the same writers paced to R doses/s in all (the surge: 7.5 doses/s at one site).

Per dose it prints: latency p50 / p99 (ms), client CPU (µs, the writer thread's own), statements
(every SQL statement the client sent, BEGIN/COMMIT included), round trips (PostgreSQL: each time the
client waited for the server; SQLite runs in the process, so its statements are its round trips),
conflicts retried (a stale save: `ledger.commands.conflict_backoff` called) and errors. After each
scenario every acknowledged dose is read back (0 lost) and the lot's stock record must have counted
exactly the doses acknowledged (never below zero: the lot holds fewer doses than `--overdraw` asks).

The machine is shared: read the ratios against the baseline measured beside it; the load average
is printed before and after.

PostgreSQL: a throwaway cluster (tests/postgres_cluster.py), or `--pg-url postgresql://...` (a database
is created and dropped on that server).

Usage: .venv/bin/python benchmarks/bench_dose_write.py [--doses 200] [--processes 2] [--threads 4]
       [--rate 7.5] [--stores sqlite,postgres] [--pg-url URL] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AZ = "EU/1/21/1529"
NOW = datetime(2021, 8, 2, 3, 0, tzinfo=UTC)  # Monday 2 August 2021, 10:00 in Hà Nội
DAY = date(2021, 8, 2)
PROVINCE = "01"
WARD = "00001"  # Phúc Xá, Hà Nội
RAW_TABLE = "bench_raw_events"


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# ---- counting what the client sends ---------------------------------------------------------------

_counts = threading.local()


def _bump(name: str) -> None:
    setattr(_counts, name, getattr(_counts, name, 0) + 1)


def counted() -> tuple[int, int, int]:
    """(statements, round trips, conflicts) this thread has counted so far."""
    return (getattr(_counts, "statements", 0), getattr(_counts, "trips", 0), getattr(_counts, "conflicts", 0))


def install_counters() -> None:
    """Count every statement and wait on the server, per thread, and every conflict retried (this
    process only; each writer process installs its own)."""
    import psycopg

    import ledger.commands

    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn: sqlite3.Connection = real_connect(*args, **kwargs)

        def traced(_sql: str) -> None:
            _bump("statements")
            _bump("trips")

        conn.set_trace_callback(traced)
        return conn

    sqlite3.connect = connect  # type: ignore[assignment]

    def wrap(cls: Any, name: str, counter: str) -> None:
        real = getattr(cls, name)

        def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
            _bump(counter)
            return real(self, *args, **kwargs)

        setattr(cls, name, counting)

    wrap(psycopg.Cursor, "execute", "statements")
    wrap(psycopg.Cursor, "executemany", "statements")
    wrap(psycopg.Connection, "wait", "trips")
    real_exec = psycopg.Connection._exec_command

    def exec_command(self: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        _bump("statements")  # BEGIN, COMMIT, ROLLBACK, SAVEPOINT sent by psycopg itself
        return real_exec(self, command, *args, **kwargs)

    psycopg.Connection._exec_command = exec_command  # type: ignore[method-assign]
    real_backoff = ledger.commands.conflict_backoff

    def backoff(attempt_number: int, *args: Any, **kwargs: Any) -> float:
        _bump("conflicts")
        return real_backoff(attempt_number, *args, **kwargs)

    ledger.commands.conflict_backoff = backoff


# ---- one writer process ---------------------------------------------------------------------------


@dataclass
class Sample:
    ms: float
    cpu_us: float
    statements: int
    trips: int
    conflicts: int
    error: str = ""
    dose_id: str = ""
    person_id: str = ""


@dataclass
class Job:
    kind: str  # "dose" or "raw"
    url: str
    key_dir: str
    site_id: str
    lot_id: str
    people: list[list[str]]  # one list per thread
    rate: float  # doses/s for all writers of the scenario; 0: as fast as possible
    writers: int  # all the scenario's writers (the pace of one is rate / writers)
    first: int  # this process's first writer index (for the pace's offsets)


def _open_ledger(url: str, key_dir: str) -> Any:
    from ledger.application import Ledger

    return Ledger(url, clock=lambda: NOW, key_dir=Path(key_dir))


def _dose_writer(ledger: Any, job: Job) -> Callable[[str], Sample]:
    from services.desk import DoseForm, StaffMember, record_dose

    staff = StaffMember(username="bench-nurse", site_id=UUID(job.site_id))
    lot = UUID(job.lot_id)

    def one(person_id: str) -> Sample:
        form = DoseForm(lot_id=lot, given_on=DAY, dose_number=None, idempotency_key=f"dose-{person_id}")
        s0, t0, k0 = counted()
        cpu0 = time.thread_time()
        start = time.perf_counter()
        error = dose_id = ""
        try:
            dose_id = str(record_dose(ledger, UUID(person_id), form, staff=staff).dose_id)
        except Exception as exc:  # counted and shown: the goal is 0
            error = f"{type(exc).__name__}: {exc}"[:200]
        ms = (time.perf_counter() - start) * 1000
        cpu = (time.thread_time() - cpu0) * 1e6
        s1, t1, k1 = counted()
        return Sample(ms, cpu, s1 - s0, t1 - t0, k1 - k0, error, dose_id, person_id)

    return one


def _raw_writer(url: str) -> tuple[Callable[[str], Sample], Callable[[], None]]:
    """BEGIN; INSERT one event-sized row; COMMIT (a connection per writer, as a pool would keep)."""
    state = os.urandom(600)  # about a sealed dose event's size
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(
            url[len("sqlite:///") :], isolation_level=None, timeout=30, check_same_thread=False
        )

        def insert(key: str) -> None:
            conn.execute("BEGIN")
            conn.execute(
                f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic, state) VALUES (?, 1, ?, ?)",
                (key, "bench:Raw", state),
            )
            conn.execute("COMMIT")

        close: Callable[[], None] = conn.close
    else:
        import psycopg

        pg = psycopg.connect(url)

        def insert(key: str) -> None:
            with pg.transaction(), pg.cursor() as cur:
                cur.execute(
                    f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic, state) "
                    "VALUES (%s, 1, %s, %s)",
                    (uuid.UUID(key), "bench:Raw", state),
                )

        close = pg.close

    def one(key: str) -> Sample:
        s0, t0, k0 = counted()
        cpu0 = time.thread_time()
        start = time.perf_counter()
        error = ""
        try:
            insert(key)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:200]
        ms = (time.perf_counter() - start) * 1000
        cpu = (time.thread_time() - cpu0) * 1e6
        s1, t1, k1 = counted()
        return Sample(ms, cpu, s1 - s0, t1 - t0, k1 - k0, error)

    return one, close


def run_process(job: Job, ready: Any, go: Any, results: Any) -> None:
    """A writer process: open the store, warm up, wait for the start, run its threads, report."""
    install_counters()
    ledger = None
    closers: list[Callable[[], None]] = []
    writers: list[Callable[[str], Sample]] = []
    if job.kind == "dose":
        ledger = _open_ledger(job.url, job.key_dir)
        ledger.get_site(UUID(job.site_id))  # the caches a running worker has warm
        ledger.get_lot(UUID(job.lot_id))
        ledger.stock_record(UUID(job.lot_id))
        writers = [_dose_writer(ledger, job) for _ in job.people]
    else:
        for _ in job.people:
            one, close = _raw_writer(job.url)
            writers.append(one)
            closers.append(close)
    ready.put(os.getpid())
    go.wait()
    start = time.perf_counter()
    samples: list[list[Sample]] = [[] for _ in job.people]

    def thread(index: int) -> None:
        interval = job.writers / job.rate if job.rate > 0 else 0.0
        offset = (job.first + index) / job.rate if job.rate > 0 else 0.0
        for n, key in enumerate(job.people[index]):
            if interval:
                wait = start + offset + n * interval - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
            samples[index].append(writers[index](key))

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(len(job.people))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    results.put((os.getpid(), elapsed, [s.__dict__ for group in samples for s in group]))
    for close in closers:
        close()
    if ledger is not None:
        ledger.close()


# ---- the parent: setup, scenarios, report ---------------------------------------------------------


@dataclass
class World:
    url: str
    key_dir: Path
    site_id: UUID
    lot_id: UUID
    lot_doses: int
    people: list[UUID] = field(default_factory=list)


def prepare(url: str, key_dir: Path, people: int, lot_doses: int) -> World:
    """A site, a lot delivered from the province store to it (so every dose counts it down), people."""
    from ledger.application import Ledger
    from ledger.records import PersonRequest
    from ledger.values import Actor, Role

    system = Actor("bench-dose", Role.SYSTEM)
    ledger = Ledger(url, clock=lambda: NOW, key_dir=key_dir)
    try:
        site = ledger.register_site(
            code="BENCH-DOSE",
            name="Trạm Y tế Phường Phúc Xá",
            ward_code=WARD,
            capacity_per_day=5000,
            actor=system,
            idempotency_key="bench-site",
        )
        store_lot = ledger.receive_shipment(
            province_code=PROVINCE,
            product=AZ,
            lot_number="AZ-BENCH-1",
            expiry=date(2022, 1, 31),
            doses_per_vial=10,
            doses=lot_doses,
            actor=system,
            idempotency_key="bench-shipment",
        )
        lot = ledger.allocate_lot(
            store_lot_id=store_lot,
            site_id=site,
            doses=lot_doses,
            actor=system,
            idempotency_key="bench-allocate",
        )
        world = World(url, key_dir, site, lot, lot_doses)
        for start in range(0, people, 500):
            batch = [
                PersonRequest(
                    national_id=f"001{n:09d}",
                    full_name="Nguyễn Thị Bình",
                    date_of_birth="1970",
                    sex="female",
                    phone=None,
                    ward_code=WARD,
                    priority_group="OTHER",
                )
                for n in range(start, min(people, start + 500))
            ]
            world.people += ledger.register_people(
                batch, actor=system, idempotency_key=f"bench-people-{start}"
            )
    finally:
        ledger.close()
    return world


def create_raw_table(url: str) -> None:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///") :]) as conn:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {RAW_TABLE} (id INTEGER PRIMARY KEY, originator_id TEXT, "
                "originator_version INTEGER, topic TEXT, state BLOB, UNIQUE (originator_id, originator_version))"
            )
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {RAW_TABLE} (id BIGSERIAL PRIMARY KEY, originator_id uuid, "
            "originator_version integer, topic text, state bytea, UNIQUE (originator_id, originator_version))"
        )


def run_scenario(
    world: World, kind: str, processes: int, threads: int, people: list[str], rate: float
) -> tuple[float, list[Sample]]:
    """Run `people` (one dose each, or one raw row each) through processes x threads writers."""
    ctx = multiprocessing.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    writers = processes * threads
    chunks = [people[i::writers] for i in range(writers)]
    procs = []
    for p in range(processes):
        job = Job(
            kind,
            world.url,
            str(world.key_dir),
            str(world.site_id),
            str(world.lot_id),
            chunks[p * threads : (p + 1) * threads],
            rate,
            writers,
            p * threads,
        )
        proc = ctx.Process(target=run_process, args=(job, ready, go, results))
        proc.start()
        procs.append(proc)
    for _ in procs:
        ready.get(timeout=300)
    go.set()
    elapsed = 0.0
    samples: list[Sample] = []
    for _ in procs:
        _, took, got = results.get(timeout=1800)
        elapsed = max(elapsed, took)
        samples += [Sample(**s) for s in got]
    for proc in procs:
        proc.join(timeout=60)
    return elapsed, samples


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def summary(elapsed: float, samples: list[Sample]) -> dict[str, Any]:
    ok = [s for s in samples if not s.error]
    n = max(1, len(samples))
    return {
        "n": len(samples),
        "per_s": round(len(ok) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(pct([s.ms for s in ok], 0.50), 1),
        "p99_ms": round(pct([s.ms for s in ok], 0.99), 1),
        "cpu_us": round(statistics.fmean([s.cpu_us for s in samples]) if samples else 0.0),
        "statements": round(sum(s.statements for s in samples) / n, 1),
        "trips": round(sum(s.trips for s in samples) / n, 1),
        "conflicts": sum(s.conflicts for s in samples),
        "errors": len(samples) - len(ok),
        "first_error": next((s.error for s in samples if s.error), ""),
    }


def check_doses(world: World, samples: list[Sample], drawn_before: int) -> tuple[int, int]:
    """Every acknowledged dose is in the ledger, each person has exactly one; the stock record counted
    exactly the acknowledged doses. Returns (lost, drawn by the scenario)."""
    from ledger.application import Ledger

    ledger = Ledger(world.url, clock=lambda: NOW, key_dir=world.key_dir)
    try:
        acked = {UUID(s.person_id): UUID(s.dose_id) for s in samples if s.dose_id}
        people = ledger.get_people(list(acked))
        lost = sum(
            1
            for pid, dose in acked.items()
            if pid not in people or [d.dose_id for d in people[pid].doses] != [dose]
        )
        record = ledger.stock_records.get(world.lot_id)
        assert record is not None
        drawn = record.used - drawn_before
        if drawn != len(acked) or record.remaining < 0:
            raise SystemExit(f"bench_dose_write: the lot counted {drawn} doses for {len(acked)} acknowledged")
        return lost, drawn
    finally:
        ledger.close()


def used(world: World) -> int:
    from ledger.application import Ledger

    ledger = Ledger(world.url, clock=lambda: NOW, key_dir=world.key_dir)
    try:
        record = ledger.stock_records.get(world.lot_id)
        assert record is not None
        return int(record.used)
    finally:
        ledger.close()


def bench_store(label: str, url: str, key_dir: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    scenarios = [("1 writer", 1, 1, 0.0)]
    scenarios.append((f"{args.processes}x{args.threads} flat out", args.processes, args.threads, 0.0))
    if args.rate > 0:
        scenarios.append(
            (f"{args.processes}x{args.threads} at {args.rate:g}/s", args.processes, args.threads, args.rate)
        )
    per = args.doses
    total = per * len(scenarios)
    t0 = time.perf_counter()
    world = prepare(url, key_dir, total, lot_doses=10 * ((total + 9) // 10) + 1000)
    create_raw_table(url)
    print(
        f"{label}: {total} people, a lot of {world.lot_doses} doses ({time.perf_counter() - t0:.0f} s setup)"
    )
    rows = []
    for n, (name, processes, threads, rate) in enumerate(scenarios):
        people = [str(p) for p in world.people[n * per : (n + 1) * per]]
        before = used(world)
        load_before = load()
        took, samples = run_scenario(world, "dose", processes, threads, people, rate)
        lost, drawn = check_doses(world, samples, before)
        dose = summary(took, samples)
        raw_took, raw = run_scenario(
            world, "raw", processes, threads, [str(uuid.uuid4()) for _ in people], rate
        )
        base = summary(raw_took, raw)
        row = {
            "store": label,
            "scenario": name,
            "dose": dose,
            "baseline": base,
            "lost": lost,
            "drawn": drawn,
            "load_before": load_before,
            "load_after": load(),
        }
        rows.append(row)
        print_row(row)
    return rows


def print_row(row: dict[str, Any]) -> None:
    d, b = row["dose"], row["baseline"]
    ratio = d["p50_ms"] / b["p50_ms"] if b["p50_ms"] else 0.0
    print(
        f"  {row['scenario']:<22} dose   {d['per_s']:7.1f}/s  p50 {d['p50_ms']:7.1f} ms  p99 {d['p99_ms']:7.1f} ms  "
        f"CPU {d['cpu_us']:6d} µs  {d['statements']:5.1f} statements  {d['trips']:5.1f} trips  "
        f"{d['conflicts']:4d} conflicts  {d['errors']} errors  lost {row['lost']}  drawn {row['drawn']}"
    )
    print(
        f"  {'':<22} raw    {b['per_s']:7.1f}/s  p50 {b['p50_ms']:7.1f} ms  p99 {b['p99_ms']:7.1f} ms  "
        f"CPU {b['cpu_us']:6d} µs  {b['statements']:5.1f} statements  {b['trips']:5.1f} trips  "
        f"(p50 ratio {ratio:.1f}x; load {row['load_before']} -> {row['load_after']})"
    )
    if d["first_error"]:
        print(f"  {'':<22} first error: {d['first_error']}")


@contextmanager
def sqlite_url() -> Iterator[tuple[str, Path]]:
    with tempfile.TemporaryDirectory(prefix="bench-dose-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'ledger.db'}", Path(tmp) / "keys"


@contextmanager
def postgres_url(server: str | None) -> Iterator[tuple[str, Path]]:
    from tests.postgres_cluster import throwaway_database

    with (
        tempfile.TemporaryDirectory(prefix="bench-dose-") as tmp,
        throwaway_database("bench_dose", server) as url,
    ):
        yield url, Path(tmp) / "keys"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--doses", type=int, default=200, help="doses per scenario (default 200)")
    parser.add_argument(
        "--processes", type=int, default=2, help="writer processes (default 2: gunicorn's workers)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per process (default 4)")
    parser.add_argument("--rate", type=float, default=7.5, help="paced scenario's doses/s in all (0: none)")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument(
        "--pg-url", default=None, help="an existing PostgreSQL server (default: a throwaway one)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON at the end")
    args = parser.parse_args()
    if not 1 <= args.doses <= 20_000 or not 1 <= args.processes <= 16 or not 1 <= args.threads <= 64:
        raise SystemExit("bench_dose_write: --doses 1..20000, --processes 1..16, --threads 1..64")
    if not 0 <= args.rate <= 1000:
        raise SystemExit("bench_dose_write: --rate must be 0..1000 doses/s")
    os.environ.setdefault("IMMUNIZE_KEY_PASSPHRASE", "bench-dose-write")
    print(f"bench_dose_write: load average {load()}, {os.cpu_count()} cores")
    rows: list[dict[str, Any]] = []
    for store in args.stores.split(","):
        opener = sqlite_url() if store == "sqlite" else postgres_url(args.pg_url)
        with opener as (url, key_dir):
            rows += bench_store(store, url, key_dir, args)
    print(f"load average at the end: {load()}")
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
