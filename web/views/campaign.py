"""Campaign operations on the web: the JSON API (sites, planning, the day's list, stock, the public
priority list, the citizen's registration and appointments, the SMS gateway's inbound replies) and
the pages that use the same services (the site's list of the day, the public priority list).

Who may do what: site staff work their own site's day; province officers their province's sites;
citizens their own family's registrations and appointments; the SMS gateway authenticates inbound
replies with its shared secret (IMMUNIZE_SMS_INBOUND_SECRET), compared in constant time.
"""

from __future__ import annotations

import hmac
import os
from datetime import date
from typing import Any
from uuid import UUID

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask.wrappers import Response
from werkzeug.wrappers import Response as BaseResponse

from ledger.campaign.errors import CampaignInputInvalid
from ledger.errors import NotPermitted
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services import citizen
from services.campaign import CampaignService
from web import signin
from web.context import ctx
from web.roles import Principal, Role, allow, current_principal

api = Blueprint("campaign_api", __name__, url_prefix="/api/v1")
pages = Blueprint("campaign", __name__)
MAX_INBOUND = 4 * 1024


def service() -> CampaignService:
    backend = ctx().backend
    return CampaignService(backend.ledger, backend.views)


def _principal() -> Principal:
    who = current_principal()
    assert who is not None  # roles.install guarantees it
    return who


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise CampaignInputInvalid("Send a JSON object with Content-Type: application/json.")
    return data


def _day(text: object) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise CampaignInputInvalid(f"The date {text!r} is not a date: use YYYY-MM-DD.") from None


def staff_actor(site_id: str | UUID | None = None) -> Actor:
    """The signed-in staff member as the ledger's actor; a province officer only for their province."""
    who = _principal()
    if who.role is Role.STAFF:
        if site_id is not None and str(site_id) != who.site_id:
            raise NotPermitted("Site staff work their own site's day only: sign in at that site.")
        return Actor(who.subject, LedgerRole.SITE_STAFF, UUID(who.site_id) if who.site_id else None)
    if who.role is Role.PROVINCE:
        if site_id is not None and service().site(site_id).province != who.province_code:
            raise NotPermitted(
                f"Province officers manage their own province's sites (yours: {who.province_code})."
            )
        return Actor(who.subject, LedgerRole.PROVINCE_OFFICER, province_code=who.province_code or None)
    raise NotPermitted("Only site staff and province officers do this.")


def _family_actor(person_id: str) -> tuple[UUID, Actor]:
    member = citizen.member(ctx().backend, signin.session_phone(), person_id)
    guardian = member.guardian_id
    actor = Actor(guardian, LedgerRole.GUARDIAN) if guardian else Actor(member.id, LedgerRole.CITIZEN)
    return UUID(member.id), actor


# ---- the SMS gateway -------------------------------------------------------------------------------


@api.post("/sms/inbound")
@allow(Role.PUBLIC)
def sms_inbound() -> Response | tuple[Response, int]:
    """A reply from a phone, pushed by the gateway: {"from": "+8491...", "text": "3 sốt cao"}."""
    secret = (
        os.environ.get("IMMUNIZE_SMS_INBOUND_SECRET") or current_app.config.get("SMS_INBOUND_SECRET") or ""
    )
    given = request.headers.get("X-Gateway-Secret", "")
    if not secret:
        return jsonify(
            {"error": "sms_inbound_not_configured", "message": "Inbound SMS is not configured."}
        ), 503
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return jsonify({"error": "forbidden", "message": "The gateway secret is wrong."}), 403
    if (request.content_length or 0) > MAX_INBOUND:
        return jsonify({"error": "too_large", "message": "A reply is at most 4 KiB."}), 413
    data = _body()
    result = service().reply(str(data.get("from", "")), str(data.get("text", "")))
    return jsonify({"outcome": result.outcome})


# ---- sites, planning, the day's list, stock ------------------------------------------------------


@api.get("/campaign/sites")
@allow(Role.STAFF, Role.PROVINCE, Role.RESPONSE)
def sites() -> Response:
    who = _principal()
    province = request.args.get("province") or (who.province_code if who.role is Role.PROVINCE else None)
    return jsonify([s.as_json() for s in service().sites(province=province)])


