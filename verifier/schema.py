"""DCC JSON schema validation: the official schema of the certificate's own version, checked fast.

The EU test vectors count value-set membership ("valueset-uri": country codes, vaccine products,
manufacturers, test devices ...) as part of schema validation, so codes are checked against the
official value sets shipped in valuesets/.

Each shipped release (schemas/<version>.json, Apache-2.0) is compiled once, lazily, into plain
Python closures for the handful of keywords the DCC schemas use. A certificate the fast checker
accepts is valid; one it rejects is re-checked by jsonschema (Draft 2020-12, formats not asserted,
as the EU vectors expect), which is authoritative and words the error.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from verifier.errors import SchemaError

Check = Callable[[Any], bool]
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
# Keywords that only annotate (draft 2020-12 and the DCC's own "valueset-uri"); "format" is an
# annotation unless a format assertion vocabulary is switched on, which the DCC validators do not do.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "format", "$defs"}
)
# The schemas name value sets by their old file names; these are the shipped files holding them.
_VALUE_SET_FILES = {"test-manf.json": "test-manf-example.json", "test-results.json": "test-result.json"}


class _Unsupported(Exception):
    """The schema uses a keyword the fast checker does not implement."""


@cache
def shipped_versions() -> tuple[tuple[int, int, int], ...]:
    """The schema releases shipped inside the package, oldest first."""
    names = [entry.name for entry in resources.files("verifier").joinpath("schemas").iterdir()]
    found = []
    for name in names:
        match = _VERSION.match(name.removesuffix(".json")) if name.endswith(".json") else None
        if match:
            found.append((int(match[1]), int(match[2]), int(match[3])))
    return tuple(sorted(found))


def _dotted(version: tuple[int, int, int]) -> str:
    return ".".join(str(part) for part in version)


def release_for(version: Any) -> str:
    """The shipped release to check a payload of this `ver` against: the same, else newest same major.minor."""
    match = _VERSION.match(version) if isinstance(version, str) else None
    if match is None:
        raise SchemaError("The certificate does not state a valid schema version (ver).")
    wanted = (int(match[1]), int(match[2]), int(match[3]))
    shipped = shipped_versions()
    if wanted in shipped:
        return _dotted(wanted)
    same_minor = [release for release in shipped if release[:2] == wanted[:2]]
    if not same_minor:
        raise SchemaError(
            f"The certificate uses schema version {version}, which this verifier does not know."
        )
    return _dotted(same_minor[-1])


@cache
def _official_schema(release: str) -> dict[str, Any]:
    """The parsed official schema of one release, unchanged."""
    text = resources.files("verifier").joinpath("schemas", f"{release}.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _schema(release: str) -> dict[str, Any]:
    """The schema of a release with the newest release's value sets attached to same-named definitions.

    Older schemas annotate fewer fields with value sets (1.0.0 has none on country codes), yet the EU
    vectors reject an unknown country under 1.0.0 (PL/1.0.0/8): codes are judged by today's lists.
    """
    newest = _official_schema(_dotted(shipped_versions()[-1]))
    value_sets = {
        name: definition["valueset-uri"]
        for name, definition in newest.get("$defs", {}).items()
        if isinstance(definition, dict) and "valueset-uri" in definition
    }
    schema = copy.deepcopy(_official_schema(release))
    for name, definition in schema.get("$defs", {}).items():
        if name in value_sets and isinstance(definition, dict):
            definition.setdefault("valueset-uri", value_sets[name])
    return schema


@cache
def value_set(uri: str) -> frozenset[str]:
    """The codes of one official value set named by a schema's "valueset-uri" (empty if unknown)."""
    name = uri.rsplit("/", 1)[-1]
    name = _VALUE_SET_FILES.get(name, name)
    try:
        text = resources.files("verifier").joinpath("valuesets", name).read_text("utf-8")
    except (FileNotFoundError, OSError):
        return frozenset()
    values = json.loads(text).get("valueSetValues", {})
    return frozenset(values)


def _in_value_set(uri: str, value: Any) -> bool:
    """Whether a string value is one of its value set's codes (non-strings and unknown sets pass)."""
    codes = value_set(uri)
    return not isinstance(value, str) or not codes or value in codes


def validate(dcc: Any) -> str:
    """Validate a DCC payload against the schema of its own version; returns that release."""
    if not isinstance(dcc, dict):
        raise SchemaError("The certificate payload is not a JSON object.")
    release = release_for(dcc.get("ver"))
    fast = _fast_checker(release)
    if fast is not None and fast(dcc):
        return release
    message = _authoritative_error(release, dcc)
    if message is None:
        return release
    raise SchemaError(f"The certificate content does not follow DCC schema {release}: {message}.")


