"""dcc-verify: check one health certificate offline and show staff only what they need.

Two questions, answered apart: is the certificate authentic and valid (validity), and do the chosen
country's CertLogic rules accept it today (acceptance)? An authentic certificate that a rule keeps
out is "authentic — not accepted: rule …", never "invalid".

Exit status: 0 valid and accepted; 1 invalid (not authentic, expired, malformed, revoked);
2 usage error or unusable rules/value sets/trust list; 3 authentic but not accepted (or a rule open).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from verifier import texts
from verifier.errors import TrustListError, VerificationError
from verifier.pipeline import DEFAULT_CLOCK_SKEW, VerificationResult, verify
from verifier.trustlist import DEFAULT_GRACE, TrustList, newest_good

EXIT_VALID, EXIT_INVALID, EXIT_USAGE, EXIT_NOT_ACCEPTED = 0, 1, 2, 3
MAX_INPUT_BYTES = 64 * 1024


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"dcc-verify: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The command line of dcc-verify."""
    parser = _Parser(
        prog="dcc-verify",
        description="Verify an EU DCC-format health certificate (HC1 QR code) offline.",
    )
    trust = parser.add_argument_group("trusted keys (one of)")
    trust.add_argument(
        "--trust-list",
        type=Path,
        action="append",
        default=[],
        help="signed trust list file (needs --anchor); repeatable: the newest good one is used",
    )
    trust.add_argument(
        "--anchor", type=Path, help="pinned CSCA certificate (PEM or DER) that signed the trust list"
    )
    trust.add_argument("--revocation-list", type=Path, help="signed revocation list file (with --trust-list)")
    trust.add_argument(
        "--grace-days",
        type=float,
        help=f"days a list may be past its next update (default {DEFAULT_GRACE.days})",
    )
    trust.add_argument(
        "--certificate",
        type=Path,
        action="append",
        default=[],
        help="signing certificate (PEM or DER); repeatable",
    )
    parser.add_argument("--at", help="check time, ISO 8601 (default: now)")
    parser.add_argument(
        "--clock-skew",
        type=float,
        default=DEFAULT_CLOCK_SKEW.total_seconds() / 60,
        help="minutes this device's clock may be off (default 5)",
    )
    rules = parser.add_argument_group("acceptance (CertLogic rules in the EU gateway format)")
    rules.add_argument(
        "--rules",
        type=Path,
        help="rule.json file, file of an array of rules, or directory of them (default: Viet Nam's green/yellow)",
    )
    rules.add_argument("--country", default="VN", help="whose rules to apply (default VN)")
    rules.add_argument(
        "--valuesets",
        type=Path,
        help="directory of EU value set files (default: those shipped with the verifier)",
    )
    rules.add_argument(
        "--language", default="en", help="language of rule descriptions, e.g. en, vi, de (default en)"
    )
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.add_argument("--verbose", action="store_true", help="also show the certificate's other content")
    parser.add_argument("--image", type=Path, help="read the QR code from a PNG or JPEG picture")
    parser.add_argument("hc1", nargs="?", help="the HC1: text, or - to read it from standard input")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the dcc-verify console script."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # inside the try: a pipe closed early fails here, not at interpreter exit
        return code
    except BrokenPipeError:
        # The reader went away (`dcc-verify … | head -1`): nothing left to say, and no traceback.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13  # as a shell reports a process ended by SIGPIPE


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.hc1 is None) == (args.image is None):
        parser.error("give the certificate as HC1 text, - for standard input, or --image FILE (exactly one)")
    now = _check_time(parser, args.at)
    if not 0 <= args.clock_skew <= 24 * 60:
        parser.error("--clock-skew is a number of minutes from 0 to 1440")
    trust, refused = _trust(parser, args, now)
    acceptance_rules = _acceptance_rules(parser, args, now)
    for line in refused:  # the newest good list is in use; say which downloads were not
        sys.stderr.write(f"dcc-verify: warning: list refused, {line}\n")
    try:
        text = _certificate_text(args)
        result = verify(text, trust, now=now, clock_skew=timedelta(minutes=args.clock_skew))
    except VerificationError as error:
        _report_invalid(error, args.json, args.language)
        return EXIT_INVALID
    outcome = _accept(acceptance_rules, result, args, now)
    _report_valid(result, outcome, args.json, args.verbose)
    return EXIT_VALID if outcome.accepted else EXIT_NOT_ACCEPTED


class _Rules:
    """What the command applies: Viet Nam's levels, or one country's rules, with the value sets."""

    def __init__(self, levels: Any, rule_set: Any, value_sets: Any, country: str, language: str) -> None:
        self.levels = levels
        self.rule_set = rule_set
        self.value_sets = value_sets
        self.country = country
        self.language = language


