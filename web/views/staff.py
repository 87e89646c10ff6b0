"""The site staff desk: find a person (national ID by POST, or their QR), record doses and reactions, correct.

Each view turns the form into a typed service call (services.desk) and the result into a page.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from services import citizen, desk, trust
from services.desk import StaffMember
from services.errors import NationalIdDeclaredOnline
from services.people import parse_id
from web import forms, phonechange
from web.context import ctx
from web.errors import USER_ERRORS, status_for
from web.i18n import message_for
from web.notices import confirm
from web.readlog import record_read, staff_lookup
from web.roles import Role, allow, current_principal
from web.views.public import read_certificate_input

bp = Blueprint("staff", __name__, url_prefix="/desk")


def me() -> StaffMember:
    principal = current_principal()
    assert principal is not None  # enforce_access guarantees a staff principal here
    return desk.staff_member(principal.subject, principal.site_id)


@bp.get("/", endpoint="desk")
@allow(Role.STAFF)
def desk_page() -> str:
    site = desk.site(ctx().backend, me().site_id)
    return render_template("staff_desk.html", site=site, error="")


@bp.post("/find")
@allow(Role.STAFF)
def find() -> tuple[str, int] | WerkzeugResponse:
    """National IDs and phones travel in the POST body only, never in a URL; the answer is an opaque
    person id, or the list of the people a phone reaches (its holders and their dependants)."""
    backend = ctx().backend
    try:
        if request.form.get("national_id"):
            with staff_lookup("national_id", request.form["national_id"]) as lookup:
                search = desk.search_national_id(backend, request.form["national_id"])
                lookup.found = len(search.declared) or 1
            if search.person_id is None:  # typed online, not confirmed: the nurse checks the card
                site = desk.site(backend, me().site_id)
                return render_template(
                    "staff_desk.html", site=site, error="", found=search.declared, declared=True
                ), 200
            person_id = str(search.person_id)
        elif request.form.get("phone"):
            with staff_lookup("phone", request.form["phone"]) as lookup:
                found = desk.find_by_phone(backend, request.form["phone"])
                lookup.found = len(found)
            if len(found) > 1:
                site = desk.site(backend, me().site_id)
                return render_template("staff_desk.html", site=site, error="", found=found), 200
            person_id = found[0].id
        else:  # a certificate QR: logged and rate-limited like the numbers (by its UCI, never in clear)
            with staff_lookup("certificate", "") as lookup:
                hc1 = read_certificate_input()
                lookup.value = hc1
                person_id = trust.person_for_certificate(
                    backend, hc1, now=ctx().clock(), seen=lambda uci: setattr(lookup, "value", uci)
                )
                lookup.found = 1
    except USER_ERRORS as exc:
        site = desk.site(backend, me().site_id)
        status = 429 if status_for(exc) == 429 else 404
        # Not found by ID: before registering anew, try the phone (the citizen may have typed it wrong online).
        id_missing = status == 404 and bool(request.form.get("national_id"))
        return render_template(
            "staff_desk.html", site=site, error=message_for(exc), id_missing=id_missing
        ), status
    return redirect(url_for("staff.person", person_id=person_id))


@bp.route("/register", methods=["GET", "POST"])
@allow(Role.STAFF)
def register() -> tuple[str, int] | WerkzeugResponse:
    """Register someone who walked in without a record; national IDs travel in the POST body only."""
    error, error_field, status = "", "", 200
    backend = ctx().backend
    if request.method == "POST":
        try:
            person_id = desk.register_at_site(
                backend,
                forms.person_form(request.form),
                phone=request.form.get("phone", "").strip() or None,
                staff=me(),
            )
        except USER_ERRORS as exc:
            error = message_for(exc)
            # Declared online: said beside the ID field, the form kept as typed (409, nothing written).
            declared = isinstance(exc, NationalIdDeclaredOnline)
            error_field, status = ("national_id", 409) if declared else ("", 400)
        else:
            confirm("done.registered_desk", person=str(person_id))
            return redirect(url_for("staff.person", person_id=person_id))
    groups = citizen.priority_groups(backend.ledger)
    return render_template("staff_register.html", error=error, error_field=error_field, groups=groups), status


def _person_page(person_id: str, error: str = "", status: int = 200) -> tuple[str, int]:
    backend = ctx().backend
    staff = me()
    book = citizen.health_book(backend, parse_id(person_id))
    record_read(person_id)  # who read whose health book, for the auditor (issue 12, item 1)
    lots = desk.site_lots(backend, staff.site_id, today=backend.ledger.today())
    held_id = backend.ledger.person_record(parse_id(person_id)).claimed_national_id
    return render_template(
        "staff_person.html",
        book=book,
        held_id=held_id,
        same_number=desk.same_number(backend, parse_id(person_id)),
        lots=lots,
        error=error,
        site=desk.site(backend, staff.site_id),
        declarations_here=desk.declarations_visible_at(
            backend, parse_id(person_id), staff.site_id, today=backend.ledger.today()
        ),
        today=backend.ledger.today().isoformat(),
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
        result = desk.record_dose(ctx().backend.ledger, parse_id(person_id), form, staff=me())
    except USER_ERRORS as exc:
        return _person_page(person_id, message_for(exc), 400)
    confirm("done.dose", person=person_id, number=result.dose_number)
    return redirect(url_for("staff.person", person_id=person_id))


@bp.post("/people/<person_id>/reactions")
@allow(Role.STAFF)
def record_reaction(person_id: str) -> tuple[str, int] | WerkzeugResponse:
    try:
        citizen.report_reaction(
            ctx().backend.ledger, parse_id(person_id), forms.reaction_form(request.form), actor=me().actor
        )
    except USER_ERRORS as exc:
        return _person_page(person_id, message_for(exc), 400)
    confirm("done.reaction", person=person_id)
    return redirect(url_for("staff.person", person_id=person_id))


@bp.post("/people/<person_id>/corrections")
@allow(Role.STAFF)
def correct(person_id: str) -> tuple[str, int] | WerkzeugResponse:
    try:
        correction = forms.correction_form(request.form)
        if correction.field == "phone":  # confirmed by a code sent to the new number first
            sent_to = phonechange.start(parse_id(person_id), correction.value, correction.reason, staff=me())
            return _phone_confirm_page(person_id, sent_to)
        desk.correct(ctx().backend.ledger, parse_id(person_id), correction, staff=me())
    except USER_ERRORS as exc:
        return _person_page(person_id, message_for(exc), 400)
    # A voided dose is said as such ("Đã sửa hồ sơ" left the nurse unsure the dose was gone).
    confirm("done.dose_voided" if correction.field == "void_dose" else "done.correction", person=person_id)
    return redirect(url_for("staff.person", person_id=person_id))


@bp.post("/people/<person_id>/id-card/confirm")
@allow(Role.STAFF)
def confirm_national_id(person_id: str) -> tuple[str, int] | WerkzeugResponse:
    """Staff saw the ID card: the number the citizen typed online becomes theirs (issue 12, item 10)."""
    try:
        ctx().backend.ledger.confirm_national_id(
            person_id=parse_id(person_id), actor=me().actor, idempotency_key=f"desk-confirm-id:{person_id}"
        )
    except USER_ERRORS as exc:
        return _person_page(person_id, message_for(exc), status_for(exc))
    confirm("done.correction", person=person_id)
    return redirect(url_for("staff.person", person_id=person_id))


@bp.post("/people/<person_id>/join")
@allow(Role.STAFF)
def join_online_registration(person_id: str) -> tuple[str, int] | WerkzeugResponse:
    """Staff saw the card: this online registration (its number held, never confirmable because a site
    registered the same person with it) joins the registered record; the citizen's phone reaches it."""
    try:
        registered = parse_id(request.form.get("registered_id", ""))
        desk.join_online_registration(ctx().backend, parse_id(person_id), registered, staff=me())
    except USER_ERRORS as exc:
        return _person_page(person_id, message_for(exc), status_for(exc))
    confirm("done.joined", person=str(registered))
    return redirect(url_for("staff.person", person_id=str(registered)))


def _phone_confirm_page(person_id: str, sent_to: str, error: str = "", status: int = 200) -> tuple[str, int]:
    return render_template(
        "staff_phone_confirm.html", person_id=person_id, sent_to=sent_to, error=error
    ), status


@bp.post("/people/<person_id>/phone/confirm")
@allow(Role.STAFF)
def confirm_phone(person_id: str) -> tuple[str, int] | WerkzeugResponse:
    try:
        phonechange.confirm(parse_id(person_id), request.form.get("code", ""), staff=me())
    except USER_ERRORS as exc:
        return _phone_confirm_page(person_id, "", message_for(exc), status_for(exc))
    confirm("done.correction", person=person_id)
    return redirect(url_for("staff.person", person_id=person_id))
