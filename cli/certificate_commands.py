"""`immunize certificate issue|revoke|withdrawn`: signed EU DCC vaccination certificates from the ledger.

The ledger is IMMUNIZE_DATABASE_URL; the signing key is the key store's current document signer
(IMMUNIZE_KEY_DIR, IMMUNIZE_KEY_PASSPHRASE). Errors are one line (cli.main turns them into "Error: ...").
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from cli.ledger_context import open_ledger, revoked_ucis_caught_up
from credentials.errors import RenderingError
from credentials.qr import DEFAULT_SCALE, png_bytes, qr_matrix, svg_text, write_picture
from keys.signing import signer_from_environment
from ledger.values import Actor, Role
from services import certificates


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
