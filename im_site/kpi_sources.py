"""KPI files -> validated values: kpis.yaml, the snapshots' front matter and their CSV files.

Every mistake becomes a diagnostic with the file and line (CSV lines too),
all of them collected before anything is computed. Only published snapshots
are read, so an embargoed period never reaches a figure, chart or data file.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import posixpath
import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from .config import Label, warn_lacking_languages
from .diagnostics import Diagnostics
from .kpis import Definition, Snapshot
from .model import Page
from .schema import Strict, validate
from .sources import SourceFile
from .yamldoc import YamlDoc, YamlProblem, load

_ID = re.compile(r"[a-z0-9][a-z0-9_-]*$")
CSV_HEADER = ["kpi", "segment", "value"]
CSV_OPTIONAL = "respondents"


class KpiModel(Strict):
    """One entry of `kpis:` in kpis.yaml."""

    id: str
    label: Label
    category: Literal["engagement", "behavior", "impact"]
    unit: Label
    direction: Literal["up", "down"]
    target: int | float | None = None
    description: Label | None = None
    since: str | None = None  # the first period measured: earlier snapshots need no value
    until: str | None = None  # the last period measured (a KPI replaced by another): later ones need none
    range: list[int | float] | None = Field(default=None, min_length=2, max_length=2)  # [lowest, highest] possible


class KpiFile(Strict):
    """content/kpis/kpis.yaml."""

    kpis: list[KpiModel] = Field(min_length=1)
    correlations: list[list[str]] = Field(default_factory=list)
    segments: dict[str, Label] = Field(default_factory=dict)  # segment id -> the name readers see


@dataclass
class Definitions:
    """The validated kpis.yaml."""

    kpis: list[Definition]
    correlations: list[tuple[str, str]]
    path: str
    since: dict[str, str] = field(default_factory=dict)  # KPI id -> its first period (`since:`)
    since_lines: dict[str, int | None] = field(default_factory=dict)  # KPI id -> the line of its `since:`
    segment_labels: dict[str, Label] = field(default_factory=dict)  # segment id -> its name (`segments:`)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)  # KPI id -> the values it can take
    until: dict[str, str] = field(default_factory=dict)  # KPI id -> its last period (`until:`)

    @property
    def ids(self) -> set[str]:
        return {kpi.id for kpi in self.kpis}


@dataclass
class SnapshotData:
    """One snapshot page's values, inline and from its CSV, before small groups are withheld."""

    page: Page
    values: dict[str, float] = field(default_factory=dict)
    segments: dict[str, dict[str, float]] = field(default_factory=dict)
    respondents: dict[str, int] = field(default_factory=dict)
    has_errors: bool = False  # its values or CSV have errors of their own (reported)

    @property
    def has_data(self) -> bool:
        return bool(self.values or self.segments)

    def snapshot(self) -> Snapshot:
        return Snapshot(self.page.meta.period, self.page.meta.baseline, dict(self.values),
                        {name: dict(values) for name, values in self.segments.items()}, dict(self.respondents))


# ---------------------------------------------------------------- kpis.yaml

def load_definitions(files: dict[str, SourceFile], diagnostics: Diagnostics,
                     languages: list[str] | None = None) -> Definitions | None:
    """Read content/kpis/kpis.yaml; None when there is none or it has errors. Texts written per
    language that lack one of the site's `languages` are warned about (IM160)."""
    found = [source for _, source in sorted(files.items()) if source.kind == "kpi_defs"]
    if not found:
        return None
    for extra in found[1:]:
        diagnostics.error(extra.path, 1, "IM140", f"KPI definitions are already read from {found[0].path}",
                          hint="keep one of kpis.yaml and kpis.yml")
    source = found[0]
    try:
        doc = load(source.text or "")
    except YamlProblem as problem:
        problem.report(diagnostics, source.path)
        return None
    if not isinstance(doc.data, dict):
        diagnostics.error(source.path, doc.first_line, "IM004", "kpis.yaml must be a mapping with a `kpis:` list")
        return None
    model = validate(KpiFile, doc, source.path, diagnostics)
    if model is None:
        return None
    _check_text_languages(model, doc, source.path, languages or [], diagnostics)
    return _check_definitions(model, doc, source.path, diagnostics)


