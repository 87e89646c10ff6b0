"""Sign-in: citizens with phone + one-time code, staff with username + password; sign-out."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from web import signin as flow
from web.errors import WebError
from web.i18n import message_for
from web.roles import SIGNED_IN_ROLES, Role, allow, end_session

bp = Blueprint("auth", __name__)


# Browsers drop tabs and newlines from URLs and treat "\\" as "/", so "/\t/evil.com" becomes
# "//evil.com" (another host). Anything but printable, non-space ASCII is refused outright, as are
# encoded slashes and backslashes that a proxy might decode on the way.
_UNSAFE_IN_TARGET = re.compile(r"[^\x21-\x7e]|\\|%(?:2f|5c|0[0-9a-f]|1[0-9a-f]|7f|20)", re.IGNORECASE)
MAX_NEXT_LENGTH = 512


def safe_next(target: str | None) -> str | None:
    """A same-site path to go to after sign-in, or None (no scheme, host, backslash, space or control)."""
    if not target or len(target) > MAX_NEXT_LENGTH or _UNSAFE_IN_TARGET.search(target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
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
    typed = request.form.get("phone", "")[:20] if error else ""
    return render_template("signin_citizen.html", error=error, phone=typed), (400 if error else 200)  # type: ignore[return-value]


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
    status = 200
    if request.method == "POST":
        try:
            principal = flow.staff_sign_in(
                request.form.get("username", ""),
                request.form.get("password", ""),
                client=request.remote_addr or "-",
            )
        except WebError as exc:
            error, status = message_for(exc), exc.status
        else:
            target = safe_next(request.form.get("next")) or url_for(flow.HOME_BY_ROLE[principal.role])
            return redirect(target)
    return (
        render_template(  # type: ignore[return-value]
            "signin_staff.html",
            error=error,
            next=safe_next(request.values.get("next")),
            username=request.form.get("username", "")[:40] if error else "",
        ),
        status,
    )


@bp.post("/signout")
@allow(Role.PUBLIC, *SIGNED_IN_ROLES)
def signout() -> Response:
    end_session()
    return redirect(url_for("public.home"))
