"""KPI snapshots: figures recomputed independently, direction, baselines, small groups, embargo,
charts, embeds and every validation error with its file and line."""

from __future__ import annotations

import json
import math
import re
import statistics
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import BASIC_SITE_YAML, NOW, build_site, readme_block, run_cli, said
from im_site import kpis, svg

DEFS = """
    kpis:
      - id: satisfaction
        label: {de: Mitarbeiterzufriedenheit, en: Employee satisfaction}
        category: engagement
        unit: "%"
        direction: up
        target: 75
      - id: nps
        label: NPS
        category: impact
        unit: ""
        direction: up
      - id: complaints
        label: {de: Beschwerden, en: Complaints}
        category: behavior
        unit: {de: je 1000 Kunden, en: per 1000 customers}
        direction: down
        target: 3
    correlations:
      - [satisfaction, nps]
      - [satisfaction, complaints]
"""

# Two baselines: 2025-Q3 compares with 2025-Q2, 2026-Q1 with 2025-Q4 (the latest at or before it).
SNAPSHOTS = {
    "content/kpis/2025-q2.md": """
        ---
        title: Basismessung 2025
        period: 2025-Q2
        baseline: true
        values: {satisfaction: 60, nps: 18, complaints: 6.5}
        ---
        Die erste Messung.
    """,
    "content/kpis/2025-q3.md": """
        ---
        title: Drittes Quartal 2025
        period: 2025-Q3
        date: 2025-10-10
        values: {satisfaction: 63.4, nps: 22, complaints: 5.9}
        ---
        Kommentar.
    """,
    "content/kpis/2025-q4.md": """
        ---
        title: Neue Basis nach Umbau
        period: 2025-Q4
        baseline: true
        values: {satisfaction: 66.1, nps: 25, complaints: 4.4}
        ---
        Neue Basis.
    """,
    "content/kpis/2026-q1.md": """
        ---
        title: Erstes Quartal 2026
        period: 2026-Q1
        data: 2026-q1.csv
        respondents: {filiale-nord: 40}
        segments:
          filiale-nord: {satisfaction: 71, nps: 33}
        ---
        Werte je Filiale. Zufriedenheit {kpi}`satisfaction`.
    """,
    "content/kpis/2026-q1.csv": """
        kpi,segment,value,respondents
        satisfaction,,71.5,
        nps,,38,
        complaints,,2.9,
        satisfaction,filiale-sued,74.25,12
        nps,filiale-sued,41,12
        complaints,filiale-sued,2.1,12
        satisfaction,filiale-ost,68,9
        nps,filiale-ost,30,9
        complaints,filiale-ost,3.6,9
        satisfaction,kleinteam-zz,93.17,3
        nps,kleinteam-zz,57.13,3
        satisfaction,filiale-west,65.55,6
        nps,filiale-west,27.75,6
        satisfaction,lager-west,77,
        nps,lager-west,44,
    """,
    "content/kpis/2026-q2.md": """
        ---
        title: Zweites Quartal noch unter Verschluss
        period: 2026-Q2
        publish_at: 2027-01-15
        values: {satisfaction: 88.88, nps: 66.66}
        ---
        Embargo.
    """,
    "content/kpis/2026-q1.en.md": """
        ---
        title: First quarter 2026
        period: 2026-Q1
        ---
        Values per store.
    """,
    "content/messages/werte.md": """
        ---
        title: Unsere Werte im Blick
        date: 2026-05-01
        ---
        Zufriedenheit liegt bei {kpi}`satisfaction`, Beschwerden bei {kpi}`complaints`.
    """,
    "content/messages/werte.en.md": """
        ---
        title: Our values at a glance
        date: 2026-05-01
        ---
        Satisfaction is {kpi}`satisfaction`.
    """,
}

SITE = {"content/kpis/kpis.yaml": DEFS, **SNAPSHOTS}
PUBLISHED = ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
LATEST_SEGMENTS = {  # 2026-Q1 without the withheld kleinteam-zz (3 respondents < 5) and filiale-west, which protects it
    "filiale-nord": {"satisfaction": 71, "nps": 33},
    "filiale-sued": {"satisfaction": 74.25, "nps": 41, "complaints": 2.1},
    "filiale-ost": {"satisfaction": 68, "nps": 30, "complaints": 3.6},
    "lager-west": {"satisfaction": 77, "nps": 44},
}
COMPANY = {
    "2025-Q2": {"satisfaction": 60, "nps": 18, "complaints": 6.5},
    "2025-Q3": {"satisfaction": 63.4, "nps": 22, "complaints": 5.9},
    "2025-Q4": {"satisfaction": 66.1, "nps": 25, "complaints": 4.4},
    "2026-Q1": {"satisfaction": 71.5, "nps": 38, "complaints": 2.9},
}
BASELINES = {"2025-Q2", "2025-Q4"}
TARGETS = {"satisfaction": (75, "up"), "complaints": (3, "down")}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import BASIC_SITE_YAML, write_files
    root = tmp_path_factory.mktemp("kpis") / "site"
    root.mkdir()
    (root / "site.yaml").write_text(BASIC_SITE_YAML + "kpis: {min_group_size: 5}\n", encoding="utf-8")
    write_files(root, SITE)
    result = build_site(root)
    assert result.exit_code == 0, result.output
    return root / "_site"


def read(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def data(site: Path) -> dict:
    return json.loads(read(site, "data/kpis.json"))


# ---------------------------------------------------------------- figures

def expected_figure(kpi: str, period: str) -> dict:
    """Computed here without im_site.kpis: previous period, latest earlier baseline, target."""
    value = COMPANY[period][kpi]
    earlier = [p for p in PUBLISHED if p < period and kpi in COMPANY[p]]
    previous = earlier[-1] if earlier else None
    baselines = [p for p in earlier if p in BASELINES] if period not in BASELINES else []
    baseline = baselines[-1] if baselines else None
    target = TARGETS.get(kpi)
    met = None if target is None else (value >= target[0] if target[1] == "up" else value <= target[0])
    return {"value": value, "target_met": met,
            "previous": None if previous is None else (previous, value - COMPANY[previous][kpi]),
            "baseline": None if baseline is None else (baseline, value - COMPANY[baseline][kpi])}


def test_figures_match_an_independent_computation(built: Path) -> None:
    document = data(built)
    assert [s["period"] for s in document["snapshots"]] == PUBLISHED
    for snapshot in document["snapshots"]:
        for kpi, figure in snapshot["figures"].items():
            expected = expected_figure(kpi, snapshot["period"])
            assert figure["value"] == pytest.approx(expected["value"])
            assert figure["target_met"] is expected["target_met"]
            for key in ("previous", "baseline"):
                if expected[key] is None:
                    assert figure[key] is None, (snapshot["period"], kpi, key)
                else:
                    assert figure[key]["period"] == expected[key][0]
                    assert figure[key]["change"] == pytest.approx(expected[key][1], abs=1e-4)
    assert document["series"]["nps"] == [[p, COMPANY[p]["nps"]] for p in PUBLISHED]


def test_correlations_match_statistics_correlation(built: Path) -> None:
    document = data(built)
    by_pair = {tuple(c["kpis"]): c for c in document["correlations"]}
    pairs = [(n, v) for n, v in LATEST_SEGMENTS.items() if "satisfaction" in v and "nps" in v]
    xs = [v["satisfaction"] for _, v in pairs]
    ys = [v["nps"] for _, v in pairs]
    first = by_pair[("satisfaction", "nps")]
    assert first["n"] == 4 and first["period"] == "2026-Q1"
    assert first["r"] == pytest.approx(statistics.correlation(xs, ys), abs=1e-4)
    second = by_pair[("satisfaction", "complaints")]  # only two segments have both
    assert second["n"] == 2 and second["r"] is None
    dashboard = read(built, "kpis/index.html")
    assert "Nicht genug Bereiche" in dashboard
    assert "Korrelation ist keine Kausalität" in dashboard
    assert "Correlation is not causation" in read(built, "en/kpis/index.html")


def test_baseline_choice_is_the_latest_at_or_before(built: Path) -> None:
    figures = {s["period"]: s["figures"] for s in data(built)["snapshots"]}
    assert figures["2025-Q2"]["nps"]["baseline"] is None  # a baseline has no baseline change
    assert figures["2025-Q3"]["nps"]["baseline"]["period"] == "2025-Q2"
    assert figures["2025-Q4"]["nps"]["baseline"] is None
    assert figures["2026-Q1"]["nps"]["baseline"] == {"period": "2025-Q4", "from": 25, "change": 13}


def test_direction_down_means_lower_is_better(built: Path) -> None:
    figures = {s["period"]: s["figures"] for s in data(built)["snapshots"]}
    assert figures["2025-Q4"]["complaints"]["target_met"] is False  # 4.4 > 3
    assert figures["2026-Q1"]["complaints"]["target_met"] is True  # 2.9 <= 3
    card = section(read(built, "kpis/index.html"), 'id="kpi-complaints"')
    assert "kpi-better" in card and "besser" in card and "kpi-worse" not in card
    assert "Ziel erreicht" in card and "höchstens 3" in card
    assert kpis.target_met(3, 3, "down") is True and kpis.target_met(3.1, 3, "down") is False
    # judged as shown: 74.999 reads "75 %" next to "Ziel: mindestens 75 %"
    assert kpis.format_number(74.999, "de") == "75" and kpis.target_met(74.999, 75, "up") is True
    assert kpis.target_met(74.99, 75, "up") is False and kpis.target_met(3.004, 3, "down") is True
    assert kpis.is_improvement(-1, "down") is True and kpis.is_improvement(-1, "up") is False


def test_a_change_shown_as_zero_is_neither_better_nor_worse(make_site) -> None:
    """12499.995 after 12500 is shown as 12.500 and ±0, so it must not read as 'worse' (nor ▼)."""
    root = make_site({**SMALL_SITE,
                      "content/kpis/2026-q2.md": "---\ntitle: Q2\nperiod: 2026-Q2\n"
                                                 "values: {satisfaction: 60.996, nps: 4, complaints: 2.001}\n---\n"})
    result = build_site(root)
    assert result.exit_code == 0, result.output
    dashboard = read(root / "_site", "kpis/index.html")
    for kpi in ("satisfaction", "complaints"):  # up: 60.996 after 61; down: 2.001 after 2
        card = section(dashboard, f'id="kpi-{kpi}"')
        change = card[card.index("ggü. 2026-Q1") - 300:card.index("ggü. 2026-Q1") + 80]
        assert "±0" in change and "unverändert" in change and "▶" in change, change
        assert "schlechter" not in change and "▼" not in change, change


def section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start:html.index("</article>", start)]


