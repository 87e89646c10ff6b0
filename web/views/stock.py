"""Vaccine stock on the web: the province officer's page (receive a shipment, allocate whole vials to
a site, see the store and the sites), the site staff's view of their own site's lots, returning unopened
vials to the store (both), and the JSON API.

Views only translate HTTP to services.stock and back; the province and site limits are the ledger's
(ledger.permissions), so the page, the API and the CLI refuse the same things with the same sentence.
Each form carries an idempotency key made when the page was drawn, so a double submit is one write.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask.wrappers import Response
from werkzeug.wrappers import Response as BaseResponse

from ledger.campaign.errors import CampaignInputInvalid
from ledger.errors import NotPermitted
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from projections import stock_queries as sq
from services.stock import StockService
from web.context import ctx
from web.errors import USER_ERRORS, BadInput, status_for
from web.i18n import message_for
from web.notices import confirm
from web.roles import Principal, Role, allow, current_principal

api = Blueprint("stock_api", __name__, url_prefix="/api/v1/stock")
pages = Blueprint("stock", __name__)


def service() -> StockService:
    backend = ctx().backend
    return StockService(backend.ledger, backend.views)


def _principal() -> Principal:
    who = current_principal()
    assert who is not None  # roles.install guarantees it
    return who


def actor() -> Actor:
    """The signed-in staff member as the ledger's actor: site staff with their site, a province officer
    with their province (the ledger then holds each to it)."""
    who = _principal()
    if who.role is Role.STAFF:
        try:
            site = UUID(who.site_id) if who.site_id else None
        except ValueError:
            site = None
        if site is None:
            raise NotPermitted("Your staff account has no site: ask an administrator to set it.")
        return Actor(who.subject, LedgerRole.SITE_STAFF, site)
    if who.role is Role.PROVINCE:
        return Actor(who.subject, LedgerRole.PROVINCE_OFFICER, province_code=who.province_code or None)
    raise NotPermitted("Only site staff and province officers work with vaccine stock.")


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise CampaignInputInvalid("Send a JSON object with Content-Type: application/json.")
    return data


def _key(data: Any) -> str | None:
    """The caller's idempotency key: the Idempotency-Key header, or the form's or body's `key`."""
    given = request.headers.get("Idempotency-Key") or (data.get("key") if hasattr(data, "get") else None)
    return str(given)[:200] if given else None


# ---- JSON API ------------------------------------------------------------------------------------


@api.get("/lots")
@allow(Role.STAFF, Role.PROVINCE)
def lots() -> Response:
    """Store lots, site allocations and allocation vs use, within the caller's reach (?site=ID)."""
    return jsonify(service().picture(actor(), site_id=request.args.get("site") or None).as_json())


@api.post("/shipments")
@allow(Role.PROVINCE)
def receive() -> Response:
    data = _body()
    lot = service().receive(
        province_code=str(data.get("province", "")),
        product=str(data.get("product", "")),
        lot_number=str(data.get("lot_number", "")),
        expiry=_date(data.get("expiry")),
        doses_per_vial=data.get("doses_per_vial"),
        doses=data.get("doses"),
        vials=data.get("vials"),
        actor=actor(),
        idempotency_key=_key(data),
    )
    return jsonify({"lot_id": str(lot)})


@api.post("/allocations")
@allow(Role.PROVINCE)
def allocate() -> Response:
    data = _body()
    site_lot = service().allocate(
        store_lot_id=data.get("lot_id", ""),
        site_id=data.get("site_id", ""),
        doses=data.get("doses"),
        vials=data.get("vials"),
        actor=actor(),
        idempotency_key=_key(data),
    )
    return jsonify({"site_lot_id": str(site_lot)})


@api.post("/returns")
@allow(Role.STAFF, Role.PROVINCE)
def return_vials() -> Response:
    data = _body()
    returned = service().return_vials(
        site_lot_id=data.get("site_lot_id", ""),
        doses=data.get("doses"),
        vials=data.get("vials"),
        actor=actor(),
        idempotency_key=_key(data),
    )
    return jsonify({"site_lot_id": str(data.get("site_lot_id", "")), "returned": returned})


@api.post("/sites/<site_id>/close-day")
@allow(Role.STAFF, Role.PROVINCE)
def close_day(site_id: str) -> Response:
    data = request.get_json(silent=True) or {}
    day = (
        _date(data.get("date"))
        if isinstance(data, dict) and data.get("date")
        else ctx().backend.ledger.today()
    )
    wasted = service().close_day(site_id, day, actor=actor())
    return jsonify({"site_id": site_id, "date": day.isoformat(), "wasted": wasted})


