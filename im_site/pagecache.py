"""Pages reused between builds: the per-page output cache.

A content page's HTML depends on its own source files and on what its
templates and link checks can read of the rest of the site: the code,
site.yaml, the theme, the build's options and day, the other files under
content/, the files planned, every published page's place (path, URL,
translation key) and heading ids, and the KPI snapshots' front matter. All
of that is one *site key*. A page's entry is keyed by the site key, its own
files (by their source keys: text and everything parsing read), its
translations' (the translation-status notice names the original), those
of the pages its job values hold (prerequisites), and its job's template
and values (by their repr, which `faithful` checks in the tests); the values
a job makes only where it renders (`Job.later`: a module's lessons and quiz)
come from what the key holds already and are not in it. So
editing one page's body or title changes the keys of that page, its
translations and what lists it: every other page is replayed from the
cache with the diagnostics its rendering reported, the files and images it
used and its social card. Listings and
feeds (LISTINGS) are cached the same way, keyed by the sources of every page
they hold; the few other generated pages render every time.

Entries are stored by output file and overwritten when the key changes, so
the cache holds one entry per page however many builds run. A page's bytes
are stored apart, under their hash (`<namespace>-bytes`), and read only when
the page is written (cache.Cached): most replayed pages are in the output
folder already, unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel

from .cache import Cache, Cached, code_key, folder_key, pack_page, text_key
from .diagnostics import Diagnostic
from .markdown import Heading
from .model import Page
from .social import add_cards

if TYPE_CHECKING:
    from .render.context import Job, RenderContext

NAMESPACE = "pages"
VERSION = "pages-9"
#: Generated pages that show only what their job values hold (listings, feeds, catalogues), also
#: cached; the others (reach report, KPI dashboard, what's new, search, 404) render every time.
LISTINGS = frozenset({"list.html", "groups.html", "home.html", "audience_home.html", "training_index.html",
                      "feed.xml"})
#: Files under content/ up to this size are keyed by their bytes, larger ones by size and time.
_HASH_LIMIT = 16_000_000


class Record(NamedTuple):
    """What rendering one page did: every side effect to replay, and the hash its bytes are kept under.

    Stored as a plain tuple (`_load`): unpickling 11,000 of these as a dataclass, its class looked
    up and its fields set by name for each, took 50 ms; as tuples made into this, 18 ms.
    """

    key: str
    origin: str
    diagnostics: tuple[Diagnostic, ...]
    used_files: tuple[str, ...]
    images: tuple[str, ...]
    sha256: str  # of the bytes, for manifest.json
    content_sha256: str  # of what is inside <main> (`content_hash`), for manifest.json and What's new
    #: Of the page's stored form (output.packed_hash), which writing in place compares with the file's
    #: last; the form itself is kept apart, under this key (cache.Cached), and read only when needed.
    packed_hash: str


class PageCache:
    """The keys of one build's content pages, the hits found for them, and the records to store."""

    def __init__(self, ctx: "RenderContext", cache: Cache):
        self.ctx, self.cache = ctx, cache
        self.site_key = site_key(ctx)
        self.keys: dict[str, str] = {}  # output file -> key, for the cacheable jobs `replay` looked up
        # The dev server's pages differ (live reload): their own entries, so that `serve` and
        # `build` in turn do not overwrite each other's.
        self.namespace = NAMESPACE + ("-serve" if ctx.options.live_reload else "")
        self.bytes_namespace = self.namespace + "-bytes"
        self._by_page: dict[str, str] = {}  # page path -> `_sources`
        self.reused = 0
        #: Whether keys are made where each page renders rather than in `replay` (see there).
        self._keys_later = False
        #: Every page stored so far in this build (a build renders in rounds, each storing its pages).
        self._stored: set[str] = set()
        #: The stored forms of the pages replayed so far, and the cacheable pages rendered instead.
        self._replayed: set[str] = set()
        self._rendered: set[str] = set()

    @classmethod
    def of(cls, ctx: "RenderContext") -> "PageCache | None":
        """The build's page cache, made on first use; None when the build runs without a cache."""
        if ctx.page_cache is None and ctx.images.cache.folder is not None:
            ctx.page_cache = cls(ctx, ctx.images.cache)
        return ctx.page_cache

    def replay(self, jobs: list["Job"]) -> list["Job"]:
        """Add every cached page of `jobs` to the build; return the jobs still to render.

        With no page in the cache at all (a first or clean build) nothing can
        be replayed: each page's key is then made by the process rendering it,
        in parallel, instead of all of them here first.
        """
        self._keys_later = not self.cache.has_any(self.namespace)
        if self._keys_later:
            return jobs
        if not self._by_page:
            self._every_page_sources()
        wanted = {}
        for job in jobs:
            key = self._key(job)
            if key is not None:
                wanted[job.file] = self.keys[job.file] = key
        found = {file: record for file, record in self.cache.get_many(self.namespace, list(wanted), _load).items()
                 if record is not None}  # a damaged or old entry: rendered again
        # A page whose stored form is gone (pruned by another build of the site) renders again.
        present = self.cache.present(self.bytes_namespace, list({record.packed_hash for record in found.values()}))
        todo, replayed = [], []
        for job in jobs:
            record = found.get(job.file)
            if (record is None or record.key != wanted.get(job.file) or record.origin != job.origin
                    or record.packed_hash not in present):
                todo.append(job)
                if job.file in wanted:
                    self._rendered.add(job.file)
                continue
            self._apply(job, record)
            replayed.append(job.page)
        self.reused += len(replayed)
        add_cards(self.ctx, replayed)  # their social cards, as rendering them would have added
        return todo

    def _apply(self, job: "Job", record: Record) -> None:
        ctx, file, packed_hash = self.ctx, job.file, record.packed_hash
        ctx.outputs.add_packed(file, Cached(self.cache, self.bytes_namespace, packed_hash), record.origin,
                               ctx.diagnostics, packed_hash)
        self._replayed.add(packed_hash)
        ctx.page_hashes[file], ctx.content_hashes[file] = record.sha256, record.content_sha256
        if record.diagnostics:  # most pages have none, nor used files, nor images
            ctx.diagnostics.extend(record.diagnostics)
        if record.used_files:
            ctx.used_files.update(record.used_files)
        for rel in record.images:
            ctx.images.touch(rel)

    def _key(self, job: "Job") -> str | None:
        if job.page is None and job.template not in LISTINGS:
            return None
        values = repr(job.values)
        if " at 0x" in values:  # an object without a faithful repr: render it every time
            return None
        # A page job shows its own page and names those in its values (prerequisites); a listing
        # or feed may show anything of the pages it holds. Values whose repr names no page hold
        # none (`faithful`): not walked (a module's quiz and lessons cost 14 us a page to walk).
        held = list({p.path: p for p in pages_in(job.values)}.values()) if _PAGE_REPR in values else []
        shown = [job.page, *held] if job.page is not None else held
        # A listing's 20 pages each known already: found without a call (1,140 listings: 45 ms, not 51 ms).
        by_page = self._by_page
        return text_key([self.site_key, job.file, job.template, job.lang, job.origin, values,
                         *[by_page.get(page.path) or self._sources(page) for page in shown]])

    def _sources(self, page: Page) -> str:
        """The source keys of a page's own files and its translations' (the translation-status notice
        names the original), joined by spaces.

        Each part's `source_key` stands for its file's path and text and everything parsing it
        read, so for its front matter, HTML, headings and address. Where each page sits, its
        lessons' anchors and which pages translate it, the site key holds (`site_key`): not
        repeated here, nor hashed per page (at 10,000 pages: 103 ms of CPU with both, 44 ms without).
        """
        keys = [part.source_key for part in page.parts]
        for lang, other in self.ctx.site.translations.get(page.translation_key, {}).items():
            if lang != page.lang:
                keys += [part.source_key for part in other.parts]
        found = self._by_page[page.path] = " ".join(keys)
        return found

    def _every_page_sources(self) -> None:
        """`_sources` of the site's pages, translation by translation, before `replay` keys them all:
        each page's own source keys are listed once, where `_sources` read a translation's parts
        again for each page it translates (10,000 pages: 22 ms instead of 36 ms, medians of 21
        turns). A page that another of its language shadows in `Site.translations` is left to `_sources`."""
        own = {page.path: [part.source_key for part in page.parts] for page in self.ctx.site.pages}
        for group in self.ctx.site.translations.values():
            for lang, page in group.items():
                keys = own.get(page.path) or [part.source_key for part in page.parts]
                for other_lang, other in group.items():
                    if other_lang != lang:
                        keys = keys + (own.get(other.path) or [part.source_key for part in other.parts])
                self._by_page[page.path] = " ".join(keys)

    def render(self, job: "Job", render_job: Any, records: dict[str, tuple]) -> None:
        """Render `job`, noting in `records` what it did when the page can be cached."""
        ctx = self.ctx
        key = self._key(job) if self._keys_later else self.keys.get(job.file)
        if key is None:
            render_job(ctx, job)
            return
        mark = len(ctx.diagnostics.items)
        used, ctx.used_files = ctx.used_files, set()
        ctx.images.requests, ctx.outputs.journal = [], []
        try:
            data = render_job(ctx, job)
        finally:
            mine, ctx.used_files = ctx.used_files, used
            used.update(mine)
            images, ctx.images.requests = ctx.images.requests, None
            added, ctx.outputs.journal = ctx.outputs.journal, None
        diagnostics = tuple(ctx.diagnostics.items[mark:])
        # Only what replay reproduces: the page itself and a social card, no errors.
        if (data is None or job.file not in added or any(not path.startswith("social/") for path in added if path != job.file)
                or any(d.severity == "error" for d in diagnostics)):
            return
        # The page's hash for manifest.json, made here (in the rendering child, from the bytes
        # in hand) rather than by the parent unpacking every page after the children are done.
        sha = hashlib.sha256(data).hexdigest()
        records[job.file] = (key, diagnostics, tuple(sorted(mine)), tuple(dict.fromkeys(images)), sha, content_hash(data))

    def store(self, records: dict[str, tuple]) -> None:
        """Save the pages rendered in this build (in every process) for the next one: each record
        under its output file, each page's stored form under its hash."""
        outputs = self.ctx.outputs
        files = [file for file in sorted(records) if file in outputs.files]
        self.cache.put_many(self.bytes_namespace, ((outputs.files.hash(file), pack_page(outputs.files.packed(file)))
                                                   for file in files))
        self.cache.put_many(self.namespace, self._entries(records, files))
        self._stored.update(files)
        # Stored forms no record names any more (a page edited 100 times left 100), beyond those
        # other builds of the site may be replaying (the slack). Those of every round so far: a
        # later round's few pages alone once pruned the forms of all the others. A replayed page's
        # form is the one its record named (not looked up again: a body edit's store, 5 ms instead of 41 ms).
        self.cache.prune(self.bytes_namespace, self._replayed | {
            outputs.files.hash(file) for file in self._rendered | self._stored if file in outputs.files})

    def _entries(self, records: dict[str, tuple], files: list[str]) -> Iterator[tuple[str, bytes]]:
        outputs = self.ctx.outputs
        for file in files:
            key, diagnostics, used, images, sha, content = records[file]
            self.ctx.page_hashes[file], self.ctx.content_hashes[file] = sha, content
            record = Record(key, outputs.origins[file], diagnostics, used, images, sha, content, outputs.files.hash(file))
            yield file, pickle.dumps(tuple(record), protocol=pickle.HIGHEST_PROTOCOL)