# ---------------------------------------------------------------- privacy and embargo

def test_withheld_segment_appears_in_no_output_file(built: Path) -> None:
    needles = [b"kleinteam-zz", b"kleinteam", b"93.17", b"93,17", b"57.13", b"57,13",
               b"filiale-west", b"65.55", b"65,55", b"27.75", b"27,75"]
    files = [p for p in built.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        content = path.read_bytes()
        for needle in needles:
            assert needle not in content, f"{needle!r} found in {path.relative_to(built)}"
    document = data(built)
    latest = document["snapshots"][-1]
    assert sorted(latest["segments"]) == sorted(LATEST_SEGMENTS)
    assert latest["respondents"] == {"filiale-nord": 40, "filiale-ost": 9, "filiale-sued": 12}
    assert ("1 Bereich mit weniger als 5 Antworten wird zum Schutz kleiner Teams nicht gezeigt. Auch 1 weiterer "
            "Bereich wird nicht gezeigt, damit sich die Werte der kleinen Teams nicht aus den übrigen Zahlen errechnen "
            "lassen.") in read(built, "kpis/2026-q1/index.html")


def test_embargoed_snapshot_is_absent_everywhere(built: Path) -> None:
    assert not (built / "kpis/2026-q2").exists()
    for path in (p for p in built.rglob("*") if p.is_file()):
        content = path.read_bytes()
        for needle in (b"2026-Q2", b"88.88", b"88,88", b"66.66", b"66,66", b"unter Verschluss"):
            assert needle not in content, f"{needle!r} found in {path.relative_to(built)}"
    assert data(built)["latest"] == "2026-Q1"


def test_kpi_source_files_linked_as_downloads_are_refused(make_site) -> None:
    """A snapshot's CSV or kpis.yaml linked from a page was copied to files/ as it is: every small
    group's values, respondents and name published past min_group_size (and an embargoed
    period's values). The link is an error at its line, and nothing is written."""
    root = make_site({
        "content/kpis/kpis.yaml": DEFS + "segments: {kleinteam-zz: Kleinteam Zett}\n",
        "content/kpis/2026-q1.md": """
            ---
            title: Erstes Quartal 2026
            period: 2026-Q1
            values: {satisfaction: 71.5}
            data: 2026-q1.csv
            ---
            Die [Rohdaten](2026-q1.csv) zum Nachrechnen.
        """,
        "content/kpis/2026-q1.csv": "kpi,segment,value,respondents\nsatisfaction,filiale-nord,71,40\n"
                                    "satisfaction,kleinteam-zz,93.17,3\n",
        "content/messages/m.md": """
            ---
            title: Zahlen
            date: 2026-04-01
            ---
            Alle Werte [als CSV](/kpis/2026-q1.csv).

            Die [Definitionen](../kpis/kpis.yaml).
        """,
    }, site_yaml=BASIC_SITE_YAML + "kpis: {min_group_size: 5}\n")
    result = build_site(root)
    assert result.exit_code == 1, result.output
    for where, target in (("content/kpis/2026-q1.md:7", "'2026-q1.csv'"),
                          ("content/messages/m.md:5", "'/kpis/2026-q1.csv'"),
                          ("content/messages/m.md:7", "'../kpis/kpis.yaml'")):
        assert f"{where}: error[IM140]: {target} is KPI source data, not published as a download" in result.output
    assert "Traceback" not in result.output
    assert not (root / "_site").exists()


# ---------------------------------------------------------------- pages and charts

class SvgCheck(HTMLParser):
    """Collects each <svg>'s role and whether it has <title> and <desc>, and table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.svgs: list[dict] = []
        self.stack: list[str] = []
        self.cells: list[str] = []
        self._cell = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "svg":
            self.svgs.append({"role": dict(attrs).get("role"), "title": False, "desc": False})
        elif tag in ("title", "desc") and self.svgs and "svg" in self.stack:
            self.svgs[-1][tag] = self.svgs[-1][tag] or len(self.stack) == self.stack.index("svg") + 1
        if tag in ("td", "th"):
            self._cell = True
            self.cells.append("")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass
        if tag in ("td", "th"):
            self._cell = False

    def handle_data(self, text: str) -> None:
        if self._cell:
            self.cells[-1] += text


def test_dashboard_has_accessible_charts_and_numbers_in_tables(built: Path) -> None:
    html = read(built, "kpis/index.html")
    check = SvgCheck()
    check.feed(html)
    assert len(check.svgs) == 3 + 2  # a trend per KPI, a scatter per correlation with points
    assert all(s["role"] == "img" and s["title"] and s["desc"] for s in check.svgs)
    cells = [c.strip() for c in check.cells]
    assert "71,5\u00a0%" in cells and "63,4\u00a0%" in cells and "74,25\u00a0%" in cells
    for heading in ("Engagement", "Verhalten", "Externe Wirkung"):
        assert f">{heading}</h2>" in html
    assert "Ziel nicht erreicht" in html and "✗" in html  # text and icon, not colour alone
    assert "+5,4\u00a0Pp." in html  # 71.5 - 66.1 against the 2025-Q4 baseline
    assert "<script" not in html.split("</svg>")[0].split("<svg")[-1]
    for period in PUBLISHED:
        assert f'href="../kpis/{period.lower()}/index.html"' in html or f'href="{period.lower()}/index.html"' in html


def test_a_trend_chart_puts_the_periods_in_time_with_a_missing_quarter_as_a_gap(make_site) -> None:
    """2026-Q1, Q2 and Q4 were spaced evenly, so a missing Q3 read as a straight trend from Q2 to Q4."""
    snapshots = {f"content/kpis/2026-{q.lower()}.md": f"---\ntitle: {q}\nperiod: 2026-{q}\n"
                 f"values: {{satisfaction: {value}, nps: 3, complaints: 2}}\n---\n"
                 for q, value in (("Q1", 60), ("Q2", 62), ("Q4", 70))}
    root = make_site({"content/kpis/kpis.yaml": DEFS, **snapshots})
    result = build_site(root)
    assert result.exit_code == 0, result.output
    charts = read(root / "_site", "kpis/index.html").split("<svg")[1:]
    chart = next(chart for chart in charts if 'id="trend-satisfaction-title"' in chart).split("</svg>")[0]
    xs = [float(x) for x in re.findall(r'<circle class="chart-point" cx="([\d.]+)"', chart)]
    assert len(xs) == 3 and abs((xs[2] - xs[1]) - 2 * (xs[1] - xs[0])) < 0.2, xs  # Q2 -> Q4 is two quarters
    [line] = re.findall(r'<polyline class="chart-line" points="([^"]+)"', chart)
    assert len(line.split()) == 2  # solid from Q1 to Q2 only; dashed across the gap
    gap = re.search(r'<g class="chart-gap"[^>]*stroke-dasharray[^>]*><line x1="([\d.]+)"[^>]*x2="([\d.]+)"', chart)
    assert gap and (float(gap[1]), float(gap[2])) == (xs[1], xs[2])
    labels = re.findall(r'<text x="([\d.]+)" y="[\d.]+"(?: fill-opacity="[\d.]+")?>(2026-Q\d)</text>', chart)
    expected = {"2026-Q1": xs[0], "2026-Q2": xs[1], "2026-Q3": (xs[1] + xs[2]) / 2, "2026-Q4": xs[2]}
    assert sorted(name for _, name in labels) == sorted(expected)  # the missing quarter named at its place
    assert all(abs(float(x) - expected[name]) < 0.2 for x, name in labels), labels


def test_chart_axes_are_written_on_round_numbers_that_hold_every_point(built: Path) -> None:
    """The y axis showed the padded data range (62,9 and 76,1): a reader could not read a value off it."""
    html = read(built, "kpis/index.html")
    charts = [chart.split("</svg>")[0] for chart in html.split("<svg")[1:]]
    assert charts
    for chart in charts:
        labels = re.search(r'<g class="chart-labels"[^>]*text-anchor="end">(.*?)</g>', chart)
        assert labels, chart
        ticks = [(float(y), float(text.replace(".", "").replace(",", ".").replace("\u2212", "-")))
                 for y, text in re.findall(r'<text x="[\d.]+" y="([\d.]+)">([^<]+)</text>', labels[1])]
        values = [value for _, value in ticks]
        steps = {round(b - a, 6) for a, b in zip(values, values[1:])}
        assert len(ticks) >= 3 and len(steps) == 1, ticks  # evenly spaced, from the bottom up
        step = steps.pop()
        assert step > 0 and any(math.isclose(step, f * 10 ** e) for f in (1, 2, 5) for e in range(-3, 4)), step
        assert all(math.isclose(value / step, round(value / step), abs_tol=1e-6) for value in values), values
        ys = [float(y) for y in re.findall(r'<circle class="chart-point" cx="[\d.]+" cy="([\d.]+)"', chart)]
        assert ys and all(ticks[-1][0] - 4 <= y <= ticks[0][0] - 4 for y in ys), (ys, ticks)  # inside the axis
        assert chart.count('class="chart-grid"') >= 1


def test_axis_scales_are_round_and_never_negative_for_positive_series() -> None:
    assert svg.nice_scale([64, 66.1, 71.5, 73.1, 75]).ticks == (60, 65, 70, 75, 80)
    assert svg.nice_scale([6.1, 5.2, 4.5]) == svg.Scale((4.0, 4.5, 5.0, 5.5, 6.0, 6.5), 1)
    assert svg.nice_scale([-4, 14]).ticks == (-10, 0, 10, 20)
    assert svg.nice_scale([0, 0]).ticks[0] == 0 and svg.nice_scale([2, 40]).low == 0  # padding does not dip below 0
    assert svg.nice_scale([50, 50]).ticks == (45, 50, 55)  # a flat series gets room


def test_periods_are_placed_in_time_when_written_as_times() -> None:
    assert kpis.timeline(["2025-Q4", "2026-Q1", "2026-Q3"]) == kpis.Timeline([24309, 24312, 24318], [(24315, "2026-Q2")])
    assert kpis.timeline(["2026-11", "2027-02", "2027-03"]) == kpis.Timeline(
        [24322, 24325, 24326], [(24323, "2026-12"), (24324, "2027-01")])
    assert kpis.timeline(["2024", "2026"]).missing == []  # two points: nothing says a year is missing
    assert kpis.timeline(["2026", "2026-Q1"]) is None and kpis.timeline(["Frühjahr", "Herbst"]) is None


def test_numbers_follow_the_language(built: Path) -> None:
    english = read(built, "en/kpis/index.html")
    assert "71.5%" in english and "+5.4\u00a0pp" in english and "Employee satisfaction" in english
    assert "External impact" in english and "Behaviour" in english
    assert kpis.format_number(1234.5, "de") == "1.234,5" and kpis.format_number(1234.5, "en") == "1,234.5"
    assert kpis.format_change(-0.0001, "%", "de") == "±0\u00a0Pp."
    assert kpis.format_change(-2, "", "en") == "\u22122"
    # A third language is written its own way, not half German, half English ('73.1 %' on Polish pages).
    assert kpis.format_value(1234.5, "%", "pl") == "1\u00a0234,5\u00a0%"
    assert kpis.format_value(1234.5, "%", "it") == "1.234,5\u00a0%" and kpis.format_value(73.1, "%", "ja") == "73.1%"


def test_an_untranslated_snapshot_listed_on_the_english_dashboard_says_its_language(built: Path) -> None:
    """Its German title was read out with English pronunciation (WCAG 3.1.2, language of parts)."""
    section = read(built, "en/kpis/index.html").split('id="snapshots-h"')[1]
    links = dict(re.findall(r'<a href="([^"]+)"([^>]*)>', section))
    assert links["2026-q1/index.html"] == ""  # translated: an English page
    assert links["../../kpis/2025-q4/index.html"] == ' hreflang="de" lang="de"'
    assert 'lang="de"' not in read(built, "kpis/index.html").split('id="snapshots-h"')[1]


def test_snapshot_page_shows_commentary_figures_and_kept_segments(built: Path) -> None:
    html = read(built, "kpis/2026-q1/index.html")
    assert "Werte je Filiale" in html
    for name in LATEST_SEGMENTS:
        assert f">{name}</th>" in html
    assert "74,25\u00a0%" in html and 'href="../index.html"' in html
    english = read(built, "en/kpis/2026-q1/index.html")  # the translation shows the default language's values
    assert "Values per store" in english and "71.5%" in english and ">filiale-sued</th>" in english


class RowHeaders(HTMLParser):
    """The text of every <th scope="row"> and every chart point's <title>, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []
        self.points: list[str] = []
        self._into: list[str] | None = None
        self._in_circle = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "th" and ("scope", "row") in attrs:
            self._into = self.rows
            self.rows.append("")
        elif tag == "circle":
            self._in_circle = True
        elif tag == "title" and self._in_circle:
            self._into = self.points
            self.points.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "title"):
            self._into = None
        if tag == "circle":
            self._in_circle = False

    def handle_data(self, data: str) -> None:
        if self._into is not None:
            self._into[-1] += data


