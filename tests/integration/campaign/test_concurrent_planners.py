"""Two planners at once never book more doses than a site holds (the site's booking lock).

What went wrong: a site holding 5 doses with 3 places a day; one planner planned Monday while another
planned Tuesday. Each read "5 free" from the views before the other's bookings were written, and each
booked 3: 6 appointments for 5 doses. The interleaving is forced, not hoped for: the first planner,
having read what is free, starts the second and lets it run until it finishes or waits for the site's
lock; only then does the first write. Without the lock the second books in between (the old code);
with it the second waits, then reads the first's bookings.

Each planner has its own ledger and views on the same database (two web workers), on SQLite and
PostgreSQL; on memory they share one (one process). A second test checks the lock itself across
processes with the stores' own non-blocking probes.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import psycopg.conninfo
import pytest

from ledger.application import Ledger
from ledger.campaign import site_locks
from ledger.campaign.errors import NoStock
from ledger.campaign.site_locks import SiteLocks
from ledger.campaign.values import Session
from ledger.settings import parse_database_url
from projections import plan_queries, site_stock_queries
from projections.store import open_view_store
from services.campaign import CampaignService
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, Story
from tests.integration.campaign.test_move_story import mine

TRUC_BACH = "00004"


def small_site(s: Story, places: int = 3, product: str = "BBIBP-CorV") -> UUID:
    """A site holding 5 doses, `places` a day, and 10 people of its ward waiting."""
    site = UUID(
        s.service.add_site(
            code="VN-01-0004",
            name="Trạm Y tế Trúc Bạch",
            ward_code=TRUC_BACH,
            address="1 Trúc Bạch",
            sessions=[Session("morning", "07:30", "11:30", places)],
            actor=OFFICER,
        ).site_id
    )
    s.ledger.receive_lot(
        product=product,
        lot_number="SMALL-1",
        expiry=date(2022, 3, 1),
        site_id=site,
        quantity=5,
        actor=ADMIN,
        idempotency_key="small-lot",
    )
    for _ in range(10):
        person = s.person(ward_code=TRUC_BACH)
        s.service.register(person=person, group="HEALTH_WORKER", actor=ADMIN)
        s.clock.now += timedelta(minutes=1)
    return site


def booked(s: Story, site: UUID, days: list[date]) -> int:
    s.service.refresh()
    total = 0
    for day in days:
        plan = plan_queries.day_plan(s.store, site, day)
        total += sum(
            1 for x in (plan.sessions if plan else []) for a in x.appointments if a.status == "booked"
        )
    return total


@pytest.fixture
def second(story: Story, database_url: str, tmp_path: Path) -> Iterator[CampaignService]:
    """A second planner: its own ledger and views on the same database (the same one in memory)."""
    if parse_database_url(database_url).kind == "memory":
        yield story.service
        return
    ledger = Ledger(database_url, clock=story.clock, key_dir=tmp_path / "keys")
    store = open_view_store(parse_database_url(database_url))
    try:
        yield CampaignService(ledger, store)
    finally:
        store.close()
        ledger.close()


def run_forced(
    s: Story, second_writer: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[BaseException], threading.Thread, threading.Event]:
    """Plan Monday at the small site; once its planner has read what is free (and before it books), run
    `second_writer` on another thread until it finishes or asks for the site's lock."""
    read = site_stock_queries.stock
    other_waiting = threading.Event()
    hold = SiteLocks.hold
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            second_writer()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    other = threading.Thread(target=run_second)

    def hold_watched(self: SiteLocks, site_ids: Any) -> Any:
        if threading.current_thread() is other:
            other_waiting.set()  # the second writer asks for the lock (and waits, if the first holds it)
        return hold(self, site_ids)

    first_read = threading.Event()

    def stock_then_let_the_other_run(*args: Any, **kwargs: Any) -> Any:
        rows = read(*args, **kwargs)
        if threading.current_thread() is threading.main_thread() and not first_read.is_set():
            first_read.set()
            other.start()  # the first planner has read what is free and not booked yet
            while other.is_alive() and not other_waiting.is_set():
                other.join(0.01)
            # With the lock the other now waits for it (the join below just lets it reach the wait);
            # without the lock it runs to its end before the first planner writes.
            other.join(2.0)
        return rows

    monkeypatch.setattr(site_stock_queries, "stock", stock_then_let_the_other_run)
    monkeypatch.setattr(SiteLocks, "hold", hold_watched)
    return errors, other, first_read


