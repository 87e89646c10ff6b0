"""Dose ingest on SQLite and PostgreSQL, next to the raw insert rate and the library's own append rate.

Measured in one run, on each store, in interleaved rounds (one batch of each per round, so all three
see the same machine load):

  raw insert       rows/s of executemany (and COPY on PostgreSQL) into a table shaped like the event table
  es save()        events/s of eventsourcing's own Application.save of new one-event aggregates whose
                   event carries the same fields as Person.DoseAdministered (the library's append rate)
  record_doses     doses/s of Ledger.record_doses: load the people, check every rule, append, one receipt
and then, alone:
  register         people/s of Ledger.register_people (sealing national ID, name, date of birth, phone)
  record_dose      doses/s and p50/p99 latency, one command and one transaction per dose

Then the cost of the transparency log: two fresh stores, one written by the ledger as it is (every
event's Merkle leaf in its own transaction) and one by the same ledger with the library's plain
recorder (no leaves: the ledger before the transparency log), recording the same dose batches in
alternating rounds.

With --log-size N (e.g. 1000000) it then builds two more stores, one with a small log (~10,000 events)
and one padded to N events, and records the same dose batches on both in alternating rounds.

Usage: .venv/bin/python benchmarks/bench_ledger.py [--people 10000] [--batch 500] [--log-size 1000000]
PostgreSQL: --pg-url postgresql://u:p@host:port/db (or IMMUNIZE_BENCH_POSTGRES_URL), else a throwaway
cluster (tests/postgres_cluster.py) restarted with fsync, synchronous_commit and full_page_writes ON.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from figures import emit  # benchmarks/figures.py: the line run_all.py reads

from ledger.application import Ledger
from ledger.records import DoseRequest, PersonRequest
from ledger.values import Actor, Role

NOW = datetime(2022, 6, 30, 3, 0, tzinfo=UTC)
PRODUCT = "EU/1/20/1528"  # Pfizer: 21 days
STATE_BYTES = 300  # about the size of a stored DoseAdministered event


class BenchDose(Aggregate):
    """A one-event aggregate whose event has the fields of Person.DoseAdministered: the library's own
    append of the same data, with no command logic (no reads, no rules, no receipt)."""

    @event("Given")
    def __init__(
        self,
        actor: Actor,
        at: datetime,
        dose_id: uuid.UUID,
        dose_number: int,
        product: str,
        lot_id: uuid.UUID,
        lot_number: str,
        administered_on: date,
        site_id: uuid.UUID,
        vaccinator_id: str,
        mixed_products: bool,
    ) -> None:
        self.dose_number = dose_number


def bench_dose(actor: Actor) -> BenchDose:
    return BenchDose(
        actor,
        NOW,
        uuid.uuid4(),
        1,
        PRODUCT,
        uuid.uuid4(),
        "PF-BENCH",
        date(2021, 8, 2),
        uuid.uuid4(),
        "bench-vaccinator",
        False,
    )


@dataclass
class Result:
    store: str
    what: str
    count: int
    seconds: float
    unit: str

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else float("inf")


RESULTS: list[Result] = []
FIGURES: dict[str, float] = {}  # what run_all.py reads: keys "<store>_<what>"


def report(store: str, what: str, count: int, seconds: float, unit: str) -> Result:
    result = Result(store, what, count, seconds, unit)
    RESULTS.append(result)
    print(
        f"  {store:<10} {what:<34} {count:>9,} {unit:<7} in {seconds:7.2f} s = {result.rate:>10,.0f} {unit}/s",
        flush=True,
    )
    return result


# ---- the three writers, one batch at a time ---------------------------------------------------


class RawWriter:
    """Plain INSERTs of event-sized rows into a table shaped like the event table (the database's limit)."""

    def __init__(self, store: str, url: str, root: Path) -> None:
        self.store = store
        self.payload = os.urandom(STATE_BYTES)
        if store == "sqlite":
            import sqlite3

            self.sqlite = sqlite3.connect(root / "raw.db")
            self.sqlite.execute("PRAGMA journal_mode=WAL")
            self.sqlite.execute(
                "CREATE TABLE raw (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
                "PRIMARY KEY (originator_id, originator_version))"
            )
        else:
            self.pg = psycopg.connect(url)
            self.pg.execute(
                "CREATE TABLE raw (originator_id uuid, originator_version bigint, topic text, state bytea, "
                "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
            )
            self.pg.commit()

    def executemany(self, rows: int) -> None:
        if self.store == "sqlite":
            data_s = [(uuid.uuid4().hex, 1, "bench:Raw", self.payload) for _ in range(rows)]
            with self.sqlite:
                self.sqlite.executemany("INSERT INTO raw VALUES (?,?,?,?)", data_s)
            return
        data = [(uuid.uuid4(), 1, "bench:Raw", self.payload) for _ in range(rows)]
        with self.pg.cursor() as cur:
            cur.executemany(
                "INSERT INTO raw (originator_id, originator_version, topic, state) VALUES (%s,%s,%s,%s)", data
            )
        self.pg.commit()

    def copy(self, rows: int) -> None:
        with (
            self.pg.cursor() as cur,
            cur.copy("COPY raw (originator_id, originator_version, topic, state) FROM STDIN") as copy,
        ):
            for _ in range(rows):
                copy.write_row((uuid.uuid4(), 1, "bench:Raw", self.payload))
        self.pg.commit()

    def close(self) -> None:
        if self.store == "sqlite":
            self.sqlite.close()
        else:
            self.pg.close()


@dataclass
class Setup:
    site: uuid.UUID
    lot: uuid.UUID
    actor: Actor


def campaign(ledger: Ledger) -> Setup:
    admin = Actor("bench-admin", Role.ADMIN)
    site = ledger.register_site(
        code="BENCH",
        name="Trạm Y tế Phường Phúc Xá",
        ward_code="00001",
        capacity_per_day=100_000,
        actor=admin,
        idempotency_key=f"bench-site-{uuid.uuid4()}",
    )
    lot = ledger.receive_lot(
        product=PRODUCT,
        lot_number="PF-BENCH",
        expiry=date(2030, 1, 1),
        site_id=site,
        quantity=10_000_000,
        actor=admin,
        idempotency_key=f"bench-lot-{uuid.uuid4()}",
    )
    return Setup(site, lot, Actor("bench-vaccinator", Role.VACCINATOR, site))


_numbers = iter(range(10**9))


def register(
    store: str, ledger: Ledger, people: int, batch: int, label: str = "register_people"
) -> list[uuid.UUID]:
    requests = [
        PersonRequest(
            f"0011{next(_numbers):08d}",
            "Nguyễn Thị Ánh",
            "1985-03-02",
            "female",
            "0912345678",
            "00001",
            "OTHER",
        )
        for _ in range(people)
    ]
    ids: list[uuid.UUID] = []
    began = time.perf_counter()
    for start in range(0, people, batch):
        ids += ledger.register_people(
            requests[start : start + batch],
            actor=Actor("bench-admin", Role.ADMIN),
            idempotency_key=f"bench-people-{uuid.uuid4()}",
        )
    report(store, f"{label} ({batch}/txn)", people, time.perf_counter() - began, "people")
    return ids


def interleaved(
    store: str,
    ledger: Ledger,
    raw: RawWriter | None,
    setup: Setup,
    people: list[uuid.UUID],
    batch: int,
    label: str,
) -> dict[str, Result]:
    """Round after round: a raw batch, a library batch, a ledger batch; so all three see the same load."""
    timings = {"raw executemany": 0.0, "raw COPY": 0.0, "es save()": 0.0, "record_doses": 0.0}
    cpu = dict.fromkeys(timings, 0.0)  # this process's CPU seconds: steadier than wall time on a busy machine
    counts = dict.fromkeys(timings, 0)
    actor = Actor("bench-vaccinator", Role.VACCINATOR, uuid.uuid4())
    for start in range(0, len(people), batch):
        chunk = people[start : start + batch]
        if raw is not None:
            t = time.perf_counter()
            raw.executemany(len(chunk))
            timings["raw executemany"] += time.perf_counter() - t
            counts["raw executemany"] += len(chunk)
            if store == "postgres":
                t = time.perf_counter()
                raw.copy(len(chunk))
                timings["raw COPY"] += time.perf_counter() - t
                counts["raw COPY"] += len(chunk)
        t, c = time.perf_counter(), time.process_time()
        # eventsourcing's own Application.save (Ledger.save trims its per-object checks); the
        # aggregates are created inside the timing, as a command creates its events.
        Application.save(ledger, *[bench_dose(actor) for _ in chunk])
        timings["es save()"] += time.perf_counter() - t
        cpu["es save()"] += time.process_time() - c
        counts["es save()"] += len(chunk)
        requests = [DoseRequest(p, 1, PRODUCT, setup.lot, date(2021, 8, 2), setup.site) for p in chunk]
        t, c = time.perf_counter(), time.process_time()
        ledger.record_doses(requests, actor=setup.actor, idempotency_key=f"bench-doses-{uuid.uuid4()}")
        timings["record_doses"] += time.perf_counter() - t
        cpu["record_doses"] += time.process_time() - c
        counts["record_doses"] += len(chunk)
    units = {"raw executemany": "rows", "raw COPY": "rows", "es save()": "events", "record_doses": "doses"}
    print(
        f"  {store:<10} CPU of this process per item: es save() {cpu['es save()'] / counts['es save()'] * 1e6:.0f} us, "
        f"record_doses {cpu['record_doses'] / counts['record_doses'] * 1e6:.0f} us "
        f"(ratio {cpu['es save()'] / cpu['record_doses']:.2f})",
        flush=True,
    )
    return {
        what: report(store, f"{what} ({batch}/txn){label}", counts[what], timings[what], units[what])
        for what in timings
        if counts[what]
    }


def p50_p99_ms(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return ordered[len(ordered) // 2] * 1000, ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000


def percentiles(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p50, p99 = p50_p99_ms(latencies)
    return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {ordered[-1] * 1000:.2f} ms (mean {statistics.mean(ordered) * 1000:.2f} ms)"


def single_doses(
    store: str, ledger: Ledger, setup: Setup, people: list[uuid.UUID], number: int, day: date
) -> list[float]:
    """One dose per command and transaction, each right after the library's own save of one event."""
    ours: list[float] = []
    library: list[float] = []
    actor = Actor("bench-vaccinator", Role.VACCINATOR, uuid.uuid4())
    for person in people:
        t = time.perf_counter()
        Application.save(ledger, bench_dose(actor))
        library.append(time.perf_counter() - t)
        t = time.perf_counter()
        ledger.record_dose(
            person_id=person,
            dose_number=number,
            product=PRODUCT,
            lot_id=setup.lot,
            administered_on=day,
            site_id=setup.site,
            actor=setup.actor,
            idempotency_key=f"bench-dose-{uuid.uuid4()}",
        )
        ours.append(time.perf_counter() - t)
    report(store, "es save() (1 event/txn)", len(people), sum(library), "events")
    report(store, "record_dose (1 command/txn)", len(people), sum(ours), "doses")
    print(f"  {store:<10} es save() 1-event latency:  {percentiles(library)}", flush=True)
    print(f"  {store:<10} record_dose latency:        {percentiles(ours)}", flush=True)
    FIGURES[f"{store}_record_dose_p50_ms"], FIGURES[f"{store}_record_dose_p99_ms"] = p50_p99_ms(ours)
    FIGURES[f"{store}_es_save_p50_ms"], FIGURES[f"{store}_es_save_p99_ms"] = p50_p99_ms(library)
    return ours


def pad_log(store: str, ledger: Ledger, url: str, target: int) -> None:
    """Add copies of a real stored dose-sized event (new ids) until the log holds `target` events."""
    current = ledger.recorder.max_notification_id() or 0
    missing = target - current
    if missing <= 0:
        return
    template = ledger.mapper.to_stored_event(bench_dose(Actor("pad", Role.SYSTEM)).collect_events()[0])
    began = time.perf_counter()
    if store == "sqlite":
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        for start in range(0, missing, 100_000):
            rows = [
                (uuid.uuid4().hex, 1, template.topic, template.state)
                for _ in range(min(100_000, missing - start))
            ]
            with conn:
                conn.executemany(
                    "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)",
                    rows,
                )
        conn.close()
    else:
        with (
            psycopg.connect(url) as conn,
            conn.cursor() as cur,
            cur.copy(
                "COPY ledger_events (originator_id, originator_version, topic, state) FROM STDIN"
            ) as copy,
        ):
            for _ in range(missing):
                copy.write_row((uuid.uuid4(), 1, template.topic, template.state))
    print(
        f"  {store:<10} padded the log with {missing:,} events in {time.perf_counter() - began:.1f} s "
        f"(now {ledger.recorder.max_notification_id():,})",
        flush=True,
    )


def ratio_line(store: str, results: dict[str, Result]) -> None:
    doses, es = results["record_doses"], results["es save()"]
    raw = results["raw executemany"]
    FIGURES[f"{store}_record_doses_per_s"] = doses.rate
    FIGURES[f"{store}_es_save_per_s"] = es.rate
    FIGURES[f"{store}_raw_insert_per_s"] = raw.rate
    if "raw COPY" in results:
        FIGURES[f"{store}_raw_copy_per_s"] = results["raw COPY"].rate
    print(
        f"  {store:<10} => record_doses / es save() = {doses.rate / es.rate:.2f};  "
        f"es save() / raw executemany = {es.rate / raw.rate:.2f};  record_doses / raw = {doses.rate / raw.rate:.2f}",
        flush=True,
    )


def run_store(store: str, new_url: Callable[[str], str], args: argparse.Namespace, root: Path) -> None:
    url = new_url("main")
    print(f"\n== {store}: {url.split('@')[-1]}", flush=True)
    ledger = Ledger(url, clock=lambda: NOW, key_dir=root / "keys")
    raw = RawWriter(store, url, root)
    try:
        setup = campaign(ledger)
        people = register(store, ledger, args.people, args.batch)
        print(f"  {store:<10} log holds {ledger.recorder.max_notification_id():,} events", flush=True)
        small = interleaved(store, ledger, raw, setup, people, args.batch, "")
        ratio_line(store, small)
        single_doses(store, ledger, setup, people[: args.single], 2, date(2021, 8, 30))
    finally:
        raw.close()
        ledger.close()
    ingest_cost(store, new_url, args, root)
    if args.log_size:
        log_size_phase(store, new_url, args, root)


PLAIN_RECORDERS = {
    "sqlite": "eventsourcing.sqlite:SQLiteApplicationRecorder",
    "postgres": "eventsourcing.postgres:PostgresApplicationRecorder",
}


def ingest_cost(store: str, new_url: Callable[[str], str], args: argparse.Namespace, root: Path) -> None:
    """record_doses with the Merkle leaves written at write time vs the library's plain recorder."""
    urls = {"with leaves": new_url("leaves"), "plain": new_url("plain")}
    ledgers = {
        "with leaves": Ledger(urls["with leaves"], clock=lambda: NOW, key_dir=root / "keys"),
        "plain": Ledger(
            urls["plain"],
            clock=lambda: NOW,
            key_dir=root / "keys",
            env={"APPLICATION_RECORDER_TOPIC": PLAIN_RECORDERS[store]},
        ),
    }
    try:
        setups = {name: campaign(app) for name, app in ledgers.items()}
        people = {
            name: register(store, app, args.people, args.batch, f"register ({name})")
            for name, app in ledgers.items()
        }
        took = dict.fromkeys(ledgers, 0.0)
        cpu = dict.fromkeys(ledgers, 0.0)  # this process's CPU: steadier than wall time on a busy machine
        for start in range(0, args.people, args.batch):
            for name in ("with leaves", "plain") if (start // args.batch) % 2 else ("plain", "with leaves"):
                chunk = people[name][start : start + args.batch]
                requests = [
                    DoseRequest(p, 1, PRODUCT, setups[name].lot, date(2021, 8, 2), setups[name].site)
                    for p in chunk
                ]
                t, c = time.perf_counter(), time.process_time()
                ledgers[name].record_doses(
                    requests, actor=setups[name].actor, idempotency_key=f"bench-{uuid.uuid4()}"
                )
                took[name] += time.perf_counter() - t
                cpu[name] += time.process_time() - c
        for name in ledgers:
            report(store, f"record_doses ({args.batch}/txn), {name}", args.people, took[name], "doses")
        print(
            f"  {store:<10} => transparency log ingest cost: record_doses {took['with leaves'] / took['plain'] - 1:+.1%} "
            f"wall time, {cpu['with leaves'] / cpu['plain'] - 1:+.1%} CPU of this process, with the leaves written "
            f"at write time (load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )
        FIGURES[f"{store}_leaves_cost_wall"] = took["with leaves"] / took["plain"] - 1
        FIGURES[f"{store}_leaves_cost_cpu"] = cpu["with leaves"] / cpu["plain"] - 1
    finally:
        for app in ledgers.values():
            app.close()


def log_size_phase(store: str, new_url: Callable[[str], str], args: argparse.Namespace, root: Path) -> None:
    """The same dose batches on a small log and on a log of --log-size events, in alternating rounds."""
    urls = {"small": new_url("small"), "large": new_url("large")}
    ledgers = {name: Ledger(u, clock=lambda: NOW, key_dir=root / "keys") for name, u in urls.items()}
    try:
        setups = {name: campaign(app) for name, app in ledgers.items()}
        pad_log(store, ledgers["large"], urls["large"], args.log_size)
        people = {
            name: register(store, app, args.people, args.batch, f"register_people ({name} log)")
            for name, app in ledgers.items()
        }
        sizes = {name: app.recorder.max_notification_id() or 0 for name, app in ledgers.items()}
        took = dict.fromkeys(ledgers, 0.0)
        es_took = dict.fromkeys(ledgers, 0.0)
        actor = Actor("bench-vaccinator", Role.VACCINATOR, uuid.uuid4())
        for start in range(0, args.people, args.batch):
            for name, app in ledgers.items():
                chunk = people[name][start : start + args.batch]
                requests = [
                    DoseRequest(p, 1, PRODUCT, setups[name].lot, date(2021, 8, 2), setups[name].site)
                    for p in chunk
                ]
                t = time.perf_counter()
                app.record_doses(requests, actor=setups[name].actor, idempotency_key=f"bench-{uuid.uuid4()}")
                took[name] += time.perf_counter() - t
                t = time.perf_counter()
                Application.save(app, *[bench_dose(actor) for _ in chunk])
                es_took[name] += time.perf_counter() - t
        rates = {}
        for name in ledgers:
            rates[name] = report(
                store, f"record_doses, log of {sizes[name]:,}", args.people, took[name], "doses"
            )
            rates[name + " es"] = report(
                store, f"es save(), log of {sizes[name]:,}", args.people, es_took[name], "events"
            )
        print(
            f"  {store:<10} => at {sizes['large']:,} events / at {sizes['small']:,}: record_doses "
            f"{rates['large'].rate / rates['small'].rate:.2f}, es save() "
            f"{rates['large es'].rate / rates['small es'].rate:.2f}",
            flush=True,
        )
        FIGURES[f"{store}_log_size_events"] = float(sizes["large"])
        FIGURES[f"{store}_large_log_ratio"] = rates["large"].rate / rates["small"].rate
        FIGURES[f"{store}_large_log_es_ratio"] = rates["large es"].rate / rates["small es"].rate
    finally:
        for app in ledgers.values():
            app.close()


@contextmanager
def postgres_server(args: argparse.Namespace) -> Iterator[Callable[[str], str] | None]:
    """A function that creates a fresh database on the benchmark's PostgreSQL server (a durable throwaway
    cluster unless one is given), and drops them all afterwards."""
    if args.no_pg:
        yield None
        return
    from tests.postgres_cluster import throwaway_database, throwaway_server

    configured = args.pg_url or os.environ.get("IMMUNIZE_BENCH_POSTGRES_URL")
    # The tests' cluster runs with fsync off; the benchmark's runs durable, as production does.
    with throwaway_server(configured, durable=True) as server, ExitStack() as databases:
        with psycopg.connect(server, autocommit=True) as conn:
            settings = {
                s: conn.execute(f"SHOW {s}").fetchone()[0]  # type: ignore[index]
                for s in ("fsync", "synchronous_commit", "server_version")
            }
        print(
            f"PostgreSQL {settings['server_version']}: fsync={settings['fsync']}, "
            f"synchronous_commit={settings['synchronous_commit']}",
            flush=True,
        )
        yield lambda label: databases.enter_context(throwaway_database(f"bench_{label}", server))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=10_000, help="people registered and dosed per phase")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--single", type=int, default=2_000, help="doses recorded one command at a time")
    parser.add_argument(
        "--log-size", type=int, default=0, help="pad the log to this many events (e.g. 1000000)"
    )
    parser.add_argument(
        "--pg-url", help="an existing PostgreSQL database server (postgresql://u:p@h:port/db)"
    )
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    print(
        f"bench_ledger: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, people={args.people}, "
        f"batch={args.batch}, single={args.single}, log-size={args.log_size or 'off'}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as tmp:
        root = Path(tmp)
        if not args.no_sqlite:
            run_store("sqlite", lambda label: f"sqlite:///{root / label}.db", args, root)
        with postgres_server(args) as new_database:
            if new_database is not None:
                run_store("postgres", new_database, args, root)
    print(f"\nload average at the end: {os.getloadavg()}")
    FIGURES.update(people=float(args.people), batch=float(args.batch), single=float(args.single))
    print("summary (rate):")
    for r in RESULTS:
        print(f"  {r.store:<10} {r.what:<40} {r.rate:>10,.0f} {r.unit}/s")
    emit(FIGURES)


if __name__ == "__main__":
    main()
