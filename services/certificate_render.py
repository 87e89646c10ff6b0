"""The certificate renderer: keeps the rendering index in step with the ledger's log and renders the files
of every current certificate once, off the request (`immunize certificate render --follow`, started by
`immunize serve --followers`).

The queue is the log itself: `Certificate.Issued` is written in the issuing transaction, as the outbox's
messages are, so a committed certificate is never forgotten. The renderer replays the log from the
position it stored (a page of index changes and the new position commit together), and renders every
current certificate whose files are not stored. A certificate's four files are stored in one transaction
with its `rendered` mark: a renderer killed midway leaves nothing half-stored, and the next one renders
that certificate again.

What the renderer does per certificate: it reads the Certificate and the Person aggregates (the HC1 and
the doses the PDF lists), checks the HC1's signature with the DSC of its kid (what is printed is read
back first), draws the pictures and the PDF, and stores them sealed with the person's key.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.serialization import Encoding

from credentials import IssuedCertificate, VaccinationRecord
from credentials.issuer import reread_with
from keys.store import KeyStore
from ledger.application import Ledger
from ledger.certificate_model import Certificate
from ledger.certificate_records import vaccination_record
from ledger.certificates import get_certificate
from ledger.domainmodel import Person
from ledger.topics import stored_topics
from services import certificate_files
from services.certificate_files import CURRENT, REVOKED, STALE, SUPERSEDED, Entry, tables

log = logging.getLogger(__name__)

LOG_POSITION = "renderer"
PAGE = 500
# Events that change which certificate a person may download. A corrected name, birth date or dose makes
# the current certificate stale (not handed out until the citizen asks again, as the page did before).
CORRECTIONS = (Person.NameCorrected, Person.DateOfBirthCorrected, Person.DoseCorrected, Person.DoseVoided)
# A guardian linked later (staff's `link_dependant`) signs in for the person from then on: their certificates'
# rows name the new holder, and a re-issue copies it.
TOPICS = (
    Certificate.Issued,
    Certificate.Superseded,
    Certificate.Revoked,
    Person.Erased,
    Person.GuardianLinked,
    *CORRECTIONS,
)


def holder_of(person: Person) -> UUID:
    """Whose phone signs in for this person: their guardian's for a dependant, else their own."""
    guardian = getattr(person, "guardian_id", None)
    return guardian if isinstance(guardian, UUID) else person.id


def catch_up_index(ledger: Ledger, *, page: int = PAGE) -> int:
    """Apply the log's certificate and person events since the stored position to the index; returns how
    many events were applied. Safe to run in several processes at once (every change is idempotent and
    only moves forward; the position never goes back)."""
    t = tables(ledger)
    names = [topic for cls in TOPICS for topic in stored_topics(cls)]  # events stored before a class moved
    applied = 0
    while True:
        start = certificate_files.position(ledger, LOG_POSITION)
        notes = ledger.recorder.select_notifications(start, page, topics=names, inclusive_of_start=False)
        if not notes:
            return applied
        events = [ledger.mapper.to_domain_event(note) for note in notes]
        issued = [e for e in events if isinstance(e, Certificate.Issued)]
        # A person is read only for a certificate the index does not hold yet (its holder goes in the new
        # row): one issued by a request or a re-issue batch already has its row, and replaying its event
        # changes nothing that needs the person (a national re-issue replays millions of these).
        known = certificate_files.indexed(ledger, [str(e.uci) for e in issued])
        missing = [e.person_id for e in issued if str(e.uci) not in known]
        people = ledger.get_people(missing) if missing else {}
        with t.db.transaction(write=True) as cursor:
            for event in events:
                _apply(t, cursor, event, people)
            cursor.execute(
                f"INSERT INTO {t.positions} (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE "  # noqa: S608
                f"SET position = excluded.position WHERE excluded.position > {t.positions}.position",
                (LOG_POSITION, notes[-1].id),
            )
        applied += len(events)


