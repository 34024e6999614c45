"""Property-based tests: random front matter, Markdown and KPI CSVs never crash a build.

Properties: the build either succeeds or reports diagnostics (never raises); no hidden
page's marker reaches the output; the output is deterministic; every internal link of a
successful build resolves; no unsafe URL scheme reaches an attribute. Builds run in-process
(load_config + build) for speed; a few CLI runs check the exit codes. Profiles: `ci`
(default, 25 examples) and `deep` (500) in hypothesis_profiles.py.
"""

from __future__ import annotations

import posixpath
import re
import tempfile
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from conftest import BASIC_SITE_YAML, build_site
from hypothesis import given, settings
from hypothesis import strategies as st

from im_site.build import BuildResult, build
from im_site.config import load_config
from im_site.options import BuildOptions
from im_site.urls import scheme_of

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SAFE = {None, "http", "https", "mailto", "tel"}
GOOD_MESSAGE = "---\ntitle: Gute Nachricht\ndate: 2026-01-05\n---\nText.\n"


def build_files(files: dict[str, str | bytes], site_yaml: str = BASIC_SITE_YAML) -> BuildResult:
    """Write a site into a fresh temporary folder and build it in memory."""
    with tempfile.TemporaryDirectory(prefix="im-fuzz-") as folder:
        root = Path(folder)
        (root / "content").mkdir()
        (root / "site.yaml").write_text(site_yaml, encoding="utf-8")
        for rel, data in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
        config = load_config(root / "site.yaml")
        options = BuildOptions(config_path=root / "site.yaml", now=NOW, jobs=1, use_cache=False)
        return build(config, options)


def check_result(result: BuildResult) -> None:
    """Diagnostics are well formed; a successful build has resolving links and safe URLs only."""
    for item in result.diagnostics.items:
        assert item.code.startswith("IM") and item.message
        assert "Traceback" not in item.message
    if result.ok:
        check_links(result)


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action", "poster", "srcset", "formaction") and value is not None:
                self.refs.extend(part.strip().split(" ")[0] for part in value.split(",")) if name == "srcset" \
                    else self.refs.append(value)
            if name == "id" and value:
                self.ids.add(value)


def check_links(result: BuildResult) -> None:
    files = result.outputs.files
    for path in result.outputs.sorted_paths():
        if not path.endswith(".html"):
            continue
        parser = _Refs()
        parser.feed(files[path].decode("utf-8"))
        for ref in parser.refs:
            assert scheme_of(ref) in SAFE, f"{path}: unsafe URL {ref!r}"
            parts = urlsplit(ref)
            if parts.scheme or not parts.path or ref.startswith("/"):
                continue  # external, same-page, or the 404 page's base-path links
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(parts.path)))
            if target.endswith("/") or target == ".":
                target = posixpath.join(target, "index.html")
            if posixpath.basename(ref.rstrip("/")) == "versions.html":
                continue  # links out of a published version to the list beside it
            assert target in files or target.rstrip("/") + "/index.html" in files, f"{path}: broken link {ref!r}"


# ---------------------------------------------------------------- random front matter

FIELDS = ["title", "summary", "date", "draft", "publish_at", "expires", "tags", "pillars", "audiences", "slug",
          "image", "image_alt", "author", "author_url", "role", "pinned", "must_read", "weight", "lang",
          "translation_key", "translated_from", "duration", "quiz", "period", "values", "titel", "unbekannt"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                    st.text(max_size=30), st.dates(), st.datetimes(),
                    st.sampled_from(["NO", "yes", "12:30", "0755", "2026-02-30", "javascript:alert(1)", "../x",
                                     "con", "~", "<b>x</b>", "filiale", "leadership", ".inf", "de", "en", "x" * 300]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)
front_matter = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
raw_yaml = st.one_of(
    front_matter.map(lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False)),
    st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#\t \n%@`,?0123456789")), max_size=80),
    st.lists(st.sampled_from(["title: A", "title: B", "draft: true", "draft: false", "date: 2026-01-01",
                              "tags: [a, b", "- x", "a: &x 1", "b: *x", "? k", "title: !!python/name:os.system",
                              "  indented: 1", "\tx: 1", "---", "...", "date: 2026-13-01"]),
             max_size=6).map("\n".join),
)
kinds = st.sampled_from(["content/messages/zufall.md", "content/training/zufall/index.md", "content/kpis/2026-q1.md",
                         "content/zufall.md", "content/training/zufall/01-lektion.md"])


