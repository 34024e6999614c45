"""Inline SVG charts made at build time: a trend line per KPI and a scatter plot per correlation.

No JavaScript and no external files: the SVG sits in the page, carries a
<title> and <desc> (role="img"), and takes its colours from the theme's CSS
custom properties through classes, with currentColor as the fallback. The
caller shows the same numbers in a table. Coordinates are written with one
decimal so the same data always gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

#: Writes an axis value with the given number of decimals, in the page's language (71,5 in German).
NumberText = Callable[[float, int], str]

WIDTH, HEIGHT = 360, 180
#: Label size in chart units. A chart is drawn at the width of its card, 280-320 px on phones
#: and in the dashboard's three columns, so 11 came out as 8.5-9.7 px text; 13 gives 10-11.5 px.
LABEL_SIZE = 13
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 52, 20, 14, 34


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


@dataclass(frozen=True)
class Scale:
    """An axis on round numbers: its ticks, evenly spaced, and the decimals their step needs."""

    ticks: tuple[float, ...]
    decimals: int

    @property
    def low(self) -> float:
        return self.ticks[0]

    @property
    def high(self) -> float:
        return self.ticks[-1]


#: Steps between ticks, times a power of ten: 10, 20 or 50 apart reads as round (25 would
#: give 0.25 steps and two decimals on small values).
_STEPS = (1.0, 2.0, 5.0, 10.0)


def nice_scale(values: list[float], intervals: int = 4) -> Scale:
    """Bounds and ticks on round numbers around `values` with about `intervals` steps between
    them: a reader reads a value off 60, 65, 70, 75, 80 (the axis showed the padded data range,
    62,9 and 76,1). A series that never goes below zero gets no negative axis."""
    low, high = padded_range(values)
    if low < 0 <= min(values):
        low = 0.0
    raw = (high - low) / intervals
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(factor * power for factor in _STEPS if factor * power >= raw * (1 - 1e-9))
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    decimals = next(d for d in range(0, 12) if abs(round(step, d) - step) < step * 1e-6)
    ticks = tuple(0.0 if n == 0 else round(n * step, decimals + 1) for n in range(first, last + 1))
    return Scale(ticks, decimals)


def _open(chart_id: str, title: str, desc: str, css_class: str) -> list[str]:
    return [(f'<svg class="kpi-chart {css_class}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
             f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg" '
             f'preserveAspectRatio="xMidYMid meet" focusable="false">'),
            f'<title id="{chart_id}-title">{escape(title)}</title>',
            f'<desc id="{chart_id}-desc">{escape(desc)}</desc>']


def _frame(x_axis: Axis, y_axis: Axis, scale: Scale, number: NumberText) -> list[str]:
    """Axes, a faint line at each tick of `scale` (the y axis) and its value written at the left."""
    left, right = _n(x_axis.start), _n(x_axis.end)
    top, bottom = _n(y_axis.end), _n(y_axis.start)
    grid = "".join(f'<line x1="{left}" y1="{_n(y_axis(tick))}" x2="{right}" y2="{_n(y_axis(tick))}"/>'
                   for tick in scale.ticks[1:])
    labels = "".join(f'<text x="{_n(x_axis.start - 6)}" y="{_n(y_axis(tick) + 4)}">{escape(number(tick, scale.decimals))}</text>'
                     for tick in scale.ticks)
    return ['<g class="chart-axes" aria-hidden="true" stroke="currentColor" stroke-opacity="0.35">',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>',
            f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/></g>',
            f'<g class="chart-grid" aria-hidden="true" stroke="currentColor" stroke-opacity="0.12">{grid}</g>',
            f'<g class="chart-labels" aria-hidden="true" fill="currentColor" font-size="{LABEL_SIZE}" text-anchor="end">'
            f'{labels}</g>']


def _plain(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def trend_chart(chart_id: str, title: str, desc: str, points: list[tuple[str, float, str]],
                target: tuple[float, str] | None = None, number: NumberText = _plain,
                times: list[int] | None = None, missing: Sequence[tuple[int, str]] = ()) -> str:
    """A line over the periods: points are (period, value, value as text); target is (value, text).

    `number` writes axis values in the page's language (71,5 in German). `times` places each
    point in time (months, `kpis.timeline`), and a `missing` period (month, name) leaves its gap,
    crossed by a dashed line over a tick of its own; without times the points are spaced evenly.
    """
    times = times or list(range(len(points)))
    scale = nice_scale([value for _, value, _ in points] + ([target[0]] if target else []))
    x_axis = Axis(times[0], times[-1], PAD_LEFT + 10, WIDTH - PAD_RIGHT - 10)
    y_axis = Axis(scale.low, scale.high, HEIGHT - PAD_BOTTOM, PAD_TOP)
    parts = _open(chart_id, title, desc, "kpi-trend")
    parts += _frame(x_axis, y_axis, scale, number)
    if target is not None:
        y = _n(y_axis(target[0]))
        parts.append(f'<g class="chart-target" aria-hidden="true"><line x1="{_n(x_axis.start)}" y1="{y}" '
                     f'x2="{_n(x_axis.end)}" y2="{y}" stroke="currentColor" stroke-dasharray="5 4"/>'
                     f'<text x="{_n(x_axis.end)}" y="{_n(y_axis(target[0]) - 4)}" font-size="{LABEL_SIZE}" '
                     f'text-anchor="end" fill="currentColor">{escape(target[1])}</text></g>')
    coordinates = [(x_axis(time), y_axis(value)) for time, (_, value, _) in zip(times, points)]
    gaps = [(x_axis(month), name) for month, name in missing]
    parts += _trend_line(coordinates, [x for x, _ in gaps], y_axis)
    for (period, _, text), (x, y) in zip(points, coordinates):
        parts.append(f'<circle class="chart-point" cx="{_n(x)}" cy="{_n(y)}" r="4" fill="currentColor">'
                     f'<title>{escape(period)}: {escape(text)}</title></circle>')
    parts.append(_period_labels([period for period, _, _ in points], [x for x, _ in coordinates], gaps))
    parts.append("</svg>")
    return "\n".join(parts)


def _trend_line(coordinates: list[tuple[float, float]], gap_xs: list[float], y_axis: Axis) -> list[str]:
    """The line through the points: solid from period to period, dashed across the periods
    missing between two (at `gap_xs`), each with a tick on the axis, so that a reader sees a
    quarter was not measured rather than a straight trend."""
    runs: list[list[tuple[float, float]]] = [coordinates[:1]]
    parts = []
    for before, after in zip(coordinates, coordinates[1:]):
        inside = [x for x in gap_xs if before[0] < x < after[0]]
        if inside:
            ticks = "".join(f'<line x1="{_n(x)}" y1="{_n(y_axis.start - 4)}" x2="{_n(x)}" y2="{_n(y_axis.start + 4)}" '
                            f'stroke-dasharray="none"/>' for x in inside)
            parts.append(f'<g class="chart-gap" aria-hidden="true" stroke="currentColor" stroke-opacity="0.6" '
                         f'stroke-width="1.5" stroke-dasharray="3 4"><line x1="{_n(before[0])}" y1="{_n(before[1])}" '
                         f'x2="{_n(after[0])}" y2="{_n(after[1])}"/>{ticks}</g>')
            runs.append([])
        runs[-1].append(after)
    lines = [f'<polyline class="chart-line" points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in run)}" fill="none" '
             f'stroke="currentColor" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>'
             for run in runs if len(run) > 1]
    return lines + parts


#: Room for a period label ("2026-Q3" in LABEL_SIZE) under the axis: closer labels would overlap.
LABEL_ROOM = 56


def _period_labels(periods: list[str], xs: list[float], gaps: Sequence[tuple[float, str]] = ()) -> str:
    """The first and the last period under the axis, those between with room for them, and,
    fainter, the missing periods with room for them."""
    shown = [0]
    for index in range(1, len(periods)):
        last = index == len(periods) - 1
        if last or (xs[index] - xs[shown[-1]] >= LABEL_ROOM and xs[-1] - xs[index] >= LABEL_ROOM):
            if last and len(shown) > 1 and xs[index] - xs[shown[-1]] < LABEL_ROOM:
                shown.pop()  # the last period's label wins over the one crowding it
            shown.append(index)
    y = _n(HEIGHT - PAD_BOTTOM + 21)  # clear of the lowest value written at the left
    labels = [f'<text x="{_n(xs[i])}" y="{y}">{escape(periods[i])}</text>' for i in shown]
    taken = [xs[i] for i in shown]
    for x, name in gaps:
        if all(abs(x - other) >= LABEL_ROOM for other in taken):
            taken.append(x)
            labels.append(f'<text x="{_n(x)}" y="{y}" fill-opacity="0.6">{escape(name)}</text>')
    return (f'<g class="chart-labels" aria-hidden="true" fill="currentColor" font-size="{LABEL_SIZE}" text-anchor="middle">'
            + "".join(labels) + "</g>")


#: Room above a scatter plot for its y-axis title, written across: turned upright along the axis,
#: a KPI name longer than the plot is high ("Weiterempfehlung durch Kundschaft (NPS)") was cut off.
Y_TITLE_ROOM = 12


def scatter_chart(chart_id: str, title: str, desc: str, points: list[tuple[str, float, float]],
                  axis_titles: tuple[str, str], number: NumberText = _plain) -> str:
    """One dot per segment; x is the first KPI, y the second."""
    x_scale = nice_scale([x for _, x, _ in points] or [0.0], intervals=3)
    y_scale = nice_scale([y for _, _, y in points] or [0.0], intervals=3)
    x_axis = Axis(x_scale.low, x_scale.high, PAD_LEFT, WIDTH - PAD_RIGHT)
    y_axis = Axis(y_scale.low, y_scale.high, HEIGHT - PAD_BOTTOM, PAD_TOP + Y_TITLE_ROOM)
    parts = _open(chart_id, title, desc, "kpi-scatter")
    parts += _frame(x_axis, y_axis, y_scale, number)
    bottom, top = _n(HEIGHT - PAD_BOTTOM + 16), _n(y_axis.end)
    parts.append('<g class="chart-grid" aria-hidden="true" stroke="currentColor" stroke-opacity="0.12">'
                 + "".join(f'<line x1="{_n(x_axis(tick))}" y1="{top}" x2="{_n(x_axis(tick))}" y2="{_n(y_axis.start)}"/>'
                           for tick in x_scale.ticks[1:]) + "</g>")
    for segment, x, y in points:
        parts.append(f'<circle class="chart-point" cx="{_n(x_axis(x))}" cy="{_n(y_axis(y))}" r="5" '
                     f'fill="currentColor" fill-opacity="0.8"><title>{escape(segment)}</title></circle>')
    anchors = ["start", *["middle"] * (len(x_scale.ticks) - 2), "end"]
    x_labels = "".join(f'<text x="{_n(x_axis(tick))}" y="{bottom}" text-anchor="{anchor}">'
                       f'{escape(number(tick, x_scale.decimals))}</text>' for tick, anchor in zip(x_scale.ticks, anchors))
    parts.append(f'<g class="chart-labels" aria-hidden="true" fill="currentColor" font-size="{LABEL_SIZE}">{x_labels}'
                 f'<text x="{_n((x_axis.start + x_axis.end) / 2)}" y="{_n(HEIGHT - 4)}" text-anchor="middle">'
                 f'{escape(axis_titles[0])} →</text>'
                 f'<text x="{_n(x_axis.start)}" y="{LABEL_SIZE}">↑ {escape(axis_titles[1])}</text>'
                 f'</g>')
    parts.append("</svg>")
    return "\n".join(parts)
