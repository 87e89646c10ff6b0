"""Per-route cost of the surge mix, in-process: statements sent to the database and CPU per request.

    .venv/bin/python benchmarks/profile_surge.py [--scale 0.00002] [--requests 50] [--from-template URL
        --key-dir DIR] [--json]

The surge benchmark measures latency through a real server on a shared machine, where the load of
other processes decides most of a p99. This says what each route itself costs, independent of that
load: the mean number of SQL statements a request sends (counted on psycopg's cursors and
connections) and its mean CPU time in this process (`time.thread_time`), per route of the surge mix
plus the citizen's HTML pages and the public pages. The views are caught up first and the app runs
with `VIEWS_FOLLOWED` as under `serve --followers`; nothing writes meanwhile, except the dose route.

It builds a small world like bench_surge (a throwaway PostgreSQL cluster, `immunize simulate`,
surge_world.prepare), or copies an already simulated database (--from-template, dropped at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

STATEMENTS: Counter[str] = Counter()


def count_statements() -> None:
    """Count every statement psycopg sends (cursor and connection `execute`, `executemany`)."""
    import psycopg

    def counted(cls: Any, name: str) -> None:
        original = getattr(cls, name)

        def wrapper(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            STATEMENTS["n"] += 1
            text = (
                query if isinstance(query, str) else getattr(query, "as_string", lambda _c: str(query))(None)
            )
            STATEMENTS[" ".join(str(text).split())[:90]] += 1
            return original(self, query, *args, **kwargs)

        setattr(cls, name, wrapper)

    for cls in (psycopg.Cursor, psycopg.ClientCursor, psycopg.ServerCursor):
        counted(cls, "execute")
        counted(cls, "executemany")
    counted(psycopg.Connection, "execute")


@contextmanager
def measured() -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    STATEMENTS.clear()
    cpu, wall = time.thread_time(), time.perf_counter()
    yield out
    out["cpu_ms"] = (time.thread_time() - cpu) * 1000
    out["wall_ms"] = (time.perf_counter() - wall) * 1000
    out["statements"] = STATEMENTS["n"]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.00002)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--from-template", default="")
    parser.add_argument("--key-dir", default="")
    parser.add_argument("--show-statements", default="", help="a route name: print its statements")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from bench_surge import Store

    workdir = Path(tempfile.mkdtemp(prefix="profile-surge-"))
    store = Store("postgresql", workdir, args.from_template)
    try:
        rows = run(args, store.url, workdir)
    finally:
        store.stop()
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{'route':<32} {'statements':>10} {'cpu ms':>8} {'wall ms':>8}  (mean of {args.requests}; load {os.getloadavg()[0]:.1f})"
    )
    for row in rows:
        print(f"{row['route']:<32} {row['statements']:>10} {row['cpu_ms']:>8} {row['wall_ms']:>8}")


def run(args: argparse.Namespace, url: str, workdir: Path) -> list[dict[str, Any]]:
    env = {
        **os.environ,
        "IMMUNIZE_DATABASE_URL": url,
        "IMMUNIZE_KEY_DIR": str(workdir / "keys"),
        "IMMUNIZE_KEY_PASSPHRASE": os.environ.get("IMMUNIZE_KEY_PASSPHRASE") or "profile-surge-passphrase",
    }
    os.environ["IMMUNIZE_KEY_PASSPHRASE"] = env["IMMUNIZE_KEY_PASSPHRASE"]
    bin_dir = Path(sys.executable).parent
    if args.from_template:
        import shutil

        shutil.copytree(args.key_dir, workdir / "keys")
    else:
        command = [
            "simulate",
            "--scale",
            str(args.scale),
            "--days",
            str(args.days),
            "--seed",
            "1",
            "--end",
            "today",
        ]
        subprocess.run([str(bin_dir / "immunize"), *command], env=env, check=True, capture_output=True)
    from surge_world import prepare, views_at_head

    world = prepare(url, workdir / "keys", citizens=4, waiting=args.requests + 20)
    views_at_head(url, workdir / "keys")

    from ledger.application import Ledger
    from web import create_app
    from web.roles import SESSION_VERSION, Principal, Role, session_account
    from web.signin import seal

    ledger = Ledger(url, key_dir=workdir / "keys")
    app = create_app(
        {
            "IMMUNIZE_DATABASE_URL": url,
            "IMMUNIZE_KEY_DIR": str(workdir / "keys"),
            "LEDGER": ledger,
            "MESSAGE_SENDER": "memory",
            "SESSION_COOKIE_SECURE": False,
            "VIEWS_FOLLOWED": True,
            "ADMISSION": False,
        }
    )
    accounts = app.extensions["immunize"].accounts
    accounts.add_staff("bench.staff", "profile-surge-pw", Role.STAFF, site_id=world.site_id, replace=True)

    def signed_in(role: Role, subject: str, *, site_id: str = "", phone: str = "") -> Any:
        client = app.test_client()
        with app.test_request_context():
            sealed = seal(phone) if phone else ""
        version = accounts.session_version(session_account(Principal(role, subject)))
        with client.session_transaction() as session:
            session["principal"] = {
                "role": role.value,
                "subject": subject,
                "site_id": site_id,
                "province_code": "",
                "display": subject,
            }
            session[SESSION_VERSION] = version
            if sealed:
                session["phone"] = sealed
        return client

    person_id, phone = world.citizens[0]
    citizen = signed_in(Role.CITIZEN, accounts.key_for("phone", phone), phone=phone)
    staff = signed_in(Role.STAFF, "bench.staff", site_id=world.site_id)
    public = app.test_client()
    english = app.test_client()
    english.set_cookie("immunize_lang", "en")
    token = staff.get("/api/v1/session").get_json()["csrf_token"]
    issued = citizen.post(
        f"/api/v1/me/people/{person_id}/certificate",
        headers={"X-CSRFToken": citizen.get("/api/v1/session").get_json()["csrf_token"]},
    )
    assert issued.status_code == 200, issued.get_data(as_text=True)[:300]
    waiting = list(world.waiting)
    today = ledger.today().isoformat()

    def dose() -> Any:
        pid = waiting.pop()
        return staff.post(
            f"/api/v1/desk/people/{pid}/doses",
            json={
                "lot_id": world.lot_id,
                "given_on": today,
                "dose_number": "1",
                "idempotency_key": f"p-{pid}",
            },
            headers={"X-CSRFToken": token},
        )

    routes: list[tuple[str, Callable[[], Any]]] = [
        ("public / (home)", lambda: public.get("/")),
        ("public statistics page", lambda: public.get("/statistics")),
        ("public statistics page en", lambda: english.get("/statistics")),
        ("public statistics JSON", lambda: public.get("/api/v1/statistics")),
        ("public revocation list", lambda: public.get("/revocation-list")),
        ("public priority", lambda: public.get("/priority")),
        ("citizen health book (API)", lambda: citizen.get(f"/api/v1/me/people/{person_id}")),
        ("citizen certificate.png", lambda: citizen.get(f"/me/people/{person_id}/certificate.png")),
        ("citizen certificate.pdf", lambda: citizen.get(f"/me/people/{person_id}/certificate.pdf")),
        ("citizen person page (HTML)", lambda: citizen.get(f"/me/people/{person_id}")),
        ("citizen family list (HTML)", lambda: citizen.get("/me/")),
        ("staff health book (desk API)", lambda: staff.get(f"/api/v1/desk/people/{person_id}")),
        ("staff lots (API)", lambda: staff.get("/api/v1/desk/lots")),
        ("staff record dose (API)", dose),
    ]
    rows = []
    count_statements()
    for name, call in routes:
        for _ in range(3):  # warm: templates, caches, pooled connections
            answer = call()
            assert answer.status_code < 400, (name, answer.status_code, answer.get_data(as_text=True)[:300])
        samples = []
        shown: Counter[str] = Counter()
        for _ in range(args.requests):
            with measured() as m:
                answer = call()
            assert answer.status_code < 400, (name, answer.status_code)
            samples.append(m)
            shown.update({k: v for k, v in STATEMENTS.items() if k != "n"})
        rows.append(
            {
                "route": name,
                "statements": round(statistics.mean(s["statements"] for s in samples), 1),
                "cpu_ms": round(statistics.mean(s["cpu_ms"] for s in samples), 2),
                "wall_ms": round(statistics.mean(s["wall_ms"] for s in samples), 2),
            }
        )
        if args.show_statements and args.show_statements in name:
            for text, n in shown.most_common():
                print(f"  {n / args.requests:6.1f}  {text}", file=sys.stderr)
    return rows


if __name__ == "__main__":
    main()