def row_headers(html: str) -> RowHeaders:
    parser = RowHeaders()
    parser.feed(html)
    return parser


def test_segments_are_shown_by_the_names_kpis_yaml_gives_them(make_site) -> None:
    """Readers saw the survey export's ids (`filiale-sued`) in the snapshot's table, the scatter
    plots' tables and their points; `segments:` in kpis.yaml names them, per language where given."""
    names = ("segments:\n  filiale-sued: {de: München Süd, en: Munich South}\n  filiale-nord: Hamburg Nord\n"
             "  filiale-ost: Dresden Ost\n")
    root = make_site({**SITE, "content/kpis/kpis.yaml": DEFS}, site_yaml=BASIC_SITE_YAML + "kpis: {min_group_size: 5}\n")
    (root / "content/kpis/kpis.yaml").write_text((root / "content/kpis/kpis.yaml").read_text() + names, encoding="utf-8")
    result = build_site(root)
    assert result.exit_code == 0, result.output
    snapshot = row_headers(read(root / "_site", "kpis/2026-q1/index.html")).rows
    assert ["Hamburg Nord", "Dresden Ost", "München Süd", "lager-west"] == [
        name for name in snapshot if name in ("Hamburg Nord", "Dresden Ost", "München Süd", "lager-west")]
    assert not {"filiale-sued", "filiale-nord", "filiale-ost"} & set(snapshot)
    english = row_headers(read(root / "_site", "en/kpis/2026-q1/index.html")).rows
    assert "Munich South" in english and "München Süd" not in english
    dashboard = row_headers(read(root / "_site", "kpis/index.html"))
    assert {"München Süd", "Hamburg Nord", "Dresden Ost", "lager-west"} <= set(dashboard.rows)
    assert not {"filiale-sued", "filiale-nord", "filiale-ost"} & set(dashboard.rows)
    assert "München Süd" in dashboard.points and "filiale-sued" not in dashboard.points


def test_kpi_embed_shows_latest_value_and_change_linked_to_dashboard(built: Path) -> None:
    html = read(built, "messages/werte/index.html")
    match = re.search(r'<a class="kpi-embed" href="([^"]+)"[^>]*>(.*?)</a>', html)
    assert match is not None
    assert match.group(1) == "../../kpis/index.html#kpi-satisfaction"
    assert "71,5\u00a0%" in match.group(2) and "+5,4\u00a0Pp. ggü. 2025-Q4" in match.group(2)
    english = read(built, "en/messages/werte/index.html")
    assert '<a class="kpi-embed" href="../../kpis/index.html#kpi-satisfaction"' in english
    assert "71.5%" in english and "+5.4\u00a0pp vs 2025-Q4" in english