def _check_text_languages(model: KpiFile, doc: YamlDoc, path: str, languages: list[str], diagnostics: Diagnostics) -> None:
    """A KPI's label, unit or description, or a segment's name, written per language (`{de: …, en: …}`)
    without one of the site's languages: its pages show that text in another language, as site.yaml's
    labels would (config.check_label_languages). One warning per language, at the first such text."""
    texts = [(("kpis", index, field), f"kpis[{index}].{field}", getattr(kpi, field))
             for index, kpi in enumerate(model.kpis) for field in ("label", "unit", "description")]
    texts += [(("segments", segment), f"segments.{segment}", label) for segment, label in model.segments.items()]

    def message(count: int, names: str, lang: str) -> str:
        return (f"{count} text{'s' if count != 1 else ''} written per language with no text in {lang!r} ({names}): "
                f"the KPI pages and figures in {lang!r} show them in another language")
    warn_lacking_languages(texts, languages, path, doc.line_of, diagnostics, message)


def _check_definitions(model: KpiFile, doc: YamlDoc, path: str, diagnostics: Diagnostics) -> Definitions | None:
    """Ids valid and unique; targets finite; correlations name two known, different KPIs."""
    before = len(diagnostics.errors)
    seen: set[str] = set()
    for index, kpi in enumerate(model.kpis):
        if not _ID.match(kpi.id):
            diagnostics.error(path, doc.line_of(("kpis", index, "id")), "IM140",
                              f"{kpi.id!r} is not a valid KPI id (lowercase letters, digits, '-' and '_')")
        if kpi.id in seen:
            diagnostics.error(path, doc.line_of(("kpis", index, "id")), "IM140", f"duplicate KPI id {kpi.id!r}")
        seen.add(kpi.id)
        if kpi.target is not None and not math.isfinite(kpi.target):
            diagnostics.error(path, doc.line_of(("kpis", index, "target")), "IM140",
                              f"target of {kpi.id!r} is {kpi.target}, not a finite number")
        if kpi.range is not None and not (all(map(math.isfinite, kpi.range)) and kpi.range[0] < kpi.range[1]):
            diagnostics.error(path, doc.line_of(("kpis", index, "range")), "IM140",
                              f"range of {kpi.id!r} must be [lowest, highest] in finite numbers, lowest first, not {kpi.range}")
    pairs = []
    for index, pair in enumerate(model.correlations):
        line = doc.line_of(("correlations", index))
        if len(pair) != 2 or pair[0] == pair[1]:
            diagnostics.error(path, line, "IM140", "a correlation names two different KPI ids: [first, second]")
            continue
        for kpi_id in pair:
            if kpi_id not in seen:
                diagnostics.error(path, line, "IM020", f"unknown KPI id {kpi_id!r} in correlations",
                                  hint=known_kpis_hint(seen))
        pairs.append((pair[0], pair[1]))
    if len(diagnostics.errors) > before:
        return None
    kpis = [Definition(k.id, k.label, k.category, k.unit, k.direction,  # type: ignore[arg-type]
                       None if k.target is None else k.target, k.description) for k in model.kpis]
    return Definitions(kpis, pairs, path, {k.id: k.since for k in model.kpis if k.since is not None},
                       {k.id: doc.line_of(("kpis", index, "since")) for index, k in enumerate(model.kpis)},
                       dict(model.segments), {k.id: found for k in model.kpis if (found := value_range(k)) is not None},
                       {k.id: k.until for k in model.kpis if k.until is not None})


PERCENT_RANGE = (0, 100)


def value_range(kpi: KpiModel) -> tuple[float, float] | None:
    """The values a KPI can take: its `range:`, else 0 to 100 for a share in % (a survey export's
    130 % or a slipped digit would otherwise reach the dashboard as a record), else any."""
    if kpi.range is not None:
        return kpi.range[0], kpi.range[1]
    return PERCENT_RANGE if kpi.unit == "%" else None


