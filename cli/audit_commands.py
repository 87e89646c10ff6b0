"""`immunize audit ...`: checkpoints, verification, proofs, exports for auditors (the work is in projections.audit)."""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click

from keys.settings import key_dir_from_environment, passphrase_from_environment
from keys.store import KeyStore
from ledger.settings import StoreSettings, parse_database_url, store_settings
from projections.audit import (
    AuditError,
    AuditKey,
    AuditPublicKey,
    Database,
    TamperingDetected,
    Verification,
    atomic_output,
    audit_status,
    consistency_proof,
    head,
    inclusion_proof,
    ledger_identity,
    load_export,
    local_public_key,
    make_checkpoints,
    progress_bar,
    rebuild_all,
    record_verification,
    trusted_keys,
    verifier_key,
    verify,
    write_export,
)
from projections.audit.note import NoteVerifier, origin_of, parse_note
from projections.audit.proofs import check_proof
from projections.audit.rebuild import sealed_app_factory
from projections.audit.tree import open_checkpoint


def _settings(value: str | None) -> StoreSettings:
    return parse_database_url(value) if value else store_settings()


def _pinned(public_keys: tuple[Path, ...]) -> list[AuditPublicKey]:
    """--public-key files, else this installation's own audit public key (if it has one)."""
    if public_keys:
        return [AuditPublicKey.from_file(path) for path in public_keys]
    local = local_public_key(key_dir_from_environment())
    return [local] if local is not None else []


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _read_file(path: Path, what: str, limit: int = 1024 * 1024) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise AuditError(f"cannot read the {what} {path}: {exc.strerror}") from exc
    if len(data) > limit:
        raise AuditError(f"the {what} {path} is larger than {limit} bytes: it is not a {what}")
    return data


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


@click.group()
def audit() -> None:
    """The transparency log: signed checkpoints, proofs, verification, exports for auditors."""


def load_audit_key(development: bool = False) -> AuditKey:
    """This installation's audit key (created on first use), decrypted with IMMUNIZE_KEY_PASSPHRASE."""
    key_dir = key_dir_from_environment()
    keystore = KeyStore(key_dir)
    development = development or (keystore.exists() and keystore.manifest().development)
    key, created = AuditKey.load_or_create(key_dir, passphrase_from_environment(development=development))
    if created:
        click.echo(f"created the ledger audit key {key.public.key_id} in {key_dir / 'audit'}", err=True)
    return key


@audit.command("checkpoint")
@_database_option
@click.option("--development", is_flag=True, help="Use the well-known development passphrase when unset.")
def audit_checkpoint(database_url: str | None, development: bool) -> None:
    """Sign a checkpoint of the current tree now (and any missed 10,000-event one), store it, print the note."""
    key = load_audit_key(development)
    with Database(_settings(database_url)) as db:
        run = make_checkpoints(db, key, _now(), on_demand=True)
    if run.latest is None:
        raise AuditError("the ledger is empty: there is no tree to checkpoint yet")
    click.echo(f"signed {len(run.signed)} checkpoint(s); latest tree size {run.latest.tree_size}", err=True)
    click.echo(run.latest.checkpoint.note, nl=False)


@audit.command("verify")
@_database_option
@_public_key_option
@click.option(
    "--trusted-checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A signed checkpoint saved earlier: prove that today's log extends it.",
)
def audit_verify(
    database_url: str | None, public_keys: tuple[Path, ...], trusted_checkpoint: Path | None
) -> None:
    """Check every event against its leaf, the tree, every signed checkpoint; exit 2 naming the first break."""
    pinned = _pinned(public_keys)
    with Database(_settings(database_url)) as db:
        trusted = trusted_keys(db, pinned)
        saved = None
        if trusted_checkpoint is not None:
            text = _read_file(trusted_checkpoint, "trusted checkpoint", 64 * 1024)
            if not pinned:
                raise AuditError("a trusted checkpoint needs the audit public key: pass --public-key")
            origin = parse_note(text, f"the trusted checkpoint {trusted_checkpoint}")[0].origin
            saved = open_checkpoint(
                text,
                origin.removeprefix(origin_of("")),
                pinned,
                f"the trusted checkpoint {trusted_checkpoint}",
            )
            current = ledger_identity(db)
            if current is not None and origin != origin_of(current):
                message = (
                    f"the trusted checkpoint is for {origin} but the log now starts as {origin_of(current)}: "
                    "the history was rewritten from its first event"
                )
                record_verification(db, Verification(_now().isoformat(), False, 0, 1, message))
                click.echo(f"TAMPERED: {message}", err=True)
                sys.exit(2)
        try:
            with progress_bar("verifying", head(db).size) as advance:
                report = verify(db, trusted, advance, saved)
        except TamperingDetected as exc:
            record_verification(db, Verification(_now().isoformat(), False, 0, exc.position, str(exc)))
            click.echo(f"TAMPERED: {exc}", err=True)
            sys.exit(2)
        record_verification(
            db, Verification(_now().isoformat(), True, report.events, report.position, report.summary())
        )
    click.echo(f"ledger {report.ledger}: {report.summary()}")


@audit.command("status")
@_database_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (what the auditor page shows).")
def audit_status_command(database_url: str | None, as_json: bool) -> None:
    """The tree head, the checkpoints, the audit key and the last verification."""
    with Database(_settings(database_url)) as db:
        status = audit_status(db)
    if as_json:
        click.echo(json.dumps(status.as_dict(), indent=2))
        return
    click.echo(f"ledger: {status.ledger or '(empty)'}")
    click.echo(
        f"events: {status.events}, tree size: {status.tree_size} (up to position {status.head_position})"
    )
    click.echo(f"checkpoints: {len(status.checkpoints)}; keys: {', '.join(status.keys) or 'none'}")
    last = status.last_verification
    click.echo(
        "last verification: "
        + (f"{last.verified_at} {'OK' if last.ok else 'FAILED'}: {last.message}" if last else "never")
    )


