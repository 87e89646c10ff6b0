"""Issue 14 (a surge reaches the citizen's pages after the public ones): the health book's person page
and the family list send a small, constant number of SQL statements, whatever the family's size, the
doses or the appointments a person has had (session 5 measured 19 for the person page: one site and
day query per visit and a campaign catch-up; and one dose query per family member on the list).

Counted on real SQLite (every statement the connections trace, transaction control left out) and
real PostgreSQL (every statement psycopg's cursors send), with the views caught up by the page
itself and with a follower keeping them (`VIEWS_FOLLOWED`). The pages still show the same things: the
next appointment with its site, session and day, the next dose due, doses per member, in Vietnamese
and English, and nobody outside the phone's household.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from projections.registry import catch_up_views
from services.campaign import CampaignService
from services.read_side import CAMPAIGN_VIEWS
from tests.e2e.web.conftest import make_app, sign_in_as

ADMIN = Actor("admin", LedgerRole.ADMIN)
OFFICER = Actor("officer", LedgerRole.PROVINCE_OFFICER, province_code="01")
PFIZER = "EU/1/20/1528"
PHONE = "0912000555"
STRANGER_PHONE = "0912000666"
CHILDREN = ("Phạm Minh Khang", "Phạm Thu Hà", "Phạm Đức Anh")
# The log's head (unless followed), the household, the record, doses with site names, certificates, visits.
PERSON_PAGE_MOST = 6
# The head (unless followed), holders, dependants, the records (one read; PostgreSQL adds its `SET LOCAL jit
# = off`), doses of everyone.
FAMILY_LIST_MOST = 6


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

    def note(self, sql: object) -> None:
        text = str(sql).strip()
        if self.on and text.split(" ", 1)[0].upper() not in (
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "SAVEPOINT",
            "RELEASE",
        ):
            self.sent.append(text)

    def count(self, client: FlaskClient, path: str, **headers: str) -> tuple[int, str]:
        self.sent.clear()
        self.on = True
        try:
            response = client.get(path, headers=headers)
        finally:
            self.on = False
        assert response.status_code == 200, path
        return len(self.sent), text_of(response.get_data(as_text=True))


def text_of(html: str) -> str:
    """The page as read: tags left out, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Counter:
    found = Counter()
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(found.note)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    for name in ("execute", "executemany"):
        real = getattr(psycopg.Cursor, name)

        def counting(self: Any, query: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            found.note(query if isinstance(query, str) else type(query).__name__)
            return _real(self, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, name, counting)
    return found


@dataclass
class World:
    ledger: Ledger
    client: FlaskClient
    mother: UUID
    children: list[UUID]
    stranger: UUID
    sites: list[str]


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
    # The session version is trusted a minute (not the default 2 s of real time): the count does not
    # depend on how long the set-up took.
    app = make_app(
        tmp_path, ledger, IMMUNIZE_DATABASE_URL=url, VIEWS_FOLLOWED=followed, SESSION_CHECK_SECONDS=60.0
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
    catch_up_views(ledger, read.views, read.names + CAMPAIGN_VIEWS, keys=read.keys)  # as a follower would
    client = app.test_client()
    sign_in_as(client, "citizen", phone=PHONE)
    for path in (f"/me/people/{mother}", "/me/"):  # warm: first requests open connections and tables
        client.get(path)
    return World(ledger, client, mother, kids, stranger, sites)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A fresh database per name: a SQLite file, or a PostgreSQL database on the session's server
    (dropped afterwards)."""
    made: list[str] = []
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None

    def url(name: str) -> str:
        if server is None:
            return f"sqlite:///{tmp_path / name}.db"
        database = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        made.append(database)
        return str(server.url(database))

    yield url
    if server is not None:
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            for database in made:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.mark.parametrize("followed", [False, True], ids=["self-refreshed", "followed"])
def test_the_person_page_and_family_list_cost_the_same_for_one_visit_and_many(
    store: Callable[[str], str], tmp_path: Path, counter: Counter, followed: bool
) -> None:
    small = build(tmp_path / "small", store("small"), children=0, moves=0, followed=followed)
    person_small, page_small = counter.count(small.client, f"/me/people/{small.mother}")
    family_small, _ = counter.count(small.client, "/me/")
    large = build(tmp_path / "large", store("large"), children=3, moves=3, followed=followed)
    person_large, page_large = counter.count(large.client, f"/me/people/{large.mother}")
    family_large, listing = counter.count(large.client, "/me/")

    assert person_small <= PERSON_PAGE_MOST, counter.sent
    assert person_large == person_small, counter.sent
    assert family_small <= FAMILY_LIST_MOST
    assert family_large == family_small, counter.sent
    # The same visit on both: tomorrow morning at the first site, after three moves on the large one.
    for page in (page_small, page_large):
        assert "Lịch tiêm sắp tới: Buổi sáng 07:30–11:30, 02/08/2021 · Trạm Y tế số 1 ·" in page
    assert all(name in listing for name in ("Phạm Thị Hoa", *CHILDREN))
    assert "Trần Văn Bình" not in listing


def test_the_pages_show_the_visit_the_next_dose_and_doses_per_member_in_both_languages(
    store: Callable[[str], str], tmp_path: Path
) -> None:
    world = build(tmp_path, store("content"), children=2, moves=2, followed=False, child_doses=(2, 0))
    mother = text_of(world.client.get(f"/me/people/{world.mother}").get_data(as_text=True))
    assert "Lịch tiêm sắp tới: Buổi sáng 07:30–11:30, 02/08/2021 · Trạm Y tế số 1 ·" in mother
    assert "Mũi 2 đến hạn" not in mother  # a booked visit, not the due date
    english = text_of(
        world.client.get(f"/me/people/{world.mother}", headers={"Accept-Language": "en"}).get_data(
            as_text=True
        )
    )
    assert "Next appointment: Morning 07:30–11:30, 2 Aug 2021 · Trạm Y tế số 1 ·" in english
    # The second child: no dose, nothing booked, nothing due. The first: a complete series, nothing due.
    for child in world.children:
        page = text_of(world.client.get(f"/me/people/{child}").get_data(as_text=True))
        assert "Lịch tiêm sắp tới" not in page
        assert "đến hạn" not in page
    # The vaccination page lists the same visit, from the same rule.
    vaccination = text_of(world.client.get(f"/me/vaccination/{world.mother}").get_data(as_text=True))
    assert "Trạm Y tế số 1" in vaccination
    assert "02/08/2021" in vaccination
    assert "03/08/2021" not in vaccination  # the moved-away appointments are not shown
    listing = text_of(world.client.get("/me/").get_data(as_text=True))
    assert "Phạm Thị Hoa Bản thân · 03/02/1985 Thẻ vàng 1 mũi" in listing
    assert "Phạm Minh Khang Người phụ thuộc · 07/06/2008 Thẻ xanh 2 mũi" in listing
    assert "Phạm Thu Hà Người phụ thuộc · 07/06/2008 Chưa tiêm 0 mũi" in listing
    assert "Trần Văn Bình" not in listing
    english_list = text_of(world.client.get("/me/", headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert "Phạm Minh Khang Dependant · 7 Jun 2008 Green 2 dose(s)" in english_list


def test_a_dose_due_shows_when_nothing_is_booked(store: Callable[[str], str], tmp_path: Path) -> None:
    world = build(tmp_path, store("due"), children=1, moves=0, followed=True, child_doses=(1,))
    page = text_of(world.client.get(f"/me/people/{world.children[0]}").get_data(as_text=True))
    assert "Mũi 2 đến hạn từ 22/07/2021." in page
    assert "Lịch tiêm sắp tới" not in page
    english = text_of(
        world.client.get(f"/me/people/{world.children[0]}", headers={"Accept-Language": "en"}).get_data(
            as_text=True
        )
    )
    assert "Dose 2 is due from 22 Jul 2021." in english


def test_only_the_phones_household_is_seen(store: Callable[[str], str], tmp_path: Path) -> None:
    world = build(tmp_path, store("household"), children=1, moves=0, followed=True)
    assert world.client.get(f"/me/people/{world.stranger}").status_code == 404
    assert world.client.get(f"/me/vaccination/{world.stranger}").status_code == 404
    assert world.client.get("/me/people/not-an-id").status_code == 404
    # The stranger's own phone sees the stranger and their visit, and not this family.
    other = world.client.application.test_client()
    sign_in_as(other, "citizen", phone=STRANGER_PHONE)
    assert other.get(f"/me/people/{world.mother}").status_code == 404
    assert other.get(f"/me/people/{world.children[0]}").status_code == 404
    page = text_of(other.get(f"/me/people/{world.stranger}").get_data(as_text=True))
    assert "Trần Văn Bình" in page
    assert "Lịch tiêm sắp tới: Buổi sáng 07:30–11:30, 02/08/2021" in page
    listing = text_of(other.get("/me/").get_data(as_text=True))
    assert "Trần Văn Bình" in listing
    assert "Phạm Thị Hoa" not in listing