def _in_range(kpi_id: str, value: float, ranges: dict[str, tuple[float, float]], path: str, line: int | None,
              diagnostics: Diagnostics, where: str = "") -> bool:
    """Whether the value lies in the KPI's range; a value outside it is an error at its line."""
    low, high = ranges.get(kpi_id, (-math.inf, math.inf))
    if low <= value <= high:
        return True
    hint = ("a share in % lies between 0 and 100; if other values are right for this KPI (a growth rate), "
            "give it `range: [lowest, highest]` in kpis.yaml" if (low, high) == PERCENT_RANGE else
            "check the value, or the KPI's `range:` in kpis.yaml")
    diagnostics.error(path, line, "IM140", f"value {value:g} of {kpi_id!r}{where} is outside its range "
                      f"{low:g} to {high:g}", hint=hint)
    return False


def kpi_role(target: str) -> tuple[str, str]:
    """(KPI id, period or "") of a `{kpi}` role: `employee_satisfaction` or `employee_satisfaction 2026-Q3`."""
    kpi_id, _, period = target.partition(" ")
    return kpi_id, period.strip()


def known_kpis_hint(ids: set[str]) -> str:
    """For an unknown KPI id: the ids there are, or where to define one."""
    return "known KPIs: " + ", ".join(sorted(ids)) if ids else "define it in content/kpis/kpis.yaml"


# ---------------------------------------------------------------- snapshots

def load_snapshot(page: Page, files: dict[str, SourceFile], known: set[str], diagnostics: Diagnostics,
                  ranges: dict[str, tuple[float, float]] | None = None) -> SnapshotData:
    """Inline values and the CSV named by `data:`, merged; unknown ids, doubles and values outside
    their KPI's range reported."""
    meta, data, ranges = page.meta, SnapshotData(page), ranges or {}
    reported, diagnostics = diagnostics, Diagnostics()  # its own, to know whether it has errors
    for kpi_id, value in sorted(meta.values.items()):
        line = page.line_of(("values", kpi_id))
        if _known_id(kpi_id, known, page.path, line, diagnostics) and \
                _in_range(kpi_id, value, ranges, page.path, line, diagnostics):
            data.values[kpi_id] = value
    for segment, values in sorted(meta.segments.items()):
        for kpi_id, value in sorted(values.items()):
            line = page.line_of(("segments", segment, kpi_id))
            if _known_id(kpi_id, known, page.path, line, diagnostics) and \
                    _in_range(kpi_id, value, ranges, page.path, line, diagnostics, f" for segment {segment!r}"):
                data.segments.setdefault(segment, {})[kpi_id] = value
    data.respondents.update(meta.respondents)
    for segment, count in sorted(meta.respondents.items()):
        if count < 0:
            diagnostics.error(page.path, page.line_of(("respondents", segment)), "IM140",
                              f"respondents of {segment!r} is {count}, not a count")
    unread = bool(meta.data) and not _merge_csv(data, page, files, known, diagnostics, reported, ranges)
    uncounted = sorted(set(data.segments) - set(data.respondents))
    for segment in [] if unread else sorted(set(data.respondents) - set(data.segments)):
        line = page.line_of(("respondents", segment))
        meant = _meant_segment(segment, uncounted)
        if meant is None:
            diagnostics.warning(page.path, line, "IM140", f"respondents given for segment {segment!r}, which has no values")
        else:  # a typo: the segment it counts has no count, so no small-group protection
            diagnostics.error(page.path, line, "IM140", f"respondents given for segment {segment!r}, which has no values, "
                              f"while segment {meant!r} has values and no respondents: it would be shown however few "
                              "answered", hint=f"write the segment's name as in its values: {meant}")
    data.has_errors = diagnostics.has_errors() or unread
    reported.extend(diagnostics.items)
    return data


def _meant_segment(name: str, uncounted: list[str]) -> str | None:
    """The segment with values and no respondents that `name` (a respondents entry naming no segment)
    was most likely written for: the same but for case, spaces and dashes, or one letter or two off."""
    def plain(text: str) -> str:
        return "".join(char for char in text.casefold() if char.isalnum())
    same = [segment for segment in uncounted if plain(segment) == plain(name)]
    close = difflib.get_close_matches(name, uncounted, n=1, cutoff=0.8)
    return same[0] if same else close[0] if close else None


def _known_id(kpi_id: str, known: set[str], path: str, line: int | None, diagnostics: Diagnostics) -> bool:
    if kpi_id in known:
        return True
    diagnostics.error(path, line, "IM020", f"unknown KPI id {kpi_id!r}", hint=known_kpis_hint(known))
    return False


