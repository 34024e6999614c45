"""The offline search index: written in Python from the published pages, one shard set per language.

Pagefind was measured first (README.md, "Why not Pagefind"): over 10,000 pages it
needed several times the 5 s / 300 MB budget, so the index is built here, from
the text the build already has in hand. Words are stemmed with the Snowball
stemmers (`snowballstemmer`, C-accelerated by PyStemmer when installed), and
the browser maps a query onto the same stems without a JavaScript stemmer:
every word form of the site whose stem the client's light suffix stripping
(`candidates`, mirrored in static/search.js) would miss is shipped in a
`forms` table. German compounds are also indexed under a known head word
("Frischetheke" under "Theke").

Files are JavaScript assigning to a global, not JSON, so search works from
disk (file://) and under a strict script-src 'self' policy:
`search/<lang>/docs.js` (page metadata) and `search/<lang>/t-<x>.js` (terms
starting with x), so a phone loads one small shard per query word.
Only ctx.site pages are indexed: unpublished and out-of-audience pages are
not in it, so they leave no trace.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import snowballstemmer

from .cache import code_key, digest
from .config import label_for, primary_language
from .kpi_pages import dashboard_languages, dashboard_search, snapshot_labels
from .markdown import BLOCK_END
from .model import Page
from .parallel import fork_batches
from .render import render_job
from .render.context import Job
from .slugs import INVISIBLE

if TYPE_CHECKING:
    from .build import BuildResult
    from .render.context import RenderContext  # noqa: F401

FORMAT_VERSION = 1
SEARCH_CACHE_VERSION = "search-7"  # 2: hyphenated words also joined; 3: soft hyphens dropped; 4: labels, objectives;
# 5: a snapshot's KPI labels; 6: words joined by Unicode hyphens too, the page's text for snippets; 7: blocks parted,
# KPI labels and objectives in the snippet text
TERMS_BATCH = 500
STEM_BATCH = 100  # pages a child stems at a time when the cache lacks them
EXCERPT_CHARS = 160
TEXT_CHUNK = 4  # pages per search/<lang>/x-<n>.js: the text a result's snippet is cut from, loaded for shown results
TEXT_CHARS = 6000  # of a page's text kept for snippets (a match further on shows the summary)
TITLE_WEIGHT, SUMMARY_WEIGHT, BODY_CAP = 10, 3, 10
ALGORITHMS = {"de": "german", "en": "english", "fr": "french", "es": "spanish", "it": "italian",
              "nl": "dutch", "pt": "portuguese", "da": "danish", "sv": "swedish", "no": "norwegian",
              "fi": "finnish", "pl": "polish", "tr": "turkish", "ru": "russian"}
STOPWORDS = {
    "de": "aber als am an auch auf aus bei bis das dass dem den der des die doch du ein eine einem einen "
          "einer eines er es für hat ich ihr im in ist ja mit nach nicht noch nur oder sich sie sind so "
          "um und uns vom von vor war wie wir wird zu zum zur",
    "en": "a an and are as at be but by for from has have in is it its of on or that the their this "
          "to was we were will with you your",
}
# Light suffix stripping, mirrored in static/search.js: a query's candidate stems.
SUFFIXES = {
    "de": (("ern", "em", "er", "en", "es", "est", "st", "e", "s", "n"),
           ("end", "ung", "isch", "lich", "heit", "keit", "ig", "ik")),
    "en": (("ies", "es", "s", "ed", "ing", "ly", "er", "ers", "est"), ("ing", "ed", "er", "ness", "ment", "ful")),
}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
#: Words joined by hyphens ("Frische-Versprechen", "E-Mail") are indexed as one word too, the way
#: a reader may type them ("Frischeversprechen").
#: Word's hyphen (U+2010) and non-breaking hyphen (U+2011) too, as pasted ("Liefer\u2011Service").
_HYPHENATED = re.compile(r"[^\W_]+(?:[-\u2010\u2011][^\W_]+)+", re.UNICODE)
_HYPHEN = re.compile(r"[-\u2010\u2011]")
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
#: The space the text of a link or emphasis leaves before the punctuation after it ("Kennzahlen , an").
_BEFORE_PUNCTUATION = re.compile(r" ([,.;:!?)])")
_INVISIBLE = re.compile("[" + "".join(map(chr, INVISIBLE)) + "]")  # as INVISIBLE, 4 times faster than translate
MIN_HEAD = 4  # shortest head word a German compound is split into
#: A block's end (markdown.BLOCK_END), after sentence punctuation (group 1) or not.
_BLOCK_END = re.compile(r"([.!?:…\"“”»«)]\s*)?" + BLOCK_END)


def fold(word: str) -> str:
    """Lowercase, umlauts to base vowels, other accents dropped (same as search.js)."""
    word = word.lower().translate(_FOLD)
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def stop_words(lang: str) -> frozenset[str]:
    return frozenset(fold(word) for word in STOPWORDS.get(primary_language(lang), "").split())


def candidates(folded: str, lang: str) -> set[str]:
    """Stems the browser tries for a query word: itself and its light suffix strippings."""
    forms, language = {folded}, primary_language(lang)  # as search.js: `de` rules for `de-CH`
    if language == "de":
        forms.add(folded.replace("ae", "a").replace("oe", "o").replace("ue", "u"))
    inflections, derivations = SUFFIXES.get(language, ((), ()))
    found = set(forms)
    for form in forms:
        for base in [form, *_strip(form, inflections)]:
            found.add(base)
            found.update(_strip(base, derivations))
    return found


def _strip(word: str, suffixes: tuple[str, ...]) -> list[str]:
    return [word[: -len(s)] for s in suffixes if word.endswith(s) and len(word) - len(s) >= 3]


def shard_key(term: str) -> str:
    """The shard a term lives in: its first letter or digit, `_` for anything else."""
    first = term[:1]
    return first if first.isascii() and first.isalnum() else "_"


@dataclass
class Analyzer:
    """Words -> stems for one language, memoised (a site has far fewer words than tokens)."""

    lang: str
    stems: dict[str, str] = field(default_factory=dict)
    stop: frozenset[str] = frozenset()
    _forms: dict[str, tuple[str, str] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        algorithm = ALGORITHMS.get(primary_language(self.lang))
        stemmer = snowballstemmer.stemmer(algorithm) if algorithm else None
        self._stem: Callable[[str], str] = stemmer.stemWord if stemmer else (lambda word: word)
        self.stop = stop_words(self.lang)

    def terms(self, words: Counter[str]) -> Counter[str]:
        """Stem counts of word counts (`words`), without stop words and one-letter words."""
        counts: Counter[str] = Counter()
        for word, count in words.items():
            stem = self.stems.get(word)
            if stem is None:
                stem = self.stems[word] = fold(self._stem(word)) if len(word) > 1 and fold(word) not in self.stop else ""
            if stem:
                counts[stem] += count
        return counts

    def form(self, word: str) -> tuple[str, str] | None:
        """(folded word, stem) when the browser's light stripping would not find the stem of a
        word `terms` has seen; else None."""
        if word not in self._forms:
            stem, folded = self.stems[word], fold(word)
            found = stem and folded != stem and stem not in candidates(folded, self.lang)
            self._forms[word] = (folded, stem) if found else None
        return self._forms[word]


@dataclass(frozen=True)
class PageTerms:
    """What one page adds to its language's index: stems with weights (sorted by stem), the
    word forms the browser needs, its excerpt and its text for snippets (`snippet_text`). Cached
    by the page's sources."""

    stems: tuple[str, ...]
    weights: tuple[int, ...]
    forms: dict[str, str]
    excerpt: str
    text: str = ""


