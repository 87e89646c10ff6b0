"""`immunize` commands of this area (filled in by the issue that builds it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cli.audit_commands import _now, _pinned, _settings
from ledger.settings import StoreSettings
from projections.audit import (
    AuditPublicKey,
    Database,
    atomic_output,
    progress_bar,
    rebuild_all,
    trusted_keys,
)
from projections.audit.checkpointer import start_checkpointer
from projections.backup import master_key_problem, restore_backup, write_backup

# --- audit, backup, restore (tamper evidence, exports for auditors, portable backups) -------------
# The work is in projections/audit/ and projections/backup.py; these commands only translate.


_database_option = click.option(
    "--database-url",
    envvar="IMMUNIZE_DATABASE_URL",
    default=None,
    help="The ledger store (default: IMMUNIZE_DATABASE_URL, else sqlite:///var/ledger.db).",
)
_public_key_option = click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A trusted audit public key (PEM); default: the one in IMMUNIZE_KEY_DIR/audit/.",
)


# Rows of other areas that the log cannot rebuild: the web's staff accounts (its other tables are
# rebuilt from the log or are short-lived). The web's own DDL creates them on restore.
BACKUP_EXTRA_TABLES = ("web_accounts",)


def _create_web_tables(settings: StoreSettings) -> None:
    from web.store import SqlStore

    SqlStore(settings)


@click.command("backup")
@_database_option
@_public_key_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The backup file to write (gzip JSON Lines).",
)
def backup_command(database_url: str | None, public_keys: tuple[Path, ...], out: Path) -> None:
    """Back up the ledger (events, audit chain, personal key store) to one portable file."""
    with Database(_settings(database_url)) as db:
        trusted = trusted_keys(db, _pinned(public_keys))
        with atomic_output(out) as handle, progress_bar("backing up", db.count_events()) as advance:
            summary = write_backup(db, handle, trusted, _now(), advance, BACKUP_EXTRA_TABLES)
    rows = ", ".join(f"{n} {t}" for t, n in summary.rows.items()) or "no key-store rows"
    click.echo(
        f"backed up ledger {summary.ledger}: {summary.events} events ({summary.chained} chained), "
        f"{summary.checkpoints} checkpoints, {rows} to {out}"
    )


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_database_option
@_public_key_option
@click.option("--no-rebuild", is_flag=True, help="Do not rebuild the projections after restoring.")
def restore_command(
    database_url: str | None, backup_file: Path, public_keys: tuple[Path, ...], no_rebuild: bool
) -> None:
    """Restore a backup into an EMPTY store, all or nothing, then rebuild the projections."""
    settings = _settings(database_url)
    pinned = [AuditPublicKey.from_file(path) for path in public_keys]
    with progress_bar("restoring", None) as advance:
        summary = restore_backup(
            backup_file,
            settings,
            pinned,
            advance,
            extra_tables=BACKUP_EXTRA_TABLES,
            prepare=_create_web_tables,
        )
    click.echo(
        f"restored ledger {summary.ledger}: {summary.events} events, {summary.checkpoints} checkpoints, "
        f"{', '.join(f'{n} {t}' for t, n in summary.rows.items()) or 'no other rows'} "
        f"into {settings.redacted_url}"
    )
    problem = master_key_problem(settings)
    if problem is not None:
        click.echo(f"Warning: personal data cannot be opened on this installation yet: {problem}", err=True)
    if no_rebuild:
        return
    with progress_bar("rebuilding projections", None) as advance:
        digests = rebuild_all(settings, on_progress=advance)
    for name, value in digests.items():
        click.echo(f"{name} {value}")


# --- projections (run the views live, rebuild, fingerprint, lag) ------------------------------------
# The work is in projections/registry.py; these commands only translate.


def _projection_reader(settings: StoreSettings) -> Any:
    """The ledger's log for the views (personal data left sealed); refuses the in-memory store."""
    from projections.errors import ProjectionError
    from projections.reader import LedgerReader

    if settings.kind == "memory":
        raise ProjectionError(
            "memory:// keeps no log between commands: set IMMUNIZE_DATABASE_URL to a SQLite file or PostgreSQL."
        )
    return LedgerReader(settings.url)


@click.group("projections")
def projections_group() -> None:
    """The views of the ledger: follow the log live, rebuild, print digests and lag."""