def test_two_planners_of_one_site_at_once_never_book_more_than_its_stock(
    story: Story, second: CampaignService, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = story  # on memory, SQLite and PostgreSQL
    site = small_site(s)
    tuesday = MONDAY + timedelta(days=1)
    read = site_stock_queries.stock
    errors, other, first_read = run_forced(
        s, lambda: second.plan_day(site, tuesday, actor=OFFICER), monkeypatch
    )
    s.service.plan_day(site, MONDAY, actor=OFFICER)  # the old code: AlreadyBooked (the other took them)
    other.join()
    assert not errors, errors
    assert first_read.is_set()
    # 5 doses: Monday 3 and Tuesday 2.
    assert booked(s, site, [MONDAY, tuesday]) == 5
    rows = [
        r for r in read(s.store, MONDAY, today=s.ledger.today(), site_id=site) if r.product == "BBIBP-CorV"
    ]
    assert [(r.on_hand, r.booked, r.free) for r in rows] == [(5, 5, 0)]


def test_a_move_into_the_site_while_it_is_planned_never_overbooks(
    story: Story, second: CampaignService, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = story
    elsewhere = s.person()  # booked at the story's own site (ward Phúc Xá), then moving to Trúc Bạch
    s.service.register(person=elsewhere, group="HEALTH_WORKER", actor=ADMIN)
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    appointment = mine(s, elsewhere)
    product = s.service.appointment(appointment).product
    site = small_site(s, places=5, product=product)
    tuesday = MONDAY + timedelta(days=1)
    read = site_stock_queries.stock
    errors, other, _ = run_forced(
        s,
        lambda: second.move_appointment(
            appointment, site_id=site, day=tuesday, session="morning", actor=ADMIN
        ),
        monkeypatch,
    )
    s.service.plan_day(site, MONDAY, actor=OFFICER)
    other.join()
    # Monday took all 5 doses; the move, waiting for the lock, then found none free (the old code: 6 booked).
    assert [type(e) for e in errors] == [NoStock]
    assert booked(s, site, [MONDAY, tuesday]) == 5
    rows = [r for r in read(s.store, MONDAY, today=s.ledger.today(), site_id=site) if r.product == product]
    assert [(r.on_hand, r.booked, r.free) for r in rows] == [(5, 5, 0)]


def _hold_in_child(url: str, site: str, held: Any, release: Any) -> None:
    locks = SiteLocks(parse_database_url(url))
    with locks.hold([UUID(site)]):
        held.set()
        release.wait(60)


def test_the_site_lock_holds_across_processes(database_url: str) -> None:
    settings = parse_database_url(database_url)
    if settings.kind == "memory":
        pytest.skip("one process: the memory store has no other process to exclude")
    site = UUID("6a3f7c1e-0000-4000-8000-000000000001")
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    child = context.Process(target=_hold_in_child, args=(settings.url, str(site), held, release))
    child.start()
    try:
        assert held.wait(60)
        key = site_locks.slot(site)
        if settings.kind == "postgres":
            info = psycopg.conninfo.make_conninfo(**settings.connection_kwargs())
            with psycopg.connect(info, autocommit=True) as conn:
                probe = "SELECT pg_try_advisory_lock(%s, %s)"
                taken = conn.execute(probe, (site_locks._NAMESPACE, key)).fetchone()
                assert taken == (False,)  # the child holds it
                release.set()
                child.join(60)
                assert conn.execute(probe, (site_locks._NAMESPACE, key)).fetchone() == (True,)
        else:
            import fcntl
            import os

            fd = os.open(f"{settings.sqlite_path}.site-locks", os.O_RDWR)
            try:
                with pytest.raises(OSError):
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, key)
                release.set()
                child.join(60)
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, key)  # free once the child let go
            finally:
                os.close(fd)
    finally:
        release.set()
        child.join(60)
