"""Every error the ledger raises derives from LedgerError; messages say what to do."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every ledger error. `str(error)` is one sentence a person can act on."""


class ConfigurationError(LedgerError):
    """The ledger is configured wrongly (database URL, keys, reference data)."""


class ReferenceDataError(ConfigurationError):
    """The Viet Nam reference data cannot be found or read."""


class InvalidInput(LedgerError):
    """An input is malformed (a national ID, a date, a code): nothing was written."""


class NotFound(LedgerError):
    """The person, site or lot named does not exist."""


class PersonNotFound(NotFound):
    """No person with that id or national ID number."""


class SiteNotFound(NotFound):
    """No vaccination site with that id."""


class LotNotFound(NotFound):
    """No vaccine lot with that id."""


class DuplicateNationalId(LedgerError):
    """A person with that national ID number is already registered (one person per national ID)."""


class RuleViolation(LedgerError):
    """A business rule refused the command: nothing was written."""


class NotPermitted(RuleViolation):
    """The actor's role or site does not allow this command."""


class DoseOutOfSequence(RuleViolation):
    """The dose number is not the next one for this person."""


class IntervalTooShort(RuleViolation):
    """The dose comes sooner after the previous one than the product's minimum interval."""


class DoseDateInvalid(RuleViolation):
    """The dose date is in the future or before the person's birth."""


class LotUnusable(RuleViolation):
    """The lot is for another product, or expired on the dose date."""


class PersonErasedError(RuleViolation):
    """The person was erased: nothing more can be recorded for them."""


class DoseNotFound(NotFound):
    """The person has no (non-voided) dose with that id."""


class ReactionNotFound(NotFound):
    """The person has no reaction report with that id."""


class IdempotencyKeyReused(LedgerError):
    """The idempotency key was already used for a different command or different arguments."""


class ConflictError(LedgerError):
    """Others kept changing the same record at the same time: the command was not applied; try again."""


class StoreError(LedgerError):
    """The database failed (unreachable, full, locked); the message names it."""


class KeyStoreError(LedgerError):
    """Personal-data keys cannot be read or written (master key missing or wrong)."""


class PrimaryUnavailable(StoreError):
    """No server of a replicated cluster accepted writes within the failover bound; the command may be
    retried with the same idempotency key (it is never applied twice)."""