@audit.command("public-key")
@_database_option
@click.option("--note", is_flag=True, help="Print the signed-note verifier key (<name>+<key hash>+<key>).")
def audit_public_key(database_url: str | None, note: bool) -> None:
    """Print this installation's audit public key (PEM), or its signed-note verifier key, for publishing."""
    key_dir = key_dir_from_environment()
    public = local_public_key(key_dir)
    if public is None:
        raise AuditError(
            f"there is no audit key in {key_dir / 'audit'}: run `immunize audit checkpoint` first"
        )
    if note:
        with Database(_settings(database_url)) as db:
            ledger = ledger_identity(db)
        if ledger is None:
            raise AuditError(
                "the ledger is empty: the key name (the log's origin) exists once the first event is written"
            )
        click.echo(verifier_key(origin_of(ledger), public))
        return
    click.echo(f"# key id {public.key_id} (Ed25519)")
    click.echo(public.pem, nl=False)


@audit.command("prove")
@click.argument("position", type=int)
@_database_option
@click.option(
    "--tree-size", type=int, default=None, help="Prove against this signed tree size (default: the latest)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the proof as JSON (the only format).")
def audit_prove(position: int, database_url: str | None, tree_size: int | None, as_json: bool) -> None:
    """The inclusion proof of the event at POSITION against a signed checkpoint."""
    with Database(_settings(database_url)) as db:
        proof = inclusion_proof(db, position, tree_size)
    click.echo(json.dumps(proof, indent=2 if not as_json else None))


@audit.command("consistency")
@click.argument("old_size", type=int)
@click.argument("new_size", type=int)
@_database_option
@click.option("--json", "as_json", is_flag=True, help="Print the proof as JSON (the only format).")
def audit_consistency(old_size: int, new_size: int, database_url: str | None, as_json: bool) -> None:
    """The consistency proof that the tree of NEW_SIZE extends the tree of OLD_SIZE."""
    with Database(_settings(database_url)) as db:
        proof = consistency_proof(db, old_size, new_size)
    click.echo(json.dumps(proof, indent=2 if not as_json else None))


@audit.command("check-proof")
@click.argument("proof_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_public_key_option
@click.option(
    "--verifier-key", default=None, help="The signed-note verifier key instead of a PEM public key."
)
def audit_check_proof(proof_file: Path, public_keys: tuple[Path, ...], verifier_key: str | None) -> None:
    """Check a proof file offline: its checkpoint's signature, then the inclusion proof; exit 2 if it fails."""
    data = _read_file(proof_file, "proof file")
    verifiers = [NoteVerifier.parse(verifier_key)] if verifier_key else None
    keys = _pinned(public_keys)
    if verifiers is None and not keys:
        raise AuditError("no audit public key to check against: pass --public-key or --verifier-key")
    from projections.audit.proofs import ProofFileError

    try:
        checked = check_proof(data, keys, verifiers)
    except ProofFileError as exc:
        click.echo(f"NOT PROVEN: {exc}", err=True)
        sys.exit(2)
    click.echo(
        f"proven: position {checked.position} is leaf {checked.leaf_index} of the log "
        f"{checked.checkpoint.origin} at signed tree size {checked.checkpoint.tree_size}"
    )


@audit.command("export")
@_database_option
@_public_key_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The JSON Lines file to write.",
)
def audit_export(database_url: str | None, public_keys: tuple[Path, ...], out: Path) -> None:
    """Write the history up to the latest checkpoint with leaves, checkpoints and public keys as JSON Lines."""
    with Database(_settings(database_url)) as db:
        trusted = trusted_keys(db, _pinned(public_keys))
        with atomic_output(out) as handle, progress_bar("exporting", head(db).size) as advance:
            summary = write_export(db, handle, trusted, _now(), advance)
    click.echo(
        f"exported {summary.events} events and {summary.checkpoints} checkpoints of ledger "
        f"{summary.ledger} to {out}; root {summary.head_root}"
    )
    if summary.unchained:
        click.echo(
            f"{summary.unchained} newer events are after the latest checkpoint and were left out "
            "(run `immunize audit checkpoint` first)",
            err=True,
        )


@audit.command("replay")
@click.argument("export_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_public_key_option
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the rebuilt store in this (new or empty) directory instead of a temporary one.",
)
def audit_replay(export_file: Path, public_keys: tuple[Path, ...], workdir: Path | None) -> None:
    """Verify an export (leaves, tree, signed checkpoints) and rebuild every projection from it; print digests."""
    pinned = [AuditPublicKey.from_file(path) for path in public_keys]
    with contextlib.ExitStack() as stack:
        if workdir is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="immunize-replay-")))
        else:
            workdir.mkdir(parents=True, exist_ok=True)
            directory = workdir
        with progress_bar("verifying export", None) as advance:
            summary, was_pinned, url = load_export(export_file, directory, pinned, advance)
        click.echo(
            f"export verified: ledger {summary.ledger}, {summary.events} events, "
            f"{summary.checkpoints} signed checkpoints, root {summary.head_root}"
        )
        if not was_pinned:
            click.echo(
                f"checkpoints were checked against the key(s) in the export itself "
                f"({', '.join(summary.key_ids)}): compare with the published key id, or pass --public-key",
                err=True,
            )
        with progress_bar("rebuilding projections", None) as advance:
            digests = rebuild_all(parse_database_url(url), sealed_app_factory, on_progress=advance)
    for name, value in digests.items():
        click.echo(f"{name} {value}")


COMMANDS: list[click.Command] = [audit]
