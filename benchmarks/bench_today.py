"""The site staff's "today" page (`/staff/today`) at 400 appointments, beside a plain-SQL baseline.

  the page    GET /staff/today through the Flask client, signed in as the site's staff: the day's
              appointments from the views, the people's names decrypted per request, 400 cards
              rendered (goal <= 100 ms on SQLite). The service's day read and names read are timed on
              their own lines, so a regression shows where it is.
  baseline    a bare SELECT of the same 400 appointment rows from the same SQLite file, in the same run.

One site, 2 sessions x 200 places, 400 people registered and planned on one day (setup not timed).
SQLite files in a temporary directory.

Usage: .venv/bin/python benchmarks/bench_today.py [--people 400] [--repeat 30]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.records import PersonRequest
from ledger.values import Actor, Role
from services.campaign import CampaignService
from tests.e2e.web.conftest import make_app, sign_in_as
from web import today_cards

NOW = datetime(2021, 8, 2, 1, 0, tzinfo=UTC)  # Monday 2 August 2021, 08:00 in Hà Nội
DAY = date(2021, 8, 2)
SYSTEM = Actor("bench", Role.SYSTEM)
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Ngọc", "Đức", "Thanh", "Quốc", "Gia", "Bảo")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Lan", "Mai", "Nam")


def name(n: int) -> str:
    return f"{FAMILY[n % 10]} {MIDDLE[n // 10 % 10]} {GIVEN[n // 100 % 10]}"


def median_ms(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(wall, CPU) medians in ms: the machine may be shared, and CPU time shows what the code costs."""
    run()  # warm (templates compiled, connections opened)
    times, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        run()
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return statistics.median(times) * 1000, statistics.median(cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=400, help="appointments on the day (2 sessions)")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests (median reported)")
    parser.add_argument(
        "--profile", choices=("page", "names"), help="print a cProfile of the page (or the names) instead"
    )
    parser.add_argument("--sort", default="cumulative", help="the profile's order (cumulative, tottime)")
    parser.add_argument("--html", help="also write the page to this file (to compare two versions)")
    args = parser.parse_args()
    capacity = (args.people + 1) // 2
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp)
        url = f"sqlite:///{path / 'ledger.db'}"
        ledger = Ledger(url, clock=lambda: NOW, key_dir=path / "ledger-keys")
        app = make_app(path, ledger, IMMUNIZE_DATABASE_URL=url)
        backend = app.extensions["immunize"].backend
        service = CampaignService(backend.ledger, backend.views)
        site = service.add_site(
            code="BENCH-TODAY",
            name="Trạm Y tế Phúc Xá",
            ward_code="00001",
            address="1 Nghĩa Dũng",
            sessions=[
                Session("morning", "07:30", "11:30", capacity),
                Session("afternoon", "13:30", "16:30", capacity),
            ],
            actor=SYSTEM,
        )
        ledger.receive_lot(
            product="BBIBP-CorV",
            lot_number="SP-9",
            expiry=date(2022, 3, 1),
            site_id=uuid.UUID(site.site_id),
            quantity=2 * args.people,
            actor=SYSTEM,
            idempotency_key="lot",
        )
        requests = [
            PersonRequest(
                national_id=f"001{n:09d}",
                full_name=name(n),
                date_of_birth="1970-01-01",
                sex="male",
                phone=f"09{n:08d}",
                ward_code="00001",
                priority_group="HEALTH_WORKER",
            )
            for n in range(args.people)
        ]
        people = ledger.register_people(requests, actor=SYSTEM, idempotency_key="people")
        for person in people:
            service.register(person=person, group="HEALTH_WORKER", actor=SYSTEM)
        planned = service.plan_day(site.site_id, DAY, actor=SYSTEM)
        rows = sum(len(s["appointments"]) for s in planned.sessions)
        service.refresh()
        client = app.test_client()
        sign_in_as(client, "staff", site_id=site.site_id)

        def page() -> None:
            response = client.get("/staff/today")
            assert response.status_code == 200, response.status_code

        html = client.get("/staff/today").get_data(as_text=True)
        assert all(name(n) in html for n in range(args.people)), "the page does not list every name"

        if args.html:
            Path(args.html).write_text(html, encoding="utf-8")
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(10):
                page() if args.profile == "page" else service.names(service.day(site.site_id, DAY))
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(
                int(__import__("os").environ.get("BENCH_ROWS", "40"))
            )
            return

        page_ms = median_ms(page, args.repeat)
        day_ms = median_ms(lambda: service.day(site.site_id, DAY), args.repeat)
        day = service.day(site.site_id, DAY)
        names_ms = median_ms(lambda: service.names(day), args.repeat)
        names = service.names(day)
        assert day is not None
        cards = today_cards.CardPage(
            words={
                k: k for k in ("person", "dose", "check_in", "lot", "record_dose", "no_show", "came_late")
            },
            status_text={k: k for k in today_cards.STATUSES},
            product_name=str,
            no_lot=str,
            lots=service.lots_at(site.site_id),
            token="token",
            person_url="/desk/people/PERSON",
            actions={
                a: f"/staff/today/APPOINTMENT/{a}" for a in ("check-in", "dose", "no-show", "came-late")
            },
            closed=False,
        )
        cards_ms = median_ms(
            lambda: [today_cards.render(x.appointments, names, cards) for x in day.sessions], args.repeat
        )
        table = backend.views.table("campaign_appointments")  # the views share the ledger's file
        conn = sqlite3.connect(path / "ledger.db")
        bare_ms = median_ms(
            lambda: conn.execute(
                f"SELECT * FROM {table} WHERE site_id = ? AND day = ? ORDER BY seq",
                (site.site_id, DAY.isoformat()),
            ).fetchall(),
            args.repeat,
        )
        conn.close()
        print(f"bench_today: one site, {rows} appointments on {DAY.isoformat()} (SQLite)")
        print(
            f"  GET /staff/today: {page_ms[0]:.1f} ms median of {args.repeat} (CPU {page_ms[1]:.1f} ms); "
            "goal <= 100 ms"
        )
        print(
            f"    of which the day's appointments (service.day): {day_ms[0]:.1f} ms (CPU {day_ms[1]:.1f} ms)"
        )
        print(
            f"    of which the {rows} names decrypted (service.names): {names_ms[0]:.1f} ms "
            f"(CPU {names_ms[1]:.1f} ms)"
        )
        print(
            f"    of which the {rows} cards written (web.today_cards): {cards_ms[0]:.1f} ms (CPU {cards_ms[1]:.1f} ms)"
        )
        print(
            f"  bare SELECT of the same {rows} rows: {bare_ms[0]:.2f} ms (CPU {bare_ms[1]:.2f} ms)  "
            f"(ratio {page_ms[0] / bare_ms[0]:,.0f}x)"
        )
        from figures import emit  # benchmarks/figures.py: the line run_all.py reads

        emit(
            {
                "appointments": float(rows),
                "page_ms": page_ms[0],
                "page_cpu_ms": page_ms[1],
                "bare_select_ms": bare_ms[0],
            }
        )
        ledger.close()


if __name__ == "__main__":
    main()
