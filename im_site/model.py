"""The site model: pages and the indexes listings need. No I/O, no Jinja.

A Site holds only published pages: rules.py has already removed everything
a build must not show, so no index below can leak a hidden page.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Generic, TypeVar

from .config import Config
from .markdown import Heading, Rendered
from .slugs import slugify
from .urls import page_file

#: Ids the default theme's templates give their own elements; a heading never takes one
#: (tests/test_hardening.py keeps this list in step with the templates).
THEME_IDS = ("main", "search-input", "lesson-list-title", "quiz", "quiz-title", "objectives-title",
             "prerequisites-title", "acknowledge-h", "figures-h", "segments-h", "must-read-h",
             "audience-filter-select")


T = TypeVar("T")


class once(Generic[T]):
    """`functools.cached_property` without its lock: Python 3.11's takes an RLock for each first
    read, about 0.5 us of a page's 0.3-1 us (timeit, 10,000 pages); a build reads a page's
    audiences, pillars and tags once each in a single thread."""

    def __init__(self, make: Callable[[Any], T]):
        self.make, self.name = make, make.__name__

    def __get__(self, instance: Any, owner: type | None = None) -> T:
        if instance is None:
            return self  # type: ignore[return-value]
        value = instance.__dict__[self.name] = self.make(instance)  # read from there from now on
        return value


@dataclass(unsafe_hash=True)  # hashed and compared by value, as when it was frozen
class Part:
    """One Markdown file's contribution to a page (a module has one per lesson file).

    Not frozen, nor are Page and Rendered (nothing assigns their fields after construction): a frozen
    dataclass sets each field through object.__setattr__, 30-60 ms of CPU loading 10,000 cached pages."""

    path: str  # relative to the site root, for diagnostics
    rel: str  # relative to content/, for resolving links
    body_line: int
    rendered: Rendered
    title: str | None = None  # a lesson file's title, rendered as its heading
    anchor: str | None = None
    #: A hash of the file's text and of everything parsing and rendering it read (content.py);
    #: pagecache.py keys pages by it.
    source_key: str = ""


@dataclass(unsafe_hash=True, repr=False)  # not frozen: see Part; hashed and compared by value as before
class Page:
    kind: str  # message | training | kpi_snapshot | page
    path: str
    rel: str
    lang: str
    slug: str
    url: str  # folder URL relative to the site root: "messages/x/" or "en/messages/x/"
    translation_key: str
    meta: Any
    parts: tuple[Part, ...]
    source_hash: str
    line_of: Any = field(default=None, compare=False, repr=False)  # key path -> line
    #: The hash of the title and body alone, which `translated_from` recorded before the front
    #: matter's texts (summary, objectives, quiz...) counted: still taken as up to date.
    body_hash: str = field(default="", compare=False, repr=False)

    def __repr__(self) -> str:  # short: the page cache keys job values holding pages by their repr
        return f"<page {self.path}>"

    @once  # read by most passes: from the page's own fields after the first (the front matter's cost ~1 us a page then)
    def title(self) -> str:
        return self.meta.title

    def address_line(self, file: str) -> int | None:
        """The front matter line that made the address of `file`, which the page writes: the alias
        it is the page of, else its `slug:`, else a KPI snapshot's `period:`, else its `title:`
        (the slug then comes from the file name)."""
        if self.line_of is None:
            return None
        aliases = getattr(self.meta, "aliases", None) or []
        alias = next((index for index, alias in enumerate(aliases) if page_file(alias) == file), None)
        if alias is not None:
            return self.line_of(("aliases", alias))
        given = self.meta.model_fields_set
        key = "slug" if "slug" in given else ("period" if self.kind == "kpi_snapshot" else "title")
        return self.line_of((key,))

    @once  # asked for by most passes, and by dictionaries that then hash it each time it is made anew
    def file(self) -> str:
        return self.url + "index.html" if self.url else "index.html"

    # Read for every page by every listing, report and feed: made once (do not modify them).
    @once
    def audiences(self) -> list[str]:
        return list(self.meta.audiences or [])

    @once
    def pillars(self) -> list[str]:
        return list(getattr(self.meta, "pillars", []) or [])

    @once
    def tags(self) -> list[str]:
        """The page's tags as written, without the `#` people type before a hashtag (shown again)."""
        tags = self.meta.tags
        if not tags:  # most pages (3 in 5 of the benchmark's): no generator made
            return []
        found = (tag.strip().lstrip("#").strip() for tag in tags)
        return [tag for tag in found if tag]

    @once
    def date(self) -> date | None:
        # Read from the model's fields: a module has no `date`, and getattr made pydantic raise and
        # catch an AttributeError for each module on every listing that sorts or shows it.
        value = self.meta.__dict__.get("date")
        return value.date() if isinstance(value, datetime) else value

    @property
    def headings(self) -> list[Heading]:
        """Every heading of the page, lesson titles included, with the id it has on the page."""
        return [heading for _, heading, _ in self.part_headings()]

    def part_headings(self) -> list[tuple[int, Heading, str | None]]:
        return list(self._part_headings)

    @once
    def _part_headings(self) -> tuple[tuple[int, Heading, str | None], ...]:
        """(part index, heading with its page id, the id its Markdown gave it; None for a lesson title).

        Each body's ids are unique, but a module joins several bodies: lesson
        sections keep their anchors, and a heading that repeats one, an earlier
        part's heading, or an id of the theme's own (THEME_IDS) gets `-1`, `-2`...
        """
        lessons = {f"{part.anchor}{end}" for part in self.parts if part.title and part.anchor for end in ("", "-h")}
        used = set(THEME_IDS) | lessons
        found: list[tuple[int, Heading, str | None]] = []
        for index, part in enumerate(self.parts):
            if part.title and part.anchor:
                found.append((index, Heading(2, part.title, part.anchor, part.body_line), None))
            for heading in part.rendered.headings:
                new, number = heading.id, 1
                while new in used:
                    new, number = f"{heading.id}-{number}", number + 1
                used.add(new)
                found.append((index, heading if new == heading.id else heading._replace(id=new), heading.id))
        return tuple(found)

    @property
    def anchors(self) -> set[str]:
        return {heading.id for heading in self.headings}

    @property
    def plain_text(self) -> str:
        return " ".join(part.rendered.plain_text for part in self.parts)


