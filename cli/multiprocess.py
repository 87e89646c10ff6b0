"""`immunize serve --workers N`: gunicorn's pre-fork workers, and the projections follower beside them.

Why gunicorn: one Python process serves one core at most (the GIL), and waitress is one process.
gunicorn is a process manager and a server in one: it forks N workers, restarts one that dies or
hangs (`timeout`), and stops them gracefully, with no other system piece to install. Each worker
builds its own app after the fork (no `preload`), so every worker opens its own pooled database
connections (a connection pool must never cross a fork). Its `gthread` workers keep a thread pool per
process: admission control (web.admission) bounds each route class for the whole server, with counts
the master makes in shared memory before it forks the workers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from web.errors import ConfigurationError


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 60,  # a worker silent this long is killed and replaced
        "graceful_timeout": 20,
        "keepalive": 5,
        "backlog": 2048,  # connections the kernel holds until a worker accepts them (then admission decides)
        "preload_app": False,
        "accesslog": None,  # web.security logs one line per request without personal data
        "proc_name": "immunize",
        "control_socket_disable": True,  # no socket in $HOME: stop it with SIGTERM like any service
    }


def opened_despite_a_sibling(
    make_app: Callable[[], Any], attempts: int = 3, pause: Callable[[float], None] | None = None
) -> Any:
    """`make_app()`, tried again when a sibling worker opening the same PostgreSQL store at the same
    moment made it fail with "tuple concurrently updated" (both run the store's CREATE/ALTER statements
    at start; one of them loses, and a worker that fails to boot stops the whole gunicorn server: seen
    once in three cold starts of the surge benchmark)."""
    import random
    import time

    from ledger.errors import StoreError

    wait = pause or time.sleep
    for attempt in range(1, attempts + 1):
        try:
            return make_app()
        except StoreError as exc:
            if "concurrently updated" not in str(exc) or attempt == attempts:
                raise
            wait(0.2 + random.random())  # spreading the workers apart (not a secret)
    raise AssertionError("unreachable")


def serve_with_workers(
    make_app: Callable[[], Any],
    host: str,
    port: int,
    workers: int,
    threads: int,
    child_exit: Callable[[int], None] | None = None,
) -> None:  # pragma: no cover - exercised through the CLI in a subprocess
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError as exc:
        raise ConfigurationError("gunicorn is not installed: run `make .venv/.installed`") from exc

    class _Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in gunicorn_options(host, port, workers, threads).items():
                self.cfg.set(name, value)
            if child_exit is not None:
                # In the master, when a worker ended (or was killed): the server-wide admission
                # counts forget its requests in progress (web.admission.SharedCounts).
                self.cfg.set("child_exit", lambda _server, worker: child_exit(worker.pid))

        def load(self) -> Any:
            return opened_despite_a_sibling(make_app)

    _Application().run()


class ProcessGroup:
    """Several child processes started and stopped as one (the followers): what `serve` does with one
    process (`.pid` to name them, `stop_process` to stop them) it does with all of them."""

    def __init__(self, processes: Sequence[subprocess.Popen[bytes]]) -> None:
        self.processes = list(processes)

    @property
    def pid(self) -> str:
        return ", ".join(str(p.pid) for p in self.processes)

    def poll(self) -> int | None:
        """None while any of them runs; else the first non-zero exit status (or 0)."""
        codes = [p.poll() for p in self.processes]
        if any(code is None for code in codes):
            return None
        return next((code for code in codes if code), 0)

    def send_signal(self, sig: int) -> None:
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(sig)

    def wait(self, timeout: float | None = None) -> int:
        """Wait for every one (within `timeout` in all); subprocess.TimeoutExpired when one still runs."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for p in self.processes:
            p.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return self.poll() or 0

    def kill(self) -> None:
        for p in self.processes:
            if p.poll() is None:
                p.kill()


FOLLOWER_PROCESSES_DEFAULT = 1


def follower_processes(environ: Mapping[str, str]) -> int:
    """`IMMUNIZE_FOLLOWER_PROCESSES`: 1 (every view in one follower) or 2 (the views split between two)."""
    raw = environ.get("IMMUNIZE_FOLLOWER_PROCESSES", "").strip() or str(FOLLOWER_PROCESSES_DEFAULT)
    if raw not in ("1", "2"):
        raise ConfigurationError(f"IMMUNIZE_FOLLOWER_PROCESSES must be 1 or 2, not {raw!r}.")
    return int(raw)


def follower_commands(processes: int = 2) -> list[list[str]]:
    """The `immunize projections run` command of each follower process. One process: every view and
    the keyed ones (`--keyed`), signing the checkpoints. Two: one per group of
    projections.registry.FOLLOWER_GROUPS (a partition of the views); the first also signs the
    transparency checkpoints, the last also follows the keyed views (`--keyed`)."""
    from projections.registry import FOLLOWER_GROUPS

    if processes == 1:
        return [["projections", "run", "--keyed"]]
    commands = []
    last = len(FOLLOWER_GROUPS) - 1
    for n, group in enumerate(FOLLOWER_GROUPS):
        command = ["projections", "run", *(f"--view={name}" for name in group)]
        if n > 0:
            command.append("--no-checkpoints")
        if n == last:
            command.append("--keyed")
        commands.append(command)
    return commands


def start_followers(environ: Mapping[str, str] | None = None) -> ProcessGroup:
    """The projections followers (`immunize projections run`, see `follower_commands`), each its own
    process (`IMMUNIZE_FOLLOWER_PROCESSES`: one, or two with the views split between them). Every read
    view, the keyed ones too, so the web workers read them without catching up
    (IMMUNIZE_VIEWS_FOLLOWED, services.read_side)."""
    env = dict(environ if environ is not None else os.environ)
    return ProcessGroup(
        [
            # our own interpreter and our own arguments (projections.registry), never input
            subprocess.Popen([sys.executable, "-c", "from cli.main import main; main()", *command], env=env)  # noqa: S603
            for command in follower_commands(follower_processes(env))
        ]
    )


def start_renderer(environ: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`immunize certificate render --follow` as its own process (certificate files, off the request)."""
    return subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", "certificate", "render", "--follow"],
        env=dict(environ if environ is not None else os.environ),
    )


def start_sender(environ: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`immunize messages send --follow` as its own process: the outbox delivered as messages appear,
    and the campaign's daily job (reminders, check-ins) run on schedule."""
    return subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", "messages", "send", "--follow"],
        env=dict(environ if environ is not None else os.environ),
    )


def stop_process(process: subprocess.Popen[bytes] | ProcessGroup, timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
