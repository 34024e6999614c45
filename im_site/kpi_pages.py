"""KPI pages: the /kpis/ dashboard per language, the figures on snapshot pages,
`{kpi}` embeds and data/kpis.json.

The files are validated by kpi_sources.py, small groups are withheld before
anything is computed (so no page, chart, correlation or data file can show
them), and the arithmetic lives in kpis.py. Everything shown is prepared here
as text in the page's language, so templates only lay it out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import kpis, svg
from .config import label_for
from .kpi_sources import (
    Definitions,
    SnapshotData,
    choose_sources,
    kpi_role,
    load_definitions,
    load_snapshot,
    warn_exposed,
    warn_missing,
    warn_unnamed_segments,
)
from .kpis import Correlation, Definition, Figure, Snapshot
from .model import Page
from .render import Markup
from .render.context import INVALID, Job, link_from

if TYPE_CHECKING:
    from .build import BuildResult
    from .render.context import RenderContext

CATEGORIES = ("engagement", "behavior", "impact")
DATA_FILE = "data/kpis.json"


@dataclass
class KpiData:
    """Everything the KPI pages show, computed once per build."""

    definitions: Definitions
    sources: list[SnapshotData]  # one per period, oldest first
    snapshots: list[Snapshot]  # small groups withheld
    withheld: dict[str, int]  # period -> number of segments withheld for their few respondents
    protecting: dict[str, int]  # period -> number of segments withheld so that those cannot be worked out
    table: dict[str, dict[str, Figure]]
    correlations: list[Correlation]
    min_group_size: int

    def definition(self, kpi_id: str) -> Definition | None:
        return next((kpi for kpi in self.definitions.kpis if kpi.id == kpi_id), None)

    def snapshot(self, period: str) -> Snapshot:
        return next(s for s in self.snapshots if s.period == period)

    def measured(self, definition: Definition) -> bool:
        """Whether readers may see `definition` yet: a KPI whose first period (`since:`) is later
        than every published snapshot (its snapshot still embargoed, say) is not measured yet,
        and showed "keine Daten" on the dashboard until that snapshot went live."""
        since = self.definitions.since.get(definition.id)
        return since is None or (bool(self.snapshots) and self.snapshots[-1].period >= since)


def jobs(ctx: RenderContext, result: BuildResult) -> list[Job]:
    """Validate the KPI files, compute every figure, and plan the dashboards."""
    data = collect(ctx, result)
    env = ctx.theme.env
    assert env is not None
    env.globals["kpi_snapshot"] = lambda page: snapshot_view(ctx, data, page) if data else None
    env.globals["kpi_highlights"] = lambda lang: highlights(ctx, data, lang) if data else None
    if data is None:
        files = result.content.files.values() if result.content else ()
        for source in files:
            if source.kind == "kpi_defs":
                # kpis.yaml has errors of its own, reported: calling every `{kpi}` unknown, or the
                # menu's link to the dashboard a riddle, would only mislead
                ctx.kpi_embed = lambda kpi_id, lang, from_file: ""
                ctx.hidden[source.rel] = INVALID
        return []
    ctx.kpi_data = data
    ctx.kpi_embed = lambda kpi_id, lang, from_file: embed(ctx, data, kpi_id, lang, from_file)
    ctx.outputs.add(DATA_FILE, data_json(data), data.definitions.path, ctx.diagnostics)
    return [dashboard_job(ctx, data, lang) for lang in dashboard_languages(ctx)]


def collect(ctx: RenderContext, result: BuildResult) -> KpiData | None:
    """Definitions, published snapshots (one per period) and the computed figures."""
    files = result.content.files if result.content else {}
    published = sorted(ctx.site.of_kind("kpi_snapshot"), key=lambda page: page.path)
    definitions = load_definitions(files, ctx.diagnostics, ctx.config.languages)
    if definitions is None:
        for page in published:
            if not any(source.kind == "kpi_defs" for source in files.values()):
                ctx.diagnostics.error(page.path, page.line_of(("period",)), "IM140",
                                      "KPI snapshot without definitions",
                                      hint="define the KPIs in content/kpis/kpis.yaml")
        return None
    loaded = [load_snapshot(page, files, definitions.ids, ctx.diagnostics, definitions.ranges) for page in published]
    sources = choose_sources(loaded, ctx.config.languages, ctx.diagnostics)
    warn_missing(sources, definitions, ctx.diagnostics)
    minimum = ctx.config.settings.kpis.min_group_size
    snapshots, withheld, protecting = [], {}, {}
    for source in sources:
        kept, small, others = kpis.withhold_small_groups(source.snapshot(), minimum)
        snapshots.append(kept)
        withheld[kept.period], protecting[kept.period] = len(small), len(others)
        warn_exposed(source, kpis.exposed(source.snapshot(), {*small, *others}, minimum), ctx.diagnostics)
    warn_unnamed_segments(definitions, sources, snapshots, ctx.diagnostics)
    correlations = [kpis.correlate(first, second, snapshots) for first, second in definitions.correlations]
    return KpiData(definitions, sources, snapshots, withheld, protecting, kpis.figures(definitions.kpis, snapshots),
                   correlations, minimum)


def dashboard_languages(ctx: RenderContext) -> list[str]:
    """The default language always; others when the site has pages in them."""
    default = ctx.config.settings.language
    return [lang for lang in ctx.config.languages if lang == default or ctx.site.pages_in(lang)]


def dashboard_file(ctx: RenderContext, lang: str) -> str:
    languages = dashboard_languages(ctx)
    return f"{ctx.lang_prefix(lang if lang in languages else ctx.config.settings.language)}kpis/index.html"


# ---------------------------------------------------------------- text for one KPI

def _axis_number(lang: str) -> svg.NumberText:
    return lambda value, decimals: kpis.format_number(value, lang, decimals)


def _label(definition: Definition, lang: str) -> str:
    return label_for(definition.label, lang, definition.id)


def _segment(data: KpiData, name: str, lang: str) -> str:
    """A segment's name for readers (`segments:` in kpis.yaml), else its id as the data names it."""
    return label_for(data.definitions.segment_labels.get(name), lang, name)


