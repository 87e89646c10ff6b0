"""The province officer's view: the province's sites and vaccine lots."""

from __future__ import annotations

from flask import Blueprint, render_template

from services import dashboards
from web.context import ctx
from web.roles import Role, allow, current_principal

bp = Blueprint("province", __name__, url_prefix="/province")


@bp.get("/")
@allow(Role.PROVINCE)
def overview() -> str:
    principal = current_principal()
    assert principal is not None
    data = dashboards.province_overview(
        ctx().backend, principal.province_code, today=ctx().backend.ledger.today()
    )
    return render_template("province.html", data=data)
