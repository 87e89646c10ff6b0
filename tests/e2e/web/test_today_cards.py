"""The today page's cards as `web.today_cards` writes them (no app needed): names escaped, the forms each
status allows, and a refused form's card showing its sentence with the lot that was chosen."""

from __future__ import annotations

from typing import Any

from projections.plan_queries import AppointmentRow
from web import today_cards

A1 = "11111111-1111-1111-1111-111111111111"
A2 = "22222222-2222-2222-2222-222222222222"
LOT1 = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
LOT2 = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"


def row(aid: str, person: str, status: str, product: str = "P1") -> AppointmentRow:
    return AppointmentRow(
        aid, "plan", "site", "2021-08-02", "morning", "reg", person, 3, 1, product, status, None
    )


def page(**changes: Any) -> today_cards.CardPage:
    values: dict[str, Any] = {
        "words": {
            "person": "Người",
            "dose": "Mũi",
            "check_in": "Đã đến",
            "lot": "Lô",
            "record_dose": "Ghi nhận",
            "no_show": "Không đến",
            "came_late": "Đến muộn",
        },
        "status_text": {s: f"<{s}>" for s in today_cards.STATUSES},
        "product_name": lambda code: {"P1": "Vero & Cell"}.get(code, code),
        "no_lot": lambda product: f"Không có lô {product}",
        "lots": [(LOT1, "P1", "L<1>"), (LOT2, "P1", "L2")],
        "token": 'tok"en',
        "person_url": "/desk/people/PERSON",
        "actions": {
            "check-in": "/staff/today/APPOINTMENT/check-in",
            "dose": "/staff/today/APPOINTMENT/dose",
            "no-show": "/staff/today/APPOINTMENT/no-show",
            "came-late": "/staff/today/APPOINTMENT/came-late",
        },
        "closed": False,
    }
    values.update(changes)
    return today_cards.CardPage(**values)


def test_names_lot_numbers_words_and_the_token_are_escaped() -> None:
    html = today_cards.render([row(A1, "p1", "booked")], {"p1": "<script>alert(1)</script> Lan"}, page())
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Lan" in html
    assert "L&lt;1&gt;" in html
    assert "Vero &amp; Cell" in html
    assert "&lt;booked&gt;" in html
    assert 'value="tok&#34;en"' in html
    assert 'href="/desk/people/p1"' in html


def test_each_status_gets_the_forms_it_allows() -> None:
    html = str(
        today_cards.render(
            [row(A1, "p1", "booked"), row(A2, "p2", "done")], {"p1": "Lan", "p2": "Hồng"}, page()
        )
    )
    first, second = html.split("</li>")[:2]
    assert f'action="/staff/today/{A1}/check-in"' in first
    assert f'action="/staff/today/{A1}/dose"' in first
    assert "<form" not in second  # vaccinated: nothing more to do on the card
    closed = str(today_cards.render([row(A1, "p1", "booked")], {"p1": "Lan"}, page(closed=True)))
    assert "<form" not in closed
    unknown = str(today_cards.render([row(A1, "p1", "booked", product="P9")], {}, page()))
    assert "Không có lô P9" in unknown
    assert "/dose" not in unknown
    assert "<strong>Người</strong>" in unknown  # a name that cannot be read shows the word "person"


def test_a_refused_form_shows_its_sentence_on_its_card_and_keeps_the_lot_chosen() -> None:
    cards = [row(A1, "p1", "booked"), row(A2, "p2", "booked")]
    html = str(today_cards.render(cards, {}, page(failed=A2, error="Lô này đã hết.", chosen_lot=LOT2)))
    first, second = html.split("</li>")[:2]
    assert "Lô này đã hết." not in first
    assert "selected" not in first
    assert "aria-invalid" not in first
    assert f'<p class="field-error" id="err-{A2}" role="alert">Lô này đã hết.</p>' in second
    assert f'aria-invalid="true" aria-describedby="err-{A2}"' in second
    assert f'<option value="{LOT2}" selected>L2</option>' in second
    assert f'<option value="{LOT1}">' in second
