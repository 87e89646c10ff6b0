"""The fast schema check compiled from the official DCC schema gives jsonschema's verdict, case for case."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from credentials import SchemaViolationError
from credentials.schema import official_schema, validate_dcc
from credentials.schemacheck import SchemaCompileError, compile_schema

REFERENCE = Draft202012Validator(official_schema(), format_checker=FormatChecker(["date"]))
FAST = compile_schema(official_schema())

VALID: dict[str, Any] = {
    "ver": "1.3.0",
    "nam": {"fn": "Nguyễn", "fnt": "NGUYEN", "gn": "Thị Ánh", "gnt": "THI<ANH"},
    "dob": "1980-05-17",
    "v": [
        {
            "tg": "840539006",
            "vp": "1119349007",
            "mp": "EU/1/20/1528",
            "ma": "ORG-100030215",
            "dn": 2,
            "sd": 2,
            "dt": "2021-10-01",
            "co": "VN",
            "is": "Ministry of Health of Viet Nam",
            "ci": "URN:UVCI:01:VN:AAAAAAAAAAAAAAAAAAAAAAAAAA#6",
        }
    ],
}

# Values that break (or keep) the schema in interesting ways, tried at every place in the payload.
ODD_VALUES = [
    None,
    True,
    0,
    -1,
    1.0,
    1.5,
    "",
    "x" * 81,
    "1980-13-01",
    "2021-02-30",
    "NGUYEN<1",
    "nguyen",
    [],
    [{}],
    {},
    "1899",
    "19800517",
]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON document."""
    found = [prefix]
    if isinstance(value, dict):
        for key, sub in value.items():
            found += paths(sub, (*prefix, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            found += paths(sub, (*prefix, index))
    return found


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy_ = copy.deepcopy(document)
    target = copy_
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy_


def removed(document: Any, path: tuple[Any, ...]) -> Any:
    copy_ = copy.deepcopy(document)
    target = copy_
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return copy_


def agree(document: Any) -> bool:
    """Both validators say the same (valid or not)."""
    return REFERENCE.is_valid(document) == (FAST(document, "") is None)


def test_the_valid_payload_is_valid_for_both() -> None:
    assert REFERENCE.is_valid(VALID)
    assert FAST(VALID, "") is None


def test_every_odd_value_at_every_place_gets_the_same_verdict() -> None:
    cases = 0
    invalid = 0
    for path in paths(VALID)[1:]:
        for value in ODD_VALUES:
            document = replaced(VALID, path, value)
            assert agree(document), (path, value)
            cases += 1
            invalid += not REFERENCE.is_valid(document)
        document = removed(VALID, path)
        assert agree(document), ("removed", path)
    assert cases > 300
    assert invalid > 200  # the mutations really do break the schema in most places


def test_the_official_schema_test_cases_get_the_same_verdict(shared_dir: Path) -> None:
    folder = shared_dir / "specs" / "dcc-schema" / "test"
    documents = [json.loads(p.read_text()) for p in sorted(folder.glob("*/*.json"))]
    assert len(documents) >= 15
    for document in documents:
        assert agree(document)


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=6),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.sampled_from(["fn", "fnt", "v", "dn", "x"]), children, max_size=3)
        ),
        max_leaves=8,
    ),
    st.sampled_from(paths(VALID)[1:]),
)
def test_generated_values_anywhere_get_the_same_verdict(value: Any, path: tuple[Any, ...]) -> None:
    assert agree(replaced(VALID, path, value))


def test_validate_dcc_names_the_place_that_is_wrong() -> None:
    with pytest.raises(SchemaViolationError, match="/v/0/dn"):
        validate_dcc(replaced(VALID, ("v", 0, "dn"), 0))
    with pytest.raises(SchemaViolationError, match="value set vaccine-medicinal-product"):
        validate_dcc(replaced(VALID, ("v", 0, "mp"), "Sputnik-X"))


def test_a_schema_keyword_the_compiler_does_not_know_is_refused() -> None:
    with pytest.raises(SchemaCompileError, match="additionalProperties"):
        compile_schema({"type": "object", "additionalProperties": False})
