"""The "What's new" page of a published version: pages added and changed since the previous one.

Changes are found by comparing each page's content hash (see `page_changed`)
with the previous version's manifest.json, by URL. The hashes of this build exist only once its
pages are rendered, so the page's values are computed lazily: the what's-new
job is planned after every content page and rendered after them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import Page, message_order
from .pagecache import hashes_of
from .render.context import Job, RenderContext

if TYPE_CHECKING:
    from .build import BuildResult


@dataclass(frozen=True)
class Previous:
    """What this build is compared with: the previous version's id and its pages' hashes by URL
    ({"hash", "content_hash"}, the latter None in manifests from before content hashes)."""

    version: str | None
    entries: dict[str, dict[str, str | None]]


def jobs(ctx: RenderContext, result: "BuildResult") -> list[Job]:
    """One what's-new page per language with pages, in versioned builds only."""
    if ctx.options.version is None:
        return []
    previous = read_previous(ctx, ctx.options.previous_manifest)
    if previous is not None:
        check_moved(ctx, previous)
        check_acknowledgement_ids(ctx, previous)
    planned = []
    for lang in ctx.config.languages:
        if not ctx.site.pages_in(lang):
            continue
        file = f"{ctx.lang_prefix(lang)}whats-new/index.html"
        planned.append(Job(file, "whats_new.html", lang, f"what's new ({lang})",
                           {"changes": Changes(ctx, lang, previous), "previous": previous,
                            "switch_targets": {other: f"{ctx.lang_prefix(other)}whats-new/index.html"
                                               for other in ctx.config.languages}}))
    return planned


def check_moved(ctx: RenderContext, previous: Previous) -> None:
    """A page the previous version had at an address that this one has at another, with nothing
    at the old one (a new `slug:`, `period:` or file name, no `aliases:`; found by its source file,
    its translation key or, for a renamed file, its text or else its title): warning IM172 at the
    line that sets its address. The links already sent by e-mail and the readers' bookmarks lead
    to the 404 page of `latest/` otherwise, and nothing said so."""
    pages = ctx.site.pages
    taken = _addresses(pages)
    by_source = {page.path: page for page in pages}
    by_key = {(page.translation_key, page.lang): page for page in pages}
    texts = Counter(page.source_hash for page in pages)
    by_text = {page.source_hash: page for page in pages if texts[page.source_hash] == 1}  # a renamed file
    # A file renamed and edited in one merge: its title, when no other page of its language and type
    # has it and the old file is gone (not a draft or an expired page with a successor of its name).
    titles = Counter((page.title, page.lang, page.kind) for page in pages)
    by_title = {(page.title, page.lang, page.kind): page for page in pages if titles[(page.title, page.lang, page.kind)] == 1}
    present = _sources_present(ctx)
    for url, entry in sorted(previous.entries.items()):
        if url in taken:
            continue
        page = (by_source.get(str(entry.get("source"))) or by_key.get((entry.get("translation_key"), entry.get("lang")))
                or by_text.get(str(entry.get("source_hash"))))
        gone = _source_of(entry) not in present
        page = page or (by_title.get((entry.get("title"), entry.get("lang"), entry.get("type"))) if gone else None)
        if page is None or page.url == url:
            continue
        since = f"in version {previous.version}" if previous.version else "in the previous version"
        ctx.diagnostics.warning(page.path, page.address_line(page.file), "IM172",
                                f"the page was at /{url} {since} and is now at /{page.url}: links and bookmarks "
                                "to its old address lead nowhere", hint=f"add aliases: [/{url}] to its front matter")


def _addresses(pages: list[Page]) -> set[str]:
    """Every address the pages are at: their own and their `aliases`."""
    return {page.url for page in pages} | {alias for page in pages for alias in page.meta.aliases}


def _sources_present(ctx: RenderContext) -> set[str]:
    """The files under content/ that are pages of this build, published or not (by rel)."""
    return ctx.site.by_rel.keys() | ctx.hidden.keys()


def _source_of(entry: dict[str, str | None]) -> str:
    """A manifest entry's source file, by rel (as `_sources_present` has them)."""
    return str(entry.get("source")).removeprefix("content/")


def check_acknowledgement_ids(ctx: RenderContext, previous: Previous) -> None:
    """A must-read message whose acknowledgement id (`{id}`: its translation key, else made from
    its file's path) is not the one the previous version sent: its file renamed (the address kept
    by `slug:`, or the old one in `aliases:`) or its `translation_key` changed. The form then
    counts the readers of one message under two ids, and nothing said so: warning IM173."""
    if not ctx.config.settings.acknowledge_url:
        return
    present = _sources_present(ctx)
    by_source = {str(entry.get("source")): entry for entry in previous.entries.values()}
    since = f"in version {previous.version}" if previous.version else "in the previous version"
    for page in ctx.site.pages:
        if page.kind != "message" or not getattr(page.meta, "must_read", False):
            continue
        entry = by_source.get(page.path) or next(
            (found for url in (page.url, *page.meta.aliases)
             if (found := previous.entries.get(url)) is not None and found.get("type") == "message"
             and _source_of(found) not in present), None)
        old = entry.get("translation_key") if entry is not None else None
        if not old or old == page.translation_key or _sent_before(ctx, page, entry):
            continue
        field_name = "translation_key" if page.meta.translation_key else "must_read"
        ctx.diagnostics.warning(page.path, page.line_of((field_name,)), "IM173",
                                f"the acknowledgement id of this must-read is now {page.translation_key!r}, "
                                f"{old!r} {since}: the form counts its readers under two ids",
                                hint=f"set translation_key: {old!r} here and in its translations")