def _date(value: object) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise CampaignInputInvalid(f"The date {str(value)[:20]!r} is not a date: use YYYY-MM-DD.") from None


# ---- the page ------------------------------------------------------------------------------------


def _page(error: str = "", status: int = 200, form: dict[str, str] | None = None) -> tuple[str, int]:
    who = actor()
    s = service()
    picture = s.picture(who)
    backend = ctx().backend
    if who.role is LedgerRole.PROVINCE_OFFICER:
        sites = sq.sites(backend.views, province=who.province_code) if who.province_code else []
    else:
        sites = sq.sites(backend.views, site_id=str(who.site_id))
    names = {x.site_id: x.name for x in sites}
    vaccines = sorted(backend.reference.vaccines.values(), key=lambda v: v.name)
    # The receive form offers the products the province already holds first; nothing is chosen for the
    # officer (the first of the whole reference list, "Abdala", was the default before).
    held = {r.product for r in picture.store_lots} | {r.product for r in picture.site_lots}
    today = backend.ledger.today()
    # What is still at the sites first, usable lots soonest to expire first; lots used up (the demo's
    # site showed eleven of them before its one usable lot) folded away below.
    holding = sorted(
        (r for r in picture.site_lots if r.remaining > 0), key=lambda r: (r.expiry < today, r.expiry)
    )
    used_up = [r for r in picture.site_lots if r.remaining <= 0]
    # The province store the same way: lots still in store first, the emptied ones folded.
    store_holding = sorted(
        (r for r in picture.store_lots if r.available > 0), key=lambda r: (r.expiry < today, r.expiry)
    )
    store_used_up = [r for r in picture.store_lots if r.available <= 0]
    return render_template(
        "stock.html",
        picture=picture,
        holding=holding,
        used_up=used_up,
        store_holding=store_holding,
        store_used_up=store_used_up,
        sites=sites,
        site_names=names,
        vaccines=vaccines,
        held_vaccines=[v for v in vaccines if v.mp in held],
        other_vaccines=[v for v in vaccines if v.mp not in held],
        names={v.mp: v.name for v in vaccines},
        officer=who.role is LedgerRole.PROVINCE_OFFICER,
        province=who.province_code,
        today=today,
        error=error,
        form=form or {},
        form_key=uuid.uuid4().hex,
    ), status


@pages.get("/stock")
@allow(Role.STAFF, Role.PROVINCE)
def page() -> tuple[str, int]:
    return _page()


@pages.post("/stock/receive")
@allow(Role.PROVINCE)
def receive_page() -> BaseResponse | tuple[str, int]:
    form = request.form
    try:
        if not form.get("product", "").strip():
            raise BadInput("choose the vaccine", key="error.field_choice", field="product")
        service().receive(
            province_code=_principal().province_code,
            product=form.get("product", ""),
            lot_number=form.get("lot_number", ""),
            expiry=_date(form.get("expiry", "")),
            doses_per_vial=form.get("doses_per_vial", ""),
            doses=form.get("doses", "") if form.get("unit") == "doses" else None,
            vials=form.get("doses", "") if form.get("unit") != "doses" else None,
            actor=actor(),
            idempotency_key=_key(form),
        )
    except USER_ERRORS as exc:
        return _page(message_for(exc), status_for(exc), dict(form))
    confirm("done.stock_received", lot=form.get("lot_number", "")[:50])
    return redirect(url_for("stock.page"))


@pages.post("/stock/allocate")
@allow(Role.PROVINCE)
def allocate_page() -> BaseResponse | tuple[str, int]:
    form = request.form
    try:
        service().allocate(
            store_lot_id=form.get("lot_id", ""),
            site_id=form.get("site_id", ""),
            vials=form.get("vials", ""),
            actor=actor(),
            idempotency_key=_key(form),
        )
    except USER_ERRORS as exc:
        return _page(message_for(exc), status_for(exc), dict(form))
    confirm("done.stock_allocated", vials=form.get("vials", "")[:10])
    return redirect(url_for("stock.page"))


@pages.post("/stock/return")
@allow(Role.STAFF, Role.PROVINCE)
def return_page() -> BaseResponse | tuple[str, int]:
    form = request.form
    try:
        service().return_vials(
            site_lot_id=form.get("site_lot_id", ""),
            vials=form.get("vials", ""),
            actor=actor(),
            idempotency_key=_key(form),
        )
    except USER_ERRORS as exc:
        return _page(message_for(exc), status_for(exc), dict(form))
    confirm("done.stock_returned", vials=form.get("vials", "")[:10])
    return redirect(url_for("stock.page"))
