"""Vietnamese and English: one catalog, a switch kept in the session, Accept-Language as first guess."""

from __future__ import annotations

from flask import g, has_request_context, request, session

from web.catalog import CATALOG
from web.errors import WebError

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


def choose_language() -> str:
    """The session's choice, else the browser's best match, else Vietnamese."""
    chosen = session.get("lang")
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


def message_for(error: WebError) -> str:
    """The error's message in the user's language, its parameters filled in."""
    text = translate(error.message_key)
    try:
        return text.format(**error.params) if error.params else text
    except (KeyError, IndexError, ValueError):
        return text
