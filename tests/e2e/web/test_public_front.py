"""Public answers served whole before admission (web/public_front.py): a cached /statistics is served
even when the public class is full, an uncached public page is still shed, staff are still admitted, and
uncached public work yields to a waiting staff write. The slots are held by counting them taken, as a request
in progress does (no timing)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from keys.development import ensure_development_keys
from ledger.application import Ledger
from projections.registry import catch_up_views
from services import dashboards
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, sign_in_as
from web.admission import Admission, RouteClass
from web.public_cache import PublicCache
from web.public_front import PublicFront, _storable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    ensure_development_keys(tmp_path / "keys", datetime.now(UTC), warn=lambda line: None)
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    seed_demo(ledger, people=30, seed=5)
    app = make_app(tmp_path, ledger, ADMISSION_PUBLIC="1,0,0", ADMISSION_CITIZEN="1,0,0")
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    clock = Clock()
    app.extensions["immunize_public_cache"] = PublicCache(interval=5.0, clock=clock)
    computed = {"statistics": 0}
    real = dashboards.statistics

    def counting(*args: Any, **kwargs: Any) -> Any:
        computed["statistics"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(dashboards, "statistics", counting)
    return {"app": app, "ledger": ledger, "clock": clock, "computed": computed}


def _admission(app: Flask) -> Admission:
    admission: Admission = app.extensions["immunize_admission"]
    return admission


def _front(app: Flask) -> PublicFront:
    front: PublicFront = app.extensions["immunize_public_front"]
    return front


def test_with_the_public_class_full_a_cached_statistics_page_is_served_an_uncached_page_is_shed_staff_admitted(
    world: dict[str, Any],
) -> None:
    app = world["app"]
    first = app.test_client().get("/statistics")
    assert first.status_code == 200
    tag = first.headers["ETag"]
    admission = _admission(app)
    public = admission.gates[RouteClass.PUBLIC]
    public.add(running=1)  # the public class's one slot is taken (a request in progress), its queue is 0
    try:
        again = app.test_client().get("/statistics")
        assert again.status_code == 200
        assert again.get_data() == first.get_data()
        assert again.headers["ETag"] == tag
        assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
        assert again.headers["Vary"] == first.headers["Vary"]
        assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
        not_modified = app.test_client().get("/statistics", headers={"If-None-Match": tag})
        assert not_modified.status_code == 304
        assert not_modified.get_data() == b""
        assert not_modified.headers["ETag"] == tag
        assert "Content-Type" not in not_modified.headers or not_modified.headers["Content-Length"] == "0"
        assert _front(app).served == 2
        assert world["computed"]["statistics"] == 1

        # Not yet made: it goes through admission, whose public class is full: shed at once, Retry-After.
        uncached = app.test_client().get("/trust-anchor")
        assert uncached.status_code == 503
        assert uncached.headers["Retry-After"] == "1"
        english = app.test_client().get("/statistics", headers={"Accept-Language": "en"})
        assert english.status_code == 503  # another language is another answer, not made yet
        assert admission.stats()["public"]["shed"] == 2

        # A staff dose is admitted (its own class), whatever the public does.
        staff = app.test_client()
        sign_in_as(staff, "staff", site_id="nowhere")
        dose = staff.post("/api/v1/desk/people/nobody/doses", json={})
        assert dose.status_code != 503
        assert admission.stats()["staff_write"] == {"admitted": 1, "shed": 0, "waiting": 0, "running": 0}
    finally:
        public.add(running=-1)
    assert app.test_client().get("/trust-anchor").status_code == 200  # the slot came back


def test_while_a_staff_write_waits_uncached_public_work_is_shed_and_kept_answers_still_served(
    world: dict[str, Any],
) -> None:
    """A kept answer costs what a 503 costs (neither reaches Flask): shedding it gives the dose nothing.
    What would reach the app (a page not made yet) yields to the waiting write at once, as before."""
    app = world["app"]
    assert app.test_client().get("/statistics").status_code == 200
    admission = _admission(app)
    writes = admission.gates[RouteClass.STAFF_WRITE]
    writes.add(waiting=1)  # a dose waits for a write slot
    try:
        kept = app.test_client().get("/statistics")
        assert kept.status_code == 200
        assert _front(app).served == 1
        uncached = app.test_client().get("/trust-anchor")
        assert uncached.status_code == 503
        assert uncached.headers["Retry-After"] == "1"
        citizen = app.test_client()
        sign_in_as(citizen, "citizen")
        assert citizen.get("/statistics").status_code == 503  # a signed-in page is the app's work
        assert admission.stats()["public"]["shed"] == 2
    finally:
        writes.add(waiting=-1)
    assert app.test_client().get("/trust-anchor").status_code == 200


def test_a_visitor_with_a_session_is_never_answered_from_the_front(world: dict[str, Any]) -> None:
    app = world["app"]
    public_page = app.test_client().get("/statistics")
    assert public_page.headers["Cache-Control"].startswith("public")
    citizen = app.test_client()
    sign_in_as(citizen, "citizen")
    mine = citizen.get("/statistics")
    assert mine.status_code == 200
    assert mine.headers["Cache-Control"].startswith("private")
    assert "csrf_token" in mine.get_data(as_text=True)  # their own page (the sign-out form)
    assert _front(app).served == 0
    # Their private page was not kept for others: the next visitor gets the public bytes.
    assert app.test_client().get("/statistics").get_data() == public_page.get_data()
    assert _front(app).served == 1


def test_each_language_is_its_own_answer_as_the_app_chooses_it(world: dict[str, Any]) -> None:
    app = world["app"]
    made = {
        "vi": app.test_client().get("/statistics"),
        "en": app.test_client().get("/statistics", headers={"Accept-Language": "en-GB,en;q=0.9"}),
    }
    assert made["vi"].headers["ETag"] != made["en"].headers["ETag"]
    served_before = _front(app).served
    by_cookie = app.test_client()
    by_cookie.set_cookie("immunize_lang", "en")
    assert by_cookie.get("/statistics").get_data() == made["en"].get_data()
    assert (
        app.test_client().get("/statistics", headers={"Accept-Language": "fr"}).get_data()
        == made["vi"].get_data()
    )
    assert (
        app.test_client().get("/statistics", headers={"Accept-Language": "en"}).get_data()
        == made["en"].get_data()
    )
    assert _front(app).served == served_before + 3


def test_an_answer_is_made_again_after_the_interval_while_others_keep_the_previous_one(
    world: dict[str, Any],
) -> None:
    app, ledger, clock = world["app"], world["ledger"], world["clock"]
    before = app.test_client().get("/api/v1/statistics")
    seed_demo(ledger, people=10, seed=6)
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    clock.now += 4.9  # within the interval: the stored answer, although the view moved
    assert app.test_client().get("/api/v1/statistics").get_json() == before.get_json()
    assert _front(app).served == 1
    clock.now += 0.2  # past it: this request goes to the app, which makes the figures again
    responses = app.extensions["immunize_public_cache"].responses
    key = ("/api/v1/statistics", "", "vi")
    assert responses.servable(key) is None  # this caller's turn to make it again (claimed)
    assert responses.servable(key) is not None  # meanwhile the others keep the previous answer
    clock.now += 1.0  # that caller never came back (shed, say): a second later the next one goes
    after = app.test_client().get("/api/v1/statistics")
    assert after.get_json()["total_doses"] > before.get_json()["total_doses"]
    assert world["computed"]["statistics"] == 2
    assert app.test_client().get("/api/v1/statistics").get_data() == after.get_data()
    clock.now += 30.1  # six intervals old: nothing is served from the front
    assert responses.servable(key) is None
    assert responses.servable(key) is None


def test_when_the_request_making_it_again_is_shed_it_gets_the_previous_answer(world: dict[str, Any]) -> None:
    app, ledger, clock = world["app"], world["ledger"], world["clock"]
    first = app.test_client().get("/statistics")
    seed_demo(ledger, people=10, seed=7)
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    public = _admission(app).gates[RouteClass.PUBLIC]
    public.add(running=1)  # the public class is full: whatever goes to the app is shed
    try:
        clock.now += 5.5  # stale: this request goes to make it again, is shed, and gets the previous page
        shed_one = app.test_client().get("/statistics")
        assert shed_one.status_code == 200
        assert shed_one.get_data() == first.get_data()
        assert _front(app).stale_served == 1
        assert app.test_client().get("/statistics").status_code == 200  # the others meanwhile
        clock.now += 20  # still within 6 intervals: the previous page rather than a refusal
        assert app.test_client().get("/statistics").get_data() == first.get_data()
        assert _admission(app).stats()["public"]["shed"] == 2
        clock.now += 10  # past 30 s: no longer served; the request goes to the app and is shed
        assert app.test_client().get("/statistics").status_code == 503
    finally:
        public.add(running=-1)
    fresh = app.test_client().get("/statistics")  # admitted: made again with the new figures
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != first.headers["ETag"]
    assert world["computed"]["statistics"] == 2


def test_with_no_interval_nothing_is_served_from_the_front(tmp_path: Path) -> None:
    app = make_app(tmp_path, PUBLIC_CACHE_SECONDS=0)
    for _ in range(3):
        assert app.test_client().get("/").status_code == 200
    assert _front(app).served == 0


def test_only_public_strong_answers_without_cookies_are_kept() -> None:
    public = [("Cache-Control", "public, max-age=10, must-revalidate"), ("ETag", '"abc"')]
    assert _storable("200 OK", public) == '"abc"'
    assert _storable("304 NOT MODIFIED", public) is None
    assert _storable("503 SERVICE UNAVAILABLE", public) is None
    assert _storable("200 OK", [*public, ("Set-Cookie", "x=1")]) is None
    assert _storable("200 OK", [("Cache-Control", "private, max-age=10"), ("ETag", '"abc"')]) is None
    assert _storable("200 OK", [("Cache-Control", "no-store"), ("ETag", '"abc"')]) is None
    assert _storable("200 OK", [("Cache-Control", "public, max-age=10"), ("ETag", 'W/"abc"')]) is None
    assert _storable("200 OK", [("Cache-Control", "public, max-age=10")]) is None


def test_stored_answers_are_bounded() -> None:
    cache = PublicCache(interval=5.0, clock=Clock(), most=3)
    for number in range(5):
        cache.responses.store(("/p", str(number), "vi"), (), b"x", '"t"')
    assert len(cache.responses) == 3
    assert cache.responses.servable(("/p", "0", "vi")) is None
    assert cache.responses.servable(("/p", "4", "vi")) is not None


def test_with_the_cache_off_every_request_computes_the_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IMMUNIZE_PUBLIC_CACHE=0 (the wrk benchmark's baseline): what /statistics cost before the cache."""
    from web.config import settings_from_environment

    assert settings_from_environment({"IMMUNIZE_PUBLIC_CACHE": "0"})["PUBLIC_CACHE"] is False
    assert settings_from_environment({})["PUBLIC_CACHE"] is True
    computed = {"statistics": 0}
    real = dashboards.statistics

    def counting(*args: Any, **kwargs: Any) -> Any:
        computed["statistics"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(dashboards, "statistics", counting)
    app = make_app(tmp_path, PUBLIC_CACHE=False)
    pages = [app.test_client().get("/statistics") for _ in range(3)]
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert pages[0].headers["ETag"] == pages[2].headers["ETag"]  # the same figures, the same tag
    assert computed["statistics"] == 3
    assert _front(app).served == 0


def test_an_app_that_starts_its_answer_lazily_is_passed_through() -> None:
    """start_response called only when the body is iterated (allowed by WSGI): nothing kept, nothing lost."""
    from werkzeug.test import Client

    def lazy(environ: dict[str, Any], start_response: Any) -> Any:
        def body() -> Any:
            start_response("200 OK", [("Content-Type", "text/plain"), ("Cache-Control", "public, max-age=9")])
            yield b"late"

        return body()

    cache = PublicCache(interval=5.0, clock=Clock())
    front = PublicFront(lazy, lambda: cache, "immunize_session")
    answer = Client(front).get("/statistics")
    assert answer.status_code == 200
    assert answer.get_data() == b"late"
    assert len(cache.responses) == 0