def _unit(definition: Definition, lang: str) -> str:
    return label_for(definition.unit, lang)


def change_view(change: kpis.Change | None, definition: Definition, lang: str, t: dict[str, str],
                key: str) -> dict[str, Any] | None:
    """'+3,3 Pp. ggü. 2026-Q2', with whether that is good news for this KPI."""
    if change is None:
        return None
    shown = round(change.delta, kpis.SHOWN_DECIMALS)  # a change shown as ±0 is neither better nor worse
    good = kpis.is_improvement(shown, definition.direction)
    tone = "same" if good is None else ("better" if good else "worse")
    return {"text": kpis.format_change(change.delta, _unit(definition, lang), lang),
            "against": t[key].format(period=change.period), "period": change.period, "tone": tone,
            "tone_text": t[f"kpi_{tone}"], "icon": "▶" if tone == "same" else ("▲" if change.delta > 0 else "▼")}


def target_view(figure: Figure, definition: Definition, lang: str, t: dict[str, str]) -> dict[str, Any] | None:
    """Target status as text and icon, never colour alone."""
    if definition.target is None or figure.target_met is None:
        return None
    direction = t["kpi_target_up"] if definition.direction == "up" else t["kpi_target_down"]
    return {"met": figure.target_met, "icon": "✓" if figure.target_met else "✗",
            "text": t["kpi_target_met"] if figure.target_met else t["kpi_target_missed"],
            "target": direction.format(target=kpis.format_value(definition.target, _unit(definition, lang), lang))}


def figure_view(figure: Figure, definition: Definition, lang: str, t: dict[str, str]) -> dict[str, Any]:
    return {"id": definition.id, "label": _label(definition, lang), "period": figure.period,
            "value": kpis.format_value(figure.value, _unit(definition, lang), lang),
            "previous": change_view(figure.previous, definition, lang, t, "kpi_vs_previous"),
            "baseline": change_view(figure.baseline, definition, lang, t, "kpi_vs_baseline"),
            "target": target_view(figure, definition, lang, t)}


# ---------------------------------------------------------------- dashboard

