"""Errors of the service layer, and what every project error has: a stable `code` and a `kind`.

Each package's errors.py gives its classes `code` (the key of the message in services.messages) and
`kind`, one of KINDS; the web turns the kind into an HTTP status and the code into a sentence.
"""

from __future__ import annotations

from typing import ClassVar, Final, Literal, get_args

from credentials.errors import CredentialError
from keys.errors import KeysError
from ledger.errors import LedgerError
from ledger.errors import NationalIdDeclaredOnline as NationalIdDeclaredOnline  # checked in the ledger now
from projections.errors import ProjectionError
from verifier.errors import VerificationError

ErrorKind = Literal["not_found", "forbidden", "invalid", "conflict", "unavailable"]
KINDS: Final[tuple[str, ...]] = get_args(ErrorKind)


class ServiceError(Exception):
    """Base of every service-layer error. `str(error)` is one English sentence a person can act on."""

    code: ClassVar[str] = "service_error"
    kind: ClassVar[str] = "invalid"

    def __init__(self, message: str = "", **params: object) -> None:
        super().__init__(message)
        self.params: dict[str, object] = dict(params)


class RecordNotFound(ServiceError):
    """An id in a link or form names no record (or not one the caller may see)."""

    code = "record_not_found"
    kind = "not_found"


class NotInFamily(ServiceError):
    """The person is not one the signed-in phone manages (answered as 'not found': no hint they exist)."""

    code = "not_in_family"
    kind = "not_found"


class RegisterFirst(ServiceError):
    """A dependant is added by a registered holder: the phone has no registered person yet."""

    code = "register_first"
    kind = "not_found"


class AlreadyRegisteredToday(ServiceError):
    """The same registrant registered the same name and date of birth today, with other details: the
    form was sent again after a change; one person, not a second (services.citizen.registration_key)."""

    code = "already_registered_today"
    kind = "conflict"


class AlreadyRegisteredAtDesk(ServiceError):
    """The same desk registration (staff account, name, date of birth, ID, day) was sent again with other
    details: one person, not a second (services.desk.desk_registration_key)."""

    code = "already_registered_at_desk"
    kind = "conflict"


class NoDoseYet(ServiceError):
    """No dose is recorded, so there is no certificate to show."""

    code = "no_dose_yet"


class CertificateNotIssued(ServiceError):
    """No current certificate: the citizen asks for one (POST); a page that only looks never issues."""

    code = "certificate_not_issued"
    kind = "conflict"


class UnknownFormat(ServiceError):
    """A certificate was asked for in a format other than png, svg or pdf (params: fmt)."""

    code = "certificate_format_unknown"
    kind = "not_found"


class CorrectionDoseMissing(ServiceError):
    """Voiding a dose needs the dose chosen."""

    code = "correction_dose_missing"


class CertificateNotAccepted(ServiceError):
    """A certificate shown at the desk to find a person did not verify (params: reason)."""

    code = "certificate_not_accepted"


class NoOneWithPhone(ServiceError):
    """No holder of that phone number (nor a dependant of one) is registered."""

    code = "no_one_with_phone"
    kind = "not_found"


class NoPersonForCertificate(ServiceError):
    """The certificate verified but names nobody in this ledger."""

    code = "no_person_for_certificate"
    kind = "not_found"


class KeysMissing(ServiceError):
    """There is no signing key store yet (params: key_dir)."""

    code = "keys_missing"
    kind = "unavailable"


class AuditNeedsDatabase(ServiceError):
    """The audit chain lives in a SQLite or PostgreSQL ledger, not in memory."""

    code = "audit_needs_database"
    kind = "unavailable"


class CertificateUncheckable(ServiceError):
    """The certificate could not be checked by the verifier before printing."""

    code = "certificate_uncheckable"
    kind = "unavailable"


#: The base errors of the layers below: services catch nothing, callers catch these.
PROJECT_ERRORS: Final[tuple[type[Exception], ...]] = (
    LedgerError,
    KeysError,
    CredentialError,
    ProjectionError,
    VerificationError,
    ServiceError,
)


def code_of(error: BaseException) -> str:
    """The stable code of a project error (a class attribute, never an instance's)."""
    return str(getattr(type(error), "code", "internal_error"))


def kind_of(error: BaseException) -> str:
    """The kind of a project error: not_found, forbidden, invalid, conflict or unavailable."""
    kind = getattr(type(error), "kind", "unavailable")
    return kind if kind in KINDS else "unavailable"


def params_of(error: BaseException) -> dict[str, object]:
    """The values the error's message names (empty when it names none)."""
    params = getattr(error, "params", None)
    return dict(params) if isinstance(params, dict) else {}
