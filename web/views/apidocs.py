"""A readable page for the API description: our own template over /api/v1/openapi.json (no script, no CDN)."""

from __future__ import annotations

from flask import Blueprint, render_template

from web import openapi
from web.roles import Role, allow

bp = Blueprint("apidocs", __name__)


@bp.get("/api/docs")
@allow(Role.PUBLIC)
def page() -> str:
    document = openapi.document()
    return render_template("api_docs.html", info=document["info"], groups=openapi.operations_by_role())