# ---------------------------------------------------------------- the index

def search_languages(ctx: "RenderContext") -> list[str]:
    """The languages that get a search page (and index): all with a home page, unless search is off.

    A language with no published page has no home for the search page to link to.
    """
    if not ctx.config.settings.search.enabled:
        return []
    return [lang for lang in ctx.config.languages if f"{ctx.lang_prefix(lang)}index.html" in ctx.planned]


def page_files(ctx: "RenderContext") -> set[str]:
    """The search pages `finish` writes: planned with the others, so that links and the
    language switch of other pages (and of each search page) may lead to them."""
    return {f"{ctx.lang_prefix(lang)}search/index.html" for lang in search_languages(ctx)}


def finish(ctx: "RenderContext", result: "BuildResult") -> None:
    """Write the index and the search page of every language, unless search is off."""
    if not ctx.config.settings.search.enabled:
        return
    used: set[str] = set()
    for lang in search_languages(ctx):
        for path, data in sorted(language_files(ctx, lang, used).items()):
            ctx.outputs.add(path, data, "search", ctx.diagnostics)
        render_search_page(ctx, lang)
    ctx.images.cache.prune("search", used)  # the terms of pages as they were before edits


def language_files(ctx: "RenderContext", lang: str, used: set[str] | None = None) -> dict[str, bytes]:
    """search/<lang>/docs.js and the term shards, from the published pages in `lang`
    (the cache keys of their terms are added to `used`)."""
    pages = sorted(ctx.site.pages_in(lang), key=lambda p: p.url)
    postings: dict[str, list[int]] = defaultdict(list)
    forms: dict[str, str] = {}
    excerpts: list[str] = []
    texts: list[str] = []
    for number, entry in enumerate(page_terms(ctx, lang, pages, used if used is not None else set())):
        _merge(postings, forms, number, entry)
        excerpts.append(entry.excerpt)
        texts.append(entry.text)
    dashboard = None
    if ctx.kpi_data is not None and lang in dashboard_languages(ctx):
        file, title, labels, details = dashboard_search(ctx, ctx.kpi_data, lang)
        intro = ctx.strings(lang).get("kpi_intro", "")
        entry = _terms(Analyzer(lang), title, intro, "", " ".join(labels), " ".join(details))
        _merge(postings, forms, len(pages), entry)
        dashboard = [file, title, "kpi_snapshot", [], [], excerpt(intro)]
        texts.append(" ".join(item if item.endswith((".", "!", "?")) else item + "." for item in labels + details))
    if primary_language(lang) == "de":
        add_compound_heads(postings)
    shards = shard_files(lang, postings, forms)
    hashes = {key: hashlib.sha256(data).hexdigest()[:10] for key, (_, data) in shards.items()}
    docs = docs_payload(ctx, lang, pages, excerpts, hashes)
    if dashboard is not None:  # after the pages: the KPI dashboard, found by the KPIs it shows
        docs["docs"].append(dashboard)
        docs["labels"]["type"].setdefault("kpi_snapshot", ctx.strings(lang).get("search_type_kpi_snapshot", "kpi_snapshot"))
    texts = text_files(lang, texts)
    docs["chunk"] = TEXT_CHUNK
    docs["texts"] = [hashlib.sha256(data).hexdigest()[:10] for _, data in texts]
    files = {path: data for path, data in shards.values()}
    files.update(texts)
    files[f"search/{lang}/docs.js"] = script(f"{lang}/docs", docs)
    return files


