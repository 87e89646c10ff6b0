"""Site staff: today's list (check-in, dose, did not come, came late) and closing the day."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from projections import campaign_queries as q
from web import today_cards
from web.errors import USER_ERRORS, BadInput
from web.i18n import translate
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

# ---- site staff: today's list --------------------------------------------------------------------


def _today_page(*, error: str = "", field: str = "", failed: str = "", status: int = 200) -> tuple[str, int]:
    who = _principal()
    s = service()
    today = s.ledger.today()
    day = s.day(who.site_id, today) if who.site_id else None
    lots = s.lots_at(who.site_id) if who.site_id else []
    site = q.site(s.store, who.site_id) if who.site_id else None
    cards: list[Markup] = []
    if day is not None:
        names = s.names(day)
        page = today_cards.CardPage(
            words={
                k: translate(f"campaign.{k}")
                for k in ("person", "dose", "check_in", "lot", "record_dose", "no_show", "came_late")
            },
            status_text={k: translate(f"campaign.status.{k}") for k in today_cards.STATUSES},
            product_name=product_name,
            no_lot=lambda product: translate("campaign.no_lot", product=product),
            lots=lots,
            token=generate_csrf(),
            person_url=url_for("staff.person", person_id="PERSON"),
            actions={
                "check-in": url_for("campaign.today_check_in", appointment_id="APPOINTMENT"),
                "dose": url_for("campaign.today_dose", appointment_id="APPOINTMENT"),
                "no-show": url_for("campaign.today_no_show", appointment_id="APPOINTMENT"),
                "came-late": url_for("campaign.today_came_late", appointment_id="APPOINTMENT"),
            },
            closed=day.closed,
            failed=failed,
            error=error,
            chosen_lot=request.form.get("lot_id", "") if failed else "",
        )
        cards = [today_cards.render(x.appointments, names, page) for x in day.sessions]
    return render_template(
        "campaign_today.html",
        day=day,
        today=today,
        cards=cards,
        site=site,
        error=error,
        error_field=field,
        failed=failed,
    ), status


@pages.get("/staff/today")
@allow(Role.STAFF)
def today_page() -> tuple[str, int]:
    return _today_page()


@pages.post("/staff/today/<appointment_id>/check-in")
@allow(Role.STAFF)
def today_check_in(appointment_id: str) -> tuple[str, int] | BaseResponse:
    try:
        service().check_in(appointment_id, actor=staff_actor())
    except USER_ERRORS as exc:
        error, field, status = _failed(exc)
        return _today_page(error=error, field=field, failed=appointment_id, status=status)
    confirm("campaign.done.checked_in")
    return redirect(url_for("campaign.today_page") + f"#a-{appointment_id}")


@pages.post("/staff/today/<appointment_id>/no-show")
@allow(Role.STAFF)
def today_no_show(appointment_id: str) -> tuple[str, int] | BaseResponse:
    try:
        service().mark_no_show(appointment_id, actor=staff_actor())
    except USER_ERRORS as exc:
        error, field, status = _failed(exc)
        return _today_page(error=error, field=field, failed=appointment_id, status=status)
    confirm("campaign.done.no_show")
    return redirect(url_for("campaign.today_page") + f"#a-{appointment_id}")


@pages.post("/staff/today/<appointment_id>/came-late")
@allow(Role.STAFF)
def today_came_late(appointment_id: str) -> tuple[str, int] | BaseResponse:
    try:
        service().record_late_arrival(appointment_id, actor=staff_actor())
    except USER_ERRORS as exc:
        error, field, status = _failed(exc)
        return _today_page(error=error, field=field, failed=appointment_id, status=status)
    confirm("campaign.done.came_late")
    return redirect(url_for("campaign.today_page") + f"#a-{appointment_id}")


@pages.post("/staff/today/<appointment_id>/dose")
@allow(Role.STAFF)
def today_dose(appointment_id: str) -> tuple[str, int] | BaseResponse:
    try:
        lot = request.form.get("lot_id", "").strip()
        if not lot:
            raise BadInput("choose the lot", key="error.field_missing", field="lot_id")
        service().record_dose(appointment_id, lot_id=lot, actor=staff_actor())
    except USER_ERRORS as exc:
        error, field, status = _failed(exc)
        return _today_page(error=error, field=field or "lot_id", failed=appointment_id, status=status)
    confirm("campaign.done.dose")
    return redirect(url_for("campaign.today_page") + f"#a-{appointment_id}")


@pages.post("/staff/today/close")
@allow(Role.STAFF)
def today_close() -> tuple[str, int] | BaseResponse:
    who = _principal()
    try:
        if request.form.get("confirm") != "1":
            raise BadInput("tick the box to confirm", key="error.campaign_close_confirm", field="confirm")
        s = service()
        missing = s.close_day(who.site_id, s.ledger.today(), actor=staff_actor(who.site_id))
    except USER_ERRORS as exc:
        error, field, status = _failed(exc)
        return _today_page(error=error, field=field, failed="close", status=status)
    confirm("campaign.done.closed", count=missing)
    return redirect(url_for("campaign.today_page"))
