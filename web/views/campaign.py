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
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask.wrappers import Response
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from ledger.campaign.errors import AppointmentNotFound, CampaignInputInvalid, RegistrationNotFound
from ledger.errors import LedgerError, NotPermitted
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from projections import campaign_queries as q
from services import citizen
from services.campaign import CampaignService
from web import forms, signin, today_cards
from web.catalog import CATALOG
from web.context import ctx
from web.errors import USER_ERRORS, BadInput, error_code, status_for
from web.i18n import message_for, translate
from web.notices import confirm
from web.places import ward_name
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


def _own_appointment(person_id: UUID, appointment_id: str) -> q.AppointmentRow:
    """The appointment, when it is this family member's; anyone else's is 'not found'."""
    found = service().appointment(appointment_id)
    if found.person_id != str(person_id):
        raise AppointmentNotFound("No such appointment for this person: reload the page.")
    return found


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


# ---- pages ---------------------------------------------------------------------------------------
#
# Each page form comes back with what was typed and one sentence next to the field it is about when
# something is wrong (the error's code names the field); success is confirmed on the next page.

# Which form field an error is about (its message is shown next to that field).
FIELD_OF_ERROR = {
    "priority_group_unknown": "priority_group",
    "site_not_found": "place",
    "ward_unknown": "place",
    "campaign_place_choice": "place",
    "already_registered": "priority_group",
    "campaign_day_in_past": "date",
    "date_invalid": "date",
    "field_missing": "date",
    "campaign_input_invalid": "date",
    "site_closed": "date",
    "no_stock": "site_id",
    "move_same_session": "slot",
    "move_same_ward": "place",
    "move_not_due": "slot",
    "session_unavailable": "slot",
    "campaign_slot_choice": "slot",
    "lot_not_at_site": "lot_id",
    "lot_expired": "lot_id",
}


@pages.app_template_filter("product")
def product_name(code: str) -> str:
    """A vaccine product code (EU/1/20/1528) as people call it (Comirnaty); the code when unknown."""
    from web.charts import short_vaccine_name

    vaccine = ctx().backend.reference.vaccines.get(str(code))
    return short_vaccine_name(vaccine.mp_display or vaccine.name) if vaccine else str(code)


def _failed(exc: Exception) -> tuple[str, str, int]:
    """(sentence, field it is about, HTTP status) of an error a person can act on."""
    params = getattr(exc, "params", None)
    if isinstance(params, dict) and isinstance(params.get("session"), str):
        key = f"campaign.session.{params['session']}"
        if key in CATALOG:  # "morning" as the page's language says it
            params["session"] = translate(key).lower()
    return message_for(exc), FIELD_OF_ERROR.get(error_code(exc), ""), status_for(exc)


@dataclass(frozen=True)
class Visit:
    """An appointment as the citizen's page shows it: where, when, which dose."""

    appointment_id: str
    day: date
    session: str
    start: str
    end: str
    site_name: str
    address: str
    dose_number: int
    product: str
    status: str


def _visits(s: CampaignService, person_id: UUID) -> list[Visit]:
    found = []
    for a in s.my_appointments(person_id):
        if a.status not in ("booked", "arrived"):
            continue
        site = q.site(s.store, a.site_id)
        plan = s.day(a.site_id, date.fromisoformat(a.day))
        times = next(
            ((x.start, x.end) for x in (plan.sessions if plan else []) if x.name == a.session), ("", "")
        )
        found.append(
            Visit(
                a.appointment_id,
                date.fromisoformat(a.day),
                a.session,
                times[0],
                times[1],
                site.name if site else "",
                site.address if site else "",
                a.dose_number,
                a.product,
                a.status,
            )
        )
    return sorted(found, key=lambda v: (v.day, v.start))


@pages.app_template_global("upcoming_visits")
def upcoming_visits(person_id: str) -> list[Visit]:
    """Template global: a family member's booked or arrived appointments from today on, soonest first
    (the health book shows the next one); empty when the campaign has none for them. A past day's
    appointment not yet closed by the daily job is not "upcoming"."""
    try:
        s = service()
        today = s.ledger.today()
        return [v for v in _visits(s, UUID(str(person_id))) if v.day >= today]
    except ValueError:
        return []


