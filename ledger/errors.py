"""Every error the ledger raises derives from LedgerError; messages say what to do."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every ledger error. `str(error)` is one sentence a person can act on."""


class ConfigurationError(LedgerError):
    """The ledger is configured wrongly (database URL, keys)."""
