"""Outbox delivery to the fake SMS gateway (issue 13, goal >= 500 messages/s), beside bare POSTs to the
same gateway in the same run, on SQLite and on PostgreSQL.

  outbox delivery   `CampaignService.send_pending` through the HTTP adapter to the local fake gateway
                    (`python -m tests.fake_sms_gateway`, its own process): each batch's attempt ids
                    recorded in the ledger before the gateway is called (the Idempotency-Key), the
                    gateway called on kept-alive connections, the outcomes recorded after; the view
                    caught up as the sender does. With `--senders N` N sender processes run at once,
                    each claiming its own batches.
  baseline          the same number of POSTs to the same gateway with nothing read or recorded.

Setup (people with phones, one appointment-like message queued per person) is not timed. The load
average is printed beside each figure: the machine is shared, so read the ratio.

PostgreSQL: a throwaway cluster (tests/postgres_cluster.py), or `--pg-url postgresql://...` (an existing
server: a database is created and dropped), `--no-pg` for SQLite only.

Usage: .venv/bin/python benchmarks/bench_outbox.py [--messages 5000] [--workers 8] [--senders 1]
       [--batch 200] [--no-pg] [--pg-url URL] [--stores sqlite,postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from ledger.application import Ledger
from ledger.campaign.message_commands import SCHEDULER
from ledger.campaign.values import Language, MessageKind
from ledger.records import PersonRequest
from ledger.reference import reference
from ledger.settings import parse_database_url
from ledger.values import Actor, Role
from projections.store import open_view_store
from services.campaign import CampaignService
from services.sms_gateways import HttpGateway, Sms

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2021, 8, 1, 3, 0, tzinfo=UTC)  # Sunday 1 August 2021, 10:00 in Hà Nội (not quiet hours)
SYSTEM = Actor("bench", Role.SYSTEM)
TEXT = (
    "Lịch tiêm vắc xin: mũi 1, 02/08/2021 07:30-11:30, Trạm Y tế Phường Phúc Xá, Số 1 Nghĩa Dũng. "
    "Mang theo CCCD. Đổi/hủy lịch trên ứng dụng."
)


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def setup(ledger: Ledger, n: int) -> None:
    """n people with phones, one pending message each (as planning queues them)."""
    ref = reference()
    ward = sorted(w.code for w in ref.wards.values() if w.province_code == "01")[0]
    group = sorted(ref.priority_groups.values(), key=lambda g: g.rank)[0].code
    made = 0
    while made < n:
        k = min(1_000, n - made)
        requests = [
            PersonRequest(
                national_id=f"001{(made + i):09d}",
                full_name="Nguyễn Văn An",
                date_of_birth="1970-01-01",
                sex="male",
                phone=f"09{(made + i):08d}",
                ward_code=ward,
                priority_group=group,
            )
            for i in range(k)
        ]
        people = ledger.register_people(requests, actor=SYSTEM, idempotency_key=f"people-{made}")
        at = ledger.now()
        messages = [
            ledger.message(
                person_id=p,
                kind=MessageKind.APPOINTMENT,
                text=TEXT,
                language=Language.VI,
                cause=uuid.uuid5(uuid.NAMESPACE_URL, f"bench-appointment-{made + i}"),
                actor=SCHEDULER,
                at=at - timedelta(seconds=n - made - i),
                appointment_id=None,
            )
            for i, p in enumerate(people)
        ]
        ledger.save(*messages)
        made += k
        print(f"\r  setup: {made:,}/{n:,} people and messages", end="", flush=True)
    print()


@contextmanager
def fake_gateway() -> Iterator[tuple[str, Callable[[], dict[str, int]]]]:
    """The fake gateway in its own process: (URL, stats())."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_sms_gateway", "bench-token"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()

        def stats() -> dict[str, int]:
            with urllib.request.urlopen(url.rsplit("/", 1)[0] + "/stats", timeout=10) as answer:
                data: dict[str, int] = json.loads(answer.read())
                return data

        yield url, stats
    finally:
        process.terminate()
        process.wait(10)


def bare_posts(url: str, n: int, workers: int) -> tuple[float, float]:
    """(seconds, CPU seconds of this process) for n POSTs to the gateway with nothing read or recorded."""
    http = HttpGateway(url, "bench-token")
    sms = [Sms(uuid.uuid4(), "+84912345678", TEXT, "UCS-2") for _ in range(n)]
    began, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda m: http.send(m, str(uuid.uuid4())), sms))
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    http.close()
    return elapsed, cpu


SENDER_CHILD = """
import json, sys, time
from datetime import datetime
from pathlib import Path
sys.path.insert(0, {root!r})
from ledger.application import Ledger
from ledger.settings import parse_database_url
from projections.store import open_view_store
from services.campaign import CampaignService
from services.sms_gateways import HttpGateway
now = datetime.fromisoformat({now!r})
ledger = Ledger({url!r}, clock=lambda: now, key_dir=Path({keys!r}))
store = open_view_store(parse_database_url({url!r}))
service = CampaignService(ledger, store)
http = HttpGateway({gateway!r}, "bench-token")
print("ready", flush=True)
sys.stdin.readline()
began, cpu = time.perf_counter(), time.process_time()
report = service.send_pending(http, batch={batch}, workers={workers}, shard={shard})
print(json.dumps({{"sent": report.sent, "seconds": time.perf_counter() - began,
                  "cpu": time.process_time() - cpu}}), flush=True)
http.close(); store.close(); ledger.close()
"""