@given(kinds, raw_yaml, st.text(max_size=60))
def test_random_front_matter_never_crashes(path, block, body):
    result = build_files({"content/messages/gut.md": GOOD_MESSAGE, path: f"---\n{block}\n---\n{body}\n"})
    check_result(result)
    if not result.ok:
        assert any(item.path.startswith(("content/", "site.yaml")) for item in result.diagnostics.errors)


# ---------------------------------------------------------------- random Markdown

schemes = st.sampled_from(["", "http://example.com/", "https://example.com/x", "mailto:a@b.c", "tel:+49",
                           "javascript:alert(1)", "JaVaScRiPt:x", "vbscript:x", "data:text/html,x", "file:///etc/passwd",
                           " javascript:x", "java\tscript:x", "%6aavascript:x", "//evil.example/", "/etc/passwd",
                           "../../etc/passwd.md", "gut.md", "messages/gut.md", "messages/gut.md#nope", "#top",
                           "#abschnitt", "/messages/", "%2e%2e/x.md", "nirgends.md"])
words = st.text(alphabet=st.sampled_from(list("abcäöüß XY<>&\"'")), min_size=1, max_size=12)
inline = st.one_of(
    words,
    st.builds(lambda w, n: "*" * n + w + "*" * n, words, st.integers(1, 4)),
    st.builds(lambda w, n: "_" * n + w + "_" * n, words, st.integers(1, 3)),
    st.builds(lambda w, u: f"[{w}]({u})", words, schemes),
    st.builds(lambda w, u: f"![{w}]({u})", words, schemes),
    st.builds(lambda u: f"<{u}>", schemes.filter(lambda u: u and " " not in u and "\t" not in u)),
    st.builds(lambda w: f"`{w}`", words),
    st.sampled_from(["*" * 500, "[" * 300, "_" * 200, "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
                     "{kpi}`nix`", "[^1]", "&amp;", "&#0;", "\\", "~~x~~"]),
)
lines = st.lists(inline, min_size=1, max_size=5).map(" ".join)


def _table(rows: list[list[str]]) -> str:
    width = max(len(row) for row in rows)
    head = "| " + " | ".join(f"h{i}" for i in range(width)) + " |"
    return "\n".join([head, "|" + "---|" * width] + ["| " + " | ".join(row) + " |" for row in rows])


blocks = st.recursive(
    st.one_of(lines, st.builds(lambda n, l: "#" * n + " " + l, st.integers(1, 7), lines),
              st.builds(_table, st.lists(st.lists(lines, min_size=1, max_size=4), min_size=1, max_size=4)),
              st.builds(lambda l: f"```\n{l}\n```", lines), st.just("---"), st.just("[^1]: Fußnote")),
    lambda inner: st.one_of(
        inner.map(lambda b: "\n".join("> " + line for line in b.split("\n"))),
        inner.map(lambda b: "- " + b.replace("\n", "\n  ")),
        inner.map(lambda b: "1. " + b.replace("\n", "\n   ")),
        inner.map(lambda b: f"::: tip\n{b}\n:::"),
        st.lists(inner, min_size=1, max_size=3).map("\n\n".join)),
    max_leaves=8)
markdown = st.lists(blocks, min_size=1, max_size=6).map("\n\n".join)


@given(markdown)
def test_random_markdown_never_crashes_and_links_resolve(body):
    result = build_files({"content/messages/gut.md": GOOD_MESSAGE,
                          "content/zufall.md": f"---\ntitle: Zufall\n---\n{body}\n"})
    check_result(result)
    for item in result.diagnostics.errors:  # every error is about the random page, with its line
        assert item.path == "content/zufall.md" and (item.line is None or item.line >= 4), item


# ---------------------------------------------------------------- hidden pages never leak

HIDING = ["draft: true", "publish_at: 2027-01-01", "expires: 2026-02-01", "publish_at: 2026-11-26T13:00:00"]


@given(st.lists(st.tuples(st.sampled_from(HIDING), st.sampled_from(["messages", "pages", "training"]),
                          st.booleans()), min_size=1, max_size=4),
       markdown)
def test_hidden_markers_never_reach_the_output(hidden, published_body):
    files = {"content/messages/gut.md": GOOD_MESSAGE, "content/offen.md": f"---\ntitle: Offen\n---\n{published_body}\n"}
    markers = []
    for number, (rule, kind, tagged) in enumerate(hidden):
        marker = f"VERSTECKT{number}MARKE"
        markers.append(marker)
        tags = f"tags: [{marker.lower()}tag]\n" if tagged else ""
        head = f"---\ntitle: Titel {marker}\n{rule}\n{tags}"
        body = f"---\n{marker} im Text.\n\n## Abschnitt {marker}\n"
        path = {"messages": f"content/messages/h{number}.md", "pages": f"content/h{number}.md",
                "training": f"content/training/h{number}/index.md"}[kind]
        files[path] = head + ("date: 2026-01-02\n" if kind == "messages" else "") + body
    result = build_files(files)
    check_result(result)
    for path in result.outputs.sorted_paths():
        data = result.outputs.files[path].lower()
        for marker in markers:
            assert marker.lower().encode() not in data, f"{marker} in {path}"


