"""The campaign's JSON API: the SMS gateway's inbound replies, sites, planning, the day's list, stock,
the public priority list, the citizen's registration and appointments.
"""

from __future__ import annotations

import hmac
import os

from flask import current_app, jsonify, request
from flask.wrappers import Response

from ledger.campaign.errors import CampaignInputInvalid
from ledger.errors import NotPermitted
from web.context import ctx
from web.roles import Role, allow
from web.views.campaign.common import (
    _body,
    _day,
    _family_actor,
    _own_appointment,
    _own_registration,
    _principal,
    api,
    service,
    staff_actor,
)

MAX_INBOUND = 4 * 1024  # bytes of one inbound reply's JSON

# ---- the SMS gateway -------------------------------------------------------------------------------


@api.post("/sms/inbound")
@allow(Role.PUBLIC)
def sms_inbound() -> Response | tuple[Response, int]:
    """A reply from a phone, pushed by the gateway: {"from": "+8491...", "text": "3 sốt cao",
    "message_id": "<the gateway's id>", "received_at": "<the gateway's timestamp>"} (one of the last two
    at least: a message delivered twice is recorded once)."""
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
    message_id, received_at = data.get("message_id"), data.get("received_at")
    if message_id in (None, "") and received_at in (None, ""):
        # Without one of them a gateway's retry of the same message cannot be told from a new message.
        raise CampaignInputInvalid(
            "Send the gateway's message id (message_id) or its timestamp (received_at) with each reply, "
            "so that a message delivered twice is recorded once."
        )
    result = service().reply(
        str(data.get("from", "")),
        str(data.get("text", "")),
        message_id=None if message_id is None else str(message_id),
        received_at=None if received_at is None else str(received_at),
    )
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


@api.post("/campaign/sites/<site_id>")
@allow(Role.PROVINCE)
def edit_site(site_id: str) -> Response:
    from ledger.campaign.values import Session, parse_opening_days

    data = _body()
    actor = staff_actor(site_id)
    row = service().update_site(
        site_id,
        ward_code=str(data.get("ward_code", "")),
        address=str(data.get("address", "")),
        sessions=[Session.parse(str(s)) for s in data.get("sessions") or []],
        opening_days=parse_opening_days(str(data.get("opening_days", "daily"))),
        actor=actor,
        idempotency_key=request.headers.get("Idempotency-Key") or None,
    )
    return jsonify(row.as_json())