def _merge(postings: dict[str, list[int]], forms: dict[str, str], number: int, entry: PageTerms) -> None:
    """Add document `number`'s terms to the postings and its word forms to the forms."""
    for stem, weight in zip(entry.stems, entry.weights):
        postings[stem] += [number, weight]
    for folded, stem in entry.forms.items():  # one word form, two stems (rare): the first in order
        if folded not in forms or stem < forms[folded]:
            forms[folded] = stem


def page_terms(ctx: "RenderContext", lang: str, pages: list[Page], used: set[str]) -> Iterator[PageTerms]:
    """Every page's PageTerms in order, from the cache where its sources are unchanged.

    Stemming every word of every page took two thirds of a rebuild after one
    edit at 10,000 pages; a page's terms depend only on its title, summary and
    bodies, which its parts' source keys stand for (see content.py).
    """
    cache = ctx.images.cache
    strings = ctx.strings(lang)
    data = ctx.kpi_data
    extras = [page_labels(page, strings.get(f"search_type_{page.kind}", ""),
                          snapshot_labels(data, page) if data is not None and page.kind == "kpi_snapshot" else ())
              for page in pages]
    keys = [digest(SEARCH_CACHE_VERSION, code_key(), lang, page.title, _summary(page), *extra,
                   *(part.source_key for part in page.parts)) for page, extra in zip(pages, extras)]
    used.update(keys)
    analyzer = Analyzer(lang)
    _stem_missing(ctx, analyzer, list(zip(pages, extras)), keys)
    for start in range(0, len(pages), TERMS_BATCH):  # read and stored a batch at a time, to keep memory flat
        batch = keys[start:start + TERMS_BATCH]
        found = cache.get_many("search", sorted(set(batch)), _decode_terms)
        fresh: list[tuple[str, bytes]] = []
        for page, extra, key in zip(pages[start:start + TERMS_BATCH], extras[start:start + TERMS_BATCH], batch):
            entry = found.get(key)
            if entry is None:
                entry = _page_terms(analyzer, page, extra)
                if _cacheable(page):
                    fresh.append((key, _packed(entry)))
            yield entry
        cache.put_many("search", fresh)


