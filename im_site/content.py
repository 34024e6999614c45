"""Sources -> Pages: front matter, language, slug, URL, rendered Markdown (cached by content).

Everything here depends only on the files; what is published is decided
afterwards by rules.py.
"""

from __future__ import annotations

import marshal
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from . import frontmatter, schema
from .cache import Cache, code_key, digest
from .config import Config
from .diagnostics import Diagnostic, Diagnostics
from .markdown import Rendered, make_parser, render_markdown, restore_rendered
from .model import Page, Part
from .options import RACY_NS, file_clock_ns
from .parallel import fork_batches
from .slugs import slugify
from .sources import SourceFile, Stamp, is_windows_reserved, read_text
from .yamldoc import YamlDoc, YamlProblem

MARKDOWN_CACHE_VERSION = "md-11"  # md-4: heading slugs from NFC text; md-5: kept with the parsed source; md-6: packed; md-7: zstd; md-8: block ends in the text; md-9: heading ids joined; md-10: headings pickled; md-11: references pickled
SOURCE_CACHE_VERSION = "src-9"  # src-6: models and headings pickled as values; src-7: own hash with the front matter; src-8: no classes, translation key and reserved folder; src-9: marshalled
#: Sources a parsing child takes (and sends back) at a time.
PARSE_BATCH = 100
_NUMBER_PREFIX = re.compile(r"^(\d+)[-_ .]")
#: A file-name suffix that names a language (`x.en.md`, `x.de-CH.md`), whether or not site.yaml lists it.
#: A regional code (`fr-CA`) that site.yaml does not list made a page of the default language
#: at `x-fr-ca/`, the French text among the German pages.
_LANGUAGE_SUFFIX = re.compile(r"[a-z]{2}(-[A-Za-z]{2})?")


@dataclass
class Content:
    """All pages parsed from content/ (before publishing rules), plus the other files."""

    pages: list[Page] = field(default_factory=list)
    files: dict[str, SourceFile] = field(default_factory=dict)  # by rel: assets, kpi data
    invalid: set[str] = field(default_factory=set)  # rels of Markdown sources whose errors keep them out
    #: The bodies of those sources (not drafts) whose front matter could be read: their links are
    #: checked all the same (`bodies.check_links`), so one run reports every problem of a file.
    unpublished_bodies: list[Part] = field(default_factory=list)
    #: Lesson files marked `draft: true` (rel -> path): left out of their module, unless a preview
    #: (`--drafts`) shows them, marked as drafts.
    draft_lessons: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Parsed:
    """A source's front matter and body, parsed here or restored from its cache entry (not frozen,
    and its parts in fields of its own rather than a `frontmatter.Parsed`: a rebuild makes 10,000
    of these, and a frozen dataclass's fields cost a call each; see _from_cache)."""

    source: SourceFile
    meta: Any  # the front matter's model
    doc: YamlDoc | frontmatter.LazyDoc  # its line map
    body_line: int  # the file's line on which the body starts
    block: str | bytes | None  # the front matter's text (as UTF-8 bytes when restored from the cache)
    lang: str
    stem: str
    body: str = ""  # the Markdown body, until rendered (not kept in the cache)
    rendered: Rendered | None = None  # the body's Markdown, once rendered
    own_hash: tuple[str, str] = ("", "")  # (body hash, source hash) of a page made of this file alone (see _page)
    #: Its slug, URL, translation key and the folder of its URL that Windows reserves, if any: what
    #: `_page` reads of the page's place, worked out with the parse (see _place).
    place: tuple[str, str, str, str] = ("", "", "", "")
    key: str = ""  # its entry in the "sources" cache: a hash of everything parsing and rendering read


#: The ids site.yaml defines for a field (`audiences`, `pillars`): in its order, and as a set.
_Ids = tuple[list[str], frozenset[str]]


