"""The appointment cards of the site staff's today page: what every card of a page shares, and the cards
of one session rendered from templates/_today_cards.html.

A site-day has up to a few hundred appointments (the speed row is 400): the page's words, URLs, token,
vaccine names and lots are gathered once per page, and the template does per card only what differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, Template
from markupsafe import Markup

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


@cache
def _template() -> Template:
    """The cards' template, in an environment of its own: autoescaped, and with trim_blocks and
    lstrip_blocks so that the template can put each tag on its own line (the page's own environment keeps
    Jinja's defaults)."""
    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    return environment.get_template("_today_cards.html")


def render(appointments: Iterable[AppointmentRow], names: Mapping[str, str], page: CardPage) -> Markup:
    """The `<li>` cards of one session's appointments, in order (templates/_today_cards.html)."""
    rows = list(appointments)
    lots: dict[str, list[tuple[str, str]]] = {}
    for lot_id, product, number in page.lots:
        lots.setdefault(product, []).append((lot_id, number))
    return Markup(  # noqa: S704 - the template escapes every value (autoescape)
        _template().render(
            appointments=rows,
            names=names,
            words=page.words,
            status_text=page.status_text,
            statuses=STATUSES,
            badges=BADGE,
            products={a.product: page.product_name(a.product) for a in rows},
            no_lot=page.no_lot,
            lots=lots,
            token=page.token,
            person_url=_around(page.person_url, "PERSON"),
            actions={k: _around(v, "APPOINTMENT") for k, v in page.actions.items()},
            closed=page.closed,
            failed_id=page.failed,
            error=page.error,
            chosen_lot=page.chosen_lot,
        )
    )


def _around(url: str, marker: str) -> tuple[str, str]:
    """A URL made with a marker where an id goes: the parts before and after it."""
    before, _, after = url.partition(marker)
    return before, after
