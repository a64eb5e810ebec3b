"""The dashboard's charts as inline SVG, drawn on the server: no script, nothing fetched.

Usage (in the page handler; the template prints the result as is)::

    svg = bar_chart("reasons", title="Handoffs by reason", desc="...", items=[("out of scope", 12)])

Each chart is ``<svg role="img">`` named by its ``<title>`` and ``<desc>`` (read by screen
readers); the page puts the same numbers in a table beside it. Every piece of text is
escaped here, since labels may come from the database. Colours and fonts are classes
styled by console.css: the console's Content-Security-Policy (``style-src 'self'``)
refuses inline ``style`` attributes, and presentation is the stylesheet's job anyway.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["FunnelBar", "bar_chart", "daily_chart", "funnel_chart", "nice_ceiling"]


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 2.5, 5 x 10^n at or above ``value`` (an axis' top)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return int(math.ceil(step * power))
    return int(10 * power)  # pragma: no cover - the loop always returns


def _open(key: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{key}-title {key}-desc" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{key}-title">{escape(title)}</title>',
        f'<desc id="{key}-desc">{escape(desc)}</desc>',
    ]


def _text(x: float, y: float, text: str, css: str = "", anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" class="{css}" text-anchor="{anchor}">{escape(text)}</text>'


def daily_chart(
    key: str,
    *,
    title: str,
    desc: str,
    days: Sequence[str],
    counts: Sequence[int],
    rates: Sequence[float | None],
    legend: tuple[str, str],
    percent: str = "{value} %",
) -> Markup:
    """Bars: conversations per day (left axis); line: share solved without a person (right, %)."""
    width, height = 1100, 280
    left, right, top, bottom = 48, 52, 30, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_ceiling(max(counts, default=0))
    slot = plot_w / max(len(days), 1)
    bar_w = max(min(slot * 0.7, 40), 1)
    parts = _open(key, width, height, title, desc)
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        value = top_value * fraction
        parts.append(_text(left - 6, y + 4, f"{value:g}", "axis", "end"))
        parts.append(_text(left + plot_w + 6, y + 4, percent.format(value=f"{fraction * 100:.0f}"), "axis"))
    every = max(1, math.ceil(len(days) / 8))
    # The line breaks where a day had no conversation (no share to draw).
    segments: list[list[tuple[float, float]]] = [[]]
    for index, (day, count, rate) in enumerate(zip(days, counts, rates, strict=True)):
        x = left + slot * index + (slot - bar_w) / 2
        bar_h = plot_h * count / top_value
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" '
            f'class="bar volume"><title>{escape(day)} : {count}</title></rect>'
        )
        if index % every == 0:
            parts.append(
                _text(left + slot * index + slot / 2, height - bottom + 16, day[5:], "axis", "middle")
            )
        if rate is None:
            segments.append([])
        else:
            segments[-1].append((left + slot * index + slot / 2, top + plot_h * (1 - rate)))
    for points in segments:
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" class="line deflection"/>')
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="dot deflection"/>')
    parts.append(f'<rect x="{left}" y="6" width="12" height="12" class="bar volume"/>')
    parts.append(_text(left + 18, 16, legend[0], "legend"))
    parts.append(f'<line x1="{left + 260}" x2="{left + 284}" y1="12" y2="12" class="line deflection"/>')
    parts.append(_text(left + 290, 16, legend[1], "legend"))
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(key: str, *, title: str, desc: str, items: Sequence[tuple[str, int]]) -> Markup:
    """Horizontal bars, one per (label, value), largest first as given."""
    row, left, width = 30, 230, 760
    height = max(len(items), 1) * row + 16
    top_value = max((value for _label, value in items), default=0) or 1
    plot_w = width - left - 70
    parts = _open(key, width, height, title, desc)
    for index, (label, value) in enumerate(items):
        y = 8 + index * row
        bar_w = max(plot_w * value / top_value, 1 if value else 0)
        parts.append(_text(left - 8, y + 17, label, "label", "end"))
        parts.append(
            f'<rect x="{left}" y="{y + 4}" width="{bar_w:.1f}" height="{row - 10}" class="bar reason"/>'
        )
        parts.append(_text(left + bar_w + 6, y + 17, str(value), "value"))
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclasses.dataclass(frozen=True)
class FunnelBar:
    """One step of the funnel: its label and how the people who reached it went on."""

    label: str
    reached: int
    solved: int
    support: int
    left: int

    @property
    def went_on(self) -> int:
        return max(self.reached - self.solved - self.support - self.left, 0)


def funnel_chart(
    key: str, *, title: str, desc: str, steps: Sequence[FunnelBar], legend: Sequence[str]
) -> Markup:
    """One bar per step, as long as the people who reached it, split into solved there,
    went to support, left, and went on to the next step (``legend`` names these four)."""
    row, left, width = 40, 230, 760
    legend_h = 26
    height = legend_h + max(len(steps), 1) * row + 8
    plot_w = width - left - 80
    top_value = max((step.reached for step in steps), default=0) or 1
    parts = _open(key, width, height, title, desc)
    classes = ("solved", "support", "left", "went-on")
    x = 0.0
    for css, name in zip(classes, legend, strict=True):
        parts.append(f'<rect x="{x:.0f}" y="4" width="12" height="12" class="bar {css}"/>')
        parts.append(_text(x + 17, 14, name, "legend"))
        x += 17 + 7 * len(name) + 18
    for index, step in enumerate(steps):
        y = legend_h + index * row
        parts.append(_text(left - 8, y + 22, step.label, "label", "end"))
        position = float(left)
        for css, value in zip(classes, (step.solved, step.support, step.left, step.went_on), strict=True):
            if not value:
                continue
            segment = plot_w * value / top_value
            parts.append(
                f'<rect x="{position:.1f}" y="{y + 6}" width="{segment:.1f}" height="{row - 14}" '
                f'class="bar {css}"><title>{escape(step.label)} : {value}</title></rect>'
            )
            position += segment
        parts.append(_text(position + 6, y + 22, str(step.reached), "value"))
    parts.append("</svg>")
    return Markup("".join(parts))
