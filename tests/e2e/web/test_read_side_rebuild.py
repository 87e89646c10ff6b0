"""No web request replays the log into a view (web/rebuilding.py).

After a new view version or a new web secret the views are empty again. On a store larger than a request
may apply (READ_SIDE_REQUEST_LIMIT, set small here so the test store counts as large):
- a request is answered 503 "the read side is being rebuilt, try again in a minute" with Retry-After, and
  the views are brought up to date in a background thread, after which the pages answer again;
- `immunize serve` (READ_SIDE_READY_AT_START) brings them up to date before its first request, with
  progress on stderr, and the first request then applies nothing.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from ledger.application import Ledger
from projections.people_directory import PeopleDirectory
from projections.registry import catch_up_views
from projections.runner import CatchUpBound, ViewsBehind, bounded_catch_up
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, sign_in_as

SITE = "00000000-0000-0000-0000-000000000009"


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    url = (
        f"sqlite:///{tmp_path / 'ledger.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    ledger = Ledger(url, key_dir=tmp_path / "lk")
    seed_demo(ledger, people=30, seed=6)
    first = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url)
    platform = first.extensions["immunize"].platform
    catch_up_views(ledger, platform.views, keys=platform.view_keys)  # views up to date, as in production
    return {"url": url, "ledger": ledger, "base": tmp_path, "people": directory_rows(first)}


def restarted(store: dict[str, Any], **config: Any) -> Flask:
    return make_app(
        store["base"],
        store["ledger"],
        IMMUNIZE_DATABASE_URL=store["url"],
        READ_SIDE_REQUEST_LIMIT=50,
        WTF_CSRF_ENABLED=False,
        **config,
    )


def held_back(app: Flask) -> threading.Event:
    """The background catch-up waits for the returned event (so the test, not timing, says when it runs)."""
    platform = app.extensions["immunize"].platform
    go = threading.Event()
    prepare = platform.prepare

    def gated(say: Any) -> int:
        assert go.wait(timeout=120)
        return int(prepare(say))

    platform.prepare = gated
    return go


def directory_rows(app: Flask) -> int:
    platform = app.extensions["immunize"].platform
    table = platform.views.table("people_directory_people")
    return int(platform.views.query(f"SELECT COUNT(*) FROM {table}")[0][0])


def test_after_a_view_version_bump_a_request_gets_503_and_the_views_are_rebuilt_in_the_background(
    store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PeopleDirectory, "version", PeopleDirectory.version + 1)  # an upgrade
    app = restarted(store)
    go = held_back(app)
    client = app.test_client()
    sign_in_as(client, "staff", site_id=SITE)

    page = client.get("/desk/", headers={"Accept-Language": "en"})
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "60"
    assert "being rebuilt" in page.get_data(as_text=True)
    api = client.post("/api/v1/desk/find", json={"phone": "0912345678"}, headers={"Accept-Language": "vi"})
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "60"
    assert api.get_json()["error"] == "read_side_rebuilding"
    assert "thử lại sau một phút" in api.get_json()["message"]
    assert client.get("/health").status_code == 200  # the load balancer still sees a live process

    platform = app.extensions["immunize"].platform
    running = platform.catching_up
    assert running is not None  # brought up to date in the background, not in a request
    assert directory_rows(app) == 0  # no request replayed anything
    go.set()
    running.join(timeout=120)
    assert directory_rows(app) == store["people"] > 30  # everyone is back in the rebuilt view
    assert client.get("/desk/").status_code == 200
    assert platform.read.refreshes <= 1  # nothing left to replay in the request


def test_a_new_web_secret_is_rebuilt_in_the_background_too(store: dict[str, Any]) -> None:
    app = restarted(store, IMMUNIZE_SECRET_KEY="another-secret-" + "z" * 40)
    go = held_back(app)
    client = app.test_client()
    sign_in_as(client, "staff", site_id=SITE)
    assert client.post("/desk/find", data={"phone": "0912345678"}).status_code == 503
    assert client.post("/desk/find", data={"phone": "0912345678"}).status_code == 503
    running = app.extensions["immunize"].platform.catching_up
    assert running is not None
    go.set()
    running.join(timeout=120)
    assert client.post("/desk/find", data={"phone": "0399999999"}).status_code == 404  # answers again


def test_serve_brings_the_views_up_to_date_before_its_first_request(
    store: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(PeopleDirectory, "version", PeopleDirectory.version + 1)
    app = restarted(store, READ_SIDE_READY_AT_START=True)
    err = capsys.readouterr().err
    assert "read side: bringing the views up to the log's head" in err
    assert "read side: ready" in err
    assert directory_rows(app) == store["people"]
    platform = app.extensions["immunize"].platform
    before = platform.read.refreshes
    client = app.test_client()
    sign_in_as(client, "staff", site_id=SITE)
    assert client.get("/desk/").status_code == 200
    assert platform.catching_up is None
    assert platform.read.refreshes == before  # the request applied nothing


def test_a_small_lag_is_still_caught_up_in_the_request(store: dict[str, Any]) -> None:
    """The bound stops replays, not the usual few events since the last page."""
    app = restarted(store)
    client = app.test_client()
    sign_in_as(client, "staff", site_id=SITE)
    assert client.get("/desk/").status_code == 200
    assert app.extensions["immunize"].platform.catching_up is None


def test_the_bound_applies_only_inside_its_block(store: dict[str, Any]) -> None:
    ledger: Ledger = store["ledger"]
    app = restarted(store)
    platform = app.extensions["immunize"].platform
    told: list[int] = []
    ledger.register_site(
        code="X", name="Trạm X", ward_code="00001", capacity_per_day=5, actor=_admin(), idempotency_key="x"
    )
    with bounded_catch_up(CatchUpBound(0, on_behind=lambda: told.append(1))), pytest.raises(ViewsBehind):
        catch_up_views(ledger, platform.views, ["sites_and_lots"])
    assert told == [1]
    assert catch_up_views(ledger, platform.views, ["sites_and_lots"]) >= 1  # unbounded outside


def _admin() -> Any:
    from ledger.values import Actor, Role

    return Actor("admin", Role.ADMIN)


def test_the_request_limit_comes_from_the_environment() -> None:
    from web.config import settings_from_environment
    from web.errors import ConfigurationError

    assert settings_from_environment({})["READ_SIDE_REQUEST_LIMIT"] == 20_000
    assert (
        settings_from_environment({"IMMUNIZE_READ_SIDE_REQUEST_LIMIT": "500"})["READ_SIDE_REQUEST_LIMIT"]
        == 500
    )
    for bad in ("many", "0"):
        with pytest.raises(ConfigurationError, match="IMMUNIZE_READ_SIDE_REQUEST_LIMIT"):
            settings_from_environment({"IMMUNIZE_READ_SIDE_REQUEST_LIMIT": bad})
