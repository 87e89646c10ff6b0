"""Acceptance: is an authentic certificate good enough here today? The EU gateway's CertLogic rules decide.

Validity (pipeline.verify) says a certificate is authentic, unexpired and a DCC; acceptance applies a
country's business rules to it. Rules are in the EU gateway's rule format (`rule.json`: Identifier,
Type, Country, CertificateType, ValidFrom/ValidTo, Engine CERTLOGIC, Logic, Description in several
languages), so any country's published rules run unchanged. Each rule is passed, failed or open:
- passed: its Logic evaluates to true;
- failed: false, or its evaluation raised (counted as failed, as the EU tooling does);
- open: it evaluated to something that is neither true nor false, so it did not decide.

The data context is the EU one: {"payload": DCC, "external": {"validationClock", "valueSets",
"countryCode", "exp", "iat", "kid"}}. Viet Nam's green and yellow cards are two CertLogic rule sets
shipped in rulesets/VN/ (green: complete primary series; yellow: at least one dose).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from verifier import certlogic
from verifier.errors import VerificationError

MAX_RULE_FILE_BYTES = 1024 * 1024  # one country's rules are a few hundred KiB at most
MAX_TOTAL_RULE_BYTES = 16 * 1024 * 1024
MAX_RULES = 2000
MAX_VALUE_SET_BYTES = 4 * 1024 * 1024
CERTIFICATE_TYPES = {"General": "vtr", "Vaccination": "v", "Test": "t", "Recovery": "r"}
RULE_TYPES = ("Acceptance", "Invalidation")
DEFAULT_LANGUAGE = "en"
LEVELS = ("green", "yellow")  # Viet Nam's cards, best first
_VALUE_SET_USE = re.compile(r"external\.valueSets\.([A-Za-z0-9_-]+)")
_VERSION = re.compile(r"^\d+(\.\d+)*$")
_DATE_FIELD = {"v": "dt", "t": "sc", "r": "fr"}


class RulesError(VerificationError):
    """A rule file or value set cannot be used; `.reason` is one of the codes below."""

    reason = "rules"
    code = "acceptance_rules_unusable"


class RulesMalformedError(RulesError):
    """A rule file is not JSON, or not rules in the EU gateway format."""

    reason = "rules_malformed"
    code = "acceptance_rules_malformed"


class RulesTooLargeError(RulesError):
    """A rule file (or all of them together) is larger than any real rule set."""

    reason = "rules_too_large"
    code = "acceptance_rules_too_large"


class UnknownCountryError(RulesError):
    """No rules of the chosen country are loaded."""

    reason = "unknown_country"
    code = "acceptance_unknown_country"


class MissingValueSetError(RulesError):
    """A rule needs a value set that was not loaded."""

    reason = "missing_value_set"
    code = "acceptance_missing_value_set"


class ValueSetError(RulesError):
    """A value set file is unreadable or malformed."""

    reason = "value_set_malformed"
    code = "acceptance_value_set_malformed"


# ------------------------------------------------------------------ rules


@dataclass(frozen=True, slots=True)
class Rule:
    """One business rule in the EU gateway format, its Logic validated as CertLogic."""

    identifier: str
    rule_type: str
    country: str
    version: tuple[int, ...]
    certificate_type: str
    valid_from: datetime
    valid_to: datetime
    logic: Any
    descriptions: Mapping[str, str]
    affected_fields: tuple[str, ...] = ()
    value_sets: frozenset[str] = frozenset()

    def description(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The description in this language, else English, else the first given."""
        for wanted in (language, DEFAULT_LANGUAGE):
            if wanted in self.descriptions:
                return self.descriptions[wanted]
        return next(iter(self.descriptions.values()), self.identifier)

    def applies_to(self, kind: str) -> bool:
        """Whether the rule is about certificates of this kind (v, t, r)."""
        return kind in CERTIFICATE_TYPES[self.certificate_type]

    def valid_at(self, moment: datetime) -> bool:
        """Whether the rule is in force at this moment (ValidFrom to ValidTo)."""
        return self.valid_from <= moment <= self.valid_to


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Rules of one or more countries, as loaded; `for_country` picks those that apply."""

    rules: tuple[Rule, ...]
    source: str = ""

    @property
    def countries(self) -> list[str]:
        """The countries whose rules are loaded."""
        return sorted({rule.country for rule in self.rules})

    def for_country(self, country: str, moment: datetime, kind: str | None = None) -> list[Rule]:
        """The country's rules in force at `moment` (newest version of each), for this kind if given."""
        wanted = country.upper()
        if wanted not in self.countries:
            known = ", ".join(self.countries) or "none"
            raise UnknownCountryError(
                f"There are no rules for country {country!r} in {self.source or 'the rules given'} "
                f"(countries there: {known}); choose one of those or load that country's rules."
            )
        newest: dict[str, Rule] = {}
        for rule in self.rules:
            if rule.country != wanted or not rule.valid_at(moment):
                continue
            if kind is not None and not rule.applies_to(kind):
                continue
            held = newest.get(rule.identifier)
            if held is None or rule.version > held.version:
                newest[rule.identifier] = rule
        return sorted(newest.values(), key=lambda rule: rule.identifier)


