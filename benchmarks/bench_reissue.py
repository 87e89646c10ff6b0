"""Benchmark of `immunize certificate reissue --all` per core on SQLite and PostgreSQL, beside baselines measured in
the same run: a bare ES256 signature, and segno drawing the same QR codes (symbol and PNG).

Seeds a ledger, issues a certificate to everyone with a dose (indexed and rendered, as the web and the renderer
leave them), rotates the signing key, then times `services.certificates.reissue_batch` over the rendering index's
pages in this one process: per certificate a new signature (the issuer's verifier read-back sampled as `--all`
samples it), the ledger read and write, the rendered files sealed and stored, and the index marks.
Rows:
- baselines: bare ES256 sign; segno's symbol and PNG of the same HC1 strings, and ours (the ratio);
- HC1 + PNG: what `reissue --all` stores (the national figure the issue asks for; the SVG and the PDF are
  left to the renderer in the background, or a first download); on PostgreSQL the server's CPU (our own
  throwaway cluster's processes) is counted beside this process's, and the rate per core is over both;
- HC1 + PNG + SVG + PDF: `reissue --all --all-formats` (SQLite only);
- credentials alone, HC1 + PNG: `credentials.issue` and the PNG with no ledger (the ceiling of this design);
- per certificate: the CPU of each step of the credentials part (payload, schema check, CBOR, ES256, zlib and
  base45, QR symbol, PNG), so the ledger's share is the rest.
Prints each rate and the hours for 75 million certificates on 2 cores (rate x 2, no other load), and the load
average before and after: the machine is shared, so read the ratios.

Run: .venv/bin/python benchmarks/bench_reissue.py [--people N] [--skip-postgres] [--profile]
PostgreSQL: IMMUNIZE_BENCH_POSTGRES_URL=postgresql://u:p@host:port/db (its server CPU is then not counted),
else a throwaway cluster (tests/postgres_cluster.py).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.postgres_cluster

import psycopg
import segno
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import services.certificates as service
from credentials import issue
from credentials.cose import cwt_claims, sign1
from credentials.hc1 import encode_hc1
from credentials.payload import build_payload
from credentials.qr import png_bytes, qr_matrix
from credentials.schema import validate_dcc
from credentials.series import rules_fingerprint
from credentials.uvci import new_uvci
from keys.development import ensure_development_keys
from keys.settings import DEVELOPMENT_PASSPHRASE
from keys.store import KeyStore
from ledger.application import Ledger
from ledger.certificate_records import vaccination_record
from projections.store import open_view_store
from services import certificate_files
from services.certificate_render import catch_up_index
from services.demo_population import seed_demo
from services.people import list_people

NATIONAL = 75_000_000
TICKS = os.sysconf("SC_CLK_TCK")


def load() -> str:
    return "load average " + " / ".join(f"{x:.1f}" for x in os.getloadavg())


def per_second(work: Callable[[Any], object], items: list[Any], repeat: int = 1) -> float:
    """Items per CPU second of this process."""
    start = time.process_time()
    for _ in range(repeat):
        for item in items:
            work(item)
    return len(items) * repeat / (time.process_time() - start)


def bare_sign(count: int = 2000) -> float:
    key = ec.generate_private_key(ec.SECP256R1())
    return per_second(lambda _: key.sign(b"x" * 300, ec.ECDSA(hashes.SHA256())), list(range(count)))


class ServerClock:
    """CPU seconds used by a PostgreSQL cluster we started: its postmaster, the children it reaped, and the
    children alive now (backends, WAL writer, checkpointer)."""

    def __init__(self, data_dir: Path) -> None:
        self.postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])

    def seconds(self) -> float:
        ticks = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = (Path("/proc") / entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, parent = int(entry), int(fields[1])
            if pid == self.postmaster:
                ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
            elif parent == self.postmaster:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / TICKS


def seeded(url: str, base: Path, people: int, master: Path | None = None) -> tuple[Ledger, KeyStore]:
    now = datetime.now(UTC)
    ensure_development_keys(base / "keys", now, warn=lambda line: None)
    store = KeyStore(base / "keys")
    ledger = Ledger(url, key_dir=master or base / "lk")
    seed_demo(ledger, people=people, seed=1)
    signer = store.current_signer(DEVELOPMENT_PASSPHRASE, now)
    views = open_view_store(ledger.store)
    for record in list_people(ledger, views, limit=people * 2):
        if record.doses:
            issued = service.issue_new(
                ledger,
                record.person_id,
                signer,
                now=now,
                validity=timedelta(days=365),
                idempotency_key=f"bench-{record.person_id}",
            )
            service.mark_issued(ledger, issued)
            service.keep_files(ledger, issued, formats=("hc1", "png"))
    views.close()
    return ledger, store


def reissue_all(
    ledger: Ledger,
    store: KeyStore,
    formats: tuple[str, ...],
    profile: bool,
    server: ServerClock | None = None,
) -> tuple[float, float, int]:
    """(client CPU seconds, server CPU seconds, certificates) of re-issuing everything after a fresh key rotation."""
    now = datetime.now(UTC)
    store.rotate(DEVELOPMENT_PASSPHRASE, now)
    signer = store.current_signer(DEVELOPMENT_PASSPHRASE, now)
    rules = rules_fingerprint()
    profiler = cProfile.Profile() if profile else None
    done = 0
    # The collector tuned as `reissue --all` tunes it, once per process (a full collection, then the heap
    # frozen: ~30 ms here), before the clock starts: like the process's start-up, it is not a cost per
    # certificate (75 million pay it once per worker). Printed apart.
    setup = time.process_time()
    with service.batch_process():
        setup = time.process_time() - setup
        server_start = server.seconds() if server else 0.0
        start = time.process_time()
        if profiler is not None:
            profiler.enable()
        for page in certificate_files.current_entries(ledger, page=200):  # as `reissue --all` hands them out
            outcomes = service.reissue_batch(
                ledger, page, signer, now=now, validity=timedelta(days=365), rules=rules, formats=formats
            )
            done += outcomes["reissued"]
        spent = time.process_time() - start
        server_spent = server.seconds() - server_start if server else 0.0
    print(f"  (once per process, not counted: the collector's set-up {setup * 1e3:,.1f} ms)")
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    return spent, server_spent, done


def workers_table(
    base: Path,
    people: int,
    counts: list[int],
    postgres_admin: str | None = None,
    clock: ServerClock | None = None,
) -> list[str]:
    """`immunize certificate reissue --all --workers N` run as an operator runs it (the CLI in its own
    processes), each worker count on its own copy of one seeded ledger just after a key rotation: wall time,
    the CPU of every process of the run (start-up and the index catch-up included; on PostgreSQL the
    server's too, from `clock`), and the certificates per wall second on this machine's cores. SQLite copies
    the file; PostgreSQL (`postgres_admin`: a URL of the server's `postgres` database) copies the database
    with CREATE DATABASE ... TEMPLATE."""
    name = "SQLite" if postgres_admin is None else "PostgreSQL"
    source = base / f"workers-{name}"
    source.mkdir()

    def url_of(folder: Path, tag: str) -> str:
        if postgres_admin is None:
            return f"sqlite:///{folder / 'ledger.db'}"
        return postgres_admin.rsplit("/", 1)[0] + f"/reissue_{tag}"

    if postgres_admin is not None:
        with psycopg.connect(postgres_admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS reissue_source")
            conn.execute("CREATE DATABASE reissue_source")
    ledger, _ = seeded(url_of(source, "source"), source, people, master=source / "keys")
    catch_up_index(ledger)  # as the renderer running beside the web leaves it
    ledger.close()
    lines = []
    for count in [*counts, 0]:  # 0: the first run again, with nothing left to do (start-up and one pass)
        tag = f"w{count or counts[0]}"
        run = base / f"workers-{name}-{tag}"
        if count:
            shutil.copytree(source, run)
            KeyStore(run / "keys").rotate(DEVELOPMENT_PASSPHRASE, datetime.now(UTC))
            if postgres_admin is not None:
                with psycopg.connect(postgres_admin, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS reissue_{tag}")
                    # Our own cluster: the seeding process's pools (the rendering tables keep one) let go.
                    conn.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = 'reissue_source' AND pid <> pg_backend_pid()"
                    )
                    conn.execute(f"CREATE DATABASE reissue_{tag} TEMPLATE reissue_source")
        env = {
            **os.environ,
            "IMMUNIZE_DATABASE_URL": url_of(run, tag),
            "IMMUNIZE_KEY_DIR": str(run / "keys"),
            "IMMUNIZE_KEY_PASSPHRASE": DEVELOPMENT_PASSPHRASE,
        }
        command = [str(Path(sys.executable).parent / "immunize"), "certificate", "reissue", "--all"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_before = clock.seconds() if clock else 0.0
        began = time.perf_counter()
        done = subprocess.run(
            [*command, "--workers", str(count or 1)], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise SystemExit(f"reissue --all --workers {count or 1} failed: {done.stdout}{done.stderr}")
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server = clock.seconds() - server_before if clock else 0.0
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime) + server
        found = re.search(r"Re-issued (\d+),", done.stdout)
        reissued = int(found[1]) if found else 0
        served = f" (the server's {server:,.1f} s included)" if clock else ""
        if not count:
            lines.append(
                f"[{name}, CLI] reissue --all with nothing left to do (start-up, one pass over the index): "
                f"{wall:,.1f} s wall, {cpu:,.1f} s CPU{served}"
            )
            print(lines[-1])
            continue
        lines.append(
            f"[{name}, CLI] reissue --all --workers {count}: {reissued} certificates in {wall:,.1f} s wall "
            f"= {reissued / wall:,.0f}/s on this machine ({load()}); CPU of all its processes {cpu:,.1f} s"
            f"{served} = {reissued / cpu:,.0f}/s per core -> 75 million at this wall rate: "
            f"{NATIONAL / (reissued / wall) / 3600:,.1f} h"
        )
        print(lines[-1])
    return lines


def postgres_workers(base: Path, people: int, counts: list[int]) -> list[str]:
    """`workers_table` on a throwaway PostgreSQL cluster of its own (its server's CPU counted)."""
    from tests.postgres_cluster import ThrowawayCluster

    cluster = ThrowawayCluster()
    try:
        admin = cluster.start().url("postgres")
        return workers_table(base, people, counts, admin, ServerClock(cluster.data))
    finally:
        cluster.stop()


def hours(rate: float) -> str:
    return f"75 million on 2 cores: {NATIONAL / (rate * 2) / 3600:,.1f} h"


def report(
    store_name: str,
    ledger: Ledger,
    store: KeyStore,
    bare: float,
    args: argparse.Namespace,
    server: ServerClock | None,
) -> None:
    client, server_cpu, done = reissue_all(ledger, store, ("hc1", "png"), args.profile, server)
    rate = done / (client + server_cpu)
    both = f" + server {server_cpu / done * 1e6:,.0f} us" if server else ""
    print(
        f"[{store_name}] reissue HC1 + PNG (as --all runs it): {rate:,.0f}/s per core ({done} certificates, "
        f"this process {client / done * 1e6:,.0f} us{both} per certificate; ratio to bare sign {rate / bare:.3f}) "
        f"-> {hours(rate)}"
    )


def baselines(ledger: Ledger, store: KeyStore, bare: float) -> list[str]:
    """HC1 strings of real certificates, and the per-step CPU of the credentials part with segno beside ours."""
    now = datetime.now(UTC)
    signer = store.current_signer(DEVELOPMENT_PASSPHRASE, now)
    records = []
    for page in certificate_files.current_entries(ledger, page=500):
        records += [vaccination_record(ledger, ledger.get_person(e.person_id)) for e in page]
    records = records[:300]
    today = now.date()
    expires = now + timedelta(days=365)
    payloads = [build_payload(r, new_uvci(os.urandom), today)[0] for r in records]
    claims = [cwt_claims(d, "VN", now, expires) for d in payloads]
    messages = [sign1(c, signer) for c in claims]
    texts = [encode_hc1(m) for m in messages]
    matrices = [qr_matrix(t) for t in texts]
    steps = [
        ("payload (DCC from the record)", lambda r: build_payload(r, new_uvci(os.urandom), today), records),
        ("schema check", validate_dcc, payloads),
        ("CBOR claims", lambda d: cwt_claims(d, "VN", now, expires), payloads),
        ("COSE sign ES256", lambda c: sign1(c, signer), claims),
        ("zlib + base45", encode_hc1, messages),
        ("QR symbol (ours)", qr_matrix, texts),
        ("PNG (ours)", png_bytes, matrices),
    ]
    print("per certificate, credentials part (CPU of this process):")
    for label, work, items in steps:
        print(f"  {label}: {1e6 / per_second(work, items, 2):,.0f} us")
    sample = texts[:15]
    ours = per_second(qr_matrix, sample, 4)
    theirs = per_second(
        lambda t: segno.make(t, mode="alphanumeric", error="q", boost_error=False, micro=False), sample
    )
    symbols = [segno.make(t, mode="alphanumeric", error="q", boost_error=False, micro=False) for t in sample]
    png_ours = per_second(png_bytes, [qr_matrix(t) for t in sample], 4)
    png_theirs = per_second(lambda s: s.save(io.BytesIO(), kind="png", scale=4, border=4), symbols)
    print(
        f"QR symbol: ours {ours:,.0f}/s vs segno {theirs:,.0f}/s per core (baseline; {ours / theirs:.0f}x); "
        f"PNG: ours {png_ours:,.0f}/s vs segno {png_theirs:,.0f}/s ({png_ours / png_theirs:.1f}x)"
    )
    rate = per_second(lambda r: png_bytes(qr_matrix(issue(r, signer, now=now).hc1)), records)
    return [
        f"credentials alone HC1 + PNG (read-back every time): {rate:,.0f}/s per core "
        f"(ratio to bare sign {rate / bare:.3f}) -> {hours(rate)}"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--people", type=int, default=300, help="people seeded (those with a dose are re-issued)"
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each HC1 + PNG run")
    parser.add_argument(
        "--workers",
        default="",
        help="also time the CLI's `reissue --all --workers N` for these counts, e.g. 1,2,4 (SQLite)",
    )
    parser.add_argument("--workers-people", type=int, default=1000, help="people seeded for --workers")
    parser.add_argument("--only-workers", action="store_true", help="only the --workers runs")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    if args.only_workers:
        print(f"start: {load()} on {os.cpu_count()} cores")
        with tempfile.TemporaryDirectory() as folder:
            workers_table(Path(folder), args.workers_people, counts)
            if not args.skip_postgres:
                postgres_workers(Path(folder), args.workers_people, counts)
        print(f"end: {load()}")
        return
    print(f"start: {load()} on {os.cpu_count()} cores")
    bare = bare_sign()
    print(f"bare ES256 sign: {bare:,.0f}/s per core (baseline)")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        ledger, store = seeded(f"sqlite:///{base / 'ledger.db'}", base / "sqlite", args.people)
        closing = baselines(ledger, store, bare)
        report("SQLite", ledger, store, bare, args, None)
        client, _, done = reissue_all(ledger, store, ("hc1", "png", "svg", "pdf"), False)
        rate = done / client
        print(
            f"[SQLite] reissue --all-formats, HC1 + PNG + SVG + PDF: {rate:,.0f}/s per core -> {hours(rate)}"
        )
        ledger.close()
        if not args.skip_postgres:
            configured = os.environ.get("IMMUNIZE_BENCH_POSTGRES_URL")
            cluster = None
            if configured:
                admin = configured
            else:
                from tests.postgres_cluster import ThrowawayCluster

                cluster = ThrowawayCluster()
                admin = cluster.start().url("postgres")
            try:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute("DROP DATABASE IF EXISTS bench_reissue")
                    conn.execute("CREATE DATABASE bench_reissue")
                url = admin.rsplit("/", 1)[0] + "/bench_reissue"
                ledger, store = seeded(url, base / "postgres", args.people)
                clock = ServerClock(cluster.data) if cluster is not None else None
                report("PostgreSQL", ledger, store, bare, args, clock)
                ledger.close()
            finally:
                if cluster is not None:
                    cluster.stop()
        if counts:
            closing += workers_table(base, args.workers_people, counts)
            if not args.skip_postgres and not os.environ.get("IMMUNIZE_BENCH_POSTGRES_URL"):
                closing += postgres_workers(base, args.workers_people, counts)
        for line in closing:
            print(line)
    print(f"end: {load()}")


if __name__ == "__main__":
    main()
