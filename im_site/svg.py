"""Inline SVG charts made at build time: a trend line per KPI and a scatter plot per correlation.

No JavaScript and no external files: the SVG sits in the page, carries a
<title> and <desc> (role="img"), and takes its colours from the theme's CSS
custom properties through classes, with currentColor as the fallback. The
caller shows the same numbers in a table. Coordinates are written with one
decimal so the same data always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

NumberText = Callable[[float], str]

WIDTH, HEIGHT = 360, 180
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 52, 16, 14, 34


@dataclass(frozen=True)
class Axis:
    """A linear scale from data values to pixels."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        if self.high == self.low:
            return (self.start + self.end) / 2
        return self.start + (value - self.low) * (self.end - self.start) / (self.high - self.low)


def _n(value: float) -> str:
    """A coordinate, deterministically: one decimal, no '-0.0'."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def padded_range(values: list[float]) -> tuple[float, float]:
    """Data range with 10 % room above and below (a flat series gets room too)."""
    low, high = min(values), max(values)
    room = (high - low) * 0.1 or (abs(high) * 0.1 or 1.0)
    return low - room, high + room


def _open(chart_id: str, title: str, desc: str, css_class: str) -> list[str]:
    return [(f'<svg class="kpi-chart {css_class}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
             f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg" '
             f'preserveAspectRatio="xMidYMid meet" focusable="false">'),
            f'<title id="{chart_id}-title">{escape(title)}</title>',
            f'<desc id="{chart_id}-desc">{escape(desc)}</desc>']


def _frame(x_axis: Axis, y_axis: Axis, y_labels: tuple[str, str]) -> list[str]:
    """Axes with the lowest and highest value written at the left."""
    left, right = _n(x_axis.start), _n(x_axis.end)
    top, bottom = _n(y_axis.end), _n(y_axis.start)
    return ['<g class="chart-axes" aria-hidden="true" stroke="currentColor" stroke-opacity="0.35">',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>',
            f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/></g>',
            '<g class="chart-labels" aria-hidden="true" fill="currentColor" font-size="11" text-anchor="end">',
            f'<text x="{_n(x_axis.start - 6)}" y="{_n(y_axis.end + 4)}">{escape(y_labels[1])}</text>',
            f'<text x="{_n(x_axis.start - 6)}" y="{_n(y_axis.start)}">{escape(y_labels[0])}</text></g>']


def _plain(value: float) -> str:
    return f"{value:.1f}"


def trend_chart(chart_id: str, title: str, desc: str, points: list[tuple[str, float, str]],
                target: tuple[float, str] | None = None, number: NumberText = _plain) -> str:
    """A line over the periods: points are (period, value, value as text); target is (value, text).

    `number` writes axis values in the page's language (71,5 in German).
    """
    values = [value for _, value, _ in points] + ([target[0]] if target else [])
    low, high = padded_range(values)
    x_axis = Axis(0, max(len(points) - 1, 1), PAD_LEFT + 10, WIDTH - PAD_RIGHT - 10)
    y_axis = Axis(low, high, HEIGHT - PAD_BOTTOM, PAD_TOP)
    if len(points) == 1:
        x_axis = Axis(0, 0, PAD_LEFT + 10, WIDTH - PAD_RIGHT - 10)
    parts = _open(chart_id, title, desc, "kpi-trend")
    parts += _frame(x_axis, y_axis, (number(low), number(high)))
    if target is not None:
        y = _n(y_axis(target[0]))
        parts.append(f'<g class="chart-target" aria-hidden="true"><line x1="{_n(x_axis.start)}" y1="{y}" '
                     f'x2="{_n(x_axis.end)}" y2="{y}" stroke="currentColor" stroke-dasharray="5 4"/>'
                     f'<text x="{_n(x_axis.end)}" y="{_n(y_axis(target[0]) - 4)}" font-size="10" '
                     f'text-anchor="end" fill="currentColor">{escape(target[1])}</text></g>')
    coordinates = [(x_axis(i), y_axis(value)) for i, (_, value, _) in enumerate(points)]
    if len(coordinates) > 1:
        path = " ".join(f"{_n(x)},{_n(y)}" for x, y in coordinates)
        parts.append(f'<polyline class="chart-line" points="{path}" fill="none" stroke="currentColor" '
                     f'stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>')
    for (period, _, text), (x, y) in zip(points, coordinates):
        parts.append(f'<circle class="chart-point" cx="{_n(x)}" cy="{_n(y)}" r="4" fill="currentColor">'
                     f'<title>{escape(period)}: {escape(text)}</title></circle>')
    parts.append(_period_labels(points, x_axis))
    parts.append("</svg>")
    return "\n".join(parts)


def _period_labels(points: list[tuple[str, float, str]], x_axis: Axis) -> str:
    """The first and last period (all of them when there are few) under the axis."""
    shown = range(len(points)) if len(points) <= 5 else (0, len(points) - 1)
    y = _n(HEIGHT - PAD_BOTTOM + 18)
    labels = [f'<text x="{_n(x_axis(i))}" y="{y}">{escape(points[i][0])}</text>' for i in shown]
    return ('<g class="chart-labels" aria-hidden="true" fill="currentColor" font-size="11" text-anchor="middle">'
            + "".join(labels) + "</g>")


def scatter_chart(chart_id: str, title: str, desc: str, points: list[tuple[str, float, float]],
                  axis_titles: tuple[str, str], number: NumberText = _plain) -> str:
    """One dot per segment; x is the first KPI, y the second."""
    x_low, x_high = padded_range([x for _, x, _ in points] or [0.0])
    y_low, y_high = padded_range([y for _, _, y in points] or [0.0])
    x_axis = Axis(x_low, x_high, PAD_LEFT, WIDTH - PAD_RIGHT)
    y_axis = Axis(y_low, y_high, HEIGHT - PAD_BOTTOM, PAD_TOP)
    parts = _open(chart_id, title, desc, "kpi-scatter")
    parts += _frame(x_axis, y_axis, (number(y_low), number(y_high)))
    for segment, x, y in points:
        parts.append(f'<circle class="chart-point" cx="{_n(x_axis(x))}" cy="{_n(y_axis(y))}" r="5" '
                     f'fill="currentColor" fill-opacity="0.8"><title>{escape(segment)}</title></circle>')
    bottom = _n(HEIGHT - PAD_BOTTOM + 16)
    parts.append(f'<g class="chart-labels" aria-hidden="true" fill="currentColor" font-size="11">'
                 f'<text x="{_n(x_axis.start)}" y="{bottom}">{escape(number(x_low))}</text>'
                 f'<text x="{_n(x_axis.end)}" y="{bottom}" text-anchor="end">{escape(number(x_high))}</text>'
                 f'<text x="{_n((x_axis.start + x_axis.end) / 2)}" y="{_n(HEIGHT - 4)}" text-anchor="middle">'
                 f'{escape(axis_titles[0])} →</text>'
                 f'<text x="12" y="{_n((y_axis.start + y_axis.end) / 2)}" text-anchor="middle" '
                 f'transform="rotate(-90 12 {_n((y_axis.start + y_axis.end) / 2)})">{escape(axis_titles[1])} →</text>'
                 f'</g>')
    parts.append("</svg>")
    return "\n".join(parts)
