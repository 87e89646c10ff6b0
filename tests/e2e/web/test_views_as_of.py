"""Pages read from the follower's views say how fresh they are while the follower is behind the log
(web.read_your_writes.Freshness): "Số liệu tính đến HH:MM:SS" (Viet Nam time) on signed-in pages,
`X-Immunize-As-Of` on JSON answers, nothing when the views are at the head. Sampled at most once a
second per worker: no statement per request.

No follower runs here: the test plays it (`follow`), and moves the sampler's clock by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from ledger.values import Actor, Role
from tests.e2e.web.test_followed_reads import follow, staff_api, without_doses, world  # noqa: F401
from web.read_your_writes import Freshness


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 7, 0, 0, tzinfo=UTC)  # 14:00:00 in Viet Nam

    def __call__(self) -> datetime:
        return self.now


def dose_elsewhere(made: dict[str, Any], person: UUID, key: str) -> None:
    """A dose written by another worker: the log moves, the follower has not applied it yet."""
    made["ledger"].record_dose(
        person_id=person,
        dose_number=1,
        product="EU/1/20/1528",
        lot_id=UUID(made["lot"]),
        administered_on=made["ledger"].today(),
        site_id=UUID(made["site"]),
        actor=Actor("nurse-elsewhere", Role.VACCINATOR, site_id=UUID(made["site"])),
        idempotency_key=key,
    )


def desk(client: Any) -> str:
    page = client.get("/desk/")
    assert page.status_code == 200
    return str(page.get_data(as_text=True))


def stamp(html: str) -> str | None:
    marker = 'id="views-as-of">'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split("<", 1)[0]


def test_the_stamp_says_when_the_views_were_last_at_the_logs_head(world: dict[str, Any]) -> None:  # noqa: F811
    app, read = world["app"], world["read"]
    clock = Clock()
    freshness = Freshness(read, clock)
    app.extensions["immunize_freshness"] = freshness
    client, _ = staff_api(app, world["site"])
    first, second = without_doses(world["ledger"], 2)

    page = desk(client)
    assert stamp(page) is None  # at the head: nothing to say
    assert "X-Immunize-As-Of" not in client.get(f"/api/v1/desk/people/{first}").headers

    dose_elsewhere(world, first, "as-of-1")
    clock.now += timedelta(seconds=1)  # 14:00:01: this sample finds the views behind
    page = desk(client)
    assert stamp(page) == "Số liệu tính đến 14:00:00; việc vừa ghi có thể chưa hiện ở đây."
    answer = client.get(f"/api/v1/desk/people/{first}")
    assert answer.headers["X-Immunize-As-Of"] == "2026-11-30T07:00:00+00:00"

    clock.now += timedelta(seconds=5)  # 14:00:06: still behind, still as of 14:00:00
    assert stamp(desk(client)) == ("Số liệu tính đến 14:00:00; việc vừa ghi có thể chưa hiện ở đây.")
    dose_elsewhere(world, second, "as-of-2")
    follow(read)  # the follower catches up: the views hold what the log held at 14:00:06
    clock.now += timedelta(seconds=1)
    assert stamp(desk(client)) is None


def test_a_follower_that_stopped_leaves_the_stamp_where_it_stopped(world: dict[str, Any]) -> None:  # noqa: F811
    app, read = world["app"], world["read"]
    clock = Clock()
    app.extensions["immunize_freshness"] = Freshness(read, clock)
    client, _ = staff_api(app, world["site"])
    people = without_doses(world["ledger"], 3)
    assert stamp(desk(client)) is None  # 14:00:00, at the head
    for n, person in enumerate(people):
        clock.now += timedelta(minutes=1)
        dose_elsewhere(world, person, f"stopped-{n}")
        desk(client)
    clock.now += timedelta(minutes=1)
    client.set_cookie("immunize_lang", "en")
    assert stamp(desk(client)) == (
        "Figures as of 14:00:00; something recorded a moment ago may not show here yet."
    )


def test_sampled_at_most_once_a_second_whatever_the_requests(world: dict[str, Any]) -> None:  # noqa: F811
    app, read = world["app"], world["read"]
    clock = Clock()
    freshness = Freshness(read, clock)
    app.extensions["immunize_freshness"] = freshness
    client, _ = staff_api(app, world["site"])
    for _ in range(5):
        desk(client)
        assert client.get("/api/v1/desk/lots").status_code == 200
    assert freshness.samples == 1
    clock.now += timedelta(seconds=1)
    client.get("/api/v1/desk/lots")
    assert freshness.samples == 2


def test_visitors_not_signed_in_get_no_stamp(world: dict[str, Any]) -> None:  # noqa: F811
    app, read = world["app"], world["read"]
    clock = Clock()
    freshness = Freshness(read, clock)
    app.extensions["immunize_freshness"] = freshness
    [person] = without_doses(world["ledger"], 1)
    dose_elsewhere(world, person, "public-1")
    page = app.test_client().get("/")
    assert stamp(page.get_data(as_text=True)) is None
    assert freshness.samples == 0  # public bytes never ask
