"""Venue staff apply acceptance rules to a verified certificate; the decision names the rule that failed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.verifier.pki import NOW, sample_dcc
from verifier.errors import VerificationError
from verifier.rules import builtin, evaluate, load_rules, parse_rules


def test_viet_nam_green_for_a_complete_primary_series() -> None:
    decision = evaluate(builtin("vn"), sample_dcc(dn=2, sd=2), NOW)
    assert decision.verdict == "green"
    assert decision.accepted
    assert decision.failed_rule is None


def test_viet_nam_green_also_for_a_booster() -> None:
    assert evaluate(builtin("vn"), sample_dcc(dn=3, sd=2), NOW).verdict == "green"


def test_viet_nam_yellow_for_partly_vaccinated_names_the_green_rule_missed() -> None:
    decision = evaluate(builtin("vn"), sample_dcc(dn=1, sd=2), NOW)
    assert decision.verdict == "yellow"
    assert decision.failed_rule is not None
    assert decision.failed_rule.rule == "primary-series-complete"
    assert decision.failed_rule.verdict == "green"
    assert "dose 1 of 2" in decision.failed_rule.message


def test_viet_nam_no_card_for_a_test_certificate() -> None:
    test_certificate = {"ver": "1.3.0", "nam": {"fnt": "X"}, "dob": "1990", "t": [{"tr": "260415000"}]}
    decision = evaluate(builtin("vn"), test_certificate, NOW)
    assert not decision.accepted
    assert decision.failed_rule is not None
    assert decision.failed_rule.rule == "vaccination-certificate"
    assert [failure.verdict for failure in decision.failed] == ["green", "yellow"]


def rule_set(*rules: dict[str, Any]) -> Any:
    return parse_rules({"name": "venue", "levels": [{"verdict": "admit", "rules": list(rules)}]})


@pytest.mark.parametrize(
    ("rule", "dcc", "admitted"),
    [
        ({"id": "r", "check": "days_since_last_dose", "min": 14}, sample_dcc(dt="2021-08-18"), True),
        ({"id": "r", "check": "days_since_last_dose", "min": 14}, sample_dcc(dt="2021-08-19"), False),
        (
            {"id": "r", "check": "days_since_last_dose", "min": 14, "max": 270},
            sample_dcc(dt="2020-11-01"),
            False,
        ),
        (
            {"id": "r", "check": "days_since_last_dose", "min": 0},
            sample_dcc(dt="2021-08-18T22:54:00+02:00"),
            True,
        ),
        ({"id": "r", "check": "booster_within", "days": 180}, sample_dcc(dn=3, sd=2, dt="2021-06-01"), True),
        ({"id": "r", "check": "booster_within", "days": 30}, sample_dcc(dn=3, sd=2, dt="2021-06-01"), False),
        ({"id": "r", "check": "booster_within", "days": 180}, sample_dcc(dn=2, sd=2, dt="2021-08-01"), False),
        ({"id": "r", "check": "min_dose_number", "doses": 2}, sample_dcc(dn=2, sd=2), True),
        ({"id": "r", "check": "medicinal_product", "products": ["EU/1/20/1528"]}, sample_dcc(), True),
        ({"id": "r", "check": "medicinal_product", "products": ["EU/1/21/1529"]}, sample_dcc(), False),
        ({"id": "r", "check": "kind", "kinds": ["t", "r"]}, sample_dcc(), False),
        ({"id": "r", "check": "primary_series_complete"}, {"v": [{"dn": "two"}]}, False),
        ({"id": "r", "check": "days_since_last_dose"}, {"v": [{"dt": "someday"}]}, False),
    ],
)
def test_each_check(rule: dict[str, Any], dcc: dict[str, Any], admitted: bool) -> None:
    decision = evaluate(rule_set(rule), dcc, NOW)
    assert decision.accepted is admitted
    if not admitted:
        assert decision.failed_rule is not None
        assert decision.failed_rule.rule == "r"
        assert decision.failed_rule.message


def test_negative_test_within_hours_and_recovery_window() -> None:
    negative = {"t": [{"tr": "260415000", "sc": "2021-09-01T00:00:00Z"}]}
    assert evaluate(
        rule_set({"id": "r", "check": "test_negative_within_hours", "hours": 24}), negative, NOW
    ).accepted
    assert not evaluate(
        rule_set({"id": "r", "check": "test_negative_within_hours", "hours": 6}), negative, NOW
    ).accepted
    positive = {"t": [{"tr": "260373001", "sc": "2021-09-01T00:00:00Z"}]}
    assert not evaluate(
        rule_set({"id": "r", "check": "test_negative_within_hours", "hours": 24}), positive, NOW
    ).accepted
    recovered = {"r": [{"df": "2021-06-01", "du": "2021-11-01"}]}
    assert evaluate(rule_set({"id": "r", "check": "recovery_valid"}), recovered, NOW).accepted
    expired = {"r": [{"df": "2021-01-01", "du": "2021-06-01"}]}
    assert not evaluate(rule_set({"id": "r", "check": "recovery_valid"}), expired, NOW).accepted


def test_a_rule_file_is_read_from_json(tmp_path: Path) -> None:
    path = tmp_path / "venue.json"
    path.write_text(
        json.dumps(
            {
                "name": "stadium",
                "levels": [
                    {
                        "verdict": "admit",
                        "rules": [{"id": "two-weeks", "check": "days_since_last_dose", "min": 14}],
                    }
                ],
            }
        )
    )
    rules = load_rules(path)
    assert rules.name == "stadium"
    assert evaluate(rules, sample_dcc(dt="2021-08-01"), NOW).verdict == "admit"
    assert evaluate(rules, sample_dcc(dt="2021-08-30"), NOW).failed_rule.rule == "two-weeks"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ([], "JSON object"),
        ({"levels": []}, "non-empty list of levels"),
        ({"levels": [{"rules": []}]}, "verdict"),
        ({"levels": [{"verdict": "ok", "rules": []}]}, "non-empty list of rules"),
        ({"levels": [{"verdict": "ok", "rules": [{"id": "x", "check": "astrology"}]}]}, "unknown check"),
        (
            {"levels": [{"verdict": "ok", "rules": [{"id": "x", "check": "min_dose_number"}]}]},
            "needs the parameter",
        ),
        (
            {"levels": [{"verdict": "ok", "rules": [{"id": "x", "check": "min_dose_number", "doses": "2"}]}]},
            "must be a int",
        ),
        (
            {"levels": [{"verdict": "ok", "rules": [{"id": "x", "check": "kind", "kinds": ["v"], "y": 1}]}]},
            "unknown parameter",
        ),
    ],
)
def test_a_malformed_rule_file_is_refused_with_a_reason(document: Any, complaint: str) -> None:
    with pytest.raises(VerificationError) as caught:
        parse_rules(document)
    assert caught.value.reason == "rules"
    assert complaint in str(caught.value)


def test_an_unreadable_rule_file_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(VerificationError, match="not valid JSON"):
        load_rules(broken)
    with pytest.raises(VerificationError, match="could not be read"):
        load_rules(tmp_path / "absent.json")