def _merge_csv(data: SnapshotData, page: Page, files: dict[str, SourceFile], known: set[str],
               diagnostics: Diagnostics, reported: Diagnostics, ranges: dict[str, tuple[float, float]]) -> bool:
    """Merge the CSV of `data:` into `data`; False when it is there but could not be read."""
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(page.rel), page.meta.data))
    source = files.get(rel)
    line = page.line_of(("data",))
    if source is None and _unreadable(page.path.removesuffix(page.rel) + rel, reported):
        # There, but not read: its own error says why (not UTF-8, as a German Excel saves CSV;
        # empty; too large). "Not found" would send the writer looking for a file that is there.
        return False
    if source is None or source.kind != "kpi_data":
        diagnostics.error(page.path, line, "IM140", f"data file {page.meta.data!r} not found beside the snapshot",
                          hint="put a .csv file with the header kpi,segment,value in content/kpis/")
        return True
    differing: set[str] = set()  # segments whose respondents differ, reported once each
    for row in read_csv(source, known, diagnostics):
        segment, target = row.segment, (data.values if not row.segment else data.segments.setdefault(row.segment, {}))
        if row.kpi in target:
            where = f"segment {segment!r}" if segment else "the company-wide values"
            diagnostics.error(source.path, row.line, "IM140",
                              f"{row.kpi!r} for {where} is given twice (in {page.path} or earlier in this file)")
            continue
        if not _in_range(row.kpi, row.value, ranges, source.path, row.line, diagnostics,
                         f" for segment {segment!r}" if segment else ""):
            continue
        target[row.kpi] = row.value
        if row.respondents is not None and segment:
            known_count = data.respondents.get(segment, row.respondents)
            if known_count != row.respondents and segment not in differing:
                differing.add(segment)
                diagnostics.error(source.path, row.line, "IM140",
                                  f"respondents of {segment!r} differ: {known_count} and {row.respondents}",
                                  hint="a segment has one count of respondents for all its KPIs, by which it is "
                                       "withheld when too small: give every row of it the smallest")
            data.respondents[segment] = min(known_count, row.respondents)
    return True


def _unreadable(path: str, reported: Diagnostics) -> bool:
    """Whether the file `path` (from the site root) is there but was not read: an error of its own names it."""
    return any(item.path == path and item.severity == "error" for item in reported.items)


@dataclass(frozen=True)
class CsvRow:
    line: int
    kpi: str
    segment: str
    value: float
    respondents: int | None


def read_csv(source: SourceFile, known: set[str], diagnostics: Diagnostics) -> list[CsvRow]:
    """Rows of a KPI CSV; a bad header stops reading, a bad row is reported and skipped.

    Columns separated by commas with decimal dots, or, as a German Excel saves
    CSV, by semicolons with decimal commas (`satisfaction;;71,5`): the header says which."""
    text = source.text or ""
    first = text.split("\n", 1)[0].rstrip("\r")
    # Semicolons when the header has more columns split by them (quoted or not, as survey tools
    # write it: "kpi";"segment";...), so a misspelt column is named in a semicolon file too.
    german = len(_header_cells(first, ";")) > len(_header_cells(first, ","))
    separator = ";" if german else ","
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=separator)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        diagnostics.error(source.path, reader.line_num or 1, "IM140", f"unreadable CSV: {exc}")
        return []
    columns = _trailing_empty_dropped([name.strip() for name in header or []])
    if columns not in (CSV_HEADER, CSV_HEADER + [CSV_OPTIONAL]):
        unknown = sorted(set(columns) - set(CSV_HEADER) - {CSV_OPTIONAL})
        detail = f"; unknown column {', '.join(map(repr, unknown))}" if unknown else ""
        diagnostics.error(source.path, 1, "IM140",
                          f"CSV header must be {separator.join(CSV_HEADER)!r} (optionally "
                          f"{separator + CSV_OPTIONAL!r}), not {separator.join(columns)!r}{detail}")
        return []
    rows: list[CsvRow] = []
    try:
        for cells in reader:
            row = _csv_row(cells, len(columns), reader.line_num, source.path, known, diagnostics, german)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        diagnostics.error(source.path, reader.line_num, "IM140", f"unreadable CSV: {exc}")
    return rows


