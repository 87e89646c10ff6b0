"""Every error the ledger raises derives from LedgerError; messages say what to do.

Each class has a stable `code` (the key of its message in Vietnamese and English, see
services.messages) and a `kind` (not_found, forbidden, invalid, conflict, unavailable: the web
turns it into an HTTP status). `params` carries the values a message names (dose numbers, dates).
"""

from __future__ import annotations

from typing import ClassVar


class LedgerError(Exception):
    """Base of every ledger error. `str(error)` is one sentence a person can act on."""

    code: ClassVar[str] = "ledger_error"
    kind: ClassVar[str] = "invalid"

    def __init__(self, message: str = "", **params: object) -> None:
        super().__init__(message)
        self.params: dict[str, object] = dict(params)

    def again(self, prefix: str) -> LedgerError:
        """The same error with `prefix` before its sentence (a batch says which item failed)."""
        return type(self)(f"{prefix}{self}", **self.params)


class ConfigurationError(LedgerError):
    """The ledger is configured wrongly (database URL, keys, reference data)."""

    code = "ledger_configuration"
    kind = "unavailable"


class ReferenceDataError(ConfigurationError):
    """The Viet Nam reference data cannot be found or read."""

    code = "reference_data_missing"


class InvalidInput(LedgerError):
    """An input is malformed (a national ID, a date, a code): nothing was written."""

    code = "invalid_input"


class NationalIdInvalid(InvalidInput):
    """A national ID number is not 12 digits (CCCD) or 9 digits (CMND), or names no province."""

    code = "national_id_invalid"


class TextEmpty(InvalidInput):
    """A required text (a reason, symptoms, a site name) is empty (params: what, the field in English)."""

    code = "text_empty"


class TextTooLong(InvalidInput):
    """A text is longer than its limit (params: what, limit)."""

    code = "text_too_long"


class DoseNumberInvalid(InvalidInput):
    """A dose number is not a whole number from 1 to 20 (params: value)."""

    code = "dose_number_invalid"


class WardUnknown(InvalidInput):
    """The ward code is not in the GSO list (params: ward_code)."""

    code = "ward_unknown"


class PriorityGroupUnknown(InvalidInput):
    """The priority group code is not one of the campaign's groups (params: group)."""

    code = "priority_group_unknown"


class VaccineUnknown(InvalidInput):
    """The product code is not a vaccine used in Viet Nam (params: product)."""

    code = "vaccine_unknown"


class DateInvalid(InvalidInput):
    """A date is not a real date in the accepted form (params: value)."""

    code = "date_invalid"


class BirthDateInFuture(InvalidInput):
    """The date of birth lies after today (params: date_of_birth, today)."""

    code = "birth_date_in_future"


class OnsetInFuture(InvalidInput):
    """A reaction's onset date lies after today (params: onset, today)."""

    code = "onset_in_future"


class NameInvalid(InvalidInput):
    """A full name is empty, too long or holds control characters."""

    code = "name_invalid"


class NameNotTransliterable(InvalidInput):
    """A full name has letters that ICAO 9303 cannot write, so no certificate could carry it (params: letters)."""

    code = "name_not_transliterable"


class PhoneInvalid(InvalidInput):
    """A phone number is not a Vietnamese mobile number (params: phone)."""

    code = "phone_invalid"


class NotFound(LedgerError):
    """The person, site or lot named does not exist."""

    code = "not_found"
    kind = "not_found"


class PersonNotFound(NotFound):
    """No person with that id or national ID number."""

    code = "person_not_found"


class SiteNotFound(NotFound):
    """No vaccination site with that id."""

    code = "site_not_found"


class LotNotFound(NotFound):
    """No vaccine lot with that id."""

    code = "lot_not_found"


class DuplicateNationalId(LedgerError):
    """A person with that national ID number is already registered (one person per national ID)."""

    code = "national_id_taken"
    kind = "conflict"


