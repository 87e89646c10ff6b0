"""Where one verification's time goes: every stage of the offline verifier, in microseconds.

1. Each stage of the staged path (`verifier.pipeline._verify`, which every refusal and every unusual
   certificate takes) timed alone in a tight loop, beside a bare ES256 check and the whole `verify`
   (whose common certificates take the one-frame path, `_verify_common`).
2. The same stages timed inside one verification after another (timestamps between stages): what they
   cost with OpenSSL's check in between, which evicts the interpreter's code and data from the CPU's
   caches (and the other way round); the sum is a whole staged verification.
3. Acceptance, after validity: the data context, picking a country's rules for the check time, the
   value sets they need, CertLogic evaluation, and Viet Nam's green/yellow card.

Realistic certificates: the benchmark's own (a Vietnamese vaccination DCC as `bench_verify.py` makes)
and every valid published test vector of tests/reference (several countries' issuers), whose median
per stage is shown too. CPU time of this process, best of several batches; the load average is printed
because other processes on a shared machine slow every row.

Run: .venv/bin/python benchmarks/bench_verify_stages.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_verify import NOW, make_certificate, make_hc1

from verifier import TrustList, acceptance, certlogic, cose, pipeline, verify
from verifier.base45 import b45decode

SKEW = pipeline.DEFAULT_CLOCK_SKEW
STAGES = (
    "freshness",
    "unprefix",
    "base45",
    "inflate",
    "COSE parse",
    "kid lookup",
    "signature (ES256 + Sig_structure, DER, SHA-256)",
    "claims (CBOR)",
    "iat/exp against the clock",
    "signer validity",
    "payload (all-JSON test)",
    "group",
    "key usage",
    "structure (compiled schema)",
    "result",
    "revocation",
)


def best_per_call(function: Callable[[], object], number: int, batches: int = 5) -> float:
    """Microseconds of CPU per call, best of several batches."""
    best = float("inf")
    for _ in range(batches):
        start = time.process_time()
        for _ in range(number):
            function()
        best = min(best, (time.process_time() - start) / number)
    return best * 1e6


class Certificate:
    """One HC1 text with its trust and check time, decoded once so each stage can be timed alone."""

    def __init__(self, text: str, trust: TrustList, now: datetime) -> None:
        self.text, self.trust, self.now = text, trust, now
        self.body = pipeline.unprefix(text)
        self.compressed = b45decode(self.body)
        self.cose = pipeline.inflate(self.compressed)
        self.message = cose.parse_sign1(self.cose)
        self.keys = pipeline.find_keys(self.message, trust)
        self.key = pipeline.check_signature(self.message, self.keys)
        self.claims = pipeline.decode_claims(self.message.payload)
        self.issued_at, self.expires_at = pipeline.check_validity(self.claims, now)
        self.dcc = pipeline.extract_dcc(self.claims, self.message.payload)
        self.kind = pipeline.certificate_kind(self.dcc)
        self.result = verify(text, trust, now)

    def alone(self) -> dict[str, Callable[[], object]]:
        """Each stage as the staged path calls it, on this certificate's own intermediate values."""
        c = self
        return {
            "freshness": lambda: c.trust.check_fresh(c.now) if c.trust.lists else (),
            "unprefix": lambda: pipeline.unprefix(c.text),
            "base45": lambda: b45decode(c.body),
            "inflate": lambda: pipeline.inflate(c.compressed),
            "COSE parse": lambda: cose.parse_sign1(c.cose),
            "kid lookup": lambda: pipeline.find_keys(c.message, c.trust),
            "signature (ES256 + Sig_structure, DER, SHA-256)": lambda: pipeline.check_signature(
                c.message, c.keys
            ),
            "claims (CBOR)": lambda: pipeline.decode_claims(c.message.payload),
            "iat/exp against the clock": lambda: pipeline.check_validity(c.claims, c.now, SKEW),
            "signer validity": lambda: pipeline.check_signer_validity(c.key, c.issued_at, c.now, SKEW),
            "payload (all-JSON test)": lambda: pipeline.extract_dcc(c.claims, c.message.payload),
            "group": lambda: pipeline.certificate_kind(c.dcc),
            "key usage": lambda: pipeline.check_key_usage(c.key, c.kind),
            "structure (compiled schema)": lambda: pipeline.check_schema(c.dcc, c.kind),
            "result": lambda: pipeline.VerificationResult(
                c.dcc, c.kind, c.key.kid, "VN", c.issued_at, c.expires_at, "1.3.3", ()
            ),
            "revocation": lambda: pipeline.check_revocation(c.result, c.trust),
        }

    def in_sequence(self, runs: int) -> dict[str, float]:
        """Median microseconds of each stage inside whole staged verifications, one after another."""
        clock = time.perf_counter
        spans: dict[str, list[float]] = {name: [] for name in STAGES}
        c = self
        for _ in range(runs):
            t = [clock()]
            warnings = c.trust.check_fresh(c.now) if c.trust.lists else ()
            t.append(clock())
            body = pipeline.unprefix(c.text)
            t.append(clock())
            compressed = b45decode(body)
            t.append(clock())
            data = pipeline.inflate(compressed)
            t.append(clock())
            message = cose.parse_sign1(data)
            t.append(clock())
            keys = pipeline.find_keys(message, c.trust)
            t.append(clock())
            key = pipeline.check_signature(message, keys)
            t.append(clock())
            claims = pipeline.decode_claims(message.payload)
            t.append(clock())
            issued_at, expires_at = pipeline.check_validity(claims, c.now, SKEW)
            t.append(clock())
            pipeline.check_signer_validity(key, issued_at, c.now, SKEW)
            t.append(clock())
            dcc = pipeline.extract_dcc(claims, message.payload)
            t.append(clock())
            kind = pipeline.certificate_kind(dcc)
            t.append(clock())
            pipeline.check_key_usage(key, kind)
            t.append(clock())
            release = pipeline.check_schema(dcc, kind)
            t.append(clock())
            result = pipeline.VerificationResult(
                dcc, kind, key.kid, claims.get(1), issued_at, expires_at, release, tuple(warnings)
            )
            t.append(clock())
            pipeline.check_revocation(result, c.trust)
            t.append(clock())
            for name, start, end in zip(STAGES, t[:-1], t[1:], strict=True):
                spans[name].append(end - start)
        return {name: statistics.median(values) * 1e6 for name, values in spans.items()}


