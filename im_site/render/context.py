"""What every stage of rendering shares for one build: the RenderContext, the Job, and the
helpers every template value needs (links between output files, dates, text direction).
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..config import primary_language
from ..diagnostics import Diagnostics
from ..images import ImageStore
from ..model import Page, Site
from ..options import BuildOptions
from ..output import OutputSet
from ..theme import BUILTIN, Theme
from ..urls import absolute, relative, site_address

if TYPE_CHECKING:
    from ..pagecache import PageCache
    from ..social import CardBrand

MONTHS = {
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
}


@dataclass
class Job:
    """One output file to render: a template, the values it needs, and where it came from."""

    file: str
    template: str
    lang: str
    origin: str
    values: dict[str, Any] = field(default_factory=dict)
    page: Page | None = None
    #: More values, made by this function of (ctx, job) where the page renders: only those that
    #: derive from what the page's cache key holds already (its page's sources and its translations',
    #: those of the pages its values name, the site key), so they are neither in the key nor made
    #: for a page the cache replays (pagecache.py). A module's lessons and quiz are.
    later: Callable[[RenderContext, Job], dict[str, Any]] | None = None


#: Why a source with errors of its own is not part of the build (`RenderContext.hidden`).
INVALID = "invalid"
NOT_FOUND = "404.html"  # served for every missing address, so not relative to its own file


@dataclass
class RenderContext:
    """What every stage of rendering shares for one build."""

    site: Site
    theme: Theme
    options: BuildOptions
    diagnostics: Diagnostics
    hidden: dict[str, str]  # content rel -> why hidden (INVALID: its front matter has errors)
    files: dict[str, Any]  # content rel -> SourceFile (assets, data)
    images: ImageStore
    previewed: dict[str, str] = field(default_factory=dict)  # page path -> "draft"/"scheduled" (BuildResult)
    other_audience_files: frozenset[str] = frozenset()  # files of the pages an --audience build leaves out
    expired_files: frozenset[str] = frozenset()  # files of the pages that have expired (links to them become text)
    scheduled_files: frozenset[str] = frozenset()  # files of the embargoed pages (menu entries wait for them)
    outputs: OutputSet = field(default_factory=OutputSet)
    assets: dict[str, str] = field(default_factory=dict)  # theme/brand name -> output path
    planned: set[str] = field(default_factory=set)
    used_files: set[str] = field(default_factory=set)
    kpi_embed: Callable[[str, str, str], str | None] | None = None
    kpi_data: Any = None  # kpi_pages.KpiData of the build: embeds, the search index (kpi_pages.jobs)
    extra_globals: dict[str, Any] = field(default_factory=dict)
    parent_pid: int = field(default_factory=os.getpid)
    theme_ids: frozenset[str] | None = None  # literal ids in the templates (bodies.template_ids)
    page_cache: PageCache | None = None  # made by its first use (PageCache.of)
    card_brand: CardBrand | None = None  # likewise (social.CardBrand.of)
    page_hashes: dict[str, str] = field(default_factory=dict)  # file -> sha256 of each cached page, for manifest.json
    content_hashes: dict[str, str] = field(default_factory=dict)  # file -> pagecache.content_hash of each cached page
    _strings: dict[str, dict[str, str]] = field(default_factory=dict)
    #: render/__init__.py's values of each language that are the same on all its pages.
    language_values: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def styles(self) -> list[str]:
        """Theme stylesheets after site.css, in name order (a brand's own come last)."""
        return sorted(n for n in self.assets if n.endswith(".css") and n not in ("site.css", "brand.css")
                      and "/" not in n)

    @property
    def scripts(self) -> list[str]:
        """Theme scripts in name order; livereload.js only when serving."""
        return sorted(n for n in self.assets if n.endswith(".js") and "/" not in n
                      and (n != "livereload.js" or self.options.live_reload))

    @property
    def kpi_ids(self) -> frozenset[str]:
        """The KPIs kpis.yaml defines (none without KPI data)."""
        return frozenset(self.kpi_data.definitions.ids) if self.kpi_data is not None else frozenset()

    @property
    def config(self):  # noqa: ANN201
        return self.site.config

    def strings(self, lang: str) -> dict[str, str]:
        """The theme's UI strings in `lang`, merged once per build (read-only)."""
        found = self._strings.get(lang)
        if found is None:
            found = self._strings[lang] = Strings(self.theme.strings_for(lang))
        return found

    def lang_prefix(self, lang: str) -> str:
        return "" if lang == self.config.settings.language else f"{lang}/"

    @property
    def address(self) -> str:
        """Where readers find this build's root (`urls.site_address`)."""
        return site_address(self.config.settings.base_url, self.options)

    def absolute(self, url_path: str) -> str:
        """The full address of `url_path` of this build, for canonical links, feeds and cards."""
        return absolute(self.address, url_path)

    def is_other_audiences(self, file: str) -> bool:
        """Whether `file` is a page only other audiences' editions have: one of their pages or
        entry points (`audiences/<id>/`), left out of this `--audience` build."""
        audience = self.options.audience
        if not audience or file in self.planned:
            return False
        if file in self.other_audience_files:
            return True
        path = next((file.removeprefix(f"{lang}/") for lang in self.config.languages
                     if file.startswith(f"{lang}/")), file).split("/")
        return len(path) > 2 and path[0] == "audiences" and path[1] in self.config.audience_ids and path[1] != audience

    def source_rel(self, rel: str) -> str:
        """`rel` (a path under content/ a page names) as its file is named.

        A link typed in one Unicode form finds a file named in the other: keyboards
        type "ü" as one character (NFC), macOS may name the file with u + U+0308 (NFD).
        """
        nfc = unicodedata.normalize("NFC", rel)
        if nfc == rel and not self._unicode_forms:
            return rel
        return self._unicode_forms.get(nfc, nfc)

    @cached_property
    def _unicode_forms(self) -> dict[str, str]:
        """NFC form -> name, for the sources not named in NFC (on most sites none)."""
        names = chain(self.files, self.site.by_rel, self.hidden)
        return {unicodedata.normalize("NFC", name): name for name in sorted(set(names))
                if not unicodedata.is_normalized("NFC", name)}


#: Languages written right to left (the primary subtag of `lang`): their pages get `dir="rtl"`.
RTL_LANGUAGES = frozenset({"ar", "ckb", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi"})


def text_direction(lang: str) -> str:
    return "rtl" if lang.split("-")[0] in RTL_LANGUAGES else "ltr"


def format_date(value: date | datetime | None, lang: str) -> str:
    if value is None:
        return ""
    language = primary_language(lang)
    months = MONTHS.get(language)
    if not months:
        return value.strftime("%Y-%m-%d")
    if language == "de":
        return f"{value.day}. {months[value.month - 1]} {value.year}"
    return f"{value.day} {months[value.month - 1]} {value.year}"


class Strings(dict):
    """A language's UI strings (`t` in templates), a dict whose keys are also attributes.

    Jinja reads `t.skip` as an attribute first and as an item only when that fails: on a plain
    dict each of a page's few dozen `t.*` raised and caught an AttributeError (about 2 % of the
    render phase's CPU). Keys named like a dict method (`t.items`) stay items only, as before.
    """

    def __init__(self, texts: dict[str, str]):
        super().__init__(texts)
        self.__dict__.update((key, text) for key, text in texts.items() if key not in _DICT_NAMES)


_DICT_NAMES = frozenset(dir(dict))


def folder_url(file: str) -> str:
    """`messages/x/index.html` -> `messages/x/`; the folder form used in feeds and sitemaps."""
    if file == "index.html":
        return ""
    return file[: -len("index.html")] if file.endswith("/index.html") else file


def link_from(ctx: RenderContext, current_file: str | None, target_file: str) -> str:
    """A relative link, or a base-path link from pages served at any URL (404.html)."""
    if current_file is None:
        return served_root(ctx) + target_file
    return relative(current_file, target_file)


def served_root(ctx: RenderContext) -> str:
    """The path the 404 page's links start from: servers answer a miss at any depth with it.

    That is the path of the site's address (`/` under `serve`, which serves at the root).
    """
    if ctx.options.live_reload:
        return "/"
    base = ctx.address
    return "/" + base.split("://", 1)[-1].partition("/")[2] if "://" in base else base


def template_path(ctx: RenderContext, filename: str | None) -> str:
    if not filename:
        return "<template>"
    path = Path(filename)
    if path.is_relative_to(ctx.config.root):
        return path.relative_to(ctx.config.root).as_posix()
    if path.is_relative_to(BUILTIN):
        return f"<default theme>/{path.relative_to(BUILTIN).as_posix()}"
    return path.as_posix()
