"""Every error of web/ derives from WebError."""

from __future__ import annotations


class WebError(Exception):
    """Base of every web-layer error. `str(error)` is one sentence a person can act on."""

    #: catalog key of the message shown to the user in their language (see web.i18n)
    message_key: str = "error.generic"
    status: int = 400

    def __init__(self, message: str = "", *, key: str | None = None, **params: object) -> None:
        super().__init__(message or (key or self.message_key))
        if key is not None:
            self.message_key = key
        self.params = params


class ConfigurationError(WebError):
    """The web app is configured wrongly (secret key, message sender, database)."""

    status = 500


class BadInput(WebError):
    """A form or API request carried something the application cannot accept."""

    message_key = "error.bad_input"
    status = 400


class NotFound(WebError):
    """The thing asked for does not exist or is not the caller's to see."""

    message_key = "error.not_found"
    status = 404


class Forbidden(WebError):
    """The signed-in role may not do this here."""

    message_key = "error.forbidden"
    status = 403


class SignInFailed(WebError):
    """Wrong username/password or one-time code."""

    message_key = "error.signin_failed"
    status = 401


class RateLimited(WebError):
    """Too many attempts in a short time: the caller must wait."""

    message_key = "error.rate_limited"
    status = 429


class Unavailable(WebError):
    """A part of the platform this page needs is not installed or not ready yet."""

    message_key = "error.unavailable"
    status = 503
