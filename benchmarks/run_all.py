"""Run every benchmark script in turn with its default sizes (`make bench`), then print one table.

Each script prints its own figures next to the baseline it measures in the same run; the machine
is shared and noisy, so read ratios, not absolute numbers. At the end, the table gathers, for each
aim of the project, the lines of its script that carry a ratio to a baseline (those with "×", "x ",
"vs", "ratio" or "%"), and the surge benchmark's JSON summary.

    .venv/bin/python benchmarks/run_all.py [--only bench_web.py ...] [--surge-phases 20,40,20]
        [--surge-scale 0.00002]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

# (aim, script, arguments); the order is the table's.
SCRIPTS: list[tuple[str, str, list[str]]] = [
    ("ingest vs raw insert", "bench_ledger.py", []),
    ("catch-up vs raw read", "bench_projections.py", []),
    ("audit verify / export vs raw read", "bench_audit.py", []),
    ("issue vs bare sign", "bench_credentials.py", []),
    ("certificate re-issue per core vs bare sign", "bench_reissue.py", []),
    ("verify vs bare ES256", "bench_verify.py", []),
    ("pages vs /health", "bench_web.py", []),
    ("failover: lost, duplicates, time to first write", "bench_failover.py", []),
    ("plan a province-day, the today page", "bench_planning.py", []),
    ("outbox delivery vs bare POSTs to the same gateway", "bench_outbox.py", []),
    ("doses from a store lot vs a lot received at the site", "bench_stock.py", []),
    ("the site staff's today page at 400 appointments", "bench_today.py", []),
    ("downloads, health books, doses and public pages under a 6x surge", "bench_surge.py", ["--json"]),
]
RATIO = re.compile(r"×|\bx\b|\d\.?\d*x\b|\bvs\b|ratio|%", re.IGNORECASE)
MAX_LINES = 12


def run(here: Path, script: str, arguments: list[str]) -> tuple[int, str]:
    """Run one script, echoing its output as it comes, and return its exit code and output."""
    process = subprocess.Popen(
        [sys.executable, str(here / script), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    return process.wait(), "".join(lines)


def summary_lines(script: str, output: str) -> list[str]:
    if script == "bench_surge.py":
        try:
            data = json.loads(output[output.index("{") :])
        except ValueError:
            return ["(no JSON summary)"]
        keys = ("steady_rps", "surge_rps_offered", "surge_rps_served", "p99_ms_served", "errors", "shed")
        first = ", ".join(f"{k} {data.get(k)}" for k in keys)
        second = ", ".join(
            f"{k} {data.get(k)}"
            for k in ("recovered_s", "acknowledged_doses", "lost_doses", "shed_without_retry_after")
        )
        worst = {
            phase["phase"]: phase["p99_ms"] for phase in data.get("phases", []) if isinstance(phase, dict)
        }
        third = (
            f"p99 ms per phase {worst} (goal 200), {data.get('store')}, scale {data.get('scale')}"
            f" ({data.get('people')} people), phases {data.get('phases_s')} s, load {data.get('load_average')}"
        )
        downloads = ", ".join(
            f"{row['phase']} {row['served_rps']}/s p99 {row['p99_ms']} ms"
            for row in data.get("routes", [])
            if isinstance(row, dict) and row.get("route") == "certificate file"
        )
        return [first, second, third, f"certificate downloads: {downloads or '(none)'}"]
    found = [
        line.strip() for line in output.splitlines() if RATIO.search(line) and not line.startswith("===")
    ]
    return found[:MAX_LINES] or ["(no ratio line printed)"]


def main() -> int:
    parser = argparse.ArgumentParser(description="Run every benchmark, then print one table.")
    parser.add_argument("--only", nargs="*", default=[], help="these scripts only")
    parser.add_argument(
        "--surge-phases", default="20,40,20", help="bench_surge's phases (the issue's: 60,120,60)"
    )
    parser.add_argument(
        "--surge-scale", default="0.00002", help="bench_surge's simulator scale (the issue's: 0.001)"
    )
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    failed = []
    table: list[tuple[str, str, list[str]]] = []
    for aim, script, arguments in SCRIPTS:
        if args.only and script not in args.only:
            continue
        if not (here / script).exists():
            table.append((aim, script, ["(no such benchmark yet)"]))
            continue
        if script == "bench_surge.py":
            arguments = [
                *arguments,
                "--phases",
                args.surge_phases,
                "--scale",
                args.surge_scale,
                "--days",
                "30",
            ]
        print(f"\n=== {script} ===", flush=True)
        code, output = run(here, script, arguments)
        if code != 0:
            failed.append(script)
        table.append((aim, script, summary_lines(script, output) if code == 0 else [f"FAILED (exit {code})"]))
    print("\n=== the whole table: each figure beside the baseline its script measured in the same run ===")
    for aim, script, lines in table:
        print(f"\n{aim}  [{script}]")
        for line in lines:
            print(f"    {line}")
    if failed:
        print(f"\nThese benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
