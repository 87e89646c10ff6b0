"""`/statistics` under wrk, admission control ON: issue 14 §3's "≥ 20× today's rate at the same p99".

The issue measured `/statistics` at about 90 requests/s with p99 329 ms at 8 connections (wrk, SQLite, the
demo of `immunize run`), computed on every request. This run makes the same demo store (`immunize run`,
on a free loopback port, stopped once it answers), then serves it with `immunize serve --workers 2
--followers` and loads `/statistics` with Debian's `wrk`:

1. the baseline, in this run: the public cache off (`IMMUNIZE_PUBLIC_CACHE=0`: the figures, charts and
   page computed on every request, what the issue's 90/s was) and admission off, 8 connections;
2. as served: the cache and admission ON (the defaults), at 8 and 32 connections (`--connections`): the
   served rate must not fall as closed-loop connections rise (it fell from ~1,600/s to 255/s before the
   public answers were served ahead of admission, web/public_front.py).

Each line: served/s (2xx/3xx answers per second), p50/p99 of every answer (wrk cannot split the shed
ones out; a shed answer is fast, so with answers shed the p99 of the served is if anything higher), the
shed count (wrk's "Non-2xx or 3xx"), and the ratios against the same run's baseline and the issue's 90/s.
wrk runs on the same 2 cores as the server (2 threads): its CPU is counted against us.

    .venv/bin/python benchmarks/bench_public_wrk.py [--seconds 20] [--connections 8,32] [--workers 2]
        [--also-without-admission] [--json]

Without wrk it prints how to install it (`sudo apt-get install wrk`; `bash scripts/system-deps.sh bench`)
and records that, not a failure. Loopback only; the store is a temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from figures import emit

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
ISSUE_RATE = 90.0  # /statistics per second measured in issue 14 (computed on every request)
ISSUE_P99_MS = 329.0  # its p99 at 8 connections
INSTALL = "wrk is not installed: `sudo apt-get install wrk` (or `bash scripts/system-deps.sh bench` as root)"


@dataclass
class Load:
    label: str
    connections: int
    seconds: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int
    p50_ms: float | None
    p99_ms: float | None
    load_before: str
    load_after: str

    @property
    def served_per_s(self) -> float:
        return (self.requests - self.non_2xx_3xx) / self.seconds if self.seconds else 0.0


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status_of(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def wait_for(port: int, process: subprocess.Popen[bytes], log: Path, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench_public_wrk: the server stopped: {log.read_text()[-600:]}")
        try:
            if status_of(port, "/health") == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"bench_public_wrk: no answer on /health within {limit_s:.0f} s (log: {log})")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def environment(workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMMUNIZE_")}
    env.update(
        IMMUNIZE_DATABASE_URL=f"sqlite:///{workdir / 'ledger.db'}",
        IMMUNIZE_KEY_DIR=str(workdir / "keys"),
        IMMUNIZE_MESSAGE_SENDER="memory",
        IMMUNIZE_SECURE_COOKIES="0",
        IMMUNIZE_POPULATION_SCALE="0.00002",
        **extra,
    )
    return env


def make_demo_store(workdir: Path) -> float:
    """`immunize run` once (its demo campaign on a fresh store), stopped once it answers; the seconds taken."""
    port, log = free_port(), workdir / "run.log"
    started = time.monotonic()
    process = subprocess.Popen(
        [str(BIN / "immunize"), "run", "--port", str(port)],
        env=environment(workdir),
        cwd=workdir,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(port, process, log, 600)
    finally:
        stop(process)
    return time.monotonic() - started


def serve(workdir: Path, workers: int, name: str, **extra: str) -> tuple[subprocess.Popen[bytes], int]:
    port, log = free_port(), workdir / f"serve-{name}.log"
    process = subprocess.Popen(
        [
            str(BIN / "immunize"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--followers",
            "--allow-development",
        ],
        env=environment(workdir, **extra),
        cwd=workdir,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(port, process, log, 180)
    except BaseException:
        stop(process)
        raise
    return process, port


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    requests = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    if requests is None:
        raise SystemExit(f"bench_public_wrk: cannot read wrk's output:\n{output}")
    seconds = float(requests.group(2)) * {"s": 1.0, "ms": 0.001, "m": 60.0}.get(requests.group(3), 1.0)
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))  # wrk pads "1.22s "
    return {
        "requests": int(requests.group(1)),
        "seconds": seconds,
        "non_2xx_3xx": int(non_ok.group(1)) if non_ok else 0,
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
        "p50_ms": milliseconds(percentiles["50"]) if "50" in percentiles else None,
        "p99_ms": milliseconds(percentiles["99"]) if "99" in percentiles else None,
    }


def wrk(binary: str, port: int, connections: int, seconds: float, label: str) -> Load:
    url = f"http://127.0.0.1:{port}/statistics"
    # A short warm-up: each worker makes and keeps its answer (the first requests go to the app).
    subprocess.run([binary, "-t1", "-c2", "-d2s", url], capture_output=True, check=False, timeout=60)
    before = loadavg()
    threads = min(2, connections)
    result = subprocess.run(
        # --timeout 10s: an answer slower than wrk's default 2 s is counted in the latency, not dropped.
        [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "--latency", url],
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 60,
    )
    if result.returncode != 0:
        raise SystemExit(f"bench_public_wrk: wrk failed: {result.stderr.strip()[-400:]}")
    return Load(label, connections, load_before=before, load_after=loadavg(), **parse_wrk(result.stdout))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="each wrk run (default 20)")
    parser.add_argument("--connections", default="8,32", help="admission-on runs (default 8,32)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--also-without-admission", action="store_true", help="the same with IMMUNIZE_ADMISSION=0"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 300:
        parser.error("--seconds must be from 1 to 300")
    try:
        args.connection_counts = [int(c) for c in args.connections.split(",")]
    except ValueError:
        parser.error("--connections takes numbers separated by commas, such as 8,32")
    if not all(1 <= c <= 512 for c in args.connection_counts):
        parser.error("--connections: each from 1 to 512")
    return args


def main() -> None:
    args = parse_args()
    binary = shutil.which("wrk")
    if binary is None:
        print(f"bench_public_wrk: {INSTALL}; nothing measured.")
        emit({"wrk_missing": INSTALL})
        return
    print(f"bench_public_wrk: load average {loadavg()} at the start")
    loads: list[Load] = []
    with tempfile.TemporaryDirectory(prefix="bench-public-wrk-") as tmp:
        workdir = Path(tmp)
        seeded_s = make_demo_store(workdir)
        print(f"  demo store made by `immunize run` in {seeded_s:.0f} s")
        plans: list[tuple[str, dict[str, str], list[int]]] = [
            (
                "baseline: cache off, admission off",
                {"IMMUNIZE_PUBLIC_CACHE": "0", "IMMUNIZE_ADMISSION": "0"},
                [8],
            ),
            ("served: cache on, admission ON", {}, args.connection_counts),
        ]
        if args.also_without_admission:
            plans.append(("cache on, admission off", {"IMMUNIZE_ADMISSION": "0"}, args.connection_counts))
        for label, extra, counts in plans:
            process, port = serve(workdir, args.workers, str(len(loads)), **extra)
            try:
                for connections in counts:
                    load = wrk(binary, port, connections, args.seconds, label)
                    loads.append(load)
                    print(
                        f"  {label:<36} {connections:>3} conn.  {load.served_per_s:>8,.0f} served/s  "
                        f"p50 {load.p50_ms or 0:>7.1f} ms  p99 {load.p99_ms or 0:>7.1f} ms  "
                        f"shed {load.non_2xx_3xx:>6,}  errors {load.socket_errors}  (load {load.load_before})",
                        flush=True,
                    )
            finally:
                stop(process)
    baseline = loads[0]
    on = {load.connections: load for load in loads if load.label.startswith("served")}
    figures: dict[str, Any] = {
        "issue_rate_per_s": ISSUE_RATE,
        "issue_p99_ms": ISSUE_P99_MS,
        "baseline_served_per_s": baseline.served_per_s,
        "baseline_p99_ms": baseline.p99_ms,
        "seconds": args.seconds,
        "workers": args.workers,
        "runs": [{**asdict(load), "served_per_s": load.served_per_s} for load in loads],
    }
    for connections, load in on.items():
        figures[f"on_c{connections}_served_per_s"] = load.served_per_s
        figures[f"on_c{connections}_p99_ms"] = load.p99_ms
        figures[f"on_c{connections}_shed"] = load.non_2xx_3xx
        figures[f"on_c{connections}_errors"] = load.socket_errors
        figures[f"on_c{connections}_load"] = load.load_before
    print()
    for connections, load in on.items():
        print(
            f"  admission ON, {connections} connections: {load.served_per_s:,.0f} served/s = "
            f"{load.served_per_s / baseline.served_per_s:.1f}× this run's uncached baseline "
            f"({baseline.served_per_s:,.0f}/s), {load.served_per_s / ISSUE_RATE:.1f}× the issue's {ISSUE_RATE:.0f}/s; "
            f"p99 {load.p99_ms or 0:.1f} ms (issue: {ISSUE_P99_MS:.0f} ms at 8)"
        )
    print(f"bench_public_wrk: load average {loadavg()} at the end")
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
    emit(figures)


if __name__ == "__main__":
    sys.exit(main())