@api.post("/campaign/sites/<site_id>/status")
@allow(Role.PROVINCE)
def site_status(site_id: str) -> Response:
    data = _body()
    actor = staff_actor(site_id)
    row = service().set_site_status(
        site_id, str(data.get("status", ""))[:20], reason=str(data.get("reason", ""))[:500], actor=actor
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
    actor = staff_actor(site_id)  # who may plan this site, before anything of the request is read
    planned = service().plan_day(site_id, _day(_body().get("date")), actor=actor)
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


@api.post("/campaign/appointments/<appointment_id>/no-show")
@allow(Role.STAFF)
def no_show(appointment_id: str) -> Response:
    service().mark_no_show(appointment_id, actor=staff_actor())
    return jsonify({"status": "no_show"})


@api.post("/campaign/appointments/<appointment_id>/came-late")
@allow(Role.STAFF)
def came_late(appointment_id: str) -> Response:
    service().record_late_arrival(appointment_id, actor=staff_actor())
    return jsonify({"status": "arrived"})


@api.post("/campaign/registrations/<registration_id>/move")
@allow(Role.STAFF, Role.PROVINCE)
def staff_transfer(registration_id: str) -> Response:
    """Staff move a waiting place to another ward's queue ({"ward_code"} or {"site_id"}): only a place
    waiting at their site or ward (an officer: their province), else 403 waiting_place_of_another_site."""
    data = _body()
    seen = data.get("moves_seen")
    service().transfer_registration(
        registration_id,
        ward_code=str(data.get("ward_code") or "") or None,
        site_id=str(data.get("site_id") or "") or None,
        actor=staff_actor(),
        moves_seen=seen if isinstance(seen, int) and not isinstance(seen, bool) else None,
    )
    return jsonify({"status": "moved", "moves": service().moves_of(registration_id)})


@api.post("/campaign/registrations/<registration_id>/withdraw")
@allow(Role.STAFF, Role.PROVINCE)
def staff_withdraw(registration_id: str) -> Response:
    """Staff take a waiting place out of the queue ({"reason"}), with the same reach as a move."""
    service().withdraw_registration(
        registration_id, reason=str(_body().get("reason", ""))[:500], actor=staff_actor()
    )
    return jsonify({"status": "withdrawn"})


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
    if who.role is Role.PROVINCE:  # a province officer sees their own province's sites only (issue 13)
        if site:
            staff_actor(site)
        else:
            mine = {x.site_id for x in service().sites(province=who.province_code)}
            return jsonify([r.as_json() for r in service().stock() if r.site_id in mine])
    return jsonify([r.as_json() for r in service().stock(site_id=site or None)])


@api.get("/campaign/priority-list/<ward_code>")
@allow(Role.PUBLIC)
def priority_list(ward_code: str) -> Response:
    """Counts per group (1 to 4 shown as "<5"), the next day with places and how far they reach."""
    return jsonify(service().priority_list(ward_code).as_json())


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
    pid, actor = _family_actor(person_id)
    _own_appointment(pid, appointment_id)
    service().cancel_appointment(appointment_id, actor=actor, reason=str(_body().get("reason", "")))
    return jsonify({"status": "cancelled"})


@api.post("/me/people/<person_id>/appointments/<appointment_id>/move")
@allow(Role.CITIZEN)
def my_move(person_id: str, appointment_id: str) -> Response:
    data = _body()
    pid, actor = _family_actor(person_id)
    _own_appointment(pid, appointment_id)
    new = service().move_appointment(
        appointment_id,
        site_id=str(data.get("site_id", "")),
        day=str(data.get("date", "")),
        session=str(data.get("session", "")),
        actor=actor,
    )
    return jsonify({"appointment_id": str(new)})


@api.post("/me/people/<person_id>/registrations/<registration_id>/move")
@allow(Role.CITIZEN)
def my_transfer(person_id: str, registration_id: str) -> Response:
    """A waiting registration moves to another ward's queue: {"ward_code"} or {"site_id"} (and
    "moves_seen", the registration's `moves` when read: a resent request is the same move)."""
    data = _body()
    pid, actor = _family_actor(person_id)
    _own_registration(pid, registration_id)
    seen = data.get("moves_seen")
    service().transfer_registration(
        registration_id,
        ward_code=str(data.get("ward_code") or "") or None,
        site_id=str(data.get("site_id") or "") or None,
        actor=actor,
        moves_seen=seen if isinstance(seen, int) and not isinstance(seen, bool) else None,
    )
    moved = _own_registration(pid, registration_id)
    return jsonify({**moved.as_json(), "moves": service().moves_of(registration_id)})


@api.get("/me/people/<person_id>/appointments/<appointment_id>/move-options")
@allow(Role.CITIZEN)
def my_move_options(person_id: str, appointment_id: str) -> Response:
    """The sessions this appointment may move to (free places, vaccine in stock): its ward's, or
    another ward's with ?ward=CODE."""
    pid, _ = _family_actor(person_id)
    _own_appointment(pid, appointment_id)
    ward = request.args.get("ward", "").strip()[:5] or None
    return jsonify(
        [
            {
                "site_id": p.site_id,
                "site_name": p.site_name,
                "address": p.address,
                "date": p.day,
                "session": p.session,
                "start": p.start,
                "end": p.end,
                "free": p.free,
            }
            for p in service().move_options(appointment_id, ward=ward)
        ]
    )
