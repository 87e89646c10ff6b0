"""The Ledger application: every command and query of the immunization ledger, on one ordered log.

Use cases follow get -> act -> save (eventsourcing's Application is the repository and the unit of
work). The ledger is split by concern; `Ledger` puts the use cases together:

| module                | holds                                                                  |
|-----------------------|------------------------------------------------------------------------|
| `ledger.transcodings` | how dates, actors and sealed personal data are stored                  |
| `ledger.checks`       | input checking: strings to domain values, or InvalidInput              |
| `ledger.permissions`  | every role and site check                                              |
| `ledger.commands`     | the command runner: idempotency receipts, fingerprints, retries, clock |
| `ledger.eventstore`   | the only code touching eventsourcing internals and SQL on its tables   |
| `ledger.base`         | opening the store, loading aggregates                                  |
| `ledger.sites`, `ledger.people`, `ledger.doses`, `ledger.reports`, `ledger.corrections`: use cases |

Every writing command takes an `actor` and an `idempotency_key` (see ledger.commands). Time comes
from the `clock` parameter.
"""

from __future__ import annotations

from ledger.campaign.commands import CampaignCommands
from ledger.certificate_shapes import CERTIFICATE_SHAPES
from ledger.checks import MAX_BATCH
from ledger.commands import MAX_ATTEMPTS, RECEIPT_NAMESPACE, VIETNAM_TIME, Outcome, utc_now
from ledger.corrections import CorrectionCommands
from ledger.doses import DoseCommands
from ledger.people import PeopleCommands
from ledger.reports import ReportCommands
from ledger.sites import SiteCommands
from ledger.transcodings import ActorAsList, DateAsISO

__all__ = [
    "MAX_ATTEMPTS",
    "MAX_BATCH",
    "RECEIPT_NAMESPACE",
    "VIETNAM_TIME",
    "ActorAsList",
    "DateAsISO",
    "Ledger",
    "Outcome",
    "utc_now",
]


class Ledger(
    CampaignCommands, SiteCommands, PeopleCommands, DoseCommands, ReportCommands, CorrectionCommands
):
    """The immunization ledger: people, sites, lots, doses, reactions, declarations, corrections."""

    name = "Ledger"
    # Written without the transcoder: an appointment's two events, a certificate re-issue's three.
    event_shapes = (*CampaignCommands.event_shapes, *CERTIFICATE_SHAPES)
    is_snapshotting_enabled = False
