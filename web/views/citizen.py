"""The citizen's health book: self and family, dependants, reactions, declarations, certificates."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.wrappers import Response
from werkzeug.wrappers import Response as WerkzeugResponse

from web import forms
from web.context import ctx
from web.errors import NotFound, WebError
from web.i18n import message_for
from web.notices import confirm
from web.roles import Role, allow
from web.signin import session_phone

bp = Blueprint("citizen", __name__, url_prefix="/me")


def phone() -> str:
    return session_phone()


def family() -> list[dict[str, Any]]:
    return ctx().platform.family(phone())


def member(person_id: str) -> dict[str, Any]:
    """A person of the signed-in citizen's family; anyone else is 'not found' (no hint they exist)."""
    for person in family():
        if person["id"] == person_id:
            return person
    raise NotFound("no such person in your family")


@bp.get("/")
@allow(Role.CITIZEN)
def home() -> str:
    return render_template("citizen_home.html", family=family())


@bp.route("/register", methods=["GET", "POST"])
@allow(Role.CITIZEN)
def register() -> str | WerkzeugResponse:
    error = ""
    if request.method == "POST":
        try:
            person_id = ctx().platform.register_self(
                phone(), forms.person_form(request.form), now=ctx().clock()
            )
        except WebError as exc:
            error = message_for(exc)
        else:
            confirm("done.registered_self", person=person_id)
            return redirect(url_for("citizen.home"))
    return render_template("citizen_register.html", error=error, groups=ctx().platform.priority_groups())


@bp.route("/dependants/new", methods=["GET", "POST"])
@allow(Role.CITIZEN)
def add_dependant() -> str | WerkzeugResponse:
    error = ""
    people = family()
    guardians = [p for p in people if not p.get("guardian_id")]
    if request.method == "POST":
        try:
            if not guardians:
                raise NotFound("register yourself first", key="error.register_first")
            person_id = ctx().platform.add_dependant(
                guardians[0]["id"], forms.person_form(request.form, dependant=True), now=ctx().clock()
            )
        except WebError as exc:
            error = message_for(exc)
        else:
            confirm("done.dependant", person=person_id)
            return redirect(url_for("citizen.home"))
    return render_template("citizen_dependant.html", error=error, groups=ctx().platform.priority_groups())


@bp.get("/people/<person_id>")
@allow(Role.CITIZEN)
def person(person_id: str) -> str:
    who = member(person_id)
    book = ctx().platform.health_book(person_id)
    return render_template("citizen_person.html", person=who, book=book)


@bp.route("/people/<person_id>/reaction", methods=["GET", "POST"])
@allow(Role.CITIZEN)
def reaction(person_id: str) -> str | WerkzeugResponse:
    who = member(person_id)
    book = ctx().platform.health_book(person_id)
    error = ""
    if request.method == "POST":
        try:
            ctx().platform.report_reaction(
                person_id,
                forms.reaction_form(request.form),
                actor=ctx().platform.citizen_actor(who, phone()),
                now=ctx().clock(),
            )
        except WebError as exc:
            error = message_for(exc)
        else:
            confirm("done.reaction", person=person_id)
            return redirect(url_for("citizen.person", person_id=person_id))
    return render_template("citizen_reaction.html", person=who, book=book, error=error)


@bp.route("/people/<person_id>/declaration", methods=["GET", "POST"])
@allow(Role.CITIZEN)
def declaration(person_id: str) -> str | WerkzeugResponse:
    who = member(person_id)
    error = ""
    if request.method == "POST":
        try:
            ctx().platform.declare_health(
                person_id,
                forms.declaration_form(request.form),
                actor=ctx().platform.citizen_actor(who, phone()),
                now=ctx().clock(),
            )
        except WebError as exc:
            error = message_for(exc)
        else:
            confirm("done.declaration", person=person_id)
            return redirect(url_for("citizen.person", person_id=person_id))
    return render_template("citizen_declaration.html", person=who, error=error)


@bp.get("/people/<person_id>/certificate")
@allow(Role.CITIZEN)
def certificate(person_id: str) -> str:
    who = member(person_id)
    cert = ctx().platform.certificate(person_id, now=ctx().clock())
    return render_template("citizen_certificate.html", person=who, cert=cert)


@bp.get("/people/<person_id>/certificate.<fmt>")
@allow(Role.CITIZEN)
def certificate_file(person_id: str, fmt: str) -> Response:
    member(person_id)
    data, mimetype = ctx().platform.certificate_file(person_id, fmt, now=ctx().clock())
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="certificate.{fmt}"'
    return response
