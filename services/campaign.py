"""Campaign operations for the web, the API and the CLI: sites, registrations, planning, messages, stock.

A service reads the projections (after bringing the campaign and operations views up to the log),
decides with the ledger's pure planner, and writes through the ledger's commands, which re-check
every rule against the aggregates. Idempotency keys of planning are derived from what is booked, so
a retried plan writes nothing twice, and planning the same day again with nothing new writes nothing.

The operations live in modules by what they hold (one class each, on the shared base in
services.campaign_base); `CampaignService` is all of them on one ledger and view store.
"""

from __future__ import annotations

from services.campaign_messages import MessageOperations
from services.campaign_moves import MoveOperations
from services.campaign_planning import PlanningOperations
from services.campaign_queue import QueueOperations
from services.campaign_site_day import SiteDayOperations
from services.campaign_sites import SiteOperations


class CampaignService(
    SiteOperations,
    QueueOperations,
    PlanningOperations,
    SiteDayOperations,
    MessageOperations,
    MoveOperations,
):
    """The campaign use cases on one ledger and its view store."""