class SourceIndex:
    """The last build's Markdown sources by file stamp: the unchanged ones are not read again.

    A rebuild after one edit used to read and hash every source to find its
    cache entry. A file whose stamp (size, modification and change times,
    inode) is the one recorded gets the recorded cache key instead. Only files
    last changed MARGIN_NS before that build began are recorded: a file
    written twice within one tick of the file system's clock can keep its
    stamp, so a recent file is always read (git's "racily clean" rule). A
    source whose cache entry has gone missing is read after all.
    """

    NAMESPACE = "source-stamps"
    MARGIN_NS = RACY_NS

    def __init__(self, config: Config, cache: Cache):
        self.cache = cache
        self.key = digest(code_key(), _settings(config), str(config.content_dir.absolute()))
        self.started = file_clock_ns()
        self.recorded: dict[str, tuple[Stamp, str]] = {}
        raw = cache.get(self.NAMESPACE, self.key)
        try:
            recorded = marshal.loads(raw) if raw is not None else {}
        except Exception:  # noqa: BLE001 - a damaged index is an empty one
            recorded = {}
        if type(recorded) is dict and all(type(entry) is tuple and len(entry) == 2 for entry in recorded.values()):
            self.recorded = recorded

    def unchanged(self, path: str, kind: str, stamp: Stamp) -> bool:
        entry = self.recorded.get(path)
        return entry is not None and entry[0] == stamp and kind in frontmatter.META_BY_KIND

    def key_of(self, source: SourceFile) -> str:
        return self.recorded[source.path][1]

    def save(self, cached: list[_Parsed]) -> None:
        """Record the sources whose parsed form is in the cache, if they are old enough (called
        by full builds only: the entries of sources not among `cached` may be pruned)."""
        before = self.started - self.MARGIN_NS
        recorded = {item.source.path: (stamp, item.key) for item in cached
                    if (stamp := item.source.stamp) is not None and stamp[1] < before and stamp[2] < before}
        if recorded != self.recorded:  # marshalled: 2 ms for 10,000 sources, pickled 7 ms
            self.cache.put(self.NAMESPACE, self.key, marshal.dumps(recorded))
        self.cache.prune("sources", {item.key for item in cached})  # old versions of the files


def _settings(config: Config) -> str:
    """Everything besides a source itself that parsing and rendering it reads."""
    return repr((MARKDOWN_CACHE_VERSION, SOURCE_CACHE_VERSION, config.settings.markdown.html, config.languages,
                 config.settings.language))


def _source_key(source: SourceFile, settings: str) -> str:
    return digest(code_key(), settings, source.kind, source.path, source.text or "")


def load_content(config: Config, sources: list[SourceFile], cache: Cache, diagnostics: Diagnostics,
                 workers: int = 1, index: SourceIndex | None = None, drafts: bool = False) -> Content:
    """Parse every Markdown source into a Page; lessons join their module.

    A source parsed without problems before (same text, path, settings and
    im-site version) comes from the cache with its rendered Markdown: reading
    and validating front matter and rendering Markdown are the costliest
    steps of a rebuild. Its YAML line map is parsed again only if a later
    problem needs a line. Sources the `index` found unchanged come unread.
    """
    content = Content()
    settings = _settings(config)
    markdown = [source for source in sources if source.kind in frontmatter.META_BY_KIND]
    content.files.update((source.rel, source) for source in sources if source.kind not in frontmatter.META_BY_KIND)
    keys = {source.rel: _source_key(source, settings) if source.text is not None or index is None else index.key_of(source)
            for source in markdown}
    found = cache.get_many("sources", sorted(set(keys.values())), _decode)
    if any(source.text is None and found.get(keys[source.rel]) is None for source in markdown):
        markdown = _read_lost(markdown, keys, found, config, cache, diagnostics)
    todo = [source for source in markdown if found.get(keys[source.rel]) is None]
    previous = _previous_front_matter(todo, index, cache)
    # Sources not in the cache: front matter and Markdown in forked processes, each result
    # coming back in its cache form (marshalled once, in the process that made it).
    md = make_parser(config.settings.markdown.html) if todo else None
    # Each batch is decoded and stored as it arrives, while the children go on working.
    done: dict[str, tuple[tuple | None, list[Diagnostic]]] = {}
    bodies: dict[str, Part] = {}
    for results in fork_batches(lambda batch: ([_parse_and_render(source, config, md, previous.get(source.rel))
                                                for source in batch],),
                                todo, workers, PARSE_BATCH):
        cache.put_many("sources", [(keys[rel], value) for rel, (value, problems, _) in results
                                   if value is not None and not problems])
        done.update((rel, (_decode(value) if value is not None else None, problems)) for rel, (value, problems, _) in results)
        bodies.update((rel, body) for rel, (_, _, body) in results if body is not None)
    items: list[_Parsed] = []
    cached: list[_Parsed] = []
    for source in markdown:
        key = keys[source.rel]
        entry = found.get(key)
        stored = entry is not None
        if entry is None:
            entry, problems = done.pop(source.rel)
            diagnostics.extend(problems)  # in the order of the sources, whichever child found them
            if entry is None:
                content.invalid.add(source.rel)
                if source.rel in bodies:
                    content.unpublished_bodies.append(bodies[source.rel])
                continue
            stored = not problems
        items.append(_from_cache(source, entry, key))
        if stored:
            cached.append(items[-1])
    if index is not None:
        index.save(cached)
    parsed_by_kind: dict[str, list[_Parsed]] = defaultdict(list)
    for item in items:
        parsed_by_kind[item.source.kind].append(item)
    lessons = _group_lessons(parsed_by_kind["lesson"], drafts, content.draft_lessons)
    known_ids = {name: (ids, frozenset(ids)) for name, ids in (("audiences", config.audience_ids),
                                                                ("pillars", config.pillar_ids))}
    for kind in ("message", "training", "kpi_snapshot", "page"):
        for item in parsed_by_kind[kind]:
            extra = lessons.pop((posixpath.dirname(item.source.rel), item.lang), ()) if kind == "training" else ()
            content.pages.append(_page(item, extra, known_ids, diagnostics))
    for (folder, lang), orphans in sorted(lessons.items()):
        if _index_has_errors(folder, lang, content.invalid, config):
            continue  # its own errors are reported: "no index.md" would only mislead
        for part in orphans:
            diagnostics.error(part.path, 1, "IM130", f"lesson file has no module index.md in {folder}/ for language {lang}")
    return content


