"""Roles and the access rule every endpoint declares; an endpoint that declares none is refused.

Denied by default: `enforce_access` runs before every request and looks up the view's declared
roles. A view without `@allow(...)` answers 403 to everyone, so a forgotten declaration fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from flask import Flask, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse


class Role(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not
    CITIZEN = "citizen"
    STAFF = "staff"
    PROVINCE = "province"
    RESPONSE = "response"
    AUDITOR = "auditor"


SIGNED_IN_ROLES = (Role.CITIZEN, Role.STAFF, Role.PROVINCE, Role.RESPONSE, Role.AUDITOR)
STAFF_ROLES = frozenset({Role.STAFF, Role.PROVINCE, Role.RESPONSE, Role.AUDITOR})

F = TypeVar("F", bound=Callable[..., Any])
ACCESS_ATTRIBUTE = "_immunize_allowed_roles"
DENIED_HEADER = "X-Access-Denied"


def allow(*roles: Role) -> Callable[[F], F]:
    """Declare who may call this view: Role.PUBLIC for everyone, otherwise the signed-in roles."""

    def mark(view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, frozenset(roles))
        return view

    return mark


@dataclass(frozen=True)
class Principal:
    """Who is signed in, as kept in the session (no personal data: the phone is a keyed hash)."""

    role: Role
    subject: str  # staff username, or the citizen's phone key
    site_id: str = ""
    province_code: str = ""
    display: str = ""  # what the header shows: username, or the masked phone


SESSION_VERSION = "sv"


def session_account(principal: Principal) -> str:
    """The key under which this principal's session version is kept."""
    from web.accounts import citizen_session_account, staff_session_account

    if principal.role is Role.CITIZEN:
        return citizen_session_account(principal.subject)
    return staff_session_account(principal.subject)


def current_principal() -> Principal | None:
    data = session.get("principal")
    if not isinstance(data, dict):
        return None
    try:
        return Principal(
            role=Role(data["role"]),
            subject=str(data["subject"]),
            site_id=str(data.get("site_id", "")),
            province_code=str(data.get("province_code", "")),
            display=str(data.get("display", "")),
        )
    except (KeyError, ValueError):
        return None


def allowed_roles(endpoint: str | None) -> frozenset[Role]:
    """The roles the endpoint declared; static files are public; unknown endpoints: nobody."""
    if endpoint is None:
        return frozenset()
    if endpoint == "static":
        return frozenset({Role.PUBLIC})
    view = current_app.view_functions.get(endpoint)
    return frozenset(getattr(view, ACCESS_ATTRIBUTE, frozenset()))


def _session_is_current(principal: Principal) -> bool:
    """The session carries its account's current version (checked on every request, issue 12 item 2)."""
    from web.context import ctx

    stamped = session.get(SESSION_VERSION, 0)
    return isinstance(stamped, int) and ctx().accounts.session_is_current(session_account(principal), stamped)


def _forget_session() -> None:
    """Drop a revoked or signed-out session, keeping only the language choice."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def end_session() -> None:
    """Sign out: revoke every session of the signed-in account (copies of the cookie included)."""
    from web.context import ctx

    principal = current_principal()
    if principal is not None:
        ctx().accounts.revoke_sessions(session_account(principal))
    _forget_session()


def enforce_access() -> WerkzeugResponse | None:
    """before_request: 401/redirect to sign-in for anonymous callers, 403 for a wrong role."""
    from web.views.errors import render_error  # the error page lives with the views

    principal = current_principal()
    if principal is not None and not _session_is_current(principal):
        _forget_session()
        principal = None
    g.principal = principal
    if request.endpoint is None:
        return None  # 404/405 handled by Flask
    roles = allowed_roles(request.endpoint)
    if Role.PUBLIC in roles:
        return None
    if principal is not None and principal.role in roles:
        return None
    if principal is None and not request.path.startswith("/api/") and request.method == "GET":
        response = redirect(url_for("auth.signin", next=request.path))
    else:
        response = render_error(
            401 if principal is None else 403,
            "error.signin_required" if principal is None else "error.forbidden",
        )
    response.headers[DENIED_HEADER] = "1"  # lets tests tell a refusal from a view's own 401/403
    return response


def install(app: Flask) -> None:
    app.before_request(enforce_access)
