"""Server-rendered SVG charts: no script, readable by screen readers (title, desc, and a table beside)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from services.dashboards import Operations, Statistics

BAR = "#1f5fa8"  # 7.0:1 on white
ALT = "#0b6e4f"
TEXT = "#1a1a1a"


def _fmt(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1_000:.0f}k"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.1f}"


def horizontal_bars(
    title: str, items: Sequence[tuple[str, float | None]], *, unit: str = "", colour: str = BAR
) -> Markup:
    """One bar per item (label, value); None values are drawn as 'suppressed' (fewer than 5)."""
    row, label_width, width = 18, 170, 640
    height = 30 + row * max(1, len(items))
    top = max([v for _, v in items if v is not None] or [0]) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold" fill="{TEXT}">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(items):
        y = 26 + index * row
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 12}" font-size="11" text-anchor="end" fill="{TEXT}">'
            f"{escape(label[:28])}</text>"
        )
        if value is None:
            parts.append(f'<text x="{label_width}" y="{y + 12}" font-size="11" fill="{TEXT}">&lt; 5</text>')
            continue
        bar = (width - label_width - 70) * (value / top)
        parts.append(
            f'<rect x="{label_width}" y="{y + 2}" width="{bar:.1f}" height="{row - 5}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{label_width + bar + 4:.1f}" y="{y + 12}" font-size="11" fill="{TEXT}">'
            f"{escape(_fmt(value))}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def columns(title: str, items: Sequence[tuple[str, float]], *, colour: str = ALT) -> Markup:
    """A column per item (for doses per day); first and last labels only, values in the table."""
    width, height, bottom = 640, 200, 170
    count = max(1, len(items))
    top = max([v for _, v in items] or [0]) or 1
    step = (width - 50) / count
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold" fill="{TEXT}">{escape(title)}</text>',
        f'<text x="0" y="34" font-size="11" fill="{TEXT}">{escape(_fmt(top))}</text>',
        f'<line x1="45" y1="{bottom}" x2="{width}" y2="{bottom}" stroke="{TEXT}" stroke-width="1"/>',
    ]
    for index, (_label, value) in enumerate(items):
        h = (bottom - 40) * (value / top)
        parts.append(
            f'<rect x="{45 + index * step:.1f}" y="{bottom - h:.1f}" width="{max(step - 1, 1):.1f}" '
            f'height="{h:.1f}" fill="{colour}"/>'
        )
    if items:
        parts.append(
            f'<text x="45" y="{bottom + 16}" font-size="11" fill="{TEXT}">{escape(items[0][0])}</text>'
        )
        parts.append(
            f'<text x="{width}" y="{bottom + 16}" font-size="11" text-anchor="end" fill="{TEXT}">'
            f"{escape(items[-1][0])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def statistics_charts(stats: Statistics) -> dict[str, Markup]:
    from web.i18n import current_language, translate

    lang = current_language()
    return {
        "per_day": columns(translate("stats.per_day"), [(d.date, d.doses or 0) for d in stats.per_day]),
        "provinces": horizontal_bars(
            translate("stats.coverage"), [(p.name, p.coverage) for p in stats.provinces], unit="%"
        ),
        "vaccines": horizontal_bars(
            translate("stats.by_vaccine"), [(v.name, v.doses) for v in stats.vaccines]
        ),
        "groups": horizontal_bars(
            translate("stats.by_group"),
            [(f"{g.code}. {g.name_vi if lang == 'vi' else g.name_en}", g.doses) for g in stats.groups],
            colour=ALT,
        ),
    }


def operations_charts(data: Operations) -> dict[str, Markup]:
    from web.i18n import translate

    return {
        "per_day": columns(translate("stats.per_day"), [(d.date, d.doses or 0) for d in data.per_day]),
    }
