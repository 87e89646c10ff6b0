"""Public address lists for the province → district → ward pickers (reference data, cacheable)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.wrappers import Response

from web import places
from web.errors import NotFound
from web.roles import Role, allow

bp = Blueprint("places", __name__, url_prefix="/places")


@bp.get("/<code>.json")
@allow(Role.PUBLIC)
def province(code: str) -> Response:
    """A province's districts, each with its wards: one request per province chosen."""
    if len(code) > 3 or not code.isdigit():
        raise NotFound("no such province")
    chosen = [p for p in places.provinces() if p.code == code]
    if not chosen:
        raise NotFound("no such province")
    body = {
        "code": code,
        "name": chosen[0].name,
        "districts": [
            {
                "code": d.code,
                "name": d.name,
                "wards": [{"code": w.code, "name": w.name} for w in places.wards(d.code)],
            }
            for d in places.districts(code)
        ],
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