def _stem_missing(ctx: "RenderContext", analyzer: Analyzer, pages: list[tuple[Page, tuple[str, str, str]]],
                  keys: list[str]) -> None:
    """Put the terms of the pages the cache lacks into it, stemmed across the build's workers.

    A clean build stems every page, 2.7 s of serial work at 10,000 pages
    after everything else is done; the children share it, and `page_terms`
    then finds every page in the cache. Without a cache this is left to
    `page_terms`, which holds no more than a batch of terms at a time.
    """
    cache = ctx.images.cache
    if not cache.enabled():
        return
    known = cache.existing("search", keys)
    missing = list({key: item for key, item in zip(keys, pages) if key not in known and _cacheable(item[0])}.items())
    for terms in fork_batches(lambda batch: ([(key, _packed(_page_terms(analyzer, *item))) for key, item in batch],),
                              missing, ctx.options.jobs, STEM_BATCH):
        cache.put_many("search", terms)


def _cacheable(page: Page) -> bool:
    return all(part.source_key for part in page.parts)


def _packed(entry: PageTerms) -> bytes:
    return marshal.dumps((entry.stems, entry.weights, entry.forms, entry.excerpt, entry.text))


def _decode_terms(value: bytes) -> PageTerms | None:
    try:
        stems, weights, forms, text, snippets = marshal.loads(value)
        return PageTerms(stems, weights, forms, text, snippets)
    except Exception:  # noqa: BLE001 - a damaged entry is a miss
        return None


def page_labels(page: Page, type_label: str, kpis: Sequence[str] = ()) -> tuple[str, str, str]:
    """What the page shows besides its title, summary and bodies, as (labels, details, shown): its
    content type as readers see it ("Training"), its tags and lesson titles and a KPI snapshot's
    KPI labels (`kpis`), weighted as the summary; a module's objectives, weighted as body text. A
    module called "Frische erklären", tagged `schulung`, was found by neither "Training" nor
    "Schulung". `shown`: the KPI labels and objectives again, for snippets (a snapshot found by
    "eNPS" showed its summary, nothing marked)."""
    lessons = [part.title for part in page.parts if part.title]
    objectives = [str(item) for item in page.meta.__dict__.get("objectives") or []]
    labels = " ".join([type_label, *page.tags, *lessons, *kpis])
    return labels, " ".join(objectives), " · ".join([*kpis, *objectives])


