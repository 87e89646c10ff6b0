"""Structure is checked against the newest schema release; the fast check agrees with jsonschema (the authority)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference import REFERENCE_DIR
from tests.unit.verifier.pki import sample_dcc
from tests.unit.verifier.vectors import all_cases
from verifier import schema
from verifier.errors import SchemaError

NEWEST = "1.3.3"
PAYLOADS = [case.raw["JSON"] for case in all_cases() if isinstance(case.raw.get("JSON"), dict)]


def authority_accepts(dcc: Any) -> bool:
    return schema._authoritative_error(dcc) is None


def test_the_package_ships_the_newest_published_release_unchanged() -> None:
    releases = sorted(
        (tuple(int(part) for part in path.name.split(".")), path.name)
        for path in (REFERENCE_DIR / "specs" / "dcc-schema" / "releases").iterdir()
    )
    assert schema.newest_release() == releases[-1][1] == NEWEST
    published = REFERENCE_DIR / "specs" / "dcc-schema" / "releases" / NEWEST / "DCC.combined-schema.json"
    assert schema.official_schema() == json.loads(published.read_text("utf-8"))
    assert schema._fast_checker() is not None


def test_every_shipped_release_is_the_published_one_and_compiles() -> None:
    for version in schema.shipped_versions():
        release = schema._dotted(version)
        folder = REFERENCE_DIR / "specs" / "dcc-schema" / "releases" / release
        published = next(folder.glob("*combined-schema.json"))
        assert schema.official_schema(release) == json.loads(published.read_text("utf-8"))
        assert schema._fast_checker(release) is not None


def test_a_payload_its_own_release_accepts_is_structurally_valid() -> None:
    # 1.0.0's date of birth pattern is unanchored: issuers held to it wrote date-times there.
    dcc = sample_dcc()
    dcc["ver"] = "1.0.0"
    dcc["dob"] = "1964-08-12T00:00:00"
    assert schema.validate(dcc) == "1.0.0"
    dcc["ver"] = "1.3.0"  # the newest release, and 1.3.0, refuse it
    with pytest.raises(SchemaError) as caught:
        schema.validate(dcc)
    assert "dob" in str(caught.value)
    dcc["ver"] = "1.0.7"  # an unknown patch: the newest shipped release of its minor
    assert schema.validate(dcc) == "1.0.1"


def test_fast_and_authoritative_checks_agree_on_every_published_payload() -> None:
    fast = schema._fast_checker()
    assert fast is not None
    for payload in [*PAYLOADS, sample_dcc()]:
        assert fast(payload) == authority_accepts(payload), payload
        for version in schema.shipped_versions():
            release = ".".join(map(str, version))
            compiled = schema._fast_checker(release)
            assert compiled is not None
            assert compiled(payload) == (schema._authoritative_error(payload, release) is None), release


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
@given(st.data())
def test_fast_check_agrees_with_jsonschema_on_mutated_payloads(data: st.DataObject) -> None:
    payload = copy.deepcopy(data.draw(st.sampled_from([*PAYLOADS, sample_dcc()])))
    path = data.draw(st.sampled_from(paths(payload)[1:]))
    parent = payload
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_VALUES)
    fast = schema._fast_checker()
    assert fast is not None
    assert fast(payload) == authority_accepts(payload)
    # Every shipped release's compiled check (its $refs written in place, its oneOf branches as
    # expressions) agrees with jsonschema on that release too.
    release = data.draw(st.sampled_from([".".join(map(str, v)) for v in schema.shipped_versions()]))
    compiled = schema._fast_checker(release)
    assert compiled is not None
    assert compiled(payload) == (schema._authoritative_error(payload, release) is None)


def test_validate_names_the_offending_field() -> None:
    dcc = sample_dcc()
    dcc["v"][0]["dn"] = "two"
    with pytest.raises(SchemaError) as caught:
        schema.validate(dcc)
    assert "v/0/dn" in str(caught.value)
    assert "two" in str(caught.value)


@pytest.mark.parametrize("ver", ["1.0.0", "1.2.1", "1.3.0", "1.3.9", "2.0.0"])
def test_every_version_is_checked_against_the_newest_release(ver: str) -> None:
    dcc = sample_dcc()
    dcc["ver"] = ver
    assert schema.validate(dcc) == NEWEST


def test_codes_outside_the_value_sets_are_not_a_structural_defect() -> None:
    dcc = sample_dcc()
    dcc["v"][0].update(co="XY", mp="CN-NotInTheValueSet", ma="ORG-0", tg="0")
    assert schema.validate(dcc) == NEWEST


def test_null_groups_and_several_entries_are_structurally_fine_but_each_entry_is_checked() -> None:
    dcc = sample_dcc()
    dcc["t"] = None
    dcc["r"] = None
    dcc["v"].append(dict(dcc["v"][0], dn=3, dt="2021-12-01"))
    assert schema.validate(dcc) == NEWEST
    dcc["v"][1]["dn"] = 0
    with pytest.raises(SchemaError) as caught:
        schema.validate(dcc)
    assert "v/1/dn" in str(caught.value)
