"""/priority for a visitor not signed in is public bytes (web.views.public.anonymous_page): rendered once
per query and language, strong ETag, 304, `public, max-age`, made again only after the cache interval
and only when the log moved. An unknown ward is never cached; a signed-in citizen's page stays theirs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ledger.values import Role as LedgerRole
from services.campaign import CampaignService
from tests.e2e.web.conftest import sign_in_as
from tests.e2e.web.test_campaign import SYSTEM, setup
from web.public_cache import PublicCache


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    client, service, _site, _lot = setup(tmp_path)
    app = client.application
    clock = Clock()
    app.extensions["immunize_public_cache"] = PublicCache(interval=5.0, clock=clock)
    computed = {"n": 0}
    real = CampaignService.priority_list

    def counted(self: CampaignService, ward_code: str) -> Any:
        computed["n"] += 1
        return real(self, ward_code)

    monkeypatch.setattr(CampaignService, "priority_list", counted)
    return {"app": app, "service": service, "clock": clock, "computed": computed}


def register(service: CampaignService, count: int) -> None:
    ledger = service.ledger
    for n in range(count):
        person = ledger.register_person(
            national_id=f"0010860{n:05d}",
            full_name="Lê Văn Minh",
            date_of_birth="1961-02-02",
            sex="male",
            phone=f"098765{n:04d}",
            ward_code="00001",
            priority_group="HEALTH_WORKER",
            actor=SYSTEM,
            idempotency_key=f"more-{n}",
        )
        service.register(person=person, group="HEALTH_WORKER", actor=SYSTEM)


def test_every_visitor_gets_the_same_public_bytes_computed_once(world: dict[str, Any]) -> None:
    app, computed = world["app"], world["computed"]
    one, two = app.test_client(), app.test_client()
    first = one.get("/priority?ward_code=00001")
    assert first.status_code == 200
    assert "&lt; 5" in first.get_data(as_text=True)  # 4 waiting: shown as a small count
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert not first.headers["ETag"].startswith("W/")
    assert "Set-Cookie" not in first.headers
    second = two.get("/priority?ward_code=00001")
    assert second.get_data() == first.get_data()
    assert computed["n"] == 1
    again = two.get("/priority?ward_code=00001", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]
    english = app.test_client().get(
        "/priority?ward_code=00001", headers={"Accept-Language": "en", "If-None-Match": first.headers["ETag"]}
    )
    assert english.status_code == 200
    assert english.headers["ETag"] != first.headers["ETag"]  # another language, other bytes
    assert "Nhân viên y tế" in first.get_data(as_text=True)
    assert "Nhân viên y tế" not in english.get_data(as_text=True)
    form = one.get("/priority")  # the form alone (no ward): public too, nothing computed
    assert form.status_code == 200
    assert form.headers["Cache-Control"].startswith("public, ")
    assert computed["n"] == 2


def test_the_page_is_made_again_after_the_interval_only_when_the_log_moved(world: dict[str, Any]) -> None:
    app, clock, computed = world["app"], world["clock"], world["computed"]
    client = app.test_client()
    before = client.get("/priority?ward_code=00001").get_data(as_text=True)
    register(world["service"], 6)  # 10 waiting now: a count shown as it is
    assert client.get("/priority?ward_code=00001").get_data(as_text=True) == before  # within the interval
    clock.now += 5
    after = client.get("/priority?ward_code=00001").get_data(as_text=True)
    assert '<td class="num">&lt; 5</td>' in before
    assert '<td class="num">10</td>' in after
    assert computed["n"] == 2
    clock.now += 5
    client.get("/priority?ward_code=00001")
    assert computed["n"] == 2  # the interval passed, the log did not move: the same page


def test_an_unknown_ward_is_refused_every_time_and_not_cached(world: dict[str, Any]) -> None:
    client = world["app"].test_client()
    for _ in range(2):
        unknown = client.get("/priority?ward_code=99999")
        assert unknown.status_code == 400
        assert "Mã phường/xã 99999 không tồn tại" in unknown.get_data(as_text=True)
        assert "public" not in unknown.headers.get("Cache-Control", "")


def test_a_signed_in_citizens_page_is_their_own(world: dict[str, Any]) -> None:
    client = world["app"].test_client()
    sign_in_as(client, LedgerRole.CITIZEN.value, phone="0912340000")
    page = client.get("/priority?ward_code=00001")
    assert page.status_code == 200
    assert "public" not in page.headers.get("Cache-Control", "")


def test_pages_cached_per_query_are_bounded_least_recently_used_first() -> None:
    clock = Clock()
    cache = PublicCache(interval=5.0, clock=clock, most=2)
    made: list[str] = []

    def make(name: str) -> bytes:
        made.append(name)
        return name.encode()

    def get(name: str) -> bytes:
        return cache.get(name, lambda: 1, lambda: make(name), lambda b: b).value

    get("a")
    get("b")
    get("a")  # "a" used last: "b" is the one dropped
    get("c")
    assert "a" in cache
    assert "c" in cache
    assert "b" not in cache
    get("b")
    assert made == ["a", "b", "c", "b"]
