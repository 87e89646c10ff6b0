"""The citizen's pages under a surge's reads: the health book's person page and the family list, their
SQL statements and time per request through the Flask test client, beside `/health` in the same run.

    .venv/bin/python benchmarks/bench_citizen_pages.py [--store sqlite|postgres] [--requests 200] [--json]

The world is tests/citizen_world.py's (a mother with a booked visit, her dependants, a stranger; the
views caught up as the followers keep them): a family of one with one visit, and a family of four whose
mother moved her appointment three times. Both with the views followed (`VIEWS_FOLLOWED`, as under
`serve --followers`) and caught up by the page itself (`immunize run`). Each request is a visit a few
seconds after the last one (the people's cached data keys are looked up again). Nothing writes meanwhile.

Printed per row: statements per request, mean and median wall milliseconds, CPU milliseconds of this
process (`time.thread_time`), and the ratio of the page's median to `/health`'s median measured in the
same world just before. The load average is printed beside: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@contextmanager
def database(kind: str) -> Iterator[Any]:
    """A function giving a fresh database URL per name (SQLite files, or databases on a throwaway
    PostgreSQL cluster stopped at the end)."""
    with tempfile.TemporaryDirectory(prefix="bench-citizen-") as tmp:
        if kind == "sqlite":
            yield lambda name: f"sqlite:///{Path(tmp) / name}.db", Path(tmp)
            return
        from contextlib import ExitStack

        from tests.postgres_cluster import throwaway_database, throwaway_server

        with throwaway_server() as server, ExitStack() as stack:
            yield lambda name: stack.enter_context(throwaway_database(name, server)), Path(tmp)


def measure(world: Any, counter: Any, path: str, requests: int) -> dict[str, float]:
    for _ in range(5):  # warm: templates, pooled connections
        counter.count(world, path)
    statements, wall, cpu = [], [], []
    for _ in range(requests):
        world.later()
        counter.sent.clear()
        counter.on = True
        started, started_cpu = time.perf_counter(), time.thread_time()
        answer = world.client.get(path)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        counter.on = False
        assert answer.status_code == 200, (path, answer.status_code)
        statements.append(len(counter.sent))
    return {
        "statements": statistics.mean(statements),
        "ms_mean": statistics.mean(wall),
        "ms_median": statistics.median(wall),
        "cpu_ms": statistics.mean(cpu),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("IMMUNIZE_KEY_KDF_ROUNDS", "1000")

    from tests.citizen_world import Counter, build, install_counter

    counter = Counter()
    install_counter(counter, setattr)
    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    with database(args.store) as (url, tmp):
        for followed in (True, False):
            for family, (children, moves) in (("1", (0, 0)), ("4", (3, 3))):
                name = f"w_{'f' if followed else 's'}{family}"
                world = build(tmp / name, url(name), children=children, moves=moves, followed=followed)
                health = measure(world, counter, "/health", args.requests)
                for page, path in (
                    ("/health", None),
                    ("person page", f"/me/people/{world.mother}"),
                    ("family list", "/me/"),
                ):
                    figures = health if path is None else measure(world, counter, path, args.requests)
                    rows.append(
                        {
                            "mode": "followed" if followed else "self-refreshed",
                            "family": int(family),
                            "page": page,
                            **{k: round(v, 2) for k, v in figures.items()},
                            "x_health": round(figures["ms_median"] / health["ms_median"], 1),
                        }
                    )
    load_after = os.getloadavg()
    if args.json:
        print(
            json.dumps({"store": args.store, "load": [load_before[0], load_after[0]], "rows": rows}, indent=2)
        )
        return
    print(
        f"store {args.store}, {args.requests} requests per row, load {load_before[0]:.1f} -> {load_after[0]:.1f}"
    )
    print(
        f"{'mode':<15} {'family':>6} {'page':<12} {'stmts':>6} {'ms mean':>8} {'median':>7} {'cpu ms':>7} {'x /health':>9}"
    )
    for r in rows:
        print(
            f"{r['mode']:<15} {r['family']:>6} {r['page']:<12} {r['statements']:>6} {r['ms_mean']:>8} "
            f"{r['ms_median']:>7} {r['cpu_ms']:>7} {r['x_health']:>9}"
        )


if __name__ == "__main__":
    main()