def content_hash(data: bytes) -> str:
    """The sha256 of what a page has inside <main>: its content, without the header, footer and
    stylesheet links a theme change or a new menu entry alters on every page. Found in the page's
    UTF-8 bytes (where ASCII stands only for itself: the same span as in its text, not decoded)."""
    start, end = data.find(b"<main"), data.rfind(b"</main>")
    return hashlib.sha256(data[start:end] if 0 <= start < end else data).hexdigest()


def hashes_of(ctx: "RenderContext", file: str) -> tuple[str, str]:
    """(sha256 of the page's bytes, its `content_hash`): kept by the page cache for the pages it
    recorded or replayed, else read from the page once."""
    sha, content = ctx.page_hashes.get(file), ctx.content_hashes.get(file)
    if sha is None or content is None:
        data = ctx.outputs.files[file]
        sha, content = hashlib.sha256(data).hexdigest(), content_hash(data)
    return sha, content


def _load(value: bytes) -> Record | None:
    try:
        fields = pickle.loads(value)
    except Exception:  # noqa: BLE001 - a damaged or foreign entry is a miss
        return None
    # Not Record._make, which checks the length again in Python: 11,000 records, 2 ms instead of 7 ms.
    return tuple.__new__(Record, fields) if type(fields) is tuple and len(fields) == len(Record._fields) else None