def _page_terms(analyzer: Analyzer, page: Page, extra: tuple[str, str, str] = ("", "", "")) -> PageTerms:
    """Title words count most, then the summary and the labels (`page_labels`), then the body and
    details (capped per word)."""
    summary = _summary(page)
    labels, details, shown = extra
    entry = _terms(analyzer, page.title, summary, page.plain_text, labels, details)
    text = snippet_text(page)
    if shown:
        text = f"{text} {shown}" if not text or text.endswith((".", "!", "?", "…")) else f"{text} · {shown}"
    return PageTerms(entry.stems, entry.weights, entry.forms, entry.excerpt, text.strip())


def _terms(analyzer: Analyzer, title: str, summary: str, text: str, labels: str, details: str) -> PageTerms:
    """`_page_terms` of the parts of a page (or of the KPI dashboard)."""
    counted = [_words(part.lower()) for part in (title, summary, text, labels, details)]
    weights: Counter[str] = Counter()
    for stem, count in analyzer.terms(counted[0]).items():
        weights[stem] += TITLE_WEIGHT * count
    for stem, count in analyzer.terms(counted[1]).items():
        weights[stem] += SUMMARY_WEIGHT * count
    for stem in analyzer.terms(counted[3]):  # a label counts once, however often a tag repeats it
        weights[stem] += SUMMARY_WEIGHT
    body = analyzer.terms(counted[2]) + analyzer.terms(counted[4])
    for stem, count in body.items():
        weights[stem] += min(count, BODY_CAP)
    forms: dict[str, str] = {}
    for words in counted:
        for word in words:
            form = analyzer.form(word)
            if form is not None and (form[0] not in forms or form[1] < forms[form[0]]):
                forms[form[0]] = form[1]
    ordered = sorted(weights.items())
    return PageTerms(tuple(stem for stem, _ in ordered), tuple(weight for _, weight in ordered), forms,
                     excerpt(summary or text))


def _words(text: str) -> Counter[str]:
    text = text.translate(INVISIBLE)  # a soft hyphen would split "Lebens\u00admittel" in two
    counts = Counter(_WORD.findall(text))
    counts.update(_HYPHEN.sub("", joined) for joined in _HYPHENATED.findall(text))
    return counts