def dashboard_job(ctx: RenderContext, data: KpiData, lang: str) -> Job:
    file = f"{ctx.lang_prefix(lang)}kpis/index.html"
    t = ctx.strings(lang)
    categories = []
    for category in CATEGORIES:
        cards = [kpi_card(ctx, data, definition, lang, t) for definition in data.definitions.kpis
                 if definition.category == category and data.measured(definition)]
        if cards:
            categories.append({"id": category, "title": t[f"kpi_category_{category}"], "kpis": cards})
    return Job(file, "kpi_dashboard.html", lang, "kpi dashboard", {
        "title": t["kpis_title"], "categories": categories,
        "correlations": [correlation_view(data, item, index, lang, t) for index, item in enumerate(_shown_correlations(data))],
        "snapshots": snapshot_links(ctx, data, lang, file),
        "latest_period": data.snapshots[-1].period if data.snapshots else None,
        "switch_targets": {other: f"{ctx.lang_prefix(other)}kpis/index.html" for other in dashboard_languages(ctx)}})


def _shown_correlations(data: KpiData) -> list[Correlation]:
    """The correlations of KPIs that are both measured yet (`KpiData.measured`)."""
    return [item for item in data.correlations
            if all(data.measured(kpi) for kpi in data.definitions.kpis if kpi.id in (item.first, item.second))]


def kpi_card(ctx: RenderContext, data: KpiData, definition: Definition, lang: str,
             t: dict[str, str]) -> dict[str, Any]:
    unit = _unit(definition, lang)
    latest = kpis.latest_figure(definition.id, data.table)
    points = [(period, value, kpis.format_value(value, unit, lang))
              for period, value in kpis.series(definition.id, data.snapshots)]
    baselines = {s.period for s in data.snapshots if s.baseline}
    chart = None
    if points:
        target = (definition.target, t["kpi_target_short"].format(
            target=kpis.format_value(definition.target, unit, lang))) if definition.target is not None else None
        desc = t["kpi_trend_desc"].format(label=_label(definition, lang), count=len(points), first=points[0][0],
                                          last=points[-1][0], value=points[-1][2])
        timeline = kpis.timeline([period for period, _, _ in points])
        chart = Markup(svg.trend_chart(f"trend-{definition.id}", t["kpi_trend_title"].format(
            label=_label(definition, lang)), desc, points, target, _axis_number(lang),
            timeline.months if timeline else None, timeline.missing if timeline else []))
    return {"id": definition.id, "label": _label(definition, lang),
            "description": label_for(definition.description, lang) if definition.description else None,
            "direction": t["kpi_direction_up"] if definition.direction == "up" else t["kpi_direction_down"],
            "latest": figure_view(latest, definition, lang, t) if latest else None,
            "chart": chart, "rows": [{"period": p, "value": text, "baseline": p in baselines} for p, _, text in points]}


def correlation_view(data: KpiData, item: Correlation, index: int, lang: str, t: dict[str, str]) -> dict[str, Any]:
    first, second = data.definition(item.first), data.definition(item.second)
    assert first is not None and second is not None
    labels = (_label(first, lang), _label(second, lang))
    units = (_unit(first, lang), _unit(second, lang))
    rows = [{"segment": _segment(data, name, lang), "first": kpis.format_value(x, units[0], lang),
             "second": kpis.format_value(y, units[1], lang)} for name, x, y in item.points]
    r_text = kpis.format_number(item.r, lang, 2) if item.r is not None else None
    if item.n < kpis.MIN_CORRELATION_SEGMENTS:
        status = t["kpi_not_enough"].format(n=item.n, minimum=kpis.MIN_CORRELATION_SEGMENTS)
    elif item.r is None:
        status = t["kpi_no_spread"].format(n=item.n)
    else:
        status = t["kpi_r"].format(r=r_text, n=item.n)
    chart = None
    if item.points:
        title = t["kpi_scatter_title"].format(first=labels[0], second=labels[1])
        desc = f"{status} ({item.period})"
        chart = Markup(svg.scatter_chart(f"scatter-{index}", title, desc,
                                         [(_segment(data, name, lang), x, y) for name, x, y in item.points], labels,
                                         _axis_number(lang)))
    return {"first": labels[0], "second": labels[1], "period": item.period, "n": item.n, "r": r_text,
            "status": status, "chart": chart, "rows": rows}


