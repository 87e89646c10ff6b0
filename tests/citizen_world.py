"""A family on one phone for the citizen's pages' statement counts and timings (tests/e2e/web/
test_citizen_statements.py, benchmarks/bench_citizen_pages.py): a mother with a booked visit (moved
between sites as many times as asked), dependants with doses and visits, a stranger on another phone;
three campaign sites with Pfizer in stock; the clock fixed at Sunday 1 August 2021, 10:00 in Viet Nam.
And a counter of the SQL statements the pages send."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from projections.registry import catch_up_views
from services.campaign import CampaignService
from tests.e2e.web.conftest import make_app, sign_in_as

ADMIN = Actor("admin", LedgerRole.ADMIN)
OFFICER = Actor("officer", LedgerRole.PROVINCE_OFFICER, province_code="01")
PFIZER = "EU/1/20/1528"
PHONE = "0912000555"
STRANGER_PHONE = "0912000666"
CHILDREN = ("Phạm Minh Khang", "Phạm Thu Hà", "Phạm Đức Anh")
# The log's head (unless followed), the household, the record, its data key (looked up again 2 s after
# the last time), doses with site names, certificates, visits.
PERSON_PAGE_MOST = 7
# The head (unless followed), holders, dependants, the records (one read; PostgreSQL adds its `SET LOCAL jit
# = off`), their data keys (one read), doses of everyone.
FAMILY_LIST_MOST = 7


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2021, 8, 1, 3, 0, tzinfo=UTC)  # Sunday 1 August 2021, 10:00 in Viet Nam

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Counter:
    """Statements sent to the database while `on` (SQLite's trace, psycopg's cursors)."""

    on: bool = False
    sent: list[str] = field(default_factory=list)
    # Only the requesting thread's statements: the connection pool opens connections in its own
    # worker threads and sets each one up with a statement (eventsourcing's `SET
    # idle_in_transaction_session_timeout`), which lands inside a counted request only when the
    # pool is still filling, as under load (a count of 7 for 6 was seen, once in a few runs).
    thread: int | None = None

    def note(self, sql: object) -> None:
        text = str(sql).strip()
        if (
            self.on
            and threading.get_ident() == self.thread
            and text.split(" ", 1)[0].upper()
            not in (
                "BEGIN",
                "COMMIT",
                "ROLLBACK",
                "SAVEPOINT",
                "RELEASE",
            )
        ):
            self.sent.append(text)

    def count(self, world: World, path: str, **headers: str) -> tuple[int, str]:
        """The statements of one request to `path`, made as a visit a few seconds after the last one:
        the people's data keys cached by this process are looked up again (`World.later`)."""
        world.later()
        self.sent.clear()
        self.thread = threading.get_ident()
        self.on = True
        try:
            response = world.client.get(path, headers=headers)
        finally:
            self.on = False
        assert response.status_code == 200, path
        return len(self.sent), text_of(response.get_data(as_text=True))


def text_of(html: str) -> str:
    """The page as read: tags left out, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def install_counter(found: Counter, patch: Callable[[Any, str, Any], None]) -> None:
    """Count every statement of connections opened from now on (SQLite: each connection's trace;
    PostgreSQL: psycopg's cursors); `patch(owner, name, value)` sets an attribute (pytest's
    monkeypatch.setattr, or setattr in a benchmark)."""
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn: sqlite3.Connection = real_connect(*args, **kwargs)
        conn.set_trace_callback(found.note)
        return conn

    patch(sqlite3, "connect", connect)
    for name in ("execute", "executemany"):
        real = getattr(psycopg.Cursor, name)

        def counting(self: Any, query: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            found.note(query if isinstance(query, str) else type(query).__name__)
            return _real(self, query, *args, **kwargs)

        patch(psycopg.Cursor, name, counting)


class Seconds:
    """The process's monotonic seconds as the ledger's key cache reads them, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    ledger: Ledger
    client: FlaskClient
    mother: UUID
    children: list[UUID]
    stranger: UUID
    sites: list[str]
    seconds: Seconds

    def later(self) -> None:
        """Three seconds on: every person's cached data key is due to be looked up again
        (ledger.personaldata.RECHECK_SECONDS), as on a citizen's next page a few seconds later."""
        self.seconds.now += 3.0


