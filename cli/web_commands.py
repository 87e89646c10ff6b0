"""`immunize serve`, `immunize run` (what `make run` calls) and `immunize staff add|list`."""

from __future__ import annotations

import os
import secrets
import signal
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from web.errors import ConfigurationError, WebError

PASSWORD_ENV = "IMMUNIZE_STAFF_PASSWORD"  # noqa: S105 - the variable's name, not a secret

# The demo campaign `immunize run` simulates on first start: about 2,000 people for the 180 days up to
# today (about a fifth of them with a first dose, as Viet Nam in September 2021), keeping `make run` near
# 20 s. It ends today: today's and tomorrow's appointments are booked, lots in date, next doses due.
DEMO_SCALE = 0.00002
DEMO_DAYS = 180

# Demo accounts created by `immunize run` (development only): role -> username.
DEMO_ACCOUNTS = {
    "staff": "demo.staff",
    "province": "demo.province",
    "response": "demo.response",
    "auditor": "demo.auditor",
}


def _say(line: str = "") -> None:
    click.echo(line, err=True)


def _accounts(config: dict[str, Any] | None = None) -> Any:
    """The accounts store of the configured database (same tables the web app uses)."""
    from web import create_app

    app = create_app(config)
    return app, app.extensions["immunize"].accounts


@click.group("staff")
def staff() -> None:
    """Staff accounts of the web app (site staff, province officers, response center, auditors)."""


@staff.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["staff", "province", "response", "auditor"]),
    default="staff",
    show_default=True,
)
@click.option("--site", "site_id", default="", help="The site id (UUID) for site staff.")
@click.option("--province", "province_code", default="", help="The GSO province code for a province officer.")
@click.option("--replace", is_flag=True, help="Reset the password (and role) of an existing account.")
def staff_add(username: str, role: str, site_id: str, province_code: str, replace: bool) -> None:
    """Create a staff account; the password comes from IMMUNIZE_STAFF_PASSWORD or a prompt, never an argument."""
    from web.roles import Role

    password = os.environ.get(PASSWORD_ENV) or click.prompt(
        "Password (at least 10 characters)", hide_input=True, confirmation_prompt=True, err=True
    )
    _app, accounts = _accounts()
    account = accounts.add_staff(
        username, password, Role(role), site_id=site_id, province_code=province_code, replace=replace
    )
    click.echo(f"Created {account.role.value} account {account.username!r}.")


@staff.command("list")
def staff_list() -> None:
    """List staff accounts (usernames, roles, sites; never passwords)."""
    _app, accounts = _accounts()
    for account in accounts.list_staff():
        where = account.site_id or account.province_code or "-"
        click.echo(f"{account.username}\t{account.role.value}\t{where}")