# ---------------------------------------------------------------- keys

def site_key(ctx: "RenderContext") -> str:
    """Everything about the build that any cached page can read, except other pages' front matter and text."""
    config, options = ctx.config, ctx.options
    parts = [VERSION, code_key(), str(config.root), hashlib.sha256(_read(config.path)).hexdigest()]
    for name, folder in ctx.theme.chain:
        parts += [name, folder_key(folder)]
    # Pages show whether the build is a version, never its id; the previous version's manifest
    # is read by the what's-new page only, which is not cached: so one publish reuses the last.
    parts += [repr((options.drafts, options.future, options.audience, options.version is not None,
                    options.live_reload, options.published, options.now.astimezone(config.tz).date().isoformat()))]
    parts += [repr(sorted(ctx.hidden.items())), repr(sorted(ctx.planned)), repr(sorted(ctx.assets.items())),
              repr(sorted(ctx.previewed.items()))]
    for rel, source in sorted(ctx.files.items()):
        parts += [rel, _file_key(source.abs_path)]
    for page in ctx.site.pages:
        # What links and the language switch resolve against: where each page is and its anchors
        # (decided by the heading ids each body gave, cheaper to read than Page.anchors). Not the
        # front matter: a page's title, summary or date shows only on pages whose keys hold that
        # page (its own, its translations', listings and feeds, modules naming it a prerequisite),
        # except a KPI snapshot's, which the KPI figures on other pages read. Each part's fields as
        # texts of their own, not one repr of them all: 17 ms instead of 33 ms at 10,000 pages.
        parts += [page.path, page.rel, page.kind, page.lang, page.slug, page.url, page.translation_key,
                  meta_text(page.meta) if page.kind == "kpi_snapshot" else "", str(len(page.parts))]
        for part in page.parts:
            parts += [part.rel, repr(part.title), repr(part.anchor), part.rendered.heading_ids]
    return text_key(parts)


