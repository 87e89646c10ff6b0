"""The today page's cards come from a Jinja template (templates/_today_cards.html) and write the same markup,
byte for byte, as the Python writer they replaced (kept below as the reference): over generated days
(every status, names and lot numbers with HTML in them, products with and without lots, a closed day, a
refused form with its lot), and on the whole page through the Flask client."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.values import Actor, Role
from projections.plan_queries import AppointmentRow
from services.campaign import CampaignService
from tests.e2e.web.conftest import csrf_token, make_app, sign_in_as
from web import today_cards


def reference(
    appointments: Iterable[AppointmentRow], names: Mapping[str, str], page: today_cards.CardPage
) -> str:
    """The cards as web.today_cards wrote them in Python before the template (commit 3ccda74), verbatim."""
    words = {k: str(escape(v)) for k, v in page.words.items()}
    status_class = {k: k for k in today_cards.STATUSES}
    status = {k: str(escape(v)) for k, v in page.status_text.items()}
    hidden = f'<input type="hidden" name="csrf_token" value="{escape(page.token)}">'
    person_before, _, person_after = str(escape(page.person_url)).partition("PERSON")
    actions = {k: str(escape(v)).partition("APPOINTMENT") for k, v in page.actions.items()}
    check_in, dose = actions["check-in"], actions["dose"]
    no_show, came_late = actions.get("no-show"), actions.get("came-late")
    products: dict[str, str] = {}
    options: dict[str, str] = {}
    lots_of: dict[str, list[tuple[str, str]]] = {}
    for lot_id, product, number in page.lots:
        lots_of.setdefault(product, []).append((str(escape(lot_id)), str(escape(number))))
    for product, lots in lots_of.items():
        options[product] = "".join(f'<option value="{i}">{n}</option>' for i, n in lots)
    parts: list[str] = []
    for a in appointments:
        aid = str(escape(a.appointment_id))
        if a.product not in products:
            products[a.product] = str(escape(page.product_name(a.product)))
        product = products[a.product]
        name = names.get(a.person_id) or page.words["person"]
        parts.append(
            f'<li id="a-{aid}" class="card status-{status_class.get(a.status, "booked")}">\n'
            f'<p><a href="{person_before}{escape(a.person_id)}{person_after}"><strong>{escape(name)}</strong></a>\n'
            f"· {words['dose']} {int(a.dose_number)} · {product}\n"
            f'· <span class="badge {today_cards.BADGE.get(a.status, "booked")}">{status.get(a.status, "")}</span></p>\n'
        )
        failed = bool(page.error) and page.failed == a.appointment_id
        if failed:
            parts.append(f'<p class="field-error" id="err-{aid}" role="alert">{escape(page.error)}</p>\n')
        if a.status == "booked" and not page.closed:
            parts.append(
                f'<form method="post" action="{check_in[0]}{aid}{check_in[2]}" class="inline">\n'
                f'{hidden}<button type="submit">{words["check_in"]}</button></form>\n'
            )
        if a.status == "booked" and not page.closed and no_show is not None:
            parts.append(
                f'<form method="post" action="{no_show[0]}{aid}{no_show[2]}" class="inline">\n'
                f'{hidden}<button type="submit" class="secondary">{words["no_show"]}</button></form>\n'
            )
        if a.status == "no_show" and not page.closed and came_late is not None:
            parts.append(
                f'<form method="post" action="{came_late[0]}{aid}{came_late[2]}" class="inline">\n'
                f'{hidden}<button type="submit">{words["came_late"]}</button></form>\n'
            )
        if a.status in ("booked", "arrived") and not page.closed:
            if a.product in options:
                choices = options[a.product]
                invalid = ""
                if failed:
                    invalid = f' autofocus aria-invalid="true" aria-describedby="err-{aid}"'
                if page.failed == a.appointment_id and page.chosen_lot:
                    chosen = f'<option value="{escape(page.chosen_lot)}">'
                    choices = choices.replace(chosen, chosen[:-1] + " selected>")
                parts.append(
                    f'<form method="post" action="{dose[0]}{aid}{dose[2]}" class="stack">\n'
                    f"{hidden}\n"
                    f'<label for="lot-{aid}">{words["lot"]}</label>\n'
                    f'<select id="lot-{aid}" name="lot_id"{invalid}>{choices}</select>\n'
                    f'<button type="submit">{words["record_dose"]}</button></form>\n'
                )
            else:
                parts.append(f'<p class="help">{escape(page.no_lot(page.product_name(a.product)))}</p>\n')
        parts.append("</li>\n")
    return "".join(parts)


TEXT = st.text(alphabet=st.sampled_from("aĂđ <>&\"'/=·1"), max_size=8)
IDS = st.sampled_from(["a1", "a<2>", "a&3", 'a"4', "a5"])
PRODUCTS = st.sampled_from(["P1", "P2", "P<3>"])
STATUS = st.sampled_from([*today_cards.STATUSES, "unknown"])
LOTS = ["l1", "l<2>", "l&3"]


@st.composite
def days(draw: st.DrawFn) -> tuple[list[AppointmentRow], dict[str, str], today_cards.CardPage]:
    ids = draw(st.lists(IDS, max_size=6, unique=True))
    rows = [
        AppointmentRow(
            aid,
            "plan",
            "site",
            "2021-08-02",
            "morning",
            "reg",
            draw(TEXT),
            3,
            draw(st.integers(1, 4)),
            draw(PRODUCTS),
            draw(STATUS),
            None,
        )
        for aid in ids
    ]
    names = {r.person_id: draw(TEXT) for r in rows if draw(st.booleans())}
    actions = {"check-in": "/t/APPOINTMENT/in?x=1&y=2", "dose": "/t/APPOINTMENT/dose"}
    if draw(st.booleans()):
        actions["no-show"] = "/t/APPOINTMENT/no-show"
    if draw(st.booleans()):
        actions["came-late"] = "/t/APPOINTMENT/late"
    lots = [
        (lot, draw(PRODUCTS), draw(TEXT))
        for lot in draw(st.lists(st.sampled_from(LOTS), max_size=3, unique=True))
    ]
    page = today_cards.CardPage(
        words={
            k: draw(TEXT) or k
            for k in ("person", "dose", "check_in", "lot", "record_dose", "no_show", "came_late")
        },
        status_text={s: draw(TEXT) for s in today_cards.STATUSES},
        product_name=lambda code: f"<{code}> & co",
        no_lot=lambda product: f"no lot of {product}",
        lots=lots,
        token=draw(TEXT),
        person_url="/people/PERSON?a=1&b=<2>",
        actions=actions,
        closed=draw(st.booleans()),
        failed=draw(st.one_of(st.just(""), IDS)),
        error=draw(st.one_of(st.just(""), TEXT)),
        chosen_lot=draw(st.one_of(st.just(""), st.sampled_from(LOTS))),
    )
    return rows, names, page


@settings(max_examples=400, deadline=None)
@given(days())
def test_the_template_writes_what_the_python_writer_wrote(day: tuple[Any, Any, Any]) -> None:
    rows, names, page = day
    html = today_cards.render(rows, names, page)
    assert isinstance(html, Markup)
    assert str(html) == reference(rows, names, page)


NOW = datetime(2021, 8, 2, 1, 0, tzinfo=UTC)  # Monday 2 August 2021, 08:00 in Hà Nội
DAY = date(2021, 8, 2)
SYSTEM = Actor("test", Role.SYSTEM)
TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')


def test_the_whole_today_page_is_the_same_with_the_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url, clock=lambda: NOW, key_dir=tmp_path / "ledger-keys")
    try:
        app = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url)
        backend = app.extensions["immunize"].backend
        service = CampaignService(backend.ledger, backend.views)
        site = service.add_site(
            code="VN-01-0001",
            name="Trạm Y tế Phúc Xá",
            ward_code="00001",
            address="1 Nghĩa Dũng",
            sessions=[Session("morning", "07:30", "11:30", 3), Session("afternoon", "13:30", "16:30", 3)],
            actor=SYSTEM,
        )
        lot = ledger.receive_lot(
            product="BBIBP-CorV",
            lot_number="SP-<9>",
            expiry=date(2022, 3, 1),
            site_id=UUID(site.site_id),
            quantity=10,
            actor=SYSTEM,
            idempotency_key="lot",
        )
        for n, name in enumerate(("Trần Thị Lan", "Nguyễn Thị Hồng", "Lê Văn Bình", "Phạm Minh Chi")):
            person = ledger.register_person(
                national_id=f"0010850{n:05d}",
                full_name=name,
                date_of_birth="1960-01-01",
                sex="female",
                phone=f"091234{n:04d}",
                ward_code="00001",
                priority_group="HEALTH_WORKER",
                actor=SYSTEM,
                idempotency_key=f"p{n}",
            )
            service.register(person=person, group="HEALTH_WORKER", actor=SYSTEM)
        planned = service.plan_day(site.site_id, DAY, actor=SYSTEM)
        booked = [a["appointment_id"] for s in planned.sessions for a in s["appointments"]]
        staff = Actor("staff", Role.SITE_STAFF, site_id=UUID(site.site_id))
        service.check_in(booked[0], actor=staff)
        service.record_dose(booked[0], lot_id=str(lot), actor=staff)
        service.check_in(booked[1], actor=staff)
        service.mark_no_show(booked[2], actor=staff)

        client = app.test_client()
        sign_in_as(client, "staff", site_id=site.site_id)

        def pages() -> list[str]:
            shown = client.get("/staff/today")
            refused = client.post(
                f"/staff/today/{booked[1]}/dose",
                data={"lot_id": "00000000-0000-0000-0000-000000000000", "csrf_token": csrf_token(client)},
            )
            assert (shown.status_code, refused.status_code) == (200, 404)  # the lot does not exist
            return [TOKEN.sub("TOKEN", r.get_data(as_text=True)) for r in (shown, refused)]

        with_template = pages()
        monkeypatch.setattr(today_cards, "render", lambda *a: Markup(reference(*a)))
        with_python = pages()
        assert with_template == with_python
        assert with_template[0].count('<li id="a-') == 4
        assert "Trần Thị Lan" in with_template[0]
        assert f'id="err-{booked[1]}" role="alert"' in with_template[1]  # the refused card shows its sentence
    finally:
        ledger.close()