def _read_lost(markdown: list[SourceFile], keys: dict[str, str], found: dict[str, tuple | None], config: Config,
               cache: Cache, diagnostics: Diagnostics) -> list[SourceFile]:
    """Read the sources taken as unchanged whose cache entry is missing or damaged after all."""
    settings, read = _settings(config), []
    for source in markdown:
        if source.text is None and found.get(keys[source.rel]) is None:
            text = read_text(source.abs_path, source.path, diagnostics, max_bytes=config.max_file_bytes)
            if text is None:
                continue
            source = replace(source, text=text)
            keys[source.rel] = _source_key(source, settings)
        read.append(source)
    found.update(cache.get_many("sources", sorted({keys[source.rel] for source in read}), _decode))
    return read


#: Changed sources up to which a build looks up their previous cache entries (see _previous_front_matter).
MAX_PREVIOUS = 50


def _previous_front_matter(todo: list[SourceFile], index: SourceIndex | None, cache: Cache) -> dict[str, tuple[Any, bytes]]:
    """(model, front matter's text) of the last cache entry of each changed source (by rel), as the
    `index` recorded it: a body edit keeps the front matter, whose model is then not validated again
    (validating it, and building its model's deferred schema first, took ~26 ms of a body edit).

    The entry's key covered the same path, kind, settings and im-site version (the index is kept
    per settings and version; the kind is checked by the model's class), and an entry is stored only
    for a source parsed without problems: the same front matter text would give the same model and
    none either. Skipped when many sources changed (each entry is a look-up for a saving unlikely then).
    """
    if index is None or not todo or len(todo) > MAX_PREVIOUS:
        return {}
    old_keys = {source.rel: entry[1] for source in todo if (entry := index.recorded.get(source.path)) is not None}
    entries = cache.get_many("sources", sorted(set(old_keys.values())), _decode) if old_keys else {}
    previous = {}
    for source in todo:
        entry = entries.get(old_keys.get(source.rel, ""))
        if entry is not None and type(entry[0]) is frontmatter.META_BY_KIND[source.kind] and isinstance(entry[1], bytes):
            previous[source.rel] = (entry[0], entry[1])
    return previous


