"""The response center's operations view: refreshes itself (meta refresh, no script) and shows lag."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from services import dashboards
from web import charts
from web.context import ctx
from web.roles import Role, allow

bp = Blueprint("operations", __name__, url_prefix="/operations")


@bp.get("/")
@allow(Role.RESPONSE)
def dashboard() -> str:
    data = dashboards.operations(ctx().backend, now=ctx().clock())
    return render_template(
        "operations.html",
        data=data,
        charts=charts.operations_charts(data),
        refresh=int(current_app.config["OPERATIONS_REFRESH_SECONDS"]),
    )