def _apply(t: certificate_files._Tables, cursor: Any, event: Any, people: dict[UUID, Person]) -> None:
    if isinstance(event, Certificate.Issued):
        person = people.get(event.person_id)
        holder = holder_of(person) if person is not None else event.person_id
        entry = Entry(
            uci=str(event.uci),
            certificate_id=event.originator_id,
            person_id=event.person_id,
            holder_id=holder,
            kid=str(event.kid),
            status=str(event.status),
            dose_number=int(event.dose_number),
            series_doses=int(event.series_doses),
            rules="",  # not known for a replayed certificate: `reissue --all` checks it again
            expires_at=event.expires_at.isoformat(),
        )
        certificate_files._upsert(t, cursor, entry, CURRENT)
        # Seen in the log: a correction later in the log applies to it (one that came before it does not).
        cursor.execute(f"UPDATE {t.index} SET seen = 1 WHERE uci = ?", (entry.uci,))  # noqa: S608
    elif isinstance(event, Certificate.Superseded):
        certificate_files._advance(t, cursor, str(event.uci), SUPERSEDED)
    elif isinstance(event, Certificate.Revoked):
        certificate_files._advance(t, cursor, str(event.uci), REVOKED)
    elif isinstance(event, Person.GuardianLinked):
        cursor.execute(
            f"UPDATE {t.index} SET holder_id = ? WHERE person_id = ?",  # noqa: S608
            (event.guardian_id.hex, event.originator_id.hex),
        )
    elif isinstance(event, Person.Erased):
        erased = event.originator_id.hex
        cursor.execute(f"DELETE FROM {t.files} WHERE person_id = ?", (erased,))  # noqa: S608
        cursor.execute(f"DELETE FROM {t.index} WHERE person_id = ?", (erased,))  # noqa: S608
    elif isinstance(event, CORRECTIONS):
        cursor.execute(
            f"UPDATE {t.index} SET state = ?, state_rank = ? WHERE person_id = ? AND state_rank = 0 AND seen = 1",  # noqa: S608
            (STALE, certificate_files.RANK[STALE], event.originator_id.hex),
        )


class DocumentCertificates:
    """The DSC certificates of the key directory by kid (public; read once each)."""

    def __init__(self, key_dir: Path) -> None:
        self.store = KeyStore(key_dir)
        self._known: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def der(self, kid_hex: str) -> bytes:
        with self._lock:
            found = self._known.get(kid_hex)
            if found is None:
                certificate = self.store.document_certificate(bytes.fromhex(kid_hex))
                found = self._known[kid_hex] = certificate.public_bytes(Encoding.DER)
            return found


def signed_from_hc1(hc1: str, certificate_der: bytes, at: datetime) -> IssuedCertificate:
    """The certificate an HC1 holds, read back with the verifier trusting only its DSC (the check that
    what is printed is what was signed; `at` is the time it was issued)."""
    return reread_with(hc1, certificate_der, at)


def record_of(ledger: Ledger, certificate: Certificate) -> VaccinationRecord:
    """The record the certificate was built from: the person's doses up to the one it is about."""
    person = ledger.get_person(certificate.person_id)
    record = vaccination_record(ledger, person)
    dose_ids = [dose.dose_id for dose in person.active_doses]
    if certificate.dose_id in dose_ids:
        upto = dose_ids.index(certificate.dose_id) + 1
        record = VaccinationRecord(
            family_name=record.family_name,
            given_names=record.given_names,
            date_of_birth=record.date_of_birth,
            doses=record.doses[:upto],
        )
    return record


Render = Callable[[str, IssuedCertificate, VaccinationRecord], dict[str, bytes]]


def render_one(ledger: Ledger, der: Callable[[str], bytes], entry: Entry, render: Render) -> bool:
    """Render and store one certificate's files; False when it cannot be (its person erased)."""
    certificate = get_certificate(ledger, entry.certificate_id)
    hc1 = certificate.hc1.value
    if hc1 is None:
        return False
    signed = signed_from_hc1(hc1, der(entry.kid), certificate.issued_at)
    files = render(hc1, signed, record_of(ledger, certificate))
    return bool(certificate_files.store(ledger, entry.person_id, entry.uci, files))


def render_pending(
    ledger: Ledger, certificates: DocumentCertificates, render: Render, *, limit: int = 100
) -> tuple[int, int]:
    """Render up to `limit` queued certificates; returns (rendered, failed). A failure (an erased person,
    a DSC missing from the key directory) is logged without personal data and tried again next pass."""
    done = failed = 0
    after = ""
    while done + failed < limit:
        batch = certificate_files.pending(ledger, min(50, limit - done - failed), after=after)
        if not batch:
            break
        for entry in batch:
            try:
                ok = render_one(ledger, certificates.der, entry, render)
            except Exception as exc:  # one bad certificate (any layer's error) must not stop the queue
                log.warning("certificate %s not rendered: %s", entry.uci, type(exc).__name__)
                ok = False
            done, failed = (done + 1, failed) if ok else (done, failed + 1)
        after = batch[-1].uci
    return done, failed


def follow(
    ledger: Ledger,
    key_dir: Path,
    render: Render,
    *,
    stop: threading.Event,
    poll: float = 0.5,
    on_pass: Callable[[int, int, int], None] | None = None,
) -> None:
    """Catch the index up and render what is queued, then wait for more, until `stop` is set."""
    certificates = DocumentCertificates(key_dir)
    while not stop.is_set():
        applied = catch_up_index(ledger)
        rendered, failed = render_pending(ledger, certificates, render)
        if on_pass is not None:
            on_pass(applied, rendered, failed)
        if applied == 0 and rendered == 0:
            stop.wait(poll)


__all__ = [
    "CURRENT",
    "DocumentCertificates",
    "catch_up_index",
    "follow",
    "holder_of",
    "render_one",
    "render_pending",
    "signed_from_hc1",
]