def published_certificates() -> list[Certificate]:
    """Every published test vector that verifies (tests/reference), at its own check time."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.unit.verifier.vectors import all_cases

    found = []
    for case in all_cases():
        if "CERTIFICATE" not in case.context or "PREFIX" not in case.raw:
            continue
        try:
            trust = TrustList.from_certificates([case.certificate])
            found.append(Certificate(case.raw["PREFIX"], trust, case.clock))
        except Exception:  # refused (that is its expected result): not a verification to profile
            continue
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=3000, help="calls per batch for the stages alone")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    key, der = make_certificate()
    own = Certificate(make_hc1(key, der), TrustList.from_certificates([der]), NOW)
    public_key = x509.load_der_x509_certificate(der).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    signed = own.message.signed_bytes()
    raw = own.message.signature
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    algorithm = ec.ECDSA(hashes.SHA256())
    figures: dict[str, float] = {}

    print("1. each stage alone, tight loop (us per call)")
    bare = best_per_call(lambda: public_key.verify(signature, signed, algorithm), args.number // 10)
    whole = best_per_call(lambda: verify(own.text, own.trust, NOW), args.number // 10)
    staged = best_per_call(lambda: pipeline._verify(own.text, own.trust, NOW, SKEW), args.number // 10)
    # The floor for any Python verifier built on these libraries: only the four library calls no check
    # can do without (base45, zlib, cbor2, the compiled structure check) around the same bare check.
    structure = pipeline._newest_check()

    def floor() -> object:
        payload = cose.parse_sign1(pipeline.inflate(b45decode(own.body))).payload
        public_key.verify(signature, signed, algorithm)
        return structure(cose.loads(payload)[-260][1])

    floor_us = best_per_call(floor, args.number // 10)
    published = published_certificates()
    alone_own: dict[str, float] = {}
    alone_published: dict[str, float] = {}
    for name in STAGES:
        number = args.number // 10 if name.startswith("signature") else args.number
        alone_own[name] = best_per_call(own.alone()[name], number)
        alone_published[name] = statistics.median(
            best_per_call(certificate.alone()[name], max(1, number // 20), batches=3)
            for certificate in published
        )
    print(f"  {'stage':<50} {'VN bench':>9} {'published (median of ' + str(len(published)) + ')':>28}")
    for name in STAGES:
        print(f"  {name:<50} {alone_own[name]:9.2f} {alone_published[name]:28.2f}")
    without_signature = sum(v for k, v in alone_own.items() if not k.startswith("signature"))
    print(f"  {'sum of the stages but the signature':<50} {without_signature:9.2f}")
    print(f"  {'bare ES256 check (cryptography)':<50} {bare:9.2f}")
    print(f"  {'verify (common certificates: one frame)':<50} {whole:9.2f}   {whole / bare:.2f}x bare")
    print(f"  {'the staged path (refusals, unusual shapes)':<50} {staged:9.2f}   {staged / bare:.2f}x bare")
    print(
        f"  {'floor: base45, zlib, COSE split, cbor2, structure + bare':<50} {floor_us:9.2f}   {floor_us / bare:.2f}x bare"
    )
    figures.update(
        bare_us=bare, verify_us=whole, staged_us=staged, stages_alone_us=without_signature, floor_us=floor_us
    )

    print("2. the same stages inside whole staged verifications, one after another (median us)")
    own.in_sequence(500)  # warm up
    sequence = own.in_sequence(5000)
    for name in STAGES:
        print(
            f"  {name:<50} {sequence[name]:9.2f}   ({sequence[name] / max(alone_own[name], 1e-9):.1f}x alone)"
        )
    total = sum(sequence.values())
    print(f"  {'total (timestamps add ~0.1 us a stage)':<50} {total:9.2f}")
    figures.update(
        staged_in_sequence_us=total,
        signature_in_sequence_us=sequence["signature (ES256 + Sig_structure, DER, SHA-256)"],
    )

    print("3. acceptance after validity (us per call)")
    reference = Path(__file__).resolve().parents[1] / "tests" / "reference" / "vectors" / "business-rules"
    at_rules = acceptance.load_rules(reference / "AT")
    chosen = at_rules.for_country("AT", NOW)
    green = dict(acceptance.shipped_levels())["green"]
    green_rules = green.for_country("VN", NOW, "v")
    sets = acceptance.shipped_value_sets()
    extra: dict[str, Any] = {"issued_at": own.issued_at, "expires_at": own.expires_at, "kid": own.key.kid}
    context = {"payload": own.dcc, "external": acceptance.external("VN", NOW, sets, **extra)}
    rows: list[tuple[str, str, Callable[[], object]]] = [
        (
            "context_us",
            "data context (external: clock, iat, exp, kid)",
            lambda: acceptance.external("VN", NOW, sets, **extra),
        ),
        (
            "vn_rules_in_force_us",
            "VN green: rules in force at the check time",
            lambda: green.for_country("VN", NOW, "v"),
        ),
        (
            "vn_value_sets_us",
            "VN green: the value sets its rules need, present",
            lambda: acceptance.require_value_sets(green_rules, sets),
        ),
        (
            "vn_certlogic_us",
            f"VN green: CertLogic alone, {len(green_rules)} rules",
            lambda: [certlogic.run(rule.logic, context) for rule in green_rules],
        ),
        (
            "vn_apply_us",
            "VN green: apply_rules (outcomes, descriptions)",
            lambda: acceptance.apply_rules(green_rules, own.dcc, own.kind, "VN", NOW, sets, **extra),
        ),
        (
            "vn_card_us",
            "VN card: green, then yellow if need be",
            lambda: acceptance.assess_levels(own.dcc, own.kind, NOW, **extra),
        ),
        (
            "at_rules_in_force_us",
            "AT: rules in force at the check time",
            lambda: at_rules.for_country("AT", NOW),
        ),
        (
            "at_apply_us",
            f"AT: {len(chosen)} published rules (apply_rules)",
            lambda: acceptance.apply_rules(chosen, own.dcc, own.kind, "AT", NOW, sets, **extra),
        ),
    ]
    for key_name, label, function in rows:
        spent = best_per_call(function, max(1, args.number // 30))
        print(f"  {label:<50} {spent:9.1f}")
        figures[key_name] = spent
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end (other processes slow every row)"
    )
    figures["load_average"] = os.getloadavg()[0]
    print(json.dumps({name: round(value, 2) for name, value in figures.items()}))


if __name__ == "__main__":
    main()
