"""Web request costs, in-process (Flask test client) and through waitress on loopback, against `/health`.

Prints per-request milliseconds and the ratio to the `/health` baseline measured in the same run:
the framework's own floor (routing, role check, CSRF, headers, session) is what `/health` costs.

    .venv/bin/python benchmarks/bench_web.py [--people 2000] [--requests 200]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from keys.development import ensure_development_keys
from ledger.application import Ledger
from projections.registry import catch_up_views
from services.demo_population import seed_demo
from services.people import list_people
from web import create_app


def timed(action: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


FIGURES: dict[str, float] = {}  # what run_all.py reads: "<in_process|http>_<line>_ms", medians
SECTION = ["in_process"]


def report(name: str, samples: list[float], baseline: float) -> None:
    median = statistics.median(samples)
    line = re.sub(r"\W+", "_", name).strip("_").lower()
    FIGURES[f"{SECTION[0]}_{line}_ms"] = median
    p99 = sorted(samples)[int(len(samples) * 0.99) - 1]
    print(f"{name:<34} median {median:7.2f} ms   p99 {p99:7.2f} ms   {median / baseline:6.1f}x /health")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-web-"))
    url = f"sqlite:///{base / 'ledger.db'}"
    ensure_development_keys(base / "keys", datetime.now(UTC), warn=lambda line: None)
    ledger = Ledger(url, key_dir=base / "keys")
    seed_demo(ledger, people=args.people, seed=1)
    app = create_app(
        {
            "IMMUNIZE_DATABASE_URL": url,
            "IMMUNIZE_KEY_DIR": str(base / "keys"),
            "LEDGER": ledger,
            "MESSAGE_SENDER": "memory",
            "SESSION_COOKIE_SECURE": False,
        }
    )
    platform = app.extensions["immunize"].platform
    catch_up_views(ledger, platform.views)
    holder = next(
        r for r in list_people(ledger, platform.views, limit=500) if r.phone and r.doses and not r.guardian_id
    )
    client = app.test_client()
    from web.signin import seal

    with app.test_request_context():
        sealed = seal(holder.phone)
    with client.session_transaction() as session:
        session["principal"] = {"role": "citizen", "subject": "bench", "display": "bench"}
        session["phone"] = sealed
    n = args.requests
    print(f"{args.people} people seeded; {n} requests per line; SQLite; one thread")
    print("in-process (Flask test client):")
    health = timed(lambda: client.get("/health"), n)
    baseline = statistics.median(health)
    report("/health (baseline)", health, baseline)
    report("/ (home page, template)", timed(lambda: client.get("/"), n), baseline)
    report(
        "/statistics (projection + 4 SVG)",
        timed(lambda: client.get("/statistics"), max(20, n // 5)),
        baseline,
    )
    report("/api/v1/statistics", timed(lambda: client.get("/api/v1/statistics"), max(20, n // 5)), baseline)
    report("/me/ (family from the ledger)", timed(lambda: client.get("/me/"), n), baseline)
    pid = holder.person_id
    client.get(f"/me/people/{pid}/certificate.png")  # the first view issues; later views reuse it
    report(
        "certificate.png (current, reused)",
        timed(lambda: client.get(f"/me/people/{pid}/certificate.png"), n),
        baseline,
    )
    first_draws = []
    for person in [
        r for r in list_people(ledger, platform.views, limit=500) if r.phone == holder.phone and r.doses
    ][:1] + [d for d in ledger.dependants(pid) if d.doses][:4]:
        first_draws += timed(lambda p=person: client.get(f"/me/people/{p.person_id}/certificate.pdf"), 1)
    report("certificate.pdf (first: verify+draw)", first_draws, baseline)
    report(
        "certificate.pdf (again: cached)",
        timed(lambda: client.get(f"/me/people/{pid}/certificate.pdf"), n),
        baseline,
    )

    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            return

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    root = f"http://127.0.0.1:{server.server_port}"

    def fetch(path: str) -> Callable[[], object]:
        def get() -> object:
            with urllib.request.urlopen(root + path, timeout=10) as response:
                return response.read()

        return get

    print("over HTTP on loopback (werkzeug threaded server, one client):")
    SECTION[0] = "http"
    http_health = timed(fetch("/health"), n)
    http_baseline = statistics.median(http_health)
    report("/health (baseline)", http_health, http_baseline)
    report("/statistics", timed(fetch("/statistics"), max(20, n // 5)), http_baseline)
    report("/trust-list (cached)", timed(fetch("/trust-list"), n), http_baseline)
    server.shutdown()
    FIGURES["people"] = float(args.people)
    from figures import emit  # benchmarks/figures.py: the line run_all.py reads

    emit(FIGURES)


if __name__ == "__main__":
    main()
