"""`immunize certificate issue|revoke|withdrawn`: signed EU DCC vaccination certificates from the ledger.

The ledger is IMMUNIZE_DATABASE_URL; the signing key is the key store's current document signer
(IMMUNIZE_KEY_DIR, IMMUNIZE_KEY_PASSPHRASE). Errors are one line (cli.main turns them into "Error: ...").
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.ledger_context import open_ledger, revoked_ucis_caught_up
from credentials.errors import RenderingError
from credentials.qr import DEFAULT_SCALE, png_bytes, qr_matrix, svg_text, write_picture
from keys.signer import DocumentSigner
from keys.signing import signer_from_environment
from ledger.application import Ledger
from ledger.errors import LedgerError
from ledger.values import Actor, Role
from services import certificates

REISSUE_BATCH = 200  # people per task handed to a worker


def _check_writable(path: Path | None) -> None:
    """Refuse an output file before anything is issued, so a bad path leaves no certificate behind."""
    if path is None:
        return
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise RenderingError(f"Cannot write {path}: the folder {folder} does not exist or is not writable.")
    if path.is_dir():
        raise RenderingError(f"Cannot write {path}: it is a folder; give a file name.")


@click.group("certificate")
def certificate() -> None:
    """Signed EU DCC vaccination certificates (HC1 QR codes) for people in the ledger."""


@certificate.command("issue")
@click.argument("national_id")
@click.option("--hc1", "show_hc1", is_flag=True, help="Print the HC1 string.")
@click.option("--png", "png_file", type=click.Path(path_type=Path), help="Write the QR code as PNG.")
@click.option("--svg", "svg_file", type=click.Path(path_type=Path), help="Write the QR code as SVG.")
@click.option(
    "--pdf", "pdf_file", type=click.Path(path_type=Path), help="Write the printable certificate (PDF)."
)
@click.option(
    "--scale", type=click.IntRange(1, 64), default=4, show_default=True, help="Pixels per QR module."
)
@click.option(
    "--validity-days",
    type=click.IntRange(1, 3650),
    default=365,
    show_default=True,
    help="Days the certificate is valid.",
)
def issue_command(
    national_id: str,
    show_hc1: bool,
    png_file: Path | None,
    svg_file: Path | None,
    pdf_file: Path | None,
    scale: int,
    validity_days: int,
) -> None:
    """Issue a new certificate for the latest dose of the person with NATIONAL_ID (supersedes the current one)."""
    for path in (png_file, svg_file, pdf_file):
        _check_writable(path)
    now = datetime.now(UTC)
    signer = signer_from_environment(now)
    with open_ledger() as ledger:
        result = certificates.issue_new(
            ledger,
            national_id,
            signer,
            now=now,
            validity=timedelta(days=validity_days),
            idempotency_key=f"cli-{uuid.uuid4().hex}",
        )
        # Rendered once, after the issuing transaction committed: downloads read these files.
        files = certificates.keep_files(ledger, result)
    matrix = qr_matrix(result.hc1)
    if png_file is not None:
        write_picture(png_file, files["png"] if scale == DEFAULT_SCALE else png_bytes(matrix, scale))
    if svg_file is not None:
        write_picture(svg_file, files["svg"] if scale == DEFAULT_SCALE else svg_text(matrix, scale).encode())
    if pdf_file is not None:
        write_picture(pdf_file, files["pdf"])
    if show_hc1:
        click.echo(result.hc1)
    else:
        replaced = f"; supersedes {result.superseded_uci}" if result.superseded_uci else ""
        click.echo(
            f"Issued {result.uci}: {result.status.value} ({result.status.label_en}), dose "
            f"{result.dose_number}/{result.series_doses}, valid until {result.expires_at:%Y-%m-%d}{replaced}"
        )


_worker: dict[str, object] = {}


def _start_worker(now: datetime) -> None:
    """Each worker process opens its own ledger (its own pool) and loads the signer once."""
    _worker["ledger"] = Ledger()
    _worker["signer"] = signer_from_environment(now)


def _reissue_batch(ids: list[str], now: datetime, validity_days: int) -> Counter[str]:
    ledger = _worker["ledger"]
    signer = _worker["signer"]
    assert isinstance(ledger, Ledger)
    assert isinstance(signer, DocumentSigner)
    counts: Counter[str] = Counter()
    for hex_id in ids:
        try:
            outcome = certificates.reissue(
                ledger, UUID(hex=hex_id), signer, now=now, validity=timedelta(days=validity_days)
            )
        except LedgerError:  # one person's bad record must not stop a national run; counted, retried next run
            outcome = "failed"
        counts[outcome] += 1
    return counts


@certificate.command("reissue")
@click.option("--all", "everyone", is_flag=True, required=True, help="Every current certificate.")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Parallel processes."
)
@click.option(
    "--validity-days",
    type=click.IntRange(1, 3650),
    default=365,
    show_default=True,
    help="Days the new certificates are valid.",
)
def reissue_command(everyone: bool, workers: int, validity_days: int) -> None:
    """Re-issue and re-render every current certificate not signed with the current key (after a key rotation
    or a rule change). Resumable: a second run skips what is already done."""
    now = datetime.now(UTC)
    with open_ledger() as ledger:
        if ledger.store.kind == "memory":
            raise RenderingError("Re-issuing needs a stored ledger: set IMMUNIZE_DATABASE_URL.")
        ids = [person_id.hex for person_id in certificates.registered_people(ledger)]
    batches = [ids[i : i + REISSUE_BATCH] for i in range(0, len(ids), REISSUE_BATCH)]
    totals: Counter[str] = Counter()
    columns = (TextColumn("Re-issuing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task("reissue", total=len(ids))
        if workers == 1:
            _start_worker(now)
            for batch in batches:
                totals.update(_reissue_batch(batch, now, validity_days))
                progress.advance(task, len(batch))
        else:
            with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(now,)) as pool:
                futures = {
                    pool.submit(_reissue_batch, batch, now, validity_days): len(batch) for batch in batches
                }
                for future in as_completed(futures):
                    totals.update(future.result())
                    progress.advance(task, futures[future])
    click.echo(
        f"Re-issued {totals['reissued']}, re-rendered {totals['rendered']}, already current {totals['skipped']}, "
        f"without a certificate {totals['none']}, failed {totals['failed']} (of {len(ids)} people)."
    )


@certificate.command("revoke")
@click.argument("national_id")
@click.option("--reason", required=True, help="Why the certificate is withdrawn (kept in the ledger).")
@click.option("--actor", "actor_id", default="cli-admin", show_default=True, help="Who is revoking.")
def revoke_command(national_id: str, reason: str, actor_id: str) -> None:
    """Revoke the current certificate of the person with NATIONAL_ID (its UCI goes on the revocation list)."""
    with open_ledger() as ledger:
        uci = certificates.revoke(
            ledger,
            national_id,
            reason=reason,
            actor=Actor(actor_id, Role.ADMIN),
            idempotency_key=f"cli-{uuid.uuid4().hex}",
        )
    click.echo(f"Revoked {uci}")


@certificate.command("withdrawn")
def withdrawn_command() -> None:
    """Print every revoked UCI, one a line (the revocation list's input), from the certificate index view."""
    for uci in revoked_ucis_caught_up():
        click.echo(uci)


COMMANDS: list[click.Command] = [certificate]
