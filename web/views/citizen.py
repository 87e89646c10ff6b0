"""The citizen's health book: self and family, dependants, reactions, declarations, certificates.

Each view calls services.citizen / services.certificates with the signed-in phone; a person outside
the phone's family is 'not found' (no hint that they exist).
"""

from __future__ import annotations

import json

from flask import Blueprint, redirect, render_template, request, url_for
from flask.wrappers import Response
from werkzeug.wrappers import Response as WerkzeugResponse

from services import certificates, citizen, transparency
from services.errors import CertificateNotIssued
from services.people import FamilyMember, parse_id
from web import forms
from web.context import ctx
from web.errors import USER_ERRORS, status_for
from web.i18n import message_for
from web.notices import confirm
from web.public_cache import conditional
from web.roles import Role, allow
from web.signin import limit_registrations, session_phone

bp = Blueprint("citizen", __name__, url_prefix="/me")


def phone() -> str:
    return session_phone()


def member(person_id: str) -> FamilyMember:
    """A person of the signed-in citizen's family; anyone else is 'not found' (no hint they exist)."""
    return citizen.member(ctx().backend, phone(), person_id)


@bp.get("/")
@allow(Role.CITIZEN)
def home() -> str:
    return render_template("citizen_home.html", family=citizen.family(ctx().backend, phone()))


@bp.route("/register", methods=["GET", "POST"])
@allow(Role.CITIZEN)
def register() -> tuple[str, int] | WerkzeugResponse:
    error, status = "", 200
    ledger = ctx().backend.ledger
    if request.method == "POST":
        try:
            limit_registrations(phone())
            form = forms.person_form(request.form)
            person_id = citizen.register_self(ledger, phone(), form)
        except USER_ERRORS as exc:
            error, status = message_for(exc), status_for(exc)
        else:
            # The same words whether the number was free or taken: it is held until the card is seen.
            confirm(
                "done.registered_held" if form.national_id else "done.registered_self", person=str(person_id)
            )
            return redirect(url_for("citizen.home"))
    return render_template(
        "citizen_register.html", error=error, groups=citizen.priority_groups(ledger)
    ), status


@bp.route("/dependants/new", methods=["GET", "POST"])
@allow(Role.CITIZEN)
def add_dependant() -> tuple[str, int] | WerkzeugResponse:
    error, status = "", 200
    backend = ctx().backend
    if request.method == "POST":
        try:
            limit_registrations(phone())
            person_id = citizen.add_dependant(
                backend, phone(), forms.person_form(request.form, dependant=True)
            )
        except USER_ERRORS as exc:
            error, status = message_for(exc), status_for(exc)
        else:
            confirm("done.dependant", person=str(person_id))
            return redirect(url_for("citizen.home"))
    groups = citizen.priority_groups(backend.ledger)
    return render_template("citizen_dependant.html", error=error, groups=groups), status


@bp.get("/people/<person_id>")
@allow(Role.CITIZEN)
def person(person_id: str) -> str:
    page = citizen.person_page(ctx().backend, phone(), person_id)
    return render_template(
        "citizen_person.html",
        person=page.person,
        book=page.book,
        next_visit=page.next_visit,
        next_dose=page.next_dose,
    )


@bp.get("/people/<person_id>/doses/<dose_id>/proof.json")
@allow(Role.CITIZEN)
def dose_proof(person_id: str, dose_id: str) -> Response:
    """The proof that a dose is in the public transparency log, as a JSON download."""
    member(person_id)
    proof = transparency.dose_proof(ctx().backend, parse_id(person_id), parse_id(dose_id))
    response = Response(json.dumps(proof, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="dose-{proof["position"]}-proof.json"'
    return response


@bp.route("/people/<person_id>/reaction", methods=["GET", "POST"])
@allow(Role.CITIZEN)
def reaction(person_id: str) -> tuple[str, int] | WerkzeugResponse:
    backend = ctx().backend
    who, book = citizen.member_and_book(backend, phone(), person_id)
    error, status = "", 200
    if request.method == "POST":
        try:
            citizen.report_reaction(
                backend.ledger,
                parse_id(person_id),
                forms.reaction_form(request.form),
                actor=citizen.acting_for(who),
            )
        except USER_ERRORS as exc:
            error, status = message_for(exc), status_for(exc)
        else:
            confirm("done.reaction", person=person_id)
            return redirect(url_for("citizen.person", person_id=person_id))
    return render_template("citizen_reaction.html", person=who, book=book, error=error), status


@bp.route("/people/<person_id>/declaration", methods=["GET", "POST"])
@allow(Role.CITIZEN)
def declaration(person_id: str) -> tuple[str, int] | WerkzeugResponse:
    who = member(person_id)
    error, status = "", 200
    if request.method == "POST":
        try:
            citizen.declare_health(
                ctx().backend.ledger,
                parse_id(person_id),
                forms.declaration_form(request.form),
                actor=citizen.acting_for(who),
            )
        except USER_ERRORS as exc:
            error, status = message_for(exc), status_for(exc)
        else:
            confirm("done.declaration", person=person_id)
            return redirect(url_for("citizen.person", person_id=person_id))
    return render_template("citizen_declaration.html", person=who, error=error), status


@bp.get("/people/<person_id>/certificate")
@allow(Role.CITIZEN)
def certificate(person_id: str) -> str:
    who = member(person_id)
    try:
        cert = certificates.current(ctx().backend, parse_id(person_id), now=ctx().clock())
    except CertificateNotIssued:  # looking never issues: the page offers the button
        return render_template("citizen_certificate_issue.html", person=who, person_id=person_id)
    return render_template("citizen_certificate.html", person=who, cert=cert)


@bp.post("/people/<person_id>/certificate")
@allow(Role.CITIZEN)
def issue_certificate(person_id: str) -> WerkzeugResponse:
    """Ask for the certificate: issued when none is current (an explicit action, never a GET)."""
    member(person_id)
    certificates.current(ctx().backend, parse_id(person_id), now=ctx().clock(), issue=True)
    return redirect(url_for("citizen.certificate", person_id=person_id))


@bp.get("/people/<person_id>/certificate.<fmt>")
@allow(Role.CITIZEN)
def certificate_file(person_id: str, fmt: str) -> Response:
    backend = ctx().backend
    # A read of the stored file (the caller's phone must sign in for its holder); only a certificate the
    # renderer has not stored yet takes the full path: family check, certificate check, rendered once.
    download = certificates.file_for_phone(backend, phone(), parse_id(person_id), fmt, now=ctx().clock())
    if download is None:
        member(person_id)
        download = certificates.certificate_file(backend, parse_id(person_id), fmt, now=ctx().clock())

    def produce() -> Response:
        response = Response(download.data, mimetype=download.mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
        return response

    # The same certificate is the same bytes: a strong tag (their SHA-256, stored with them), kept a day
    # by the holder's browser only (a new dose supersedes it; the old one stays valid meanwhile), 304
    # when it already has them.
    return conditional(download.sha256[:32], produce, max_age=86_400, private=True, vary="Cookie")
