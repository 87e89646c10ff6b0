"""Every campaign use case, as one mixin the Ledger application includes."""

from __future__ import annotations

from ledger.campaign.join_commands import JoinCommands
from ledger.campaign.message_commands import MessageCommands
from ledger.campaign.move_commands import MoveCommands
from ledger.campaign.plan_commands import PlanCommands
from ledger.campaign.registration_commands import RegistrationCommands
from ledger.campaign.site_commands import CampaignSiteCommands
from ledger.campaign.stock_commands import StockCommands


class CampaignCommands(
    CampaignSiteCommands,
    JoinCommands,
    RegistrationCommands,
    MoveCommands,
    PlanCommands,
    MessageCommands,
    StockCommands,
):
    """Sites and sessions, registrations, day plans and appointments (moves), the outbox and replies, stock."""