def _file_key(path: Path) -> str:
    try:
        stat = path.stat()
        if stat.st_size > _HASH_LIMIT:
            return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b"unreadable"


def pages_in(value: Any) -> list[Page]:
    """Every Page inside job values (lists, dicts, dataclasses such as a prerequisite), in their order."""
    found: list[Page] = []
    _collect(value, found)
    return found


def _collect(value: Any, found: list[Page]) -> None:
    # Into one list, not by nested generators: a 10,000-page site's 1,140 listings, 12 ms instead of 20 ms.
    if type(value) in _LEAVES:
        return
    if isinstance(value, Page):
        found.append(value)
    elif isinstance(value, (list, tuple, dict)):
        for item in value.values() if isinstance(value, dict) else value:
            if type(item) is Page:  # listings hold thousands of pages: those without a call each
                found.append(item)
            elif type(item) not in _LEAVES:
                _collect(item, found)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for name in _held_fields(type(value)):
            _collect(getattr(value, name), found)


@lru_cache(maxsize=None)
def _held_fields(kind: type) -> tuple[str, ...]:
    """The fields of a dataclass that `pages_in` looks into (not those marked derived)."""
    return tuple(f.name for f in dataclasses.fields(kind) if not f.metadata.get("derived"))


#: How every Page shows in a repr (Page.__repr__).
_PAGE_REPR = "<page "

#: Values that hold no page, skipped at once (most job values are these).
_LEAVES = frozenset({str, int, float, bool, type(None), date, datetime, Heading})


def meta_text(meta: Any) -> str:
    """Every field of a page's front matter as text (faster than the model's own repr)."""
    return f"{type(meta).__name__}{meta.__dict__!r}"


def faithful(value: Any) -> bool:
    """Whether `repr(value)` shows all of it, as job values must for their page's key.

    Builtins, dates, Markup, dataclasses and pydantic models do; a Page shows
    only its path, which is enough because the job's key holds the front
    matter and text of every page in its values (`pages_in`, which looks only where the repr
    names a page: a value that does not show one holds none). A dataclass field marked
    `metadata={"derived": True}` (a feed entry's context) is left out: what it
    contributes is in the site key. tests/test_incremental.py checks the job
    values of real builds with this.
    """
    if value is None or isinstance(value, (bool, int, float, str, date, datetime, Page)):
        return True
    if isinstance(value, (list, tuple)):
        return all(faithful(item) for item in value)
    if isinstance(value, dict):
        return all(faithful(key) and faithful(item) for key, item in value.items())
    if isinstance(value, BaseModel):
        return all(faithful(item) for item in value.__dict__.values())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value).__repr__ is not object.__repr__ and all(
            f.metadata.get("derived") or (f.repr and faithful(getattr(value, f.name)))
            for f in dataclasses.fields(value))
    return False
