"""Errors of campaign operations; each is also one of the ledger's kinds (invalid, not found, rule).

Each has its own `code` (its message in Vietnamese and English is in services.messages) and carries
the values its message names as `params`.
"""

from __future__ import annotations

from ledger.errors import InvalidInput, LedgerError, NotFound, NotPermitted, RuleViolation


class CampaignError(LedgerError):
    """Base of every campaign-operations error."""

    code = "campaign_error"


class CampaignInputInvalid(CampaignError, InvalidInput):
    """A session, time, day, phone or text given to a campaign command is malformed."""

    code = "campaign_input_invalid"


class CapacityInvalid(CampaignInputInvalid):
    """A session's capacity is not 1 to the maximum (params: capacity, maximum)."""

    code = "session_capacity_invalid"


class QuietHoursInvalid(CampaignInputInvalid):
    """The SMS quiet hours are not HH:MM-HH:MM or off (params: value)."""

    code = "sms_quiet_hours_invalid"


class SenderShardInvalid(CampaignInputInvalid):
    """A sender's part of the outbox is not I/N with 0 <= I < N <= 16 (params: value)."""

    code = "sms_sender_shard_invalid"


class DayInPast(CampaignInputInvalid):
    """A day to plan or book is before today (params: day, today)."""

    code = "campaign_day_in_past"


class AlreadyRegistered(CampaignError, RuleViolation):
    """The person already has an open registration for that dose (params: dose_number)."""

    code = "already_registered"
    kind = "conflict"


class AlreadyBooked(CampaignError, RuleViolation):
    """The person already has an appointment (params: day)."""

    code = "already_booked"
    kind = "conflict"


class NoStock(CampaignError, RuleViolation):
    """The site holds no usable stock for the day (params: site, day)."""

    code = "no_stock"
    kind = "conflict"


class SiteClosed(CampaignError, RuleViolation):
    """The site is paused, or does not open on that day (params: site, day)."""

    code = "site_closed"
    kind = "conflict"


class SessionUnavailable(CampaignError, RuleViolation):
    """The session is full, cancelled, unknown, or the day is closed (params: session, day)."""

    code = "session_unavailable"
    kind = "conflict"


class RegistrationNotFound(CampaignError, NotFound):
    """No registration (or plan) with that id."""

    code = "registration_not_found"


class AppointmentNotFound(CampaignError, NotFound):
    """No appointment with that id."""

    code = "appointment_not_found"


class MessageNotFound(CampaignError, NotFound):
    """No message or kept reply with that id."""

    code = "message_not_found"


class GatewayError(CampaignError):
    """The SMS gateway refused or could not be reached (retried with backoff)."""

    code = "sms_gateway_error"
    kind = "unavailable"


# ---- vaccine stock (ledger/campaign/stock.py) ----------------------------------------------------


class StockQuantityInvalid(CampaignInputInvalid):
    """Doses, vials or doses per vial are not a sane whole number (params: what, value)."""

    code = "stock_quantity_invalid"


class AllocationExceedsStore(CampaignError, RuleViolation):
    """An allocation asks for more doses than the store lot holds (params: lot_number, available, asked)."""

    code = "allocation_exceeds_store"
    kind = "conflict"


class StockLotExpired(CampaignError, RuleViolation):
    """The lot has expired: it is neither allocated nor used (params: lot_number, expiry)."""

    code = "stock_lot_expired"
    kind = "conflict"


class LotExhausted(CampaignError, RuleViolation):
    """The site's allocation of the lot has fewer doses left than asked (params: lot_number, available, asked)."""

    code = "lot_exhausted"
    kind = "conflict"


class LotNotExpired(CampaignError, RuleViolation):
    """A write-off of expired doses before the lot's expiry (params: lot_number, expiry)."""

    code = "lot_not_expired"
    kind = "conflict"


class StoreLotNotFound(CampaignError, NotFound):
    """No lot with that id in any province store."""

    code = "store_lot_not_found"


class AllocationOtherProvince(CampaignError, RuleViolation):
    """A store lot allocated to a site of another province (params: lot_number, province, site_province)."""

    code = "allocation_other_province"
    kind = "forbidden"


class MoveToSameSession(CampaignError, RuleViolation):
    """A move to the session the person already holds (params: session, day)."""

    code = "move_same_session"
    kind = "conflict"


class MoveSameWard(CampaignError, RuleViolation):
    """A registration moved to the ward (and site choice) it already waits in (params: ward)."""

    code = "move_same_ward"
    kind = "conflict"


class RegistrationClosed(CampaignError, RuleViolation):
    """A registration already given, or withdrawn, cannot move (params: status)."""

    code = "registration_closed"
    kind = "conflict"


class MoveNotDue(CampaignError, RuleViolation):
    """A move to a day before the dose is due (params: dose_number, due_on)."""

    code = "move_not_due"
    kind = "conflict"


class AppointmentClosed(CampaignError, RuleViolation):
    """The appointment is no longer booked (arrived, done, cancelled, no-show): it cannot be moved or
    cancelled (params: status)."""

    code = "appointment_closed"
    kind = "conflict"


class AttendanceNotOpen(CampaignError, RuleViolation):
    """A no-show or a late arrival recorded on a day that is not today, or after the day was closed
    (params: day, closed)."""

    code = "attendance_not_open"
    kind = "conflict"


class NoShowNotBooked(CampaignError, RuleViolation):
    """Only a booked appointment (not checked in, not vaccinated, not cancelled) can be marked as not
    come (params: status)."""

    code = "no_show_not_booked"
    kind = "conflict"


class NoShowVaccinatedToday(CampaignError, RuleViolation):
    """The person was already vaccinated that day (at the desk): they did come (params: day)."""

    code = "no_show_vaccinated_today"
    kind = "conflict"


class LateArrivalNotNoShow(CampaignError, RuleViolation):
    """ "Came late" undoes a no-show marked that day only (params: status)."""

    code = "late_arrival_not_no_show"
    kind = "conflict"


class LateArrivalRebooked(CampaignError, RuleViolation):
    """The person's registration moved on since the no-show (booked again, vaccinated, withdrawn), so the
    appointment cannot be given back (params: status, day: the new appointment's day or '')."""

    code = "late_arrival_rebooked"
    kind = "conflict"


class ReturnExceedsSealed(CampaignError, RuleViolation):
    """A return asks for more doses than the site holds in unopened vials (params: lot_number, sealed,
    asked, open, and sealed_vials, asked_vials): opened vials are never returned."""

    code = "return_exceeds_sealed"
    kind = "conflict"


class ReturnWithoutStore(CampaignError, RuleViolation):
    """The lot was received straight at the site, not allocated from a province store: there is no store
    lot to return it to (params: lot_number)."""

    code = "return_without_store"
    kind = "conflict"


class SiteWardOtherProvince(CampaignError, NotPermitted):
    """A site placed in a ward of another province than the site's, or than the officer's on the site
    page (params: ward, ward_province, province): outside the province, said about the ward chosen."""

    code = "site_ward_other_province"


class OpeningDaysInvalid(CampaignInputInvalid):
    """No opening day chosen, or a day that is not 0 (Monday) to 6 (Sunday)."""

    code = "opening_days_invalid"


class WaitingPlaceOfAnotherSite(CampaignError, NotPermitted):
    """Site staff tried to move or withdraw a place waiting in another site's or ward's queue."""

    code = "waiting_place_of_another_site"


class SiteCodeTaken(CampaignError, RuleViolation):
    """Another campaign site has this code (params: code, site)."""

    code = "site_code_taken"
    kind = "conflict"
