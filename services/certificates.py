"""The citizen's certificate: the current one (issued only when none covers the latest record), and
its pictures (PNG, SVG) and printable PDF. The ledger decides reuse (`certificate_for_download`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from credentials import qr
from credentials.pdf import certificate_pdf
from credentials.qr import png_bytes, qr_matrix, svg_text
from keys.signer import DocumentSigner
from keys.signing import load_current_signer
from ledger.application import Ledger
from ledger.certificates import (
    IssueResult,
    certificate_for_download,
    current_certificate,
    issue_certificate,
    reusable_certificate,
    revoke_current_certificate,
)
from ledger.domainmodel import Person
from ledger.errors import PersonErasedError
from ledger.values import Actor
from services import certificate_files
from services.backend import Backend
from services.errors import CertificateNotIssued, CertificateUncheckable, NoDoseYet, UnknownFormat
from services.trust import Download, passphrase, trust
from verifier import VerificationError, verify

FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
STORED_FORMATS = ("hc1", "png", "svg", "pdf")  # rendered once at issue time, read on download


@dataclass(frozen=True)
class CertificateDose:
    dose_number: int
    date: str
    vaccine: str


@dataclass(frozen=True)
class CurrentCertificate:
    """What the certificate page shows (the HC1 is the QR's text)."""

    hc1: str
    uci: str
    status: str  # green or yellow
    dose: str  # "2/2"
    dose_number: int
    series_doses: int
    issued_at: str
    expires_at: str
    full_name: str
    date_of_birth: str
    doses: tuple[CertificateDose, ...]

    def as_json(self) -> dict[str, object]:
        data = {k: v for k, v in self.__dict__.items() if k != "doses"}
        data["doses"] = [d.__dict__ for d in self.doses]
        return data


def _issue(backend: Backend, person_id: UUID, now: datetime, *, issue: bool = False) -> IssueResult:
    """The current certificate; with issue=True a new one when none is current (only on a POST)."""
    person = backend.ledger.get_person(person_id)
    if person.erased or person.full_name.erased:
        raise PersonErasedError("This record was erased.")
    if not person.active_doses:
        raise NoDoseYet("No dose yet, so no certificate.")
    signer = load_current_signer(backend.key_dir, passphrase(backend), now)
    if issue:
        return certificate_for_download(backend.ledger, person_id, signer, now=now)
    found = reusable_certificate(backend.ledger, person_id, signer, now=now)
    if found is None:
        raise CertificateNotIssued("There is no current certificate: ask for one first.")
    return found


def current(backend: Backend, person_id: UUID, *, now: datetime, issue: bool = False) -> CurrentCertificate:
    """The person's current certificate; `issue=True` (a POST) issues one when none is current,
    superseding the old; otherwise CertificateNotIssued."""
    issued = _issue(backend, person_id, now, issue=issue)
    if issue:  # the issuing transaction has committed: render its files once, for every download after
        keep_files(backend.ledger, issued, check=lambda hc1: _check(backend, hc1, now))
    vaccines = backend.reference.vaccines
    record = backend.ledger.person_record(
        person_id
    )  # issuing changes Certificate aggregates, never the person
    return CurrentCertificate(
        hc1=issued.hc1,
        uci=issued.uci,
        status=str(issued.status),
        dose=f"{issued.dose_number}/{issued.series_doses}",
        dose_number=issued.dose_number,
        series_doses=issued.series_doses,
        issued_at=issued.issued_at.isoformat(),
        expires_at=issued.expires_at.isoformat(),
        full_name=record.full_name,
        date_of_birth=record.date_of_birth,
        doses=tuple(
            CertificateDose(
                dose_number=d.dose_number,
                date=d.administered_on.isoformat(),
                vaccine=vaccines[d.product].name if d.product in vaccines else d.product,
            )
            for d in record.doses
        ),
    )


def certificate_file(backend: Backend, person_id: UUID, fmt: str, *, now: datetime) -> Download:
    """The certificate as PNG, SVG or PDF: a read of the files stored when it was issued (no signing,
    no drawing). A certificate issued before files were stored is rendered once, here, and kept."""
    if fmt not in FORMATS:
        raise UnknownFormat("Certificates come as .png, .svg or .pdf.", fmt=fmt[:10])
    issued = _issue(backend, person_id, now)  # erased, revoked, superseded or old-key: refused here
    found = certificate_files.load(backend.ledger, issued.uci, fmt)
    if found is None:
        files = keep_files(backend.ledger, issued, check=lambda hc1: _check(backend, hc1, now))
        return Download(files[fmt], f"certificate.{fmt}", FORMATS[fmt])
    return Download(found.data, f"certificate.{fmt}", FORMATS[fmt])


def render_files(issued: IssueResult, check: Callable[[str], None] | None = None) -> dict[str, bytes]:
    """HC1, PNG, SVG and PDF of a certificate (the QR matrix is computed once for both pictures).
    `check` reads the HC1 back before the PDF is printed (what is printed is checked)."""
    matrix = qr_matrix(issued.hc1)
    if check is not None:
        check(issued.hc1)
    return {
        "hc1": issued.hc1.encode("ascii"),
        "png": png_bytes(matrix, qr.DEFAULT_SCALE),
        "svg": svg_text(matrix, qr.DEFAULT_SCALE).encode("utf-8"),
        "pdf": certificate_pdf(issued.signed, issued.record),
    }


def keep_files(
    ledger: Ledger, issued: IssueResult, check: Callable[[str], None] | None = None
) -> dict[str, bytes]:
    """Render a certificate's files once and store them (content-addressed, sealed with the person's key);
    a certificate whose files are already stored is not rendered again."""
    if certificate_files.complete(ledger, issued.uci, STORED_FORMATS):
        stored = {fmt: certificate_files.load(ledger, issued.uci, fmt) for fmt in STORED_FORMATS}
        if all(found is not None for found in stored.values()):
            return {fmt: found.data for fmt, found in stored.items() if found is not None}
    files = render_files(issued, check)
    certificate_files.store(ledger, issued.person_id, issued.uci, files)
    return files


def _check(backend: Backend, hc1: str, now: datetime) -> None:
    try:
        verify(hc1, trust(backend, now), now=now)
    except VerificationError as exc:
        raise CertificateUncheckable(f"The certificate could not be checked before printing: {exc}") from exc


def issue_new(
    ledger: Ledger,
    person: UUID | str,
    signer: DocumentSigner,
    *,
    now: datetime,
    validity: timedelta,
    idempotency_key: str,
) -> IssueResult:
    """A new certificate for the latest dose even when the current one still holds (an administrator's
    re-issue; it supersedes the current one). `person` is a person id or a national ID number."""
    return issue_certificate(
        ledger, person, signer, now=now, validity=validity, idempotency_key=idempotency_key
    )


def revoke(ledger: Ledger, person: UUID | str, *, reason: str, actor: Actor, idempotency_key: str) -> str:
    """Revoke the person's current certificate (issued with wrong data or by mistake); returns its UCI,
    which goes on the revocation list."""
    return revoke_current_certificate(
        ledger, person, reason=reason, actor=actor, idempotency_key=idempotency_key
    )


def registered_people(ledger: Ledger, page: int = 1000) -> Iterator[UUID]:
    """Every registered person's id, in registration order (read from the log a page at a time)."""
    topic = f"{Person.Registered.__module__}:{Person.Registered.__qualname__}"
    after = 0
    while found := ledger.originators(topic, after, page):
        for _, person_id in found:
            yield person_id
        after = found[-1][0]


def reissue(
    ledger: Ledger, person_id: UUID, signer: DocumentSigner, *, now: datetime, validity: timedelta
) -> str:
    """Bring one person's current certificate up to date (after a key rotation or a rule change):
    "skipped" when it already is (signed with the current key, still true, files stored), "rendered" when only
    its files were missing, "reissued" when a new one superseded it, "none" when there is nothing to re-issue.
    Safe to repeat: the re-issue's idempotency key is the superseded UCI, so an interrupted run resumes."""
    current = current_certificate(ledger, person_id)
    if current is None:
        return "none"
    person = ledger.get_person(person_id)
    if person.erased or person.full_name.erased or not person.active_doses:
        return "none"
    found = reusable_certificate(ledger, person_id, signer, now=now)
    if found is not None:
        if certificate_files.complete(ledger, found.uci, STORED_FORMATS):
            return "skipped"
        keep_files(ledger, found)
        return "rendered"
    issued = issue_certificate(
        ledger, person_id, signer, now=now, validity=validity, idempotency_key=f"reissue-{current.uci}"
    )
    keep_files(ledger, issued)
    return "reissued"
