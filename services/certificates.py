"""The citizen's certificate: the current one (issued only when none covers the latest record), and
its pictures (PNG, SVG) and printable PDF. The ledger decides reuse (`certificate_for_download`).
"""

from __future__ import annotations

import gc
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

from credentials import IssuedCertificate, VaccinationRecord, qr
from credentials.pdf import certificate_pdf
from credentials.qr import png_bytes, qr_matrices, qr_matrix, svg_text
from credentials.qrencode import QrMatrix
from credentials.series import latest_dose, rules_fingerprint
from credentials.uvci import RandomBytes
from keys.signer import DocumentSigner
from keys.signing import load_current_signer
from keys.store import DocumentRecord, KeyStore
from ledger.application import Ledger
from ledger.certificate_records import vaccination_record
from ledger.certificate_reissue import NOT_CURRENT_REPLACED, NOT_CURRENT_REVOKED, reissue_certificates
from ledger.certificates import (
    IssueResult,
    certificate_for_download,
    issue_certificate,
    reusable_certificate,
    revoke_current_certificate,
)
from ledger.domainmodel import Person
from ledger.errors import PersonErasedError
from ledger.phone import normalise_phone
from ledger.values import Actor
from services import certificate_files
from services.backend import Backend
from services.certificate_files import REVOKED, SUPERSEDED, Entry, content_hash
from services.certificate_render import holder_of, render_one
from services.errors import (
    CertificateNotIssued,
    CertificateUncheckable,
    NoDoseYet,
    NotInFamily,
    UnknownFormat,
)
from services.trust import passphrase, trust
from verifier import VerificationError, verify

FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
STORED_FORMATS = ("hc1", "png", "svg", "pdf")  # rendered once at issue time, read on download


@dataclass(frozen=True)
class CertificateDownload:
    """A stored certificate file to hand out, with its SHA-256 (the strong ETag)."""

    data: bytes
    filename: str
    mimetype: str
    sha256: str


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


def _issue(
    backend: Backend,
    person_id: UUID,
    now: datetime,
    *,
    issue: bool = False,
    random_bytes: RandomBytes = os.urandom,
) -> tuple[Person, IssueResult]:
    """The current certificate; with issue=True a new one when none is current (only on a POST)."""
    person = backend.ledger.get_person(person_id)
    if person.erased or person.full_name.erased:
        raise PersonErasedError("This record was erased.")
    if not person.active_doses:
        raise NoDoseYet("No dose yet, so no certificate.")
    signer = load_current_signer(backend.key_dir, passphrase(backend), now)
    if issue:
        return person, certificate_for_download(
            backend.ledger, person_id, signer, now=now, random_bytes=random_bytes
        )
    found = reusable_certificate(backend.ledger, person_id, signer, now=now)
    if found is None:
        raise CertificateNotIssued("There is no current certificate: ask for one first.")
    return person, found


def index_entry(issued: IssueResult, holder: UUID, rules: str | None = None) -> Entry:
    """The rendering index's row of a certificate just issued (or found current) under today's rules."""
    return Entry(
        uci=issued.uci,
        certificate_id=issued.certificate_id,
        person_id=issued.person_id,
        holder_id=holder,
        kid=issued.kid.hex(),
        status=str(issued.status),
        dose_number=issued.dose_number,
        series_doses=issued.series_doses,
        rules=rules_fingerprint() if rules is None else rules,
        expires_at=issued.expires_at.isoformat(),
    )


def current(
    backend: Backend,
    person_id: UUID,
    *,
    now: datetime,
    issue: bool = False,
    random_bytes: RandomBytes = os.urandom,
) -> CurrentCertificate:
    """The person's current certificate; `issue=True` (a POST) issues one when none is current,
    superseding the old; otherwise CertificateNotIssued. `random_bytes` draws the UCI (the simulator
    passes a seeded source, so the same seed gives the same certificate index)."""
    person, issued = _issue(backend, person_id, now, issue=issue, random_bytes=random_bytes)
    if issue:
        # The issuing transaction has committed (its Certificate.Issued event is the renderer's queue):
        # mark it as the one to hand out at once; the renderer draws its files off the request.
        certificate_files.mark_issued(
            backend.ledger, index_entry(issued, holder_of(person)), issued.superseded_uci
        )
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


