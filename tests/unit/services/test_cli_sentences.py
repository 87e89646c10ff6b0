"""The console's sentence for every error class is the one written for that class.

`cli.errors` once skipped a class's own sentence as soon as the class had a subclass: when
`DoseNotAfterPrevious` was derived from `DoseOutOfSequence`, "the next dose is dose 2, not dose 3" turned
into the general "the vaccination rules do not allow this" on the console. This walks every error class
of the project (the same walk as the code/catalog test), makes an instance with every value its sentence
names, and checks the console says that sentence, in both languages.
"""

from __future__ import annotations

import string

import pytest

from cli.errors import sentence
from services.messages import ERROR_MESSAGES, LANGUAGES, render
from tests.unit.services.test_error_codes import CLASSES
from web.errors import WebError

PROJECT = [c for c in CLASSES if not issubclass(c, WebError) and c.__dict__.get("code") in ERROR_MESSAGES]


def _placeholders(code: str) -> set[str]:
    entry = ERROR_MESSAGES[code]
    return {
        name.split(".")[0].split("[")[0]
        for lang in LANGUAGES
        for _, name, _, _ in string.Formatter().parse(entry[lang])
        if name
    }


def _instance(cls: type[BaseException], params: dict[str, object]) -> BaseException:
    """An instance carrying `params` whatever the class's constructor takes."""
    error = cls.__new__(cls)
    BaseException.__init__(error, "the error's own text")
    error.params = params  # type: ignore[attr-defined]
    return error


def test_the_walk_covers_the_classes_with_values_and_their_refinements() -> None:
    names = {c.__qualname__ for c in PROJECT}
    assert {"DoseOutOfSequence", "DoseNotAfterPrevious", "IntervalTooShort"} <= names
    assert sum(1 for c in PROJECT if _placeholders(c.__dict__["code"])) > 20


@pytest.mark.parametrize("cls", PROJECT, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_console_says_the_sentence_written_for_the_class(cls: type[BaseException], lang: str) -> None:
    code = cls.__dict__["code"]
    params: dict[str, object] = {name: f"<{name}>" for name in _placeholders(code)}
    said = sentence(_instance(cls, params), lang)
    own = render(code, lang, params)
    assert own is not None
    if params:
        assert said == own, f"{cls.__qualname__} in {lang}: the console said {said!r}"
    else:  # a sentence without values: the class's own, with the error's own text beside it
        assert said.startswith(own) or (lang == "en" and said == "the error's own text"), said
        assert lang == "en" or said == f"{own} (the error's own text)"
