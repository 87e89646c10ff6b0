"""The response center's operations view: refreshes itself (meta refresh, no script) and shows lag;
vaccine allocation against use per province and product (services.stock)."""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ledger.commands import vietnam_day
from services import dashboards
from services.people import parse_id
from services.stock import StockService
from web import charts, forms, stock
from web.context import ctx
from web.errors import USER_ERRORS
from web.i18n import message_for
from web.notices import confirm
from web.roles import Role, allow, current_principal

bp = Blueprint("operations", __name__, url_prefix="/operations")


@bp.get("/")
@allow(Role.RESPONSE)
def dashboard() -> str:
    data = dashboards.operations(ctx().backend, now=ctx().clock())
    backend = ctx().backend
    return render_template(
        "operations.html",
        data=data,
        allocation=StockService(backend.ledger, backend.views).allocation_vs_use(),
        vaccine_names={v.mp: v.name for v in backend.reference.vaccines.values()},
        stock=stock.filtered(data.lots, request.args),
        charts=charts.operations_charts(data, today=vietnam_day(ctx().clock())),
        refresh=int(current_app.config["OPERATIONS_REFRESH_SECONDS"]),
    )


@bp.route("/follow-ups/<person_id>/<reaction_id>", methods=["GET", "POST"])
@allow(Role.RESPONSE)
def follow_up(person_id: str, reaction_id: str) -> tuple[str, int] | WerkzeugResponse:
    """Record the outcome of a serious reaction's follow-up (a page of its own: the dashboard reloads)."""
    error = ""
    if request.method == "POST":
        principal = current_principal()
        assert principal is not None  # enforce_access guarantees a response-center principal here
        try:
            dashboards.record_follow_up(
                ctx().backend,
                parse_id(person_id),
                parse_id(reaction_id),
                forms.follow_up_form(request.form),
                staff_id=principal.subject,
            )
        except USER_ERRORS as exc:
            error = message_for(exc)
        else:
            confirm("done.follow_up", person=person_id)
            return redirect(url_for("operations.dashboard"))
    return render_template(
        "operations_follow_up.html", error=error, form_key="follow-up-" + uuid.uuid4().hex
    ), (400 if error else 200)
