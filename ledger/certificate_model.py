"""Certificates as ledger aggregates: a `Certificate` (issued, superseded, revoked) and the per-person
`CertificateIndex` that names the current one.

A `Certificate` is one signed certificate: `Issued` carries its UCI, the signing key id, the person,
validity, green/yellow status and the dose it is about; the HC1 text itself is personal data (name and
date of birth), so it is sealed with the person's key and disappears with erasure. A `CertificateIndex`
per person (id derived from the person's random id, never from personal data) names the current
certificate, so issuing a new one supersedes the old one in the same transaction.

Booster policy: a certificate superseded by a later dose (or renewed under a new key) still tells the
truth and stays valid: a printed 2/2 certificate keeps verifying after dose 3. Only a certificate
whose content became wrong (a corrected name or date of birth, a voided or corrected dose) or that
was issued by mistake is revoked, always with a reason; revoked UCIs alone go on the revocation list
(read from the `certificate_index` projection: `projections.queries.revoked_ucis`).

These classes were defined in `ledger/certificates.py` until issue 11 split it: events stored before
then carry the topics `ledger.certificates:Certificate...`, which `ledger.topics` maps to these classes.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from credentials import Status
from ledger.errors import NotFound, RuleViolation
from ledger.values import Actor, PersonalData

CERTIFICATE_INDEX_NAMESPACE = uuid5(NAMESPACE_URL, "https://immunize.invalid/ledger/certificate-index")


class CertificateNotFound(NotFound):
    """No certificate with that id, or the person has no current certificate."""

    code = "certificate_not_found"


class Certificate(Aggregate):
    """One signed vaccination certificate: issued, then possibly superseded by a newer one or revoked."""

    id: UUID  # random, given by the ledger

    class Issued(Aggregate.Created):
        """A certificate was signed and handed out."""

        actor: Actor
        at: datetime
        person_id: UUID
        uci: str
        kid: str  # hex of the document signing certificate's kid
        issued_at: datetime
        expires_at: datetime
        status: str  # "green" or "yellow"
        dose_id: UUID  # the dose the certificate is about
        dose_number: int  # dn
        series_doses: int  # sd
        hc1: PersonalData  # the HC1 text holds name and date of birth: sealed with the person's key
        basis: str  # keyed hash of what the certificate says (names, date of birth, doses): no personal data

    @event(Issued)
    def __init__(
        self,
        actor: Actor,
        at: datetime,
        person_id: UUID,
        uci: str,
        kid: str,
        issued_at: datetime,
        expires_at: datetime,
        status: str,
        dose_id: UUID,
        dose_number: int,
        series_doses: int,
        hc1: PersonalData,
        basis: str,
    ) -> None:
        self.person_id = person_id
        self.uci = uci
        self.kid = kid
        self.issued_at = issued_at
        self.expires_at = expires_at
        self.status = Status(status)  # stored as text: back to the enum on replay
        self.dose_id = dose_id
        self.dose_number = dose_number
        self.series_doses = series_doses
        self.hc1 = hc1
        self.basis = basis
        self.superseded_by: str | None = None
        self.revoked_reason: str | None = None
        self.revoked_at: datetime | None = None

    @property
    def withdrawn(self) -> bool:
        """Revoked: verifiers must refuse it (it is on the revocation list). Superseded ones stay valid."""
        return self.revoked_reason is not None

    class Superseded(Aggregate.Event):
        """A newer certificate (a later dose, or a renewal) is now the current one; this one stays valid."""

        actor: Actor
        at: datetime
        uci: str
        by_uci: str

    def supersede(self, *, by_uci: str, actor: Actor, at: datetime) -> None:
        """Name `by_uci` as the newer certificate; this one keeps verifying."""
        if self.withdrawn or self.superseded_by is not None:
            raise RuleViolation(f"The certificate {self.uci} was already replaced or revoked.")
        self._superseded(actor=actor, at=at, uci=self.uci, by_uci=by_uci)

    @event(Superseded)
    def _superseded(self, actor: Actor, at: datetime, uci: str, by_uci: str) -> None:
        self.superseded_by = by_uci

    class Revoked(Aggregate.Event):
        """The certificate was revoked (issued in error, fraud, a signing key compromised)."""

        actor: Actor
        at: datetime
        uci: str
        reason: str

    def revoke(self, *, reason: str, actor: Actor, at: datetime) -> None:
        """Revoke this certificate (who may: ledger.permissions); a superseded one may be revoked too."""
        if self.withdrawn:
            raise RuleViolation(f"The certificate {self.uci} was already revoked.")
        self._revoked(actor=actor, at=at, uci=self.uci, reason=reason)

    @event(Revoked)
    def _revoked(self, actor: Actor, at: datetime, uci: str, reason: str) -> None:
        self.revoked_reason = reason
        self.revoked_at = at


class CertificateIndex(Aggregate):
    """Which certificate is a person's current one (id = uuid5 of the person's random id)."""

    id: UUID

    class Started(Aggregate.Created):
        """The person got their first certificate."""

        person_id: UUID

    @event(Started)
    def __init__(self, person_id: UUID) -> None:
        self.person_id = person_id
        self.current_id: UUID | None = None
        self.issued = 0
        self.certificate_ids: list[UUID] = []  # every certificate the person was given, oldest first

    class Linked(Aggregate.Event):
        """A new certificate became the person's current one."""

        certificate_id: UUID

    @event(Linked)
    def link(self, certificate_id: UUID) -> None:
        """Make `certificate_id` the current certificate."""
        self.current_id = certificate_id
        self.issued += 1
        self.certificate_ids.append(certificate_id)

    class Unlinked(Aggregate.Event):
        """The current certificate was revoked: the person has none until a new one is issued."""

    @event(Unlinked)
    def unlink(self) -> None:
        """Leave the person without a current certificate."""
        self.current_id = None


def index_id(person_id: UUID) -> UUID:
    """The CertificateIndex id of a person."""
    return uuid5(CERTIFICATE_INDEX_NAMESPACE, person_id.hex)


# The reason recorded when a correction makes an earlier certificate wrong (the health book explains it).
REASON_CORRECTED = "record corrected"
