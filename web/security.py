"""Security headers on every response, and a request log that never carries personal data."""

from __future__ import annotations

import logging

from flask import Flask, current_app, request
from flask.wrappers import Response

log = logging.getLogger("immunize.web")

# Everything from our own origin; no inline script; SVG charts and QR pictures may be data: URLs.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), geolocation=(), microphone=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    hsts = int(current_app.config.get("HSTS_SECONDS") or 0)
    if hsts:
        # `immunize serve` sits behind HTTPS: browsers must never fall back to plain HTTP (RFC 6797).
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
    if request.endpoint != "static":
        # Health books and certificates must not linger in shared caches or the back-forward cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def log_request(response: Response) -> Response:
    """One line per request: method, route rule (never the filled-in URL or query), status."""
    rule = request.url_rule.rule if request.url_rule is not None else "-"
    log.info("%s %s %s", request.method, rule, response.status_code)
    return response


def install(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.after_request(log_request)
