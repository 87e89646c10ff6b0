"""Projection speed on SQLite and PostgreSQL, next to the raw read-and-decode rate of the same log.

The log: the real ledger's aggregates and events (Person.Registered with sealed personal data,
DoseAdministered, a few voids, reactions and declarations, sites and lots), written in batches
straight through `Ledger.save` (the command API with its receipts seeds ~1,300 people/s; this
seeds the same event types far faster). On each store it measures, in the same run:

  read+decode (ledger)   select_notifications pages of 1,000 + the Ledger's mapper (decrypts personal data)
  read+decode (reader)   the same with projections.reader.LedgerReader (personal data left sealed)
  catch-up <view>        each view rebuilt from position 0 alone (events of the log per second)
  catch-up all, one pass every view together (8 since session 4; 4 when the goal was set), each page read and decoded once for all of them
  live lag               every view following while a writer appends a steady --live-rate events/s:
                         p50/p99 of (view applied the event - event committed); once with one
                         follower for every view in this process, then with the two follower
                         processes `serve --followers` starts (projections.registry.FOLLOWER_GROUPS)
  memory                 with --large: peak RSS of a fresh process catching all views up (one pass)
                         on the log so far, then on the --large-people log, with RSS samples every
                         50,000 events (flat = nothing kept per person)

Usage: .venv/bin/python benchmarks/bench_projections.py [--people 10000] [--stores sqlite,postgres]
       [--live-rate 1000 --live-seconds 20] [--large --large-people 1000000]
PostgreSQL: IMMUNIZE_BENCH_POSTGRES_URL=postgresql://u:p@host:port/db (an empty database), else a
throwaway cluster (tests/postgres_cluster.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from figures import emit  # benchmarks/figures.py: the line run_all.py reads

from ledger.application import Ledger
from ledger.domainmodel import Person, VaccinationSite, VaccineLot
from ledger.settings import parse_database_url
from ledger.values import Actor, PersonalData, Role, Sex
from projections.reader import LedgerReader
from projections.registry import VIEWS
from projections.runner import Supervisor, catch_up
from projections.store import open_view_store

ADMIN = Actor("bench", Role.SYSTEM)
AT = datetime(2021, 12, 1, tzinfo=UTC)
AZ = "EU/1/21/1529"
PFIZER = "EU/1/20/1528"


def open_ledger(url: str, key_dir: Path) -> Ledger:
    return Ledger(url, key_dir=key_dir, clock=lambda: AT)


class Generator:
    """Writes campaign events through the real aggregates in batches (seeded, deterministic)."""

    def __init__(self, ledger: Ledger, seed: int = 1) -> None:
        self.ledger = ledger
        self.rng = random.Random(seed)
        ref = ledger.reference
        wards = sorted(ref.wards.values(), key=lambda w: w.code)
        by_province: dict[str, list[str]] = {}
        for ward in wards:
            by_province.setdefault(ward.province_code, []).append(ward.code)
        self.wards = [(p, by_province[p][0]) for p in sorted(by_province)]
        self.groups = sorted(ref.priority_groups)
        self.sites: list[tuple[uuid.UUID, str]] = []
        self.lots: dict[tuple[uuid.UUID, str], tuple[uuid.UUID, str]] = {}
        self.people: list[uuid.UUID] = []
        self.n = 0

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def setup(self, sites: int = 63) -> None:
        """One site per province (up to `sites`) with an AstraZeneca and a Pfizer lot each."""
        aggregates: list[Any] = []
        for province, ward in self.wards[:sites]:
            site = VaccinationSite(  # type: ignore[call-arg]
                id=self.new_id(),
                actor=ADMIN,
                at=AT,
                code=f"S{province}",
                name=f"Trạm {province}",
                ward_code=ward,
                province_code=province,
                capacity_per_day=2000,
            )
            aggregates.append(site)
            self.sites.append((site.id, province))
            for product in (AZ, PFIZER):
                lot = VaccineLot(  # type: ignore[call-arg]
                    id=self.new_id(),
                    actor=ADMIN,
                    at=AT,
                    product=product,
                    manufacturer="ORG",
                    lot_number=f"L{province}{product[-2:]}",
                    expiry=date(2022, 6, 30),
                    site_id=site.id,
                    quantity=10_000_000,
                )
                aggregates.append(lot)
                self.lots[(site.id, product)] = (lot.id, lot.lot_number)
        self.ledger.save(*aggregates)

    def people_batch(self, count: int, doses: int = 2) -> int:
        """Register `count` people with up to `doses` doses each, in one save; return events written."""
        rng = self.rng
        ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(count)]
        self.ledger.keys.create_keys(ids)
        people = []
        events = 0
        for pid in ids:
            self.n += 1
            site_id, province = self.sites[self.n % len(self.sites)]
            ward = dict(self.wards)[province]
            year = rng.randint(1940, 2012)
            person = Person(  # type: ignore[call-arg]
                id=pid,
                actor=ADMIN,
                at=AT,
                national_id=PersonalData(pid, f"001{self.n:09d}"),
                full_name=PersonalData(pid, "Nguyễn Thị Mẫu"),
                date_of_birth=PersonalData(pid, str(year)),
                birth_year=year,
                sex=Sex.FEMALE,
                phone=None,
                ward_code=ward,
                province_code=province,
                priority_group=rng.choice(self.groups),
                guardian_id=None,
            )
            events += 1
            day = date(2021, 7, 1) + timedelta(days=rng.randint(0, 60))
            for number in range(1, rng.randint(max(1, doses - 1), doses) + 1):
                product = AZ if number == 1 else rng.choice((AZ, PFIZER))
                lot_id, lot_number = self.lots[(site_id, product)]
                person._dose_administered(
                    actor=ADMIN,
                    at=AT,
                    dose_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    dose_number=number,
                    product=product,
                    lot_id=lot_id,
                    lot_number=lot_number,
                    administered_on=day,
                    site_id=site_id,
                    vaccinator_id="bench",
                    mixed_products=False,
                )
                day += timedelta(days=35)
                events += 1
            if rng.random() < 0.01:
                person._reaction_reported(
                    actor=ADMIN,
                    at=AT,
                    reaction_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    dose_id=person.doses[0].dose_id,
                    onset=person.doses[0].administered_on,
                    symptoms=PersonalData(pid, "sốt"),
                    severity=rng.choice(("mild", "moderate", "serious")),
                )
                events += 1
            if rng.random() < 0.005:
                person._dose_voided(actor=ADMIN, at=AT, dose_id=person.doses[0].dose_id, reason="duplicate")
                events += 1
            people.append(person)
        self.ledger.save(*people)
        return events

    def fill(self, people: int, batch: int = 1000) -> int:
        events = 0
        while people > 0:
            events += self.people_batch(min(batch, people))
            people -= batch
        return events


def read_rate(app: Any) -> tuple[int, float]:
    """Events read and decoded per second over the whole log."""
    began = time.perf_counter()
    position, count = 0, 0
    while page := app.recorder.select_notifications(position, 1000, inclusive_of_start=False):
        for notification in page:
            app.mapper.to_domain_event(notification)
        count += len(page)
        position = page[-1].id
    return count, count / (time.perf_counter() - began)


def catch_up_rates(reader: LedgerReader, url: str) -> dict[str, float]:
    store = open_view_store(parse_database_url(url))
    rates: dict[str, float] = {}
    try:
        for view in VIEWS:
            recorder = view.recorder(store)
            recorder.drop_tables()
            began = time.perf_counter()
            read = catch_up(reader, view(recorder))
            rates[view.name] = read / (time.perf_counter() - began)
        for view in VIEWS:
            view.recorder(store).drop_tables()
        began = time.perf_counter()
        read = catch_up(reader, [view(view.recorder(store)) for view in VIEWS])
        rates[f"all {len(VIEWS)} views, one pass"] = read / (time.perf_counter() - began)
    finally:
        store.close()
    return rates


def live_lag(
    ledger: Ledger,
    reader: LedgerReader,
    url: str,
    generator: Generator,
    rate: int,
    seconds: float,
    key_dir: Path | None = None,
) -> dict[str, list[float]]:
    """Lag samples (s) per view while a writer appends ~`rate` events/s in 10 batches a second.

    Without `key_dir`: every view in one Supervisor of this process (one follower, one core at most).
    With it: the followers `serve --followers` starts, each its own `immunize projections run` process
    following its group of projections.registry.FOLLOWER_GROUPS (without `--keyed`: the keyed views
    are not in this bench's one-follower figure either)."""
    store = open_view_store(parse_database_url(url))
    committed: list[tuple[int, float]] = []
    lags: dict[str, list[float]] = {view.name: [] for view in VIEWS}
    stop = threading.Event()

    def write() -> None:
        per_batch = max(1, rate // 10 // 3)  # ~3 events per person
        next_at = time.monotonic()
        end = next_at + seconds
        while next_at < end:
            generator.people_batch(per_batch)
            head = ledger.recorder.max_notification_id() or 0
            committed.append((head, time.monotonic()))
            next_at += 0.1
            time.sleep(max(0.0, next_at - time.monotonic()))
        stop.set()

    with contextlib.ExitStack() as stack:
        if key_dir is None:
            supervisor = stack.enter_context(Supervisor(reader, VIEWS, store, poll_interval=0.05))
            positions = supervisor.positions
        else:
            from cli.multiprocess import ProcessGroup, follower_commands, stop_process

            env = {**os.environ, "IMMUNIZE_DATABASE_URL": url, "IMMUNIZE_KEY_DIR": str(key_dir)}
            processes = [
                subprocess.Popen(
                    [sys.executable, "-c", "from cli.main import main; main()"]
                    + [a for a in command if a != "--keyed"]
                    + ["--poll-interval", "0.05"],
                    env=env,
                    stderr=subprocess.PIPE,
                )
                for command in follower_commands()
            ]
            followers = ProcessGroup(processes)
            stack.callback(stop_process, followers)
            # Each follower says "following ..." once its runners started: the lag is measured from
            # then (a process start costs seconds at load; that is not a follower's lag).
            started = [threading.Event() for _ in processes]

            def drain(process: subprocess.Popen[bytes], event: threading.Event) -> None:
                assert process.stderr is not None
                for line in process.stderr:
                    if line.startswith(b"following "):
                        event.set()

            for process, event in zip(processes, started, strict=True):
                threading.Thread(target=drain, args=(process, event), daemon=True).start()
            for event in started:
                if not event.wait(600):
                    raise SystemExit("a follower process did not start within 600 s")
            recorders = {view.name: view.recorder(store) for view in VIEWS}

            def positions() -> dict[str, int]:
                return {name: r.max_tracking_id(reader.name) or 0 for name, r in recorders.items()}

        head = reader.recorder.max_notification_id() or 0
        deadline = time.monotonic() + 3600
        while min(positions().values()) < head and time.monotonic() < deadline:
            time.sleep(0.05)
        writer = threading.Thread(target=write)
        writer.start()
        pending = {view.name: 0 for view in VIEWS}
        while not stop.is_set() or any(pending[v] < len(committed) for v in pending):
            now = time.monotonic()
            for name, position in positions().items():
                while pending[name] < len(committed) and committed[pending[name]][0] <= position:
                    lags[name].append(now - committed[pending[name]][1])
                    pending[name] += 1
            time.sleep(0.01)
        writer.join()
    store.close()
    return lags


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def catch_up_process(url: str, key_dir: str) -> None:
    """In a fresh process: catch every view up from zero; print events/s and peak RSS as JSON."""
    reader = LedgerReader(url, key_dir=Path(key_dir))
    store = open_view_store(parse_database_url(url))
    samples: list[int] = []
    for view in VIEWS:
        view.recorder(store).drop_tables()
    began = time.perf_counter()
    read = catch_up(
        reader,
        [view(view.recorder(store)) for view in VIEWS],
        progress=lambda _p, n: (
            samples.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) if n % 50_000 < 1000 else None
        ),
    )
    elapsed = time.perf_counter() - began
    print(
        json.dumps(
            {
                "events": read,
                "seconds": elapsed,
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_samples_mb": [s / 1024 for s in samples[:: max(1, len(samples) // 8)]],
            }
        )
    )
    store.close()
    reader.close()


FIGURES: dict[str, float] = {}  # what run_all.py reads: keys "<store>_<what>"


def bench_store(kind: str, url: str, work: Path, args: argparse.Namespace) -> None:
    key = "sqlite" if kind == "SQLite" else "postgres"
    key_dir = work / "keys"
    ledger = open_ledger(url, key_dir)
    generator = Generator(ledger)
    generator.setup()
    began = time.perf_counter()
    events = generator.fill(args.people)
    seeded = time.perf_counter() - began
    print(
        f"\n== {kind}: {args.people:,} people, {ledger.recorder.max_notification_id():,} events "
        f"(seeded {events / seeded:,.0f} events/s)"
    )
    _, ledger_rate = read_rate(ledger)
    reader = LedgerReader(url, key_dir=key_dir)
    _, reader_rate = read_rate(reader)
    print(f"  read+decode (ledger, decrypting)   {ledger_rate:10,.0f} events/s   baseline")
    FIGURES[f"{key}_read_decode_per_s"] = ledger_rate
    FIGURES[f"{key}_reader_decode_per_s"] = reader_rate
    FIGURES[f"{key}_events"] = float(ledger.recorder.max_notification_id() or 0)
    print(
        f"  read+decode (reader, sealed)       {reader_rate:10,.0f} events/s   {reader_rate / ledger_rate:5.2f}x"
    )
    rates = catch_up_rates(reader, url)
    FIGURES[f"{key}_one_pass_per_s"] = rates.pop(f"all {len(VIEWS)} views, one pass")
    FIGURES[f"{key}_view_min_per_s"] = min(rates.values())
    FIGURES[f"{key}_view_max_per_s"] = max(rates.values())
    FIGURES[f"{key}_views"] = float(len(VIEWS))
    rates[f"all {len(VIEWS)} views, one pass"] = FIGURES[f"{key}_one_pass_per_s"]
    for name, rate in rates.items():
        print(
            f"  catch-up {name:<24}  {rate:10,.0f} events/s   {rate / ledger_rate:5.0%} of ledger decode, "
            f"{rate / reader_rate:5.0%} of reader decode"
        )
    if args.live_seconds > 0:
        # One follower for every view (as before), then the two follower processes of `serve --followers`.
        for label, split in (("", None), ("two followers, ", key_dir)):
            lags = live_lag(ledger, reader, url, generator, args.live_rate, args.live_seconds, split)
            suffix = "_split" if split else ""
            FIGURES[f"{key}_live_lag{suffix}_p99_ms"] = max(percentile(s, 99) for s in lags.values()) * 1000
            FIGURES[f"{key}_live_rate"] = float(args.live_rate)
            for name, samples in lags.items():
                print(
                    f"  live lag {label}{name:<24} at ~{args.live_rate:,} events/s: p50 {percentile(samples, 50) * 1000:6.0f} ms,"
                    f" p99 {percentile(samples, 99) * 1000:6.0f} ms, max {max(samples) * 1000:6.0f} ms ({len(samples)} commits)"
                )
            print(
                f"  live lag {label}worst view p99 {FIGURES[f'{key}_live_lag{suffix}_p99_ms']:,.0f} ms, load average {os.getloadavg()[0]:.1f}"
            )
    if args.large:
        small = measure_memory(url, key_dir)
        generator.fill(args.large_people - args.people, batch=2000)
        large = measure_memory(url, key_dir)
        FIGURES[f"{key}_rss_small_mb"] = small["maxrss_mb"]
        FIGURES[f"{key}_rss_large_mb"] = large["maxrss_mb"]
        for label, m in (("small", small), ("large", large)):
            print(
                f"  memory {label}: {m['events']:,} events, all views in one pass {m['events'] / m['seconds']:,.0f} "
                f"events/s, peak RSS {m['maxrss_mb']:.0f} MB (samples {', '.join(f'{s:.0f}' for s in m['rss_samples_mb'])})"
            )
    reader.close()
    ledger.close()


def measure_memory(url: str, key_dir: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--catch-up-process", url, str(key_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--live-rate", type=int, default=1000)
    parser.add_argument("--live-seconds", type=float, default=20)
    parser.add_argument("--large", action="store_true", help="also measure memory at --large-people")
    parser.add_argument("--large-people", type=int, default=1_000_000)
    parser.add_argument("--catch-up-process", nargs=2, metavar=("URL", "KEY_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.catch_up_process:
        catch_up_process(*args.catch_up_process)
        return
    print(f"bench_projections: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-projections-") as tmp:
        work = Path(tmp)
        if "sqlite" in stores:
            (work / "sqlite").mkdir()
            bench_store("SQLite", f"sqlite:///{work / 'sqlite' / 'ledger.db'}", work / "sqlite", args)
        if "postgres" in stores:
            from tests.postgres_cluster import throwaway_database

            with throwaway_database(
                "bench_projections", os.environ.get("IMMUNIZE_BENCH_POSTGRES_URL")
            ) as url:
                (work / "pg").mkdir()
                bench_store("PostgreSQL", url, work / "pg", args)
    FIGURES["people"] = float(args.people)
    emit(FIGURES)


if __name__ == "__main__":
    main()