def _parse_and_render(source: SourceFile, config: Config, md: Any, previous: tuple[Any, bytes] | None = None
                      ) -> tuple[str, tuple[bytes | None, list[Diagnostic], Part | None]]:
    """(rel, (the cache form of the parsed and rendered source or None, its problems, and for a
    source with problems in its front matter its rendered body, if it can be found and is no draft)).
    `previous`: the model and front matter text of the source's last cache entry (_previous_front_matter)."""
    local = Diagnostics()
    item = _parse(source, config, local, previous)
    if item is None:
        assert source.text is not None
        found = frontmatter.body_of(source.text)
        body = Part(source.path, source.rel, found[1], render_markdown(md, found[0])) if found is not None else None
        return source.rel, (None, local.items, body)
    rendered = render_markdown(md, item.body)
    place = _place(item, config) if source.kind != "lesson" else ("", "", "", "")  # a lesson lives on its module's page
    return source.rel, (_to_cache(replace(item, rendered=rendered, place=place)), local.items, None)


def _to_cache(item: _Parsed) -> bytes:
    """The entry: the front matter's values (`schema.plain_values`) and the body's fields, plain
    values marshalled. The front matter's text is kept as UTF-8 bytes, decoded only if a problem
    needs its line map (`frontmatter.LazyDoc`): decoding 10,000 took 6-10 ms of every rebuild.

    Pickled as objects, each entry named the functions and classes that restore them, and unpickling
    looked each name up through the import system; pickled as plain values, loading 10,000 entries
    still took about twice as long as marshal does (65 ms against 35 ms, best of 9).
    """
    rendered = item.rendered
    assert rendered is not None
    body_hash = _source_hash([rendered], item.meta.title)
    block = item.block.encode("utf-8", "surrogatepass") if isinstance(item.block, str) else item.block
    return marshal.dumps((item.source.kind, *schema.plain_values(item.meta), block, item.body_line, item.lang,
                          item.stem, rendered.values(), (body_hash, _with_front_matter(body_hash, item.meta)),
                          item.place))


def _decode(value: bytes) -> tuple | None:
    """A cache entry of `_to_cache`, its model and body restored; None if damaged (the source is parsed again)."""
    try:
        kind, values, mask, others, block, body_line, lang, stem, rendered, own_hash, place = marshal.loads(value)
        return (schema.restore_plain(frontmatter.META_BY_KIND[kind], values, mask, others), block, body_line, lang,
                stem, restore_rendered(*rendered), own_hash, place)
    except Exception:  # noqa: BLE001 - a damaged entry is a miss
        return None


def _from_cache(source: SourceFile, entry: tuple, key: str) -> _Parsed:
    """The parsed source from its cache entry (without its Markdown body, which is rendered already)."""
    meta, block, body_line, lang, stem, rendered, own_hash, place = entry
    return _Parsed(source, meta, frontmatter.LazyDoc(block), body_line, block, lang, stem, "", rendered, own_hash,
                   place, key)


def _parse(source: SourceFile, config: Config, diagnostics: Diagnostics,
           previous: tuple[Any, bytes] | None = None) -> _Parsed | None:
    assert source.text is not None
    parsed = _same_front_matter(source.text, previous) if previous is not None else None
    if parsed is None:
        parsed = frontmatter.parse(source.text, source.path, source.kind, diagnostics)
    if parsed is None:
        return None
    name = posixpath.basename(source.rel)[: -len(".md")]
    stem, _, suffix = name.rpartition(".")
    explicit = getattr(parsed.meta, "lang", None)
    listed = next((lang for lang in config.languages if lang.lower() == suffix.lower()), suffix)
    if stem and not explicit and listed != suffix:  # `x.EN.md`, `x.de-ch.md` where site.yaml lists de-CH
        diagnostics.error(source.path, None, "IM160", f"the language in the file name is written {suffix!r}, not "
                          f"{listed!r} (.{suffix}.md)", hint=f"rename it {stem}.{listed}.md")
        return None
    if stem and not explicit and suffix not in config.languages and _LANGUAGE_SUFFIX.fullmatch(suffix):
        diagnostics.error(source.path, None, "IM160", f"the file name says language {suffix!r} (.{suffix}.md), which "
                          f"is not in site.yaml languages {config.languages}",
                          hint=f"add {suffix} to languages in site.yaml; if .{suffix} is not meant as a language, name "
                               f"the file {stem}-{suffix}.md or set lang: in the front matter")
        return None
    stem, suffix = split_language(name, config.languages)
    lang = explicit or suffix or config.settings.language
    if lang not in config.languages:
        diagnostics.error(source.path, parsed.doc.line_of(("lang",)), "IM160",
                          f"language {lang!r} is not in site.yaml languages {config.languages}")
        return None
    return _Parsed(source, parsed.meta, parsed.doc, parsed.body_line, parsed.block, lang, stem, parsed.body)


