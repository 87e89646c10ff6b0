"""The surge: steady load, then 6x, then steady again, against `immunize serve` on loopback only.

    .venv/bin/python benchmarks/bench_surge.py [--people 2000] [--steady-rps 40] [--factor 6]
        [--phases 60,120,60] [--workers 2] [--threads 8] [--target http://127.0.0.1:PORT] [--json]

Without --target it builds a store (SQLite in a temporary directory, or IMMUNIZE_DATABASE_URL when
it is PostgreSQL), seeds the demo campaign, adds a staff account, starts `immunize serve --workers N
--followers` on a free loopback port, and stops it at the end. With --target (loopback only: any
other address is refused) only the public routes are loaded.

The load generator is a small asyncio HTTP/1.1 client here, not wrk: a surge is an *open* load
(requests arrive at the offered rate whether or not the server keeps up), while wrk is closed-loop
(each connection waits for its answer), which hides overload by slowing the offered rate down
("coordinated omission"); and the mix needs a signed-in staff session. It runs in this process on
the same 2-core machine as the server, so it takes CPU from it: the figures include that.

Bounded: at most --max-requests requests and the phases' time plus 30 s; each request times out
after --timeout s; at most --connections connections at once (an arrival with none free is counted
as an error, `client_backlog`). Counts per phase and route class: served (any answer but 429/503 and
5xx), shed (429/503), errors (other 5xx, connection failures, time-outs), p50/p99 of served.
`recovered_s`: seconds after the surge's end until the first whole second whose served p99 is within
1.5x the first steady phase's p99 (and ≤ 200 ms) with nothing shed.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def loopback_target(url: str) -> tuple[str, int]:
    """(host, port) of a loopback http:// URL; anything else is refused with one sentence."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise SystemExit(f"bench_surge: the target must be http://127.0.0.1:PORT (loopback), not {url!r}")
    host = parts.hostname
    try:
        addresses = {
            info[4][0] for info in socket.getaddrinfo(host, parts.port or 80, proto=socket.IPPROTO_TCP)
        }
    except OSError as exc:
        raise SystemExit(f"bench_surge: cannot resolve {host!r}: {exc}") from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise SystemExit(f"bench_surge: refusing {host!r}: this benchmark only loads loopback addresses")
    return host, parts.port or 80


@dataclass
class Tally:
    served: list[float] = field(default_factory=list)  # latencies, ms
    served_at: list[float] = field(default_factory=list)  # completion times, s from start
    shed: int = 0
    shed_at: list[float] = field(default_factory=list)
    errors: int = 0  # other 5xx, failed connections, time-outs, no connection free
    timeouts: int = 0  # of the errors: no answer within --timeout
    backlog: int = 0  # of the errors: no connection free in the client (--connections all busy)
    offered: int = 0


