"""Audit speed on SQLite and PostgreSQL, next to the raw read rate of the same log in the same run.

The log: a seeded demo campaign of the real ledger (--people), then its stored events copied
under fresh aggregate ids until it holds --events events (same topics, same state sizes: what the
chain hashes). On each store it measures, over the whole log:

  raw read        SELECT of every stored event in pages of 5,000 (the baseline)
  (read-only operations: best of 3 runs, because the machine is shared; the others run once)
  es read         eventsourcing's recorder.select_notifications in pages of 1,000
  (the leaves are written with the events while the log is built, as the ledger's recorder does)
  checkpoints     sign a checkpoint at every 10,000 leaves (roots read from the stored tiles)
  verify          `audit verify`: every leaf, the tree, every checkpoint and their consistency
  proof           one inclusion proof of a random position (median and p99 of 300; one statement),
                  beside the same proofs read block by block (the path before), and one
                  consistency proof between random sizes, read from the stored tiles
  export          `audit export` to a file
  backup          `immunize backup` (gzip JSON Lines)
  restore         `immunize restore` of that backup into an empty store of the same kind

Usage: .venv/bin/python benchmarks/bench_audit.py [--people 2000] [--events 200000]
PostgreSQL: IMMUNIZE_BENCH_POSTGRES_URL=postgresql://u:p@host:port/db, else a throwaway cluster.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.application import Ledger
from ledger.settings import parse_database_url
from projections.audit import (
    AuditKey,
    Database,
    consistency_proof,
    inclusion_proof,
    make_checkpoints,
    trusted_keys,
    verify,
    write_export,
)
from projections.audit.database import StoredRow, create_events_table
from projections.backup import restore_backup, write_backup
from services.demo_population import seed_demo

NOW = datetime(2026, 11, 22, tzinfo=UTC)


REPEAT = 3


def timed(what: Callable[[], object], repeat: int = 1) -> float:
    """The best of `repeat` runs: the machine is shared, the minimum is the least disturbed."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        what()
        best = min(best, time.perf_counter() - began)
    return best


def build_log(url: str, people: int, events: int, key_dir: Path) -> int:
    """Seed the real ledger, then copy its events under fresh ids up to `events`; return the count."""
    ledger = Ledger(url, key_dir=key_dir, clock=lambda: datetime(2022, 3, 1, tzinfo=UTC))
    seed_demo(ledger, people=people, seed=7)
    ledger.close()
    with Database(parse_database_url(url)) as db:
        seeded = list(db.iter_events())
        position = seeded[-1].position
        total = len(seeded)
        while total < events:
            fresh: dict[str, str] = {}
            batch = []
            for row in seeded[: events - total]:
                new_id = fresh.setdefault(row.originator_id, str(uuid.uuid4()))
                position += 1
                batch.append(StoredRow(position, new_id, row.originator_version, row.topic, row.state))
            with db.transaction():
                for start in range(0, len(batch), 5000):
                    db.insert_events(batch[start : start + 5000])
            total += len(batch)
        db.reset_position_sequence()
    return total


def raw_read(url: str) -> int:
    with Database(parse_database_url(url)) as db:
        return sum(1 for _ in db.iter_events())


def es_read(url: str) -> int:
    from eventsourcing.persistence import InfrastructureFactory
    from eventsourcing.utils import Environment

    factory = InfrastructureFactory.construct(
        Environment("Ledger", parse_database_url(url).eventsourcing_env())
    )
    recorder = factory.application_recorder()
    count, start = 0, 0
    while True:
        page = recorder.select_notifications(start, 1000, inclusive_of_start=False)
        if not page:
            break
        count += len(page)
        start = page[-1].id
    factory.close()
    return count