def test_a_kpi_embed_naming_its_period_keeps_that_figure_when_a_newer_snapshot_comes_in(make_site) -> None:
    """An October message saying "satisfaction now stands at {kpi}`satisfaction`" next to its table of the
    Q3 figures showed the Q4 value once Q4 came in, contradicting its own table: `{kpi}`id PERIOD`` keeps it."""
    message = ("---\ntitle: Bilanz\ndate: 2026-01-20\n---\n\nJetzt {kpi}`satisfaction 2025-Q3`, "
               "neu {kpi}`satisfaction`.\n")
    root = make_site({**SMALL_SITE, "content/messages/bilanz.md": message})
    result = build_site(root)
    assert result.exit_code == 0, result.output
    embeds = re.findall(r'<a class="kpi-embed" href="([^"]+)" title="([^"]+)">(.*?)</a>',
                        read(root / "_site", "messages/bilanz/index.html"))
    assert [(title, re.sub(r"<[^>]+>", "", text)) for _, title, text in embeds] == [
        ("Mitarbeiterzufriedenheit (2025-Q3)", "60\u00a0%"),
        ("Mitarbeiterzufriedenheit (2026-Q1)", "61\u00a0% (+1\u00a0Pp. ggü. 2025-Q3)")]
    root = make_site({**SMALL_SITE, "content/messages/bilanz.md": message.replace("2025-Q3", "2025-q3")}, folder="typo")
    result = build_site(root)
    assert result.exit_code == 1
    assert ("content/messages/bilanz.md:6: error[IM140]: no published snapshot of period '2025-q3' has a value for KPI "
            "'satisfaction' (hint: write the period as the snapshot's `period:` does ({kpi}`satisfaction 2026-Q3`), "
            "or leave it out for the latest value)") in result.output, result.output


def test_output_is_deterministic(built: Path, tmp_path: Path) -> None:
    first = read(built, "data/kpis.json")
    assert json.loads(first)["definitions"][0]["id"] == "satisfaction"
    assert first == json.dumps(json.loads(first), ensure_ascii=False, sort_keys=True, indent=2) + "\n"


# ---------------------------------------------------------------- pure arithmetic

def test_pearson_agrees_with_statistics_and_refuses_small_or_flat_samples() -> None:
    xs, ys = [1.0, 2.5, 3.1, 4.8, 6.0], [2.0, 2.2, 3.9, 4.1, 7.5]
    assert kpis.pearson(xs, ys) == pytest.approx(statistics.correlation(xs, ys))
    assert kpis.pearson([1, 2], [3, 4]) is None
    assert kpis.pearson([1, 1, 1], [1, 2, 3]) is None
    snapshot = kpis.Snapshot("2026-Q1", False, {}, {"a": {"x": 1}, "b": {"x": 2}}, {"a": 4, "b": 5})
    kept, withheld, protecting = kpis.withhold_small_groups(snapshot, 5)  # no company-wide value: nothing follows
    assert withheld == ["a"] and protecting == [] and list(kept.segments) == ["b"] and kept.respondents == {"b": 5}
    assert not math.isnan(kpis.json_number(0.1 + 0.2)) and kpis.json_number(0.1 + 0.2) == 0.3


# ---------------------------------------------------------------- validation errors

BAD_CASES = {
    "unknown id in values": (
        {"content/kpis/2025-q3.md": "---\ntitle: Q3\nperiod: 2025-Q3\nvalues:\n  satisfaction: 60\n  happiness: 3\n---\n"},
        "content/kpis/2025-q3.md:6: error[IM020]: unknown KPI id 'happiness'"),
    "unknown id in segments": (
        {"content/kpis/2025-q3.md": "---\ntitle: Q3\nperiod: 2025-Q3\nsegments:\n  nord:\n    mood: 3\n---\n"},
        "content/kpis/2025-q3.md:6: error[IM020]: unknown KPI id 'mood'"),
    "non-numeric value": (
        {"content/kpis/2025-q3.md": "---\ntitle: Q3\nperiod: 2025-Q3\nvalues:\n  nps: viel\n---\n"},
        "content/kpis/2025-q3.md:5: error[IM006]"),
    "NaN value": (
        {"content/kpis/2025-q3.md": "---\ntitle: Q3\nperiod: 2025-Q3\nvalues:\n  nps: .nan\n---\n"},
        "content/kpis/2025-q3.md:5: error[IM006]: 'values.nps' should be a finite number, not nan"),
    "infinite value": (
        {"content/kpis/2025-q3.md": "---\ntitle: Q3\nperiod: 2025-Q3\nsegments:\n  nord:\n    nps: -.inf\n---\n"},
        "content/kpis/2025-q3.md:6: error[IM006]: 'segments.nord.nps' should be a finite number, not -inf"),
    "duplicate period": (
        {"content/kpis/copy.md": "---\ntitle: Kopie\nperiod: 2025-Q3\nvalues: {nps: 1}\n---\n"},
        "content/kpis/copy.md:3: error[IM140]: duplicate period '2025-Q3': also in content/kpis/2025-q3.md"),
    "csv bad header": (
        {"content/kpis/2026-q1.csv": "kpi,segmnet,value\nnps,,3\n"},
        "content/kpis/2026-q1.csv:1: error[IM140]: CSV header must be 'kpi,segment,value'"),
    "csv from a german excel with a dot": (
        {"content/kpis/2026-q1.csv": "kpi;segment;value\nnps;;3,5\nsatisfaction;;1.234\n"},
        "content/kpis/2026-q1.csv:3: error[IM140]: value '1.234' of 'satisfaction' has a dot in a file of semicolons "
        "and decimal commas (hint: write the decimals with a comma: 1,234, and no thousands separator)"),
    "csv respondents with a thousands separator": (
        {"content/kpis/2026-q1.csv": "kpi;segment;value;respondents\nnps;;3,5;1.234\n"},
        "content/kpis/2026-q1.csv:2: error[IM140]: respondents '1.234' is not a whole number (hint: no thousands "
        "separator: 1234)"),
    "csv unknown column": (
        {"content/kpis/2026-q1.csv": "kpi,segment,value,store_manager\nnps,,3,Anna\n"},
        "unknown column 'store_manager'"),
    "csv ragged row": (
        {"content/kpis/2026-q1.csv": "kpi,segment,value\nnps,,38\nsatisfaction,nord\n"},
        "content/kpis/2026-q1.csv:3: error[IM140]: row has 2 fields, the header 3"),
    "csv non-numeric": (
        {"content/kpis/2026-q1.csv": "kpi,segment,value\nnps,,38\n\nsatisfaction,,71,5\n"},
        "content/kpis/2026-q1.csv:4: error[IM140]: row has 4 fields, the header 3 (hint: if 71,5 is one number, write it "
        "with a dot: 71.5)"),
    "csv text value": (
        {"content/kpis/2026-q1.csv": "kpi,segment,value\nnps,,38\nsatisfaction,,hoch\n"},
        "content/kpis/2026-q1.csv:3: error[IM140]: value 'hoch' of 'satisfaction' is not a finite number"),
    "csv nan": (
        {"content/kpis/2026-q1.csv": "kpi,segment,value\nnps,,nan\n"},
        "content/kpis/2026-q1.csv:2: error[IM140]: value 'nan'"),
    "csv share over 100 %": (
        {"content/kpis/2026-q1.csv": "kpi,segment,value\nsatisfaction,,130\nnps,,4\ncomplaints,,2\n"},
        "content/kpis/2026-q1.csv:2: error[IM140]: value 130 of 'satisfaction' is outside its range 0 to 100 (hint: a "
        "share in % lies between 0 and 100; if other values are right for this KPI (a growth rate), give it "
        "`range: [lowest, highest]` in kpis.yaml)"),
    "csv segment share below 0 %": (
        {"content/kpis/2026-q1.csv": "kpi;segment;value\nsatisfaction;;61\nsatisfaction;nord;-3,5\n"},
        "content/kpis/2026-q1.csv:3: error[IM140]: value -3.5 of 'satisfaction' for segment 'nord' is outside its "
        "range 0 to 100"),
    "value outside its range": (
        {"content/kpis/kpis.yaml": DEFS.replace('unit: ""', 'unit: ""\n        range: [-100, 100]'),
         "content/kpis/2025-q3.md": "---\ntitle: Q3\nperiod: 2025-Q3\nvalues:\n  nps: -130\n---\n"},
        "content/kpis/2025-q3.md:5: error[IM140]: value -130 of 'nps' is outside its range -100 to 100"),
    "bad range": (
        {"content/kpis/kpis.yaml": DEFS.replace('unit: ""', 'unit: ""\n        range: [100, -100]')},
        "content/kpis/kpis.yaml:12: error[IM140]: range of 'nps' must be [lowest, highest]"),
    "csv unknown id": (
        {"content/kpis/2026-q1.csv": "kpi,segment,value\nnps,,38\numsatz,,12\n"},
        "content/kpis/2026-q1.csv:3: error[IM020]: unknown KPI id 'umsatz'"),
    "csv missing": (
        {"content/kpis/2026-q1.md": "---\ntitle: Q1\nperiod: 2026-Q1\ndata: fehlt.csv\n---\n"},
        "content/kpis/2026-q1.md:4: error[IM140]: data file 'fehlt.csv' not found"),
    "unknown id in correlations": (
        {"content/kpis/kpis.yaml": DEFS.replace("[satisfaction, complaints]", "[satisfaction, umsatz]")},
        "content/kpis/kpis.yaml:21: error[IM020]: unknown KPI id 'umsatz' in correlations"),
    "bad category": (
        {"content/kpis/kpis.yaml": DEFS.replace("category: impact", "category: finance")},
        "content/kpis/kpis.yaml:10: error[IM006]: 'kpis[1].category'"),
    "missing direction": (
        {"content/kpis/kpis.yaml": re.sub(r" +direction: down\n", "", DEFS)},
        "content/kpis/kpis.yaml:13: error[IM007]: missing required key 'kpis[2].direction'"),
    "duplicate kpi id": (
        {"content/kpis/kpis.yaml": DEFS.replace("id: nps", "id: satisfaction")},
        "content/kpis/kpis.yaml:8: error[IM140]: duplicate KPI id 'satisfaction'"),
    "respondents of a misspelt segment": (  # the segment meant would be shown however few answered
        {"content/kpis/2025-q3.md": "---\ntitle: Q3\nperiod: 2025-Q3\nsegments:\n  team-x: {satisfaction: 44}\n"
                                    "  lager: {satisfaction: 70}\nrespondents:\n  Team-X: 3\n  lager: 40\n---\n"},
        "content/kpis/2025-q3.md:8: error[IM140]: respondents given for segment 'Team-X', which has no values, while "
        "segment 'team-x' has values and no respondents: it would be shown however few answered (hint: write the "
        "segment's name as in its values: team-x)"),
    "unknown kpi role": (
        {"content/messages/x.md": "---\ntitle: X\ndate: 2026-01-01\n---\n\nWert {kpi}`umsatz`.\n"},
        "content/messages/x.md:6: error[IM020]: unknown KPI id 'umsatz' (hint: known KPIs: complaints, nps, satisfaction)"),
}