class NationalIdDeclaredOnline(LedgerError):
    """Staff tried to register someone with a national ID that someone declared online and staff have
    not confirmed yet: the citizen most likely registered themselves; registering again would make a
    second person and leave the first one's number unconfirmable. Checked in the events' transaction
    (ledger.claims), so a registration online at the same moment cannot slip between check and write."""

    code = "national_id_declared_online"
    kind = "conflict"


class RuleViolation(LedgerError):
    """A business rule refused the command: nothing was written."""

    code = "rule_violation"


class NotPermitted(RuleViolation):
    """The actor's role or site does not allow this command."""

    code = "not_permitted"
    kind = "forbidden"


class NotAtOwnSite(NotPermitted):
    """A site-bound actor acted for another site than their own."""

    code = "not_at_own_site"


class OutsideProvince(NotPermitted):
    """A province officer acted for a site or store of another province, or has no province
    (params: province, actor_province)."""

    code = "outside_province"


class DoseOfAnotherSite(NotPermitted):
    """A site-bound actor tried to void a dose given at another site."""

    code = "dose_of_another_site"


class IdentityOfAnotherSite(NotPermitted):
    """A site-bound actor tried to change the identity of a person their site never registered or vaccinated."""

    code = "identity_of_another_site"


class DoseOutOfSequence(RuleViolation):
    """The dose number is not the next one for this person (params: dose_number, expected)."""

    code = "dose_out_of_sequence"


class DoseNotAfterPrevious(DoseOutOfSequence):
    """The dose date is not after the previous dose (params: dose_number, previous_number, previous_on)."""

    code = "dose_not_after_previous"


class IntervalTooShort(RuleViolation):
    """The dose comes sooner after the previous one than the product's minimum interval.

    params: dose_number, previous_number, min_days, earliest, days.
    """

    code = "dose_too_soon"


class DoseDateInvalid(RuleViolation):
    """The dose date is in the future or before the person's birth."""

    code = "dose_date"


class DoseDateInFuture(DoseDateInvalid):
    """The dose date lies after today (params: given_on, today)."""

    code = "dose_date_in_future"


class DoseBeforeBirth(DoseDateInvalid):
    """The dose date lies before the person's date of birth (params: given_on)."""

    code = "dose_before_birth"


class LotUnusable(RuleViolation):
    """The lot is for another product, or expired on the dose date."""

    code = "lot_unusable"


class LotExpired(LotUnusable):
    """The lot expired before the dose date (params: lot_number, expiry, given_on)."""

    code = "lot_expired"


class LotWrongProduct(LotUnusable):
    """The lot holds another vaccine than the one given (params: lot_number, lot_product, product)."""

    code = "lot_wrong_product"


class LotNotAtSite(RuleViolation):
    """The lot is held at another site than the one recording the dose (params: lot_number)."""

    code = "lot_not_at_site"
    kind = "forbidden"


class PersonErasedError(RuleViolation):
    """The person was erased: nothing more can be recorded for them."""

    code = "person_erased"
    kind = "not_found"


class DoseNotFound(NotFound):
    """The person has no (non-voided) dose with that id."""

    code = "dose_not_found"


class ReactionNotFound(NotFound):
    """The person has no reaction report with that id."""

    code = "reaction_not_found"


class IdempotencyKeyReused(LedgerError):
    """The idempotency key was already used for a different command or different arguments."""

    code = "idempotency_key_reused"
    kind = "conflict"


class ConflictError(LedgerError):
    """Others kept changing the same record at the same time: the command was not applied; try again."""

    code = "concurrent_change"
    kind = "conflict"


class StoreError(LedgerError):
    """The database failed (unreachable, full, locked); the message names it."""

    code = "store_unavailable"
    kind = "unavailable"


class KeyStoreError(LedgerError):
    """Personal-data keys cannot be read or written (master key missing or wrong)."""

    code = "personal_data_keys_unavailable"
    kind = "unavailable"


class PrimaryUnavailable(StoreError):
    """No server of a replicated cluster accepted writes within the failover bound; the command may be
    retried with the same idempotency key (it is never applied twice)."""

    code = "primary_unavailable"