def proofs(db: Database, total: int, count: int = 300) -> tuple[float, float, float, float]:
    """Median and p99 of inclusion proofs for random positions, the median consistency proof, and the
    median of the same inclusion proofs read block by block (the path before the one statement,
    interleaved so both see the same load), in ms."""
    import random

    from projections.audit.tree import _inclusion_by_blocks

    rng = random.Random(7)
    positions = [row[0] for row in db.execute(f"SELECT {db.position_column} FROM {db.events_table}")]
    inclusion: list[float] = []
    by_blocks: list[float] = []
    for position in rng.sample(positions, min(count, len(positions))):
        began = time.perf_counter()
        proof = inclusion_proof(db, position)
        inclusion.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        before = _inclusion_by_blocks(db, position, None)
        by_blocks.append((time.perf_counter() - began) * 1000)
        if proof != before:
            raise SystemExit(f"the two proof paths disagree at position {position}")
    consistency: list[float] = []
    for _ in range(count // 3):
        old = rng.randrange(1, total)
        began = time.perf_counter()
        consistency_proof(db, old, total)
        consistency.append((time.perf_counter() - began) * 1000)
    inclusion.sort()
    consistency.sort()
    by_blocks.sort()
    return (
        inclusion[len(inclusion) // 2],
        inclusion[int(len(inclusion) * 0.99)],
        consistency[len(consistency) // 2],
        by_blocks[len(by_blocks) // 2],
    )


def bench(
    kind: str, url: str, restore_url: str, people: int, events: int, workdir: Path, core: bool = False
) -> None:
    key = AuditKey.generate()
    began = time.perf_counter()
    total = build_log(url, people, events, workdir / f"{kind}-keys")
    print(f"\n{kind}: {total:,} events (built in {time.perf_counter() - began:.1f} s)")
    settings = parse_database_url(url)
    rates: dict[str, float] = {}

    repeat = 2 if core else REPEAT
    # Interleaved, so that both see the same load: raw read, verify, raw read, verify...
    raw_best = verify_best = float("inf")
    with Database(settings) as db:
        rates["checkpoints"] = total / timed(lambda: make_checkpoints(db, key, NOW))
        trusted = trusted_keys(db, [key.public])
        for _ in range(repeat):
            raw_best = min(raw_best, timed(lambda: raw_read(url)))
            verify_best = min(verify_best, timed(lambda: verify(db, trusted)))
        rates["raw read"] = total / raw_best
        rates["verify"] = total / verify_best
        proof_times = proofs(db, total)
    if core:
        _report(kind, rates, total, proof_times)
        return
    rates["es read"] = total / timed(lambda: es_read(url), REPEAT)
    with Database(settings) as db:
        export = workdir / f"{kind}-export.jsonl"

        def export_once() -> None:
            with export.open("wb") as out:
                write_export(db, out, trusted, NOW)

        rates["export"] = total / timed(export_once, REPEAT)
        backup = workdir / f"{kind}-backup.gz"

        def backup_once() -> None:
            with backup.open("wb") as out:
                write_backup(db, out, trusted, NOW)

        rates["backup"] = total / timed(backup_once, REPEAT)
    rates["restore"] = total / timed(
        lambda: restore_backup(backup, parse_database_url(restore_url), [key.public])
    )
    _report(kind, rates, total, proof_times)
    print(
        f"  export {export.stat().st_size / total:.0f} bytes/event, backup {backup.stat().st_size / total:.0f} bytes/event"
    )


FIGURES: dict[str, float] = {}  # what run_all.py reads: keys "<store>_<what>"


def _report(
    kind: str, rates: dict[str, float], total: int, proof_times: tuple[float, float, float, float]
) -> None:
    baseline = rates["raw read"]
    key = "sqlite" if kind == "SQLite" else "postgres"
    FIGURES[f"{key}_events"] = float(total)
    FIGURES.update({f"{key}_{name.replace(' ', '_')}_per_s": rate for name, rate in rates.items()})
    FIGURES[f"{key}_inclusion_median_ms"], FIGURES[f"{key}_inclusion_p99_ms"] = proof_times[:2]
    FIGURES[f"{key}_consistency_median_ms"] = proof_times[2]
    FIGURES[f"{key}_inclusion_by_blocks_median_ms"] = proof_times[3]
    print(f"  {kind}: load average {os.getloadavg()[0]:.1f}")
    print(f"  {'operation':<12} {'events/s':>12} {'vs raw read':>12}")
    for name, rate in rates.items():
        print(f"  {name:<12} {rate:>12,.0f} {rate / baseline:>11.1%}")
    print(
        "  inclusion proof at {:,} events: median {:.2f} ms, p99 {:.2f} ms; consistency proof median {:.2f} ms".format(
            total, *proof_times[:3]
        )
    )
    print(
        f"  inclusion proof read block by block (before: a statement per tile block), same positions: "
        f"median {proof_times[3]:.2f} ms ({proof_times[3] / proof_times[0]:.1f}× the one statement)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--core",
        action="store_true",
        help="only checkpoints, verify vs raw read, and proofs (no export/backup)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        workdir = Path(tmp)
        if not args.skip_sqlite:
            bench(
                "SQLite",
                f"sqlite:///{workdir / 'ledger.db'}",
                f"sqlite:///{workdir / 'restored.db'}",
                args.people,
                args.events,
                workdir,
                args.core,
            )
        if not args.skip_postgres:
            from tests.postgres_cluster import throwaway_database, throwaway_server

            with (
                throwaway_server(os.environ.get("IMMUNIZE_BENCH_POSTGRES_URL")) as server,
                throwaway_database("bench_audit", server) as url,
                throwaway_database("bench_audit_restored", server) as restore_url,
            ):
                create_events_table(parse_database_url(restore_url))
                bench("PostgreSQL", url, restore_url, args.people, args.events, workdir, args.core)
    from figures import emit  # benchmarks/figures.py: the line run_all.py reads

    emit(FIGURES)


if __name__ == "__main__":
    main()