@pages.app_template_global("next_dose_due")
def next_dose_due(person_id: str) -> citizen.NextDose | None:
    """Template global: a family member's next primary dose and the day it falls due (the health book
    says it when no appointment is booked); None when none is due or the series is complete."""
    try:
        s = service()
        return citizen.next_dose(s.ledger, s.ledger.get_person(UUID(str(person_id))))[0]
    except (ValueError, LedgerError):
        return None


def _places(s: CampaignService, person_id: UUID) -> tuple[str, list[tuple[str, list[q.SiteRow]]]]:
    """The person's home ward, and the campaign sites of their province by ward (for "where")."""
    person = s.ledger.get_person(person_id)
    by_ward: dict[str, list[q.SiteRow]] = {}
    for site in s.sites(province=person.province_code):
        if site.status == "open":
            by_ward.setdefault(site.ward, []).append(site)
    home = person.ward_code
    order = sorted(by_ward, key=lambda w: (w != home, w))
    return home, [(w, by_ward[w]) for w in order]


def _citizen_page(person_id: str, *, error: str = "", field: str = "", status: int = 200) -> tuple[str, int]:
    pid, _ = _family_actor(person_id)
    who = citizen.member(ctx().backend, signin.session_phone(), person_id)
    s = service()
    groups = sorted(ctx().backend.reference.priority_groups.values(), key=lambda g: g.rank)
    places = s.queue_places(pid)
    home, wards = _places(s, pid)
    open_registration = any(p.registration.status in ("waiting", "booked") for p in places)
    person = s.ledger.get_person(pid)
    upcoming, series_done = citizen.next_dose(s.ledger, person)
    # The form starts from what the person chose before (a next dose keeps its priority group and
    # place), else the group on their record: a tap on "register" never drops them to the last group.
    latest = places[0].registration if places else None
    default_group = latest.priority_group if latest else person.priority_group
    default_place = ""
    if latest is not None and latest.site_id:
        default_place = f"site:{latest.site_id}"
    elif latest is not None and latest.ward != home:
        default_place = f"ward:{latest.ward}"
    return render_template(
        "campaign_citizen.html",
        person=who,
        default_group=default_group,
        default_place=default_place,
        next_dose=upcoming,
        series_done=series_done,
        visits=_visits(s, pid),
        places=places,
        groups=groups,
        home_ward=home,
        wards=wards,
        can_register=not open_registration,
        today_iso=s.ledger.today().isoformat(),
        error=error,
        error_field=field,
    ), status


@pages.get("/me/vaccination/<person_id>")
@allow(Role.CITIZEN)
def my_vaccination(person_id: str) -> tuple[str, int]:
    return _citizen_page(person_id)


def _preference(value: str) -> tuple[str | None, str | None]:
    """(site id, ward code) from the "where" choice: "" (home ward), "ward:CODE" or "site:ID"."""
    value = value.strip()
    if not value:
        return None, None
    kind, _, code = value.partition(":")
    if kind == "site" and code:
        return code, None
    if kind == "ward" and code:
        return None, code
    raise BadInput("choose the place from the list", key="error.campaign_place_choice", field="place")


@pages.post("/me/vaccination/<person_id>/register")
@allow(Role.CITIZEN)
def my_register(person_id: str) -> tuple[str, int] | BaseResponse:
    pid, actor = _family_actor(person_id)
    try:
        site_id, ward_code = _preference(request.form.get("place", ""))
        language = request.form.get("language", "vi")
        if language not in ("vi", "en"):
            raise BadInput("choose a language", key="error.field_choice", field="language")
        made = service().register(
            person=pid,
            group=request.form.get("priority_group", "")[:40],
            site_id=site_id,
            ward_code=ward_code,
            actor=actor,
            language=language,
        )
    except USER_ERRORS as exc:
        error, field, status = _failed(exc)
        return _citizen_page(person_id, error=error, field=field, status=status)
    confirm("campaign.done.registered", person=person_id, number=made.dose_number)
    return redirect(url_for("campaign.my_vaccination", person_id=person_id))


