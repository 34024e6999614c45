"""Pure KPI arithmetic: changes, baselines, targets, series, correlations, number formats.

No I/O and no templates: kpi_pages.py validates the files and feeds plain
values in, so every figure a page or data/kpis.json shows can be tested here
(and recomputed independently in the tests).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["up", "down"]
MIN_CORRELATION_SEGMENTS = 3
JSON_DECIMALS = 4


@dataclass(frozen=True)
class Definition:
    """One KPI as kpis.yaml defines it (labels may be per language)."""

    id: str
    label: str | dict[str, str]
    category: str
    unit: str
    direction: Direction
    target: float | None = None
    description: str | dict[str, str] | None = None


@dataclass(frozen=True)
class Snapshot:
    """The values of one period, after small groups are withheld."""

    period: str
    baseline: bool
    values: dict[str, float]  # company-wide value per KPI id
    segments: dict[str, dict[str, float]] = field(default_factory=dict)  # segment -> KPI id -> value
    respondents: dict[str, int] = field(default_factory=dict)  # segment -> respondents


@dataclass(frozen=True)
class Change:
    """value minus the value of an earlier period, in the KPI's unit."""

    period: str
    earlier: float
    delta: float


@dataclass(frozen=True)
class Figure:
    """What the site shows for one KPI in one snapshot."""

    kpi: str
    period: str
    value: float
    previous: Change | None
    baseline: Change | None
    target_met: bool | None


@dataclass(frozen=True)
class Correlation:
    """Pearson's r across segments; r is None below MIN_CORRELATION_SEGMENTS or without spread."""

    first: str
    second: str
    period: str | None
    points: tuple[tuple[str, float, float], ...]  # (segment, first value, second value)
    r: float | None

    @property
    def n(self) -> int:
        return len(self.points)


def withhold_small_groups(snapshot: Snapshot, min_group_size: int) -> tuple[Snapshot, list[str], list[str]]:
    """The snapshot without segments whose respondents are below the minimum, and without the
    segments withheld to protect them (`protecting_segments`); the names of both, each sorted.

    A segment without respondents information is kept: the rule protects survey
    answers, and figures such as sales per store carry no respondents.
    """
    small = sorted(name for name, count in snapshot.respondents.items() if count < min_group_size)
    protecting = protecting_segments(snapshot, small, min_group_size)
    withheld = set(small) | set(protecting)
    kept_segments = {name: values for name, values in snapshot.segments.items() if name not in withheld}
    kept_respondents = {name: count for name, count in snapshot.respondents.items() if name not in withheld}
    return (Snapshot(snapshot.period, snapshot.baseline, dict(snapshot.values), kept_segments, kept_respondents),
            small, protecting)


def protecting_segments(snapshot: Snapshot, small: list[str], min_group_size: int) -> list[str]:
    """The shown segments to withhold as well, so that no small segment's value follows from the rest.

    A company-wide value that the segments make up (a sum, a mean, a mean weighted by the
    respondents) gives away the one segment of that KPI it is not shown with: total minus the
    rest, or (value x everyone - the shown segments' value x respondents) / its respondents, which,
    unknown to a reader, is below `min_group_size`, so one of a handful of guesses. Whether the
    segments make up the company-wide value cannot be told from figures rounded as they are, so
    every company-wide value is taken to be one. For each KPI with a company-wide value, the
    withheld segments that have a value for it must be none, or at least two with at least
    `min_group_size` respondents together (two small teams of 2 would give away their 4); else the
    shown segment with the fewest respondents that has a value for the KPI is withheld too (a
    segment without respondents last; ties by name), until that holds for every KPI. A KPI no
    shown segment has a value for cannot be helped this way and is left as it is.
    """
    withheld = set(small)
    added: list[str] = []
    while True:
        for kpi in exposed(snapshot, withheld, min_group_size):
            shown = sorted((snapshot.respondents.get(name, math.inf), name) for name, values in snapshot.segments.items()
                           if name not in withheld and kpi in values)
            if shown:
                withheld.add(shown[0][1])
                added.append(shown[0][1])
                break
        else:
            return sorted(added)


def exposed(snapshot: Snapshot, withheld: set[str], min_group_size: int) -> dict[str, list[str]]:
    """KPI id -> the withheld segments with a value for it, for each KPI with a company-wide value
    whose withheld segments could be worked out from it: one alone, or several with fewer than
    `min_group_size` respondents together (a segment without respondents counts as many)."""
    found = {}
    for kpi in sorted(snapshot.values):
        group = sorted(name for name in withheld if kpi in snapshot.segments.get(name, {}))
        if group and (len(group) == 1 or sum(snapshot.respondents.get(name, math.inf) for name in group) < min_group_size):
            found[kpi] = group
    return found