def _serve(app: Any, host: str, port: int, threads: int) -> None:
    try:
        from waitress import create_server
    except ImportError as exc:  # pragma: no cover - waitress is a dependency
        raise ConfigurationError(
            "waitress is not installed: run `make run` to install the dependencies"
        ) from exc
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="immunize")
    except OSError as exc:
        raise ConfigurationError(
            f"cannot listen on {host}:{port}: {exc.strerror}; try another --port"
        ) from exc
    _say(f"Serving on http://{host}:{port}  (Ctrl+C to stop)")
    try:
        server.run()
    except KeyboardInterrupt:
        _say("Stopped.")
    finally:
        server.close()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads",
    default=0,
    type=click.IntRange(0, 512),
    help="Threads per worker (default 0: enough for every admission slot and queue place).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (gunicorn, more than 1; one per core is a good start). 1: waitress in this process.",
)
@click.option(
    "--followers/--no-followers",
    default=False,
    show_default=True,
    help="Also start the projections follower (`immunize projections run`), the certificate renderer "
    "(`immunize certificate render --follow`) and the SMS sender (`immunize messages send --follow`), each "
    "as its own process.",
)
@click.option(
    "--allow-development",
    is_flag=True,
    help="Start even with development keys, a weak passphrase or secret, or the console/file sender.",
)
def serve(host: str, port: int, threads: int, workers: int, followers: bool, allow_development: bool) -> None:
    """Serve the web app with waitress, or gunicorn workers (production: refuses development settings)."""
    from web import create_app
    from web.config import settings_from_environment
    from web.production import production_problems

    settings = settings_from_environment()
    problems = production_problems(settings)
    if problems and not allow_development:
        _say("immunize serve: refusing to start, this configuration is not fit for production:")
        for problem in problems:
            _say(f"- {problem}")
        _say("Fix these, or pass --allow-development to start anyway (never with real people's data).")
        sys.exit(1)
    if problems:
        _say("WARNING: immunize serve --allow-development: DEVELOPMENT settings, not for real people's data:")
        for problem in problems:
            _say(f"- WARNING: {problem}")
    # The views are brought up to date (rebuilt after a new version or web secret) before serving, with
    # progress on stderr: no request replays the log (web/rebuilding.py). With the follower beside it,
    # the workers read the views as the follower keeps them (read-your-writes for the caller's own),
    # instead of each request catching them up (services.read_side).
    production: dict[str, Any] = {
        "HSTS_SECONDS": 31_536_000,
        "READ_SIDE_READY_AT_START": True,
        **({"VIEWS_FOLLOWED": True} if followers else {}),
    }
    if workers > 1 and (settings.get("IMMUNIZE_DATABASE_URL") or "memory://").startswith("memory"):
        _say("immunize serve: several workers need a shared store: set IMMUNIZE_DATABASE_URL (PostgreSQL).")
        sys.exit(1)
    from cli.multiprocess import (
        serve_with_workers,
        start_followers,
        start_renderer,
        start_sender,
        stop_process,
    )
    from web.admission import limits_from_config, threads_needed

    needed = threads_needed(limits_from_config(settings))
    if threads == 0:
        threads = needed
    elif threads < needed and settings.get("ADMISSION", True):
        _say(
            f"- WARNING: {threads} threads per worker is fewer than admission's slots and queues ({needed}):"
            " requests beyond them wait in the server's queue, where they cannot be shed."
        )
    follower = start_followers() if followers else None
    if follower is not None:
        _say(f"- Projections follower started as process {follower.pid}.")
    renderer = start_renderer() if followers else None
    if renderer is not None:
        _say(f"- Certificate renderer started as process {renderer.pid}.")
    sender = start_sender() if followers else None
    if sender is not None:
        _say(f"- SMS sender (immunize messages send --follow) started as process {sender.pid}.")
    try:
        if workers > 1:
            _say(f"Serving on http://{host}:{port} with {workers} gunicorn workers x {threads} threads")
            # One admission for the server: the workers inherit these shared counts when they fork.
            from web.admission import SharedCounts

            counts = SharedCounts()
            serve_with_workers(
                lambda: create_app({**production, "ADMISSION_COUNTS": counts}),
                host,
                port,
                workers,
                threads,
                child_exit=counts.forget,
            )
        else:
            # gunicorn's arbiter stops on SIGTERM and returns; waitress does not: make SIGTERM (what a
            # service manager sends) stop like Ctrl-C, so the `finally` below stops the child processes.
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            app = create_app(production)
            if not followers:  # one process and no renderer process: it renders in a thread of its own
                from cli.certificate_commands import start_renderer_thread
                from web.config import key_dir

                start_renderer_thread(app.extensions["immunize"].platform.ledger, key_dir(os.environ))
            _serve(app, host, port, threads)
    finally:
        if sender is not None:
            stop_process(sender)
        if follower is not None:
            stop_process(follower)
        if renderer is not None:
            stop_process(renderer)


def _step(what: str, action: Any) -> Any:
    """Run one start-up step; a failure is one clear line, and the rest still starts."""
    try:
        return action()
    except (ImportError, ModuleNotFoundError) as exc:
        _say(f"- {what}: not available yet ({exc.name or exc}); continuing without it.")
    except Exception as exc:  # every layer's base error, named in one line, never a traceback
        _say(f"- {what}: {type(exc).__name__}: {exc}")
    return None


def _ensure_keys(key_dir: Path, now: datetime) -> None:
    from keys.development import ensure_development_keys

    ensure_development_keys(key_dir, now)


def _signs_at(key_dir: Path, now: datetime) -> bool:
    """Whether the key store's current signing key signs at `now` (no second key, nor a second warning)."""
    from keys.store import KeyStore

    store = KeyStore(key_dir)
    if not store.exists():
        return False
    current = next((record for record in store.documents() if record.current), None)
    return current is not None and current.not_before <= now < current.signing_until


def _seed(app: Any, ledger: Any, scale: float, days: int, start: date) -> None:
    """On first start, a simulated campaign (immunize simulate) at the demo's scale, from `start`."""
    from services.people import list_people
    from services.simulation.campaign import simulate

    if list_people(ledger, app.extensions["immunize"].platform.views, limit=1):
        _say("- Ledger already has people: not seeding.")
        return
    shown = f"{scale:.8f}".rstrip("0").rstrip(".")  # 0.00002, not 2e-05
    _say(f"- Simulating the demo campaign (first start: scale {shown}, the {days} days from {start}) ...")
    platform = app.extensions["immunize"].platform
    tally = simulate(
        ledger, platform.views, scale=scale, days=days, seed=1, start=start, certificates=platform.backend
    )
    data = tally.as_json()
    _say(
        f"  Demo campaign seeded in {tally.seconds:.1f} s ({tally.events_per_second:,.0f} events/s): "
        f"{tally.people:,} people ({tally.dependants:,} dependants) in {tally.households:,} families, "
        f"{tally.sites} sites, {tally.registrations:,} registrations, {tally.appointments:,} appointments, "
        f"{tally.no_shows:,} no-shows, {tally.doses:,} doses {data['doses_by_product']}, "
        f"reactions {data['reactions']}, {tally.certificates:,} certificates"
    )
    for note in tally.notes:
        _say(f"  {note}")