SMALL_SITE = {
    "content/kpis/kpis.yaml": DEFS,
    "content/kpis/2025-q3.md": "---\ntitle: Q3\nperiod: 2025-Q3\nvalues: {satisfaction: 60, nps: 3, complaints: 2}\n---\n",
    "content/kpis/2026-q1.md": "---\ntitle: Q1\nperiod: 2026-Q1\ndata: 2026-q1.csv\n---\n",
    "content/kpis/2026-q1.csv": "kpi,segment,value\nsatisfaction,,61\nnps,,4\ncomplaints,,2\n",
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_validation_errors_name_file_and_line(make_site, case: str) -> None:
    changes, expected = BAD_CASES[case]
    root = make_site({**SMALL_SITE, **changes})
    result = build_site(root)
    assert result.exit_code == 1, result.output
    assert expected in result.output, result.output
    assert not (root / "_site").exists()


def test_respondents_of_a_segment_without_values_and_like_none_is_a_warning(make_site) -> None:
    """A count left behind for a segment whose values were dropped names no segment a reader would
    see unprotected: a warning, not the error of a misspelt name (BAD_CASES)."""
    root = make_site({**SMALL_SITE, "content/kpis/2025-q3.md": "---\ntitle: Q3\nperiod: 2025-Q3\nsegments:\n"
                      "  nord: {satisfaction: 44}\nrespondents:\n  nord: 30\n  sued: 3\n---\n"})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert "content/kpis/2025-q3.md:8: warning[IM140]: respondents given for segment 'sued', which has no values" in result.stderr


def test_snapshot_missing_a_kpi_is_a_warning(make_site) -> None:
    root = make_site({**SMALL_SITE,
                      "content/kpis/2025-q3.md": "---\ntitle: Q3\nperiod: 2025-Q3\nvalues: {nps: 3}\n---\n"})
    result = build_site(root)
    assert result.exit_code == 0, result.output
    assert "content/kpis/2025-q3.md:3: warning[IM141]: snapshot 2025-Q3 has no value for KPI 'complaints'" \
        in result.output
    assert "hint: if 'complaints' was first measured in 2026-Q1, write `since: 2026-Q1` at it in kpis.yaml" \
        in result.output


def test_a_kpi_added_later_is_not_missing_from_the_snapshots_before_it(make_site) -> None:
    """A KPI introduced mid-year (`since:`) is not expected in older snapshots, so adding one does
    not fail `check --strict` in CI; a snapshot from its first period on still needs its value."""
    defs = DEFS.replace("        unit: {de: je 1000 Kunden", "        since: 2026-Q1\n        unit: {de: je 1000 Kunden")
    root = make_site({**SMALL_SITE, "content/kpis/kpis.yaml": defs,
                      "content/kpis/2025-q3.md": "---\ntitle: Q3\nperiod: 2025-Q3\nvalues: {satisfaction: 60, nps: 3}\n---\n",
                      "content/kpis/2026-q2.md": "---\ntitle: Q2\nperiod: 2026-Q2\nvalues: {satisfaction: 62, nps: 5}\n---\n"})
    result = run_cli(root, "check", "--strict", "--now", NOW)
    assert "2025-q3.md" not in result.output, result.output
    assert "content/kpis/2026-q2.md:3: warning[IM141 kpi-missing]: snapshot 2026-Q2 has no value for KPI 'complaints'" \
        in result.output
    assert result.exit_code == 1


def test_a_kpi_measured_no_more_is_not_missing_from_the_snapshots_after_it(make_site) -> None:
    """A KPI whose measure changed (sick days instead of a rate in %) is a new KPI from then on; the
    old one, with `until:` its last period, is not expected in later snapshots, so `check --strict`
    keeps passing; a snapshot up to that period still needs its value."""
    defs = DEFS.replace("        unit: {de: je 1000 Kunden", "        until: 2025-Q3\n        unit: {de: je 1000 Kunden")
    root = make_site({**SMALL_SITE, "content/kpis/kpis.yaml": defs,
                      "content/kpis/2025-q2.md": "---\ntitle: Q2\nperiod: 2025-Q2\nvalues: {satisfaction: 58, nps: 2}\n---\n",
                      "content/kpis/2026-q1.csv": "kpi,segment,value\nsatisfaction,,61\nnps,,4\n"})
    result = run_cli(root, "check", "--strict", "--now", NOW)
    assert "2026-q1" not in result.output, result.output
    assert "content/kpis/2025-q2.md:3: warning[IM141 kpi-missing]: snapshot 2025-Q2 has no value for KPI 'complaints'" \
        in result.output
    assert result.exit_code == 1
    (root / "content/kpis/2026-q1.csv").write_text("kpi,segment,value\nsatisfaction,,61\nnps,,4\ncomplaints,,2\n")
    result = run_cli(root, "check", "--now", NOW)
    assert ("content/kpis/2026-q1.md:4: warning[IM141 kpi-missing]: snapshot 2026-Q1 has a value for KPI 'complaints', "
            "measured until 2025-Q3 (hint: leave the value out, or move `until:` of 'complaints' in kpis.yaml)") in result.output


def test_a_kpi_whose_first_period_is_embargoed_is_not_on_the_dashboard_yet(make_site) -> None:
    """A KPI added with `since:` for a period whose snapshot is still embargoed showed "keine Daten"
    on the dashboard (and a correlation with no segments) until the snapshot went live: readers
    saw a KPI that has no measurement yet. Until then it is left out, as its period is."""
    defs = DEFS.replace("        unit: {de: je 1000 Kunden", "        since: 2026-Q2\n        unit: {de: je 1000 Kunden")
    embargoed = "---\ntitle: Q2\nperiod: 2026-Q2\npublish_at: 2027-01-15\nvalues: {satisfaction: 62, nps: 5, complaints: 3}\n---\n"
    root = make_site({**SMALL_SITE, "content/kpis/kpis.yaml": defs, "content/kpis/2026-q2.md": embargoed,
                      "content/kpis/2025-q3.md": SMALL_SITE["content/kpis/2025-q3.md"].replace(", complaints: 2", ""),
                      "content/kpis/2026-q1.csv": "kpi,segment,value\nsatisfaction,,61\nnps,,4\n",
                      "content/messages/x.md": "---\ntitle: X\ndate: 2026-01-01\n---\nBeschwerden: {kpi}`complaints`.\n"})
    result = build_site(root)
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr
    page = read(root / "_site", "kpis/index.html")
    assert 'id="kpi-complaints"' not in page and "keine Daten" not in page and "Beschwerden" not in page
    assert 'id="kpi-nps"' in page and "Mitarbeiterzufriedenheit × NPS" in page
    assert 'href="../../kpis/index.html"' in read(root / "_site", "messages/x/index.html")  # no #kpi-complaints to miss
    result = build_site(root, now="2027-01-20T09:00:00+00:00")
    assert result.exit_code == 0, result.stderr
    page = read(root / "_site", "kpis/index.html")
    assert 'id="kpi-complaints"' in page and "Mitarbeiterzufriedenheit × Beschwerden" in page


@pytest.mark.parametrize("csv", ["kpi;segment;value\nsatisfaction;;61.5\nnps;;4\ncomplaints;;2\n",
                                 "kpi,segment,value\nsatisfaction,,61,5\nnps,,4\ncomplaints,,2\n",
                                 "kpi,segment,value\nsatisfaction,,61\nnps,,4\ncomplaints,K\xf6ln,2\n".encode("cp1252"),
                                 b""])
def test_a_bad_kpi_csv_is_reported_once_not_again_as_missing_values(make_site, csv: str | bytes) -> None:
    """The values in a CSV from a German Excel are there, only unreadable: not 'no value for KPI' too;
    nor, for a file saved in Excel's Windows encoding (or an empty one), 'data file not found' at the
    snapshot's `data:`, which sent the writer looking for a file that is there."""
    root = make_site({**SMALL_SITE, "content/kpis/2026-q1.csv": csv})
    result = build_site(root)
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if "error[" in line or "warning[" in line]
    assert len(problems) == 1 and problems[0].startswith("content/kpis/2026-q1.csv:"), result.output
    if isinstance(csv, bytes) and csv:
        assert problems[0].startswith("content/kpis/2026-q1.csv:4:13: error[IM002]: not valid UTF-8 (byte 0xf6)")
        assert "(hint: save the file as UTF-8; in Excel: Save As, 'CSV UTF-8 (Comma delimited)')" in problems[0]



