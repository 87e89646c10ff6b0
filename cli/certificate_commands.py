"""`immunize certificate issue|revoke|withdrawn`: signed EU DCC vaccination certificates from the ledger.

The ledger is IMMUNIZE_DATABASE_URL; the signing key is the key store's current document signer
(IMMUNIZE_KEY_DIR, IMMUNIZE_KEY_PASSPHRASE). Errors are one line (cli.main turns them into "Error: ...").
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import uuid
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, as_completed, wait
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.ledger_context import open_ledger, revoked_ucis_caught_up
from credentials import IssuedCertificate, VaccinationRecord
from credentials.errors import CredentialError, RenderingError
from credentials.qr import DEFAULT_SCALE, png_bytes, qr_matrix, svg_text, write_picture
from credentials.series import rules_fingerprint
from keys.settings import key_dir_from_environment
from keys.signer import DocumentSigner
from keys.signing import signer_from_environment
from ledger.application import Ledger
from ledger.errors import LedgerError
from ledger.values import Actor, Role
from services import certificate_files, certificates
from services.certificate_files import Entry
from services.certificate_render import DocumentCertificates, catch_up_index, render_pending
from services.certificate_render import follow as follow_log

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
        certificates.mark_issued(ledger, result)
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


def _start_pool_worker(now: datetime, opening: Any) -> None:
    """A worker process of `reissue --all --workers N`: it only re-issues batches until it ends. The workers
    open their ledgers one at a time (`opening`, a lock): opening runs the schema's IF NOT EXISTS statements,
    and two at once on PostgreSQL failed with "tuple concurrently updated"."""
    with opening:
        _start_worker(now)
    certificates.prepare_batch_process()


def _reissue_batch(
    entries: list[Entry], now: datetime, validity_days: int, rules: str, formats: tuple[str, ...]
) -> Counter[str]:
    ledger = _worker["ledger"]
    signer = _worker["signer"]
    assert isinstance(ledger, Ledger)
    assert isinstance(signer, DocumentSigner)
    try:
        return certificates.reissue_batch(
            ledger,
            entries,
            signer,
            now=now,
            validity=timedelta(days=validity_days),
            rules=rules,
            formats=formats,
        )
    except (LedgerError, CredentialError):  # a batch the store refused: counted, and retried by the next run
        return Counter(failed=len(entries))


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
@click.option(
    "--batch",
    "batch_size",
    type=click.IntRange(1, 5000),
    default=REISSUE_BATCH,
    show_default=True,
    help="Certificates per batch (one ledger transaction; the unit handed to a worker).",
)
@click.option(
    "--all-formats",
    is_flag=True,
    help="Also draw each new SVG and PDF now (about 30x slower). By default only the HC1 and the PNG (the QR "
    "a phone shows) are stored at once; the renderer (`immunize certificate render`) draws the rest in the "
    "background, or a first download does, once.",
)
def reissue_command(
    everyone: bool, workers: int, validity_days: int, batch_size: int, all_formats: bool
) -> None:
    """Re-issue and re-render every current certificate signed with an old key, near expiry, corrected since,
    or numbered or coloured differently by today's rules (after a key rotation or a rule change).
    Resumable: a second run skips what is already done."""
    now = datetime.now(UTC)
    rules = rules_fingerprint()
    formats = certificates.STORED_FORMATS if all_formats else ("hc1", "png")
    totals: Counter[str] = Counter()
    columns = (TextColumn("Re-issuing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with open_ledger() as ledger:
        if ledger.store.kind == "memory":
            raise RenderingError("Re-issuing needs a stored ledger: set IMMUNIZE_DATABASE_URL.")
        catch_up_index(ledger)  # certificates issued before the index existed, or while no renderer ran
        total = certificate_files.count_current(ledger)
        pages = certificate_files.current_entries(ledger, page=batch_size)  # streamed, never all ids
        with Progress(*columns, console=Console(stderr=True)) as progress:
            task = progress.add_task("reissue", total=total)
            if workers == 1:
                _start_worker(now)
                with certificates.batch_process():
                    for batch in pages:
                        totals.update(_reissue_batch(batch, now, validity_days, rules, formats))
                        progress.advance(task, len(batch))
            else:
                # Spawned, not forked: a forked worker inherited this process's open connections (the
                # pools are per process and per URL), and on PostgreSQL two processes then spoke on one
                # session ("prepared statement _pg3_1 already exists"; SQLite forbids it outright).
                spawn = multiprocessing.get_context("spawn")
                with ProcessPoolExecutor(
                    workers, mp_context=spawn, initializer=_start_pool_worker, initargs=(now, spawn.Lock())
                ) as pool:
                    running: dict[Future[Counter[str]], int] = {}
                    for batch in pages:
                        running[pool.submit(_reissue_batch, batch, now, validity_days, rules, formats)] = len(
                            batch
                        )
                        if len(running) >= 2 * workers:  # a bounded window: memory stays flat at any size
                            done, _ = wait(running, return_when=FIRST_COMPLETED)
                            for future in done:
                                totals.update(future.result())
                                progress.advance(task, running.pop(future))
                    for future in as_completed(running):
                        totals.update(future.result())
                        progress.advance(task, running[future])
    click.echo(
        f"Re-issued {totals['reissued']}, re-rendered {totals['rendered']}, checked under new rules "
        f"{totals['checked']}, already current {totals['skipped']}, revoked (not re-issued) {totals['revoked']}, "
        f"without a certificate {totals['none']}, "
        f"failed {totals['failed']} (of {sum(totals.values())} certificates)."
    )


def _render(hc1: str, signed: IssuedCertificate, record: VaccinationRecord) -> dict[str, bytes]:
    return certificates.render_files(hc1, signed, record)


def start_renderer_thread(ledger: Ledger, key_dir: Path) -> threading.Event:
    """The renderer in a background thread of this process (`immunize run`, a single `immunize serve`
    without --followers): certificate files drawn off the request, corrections reaching the index.
    Set the returned event to stop it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                follow_log(ledger, key_dir, _render, stop=stop)
            except Exception as exc:  # a database hiccup: log one line, start again (as the projections do)
                click.echo(f"certificate renderer restarted after: {type(exc).__name__}: {exc}", err=True)
                stop.wait(2.0)

    threading.Thread(target=loop, name="certificate-renderer", daemon=True).start()
    return stop


