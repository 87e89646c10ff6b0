"""Acceptance apart from validity: a country's CertLogic rules, in the EU gateway format, applied at the check time."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.unit.verifier.pki import NOW, sample_dcc
from verifier import acceptance
from verifier.acceptance import RuleSet, accept, apply_rules, assess_levels, load_rules, parse_rule

BUSINESS_RULES = Path(__file__).parents[2] / "reference" / "vectors" / "business-rules"


def gateway_rule(identifier: str = "VR-XX-0001", logic: Any = True, **fields: Any) -> dict[str, Any]:
    rule = {
        "Identifier": identifier,
        "Type": "Acceptance",
        "Country": "XX",
        "Version": "1.0.0",
        "Engine": "CERTLOGIC",
        "EngineVersion": "1.3.3",
        "CertificateType": "Vaccination",
        "Description": [
            {"lang": "en", "desc": f"{identifier} in English"},
            {"lang": "de", "desc": f"{identifier} auf Deutsch"},
        ],
        "ValidFrom": "2021-01-01T00:00:00Z",
        "ValidTo": "2030-01-01T00:00:00Z",
        "AffectedFields": [],
        "Logic": logic,
    }
    rule.update(fields)
    return rule


def rules(*documents: dict[str, Any]) -> RuleSet:
    return RuleSet(tuple(parse_rule(document) for document in documents))


def test_viet_nam_green_yellow_and_none() -> None:
    assert assess_levels(sample_dcc(dn=2, sd=2), "v", NOW).level == "green"
    assert assess_levels(sample_dcc(dn=3, sd=2), "v", NOW).level == "green"  # a booster
    yellow = assess_levels(sample_dcc(dn=1, sd=2), "v", NOW)
    assert yellow.level == "yellow"
    missed = yellow.why_not("green")
    assert missed is not None
    assert [outcome.rule.identifier for outcome in missed.failed] == ["VR-VN-0101"]
    test_certificate = {
        "ver": "1.3.0",
        "nam": {"fnt": "X"},
        "dob": "1990",
        "t": [{"tg": "840539006", "tt": "LP6464-4", "tr": "260415000", "co": "VN"}],
    }
    none = assess_levels(test_certificate, "t", NOW)
    assert none.level is None
    assert (
        none.levels[-1][1]
        .summary()
        .startswith("authentic — not accepted: rule GR-VN-0001 (A vaccination certificate is required")
    )


def test_value_sets_and_dose_sanity_are_acceptance_rules() -> None:
    for field, value, rule in [
        ("mp", "Sputnik-Unknown", "VR-VN-0003"),
        ("co", "XY", "VR-VN-0005"),
        ("dn", 12, "VR-VN-0006"),
        ("dt", "2021-09-30", "VR-VN-0007"),
    ]:
        dcc = sample_dcc()
        dcc["v"][0][field] = value
        decision = assess_levels(dcc, "v", NOW)
        assert decision.level is None
        assert rule in [outcome.rule.identifier for outcome in decision.levels[-1][1].failed]


def test_the_data_context_is_the_eu_one() -> None:
    seen = {
        "if": [
            {"===": [{"var": "external.countryCode"}, "XX"]},
            {
                "and": [
                    {"var": "external.kid"},
                    {"var": "external.iat"},
                    {"var": "external.exp"},
                    {"var": "external.valueSets.country-2-codes.0"},
                    {
                        "not-after": [
                            {"plusTime": [{"var": "external.iat"}, 0, "day"]},
                            {"plusTime": [{"var": "external.validationClock"}, 0, "day"]},
                        ]
                    },
                ]
            },
            False,
        ]
    }
    outcome = accept(
        rules(gateway_rule(logic=seen)),
        sample_dcc(),
        "v",
        "XX",
        NOW,
        issued_at=NOW - timedelta(days=1),
        expires_at=NOW + timedelta(days=1),
        kid=b"12345678",
    )
    assert [item.status for item in outcome.outcomes] == ["passed"]
    data = acceptance.external("xx", NOW, {}, NOW, NOW, b"\x00")
    assert data == {
        "validationClock": "2021-09-01T12:00:00Z",
        "valueSets": {},
        "countryCode": "XX",
        "exp": "2021-09-01T12:00:00Z",
        "iat": "2021-09-01T12:00:00Z",
        "kid": "AA==",
    }


def test_rules_in_force_at_the_check_time_newest_version_and_certificate_type() -> None:
    rule_set = rules(
        gateway_rule("VR-XX-0001", False, ValidTo="2021-06-01T00:00:00Z"),
        gateway_rule("VR-XX-0002", False, Version="1.0.0"),
        gateway_rule("VR-XX-0002", True, Version="1.1.0"),
        gateway_rule("VR-XX-0002", False, Version="2.0.0", ValidFrom="2022-01-01T00:00:00Z"),
        gateway_rule("TR-XX-0001", False, CertificateType="Test"),
        gateway_rule("GR-XX-0001", True, CertificateType="General"),
    )
    chosen = rule_set.for_country("xx", NOW, "v")
    assert [(rule.identifier, rule.version) for rule in chosen] == [
        ("GR-XX-0001", (1, 0, 0)),
        ("VR-XX-0002", (1, 1, 0)),
    ]
    assert accept(rule_set, sample_dcc(), "v", "XX", NOW).accepted
    later = rule_set.for_country("XX", datetime(2022, 2, 1, tzinfo=UTC), "v")
    assert ("VR-XX-0002", (2, 0, 0)) in [(rule.identifier, rule.version) for rule in later]


def test_a_rule_that_raises_counts_as_failed_and_a_non_boolean_is_open() -> None:
    raising = gateway_rule("VR-XX-0001", {"<": [{"var": "payload.v.0.mp"}, 3]})  # a string is no integer
    undecided = gateway_rule("VR-XX-0002", {"var": "payload.v.0.mp"})
    outcome = accept(rules(raising, undecided), sample_dcc(), "v", "XX", NOW)
    assert [(item.rule.identifier, item.status) for item in outcome.outcomes] == [
        ("VR-XX-0001", "failed"),
        ("VR-XX-0002", "open"),
    ]
    assert "could not be evaluated" in outcome.outcomes[0].detail
    assert [item.reason for item in outcome.outcomes] == ["rule_raised", "rule_open"]
    assert not outcome.accepted
    assert outcome.summary() == "authentic — not accepted: rule VR-XX-0001 (VR-XX-0001 in English)"
    only_open = accept(rules(undecided), sample_dcc(), "v", "XX", NOW, language="de")
    assert only_open.summary() == "authentic — open: rule VR-XX-0002 (VR-XX-0002 auf Deutsch)"


def test_several_entries_the_rules_read_the_most_recent_and_say_so() -> None:
    dcc = sample_dcc(dn=1, sd=2, dt="2021-06-01")
    dcc["v"].append(dict(dcc["v"][0], dn=2, dt="2021-07-01"))
    dcc["v"].append(dict(dcc["v"][0], dn=1, dt="2021-05-01"))
    complete = gateway_rule(logic={">=": [{"var": "payload.v.0.dn"}, {"var": "payload.v.0.sd"}]})
    before = copy.deepcopy(dcc)
    outcome = apply_rules(rules(complete).rules, dcc, "v", "XX", NOW)
    assert outcome.accepted
    assert (outcome.entry_index, outcome.entry_count) == (1, 3)
    assert dcc == before  # the certificate's own payload is not reordered


def test_unknown_country_and_missing_value_sets_are_refused_with_a_reason() -> None:
    with pytest.raises(acceptance.UnknownCountryError) as unknown:
        accept(rules(gateway_rule()), sample_dcc(), "v", "DE", NOW)
    assert unknown.value.reason == "unknown_country"
    assert "countries there: XX" in str(unknown.value)
    needs = gateway_rule(
        logic={"in": [{"var": "payload.v.0.mp"}, {"var": "external.valueSets.vaccines-covid-19-names"}]}
    )
    with pytest.raises(acceptance.MissingValueSetError) as missing:
        accept(rules(needs), sample_dcc(), "v", "XX", NOW, value_sets={"country-2-codes": ["VN"]})
    assert missing.value.reason == "missing_value_set"
    assert "'vaccines-covid-19-names'" in str(missing.value)


@pytest.mark.parametrize(
    ("change", "reason", "words"),
    [
        ({"Engine": "JSONLOGIC"}, "rules_malformed", "only CERTLOGIC"),
        ({"CertificateType": "Passport"}, "rules_malformed", "CertificateType"),
        ({"ValidFrom": "soon"}, "rules_malformed", "not an ISO 8601"),
        ({"Country": "Viet Nam"}, "rules_malformed", "two-letter Country"),
        ({"Logic": {"regex": ["x", "y"]}}, "certlogic_unknown_operation", '"regex"'),
        ({"Logic": {"plusTime": ["2021", "one", "day"]}}, "certlogic", "must be an integer"),
        ({"Identifier": None}, "rules_malformed", "no Identifier"),
    ],
)
def test_malformed_rules_are_refused_in_one_sentence(change: dict[str, Any], reason: str, words: str) -> None:
    with pytest.raises(acceptance.VerificationError) as caught:
        parse_rule(gateway_rule(**change), "rule.json")
    assert caught.value.reason == reason
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_rule_type_names_are_read_whatever_their_case() -> None:
    rule = parse_rule(gateway_rule(Type="acceptance", CertificateType="VACCINATION"))
    assert (rule.rule_type, rule.certificate_type) == ("Acceptance", "Vaccination")


def test_rule_files_directories_and_limits(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "rule.json").write_text(json.dumps(gateway_rule("VR-XX-0001")))
    (tmp_path / "a" / "tests").mkdir()
    (tmp_path / "a" / "tests" / "test001.json").write_text('{"not": "a rule"}')
    (tmp_path / "more.json").write_text(json.dumps([gateway_rule("VR-XX-0002"), gateway_rule("VR-XX-0003")]))
    assert [rule.identifier for rule in load_rules(tmp_path).rules] == [
        "VR-XX-0001",
        "VR-XX-0002",
        "VR-XX-0003",
    ]
    huge = tmp_path / "huge.json"
    huge.write_bytes(b"[" + b" " * acceptance.MAX_RULE_FILE_BYTES + b"]")
    with pytest.raises(acceptance.RulesTooLargeError):
        load_rules(huge)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(acceptance.VerificationError) as caught:
        load_rules(deep)
    assert caught.value.reason in {"certlogic_too_deep", "rules_malformed"}


def test_a_published_country_rule_set_loads_and_applies_unchanged() -> None:
    germany = load_rules(BUSINESS_RULES / "DE")
    assert germany.countries == ["DE"]
    when = datetime(2021, 9, 1, tzinfo=UTC)
    complete = accept(germany, sample_dcc(dn=2, sd=2, dt="2021-07-01"), "v", "DE", when)
    partial = accept(germany, sample_dcc(dn=1, sd=2, dt="2021-07-01"), "v", "DE", when, language="de")
    assert complete.accepted, complete.summary()
    assert not partial.accepted
    assert partial.summary().startswith(
        "authentic — not accepted: rule VR-DE-0001 (Die Impfreihe muss vollständig sein"
    )