def target_met(value: float, target: float | None, direction: Direction) -> bool | None:
    """Up: the value reaches the target or more; down: it stays at or below it. The value as the
    pages show it (74.999 reads "75 %": next to "at least 75 %" it must not read as missed)."""
    if target is None:
        return None
    value = round(value, SHOWN_DECIMALS)
    return value >= target if direction == "up" else value <= target


def is_improvement(delta: float, direction: Direction) -> bool | None:
    """Whether a change is good news for this KPI (None when nothing changed)."""
    if delta == 0:
        return None
    return delta > 0 if direction == "up" else delta < 0


def ordered(snapshots: list[Snapshot]) -> list[Snapshot]:
    """Oldest first: periods sort as strings (2025-Q4 < 2026-Q1)."""
    return sorted(snapshots, key=lambda snapshot: snapshot.period)


def previous_change(kpi: str, index: int, history: list[Snapshot]) -> Change | None:
    """Against the nearest earlier period that has a value for this KPI."""
    current = history[index].values[kpi]
    for earlier in reversed(history[:index]):
        if kpi in earlier.values:
            return Change(earlier.period, earlier.values[kpi], shown_difference(current, earlier.values[kpi]))
    return None


def shown_difference(current: float, earlier: float) -> float:
    """The change between two values as the pages show them (to SHOWN_DECIMALS): from 73,124 to
    74,245 shown as 73,12 % and 74,25 % is +1,13, not the +1,12 their exact difference rounds to,
    which readers checking the figures took for an error."""
    return round(current, SHOWN_DECIMALS) - round(earlier, SHOWN_DECIMALS)


def baseline_for(index: int, history: list[Snapshot]) -> Snapshot | None:
    """The latest baseline at or before this period; a baseline itself has none."""
    if history[index].baseline:
        return None
    for earlier in reversed(history[:index]):
        if earlier.baseline:
            return earlier
    return None


def baseline_change(kpi: str, index: int, history: list[Snapshot]) -> Change | None:
    baseline = baseline_for(index, history)
    if baseline is None or kpi not in baseline.values:
        return None
    current = history[index].values[kpi]
    return Change(baseline.period, baseline.values[kpi], shown_difference(current, baseline.values[kpi]))


def figures(definitions: list[Definition], snapshots: list[Snapshot]) -> dict[str, dict[str, Figure]]:
    """period -> KPI id -> Figure, for every company-wide value of every snapshot."""
    history = ordered(snapshots)
    result: dict[str, dict[str, Figure]] = {}
    for index, snapshot in enumerate(history):
        row: dict[str, Figure] = {}
        for definition in definitions:
            if definition.id not in snapshot.values:
                continue
            value = snapshot.values[definition.id]
            row[definition.id] = Figure(definition.id, snapshot.period, value,
                                        previous_change(definition.id, index, history),
                                        baseline_change(definition.id, index, history),
                                        target_met(value, definition.target, definition.direction))
        result[snapshot.period] = row
    return result


def series(kpi: str, snapshots: list[Snapshot]) -> list[tuple[str, float]]:
    """(period, value) over every period that has this KPI, oldest first."""
    return [(s.period, s.values[kpi]) for s in ordered(snapshots) if kpi in s.values]


#: A period written as a time: a year (2026), a half (2026-H1), a quarter (2026-Q3), a month (2026-07).
_PERIOD = re.compile(r"(\d{4})(?:-(?:([HQ])([1-4])|(0[1-9]|1[0-2])))?\Z", re.I)
_MONTHS_PER = {"H": 6, "Q": 3}


def period_month(period: str) -> int | None:
    """The month a period starts in, counted from year 0 (2026-Q3 -> 2026 * 12 + 6); None for a
    period written otherwise (`Herbst 2026`), or a half `H3`."""
    match = _PERIOD.match(period)
    if match is None:
        return None
    year, part, number, month = match.groups()
    if part is not None:
        if part.upper() == "H" and int(number) > 2:
            return None
        return int(year) * 12 + _MONTHS_PER[part.upper()] * (int(number) - 1)
    return int(year) * 12 + (int(month) - 1 if month else 0)


@dataclass(frozen=True)
class Timeline:
    """Where a series' periods lie in time (months, `period_month`), and the periods missing
    between them: a step longer than the series' usual one (2026-Q3 between Q2 and Q4)."""

    months: list[int]
    missing: list[tuple[int, str]]  # (month, period as the series writes its periods)


def timeline(periods: list[str]) -> Timeline | None:
    """The series' periods (oldest first) in time, so that a chart puts a missing quarter's gap
    where it is; None when one is not written as a time, or two fall on one month (2026 and
    2026-Q1): then the periods can only be shown one after another."""
    months = [period_month(period) for period in periods]
    known = [month for month in months if month is not None]
    if len(known) < len(months) or any(a >= b for a, b in zip(known, known[1:])):
        return None
    step = min((b - a for a, b in zip(known, known[1:])), default=1)
    missing = [(month, _period_name(month, like))
               for like, start, end in zip(periods, known, known[1:]) for month in range(start + step, end, step)]
    return Timeline(known, missing)