def _time(value: Any, what: str, where: str) -> datetime:
    if not isinstance(value, str):
        raise RulesMalformedError(f"{where}: {what} must be an ISO 8601 date-time text.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RulesMalformedError(f"{where}: {what} {value[:40]!r} is not an ISO 8601 date-time.") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _value_sets_used(logic: Any) -> frozenset[str]:
    """The value sets a rule reads (from its `var` paths)."""
    return frozenset(_VALUE_SET_USE.findall(json.dumps(logic)))


def _canonical(value: Any, names: Sequence[str]) -> Any:
    """The spelling of `names` that `value` matches regardless of case ("acceptance" is Acceptance)."""
    if isinstance(value, str):
        for name in names:
            if value.lower() == name.lower():
                return name
    return value


def parse_rule(document: Any, where: str = "rule") -> Rule:
    """A Rule from one decoded rule.json; RulesError (with a reason code) naming the first defect."""
    if not isinstance(document, Mapping):
        raise RulesMalformedError(f"{where}: a rule must be a JSON object in the EU gateway format.")
    identifier = document.get("Identifier")
    if not isinstance(identifier, str) or not identifier:
        raise RulesMalformedError(f"{where}: the rule has no Identifier.")
    where = f"{where}: rule {identifier}"
    if document.get("Engine") != "CERTLOGIC":
        raise RulesMalformedError(
            f"{where} uses the engine {document.get('Engine')!r}; only CERTLOGIC is known."
        )
    rule_type = _canonical(document.get("Type"), RULE_TYPES)
    if rule_type not in RULE_TYPES:
        raise RulesMalformedError(
            f"{where} has the Type {rule_type!r}; it must be Acceptance or Invalidation."
        )
    country = document.get("Country")
    if not isinstance(country, str) or not re.fullmatch(r"[A-Za-z]{2}", country):
        raise RulesMalformedError(f"{where} has no two-letter Country.")
    certificate_type = _canonical(document.get("CertificateType"), tuple(CERTIFICATE_TYPES))
    if certificate_type not in CERTIFICATE_TYPES:
        raise RulesMalformedError(
            f"{where} has the CertificateType {certificate_type!r}; it must be one of {', '.join(CERTIFICATE_TYPES)}."
        )
    version_text = document.get("Version", "1.0.0")
    if not isinstance(version_text, str) or not _VERSION.match(version_text):
        raise RulesMalformedError(f"{where} has a Version that is not like 1.0.0.")
    descriptions_raw = document.get("Description", [])
    descriptions: dict[str, str] = {}
    if not isinstance(descriptions_raw, list):
        raise RulesMalformedError(f"{where}: Description must be a list of {{lang, desc}}.")
    for item in descriptions_raw:
        if (
            not isinstance(item, Mapping)
            or not isinstance(item.get("lang"), str)
            or not isinstance(item.get("desc"), str)
        ):
            raise RulesMalformedError(f"{where}: every Description needs a lang and a desc text.")
        descriptions.setdefault(item["lang"], item["desc"])
    affected = document.get("AffectedFields", [])
    if not isinstance(affected, list) or not all(isinstance(item, str) for item in affected):
        raise RulesMalformedError(f"{where}: AffectedFields must be a list of texts.")
    if "Logic" not in document:
        raise RulesMalformedError(f"{where} has no Logic.")
    logic = document["Logic"]
    try:
        certlogic.check(logic)
    except certlogic.CertLogicError as error:
        raise type(error)(f"{where}: {error}") from None
    return Rule(
        identifier=identifier,
        rule_type=rule_type,
        country=country.upper(),
        version=tuple(int(part) for part in version_text.split(".")),
        certificate_type=certificate_type,
        valid_from=_time(document.get("ValidFrom"), "ValidFrom", where),
        valid_to=_time(document.get("ValidTo"), "ValidTo", where),
        logic=logic,
        descriptions=descriptions,
        affected_fields=tuple(affected),
        value_sets=_value_sets_used(logic),
    )


def parse_rules(document: Any, where: str = "rules") -> list[Rule]:
    """Rules from one decoded file: a single rule object, or an array of them (the gateway's download)."""
    if isinstance(document, list):
        if len(document) > MAX_RULES:
            raise RulesTooLargeError(
                f"{where} holds more than {MAX_RULES} rules; no real rule set is that big."
            )
        return [parse_rule(item, f"{where} #{number}") for number, item in enumerate(document, 1)]
    return [parse_rule(document, where)]


def _read_json(path: Path, limit: int, what: str, error: type[RulesError]) -> Any:
    """Decoded JSON of a file of at most `limit` bytes; one-sentence errors otherwise."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as failure:
        raise error(f"The {what} {path} could not be read ({failure.strerror}).") from None
    if len(data) > limit:
        raise RulesTooLargeError(
            f"The {what} {path} is larger than {limit // 1024} KiB; it cannot be a real {what}."
        )
    try:
        return json.loads(data)
    except RecursionError:
        raise certlogic.TooDeepError(f"The {what} {path} nests too deeply to be a real {what}.") from None
    except ValueError as failure:
        raise error(f"The {what} {path} is not valid JSON ({failure}).") from None


def load_rules(path: str | Path) -> RuleSet:
    """Rules from a rule.json file, a file holding an array of rules, or a directory of such files.

    In a directory every *.json file counts except those under a `tests` folder (the EU repositories
    keep each rule's test cases beside it).
    """
    root = Path(path)
    if root.is_dir():
        files = sorted(file for file in root.rglob("*.json") if "tests" not in file.relative_to(root).parts)
        if not files:
            raise RulesMalformedError(f"The directory {root} holds no rule files (*.json).")
    else:
        files = [root]
    rules: list[Rule] = []
    total = 0
    for file in files:
        document = _read_json(file, MAX_RULE_FILE_BYTES, "rule file", RulesMalformedError)
        total += file.stat().st_size
        if total > MAX_TOTAL_RULE_BYTES:
            raise RulesTooLargeError(
                f"The rules in {root} add up to more than 16 MiB; load one country's rules."
            )
        rules.extend(parse_rules(document, str(file.relative_to(root) if root.is_dir() else file.name)))
        if len(rules) > MAX_RULES:
            raise RulesTooLargeError(f"{root} holds more than {MAX_RULES} rules; load one country's rules.")
    return RuleSet(tuple(rules), str(root))


@cache
def shipped_levels() -> tuple[tuple[str, RuleSet], ...]:
    """Viet Nam's card levels, best first: (level, its CertLogic rule set) shipped with the verifier."""
    levels = []
    for level in LEVELS:
        text = resources.files("verifier").joinpath("rulesets", "VN", f"{level}.json").read_text("utf-8")
        levels.append(
            (level, RuleSet(tuple(parse_rules(json.loads(text), f"VN/{level}.json")), f"VN/{level}"))
        )
    return tuple(levels)


# ------------------------------------------------------------------ value sets


def _value_set_document(document: Any, where: str) -> tuple[str, list[str]]:
    if not isinstance(document, Mapping):
        raise ValueSetError(f"The value set {where} is not a JSON object.")
    name = document.get("valueSetId")
    values = document.get("valueSetValues")
    if not isinstance(name, str) or not isinstance(values, Mapping):
        raise ValueSetError(f"The value set {where} has no valueSetId and valueSetValues.")
    return name, sorted(str(code) for code in values)


@cache
def shipped_value_sets() -> Mapping[str, list[str]]:
    """The EU value sets shipped with the verifier, by valueSetId (codes only)."""
    found: dict[str, list[str]] = {}
    for entry in resources.files("verifier").joinpath("valuesets").iterdir():
        if entry.name.endswith(".json"):
            name, codes = _value_set_document(json.loads(entry.read_text("utf-8")), entry.name)
            found[name] = codes
    return found


def load_value_sets(directory: str | Path) -> dict[str, list[str]]:
    """Value sets from a directory of EU value set files (valueSetId, valueSetValues)."""
    root = Path(directory)
    if not root.is_dir():
        raise ValueSetError(
            f"The value set directory {root} does not exist; give the folder of *.json value sets."
        )
    found: dict[str, list[str]] = {}
    for file in sorted(root.glob("*.json")):
        name, codes = _value_set_document(
            _read_json(file, MAX_VALUE_SET_BYTES, "value set", ValueSetError), file.name
        )
        found[name] = codes
    if not found:
        raise ValueSetError(f"The directory {root} holds no value sets (*.json with valueSetId).")
    return found


def require_value_sets(rules: Iterable[Rule], value_sets: Mapping[str, Any], source: str = "") -> None:
    """Every value set the rules read must be loaded: refused up front, not discovered per certificate."""
    for rule in rules:
        missing = sorted(rule.value_sets - set(value_sets))
        if missing:
            raise MissingValueSetError(
                f"Rule {rule.identifier} needs the value set {missing[0]!r}, which is not among the value sets "
                f"{source or 'loaded'}; give a --valuesets folder that has it."
            )


# ------------------------------------------------------------------ applying rules


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """One rule applied to one certificate."""

    rule: Rule
    status: str  # "passed", "failed" or "open"
    detail: str = ""  # why a rule failed by raising, or what an open rule returned
    raised: bool = False  # failed because its evaluation raised (reason code "rule_raised")

    @property
    def reason(self) -> str:
        """A stable code: rule_passed, rule_failed, rule_raised or rule_open."""
        return "rule_raised" if self.raised else f"rule_{self.status}"


@dataclass(frozen=True, slots=True)
class Acceptance:
    """Every applicable rule's outcome for one certificate in one country at one moment."""

    country: str
    outcomes: tuple[RuleOutcome, ...]
    entry_index: int = 0  # which entry of the group the rules looked at (0-based)
    entry_count: int = 1
    language: str = DEFAULT_LANGUAGE

    @property
    def accepted(self) -> bool:
        """Every rule passed."""
        return all(outcome.status == "passed" for outcome in self.outcomes)

    @property
    def failed(self) -> list[RuleOutcome]:
        """The rules that failed (raised or said false)."""
        return [outcome for outcome in self.outcomes if outcome.status == "failed"]

    @property
    def open(self) -> list[RuleOutcome]:
        """The rules that did not decide."""
        return [outcome for outcome in self.outcomes if outcome.status == "open"]

    def summary(self) -> str:
        """One line for the officer: accepted, or the first rule that kept the certificate out."""
        deciding = self.failed or self.open
        first = deciding[0] if deciding else None
        if first is None:
            return f"authentic — accepted ({len(self.outcomes)} rules of {self.country} passed)"
        word = "not accepted" if first.status == "failed" else "open"
        return f"authentic — {word}: rule {first.rule.identifier} ({first.rule.description(self.language)})"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def chosen_entry(dcc: Mapping[str, Any], kind: str) -> tuple[int, int]:
    """(index, count) of the entry the rules read: the most recent one when an issuer wrote several."""
    entries = dcc.get(kind)
    if not isinstance(entries, list) or len(entries) < 2:
        return 0, 1 if isinstance(entries, list) else 0
    date_field = _DATE_FIELD[kind]

    def recency(index: int) -> tuple[str, int]:
        entry = entries[index] if isinstance(entries[index], Mapping) else {}
        when = entry.get(date_field)
        dose = entry.get("dn")
        return (when if isinstance(when, str) else "", dose if isinstance(dose, int) else 0)

    return max(range(len(entries)), key=recency), len(entries)


def external(
    country: str,
    now: datetime,
    value_sets: Mapping[str, Any],
    issued_at: datetime | None = None,
    expires_at: datetime | None = None,
    kid: bytes | None = None,
) -> dict[str, Any]:
    """The "external" part of the EU data context."""
    return {
        "validationClock": _iso(now),
        "valueSets": value_sets,
        "countryCode": country.upper(),
        "exp": _iso(expires_at) if expires_at else None,
        "iat": _iso(issued_at) if issued_at else None,
        "kid": base64.b64encode(kid).decode("ascii") if kid else None,
    }


def apply_rules(
    rules: Sequence[Rule],
    dcc: Mapping[str, Any],
    kind: str,
    country: str,
    now: datetime,
    value_sets: Mapping[str, Any] | None = None,
    issued_at: datetime | None = None,
    expires_at: datetime | None = None,
    kid: bytes | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> Acceptance:
    """Apply rules already chosen (see RuleSet.for_country) to one DCC payload."""
    sets = shipped_value_sets() if value_sets is None else value_sets
    index, count = chosen_entry(dcc, kind)
    payload: Mapping[str, Any] = dcc
    if index:  # the rules read <group>.0: put the entry they should look at first
        entries = list(dcc[kind])
        payload = {**dcc, kind: [entries[index], *entries[:index], *entries[index + 1 :]]}
    data = {"payload": payload, "external": external(country, now, sets, issued_at, expires_at, kid)}
    outcomes = []
    for rule in rules:
        try:
            result = certlogic.run(rule.logic, data)
        except certlogic.CertLogicError as error:
            outcomes.append(
                RuleOutcome(rule, "failed", f"the rule could not be evaluated: {error}", raised=True)
            )
            continue
        if result is True:
            outcomes.append(RuleOutcome(rule, "passed"))
        elif result is False:
            outcomes.append(RuleOutcome(rule, "failed"))
        else:
            outcomes.append(
                RuleOutcome(rule, "open", f"the rule gave {str(result)[:40]!r}, not true or false")
            )
    return Acceptance(country.upper(), tuple(outcomes), index, count, language)


def accept(
    rule_set: RuleSet,
    dcc: Mapping[str, Any],
    kind: str,
    country: str,
    now: datetime,
    value_sets: Mapping[str, Any] | None = None,
    language: str = DEFAULT_LANGUAGE,
    **certificate: Any,
) -> Acceptance:
    """The country's rules in force at `now` applied to a DCC (issued_at, expires_at, kid may be given)."""
    sets = shipped_value_sets() if value_sets is None else value_sets
    rules = rule_set.for_country(country, now, kind)
    require_value_sets(rules, sets)
    return apply_rules(rules, dcc, kind, country, now, sets, language=language, **certificate)


@dataclass(frozen=True, slots=True)
class LevelDecision:
    """Viet Nam's card: the best level whose rules all pass (None if none), and each level's acceptance."""

    level: str | None
    levels: tuple[tuple[str, Acceptance], ...] = field(default=())

    def why_not(self, level: str) -> Acceptance | None:
        """The acceptance of a level the certificate did not reach."""
        return next((acceptance for name, acceptance in self.levels if name == level), None)


def assess_levels(
    dcc: Mapping[str, Any],
    kind: str,
    now: datetime,
    levels: Sequence[tuple[str, RuleSet]] | None = None,
    value_sets: Mapping[str, Any] | None = None,
    country: str = "VN",
    language: str = DEFAULT_LANGUAGE,
    **certificate: Any,
) -> LevelDecision:
    """Apply each level's rule set, best first; the certificate gets the first level it fully passes."""
    assessed = []
    for level, rule_set in levels or shipped_levels():
        acceptance = accept(rule_set, dcc, kind, country, now, value_sets, language, **certificate)
        assessed.append((level, acceptance))
        if acceptance.accepted:
            return LevelDecision(level, tuple(assessed))
    return LevelDecision(None, tuple(assessed))
