"""Errors of campaign operations; each is also one of the ledger's kinds (invalid, not found, rule)."""

from __future__ import annotations

from ledger.errors import InvalidInput, LedgerError, NotFound, RuleViolation


class CampaignError(LedgerError):
    """Base of every campaign-operations error."""


class CampaignInputInvalid(CampaignError, InvalidInput):
    """A session, capacity, day, phone or text given to a campaign command is malformed."""


class AlreadyRegistered(CampaignError, RuleViolation):
    """The person already has an open registration for that dose."""


class AlreadyBooked(CampaignError, RuleViolation):
    """The person already has an appointment (that day, or elsewhere)."""


class NoStock(CampaignError, RuleViolation):
    """The site holds no usable stock of the product needed."""


class SiteClosed(CampaignError, RuleViolation):
    """The site is paused, or does not open on that day."""


class RegistrationNotFound(CampaignError, NotFound):
    """No registration with that id, or for that person."""


class AppointmentNotFound(CampaignError, NotFound):
    """No appointment with that id."""


class MessageNotFound(CampaignError, NotFound):
    """No message with that id."""


class GatewayError(CampaignError):
    """The SMS gateway refused or could not be reached (retried with backoff)."""
