"""Sign-in: citizens with phone + one-time code, staff with username + password; sign-out."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from web import signin as flow
from web.errors import WebError
from web.i18n import message_for
from web.roles import SIGNED_IN_ROLES, Role, allow

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host, no //) may be a redirect target."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.get("/signin")
@allow(Role.PUBLIC)
def signin() -> str:
    """The sign-in page everyone without a session is sent to: citizen or staff."""
    return render_template("signin.html", next=safe_next(request.args.get("next")))


@bp.route("/signin/citizen", methods=["GET", "POST"])
@allow(Role.PUBLIC)
def citizen_phone() -> str | Response:
    error = ""
    if request.method == "POST":
        try:
            flow.request_code(request.form.get("phone", ""), client=request.remote_addr or "-")
        except WebError as exc:
            error = message_for(exc)
        else:
            return redirect(url_for("auth.citizen_code"))
    return render_template("signin_citizen.html", error=error), (400 if error else 200)  # type: ignore[return-value]


@bp.route("/signin/citizen/code", methods=["GET", "POST"])
@allow(Role.PUBLIC)
def citizen_code() -> str | Response:
    if not session.get("pending_phone"):
        return redirect(url_for("auth.citizen_phone"))
    error = ""
    if request.method == "POST":
        try:
            flow.confirm_code(request.form.get("code", ""))
        except WebError as exc:
            error = message_for(exc)
        else:
            return redirect(url_for("citizen.home"))
    return render_template("signin_code.html", error=error), (400 if error else 200)  # type: ignore[return-value]


@bp.route("/signin/staff", methods=["GET", "POST"])
@allow(Role.PUBLIC)
def staff() -> str | Response:
    error = ""
    if request.method == "POST":
        try:
            principal = flow.staff_sign_in(
                request.form.get("username", ""),
                request.form.get("password", ""),
                client=request.remote_addr or "-",
            )
        except WebError as exc:
            error = message_for(exc)
        else:
            target = safe_next(request.form.get("next")) or url_for(flow.HOME_BY_ROLE[principal.role])
            return redirect(target)
    return render_template(  # type: ignore[return-value]
        "signin_staff.html", error=error, next=safe_next(request.values.get("next"))
    ), (401 if error else 200)


@bp.post("/signout")
@allow(Role.PUBLIC, *SIGNED_IN_ROLES)
def signout() -> Response:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("public.home"))
