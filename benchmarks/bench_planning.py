"""Campaign operations at province scale, each beside a plain-SQL baseline measured in the same run.

  plan a province-day   300 sites x 2 sessions x 200 places, from 200,000 registrations (goal <= 30 s):
                        services.campaign.plan_province_day (`immunize plan province`): the views
                        caught up once, the province's queue, stock and plans read in a few indexed
                        queries, the pure planner per site, then the bookings written through the
                        ledger (appointments, Booked events, one message each; 4 sites per
                        transaction). The views catching up on what it wrote is timed on its own
                        line (a projections follower does that beside the planner). Baseline: the
                        same selection in plain SQL on a copy of the queue table (per site: SELECT
                        ... ORDER BY ... LIMIT capacity, then UPDATE and INSERT the appointment
                        rows), in one transaction.
  the site's today page the read of one site's day at 400 appointments (goal <= 100 ms); baseline:
                        a bare SELECT of the same rows.

Setup (people, registrations, lots) is not timed. `--scale 0.1` runs a tenth (30 sites, 20,000
registrations) for a quick look. A SQLite file in a temporary directory, then PostgreSQL: a throwaway
cluster (tests/postgres_cluster.py) or `--pg-url` (a database is created and dropped); `--pg-scale`
sets its scale apart (its setup is slower). Each figure prints the CPU seconds of this process and the
load average beside it: on a shared machine the wall time is mostly waiting for a core.

Outbox delivery is measured by benchmarks/bench_outbox.py.

Usage: .venv/bin/python benchmarks/bench_planning.py [--scale 1.0] [--plan-workers 1]
       [--stores sqlite,postgres] [--pg-scale S] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.application import Ledger
from ledger.campaign.registrations import Registration
from ledger.campaign.values import Session, registration_id
from ledger.records import PersonRequest
from ledger.reference import reference
from ledger.settings import parse_database_url
from ledger.values import Actor, Role
from projections import plan_queries, site_queries
from projections.store import ViewStore, open_view_store
from services.campaign import CampaignService

NOW = datetime(2021, 8, 1, 3, 0, tzinfo=UTC)  # Sunday 1 August 2021, 10:00 in Hà Nội
DAY = date(2021, 8, 2)
PROVINCE = "01"
OFFICER = Actor("bench-officer", Role.PROVINCE_OFFICER, province_code=PROVINCE)
SYSTEM = Actor("bench", Role.SYSTEM)
PRODUCTS = ("EU/1/21/1529", "EU/1/20/1528", "BBIBP-CorV")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def setup(
    service: CampaignService, ledger: Ledger, sites: int, registrations: int, capacity: int
) -> list[str]:
    """Sites with stock, people and their registrations (written directly in batches: setup only)."""
    ref = reference()
    wards = sorted(w.code for w in ref.wards.values() if w.province_code == PROVINCE)
    site_ids = []
    for i in range(sites):
        row = service.add_site(
            code=f"BENCH-{i:04d}",
            name=f"Điểm tiêm {i}",
            ward_code=wards[i % len(wards)],
            address=f"Số {i} phố Huế",
            sessions=[
                Session("morning", "07:30", "11:30", capacity),
                Session("afternoon", "13:30", "16:30", capacity),
            ],
            actor=OFFICER,
            idempotency_key=f"site-{i}",
        )
        site_ids.append(row.site_id)
        for product in PRODUCTS:
            ledger.receive_lot(
                product=product,
                lot_number=f"L{i}-{product[-4:]}",
                expiry=date(2022, 3, 1),
                site_id=uuid.UUID(row.site_id),
                quantity=2 * capacity,
                actor=SYSTEM,
                idempotency_key=f"lot-{i}-{product}",
            )
    groups = sorted(ref.priority_groups.values(), key=lambda g: g.rank)
    used_wards = [wards[i % len(wards)] for i in range(sites)]
    batch = 2_000
    made = 0
    while made < registrations:
        n = min(batch, registrations - made)
        requests = [
            PersonRequest(
                national_id=f"001{(made + k):09d}",
                full_name="Nguyễn Văn An",
                date_of_birth="1970-01-01",
                sex="male",
                phone=f"09{(made + k):08d}",
                ward_code=used_wards[(made + k) % sites],
                priority_group=groups[(made + k) % len(groups)].code,
            )
            for k in range(n)
        ]
        people = ledger.register_people(requests, actor=SYSTEM, idempotency_key=f"people-{made}")
        regs = []
        for k, (person, request) in enumerate(zip(people, requests, strict=True)):
            group = ref.priority_groups[request.priority_group]
            regs.append(
                Registration(  # type: ignore[call-arg]
                    id=registration_id(person, 1),
                    actor=SYSTEM,
                    at=NOW - timedelta(seconds=registrations - made - k),
                    person_id=person,
                    dose_number=1,
                    priority_group=group.code,
                    priority_rank=group.rank,
                    ward_code=request.ward_code,
                    province_code=PROVINCE,
                    site_id=None,
                    previous_product=None,
                    due_on=NOW.date(),
                    language="vi",
                    automatic=False,
                )
            )
        ledger.save(*regs)
        made += n
        print(f"\r  setup: {made:,}/{registrations:,} people and registrations", end="", flush=True)
    print()
    return site_ids


def copy_queue(db: Path, table: str, target: Path) -> None:
    """A copy of the registration queue as it was before planning, in its own file (the baseline
    works on it without touching, or waiting for, the ledger's database)."""
    conn = sqlite3.connect(target)
    conn.execute("ATTACH DATABASE ? AS ledger", (f"file:{db}?mode=ro",))
    conn.execute(f"CREATE TABLE bench_queue AS SELECT * FROM ledger.{table}")
    conn.commit()
    conn.execute("DETACH DATABASE ledger")
    conn.execute("CREATE INDEX bench_queue_i ON bench_queue (status, ward)")
    conn.execute("CREATE UNIQUE INDEX bench_queue_id ON bench_queue (registration_id)")
    conn.execute(
        "CREATE TABLE bench_appointments (id TEXT PRIMARY KEY, registration_id TEXT, site_id TEXT, session TEXT)"
    )
    conn.commit()
    conn.close()


def baseline_plan(target: Path, sites: list[tuple[str, str]], capacity: int) -> tuple[float, int]:
    """The same selection in plain SQL: per site, the first 2 x capacity waiting registrations of its
    ward in planning order, marked booked, with an appointment row each, in one transaction."""
    conn = sqlite3.connect(target)
    began = time.perf_counter()
    booked = 0
    with conn:
        for site_id, ward in sites:
            rows = conn.execute(
                "SELECT registration_id FROM bench_queue WHERE status = 'waiting' AND site_id IS NULL AND ward = ? "
                "ORDER BY CASE WHEN dose_number >= 2 THEN 0 ELSE 1 END, priority_rank, queued_at, registration_id "
                "LIMIT ?",
                (ward, 2 * capacity),
            ).fetchall()
            conn.executemany(
                "UPDATE bench_queue SET status = 'booked' WHERE registration_id = ?", [(r[0],) for r in rows]
            )
            conn.executemany(
                "INSERT INTO bench_appointments VALUES (?, ?, ?, ?)",
                [
                    (uuid.uuid4().hex, r[0], site_id, "morning" if i < capacity else "afternoon")
                    for i, r in enumerate(rows)
                ],
            )
            booked += len(rows)
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed, booked


def copy_queue_pg(url: str, table: str) -> None:
    """The PostgreSQL baseline's copy of the queue, in the same database (its own tables)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_queue, bench_appointments")
        conn.execute(f"CREATE TABLE bench_queue AS SELECT * FROM {table}")
        conn.execute("CREATE INDEX bench_queue_i ON bench_queue (status, ward)")
        conn.execute("CREATE UNIQUE INDEX bench_queue_id ON bench_queue (registration_id)")
        conn.execute(
            "CREATE TABLE bench_appointments (id TEXT PRIMARY KEY, registration_id TEXT, site_id TEXT, session TEXT)"
        )
        conn.execute("ANALYZE bench_queue")


def baseline_plan_pg(url: str, sites: list[tuple[str, str]], capacity: int) -> tuple[float, int]:
    """baseline_plan on PostgreSQL: the same statements, in one transaction."""
    booked = 0
    with psycopg.connect(url) as conn:
        began = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            for site_id, ward in sites:
                cur.execute(
                    "SELECT registration_id FROM bench_queue WHERE status = 'waiting' AND site_id IS NULL "
                    "AND ward = %s ORDER BY CASE WHEN dose_number >= 2 THEN 0 ELSE 1 END, priority_rank, "
                    "queued_at, registration_id LIMIT %s",
                    (ward, 2 * capacity),
                )
                rows = cur.fetchall()
                cur.executemany(
                    "UPDATE bench_queue SET status = 'booked' WHERE registration_id = %s",
                    [(r[0],) for r in rows],
                )
                cur.executemany(
                    "INSERT INTO bench_appointments VALUES (%s, %s, %s, %s)",
                    [
                        (uuid.uuid4().hex, r[0], site_id, "morning" if i < capacity else "afternoon")
                        for i, r in enumerate(rows)
                    ],
                )
                booked += len(rows)
        elapsed = time.perf_counter() - began
    return elapsed, booked


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def run_store(kind: str, url: str, tmp: Path, args: argparse.Namespace) -> None:
    """The measures on one store (the baseline on the same kind of database, in the same run)."""
    sites_n = max(1, round(300 * args.scale))
    regs_n = max(1, round(200_000 * args.scale))
    capacity = 200
    clock = Clock()
    ledger = Ledger(url, clock=clock, key_dir=tmp / f"keys-{kind}")
    store = open_view_store(parse_database_url(url))
    service = CampaignService(ledger, store)
    print(f"bench_planning: {sites_n} sites x 2 sessions x {capacity}, {regs_n:,} registrations ({kind})")
    began = time.perf_counter()
    site_ids = setup(service, ledger, sites_n, regs_n, capacity)
    service.refresh()
    queue = store.table("campaign_registrations")
    baseline_db = tmp / f"baseline-{kind}.db"
    if kind == "sqlite":
        copy_queue(Path(url.removeprefix("sqlite:///")), queue.strip('"'), baseline_db)
    else:
        copy_queue_pg(url, queue)
    print(f"  setup took {time.perf_counter() - began:.0f} s (not part of any figure)")

    # ---- plan a province-day ----
    load_before = load()
    began, cpu = time.perf_counter(), time.process_time()
    province = service.plan_province_day(PROVINCE, DAY, actor=OFFICER, workers=args.plan_workers)
    plan_s, plan_cpu = time.perf_counter() - began, time.process_time() - cpu
    load_after = load()
    booked = province.booked_now
    began = time.perf_counter()
    service.refresh()
    views_s = time.perf_counter() - began
    head = ledger.recorder.max_notification_id()
    again, cpu = time.perf_counter(), time.process_time()
    assert service.plan_province_day(PROVINCE, DAY, actor=OFFICER).booked_now == 0
    again_s, again_cpu = time.perf_counter() - again, time.process_time() - cpu
    site_again = time.perf_counter()
    for site_id in site_ids[:10]:
        service.plan_day(site_id, DAY, actor=OFFICER)
    site_again_s = (time.perf_counter() - site_again) / min(10, len(site_ids))
    assert ledger.recorder.max_notification_id() == head, "planning again wrote something"
    sites_wards = [(s.site_id, s.ward) for s in site_queries.sites(store, province=PROVINCE)]
    if kind == "sqlite":
        base_s, base_booked = baseline_plan(baseline_db, sites_wards, capacity)
    else:
        base_s, base_booked = baseline_plan_pg(url, sites_wards, capacity)
    print(
        f"  plan a province-day: {plan_s:6.1f} s ({plan_cpu:.1f} s CPU in this process) for {booked:,} "
        f"appointments and {booked:,} messages ({booked / plan_s:,.0f}/s, {args.plan_workers} writing "
        f"process(es)); goal <= 30 s at full scale; load {load_before} -> {load_after}"
    )
    print(
        f"    plain SQL baseline: {base_s:6.2f} s for {base_booked:,} rows  (ratio {plan_s / base_s:,.1f}x)"
    )
    print(
        f"    the views catching up on it afterwards: {views_s:.1f} s ({booked / views_s:,.0f} appointments/s)"
    )
    print(
        f"    planning again (nothing new): the province {again_s * 1000:.0f} ms ({again_cpu * 1000:.0f} ms "
        f"CPU), one site {site_again_s * 1000:.0f} ms; 0 events written; load {load()}"
    )
    from figures import emit  # benchmarks/figures.py: the line run_all.py reads

    emit(
        {
            f"{kind}_appointments": float(booked),
            f"{kind}_plan_s": plan_s,
            f"{kind}_plan_cpu_s": plan_cpu,
            f"{kind}_plain_sql_s": base_s,
            f"{kind}_views_s": views_s,
            f"{kind}_again_s": again_s,
            f"{kind}_plan_workers": float(args.plan_workers),
            f"{kind}_scale": float(args.scale),
        }
    )
    if kind == "sqlite":
        today_page(store, Path(url.removeprefix("sqlite:///")), site_ids[0])
    store.close()
    ledger.close()


def today_page(store: ViewStore, db: Path, site_id: str) -> None:
    """The site's today page (a read of the view) beside a bare SELECT of the same rows."""
    times = []
    for _ in range(20):
        began = time.perf_counter()
        day = plan_queries.day_plan(store, site_id, DAY)
        times.append(time.perf_counter() - began)
    assert day is not None
    rows = sum(len(s.appointments) for s in day.sessions)
    conn = sqlite3.connect(db)
    raw = []
    for _ in range(20):
        began = time.perf_counter()
        conn.execute(
            f"SELECT * FROM {store.table('campaign_appointments')} WHERE site_id = ? AND day = ? ORDER BY seq",
            (site_id, DAY.isoformat()),
        ).fetchall()
        raw.append(time.perf_counter() - began)
    conn.close()
    page = statistics.median(times) * 1000
    bare = statistics.median(raw) * 1000
    print(f"  today's list of a site ({rows} appointments): {page:.1f} ms median; goal <= 100 ms")
    print(f"    bare SELECT of the same rows: {bare:.1f} ms  (ratio {page / bare:.1f}x)")


@contextmanager
def postgres(args: argparse.Namespace) -> Iterator[str | None]:
    """A fresh database URL on the given server or a throwaway cluster; dropped afterwards."""
    if "postgres" not in args.stores:
        yield None
        return
    from tests.postgres_cluster import throwaway_database

    with throwaway_database(
        "bench_planning", args.pg_url or os.environ.get("IMMUNIZE_BENCH_POSTGRES_URL")
    ) as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 300 sites, 200,000 registrations")
    parser.add_argument(
        "--plan-workers", type=int, default=1, help="processes writing the province's batches (1: this one)"
    )
    parser.add_argument("--stores", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--pg-scale", type=float, help="the scale on PostgreSQL (default: --scale)")
    parser.add_argument("--pg-url", help="an existing PostgreSQL server (postgresql://u:p@h:port/db)")
    args = parser.parse_args()
    if not 0 < args.scale <= 1 or not 0 < (args.pg_scale or args.scale) <= 1:
        parser.error("--scale and --pg-scale must be more than 0 and at most 1")
    with tempfile.TemporaryDirectory() as tmp:
        if "sqlite" in args.stores:
            run_store("sqlite", f"sqlite:///{Path(tmp) / 'ledger.db'}", Path(tmp), args)
        with postgres(args) as pg_url:
            if pg_url is not None:
                pg_args = argparse.Namespace(**{**vars(args), "scale": args.pg_scale or args.scale})
                run_store("postgres", pg_url, Path(tmp), pg_args)


if __name__ == "__main__":
    main()
