"""A throwaway PostgreSQL cluster for the test session: initdb in a temporary directory, a free
loopback port, stopped at the end whatever happens. Real PostgreSQL, never a mock."""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class ClusterUnavailable(RuntimeError):
    """PostgreSQL could not be started here."""


@dataclass(frozen=True)
class ServerAddress:
    host: str
    port: int
    user: str
    password: str

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{dbname}"


def _bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterUnavailable(
        "PostgreSQL binaries were not found: install Debian's postgresql package "
        "(make test does it when run as root)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayCluster:
    """initdb + pg_ctl start on 127.0.0.1:<free port>; `stop()` removes everything. The tests' cluster
    runs with fsync off; `durable=True` keeps fsync, synchronous_commit and full_page_writes on, as
    production runs (what the ingest benchmark measures)."""

    password = "immunize-test"

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="immunize-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        self._started = False

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            # initdb refuses to run as root: run the server as the postgres user.
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise ClusterUnavailable(
                f"{args[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
            )

    def start(self) -> ServerAddress:
        if self._as_postgres:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ClusterUnavailable("there is no postgres user to run the server as") from exc
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        pwfile = self.root / "pw"
        pwfile.write_text(self.password)
        if self._as_postgres:
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        durability = "on" if self.durable else "off"
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root}"
            f" -c fsync={durability} -c synchronous_commit={durability} -c full_page_writes={durability}"
            " -c max_connections=300"
        )
        atexit.register(self.stop)
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        self._started = True
        self._wait_ready()
        return ServerAddress("127.0.0.1", self.port, "postgres", self.password)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
                return
            time.sleep(0.1)
        raise ClusterUnavailable(f"PostgreSQL did not accept connections on port {self.port}")

    def stop(self) -> None:
        if self._started:
            self._started = False
            with contextlib.suppress(ClusterUnavailable, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def throwaway_server(server_url: str | None = None, *, durable: bool = False) -> Iterator[str]:
    """`server_url` itself when given (an existing server: nothing is started or stopped), else the URL of
    the `postgres` database of a throwaway cluster started here and stopped afterwards whatever happens."""
    if server_url:
        yield server_url
        return
    cluster = ThrowawayCluster(durable=durable)
    try:
        yield cluster.start().url("postgres")
    finally:
        cluster.stop()


@contextlib.contextmanager
def throwaway_database(prefix: str, server_url: str | None = None, *, durable: bool = False) -> Iterator[str]:
    """A fresh database named `prefix_<random>` on `server_url` (any database URL of that server), or on
    a throwaway cluster started here when None; dropped (and the cluster stopped) afterwards. Used by the
    benchmarks, which measure on their own database and leave nothing behind. Several databases on one
    throwaway cluster: `with throwaway_server() as server:` then `throwaway_database(prefix, server)`."""
    import uuid

    import psycopg

    with throwaway_server(server_url, durable=durable) as server:
        base = server.rsplit("/", 1)[0]
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{base}/{name}"
        finally:
            with psycopg.connect(base + "/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