@dataclass
class Request:
    route_class: str
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class Pool:
    """Keep-alive connections to one loopback server, at most `size` at once."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port, self.size = host, port, size
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.open = 0

    async def take(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        if self.idle:
            return self.idle.pop()
        if self.open >= self.size:
            return None
        self.open += 1
        try:
            return await asyncio.open_connection(self.host, self.port)
        except OSError:
            self.open -= 1
            raise

    def give(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], reusable: bool) -> None:
        if reusable:
            self.idle.append(conn)
        else:
            self.open -= 1
            conn[1].close()


async def exchange(pool: Pool, request: Request, timeout: float) -> tuple[int, dict[str, str], bytes] | None:
    conn = await pool.take()
    if conn is None:
        return None
    reader, writer = conn
    ok = False
    try:
        head = [f"{request.method} {request.path} HTTP/1.1", f"Host: {pool.host}:{pool.port}"]
        head += [f"{k}: {v}" for k, v in request.headers.items()]
        if request.body or request.method == "POST":
            head.append(f"Content-Length: {len(request.body)}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + request.body)

        async def read() -> tuple[int, dict[str, str], bytes]:
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionError("closed")
            status = int(status_line.split()[1])
            headers: dict[str, str] = {}
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                key = name.strip().lower()
                headers[key] = (headers[key] + ", " if key in headers else "") + value.strip()
            length = int(headers.get("content-length", "0"))
            body = await reader.readexactly(length) if length else b""
            return status, headers, body

        status, headers, body = await asyncio.wait_for(read(), timeout)
        ok = headers.get("connection", "").lower() != "close"
        return status, headers, body
    finally:
        pool.give(conn, ok)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def run_load(
    host: str,
    port: int,
    mix: list[tuple[float, Request]],
    phases: list[tuple[str, float, float]],
    *,
    connections: int,
    timeout: float,
    max_requests: int,
    seed: int,
) -> tuple[dict[tuple[str, str], Tally], float]:
    pool = Pool(host, port, connections)
    rng = random.Random(seed)
    weights = [w for w, _ in mix]
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    tasks: set[asyncio.Task[None]] = set()
    start = time.monotonic()
    sent = 0

    async def one(phase: str, request: Request) -> None:
        tally = tallies[(phase, request.route_class)]
        began = time.monotonic()
        try:
            idle_before = len(pool.idle)
            try:
                answer = await exchange(pool, request, timeout)
            except (ConnectionError, asyncio.IncompleteReadError):
                if not idle_before:
                    raise
                # A kept-alive connection the server closed while idle (its keep-alive time ran out):
                # a browser retries such a request once on a new connection, and so do we.
                answer = await exchange(pool, request, timeout)
        except TimeoutError:
            tally.errors += 1
            tally.timeouts += 1
            return
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            tally.errors += 1
            return
        if answer is None:
            tally.errors += 1
            tally.backlog += 1
            return
        status = answer[0]
        done = time.monotonic()
        if status in (429, 503):
            tally.shed += 1
            tally.shed_at.append(done - start)
        elif status >= 500:
            tally.errors += 1
        else:
            tally.served.append((done - began) * 1000)
            tally.served_at.append(done - start)

    deadline = start + sum(d for _, d, _ in phases) + 30
    phase_start = start
    for name, duration, rps in phases:
        interval = 1.0 / rps
        next_at = phase_start
        while next_at < phase_start + duration and sent < max_requests:
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            request = rng.choices(mix, weights)[0][1]
            tallies[(name, request.route_class)].offered += 1
            task = asyncio.create_task(one(name, request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
            next_at += rng.expovariate(1.0 / interval)  # Poisson arrivals at the phase's rate
        phase_start += duration
    remaining = max(0.1, deadline - time.monotonic())
    if tasks:
        await asyncio.wait(tasks, timeout=min(remaining, timeout + 1))
    for task in tasks:
        task.cancel()
    for _reader, writer in pool.idle:
        writer.close()
    return tallies, start


def http(
    host: str, port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    async def go() -> tuple[int, dict[str, str], bytes]:
        pool = Pool(host, port, 1)
        answer = await exchange(pool, Request("-", method, path, body, headers or {}), 30)
        for _r, w in pool.idle:
            w.close()
        assert answer is not None
        return answer

    return asyncio.run(go())


def immunize(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "immunize"), *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"bench_surge: immunize {args[0]} failed: {result.stderr.strip()[-300:]}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    args: argparse.Namespace, workdir: Path
) -> tuple[subprocess.Popen[bytes], int, dict[str, Any]]:
    """Seed a store, add a staff account, start `immunize serve --workers N --followers` on loopback."""
    env = {
        **os.environ,
        "IMMUNIZE_KEY_DIR": str(workdir / "keys"),
        "IMMUNIZE_SECURE_COOKIES": "0",
        "IMMUNIZE_MESSAGE_SENDER": "memory",
        "IMMUNIZE_STAFF_PASSWORD": "bench-surge-" + os.urandom(8).hex(),
    }
    url = os.environ.get("IMMUNIZE_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        env["IMMUNIZE_DATABASE_URL"] = f"sqlite:///{workdir / 'ledger.db'}"
    immunize(env, "demo", "seed", "--people", str(args.people), "--seed", "1", "--json")
    sites = json.loads(immunize(env, "site", "list", "--json"))
    people = [p["person_id"] for p in json.loads(immunize(env, "person", "list", "--json", "--limit", "500"))]
    immunize(
        env, "staff", "add", "bench.staff", "--role", "staff", "--site", sites[0]["site_id"], "--replace"
    )
    port = free_port()
    log = (workdir / "serve.log").open("wb")
    server = subprocess.Popen(
        [
            str(BIN / "immunize"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--followers",
            "--allow-development",
        ],
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if http("127.0.0.1", port, "GET", "/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        server.kill()
        raise SystemExit("bench_surge: the server did not answer /health within 120 s")
    return server, port, {"people": people, "password": env["IMMUNIZE_STAFF_PASSWORD"], "env": env}


def staff_session(port: int, password: str) -> dict[str, str]:
    _status, headers, answer = http("127.0.0.1", port, "GET", "/api/v1/session")
    first = headers.get("set-cookie", "").split(";", 1)[0]
    token = json.loads(answer)["csrf_token"]
    body = json.dumps({"username": "bench.staff", "password": password}).encode()
    status, headers, answer = http(
        "127.0.0.1",
        port,
        "POST",
        "/api/v1/auth/staff",
        body,
        {"Content-Type": "application/json", "Cookie": first, "X-CSRFToken": token},
    )
    if status != 200:
        raise SystemExit(f"bench_surge: staff sign-in answered {status}: {answer[:200]!r}")
    cookie = headers.get("set-cookie", "").split(";", 1)[0]
    return {"Cookie": cookie}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--steady-rps", type=float, default=40.0)
    parser.add_argument("--factor", type=float, default=6.0)
    parser.add_argument("--phases", default="60,120,60", help="seconds: steady,surge,steady")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads", type=int, default=24, help="per worker; above the classes' slots together"
    )
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--target", default="", help="an already running server (loopback only)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        steady_s, surge_s, after_s = (float(x) for x in args.phases.split(","))
    except ValueError:
        raise SystemExit(
            f"bench_surge: --phases takes three numbers of seconds like 60,120,60, not {args.phases!r}"
        ) from None
    if min(steady_s, surge_s, after_s) <= 0 or steady_s + surge_s + after_s > 1800:
        raise SystemExit(
            "bench_surge: each phase must last more than 0 s, all three together at most 1,800 s"
        )
    if not 0 < args.steady_rps * args.factor <= 5000:
        raise SystemExit(
            "bench_surge: the surge rate (steady-rps x factor) must be from 0 to 5,000 requests/s"
        )

    server = None
    workdir = Path(tempfile.mkdtemp(prefix="bench-surge-"))
    mix: list[tuple[float, Request]]
    public = [
        (0.35, Request("public", "GET", "/statistics")),
        (0.20, Request("public", "GET", "/api/v1/statistics")),
        (0.05, Request("public", "GET", "/revocation-list")),
    ]
    try:
        if args.target:
            host, port = loopback_target(args.target)
            mix = public
        else:
            server, port, world = start_server(args, workdir)
            host = "127.0.0.1"
            cookie = staff_session(port, world["password"])
            rng = random.Random(7)
            staff_reads = [
                (0.30 / 20, Request("staff", "GET", f"/api/v1/desk/people/{pid}", headers=cookie))
                for pid in rng.sample(world["people"], min(20, len(world["people"])))
            ]
            mix = [
                *public,
                *staff_reads,
                (0.10, Request("staff", "GET", "/api/v1/desk/lots", headers=cookie)),
            ]
        phases = [
            ("steady", steady_s, args.steady_rps),
            ("surge", surge_s, args.steady_rps * args.factor),
            ("after", after_s, args.steady_rps),
        ]
        tallies, _start = asyncio.run(
            run_load(
                host,
                port,
                mix,
                phases,
                connections=args.connections,
                timeout=args.timeout,
                max_requests=args.max_requests,
                seed=1,
            )
        )
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()

    durations = {"steady": steady_s, "surge": surge_s, "after": after_s}
    rows = []
    for (phase, kind), t in sorted(tallies.items()):
        rows.append(
            {
                "phase": phase,
                "class": kind,
                "offered_rps": round(t.offered / durations[phase], 1),
                "served_rps": round(len(t.served) / durations[phase], 1),
                "p50_ms": percentile(t.served, 0.5),
                "p99_ms": percentile(t.served, 0.99),
                "shed": t.shed,
                "errors": t.errors,
                "timeouts": t.timeouts,
                "backlog": t.backlog,
            }
        )

    def phase_sum(phase: str, attr: str) -> int:
        return sum(
            len(getattr(t, attr)) if attr == "served" else getattr(t, attr)
            for (p, _), t in tallies.items()
            if p == phase
        )

    served_all = [ms for t in tallies.values() for ms in t.served]
    steady_p99 = (
        percentile([ms for (p, _), t in tallies.items() if p == "steady" for ms in t.served], 0.99) or 0
    )
    surge_end = steady_s + surge_s
    recovered = None
    after = [
        (at, ms)
        for (p, _), t in tallies.items()
        if p == "after"
        for at, ms in zip(t.served_at, t.served, strict=True)
    ]
    sheds = [at for (p, _), t in tallies.items() if p in ("surge", "after") for at in t.shed_at]
    for second in range(int(after_s)):
        lo = surge_end + second
        window = [ms for at, ms in after if lo <= at < lo + 1]
        if window and not [s for s in sheds if lo <= s < lo + 1]:
            p99 = percentile(window, 0.99) or 0
            if p99 <= max(1.5 * steady_p99, 1.0) and p99 <= 200:
                recovered = float(second)
                break
    summary = {
        "steady_rps": round(phase_sum("steady", "served") / steady_s, 1),
        "surge_rps_offered": round(
            sum(t.offered for (p, _), t in tallies.items() if p == "surge") / surge_s, 1
        ),
        "surge_rps_served": round(phase_sum("surge", "served") / surge_s, 1),
        "p99_ms_served": percentile(served_all, 0.99),
        "errors": sum(t.errors for t in tallies.values()),
        "shed": sum(t.shed for t in tallies.values()),
        "recovered_s": recovered,
        "phases_s": [steady_s, surge_s, after_s],
        "workers": args.workers,
        "store": "target"
        if args.target
        else (
            "postgresql" if os.environ.get("IMMUNIZE_DATABASE_URL", "").startswith("postgresql") else "sqlite"
        ),
        "load_average": os.getloadavg()[0],
        "rows": rows,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(
        f"surge: steady {args.steady_rps}/s, x{args.factor}, phases {args.phases} s, {args.workers} workers, load {summary['load_average']:.1f}"
    )
    print(
        f"{'phase':<7} {'class':<7} {'offered/s':>9} {'served/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'shed':>6} {'errors':>6} {'timeouts':>8} {'backlog':>7}"
    )
    for row in rows:
        print(
            f"{row['phase']:<7} {row['class']:<7} {row['offered_rps']:>9} {row['served_rps']:>9} {row['p50_ms']!s:>7} {row['p99_ms']!s:>7} {row['shed']:>6} {row['errors']:>6} {row['timeouts']:>8} {row['backlog']:>7}"
        )
    print({k: v for k, v in summary.items() if k != "rows"})


if __name__ == "__main__":
    main()
