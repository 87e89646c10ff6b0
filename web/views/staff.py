"""The site staff desk: find a person (national ID by POST, or their QR), record doses and reactions, correct."""

from __future__ import annotations

import uuid

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from web import forms
from web.context import ctx
from web.errors import WebError
from web.i18n import message_for
from web.notices import confirm
from web.roles import Principal, Role, allow, current_principal
from web.views.public import read_certificate_input

bp = Blueprint("staff", __name__, url_prefix="/desk")


def me() -> Principal:
    principal = current_principal()
    assert principal is not None  # enforce_access guarantees a staff principal here
    return principal


@bp.get("/")
@allow(Role.STAFF)
def desk() -> str:
    site = ctx().platform.site(me().site_id)
    return render_template("staff_desk.html", site=site, error="")


@bp.post("/find")
@allow(Role.STAFF)
def find() -> tuple[str, int] | WerkzeugResponse:
    """National IDs travel in the POST body only, never in a URL; the answer is an opaque person id."""
    try:
        if request.form.get("national_id"):
            person_id = ctx().platform.find_by_national_id(request.form["national_id"])
        else:
            person_id = ctx().platform.find_by_certificate(read_certificate_input(), now=ctx().clock())
    except WebError as exc:
        site = ctx().platform.site(me().site_id)
        return render_template("staff_desk.html", site=site, error=message_for(exc)), 404
    return redirect(url_for("staff.person", person_id=person_id))


@bp.route("/register", methods=["GET", "POST"])
@allow(Role.STAFF)
def register() -> tuple[str, int] | WerkzeugResponse:
    """Register someone who walked in without a record; national IDs travel in the POST body only."""
    error = ""
    if request.method == "POST":
        try:
            person_id = ctx().platform.register_at_site(
                forms.person_form(request.form),
                phone=request.form.get("phone", ""),
                staff=me(),
                now=ctx().clock(),
            )
        except WebError as exc:
            error = message_for(exc)
        else:
            confirm("done.registered_desk", person=person_id)
            return redirect(url_for("staff.person", person_id=person_id))
    return render_template("staff_register.html", error=error, groups=ctx().platform.priority_groups()), (
        400 if error else 200
    )


def _person_page(person_id: str, error: str = "", status: int = 200) -> tuple[str, int]:
    platform = ctx().platform
    book = platform.health_book(person_id)
    lots = platform.site_lots(me().site_id, now=ctx().clock())
    return render_template(
        "staff_person.html",
        book=book,
        lots=lots,
        error=error,
        site=platform.site(me().site_id),
        today=ctx().clock().date().isoformat(),
        form_key="desk-" + uuid.uuid4().hex,
    ), status


@bp.get("/people/<person_id>")
@allow(Role.STAFF)
def person(person_id: str) -> tuple[str, int]:
    return _person_page(person_id)


@bp.post("/people/<person_id>/doses")
@allow(Role.STAFF)
def record_dose(person_id: str) -> tuple[str, int] | WerkzeugResponse:
    try:
        form = forms.dose_form(request.form)
        ctx().platform.record_dose(person_id, form, staff=me(), now=ctx().clock())
    except WebError as exc:
        return _person_page(person_id, message_for(exc), 400)
    confirm("done.dose", person=person_id, number=form["dose_number"])
    return redirect(url_for("staff.person", person_id=person_id))


@bp.post("/people/<person_id>/reactions")
@allow(Role.STAFF)
def record_reaction(person_id: str) -> tuple[str, int] | WerkzeugResponse:
    try:
        ctx().platform.report_reaction(
            person_id,
            forms.reaction_form(request.form),
            actor=ctx().platform.staff_actor(me()),
            now=ctx().clock(),
        )
    except WebError as exc:
        return _person_page(person_id, message_for(exc), 400)
    confirm("done.reaction", person=person_id)
    return redirect(url_for("staff.person", person_id=person_id))


@bp.post("/people/<person_id>/corrections")
@allow(Role.STAFF)
def correct(person_id: str) -> tuple[str, int] | WerkzeugResponse:
    try:
        ctx().platform.correct(person_id, forms.correction_form(request.form), staff=me(), now=ctx().clock())
    except WebError as exc:
        return _person_page(person_id, message_for(exc), 400)
    confirm("done.correction", person=person_id)
    return redirect(url_for("staff.person", person_id=person_id))