def build(
    tmp_path: Path,
    url: str,
    *,
    children: int,
    moves: int,
    followed: bool,
    child_doses: tuple[int, ...] = (),
) -> World:
    """A mother (dose 1 given, dose 2 booked for tomorrow morning, moved `moves` times between
    sites), `children` dependants each with a dose and a booked appointment, and a stranger with
    their own booked appointment on another phone. With `child_doses`, the children get that many
    doses each and no appointment."""
    clock = Clock()
    ledger = Ledger(url, key_dir=tmp_path / "lk", clock=clock)
    seconds = Seconds()
    ledger.keys._monotonic = seconds  # the key ring's own seam (a parameter of KeyRing)
    # Nothing counted depends on real time: the web reads the same fixed clock (the views' freshness is
    # sampled once a second of it), and the session version is trusted a minute (not the default 2 s
    # of the process's own monotonic time) so the count does not depend on how long the set-up took.
    app = make_app(
        tmp_path,
        ledger,
        IMMUNIZE_DATABASE_URL=url,
        VIEWS_FOLLOWED=followed,
        SESSION_CHECK_SECONDS=60.0,
        CLOCK=clock,
    )
    backend = app.extensions["immunize"].backend
    service = CampaignService(backend.ledger, backend.views)
    sites = [
        service.add_site(
            code=f"VN-01-000{n}",
            name=f"Trạm Y tế số {n}",
            ward_code="00001",
            address=f"Số {n} Nghĩa Dũng",
            sessions=[Session("morning", "07:30", "11:30", 10), Session("afternoon", "13:30", "16:30", 10)],
            actor=OFFICER,
        ).site_id
        for n in (1, 2, 3)
    ]
    lots = [
        ledger.receive_lot(
            product=PFIZER,
            lot_number=f"FK{n}",
            expiry=date(2022, 3, 1),
            site_id=UUID(site),
            quantity=50,
            actor=ADMIN,
            idempotency_key=f"lot-{n}",
        )
        for n, site in enumerate(sites)
    ]

    def person(name: str, key: str, *, phone: str | None = None, guardian: UUID | None = None) -> UUID:
        return ledger.register_person(
            national_id=None if guardian else ("001185000555" if phone == PHONE else "001185000666"),
            full_name=name,
            date_of_birth="2008-06-07" if guardian else "1985-02-03",
            sex="female",
            phone=phone,
            ward_code="00001",
            priority_group="OTHER",
            actor=ADMIN,
            idempotency_key=key,
            guardian_id=guardian,
            relationship="child" if guardian else None,
        )

    mother = person("Phạm Thị Hoa", "mother-1", phone=PHONE)
    kids = [person(CHILDREN[n], f"child-{n}", guardian=mother) for n in range(children)]
    stranger = person("Trần Văn Bình", "stranger-2", phone=STRANGER_PHONE)
    nurse = Actor("nurse", LedgerRole.VACCINATOR, UUID(sites[0]))
    given = [
        (mother, 1),
        *((kid, child_doses[n] if child_doses else 1) for n, kid in enumerate(kids)),
        (stranger, 1),
    ]
    for n, (who, count) in enumerate(given):
        for number in range(1, count + 1):
            ledger.record_dose(
                person_id=who,
                dose_number=number,
                product=PFIZER,
                lot_id=lots[0],
                administered_on=date(2021, 7, 1) if number == count else date(2021, 6, 1),
                site_id=UUID(sites[0]),
                actor=nurse,
                idempotency_key=f"dose-{n}-{number}",
            )
    registered = [mother, stranger] + ([] if child_doses else kids) if children or moves else [mother]
    for who in registered:
        service.register(person=who, group="OTHER", actor=ADMIN)
    service.plan_day(sites[0], date(2021, 8, 2), actor=OFFICER)
    own = Actor(str(mother), LedgerRole.CITIZEN)
    for n in range(moves):  # history: each move cancels one appointment and books another
        booked = next(a for a in service.my_appointments(mother) if a.status == "booked")
        target = sites[(n + 1) % len(sites)]
        service.move_appointment(
            booked.appointment_id, site_id=target, day=date(2021, 8, 3 + n), session="afternoon", actor=own
        )
    if moves:  # back to tomorrow morning, the first site: the page shows the same visit as the small world
        booked = next(a for a in service.my_appointments(mother) if a.status == "booked")
        service.move_appointment(
            booked.appointment_id, site_id=sites[0], day=date(2021, 8, 2), session="morning", actor=own
        )
    read = app.extensions["immunize"].platform.read
    catch_up_views(ledger, read.views, None, keys=read.keys)  # as a follower would
    client = app.test_client()
    sign_in_as(client, "citizen", phone=PHONE)
    for path in (f"/me/people/{mother}", "/me/"):  # warm: first requests open connections and tables
        client.get(path)
    return World(ledger, client, mother, kids, stranger, sites, seconds)
