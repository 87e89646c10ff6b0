"""The appointment cards of the site staff's today page, written in Python rather than in the template.

Why: a site-day has up to a few hundred appointments (the speed row is 400), and in Jinja each card cost
about twenty expressions (attribute lookups, tests, escapes: 80,000 `escape` calls per page), half of the
page's time. Here the page's words, URLs, CSRF field and each product's lot options are built and escaped
once per page; per card only the person's name and the ids are escaped. The output is the same markup the
template wrote (the today-page tests read it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from projections.plan_queries import AppointmentRow

BADGE = {"done": "green", "arrived": "yellow", "no_show": "red", "cancelled": "none"}
STATUSES = ("booked", "arrived", "done", "cancelled", "no_show")


@dataclass(frozen=True)
class CardPage:
    """What every card of one page shares (built once per request)."""

    words: Mapping[str, str]  # person, dose, check_in, lot, record_dose, no_show, came_late
    status_text: Mapping[str, str]
    product_name: Callable[[str], str]
    no_lot: Callable[[str], str]  # "no lot of {product} here" in the page's language
    lots: Sequence[tuple[str, str, str]]  # (lot id, product, lot number) usable today
    token: str
    person_url: str  # with PERSON where the id goes
    actions: Mapping[str, str]  # check-in, dose, ... -> the form's URL with APPOINTMENT where the id goes
    closed: bool
    failed: str = ""  # the appointment whose form failed (its error is shown on its card)
    error: str = ""
    chosen_lot: str = ""  # the lot the failed form had chosen


def render(appointments: Iterable[AppointmentRow], names: Mapping[str, str], page: CardPage) -> Markup:
    """The `<li>` cards of one session's appointments, in order."""
    words = {k: str(escape(v)) for k, v in page.words.items()}
    # Known statuses only: the class and badge come from these fixed strings, never from the row.
    status_class = {k: k for k in STATUSES}
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
            f'· <span class="badge {BADGE.get(a.status, "booked")}">{status.get(a.status, "")}</span></p>\n'
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
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped
