"""Province officers: find a person of their province, see who they are, erase them on request.

Erasure destroys the person's data key (crypto-shredding): it is an event in the ledger with who,
when and why, which the auditor sees; every running server stops showing the person within
seconds (ledger.personaldata rechecks cached keys). National ID numbers travel only in POST bodies.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask.wrappers import Response
from werkzeug.wrappers import Response as WerkzeugResponse

from ledger.records import PersonRecord
from services import privacy
from services.privacy import ProvinceOfficer
from web.context import ctx
from web.errors import USER_ERRORS, BadInput
from web.i18n import message_for
from web.notices import confirm
from web.readlog import lookup_digest, readlog, record_read
from web.roles import Role, allow, current_principal

bp = Blueprint("privacy", __name__)


def officer() -> ProvinceOfficer:
    principal = current_principal()
    assert principal is not None  # enforce_access guarantees it
    return ProvinceOfficer(username=principal.subject, province_code=principal.province_code)


def _record_in_my_province(person_id: str) -> PersonRecord:
    """The person's record, if they live in the officer's province (not found otherwise: no probing)."""
    return privacy.person_in_province(ctx().backend.ledger, person_id, officer())


def _page(person_id: str, error: str = "", status: int = 200) -> tuple[str, int]:
    record = _record_in_my_province(person_id)
    record_read(person_id)
    return render_template("province_person.html", person=record, error=error), status


@bp.post("/province/people/find")
@allow(Role.PROVINCE)
def find() -> WerkzeugResponse | tuple[str, int]:
    number = (request.form.get("national_id") or "").strip()
    try:
        person_id = privacy.find_in_province(ctx().backend.ledger, number, officer())
    except USER_ERRORS as exc:
        return render_template("province_person.html", person=None, error=message_for(exc)), 404
    return redirect(url_for("privacy.person", person_id=str(person_id)))


@bp.get("/province/people/<person_id>")
@allow(Role.PROVINCE)
def person(person_id: str) -> tuple[str, int]:
    return _page(person_id)


@bp.post("/province/people/<person_id>/erase")
@allow(Role.PROVINCE)
def erase(person_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Erase after an explicit confirmation and with a reason (both kept in the erasure event)."""
    record = _record_in_my_province(person_id)
    reason = (request.form.get("reason") or "").strip()
    if request.form.get("confirm") != "erase":
        return _page(person_id, message_for(BadInput(key="error.erase_confirm")), 400)
    if not reason:
        return _page(person_id, message_for(BadInput(key="error.erase_reason")), 400)
    try:
        privacy.erase(ctx().backend.ledger, str(record.person_id), officer(), reason=reason)
    except USER_ERRORS as exc:
        return _page(person_id, message_for(exc), 400)
    confirm("done.erased")
    return redirect(url_for("privacy.person", person_id=person_id))


@bp.post("/api/v1/province/people/<person_id>/erase")
@allow(Role.PROVINCE)
def api_erase(person_id: str) -> tuple[Response, int]:
    """Erase a person of the officer's province: {"reason": "...", "confirm": "erase"} (both required,
    as on the page). The province limit is the ledger's; another province's person is "not found"."""
    _record_in_my_province(person_id)  # another province's person: not found, before the body is read
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput("send a JSON object", key="error.json_expected")
    reason = str(data.get("reason") or "").strip()
    if data.get("confirm") != "erase":
        raise BadInput(key="error.erase_confirm")
    if not reason:
        raise BadInput(key="error.erase_reason")
    privacy.erase(ctx().backend.ledger, person_id, officer(), reason=reason)
    return jsonify({"person_id": person_id, "erased": True}), 200


@bp.route("/audit/reads", methods=["GET", "POST"])
@allow(Role.AUDITOR)
def reads() -> str:
    """Who read which health book when: newest first, or for one person id (typed, so POST)."""
    person_id = (request.form.get("person_id") or "").strip() if request.method == "POST" else ""
    number = (request.form.get("number") or "").strip()[:80] if request.method == "POST" else ""
    # Who looked up a number: the digests it may have been logged under (a phone, an ID or a UCI).
    digests = (
        (
            lookup_digest("phone", number),
            lookup_digest("national_id", number),
            lookup_digest("certificate", number),
        )
        if number
        else ()
    )
    return render_template(
        "audit_reads.html",
        reads=readlog().recent(person_id=person_id),
        person_id=person_id,
        lookups=readlog().lookups(digests=digests),
        number_given=bool(number),
    )