def _same_front_matter(text: str, previous: tuple[Any, bytes]) -> frontmatter.Parsed | None:
    """The file parsed with the model of its previous version, if its front matter's text is that
    version's (byte for byte); None otherwise (it is parsed and validated then)."""
    try:
        block, body, body_line = frontmatter.split(text)
    except YamlProblem:
        return None
    meta, old_block = previous
    if block is None or block.encode("utf-8", "surrogatepass") != old_block:
        return None
    return frontmatter.Parsed(meta, frontmatter.LazyDoc(block), body, body_line, block)


def _part(item: _Parsed, *, title: str | None = None, anchor: str | None = None) -> Part:
    assert item.rendered is not None
    return Part(item.source.path, item.source.rel, item.body_line, item.rendered, title, anchor,
                item.key)


def _group_lessons(items: list[_Parsed], drafts: bool, draft_lessons: dict[str, str]) -> dict[tuple[str, str], list[Part]]:
    """Lesson files by (module folder, language), ordered by weight, then number prefix, then name;
    drafts only in a preview (`drafts`), and noted in `draft_lessons` either way."""
    grouped: dict[tuple[str, str], list[_Parsed]] = defaultdict(list)
    for item in items:
        if item.meta.draft:
            draft_lessons[item.source.rel] = item.source.path
        if drafts or not item.meta.draft:
            grouped[(posixpath.dirname(item.source.rel), item.lang)].append(item)
    lessons: dict[tuple[str, str], list[Part]] = {}
    for key, members in grouped.items():
        members.sort(key=_lesson_order)
        used: set[str] = set()
        parts = []
        for item in members:
            anchor = _unique(slugify(item.meta.title), used)
            parts.append(_part(item, title=item.meta.title, anchor=anchor))
        lessons[key] = parts
    return lessons


def _lesson_order(item: _Parsed) -> tuple:
    match = _NUMBER_PREFIX.match(item.stem)
    weight = item.meta.weight
    return (weight if weight is not None else (int(match.group(1)) if match else 10**6), item.stem)


def _unique(anchor: str, used: set[str]) -> str:
    candidate, number = anchor, 1
    while candidate in used:
        candidate, number = f"{anchor}-{number}", number + 1
    used.add(candidate)
    return candidate


def _page(item: _Parsed, lessons: tuple[Part, ...] | list[Part], known_ids: dict[str, _Ids], diagnostics: Diagnostics) -> Page:
    source, meta = item.source, item.meta
    slug, url, key, reserved = item.place
    parts = (_part(item), *lessons)
    if lessons:
        body_hash = _source_hash([p.rendered for p in parts], meta.title)
        source_hash = _with_front_matter(body_hash, meta)
    else:  # made where the file was parsed, and cached with it
        body_hash, source_hash = item.own_hash
    page = Page(source.kind, source.path, source.rel, item.lang, slug, url, key, meta, tuple(parts),
                source_hash, item.doc.line_of, body_hash)
    _check_ids(page, known_ids, diagnostics)
    if reserved:
        diagnostics.error(page.path, 1, "IM011", f"the page's address /{page.url} has the folder {reserved!r}, a name "
                          "Windows reserves for a device: the built site cannot be copied to or checked out on Windows",
                          hint=f"set another address in the front matter, e.g. slug: {reserved}-info")
    return page


def _reserved_folder(rel: str, url: str, lang: str, config: Config) -> str:
    """The folder of a page's address that Windows reserves, made from a name that is not one
    (`Con!.md`, `period: COM1`), or "": its output folder cannot be copied to or checked out on
    Windows. (A reserved file or folder name in content/ is reported by `sources.walk`.)"""
    if any(is_windows_reserved(part) for part in rel.split("/")):
        return ""
    for segment in url.removeprefix(f"{lang}/" if lang != config.settings.language else "").split("/"):
        if is_windows_reserved(segment):
            return segment
    return ""