def _header_cells(line: str, delimiter: str) -> list[str]:
    """The names of a header line split by `delimiter` (quotes read), without empty columns at its end."""
    try:
        cells = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []
    return _trailing_empty_dropped([cell.strip() for cell in cells])


def _trailing_empty_dropped(cells: list[str]) -> list[str]:
    """Without the empty cells at the end: Excel writes `;;` for empty columns beside the data."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _csv_row(cells: list[str], width: int, line: int, path: str, known: set[str],
             diagnostics: Diagnostics, german: bool = False) -> CsvRow | None:
    if not cells or all(not cell.strip() for cell in cells):
        return None
    if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
        cells = cells[:width]  # empty columns beside the data, as Excel saves a sheet's used range
    if len(cells) != width:
        split = not german and len(cells) == width + 1 and all(cell.strip().lstrip("-").isdigit() for cell in cells[2:4])
        whole, fraction = (cell.strip() for cell in cells[2:4]) if split else ("", "")
        hint = f"if {whole},{fraction} is one number, write it with a dot: {whole}.{fraction}" if split else None
        diagnostics.error(path, line, "IM140", f"row has {len(cells)} fields, the header {width}", hint=hint)
        return None
    kpi_id, segment, raw = (cell.strip() for cell in cells[:3])
    if not _known_id(kpi_id, known, path, line, diagnostics):
        return None
    if german and "." in raw:  # 1.234 is a thousand and more in German, 1.234 in English: say which
        diagnostics.error(path, line, "IM140", f"value {raw!r} of {kpi_id!r} has a dot in a file of semicolons and "
                          "decimal commas", hint=f"write the decimals with a comma: {raw.replace('.', ',')}, "
                          "and no thousands separator")
        return None
    value = parse_number(raw.replace(",", ".", 1) if german and re.fullmatch(r"[-+]?[0-9]+,[0-9]+", raw) else raw)
    if value is None:
        diagnostics.error(path, line, "IM140", f"value {raw!r} of {kpi_id!r} is not a finite number",
                          hint="write decimals with a comma: 71,5" if german else "write numbers with a dot: 71.5")
        return None
    respondents = None
    if width == 4 and cells[3].strip():
        text = cells[3].strip()
        if not text.isdigit():
            diagnostics.error(path, line, "IM140", f"respondents {text!r} is not a whole number",
                              hint="no thousands separator: 1234" if re.fullmatch(r"[0-9]{1,3}([.,][0-9]{3})+", text)
                              else None)
            return None
        respondents = int(text)
    return CsvRow(line, kpi_id, segment, value, respondents)


def parse_number(text: str) -> float | None:
    """A finite decimal number (ints stay ints); None for text, NaN and infinity."""
    if re.fullmatch(r"[-+]?[0-9]+", text):
        return int(text)
    if not re.fullmatch(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


# ---------------------------------------------------------------- periods

def choose_sources(loaded: list[SnapshotData], languages: list[str], diagnostics: Diagnostics) -> list[SnapshotData]:
    """One snapshot per period: the default language's when it has values, else a translation's.

    Two snapshots of one period in the same language are an error naming both files.
    """
    by_period: dict[str, dict[str, SnapshotData]] = {}
    for data in sorted(loaded, key=lambda d: d.page.path):
        page = data.page
        same = by_period.setdefault(page.meta.period, {})
        if page.lang in same:
            diagnostics.error(page.path, page.line_of(("period",)), "IM140",
                              f"duplicate period {page.meta.period!r}: also in {same[page.lang].page.path}")
            continue
        same[page.lang] = data
    chosen = []
    for period in sorted(by_period):
        candidates = [by_period[period][lang] for lang in languages if lang in by_period[period]]
        chosen.append(next((c for c in candidates if c.has_data), candidates[0]))
        _warn_differing(chosen[-1], candidates, diagnostics)
    return chosen


def _warn_differing(chosen: SnapshotData, candidates: list[SnapshotData], diagnostics: Diagnostics) -> None:
    """A translation giving another value than the snapshot used is a slip in one of them."""
    for other in (candidate for candidate in candidates if candidate is not chosen):
        for kpi, value in sorted(other.values.items()):
            if kpi in chosen.values and value != chosen.values[kpi]:
                diagnostics.warning(other.page.path, other.page.line_of(("values", kpi)), "IM140",
                                    f"{kpi} is {value} here but {chosen.values[kpi]} in {chosen.page.path}, "
                                    "whose values the pages show",
                                    hint="give the values in one language only, or the same in both")


def warn_missing(chosen: list[SnapshotData], definitions: Definitions, diagnostics: Diagnostics) -> None:
    """A snapshot without a company-wide value for a defined KPI leaves a gap in the trend
    (not one of a period before the KPI's `since`: it was not measured yet). A snapshot whose
    values have errors is left out: its values in a bad CSV header or row are not missing."""
    periods = {data.page.meta.period for data in chosen}
    for kpi_id, since in sorted(definitions.since.items()):
        written = next((period for period in sorted(periods) if period.casefold() == since.casefold()), None)
        if since not in periods and written is not None:  # periods compare as text: 2026-q3 sorts after 2026-Q4
            diagnostics.warning(definitions.path, definitions.since_lines.get(kpi_id), "IM141",
                                f"since {since!r} of {kpi_id!r} is written unlike the snapshot period {written!r}",
                                hint=f"write since: {written}")
    for data in (data for data in chosen if not data.has_errors):
        period = data.page.meta.period
        for kpi in definitions.kpis:
            since, until = definitions.since.get(kpi.id), definitions.until.get(kpi.id)
            if until is not None and period > until and kpi.id in data.values:
                meta = data.page.meta
                where = ("values", kpi.id) if kpi.id in meta.values else ("data",) if meta.data else ("period",)
                diagnostics.warning(data.page.path, data.page.line_of(where), "IM141",
                                    f"snapshot {period} has a value for KPI {kpi.id!r}, measured until {until}",
                                    hint=f"leave the value out, or move `until:` of {kpi.id!r} in kpis.yaml")
            if kpi.id in data.values or (since is not None and period < since) or (until is not None and period > until):
                continue
            first = min((other.page.meta.period for other in chosen if kpi.id in other.values), default=None)
            hint = (f"if {kpi.id!r} was first measured in {first}, write `since: {first}` at it in kpis.yaml"
                    if first is not None and first > period and since is None else None)
            diagnostics.warning(data.page.path, data.page.line_of(("period",)), "IM141",
                                f"snapshot {period} has no value for KPI {kpi.id!r}", hint=hint)


def warn_unnamed_segments(definitions: Definitions, chosen: list[SnapshotData], shown: list[Snapshot],
                          diagnostics: Diagnostics) -> None:
    """Where kpis.yaml names segments, a segment readers see that it does not name shows as its id
    (`store-rostock-hafen`) in tables and charts: most likely a new store the list lacks. Withheld
    segments are not shown, so not named here either."""
    named = definitions.segment_labels
    if not named:
        return
    for data, snapshot in zip(chosen, shown, strict=True):
        page = data.page
        for segment in sorted(set(snapshot.segments) - set(named)):
            line = page.line_of(("segments", segment)) if segment in page.meta.segments else page.line_of(
                ("data",) if page.meta.data else ("period",))
            diagnostics.warning(page.path, line, "IM141", f"segment {segment!r} has no name in `segments:` of "
                                f"{definitions.path}, so readers see its id", hint=f"add `{segment}: <name>` there")


def warn_exposed(data: SnapshotData, exposed: dict[str, list[str]], diagnostics: Diagnostics) -> None:
    """A company-wide value that still gives a withheld segment away: no shown segment has a value for
    the KPI to withhold with it (kpis.protecting_segments), so the company-wide value may be the small
    segment's own. The writer can leave one of the two out."""
    page = data.page
    for kpi_id, segments in exposed.items():
        where = ("values", kpi_id) if kpi_id in page.meta.values else ("data",) if page.meta.data else ("period",)
        names = ", ".join(map(repr, segments))
        diagnostics.warning(page.path, page.line_of(where), "IM140",
                            f"the company-wide value of {kpi_id!r} may give away what segment{'s' if len(segments) > 1 else ''} "
                            f"{names}, withheld for too few respondents, answered: no shown segment has a value for "
                            f"{kpi_id!r} to withhold with {'them' if len(segments) > 1 else 'it'}",
                            hint=f"leave out the company-wide value of {kpi_id!r} in {page.meta.period}, "
                                 "or the withheld segments' values for it")