def file_for_phone(
    backend: Backend, phone: str, person_id: UUID, fmt: str, *, now: datetime
) -> CertificateDownload | None:
    """The stored PNG, SVG or PDF of a person's current certificate, for the signed-in phone: one indexed
    read of the rendering and its holder, and the phone index for the caller (no ledger aggregate, no key
    file, no signature check, no drawing). None when nothing is stored yet (the caller then takes the
    full path, `certificate_file`). A person the phone does not sign in for is 'not found'."""
    if fmt not in FORMATS:
        raise UnknownFormat("Certificates come as .png, .svg or .pdf.", fmt=fmt[:10])
    found = certificate_files.download(backend.ledger, person_id, fmt)
    if found is None or found.sealed is None or found.kid not in _trusted_kids(backend.key_dir, now):
        return None  # not stored yet, or signed with a key verifiers no longer trust: the full path decides
    if backend.phone_key is None or found.holder_id not in backend.read.people_with_phone(
        backend.phone_key(normalise_phone(phone))
    ):
        raise NotInFamily("No such person in your family.")
    data = certificate_files.unsealed(backend.ledger, found, fmt)
    if data is None:  # erased since: the key is gone
        raise PersonErasedError("This record was erased.")
    return CertificateDownload(data, f"certificate.{fmt}", FORMATS[fmt], found.sha256 or content_hash(data))


_manifests: dict[Path, tuple[int, tuple[DocumentRecord, ...]]] = {}
_manifests_lock = threading.Lock()


def _trusted_kids(key_dir: Path, now: datetime) -> frozenset[str]:
    """The DSCs verifiers trust at `now` (not revoked, not expired): a certificate signed by another is not
    handed out. The key store's public manifest is read again only when the file changed (one stat)."""
    path = KeyStore(key_dir).manifest_path
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return frozenset()
    with _manifests_lock:
        known = _manifests.get(path)
        if known is None or known[0] != stamp:
            known = _manifests[path] = (stamp, KeyStore(key_dir).manifest().documents)
    return frozenset(record.kid.hex() for record in known[1] if record.trusted_at(now))


_inflight: dict[str, threading.Lock] = {}
_inflight_lock = threading.Lock()


def certificate_file(backend: Backend, person_id: UUID, fmt: str, *, now: datetime) -> CertificateDownload:
    """The certificate as PNG, SVG or PDF when the renderer has not stored it yet (just issued, or issued
    before files were stored): checked in full, rendered once here (one request per certificate draws it,
    the others wait for it: single-flight in this process; another process's copy is the same file and the
    store keeps the first) and stored, so every later download is a plain read."""
    if fmt not in FORMATS:
        raise UnknownFormat("Certificates come as .png, .svg or .pdf.", fmt=fmt[:10])
    person, issued = _issue(backend, person_id, now)  # erased, revoked, superseded or old-key: refused here
    with _inflight_lock:
        lock = _inflight.setdefault(issued.uci, threading.Lock())
    with lock:
        try:
            found = certificate_files.load(backend.ledger, issued.uci, fmt)
            if found is None:
                certificate_files.mark_issued(backend.ledger, index_entry(issued, holder_of(person)), None)
                files = keep_files(backend.ledger, issued, check=lambda hc1: _check(backend, hc1, now))
                return CertificateDownload(
                    files[fmt], f"certificate.{fmt}", FORMATS[fmt], content_hash(files[fmt])
                )
        finally:
            with _inflight_lock:
                _inflight.pop(issued.uci, None)
    return CertificateDownload(found.data, f"certificate.{fmt}", FORMATS[fmt], found.sha256)


def render_files(
    hc1: str,
    signed: IssuedCertificate,
    record: VaccinationRecord,
    check: Callable[[str], None] | None = None,
    formats: tuple[str, ...] = STORED_FORMATS,
    matrix: QrMatrix | None = None,
) -> dict[str, bytes]:
    """HC1, PNG, SVG and PDF of a certificate (the QR matrix is computed once for both pictures, or given:
    a batch's symbols are drawn together by `qr_matrices`).
    `check` reads the HC1 back before the PDF is printed (what is printed is checked)."""
    matrix = qr_matrix(hc1) if matrix is None else matrix
    if check is not None:
        check(hc1)
    files = {"hc1": hc1.encode("ascii"), "png": png_bytes(matrix, qr.DEFAULT_SCALE)}
    if "svg" in formats:
        files["svg"] = svg_text(matrix, qr.DEFAULT_SCALE).encode("utf-8")
    if "pdf" in formats:
        files["pdf"] = certificate_pdf(signed, record)
    return files


