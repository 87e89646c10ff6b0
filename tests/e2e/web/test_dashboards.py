"""The public statistics page and the operations view read well: sorted, in the page's language, short."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import UUID

import pytest
from flask import Flask

from ledger.application import Ledger
from ledger.reference import reference
from projections.registry import catch_up_views
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, sign_in_as
from web.catalog import CATALOG
from web.charts import LABEL_CHARS
from web.formats import show_date, show_number
from web.stock import PAGE


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    base = tmp_path_factory.mktemp("dashboards")
    ledger = Ledger("memory://", key_dir=base / "lk")
    seed_demo(ledger, people=300, seed=21)
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    return app


def test_numbers_and_dates_follow_the_language() -> None:
    assert show_number(4259, "vi") == "4.259"
    assert show_number(2254.1, "vi", 1) == "2.254,1"
    assert show_number(4259, "en") == "4,259"
    assert show_number(2254.1, "en", 1) == "2,254.1"
    assert show_date("2021-08-30", "vi") == "30/08/2021"
    assert show_date("2021-08-30", "en") == "30 Aug 2021"
    assert show_date("1990", "vi") == "1990"


def test_every_priority_group_has_a_short_label_in_both_languages() -> None:
    for code in reference().priority_groups:
        entry = CATALOG[f"group.{code}"]
        assert set(entry) == {"vi", "en"}
        assert all(len(label) <= LABEL_CHARS for label in entry.values()), entry


def test_the_statistics_page_is_sorted_readable_and_folded(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    html = client.get("/statistics", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    data = client.get("/api/v1/statistics").get_json()
    # no raw codes: priority groups by their short names, in Vietnamese
    assert "HEALTH_WORKER" not in html
    assert "OTHER." not in html
    assert "Nhân viên y tế" in html
    # one chart per question, each table folded under its chart
    assert html.count("<svg") == 6
    assert html.count('<details class="table">') == 6
    assert re.search(r"</svg>\s*<details", html)
    # coverage with one decimal and Vietnamese separators, highest first
    table = html[html.index('<table class="provinces">') :]
    shares = re.findall(r"<td>(&lt; 0,1|\d+,\d|–)</td><td>", table)
    assert len(shares) == 63
    values = [float(s.replace(",", ".")) if s[0].isdigit() else (0.01 if "0,1" in s else -1) for s in shares]
    assert values == sorted(values, reverse=True)
    assert f">{show_number(data['total_doses'], 'vi')}<" in html
    # a chart's labels are the short names, never cut mid-word without an ellipsis
    assert "Bà Rịa - Vũng Tàu" in html


def test_the_statistics_page_in_english_uses_english_separators_and_labels(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    html = client.get("/statistics", headers={"Accept-Language": "en"}).get_data(as_text=True)
    data = client.get("/api/v1/statistics").get_json()
    assert f">{show_number(data['total_doses'], 'en')}<" in html
    assert "Health workers" in html
    assert "Nhân viên y tế" not in html


def test_the_operations_view_informs_in_the_pages_language(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    sign_in_as(client, "response")
    html = client.get("/operations/", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    # targets in Vietnamese, no internal view names
    assert "70% dân số tiêm ít nhất 1 mũi trước hết quý I/2022" in html
    assert "of the population" not in html
    for internal in ("health_book", "certificate_index", ">statistics<", ">operations<"):
        assert internal not in html
    # doses per day: one column per day of the last 14 days
    chart = html[html.index('aria-labelledby="h-day"') :]
    chart = chart[: chart.index("</svg>")]
    assert chart.count("<rect") == 14
    # serious reactions: a list, each with an action
    data = client.get("/api/v1/operations").get_json()
    assert data["serious_open"] > 0
    assert html.count("/operations/follow-ups/") == data["serious_open"]


def test_the_stock_table_is_filtered_and_flags_expired_and_near_expiry_lots(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    sign_in_as(client, "response")
    everything = client.get("/operations/?state=all&refresh=off").get_data(as_text=True)
    assert '<meta http-equiv="refresh"' not in everything  # paused while someone reads or types
    expired = client.get("/operations/?state=expired").get_data(as_text=True)
    rows = re.findall(r'<tr class="(\w+)">', expired)
    assert rows
    assert set(rows) == {"expired"}
    assert "hết hạn" in expired
    usable = client.get("/operations/?state=usable").get_data(as_text=True)
    assert set(re.findall(r'<tr class="(\w+)">', usable)) <= {"usable"}
    lot = re.findall(r'<tr class="\w+"><td[^>]*>[^<]*</td><td[^>]*>([^<]+)</td>', everything)[0]
    found = client.get("/operations/", query_string={"q": lot}).get_data(as_text=True)
    assert lot in found
    assert len(re.findall(r'<tr class="\w+">', found)) >= 1
    assert len(re.findall(r'<tr class="\w+">', everything)) <= PAGE  # a page a phone can scroll


def test_the_response_center_records_a_follow_up_and_the_case_leaves_the_list(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    sign_in_as(client, "response")
    before = client.get("/api/v1/operations").get_json()["serious_open"]
    html = client.get("/operations/").get_data(as_text=True)
    link = re.findall(r'href="(/operations/follow-ups/[^"]+)"', html)[0]
    empty = client.post(link, data={"outcome": ""})
    assert empty.status_code == 400
    assert "Chưa điền «Kết quả theo dõi»" in empty.get_data(as_text=True)
    done = client.post(link, data={"outcome": "Đã xuất viện, ổn định", "resolved": "yes"})
    assert done.status_code == 302
    ledger: Ledger = seeded_app.extensions["immunize"].platform.ledger
    person_id, reaction_id = link.rstrip("/").split("/")[-2:]
    reaction = next(
        r for r in ledger.person_record(UUID(person_id)).reactions if str(r.reaction_id) == reaction_id
    )
    assert not reaction.needs_follow_up
    catch_up_views(ledger, seeded_app.extensions["immunize"].platform.views)
    page = client.get("/operations/").get_data(as_text=True)
    assert "Đã ghi nhận kết quả theo dõi." in page
    assert client.get("/api/v1/operations").get_json()["serious_open"] == before - 1


def test_demo_symptoms_are_in_one_language(tmp_path: Path) -> None:
    from services.demo_population import SYMPTOMS

    for texts in SYMPTOMS.values():
        for text in texts:
            assert "(" not in text
            assert not re.search(r"\b(pain|fever|fatigue|cough|breathing)\b", text)


def test_the_api_description_has_a_readable_page_with_every_route(seeded_app: Flask) -> None:
    from web.openapi import PATHS

    client = seeded_app.test_client()
    html = client.get("/api/docs", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert "<h1>API của nền tảng tiêm chủng</h1>" in html
    for path, item in PATHS.items():
        assert f"<code>/api/v1{path}</code>" in html
        for method in item:
            assert method.upper() in html
    assert 'href="/api/v1/openapi.json"' in html
    assert "<script" not in html  # no renderer to fetch: our own template over the JSON
    assert "/api/docs" in client.get("/").get_data(as_text=True)
