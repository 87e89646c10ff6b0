"""The surge: steady load, then 6x, then steady again, against `immunize serve` on loopback only.

    .venv/bin/python benchmarks/bench_surge.py [--quick] [--store postgresql|sqlite] [--scale 0.0001]
        [--steady-rps 20] [--factor 6] [--phases 60,120,60] [--workers 2] [--json]
    .venv/bin/python benchmarks/bench_surge.py --target http://127.0.0.1:PORT   # public routes only

Without --target it builds the world: a store (a throwaway PostgreSQL cluster started the way the
tests start theirs, or IMMUNIZE_DATABASE_URL when that is PostgreSQL; SQLite with --store sqlite),
`immunize simulate --scale S` for the population and the campaign, signing keys, a bench site with
a fresh lot, citizens with a first dose, people waiting for one, and a staff account. It starts
`immunize serve --workers N --followers` on a free loopback port, signs the citizens in with the
one-time codes the file sender writes, has them ask for their certificate, warms every route up, and
runs the phases. The mix is the real one: public statistics (page and JSON) and the revocation list;
citizens reading their health book and downloading their certificate (PNG, PDF); staff reading a
health book, listing lots and recording first doses (each with its idempotency key). At the end it
reads the ledger back: every dose acknowledged to staff (2xx) must be there (`lost_doses`).

The load generator is a small asyncio HTTP/1.1 client, not wrk: a surge is an *open* load (requests
arrive at the offered rate, Poisson, whether or not the server keeps up), while wrk is closed-loop
(each connection waits for its answer), which hides overload by slowing the offered rate down
("coordinated omission"); and the mix needs signed-in sessions and CSRF tokens. It runs in this
process on the same 2-core machine as the server: `client_cpu_s` says what it took.

Bounded: at most --max-requests requests and the phases' time plus 30 s; each request times out
after --timeout s; at most --connections connections at once. Like a browser, the client never
reuses a kept-alive connection the server may already have closed (idle longer than the server's
keep-alive, or at end of file), and sends a request again on a new connection when a reused one was
closed before any answer (a dose carries its idempotency key, so this never records it twice).

Counts per phase, route class and route: served (any answer but 429/503 and 5xx), shed (429/503;
`shed_without_retry_after` counts those lacking the header), errors (other 5xx, connection failures,
time-outs, no connection free), p50/p99 of served. `recovered_s`: seconds after the surge's end until
the first whole second whose served p99 is ≤ 200 ms and within 1.5x the first steady phase's p99
with nothing shed.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KEEPALIVE_REUSE_S = 3.0  # below the server's keep-alive (cli.multiprocess: 5 s)
GOAL_P99_MS = 200.0


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
    shed_without_retry_after: int = 0
    errors: int = 0  # other 5xx, failed or reset connections, time-outs, no connection free
    kinds: Counter[str] = field(default_factory=Counter)  # the errors by kind
    offered: int = 0


@dataclass
class Request:
    route_class: str
    route: str  # a name for the report: "statistics page", "dose", ...
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    on_answer: Callable[[int, bytes], None] | None = None
    # The signed-in session's headers, updated when an answer sets a new session cookie (as a browser
    # keeps it: after a dose, the server's read-your-writes mark travels in the cookie).
    session: dict[str, str] | None = None


class Stale(ConnectionError):
    """A reused connection answered nothing: the server had closed it (a new connection is tried)."""


@dataclass
class Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    used_at: float
    reused: bool = False


class Pool:
    """Keep-alive connections to one loopback server, at most `size` at once."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port, self.size = host, port, size
        self.idle: list[Conn] = []
        self.open = 0

    async def take(self) -> Conn | None:
        now = time.monotonic()
        while self.idle:
            conn = self.idle.pop()
            # A browser does not reuse a connection the server may have dropped: idle too long, or
            # already at end of file (the server's FIN arrived).
            if now - conn.used_at < KEEPALIVE_REUSE_S and not conn.reader.at_eof():
                conn.reused = True
                return conn
            self.drop(conn)
        if self.open >= self.size:
            return None
        self.open += 1
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            self.open -= 1
            raise
        return Conn(reader, writer, now)

    def give(self, conn: Conn, reusable: bool) -> None:
        if reusable:
            conn.used_at = time.monotonic()
            self.idle.append(conn)
        else:
            self.drop(conn)

    def drop(self, conn: Conn) -> None:
        self.open -= 1
        conn.writer.close()

    def close(self) -> None:
        while self.idle:
            self.drop(self.idle.pop())


