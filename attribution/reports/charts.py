"""Charts drawn as inline SVG on the server: no script, no CDN, nothing to vendor.

Two shapes cover the dashboard: a line chart of several series over days, and horizontal bars
for a ranking. Labels are escaped; each chart names itself with `aria-label` and each series
carries `data-series` and `data-total`, which is also what the browser test reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563")
WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 220, 56, 28, 12


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[Decimal | int, ...]

    @property
    def total(self) -> Decimal | int:
        return sum(self.values, start=0)


def _number(value: Decimal | int | float) -> str:
    if isinstance(value, Decimal) and value != value.to_integral():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def line_chart(title: str, days: list[dt.date], series: list[Series]) -> SafeString:
    peak = max((float(v) for s in series for v in s.values), default=0.0) or 1.0
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(len(days) - 1, 1)

    def point(index: int, value: Decimal | int) -> str:
        x = PAD_LEFT + index * step
        y = PAD_TOP + plot_h - float(value) / peak * plot_h
        return f"{x:.1f},{y:.1f}"

    lines = format_html_join(
        "",
        '<polyline fill="none" stroke="{}" stroke-width="2" points="{}" data-series="{}" '
        'data-total="{}"><title>{}: {}</title></polyline>',
        (
            (
                PALETTE[n % len(PALETTE)],
                " ".join(point(i, v) for i, v in enumerate(s.values)),
                s.label,
                _number(s.total),
                s.label,
                _number(s.total),
            )
            for n, s in enumerate(series)
        ),
    )
    axis = _axis(days, peak, plot_h)
    legend = format_html_join(
        "",
        '<li><span class="swatch" style="background:{}"></span>{} <b>{}</b></li>',
        ((PALETTE[n % len(PALETTE)], s.label, _number(s.total)) for n, s in enumerate(series)),
    )
    return format_html(
        '<figure class="chart"><figcaption>{}</figcaption>'
        '<svg viewBox="0 0 {} {}" role="img" aria-label="{}">{}{}</svg>'
        '<ul class="legend">{}</ul></figure>',
        title,
        WIDTH,
        HEIGHT,
        title,
        axis,
        lines,
        legend,
    )


def _axis(days: list[dt.date], peak: float, plot_h: float) -> SafeString:
    base = PAD_TOP + plot_h
    first = days[0].isoformat() if days else ""
    last = days[-1].isoformat() if days else ""
    return format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#9ca3af"/>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#9ca3af"/>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end">0</text>'
        '<text x="{}" y="{}" font-size="11">{}</text>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>',
        PAD_LEFT,
        PAD_TOP,
        PAD_LEFT,
        base,
        PAD_LEFT,
        base,
        WIDTH - 8,
        base,
        PAD_LEFT - 4,
        PAD_TOP + 10,
        _number(Decimal(str(round(peak, 2)))),
        PAD_LEFT - 4,
        base,
        PAD_LEFT,
        HEIGHT - 8,
        first,
        WIDTH - 8,
        HEIGHT - 8,
        last,
    )


def bar_chart(title: str, items: list[tuple[str, int]]) -> SafeString:
    if not items:
        return format_html(
            '<figure class="chart"><figcaption>{}</figcaption>'
            '<p class="empty">No data</p></figure>',
            title,
        )
    peak = max(value for _, value in items) or 1
    row_h, label_w, bar_w = 26, 150, WIDTH - 150 - 70
    bars = format_html_join(
        "",
        '<g data-series="{}" data-total="{}"><text x="0" y="{}" font-size="12">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="16" fill="{}"/>'
        '<text x="{}" y="{}" font-size="12">{}</text></g>',
        (
            (
                label,
                value,
                n * row_h + 14,
                label,
                label_w,
                n * row_h + 2,
                max(1, round(value / peak * bar_w)),
                PALETTE[n % len(PALETTE)],
                label_w + round(value / peak * bar_w) + 6,
                n * row_h + 14,
                _number(value),
            )
            for n, (label, value) in enumerate(items)
        ),
    )
    return format_html(
        '<figure class="chart"><figcaption>{}</figcaption>'
        '<svg viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg></figure>',
        title,
        WIDTH,
        len(items) * row_h + 4,
        title,
        bars,
    )
