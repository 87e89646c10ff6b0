"""Province officers: find a person of their province, see who they are, erase them on request.

Erasure destroys the person's data key (crypto-shredding): it is an event in the ledger with who,
when and why, which the auditor sees; every running server stops showing the person within
seconds (ledger.personaldata rechecks cached keys). National ID numbers travel only in POST bodies.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ledger.errors import LedgerError, PersonNotFound
from ledger.records import PersonRecord
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from web.context import ctx
from web.errors import BadInput, NotFound
from web.i18n import message_for
from web.notices import confirm
from web.readlog import readlog, record_read
from web.roles import Principal, Role, allow, current_principal

bp = Blueprint("privacy", __name__)


def officer() -> Principal:
    principal = current_principal()
    assert principal is not None  # enforce_access guarantees it
    return principal


def officer_actor(principal: Principal) -> Actor:
    return Actor(actor_id=principal.subject, role=LedgerRole.PROVINCE_OFFICER)


def _record_in_my_province(person_id: str) -> PersonRecord:
    """The person's record, if they live in the officer's province (NotFound otherwise: no probing)."""
    try:
        pid = uuid.UUID(person_id)
        record: PersonRecord = ctx().platform.ledger.person_record(pid)
    except (ValueError, PersonNotFound) as exc:
        raise NotFound("no such person", key="error.person_not_found") from exc
    if record.province_code != officer().province_code and not record.erased:
        raise NotFound("no such person in your province", key="error.person_not_found")
    return record


def _page(person_id: str, error: str = "", status: int = 200) -> tuple[str, int]:
    record = _record_in_my_province(person_id)
    record_read(person_id)
    return render_template("province_person.html", person=record, error=error), status


@bp.post("/province/people/find")
@allow(Role.PROVINCE)
def find() -> WerkzeugResponse | tuple[str, int]:
    number = (request.form.get("national_id") or "").strip()
    try:
        record = ctx().platform.ledger.person_by_national_id(number)
    except (LedgerError, ValueError):
        return render_template(
            "province_person.html",
            person=None,
            error=message_for(NotFound("no such person", key="error.person_not_found")),
        ), 404
    return redirect(url_for("privacy.person", person_id=str(record.person_id)))


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
        ctx().platform.ledger.erase_person(
            person_id=record.person_id,
            reason=reason,
            actor=officer_actor(officer()),
            idempotency_key=f"web-erase:{record.person_id}",
        )
    except LedgerError as exc:
        return _page(person_id, str(exc), 400)
    confirm("done.erased")
    return redirect(url_for("privacy.person", person_id=person_id))


@bp.route("/audit/reads", methods=["GET", "POST"])
@allow(Role.AUDITOR)
def reads() -> str:
    """Who read which health book when: newest first, or for one person id (typed, so POST)."""
    person_id = (request.form.get("person_id") or "").strip() if request.method == "POST" else ""
    return render_template(
        "audit_reads.html", reads=readlog().recent(person_id=person_id), person_id=person_id
    )
