"""The failover drill, N rounds in a row on one three-node Patroni cluster (scripts/ha-cluster.sh).

Each round: four writers register people and record their doses through the ledger's commands, each
command with its own idempotency key; the primary's PostgreSQL and its Patroni are killed with
SIGKILL; Patroni promotes the synchronous standby; the writers carry on against the new primary; the
old primary is started again and rejoins as a replica (pg_rewind). Printed per round and for the
worst round:

  acknowledged   commands that returned success to a writer
  lost           acknowledged commands missing from the log afterwards (must be 0)
  duplicates     commands applied more than once (must be 0)
  failover_s     kill -> first successful write (goal: <= 30 s)
  promotion_s    kill -> Patroni reports the new leader (the baseline, measured in the same round:
                 failover_s - promotion_s is what the application adds to Patroni's own promotion)
  rejoin_s       old primary started again -> replica on the new timeline
  audit, views   `immunize audit verify` passed; every view's digest equals a rebuild's

Usage: .venv/bin/python benchmarks/bench_failover.py [--rounds 3] [--writers 4] [--json]
Needs patroni and etcd (bash scripts/system-deps.sh test).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.ha.cluster import HaCluster, missing_tools
from tests.ha.drill import Drill, Figures

GOAL_S = 30.0


def worst(rounds: list[Figures]) -> Figures:
    """The round with the most lost or duplicated commands, then the slowest failover."""
    return max(rounds, key=lambda f: (f.lost + f.duplicates, len(f.writer_errors), f.failover_s))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="drills in a row (default 3)")
    parser.add_argument("--writers", type=int, default=4, help="concurrent writers (default 4)")
    parser.add_argument("--json", action="store_true", help="print the worst round as JSON only")
    args = parser.parse_args()
    missing = missing_tools()
    if missing:
        print(f"bench_failover needs {' and '.join(missing)}: run 'bash scripts/system-deps.sh test' as root")
        return 1
    say = (lambda line: print(line, file=sys.stderr)) if args.json else print
    rounds: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="bench-failover-") as tmp:
        cluster = HaCluster(Path(tmp))
        try:
            cluster.up()
            drill = Drill(cluster, Path(tmp), writers=args.writers, log=say)
            try:
                for number in range(1, args.rounds + 1):
                    rounds.append(drill.round(number))
            finally:
                drill.close()
        finally:
            cluster.down()
    bad = worst(rounds)
    for number, f in enumerate(rounds, 1):
        for error in f.writer_errors[:5]:
            say(f"round {number}: a writer failed: {error}")
    summary = {
        "acknowledged": bad.acknowledged,
        "lost": bad.lost,
        "duplicates": bad.duplicates,
        "failover_s": bad.failover_s,
        "promotion_s": round(bad.promotion_s, 2),
        "rejoin_s": round(bad.rejoin_s, 2),
        "rewound": bad.rewound,
        "audit_verified": bad.audit_verified,
        "checkpoint_consistent": bad.checkpoint_consistent,
        "digests_equal": bad.digests_equal,
        "writer_errors": len(bad.writer_errors),
        "writer_error_samples": [e[:300] for e in bad.writer_errors[:3]],
        "rounds": len(rounds),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{'round':>5} {'acked':>7} {'lost':>5} {'dups':>5} {'failover_s':>10} {'promotion_s':>11} "
            f"{'app extra':>9} {'rejoin_s':>8} {'rewind':>6} {'audit':>5} {'views':>5}"
        )
        for number, f in enumerate(rounds, 1):
            print(
                f"{number:>5} {f.acknowledged:>7} {f.lost:>5} {f.duplicates:>5} {f.failover_s:>10.2f} "
                f"{f.promotion_s:>11.2f} {f.failover_s - f.promotion_s:>9.2f} {f.rejoin_s:>8.2f} "
                f"{'yes' if f.rewound else 'no':>6} {'ok' if f.audit_verified else 'FAIL':>5} "
                f"{'ok' if f.digests_equal else 'FAIL':>5}"
            )
        print(
            f"worst round: {bad.lost} lost, {bad.duplicates} duplicates, first write {bad.failover_s:.2f} s "
            f"after the kill ({bad.failover_s / GOAL_S:.0%} of the 30 s goal; Patroni's promotion "
            f"{bad.promotion_s:.2f} s = {bad.promotion_s / bad.failover_s:.0%} of it)"
        )
    ok = all(f.lost == 0 and f.duplicates == 0 and not f.writer_errors for f in rounds)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
