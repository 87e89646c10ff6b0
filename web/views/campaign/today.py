"""Site staff: today's list (check-in, dose, did not come, came late) and closing the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from ledger.commands import VIETNAM_TIME
from projections import plan_queries, site_queries
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


@dataclass(frozen=True)
class Closing:
    """What closing the day would do now, said above the button before anyone presses it."""

    unserved: int  # booked or arrived without a dose: each becomes a no-show, back in the queue
    first_start: str  # the first open session's start ("07:30"); "" when every session is cancelled
    early: bool  # no session has started yet: closing now sends the whole day's list back to the queue


def closing(day: plan_queries.DayRow, now: datetime) -> Closing:
    """Who closing `day` at `now` sends back to the queue, and whether it would be before any session
    began (Viet Nam time). Closing at dawn by mistake re-queues everyone booked that day."""
    unserved = sum(1 for s in day.sessions for a in s.appointments if a.status in ("booked", "arrived"))
    starts = sorted(s.start for s in day.sessions if not s.cancelled)
    first = starts[0] if starts else ""
    local = now.astimezone(VIETNAM_TIME).strftime("%H:%M")
    return Closing(unserved, first, bool(first) and local < first)  # "HH:MM" compares as time


def _today_page(*, error: str = "", field: str = "", failed: str = "", status: int = 200) -> tuple[str, int]:
    who = _principal()
    s = service()
    today = s.ledger.today()
    day = s.day(who.site_id, today) if who.site_id else None
    lots = s.lots_at(who.site_id) if who.site_id else []
    site = site_queries.site(s.store, who.site_id) if who.site_id else None
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
        closing=closing(day, s.ledger.now()) if day is not None else None,
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
            raise BadInput("choose the lot", key="error.field_choice", field="lot_id")
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
        ticked = request.form.get("confirm", "")
        if ticked not in ("1", "early"):
            raise BadInput("tick the box to confirm", key="error.campaign_close_confirm", field="confirm")
        s = service()
        day = s.day(who.site_id, s.ledger.today()) if who.site_id else None
        now = closing(day, s.ledger.now()) if day is not None else None
        if now is not None and now.early and ticked != "early":
            # The box ticked was not the one that says no session has begun (a page from before the
            # warning, or the API's shape): nothing is closed until that is confirmed.
            raise BadInput(
                "no session has started yet",
                key="error.campaign_close_early",
                field="confirm",
                start=now.first_start,
                count=now.unserved,
            )
        missing = s.close_day(who.site_id, s.ledger.today(), actor=staff_actor(who.site_id))
    except USER_ERRORS as exc:
        error, field, status = _failed(exc)
        return _today_page(error=error, field=field, failed="close", status=status)
    confirm("campaign.done.closed", count=missing)
    return redirect(url_for("campaign.today_page"))
