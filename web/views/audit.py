"""The auditor's view: checkpoints, the last verification, the export download."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.wrappers import Response
from werkzeug.wrappers import Response as WerkzeugResponse

from services import audit
from web.context import ctx
from web.roles import Role, allow

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@allow(Role.AUDITOR)
def overview() -> str:
    return render_template("audit.html", data=audit.overview(ctx().backend))


@bp.post("/verify")
@allow(Role.AUDITOR)
def verify() -> WerkzeugResponse:
    audit.verify_chain(ctx().backend, now=ctx().clock())
    return redirect(url_for("audit.overview"))


@bp.get("/export")
@allow(Role.AUDITOR)
def export() -> Response:
    stream = audit.export(ctx().backend, now=ctx().clock())
    response = Response(stream, mimetype="application/x-ndjson")
    response.headers["Content-Disposition"] = 'attachment; filename="ledger-audit.jsonl"'
    return response