def add_compound_heads(postings: dict[str, list[int]]) -> None:
    """Index a compound under its longest known head word, at half weight ("frischethek" -> "thek")."""
    known = set(postings)
    for stem in sorted(known):
        for start in range(3, len(stem) - MIN_HEAD + 1):
            head = stem[start:]
            if head in known and head != stem:
                pairs = postings[stem]
                merged = dict(zip(postings[head][::2], postings[head][1::2]))
                for doc, weight in zip(pairs[::2], pairs[1::2]):
                    merged.setdefault(doc, max(1, weight // 2))
                postings[head] = [x for doc in sorted(merged) for x in (doc, merged[doc])]
                break


def shard_files(lang: str, postings: dict[str, list[int]], forms: dict[str, str]) -> dict[str, tuple[str, bytes]]:
    """Terms and forms grouped by first letter: key -> (output path, bytes)."""
    grouped: dict[str, dict[str, dict]] = defaultdict(lambda: {"terms": {}, "forms": {}})
    for stem in sorted(postings):
        grouped[shard_key(stem)]["terms"][stem] = postings[stem]
    for form in sorted(forms):
        grouped[shard_key(form)]["forms"][form] = forms[form]
    return {key: (f"search/{lang}/t-{key}.js", script(f"{lang}/t-{key}", grouped[key]))
            for key in sorted(grouped)}


def snippet_text(page: Page) -> str:
    """The page's text as a result's snippet is cut from: white space collapsed, invisible
    characters dropped (as indexed), a block that ends without a full stop (a heading, a table
    cell) parted from the next by " · ", at most TEXT_CHARS, cut at a word."""
    blocks = " ".join(part.rendered.block_text for part in page.parts)
    blocks = _BLOCK_END.sub(lambda found: found.group(1) or " ·", blocks)
    text = _BEFORE_PUNCTUATION.sub(r"\1", " ".join(_INVISIBLE.sub("", blocks).split()))
    if len(text) <= TEXT_CHARS:
        return text
    return text[:TEXT_CHARS].rsplit(" ", 1)[0]


def text_files(lang: str, texts: list[str]) -> list[tuple[str, bytes]]:
    """search/<lang>/x-<n>.js: the texts of pages n*TEXT_CHUNK onwards, in index order.

    Not in docs.js, which every query loads: the browser loads the files of the results it
    shows, to show the sentence where the query matched."""
    return [(f"search/{lang}/x-{n}.js", script(f"{lang}/x-{n}", {"texts": texts[start:start + TEXT_CHUNK]}))
            for n, start in enumerate(range(0, len(texts), TEXT_CHUNK))]


def docs_payload(ctx: "RenderContext", lang: str, pages: list[Page], excerpts: list[str],
                 hashes: dict[str, str]) -> dict:
    """Page metadata in index order, filter labels, stop words and shard versions."""
    settings = ctx.config.settings
    strings = ctx.strings(lang)
    kinds = sorted({page.kind for page in pages})
    return {
        "version": FORMAT_VERSION, "lang": lang, "stop": sorted(stop_words(lang)), "shards": hashes,
        "docs": [[page.file, page.title, page.kind, sorted(page.audiences), sorted(page.pillars), text]
                 for page, text in zip(pages, excerpts)],
        "labels": {
            "type": {kind: strings.get(f"search_type_{kind}", kind) for kind in kinds},
            "audience": {a.id: label_for(a.label, lang) for a in settings.audiences},
            "pillar": {p.id: label_for(p.label, lang) for p in settings.pillars},
        },
    }


def _summary(page: Page) -> str:
    """The front matter's summary, or "" (a model's fields are in its __dict__; getattr on one
    the type lacks raises inside pydantic, which costs more)."""
    return page.meta.__dict__.get("summary") or ""


def excerpt(text: str) -> str:
    """`text` with its white space collapsed, cut at a word near EXCERPT_CHARS."""
    text = " ".join(text.split())
    if len(text) <= EXCERPT_CHARS:
        return text
    cut = text[:EXCERPT_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.-–") + " …"


def script(name: str, payload: dict) -> bytes:
    """A data file that a <script src> can load from disk and under a strict CSP."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    body = body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return (f"(window.imSearchData=window.imSearchData||{{}})[{json.dumps(name)}]={body};\n").encode()


# ---------------------------------------------------------------- the search page

def render_search_page(ctx: "RenderContext", lang: str) -> None:
    """<lang prefix>search/index.html: results with filters; without JavaScript, a note."""
    prefix = ctx.lang_prefix(lang)
    targets = {other: f"{ctx.lang_prefix(other)}search/index.html" for other in ctx.config.languages}
    elsewhere = [{"lang": other, "name": language_name(ctx, other), "file": targets[other]}
                 for other in search_languages(ctx) if other != lang]
    render_job(ctx, Job(f"{prefix}search/index.html", "search.html", lang, "search",
                        values={"switch_targets": targets, "search_page": True, "elsewhere": elsewhere}))


def language_name(ctx: "RenderContext", lang: str) -> str:
    """The language's name in itself (theme string `language_name` of its own texts: "Deutsch",
    "English"), else its code: never another language's name for it, as the English fallback would be."""
    own = ctx.theme.strings.get(lang) or ctx.theme.strings.get(primary_language(lang)) or {}
    return own.get("language_name") or lang.upper()
