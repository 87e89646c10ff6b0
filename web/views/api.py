"""The JSON API: the same use cases as the pages (web.signin, services.*), described by OpenAPI.

Unsafe methods need the session's CSRF token in the X-CSRFToken header (GET /api/v1/session gives it).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.wrappers import Response
from flask_wtf.csrf import generate_csrf

from services import audit, certificates, citizen, dashboards, desk, trust
from services.desk import StaffMember
from services.people import FamilyMember, parse_id
from web import forms, openapi, phonechange, signin
from web.context import ctx
from web.errors import BadInput
from web.i18n import current_language
from web.readlog import record_read, staff_lookup
from web.roles import SIGNED_IN_ROLES, Principal, Role, allow, current_principal, end_session
from web.views.public import MAX_HC1_LENGTH

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput("send a JSON object with Content-Type: application/json", key="error.json_expected")
    return data


def principal() -> Principal:
    who = current_principal()
    assert who is not None  # enforce_access guarantees it
    return who


def _family_member(person_id: str) -> FamilyMember:
    return citizen.member(ctx().backend, _phone(), person_id)


def _staff() -> StaffMember:
    who = principal()
    return desk.staff_member(who.subject, who.site_id)


def _phone() -> str:
    return signin.session_phone()


@bp.get("/openapi.json")
@allow(Role.PUBLIC)
def openapi_document() -> Response:
    return jsonify(openapi.document())


@bp.get("/session")
@allow(Role.PUBLIC)
def session_info() -> Response:
    who = current_principal()
    return jsonify(
        {
            "role": who.role.value if who else "public",
            "display": who.display if who else "",
            "csrf_token": generate_csrf(),
        }
    )


@bp.post("/auth/otp")
@allow(Role.PUBLIC)
def otp_request() -> Response:
    masked = signin.request_code(str(body().get("phone", "")), client=request.remote_addr or "-")
    return jsonify({"sent_to": masked})


@bp.post("/auth/otp/verify")
@allow(Role.PUBLIC)
def otp_verify() -> Response:
    who = signin.confirm_code(str(body().get("code", "")))
    return jsonify({"role": who.role.value, "display": who.display, "csrf_token": generate_csrf()})


@bp.post("/auth/staff")
@allow(Role.PUBLIC)
def staff_signin() -> Response:
    data = body()
    who = signin.staff_sign_in(
        str(data.get("username", "")), str(data.get("password", "")), client=request.remote_addr or "-"
    )
    return jsonify({"role": who.role.value, "display": who.display, "csrf_token": generate_csrf()})


@bp.post("/auth/signout")
@allow(Role.PUBLIC, *SIGNED_IN_ROLES)
def signout() -> Response:
    end_session()
    return jsonify({"role": "public"})


@bp.get("/statistics")
@allow(Role.PUBLIC)
def statistics() -> Response:
    from web.public_cache import conditional, public_cache
    from web.views.public import PAGE_MAX_AGE, cached_statistics

    stats, tag = cached_statistics()  # computed at most once per interval, shared with the page
    body = public_cache().get(  # and serialised once per version, not per request
        "statistics-json",
        lambda: tag,
        lambda: current_app.json.dumps(stats.as_json()).encode("utf-8"),
        lambda data: data,
    )
    return conditional(tag, lambda: Response(body.value, mimetype="application/json"), max_age=PAGE_MAX_AGE)


@bp.post("/verify")
@allow(Role.PUBLIC)
def verify() -> Response:
    hc1 = str(body().get("hc1", "")).strip()
    if not hc1 or len(hc1) > MAX_HC1_LENGTH:
        raise BadInput('send {"hc1": "HC1:..."}', key="error.hc1_missing")
    verdict = trust.verify_certificate(ctx().backend, hc1, now=ctx().clock(), language=current_language())
    return jsonify(verdict.as_json())


# citizen ---------------------------------------------------------------------------------------------
@bp.get("/me/family")
@allow(Role.CITIZEN)
def family() -> Response:
    return jsonify({"family": [p.as_json() for p in citizen.family(ctx().backend, _phone())]})


@bp.post("/me/dependants")
@allow(Role.CITIZEN)
def add_dependant() -> Response:
    signin.limit_registrations(_phone())
    person_id = citizen.add_dependant(ctx().backend, _phone(), forms.person_form(body(), dependant=True))
    return jsonify({"id": str(person_id)})


@bp.get("/me/people/<person_id>")
@allow(Role.CITIZEN)
def health_book(person_id: str) -> Response:
    citizen.check_member(ctx().backend, _phone(), person_id)  # from the views: no record opened twice
    return jsonify(citizen.health_book(ctx().backend, parse_id(person_id)).as_json())


@bp.post("/me/people/<person_id>/reactions")
@allow(Role.CITIZEN)
def citizen_reaction(person_id: str) -> Response:
    who = _family_member(person_id)
    citizen.report_reaction(
        ctx().backend.ledger, parse_id(person_id), forms.reaction_form(body()), actor=citizen.acting_for(who)
    )
    return jsonify({"ok": True})


@bp.post("/me/people/<person_id>/declarations")
@allow(Role.CITIZEN)
def declaration(person_id: str) -> Response:
    who = _family_member(person_id)
    citizen.declare_health(
        ctx().backend.ledger,
        parse_id(person_id),
        forms.declaration_form(body()),
        actor=citizen.acting_for(who),
    )
    return jsonify({"ok": True})


@bp.get("/me/people/<person_id>/certificate")
@allow(Role.CITIZEN)
def certificate(person_id: str) -> Response:
    citizen.check_member(ctx().backend, _phone(), person_id)
    return jsonify(certificates.current(ctx().backend, parse_id(person_id), now=ctx().clock()).as_json())


@bp.post("/me/people/<person_id>/certificate")
@allow(Role.CITIZEN)
def issue_certificate(person_id: str) -> Response:
    """Issue the certificate when none is current (reads never issue)."""
    _family_member(person_id)
    issued = certificates.current(ctx().backend, parse_id(person_id), now=ctx().clock(), issue=True)
    return jsonify(issued.as_json())


# staff -----------------------------------------------------------------------------------------------
@bp.post("/desk/find")
@allow(Role.STAFF)
def find() -> Response:
    data = body()
    backend = ctx().backend
    if data.get("national_id"):
        with staff_lookup("national_id", str(data["national_id"])) as lookup:
            search = desk.search_national_id(backend, str(data["national_id"]))
            lookup.found = len(search.declared) or 1
        if search.person_id is None:  # typed online, not confirmed: check the card, then confirm
            return jsonify({"people": [p.as_json() for p in search.declared], "national_id_confirmed": False})
        person_id = str(search.person_id)
    elif data.get("phone"):
        with staff_lookup("phone", str(data["phone"])) as lookup:
            people = desk.find_by_phone(backend, str(data["phone"]))
            lookup.found = len(people)
        return jsonify({"people": [p.as_json() for p in people]})
    else:  # a certificate: logged and rate-limited like the numbers (by its UCI, never in clear)
        hc1 = str(data.get("hc1", "")).strip()
        if not hc1 or len(hc1) > MAX_HC1_LENGTH:
            raise BadInput("send national_id or hc1", key="error.hc1_missing")
        with staff_lookup("certificate", hc1) as lookup:
            person_id = trust.person_for_certificate(
                backend, hc1, now=ctx().clock(), seen=lambda uci: setattr(lookup, "value", uci)
            )
            lookup.found = 1
    return jsonify({"id": person_id})


@bp.post("/desk/people")
@allow(Role.STAFF)
def desk_register() -> Response:
    data = body()
    person_id = desk.register_at_site(
        ctx().backend,
        forms.person_form(data),
        phone=str(data.get("phone") or "").strip() or None,
        staff=_staff(),
    )
    return jsonify({"id": str(person_id)})


@bp.get("/desk/lots")
@allow(Role.STAFF)
def lots() -> Response:
    lots = desk.site_lots(ctx().backend, _staff().site_id, today=ctx().backend.ledger.today())
    return jsonify({"lots": [asdict(lot) for lot in lots]})


@bp.get("/desk/people/<person_id>")
@allow(Role.STAFF)
def desk_person(person_id: str) -> Response:
    book = citizen.health_book(ctx().backend, parse_id(person_id))
    record_read(person_id)  # who read whose health book, for the auditor (issue 12, item 1)
    return jsonify(book.as_json())


@bp.post("/desk/people/<person_id>/doses")
@allow(Role.STAFF)
def desk_dose(person_id: str) -> Response:
    result = desk.record_dose(
        ctx().backend.ledger, parse_id(person_id), forms.dose_form(body()), staff=_staff()
    )
    return jsonify(result.as_json())


@bp.post("/desk/people/<person_id>/reactions")
@allow(Role.STAFF)
def desk_reaction(person_id: str) -> Response:
    citizen.report_reaction(
        ctx().backend.ledger, parse_id(person_id), forms.reaction_form(body()), actor=_staff().actor
    )
    return jsonify({"ok": True})


@bp.post("/desk/people/<person_id>/corrections")
@allow(Role.STAFF)
def desk_correction(person_id: str) -> Response | tuple[Response, int]:
    correction = forms.correction_form(body())
    if correction.field == "phone":  # applied only with the code sent to the new number
        sent_to = phonechange.start(parse_id(person_id), correction.value, correction.reason, staff=_staff())
        return jsonify({"sent_to": sent_to, "confirm": f"/api/v1/desk/people/{person_id}/phone/confirm"}), 202
    desk.correct(ctx().backend.ledger, parse_id(person_id), correction, staff=_staff())
    return jsonify({"ok": True})


@bp.post("/desk/people/<person_id>/id-card/confirm")
@allow(Role.STAFF)
def desk_id_card_confirm(person_id: str) -> Response:
    """Staff saw the ID card: the number the citizen typed online becomes theirs (409 if it is taken)."""
    ctx().backend.ledger.confirm_national_id(
        person_id=parse_id(person_id), actor=_staff().actor, idempotency_key=f"api-confirm-id:{person_id}"
    )
    return jsonify({"ok": True})


@bp.post("/desk/people/<person_id>/join")
@allow(Role.STAFF)
def desk_join(person_id: str) -> Response:
    """Staff saw the card: this online registration joins the record a site registered with the same number
    (services.desk.join_online_registration); answers the registered record's id."""
    registered = parse_id(str(body().get("registered_id", "")))
    desk.join_online_registration(ctx().backend, parse_id(person_id), registered, staff=_staff())
    return jsonify({"person_id": str(registered)})


@bp.post("/desk/people/<person_id>/phone/confirm")
@allow(Role.STAFF)
def desk_phone_confirm(person_id: str) -> Response:
    phonechange.confirm(parse_id(person_id), str(body().get("code", "")), staff=_staff())
    return jsonify({"ok": True})


# province, operations, audit -------------------------------------------------------------------------
@bp.get("/province")
@allow(Role.PROVINCE)
def province() -> Response:
    overview = dashboards.province_overview(
        ctx().backend, principal().province_code, today=ctx().backend.ledger.today()
    )
    return jsonify(overview.as_json())


@bp.get("/operations")
@allow(Role.RESPONSE)
def operations() -> Response:
    return jsonify(dashboards.operations(ctx().backend, now=ctx().clock()).as_json())


@bp.get("/audit", endpoint="audit")
@allow(Role.AUDITOR)
def audit_overview() -> Response:
    return jsonify(audit.overview(ctx().backend).as_json())