# ---------------------------------------------------------------- determinism

@given(markdown, raw_yaml)
def test_output_is_deterministic(body, block):
    files = {"content/messages/gut.md": GOOD_MESSAGE, "content/zufall.md": f"---\ntitle: Zufall\n---\n{body}\n",
             "content/messages/fm.md": f"---\ntitle: FM\ndate: 2026-01-02\n{block}\n---\n"}
    first, second = build_files(files), build_files(files)
    assert [(d.path, d.line, d.code, d.message) for d in first.diagnostics.items] == \
        [(d.path, d.line, d.code, d.message) for d in second.diagnostics.items]
    assert first.outputs.sorted_paths() == second.outputs.sorted_paths()
    for path in first.outputs.sorted_paths():
        assert first.outputs.files[path] == second.outputs.files[path], path


# ---------------------------------------------------------------- random KPI CSVs

KPIS_YAML = """\
kpis:
  - {id: zufriedenheit, label: Zufriedenheit, category: engagement, unit: "%", direction: up, target: 75}
  - {id: nps, label: NPS, category: impact, unit: "", direction: up}
correlations:
  - [zufriedenheit, nps]
"""
cells = st.one_of(st.sampled_from(["zufriedenheit", "nps", "unbekannt", "", "filiale-nord", "filiale-ost", "NaN",
                                   "inf", "-inf", "1e999", "71.5", "71,5", "0", "-3", "abc", '"x,y"', "23", " 5 ",
                                   "\ufeff", "=1+1"]),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10**6, 10**6).map(str))
headers = st.one_of(st.just("kpi,segment,value,respondents"), st.just("kpi,segment,value"),
                    st.sampled_from(["kpi,value", "kpi,segment,wert", "kpi,segment,value,respondents,extra", "",
                                     "kpi;segment;value", "\ufeffkpi,segment,value"]))
# Comma files, and semicolon files with decimal commas as a German Excel saves them (header and rows
# alike, or mixed: a header of one kind over rows of the other).
csv_text = st.builds(lambda separators, header, rows: "\n".join(
                         [header.replace(",", separators[0]), *(separators[1].join(row) for row in rows)]) + "\n",
                     st.sampled_from([(",", ","), (";", ";"), (";", ","), (",", ";")]), headers,
                     st.lists(st.lists(cells | st.sampled_from(["1.234", "-12,75", '"61,5"', "1.234,5"]),
                                       min_size=0, max_size=5), max_size=8))


@given(csv_text, st.sampled_from(["2026-Q1", "2026-Q2"]), st.sampled_from(["", "publish_at: 2027-01-01\n"]))
def test_random_kpi_csv_never_crashes(csv, period, embargo):
    files = {"content/messages/gut.md": GOOD_MESSAGE, "content/kpis/kpis.yaml": KPIS_YAML,
             "content/kpis/2026-q1.md": "---\ntitle: Q1\nperiod: 2026-Q1\ndate: 2026-03-01\n"
                                        "values: {zufriedenheit: 70, nps: 30}\n---\nText.\n",
             "content/kpis/zufall.md": f"---\ntitle: Zufall KPI\nperiod: {period}Z\ndate: 2026-06-01\n{embargo}"
                                       "data: zufall.csv\n---\nText.\n",
             "content/kpis/zufall.csv": csv}
    result = build_files(files)
    check_result(result)
    if embargo and result.ok:
        for path in result.outputs.sorted_paths():
            assert f"{period}Z".encode() not in result.outputs.files[path], path


# ---------------------------------------------------------------- a few through the real CLI

@given(raw_yaml)
def test_cli_exit_code_is_0_or_1_never_a_traceback(block):
    with tempfile.TemporaryDirectory(prefix="im-fuzz-cli-") as folder:
        root = Path(folder)
        (root / "content/messages").mkdir(parents=True)
        (root / "site.yaml").write_text(BASIC_SITE_YAML)
        (root / "content/messages/gut.md").write_text(GOOD_MESSAGE)
        (root / "content/zufall.md").write_text(f"---\n{block}\n---\nText.\n")
        result = build_site(root)
        assert result.exit_code in (0, 1), result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
        if result.exit_code == 1:
            assert re.search(r"^content/zufall\.md(:\d+)*: error\[IM\d{3}\]", result.stderr, re.MULTILINE), result.stderr


