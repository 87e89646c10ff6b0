"""Public pages are computed at most once per interval (or when their view moved), with ETag and 304."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, template_rendered

from keys.development import ensure_development_keys
from ledger.application import Ledger
from projections.registry import catch_up_views
from services import dashboards, trust
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, sign_in_as
from web.public_cache import PublicCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Flask, Ledger, Clock, dict[str, int]]:
    ensure_development_keys(tmp_path / "keys", datetime.now(UTC), warn=lambda line: None)
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    seed_demo(ledger, people=40, seed=3)
    app = make_app(tmp_path, ledger)
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    clock = Clock()
    app.extensions["immunize_public_cache"] = PublicCache(interval=5.0, clock=clock)
    calls = {"statistics": 0, "revocation": 0, "trust": 0}

    def counting(name: str, real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(dashboards, "statistics", counting("statistics", dashboards.statistics))
    monkeypatch.setattr(trust, "revocation_list_file", counting("revocation", trust.revocation_list_file))
    monkeypatch.setattr(trust, "trust_list_file", counting("trust", trust.trust_list_file))
    return app, ledger, clock, calls


def test_a_second_statistics_request_is_served_from_the_cache_and_304_on_its_tag(setup: Any) -> None:
    app, _ledger, _clock, calls = setup
    client = app.test_client()
    first = client.get("/statistics")
    assert first.status_code == 200
    assert calls["statistics"] == 1
    tag = first.headers["ETag"]
    # A visitor without a sign-in gets the page every such visitor gets in this language: shared
    # caches may keep it (keyed on the language cookie and Accept-Language), and it sets no cookie.
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert not tag.startswith("W/")
    assert {"Cookie", "Accept-Language"} <= set(first.headers["Vary"].replace(" ", "").split(","))
    assert "Set-Cookie" not in first.headers
    assert "csrf_token" not in first.get_data(as_text=True)
    second = client.get("/statistics")
    assert second.status_code == 200
    assert calls["statistics"] == 1
    assert second.headers["ETag"] == tag
    assert second.get_data() == first.get_data()
    again = client.get("/statistics", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == tag
    assert calls["statistics"] == 1
    # The JSON API shares the same computation, with its own strong tag.
    api = client.get("/api/v1/statistics")
    assert calls["statistics"] == 1
    assert not api.headers["ETag"].startswith("W/")
    assert client.get("/api/v1/statistics", headers={"If-None-Match": api.headers["ETag"]}).status_code == 304


def test_another_language_is_another_tag(setup: Any) -> None:
    app, _ledger, _clock, calls = setup
    client = app.test_client()
    vi = client.get("/statistics", headers={"Accept-Language": "vi"})
    en = app.test_client().get(
        "/statistics", headers={"Accept-Language": "en", "If-None-Match": vi.headers["ETag"]}
    )
    assert en.status_code == 200
    assert en.headers["ETag"] != vi.headers["ETag"]
    assert calls["statistics"] == 1


def test_the_statistics_are_recomputed_only_after_the_interval_and_only_if_the_view_moved(setup: Any) -> None:
    app, ledger, clock, calls = setup
    client = app.test_client()
    before = client.get("/api/v1/statistics")
    clock.now += 10  # the interval passed, the view did not move: the same figures, not recomputed
    assert client.get("/api/v1/statistics").headers["ETag"] == before.headers["ETag"]
    assert calls["statistics"] == 1
    seed_demo(ledger, people=10, seed=4)
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    clock.now += 1  # the view moved, the interval since the last look has not passed: still cached
    assert client.get("/api/v1/statistics").get_json() == before.get_json()
    assert calls["statistics"] == 1
    clock.now += 5
    after = client.get("/api/v1/statistics", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert calls["statistics"] == 2
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.get_json()["total_doses"] > before.get_json()["total_doses"]


def test_trust_and_revocation_lists_are_signed_once_and_answer_304(setup: Any) -> None:
    app, _ledger, clock, calls = setup
    client = app.test_client()
    for path, name in (("/revocation-list", "revocation"), ("/trust-list", "trust")):
        first = client.get(path)
        assert first.status_code == 200
        assert first.headers["Cache-Control"].startswith("public, max-age=")
        tag = first.headers["ETag"]
        assert not tag.startswith("W/")
        second = client.get(path, headers={"If-None-Match": tag})
        assert second.status_code == 304
        clock.now += 10  # interval passed, nothing moved: the same bytes, the same tag
        third = client.get(path)
        assert third.get_data() == first.get_data()
        assert third.headers["ETag"] == tag
        assert calls[name] == 1


def test_a_signed_in_visitors_page_stays_private(setup: Any) -> None:
    from tests.e2e.web.conftest import sign_in_as

    app, _ledger, _clock, _calls = setup
    client = app.test_client()
    sign_in_as(client, "citizen")
    page = client.get("/statistics")
    assert page.status_code == 200
    assert page.headers["Cache-Control"].startswith("private, max-age=")
    assert page.headers["ETag"].startswith("W/")
    assert "csrf_token" in page.get_data(as_text=True)  # the sign-out form


def test_the_language_link_remembers_the_choice_and_pages_stay_public(setup: Any) -> None:
    app, _ledger, _clock, calls = setup
    client = app.test_client()
    vi = client.get("/statistics")
    assert '<html lang="vi">' in vi.get_data(as_text=True)
    assert 'href="?lang=en"' in vi.get_data(as_text=True)  # a link: no form, no token
    switch = client.get("/statistics?lang=en")
    assert switch.status_code == 303
    assert switch.headers["Location"].endswith("/statistics")
    assert "immunize_lang=en" in switch.headers["Set-Cookie"]
    assert switch.headers["Cache-Control"] == "no-store"
    en = client.get("/statistics")  # the cookie rides along now
    assert '<html lang="en">' in en.get_data(as_text=True)
    assert en.headers["Cache-Control"].startswith("public, max-age=")
    assert en.headers["ETag"] != vi.headers["ETag"]
    assert calls["statistics"] == 1  # the figures once; the page once per language
    other = app.test_client()
    other.set_cookie("immunize_lang", "en")
    assert other.get("/statistics").get_data() == en.get_data()
    assert client.get("/verify?lang=xx").status_code == 200  # an unknown language is ignored
    kept = client.get("/verify?lang=vi&x=1")
    assert kept.status_code == 303
    assert kept.headers["Location"].endswith("/verify?x=1")
    elsewhere = client.get("//evil.example/x?lang=en")
    assert elsewhere.status_code == 303
    assert not elsewhere.headers["Location"].startswith("//")  # never another site
    for trick in ("/%5Cevil.example/x", "/%09/evil.example/x", "/%5C/evil.example"):
        # a browser reads "/\\host" as "//host" and drops tabs: the Location keeps them encoded
        moved = client.get(f"{trick}?lang=en")
        assert moved.status_code == 303
        location = moved.headers["Location"]
        assert location.startswith("/"), location
        assert location[1:2] not in ("/", "\\", "\t"), location
        assert "\\" not in location, location
        assert "\t" not in location, location


def test_a_pending_notice_is_never_answered_304(setup: Any) -> None:
    app, _ledger, _clock, _calls = setup
    client = app.test_client()
    tag = client.get("/statistics").headers["ETag"]
    with client.session_transaction() as session:
        session["_flashes"] = [("notice", '{"key": "notice.saved", "params": {}}')]
    assert client.get("/statistics", headers={"If-None-Match": tag}).status_code == 200


def test_the_first_request_waits_and_later_ones_never_compute_twice_at_once() -> None:
    clock = Clock()
    cache = PublicCache(interval=5.0, clock=clock)
    versions = iter(range(100))
    entry = cache.get("x", lambda: next(versions), lambda: b"one", bytes)
    assert entry.value == b"one"
    clock.now += 6
    lock = cache._lock("x")
    with lock:  # another thread is refreshing: the previous value is served meanwhile
        assert cache.get("x", lambda: next(versions), lambda: b"two", bytes).value == b"one"
    assert cache.get("x", lambda: next(versions), lambda: b"two", bytes).value == b"two"
    assert cache.computations["x"] == 2


@pytest.mark.parametrize("path", ["/", "/verify"])
def test_the_home_and_verify_pages_are_the_same_public_bytes_for_every_visitor(setup: Any, path: str) -> None:
    app, _ledger, _clock, _calls = setup
    renders = {"count": 0}

    def rendered(_sender: Any, **_extra: Any) -> None:
        renders["count"] += 1

    template_rendered.connect(rendered, app)
    first, second = app.test_client().get(path), app.test_client().get(path)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data  # another visitor, the same bytes
    assert renders["count"] == 1  # rendered once
    assert first.headers["Cache-Control"].startswith("public")
    assert not first.headers["ETag"].startswith("W/")
    assert "Set-Cookie" not in first.headers
    assert "Set-Cookie" not in second.headers
    assert b"csrf_token" not in first.data
    again = app.test_client().get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    english = app.test_client().get(path, headers={"Accept-Language": "en"})
    assert english.headers["ETag"] != first.headers["ETag"]

    signed_in = app.test_client()
    sign_in_as(signed_in, "staff", site_id="s")
    mine = signed_in.get(path)
    assert mine.status_code == 200
    assert "public" not in mine.headers.get("Cache-Control", "")


def test_a_certificate_is_checked_without_a_csrf_token(tmp_path: Path) -> None:
    """The verify form carries no token (its page is public bytes), so its POST is exempt: it changes
    nothing and reads nothing of the caller. Other forms still need their token."""
    ensure_development_keys(tmp_path / "keys", datetime.now(UTC), warn=lambda line: None)
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    checked = client.post("/verify", data={"hc1": "HC1:NOT-A-CERTIFICATE"})
    assert checked.status_code == 200, checked.get_data(as_text=True)[:300]
    assert 'class="verdict invalid"' in checked.get_data(as_text=True)  # the text was checked
    refused = client.post("/signin/citizen", data={"phone": "0912345678"})
    assert refused.status_code == 400
