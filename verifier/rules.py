"""Acceptance rules, separate from validity: is a verified certificate good enough for this venue today?

A rule set is a small JSON file (see rulesets/vn-green-yellow.json): ordered levels, each with a
verdict and rules that must all pass. The certificate gets the first level whose rules all pass;
the decision names the rule that kept it from the level above (or from every level).

Checks: kind {kinds}, primary_series_complete (dn >= sd), min_dose_number {doses},
days_since_last_dose {min, max?}, booster_within {days} (dn > sd and at most that many days ago),
medicinal_product {products}, test_negative_within_hours {hours}, recovery_valid (df <= today <= du).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from verifier.errors import RulesError

NEGATIVE_TEST = "260415000"  # SNOMED CT "Not detected" (value set test-result)
MAX_RULE_FILE_BYTES = 256 * 1024
BUILTIN = {"vn": "vn-green-yellow.json"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One named check with its parameters."""

    id: str
    check: str
    params: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Level:
    """A verdict (e.g. "green") and the rules a certificate must all pass to get it."""

    verdict: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Ordered levels, best first."""

    name: str
    levels: tuple[Level, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class FailedRule:
    """A rule that did not pass, at a level the certificate did not reach."""

    verdict: str
    rule: str
    message: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict reached (None if none) and the rules that failed on the way down."""

    verdict: str | None
    failed: tuple[FailedRule, ...]

    @property
    def accepted(self) -> bool:
        """Whether any level was reached."""
        return self.verdict is not None

    @property
    def failed_rule(self) -> FailedRule | None:
        """The rule that kept the certificate from the level just above its verdict (or from all)."""
        return self.failed[-1] if self.failed else None


