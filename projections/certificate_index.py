"""The certificate index: every certificate issued (by UCI), the current one per person, the superseded
ones (still valid: a later dose was given) and the revoked ones that feed the revocation list.

Built from the events of `ledger/certificate_model.py`: `Certificate.Issued` (a new current certificate),
`Certificate.Superseded` and `Certificate.Revoked` (both carry the UCI, so no lookup is needed).
The HC1 text is personal data and is not kept here. When a person is erased their certificates stay
listed by UCI (a revoked UCI must stay on the revocation list) but lose the link to the person.
A superseded certificate may later be revoked (a correction made it wrong): the status becomes 'revoked'.
"""

from __future__ import annotations

from ledger.certificate_model import Certificate
from ledger.domainmodel import Person
from projections.projection import Batch, ViewProjection, handles
from projections.recorder import Table


class CertificateIndex(ViewProjection):
    """Certificates by UCI with their person, dose, status (current, superseded, revoked) and dates."""

    name = "certificate_index"
    version = 2  # 2: `seq`, the order of issue (the health book lists certificates newest first)
    tables = (
        Table(
            "certificates",
            (
                "uci TEXT NOT NULL",
                "certificate_id TEXT NOT NULL",
                "person_id TEXT",
                "dose_id TEXT",
                "dose_number INTEGER",
                "series_doses INTEGER",
                "colour TEXT NOT NULL",
                "issued_on TEXT NOT NULL",
                "expires_on TEXT NOT NULL",
                "status TEXT NOT NULL",
                "changed_on TEXT",
                "reason TEXT",
                "superseded_by TEXT",
                "seq BIGINT NOT NULL",
            ),
            ("uci",),
            indexes=(("person_id",), ("status",)),
        ),
    )

    def _next_seq(self, batch: Batch) -> int:
        memo = batch.memo.setdefault("certificate_index", {})
        if "seq" not in memo:
            [row] = batch.query(f"SELECT COALESCE(MAX(seq), 0) FROM {self.t('certificates')}")
            memo["seq"] = int(row[0])
        memo["seq"] += 1
        return int(memo["seq"])

    @handles(Certificate.Issued)
    def _on_issued(self, e: Certificate.Issued, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('certificates')} (uci, certificate_id, person_id, dose_id, dose_number, "
            "series_doses, colour, issued_on, expires_on, status, changed_on, reason, superseded_by, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', NULL, NULL, NULL, ?)",
            e.uci,
            str(e.originator_id),
            str(e.person_id),
            str(e.dose_id),
            e.dose_number,
            e.series_doses,
            str(e.status),
            e.issued_at.date().isoformat(),
            e.expires_at.date().isoformat(),
            self._next_seq(batch),
        )

    @handles(Certificate.Superseded)
    def _on_superseded(self, e: Certificate.Superseded, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('certificates')} SET status = 'superseded', changed_on = ?, superseded_by = ? "
            "WHERE uci = ?",
            e.at.date().isoformat(),
            e.by_uci,
            e.uci,
        )

    @handles(Certificate.Revoked)
    def _on_revoked(self, e: Certificate.Revoked, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('certificates')} SET status = 'revoked', changed_on = ?, reason = ? WHERE uci = ?",
            e.at.date().isoformat(),
            e.reason,
            e.uci,
        )

    @handles(Person.Erased)
    def _on_erased(self, e: Person.Erased, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('certificates')} SET person_id = NULL WHERE person_id = ?", str(e.originator_id)
        )