def test_a_since_written_unlike_the_periods_is_named(make_site) -> None:
    """`since: 2026-q1` sorts after every `2026-Q…` period, so the KPI's gaps would never be reported."""
    defs = DEFS.replace("        unit: {de: je 1000 Kunden", "        since: 2026-q1\n        unit: {de: je 1000 Kunden")
    root = make_site({**SMALL_SITE, "content/kpis/kpis.yaml": defs})
    result = run_cli(root, "check", "--now", NOW)
    written = (root / "content/kpis/kpis.yaml").read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(written, 1) if "since: 2026-q1" in text)
    assert (f"content/kpis/kpis.yaml:{line}: warning[IM141 kpi-missing]: since '2026-q1' of 'complaints' is written "
            "unlike the snapshot period '2026-Q1'") in result.output, result.output

def test_a_mistake_in_kpis_yaml_is_reported_once_not_at_every_kpi_embed(make_site) -> None:
    message = "---\ntitle: X\ndate: 2026-01-01\n---\n\nWerte: {kpi}`satisfaction`, {kpi}`nps`.\n"
    root = make_site({**SMALL_SITE, "content/kpis/kpis.yaml": DEFS.replace("direction: down", "direction: lower"),
                      "content/messages/x.md": message,
                      "content/messages/x.en.md": message.replace("Werte", "Values")})
    result = build_site(root)
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if "error" in line] == [
        "content/kpis/kpis.yaml:17: error[IM006]: 'kpis[2].direction': Input should be 'up' or 'down'",
        "1 error, 0 warnings"]


def test_a_mistake_in_kpis_yaml_names_it_at_the_menu_link_to_the_dashboard(make_site) -> None:
    """Without definitions there is no dashboard, so the menu's /kpis/ is reported too: with its cause."""
    site_yaml = BASIC_SITE_YAML.replace("url: /messages/}\n", "url: /messages/}\n  - {label: Kennzahlen, url: /kpis/}\n")
    root = make_site({**SMALL_SITE, "content/kpis/kpis.yaml": DEFS.replace("direction: down", "direction: lower")},
                     site_yaml=site_yaml)
    result = build_site(root)
    assert result.exit_code == 1
    assert ("site.yaml:12: error[IM101]: menu link '/kpis/' points to no page of this site (hint: content/kpis/kpis.yaml "
            "has errors of its own that keep it out of the build)") in result.output.splitlines()


