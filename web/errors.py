"""Every error of web/ derives from WebError; one mapping turns any project error into an HTTP status.

Every project error has a stable `code` and a `kind` (see services.errors): `status_for` maps the
kind (and the two sign-in codes HTTP has its own status for) to the status; the message is the
code's catalog entry (services.messages for the layers below, web.catalog's "error.<code>" here).
"""

from __future__ import annotations

from typing import ClassVar, Final

from services.errors import PROJECT_ERRORS, code_of, kind_of

STATUS_BY_KIND: Final[dict[str, int]] = {
    "invalid": 400,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "unavailable": 503,
}
# HTTP has its own statuses for these two: a failed sign-in (401) and "wait before trying again" (429).
STATUS_BY_CODE: Final[dict[str, int]] = {
    "signin_failed": 401,
    "signin_required": 401,
    "rate_limited": 429,
    "code_attempts": 429,
    "web_configuration": 500,
}


class WebError(Exception):
    """Base of every web-layer error. `str(error)` is one sentence a person can act on.

    `key` (optional) names a more specific catalog entry than the class's own (e.g. error.field_missing
    for a BadInput); it then is the error's code too. `params` fill the message's placeholders.
    """

    code: ClassVar[str] = "web_error"
    kind: ClassVar[str] = "invalid"

    def __init__(self, message: str = "", *, key: str | None = None, **params: object) -> None:
        super().__init__(message or key or self.code)
        self.message_key = key or f"error.{self.code}"
        self.params: dict[str, object] = dict(params)

    @property
    def error_code(self) -> str:
        """The code of this instance (the specific key's, when one was given)."""
        return self.message_key.removeprefix("error.")

    @property
    def status(self) -> int:
        return status_for(self)


class ConfigurationError(WebError):
    """The web app is configured wrongly (secret key, message sender, database)."""

    code = "web_configuration"
    kind = "unavailable"


class BadInput(WebError):
    """A form or API request carried something the application cannot accept."""

    code = "bad_input"


class NotFound(WebError):
    """The thing asked for does not exist or is not the caller's to see."""

    code = "page_not_found"
    kind = "not_found"


class Forbidden(WebError):
    """The signed-in role may not do this here."""

    code = "forbidden"
    kind = "forbidden"


class SignInFailed(WebError):
    """Wrong username/password or one-time code."""

    code = "signin_failed"
    kind = "forbidden"


class RateLimited(WebError):
    """Too many attempts in a short time: the caller must wait."""

    code = "rate_limited"
    kind = "conflict"


class Unavailable(WebError):
    """A part of the platform this page needs is not ready (the SMS gateway, the outbox)."""

    code = "unavailable"
    kind = "unavailable"


#: Everything a person can act on: the project's errors and the web's own (never a traceback).
USER_ERRORS: Final[tuple[type[Exception], ...]] = (*PROJECT_ERRORS, WebError)


def error_code(error: BaseException) -> str:
    """The stable code the JSON API and logs name an error by."""
    if isinstance(error, WebError):
        return error.error_code
    return code_of(error)


def status_for(error: BaseException) -> int:
    """The HTTP status of a project or web error: by its code where HTTP has a status of its own,
    else by its kind."""
    return (
        STATUS_BY_CODE.get(error_code(error))  # a specific key (error.code_attempts)
        or STATUS_BY_CODE.get(code_of(error))  # its class (every RateLimited is 429, whatever its key)
        or STATUS_BY_KIND[kind_of(error)]
    )
