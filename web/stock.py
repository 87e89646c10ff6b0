"""The stock table of the operations view: filtered by text and state, expired and near-expiry lots first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from services.dashboards import StockLine

STATES = ("all", "expired", "near_expiry", "usable")
PAGE = 20  # lots shown at once: a phone page stays short, the filter finds the rest


@dataclass(frozen=True)
class Stock:
    rows: list[dict[str, Any]]
    total: int  # lots matching the filter
    query: str
    state: str
    counts: dict[str, int]  # lots per state, before the filter


def _state(lot: Mapping[str, Any]) -> str:
    if lot.get("expired"):
        return "expired"
    if lot.get("near_expiry"):
        return "near_expiry"
    return "usable"


def filtered(lines: Sequence[StockLine], args: Mapping[str, str]) -> Stock:
    """Lots matching `q` (vaccine, lot number or site) and `state`; expired first, then by expiry date."""
    lots = [asdict(line) for line in lines]
    query = str(args.get("q") or "").strip()[:100]
    state = str(args.get("state") or "all")
    if state not in STATES:
        state = "all"
    counts = {name: 0 for name in STATES}
    for lot in lots:
        counts[_state(lot)] += 1
    counts["all"] = len(lots)
    wanted = query.casefold()
    found = [
        {**lot, "state": _state(lot)}
        for lot in lots
        if (state == "all" or _state(lot) == state)
        and (
            not wanted
            or any(wanted in str(lot.get(k) or "").casefold() for k in ("vaccine", "lot_number", "site"))
        )
    ]
    order = {"expired": 0, "near_expiry": 1, "usable": 2}
    found.sort(key=lambda lot: (order[lot["state"]], str(lot.get("expiry")), str(lot.get("lot_number"))))
    return Stock(rows=found[:PAGE], total=len(found), query=query, state=state, counts=counts)