def _start_projections(app: Any, ledger: Any) -> Any:
    """Follow the log with every projection in background threads (supervised: restarted on errors)."""
    from projections.registry import run_views

    platform = app.extensions["immunize"].platform
    # The keyed phone index too: this process holds the web's key and opens personal data.
    supervisor = run_views(ledger, platform.views, keys=platform.view_keys)
    _say(
        "- Projections follower started in the background (health book, statistics, operations, certificates, "
        "sites and lots, people directory, phone index)."
    )
    return supervisor


def _start_renderer_thread(ledger: Any, keys: Path) -> None:
    from cli.certificate_commands import start_renderer_thread

    start_renderer_thread(ledger, keys)
    _say("- Certificate renderer started in the background (files drawn once, off the request).")


def _start_audit_chain(key_dir: Path, settings_url: str) -> None:
    """Sign checkpoints of the transparency log as events arrive (every 10,000 events, every 60 s)."""
    from keys.settings import passphrase_from_environment
    from ledger.settings import parse_database_url
    from projections.audit import AuditKey
    from projections.audit.checkpointer import Checkpointer

    settings = parse_database_url(settings_url)
    if settings.kind == "memory":
        _say("- Transparency log: not kept for an in-memory ledger.")
        return
    key, _created = AuditKey.load_or_create(key_dir, passphrase_from_environment(development=True))
    checkpointer = Checkpointer(settings, key, on_error=lambda exc: _say(f"- Transparency log: {exc}"))
    signed = checkpointer.sign_now()
    _say(
        f"- Transparency log: checkpoint of tree size {signed} signed; a new one every 10,000 events and every 60 s."
    )
    checkpointer.start()


def _start_sender() -> Any:
    """The outbox delivered as `serve --followers` does, to the console by default: the demo's appointment
    texts appear here, each number masked (services.sms_gateways.ConsoleGateway)."""
    from cli.multiprocess import start_sender

    kind = os.environ.setdefault("IMMUNIZE_MESSAGE_SENDER", "console")
    in_memory = os.environ.get("IMMUNIZE_DATABASE_URL", "").startswith("memory:")
    if kind == "memory" or in_memory:  # held by this process only: another process cannot deliver them
        _say("- SMS sender: not started (messages or ledger held in memory by this process).")
        return None
    sender = start_sender()
    _say(
        f"- SMS sender (immunize messages send --follow, {kind}) started as process {sender.pid}: texts appear here."
    )
    return sender


def _demo_accounts(app: Any, ledger: Any) -> list[tuple[str, str, str, str]]:
    """(Re)create the demo staff accounts with fresh random passwords; returned to be printed once, each
    with where it works (the site staff's with today's appointments)."""
    from web.roles import Role

    platform = app.extensions["immunize"].platform
    accounts = app.extensions["immunize"].accounts
    platform.read.refresh()
    site, today = _busiest_site(platform, ledger)
    created = []
    for role, username in DEMO_ACCOUNTS.items():
        password = secrets.token_urlsafe(12)
        kwargs: dict[str, str] = {}
        where = ""
        if role == "staff":
            if site is None:
                continue
            kwargs["site_id"] = site.id
            where = f"{site.name} ({site.code}): {today} appointments today"
            if not today:  # a ledger seeded on an earlier day: its campaign ended then
                where += "; the demo campaign was seeded on an earlier day: remove ./var and run again for one ending today"
        if role == "province":
            kwargs["province_code"] = site.province_code if site is not None else "01"
            where = f"province {kwargs['province_code']}"
        accounts.add_staff(username, password, Role(role), replace=True, **kwargs)
        created.append((role, username, password, where))
    return created


