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
from functools import cache, lru_cache
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


@lru_cache(maxsize=64)
def _release_for_text(version: str) -> str:
    return _release(version)


def release_for(version: Any) -> str:
    """The shipped release to check a payload of this `ver` against (cached per version text)."""
    if isinstance(version, str) and len(version) <= 20:
        return _release_for_text(version)
    return _release(version)


def _release(version: Any) -> str:
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


# Python conditions for each JSON type (2020-12: an integer is also a float with no fraction).
_TYPE_TESTS = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "integer": "((isinstance({v}, int) and not isinstance({v}, bool)) or (isinstance({v}, float) and {v}.is_integer()))",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
}
_NUMBER = "(isinstance({v}, (int, float)) and not isinstance({v}, bool))"


class _Compiler:
    """Generates Python source for a predicate over the DCC keyword subset (JSON Schema 2020-12 semantics).

    Straight-line code with early "return False" is several times faster than nested closures; the
    source comes only from the schemas shipped in the package, never from input.
    """

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.functions: list[str] = []
        self.names: dict[str, str] = {}
        self.constants: dict[str, Any] = {"_MISSING": object()}
        self.counter = 0

    def _fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def compile(self, schema: Any) -> Check:
        """A predicate that is true exactly when the instance validates against `schema`."""
        entry = self._function(schema)
        source = "\n\n".join(self.functions)
        namespace: dict[str, Any] = dict(self.constants)
        exec(compile(source, "<dcc-schema>", "exec"), namespace)  # noqa: S102 - source generated from shipped schemas only
        check: Check = namespace[entry]
        return check

    def _function(self, schema: Any) -> str:
        name = self._fresh("_check")
        self.functions.append("")  # reserve the slot: nested functions are appended after it
        slot = len(self.functions) - 1
        lines = [f"def {name}(v0):", *self._body(schema, "v0", 1), "    return True"]
        self.functions[slot] = "\n".join(lines)
        return name

    def _ref(self, pointer: str) -> str:
        if not pointer.startswith("#/"):
            raise _Unsupported(pointer)
        if pointer not in self.names:
            target: Any = self.root
            for part in pointer[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            name = self._fresh("_ref")
            self.names[pointer] = name
            self.functions.append("")
            slot = len(self.functions) - 1
            lines = [f"def {name}(v0):", *self._body(target, "v0", 1), "    return True"]
            self.functions[slot] = "\n".join(lines)
        return self.names[pointer]

    def _constant(self, value: Any) -> str:
        name = self._fresh("_K")
        self.constants[name] = value
        return name

    def _body(self, schema: Any, v: str, depth: int) -> list[str]:
        """Statements that return False when the value named v fails the schema."""
        pad = "    " * depth
        if schema is True:
            return []
        if not isinstance(schema, dict):
            raise _Unsupported(repr(schema))
        lines: list[str] = []
        for keyword, argument in schema.items():
            if keyword in _ANNOTATIONS:
                continue
            if keyword == "type":
                names = [argument] if isinstance(argument, str) else list(argument)
                if any(name not in _TYPE_TESTS for name in names):
                    raise _Unsupported(str(argument))
                test = " or ".join(_TYPE_TESTS[name].format(v=v) for name in names)
                lines.append(f"{pad}if not ({test}): return False")
            elif keyword == "properties":
                lines.append(f"{pad}if isinstance({v}, dict):")
                inner = "    " * (depth + 1)
                for name, sub in argument.items():
                    child = self._fresh("v")
                    body = self._body(sub, child, depth + 2)
                    if not body:
                        continue
                    lines.append(f"{inner}{child} = {v}.get({name!r}, _MISSING)")
                    lines.append(f"{inner}if {child} is not _MISSING:")
                    lines.extend(body)
            elif keyword == "required":
                test = " and ".join(f"{name!r} in {v}" for name in argument) or "True"
                lines.append(f"{pad}if isinstance({v}, dict) and not ({test}): return False")
            elif keyword == "items":
                child = self._fresh("v")
                body = self._body(argument, child, depth + 2)
                if body:
                    lines.append(f"{pad}if isinstance({v}, list):")
                    lines.append(f"{pad}    for {child} in {v}:")
                    lines.extend(body)
            elif keyword in ("minItems", "maxItems"):
                operator = "<" if keyword == "minItems" else ">"
                lines.append(
                    f"{pad}if isinstance({v}, list) and len({v}) {operator} {int(argument)}: return False"
                )
            elif keyword == "maxLength":
                lines.append(f"{pad}if isinstance({v}, str) and len({v}) > {int(argument)}: return False")
            elif keyword in ("minimum", "maximum"):
                bound = float(argument) if isinstance(argument, float) else int(argument)
                operator = "<" if keyword == "minimum" else ">"
                lines.append(f"{pad}if {_NUMBER.format(v=v)} and {v} {operator} {bound!r}: return False")
            elif keyword == "pattern":
                search = self._constant(re.compile(argument).search)  # JSON Schema patterns are unanchored
                lines.append(f"{pad}if isinstance({v}, str) and {search}({v}) is None: return False")
            elif keyword == "valueset-uri":
                codes = value_set(str(argument))
                if codes:
                    known = self._constant(codes)
                    lines.append(f"{pad}if isinstance({v}, str) and {v} not in {known}: return False")
            elif keyword in ("oneOf", "anyOf"):
                branches = [self._function(sub) for sub in argument]
                calls = [f"{branch}({v})" for branch in branches]
                if keyword == "anyOf":
                    lines.append(f"{pad}if not ({' or '.join(calls)}): return False")
                else:
                    lines.append(f"{pad}if ({' + '.join(calls)}) != 1: return False")
            elif keyword == "$ref":
                lines.append(f"{pad}if not {self._ref(argument)}({v}): return False")
            else:
                raise _Unsupported(keyword)
        return lines