def keep_files(
    ledger: Ledger,
    issued: IssueResult,
    check: Callable[[str], None] | None = None,
    formats: tuple[str, ...] = STORED_FORMATS,
) -> dict[str, bytes]:
    """Render a certificate's files once and store them (content-addressed, sealed with the person's key);
    a certificate whose files are already stored is not rendered again."""
    if certificate_files.complete(ledger, issued.uci, formats):
        stored = {fmt: certificate_files.load(ledger, issued.uci, fmt) for fmt in formats}
        if all(found is not None for found in stored.values()):
            return {fmt: found.data for fmt, found in stored.items() if found is not None}
    files = render_files(issued.hc1, issued.signed, issued.record, check, formats)
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


def mark_issued(ledger: Ledger, issued: IssueResult) -> None:
    """Put a certificate issued outside a request (the CLI) in the rendering index as the current one."""
    certificate_files.mark_issued(
        ledger, index_entry(issued, holder_of(ledger.get_person(issued.person_id))), issued.superseded_uci
    )


def revoke(ledger: Ledger, person: UUID | str, *, reason: str, actor: Actor, idempotency_key: str) -> str:
    """Revoke the person's current certificate (issued with wrong data or by mistake); returns its UCI,
    which goes on the revocation list. Its files stop being served at once (the renderer replays the
    same from the log, should this process stop between the commit and the mark)."""
    uci = revoke_current_certificate(
        ledger, person, reason=reason, actor=actor, idempotency_key=idempotency_key
    )
    certificate_files.mark(ledger, uci, REVOKED)
    return uci


RENEW_BEFORE = timedelta(days=30)  # a certificate this close to expiry is renewed (as a download would)
# The issuer's verifier read-back runs on the first certificate of each re-issue batch and every n-th after
# it (docs/performance.md: a faulty signer or encoder fails every certificate, so sampling still catches it).
READ_BACK_EVERY = 50
NOTHING_TO_ISSUE = {"person_erased", "person_not_found"}


def _decide(
    ledger: Ledger,
    entry: Entry,
    signer: DocumentSigner,
    *,
    now: datetime,
    rules: str,
    formats: tuple[str, ...],
) -> str:
    """What a current certificate needs: "renew", "render", "checked", "skipped" or "none"."""
    expires = datetime.fromisoformat(entry.expires_at)
    renew = entry.kid != signer.kid.hex() or expires - RENEW_BEFORE <= now or entry.state != "current"
    checked = False
    if not renew and entry.rules != rules:
        person = ledger.get_person(entry.person_id)
        if person.erased or not person.active_doses:
            return "none"
        latest = latest_dose(vaccination_record(ledger, person).doses)
        said = (entry.dose_number, entry.series_doses, entry.status)
        if (latest.dose_number, latest.series_doses, str(latest.status)) != said:
            renew = True  # the rules now number or colour this dose differently: a new certificate says so
        else:
            certificate_files.set_rules(ledger, entry.uci, rules)
            checked = True
    if renew:
        return "renew"
    if not entry.rendered and not certificate_files.complete(ledger, entry.uci, formats):
        return "render"
    return "checked" if checked else "skipped"


