"""The JSON API: the same use cases as the pages (web.signin, web.platform), described by OpenAPI.

Unsafe methods need the session's CSRF token in the X-CSRFToken header (GET /api/v1/session gives it).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.wrappers import Response
from flask_wtf.csrf import generate_csrf

from web import forms, openapi, signin
from web.context import ctx
from web.errors import BadInput, NotFound
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


def _family_member(person_id: str) -> dict[str, Any]:
    for person in ctx().platform.family(_phone()):
        if person["id"] == person_id:
            return person
    raise NotFound("no such person in your family")


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
    return jsonify(ctx().platform.statistics())


@bp.post("/verify")
@allow(Role.PUBLIC)
def verify() -> Response:
    hc1 = str(body().get("hc1", "")).strip()
    if not hc1 or len(hc1) > MAX_HC1_LENGTH:
        raise BadInput('send {"hc1": "HC1:..."}', key="error.hc1_missing")
    return jsonify(ctx().platform.verify_certificate(hc1))


# citizen ---------------------------------------------------------------------------------------------
@bp.get("/me/family")
@allow(Role.CITIZEN)
def family() -> Response:
    return jsonify({"family": ctx().platform.family(_phone())})


@bp.post("/me/dependants")
@allow(Role.CITIZEN)
def add_dependant() -> Response:
    guardians = [p for p in ctx().platform.family(_phone()) if not p.get("guardian_id")]
    if not guardians:
        raise NotFound("register yourself first", key="error.register_first")
    person_id = ctx().platform.add_dependant(
        guardians[0]["id"], forms.person_form(body(), dependant=True), now=ctx().clock()
    )
    return jsonify({"id": person_id})


@bp.get("/me/people/<person_id>")
@allow(Role.CITIZEN)
def health_book(person_id: str) -> Response:
    _family_member(person_id)
    return jsonify(ctx().platform.health_book(person_id))


@bp.post("/me/people/<person_id>/reactions")
@allow(Role.CITIZEN)
def citizen_reaction(person_id: str) -> Response:
    who = _family_member(person_id)
    ctx().platform.report_reaction(
        person_id,
        forms.reaction_form(body()),
        actor=ctx().platform.citizen_actor(who, _phone()),
        now=ctx().clock(),
    )
    return jsonify({"ok": True})


@bp.post("/me/people/<person_id>/declarations")
@allow(Role.CITIZEN)
def declaration(person_id: str) -> Response:
    who = _family_member(person_id)
    ctx().platform.declare_health(
        person_id,
        forms.declaration_form(body()),
        actor=ctx().platform.citizen_actor(who, _phone()),
        now=ctx().clock(),
    )
    return jsonify({"ok": True})


@bp.get("/me/people/<person_id>/certificate")
@allow(Role.CITIZEN)
def certificate(person_id: str) -> Response:
    _family_member(person_id)
    cert = dict(ctx().platform.certificate(person_id, now=ctx().clock()))
    cert.pop("svg", None)
    return jsonify(cert)


# staff -----------------------------------------------------------------------------------------------
@bp.post("/desk/find")
@allow(Role.STAFF)
def find() -> Response:
    data = body()
    if data.get("national_id"):
        person_id = ctx().platform.find_by_national_id(str(data["national_id"]))
    else:
        hc1 = str(data.get("hc1", "")).strip()
        if not hc1 or len(hc1) > MAX_HC1_LENGTH:
            raise BadInput("send national_id or hc1", key="error.hc1_missing")
        person_id = ctx().platform.find_by_certificate(hc1, now=ctx().clock())
    return jsonify({"id": person_id})


@bp.post("/desk/people")
@allow(Role.STAFF)
def desk_register() -> Response:
    data = body()
    person_id = ctx().platform.register_at_site(
        forms.person_form(data), phone=str(data.get("phone", "")), staff=principal(), now=ctx().clock()
    )
    return jsonify({"id": person_id})


@bp.get("/desk/lots")
@allow(Role.STAFF)
def lots() -> Response:
    return jsonify({"lots": ctx().platform.site_lots(principal().site_id, now=ctx().clock())})


@bp.get("/desk/people/<person_id>")
@allow(Role.STAFF)
def desk_person(person_id: str) -> Response:
    return jsonify(ctx().platform.health_book(person_id))


@bp.post("/desk/people/<person_id>/doses")
@allow(Role.STAFF)
def desk_dose(person_id: str) -> Response:
    result = ctx().platform.record_dose(
        person_id, forms.dose_form(body()), staff=principal(), now=ctx().clock()
    )
    return jsonify(result)


@bp.post("/desk/people/<person_id>/reactions")
@allow(Role.STAFF)
def desk_reaction(person_id: str) -> Response:
    ctx().platform.report_reaction(
        person_id,
        forms.reaction_form(body()),
        actor=ctx().platform.staff_actor(principal()),
        now=ctx().clock(),
    )
    return jsonify({"ok": True})


@bp.post("/desk/people/<person_id>/corrections")
@allow(Role.STAFF)
def desk_correction(person_id: str) -> Response:
    ctx().platform.correct(person_id, forms.correction_form(body()), staff=principal(), now=ctx().clock())
    return jsonify({"ok": True})


# province, operations, audit -------------------------------------------------------------------------
@bp.get("/province")
@allow(Role.PROVINCE)
def province() -> Response:
    return jsonify(ctx().platform.province_overview(principal().province_code, now=ctx().clock()))


@bp.get("/operations")
@allow(Role.RESPONSE)
def operations() -> Response:
    return jsonify(ctx().platform.operations(now=ctx().clock()))


@bp.get("/audit")
@allow(Role.AUDITOR)
def audit() -> Response:
    return jsonify(ctx().platform.audit_overview())
