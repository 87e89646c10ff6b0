"""The certificate index: every certificate issued (by UCI), the current one per person, and the
superseded and revoked ones that feed the revocation list.

The certificate events are defined in `ledger/certificates.py`; until they exist this view has no
handlers and stays empty (its position still follows the log).
"""

from __future__ import annotations

from projections.projection import ViewProjection
from projections.recorder import Table


class CertificateIndex(ViewProjection):
    """Certificates by UCI with their person, dose, status (current, superseded, revoked) and dates."""

    name = "certificate_index"
    tables = (
        Table(
            "certificates",
            (
                "uci TEXT NOT NULL",
                "person_id TEXT NOT NULL",
                "dose_number INTEGER",
                "issued_on TEXT NOT NULL",
                "status TEXT NOT NULL",
                "changed_on TEXT",
                "reason TEXT",
            ),
            ("uci",),
            indexes=(("person_id",), ("status",)),
        ),
    )
