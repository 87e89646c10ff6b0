"""Certificate identifiers: the Luhn mod N check character agrees with national issuers; the opaque part is random."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from credentials import CredentialError, check_character, has_valid_check
from credentials.uvci import new_uvci
from tests.unit.credentials.conftest import seeded_bytes


# Of the UVCIs with a "#" check in the published vectors, the 27 that AT, DK and FR issued in the
# upper-case form the spec prescribes all agree with our Luhn mod N. The others are not evidence:
# PT reuses "#1"/"#2" on one placeholder identifier, DE puts "#W" on two different identifiers, and
# the 18 lower-case "urn:uvci:01:FR:" test identifiers match no Luhn mod N ordering at all (4 of 18
# by chance under ours, 3 of 18 under the best alternative), so they are not checked.
def is_national_issuer_uvci(ci: str) -> bool:
    """An upper-case URN:UVCI:01:<AT|DK|FR>: identifier as a national issuer generated it."""
    return ci.startswith(("URN:UVCI:01:AT:", "URN:UVCI:01:DK:", "URN:UVCI:01:FR:"))


UVCI = re.compile(r"URN:UVCI:01:VN:[A-Z2-7]{26}#[A-Z0-9/:]")


def vector_uvcis(shared_dir: Path) -> set[str]:
    """Every UVCI with a "#" check character found in the JSON of the published test vectors."""
    found = set()
    for path in (shared_dir / "vectors" / "dgc-testdata").rglob("*.json"):
        try:
            case = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        dcc = case.get("JSON") if isinstance(case, dict) else None
        if not isinstance(dcc, dict):
            continue
        for group in ("v", "t", "r"):
            for entry in dcc.get(group) or []:
                ci = entry.get("ci") if isinstance(entry, dict) else None
                if isinstance(ci, str) and ci.upper().startswith("URN:UVCI:") and "#" in ci:
                    found.add(ci)
    return found


def test_check_characters_of_national_issuers_in_the_vectors_agree(shared_dir: Path) -> None:
    checked = {ci for ci in vector_uvcis(shared_dir) if is_national_issuer_uvci(ci)}
    assert {ci.split(":")[3] for ci in checked} == {"AT", "DK", "FR"}
    assert len(checked) == 27
    wrong = sorted(ci for ci in checked if not has_valid_check(ci))
    assert wrong == []


def test_known_check_characters_including_slash_and_colon() -> None:
    assert check_character("URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813") == "B"
    assert check_character("URN:UVCI:01:FR:P4LU2647E8HN") == "/"
    assert check_character("URN:UVCI:01:FR:Y4996KBJ4Q3Q") == ":"
    assert check_character("URN:UVCI:01:DK:B986830007345F99AE898FB82C6C61F2") == "A"
    # Lower case counts as upper case.
    assert check_character("urn:uvci:01:at:10807843f94aee0ee5093fbc254bd813") == "B"


def test_changing_any_single_character_changes_the_check() -> None:
    body = "URN:UVCI:01:VN:ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    original = check_character(body)
    for i in range(len(body)):
        if body[i] in ":":
            continue
        replacement = "7" if body[i] != "7" else "8"
        assert check_character(body[:i] + replacement + body[i + 1 :]) != original, i


def test_a_new_uvci_is_well_formed_and_carries_a_valid_check() -> None:
    uvci = new_uvci(seeded_bytes(1))
    assert UVCI.fullmatch(uvci)
    assert has_valid_check(uvci)
    assert len(uvci) <= 80  # DCC schema: certificate_id maxLength


def test_the_opaque_part_comes_only_from_the_random_source() -> None:
    assert new_uvci(seeded_bytes(7)) == new_uvci(seeded_bytes(7))
    assert new_uvci(seeded_bytes(7)) != new_uvci(seeded_bytes(8))
    assert len({new_uvci(seeded_bytes(seed)) for seed in range(200)}) == 200


def test_a_broken_random_source_is_refused() -> None:
    with pytest.raises(CredentialError, match="16 bytes"):
        new_uvci(lambda n: b"short")


def test_characters_outside_the_uvci_charset_are_refused() -> None:
    with pytest.raises(CredentialError, match="outside"):
        check_character("URN:UVCI:01:VN:ABC_DEF")
    assert not has_valid_check("URN:UVCI:01:VN:ABC")
