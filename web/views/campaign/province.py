"""Province officers: the campaign page (sites and capacity, planning a day or a week)."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from web import forms
from web.errors import USER_ERRORS, BadInput
from web.i18n import show_date
from web.notices import confirm
from web.roles import Role, allow
from web.views.campaign.common import (
    _failed,
    _principal,
    pages,
    product_name,
    service,
    staff_actor,
)

# ---- province officers: sites and capacity, planning -------------------------------------------------


def _province_page(*, error: str = "", field: str = "", status: int = 200) -> tuple[str, int]:
    who = _principal()
    s = service()
    sites = s.sites(province=who.province_code)
    names = {x.site_id: x.name for x in sites}
    stock = [r for r in s.stock() if r.site_id in names]
    stock_page = next(
        (
            e
            for e in ("stock.page", "stock.overview", "stock.province", "operations.stock")
            if e in current_app.view_functions
        ),
        None,
    )
    return render_template(
        "campaign_province.html",
        sites=sites,
        names=names,
        stock=stock,
        stock_page=stock_page,
        today=s.ledger.today(),
        error=error,
        error_field=field,
    ), status


@pages.get("/province/campaign")
@allow(Role.PROVINCE)
def province_page() -> tuple[str, int]:
    return _province_page()


@pages.post("/province/campaign/plan")
@allow(Role.PROVINCE)
def province_plan() -> tuple[str, int] | BaseResponse:
    site_id = request.form.get("site_id", "").strip()[:64]
    week = request.form.get("span") == "week"
    try:
        start = forms.day(request.form, "first_day")
        assert start is not None  # required: forms.day raised otherwise
        actor = staff_actor(site_id)
        s = service()
        planned = (
            s.plan_week(site_id, start, actor=actor) if week else [s.plan_day(site_id, start, actor=actor)]
        )
    except USER_ERRORS as exc:
        error, field, status = _failed(exc)
        return _province_page(error=error, field=field, status=status)
    booked = sum(p.booked_now for p in planned)
    waiting = planned[-1].waiting if planned else 0
    confirm("campaign.done.planned", days=len(planned), booked=booked, waiting=waiting)
    if planned:  # why the last day's people still wait, one line per group
        for group in planned[-1].waiting_reasons:
            product = group["product"]
            reason = group["reason"]
            if reason == "no_stock" and not product:  # a first dose: any vaccine would do, none is left
                reason = "no_stock_any"
            confirm(
                f"campaign.waiting.{reason}",
                count=group["count"],
                dose=group["dose_number"] or 0,
                product=product_name(str(product)) if product else "",  # as the stock list names it
            )
        if planned[-1].not_due:
            confirm(
                "campaign.waiting.registered_not_due",
                count=planned[-1].not_due,
                day=show_date(planned[-1].first_due),
            )
    return redirect(url_for("campaign.province_page"))


@pages.post("/province/campaign/sites/<site_id>/capacity")
@allow(Role.PROVINCE)
def province_capacity(site_id: str) -> tuple[str, int] | BaseResponse:
    """New capacities per session of one site (1 to 2,000 each); each field's error is beside it."""
    from ledger.campaign.values import check_capacity

    field = ""
    try:
        actor = staff_actor(site_id)
        s = service()
        capacities: dict[str, int] = {}
        for session in s.site(site_id).sessions:
            name = str(session["name"])
            field = f"capacity-{site_id}-{name}"
            typed = request.form.get(f"capacity-{name}", "").strip()[:10]
            if not typed.lstrip("-").isdigit():
                raise BadInput(
                    "the capacity is not a whole number", key="error.number_invalid", field="capacity"
                )
            capacities[name] = check_capacity(typed)
        field = ""
        s.change_capacity(site_id, capacities, actor=actor)
    except USER_ERRORS as exc:
        error, _, status = _failed(exc)
        return _province_page(error=error, field=field, status=status)
    confirm("campaign.done.capacity")
    return redirect(url_for("campaign.province_page") + f"#site-{site_id}")