@api.post("/campaign/sites")
@allow(Role.PROVINCE)
def add_site() -> Response:
    from ledger.campaign.values import Session, parse_opening_days

    data = _body()
    who = _principal()
    ward = ctx().backend.reference.ward(str(data.get("ward_code", "")))
    if ward.province_code != who.province_code:
        raise NotPermitted(f"Province officers add sites in their own province ({who.province_code}).")
    sessions = [Session.parse(str(s)) for s in data.get("sessions") or []] or [
        Session("morning", "07:30", "11:30", 200),
        Session("afternoon", "13:30", "16:30", 200),
    ]
    row = service().add_site(
        code=str(data.get("code", "")),
        name=str(data.get("name", "")),
        ward_code=ward.code,
        address=str(data.get("address", "")),
        sessions=sessions,
        opening_days=parse_opening_days(str(data.get("opening_days", "daily"))),
        actor=staff_actor(),
    )
    return jsonify(row.as_json())


@api.get("/campaign/sites/<site_id>/registrations")
@allow(Role.STAFF, Role.PROVINCE)
def registrations(site_id: str) -> Response:
    staff_actor(site_id)
    return jsonify([r.as_json() for r in service().registrations(site_id)])


@api.post("/campaign/sites/<site_id>/plan")
@allow(Role.STAFF, Role.PROVINCE)
def plan(site_id: str) -> Response:
    planned = service().plan_day(site_id, _day(_body().get("date")), actor=staff_actor(site_id))
    return jsonify(planned.as_json())


@api.get("/campaign/sites/<site_id>/days/<day>")
@allow(Role.STAFF, Role.PROVINCE)
def day_list(site_id: str, day: str) -> Response:
    staff_actor(site_id)
    found = service().day(site_id, _day(day))
    if found is None:
        return jsonify({"site_id": site_id, "date": day, "sessions": []})
    return jsonify(
        {
            "site_id": site_id,
            "date": day,
            "closed": found.closed,
            "sessions": [
                {
                    "name": s.name,
                    "start": s.start,
                    "end": s.end,
                    "capacity": s.capacity,
                    "cancelled": s.cancelled,
                    "appointments": [a.as_json() for a in s.appointments],
                }
                for s in found.sessions
            ],
        }
    )


@api.post("/campaign/appointments/<appointment_id>/check-in")
@allow(Role.STAFF)
def check_in(appointment_id: str) -> Response:
    service().check_in(appointment_id, actor=staff_actor())
    return jsonify({"status": "arrived"})


@api.post("/campaign/appointments/<appointment_id>/dose")
@allow(Role.STAFF)
def record_dose(appointment_id: str) -> Response:
    dose = service().record_dose(appointment_id, lot_id=str(_body().get("lot_id", "")), actor=staff_actor())
    return jsonify({"dose_id": str(dose)})


@api.get("/campaign/stock")
@allow(Role.PROVINCE, Role.RESPONSE, Role.STAFF)
def stock() -> Response:
    who = _principal()
    site = who.site_id if who.role is Role.STAFF else request.args.get("site")
    return jsonify([r.as_json() for r in service().stock(site_id=site or None)])


@api.get("/campaign/priority-list/<ward_code>")
@allow(Role.PUBLIC)
def priority_list(ward_code: str) -> Response:
    found = service().priority_list(ward_code)
    return jsonify(
        {
            "ward": found.ward,
            "waiting": found.waiting,
            "groups": [{"rank": r, "group": g, "waiting": n} for r, g, n in found.groups],
            "places_per_day": found.free_places,
            "cutoff_rank": found.cutoff_rank,
        }
    )


# ---- the citizen ---------------------------------------------------------------------------------


@api.post("/me/people/<person_id>/registration")
@allow(Role.CITIZEN)
def register(person_id: str) -> Response:
    data = _body()
    pid, actor = _family_actor(person_id)
    made = service().register(
        person=pid,
        group=str(data.get("priority_group", "")),
        site_id=data.get("site_id") or None,
        ward_code=data.get("ward_code") or None,
        language=str(data.get("language", "vi")),
        actor=actor,
    )
    return jsonify(
        {
            "registration_id": str(made.registration_id),
            "dose_number": made.dose_number,
            "due_on": made.due_on.isoformat(),
        }
    )


@api.get("/me/people/<person_id>/appointments")
@allow(Role.CITIZEN)
def my_appointments(person_id: str) -> Response:
    pid, _ = _family_actor(person_id)
    s = service()
    return jsonify(
        {
            "appointments": [a.as_json() for a in s.my_appointments(pid)],
            "registrations": [
                {**r.as_json(), "place_in_queue": place} for r, place in s.my_registrations(pid)
            ],
        }
    )


