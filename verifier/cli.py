"""dcc-verify: check one health certificate offline and show staff only what they need.

Exit status: 0 valid (and accepted by the rules), 1 invalid or not accepted, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from verifier.errors import TrustListError, VerificationError
from verifier.pipeline import DEFAULT_CLOCK_SKEW, VerificationResult, verify
from verifier.trustlist import DEFAULT_GRACE, TrustList, newest_good

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
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
    parser.add_argument(
        "--rules", type=Path, help="acceptance rule file (JSON; default: Viet Nam green/yellow)"
    )
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.add_argument("--verbose", action="store_true", help="also show the certificate's other content")
    parser.add_argument("--image", type=Path, help="read the QR code from a PNG or JPEG picture")
    parser.add_argument("hc1", nargs="?", help="the HC1: text, or - to read it from standard input")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the dcc-verify console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.hc1 is None) == (args.image is None):
        parser.error("give the certificate as HC1 text, - for standard input, or --image FILE (exactly one)")
    now = _check_time(parser, args.at)
    trust, refused = _trust(parser, args, now)
    if not 0 <= args.clock_skew <= 24 * 60:
        parser.error("--clock-skew is a number of minutes from 0 to 1440")
    for line in refused:  # the newest good list is in use; say which downloads were not
        sys.stderr.write(f"dcc-verify: warning: list refused, {line}\n")
    rules = _rules(parser, args.rules)
    try:
        text = _certificate_text(args)
        result = verify(text, trust, now=now, clock_skew=timedelta(minutes=args.clock_skew))
    except VerificationError as error:
        _report_invalid(error, args.json)
        return EXIT_INVALID
    from verifier.rules import evaluate

    decision = evaluate(rules, result.dcc, now)
    _report_valid(result, decision, args.json, args.verbose)
    return EXIT_VALID if decision.accepted else EXIT_INVALID


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


def _rules(parser: argparse.ArgumentParser, path: Path | None) -> Any:
    from verifier.rules import builtin, load_rules

    try:
        return builtin("vn") if path is None else load_rules(path)
    except VerificationError as error:
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


def _report_invalid(error: VerificationError, as_json: bool) -> None:
    if as_json:
        _write(
            json.dumps({"valid": False, "reason": error.reason, "message": str(error)}, ensure_ascii=False)
        )
    else:
        _write(f"INVALID ({error.reason}): {error}")


def _report_valid(result: VerificationResult, decision: Any, as_json: bool, verbose: bool) -> None:
    native, standard = _names(result.dcc)
    failed = decision.failed_rule
    if as_json:
        outcome: dict[str, Any] = {
            "valid": True,
            "accepted": decision.accepted,
            "verdict": decision.verdict,
            "failed_rule": None
            if failed is None
            else {"rule": failed.rule, "level": failed.verdict, "message": failed.message},
            "name": native,
            "name_transliterated": standard,
            "date_of_birth": result.dcc.get("dob"),
            "warnings": list(result.warnings),
        }
        if verbose:
            outcome["details"] = _details(result)
        _write(json.dumps(outcome, ensure_ascii=False, default=str))
        return
    if decision.accepted:
        headline = f"VALID: {decision.verdict}"
        if failed is not None:
            headline += f" (not {failed.verdict}: rule {failed.rule}: {failed.message})"
    else:
        headline = f"NOT ACCEPTED: valid certificate, but rule {failed.rule} failed: {failed.message}"
    _write(headline)
    _write(f"Name: {native}" + (f" ({standard})" if standard else ""))
    _write(f"Date of birth: {result.dcc.get('dob', '')}")
    for warning in result.warnings:
        _write(f"Warning: {warning}")
    if verbose:
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