class _Outcome:
    """The acceptance outcome shown: a level (VN cards) or plain accepted / not accepted."""

    def __init__(self, acceptance: Any, level: str | None, levels: Any = None) -> None:
        self.acceptance = acceptance  # the acceptance that decided (the level reached, or the last tried)
        self.level = level
        self.levels = levels

    @property
    def accepted(self) -> bool:
        return bool(self.acceptance.accepted)


def _acceptance_rules(parser: argparse.ArgumentParser, args: argparse.Namespace, now: datetime) -> _Rules:
    """Load and check the rules and value sets before any certificate is read: bad input is a usage error."""
    from verifier import acceptance

    country = str(args.country).upper()
    try:
        value_sets = (
            acceptance.shipped_value_sets()
            if args.valuesets is None
            else acceptance.load_value_sets(args.valuesets)
        )
        if args.rules is None:
            if country != "VN":
                raise acceptance.UnknownCountryError(
                    f"The verifier ships only Viet Nam's rules (VN), not {country}'s; "
                    f"give that country's rules with --rules."
                )
            levels = acceptance.shipped_levels()
            for _level, rule_set in levels:
                acceptance.require_value_sets(rule_set.for_country(country, now), value_sets, _source(args))
            return _Rules(levels, None, value_sets, country, args.language)
        rule_set = acceptance.load_rules(args.rules)
        acceptance.require_value_sets(rule_set.for_country(country, now), value_sets, _source(args))
        return _Rules(None, rule_set, value_sets, country, args.language)
    except VerificationError as error:
        parser.error(f"{error} [{error.reason}]")


def _source(args: argparse.Namespace) -> str:
    return f"in {args.valuesets}" if args.valuesets is not None else "shipped with the verifier"


def _accept(rules: _Rules, result: VerificationResult, args: argparse.Namespace, now: datetime) -> _Outcome:
    from verifier import acceptance

    certificate = {"issued_at": result.issued_at, "expires_at": result.expires_at, "kid": result.kid}
    if rules.levels is not None:
        decision = acceptance.assess_levels(
            result.dcc,
            result.kind,
            now,
            rules.levels,
            rules.value_sets,
            rules.country,
            rules.language,
            **certificate,
        )
        return _Outcome(decision.levels[-1][1], decision.level, decision.levels)
    decided = acceptance.accept(
        rules.rule_set,
        result.dcc,
        result.kind,
        rules.country,
        now,
        rules.value_sets,
        rules.language,
        **certificate,
    )
    return _Outcome(decided, None)


def _check_time(parser: argparse.ArgumentParser, at: str | None) -> datetime:
    if at is None:
        return datetime.now(UTC)  # the command line is the edge: here the clock may be read
    from verifier.timeparse import parse_instant

    try:
        return parse_instant(at)
    except ValueError:
        parser.error(f"--at {at!r} is not an ISO 8601 time (e.g. 2021-06-01T12:00:00Z)")


