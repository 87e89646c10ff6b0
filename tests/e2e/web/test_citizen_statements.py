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

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services.campaign import CampaignService
from tests.citizen_world import (
    CHILDREN,
    FAMILY_LIST_MOST,
    PERSON_PAGE_MOST,
    STRANGER_PHONE,
    Counter,
    build,
    install_counter,
    text_of,
)
from tests.e2e.web.conftest import sign_in_as


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Counter:
    found = Counter()
    install_counter(found, monkeypatch.setattr)
    return found


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
    person_small, page_small = counter.count(small, f"/me/people/{small.mother}")
    family_small, _ = counter.count(small, "/me/")
    large = build(tmp_path / "large", store("large"), children=3, moves=3, followed=followed)
    person_large, page_large = counter.count(large, f"/me/people/{large.mother}")
    family_large, listing = counter.count(large, "/me/")

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
    assert "Phạm Minh Khang Dependant · 7 Jun 2008 Green 2 doses" in english_list


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


def test_a_move_the_citizen_just_made_shows_at_once_though_no_follower_ran(
    store: Callable[[str], str], tmp_path: Path
) -> None:
    """Followed views: the person page reads the follower's position, except after the caller's own
    write about that person (web.read_your_writes): then the campaign's views are caught up too."""
    world = build(tmp_path, store("moved"), children=0, moves=0, followed=True)
    page = text_of(world.client.get(f"/me/people/{world.mother}").get_data(as_text=True))
    assert "Buổi sáng 07:30–11:30, 02/08/2021 · Trạm Y tế số 1 ·" in page
    visit = world.client.get(f"/api/v1/me/people/{world.mother}/appointments").get_json()
    booked = next(a for a in visit["appointments"] if a["status"] == "booked")
    token = world.client.get("/api/v1/session").get_json()["csrf_token"]
    moved = world.client.post(
        f"/api/v1/me/people/{world.mother}/appointments/{booked['appointment_id']}/move",
        json={"site_id": world.sites[1], "date": "2021-08-03", "session": "afternoon"},
        headers={"X-CSRFToken": token},
    )
    assert moved.status_code == 200, moved.get_data(as_text=True)
    page = text_of(world.client.get(f"/me/people/{world.mother}").get_data(as_text=True))
    assert "Lịch tiêm sắp tới: Buổi chiều 13:30–16:30, 03/08/2021 · Trạm Y tế số 2 ·" in page
    assert "02/08/2021" not in page


def test_a_page_without_visits_leaves_the_campaigns_views_to_the_page_that_shows_them(
    store: Callable[[str], str], tmp_path: Path
) -> None:
    """Self-refreshed: the family list catches up only the read views; the person page after it still
    catches up the campaign's (their own position, not the read views'), so a move made elsewhere (staff,
    another process) shows."""
    world = build(tmp_path, store("memo"), children=0, moves=0, followed=False)
    app = world.client.application
    backend = app.extensions["immunize"].backend
    service = CampaignService(backend.ledger, backend.views)
    booked = next(a for a in service.my_appointments(world.mother) if a.status == "booked")
    service.move_appointment(
        booked.appointment_id,
        site_id=world.sites[2],
        day="2021-08-04",
        session="afternoon",
        actor=Actor(str(world.mother), LedgerRole.CITIZEN),
    )
    assert "Phạm Thị Hoa" in text_of(world.client.get("/me/").get_data(as_text=True))
    page = text_of(world.client.get(f"/me/people/{world.mother}").get_data(as_text=True))
    assert "Lịch tiêm sắp tới: Buổi chiều 13:30–16:30, 04/08/2021 · Trạm Y tế số 3 ·" in page
