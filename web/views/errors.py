"""Error pages and JSON errors in the user's language; no traceback ever reaches a user."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.wrappers import Response
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from web.errors import USER_ERRORS, error_code, status_for
from web.i18n import message_for, translate

log = logging.getLogger("immunize.web")

STATUS_KEYS = {
    400: "error.bad_input",
    401: "error.signin_required",
    403: "error.forbidden",
    404: "error.not_found",
    405: "error.method",
    413: "error.too_large",
    429: "error.rate_limited",
    503: "error.unavailable",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(status: int, key: str, detail: str = "", message: str = "") -> Response:
    """The error page, or for the API {"error": code, "message": sentence, "detail": English detail}."""
    message = message or translate(key)
    if wants_json():
        body = {"error": key.removeprefix("error."), "message": message}
        if detail:
            body["detail"] = detail
        response = jsonify(body)
    else:
        response = Response(
            render_template("error.html", status=status, message=message, detail=detail), mimetype="text/html"
        )
    response.status_code = status
    return response


def handle_user_error(error: Exception) -> Response:
    """Any project error: status by its kind, message by its code (the English sentence kept as detail:
    lower layers say exactly what was wrong)."""
    code = error_code(error)
    detail = str(error) if str(error) not in (code, getattr(error, "message_key", "")) else ""
    return render_error(status_for(error), f"error.{code}", detail, message_for(error))


def handle_csrf(error: CSRFError) -> Response:
    return render_error(400, "error.csrf")


def handle_http(error: HTTPException) -> Response:
    status = error.code or 500
    return render_error(status, STATUS_KEYS.get(status, "error.generic"))


def handle_unexpected(error: Exception) -> Response:
    # The type only: exception messages may carry personal data.
    log.error("unexpected %s on %s", type(error).__name__, request.url_rule)
    return render_error(500, "error.generic")


def install(app: Flask) -> None:
    for error_class in USER_ERRORS:
        app.register_error_handler(error_class, handle_user_error)
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