@certificate.command("render")
@click.option("--follow", is_flag=True, help="Keep following the ledger until stopped (Ctrl-C or SIGTERM).")
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0.05, max=60),
    default=0.5,
    show_default=True,
    help="How often to look for new certificates when idle.",
)
def render_command(follow: bool, poll_interval: float) -> None:
    """Render once the files (HC1, PNG, SVG, PDF) of every current certificate not stored yet; with --follow
    keep doing it as certificates are issued (safe to kill at any moment: each certificate's files and
    its mark are stored together, so a killed job is rendered again)."""
    import signal

    key_dir = key_dir_from_environment()
    totals: Counter[str] = Counter()
    with open_ledger() as ledger:
        if not follow:
            catch_up_index(ledger)
            documents = DocumentCertificates(key_dir)
            while True:
                rendered, failed = render_pending(ledger, documents, _render, limit=200)
                totals.update(rendered=rendered, failed=failed)
                if rendered == 0:
                    break
            click.echo(f"Rendered {totals['rendered']}, failed {totals['failed']}.")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        click.echo("Rendering certificates as they are issued; Ctrl-C to stop.", err=True)

        def report(applied: int, rendered: int, failed: int) -> None:
            totals.update(rendered=rendered, failed=failed)

        with contextlib.suppress(KeyboardInterrupt):
            follow_log(ledger, key_dir, _render, stop=stop, poll=poll_interval, on_pass=report)
    click.echo(f"Rendered {totals['rendered']}, failed {totals['failed']}.", err=True)


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