def test_snapshot_without_definitions_is_an_error(make_site) -> None:
    root = make_site({"content/kpis/2026-q1.md": "---\ntitle: Q1\nperiod: 2026-Q1\nvalues: {nps: 3}\n---\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert "content/kpis/2026-q1.md:3: error[IM140]: KPI snapshot without definitions" in result.output


def test_a_translation_giving_other_values_is_a_warning(make_site) -> None:
    root = make_site({**SMALL_SITE,
                      "content/kpis/2026-q2.md": "---\ntitle: Q2\nperiod: 2026-Q2\n"
                                                 "values: {satisfaction: 64, nps: 5, complaints: 1}\n---\n",
                      "content/kpis/2026-q2.en.md": "---\ntitle: Q2 en\nperiod: 2026-Q2\n"
                                                    "values: {satisfaction: 46, nps: 5}\n---\n"})
    result = build_site(root)
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if "2026-q2" in line] == [
        "content/kpis/2026-q2.en.md:4: warning[IM140]: satisfaction is 46 here but 64 in content/kpis/2026-q2.md, "
        "whose values the pages show (hint: give the values in one language only, or the same in both)"]


def test_translation_values_used_when_the_default_language_has_none(make_site) -> None:
    root = make_site({**SMALL_SITE,
                      "content/kpis/2026-q2.md": "---\ntitle: Q2\nperiod: 2026-Q2\n---\nText.\n",
                      "content/kpis/2026-q2.en.md": "---\ntitle: Q2 en\nperiod: 2026-Q2\n"
                                                    "values: {satisfaction: 64, nps: 5, complaints: 1}\n---\n"})
    result = build_site(root)
    assert result.exit_code == 0, result.output
    document = json.loads((root / "_site/data/kpis.json").read_text(encoding="utf-8"))
    assert document["latest"] == "2026-Q2"
    assert document["snapshots"][-1]["figures"]["satisfaction"]["previous"]["change"] == 3


def test_a_csv_as_a_german_excel_saves_it_is_read(make_site) -> None:
    """Excel in German saves CSV with semicolons and decimal commas; the comms team got an error and
    had to convert the survey tool's export by hand. Its values are read as they are."""
    csv = ("kpi;segment;value;respondents\nsatisfaction;;61,5;240\nnps;;-4;240\ncomplaints;;2;\n"
           "satisfaction;store-nord;58,25;31\n")
    root = make_site({**SMALL_SITE, "content/kpis/2026-q1.csv": csv})
    result = build_site(root)
    assert result.exit_code == 0, result.output
    document = json.loads((root / "_site/data/kpis.json").read_text(encoding="utf-8"))
    figures = document["snapshots"][-1]["figures"]
    assert (figures["satisfaction"]["value"], figures["nps"]["value"], figures["complaints"]["value"]) == (61.5, -4, 2)
    assert "61,5" in (root / "_site/kpis/2026-q1/index.html").read_text(encoding="utf-8")
    assert 58.25 in _numbers(document)  # the segment


def test_a_survey_tools_quoted_csv_with_empty_columns_beside_the_data_is_read(make_site) -> None:
    """A survey tool quotes every field ("kpi";"segment";...) and Excel saves the empty columns and rows of
    a sheet's used range (`;;`): the header was refused ("',' expected after '\"'", or "unknown column
    'kpi;segment;value;respondents;'", as if semicolons were not read at all)."""
    rows = ['"kpi";"segment";"value";"respondents";;', '"satisfaction";"";"61,5";"";;', '"nps";"";"-4";"";;',
            '"complaints";"";"2";"";;', '"satisfaction";"store-nord";"58,25";"31";;',
            '"satisfaction";"store-klein";"99,75";"3";;', '"satisfaction";"store-west";"60,5";"12";;', ";;;;;", ";;;;;"]
    csv = ("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8")
    root = make_site({**SMALL_SITE, "content/kpis/2026-q1.csv": csv})
    result = build_site(root)
    assert result.exit_code == 0, result.output
    document = json.loads((root / "_site/data/kpis.json").read_text(encoding="utf-8"))
    snapshot = document["snapshots"][-1]
    assert snapshot["values"] == {"complaints": 2, "nps": -4, "satisfaction": 61.5}
    assert snapshot["segments"] == {"store-nord": {"satisfaction": 58.25}}
    assert snapshot["respondents"] == {"store-nord": 31}
    assert 99.75 not in _numbers(document) and "store-klein" not in json.dumps(document)
    assert "store-west" not in json.dumps(document)  # withheld too: store-klein's value would follow from it


def test_a_misspelt_column_of_a_semicolon_csv_is_named(make_site) -> None:
    root = make_site({**SMALL_SITE, "content/kpis/2026-q1.csv": "kpi;segmnet;value\nnps;;3\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert ("content/kpis/2026-q1.csv:1: error[IM140]: CSV header must be 'kpi;segment;value' (optionally "
            "';respondents'), not 'kpi;segmnet;value'; unknown column 'segmnet'") in result.output, result.output


def test_a_range_lets_a_percentage_kpi_go_beyond_100(make_site) -> None:
    """A % KPI whose values can exceed 100 (a growth rate) says so with `range:`."""
    root = make_site({**SMALL_SITE, "content/kpis/kpis.yaml": DEFS.replace("target: 75", "range: [-50, 200]"),
                      "content/kpis/2026-q1.csv": "kpi,segment,value\nsatisfaction,,130\nnps,,4\ncomplaints,,2\n"})
    result = build_site(root)
    assert result.exit_code == 0, result.output
    assert "130\u00a0%" in (root / "_site/kpis/2026-q1/index.html").read_text(encoding="utf-8")


def _numbers(value: object) -> list[float]:
    """Every number inside a JSON document."""
    if isinstance(value, dict):
        return [n for item in value.values() for n in _numbers(item)]
    if isinstance(value, list):
        return [n for item in value for n in _numbers(item)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def test_home_page_shows_the_latest_kpis(built: Path) -> None:
    home = read(built, "index.html")
    assert 'class="kpi-home"' in home and 'href="kpis/index.html#kpi-satisfaction"' in home
    assert "71,5\u00a0%" in home and "2,9\u00a0je 1000 Kunden" in home



def test_the_readme_kpi_examples_build_together(make_site):
    """kpis.yaml, the snapshot and its CSV from the README, pasted as they are, build: the
    definitions named `nps` in `correlations:` without defining it (IM140), and the CSV repeated
    the snapshot's inline values, an error when the snapshot's `data:` names it."""
    root = make_site({"content/kpis/kpis.yaml": readme_block("#### kpis.yaml", "yaml"),
                      "content/kpis/2026-Q3.md": readme_block("#### A snapshot", "yaml"),
                      "content/kpis/2026-Q3.csv": readme_block("The CSV has the header")})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    data = json.loads((root / "_site/data/kpis.json").read_text(encoding="utf-8"))
    assert "store-hamburg-nord" in json.dumps(data) and "store-berlin-mitte" in json.dumps(data)


def test_a_segment_kpis_yaml_does_not_name_is_named_in_a_warning(make_site) -> None:
    """A new store in the quarter's export showed as `store-rostock-hafen` in tables and charts, with
    no word from `check`, where kpis.yaml names every other segment. A withheld one is not shown,
    so it needs no name."""
    defs = DEFS + "    segments:\n      nord: Filiale Nord\n"
    csv = ("kpi,segment,value,respondents\nsatisfaction,,61,90\nnps,,4,90\ncomplaints,,2,90\n"
           "satisfaction,nord,60,40\nsatisfaction,store-rostock-hafen,63,47\nsatisfaction,klein,70,3\n")
    root = make_site({**SMALL_SITE, "content/kpis/kpis.yaml": defs, "content/kpis/2026-q1.csv": csv})
    result = run_cli(root, "check", "--now", NOW)
    warnings = [line for line in result.output.splitlines() if "segment" in line and "warning" in line]
    assert warnings == ["content/kpis/2026-q1.md:4: warning[IM141 kpi-missing]: segment 'store-rostock-hafen' has no "
                        "name in `segments:` of content/kpis/kpis.yaml, so readers see its id (hint: add "
                        "`store-rostock-hafen: <name>` there)"], result.output


def test_a_change_adds_up_with_the_values_as_shown(make_site) -> None:
    """73,124 and 74,245 are shown as 73,12 % and 74,25 %: the change between them was shown as
    +1,12 Pp. (their exact difference, rounded), which a reader doing the sum took for an error."""
    root = make_site({**SMALL_SITE,
                      "content/kpis/2026-q1.csv": "kpi,segment,value\nsatisfaction,,73.124\nnps,,4\ncomplaints,,2\n",
                      "content/kpis/2026-q2.md": "---\ntitle: Q2\nperiod: 2026-Q2\n"
                                                 "values: {satisfaction: 74.245, nps: 5, complaints: 2}\n---\n"})
    result = build_site(root)
    assert result.exit_code == 0, result.output
    page = (root / "_site/kpis/2026-q2/index.html").read_text(encoding="utf-8")
    assert "74,25\u00a0%" in page and "+1,13\u00a0Pp." in page and "+1,12" not in page
    figure = json.loads((root / "_site/data/kpis.json").read_text(encoding="utf-8"))["snapshots"][-1]["figures"]["satisfaction"]
    assert figure["previous"]["change"] == 1.13


def test_respondents_that_differ_within_a_segment_are_one_error_with_the_way_out(make_site) -> None:
    """A survey export counts respondents per question: a segment's 38 on one row and 40 on the next
    gave one error for every later row, none saying what to do."""
    csv = ("kpi,segment,value,respondents\nsatisfaction,,61,90\nnps,,4,90\ncomplaints,,2,90\n"
           "satisfaction,nord,60,38\nnps,nord,5,40\ncomplaints,nord,2,38\nsatisfaction,sued,64,22\nnps,sued,3,22\n")
    root = make_site({**SMALL_SITE, "content/kpis/2026-q1.csv": csv})
    result = build_site(root)
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if "error[" in line]
    assert problems == ["content/kpis/2026-q1.csv:6: error[IM140]: respondents of 'nord' differ: 38 and 40 (hint: a "
                        "segment has one count of respondents for all its KPIs, by which it is withheld when too small: "
                        "give every row of it the smallest)"], result.output


def test_kpi_texts_written_per_language_without_a_site_language_are_a_warning(make_site) -> None:
    """A language added to site.yaml (fr) got warnings for the theme's and site.yaml's texts, while the
    KPI names and units of kpis.yaml showed in German on its pages without a word. A text written
    once for every language (`NPS`) is fine; `de` serves `de-CH`."""
    yaml = BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de, en, fr, de-CH]")
    root = make_site({**SMALL_SITE, "content/messages/salut.fr.md": "---\ntitle: Salut\ndate: 2026-01-05\n---\nTexte.\n"},
                     site_yaml=yaml)
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("content/kpis/kpis.yaml")] == [
        "content/kpis/kpis.yaml:3: warning[IM160]: 3 texts written per language with no text in 'fr' (kpis[0].label, "
        "kpis[2].label, kpis[2].unit): the KPI pages and figures in 'fr' show them in another language "
        "(hint: add fr: … to each)"]


# ---------------------------------------------------------------- secondary suppression

PROTECT_DEFS = """
    kpis:
      - id: satisfaction
        label: {de: Zufriedenheit, en: Satisfaction}
        category: engagement
        unit: "%"
        direction: up
      - id: nps
        label: NPS
        category: impact
        unit: ""
        direction: up
"""
PROTECT_SITE_YAML = BASIC_SITE_YAML + "kpis: {min_group_size: 5}\n"


def protect_site(make_site, values: str, rows: str) -> Path:
    """One snapshot with the company-wide `values` and the CSV `rows` (kpi,segment,value,respondents), built."""
    root = make_site({"content/kpis/kpis.yaml": PROTECT_DEFS,
                      "content/kpis/2026-q1.md": f"---\ntitle: Erstes Quartal\nperiod: 2026-Q1\nvalues: {values}\n"
                                                 "data: 2026-q1.csv\n---\nWerte je Filiale.\n",
                      "content/kpis/2026-q1.en.md": "---\ntitle: First quarter\nperiod: 2026-Q1\n---\nPer store.\n",
                      "content/kpis/2026-q1.csv": "kpi,segment,value,respondents\n" + rows},
                     site_yaml=PROTECT_SITE_YAML)
    result = build_site(root)
    assert result.exit_code == 0, result.output
    return root / "_site"


def shown_segments(site: Path) -> tuple[list[str], list[str]]:
    """(the segments data/kpis.json has, the rows of the snapshot page's table of segments)."""
    document = data(site)["snapshots"][-1]
    assert sorted(document["segments"]) == sorted(document["respondents"])
    return sorted(document["segments"]), row_headers(read(site, "kpis/2026-q1/index.html")).rows


def assert_nowhere(site: Path, needles: list[bytes]) -> None:
    for path in (p for p in site.rglob("*") if p.is_file()):
        content = path.read_bytes()
        for needle in needles:
            assert needle not in content, f"{needle!r} found in {path.relative_to(site)}"


# Four stores whose respondent-weighted means are the company-wide values, as a survey tool exports them.
STORES = {"gross": (40, 72, 35), "mitte": (16, 61.25, 20), "xq-zweit": (8, 66.59, 27.31), "xq-klein": (3, 93.17, 57.13)}
STORE_VALUES = "{satisfaction: 69.7348, nps: 31.4906}"


def store_rows(stores: dict[str, tuple[int, float, float]]) -> str:
    return "".join(f"satisfaction,{name},{sat},{count}\nnps,{name},{nps},{count}\n"
                   for name, (count, sat, nps) in stores.items())


def test_a_small_segment_is_not_given_away_by_the_company_wide_value_and_the_rest(make_site) -> None:
    """With klein (3 respondents) withheld alone, its values followed from what was published: the
    company-wide value times everyone, minus each shown store's value times its respondents, divided by
    klein's respondents, a number below min_group_size that a reader tries out (1 to 4: 3 gives 93.17, the
    others values a share cannot have or a few guesses). The next-smallest store, zweit, is withheld
    with it, and neither its name nor its values are anywhere in the output; the page says why."""
    shown_then = [(count, sat) for name, (count, sat, _) in STORES.items() if name != "xq-klein"]
    guess = (69.7348 * (sum(count for count, _ in shown_then) + 3) - sum(c * v for c, v in shown_then)) / 3
    assert round(guess, 2) == 93.17  # the arithmetic a reader could do before
    site = protect_site(make_site, STORE_VALUES, store_rows(STORES))
    in_json, on_page = shown_segments(site)
    assert in_json == ["gross", "mitte"] and "xq-zweit" not in on_page and "gross" in on_page
    assert data(site)["snapshots"][-1]["respondents"] == {"gross": 40, "mitte": 16}
    assert_nowhere(site, [b"xq-klein", b"xq-zweit", b"93.17", b"93,17", b"57.13", b"57,13",
                          b"66.59", b"66,59", b"27.31", b"27,31"])
    assert ("1 Bereich mit weniger als 5 Antworten wird zum Schutz kleiner Teams nicht gezeigt. Auch 1 weiterer Bereich "
            "wird nicht gezeigt, damit sich die Werte der kleinen Teams nicht aus den übrigen Zahlen errechnen lassen."
            ) in read(site, "kpis/2026-q1/index.html")
    assert ("1 segment with fewer than 5 respondents is not shown, to protect small teams. 1 more segment is not shown "
            "either, so that the small teams&#39; values cannot be worked out from the other figures."
            ) in read(site, "en/kpis/2026-q1/index.html")


def test_two_small_segments_together_big_enough_need_no_third(make_site) -> None:
    """Two withheld segments with 3 and 4 respondents: a reader works out only what the 7 answered
    together, as of a segment of 7, so nothing more is withheld. Two of 2 each would give away what 4
    answered together: the next-smallest is withheld with them."""
    stores = {**STORES, "xq-klein2": (4, 55.55, 11.11)}
    site = protect_site(make_site, STORE_VALUES, store_rows(stores))
    assert shown_segments(site)[0] == ["gross", "mitte", "xq-zweit"]
    html = read(site, "kpis/2026-q1/index.html")
    assert "2 Bereiche mit weniger als 5 Antworten werden zum Schutz kleiner Teams nicht gezeigt." in html
    assert "weiterer" not in html and "weitere Bereiche" not in html
    tiny = {**STORES, "xq-klein": (2, 93.17, 57.13), "xq-klein2": (2, 55.55, 11.11)}
    site = protect_site(make_site, STORE_VALUES, store_rows(tiny))
    assert shown_segments(site)[0] == ["gross", "mitte"]


def test_without_a_company_wide_value_to_work_from_nothing_more_is_withheld(make_site) -> None:
    """Without a company-wide value for the small segment's KPIs, nothing published holds its
    values: the other stores are all shown (the company-wide NPS is no help for satisfaction)."""
    rows = store_rows({name: store for name, store in STORES.items() if name != "xq-klein"}) + "satisfaction,xq-klein,93.17,3\n"
    site = protect_site(make_site, "{nps: 31.4906}", rows)
    in_json, on_page = shown_segments(site)
    assert in_json == ["gross", "mitte", "xq-zweit"] and "xq-zweit" in on_page
    assert "weiterer" not in read(site, "kpis/2026-q1/index.html")


def test_the_segment_withheld_to_protect_another_is_chosen_by_respondents_then_name(make_site) -> None:
    """Two stores with the fewest respondents (8 each): the first by name is withheld, whichever
    comes first in the file, and the same in every build."""
    stores = {"zeta": (8, 66.59, 27.31), "gross": (40, 72, 35), "alpha": (8, 64.44, 24.44), "xq-klein": (3, 93.17, 57.13)}
    first = protect_site(make_site, STORE_VALUES, store_rows(stores))
    assert shown_segments(first)[0] == ["gross", "zeta"]
    reordered = dict(reversed(list(stores.items())))
    root = first.parent
    (root / "content/kpis/2026-q1.csv").write_text("kpi,segment,value,respondents\n" + store_rows(reordered))
    assert build_site(root).exit_code == 0
    assert shown_segments(first)[0] == ["gross", "zeta"]


def test_protecting_segments_follows_every_kpi_the_withheld_ones_have() -> None:
    """The store withheld for satisfaction brings its NPS along, which the company-wide NPS would give
    away in turn: the smallest store with an NPS is withheld too. A segment without respondents (sales
    figures) comes last; a KPI no shown segment has cannot be helped by withholding more."""
    snapshot = kpis.Snapshot("2026-Q1", False, {"satisfaction": 70, "nps": 30, "sales": 9},
                             {"klein": {"satisfaction": 90, "sales": 1}, "b": {"satisfaction": 60, "nps": 20},
                              "c": {"satisfaction": 61}, "d": {"nps": 31}, "e": {"nps": 32}, "lager": {"sales": 8}},
                             {"klein": 2, "b": 6, "c": 7, "d": 9, "e": 10})
    kept, small, protecting = kpis.withhold_small_groups(snapshot, 5)
    assert small == ["klein"] and protecting == ["b", "d", "lager"]
    assert sorted(kept.segments) == ["c", "e"] and kept.respondents == {"c": 7, "e": 10}
    alone = kpis.Snapshot("2026-Q1", False, {"satisfaction": 70}, {"klein": {"satisfaction": 90}, "b": {"nps": 1}},
                          {"klein": 2, "b": 6})
    assert kpis.withhold_small_groups(alone, 5)[2] == []


def test_a_company_wide_value_only_a_withheld_segment_has_a_value_for_is_a_warning(make_site) -> None:
    """No shown store has an NPS, so none can be withheld to protect the small store's: the
    company-wide NPS may be that store's own. The writer is told where, the build goes on."""
    rows = "satisfaction,gross,72,40\nsatisfaction,mitte,61.25,16\nsatisfaction,xq-klein,93.17,3\nnps,xq-klein,57.13,3\n"
    root = make_site({"content/kpis/kpis.yaml": PROTECT_DEFS,
                      "content/kpis/2026-q1.md": "---\ntitle: Erstes Quartal\nperiod: 2026-Q1\nvalues:\n  satisfaction: 69.7\n"
                                                 "  nps: 57.13\ndata: 2026-q1.csv\n---\nWerte.\n",
                      "content/kpis/2026-q1.csv": "kpi,segment,value,respondents\n" + rows}, site_yaml=PROTECT_SITE_YAML)
    result = build_site(root)
    assert result.exit_code == 0, result.output
    assert said(result, "IM140") == [
        "content/kpis/2026-q1.md:6: warning[IM140]: the company-wide value of 'nps' may give away what segment "
        "'xq-klein', withheld for too few respondents, answered: no shown segment has a value for 'nps' to withhold "
        "with it (hint: leave out the company-wide value of 'nps' in 2026-Q1, or the withheld segments' values for it)"]
    assert sorted(data(root / "_site")["snapshots"][-1]["segments"]) == ["gross"]  # mitte protects it for satisfaction