def _read_certificate_file(parser: argparse.ArgumentParser, path: Path, option: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as error:
        parser.error(f"{option} {path}: {error.strerror}")
    if data.lstrip().startswith(b"-----BEGIN"):
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        try:
            return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
        except ValueError:
            parser.error(f"{option} {path}: not a PEM certificate")
    return data


def _trust(
    parser: argparse.ArgumentParser, args: argparse.Namespace, now: datetime
) -> tuple[TrustList, list[str]]:
    if args.trust_list and args.certificate:
        parser.error("use either --trust-list with --anchor, or --certificate, not both")
    try:
        if args.trust_list:
            if not args.anchor:
                parser.error("--trust-list needs --anchor (the pinned CSCA certificate)")
            anchor = _read_certificate_file(parser, args.anchor, "--anchor")
            grace = DEFAULT_GRACE if args.grace_days is None else timedelta(days=args.grace_days)
            return newest_good(args.trust_list, anchor, now, args.revocation_list, grace)
        if args.anchor or args.revocation_list:
            parser.error("--anchor and --revocation-list go with --trust-list")
        if not args.certificate:
            parser.error("give the trusted keys: --trust-list FILE --anchor CERT, or --certificate FILE")
        ders = [_read_certificate_file(parser, path, "--certificate") for path in args.certificate]
        return TrustList.from_certificates(ders), []
    except TrustListError as error:
        parser.error(str(error))


def _certificate_text(args: argparse.Namespace) -> str:
    if args.image is not None:
        from verifier.picture import read_qr

        return read_qr(args.image)
    if args.hc1 == "-":
        return sys.stdin.buffer.read(MAX_INPUT_BYTES).decode("utf-8", errors="replace")
    text: str = args.hc1
    return text


def _names(dcc: dict[str, Any]) -> tuple[str, str]:
    """(native, transliterated) full names: family name first, as on the certificate."""
    nam = dcc.get("nam") if isinstance(dcc.get("nam"), dict) else {}
    assert isinstance(nam, dict)
    native = " ".join(str(nam[key]) for key in ("fn", "gn") if nam.get(key))
    standard = " ".join(str(nam[key]) for key in ("fnt", "gnt") if nam.get(key))
    return native, standard


def _write(text: str) -> None:
    sys.stdout.write(text + "\n")


def _report_invalid(error: VerificationError, as_json: bool, language: str = "en") -> None:
    if as_json:
        _write(
            json.dumps({"valid": False, "reason": error.reason, "message": str(error)}, ensure_ascii=False)
        )
    else:
        _write(texts.invalid(error.reason, str(error), language))


def _summary(acceptance: Any, language: str) -> str:
    """acceptance.summary() in the output's language: accepted, or the first rule that kept it out."""
    deciding = acceptance.failed or acceptance.open
    if not deciding:
        return texts.accepted_all(len(acceptance.outcomes), acceptance.country, language)
    first = deciding[0]
    return texts.kept_out(
        first.status, first.rule.identifier, first.rule.description(acceptance.language), language
    )


def _headline(outcome: _Outcome, language: str = "en") -> str:
    acceptance = outcome.acceptance
    if not outcome.accepted:
        return _summary(acceptance, language)  # "authentic — not accepted: rule … (…)"
    if outcome.level is None:
        return texts.valid_summary(_summary(acceptance, language), language)
    headline = texts.valid_level(outcome.level, acceptance.country, language)
    if outcome.levels and len(outcome.levels) > 1:
        missed = outcome.levels[0][1]
        reason = (missed.failed or missed.open)[0]
        headline += texts.not_level(
            outcome.levels[0][0],
            reason.rule.identifier,
            reason.rule.description(acceptance.language),
            language,
        )
    return headline


def _rule_lines(outcome: _Outcome) -> list[dict[str, Any]]:
    acceptance = outcome.acceptance
    return [
        {
            "rule": item.rule.identifier,
            "status": item.status,
            "reason": item.reason,
            "description": item.rule.description(acceptance.language),
            **({"detail": item.detail} if item.detail else {}),
        }
        for item in acceptance.outcomes
    ]


def _report_valid(result: VerificationResult, outcome: _Outcome, as_json: bool, verbose: bool) -> None:
    native, standard = _names(result.dcc)
    acceptance = outcome.acceptance
    if as_json:
        # why not accepted, or (a lower card) why not the best card
        deciding = acceptance if not outcome.accepted or not outcome.levels else outcome.levels[0][1]
        reasons = deciding.failed or deciding.open
        first = reasons[0] if reasons else None
        report: dict[str, Any] = {
            "valid": True,
            "authentic": True,
            "accepted": outcome.accepted,
            "verdict": outcome.level if outcome.accepted else None,
            "summary": _headline(outcome),
            "country": acceptance.country,
            "failed_rule": None
            if first is None
            else {
                "rule": first.rule.identifier,
                "status": first.status,
                "description": first.rule.description(acceptance.language),
            },
            "entry": {"index": acceptance.entry_index, "count": acceptance.entry_count},
            "name": native,
            "name_transliterated": standard,
            "date_of_birth": result.dcc.get("dob"),
            "warnings": list(result.warnings),
        }
        if verbose:
            report["rules"] = _rule_lines(outcome)
            report["details"] = _details(result)
        _write(json.dumps(report, ensure_ascii=False, default=str))
        return
    language = acceptance.language
    _write(_headline(outcome, language))
    _write(texts.name_line(native, standard, language))
    _write(texts.birth_line(str(result.dcc.get("dob", "")), language))
    if acceptance.entry_count > 1:
        _write(texts.entry_line(acceptance.entry_index + 1, acceptance.entry_count, language))
    for warning in result.warnings:
        _write(texts.warning_line(warning, language))
    if verbose:
        for line in _rule_lines(outcome):
            detail = f" — {line['detail']}" if "detail" in line else ""
            _write(texts.rule_line(line["rule"], line["status"], line["description"], detail, language))
        for key, value in _details(result).items():
            _write(
                f"{key}: {json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value}"
            )


def _details(result: VerificationResult) -> dict[str, Any]:
    """Everything else the certificate says, shown only with --verbose (data minimisation)."""
    return {
        "kind": result.kind,
        "issuer": result.issuer,
        "kid": result.kid.hex(),
        "issued_at": result.issued_at.isoformat(),
        "expires_at": result.expires_at.isoformat(),
        "schema_version": result.schema_version,
        "certificate_id": result.certificate_id,
        "entry": result.dcc.get(result.kind),
    }


if __name__ == "__main__":
    sys.exit(main())
