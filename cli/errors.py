"""How the console tells a user that a command failed: one sentence from the error catalog
(`services.messages`) in the chosen language, on stderr, and an exit status named by the error's kind.

The language is `--lang` on `immunize`, else `IMMUNIZE_LANGUAGE`, else Vietnamese (as the web pages).
A project error never shows a traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Final

import click

from services import messages
from services.errors import kind_of, params_of
from web.catalog import CATALOG
from web.errors import USER_ERRORS, WebError
from web.i18n import field_label, translate

LANGUAGE_ENV: Final = "IMMUNIZE_LANGUAGE"
DEFAULT_LANGUAGE: Final = "vi"

# Exit status by kind, so a script can tell "fix the input" from "try again later". 2 is also what
# click exits with for a malformed command line: both mean "the command was given something wrong".
EXIT_BY_KIND: Final[dict[str, int]] = {
    "invalid": 3,
    "not_found": 4,
    "forbidden": 5,
    "conflict": 6,
    "unavailable": 7,  # the database, a key store or a service is not reachable: retry later
}

PREFIX: Final[dict[str, str]] = {"vi": "Lỗi", "en": "Error"}


def _specific(error: BaseException, lang: str) -> str | None:
    """The catalog sentence written for this very error with its values filled in ("Mũi 2 phải cách
    mũi 1 ít nhất 28 ngày (sớm nhất 30/08/2021)."), or None when the sentence written for it names no
    values (a general one: the console adds the error's own text).

    The sentence is looked up by the class hierarchy, nearest first: the error's own class's code, then
    its parents' (every project class has its own code and sentence; a test walks them all). Whether the
    class has subclasses does not matter: a class gaining a refinement keeps its own sentence."""
    params = params_of(error)
    for cls in type(error).__mro__:
        code = cls.__dict__.get("code")
        if not isinstance(code, str):
            continue
        entry = messages.ERROR_MESSAGES.get(code)
        if entry is None:
            continue
        if "{" not in entry["en"]:
            return None
        text = messages.render(code, lang, params)
        if text is not None:
            return text
    return None


def sentence(error: BaseException, lang: str) -> str:
    """What to tell the user, in `lang`.

    The catalog's sentences are written for the web's users; the console's user is an operator who also
    needs what exactly was wrong (which file, which position), which the error's own English text says.
    So: a catalog sentence that carries the error's values is enough on its own; otherwise English
    shows the error's own text, and Vietnamese the catalog's sentence followed by that text in brackets.
    """
    if isinstance(error, WebError):
        if error.message_key not in CATALOG:
            return str(error)
        params = dict(error.params)
        if "field" in params:
            params["field"] = field_label(params["field"], lang)
        return translate(error.message_key, lang, **params)
    specific = _specific(error, lang)
    if specific is not None:
        return specific
    detail = " ".join(str(error).split())
    general = messages.message(error, lang)
    if general is None or (lang == "en" and detail):
        return detail or str(general)
    return f"{general} ({detail})" if detail else general


def exit_status(error: BaseException) -> int:
    """The exit status of a project error: by its kind (see EXIT_BY_KIND)."""
    return EXIT_BY_KIND.get(kind_of(error), 1)


def error_line(error: BaseException, lang: str) -> str:
    """What stderr shows: 'Lỗi: <sentence>' (or 'Error: …' in English), one line."""
    text = " ".join(sentence(error, lang).split())
    return f"{PREFIX.get(lang, PREFIX['en'])}: {text}"


def language(ctx: click.Context | None) -> str:
    """The language chosen for this run: `--lang` on any enclosing group, else IMMUNIZE_LANGUAGE, else vi."""
    while ctx is not None:
        chosen = ctx.params.get("lang")
        if isinstance(chosen, str):
            return chosen.lower()
        ctx = ctx.parent
    chosen = os.environ.get(LANGUAGE_ENV, "").strip().lower()
    return chosen if chosen in PREFIX else DEFAULT_LANGUAGE


class ReportingGroup(click.Group):
    """A click group whose commands' project errors become one catalog sentence on stderr in the chosen
    language and an exit status by kind, never a traceback (also when the group runs on its own)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            click.echo(error_line(exc, language(ctx)), err=True)
            sys.exit(exit_status(exc))