def snapshot_links(ctx: RenderContext, data: KpiData, lang: str, current: str) -> list[dict[str, Any]]:
    """Each period's page, in this language when translated; newest first."""
    links = []
    for source in reversed(data.sources):
        page = _page_in(ctx, source.page, lang)
        links.append({"period": page.meta.period, "title": page.title, "file": page.file, "lang": page.lang,
                      "baseline": page.meta.baseline, "date": page.meta.date})
    return links


def _page_in(ctx: RenderContext, page: Page, lang: str) -> Page:
    if page.lang == lang:
        return page
    return ctx.site.translations_of(page).get(lang) or _same_period(ctx, page, lang) or page


def _same_period(ctx: RenderContext, page: Page, lang: str) -> Page | None:
    return next((p for p in ctx.site.of_kind("kpi_snapshot", lang) if p.meta.period == page.meta.period), None)


def highlights(ctx: RenderContext, data: KpiData, lang: str) -> dict[str, Any] | None:
    """For the home page: the latest figure of the first KPI of each category."""
    t, items = ctx.strings(lang), []
    for category in CATEGORIES:
        for definition in (kpi for kpi in data.definitions.kpis if kpi.category == category):
            latest = kpis.latest_figure(definition.id, data.table)
            if latest is not None:
                items.append({**figure_view(latest, definition, lang, t), "category": t[f"kpi_category_{category}"]})
                break
    return {"dashboard": dashboard_file(ctx, lang), "items": items} if items else None


# ---------------------------------------------------------------- snapshot pages

def snapshot_view(ctx: RenderContext, data: KpiData, page: Page) -> dict[str, Any] | None:
    """The figures table and the segments (small groups omitted) for a snapshot page."""
    period = page.meta.period
    if period not in data.table:
        return None
    t, lang = ctx.strings(page.lang), page.lang
    snapshot = data.snapshot(period)
    rows = [figure_view(data.table[period][kpi.id], kpi, lang, t) for kpi in data.definitions.kpis
            if kpi.id in data.table[period]]
    used = [kpi for kpi in data.definitions.kpis if any(kpi.id in v for v in snapshot.segments.values())]
    segments = [{"name": _segment(data, name, lang), "respondents": snapshot.respondents.get(name),
                 "cells": [kpis.format_value(values[kpi.id], _unit(kpi, lang), lang) if kpi.id in values else "–"
                           for kpi in used]} for name, values in sorted(snapshot.segments.items())]
    return {"period": period, "baseline": snapshot.baseline, "rows": rows,
            "columns": [_label(kpi, lang) for kpi in used], "segments": segments,
            "withheld": withheld_text(data, period, t),
            "dashboard": dashboard_file(ctx, lang)}


def withheld_text(data: KpiData, period: str, t: dict[str, str]) -> str | None:
    """How many segments the snapshot does not show: those with too few respondents, and those
    withheld with them so that their values cannot be worked out from the rest (counts only)."""
    small, others = data.withheld.get(period, 0), data.protecting.get(period, 0)
    texts = [t["kpi_withheld_one" if small == 1 else "kpi_withheld"].format(count=small, minimum=data.min_group_size)
             if small else "",
             t["kpi_withheld_more_one" if others == 1 else "kpi_withheld_more"].format(count=others) if others else ""]
    return " ".join(text for text in texts if text) or None


# ---------------------------------------------------------------- search

def snapshot_labels(data: KpiData, page: Page) -> list[str]:
    """The labels of the KPIs a snapshot page shows in its tables, for the search index: "eNPS"
    found every page but the newest snapshot, whose table is all that names it."""
    period = page.meta.period
    if period not in data.table:
        return []
    snapshot = data.snapshot(period)
    return [_label(kpi, page.lang) for kpi in data.definitions.kpis
            if kpi.id in data.table[period] or any(kpi.id in v for v in snapshot.segments.values())]


