"""The project's speed goals, each judged from the figures one `make bench` run collected.

`run_all.py` runs the scripts and stores their figures (`benchmarks/figures.py`) in a JSON file; this
module turns those figures into the table: one row per goal, with the measure, the baseline measured in
the same run, the goal, and whether it was met. `render_table.py` renders the same rows as markdown for
docs/performance.md and the README, so the table can be regenerated from any results file.

A goal whose figures are missing (its script failed, timed out or was not run) is shown as such: a row is
never filled in from an older run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Figures = dict[str, dict[str, Any]]  # run name -> figures of that run


@dataclass(frozen=True)
class Row:
    area: str
    what: str
    measured: str
    baseline: str
    goal: str
    met: str  # "met", "not met", "partly", "reported", "not measured"
    issue: str


def n(value: float | None, digits: int = 0) -> str:
    """A figure as people read it: thousands separated, `digits` decimals."""
    if value is None:
        return "?"
    return f"{value:,.{digits}f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "not met"


def both(*oks: bool) -> str:
    if all(oks):
        return "met"
    return "partly" if any(oks) else "not met"


@dataclass(frozen=True)
class Goal:
    """One row: `judge` reads the runs' figures and returns (measured, baseline, met), or None when the
    figures it needs are missing."""

    area: str
    what: str
    goal: str
    issue: str
    runs: tuple[str, ...]
    judge: Callable[[Figures], tuple[str, str, str] | None]
    absent: str = "not measured by this run"  # what the row says when the judge finds nothing

    def row(self, figures: Figures) -> Row:
        try:
            judged = self.judge(figures)
        except (KeyError, TypeError, ZeroDivisionError, ValueError):
            judged = None
        if judged is None:
            missing = ", ".join(r for r in self.runs if not figures.get(r))
            why = f"not measured (no figures from {missing})" if missing else self.absent
            return Row(self.area, self.what, "—", "—", self.goal, why, self.issue)
        measured, baseline, met = judged
        return Row(self.area, self.what, measured, baseline, self.goal, met, self.issue)


# ---- the judges ---------------------------------------------------------------------------------


def ingest(store: str, floor: float | None) -> Callable[[Figures], tuple[str, str, str]]:
    def judge(f: Figures) -> tuple[str, str, str]:
        g = f["ledger"]
        doses, es, raw = (g[f"{store}_record_doses_per_s"], g[f"{store}_es_save_per_s"],
                          g[f"{store}_raw_insert_per_s"])  # fmt: skip
        ratio = doses / es
        copy = f", COPY {n(g[f'{store}_raw_copy_per_s'])}/s" if f"{store}_raw_copy_per_s" in g else ""
        baseline = f"library's batched save {n(es)} events/s ({ratio:.2f}×); raw INSERT {n(raw)} rows/s{copy}"
        met = verdict(ratio >= 0.5) if floor is None else both(ratio >= 0.5, doses >= floor)
        return f"{n(doses)} doses/s ({doses / raw:.2f}× raw INSERT)", baseline, met

    return judge


def single_dose(f: Figures) -> tuple[str, str, str]:
    g = f["ledger"]
    p50, p99 = g["sqlite_record_dose_p50_ms"], g["sqlite_record_dose_p99_ms"]
    return (
        f"p50 {n(p50, 1)} / p99 {n(p99, 1)} ms",
        f"library's one-event save p50 {n(g['sqlite_es_save_p50_ms'], 1)} / p99 {n(g['sqlite_es_save_p99_ms'], 1)} ms",
        verdict(p99 <= 10),
    )


def leaves_cost(f: Figures) -> tuple[str, str, str]:
    g = f["ledger"]
    parts, oks = [], []
    for store, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        if f"{store}_leaves_cost_wall" in g:
            wall, cpu = g[f"{store}_leaves_cost_wall"], g[f"{store}_leaves_cost_cpu"]
            parts.append(f"{label} {wall:+.1%} wall, {cpu:+.1%} CPU")
            oks.append(min(wall, cpu) <= 0.10)
    if not parts:
        raise KeyError("leaves")
    return "; ".join(parts), "the library's plain recorder, alternating batches", both(*oks)


def large_log(f: Figures) -> tuple[str, str, str] | None:
    g = f["ledger"]
    if "sqlite_large_log_ratio" not in g and "postgres_large_log_ratio" not in g:
        return None
    parts, oks = [], []
    for store, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        if f"{store}_large_log_ratio" in g:
            parts.append(f"{label} {g[f'{store}_large_log_ratio']:.2f}")
            oks.append(g[f"{store}_large_log_ratio"] >= 0.9)
    es = ", ".join(
        f"{s} {g[f'{s}_large_log_es_ratio']:.2f}"
        for s in ("sqlite", "postgres")
        if f"{s}_large_log_es_ratio" in g
    )
    return "; ".join(parts), f"the library's save, same ratio: {es}", both(*oks)


def catch_up(store: str, floor: float | None) -> Callable[[Figures], tuple[str, str, str]]:
    def judge(f: Figures) -> tuple[str, str, str]:
        g = f["projections"]
        base = g[f"{store}_read_decode_per_s"]
        low, high = g[f"{store}_view_min_per_s"], g[f"{store}_view_max_per_s"]
        measured = f"{n(low)}–{n(high)} events/s per view ({low / base:.0%}–{high / base:.0%})"
        met = verdict(low / base >= 0.25) if floor is None else both(low / base >= 0.25, low >= floor)
        return measured, f"read + decode of the same log {n(base)} events/s", met

    return judge


def one_pass(f: Figures) -> tuple[str, str, str]:
    g = f["projections"]
    parts, oks = [], []
    for store, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        if f"{store}_one_pass_per_s" in g:
            share = g[f"{store}_one_pass_per_s"] / g[f"{store}_read_decode_per_s"]
            views = f" ({n(g[f'{store}_views'])} views)" if f"{store}_views" in g else ""
            parts.append(f"{label} {n(g[f'{store}_one_pass_per_s'])} events/s = {share:.0%}{views}")
            oks.append(share >= 0.5)
    bases = "; ".join(
        f"{label} {n(g[f'{s}_read_decode_per_s'])}/s"
        for s, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL"))
        if f"{s}_read_decode_per_s" in g
    )
    return "; ".join(parts), f"read + decode: {bases}", both(*oks)


def live_lag(f: Figures) -> tuple[str, str, str]:
    g = f["projections"]
    parts = [
        f"{label} {n(g[f'{s}_live_lag_p99_ms'])} ms"
        + (
            f" (two followers {n(g[f'{s}_live_lag_split_p99_ms'])} ms)"
            if f"{s}_live_lag_split_p99_ms" in g
            else ""
        )
        for s, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL"))
        if f"{s}_live_lag_p99_ms" in g
    ]
    worst = max(g[f"{s}_live_lag_p99_ms"] for s in ("sqlite", "postgres") if f"{s}_live_lag_p99_ms" in g)
    rate = g.get("sqlite_live_rate") or g.get("postgres_live_rate")
    return "; ".join(parts), f"a writer at ~{n(rate)} events/s", verdict(worst <= 1000)


def memory(f: Figures) -> tuple[str, str, str] | None:
    g = f["projections"]
    if "sqlite_rss_large_mb" not in g:
        return None
    small, large = g["sqlite_rss_small_mb"], g["sqlite_rss_large_mb"]
    return (
        f"{n(small)} MB → {n(large)} MB (SQLite)",
        "the same process at the small log",
        verdict(large <= small * 1.6),
    )


def audit_verify(f: Figures) -> tuple[str, str, str]:
    parts, bases, oks = [], [], []
    for run in ("audit_1m", "audit"):
        g = f.get(run) or {}
        for s, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
            if f"{s}_verify_per_s" in g and not any(p.startswith(label) for p in parts):
                share = g[f"{s}_verify_per_s"] / g[f"{s}_raw_read_per_s"]
                parts.append(
                    f"{label} {n(g[f'{s}_verify_per_s'])} events/s = {share:.0%} ({n(g[f'{s}_events'])} events)"
                )
                bases.append(f"{label} {n(g[f'{s}_raw_read_per_s'])} rows/s")
                oks.append(share >= 0.6)
    if not parts:
        raise KeyError("audit")
    return "; ".join(parts), "raw read: " + "; ".join(bases), both(*oks)


def proofs(f: Figures) -> tuple[str, str, str]:
    parts, oks, before = [], [], []
    for run in ("audit_1m", "audit"):
        g = f.get(run) or {}
        for s, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
            if f"{s}_inclusion_median_ms" in g and not any(p.startswith(label) for p in parts):
                median, p99 = g[f"{s}_inclusion_median_ms"], g[f"{s}_inclusion_p99_ms"]
                parts.append(
                    f"{label} at {n(g[f'{s}_events'])} events: median {n(median, 2)} ms, p99 {n(p99, 1)} ms"
                )
                oks.append(median <= 5)
                if f"{s}_inclusion_by_blocks_median_ms" in g:  # the path before the one statement, same run
                    before.append(f"{label} {n(g[f'{s}_inclusion_by_blocks_median_ms'], 2)} ms")
    if not parts:
        raise KeyError("proofs")
    baseline = (
        "read block by block (before), median: " + "; ".join(before) if before else "(the goal is absolute)"
    )
    return "; ".join(parts), baseline, both(*oks) + " (median)"


def hc1(f: Figures) -> tuple[str, str, str]:
    g = f["credentials"]
    return (
        f"{n(g['hc1_per_s'])}/s per core ({g['hc1_ratio']:.1f}× the sign's time)",
        f"bare ES256 sign {n(g['bare_sign_per_s'])}/s",
        verdict(g["hc1_ratio"] <= 3),
    )


def hc1_png(f: Figures) -> tuple[str, str, str]:
    g = f["credentials"]
    return (
        f"{n(g['hc1_png_per_s'])}/s per core",
        f"segno's make + PNG {n(g['segno_png_per_s'])}/s ({g['hc1_png_per_s'] / g['segno_png_per_s']:.0f}×)",
        verdict(g["hc1_png_per_s"] >= 150),
    )


def reissue(f: Figures) -> tuple[str, str, str]:
    g = f["reissue"]
    parts, oks = [], []
    for s, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL (server CPU counted)")):
        if f"{s}_per_core" in g:
            rate = g[f"{s}_per_core"]
            hours = 75e6 / (rate * 2) / 3600
            parts.append(f"{label} {n(rate)}/s per core (75 M on 2 cores: {n(hours, 1)} h)")
            oks.append(rate >= 1000)
    if not parts:
        raise KeyError("reissue")
    return "; ".join(parts), f"bare ES256 sign {n(g['bare_sign_per_s'])}/s per core", both(*oks)


def verify(f: Figures) -> tuple[str, str, str]:
    g = f["verify"]
    return (
        f"{n(g['verify_us'], 1)} µs ({g['ratio_min']:.2f}× min/min, {g['ratio_median']:.2f}× median)",
        f"bare ES256 check {n(g['bare_us'], 1)} µs; the Python stages alone {n(g['python_stages_us'], 1)} µs",
        verdict(g["ratio_min"] <= 1.3),
    )


def acceptance(f: Figures) -> tuple[str, str, str]:
    g = f["verify"]
    return (
        f"{n(g['acceptance_ms'], 3)} ms ({n(g['acceptance_rules'])} rules); Viet Nam's card {n(g['vn_card_ms'], 3)} ms",
        "(the goal is absolute)",
        verdict(g["acceptance_ms"] <= 1),
    )


def picture(f: Figures) -> tuple[str, str, str]:
    g = f["verify"]
    return f"{n(g['picture_ms'], 2)} ms", "(the goal is absolute)", verdict(g["picture_ms"] <= 2)


def verifier_memory(f: Figures) -> tuple[str, str, str]:
    g = f["verify"]
    worst = max(g["rss_text_mib"], g["rss_image_mib"])
    return (
        f"text {n(g['rss_text_mib'], 1)} MiB, --image {n(g['rss_image_mib'], 1)} MiB",
        "(the goal is absolute)",
        verdict(worst * 1.048576 <= 60),
    )


def pages(f: Figures) -> tuple[str, str, str]:
    g = f["web"]
    base = g["in_process_health_baseline_ms"]
    stats, me, png = (g["in_process_statistics_projection_4_svg_ms"], g["in_process_me_family_from_the_ledger_ms"],
                      g["in_process_certificate_png_current_reused_ms"])  # fmt: skip
    return (
        f"/statistics {n(stats, 2)} ms, /me/ {n(me, 2)} ms, certificate PNG {n(png, 2)} ms (medians, in-process)",
        f"/health {n(base, 2)} ms",
        "reported",
    )


def failover(f: Figures) -> tuple[str, str, str]:
    g = f["failover"]
    ok = g["lost"] == 0 and g["duplicates"] == 0 and g["failover_s"] <= 30 and g.get("writer_errors", 0) == 0
    samples = "; ".join(g.get("writer_error_samples") or [])
    return (
        f"{g['lost']} lost, {g['duplicates']} duplicates of {n(g['acknowledged'])}; first write {n(g['failover_s'], 1)} s"
        f" after kill -9 (worst of {g['rounds']}); writer errors: {g.get('writer_errors', 0)}"
        + (f" ({samples})" if samples else ""),
        f"Patroni's own promotion {n(g['promotion_s'], 1)} s",
        verdict(ok),
    )


def province_day(f: Figures) -> tuple[str, str, str]:
    g = f["planning"]
    plan, base = g["sqlite_plan_s"], g["sqlite_plain_sql_s"]
    scale = g["sqlite_scale"]
    return (
        f"{n(plan, 1)} s ({n(g['sqlite_appointments'])} appointments, {n(g['sqlite_plan_workers'])} writing processes,"
        f" {n(g['sqlite_plan_cpu_s'], 1)} s CPU in the parent); planning again {n(g['sqlite_again_s'], 2)} s",
        f"plain SQL {n(base, 2)} s ({plan / base:.1f}×)",
        verdict(plan <= 30) if scale >= 1 else f"reported (scale {scale}; the goal is at scale 1)",
    )


def outbox(f: Figures) -> tuple[str, str, str]:
    g = f["outbox"]
    parts, bases, oks = [], [], []
    for s, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        if f"{s}_per_s" in g:
            parts.append(f"{label} {n(g[f'{s}_per_s'])} msg/s ({n(g[f'{s}_senders'])} sender)")
            bases.append(
                f"{n(g[f'{s}_bare_posts_per_s'])}/s ({g[f'{s}_per_s'] / g[f'{s}_bare_posts_per_s']:.2f})"
            )
            oks.append(g[f"{s}_per_s"] >= 500)
    return "; ".join(parts), "bare POSTs to the same gateway " + ", ".join(bases), both(*oks)


def today(f: Figures) -> tuple[str, str, str]:
    g = f["today"]
    return (
        f"{n(g['page_ms'], 1)} ms median (CPU {n(g['page_cpu_ms'], 1)} ms), {n(g['appointments'])} appointments",
        f"bare SELECT of the same rows {n(g['bare_select_ms'], 2)} ms ({g['page_ms'] / g['bare_select_ms']:.0f}×)",
        verdict(g["page_ms"] <= 100) if g["appointments"] >= 400 else "reported (the goal is at 400)",
    )


def stock(f: Figures) -> tuple[str, str, str]:
    g = f["stock"]
    return (
        f"from a store lot (counted down): one per command {n(g['single_store_lot_per_s'])} doses/s, "
        f"batches {n(g['batch_store_lot_per_s'])} doses/s",
        f"a lot received at the site: {n(g['single_site_lot_per_s'])} and {n(g['batch_site_lot_per_s'])} doses/s "
        f"({g['single_store_lot_per_s'] / g['single_site_lot_per_s']:.2f}, "
        f"{g['batch_store_lot_per_s'] / g['batch_site_lot_per_s']:.2f})",
        "reported",
    )


def dose_write(f: Figures) -> tuple[str, str, str] | None:
    """bench_dose_write.py (helper "dosewrite", session 5): its rows as it prints them with --json."""
    g = f["dose_write"]
    rows = g.get("rows") or []
    if not rows:
        lines = g.get("ratio_lines") or []
        return (
            ("; ".join(lines[:3]), "(printed by the script beside its baseline)", "reported")
            if lines
            else None
        )
    measured, baseline = [], []
    for row in rows:
        if row.get("store") not in ("postgres", "PostgreSQL") and len(rows) > 3:
            continue  # the table keeps PostgreSQL's rows (the surge's store) when both ran
        d, b = row["dose"], row["baseline"]
        measured.append(
            f"{row['store']} {row['scenario']}: {n(d['per_s'], 1)}/s, p50 {n(d['p50_ms'], 1)} / p99 {n(d['p99_ms'], 1)} ms, "
            f"{d['conflicts']} conflicts, {d['errors']} errors, {row['lost']} lost"
        )
        baseline.append(f"{row['scenario']}: p50 {n(b['p50_ms'], 1)} / p99 {n(b['p99_ms'], 1)} ms")
    lost = sum(row["lost"] for row in rows)
    errors = sum(row["dose"]["errors"] for row in rows)
    return (
        "; ".join(measured),
        "one-row INSERT transaction, same writers: " + "; ".join(baseline),
        f"{verdict(lost == 0 and errors == 0)} (0 lost, 0 errors)",
    )


def surge_p99(f: Figures) -> tuple[str, str, str]:
    g = f["surge"]
    per_phase = {p["phase"]: p["p99_ms"] for p in g["phases"]}
    worst = max(v or 0 for v in per_phase.values())
    return (
        "p99 " + " / ".join(f"{n(per_phase.get(p))}" for p in ("steady", "surge", "after")) + " ms"
        f" (steady / 6× / after); served {g['steady_rps']} → {g['surge_rps_served']} of {g['surge_rps_offered']}/s",
        f"{g.get('store')}, {n(g.get('people'))} people, phases {g.get('phases_s')} s, load {g.get('load_average')}",
        verdict(worst <= 200),
    )


def surge_errors(f: Figures) -> tuple[str, str, str]:
    g = f["surge"]
    ok = g["errors"] == 0 and g["shed_without_retry_after"] == 0 and g["lost_doses"] == 0
    ok = ok and (g["recovered_s"] is not None and g["recovered_s"] <= 30)
    return (
        f"errors {g['errors']}; shed {n(g['shed'])} ({g['shed_without_retry_after']} without Retry-After); "
        f"recovered {g['recovered_s']} s; doses {g['acknowledged_doses']} acknowledged, {g['lost_doses']} lost",
        "the server log: " + str(g.get("server_log", "?")),
        verdict(ok),
    )


def downloads(f: Figures) -> tuple[str, str, str]:
    g = f["surge"]
    rows = [r for r in g["routes"] if r.get("route") == "certificate file"]
    health = [r for r in g["routes"] if r.get("route") == "statistics JSON"]
    measured = ", ".join(f"{r['phase']} {r['served_rps']}/s p99 {n(r['p99_ms'])} ms" for r in rows)
    baseline = ", ".join(f"{r['phase']} p99 {n(r['p99_ms'])} ms" for r in health)
    worst = max((r["p99_ms"] or 0) for r in rows)
    return measured, f"statistics JSON (cached bytes) in the same run: {baseline}", verdict(worst <= 200)


WRK_MISSING = (
    "wrk is not installed (`sudo apt-get install wrk`, or `bash scripts/system-deps.sh bench` as root)"
)


def public_wrk(f: Figures) -> tuple[str, str, str] | None:
    g = f["public_wrk"]
    if g.get("wrk_missing"):
        return None
    rate, p99 = g["on_c8_served_per_s"], g["on_c8_p99_ms"]
    base = g["baseline_served_per_s"]
    return (
        f"{n(rate)}/s served, p99 {n(p99)} ms, {n(g['on_c8_shed'])} shed ({n(rate / g['issue_rate_per_s'], 1)}× the"
        f" issue's 90/s; load {g['on_c8_load']})",
        f"uncached (computed every request, admission off) in the same run: {n(base)}/s, p99"
        f" {n(g['baseline_p99_ms'])} ms ({n(rate / base, 1)}×)",
        verdict(rate >= 20 * g["issue_rate_per_s"] and p99 is not None and p99 <= g["issue_p99_ms"]),
    )


def public_goodput(f: Figures) -> tuple[str, str, str] | None:
    g = f["public_wrk"]
    if g.get("wrk_missing"):
        return None
    rate8, rate32 = g["on_c8_served_per_s"], g["on_c32_served_per_s"]
    return (
        f"{n(rate32)}/s served at 32, p99 {n(g['on_c32_p99_ms'])} ms, {n(g['on_c32_shed'])} shed"
        f" ({n(100 * rate32 / rate8)}% of the rate at 8)",
        f"8 connections: {n(rate8)}/s (before session 6: 1,504–1,722/s at 8 fell to 255/s at 32)",
        verdict(rate32 >= 0.9 * rate8),
    )


GOALS: list[Goal] = [
    Goal("ingest", "record_doses, batches of 500, SQLite", "within 2× of the library's batched save", "2",
         ("ledger",), ingest("sqlite", None)),
    Goal("ingest", "record_doses, batches of 500, PostgreSQL (fsync on)",
         "≥ 10,000 doses/s; within 2× of the library's batched save", "2", ("ledger",), ingest("postgres", 10_000)),
    Goal("ingest", "record_dose, one command per transaction, SQLite", "p99 ≤ 10 ms", "2", ("ledger",), single_dose),
    Goal("ingest", "Merkle leaves written with the events (record_doses)", "≤ 10% slower", "10", ("ledger",),
         leaves_cost),
    Goal("ingest", "dose rate with 1M events in the log ÷ with 10k (`--log-size`)", "equal (≥ 0.9)", "2",
         ("ledger",), large_log, "not measured by `make bench` (`bench_ledger.py --log-size 1000000`: ~20 min)"),
    Goal("catch-up", "each view rebuilt alone, SQLite", "≥ 25% of read + decode", "5", ("projections",),
         catch_up("sqlite", None)),
    Goal("catch-up", "each view rebuilt alone, PostgreSQL", "≥ 25% of read + decode; ≥ 20,000 events/s", "5",
         ("projections",), catch_up("postgres", 20_000)),
    Goal("catch-up", "every view in one pass (the auditor's rebuild)", "≥ 50% of read + decode", "10",
         ("projections",), one_pass),
    Goal("catch-up", "live lag p99 while a writer appends", "≤ 1 s", "5", ("projections",), live_lag),
    Goal("catch-up", "peak memory catching every view up, 10,000 → 1,000,000 people", "flat", "5", ("projections",),
         memory, "not measured by `make bench` (`bench_projections.py --large`: ~1 h)"),
    Goal("audit", "`audit verify` (every leaf, the tree, every checkpoint)", "≥ 60% of raw read", "10",
         ("audit", "audit_1m"), audit_verify),
    Goal("audit", "inclusion proof of a random position", "≤ 5 ms at 1M events", "10", ("audit", "audit_1m"),
         proofs),
    Goal("issue", "HC1 (no read-back)", "within 3× of a bare sign", "3", ("credentials",), hc1),
    Goal("issue", "HC1 + verifier read-back + QR PNG", "≥ 150/s per core", "3", ("credentials",), hc1_png),
    Goal("issue", "`certificate reissue --all`: HC1 + PNG stored through the ledger", "≥ 1,000/s per core", "14",
         ("reissue",), reissue),
    Goal("verify", "`verify` of one HC1, whole pipeline", "≤ 1.3× a bare ES256 check", "9", ("verify",), verify),
    Goal("verify", "acceptance against a country's rules", "≤ 1 ms", "9", ("verify",), acceptance),
    Goal("verify", "picture → verdict", "≤ 2 ms", "9", ("verify",), picture),
    Goal("verify", "`dcc-verify` peak memory", "≤ 60 MB", "9", ("verify",), verifier_memory),
    Goal("web", "pages in-process", "reported", "—", ("web",), pages),
    Goal("web", "`/statistics` served per second, admission ON (wrk, 8 connections, 2 workers)",
         "≥ 20× the 90/s of issue 14 (1,800/s) at p99 ≤ 329 ms", "14", ("public_wrk",), public_wrk,
         "not measured: " + WRK_MISSING),
    Goal("web", "goodput under overload: `/statistics` served at 32 closed-loop connections, admission ON",
         "≥ 90% of the rate at 8 (never collapses)", "14", ("public_wrk",), public_goodput,
         "not measured: " + WRK_MISSING),
    Goal("failover", "kill -9 of the PostgreSQL primary (Patroni, 4 writers)",
         "0 lost, 0 duplicates, 0 writer errors; ≤ 30 s",
         "6", ("failover",), failover),
    Goal("campaign", "plan a province-day: 300 sites × 2 × 200 from 200,000 registrations, SQLite",
         "≤ 30 s on this 2-core machine", "13", ("planning",), province_day),
    Goal("campaign", "outbox delivery to the fake gateway", "≥ 500 msg/s", "13", ("outbox",), outbox),
    Goal("campaign", "the site's today page (`GET /staff/today`)", "≤ 100 ms at 400 appointments", "13",
         ("today",), today),
    Goal("campaign", "doses drawn from a counted lot", "reported", "13", ("stock",), stock),
    Goal("dose write", "the staff dose write, concurrent writers on one lot (`bench_dose_write.py`)",
         "0 lost, 0 errors; latency reported", "14", ("dose_write",), dose_write),
    Goal("surge", "served p99 per phase under a 6× surge (2 workers + followers)", "≤ 200 ms in every phase",
         "14", ("surge",), surge_p99),
    Goal("surge", "errors, shedding, recovery, acknowledged doses",
         "0 errors; excess shed with Retry-After; back within 30 s; 0 lost", "14", ("surge",), surge_errors),
    Goal("surge", "certificate downloads under the surge (stored files)", "p99 ≤ 200 ms in every phase", "14",
         ("surge",), downloads),
]  # fmt: skip


def rows(figures: Figures) -> list[Row]:
    return [goal.row(figures) for goal in GOALS]


def markdown(results: dict[str, Any]) -> str:
    """The whole table as markdown, with the run's date, commit, machine and load above it."""
    table = rows(results.get("figures", {}))
    machine = results.get("machine", {})
    runs = results.get("runs", {})
    loads = [r.get("load_start") for r in runs.values() if r.get("load_start") is not None]
    loads += [r.get("load_end") for r in runs.values() if r.get("load_end") is not None]
    load = f"{min(loads):.1f}–{max(loads):.1f}" if loads else "?"
    commits = sorted({str(r.get("commit")) for r in runs.values() if r.get("commit")}) or [
        results.get("commit", "?")
    ]
    dates = sorted({str(r.get("date")) for r in runs.values() if r.get("date")}) or [results.get("date", "?")]
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    head = (
        f"Measured by `make bench` on {when} (commit{'s' if len(commits) > 1 else ''} "
        f"{', '.join(f'`{c}`' for c in commits)}), "
        f"{machine.get('cpus', '?')} cores ({machine.get('cpu', '?')}), {machine.get('memory_gib', '?')} GiB, "
        f"{machine.get('postgresql', 'PostgreSQL ?')}, Python {machine.get('python', '?')}; "
        f"load average {load} (1-minute, at each script's start and end); "
        f"{n(((results.get('seconds') or 0) + (results.get('seconds_earlier') or 0)) / 60, 0)} minutes in all"
        + (
            "; some runs again later (`run_all.py --update`), each row's figures from one run."
            if len(dates) > 1
            else "."
        )
    )
    lines = [
        head,
        "",
        "| area | what | measured | baseline, same run | goal | met | issue |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table:
        met = f"**{r.met}**" if r.met.startswith(("not", "partly")) else r.met
        lines.append(f"| {r.area} | {r.what} | {r.measured} | {r.baseline} | {r.goal} | {met} | {r.issue} |")
    return "\n".join(lines) + "\n"


def plain(results: dict[str, Any]) -> str:
    """The same table as text for a terminal: one block per goal."""
    out = []
    for r in rows(results.get("figures", {})):
        out.append(f"[{r.met.upper()}] {r.area}: {r.what} (goal: {r.goal}; issue {r.issue})")
        out.append(f"    measured: {r.measured}")
        out.append(f"    baseline: {r.baseline}")
    return "\n".join(out) + "\n"


def reissue_figures(output: str) -> dict[str, float]:
    """bench_reissue.py prints text only (it belongs to another part): read its rates from the text."""
    found: dict[str, float] = {}
    bare = re.search(r"bare ES256 sign: ([\d,]+)/s per core", output)
    if bare:
        found["bare_sign_per_s"] = float(bare.group(1).replace(",", ""))
    for store, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        rate = re.search(rf"\[{label}\] reissue HC1 \+ PNG[^:]*: ([\d,]+)/s per core", output)
        if rate:
            found[f"{store}_per_core"] = float(rate.group(1).replace(",", ""))
    return found


# ---- what 75 million people would need, from this run's figures ------------------------------------

PEOPLE = 75_000_000
DOSES = 150_000_000
DOSES_PER_DAY = 1_000_000
PEAK = 10  # the busiest hour against the 24-hour average (vaccination runs in daytime sessions)
EVENTS_CORE = PEOPLE + DOSES + PEOPLE  # a person, each dose, a certificate: issue 10's ~300 million
EVENTS_PER_DOSE_CAMPAIGN = 6  # booked, queued, attempt, delivered, reminder, check-in (the simulator's mix)
MESSAGES_PER_DOSE = 3  # the appointment, the reminder, the day-1 check-in
READS_PER_DOSE = 4  # a certificate download and three health-book reads per dose given


def deployment(results: dict[str, Any]) -> str:
    """The arithmetic from this run's figures to a national deployment, one bullet per resource. Every
    figure comes from `results`; a resource whose figures are missing says so."""
    f = results.get("figures", {})
    events = EVENTS_CORE + DOSES * EVENTS_PER_DOSE_CAMPAIGN
    out = [
        f"Assumptions: {n(PEOPLE)} people, {n(DOSES)} doses in all, {n(DOSES_PER_DAY)} doses on a busy day; the "
        f"busiest hour {PEAK}× the day's average hour; {n(EVENTS_CORE)} ledger events for people, doses and "
        f"certificates plus {EVENTS_PER_DOSE_CAMPAIGN} campaign events per dose = {n(events)} events; "
        f"{MESSAGES_PER_DOSE} texts and {READS_PER_DOSE} signed-in reads per dose. Each line divides by a rate "
        "measured in the run above on 2 shared cores (so it is pessimistic by the load factor).",
        "",
    ]

    def line(label: str, build: Callable[[], str]) -> None:
        try:
            out.append(f"- **{label}.** {build()}")
        except (KeyError, TypeError, ZeroDivisionError, ValueError):
            out.append(f"- **{label}.** not measured in this run.")

    average = DOSES_PER_DAY / 86_400
    peak = average * PEAK

    def doses() -> str:
        g = f["ledger"]
        batched = g["postgres_record_doses_per_s"]
        single_p50 = g["postgres_record_dose_p50_ms"]
        per_writer = 1000 / single_p50
        return (
            f"{n(DOSES_PER_DAY)} a day is {n(DOSES_PER_DAY)} / 86,400 = {n(average, 1)}/s on average, × {PEAK} = "
            f"{n(peak)}/s in the busiest hour. One dose per command on PostgreSQL (fsync on) took "
            f"p50 {n(single_p50, 1)} ms here, {n(per_writer)}/s per writer: {n(peak)} / {n(per_writer)} = "
            f"**{n(peak / per_writer + 0.5)} concurrent writers** at the peak, on one primary (batched ingest "
            f"measured {n(batched)} doses/s, so all {n(DOSES)} doses re-loaded in batches take {n(DOSES)} / "
            f"{n(batched)} = {n(DOSES / batched / 3600, 1)} h)."
        )

    def views() -> str:
        g = f["projections"]
        one_pass = g["postgres_one_pass_per_s"]
        slowest = g["postgres_view_min_per_s"]
        return (
            f"Rebuilding every view from the log in one pass at {n(one_pass)} events/s (PostgreSQL): {n(events)} / "
            f"{n(one_pass)} = **{n(events / one_pass / 3600)} h**; each view in its own process at ≥ {n(slowest)} "
            f"events/s: {n(events / slowest / 3600)} h with a core per view. Views are kept by followers "
            "(incremental), so a rebuild is for a new view or a disaster, restored from a backup of the views first."
        )

    def audit() -> str:
        g = f.get("audit") or f["audit_1m"]
        store = "postgres" if "postgres_verify_per_s" in g else "sqlite"
        rate = g[f"{store}_verify_per_s"]
        return (
            f"`audit verify` of every leaf at {n(rate)} events/s ({'PostgreSQL' if store == 'postgres' else 'SQLite'}): "
            f"{n(events)} / {n(rate)} = **{n(events / rate / 3600, 1)} h** for an auditor's full check; a checkpoint's "
            "inclusion proof stays a few tile reads (the proof row above)."
        )

    def certificates() -> str:
        g = f["reissue"]
        rate = g.get("postgres_per_core") or g["sqlite_per_core"]
        store = "PostgreSQL, its server's CPU counted" if "postgres_per_core" in g else "SQLite"
        return (
            f"A key rotation re-issues {n(PEOPLE)} certificates (HC1 + PNG) at {n(rate)}/s per core ({store}): "
            f"{n(PEOPLE)} / ({n(rate)} × 2 cores) = **{n(PEOPLE / rate / 2 / 3600, 1)} h on 2 cores**, or "
            f"{n(PEOPLE / rate / 8 / 3600 + 0.5)} cores for a night of 8 h ({n(PEOPLE)} / ({n(rate)} × 8 × 3,600)). "
            "PDFs and SVGs are drawn on first download, not in the batch."
        )

    def planning() -> str:
        g = f["planning"]
        rate = g["sqlite_appointments"] / g["sqlite_plan_s"]
        return (
            f"Planning booked {n(g['sqlite_appointments'])} appointments in {n(g['sqlite_plan_s'], 1)} s "
            f"({n(rate)}/s with {n(g['sqlite_plan_workers'])} writing processes): {n(DOSES_PER_DAY)} appointments "
            f"a day = {n(DOSES_PER_DAY)} / {n(rate)} = **{n(DOSES_PER_DAY / rate / 60, 1)} min** of planning "
            "a day on 2 cores, provinces in parallel on more."
        )

    def outbox() -> str:
        g = f["outbox"]
        rate = g.get("postgres_per_s") or g["sqlite_per_s"]
        texts = DOSES_PER_DAY * MESSAGES_PER_DOSE
        return (
            f"{n(texts)} texts a day ({MESSAGES_PER_DOSE} per dose) at {n(rate)} msg/s with one sender process: "
            f"{n(texts)} / {n(rate)} = **{n(texts / rate / 3600, 1)} h** a day; senders shard the outbox "
            "(`--shard I/N`), so N processes divide it (quiet hours 21:00–07:00 leave 14 h)."
        )

    def reads() -> str:
        g = f["surge"]
        served = g["surge_rps_served"]
        per_core = served / 2
        steady_peak = DOSES_PER_DAY * READS_PER_DOSE / 86_400 * PEAK
        surge = steady_peak * 6
        return (
            f"{READS_PER_DOSE} signed-in reads per dose: {n(DOSES_PER_DAY * READS_PER_DOSE)} a day, "
            f"/ 86,400 × {PEAK} = {n(steady_peak)}/s in the busiest hour, × 6 = **{n(surge)}/s** in a surge. This run served "
            f"{n(served, 1)}/s of the mix (half of it public pages, cached) on 2 cores that also ran PostgreSQL, the followers and the load "
            f"generator ({n(per_core, 1)}/s per core, load {g.get('load_average')}): {n(surge)} / {n(per_core, 1)} "
            f"= **{n(surge / per_core + 0.5)} cores** of web and database at the surge, or admission sheds the rest "
            "with Retry-After as it does here. The public pages are cached bytes (a CDN in front)."
        )

    def verifiers() -> str:
        g = f["verify"]
        per_core = 1e6 / g["verify_us"]
        return (
            f"`verify` takes {n(g['verify_us'])} µs: {n(per_core)} checks/s per core. Checks run on the verifiers' "
            f"own devices (offline); a central service checking all {n(PEOPLE)} certificates once would need "
            f"{n(PEOPLE / per_core / 3600, 1)} core-hours."
        )

    line("Dose writes", doses)
    line("Views", views)
    line("Audit", audit)
    line("Certificates", certificates)
    line("Planning", planning)
    line("Texts", outbox)
    line("Citizen and staff reads", reads)
    line("Verification", verifiers)
    out.append("")
    out.append(
        "Extrapolations from rates measured on this machine, not measurements of a national deployment."
    )
    return "\n".join(out) + "\n"