def deliver(
    url: str, keys: Path, gateway: str, *, senders: int, batch: int, workers: int
) -> tuple[int, float, float]:
    """(messages sent, seconds, CPU seconds of the senders) for `senders` sender processes started
    together on the outbox."""
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                SENDER_CHILD.format(
                    root=str(ROOT),
                    now=NOW.isoformat(),
                    url=url,
                    keys=str(keys),
                    gateway=gateway,
                    batch=batch,
                    workers=workers,
                    shard=(i, senders) if senders > 1 else None,
                ),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(senders)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
        began = time.perf_counter()
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        sent, cpu = 0, 0.0
        for child in children:
            assert child.stdout is not None
            line = json.loads(child.stdout.readline())
            sent += int(line["sent"])
            cpu += float(line["cpu"])
        elapsed = time.perf_counter() - began
    finally:
        for child in children:
            child.wait(60)
    return sent, elapsed, cpu


def run_store(kind: str, url: str, tmp: Path, args: argparse.Namespace) -> None:
    keys = tmp / f"keys-{kind}"
    ledger = Ledger(url, clock=lambda: NOW, key_dir=keys)
    store = open_view_store(parse_database_url(url))
    service = CampaignService(ledger, store)
    began = time.perf_counter()
    setup(ledger, args.messages)
    service.refresh()
    print(f"  setup took {time.perf_counter() - began:.0f} s (not part of any figure)")
    with fake_gateway() as (gateway_url, stats):
        print(f"  load average before: {load()}")
        sent, send_s, cpu_s = deliver(
            url, keys, gateway_url, senders=args.senders, batch=args.batch, workers=args.workers
        )
        load_after = load()
        counted = stats()
        raw_s, raw_cpu = bare_posts(gateway_url, sent, args.workers)
    assert counted["accepted"] == sent == args.messages, (counted, sent)
    assert counted["duplicates"] == 0, counted
    service.refresh()
    assert service.messages(status="pending") == []
    rate, raw = sent / send_s, sent / raw_s
    print(
        f"  outbox delivery ({kind}): {rate:,.0f} messages/s ({sent:,} in {send_s:.1f} s, "
        f"{args.senders} sender process(es) x {args.workers} threads, batches of {args.batch}); "
        f"goal >= 500/s; load {load_after}"
    )
    print(f"    bare POSTs to the same gateway: {raw:,.0f}/s  (ratio {rate / raw:.2f})")
    from figures import emit  # benchmarks/figures.py: the line run_all.py reads

    emit(
        {
            f"{kind}_messages": float(sent),
            f"{kind}_per_s": rate,
            f"{kind}_bare_posts_per_s": raw,
            f"{kind}_senders": float(args.senders),
            f"{kind}_cpu_ms_per_message": cpu_s / sent * 1000,
        }
    )
    print(
        f"    CPU per message in the sender(s): {cpu_s / sent * 1000:.2f} ms, of which the HTTP calls "
        f"alone take {raw_cpu / sent * 1000:.2f} ms (the bare POSTs' CPU; read these, not the rates, on a busy machine)"
    )
    store.close()
    ledger.close()


@contextmanager
def postgres(args: argparse.Namespace) -> Iterator[str | None]:
    """A fresh database URL on the given server or a throwaway cluster; dropped afterwards."""
    if args.no_pg or "postgres" not in args.stores:
        yield None
        return
    from tests.postgres_cluster import throwaway_database

    with throwaway_database(
        "bench_outbox", args.pg_url or os.environ.get("IMMUNIZE_BENCH_POSTGRES_URL")
    ) as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5_000, help="messages queued and delivered")
    parser.add_argument("--workers", type=int, default=8, help="gateway calls at once per sender")
    parser.add_argument("--senders", type=int, default=1, help="sender processes at once")
    parser.add_argument("--batch", type=int, default=200, help="messages per batch")
    parser.add_argument("--stores", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--pg-url", help="an existing PostgreSQL server (postgresql://u:p@h:port/db)")
    args = parser.parse_args()
    if args.messages < 1 or args.senders < 1 or args.workers < 1 or args.batch < 1:
        parser.error("--messages, --senders, --workers and --batch must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        if "sqlite" in args.stores:
            print(f"bench_outbox: {args.messages:,} messages, SQLite file")
            run_store("sqlite", f"sqlite:///{Path(tmp) / 'ledger.db'}", Path(tmp), args)
        with postgres(args) as pg_url:
            if pg_url is not None:
                print(f"bench_outbox: {args.messages:,} messages, PostgreSQL")
                run_store("postgres", pg_url, Path(tmp), args)


if __name__ == "__main__":
    main()