def _authoritative_error(release: str, dcc: Any) -> str | None:
    """The first jsonschema error for this payload, or None if it is valid."""
    validator = _jsonschema_validator(release)
    try:
        error = next(iter(validator.iter_errors(dcc)), None)
    except Exception as failure:  # jsonschema itself failing on odd data (e.g. huge regex input)
        return f"it could not be checked ({type(failure).__name__})"
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "the payload"
    return f"{where}: {error.message}"


@cache
def _jsonschema_validator(release: str) -> Any:
    """A jsonschema Draft 2020-12 validator for one release, built once (imported only when needed)."""
    import jsonschema

    def valueset_uri(validator: Any, uri: str, instance: Any, schema: Any) -> Any:
        if not _in_value_set(uri, instance):
            yield jsonschema.ValidationError(f"{instance!r} is not a code of the value set {uri}")

    keywords = {"valueset-uri": valueset_uri}
    checker = jsonschema.validators.extend(jsonschema.Draft202012Validator, keywords)  # type: ignore[no-untyped-call]
    return checker(_schema(release))


@cache
def _fast_checker(release: str) -> Check | None:
    """The compiled fast checker of a release, or None if its schema uses unsupported keywords."""
    root = _schema(release)
    try:
        return _Compiler(root).compile(root)
    except _Unsupported:
        return None


def _is_integer(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer()
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


class _Compiler:
    """Turns a JSON schema using the DCC keyword subset into one predicate (JSON Schema 2020-12 semantics)."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, list[Check]] = {}

    def compile(self, schema: Any) -> Check:
        """A predicate that is true exactly when the instance validates against `schema`."""
        if schema is True:
            return lambda value: True
        if not isinstance(schema, dict):
            raise _Unsupported(repr(schema))
        checks: list[Check] = []
        for keyword, argument in schema.items():
            if keyword in _ANNOTATIONS:
                continue
            checks.append(self._keyword(keyword, argument))
        if len(checks) == 1:
            return checks[0]
        checks_tuple = tuple(checks)
        return lambda value: all(check(value) for check in checks_tuple)

    def _keyword(self, keyword: str, argument: Any) -> Check:
        if keyword == "type":
            type_names = [argument] if isinstance(argument, str) else list(argument)
            tests = tuple(_TYPES[name] for name in type_names)
            return lambda value: any(test(value) for test in tests)
        if keyword == "properties":
            compiled = tuple((name, self.compile(sub)) for name, sub in argument.items())

            def properties(value: Any) -> bool:
                if not isinstance(value, dict):
                    return True
                return all(check(value[name]) for name, check in compiled if name in value)

            return properties
        if keyword == "required":
            names = tuple(argument)
            return lambda value: not isinstance(value, dict) or all(name in value for name in names)
        if keyword == "items":
            item_check = self.compile(argument)
            return lambda value: not isinstance(value, list) or all(item_check(item) for item in value)
        if keyword in ("minItems", "maxItems"):
            bound = int(argument)
            if keyword == "minItems":
                return lambda value: not isinstance(value, list) or len(value) >= bound
            return lambda value: not isinstance(value, list) or len(value) <= bound
        if keyword == "maxLength":
            limit = int(argument)
            return lambda value: not isinstance(value, str) or len(value) <= limit
        if keyword in ("minimum", "maximum"):
            limit_number = argument
            if keyword == "minimum":
                return lambda value: not _is_number(value) or value >= limit_number
            return lambda value: not _is_number(value) or value <= limit_number
        if keyword == "pattern":
            search = re.compile(argument).search  # JSON Schema patterns are unanchored searches
            return lambda value: not isinstance(value, str) or search(value) is not None
        if keyword in ("oneOf", "anyOf"):
            branches = tuple(self.compile(sub) for sub in argument)
            if keyword == "anyOf":
                return lambda value: any(branch(value) for branch in branches)
            return lambda value: sum(1 for branch in branches if branch(value)) == 1
        if keyword == "valueset-uri":
            uri = str(argument)
            return lambda value: _in_value_set(uri, value)
        if keyword == "$ref":
            return self._ref(argument)
        raise _Unsupported(keyword)

    def _ref(self, pointer: str) -> Check:
        """A local "#/$defs/name" reference, compiled once and shared (cycles resolved late)."""
        if not pointer.startswith("#/"):
            raise _Unsupported(pointer)
        slot = self.refs.get(pointer)
        if slot is None:
            slot = []
            self.refs[pointer] = slot
            target: Any = self.root
            for part in pointer[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            slot.append(self.compile(target))
        return lambda value: slot[0](value)