async def exchange(pool: Pool, request: Request, timeout: float) -> tuple[int, dict[str, str], bytes] | None:
    conn = await pool.take()
    if conn is None:
        return None
    ok = False
    try:
        head = [f"{request.method} {request.path} HTTP/1.1", f"Host: {pool.host}:{pool.port}"]
        head += [f"{k}: {v}" for k, v in request.headers.items()]
        if request.body or request.method == "POST":
            head.append(f"Content-Length: {len(request.body)}")
        conn.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + request.body)

        async def read() -> tuple[int, dict[str, str], bytes]:
            status_line = await conn.reader.readline()
            if not status_line:
                raise Stale("closed") if conn.reused else ConnectionResetError("closed before any answer")
            status = int(status_line.split()[1])
            headers: dict[str, str] = {}
            while True:
                line = await conn.reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                key = name.strip().lower()
                headers[key] = (headers[key] + ", " if key in headers else "") + value.strip()
            length = int(headers.get("content-length", "0"))
            body = await conn.reader.readexactly(length) if length else b""
            return status, headers, body

        try:
            status, headers, body = await asyncio.wait_for(read(), timeout)
        except ConnectionResetError:
            if conn.reused:
                raise Stale("reset") from None
            raise
        ok = headers.get("connection", "").lower() != "close"
        return status, headers, body
    finally:
        pool.give(conn, ok)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def send(pool: Pool, request: Request, timeout: float) -> tuple[int, dict[str, str], bytes] | None:
    """One request; again on a new connection when a reused one had been closed (at most twice)."""
    for _ in range(2):
        try:
            return await exchange(pool, request, timeout)
        except Stale:
            continue
    return await exchange(pool, request, timeout)