@api.post("/me/people/<person_id>/appointments/<appointment_id>/cancel")
@allow(Role.CITIZEN)
def my_cancel(person_id: str, appointment_id: str) -> Response:
    _, actor = _family_actor(person_id)
    service().cancel_appointment(appointment_id, actor=actor, reason=str(_body().get("reason", "")))
    return jsonify({"status": "cancelled"})


@api.post("/me/people/<person_id>/appointments/<appointment_id>/move")
@allow(Role.CITIZEN)
def my_move(person_id: str, appointment_id: str) -> Response:
    data = _body()
    _, actor = _family_actor(person_id)
    new = service().move_appointment(
        appointment_id,
        site_id=str(data.get("site_id", "")),
        day=str(data.get("date", "")),
        session=str(data.get("session", "")),
        actor=actor,
    )
    return jsonify({"appointment_id": str(new)})


# ---- pages ---------------------------------------------------------------------------------------


@pages.get("/staff/today")
@allow(Role.STAFF)
def today_page() -> str:
    who = _principal()
    s = service()
    today = s.ledger.today()
    day = s.day(who.site_id, today) if who.site_id else None
    lots = s.lots_at(who.site_id) if who.site_id else []
    return render_template("campaign_today.html", day=day, today=today, lots=lots, names=s.names(day))


@pages.post("/staff/today/<appointment_id>/check-in")
@allow(Role.STAFF)
def today_check_in(appointment_id: str) -> BaseResponse:
    service().check_in(appointment_id, actor=staff_actor())
    return redirect(url_for("campaign.today_page"))


@pages.post("/staff/today/<appointment_id>/dose")
@allow(Role.STAFF)
def today_dose(appointment_id: str) -> BaseResponse:
    service().record_dose(appointment_id, lot_id=request.form.get("lot_id", ""), actor=staff_actor())
    return redirect(url_for("campaign.today_page"))


@pages.get("/priority")
@allow(Role.PUBLIC)
def priority_page() -> str:
    ward = request.args.get("ward", "").strip()
    found = service().priority_list(ward) if ward else None
    return render_template("campaign_priority.html", ward=ward, found=found)


@pages.get("/me/vaccination/<person_id>")
@allow(Role.CITIZEN)
def my_vaccination(person_id: str) -> str:
    pid, _ = _family_actor(person_id)
    s = service()
    groups = sorted(ctx().backend.reference.priority_groups.values(), key=lambda g: g.rank)
    return render_template(
        "campaign_citizen.html",
        person_id=person_id,
        registrations=s.my_registrations(pid),
        appointments=[a for a in s.my_appointments(pid) if a.status in ("booked", "arrived")],
        groups=groups,
    )


@pages.post("/me/vaccination/<person_id>/register")
@allow(Role.CITIZEN)
def my_register(person_id: str) -> BaseResponse:
    pid, actor = _family_actor(person_id)
    service().register(
        person=pid,
        group=request.form.get("priority_group", ""),
        actor=actor,
        language=request.form.get("language", "vi"),
    )
    return redirect(url_for("campaign.my_vaccination", person_id=person_id))


@pages.post("/me/vaccination/<person_id>/appointments/<appointment_id>/cancel")
@allow(Role.CITIZEN)
def my_cancel_page(person_id: str, appointment_id: str) -> BaseResponse:
    _, actor = _family_actor(person_id)
    service().cancel_appointment(appointment_id, actor=actor, reason="cancelled online")
    return redirect(url_for("campaign.my_vaccination", person_id=person_id))


@pages.get("/province/campaign")
@allow(Role.PROVINCE)
def province_page() -> str:
    who = _principal()
    s = service()
    sites = s.sites(province=who.province_code)
    ids = {x.site_id for x in sites}
    stock = [r for r in s.stock() if r.site_id in ids]
    return render_template("campaign_province.html", sites=sites, stock=stock, today=s.ledger.today())


@pages.post("/province/campaign/plan")
@allow(Role.PROVINCE)
def province_plan() -> BaseResponse:
    site_id = request.form.get("site_id", "")
    days = 7 if request.form.get("week") else 1
    start = _day(request.form.get("date", ""))
    actor = staff_actor(site_id)
    s = service()
    if days == 1:
        s.plan_day(site_id, start, actor=actor)
    else:
        s.plan_week(site_id, start, actor=actor)
    return redirect(url_for("campaign.province_page"))