@settings(max_examples=100)
@given(st.from_regex(r"[a-z0-9]+(-[a-z0-9]+)*", fullmatch=True) | st.text(alphabet="az09-_ .ÄßẞE\u0308\u00ad", max_size=90))
def test_a_name_that_is_a_slug_already_is_its_own_slug_as_python_slugify_makes_it(text: str):
    """slugs.slugify returns a slug (`frische-fuer-alle-00022`, most file names) as it is, without
    python-slugify's 50-60 us a call: the same as python-slugify's answer, whatever the text."""
    import unicodedata

    from slugify import slugify as stock

    from im_site.slugs import _GERMAN, INVISIBLE, slugify

    text_nfc = unicodedata.normalize("NFC", text).translate(INVISIBLE)
    assert slugify(text) == (stock(text_nfc, replacements=_GERMAN, max_length=80, word_boundary=True) or "page")


# Texts as headings are: words (ASCII, umlauts, accents), punctuation, quotes, numbers with commas,
# entities (decoded by python-slugify before its filter), invisible characters; lengths around 80.
_SLUG_ENTITIES = ["&amp;", "&#39;", "&#x27;", "&#X27;", "&auml;", "&nbsp;", "&#228;", "&#99999999;", "&amp;#39;", "&x;"]
_slug_words = (st.text(alphabet="abcxyzABCXYZ0189 äöüÄÖÜßẞ-'&#;,.:?!()/_\t", min_size=1, max_size=14)
               | st.sampled_from(["Nächste", "Schritte", "für", "die", "Filiale", "Q3:", "Umsatz", "&", "Was ist neu?"])
               | st.sampled_from(["'", "''", "1,000", ",", " ", "-", "--", "_", "&;", "& amp;"]))
_slug_texts = (
    st.lists(_slug_words, max_size=24).map(" ".join)  # ASCII after the German replacements: the fast path
    | st.lists(_slug_words, min_size=12, max_size=30).map(" ".join)  # the same, around and beyond 80 characters
    | st.lists(_slug_words | st.sampled_from(_SLUG_ENTITIES), max_size=24).map(" ".join)
    | st.lists(_slug_words | st.sampled_from(["u\u0308", "é", "\u00ad", "ﬁ", "½", "Ω"]) | st.text(max_size=3),
               max_size=24).map(" ".join)
    | st.text(max_size=90)
)


@settings(max_examples=400)
@given(_slug_texts, st.sampled_from([80, 80, 80, 12, 0]))
def test_slugs_of_headings_are_python_slugifys_whichever_path_makes_them(text: str, max_length: int):
    """slugs.slugify answers an ASCII text (after the German replacements) itself, without
    python-slugify's pipeline: the same answer as python-slugify's, for any text and length."""
    import unicodedata

    from slugify import slugify as stock

    from im_site.slugs import _GERMAN, INVISIBLE, slugify

    text_nfc = unicodedata.normalize("NFC", text).translate(INVISIBLE)
    expected = stock(text_nfc, replacements=_GERMAN, max_length=max_length, word_boundary=True) or "page"
    assert slugify.__wrapped__(text, max_length) == expected


@pytest.mark.parametrize(("text", "slug"), [
    ("Nächste Schritte für die Filiale", "naechste-schritte-fuer-die-filiale"),
    ("Q3: Umsatz & Ziele", "q3-umsatz-ziele"),
    ("Was ist neu?", "was-ist-neu"),
    ("GRÖẞE & Maße", "groesse-masse"),
    ("Rock 'n' Roll", "rock-n-roll"),
    ("1,000 Filialen, 2 Regionen", "1000-filialen-2-regionen"),
    ("--Team_Nord--", "team-nord"),
    ("?!", "page"),
    ("Wort " * 20, "-".join(["wort"] * 16)),
    ("A" * 100, "a" * 80),
])
def test_common_headings_are_slugged_without_python_slugify_as_it_would(text: str, slug: str):
    """These take the fast path (_ascii_slug answers them) and give python-slugify's slug."""
    from slugify import slugify as stock

    from im_site.slugs import _GERMAN, _ascii_slug, slugify

    assert _ascii_slug(text, 80) in (slug, "")
    assert slugify(text) == slug == (stock(text, replacements=_GERMAN, max_length=80, word_boundary=True) or "page")


@pytest.mark.parametrize("text", ["Don&#39;t", "Preis &amp; Leistung", "Caf&eacute;", "Café", "ﬁnal", "Ελλάδα"])
def test_entities_accents_and_other_scripts_go_to_python_slugify(text: str):
    from im_site.slugs import _ascii_slug

    assert _ascii_slug(text, 80) is None
