"""The compiled fast schema check never accepts what jsonschema (the authority) rejects."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.verifier.pki import sample_dcc
from tests.unit.verifier.vectors import all_cases
from verifier import schema
from verifier.errors import SchemaError

RELEASES = ["1.0.0", "1.0.1", "1.1.0", "1.2.0", "1.2.1", "1.3.0", "1.3.1", "1.3.2", "1.3.3"]
PAYLOADS = [case.raw["JSON"] for case in all_cases() if isinstance(case.raw.get("JSON"), dict)]


def authority_accepts(release: str, dcc: Any) -> bool:
    return schema._authoritative_error(release, dcc) is None


def test_every_shipped_release_compiles_to_a_fast_check() -> None:
    assert [schema._dotted(version) for version in schema.shipped_versions()] == RELEASES
    for release in RELEASES:
        assert schema._fast_checker(release) is not None


@pytest.mark.parametrize("release", RELEASES)
def test_fast_and_authoritative_checks_agree_on_every_published_payload(release: str) -> None:
    fast = schema._fast_checker(release)
    assert fast is not None
    for payload in [*PAYLOADS, sample_dcc()]:
        assert fast(payload) == authority_accepts(release, payload), payload


# Mutations at any path of a real payload: replace a value with another JSON value, or drop a key.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 100)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(
        ["", "VN", "XY", "840539006", "2021-05-18", "1.3.0", "NGUYEN<VAN", "a" * 90, "ORG-100030215"]
    ),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["fn", "dn", "v", "x"]), children, max_size=3)
    ),
    max_leaves=6,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


@settings(max_examples=300, deadline=None)
@given(st.data(), st.sampled_from(RELEASES))
def test_fast_check_agrees_with_jsonschema_on_mutated_payloads(data: st.DataObject, release: str) -> None:
    payload = copy.deepcopy(data.draw(st.sampled_from([*PAYLOADS, sample_dcc()])))
    path = data.draw(st.sampled_from(paths(payload)[1:]))
    parent = payload
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_VALUES)
    fast = schema._fast_checker(release)
    assert fast is not None
    assert fast(payload) == authority_accepts(release, payload)


def test_validate_names_the_offending_field() -> None:
    dcc = sample_dcc()
    dcc["v"][0]["co"] = "XY"
    with pytest.raises(SchemaError) as caught:
        schema.validate(dcc)
    assert "v/0/co" in str(caught.value)
    assert "XY" in str(caught.value)
