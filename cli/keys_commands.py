"""`immunize keys ...`: create, rotate, revoke, list and export signing keys; publish trust and revocation lists."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from cli.errors import ReportingGroup
from keys.certificates import DEFAULT_DSC_GRACE, DEFAULT_DSC_SIGNING_PERIOD, KID_LENGTH
from keys.development import ensure_development_keys
from keys.publish import (
    export_certificates,
    issue_revocation_list,
    issue_trust_list,
    read_revoked_ucis,
    write_file,
)
from keys.settings import key_dir_from_environment, passphrase_from_environment
from keys.store import REVOCATION_REASONS, REVOKED, DocumentRecord, KeyStore

F = TypeVar("F", bound=Callable[..., Any])

ALGORITHM_CHOICE = click.Choice(["ES256", "PS256"], case_sensitive=False)


def _parse_now(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime:
    """The clock at the edge: now in UTC, or the ISO 8601 time given with the hidden --now (tests, replays)."""
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("give an ISO 8601 time such as 2026-11-22T08:00:00+00:00") from exc
    if moment.tzinfo is None:
        raise click.BadParameter("give the time with its UTC offset, such as 2026-11-22T08:00:00+00:00")
    return moment


def key_options(command: F) -> F:
    """Add --key-dir (default IMMUNIZE_KEY_DIR, else ./var/keys) and the hidden --now to a command."""
    command = click.option(
        "--now",
        "now",
        hidden=True,
        callback=_parse_now,
        help="Act as if it were this ISO 8601 time (for tests).",
    )(command)
    command = click.option(
        "--key-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Key directory (default: $IMMUNIZE_KEY_DIR, else ./var/keys).",
    )(command)

    @functools.wraps(command)
    def with_key_dir(*args: Any, key_dir: Path | None, **kwargs: Any) -> Any:
        return command(
            *args, key_dir=key_dir if key_dir is not None else key_dir_from_environment(), **kwargs
        )

    return with_key_dir  # type: ignore[return-value]


def _passphrase(store: KeyStore) -> bytes:
    """IMMUNIZE_KEY_PASSPHRASE; for a development key store, the well-known development one when unset."""
    development = store.exists() and store.manifest().development
    return passphrase_from_environment(development=development)


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _describe(record: DocumentRecord) -> str:
    status = f"{record.status} ({record.reason})" if record.status == REVOKED else record.status
    marker = "current " if record.current else ""
    return (
        f"{record.kid.hex()}  {record.algorithm.value}  valid {_day(record.not_before)} .. {_day(record.not_after)}  "
        f"signs until {_day(record.signing_until)}  {marker}{status}"
    )


def _days(value: int) -> timedelta:
    return timedelta(days=value)


@click.group(cls=ReportingGroup)
def keys() -> None:
    """Signing keys: CSCA, document signing certificates, trust list and revocation list."""


@keys.command("init")
@key_options
@click.option("--algorithm", type=ALGORITHM_CHOICE, default="ES256", show_default=True)
@click.option("--csca-years", type=click.IntRange(1, 30), default=10, show_default=True)
@click.option(
    "--signing-days", type=click.IntRange(1, 3650), default=DEFAULT_DSC_SIGNING_PERIOD.days, show_default=True
)
@click.option("--grace-days", type=click.IntRange(0, 3650), default=DEFAULT_DSC_GRACE.days, show_default=True)
@click.option("--development", is_flag=True, help="Development keys (the well-known passphrase when unset).")
def init_command(
    key_dir: Path,
    now: datetime,
    algorithm: str,
    csca_years: int,
    signing_days: int,
    grace_days: int,
    development: bool,
) -> None:
    """Create the country signing CA and a first document signing certificate (passphrase from the environment)."""
    store = KeyStore(key_dir)
    if development:
        ensure_development_keys(key_dir, now, warn=lambda line: click.echo(line, err=True))
        record = next(item for item in store.documents() if item.current)
    else:
        record = store.init(
            passphrase_from_environment(),
            now,
            algorithm.upper(),
            csca_validity=timedelta(days=365 * csca_years + csca_years // 4),
            signing_period=_days(signing_days),
            grace=_days(grace_days),
        )
    csca = store.manifest().csca
    click.echo(
        f"Key store {store.path}: CSCA {csca.kid.hex()} ({csca.algorithm.value}, valid to {_day(csca.not_after)})"
    )
    click.echo(f"Current signing key: {_describe(record)}")


@keys.command("rotate")
@key_options
@click.option(
    "--algorithm", type=ALGORITHM_CHOICE, default=None, help="Default: the algorithm of the current key."
)
@click.option(
    "--signing-days", type=click.IntRange(1, 3650), default=DEFAULT_DSC_SIGNING_PERIOD.days, show_default=True
)
@click.option("--grace-days", type=click.IntRange(0, 3650), default=DEFAULT_DSC_GRACE.days, show_default=True)
def rotate_command(
    key_dir: Path, now: datetime, algorithm: str | None, signing_days: int, grace_days: int
) -> None:
    """Issue a new document signing certificate and sign with it; the old one keeps verifying until it expires."""
    store = KeyStore(key_dir)
    record = store.rotate(
        _passphrase(store),
        now,
        algorithm.upper() if algorithm else None,
        signing_period=_days(signing_days),
        grace=_days(grace_days),
    )
    click.echo(f"New current signing key: {_describe(record)}")
    click.echo("Publish a new trust list: immunize keys trust-list --out FILE")


NEW_PASSPHRASE_ENV = "IMMUNIZE_NEW_KEY_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret


@keys.command("migrate")
@key_options
@click.option(
    "--new-passphrase",
    is_flag=True,
    help=f"Also move the keys to a new passphrase (from {NEW_PASSPHRASE_ENV}, or a prompt).",
)
def migrate_command(key_dir: Path, now: datetime, new_passphrase: bool) -> None:
    """Rewrite every private key with PBKDF2-SHA256 (600,000 rounds) and AES-256-GCM; old files are removed."""
    store = KeyStore(key_dir)
    target = None
    if new_passphrase:
        target = os.environ.get(NEW_PASSPHRASE_ENV) or click.prompt(
            "New key passphrase (at least 12 characters)", hide_input=True, confirmation_prompt=True, err=True
        )
    secret = _passphrase(store)
    rewritten = store.migrate(secret, target)
    from projections.audit.auditkey import PRIVATE_FILE, migrate_audit_key

    if migrate_audit_key(key_dir, secret, target.encode("utf-8") if target is not None else None):
        rewritten.append(f"audit/{PRIVATE_FILE}")
    if not rewritten:
        click.echo(f"Every key in {store.path} is already protected with the current settings.")
        return
    click.echo(f"{len(rewritten)} key files rewritten in {store.path}: {', '.join(rewritten)}")
    if target is not None:
        click.echo("Set IMMUNIZE_KEY_PASSPHRASE to the new passphrase everywhere the keys are used.")


@keys.command("revoke")
@key_options
@click.argument("kid")
@click.option("--reason", type=click.Choice(REVOCATION_REASONS, case_sensitive=False), required=True)
def revoke_command(key_dir: Path, now: datetime, kid: str, reason: str) -> None:
    """Revoke the signing key KID (hex): it leaves the trust list and can no longer sign."""
    try:
        kid_bytes = bytes.fromhex(kid.strip())
    except ValueError:
        kid_bytes = b""
    if len(kid_bytes) != KID_LENGTH:
        raise click.BadParameter(
            f"a kid is {2 * KID_LENGTH} hexadecimal digits, as `immunize keys list` shows", param_hint="KID"
        )
    store = KeyStore(key_dir)
    was_current = store.manifest().current == kid_bytes
    record = store.revoke(kid_bytes, reason, now)
    click.echo(f"Revoked: {_describe(record)}")
    if was_current:
        click.echo("It was the current signing key: run `immunize keys rotate` before issuing certificates.")
    click.echo("Publish a new trust list: immunize keys trust-list --out FILE")


@keys.command("list")
@key_options
@click.option("--json", "as_json", is_flag=True, help="Print the key store manifest as JSON.")
def list_command(key_dir: Path, now: datetime, as_json: bool) -> None:
    """Show the CSCA and every document signing certificate with its validity and status."""
    manifest = KeyStore(key_dir).manifest()
    if as_json:
        click.echo(json.dumps(manifest.to_json(), indent=2, sort_keys=True))
        return
    if manifest.development:
        click.echo("DEVELOPMENT KEYS: not for production")
    csca = manifest.csca
    click.echo(
        f"CSCA {csca.kid.hex()}  {csca.algorithm.value}  valid {_day(csca.not_before)} .. {_day(csca.not_after)}"
    )
    for record in manifest.documents:
        trusted = "trusted" if record.trusted_at(now) else "not in trust list"
        click.echo(f"DSC  {_describe(record)}  [{trusted}]")


@keys.command("export")
@key_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
def export_command(key_dir: Path, now: datetime, out_dir: Path) -> None:
    """Write the CSCA and each valid document signing certificate as DER and PEM (certificates only, no keys)."""
    written = export_certificates(key_dir, out_dir, now)
    click.echo(f"Wrote {len(written)} files to {out_dir}")


@keys.command("trust-list")
@key_options
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--next-update-days", type=click.IntRange(1, 366), default=7, show_default=True)
def trust_list_command(key_dir: Path, now: datetime, out_file: Path, next_update_days: int) -> None:
    """Write a new signed trust list (COSE_Sign1) of every document signing certificate verifiers should trust."""
    store = KeyStore(key_dir)
    data = issue_trust_list(key_dir, _passphrase(store), now, _days(next_update_days))
    write_file(out_file, data)
    sequence = store.manifest().sequences["trust-list"]
    click.echo(f"Wrote trust list {sequence} ({len(data)} bytes) to {out_file}")


def revoked_ucis_from_ledger() -> list[str]:
    """The revoked UCIs of the ledger on IMMUNIZE_DATABASE_URL, from its `certificate_index` view (caught up)."""
    from cli.ledger_context import revoked_ucis_caught_up

    return revoked_ucis_caught_up()


@keys.command("revocation-list")
@key_options
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--revoked-ucis",
    "ucis_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Text file with one revoked UCI a line (default: the ledger's certificate index).",
)
@click.option("--next-update-days", type=click.IntRange(1, 366), default=7, show_default=True)
def revocation_list_command(
    key_dir: Path, now: datetime, out_file: Path, ucis_file: Path | None, next_update_days: int
) -> None:
    """Write a new signed revocation list (COSE_Sign1) of the hashes of revoked certificates' UCIs."""
    ucis = read_revoked_ucis(ucis_file) if ucis_file is not None else revoked_ucis_from_ledger()
    store = KeyStore(key_dir)
    data = issue_revocation_list(key_dir, _passphrase(store), ucis, now, _days(next_update_days))
    write_file(out_file, data)
    sequence = store.manifest().sequences["revocation-list"]
    click.echo(
        f"Wrote revocation list {sequence} with {len(set(ucis))} UCIs ({len(data)} bytes) to {out_file}"
    )


COMMANDS: list[click.Command] = [keys]
