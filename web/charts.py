"""Server-rendered SVG charts sized for a phone: no script, text at reading size, values in the page's language.

Each chart answers one question; the page puts its table, folded, under it (`<details>`). The SVG
user unit is about one CSS pixel on a 390 px phone (viewBox 360 wide), so 12-unit text reads as
12 px there. Labels are short names from the catalog, never codes; long official names go in the
tables. Suppressed counts (fewer than 5) are drawn as "< 5".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup, escape

from services.dashboards import Operations, Statistics
from web.formats import show_date, show_number

BAR = "#1f5fa8"  # 7.0:1 on white
ALT = "#0b6e4f"
TEXT = "#1a1a1a"
GRID = "#c8c8c8"
WIDTH = 360
FONT = 12
LABEL_CHARS = 22  # what fits in the label column at 12 px; longer labels are cut with an ellipsis


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: suppressed (fewer than 5)
    text: str = ""  # the value as shown; derived from `value` when empty


def _cut(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def bars(
    title: str,
    items: Sequence[Bar],
    *,
    lang: str,
    colour: str = BAR,
    decimals: int = 0,
    suppressed: str = "< 5",
) -> Markup:
    """Horizontal bars in the given order (sort before calling); the label column is 160 units wide."""
    row = 20 if len(items) <= 20 else 17
    label_width, value_width = 160, 58
    height = 4 + row * max(1, len(items))
    top = max([b.value for b in items if b.value is not None] or [0]) or 1
    span = WIDTH - label_width - value_width
    parts = [_open(title, height)]
    for index, item in enumerate(items):
        y = 2 + index * row
        middle = y + row / 2 + FONT / 2 - 2
        parts.append(
            f'<text x="{label_width - 6}" y="{middle:.1f}" font-size="{FONT}" text-anchor="end" fill="{TEXT}">'
            f"<title>{escape(item.label)}</title>{escape(_cut(item.label))}</text>"
        )
        if item.value is None:
            parts.append(
                f'<text x="{label_width}" y="{middle:.1f}" font-size="{FONT}" fill="{TEXT}">{escape(suppressed)}</text>'
            )
            continue
        width = max(span * (item.value / top), 1 if item.value > 0 else 0)
        shown = item.text or show_number(item.value, lang, decimals)
        parts.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{width:.1f}" height="{row - 6}" fill="{colour}"/>'
            f'<text x="{label_width + width + 4:.1f}" y="{middle:.1f}" font-size="{FONT}" fill="{TEXT}">'
            f"{escape(shown)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def series(title: str, points: Sequence[tuple[str, float]], *, lang: str, colour: str = ALT) -> Markup:
    """Columns over time (one per day, week or month, gaps already filled), with the dates at both ends."""
    height, bottom, left = 170, 140, 44
    count = max(1, len(points))
    top = max([v for _, v in points] or [0]) or 1
    step = (WIDTH - left) / count
    parts = [
        _open(title, height),
        f'<line x1="{left}" y1="{bottom}" x2="{WIDTH}" y2="{bottom}" stroke="{TEXT}" stroke-width="1"/>',
        f'<line x1="{left}" y1="20" x2="{WIDTH}" y2="20" stroke="{GRID}" stroke-width="1" stroke-dasharray="3 3"/>',
        f'<text x="{left - 4}" y="24" font-size="{FONT}" text-anchor="end" fill="{TEXT}">'
        f"{escape(show_number(top, lang))}</text>",
        f'<text x="{left - 4}" y="{bottom}" font-size="{FONT}" text-anchor="end" fill="{TEXT}">0</text>',
    ]
    for index, (_label, value) in enumerate(points):
        h = (bottom - 20) * (value / top)
        parts.append(
            f'<rect x="{left + index * step:.2f}" y="{bottom - h:.2f}" width="{max(step * 0.8, 0.6):.2f}" '
            f'height="{h:.2f}" fill="{colour}"/>'
        )
    if points:
        parts.append(
            f'<text x="{left}" y="{bottom + 18}" font-size="{FONT}" fill="{TEXT}">'
            f"{escape(show_date(points[0][0], lang))}</text>"
            f'<text x="{WIDTH}" y="{bottom + 18}" font-size="{FONT}" text-anchor="end" fill="{TEXT}">'
            f"{escape(show_date(points[-1][0], lang))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def _open(title: str, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="{escape(title)}" class="chart" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>"
    )


def fill_days(
    counts: Sequence[tuple[str, float | None]], *, last: date | None = None
) -> tuple[str, list[tuple[str, float]]]:
    """A real time series: every day from the first to `last` (zeros where nothing happened), summed
    into weeks or months when the span is long. Returns the step ("day", "week", "month") and points."""
    known: dict[date, float] = {}
    for text, amount in counts:
        try:
            known[date.fromisoformat(text[:10])] = float(amount or 0)
        except ValueError:
            continue
    if not known:
        return "day", []
    first, end = min(known), max(last or max(known), max(known))
    span = (end - first).days + 1
    if span <= 92:
        return "day", [
            ((first + timedelta(d)).isoformat(), known.get(first + timedelta(d), 0.0)) for d in range(span)
        ]
    buckets: dict[date, float] = {}
    step = "week" if span <= 730 else "month"
    for when, value in known.items():
        key = when - timedelta(days=when.weekday()) if step == "week" else when.replace(day=1)
        buckets[key] = buckets.get(key, 0.0) + value
    points: list[tuple[str, float]] = []
    cursor = first - timedelta(days=first.weekday()) if step == "week" else first.replace(day=1)
    while cursor <= end:
        points.append((cursor.isoformat(), buckets.get(cursor, 0.0)))
        if step == "week":
            cursor += timedelta(days=7)
        else:
            cursor = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
    return step, points


def coverage_text(value: float | None, lang: str) -> str:
    """Coverage with one decimal; a tiny non-zero share reads '< 0,1' rather than a misleading 0,0."""
    if value is None:
        return "–"
    if 0 < value < 0.05:
        return "< " + show_number(0.1, lang, 1)
    return show_number(value, lang, 1)


@dataclass
class StatisticsPage:
    """Everything the public statistics page draws: one chart per question and its rows, sorted."""

    coverage: Markup
    per_day: Markup
    per_day_step: str
    per_day_points: list[tuple[str, float]]
    vaccines: Markup
    groups: Markup
    dose_numbers: Markup
    reactions: Markup
    provinces: list[dict[str, Any]] = field(default_factory=list)
    vaccine_rows: list[dict[str, Any]] = field(default_factory=list)
    group_rows: list[dict[str, Any]] = field(default_factory=list)
    national_coverage: str = ""


def _coverage(province: dict[str, Any]) -> float | None:
    """Share of the province's population with a first dose, unrounded (the view rounds to 2 decimals)."""
    people, population = province.get("first_dose_people"), province.get("population")
    if people is None or not population:
        return None
    return 100.0 * float(people) / float(population)