def _sent_before(ctx: RenderContext, page: Page, entry: dict[str, str | None]) -> bool:
    """Whether a version before the previous one sent `page`'s id: the writer who followed IM173's
    hint gave it back the id it first had, and the previous version is the odd one out. Read only
    for a must-read whose id changed, from every version's manifest.json beside the previous one's."""
    path = ctx.options.previous_manifest
    versions = path.parent.parent if path is not None else None
    if versions is None or not versions.is_dir():
        return False
    sources = {page.path, str(entry.get("source"))}
    urls = {page.url, *page.meta.aliases}
    for manifest in sorted(versions.glob("*/manifest.json")):
        try:
            pages = manifest_pages(json.loads(manifest.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            continue  # a damaged older version: its ids are unknown
        if any(isinstance(old, dict) and (old.get("source") in sources or old.get("url") in urls)
               and old.get("translation_key") == page.translation_key for old in pages):
            return True
    return False


def split(planned: list[Job]) -> tuple[list[Job], list[Job]]:
    """(every other job, the what's-new jobs): these must render after the pages they compare.

    Rendering may be split across processes, and a page rendered in another
    process is not in this one's outputs, so the what's-new pages render in a
    second, separate pass.
    """
    late = [job for job in planned if isinstance(job.values.get("changes"), Changes)]
    return [job for job in planned if not isinstance(job.values.get("changes"), Changes)], late


def page_changed(before: dict, after: dict) -> bool:
    """Whether a page differs between two manifest entries: by the hash of its content (what is
    inside <main>), so that a new theme, stylesheet or menu entry alone changes no page; against
    a manifest from before content hashes, by the hash of the whole HTML."""
    if before.get("content_hash") and after.get("content_hash"):
        return before["content_hash"] != after["content_hash"]
    return before.get("hash") != after.get("hash")


def read_previous(ctx: RenderContext, path: Path | None) -> Previous | None:
    """The previous manifest's hashes; None for a first version. A broken manifest is an error."""
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = {str(entry["url"]): {"hash": str(entry["hash"]), "content_hash": entry.get("content_hash"),
                                       "source": entry.get("source"), "translation_key": entry.get("translation_key"),
                                       "lang": entry.get("lang"), "source_hash": entry.get("source_hash"),
                                       "title": entry.get("title"), "type": entry.get("type")}
                   for entry in manifest_pages(data)}
        version = data.get("version")
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:  # RecursionError: arrays nested deep
        ctx.diagnostics.error(str(path), None, "IM170", f"cannot read the previous version's manifest: {exc}",
                              hint="the published folder may be damaged; restore it or publish into a new one")
        return None
    return Previous(str(version) if version is not None else None, entries)


def manifest_pages(data: Any) -> list[Any]:
    """The `pages` of a manifest.json; TypeError unless a list (`{"pages": {}}` read as no pages made
    every page of the next version "new")."""
    pages = data["pages"]
    if not isinstance(pages, list):
        raise TypeError("its pages are no list")
    return pages


class Changes:
    """Pages of one language added or changed since `previous`; computed on first use."""

    def __init__(self, ctx: RenderContext, lang: str, previous: Previous | None):
        self._ctx, self._lang, self._previous = ctx, lang, previous

    @cached_property
    def _split(self) -> tuple[list[Page], list[Page]]:
        added, changed = [], []
        for page in self._listed_pages():
            if page.file not in self._ctx.outputs.files:
                continue
            before = self._before(page)
            if before is None:
                added.append(page)
                continue
            sha, content = hashes_of(self._ctx, page.file)
            if page_changed(before, {"hash": sha, "content_hash": content}):
                changed.append(page)
        return added, changed

    def _before(self, page: Page) -> dict[str, str | None] | None:
        """The page in the previous version: at its URL, else at one of its `aliases`, so that a
        page renamed since (its old URL now leading to it) is compared with itself, not listed as
        new: readers were told of a message they had already read."""
        if self._previous is None:
            return None
        for url in (page.url, *page.meta.aliases):
            if url in self._previous.entries:
                return self._previous.entries[url]
        return None

    def _listed_pages(self) -> list[Page]:
        """Messages newest first, then the other pages by kind and title; not the home intro."""
        home = self._ctx.lang_prefix(self._lang)
        pages = [p for p in self._ctx.site.pages_in(self._lang) if p.url != home]
        messages = sorted((p for p in pages if p.kind == "message"), key=message_order, reverse=True)
        others = sorted((p for p in pages if p.kind != "message"), key=lambda p: (p.kind, p.title, p.url))
        return messages + others

    @cached_property
    def removed(self) -> list[dict[str, str | None]]:
        """The previous version's pages of this language that this one has nowhere: not at their
        address or as an alias, nor moved (its file or translation key is a page of this build,
        listed as new at its new address). An expired message, a page taken down: the page says
        how many, so that it does not claim nothing changed, but not which (a title of a page
        taken down on purpose, a retracted message, is not shown again; the leak scan refuses it)."""
        if self._previous is None:
            return []
        pages = self._ctx.site.pages
        here = _addresses(pages)
        sources = {page.path for page in pages}
        keys = {(page.translation_key, page.lang) for page in pages}
        gone = [entry for url, entry in self._previous.entries.items()
                if entry.get("lang") == self._lang and url not in here and entry.get("source") not in sources
                and (entry.get("translation_key"), entry.get("lang")) not in keys]
        return sorted(gone, key=lambda entry: str(entry.get("source")))

    @property
    def added(self) -> list[Page]:
        return self._split[0]

    @property
    def changed(self) -> list[Page]:
        return self._split[1]

    @property
    def first(self) -> bool:
        return self._previous is None

    def __bool__(self) -> bool:
        return bool(self.added or self.changed)