@pages.get("/me/vaccination/<person_id>/appointments/<appointment_id>/cancel")
@allow(Role.CITIZEN)
def my_cancel_confirm(person_id: str, appointment_id: str) -> tuple[str, int]:
    """Cancelling asks once more, showing what is cancelled (a stray tap on a phone cancels nothing)."""
    pid, _ = _family_actor(person_id)
    who = citizen.member(ctx().backend, signin.session_phone(), person_id)
    _own_appointment(pid, appointment_id)
    visit = next((v for v in _visits(service(), pid) if v.appointment_id == appointment_id), None)
    return render_template(
        "campaign_cancel.html", person=who, visit=visit, appointment_id=appointment_id
    ), 200


@pages.post("/me/vaccination/<person_id>/appointments/<appointment_id>/cancel")
@allow(Role.CITIZEN)
def my_cancel_page(person_id: str, appointment_id: str) -> tuple[str, int] | BaseResponse:
    pid, actor = _family_actor(person_id)
    withdraw = request.form.get("withdraw") == "1"
    try:
        _own_appointment(pid, appointment_id)
        service().cancel_appointment(
            appointment_id, actor=actor, reason="cancelled online", withdraw=withdraw
        )
    except USER_ERRORS as exc:
        error, field, status = _failed(exc)
        return _citizen_page(person_id, error=error, field=field, status=status)
    confirm("campaign.done.withdrawn" if withdraw else "campaign.done.cancelled", person=person_id)
    return redirect(url_for("campaign.my_vaccination", person_id=person_id))


def _slot(value: str) -> tuple[str, date, str]:
    """(site id, day, session) from a "site|YYYY-MM-DD|session" choice."""
    parts = value.split("|")
    if len(parts) != 3 or not all(parts):
        raise BadInput("choose a session from the list", key="error.campaign_slot_choice", field="slot")
    try:
        day = date.fromisoformat(parts[1])
    except ValueError:
        raise BadInput(
            "choose a session from the list", key="error.campaign_slot_choice", field="slot"
        ) from None
    return parts[0], day, parts[2]


@pages.route("/me/vaccination/<person_id>/appointments/<appointment_id>/move", methods=["GET", "POST"])
@allow(Role.CITIZEN)
def my_move_page(person_id: str, appointment_id: str) -> tuple[str, int] | BaseResponse:
    pid, actor = _family_actor(person_id)
    who = citizen.member(ctx().backend, signin.session_phone(), person_id)
    s = service()
    _own_appointment(pid, appointment_id)
    error, field, status = "", "", 200
    if request.method == "POST":
        try:
            site_id, day, session = _slot(request.form.get("slot", "")[:200])
            s.move_appointment(appointment_id, site_id=site_id, day=day, session=session, actor=actor)
        except USER_ERRORS as exc:
            error, field, status = _failed(exc)
        else:
            confirm("campaign.done.moved", person=person_id)
            return redirect(url_for("campaign.my_vaccination", person_id=person_id))
    current = next((v for v in _visits(s, pid) if v.appointment_id == appointment_id), None)
    booked = s.appointment(appointment_id)
    home = s.site(booked.site_id).ward
    ward, ward_error = _chosen_ward(home)
    options = s.move_options(appointment_id, days=7, ward=ward)
    by_day: dict[str, list[q.SessionPlace]] = {}
    for option in options:
        by_day.setdefault(option.day, []).append(option)
    return render_template(
        "campaign_move.html",
        person=who,
        current=current,
        appointment_id=appointment_id,
        by_day=[(date.fromisoformat(d), xs) for d, xs in by_day.items()],
        ward=ward,
        elsewhere=ward != home,
        ward_error=ward_error,
        error=error,
        error_field=field,
    ), status


