"""The web app: citizen health book, staff desk, public portal, operations, audit, and a JSON API.

`create_app(config=None)` builds everything; nothing is built at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from flask import Flask
from flask_wtf.csrf import CSRFProtect

from ledger.settings import default_database_url, parse_database_url, replica_settings
from web.json_bodies import BoundedJSONProvider


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app from the environment, with `config` overriding any setting.

    Extra keys understood in `config`: LEDGER (an already built ledger application to serve),
    VIEW_STORE (the projections' view store to read), CLOCK (a callable returning an aware
    datetime: tests pass a fixed time), PASSWORD_HASHER (argon2 parameters).
    """
    from web import i18n, rebuilding, roles, security
    from web.accounts import Accounts
    from web.config import load_or_create_secret, settings_from_environment
    from web.context import WebContext
    from web.outbox import sender_from_config
    from web.pictures import PictureReader
    from web.platform import Platform
    from web.public_cache import PublicCache
    from web.readlog import ReadLog
    from web.store import SqlStore
    from web.views import (
        api,
        apidocs,
        audit,
        auth,
        campaign,
        citizen,
        errors,
        operations,
        places,
        privacy,
        province,
        public,
        sites,
        staff,
        stock,
        transparency,
    )

    app = Flask(__name__)
    app.json = BoundedJSONProvider(app)  # bodies bounded in depth as in size (web.json_bodies)
    app.config.update(settings_from_environment())
    if config:
        app.config.update(config)
    secret = app.config["IMMUNIZE_SECRET_KEY"] or load_or_create_secret(Path(app.config["IMMUNIZE_KEY_DIR"]))
    app.config["SECRET_KEY"] = secret

    store_settings = parse_database_url(app.config["IMMUNIZE_DATABASE_URL"] or default_database_url())
    clock = app.config.get("CLOCK") or _utc_now
    tables = SqlStore(store_settings)
    accounts = Accounts(
        tables,
        secret,
        otp_ttl=int(app.config["OTP_TTL_SECONDS"]),
        otp_attempts=int(app.config["OTP_MAX_ATTEMPTS"]),
        user_backoff=tuple(app.config["SIGNIN_BACKOFF_PER_USER"]),
        client_backoff=tuple(app.config["SIGNIN_BACKOFF_PER_CLIENT"]),
        hasher=PasswordHasher(**app.config["PASSWORD_HASHER"]) if app.config.get("PASSWORD_HASHER") else None,
        session_check_seconds=float(app.config["SESSION_CHECK_SECONDS"]),
    )
    platform = Platform(
        store_settings,
        Path(app.config["IMMUNIZE_KEY_DIR"]),
        ledger=app.config.get("LEDGER"),
        views=app.config.get("VIEW_STORE"),
        phone_key=lambda phone: accounts.key_for("phone", phone),
        replica=replica_settings({"IMMUNIZE_REPLICA_URL": app.config.get("IMMUNIZE_REPLICA_URL") or ""}),
        followed=bool(app.config.get("VIEWS_FOLLOWED")),
    )
    app.extensions["immunize"] = WebContext(
        accounts=accounts,
        sender=sender_from_config(
            app.config["MESSAGE_SENDER"],
            outbox_file=app.config["OUTBOX_FILE"],
            gateway_url=app.config["SMS_GATEWAY_URL"],
            gateway_token=app.config["SMS_GATEWAY_TOKEN"],
        ),
        platform=platform,
        clock=clock,
    )

    app.extensions["immunize_reads"] = ReadLog(tables)
    app.extensions["immunize_public_cache"] = PublicCache(
        float(app.config.get("PUBLIC_CACHE_SECONDS", 5.0)), enabled=bool(app.config.get("PUBLIC_CACHE", True))
    )
    decodes, wait = app.config["PICTURE_DECODES"]
    app.extensions["immunize_pictures"] = PictureReader(concurrent=int(decodes), wait_seconds=float(wait))

    roles.install(app)  # before CSRF: a caller without the role is refused before anything else
    rebuilding.install(app)  # no request replays the log into a view (503 while they are rebuilt)
    if app.config.get("VIEWS_FOLLOWED"):
        from web import read_your_writes

        read_your_writes.install(app)  # after roles: it needs the caller
    csrf = CSRFProtect(app)
    security.install(app)
    errors.install(app)
    i18n.install(app)  # dates, numbers and address pickers in the page's language

    @app.context_processor
    def inject_helpers() -> dict[str, Any]:
        from flask import g

        return {
            "t": i18n.translate,
            "lang": i18n.current_language(),
            "languages": i18n.LANGUAGES,
            "principal": g.get("principal"),
        }

    for module in (public, auth, citizen, staff, province, privacy, operations, audit, api, transparency):
        app.register_blueprint(module.bp)
    app.register_blueprint(places.bp)
    app.register_blueprint(apidocs.bp)
    app.register_blueprint(campaign.api)
    app.register_blueprint(campaign.pages)
    app.register_blueprint(sites.pages)
    app.register_blueprint(stock.api)
    app.register_blueprint(stock.pages)
    csrf.exempt(campaign.sms_inbound)  # the SMS gateway authenticates with its shared secret instead
    # Checking a certificate changes nothing and reads nothing of the caller: a forged cross-site POST
    # gains nothing, and without a token the page is the same public bytes for everyone (cached).
    csrf.exempt(public.verify)
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        # Behind a load balancer: the client address (rate limits) and scheme come from its headers.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    if app.config.get("ADMISSION", True):
        # A request over its class's bounds is shed before any work (serving: issue 14).
        from web.admission import DEFAULT_STAFF_SHARED, Admission, limits_from_config, shared_from_config

        admission = Admission(
            app.wsgi_app,
            limits_from_config(app.config),
            shared=shared_from_config(app.config),
            staff_shared=shared_from_config(app.config, "ADMISSION_STAFF_SHARED", DEFAULT_STAFF_SHARED),
            counts=app.config.get("ADMISSION_COUNTS"),  # the server's, shared by its workers
        )
        app.extensions["immunize_admission"] = admission
        app.wsgi_app = admission  # type: ignore[method-assign]
    # Outside admission: public answers already made are served whole, without Flask and without a slot
    # (they cost less than admission itself); what is not stored still goes through admission.
    from web.public_front import PublicFront

    front = PublicFront(
        app.wsgi_app,
        lambda: app.extensions["immunize_public_cache"],  # looked up per request: tests swap the cache
        str(app.config["SESSION_COOKIE_NAME"]),
    )
    app.extensions["immunize_public_front"] = front
    app.wsgi_app = front  # type: ignore[method-assign]
    rebuilding.prepare_at_start(app)  # `immunize serve`: the views are up to date before the first request
    return app
