"""DCC payload structure: the newest official schema release, whatever `ver` says, structure only.

Schema releases are backward compatible, and the EU verifier apps check every certificate against
the newest one: an older release's stricter patterns would refuse genuine certificates. A payload
that the newest release refuses is still structurally valid when the release its own `ver` names
accepts it: what its issuer was held to (1.0.0's date of birth pattern, for one, is unanchored and
lets a date-time through, which the newest release's anchored pattern does not). Only structure is
checked (required fields, types, lengths, patterns). Value-set membership (country codes, vaccine
products ...) is acceptance, not validity: the CertLogic rules check it.

Two things real issuers emitted are read as the specification intends before checking:
- a group (`v`, `t`, `r`) that is `null` is an absent group (see `normalise_groups`);
- a group with more than one entry is verified entry by entry (the rules say which one they read),
  so the schema's `maxItems: 1` on groups is not applied.

Each shipped release (schemas/<version>.json, Apache-2.0) is compiled once, lazily, into Python for
the handful of keywords the DCC schemas use. A payload the fast checker accepts is valid; one it
rejects is re-checked by jsonschema (Draft 2020-12, formats not asserted, as the EU vectors expect),
which is authoritative and words the error.
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
GROUPS = ("v", "t", "r")
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
# Keywords that only annotate (draft 2020-12, and the DCC's own "valueset-uri": membership is checked
# by the acceptance rules); "format" is an annotation unless a format assertion vocabulary is on,
# which the DCC validators do not do.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "format", "$defs", "valueset-uri"}
)


class _Unsupported(Exception):
    """The schema uses a keyword the fast checker does not implement."""


@cache
def shipped_versions() -> tuple[tuple[int, int, int], ...]:
    """The schema releases shipped inside the package, oldest first."""
    found = []
    for entry in resources.files("verifier").joinpath("schemas").iterdir():
        match = _VERSION.match(entry.name.removesuffix(".json")) if entry.name.endswith(".json") else None
        if match:
            found.append((int(match[1]), int(match[2]), int(match[3])))
    return tuple(sorted(found))


def _dotted(version: tuple[int, int, int]) -> str:
    return ".".join(str(part) for part in version)


@cache
def newest_release() -> str:
    """The newest schema release shipped inside the package (e.g. "1.3.3")."""
    return _dotted(shipped_versions()[-1])


@lru_cache(maxsize=64)
def own_release(version: Any) -> str | None:
    """The shipped release a `ver` names (or the newest shipped of its major.minor); None if none."""
    match = _VERSION.match(version) if isinstance(version, str) and len(version) <= 20 else None
    if match is None:
        return None
    wanted = (int(match[1]), int(match[2]), int(match[3]))
    same_minor = [
        release for release in shipped_versions() if release[:2] == wanted[:2] and release <= wanted
    ]
    return _dotted(same_minor[-1]) if same_minor else None


@cache
def official_schema(release: str | None = None) -> dict[str, Any]:
    """An official schema release (the newest by default), unchanged."""
    name = release or newest_release()
    text = resources.files("verifier").joinpath("schemas", f"{name}.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _schema(release: str) -> dict[str, Any]:
    """A release as applied: groups may hold several entries (each is still checked)."""
    schema = copy.deepcopy(official_schema(release))
    for group in GROUPS:
        schema.get("properties", {}).get(group, {}).pop("maxItems", None)
    return schema


def normalise_groups(dcc: dict[str, Any]) -> dict[str, Any]:
    """The payload without groups that are `null` (some issuers wrote "t": null beside "v": [...])."""
    if dcc.get("v", 0) is None or dcc.get("t", 0) is None or dcc.get("r", 0) is None:
        return {key: value for key, value in dcc.items() if not (key in GROUPS and value is None)}
    return dcc


def _passes(release: str, dcc: Any) -> bool:
    fast = _fast_checker(release)
    if fast is not None:
        return fast(dcc)
    return _authoritative_error(dcc, release) is None


def validate(dcc: Any) -> str:
    """Validate a DCC payload's structure; returns the release it satisfied (the newest, else its own)."""
    if not isinstance(dcc, dict):
        raise SchemaError("The certificate payload is not a JSON object.")
    dcc = normalise_groups(dcc)
    newest = newest_release()
    if _passes(newest, dcc):
        return newest
    message = _authoritative_error(dcc, newest)
    if message is None:
        return newest
    own = own_release(dcc.get("ver"))
    if own is not None and own != newest and _passes(own, dcc) and _authoritative_error(dcc, own) is None:
        return own
    raise SchemaError(f"The certificate content does not have the structure of a DCC: {message}.")


def _authoritative_error(dcc: Any, release: str | None = None) -> str | None:
    """The first jsonschema error for this payload (newest release by default), or None if it is valid."""
    validator = _jsonschema_validator(release or newest_release())
    try:
        error = next(iter(validator.iter_errors(dcc)), None)
    except Exception as failure:  # jsonschema itself failing on odd data (e.g. huge regex input)
        return f"it could not be checked ({type(failure).__name__})"
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "the payload"
    return f"{where}: {error.message}"


