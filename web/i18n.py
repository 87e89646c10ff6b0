"""Vietnamese and English: one catalog, a switch kept in a preference cookie, Accept-Language as first guess.

The switch is a plain link (`?lang=en` on any page: the choice is remembered in a cookie and the page
is shown again without the parameter). It changes nothing but the visitor's own preference, so it
needs no form and no CSRF token: the public pages then carry nothing of the visitor's session and can
be cached by shared caches (`Vary: Cookie, Accept-Language`). The older POST /language still works.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Flask, current_app, g, has_request_context, redirect, request, session
from werkzeug.wrappers import Response

from services import messages, numbers
from web import formats
from web.catalog import CATALOG
from web.errors import WebError

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
COOKIE = "immunize_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def choose_language() -> str:
    """The visitor's choice (cookie, then session), else the browser's best match, else Vietnamese.
    On the API the request's own Accept-Language comes first: a client names the language it reads
    on each request, and a cookie left by the pages must not answer it in the other one."""
    if request.path.startswith("/api/") and request.accept_languages:
        asked = request.accept_languages.best_match(LANGUAGES)
        if asked:
            return str(asked)
    chosen = request.cookies.get(COOKIE) or session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    best = request.accept_languages.best_match(LANGUAGES)
    return best or DEFAULT_LANGUAGE


def current_language() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE
    lang = g.get("lang")
    if lang is None:
        lang = choose_language()
        g.lang = lang
    return str(lang)


def translate(key: str, lang: str | None = None, **params: object) -> str:
    """The message for `key` in the language (English, then the key itself, as fallbacks)."""
    lang = lang or current_language()
    entry = CATALOG.get(key)
    text = key if entry is None else entry.get(lang) or entry.get("en") or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


t = translate


def remember(response: Response, lang: str) -> Response:
    """Keep the visitor's language in its own cookie (a preference, not a credential)."""
    response.set_cookie(
        COOKIE,
        lang,
        max_age=COOKIE_MAX_AGE,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE", True)),
        httponly=True,
        samesite="Lax",
    )
    return response


def switch_by_link() -> Response | None:
    """`GET /any/page?lang=en`: remember the language and show the page again without the parameter."""
    lang = request.args.get("lang")
    if request.method != "GET" or lang not in LANGUAGES or request.path.startswith("/api/"):
        return None
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    # "//host/..." would be read by a browser as another site, and so would "/\\host" or "/<tab>/host"
    # (browsers turn a backslash into a slash and drop tabs): the path goes back percent-encoded, with one
    # leading slash, so the page is always on this one.
    path = quote(request.path, safe="/:@!$&'()*+,;=-._~").lstrip("/")
    target = "/" + path + ("?" + urlencode(rest) if rest else "")
    response = redirect(target, code=303)
    response.headers["Cache-Control"] = "no-store"
    return remember(response, str(lang))


def field_label(name: object, lang: str | None = None) -> str:
    """What the form calls a field ("Họ và tên"), never its internal name (full_name)."""
    key = f"field.{name}"
    return translate(key, lang) if key in CATALOG else translate("field.generic", lang)


def message_for(error: BaseException) -> str:
    """The error's message in the user's language, its values filled in (field names as labels): a web
    error's catalog entry, or the code's message of services.messages for the layers below."""
    if not isinstance(error, WebError):
        return messages.message(error, current_language()) or translate("error.generic")
    text = translate(error.message_key)
    lang = current_language()
    params = {name: numbers.quantity(value, lang) for name, value in error.params.items()}
    if "field" in params:
        params["field"] = field_label(params["field"])
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError, ValueError):
        return text


def show_date(value: object) -> str:
    """Template filter `day`: dd/mm/yyyy in Vietnamese, 30 Aug 2021 in English."""
    return formats.show_date(value, current_language())


def show_moment(value: object) -> str:
    """Template filter `moment`: a date and time in Viet Nam time, in the page's language."""
    return formats.show_moment(value, current_language())


def show_number(value: object, decimals: int = 0) -> str:
    """Template filter `num`: 4.259 / 2.254,1 in Vietnamese, 4,259 / 2,254.1 in English."""
    return formats.show_number(value, current_language(), decimals)


def show_coverage(value: float | None) -> str:
    """Template global `coverage`: a percentage with one decimal ('< 0,1' for a tiny share)."""
    from web.charts import coverage_text

    return coverage_text(value, current_language())


def install(app: Flask) -> None:
    """Template filters and helpers for the page's language, dates, numbers and address pickers."""
    from web import charts, notices, places

    app.before_request(switch_by_link)
    app.add_template_filter(show_date, "day")
    app.add_template_filter(show_number, "num")
    app.add_template_filter(show_moment, "moment")
    app.add_template_filter(places.ward_name, "ward")
    app.add_template_filter(places.province_name, "province")
    app.add_template_filter(formats.typed_date, "typed_date")
    app.add_template_global(places.address, "address")
    app.add_template_global(notices.pending, "notices")
    app.add_template_filter(notices.names, "names")
    app.add_template_global(lambda key: key in CATALOG, "known")
    app.add_template_global(show_coverage, "coverage")
    app.add_template_filter(charts.short_vaccine_name, "vaccine")
