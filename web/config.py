"""Settings of the web app, read from the environment once when the app is created.

IMMUNIZE_SECRET_KEY        session signing key; otherwise generated into the key dir on first start
IMMUNIZE_KEY_DIR           key directory (default ./var/keys), shared with keys/
IMMUNIZE_DATABASE_URL      the ledger's store; accounts live in the same database
IMMUNIZE_REPLICA_URL       optional PostgreSQL replica the public statistics read (staleness shown)
IMMUNIZE_SECURE_COOKIES    "0" only for plain-HTTP localhost development (default "1")
IMMUNIZE_MESSAGE_SENDER    console (default) | file | gateway | memory
IMMUNIZE_OUTBOX_FILE       where the file sender appends messages (default ./var/outbox.jsonl)
IMMUNIZE_SMS_GATEWAY_URL   the SMS gateway's HTTPS endpoint (gateway sender)
IMMUNIZE_SMS_GATEWAY_TOKEN its bearer token
IMMUNIZE_PROXY_HOPS        reverse proxies in front that set X-Forwarded-For/-Proto (default 0)
IMMUNIZE_VIEWS_FOLLOWED    "1" when `immunize projections run --keyed` keeps the read views at the head
                           (serve --followers sets it): reads do no catch-up (services.read_side)
IMMUNIZE_SESSION_CHECK_SECONDS  how long a worker trusts an account's session version (default 2, at
                           most 60; 0: read on every request): a revocation elsewhere holds within it
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from web.errors import ConfigurationError

SECRET_FILE_NAME = "web-secret-key"  # noqa: S105 - a file name, not a secret


def key_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("IMMUNIZE_KEY_DIR") or "var/keys")


def load_or_create_secret(directory: Path) -> str:
    """The session secret kept in the key dir (mode 0600), created on first start, never in the repo."""
    path = directory / SECRET_FILE_NAME
    try:
        if path.exists():
            value = path.read_text(encoding="ascii").strip()
            if len(value) >= 32:
                return value
        directory.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(value + "\n")
        return value
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read or create the web secret key in {directory}: set IMMUNIZE_SECRET_KEY "
            f"or make IMMUNIZE_KEY_DIR writable ({exc.strerror})"
        ) from exc


def _events(value: str | None, default: int) -> int:
    """IMMUNIZE_READ_SIDE_REQUEST_LIMIT: events one request may apply catching the views up (at least 1)."""
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigurationError(
            "IMMUNIZE_READ_SIDE_REQUEST_LIMIT must be a whole number, e.g. 20000"
        ) from exc
    if number < 1:
        raise ConfigurationError("IMMUNIZE_READ_SIDE_REQUEST_LIMIT must be at least 1")
    return number


def _int(value: str | None, name: str) -> int:
    if not value:
        return 0
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, e.g. 1") from exc
    if not 0 <= number <= 10:
        raise ConfigurationError(f"{name} must be from 0 to 10")
    return number


def _seconds(
    value: str | None, default: float, name: str = "IMMUNIZE_PUBLIC_CACHE_SECONDS", most: float = 3600
) -> float:
    """A number of seconds from 0 to `most` (IMMUNIZE_PUBLIC_CACHE_SECONDS, IMMUNIZE_SESSION_CHECK_SECONDS)."""
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= most:
        raise ConfigurationError(f"{name} must be a number of seconds from 0 to {most:g}, e.g. {default:g}")
    return number


def settings_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Flask config values for this environment; `create_app(config)` overrides any of them."""
    environ = os.environ if environ is None else environ
    secure = (environ.get("IMMUNIZE_SECURE_COOKIES") or "1").strip().lower() not in ("0", "false", "no")
    return {
        "IMMUNIZE_KEY_DIR": str(key_dir(environ)),
        "IMMUNIZE_DATABASE_URL": environ.get("IMMUNIZE_DATABASE_URL") or "",
        "IMMUNIZE_REPLICA_URL": environ.get("IMMUNIZE_REPLICA_URL") or "",
        "IMMUNIZE_SECRET_KEY": environ.get("IMMUNIZE_SECRET_KEY") or "",
        "MESSAGE_SENDER": environ.get("IMMUNIZE_MESSAGE_SENDER") or "console",
        "OUTBOX_FILE": environ.get("IMMUNIZE_OUTBOX_FILE") or "var/outbox.jsonl",
        "SMS_GATEWAY_URL": environ.get("IMMUNIZE_SMS_GATEWAY_URL") or "",
        "SMS_GATEWAY_TOKEN": environ.get("IMMUNIZE_SMS_GATEWAY_TOKEN") or "",
        # Cookies: HttpOnly and SameSite always; Secure unless switched off for http://localhost.
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "immunize_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,  # QR pictures and HC1 strings are small
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # QR pictures uploaded to /verify: (decodes at once per process, seconds a request waits for one)
        "PICTURE_DECODES": (2, 5.0),
        "OTP_TTL_SECONDS": 300,
        "OTP_MAX_ATTEMPTS": 5,
        # (limit, window seconds) per bucket
        "RATE_OTP_PER_PHONE": (3, 900),
        "RATE_OTP_PER_CLIENT": (20, 900),
        "RATE_REGISTER_PER_PHONE": (5, 3600),  # people registered (self and dependants) per phone
        # desk lookups (national ID, phone, certificate QR) per staff account
        "RATE_STAFF_LOOKUPS": (60, 600),
        # Events one request may apply when it catches the views up; beyond: 503 while the views are
        # brought up to date in the background (web/rebuilding.py). `serve` brings them up at start.
        "READ_SIDE_REQUEST_LIMIT": _events(environ.get("IMMUNIZE_READ_SIDE_REQUEST_LIMIT"), 20_000),
        "READ_SIDE_READY_AT_START": False,
        # Staff sign-in: (free failures, longest wait in seconds); the wait doubles from 2 s.
        "SIGNIN_BACKOFF_PER_USER": (5, 900),
        "SIGNIN_BACKOFF_PER_CLIENT": (20, 3600),
        "OPERATIONS_REFRESH_SECONDS": 15,
        "PROXY_HOPS": _int(environ.get("IMMUNIZE_PROXY_HOPS"), "IMMUNIZE_PROXY_HOPS"),
        # Serving (issue 14): public pages' cache interval; admission per route class ("slots,queue,wait").
        "PUBLIC_CACHE_SECONDS": _seconds(environ.get("IMMUNIZE_PUBLIC_CACHE_SECONDS"), 5.0),
        # "0": public pages computed on every request (benchmarks/bench_public_wrk.py's baseline only).
        "PUBLIC_CACHE": (environ.get("IMMUNIZE_PUBLIC_CACHE") or "1").strip().lower()
        not in ("0", "false", "no"),
        # A session version read is trusted this long per process (web.accounts.session_is_current):
        # a revocation by another worker or the CLI holds everywhere within it; 0 reads every request.
        "SESSION_CHECK_SECONDS": _seconds(
            environ.get("IMMUNIZE_SESSION_CHECK_SECONDS"), 2.0, "IMMUNIZE_SESSION_CHECK_SECONDS", 60
        ),
        "ADMISSION": (environ.get("IMMUNIZE_ADMISSION") or "1").strip().lower() not in ("0", "false", "no"),
        "VIEWS_FOLLOWED": (environ.get("IMMUNIZE_VIEWS_FOLLOWED") or "0").strip().lower()
        in ("1", "true", "yes"),
        **{
            f"ADMISSION_{kind}": environ.get(f"IMMUNIZE_ADMISSION_{kind}") or ""
            for kind in ("PUBLIC", "CITIZEN", "STAFF", "STAFF_WRITE", "SHARED", "STAFF_SHARED")
        },
    }