def prepare_batch_process() -> None:
    """Tune the garbage collector of a process that only re-issues batches (`reissue --all`'s workers).

    A batch allocates hundreds of thousands of short-lived objects (decoded events, aggregates, arrays),
    and with the default thresholds every 700 of them start a young collection, which now and then walks
    the whole heap that the process built while starting (tables, the ledger, the signer): measured at
    50-330 us per certificate. What exists now is frozen (never scanned again) and young collections run
    every 20,000 allocations: 12-17 us per certificate. Nothing is left uncollected, only collected later.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 100)


@contextmanager
def batch_process() -> Iterator[None]:
    """`prepare_batch_process` for a while, then the collector as it was (a process that goes on after the
    batches, such as `reissue --all` in one process called from tests)."""
    thresholds = gc.get_threshold()
    prepare_batch_process()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def reissue_batch(
    ledger: Ledger,
    entries: list[Entry],
    signer: DocumentSigner,
    *,
    now: datetime,
    validity: timedelta,
    rules: str,
    formats: tuple[str, ...] = STORED_FORMATS,
    read_back_every: int = READ_BACK_EVERY,
) -> Counter[str]:
    """Bring a page of current certificates (rows of the rendering index) up to date after a key rotation,
    a rule change or near expiry. Outcomes counted: "skipped" (already current), "checked" (the numbering
    rules changed but its dose number, series and status did not), "rendered" (only its files were
    missing), "reissued" (a new one superseded it), "revoked" (revoked in the ledger: not re-issued),
    "none" (its person can have none), "failed".

    Whatever is already current costs no ledger read: the index row holds its kid, rules fingerprint and
    expiry. Those to renew are re-issued in one ledger command (`ledger.certificate_reissue`: one
    transaction, two reads of the stored events for the whole batch), and their index marks and files are
    stored in one more transaction.
    Safe to repeat: the batch's idempotency key is derived from the UCIs it supersedes, and what is done is
    skipped, so an interrupted run resumes."""
    outcomes: Counter[str] = Counter()
    renew: list[Entry] = []
    for entry in entries:
        decision = _decide(ledger, entry, signer, now=now, rules=rules, formats=formats)
        if decision == "renew":
            renew.append(entry)
        elif decision == "render":
            ok = _render_stored(ledger, entry, formats, signer)
            outcomes["rendered" if ok else "none"] += 1
        else:
            outcomes[decision] += 1
    if not renew:
        return outcomes
    key = "reissue-" + content_hash("|".join(sorted(e.uci for e in renew)).encode())[:40]
    issued, refused = reissue_certificates(
        ledger,
        [(e.person_id, e.certificate_id) for e in renew],
        signer,
        now=now,
        validity=validity,
        idempotency_key=key,
        read_back_every=read_back_every,
    )
    holders = {e.person_id: e.holder_id for e in renew}
    matrices = qr_matrices([result.hc1 for result in issued])  # the batch's symbols drawn together
    certificate_files.store_issued(
        ledger,
        [
            (
                index_entry(result, holders[result.person_id], rules),
                result.superseded_uci,
                render_files(result.hc1, result.signed, result.record, formats=formats, matrix=matrix),
            )
            for result, matrix in zip(issued, matrices, strict=True)
        ],
    )
    outcomes["reissued"] += len(issued)
    by_person = {e.person_id: e for e in renew}
    for person_id, code in refused.items():
        if code == NOT_CURRENT_REVOKED:
            # Revoked in the ledger (its mark in the index lost, or not yet replayed): never re-issued.
            certificate_files.mark(ledger, by_person[person_id].uci, REVOKED)
            outcomes["revoked"] += 1
        elif code == NOT_CURRENT_REPLACED:
            certificate_files.mark(ledger, by_person[person_id].uci, SUPERSEDED)
            outcomes["skipped"] += 1  # a newer certificate is current: its own row is renewed
        else:
            outcomes["none" if code in NOTHING_TO_ISSUE else "failed"] += 1
    return outcomes


def reissue(
    ledger: Ledger,
    entry: Entry,
    signer: DocumentSigner,
    *,
    now: datetime,
    validity: timedelta,
    rules: str,
    formats: tuple[str, ...] = STORED_FORMATS,
) -> str:
    """`reissue_batch` for one certificate: its one outcome."""
    outcomes = reissue_batch(
        ledger, [entry], signer, now=now, validity=validity, rules=rules, formats=formats
    )
    return next(outcomes.elements())


def _render_stored(ledger: Ledger, entry: Entry, formats: tuple[str, ...], signer: DocumentSigner) -> bool:
    return render_one(
        ledger,
        lambda kid: signer.certificate_der,  # not renewed: it was signed with the current key
        entry,
        lambda hc1, signed, record: render_files(hc1, signed, record, formats=formats),
    )
