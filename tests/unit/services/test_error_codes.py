"""Every error class of the project has a stable code, a kind, and a message in Vietnamese and English.

The walk imports every module of every package, so an error class added anywhere later is checked too.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import date

import pytest

from ledger.errors import IntervalTooShort, LedgerError, WardUnknown
from services.errors import KINDS, PROJECT_ERRORS, ServiceError
from services.messages import ERROR_MESSAGES, LANGUAGES, message
from web.catalog import CATALOG
from web.errors import STATUS_BY_KIND, BadInput, WebError, error_code, status_for

PACKAGES = ("ledger", "credentials", "keys", "projections", "verifier", "services", "web", "cli")


def project_error_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, f"{name}."):
            module = importlib.import_module(info.name)
            for cls_name, cls in vars(module).items():
                if (
                    inspect.isclass(cls)
                    and issubclass(cls, BaseException)
                    and cls.__module__ == module.__name__
                    and not cls_name.startswith("_")
                ):
                    found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[k] for k in sorted(found)]


CLASSES = project_error_classes()


def test_the_walk_finds_the_errors_of_every_package() -> None:
    modules = {cls.__module__.split(".")[0] for cls in CLASSES}
    assert modules >= {"ledger", "credentials", "keys", "projections", "verifier", "services", "web"}
    assert len(CLASSES) > 90


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_each_error_class_has_its_own_code_a_kind_and_both_messages(cls: type[BaseException]) -> None:
    assert issubclass(cls, (*PROJECT_ERRORS, WebError)), "derive from the package's base error"
    code = cls.__dict__.get("code")
    assert isinstance(code, str), f"{cls.__qualname__} needs its own `code`"
    assert code
    assert getattr(cls, "kind", None) in KINDS
    entry = CATALOG.get(f"error.{code}") if issubclass(cls, WebError) else ERROR_MESSAGES.get(code)
    assert entry is not None, f"no message for {code}"
    for lang in LANGUAGES:
        assert entry.get(lang, "").strip(), f"{code} has no {lang} message"
    assert entry["vi"] != entry["en"]


def test_codes_are_unique_across_the_project() -> None:
    codes = [c.__dict__["code"] for c in CLASSES]
    assert len(codes) == len(set(codes))


def test_the_catalog_names_no_code_that_no_error_has() -> None:
    codes = {c.__dict__["code"] for c in CLASSES}
    assert set(ERROR_MESSAGES) <= codes


@pytest.mark.parametrize(
    ("kind", "status"),
    [("invalid", 400), ("forbidden", 403), ("not_found", 404), ("conflict", 409), ("unavailable", 503)],
)
def test_each_kind_has_one_http_status(kind: str, status: int) -> None:
    assert STATUS_BY_KIND[kind] == status
    error_class = type("Probe", (ServiceError,), {"code": "probe", "kind": kind})
    assert status_for(error_class()) == status


def test_a_message_fills_in_the_values_with_dates_as_on_a_vaccination_card() -> None:
    error = IntervalTooShort(
        "too soon",
        dose_number=2,
        previous_number=1,
        min_days=28,
        days=0,
        earliest=date(2021, 8, 30),
        previous_on=date(2021, 8, 2),
    )
    assert message(error, "vi") == "Mũi 2 phải cách mũi 1 ít nhất 28 ngày (sớm nhất 30/08/2021)."
    assert message(error, "en") == "Dose 2 must be at least 28 days after dose 1 (earliest 30/08/2021)."


def test_a_message_missing_a_value_falls_back_to_the_parent_class_message() -> None:
    # Raised without the ward code (e.g. by older code): the parent's general sentence, never "{ward_code}".
    assert message(WardUnknown("no such ward"), "vi") == ERROR_MESSAGES["invalid_input"]["vi"]


def test_errors_that_are_not_the_project_s_have_no_message() -> None:
    assert message(ValueError("x"), "vi") is None
    assert message(LedgerError("x"), "en") == ERROR_MESSAGES["ledger_error"]["en"]


def test_a_web_error_with_a_specific_key_is_named_by_it() -> None:
    error = BadInput("the field reason is empty", key="error.field_missing", field="reason")
    assert error_code(error) == "field_missing"
    assert status_for(error) == 400


def test_a_text_field_is_named_in_the_page_s_language() -> None:
    from ledger.checks import text
    from ledger.errors import TextEmpty

    with pytest.raises(TextEmpty) as caught:
        text("  ", "reason", 500)
    assert message(caught.value, "vi") == "Mục lý do đang trống: hãy điền vào."
    assert message(caught.value, "en") == "The reason is empty: fill it in."