def dashboard_search(ctx: RenderContext, data: KpiData, lang: str) -> tuple[str, str, list[str], list[str]]:
    """(file, title, labels, details) of the dashboard in `lang` for the search index: the
    categories and labels of the KPIs it shows, and their descriptions (none of a KPI not yet
    measured, which the dashboard leaves out)."""
    t = ctx.strings(lang)
    shown = [kpi for kpi in data.definitions.kpis if data.measured(kpi)]
    labels = [t[f"kpi_category_{c}"] for c in CATEGORIES if any(kpi.category == c for kpi in shown)]
    details = [label_for(kpi.description, lang) for kpi in shown if kpi.description]
    return dashboard_file(ctx, lang), t["kpis_title"], labels + [_label(kpi, lang) for kpi in shown], details


# ---------------------------------------------------------------- {kpi} embeds

def embed(ctx: RenderContext, data: KpiData, target: str, lang: str, from_file: str) -> str | None:
    """`{kpi}`id``: the latest value with unit and change, linked to the dashboard; `{kpi}`id 2026-Q3``:
    that period's, so that a message keeps the figure it was written about when the next quarter comes in.
    None for an unknown id, or a period without a published value for it."""
    kpi_id, period = kpi_role(target)
    definition = data.definition(kpi_id)
    if definition is None:
        return None
    t = ctx.strings(lang)
    href = link_from(ctx, from_file, dashboard_file(ctx, lang)) + (f"#kpi-{kpi_id}" if data.measured(definition) else "")
    latest = data.table.get(period, {}).get(kpi_id) if period else kpis.latest_figure(kpi_id, data.table)
    if period and latest is None:
        return None
    label = Markup.escape(_label(definition, lang))
    if latest is None:
        return f'<a class="kpi-embed" href="{href}" title="{label}">{Markup.escape(t["kpi_no_data"])}</a>'
    view = figure_view(latest, definition, lang, t)
    change = view["previous"]
    change_html = (f' <span class="kpi-embed-change kpi-{change["tone"]}">({Markup.escape(change["text"])} '
                   f'{Markup.escape(change["against"])})</span>') if change else ""
    return (f'<a class="kpi-embed" href="{href}" title="{label} ({Markup.escape(latest.period)})">'
            f'<span class="kpi-embed-value">{Markup.escape(view["value"])}</span>{change_html}</a>')


# ---------------------------------------------------------------- data/kpis.json

def _change_json(change: kpis.Change | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {"period": change.period, "from": kpis.json_number(change.earlier), "change": kpis.json_number(change.delta)}


def _values_json(values: dict[str, float]) -> dict[str, Any]:
    return {key: kpis.json_number(value) for key, value in sorted(values.items())}


def data_json(data: KpiData) -> bytes:
    """Definitions, values (small groups withheld) and every computed figure; sorted and rounded."""
    definitions = [{"id": k.id, "label": k.label, "category": k.category, "unit": k.unit, "direction": k.direction,
                    "target": None if k.target is None else kpis.json_number(k.target),
                    "description": k.description} for k in data.definitions.kpis]
    snapshots = []
    for snapshot in data.snapshots:
        figures = {kpi_id: {"value": kpis.json_number(f.value), "previous": _change_json(f.previous),
                            "baseline": _change_json(f.baseline), "target_met": f.target_met}
                   for kpi_id, f in data.table[snapshot.period].items()}
        snapshots.append({"period": snapshot.period, "baseline": snapshot.baseline,
                          "values": _values_json(snapshot.values),
                          "segments": {name: _values_json(values) for name, values in sorted(snapshot.segments.items())},
                          "respondents": dict(sorted(snapshot.respondents.items())), "figures": figures})
    series = {k.id: [[p, kpis.json_number(v)] for p, v in kpis.series(k.id, data.snapshots)]
              for k in data.definitions.kpis}
    correlations = [{"kpis": [c.first, c.second], "period": c.period, "n": c.n,
                     "r": None if c.r is None else kpis.json_number(c.r)} for c in data.correlations]
    document = {"definitions": definitions, "snapshots": snapshots, "series": series, "correlations": correlations,
                "latest": data.snapshots[-1].period if data.snapshots else None,
                "min_group_size": data.min_group_size}
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()