@cache
def _jsonschema_validator(release: str | None = None) -> Any:
    """A jsonschema Draft 2020-12 validator of a release (the newest by default), built once."""
    import jsonschema

    return jsonschema.Draft202012Validator(_schema(release or newest_release()))


@cache
def _fast_checker(release: str | None = None) -> Check | None:
    """The compiled fast checker of a release (the newest by default), or None if it uses unsupported keywords."""
    root = _schema(release or newest_release())
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
# The guard before a keyword that applies to one JSON type only (the same tests as _TYPE_TESTS).
_GUARDS = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
}


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
        self.inlining: set[str] = set()  # the $refs whose body is being written in place (recursion guard)

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
        if pointer not in self.names:
            target = self._target(pointer)
            name = self._fresh("_ref")
            self.names[pointer] = name
            self.functions.append("")
            slot = len(self.functions) - 1
            lines = [f"def {name}(v0):", *self._body(target, "v0", 1), "    return True"]
            self.functions[slot] = "\n".join(lines)
        return self.names[pointer]

    def _target(self, pointer: str) -> Any:
        if not pointer.startswith("#/"):
            raise _Unsupported(pointer)
        target: Any = self.root
        for part in pointer[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return target

    def _expression(self, schema: Any, v: str) -> str | None:
        """An expression true exactly when v validates, for a schema of `required` alone; else None.

        The DCC's oneOf/anyOf branches (which group is present, fnt or gnt) have this shape: an
        expression spares a function call per branch on every verification.
        """
        if not isinstance(schema, dict):
            return None
        keywords = [keyword for keyword in schema if keyword not in _ANNOTATIONS]
        if keywords != ["required"]:
            return None
        test = " and ".join(f"{name!r} in {v}" for name in schema["required"]) or "True"
        return f"(not isinstance({v}, dict) or ({test}))"

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
        # A single type checked first proves it for every later keyword: their guards are left out.
        declared = schema.get("type")
        proven = declared if isinstance(declared, str) and declared in _GUARDS else None

        def guard(kind: str) -> str:
            return "" if kind == proven else f"{_GUARDS[kind].format(v=v)} and "

        ordered = sorted(schema.items(), key=lambda item: item[0] != "type")  # type first (stable)
        for keyword, argument in ordered:
            if keyword in _ANNOTATIONS:
                continue
            if keyword == "type":
                names = [argument] if isinstance(argument, str) else list(argument)
                if any(name not in _TYPE_TESTS for name in names):
                    raise _Unsupported(str(argument))
                test = " or ".join(_TYPE_TESTS[name].format(v=v) for name in names)
                lines.append(f"{pad}if not ({test}): return False")
            elif keyword == "properties":
                lines.append(f"{pad}if {guard('object')}True:")
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
                lines.append(f"{pad}if {guard('object')}not ({test}): return False")
            elif keyword == "items":
                child = self._fresh("v")
                body = self._body(argument, child, depth + 2)
                if body:
                    lines.append(f"{pad}if {guard('array')}True:")
                    lines.append(f"{pad}    for {child} in {v}:")
                    lines.extend(body)
            elif keyword in ("minItems", "maxItems"):
                operator = "<" if keyword == "minItems" else ">"
                lines.append(f"{pad}if {guard('array')}len({v}) {operator} {int(argument)}: return False")
            elif keyword == "maxLength":
                lines.append(f"{pad}if {guard('string')}len({v}) > {int(argument)}: return False")
            elif keyword in ("minimum", "maximum"):
                bound = float(argument) if isinstance(argument, float) else int(argument)
                operator = "<" if keyword == "minimum" else ">"
                lines.append(f"{pad}if {_NUMBER.format(v=v)} and {v} {operator} {bound!r}: return False")
            elif keyword == "pattern":
                search = self._constant(re.compile(argument).search)  # JSON Schema patterns are unanchored
                lines.append(f"{pad}if {guard('string')}{search}({v}) is None: return False")
            elif keyword in ("oneOf", "anyOf"):
                calls = [self._expression(sub, v) or f"{self._function(sub)}({v})" for sub in argument]
                if keyword == "anyOf":
                    lines.append(f"{pad}if not ({' or '.join(calls)}): return False")
                else:
                    lines.append(f"{pad}if ({' + '.join(calls)}) != 1: return False")
            elif keyword == "$ref" and argument not in self.inlining:
                # Written in place: a "return False" in it fails the whole check, as the call did (a
                # recursive reference stays a function).
                self.inlining.add(argument)
                lines.extend(self._body(self._target(argument), v, depth))
                self.inlining.discard(argument)
            elif keyword == "$ref":
                lines.append(f"{pad}if not {self._ref(argument)}({v}): return False")
            else:
                raise _Unsupported(keyword)
        return lines