def _by_value(rows: Sequence[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Largest first; suppressed (None) after every shown value; ties by label."""
    return sorted(rows, key=lambda r: (r[key] is None, -(r[key] or 0), str(r.get("name", ""))))


def statistics_charts(typed: Statistics) -> StatisticsPage:
    from web.i18n import current_language, translate

    lang = current_language()
    stats: dict[str, Any] = typed.as_json()
    provinces = _by_value([{**p, "coverage": _coverage(p)} for p in stats["provinces"]], "coverage")
    vaccines = _by_value(stats["vaccines"], "doses")
    groups = [
        {**g, "label": translate(f"group.{g['code']}"), "name": g["name_" + lang]}
        for g in _by_value(stats["groups"], "doses")
    ]
    step, points = fill_days([(d["date"], d["doses"]) for d in stats["per_day"]])
    population = sum(p.get("population") or 0 for p in stats["provinces"])
    first = sum(p.get("first_dose_people") or 0 for p in stats["provinces"])
    return StatisticsPage(
        coverage=bars(
            translate("stats.coverage_chart"),
            [Bar(p["name"], p["coverage"], coverage_text(p["coverage"], lang) + "%") for p in provinces],
            lang=lang,
            decimals=1,
            suppressed=translate("stats.fewer_than_5_people"),
        ),
        per_day=series(translate(f"stats.per_{step}"), points, lang=lang),
        per_day_step=step,
        per_day_points=points,
        vaccines=bars(
            translate("stats.by_vaccine"), [Bar(_vaccine_label(v), v["doses"]) for v in vaccines], lang=lang
        ),
        groups=bars(
            translate("stats.by_group"), [Bar(g["label"], g["doses"]) for g in groups], lang=lang, colour=ALT
        ),
        dose_numbers=bars(
            translate("stats.by_dose_number"),
            [
                Bar(translate("stats.dose_n", number=d["dose_number"]), d["doses"])
                for d in stats["dose_numbers"]
            ],
            lang=lang,
        ),
        reactions=bars(
            translate("stats.reactions_by_severity"),
            [
                Bar(
                    translate("severity." + r["severity"]), r["per_100k"], show_number(r["per_100k"], lang, 1)
                )
                if r["per_100k"] is not None
                else Bar(translate("severity." + r["severity"]), None)
                for r in stats["reactions"]
            ],
            lang=lang,
            colour=ALT,
            decimals=1,
        ),
        provinces=provinces,
        vaccine_rows=vaccines,
        group_rows=groups,
        national_coverage=coverage_text(100.0 * first / population if population else None, lang),
    )


def short_vaccine_name(name: str) -> str:
    """The product's everyday name (Sinopharm, AstraZeneca, Pfizer-BioNTech Comirnaty): the part before
    any parenthesis or slash, without generic words; the first word alone if that is still long."""
    short = name.split("(")[0].split(" / ")[0]
    words = [w for w in short.split() if w not in ("SARS-CoV-2", "COVID-19", "Vaccine")]
    short = " ".join(words) or name
    return short if len(short) <= LABEL_CHARS else short.split()[0]


def _vaccine_label(row: dict[str, Any]) -> str:
    return short_vaccine_name(str(row.get("name") or row.get("code") or ""))


def operations_charts(data: Operations, *, today: date, days: int = 14) -> dict[str, Any]:
    """The doses given each of the last `days` days, zeros included: a real series, not one bar."""
    from web.i18n import current_language, translate

    lang = current_language()
    given: dict[str, float] = {}
    for point in data.per_day:
        given[point.date[:10]] = given.get(point.date[:10], 0.0) + float(point.doses or 0)
    points = [
        (day.isoformat(), given.get(day.isoformat(), 0.0))
        for day in (today - timedelta(days=days - 1 - n) for n in range(days))
    ]
    return {
        "per_day": series(translate("ops.per_day_recent", days=days), points, lang=lang),
        "per_day_points": points,
    }