def _busiest_site(platform: Any, ledger: Any) -> tuple[Any, int]:
    """The demo staff's site: the one with the most appointments today (ties: the first by code), so the
    staff's today page has work; the first site when none has any (a database seeded before)."""
    from projections import plan_queries

    sites = platform.read.sites()  # by code
    if not sites:
        return None, 0
    today = ledger.today()
    booked: dict[str, int] = {}
    for _plan, site_id in plan_queries.plans_on(platform.views, today):  # the views are at the head
        plan = plan_queries.day_plan(platform.views, site_id, today)
        booked[site_id] = sum(len(session.appointments) for session in plan.sessions) if plan else 0
    counts = [booked.get(site.id, 0) for site in sites]
    most = max(counts)
    return sites[counts.index(most)], most


def _demo_citizen(app: Any) -> str | None:
    """A demo phone number with a vaccinated person behind it (printed for development sign-in)."""
    from services.people import list_people

    platform = app.extensions["immunize"].platform
    for limit in (200, 5_000):  # the first people usually have one: each record read opens personal data
        for record in list_people(platform.ledger, platform.views, limit=limit):
            if record.phone and record.doses and not record.guardian_id and not record.erased:
                return str(record.phone)
    return None


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--scale",
    default=DEMO_SCALE,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True),
    help="Share of Viet Nam's population the demo campaign simulates on first start.",
)
@click.option(
    "--days",
    default=DEMO_DAYS,
    show_default=True,
    type=click.IntRange(1, 730),
    help="Days of campaign the demo simulates on first start.",
)
def run(host: str, port: int, scale: float, days: int) -> None:
    """Development start: keys, demo campaign, projections follower, web app on http://127.0.0.1:8000."""
    from web.config import key_dir

    now = datetime.now(UTC)
    from ledger.commands import vietnam_day
    from services.simulation.campaign import check_arguments

    # The demo campaign ends today (Viet Nam's date): it starts `days` days before.
    start = check_arguments(scale, days, None, "today", today=vietnam_day(now))
    os.environ.setdefault("IMMUNIZE_SECURE_COOKIES", "0")  # plain HTTP on localhost (development only)
    # Coverage on the public pages compares with the population scaled like the simulated one.
    os.environ.setdefault("IMMUNIZE_POPULATION_SCALE", f"{scale:g}")
    keys = key_dir(os.environ)
    _say("immunize run: DEVELOPMENT start (demo data, development keys, plain HTTP on localhost)")
    # A first start dates its development keys from before the demo campaign, so the simulated days can
    # sign their certificates; a key for today is added once the campaign is seeded.
    from keys.store import KeyStore

    first_start = not KeyStore(keys).exists()
    campaign_eve = datetime.combine(start - timedelta(days=1), datetime.min.time(), UTC)
    _step("Development keys", lambda: _ensure_keys(keys, campaign_eve if first_start else now))
    try:
        from web import create_app

        app = create_app()
        ledger = app.extensions["immunize"].platform.ledger
    except (ImportError, WebError) as exc:
        _say(f"- The web app cannot start: {exc}")
        sys.exit(1)
    _step("Demo campaign", lambda: _seed(app, ledger, scale, days, start))
    if first_start and not _signs_at(keys, now):  # keys dated the campaign's eve sign 2 years
        _step("Development keys for today", lambda: _ensure_keys(keys, now))
    # What reads the views comes first, then the background work (it would compete for the same core):
    # the follower's catch-up of the keyed views, the checkpoint, the sender, the renderer's drawing.
    # Every view (the keyed phone index too) at the log's head before serving, as `immunize serve` does:
    # no page then waits for a catch-up, or answers 503 while the read side is brought up to date.
    _step("Read side", lambda: app.extensions["immunize"].platform.prepare(lambda line: _say(f"- {line}")))
    accounts = _step("Demo staff accounts", lambda: _demo_accounts(app, ledger)) or []
    phone = _step("Demo citizen", lambda: _demo_citizen(app))
    _step("Projections", lambda: _start_projections(app, ledger))
    _step("Audit chain", lambda: _start_audit_chain(keys, app.extensions["immunize"].platform.store.url))
    sender = _step("SMS sender", _start_sender)
    _step("Certificate renderer", lambda: _start_renderer_thread(ledger, keys))
    _say("")
    _say("Demo sign-in (development only; passwords are new on every start and shown only here):")
    for role, username, password, where in accounts:
        _say(f"  {role:<9} username {username:<14} password {password}" + (f"  ({where})" if where else ""))
    if phone:
        _say(f"  citizen   phone {phone}  (the one-time code is printed here, by the console outbox)")
    _say("")
    threading.current_thread().name = "immunize-web"
    # SIGTERM stops like Ctrl-C, so that the sender process is stopped too and not left behind.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        _serve(app, host, port, threads=8)
    finally:
        if sender is not None:
            from cli.multiprocess import stop_process

            stop_process(sender)


COMMANDS: list[click.Command] = [serve, run, staff]