def message_order(page: Page) -> tuple:
    """Newest first; pinned ahead where a listing wants it (see pinned_first)."""
    moment = page.meta.date
    stamp = moment.isoformat() if isinstance(moment, datetime) else f"{moment.isoformat()}T00:00:00"
    return (stamp, page.url)


@dataclass
class Site:
    """Published pages with the indexes that listings, feeds and links read."""

    config: Config
    pages: list[Page]  # in URL order (from_pages): the manifest lists them so
    by_rel: dict[str, Page] = field(default_factory=dict)
    by_url: dict[str, Page] = field(default_factory=dict)
    translations: dict[str, dict[str, Page]] = field(default_factory=dict)
    _selections: dict[tuple, list[Page]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_pages(cls, config: Config, pages: list[Page]) -> "Site":
        pages = sorted(pages, key=lambda p: p.url)
        site = cls(config, pages)
        translations: dict[str, dict[str, Page]] = defaultdict(dict)
        for page in pages:
            for part in page.parts:
                site.by_rel[part.rel] = page
            site.by_url[page.url] = page
            translations[page.translation_key][page.lang] = page
        site.translations = dict(translations)
        return site

    # The selections below are asked for dozens of times a build: each is made once and
    # shared, so callers must not change the lists they get.

    def pages_in(self, lang: str) -> list[Page]:
        return self._once(("lang", lang), lambda: [p for p in self.pages if p.lang == lang])

    def of_kind(self, kind: str, lang: str | None = None) -> list[Page]:
        return self._once(("kind", kind, lang),
                          lambda: [p for p in self.pages if p.kind == kind and (lang is None or p.lang == lang)])

    def messages(self, lang: str) -> list[Page]:
        """Messages in `lang`, newest first."""
        return self._once(("messages", lang),
                          lambda: sorted(self.of_kind("message", lang), key=message_order, reverse=True))

    def modules(self, lang: str) -> list[Page]:
        """Modules in `lang` by weight, then title: the order of the home page and the audience pages."""
        return self._once(("modules", lang), lambda: sorted(self.of_kind("training", lang), key=lambda p: (p.meta.weight, p.title)))

    def _once(self, key: tuple, make: Callable[[], list[Page]]) -> list[Page]:
        found = self._selections.get(key)
        if found is None:
            found = self._selections[key] = make()
        return found

    def pinned_first(self, lang: str) -> list[Page]:
        pinned: list[Page] = []
        others: list[Page] = []
        for page in self.messages(lang):  # one pass: each page's front matter is read once
            (pinned if page.meta.pinned else others).append(page)
        return pinned + others

    def must_read(self, lang: str) -> list[Page]:
        """Must-read messages in `lang`, newest first (the home page and each audience's)."""
        return self._once(("must_read", lang), lambda: [p for p in self.messages(lang) if p.meta.must_read])

    def aliased(self) -> list[Page]:
        """The pages with `aliases:`, in URL order: found once, as reading each page's front matter
        costs about 1 us at 10,000 pages (its fields are no longer in the processor's cache)."""
        return self._once(("aliased",), lambda: [p for p in self.pages if p.meta.aliases])

    def renamed_from(self, url: str) -> Page | None:
        """The page renamed since whose `aliases:` keep the address `url`, if any."""
        return next((page for page in self.aliased() if url in page.meta.aliases), None)

    def translations_of(self, page: Page) -> dict[str, Page]:
        """Other-language versions of `page`, by language, in the configured order."""
        found = self.translations.get(page.translation_key, {})
        return {lang: found[lang] for lang in self.config.languages if lang in found and lang != page.lang}

    def tags(self, lang: str) -> dict[str, list[Page]]:
        """Everything tagged, per tag: messages newest first, then modules, then other pages.

        Every page shows its tags as links, so a tag used only on a module or
        a plain page still needs its page.
        """
        others = sorted((p for p in self.pages_in(lang) if p.kind != "message" and p.tags),  # the tagged alone
                        key=lambda p: (_TAG_ORDER.get(p.kind, len(_TAG_ORDER)), p.url))
        by_slug: dict[str, list[Page]] = defaultdict(list)
        used: list[str] = []
        for page in self.messages(lang) + others:  # one loop, not a `_group` and another for the labels
            if page.tags:
                used += page.tags
                for slug in dict.fromkeys(map(slugify, page.tags)):
                    by_slug[slug].append(page)
        label = tag_labels(used)
        return {label[slug]: by_slug[slug] for slug in sorted(by_slug)}  # in slug order: `Gute Laune` after `frische`

    def pillar_pages(self, lang: str) -> dict[str, list[Page]]:
        listed = self.messages(lang) + sorted(self.of_kind("training", lang), key=lambda p: p.url)
        return _group(listed, lambda p: p.pillars)

    def audience_pages(self, lang: str) -> dict[str, list[Page]]:
        listed = self.messages(lang) + sorted(self.of_kind("training", lang), key=lambda p: p.url)
        return _group(listed, lambda p: p.audiences)


def tag_labels(used: Iterable[str]) -> dict[str, str]:
    """The spelling each tag slug is shown in: `Frische` and `frische` are one tag (one page,
    /tags/frische/), named as most pages write it, the first in sort order on a tie."""
    best: dict[str, tuple[int, str]] = {}
    for tag, count in sorted(Counter(used).items()):
        slug = slugify(tag)
        if slug not in best or count > best[slug][0]:
            best[slug] = (count, tag)
    return {slug: tag for slug, (_, tag) in best.items()}


#: Where non-message pages come on a tag page: modules, then plain pages, then KPI snapshots.
_TAG_ORDER = {"training": 0, "page": 1, "kpi_snapshot": 2}


def _group(pages: list[Page], keys: Any) -> dict[str, list[Page]]:
    grouped: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        for key in keys(page):
            grouped[key].append(page)
    return {key: grouped[key] for key in sorted(grouped)}