async def run_load(
    host: str,
    port: int,
    pick: Callable[[random.Random], Request | None],
    phases: list[tuple[str, float, float]],
    *,
    connections: int,
    timeout: float,
    max_requests: int,
    seed: int,
) -> tuple[dict[tuple[str, str, str], Tally], float]:
    pool = Pool(host, port, connections)
    rng = random.Random(seed)
    tallies: dict[tuple[str, str, str], Tally] = defaultdict(Tally)
    tasks: set[asyncio.Task[None]] = set()
    start = time.monotonic()
    sent = 0

    async def one(phase: str, request: Request) -> None:
        tally = tallies[(phase, request.route_class, request.route)]
        began = time.monotonic()
        try:
            answer = await send(pool, request, timeout)
        except TimeoutError:
            tally.errors += 1
            tally.kinds["timeout"] += 1
            return
        except ConnectionRefusedError:
            tally.errors += 1
            tally.kinds["refused"] += 1
            return
        except (ConnectionResetError, BrokenPipeError, Stale):
            tally.errors += 1
            tally.kinds["reset"] += 1
            return
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            tally.errors += 1
            tally.kinds[type(exc).__name__] += 1
            return
        if answer is None:
            tally.errors += 1
            tally.kinds["client_backlog"] += 1
            return
        status, headers, body = answer
        done = time.monotonic()
        if status in (429, 503):
            tally.shed += 1
            tally.shed_at.append(done - start)
            if "retry-after" not in headers:
                tally.shed_without_retry_after += 1
        elif status >= 500:
            tally.errors += 1
            tally.kinds[f"http_{status}"] += 1
        else:
            tally.served.append((done - began) * 1000)
            tally.served_at.append(done - start)
            if status >= 400:
                tally.kinds[f"http_{status}"] += 1  # served, but the report shows it
            if request.on_answer is not None:
                request.on_answer(status, body)
        if request.session is not None and "set-cookie" in headers:
            request.session["Cookie"] = cookie_of(headers, request.session["Cookie"])

    deadline = start + sum(d for _, d, _ in phases) + 30
    phase_start = start
    for name, duration, rps in phases:
        next_at = phase_start
        while next_at < phase_start + duration and sent < max_requests:
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            next_at += rng.expovariate(rps)  # Poisson arrivals at the phase's rate
            request = pick(rng)
            if request is None:
                continue
            tallies[(name, request.route_class, request.route)].offered += 1
            task = asyncio.create_task(one(name, request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
        phase_start += duration
    remaining = max(0.1, deadline - time.monotonic())
    if tasks:
        await asyncio.wait(tasks, timeout=min(remaining, timeout + 1))
    for task in tasks:
        task.cancel()
    pool.close()
    return tallies, start


def http(
    host: str, port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    async def go() -> tuple[int, dict[str, str], bytes]:
        pool = Pool(host, port, 1)
        try:
            answer = await exchange(pool, Request("-", "-", method, path, body, headers or {}), 300)
        finally:
            pool.close()
        assert answer is not None
        return answer

    return asyncio.run(go())


def immunize(env: dict[str, str], *args: str, timeout: float = 1800) -> str:
    result = subprocess.run(
        [str(BIN / "immunize"), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"bench_surge: immunize {args[0]} failed: {result.stderr.strip()[-400:]}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Store:
    """The benchmark's store: a throwaway PostgreSQL cluster, IMMUNIZE_DATABASE_URL, a copy of an
    already simulated database (--from-template), or SQLite."""

    def __init__(self, kind: str, workdir: Path, template: str = "") -> None:
        self.cluster: Any = None
        self.copy: tuple[str, str] | None = None  # (the cluster's maintenance URL, the copy's name)
        given = os.environ.get("IMMUNIZE_DATABASE_URL", "")
        if template:
            self.url, self.kind = self._copy_of(template), "postgresql (copy of a simulated database)"
        elif kind == "sqlite":
            self.url, self.kind = f"sqlite:///{workdir / 'ledger.db'}", "sqlite"
        elif given.startswith("postgresql"):
            self.url, self.kind = given, "postgresql (IMMUNIZE_DATABASE_URL)"
        else:
            sys.path.insert(0, str(ROOT))
            from tests.postgres_cluster import ThrowawayCluster

            self.cluster = ThrowawayCluster()
            self.url = self.cluster.start().url("postgres")
            self.kind = "postgresql (throwaway cluster)"

    def _copy_of(self, template: str) -> str:
        """A fresh database copied from `template` (CREATE DATABASE ... TEMPLATE: a file copy, seconds
        for 97,000 people where simulating them takes half an hour)."""
        import psycopg

        parts = urllib.parse.urlsplit(template)
        if not template.startswith("postgresql") or not parts.path.strip("/"):
            raise SystemExit(f"bench_surge: --from-template takes postgresql://.../DBNAME, not {template!r}")
        name = f"surge_{os.getpid()}_{int(time.time())}"
        maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{parts.path.strip("/")}"')
        self.copy = (maintenance, name)
        return urllib.parse.urlunsplit(parts._replace(path="/" + name))

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
        if self.copy is not None:
            import psycopg

            maintenance, name = self.copy
            with psycopg.connect(maintenance, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    env: dict[str, str]
    log: Path


def start_server(args: argparse.Namespace, env: dict[str, str], workdir: Path) -> Server:
    port = free_port()
    log = workdir / "serve.log"
    command = [str(BIN / "immunize"), "serve", "--port", str(port), "--workers", str(args.workers)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    server = subprocess.Popen(
        [*command, "--followers", "--allow-development"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if http("127.0.0.1", port, "GET", "/health")[0] == 200:
                return Server(server, port, env, log)
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("bench_surge: the server did not answer /health within 120 s")


def stop_server(server: Server) -> None:
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(60)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def cookie_of(headers: dict[str, str], previous: str = "") -> str:
    found = re.search(r"(?:^|, )(immunize_session=[^;]*)", headers.get("set-cookie", ""))
    return found.group(1) if found else previous


def staff_session(port: int, password: str) -> dict[str, str]:
    _status, headers, answer = http("127.0.0.1", port, "GET", "/api/v1/session")
    cookie, token = cookie_of(headers), json.loads(answer)["csrf_token"]
    body = json.dumps({"username": "bench.staff", "password": password}).encode()
    status, headers, answer = http(
        "127.0.0.1",
        port,
        "POST",
        "/api/v1/auth/staff",
        body,
        {"Content-Type": "application/json", "Cookie": cookie, "X-CSRFToken": token},
    )
    if status != 200:
        raise SystemExit(f"bench_surge: staff sign-in answered {status}: {answer[:200]!r}")
    return {"Cookie": cookie_of(headers, cookie), "X-CSRFToken": json.loads(answer)["csrf_token"]}


def citizen_session(port: int, phone: str, outbox: Path) -> dict[str, str]:
    """Sign a citizen in as a phone does: ask for a code, read it from the file sender, confirm it."""
    _status, headers, answer = http("127.0.0.1", port, "GET", "/api/v1/session")
    cookie, token = cookie_of(headers), json.loads(answer)["csrf_token"]
    json_headers = {"Content-Type": "application/json", "Cookie": cookie, "X-CSRFToken": token}
    before = outbox.read_text(encoding="utf-8") if outbox.exists() else ""
    status, headers, answer = http(
        "127.0.0.1", port, "POST", "/api/v1/auth/otp", json.dumps({"phone": phone}).encode(), json_headers
    )
    if status != 200:
        raise SystemExit(f"bench_surge: a one-time code was refused ({status}): {answer[:200]!r}")
    cookie = cookie_of(headers, cookie)
    code = None
    for _ in range(100):  # the file sender writes at once; the outbox sender may append others' messages
        sent = outbox.read_text(encoding="utf-8")[len(before) :]
        mine = [
            m
            for m in (json.loads(line) for line in sent.splitlines() if line.strip())
            if re.sub(r"\D", "", str(m.get("phone") or m.get("to") or ""))[-9:] == phone[-9:]
        ]
        code = re.search(r"\b(\d{6})\b", str(mine[-1]["text"])) if mine else None
        if code is not None:
            break
        time.sleep(0.1)
    if code is None:
        raise SystemExit("bench_surge: no six-digit code in the message the file sender wrote")
    status, headers, answer = http(
        "127.0.0.1",
        port,
        "POST",
        "/api/v1/auth/otp/verify",
        json.dumps({"code": code.group(1)}).encode(),
        {**json_headers, "Cookie": cookie},
    )
    if status != 200:
        raise SystemExit(f"bench_surge: the code was refused ({status}): {answer[:200]!r}")
    return {"Cookie": cookie_of(headers, cookie), "X-CSRFToken": json.loads(answer)["csrf_token"]}


@dataclass
class Doses:
    """First doses for people waiting, each sent once with its own idempotency key."""

    waiting: list[str]
    lot_id: str
    today: str
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (person id, dose id)
    refused: Counter[int] = field(default_factory=Counter)

    def request(self, staff: dict[str, str]) -> Request | None:
        if not self.waiting:
            return None
        person_id = self.waiting.pop()
        body = {
            "lot_id": self.lot_id,
            "given_on": self.today,
            "dose_number": "1",
            "idempotency_key": f"surge-dose-{person_id}",
        }

        def answered(status: int, answer: bytes) -> None:
            if 200 <= status < 300:
                self.acknowledged.append((person_id, str(json.loads(answer)["dose_id"])))
            else:
                self.refused[status] += 1

        return Request(
            "staff",
            "record dose",
            "POST",
            f"/api/v1/desk/people/{person_id}/doses",
            json.dumps(body).encode(),
            {**staff, "Content-Type": "application/json"},
            answered,
            staff,
        )


def build_world(
    args: argparse.Namespace, workdir: Path, store: Store
) -> tuple[dict[str, str], Any, dict[str, Any]]:
    """Keys, the simulated campaign, the bench's site, people and staff account (before serving)."""
    env = {
        **os.environ,
        "IMMUNIZE_DATABASE_URL": store.url,
        "IMMUNIZE_KEY_DIR": str(workdir / "keys"),
        "IMMUNIZE_SECURE_COOKIES": "0",
        "IMMUNIZE_MESSAGE_SENDER": "file",
        "IMMUNIZE_OUTBOX_FILE": str(workdir / "outbox.jsonl"),
        "IMMUNIZE_STAFF_PASSWORD": "bench-surge-" + os.urandom(8).hex(),
        "IMMUNIZE_KEY_PASSPHRASE": os.environ.get("IMMUNIZE_KEY_PASSPHRASE")
        or "bench-surge-" + os.urandom(8).hex(),
    }
    began = time.monotonic()
    if args.from_template:
        # The simulated database's own keys (its certificates are signed with them; the web secret
        # that keys its phone index is kept there too).
        import shutil

        shutil.copytree(args.key_dir, workdir / "keys")
        simulated = json.loads(Path(args.simulated_json).read_text()) if args.simulated_json else {}
    else:
        # The campaign ends today; simulate makes development keys dated its first day, so they sign
        # its certificates and still sign today's (a key made now could not sign the first day's).
        simulated = json.loads(
            immunize(
                env,
                "simulate",
                *("--scale", str(args.scale), "--days", str(args.days), "--seed", "1", "--end", "today"),
                "--json",
            )
        )
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from surge_world import prepare

    expected = sum(d for _, d, _ in phases_of(args)) * args.steady_rps * (1 + args.factor) * args.dose_share
    world = prepare(store.url, workdir / "keys", citizens=args.citizens, waiting=int(expected * 1.3) + 50)
    immunize(env, "staff", "add", "bench.staff", "--role", "staff", "--site", world.site_id, "--replace")
    # Every view at the head before serving: a server that has just started on a caught-up store, as
    # after any restart in production (otherwise the first pages would measure a view catching up).
    if args.from_template:
        from surge_world import views_at_head

        views_at_head(store.url, workdir / "keys")  # the copy's views came along: apply what prepare added
    else:
        immunize(env, "projections", "rebuild")
    facts = {
        # A template's own scale and days (simulate's --json), not this run's defaults.
        "scale": simulated.get("scale", args.scale),
        "days": simulated.get("days", args.days),
        "people": simulated.get("people"),
        "events": simulated.get("events"),
        "setup_s": round(time.monotonic() - began, 1),
    }
    return env, world, facts


def phases_of(args: argparse.Namespace) -> list[tuple[str, float, float]]:
    steady_s, surge_s, after_s = args.phase_seconds
    return [
        ("steady", steady_s, args.steady_rps),
        ("surge", surge_s, args.steady_rps * args.factor),
        ("after", after_s, args.steady_rps),
    ]


def the_mix(
    port: int, world: Any, env: dict[str, str], workdir: Path, today: str, dose_share: float
) -> tuple[Callable[[random.Random], Request | None], Doses]:
    """Who asks for what, with which weight (the route classes as web.admission names them)."""
    staff = staff_session(port, env["IMMUNIZE_STAFF_PASSWORD"])
    citizens = []
    for person_id, phone in world.citizens:
        session = citizen_session(port, phone, workdir / "outbox.jsonl")
        status, _h, answer = http(
            "127.0.0.1", port, "POST", f"/api/v1/me/people/{person_id}/certificate", b"", session
        )
        if status != 200:
            raise SystemExit(f"bench_surge: a citizen's certificate was refused ({status}): {answer[:200]!r}")
        citizens.append((person_id, {"Cookie": session["Cookie"]}))
    doses = Doses(list(world.waiting), world.lot_id, today)
    readable = [pid for pid, _ in world.citizens]
    weighted: list[tuple[float, Callable[[random.Random], Request | None]]] = [
        (0.25, lambda r: Request("public", "statistics page", "GET", "/statistics")),
        (  # a visitor who chose English (the language link's cookie)
            0.05,
            lambda r: Request(
                "public", "statistics page", "GET", "/statistics", headers={"Cookie": "immunize_lang=en"}
            ),
        ),
        (0.15, lambda r: Request("public", "statistics JSON", "GET", "/api/v1/statistics")),
        (0.05, lambda r: Request("public", "revocation list", "GET", "/revocation-list")),
        (
            0.12,
            lambda r: (
                lambda c: Request("citizen", "health book", "GET", f"/api/v1/me/people/{c[0]}", headers=c[1])
            )(r.choice(citizens)),
        ),
        (
            0.08,
            lambda r: (
                lambda c, fmt: Request(
                    "citizen", "certificate file", "GET", f"/me/people/{c[0]}/certificate.{fmt}", headers=c[1]
                )
            )(r.choice(citizens), r.choice(("png", "png", "pdf"))),
        ),
        (
            0.12,
            lambda r: Request(
                "staff",
                "health book (desk)",
                "GET",
                f"/api/v1/desk/people/{r.choice(readable)}",
                headers={"Cookie": staff["Cookie"]},
                session=staff,
            ),
        ),
        (
            0.18 - dose_share,
            lambda r: Request(
                "staff",
                "lots",
                "GET",
                "/api/v1/desk/lots",
                headers={"Cookie": staff["Cookie"]},
                session=staff,
            ),
        ),
        (dose_share, lambda r: doses.request(staff)),
    ]
    weights = [w for w, _ in weighted]

    def pick(rng: random.Random) -> Request | None:
        return rng.choices(weighted, weights)[0][1](rng)

    return pick, doses


def warm_up(port: int, pick: Callable[[random.Random], Request | None], count: int) -> None:
    """Each worker's first page, first template, first pooled connection: not counted (a server that
    has just started is not what a surge meets)."""
    rng = random.Random(99)

    async def go() -> None:
        pool = Pool("127.0.0.1", port, 8)
        try:
            for _ in range(count // 8):
                batch = [
                    r for r in (pick(rng) for _ in range(8)) if r is not None and r.route != "record dose"
                ]
                await asyncio.gather(*(send(pool, r, 60) for r in batch), return_exceptions=True)
        finally:
            pool.close()

    asyncio.run(go())


def server_log_problems(log: Path) -> dict[str, int]:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return {
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "tracebacks": text.count("Traceback (most recent call last)"),
        "http_5xx_logged": len(re.findall(r'" 5\d\d ', text)),
    }


def report(
    args: argparse.Namespace, tallies: dict[tuple[str, str, str], Tally], extra: dict[str, Any]
) -> dict[str, Any]:
    durations = {name: seconds for name, seconds, _ in phases_of(args)}

    def rows_by(key: Callable[[tuple[str, str, str]], tuple[str, ...]]) -> list[dict[str, Any]]:
        groups: dict[tuple[str, ...], list[Tally]] = defaultdict(list)
        for k, t in tallies.items():
            groups[key(k)].append(t)
        order = {"steady": 0, "surge": 1, "after": 2}
        rows = []
        for k in sorted(groups, key=lambda k: (order[k[0]], *k[1:])):
            ts = groups[k]
            served = [ms for t in ts for ms in t.served]
            kinds: Counter[str] = Counter()
            for t in ts:
                kinds.update(t.kinds)
            rows.append(
                {
                    "phase": k[0],
                    **({"class": k[1]} if len(k) > 1 else {}),
                    **({"route": k[2]} if len(k) > 2 else {}),
                    "offered_rps": round(sum(t.offered for t in ts) / durations[k[0]], 1),
                    "served_rps": round(len(served) / durations[k[0]], 1),
                    "p50_ms": percentile(served, 0.5),
                    "p99_ms": percentile(served, 0.99),
                    "shed": sum(t.shed for t in ts),
                    "errors": sum(t.errors for t in ts),
                    "kinds": dict(kinds),
                }
            )
        return rows

    steady_s, surge_s, after_s = args.phase_seconds
    in_phase = lambda phase: [t for (p, _c, _r), t in tallies.items() if p == phase]  # noqa: E731
    served_all = [ms for t in tallies.values() for ms in t.served]
    steady_p99 = percentile([ms for t in in_phase("steady") for ms in t.served], 0.99) or 0
    surge_end = steady_s + surge_s
    after = [(at, ms) for t in in_phase("after") for at, ms in zip(t.served_at, t.served, strict=True)]
    sheds = [at for p in ("surge", "after") for t in in_phase(p) for at in t.shed_at]
    recovered = None
    for second in range(int(after_s)):
        lo = surge_end + second
        window = [ms for at, ms in after if lo <= at < lo + 1]
        if window and not [s for s in sheds if lo <= s < lo + 1]:
            p99 = percentile(window, 0.99) or 0
            if p99 <= max(1.5 * steady_p99, 1.0) and p99 <= GOAL_P99_MS:
                recovered = float(second)
                break
    kinds: Counter[str] = Counter()
    for t in tallies.values():
        kinds.update(t.kinds)
    phases = rows_by(lambda k: (k[0],))
    return {
        "steady_rps": round(sum(len(t.served) for t in in_phase("steady")) / steady_s, 1),
        "surge_rps_offered": round(sum(t.offered for t in in_phase("surge")) / surge_s, 1),
        "surge_rps_served": round(sum(len(t.served) for t in in_phase("surge")) / surge_s, 1),
        "p99_ms_served": percentile(served_all, 0.99),
        "p99_ms_served_worst_phase": max((r["p99_ms"] or 0) for r in phases),
        "errors": sum(t.errors for t in tallies.values()),
        "error_kinds": {k: v for k, v in kinds.items() if not k.startswith("http_4")},
        "shed": sum(t.shed for t in tallies.values()),
        "shed_without_retry_after": sum(t.shed_without_retry_after for t in tallies.values()),
        "recovered_s": recovered,
        **extra,
        "phases_s": list(args.phase_seconds),
        "steady_rps_offered": args.steady_rps,
        "factor": args.factor,
        "workers": args.workers,
        "phases": phases,
        "classes": rows_by(lambda k: (k[0], k[1])),
        "routes": rows_by(lambda k: k),
    }


def print_table(summary: dict[str, Any]) -> None:
    print(
        f"surge on {summary.get('store')}, scale {summary.get('scale')} ({summary.get('people')} people),"
        f" phases {summary['phases_s']} s, steady {summary['steady_rps_offered']}/s x{summary['factor']},"
        f" {summary['workers']} workers, load average {summary.get('load_average')}"
    )
    head = f"{'phase':<7} {'class':<8} {'route':<20} {'offered/s':>9} {'served/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'shed':>5} {'errors':>6}"
    print(head)
    for row in [*summary["classes"], *summary["routes"]]:
        print(
            f"{row['phase']:<7} {row.get('class', ''):<8} {row.get('route', '(all)'):<20} {row['offered_rps']:>9}"
            f" {row['served_rps']:>9} {row['p50_ms']!s:>7} {row['p99_ms']!s:>7} {row['shed']:>5} {row['errors']:>6}"
            + (f"  {row['kinds']}" if row["kinds"] else "")
        )
    keys = [
        "steady_rps",
        "surge_rps_offered",
        "surge_rps_served",
        "p99_ms_served",
        "p99_ms_served_worst_phase",
        "errors",
        "error_kinds",
        "shed",
        "shed_without_retry_after",
        "recovered_s",
        "acknowledged_doses",
        "lost_doses",
        "client_cpu_s",
        "server_log",
    ]
    print({k: summary.get(k) for k in keys})


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: phases 10,20,10 s, scale 0.00002")
    parser.add_argument("--store", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--scale", type=float, default=None, help="immunize simulate --scale (default 0.0001)"
    )
    parser.add_argument("--days", type=int, default=None, help="immunize simulate --days (default 120)")
    parser.add_argument("--steady-rps", type=float, default=20.0)
    parser.add_argument("--factor", type=float, default=6.0)
    parser.add_argument("--phases", default=None, help="seconds: steady,surge,steady (default 60,120,60)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="per worker (default: immunize serve's)")
    parser.add_argument("--citizens", type=int, default=8, help="signed-in citizens (one-time codes)")
    parser.add_argument("--dose-share", type=float, default=0.06, help="share of requests recording a dose")
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--target", default="", help="an already running server (loopback only)")
    parser.add_argument(
        "--from-template",
        default="",
        help="postgresql://.../DBNAME already holding `immunize simulate`'s campaign: each run copies it",
    )
    parser.add_argument("--key-dir", default="", help="with --from-template: the keys it was simulated with")
    parser.add_argument("--simulated-json", default="", help="with --from-template: simulate's --json output")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.scale = args.scale if args.scale is not None else (0.00002 if args.quick else 0.0001)
    args.days = args.days if args.days is not None else (30 if args.quick else 120)
    text = args.phases or ("10,20,10" if args.quick else "60,120,60")
    try:
        args.phase_seconds = tuple(float(x) for x in text.split(","))
        if len(args.phase_seconds) != 3:
            raise ValueError
    except ValueError:
        raise SystemExit(
            f"bench_surge: --phases takes three numbers of seconds like 60,120,60, not {text!r}"
        ) from None
    if min(args.phase_seconds) <= 0 or sum(args.phase_seconds) > 1800:
        raise SystemExit(
            "bench_surge: each phase must last more than 0 s, all three together at most 1,800 s"
        )
    if not 0 < args.steady_rps * args.factor <= 5000:
        raise SystemExit(
            "bench_surge: the surge rate (steady-rps x factor) must be from 0 to 5,000 requests/s"
        )
    if args.from_template and not args.key_dir:
        raise SystemExit("bench_surge: --from-template needs --key-dir (the keys it was simulated with)")
    if not 0 < args.scale <= 0.01:
        raise SystemExit("bench_surge: --scale must be above 0 and at most 0.01 (970,000 people)")
    if not 1 <= args.citizens <= 15:
        raise SystemExit(
            "bench_surge: --citizens must be from 1 to 15 (the one-time codes' limit per address)"
        )
    if not 0 <= args.dose_share <= 0.18:
        raise SystemExit("bench_surge: --dose-share must be from 0 to 0.18")
    return args


def main() -> None:
    args = parse_args()
    if args.target:
        host, port = loopback_target(args.target)
        public = [
            Request("public", "statistics page", "GET", "/statistics"),
            Request("public", "statistics JSON", "GET", "/api/v1/statistics"),
            Request("public", "revocation list", "GET", "/revocation-list"),
        ]
        load_before = os.getloadavg()[0]
        cpu = time.process_time()
        tallies, _ = asyncio.run(
            run_load(
                host,
                port,
                lambda r: r.choice(public),
                phases_of(args),
                connections=args.connections,
                timeout=args.timeout,
                max_requests=args.max_requests,
                seed=1,
            )
        )
        extra = {
            "store": "target",
            "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "client_cpu_s": round(time.process_time() - cpu, 1),
        }
        summary = report(args, tallies, extra)
        print(json.dumps(summary, indent=2) if args.json else "", end="")
        if not args.json:
            print_table(summary)
        return

    workdir = Path(tempfile.mkdtemp(prefix="bench-surge-"))
    store = Store(args.store, workdir, args.from_template)
    server = None
    try:
        env, world, facts = build_world(args, workdir, store)
        server = start_server(args, env, workdir)
        from surge_world import today_of

        pick, doses = the_mix(
            server.port, world, env, workdir, today_of(store.url, workdir / "keys"), args.dose_share
        )
        warm_up(server.port, pick, 64)
        load_before = os.getloadavg()[0]
        cpu = time.process_time()
        tallies, _ = asyncio.run(
            run_load(
                "127.0.0.1",
                server.port,
                pick,
                phases_of(args),
                connections=args.connections,
                timeout=args.timeout,
                max_requests=args.max_requests,
                seed=1,
            )
        )
        client_cpu = round(time.process_time() - cpu, 1)
        load_after = os.getloadavg()[0]
    except BaseException:
        if server is not None:
            stop_server(server)
            server = None
        store.stop()  # the throwaway cluster or the template's copy goes, whatever failed
        raise
    finally:
        if server is not None:
            stop_server(server)
    try:
        from surge_world import lost_doses

        lost = lost_doses(store.url, workdir / "keys", doses.acknowledged)
    finally:
        store.stop()
    extra = {
        "acknowledged_doses": len(doses.acknowledged),
        "lost_doses": len(lost),
        "doses_refused": dict(doses.refused),
        "store": store.kind,
        **facts,
        "citizens": args.citizens,
        "load_average": [round(load_before, 1), round(load_after, 1)],
        "client_cpu_s": client_cpu,
        "server_log": server_log_problems(server.log),
    }
    summary = report(args, tallies, extra)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print_table(summary)


if __name__ == "__main__":
    main()
