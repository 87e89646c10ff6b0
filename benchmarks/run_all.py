"""`make bench`: run every benchmark with fixed, bounded sizes, then print one table of the project's goals.

Each script measures its figures beside a baseline in the same run (raw insert, bare signature, raw read,
plain SQL, bare POSTs...) and prints them; at the end it prints one machine-readable line
(`benchmarks/figures.py`). This script runs them one after another, each under a time limit, keeps their
figures, writes them with the date, the commit, the machine and the load average to
`var/bench/results-<UTC time>.json` (and `var/bench/latest.json`), and prints the goals table
(`benchmarks/goals.py`): goal / measured / baseline / met or not. `render_table.py` turns a results file
into the markdown table of docs/performance.md and the README.

    .venv/bin/python benchmarks/run_all.py [--only ledger surge ...] [--skip failover ...]
        [--surge-template postgresql://.../surge_template --surge-key-dir DIR --surge-simulated-json FILE]
        [--out var/bench]

Run time: about 45 minutes on this 2-core machine at load 10 (each run's limit is in RUNS; with
a minute's grace each, the limits bound the whole at 3 h 15 min). A run that fails or passes its limit is reported as
such and the others carry on; the exit status is 1 if any failed. PostgreSQL: every script starts its own
throwaway cluster (tests/postgres_cluster.py) unless IMMUNIZE_BENCH_POSTGRES_URL names a server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from figures import collect
from goals import deployment, markdown, plain, reissue_figures


@dataclass(frozen=True)
class Run:
    name: str
    script: str
    arguments: list[str] = field(default_factory=list)
    limit_s: int = 600  # SIGINT at the limit (the script's clean-up runs), SIGKILL 60 s later


# The order is the table's; the sizes are the ones the goals are stated at, where that fits in the bound.
RUNS: list[Run] = [
    Run("ledger", "bench_ledger.py", ["--people", "10000", "--single", "1000"], 900),
    Run("projections", "bench_projections.py", ["--people", "10000", "--live-seconds", "10"], 900),
    # PostgreSQL at the goal's 1,000,000 events (the log builds in ~30 s quiet, ~3-5 min at load 12).
    Run("audit", "bench_audit.py", ["--core", "--events", "1000000", "--skip-sqlite"], 900),
    Run("audit_1m", "bench_audit.py", ["--core", "--events", "1000000", "--skip-postgres"], 900),
    Run("credentials", "bench_credentials.py", [], 300),
    Run("reissue", "bench_reissue.py", [], 600),
    Run("verify", "bench_verify.py", ["--rounds", "25"], 300),
    Run("web", "bench_web.py", [], 300),
    Run("public_wrk", "bench_public_wrk.py", ["--seconds", "20", "--connections", "8,32"], 600),
    Run("failover", "bench_failover.py", ["--rounds", "1", "--json"], 600),
    Run(
        "planning", "bench_planning.py", ["--scale", "1.0", "--plan-workers", "2", "--stores", "sqlite"], 1800
    ),
    Run("outbox", "bench_outbox.py", ["--messages", "20000", "--senders", "1"], 900),
    Run("stock", "bench_stock.py", [], 300),
    Run("today", "bench_today.py", [], 300),
    Run("dose_write", "bench_dose_write.py", ["--json"], 900),
    Run(
        "surge",
        "bench_surge.py",
        ["--json", "--phases", "20,40,20", "--scale", "0.00002", "--days", "30"],
        1200,
    ),
]
RATIO = re.compile(r"×|\bx\b|\d\.?\d*x\b|\bvs\b|ratio|%", re.IGNORECASE)


def run(here: Path, script: str, arguments: list[str], limit_s: int) -> tuple[int | str, str, float]:
    """Run one script in its own process group, echoing its output as it comes; return its exit code (or
    "timeout"), its output and its wall time. At the limit it gets SIGINT (its `finally` blocks stop the
    clusters and servers it started), then SIGKILL to the group a minute later."""
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, str(here / script), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    timed_out = False

    def reader() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line)

    import threading

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        process.wait(timeout=limit_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        print(f"\n{script}: over its {limit_s} s limit, interrupted", flush=True)
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    thread.join(timeout=10)
    code: int | str = "timeout" if timed_out else process.returncode
    return code, "".join(lines), time.monotonic() - began


def figures_of(name: str, output: str) -> dict[str, Any]:
    figures = collect(output)
    if name == "reissue":
        figures = {**reissue_figures(output), **figures}
    if name == "surge" and "steady_rps" not in figures:
        figures = {**last_json(output), **figures}
    if name == "failover" and "lost" not in figures:
        figures = {**last_json(output), **figures}
    if name == "dose_write" and "rows" not in figures:
        rows = last_json(output, "[")
        if isinstance(rows, list) and rows:
            figures = {**figures, "rows": rows}
    if name == "dose_write" and not figures.get("rows") and not figures.get("ratio_lines"):
        lines = [
            line.strip()
            for line in output.splitlines()
            if RATIO.search(line) and not line.startswith("BENCH")
        ]
        figures = {**figures, "ratio_lines": lines[:6]} if lines else figures
    return figures


def last_json(output: str, opening: str = "{") -> Any:
    """The last JSON object (or list, with `opening` "[") printed at the start of a line (one line or
    indented over several); {} when there is none."""
    decoder = json.JSONDecoder()
    starts = [m.start() for m in re.finditer("^" + re.escape(opening), output, re.MULTILINE)]
    for start in reversed(starts):
        try:
            found, _ = decoder.raw_decode(output[start:])
        except ValueError:
            continue
        if isinstance(found, (dict if opening == "{" else list)):
            return found
    return {}


def load() -> float:
    return round(os.getloadavg()[0], 2)


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration, ValueError):
        memory_kib = 0
    postgres = "PostgreSQL ?"
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), reverse=True)
    binary = str(candidates[0]) if candidates else shutil.which("postgres")
    if binary:
        try:
            postgres = subprocess.run(
                [binary, "--version"], capture_output=True, text=True, timeout=10
            ).stdout
            postgres = postgres.strip().replace("postgres (PostgreSQL) ", "PostgreSQL ")
        except (OSError, subprocess.SubprocessError):
            pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_kib / 1024 / 1024) if memory_kib else "?",
        "python": platform.python_version(),
        "postgresql": postgres,
        "kernel": platform.release(),
    }


def commit(root: Path) -> str:
    try:
        found = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "?"
    return found.stdout.strip() or "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [r.name for r in RUNS]
    parser.add_argument("--only", nargs="*", default=[], choices=names, metavar="RUN", help="these runs only")
    parser.add_argument("--skip", nargs="*", default=[], choices=names, metavar="RUN", help="all but these")
    parser.add_argument("--out", default="var/bench", help="where the results JSON goes (default var/bench)")
    parser.add_argument(
        "--update",
        help="an earlier results file: the runs chosen now replace theirs in it, the others are kept (the "
        "table's header then names every commit and date of the figures it shows)",
    )
    parser.add_argument(
        "--surge-template",
        help="bench_surge --from-template: a database `immunize simulate` filled (the issue's 97,000 people)",
    )
    parser.add_argument("--surge-key-dir", help="bench_surge --key-dir (with --surge-template)")
    parser.add_argument("--surge-simulated-json", help="bench_surge --simulated-json (with --surge-template)")
    parser.add_argument(
        "--surge-phases", help="bench_surge --phases (default 20,40,20; the issue's 60,120,60)"
    )
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    root = here.parent
    out = Path(args.out) if Path(args.out).is_absolute() else root / args.out
    out.mkdir(parents=True, exist_ok=True)
    chosen = [r for r in RUNS if (not args.only or r.name in args.only) and r.name not in args.skip]
    bound = sum(r.limit_s + 60 for r in chosen)
    print(f"make bench: {len(chosen)} runs, at most {bound / 60:.0f} minutes (each under its own limit)")
    began = time.monotonic()
    stamp = datetime.now(UTC)
    results: dict[str, Any] = {
        "date": stamp.strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(root),
        "machine": machine(),
        "runs": {},
        "figures": {},
    }
    if args.update:
        earlier = json.loads(Path(args.update).read_text())
        for run_info in earlier.get("runs", {}).values():
            run_info.setdefault("date", earlier.get("date"))
            run_info.setdefault("commit", earlier.get("commit"))
        results["runs"] = {
            k: v for k, v in earlier.get("runs", {}).items() if k not in {r.name for r in chosen}
        }
        results["figures"] = {k: v for k, v in earlier.get("figures", {}).items() if k in results["runs"]}
        results["seconds_earlier"] = earlier.get("seconds", 0) + earlier.get("seconds_earlier", 0)
    failed = []
    for spec in chosen:
        arguments = list(spec.arguments)
        if spec.name == "surge":
            if args.surge_phases:
                arguments[arguments.index("--phases") + 1] = args.surge_phases
            if args.surge_template:
                # The template's own people and days: drop the small world's --scale and --days.
                arguments = [
                    a for i, a in enumerate(arguments) if i not in _option_span(arguments, "--scale")
                ]
                arguments = [a for i, a in enumerate(arguments) if i not in _option_span(arguments, "--days")]
                arguments += ["--from-template", args.surge_template]
                if args.surge_key_dir:
                    arguments += ["--key-dir", args.surge_key_dir]
                if args.surge_simulated_json:
                    arguments += ["--simulated-json", args.surge_simulated_json]
        if not (here / spec.script).exists():
            results["runs"][spec.name] = {"script": spec.script, "status": "no such benchmark"}
            continue
        print(
            f"\n=== {spec.name}: {spec.script} {' '.join(arguments)} (limit {spec.limit_s} s) ===", flush=True
        )
        load_start = load()
        code, output, seconds = run(here, spec.script, arguments, spec.limit_s)
        figures = figures_of(spec.name, output)
        status = "ok" if code == 0 else ("timeout" if code == "timeout" else f"exit {code}")
        if status != "ok":
            failed.append(f"{spec.name} ({status})")
        results["runs"][spec.name] = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": results["commit"],
            "script": spec.script,
            "arguments": arguments,
            "status": status,
            "seconds": round(seconds, 1),
            "load_start": load_start,
            "load_end": load(),
        }
        if figures:
            results["figures"][spec.name] = figures
        results["seconds"] = round(time.monotonic() - began, 1)
        (out / "latest.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    results["seconds"] = round(time.monotonic() - began, 1)
    path = out / f"results-{stamp.strftime('%Y%m%dT%H%MZ')}.json"
    text = json.dumps(results, indent=1, sort_keys=True) + "\n"
    path.write_text(text)
    (out / "latest.json").write_text(text)
    print("\n=== the whole table: each figure beside the baseline its script measured in the same run ===\n")
    print(plain(results))
    for name, r in results["runs"].items():
        print(
            f"  {name:<12} {r['status']:<18} {r.get('seconds', 0):>7.0f} s   load {r.get('load_start')} → {r.get('load_end')}"
        )
    print(
        f"\n{results['seconds'] / 60:.0f} minutes in all; figures in {path.relative_to(root) if path.is_relative_to(root) else path}"
    )
    print(f"markdown: .venv/bin/python benchmarks/render_table.py {path} [--write]")
    print("\n" + markdown(results))
    print(deployment(results))
    if failed:
        print(f"These runs failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _option_span(arguments: list[str], option: str) -> set[int]:
    if option not in arguments:
        return set()
    at = arguments.index(option)
    return {at, at + 1}


if __name__ == "__main__":
    sys.exit(main())