def file_translation_key(kind: str, rel: str, languages: list[str]) -> str:
    """The `translation_key` a file has without one of its own: its kind and path without the language
    suffix, so `messages/x.md` and `messages/x.en.md` are translations of each other."""
    stem, _ = split_language(posixpath.basename(rel).removesuffix(".md"), languages)
    return f"{kind}:{posixpath.join(posixpath.dirname(rel), stem)}"


def split_language(name: str, languages: list[str]) -> tuple[str, str]:
    """(stem, language) of a Markdown file's name without `.md`: `x.en` -> ('x', 'en') when `en` is one
    of the site's languages, else the whole name and ''."""
    stem, _, suffix = name.rpartition(".")
    return (stem, suffix) if stem and suffix in languages else (name, "")


def _index_has_errors(folder: str, lang: str, invalid: set[str], config: Config) -> bool:
    """Whether the module index.md of `folder` in `lang` exists but its front matter has errors."""
    names = [f"index.{lang}.md"] + (["index.md"] if lang == config.settings.language else [])
    return any(f"{folder}/{name}" in invalid for name in names)


def _source_hash(bodies: list[Rendered], title: str) -> str:
    """What a translation's `translated_from` names: the page's HTML and title, hashed."""
    return digest(*(body.html for body in bodies), title)[:12]


def _with_front_matter(body_hash: str, meta: Any) -> str:
    """The source hash: the body's, and what readers read of the front matter."""
    texts = _front_matter_texts(meta)
    return digest(body_hash, *texts)[:12] if any(texts) else body_hash


def _front_matter_texts(meta: Any) -> list[str]:
    """What readers read of the front matter besides the title, in a fixed order: a translation
    of a page whose summary or quiz changed is out of date as much as one whose body did."""
    fields = meta.__dict__  # getattr on a field the type lacks raises inside pydantic
    texts = [fields.get(name) or "" for name in ("summary", "image_alt", "role")]
    texts += fields.get("objectives") or []
    for item in fields.get("quiz") or []:
        texts += [item.question, *item.options, item.explain or "", repr(item.answer)]
    return texts


def _place(item: _Parsed, config: Config) -> tuple[str, str, str, str]:
    """`_Parsed.place`: all of it depends on the file and the settings its cache entry is keyed by."""
    source = item.source
    slug, url = _url(item, config)
    key = item.meta.translation_key or file_translation_key(source.kind, source.rel, config.languages)
    return slug, url, key, _reserved_folder(source.rel, url, item.lang, config)


def _url(item: _Parsed, config: Config) -> tuple[str, str]:
    """(slug, folder URL) by content type, with the language prefix outside the default."""
    source, meta = item.source, item.meta
    folders = posixpath.dirname(source.rel).split("/") if "/" in source.rel else []
    if source.kind == "training" and len(folders) == 2:
        slug = meta.slug or slugify(folders[1])
        url = f"training/{slug}/"
    elif source.kind == "kpi_snapshot":
        slug = meta.slug or slugify(meta.period)
        url = f"kpis/{slug}/"
    elif source.kind in ("message", "training"):
        slug = meta.slug or slugify(item.stem)
        url = f"{folders[0]}/{slug}/"
    else:
        slug = meta.slug or slugify(item.stem)
        segments = [slugify(folder) for folder in folders]
        url = "/".join(segments + ([] if item.stem == "index" and not meta.slug else [slug]))
        url = f"{url}/" if url else ""
    prefix = "" if item.lang == config.settings.language else f"{item.lang}/"
    return slug, prefix + url


def _check_ids(page: Page, known_ids: dict[str, _Ids], diagnostics: Diagnostics) -> None:
    """Audiences and pillars must be ids from site.yaml (`known_ids`: by field, the ids and a set of them)."""
    fields = page.meta.__dict__  # a model's fields: getattr looks through the model's classes first
    for field_name, (known, ids) in known_ids.items():
        values = fields.get(field_name)
        if not values or ids.issuperset(values):  # most pages: one test each
            continue
        for index, value in enumerate(values):
            if value not in ids:
                diagnostics.error(page.path, page.line_of((field_name, index)), "IM020",
                                  f"unknown {field_name[:-1]} id {value!r}",
                                  hint=f"defined in site.yaml: {', '.join(known) or 'none'}")