def _own_registration(person_id: UUID, registration_id: str) -> q.RegistrationRow:
    """The registration, when it is this family member's; anyone else's is 'not found'."""
    for r in service().my_registrations(person_id):
        if r[0].registration_id == registration_id:
            return r[0]
    raise RegistrationNotFound("No such registration for this person: reload the page.")


@pages.route("/me/vaccination/<person_id>/registrations/<registration_id>/move", methods=["GET", "POST"])
@allow(Role.CITIZEN)
def my_transfer_page(person_id: str, registration_id: str) -> tuple[str, int] | BaseResponse:
    """A waiting person moves their place to another ward's queue (working elsewhere for a while)."""
    pid, actor = _family_actor(person_id)
    who = citizen.member(ctx().backend, signin.session_phone(), person_id)
    s = service()
    reg = _own_registration(pid, registration_id)
    error, field, status = "", "", 200
    if request.method == "POST":
        try:
            site_id, _ = _preference(request.form.get("place", ""))
            ward_code = request.form.get("ward_code", "").strip()[:5] or None
            seen = request.form.get("moves_seen", "")
            s.transfer_registration(
                registration_id,
                ward_code=None if site_id else ward_code,
                site_id=site_id,
                actor=actor,
                moves_seen=int(seen) if seen.isdigit() else None,
            )
        except USER_ERRORS as exc:
            error, field, status = _failed(exc)
        else:
            moved = _own_registration(pid, registration_id)
            confirm("campaign.done.transferred", person=person_id, ward=ward_name(moved.ward))
            return redirect(url_for("campaign.my_vaccination", person_id=person_id))
    ward, ward_error = _chosen_ward(reg.ward)
    chosen = bool(request.args.get("ward_code")) and not ward_error
    s.refresh()
    sites = [x for x in q.sites(s.store, ward=ward) if x.status == "open"] if chosen else []
    return render_template(
        "campaign_transfer.html",
        person=who,
        registration=reg,
        current_site=s.site(reg.site_id) if reg.site_id else None,
        ward=ward,
        chosen=chosen,
        ward_error=ward_error,
        sites=sites,
        moves_seen=s.moves_of(registration_id),
        error=error,
        error_field=field,
    ), status


def _chosen_ward(default: str) -> tuple[str, str]:
    """(the ward chosen in the page's picker, or `default`; the sentence when the choice is not a ward)."""
    code = request.args.get("ward_code", "").strip()[:5]
    if not code:
        return default, ""
    try:
        return ctx().backend.reference.ward(code).code, ""
    except USER_ERRORS as exc:
        return default, message_for(exc)


@pages.get("/priority")
@allow(Role.PUBLIC)
def priority_page() -> tuple[str, int]:
    ward = request.args.get("ward_code", request.args.get("ward", "")).strip()[:5]
    found, error, status = None, "", 200
    if ward:
        try:
            found = service().priority_list(ward)
        except USER_ERRORS as exc:
            error, _, status = _failed(exc)
    mine: list[tuple[str, Any]] = []
    who = current_principal()
    if found is not None and who is not None and who.role is Role.CITIZEN:
        s = service()
        for member in citizen.family(ctx().backend, signin.session_phone()):
            for place in s.queue_places(UUID(member.id)):
                if place.position is not None and place.registration.ward == found.ward:
                    mine.append((member.full_name, place))
    return render_template(
        "campaign_priority.html", ward=ward, found=found, error=error, mine=mine, small=q.SMALL_COUNT
    ), status


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
        vaccines = s.ledger.reference.vaccines
        for group in planned[-1].waiting_reasons:
            product = group["product"]
            confirm(
                f"campaign.waiting.{group['reason']}",
                count=group["count"],
                dose=group["dose_number"] or 0,
                product=vaccines[product].name if product in vaccines else str(product or ""),
            )
        if planned[-1].not_due:
            confirm(
                "campaign.waiting.registered_not_due",
                count=planned[-1].not_due,
                day=str(planned[-1].first_due),
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