@projections_group.command("run")
@_database_option
@click.option("--view", "names", multiple=True, help="Only this view (repeatable); default: every view.")
@click.option(
    "--status-every",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Print each view's lag every this many seconds (0: never).",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0.01, max=60),
    default=0.1,
    show_default=True,
    help="SQLite: how often to look for new events when idle (PostgreSQL is notified).",
)
@click.option(
    "--keyed",
    is_flag=True,
    help="Also the keyed views (phone index, declared IDs) with the web's key (IMMUNIZE_SECRET_KEY or the "
    "key directory's): the web then reads them without catching up (serve --followers runs this).",
)
@click.option(
    "--checkpoints/--no-checkpoints",
    default=True,
    show_default=True,
    help="Sign the transparency checkpoints as events arrive (when there is an audit key); "
    "serve --followers runs two followers and only the first signs.",
)
def projections_run(
    database_url: str | None,
    names: tuple[str, ...],
    status_every: float,
    poll_interval: float,
    keyed: bool,
    checkpoints: bool,
) -> None:
    """Follow the log until interrupted (safe to kill at any moment: each page and its position commit together)."""
    import signal
    import threading

    from projections.registry import run_views, view_classes, view_status
    from projections.store import open_view_store

    settings = _settings(database_url)
    selected = [view.name for view in view_classes(names)]
    reader = _projection_reader(settings)
    store = open_view_store(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    supervisor = run_views(reader, store, selected, poll_interval=poll_interval)
    # The keyed views read phone numbers and declared IDs: they follow the ledger itself (personal data
    # opened with the key directory's master key), keyed with the web's key, in runners of their own.
    keyed_supervisor = (
        run_views(
            _opened_ledger(settings),
            store,
            [view.name for view in view_classes(keyed=True) if view.keyed],
            poll_interval=poll_interval,
            keys=_web_view_keys(settings),
        )
        if keyed
        else None
    )
    checkpointer = (
        start_checkpointer(settings, lambda text: click.echo(text, err=True)) if checkpoints else None
    )
    click.echo(f"following {settings.redacted_url} with {', '.join(selected)}; Ctrl-C to stop", err=True)
    try:
        while not stop.wait(status_every or 1.0):
            if status_every:
                for lag in view_status(reader, store, names=selected):
                    click.echo(
                        f"{lag.name} position {lag.position}/{lag.head} behind {lag.behind} "
                        f"({lag.seconds:.1f} s)"
                    )
    except KeyboardInterrupt:
        pass
    finally:
        if checkpointer is not None:
            checkpointer.stop()
        supervisor.stop()
        if keyed_supervisor is not None:
            keyed_supervisor.stop()
        store.close()
        reader.close()
    for name, error in [*supervisor.errors, *(keyed_supervisor.errors if keyed_supervisor else [])]:
        click.echo(f"{name} was restarted after: {error}", err=True)


def _opened_ledger(settings: StoreSettings) -> Any:
    import os

    from ledger.application import Ledger
    from web.config import key_dir

    return Ledger(settings.url, key_dir=key_dir(os.environ))


def _web_view_keys(settings: StoreSettings) -> Any:
    """The keyed views' keys exactly as the web derives them (web.create_app: the session secret)."""
    import os

    from services.read_side import phone_view_keys
    from web.accounts import Accounts
    from web.config import key_dir, load_or_create_secret
    from web.store import SqlStore

    secret = os.environ.get("IMMUNIZE_SECRET_KEY") or load_or_create_secret(key_dir(os.environ))
    accounts = Accounts(SqlStore(settings), secret)
    return phone_view_keys(lambda phone: accounts.key_for("phone", phone))


def _positions_to_progress(advance: Callable[[int], None]) -> Callable[[str, int, int, int], None]:
    """A rebuild progress callback moving a bar by positions (ids may have holes: the bar still ends full)."""
    seen = [0]

    def report(_view: str, position: int, _read: int, _head: int) -> None:
        advance(position - seen[0])
        seen[0] = position

    return report


@projections_group.command("rebuild")
@_database_option
@click.argument("names", nargs=-1)
def projections_rebuild(database_url: str | None, names: tuple[str, ...]) -> None:
    """Drop the named views (default: all) and replay the whole log into them; print their digests."""
    from projections.registry import rebuild, view_classes
    from projections.store import open_view_store

    settings = _settings(database_url)
    selected = [view.name for view in view_classes(names)]
    reader = _projection_reader(settings)
    store = open_view_store(settings)
    try:
        head = reader.recorder.max_notification_id() or 0
        with progress_bar(f"rebuilding {', '.join(selected)}", head) as advance:
            digests = rebuild(reader, store, selected, progress=_positions_to_progress(advance))
        for name, value in digests.items():
            click.echo(f"{name} {value}")
    finally:
        store.close()
        reader.close()


@projections_group.command("digest")
@_database_option
@click.argument("names", nargs=-1)
def projections_digest(database_url: str | None, names: tuple[str, ...]) -> None:
    """Print one line per view: its name and the SHA-256 of its contents (equal for a rebuild)."""
    from projections.registry import digests
    from projections.store import open_view_store

    store = open_view_store(_settings(database_url))
    try:
        for name, value in digests(store, names).items():
            click.echo(f"{name} {value}")
    finally:
        store.close()


@projections_group.command("status")
@_database_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def projections_status(database_url: str | None, as_json: bool) -> None:
    """Each view's position, the head of the log, and how far behind it is (positions and seconds)."""
    from projections.registry import view_status
    from projections.store import open_view_store

    settings = _settings(database_url)
    reader = _projection_reader(settings)
    store = open_view_store(settings)
    try:
        lags = view_status(reader, store)
    finally:
        store.close()
        reader.close()
    if as_json:
        click.echo(json.dumps([lag.__dict__ for lag in lags], indent=2))
        return
    for lag in lags:
        click.echo(f"{lag.name} position {lag.position}/{lag.head} behind {lag.behind} ({lag.seconds:.1f} s)")


COMMANDS: list[click.Command] = [backup_command, restore_command, projections_group]