def _entry(dcc: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    entries = dcc.get(kind)
    if isinstance(entries, list) and entries and isinstance(entries[0], Mapping):
        return entries[0]
    return None


def _day(value: Any) -> date | None:
    """A calendar date from a DCC date (some issuers wrote a date-time: its date part counts)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value)


CheckResult = str | None  # None: passed; text: why it failed
CheckFunction = Callable[[Mapping[str, Any], Mapping[str, Any], datetime], CheckResult]


def _kind(dcc: Mapping[str, Any], params: Mapping[str, Any], now: datetime) -> CheckResult:
    kinds = params["kinds"]
    present = [kind for kind in ("v", "t", "r") if kind in dcc]
    names = {"v": "vaccination", "t": "test", "r": "recovery"}
    if present and present[0] in kinds:
        return None
    wanted = " or ".join(names.get(kind, kind) for kind in kinds)
    return f"a {wanted} certificate is required"


def _primary_series_complete(dcc: Mapping[str, Any], params: Mapping[str, Any], now: datetime) -> CheckResult:
    entry = _entry(dcc, "v")
    dn = _int(entry.get("dn")) if entry else None
    sd = _int(entry.get("sd")) if entry else None
    if dn is None or sd is None:
        return "the certificate records no dose numbers"
    return None if dn >= sd else f"dose {dn} of {sd}: the primary series is not complete"


def _min_dose_number(dcc: Mapping[str, Any], params: Mapping[str, Any], now: datetime) -> CheckResult:
    entry = _entry(dcc, "v")
    dn = _int(entry.get("dn")) if entry else None
    if dn is None:
        return "the certificate records no dose number"
    return None if dn >= params["doses"] else f"only {dn} dose(s), {params['doses']} required"


def _days_since_last_dose(dcc: Mapping[str, Any], params: Mapping[str, Any], now: datetime) -> CheckResult:
    entry = _entry(dcc, "v")
    given = _day(entry.get("dt")) if entry else None
    if given is None:
        return "the certificate records no readable dose date"
    days = (now.date() - given).days
    if days < params.get("min", 0):
        return f"the last dose was {days} day(s) ago, at least {params['min']} required"
    if "max" in params and days > params["max"]:
        return f"the last dose was {days} day(s) ago, at most {params['max']} allowed"
    return None


def _booster_within(dcc: Mapping[str, Any], params: Mapping[str, Any], now: datetime) -> CheckResult:
    entry = _entry(dcc, "v")
    dn = _int(entry.get("dn")) if entry else None
    sd = _int(entry.get("sd")) if entry else None
    given = _day(entry.get("dt")) if entry else None
    if dn is None or sd is None or given is None:
        return "the certificate records no readable dose"
    if dn <= sd:
        return "the last dose is not a booster"
    days = (now.date() - given).days
    return (
        None
        if days <= params["days"]
        else f"the booster was {days} day(s) ago, at most {params['days']} allowed"
    )


def _medicinal_product(dcc: Mapping[str, Any], params: Mapping[str, Any], now: datetime) -> CheckResult:
    entry = _entry(dcc, "v")
    product = entry.get("mp") if entry else None
    return None if product in params["products"] else f"vaccine product {product!r} is not accepted"


def _test_negative_within_hours(
    dcc: Mapping[str, Any], params: Mapping[str, Any], now: datetime
) -> CheckResult:
    entry = _entry(dcc, "t")
    if entry is None:
        return "a test certificate is required"
    if entry.get("tr") != NEGATIVE_TEST:
        return "the test result is not negative"
    sampled = entry.get("sc")
    try:
        from verifier.timeparse import parse_instant

        taken = parse_instant(sampled) if isinstance(sampled, str) else None
    except ValueError:
        taken = None
    if taken is None:
        return "the certificate records no readable sample time"
    hours = params["hours"]
    if taken > now or now - taken > timedelta(hours=hours):
        return f"the sample was not taken within the last {hours} hours"
    return None


def _recovery_valid(dcc: Mapping[str, Any], params: Mapping[str, Any], now: datetime) -> CheckResult:
    entry = _entry(dcc, "r")
    start = _day(entry.get("df")) if entry else None
    end = _day(entry.get("du")) if entry else None
    if start is None or end is None:
        return "a recovery certificate with readable validity dates is required"
    return None if start <= now.date() <= end else f"the recovery is valid only from {start} to {end}"


# check name -> (function, required parameters with their types)
CHECKS: dict[str, tuple[CheckFunction, dict[str, type]]] = {
    "kind": (_kind, {"kinds": list}),
    "primary_series_complete": (_primary_series_complete, {}),
    "min_dose_number": (_min_dose_number, {"doses": int}),
    "days_since_last_dose": (_days_since_last_dose, {}),
    "booster_within": (_booster_within, {"days": int}),
    "medicinal_product": (_medicinal_product, {"products": list}),
    "test_negative_within_hours": (_test_negative_within_hours, {"hours": int}),
    "recovery_valid": (_recovery_valid, {}),
}
_OPTIONAL = {"days_since_last_dose": {"min": int, "max": int}}


def parse_rules(document: Any) -> RuleSet:
    """A RuleSet from the decoded JSON of a rule file; RulesError naming the first defect."""
    if not isinstance(document, Mapping):
        raise RulesError("The rule file must hold a JSON object.")
    levels_raw = document.get("levels")
    if not isinstance(levels_raw, list) or not levels_raw:
        raise RulesError("The rule file needs a non-empty list of levels.")
    levels = []
    for position, level in enumerate(levels_raw, 1):
        if not isinstance(level, Mapping) or not isinstance(level.get("verdict"), str):
            raise RulesError(f"Level {position} of the rule file needs a verdict text.")
        rules_raw = level.get("rules")
        if not isinstance(rules_raw, list) or not rules_raw:
            raise RulesError(f"Level {level['verdict']!r} needs a non-empty list of rules.")
        levels.append(
            Level(level["verdict"], tuple(_parse_rule(rule, level["verdict"]) for rule in rules_raw))
        )
    name = document.get("name", "rules")
    description = document.get("description", "")
    return RuleSet(str(name), tuple(levels), str(description))


def _parse_rule(rule: Any, verdict: str) -> Rule:
    if (
        not isinstance(rule, Mapping)
        or not isinstance(rule.get("id"), str)
        or not isinstance(rule.get("check"), str)
    ):
        raise RulesError(f"Every rule of level {verdict!r} needs an id and a check.")
    check = rule["check"]
    if check not in CHECKS:
        known = ", ".join(sorted(CHECKS))
        raise RulesError(f"Rule {rule['id']!r} uses the unknown check {check!r} (known: {known}).")
    params = {key: value for key, value in rule.items() if key not in ("id", "check")}
    required = CHECKS[check][1]
    allowed = {**required, **_OPTIONAL.get(check, {})}
    for key, value in params.items():
        expected = allowed.get(key)
        if expected is None:
            raise RulesError(f"Rule {rule['id']!r} has the unknown parameter {key!r}.")
        if isinstance(value, bool) or not isinstance(value, expected):
            raise RulesError(f"Rule {rule['id']!r}: parameter {key!r} must be a {expected.__name__}.")
    for key in required:
        if key not in params:
            raise RulesError(f"Rule {rule['id']!r} needs the parameter {key!r}.")
    return Rule(rule["id"], check, params)


def load_rules(path: str | Path) -> RuleSet:
    """Read and check a rule file."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as error:
        raise RulesError(f"The rule file could not be read ({error.strerror}).") from None
    if len(data) > MAX_RULE_FILE_BYTES:
        raise RulesError("The rule file is too large.")
    try:
        document = json.loads(data)
    except ValueError as error:
        raise RulesError(f"The rule file is not valid JSON ({error}).") from None
    return parse_rules(document)


def builtin(name: str = "vn") -> RuleSet:
    """A rule set shipped with the verifier; "vn" is Viet Nam's green/yellow card."""
    if name not in BUILTIN:
        raise RulesError(f"There is no built-in rule set {name!r}.")
    text = resources.files("verifier").joinpath("rulesets", BUILTIN[name]).read_text("utf-8")
    return parse_rules(json.loads(text))


def evaluate(rules: RuleSet, dcc: Mapping[str, Any], now: datetime) -> Decision:
    """The first level whose rules all pass, and the failed rule of each level above it."""
    failed: list[FailedRule] = []
    for level in rules.levels:
        failure = None
        for rule in level.rules:
            message = CHECKS[rule.check][0](dcc, rule.params, now)
            if message is not None:
                failure = FailedRule(level.verdict, rule.id, message)
                break
        if failure is None:
            return Decision(level.verdict, tuple(failed))
        failed.append(failure)
    return Decision(None, tuple(failed))
