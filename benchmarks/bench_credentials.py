"""Benchmark of certificate issuing, per core, against a bare ES256 signature measured in the same run.

Rows (certificates per second of CPU time in this one process):
- bare ES256 sign: cryptography's ECDSA P-256 / SHA-256 over a Sig_structure of the real size (baseline);
- HC1: credentials.issue without the verifier read-back (payload, schema and value sets, CWT, COSE_Sign1,
  zlib, base45), target within 3x of the bare signature;
- HC1 + self-check: as issued for real, the verifier reads every certificate back;
- HC1 + self-check + QR PNG: what a citizen downloads, target >= 150 per second per core;
- HC1 + QR PNG as a re-issue makes them (the verifier reads back 1 in 50, READ_BACK_EVERY): the
  credentials' part of a re-issue, target <= 400 us so that the whole re-issue can reach 1,000 per
  second per core (issue 14);
- segno's own make + PNG of the same HC1 (the library default, for comparison), fewer repetitions.

Measured as CPU time of this process (time.process_time) in interleaved rounds, best round kept, so
other load on the machine hits every row alike and counts as little as possible. Every certificate
is for a different name, so nothing is cached between iterations.

Run: .venv/bin/python benchmarks/bench_credentials.py [--rounds N] [--repeat N]
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import segno
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from credentials import DoseRecord, VaccinationRecord, issue
from credentials.cose import cwt_claims, sign1
from credentials.hc1 import encode_hc1
from credentials.payload import build_payload
from credentials.qr import png_bytes, qr_matrices, qr_matrix
from credentials.schema import validate_dcc
from credentials.selfcheck import check_with_verifier
from credentials.uvci import new_uvci
from keys.signing import generate_test_pki

NOW = datetime(2022, 1, 15, 8, 0, tzinfo=UTC)
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
GIVEN = [
    "Thị Ánh",
    "Văn Đức",
    "Thị Thu Hương",
    "Quỳnh Anh",
    "Hoàng Bảo Ngọc",
    "Thị Mỹ Lợi",
    "Ngọc Ẩn",
    "Minh Khôi",
]
DOSES = (
    DoseRecord("EU/1/21/1529", "ORG-100001699", "29061000087103", date(2021, 8, 1)),
    DoseRecord("EU/1/20/1528", "ORG-100030215", "1119349007", date(2021, 10, 1)),
)


def records() -> list[VaccinationRecord]:
    """96 different people, two doses each."""
    return [
        VaccinationRecord(family, given, f"19{60 + i % 40}-0{1 + i % 9}-1{i % 10}", DOSES)
        for i, (family, given) in enumerate(itertools.product(FAMILY, GIVEN))
    ]


def best_rate(rounds: list[list[float]], per_round: int) -> float:
    """Operations per CPU second in the best round."""
    return per_round / min(sum(r) for r in rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (best kept)")
    parser.add_argument("--repeat", type=int, default=96, help="certificates per row per round")
    args = parser.parse_args()

    pki = generate_test_pki(NOW - timedelta(days=1))
    signer = pki.document_signer
    people = records()
    key = ec.generate_private_key(ec.SECP256R1())
    sample = issue(people[0], signer, now=NOW)
    sig_structure = os.urandom(len(sample.hc1) * 2 // 3)  # about the size of a real Sig_structure

    def bare_sign(i: int) -> None:
        key.sign(sig_structure, ec.ECDSA(hashes.SHA256()))

    def hc1_only(i: int) -> None:
        issue(people[i % len(people)], signer, now=NOW, self_check=False)

    def hc1_checked(i: int) -> None:
        issue(people[i % len(people)], signer, now=NOW)

    def hc1_png(i: int) -> None:
        certificate = issue(people[i % len(people)], signer, now=NOW)
        png_bytes(qr_matrix(certificate.hc1))

    def reissue_credentials(i: int) -> None:
        certificate = issue(people[i % len(people)], signer, now=NOW, self_check=i % 50 == 0)
        png_bytes(qr_matrix(certificate.hc1))

    def segno_png(i: int) -> None:
        out = io.BytesIO()
        segno.make(sample.hc1, mode="alphanumeric", error="q", boost_error=False, micro=False).save(
            out, kind="png", scale=4
        )

    rows: list[tuple[str, Callable[[int], None], int]] = [
        ("bare ES256 sign (cryptography)", bare_sign, args.repeat),
        ("HC1 (no verifier read-back)", hc1_only, args.repeat),
        ("HC1 + verifier self-check", hc1_checked, args.repeat),
        ("HC1 + self-check + QR PNG", hc1_png, args.repeat),
        ("HC1 + QR PNG, read-back 1 in 50", reissue_credentials, args.repeat),
        ("segno make + PNG (library default)", segno_png, max(3, args.repeat // 16)),
    ]
    timings: dict[str, list[list[float]]] = {name: [] for name, _, _ in rows}
    for _ in range(args.rounds):
        for name, work, count in rows:
            spent = []
            for i in range(count):
                start = time.process_time()
                work(i)
                spent.append(time.process_time() - start)
            timings[name].append(spent)

    rates = {name: best_rate(timings[name], count) for name, _, count in rows}
    baseline = rates["bare ES256 sign (cryptography)"]
    matrix = qr_matrix(sample.hc1)
    load = os.getloadavg()[0]
    print(
        f"{os.cpu_count()} CPUs, load average {load:.1f} during the run (other processes inflate every row)"
    )
    print(
        f"HC1 length {len(sample.hc1)} characters, QR version {matrix.version} ({matrix.size} modules), mask {matrix.mask}"
    )
    print(f"{'':38s} {'per second':>12s} {'ms each':>9s} {'x bare sign time':>17s}")
    for name, _, _ in rows:
        rate = rates[name]
        print(f"{name:38s} {rate:12.0f} {1000 / rate:9.3f} {baseline / rate:17.1f}")
    hc1_ratio = baseline / rates["HC1 (no verifier read-back)"]
    png_rate = rates["HC1 + self-check + QR PNG"]
    print(
        f"aim: HC1 within 3x of the bare signature: {hc1_ratio:.1f}x -> {'met' if hc1_ratio <= 3 else 'NOT met'}"
    )
    print(
        f"aim: HC1 + PNG >= 150 per second per core: {png_rate:.0f} -> {'met' if png_rate >= 150 else 'NOT met'}"
    )
    reissue_us = 1e6 / rates["HC1 + QR PNG, read-back 1 in 50"]
    print(
        f"aim: a re-issue's credentials (HC1 + QR PNG, read-back 1 in 50) <= 400 us: {reissue_us:.0f} us"
        f" ({baseline / rates['HC1 + QR PNG, read-back 1 in 50']:.1f}x the bare signature) -> "
        f"{'met' if reissue_us <= 400 else 'NOT met'}"
    )
    stages(people, signer, args.rounds, args.repeat)
    one, together = batch_rows(people, signer, args.rounds, args.repeat)
    from figures import emit  # benchmarks/figures.py: the line run_all.py reads

    emit(
        {
            "bare_sign_per_s": baseline,
            "hc1_per_s": rates["HC1 (no verifier read-back)"],
            "hc1_checked_per_s": rates["HC1 + verifier self-check"],
            "hc1_png_per_s": png_rate,
            "segno_png_per_s": rates["segno make + PNG (library default)"],
            "hc1_ratio": hc1_ratio,
            "reissue_credentials_us": reissue_us,
            "qr_one_at_a_time_us": one,
            "qr_together_us": together,
        }
    )
    print(
        f"speed-up of the QR PNG over segno's default: {rates['HC1 + self-check + QR PNG'] / rates['segno make + PNG (library default)']:.1f}x"
    )


def stages(people: list[VaccinationRecord], signer: object, rounds: int, repeat: int) -> None:
    """Where the time of one certificate goes: CPU microseconds per stage, best round."""
    names = ["UVCI", "payload", "schema + value sets", "CWT claims (CBOR)", "COSE_Sign1 + signature",
             "zlib + base45", "verifier read-back", "QR matrix", "PNG"]  # fmt: skip
    best = [float("inf")] * len(names)
    today = NOW.date()
    for _ in range(rounds):
        spent = [0.0] * len(names)
        for i in range(repeat):
            marks = [time.process_time()]
            uvci = new_uvci(os.urandom)
            marks.append(time.process_time())
            dcc, _ = build_payload(people[i % len(people)], uvci, today)
            marks.append(time.process_time())
            validate_dcc(dcc)
            marks.append(time.process_time())
            claims = cwt_claims(dcc, "VN", NOW, NOW + timedelta(days=365))
            marks.append(time.process_time())
            message = sign1(claims, signer)  # type: ignore[arg-type]
            marks.append(time.process_time())
            hc1 = encode_hc1(message)
            marks.append(time.process_time())
            check_with_verifier(hc1, signer.certificate_der, NOW, dcc)  # type: ignore[attr-defined]
            marks.append(time.process_time())
            matrix = qr_matrix(hc1)
            marks.append(time.process_time())
            png_bytes(matrix)
            marks.append(time.process_time())
            for k in range(len(names)):
                spent[k] += marks[k + 1] - marks[k]
        best = [min(b, s / repeat * 1e6) for b, s in zip(best, spent, strict=True)]
    print("where the time goes (CPU microseconds per certificate, best round):")
    for name, micros in zip(names, best, strict=True):
        print(f"  {name:28s} {micros:8.0f}")


def batch_rows(
    people: list[VaccinationRecord], signer: object, rounds: int, repeat: int
) -> tuple[float, float]:
    """A re-issue's order: the batch's HC1s first, then their QR symbols, one at a time (`qr_matrix`) or
    all together (`qr_matrices`, as the re-issue draws them); CPU microseconds a symbol, best round,
    the two interleaved. Returns (one at a time, together)."""
    texts = [issue(people[i % len(people)], signer, now=NOW, self_check=False).hc1 for i in range(repeat)]
    assert qr_matrices(texts) == [qr_matrix(text) for text in texts]
    best = {"one": float("inf"), "together": float("inf")}
    for _ in range(rounds):
        for name, draw in (
            ("one", lambda: [qr_matrix(text) for text in texts]),
            ("together", lambda: qr_matrices(texts)),
        ):
            start = time.process_time()
            draw()
            best[name] = min(best[name], (time.process_time() - start) / len(texts) * 1e6)
    print(
        f"QR symbols of {len(texts)} HC1s: one at a time {best['one']:.0f} us each, together"
        f" (qr_matrices) {best['together']:.0f} us each ({best['one'] / best['together']:.2f}x),"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    return best["one"], best["together"]


if __name__ == "__main__":
    main()