def _period_name(month: int, like: str) -> str:
    """The period starting at `month` written as `like` is (2026-Q3 for 2026-Q2)."""
    part = _PERIOD.match(like).group(2)  # type: ignore[union-attr]
    year = str(month // 12)
    if part is not None:
        return f"{year}-{part}{month % 12 // _MONTHS_PER[part.upper()] + 1}"
    return year if len(like) == 4 else f"{year}-{month % 12 + 1:02}"


def latest_figure(kpi: str, table: dict[str, dict[str, Figure]]) -> Figure | None:
    """The newest period's figure for this KPI."""
    for period in sorted(table, reverse=True):
        if kpi in table[period]:
            return table[period][kpi]
    return None


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r, or None with fewer than 3 pairs or when one side does not vary."""
    n = len(xs)
    if n != len(ys) or n < MIN_CORRELATION_SEGMENTS:
        return None
    mean_x, mean_y = math.fsum(xs) / n, math.fsum(ys) / n
    dx = [x - mean_x for x in xs]
    dy = [y - mean_y for y in ys]
    spread = math.sqrt(math.fsum(d * d for d in dx) * math.fsum(d * d for d in dy))
    if spread == 0:
        return None
    return max(-1.0, min(1.0, math.fsum(a * b for a, b in zip(dx, dy)) / spread))


def correlate(first: str, second: str, snapshots: list[Snapshot]) -> Correlation:
    """The pair across the segments of the latest snapshot that have both values."""
    history = ordered(snapshots)
    if not history:
        return Correlation(first, second, None, (), None)
    latest = history[-1]
    points = tuple((name, values[first], values[second]) for name, values in sorted(latest.segments.items())
                   if first in values and second in values)
    r = pearson([p[1] for p in points], [p[2] for p in points])
    return Correlation(first, second, latest.period, points, r)


# ---------------------------------------------------------------- numbers as text

#: How numbers are written per language (the primary subtag), as in CLDR: a decimal comma
#: almost everywhere in Europe; thousands grouped by a dot or by a no-break space. Other languages
#: write them as English does.
_COMMA_DECIMALS = frozenset("bg ca cs da de el es et eu fi fr gl hr hu id is it lt lv nb nl nn no pl pt ro ru "
                            "sk sl sr sv tr uk".split())
_SPACE_GROUPS = frozenset("bg cs et fi fr hu lt lv nb nn no pl ru sk sv uk".split())
PERCENT_POINTS = {"de": "Pp.", "en": "pp"}
SHOWN_DECIMALS = 2  # at most this many decimals on the pages (format_number)
NBSP = "\u00a0"
MINUS = "\u2212"


def json_number(value: float) -> float | int:
    """Rounded for data/kpis.json, so float noise (3.2999999) never reaches the file."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    rounded = round(float(value), JSON_DECIMALS)
    return 0.0 if rounded == 0 else rounded


def format_number(value: float, lang: str, decimals: int | None = None) -> str:
    """71.5 -> '71,5' (de) or '71.5' (en); up to SHOWN_DECIMALS unless `decimals` is given."""
    if decimals is None:
        text = f"{abs(value):,.{SHOWN_DECIMALS}f}".rstrip("0").rstrip(".")
    else:
        text = f"{abs(value):,.{decimals}f}"
    whole, _, fraction = text.partition(".")
    primary = lang.split("-")[0].lower()
    comma = primary in _COMMA_DECIMALS
    whole = whole.replace(",", (NBSP if primary in _SPACE_GROUPS else ".") if comma else ",")
    text = whole + ((("," if comma else ".") + fraction) if fraction else "")
    return (MINUS + text) if value < 0 and text.strip("0,.") else text


def with_unit(number: str, unit: str, lang: str) -> str:
    """'71,5 %' in German, '71.5%' in English; other units after a no-break space."""
    if not unit:
        return number
    if unit == "%" and lang.split("-")[0].lower() not in _COMMA_DECIMALS:  # '71.5%', as English writes it
        return number + unit
    return number + NBSP + unit


def format_value(value: float, unit: str, lang: str) -> str:
    return with_unit(format_number(value, lang), unit, lang)


def format_change(delta: float, unit: str, lang: str) -> str:
    """'+3,3 Pp.' / '+3.3 pp' for percentages, '−2 Punkte' otherwise; '±0' for no change."""
    number = format_number(delta, lang)
    if number.lstrip(MINUS).strip("0,.") == "":
        number = "\u00b10"
    elif not number.startswith(MINUS):
        number = "+" + number
    change_unit = PERCENT_POINTS.get(lang.split("-")[0].lower(), "pp") if unit == "%" else unit
    return number + (NBSP + change_unit if change_unit else "")
