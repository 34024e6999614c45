"""Site -> OutputSet: plan every output file, then render each through the theme.

Planning first means every link can be checked against the full list of
files before a byte is rendered, and listings are computed once, not per page.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import posixpath
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from itertools import chain, islice
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote

import jinja2
from markupsafe import Markup, escape

from .config import label_for, primary_language
from .diagnostics import Diagnostics
from .foreign import mark_text_languages
from .images import ImageFile, ImageStore, image_problem, img_tag
from .kpi_sources import known_kpis_hint
from .markdown import Reference, fill
from .model import Page, Part, Site
from .options import BuildOptions
from .output import OutputSet
from .pagecache import PageCache
from .parallel import fork_batches
from .rules import as_moment
from .slugs import slugify
from .social import CardBrand, is_card, og_image_url
from .sources import decode
from .theme import BUILTIN, BrandFont, Theme, brand_css, font_weight, link_stylesheet, stylesheet_references, unbalanced_braces
from .urls import absolute, atom_id, page_file, relative, scheme_of, site_address

_DROP = "\x01drop\x01"
_DROPPED_LINK = re.compile(r'<a href="\x01drop\x01"[^>]*>(.*?)</a>', re.S)
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
    kpi_ids: frozenset[str] = frozenset()  # the KPIs kpis.yaml defines (kpi_pages.jobs)
    extra_globals: dict[str, Any] = field(default_factory=dict)
    parent_pid: int = field(default_factory=os.getpid)
    theme_ids: frozenset[str] | None = None  # literal ids in the templates (render.template_ids)
    page_cache: PageCache | None = None  # made by its first use (PageCache.of)
    card_brand: CardBrand | None = None  # likewise (social.CardBrand.of)
    page_hashes: dict[str, str] = field(default_factory=dict)  # file -> sha256 of each cached page, for manifest.json
    content_hashes: dict[str, str] = field(default_factory=dict)  # file -> pagecache.content_hash of each cached page
    _strings: dict[str, dict[str, str]] = field(default_factory=dict)

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
    def config(self):  # noqa: ANN201
        return self.site.config

    def strings(self, lang: str) -> dict[str, str]:
        """The theme's UI strings in `lang`, merged once per build (read-only)."""
        found = self._strings.get(lang)
        if found is None:
            found = self._strings[lang] = self.theme.strings_for(lang)
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


# ---------------------------------------------------------------- assets

def fingerprint(path: str, data: bytes) -> str:
    stem, suffix = posixpath.splitext(path)
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}{suffix}"


def add_theme_assets(ctx: RenderContext) -> None:
    """Theme static files and the brand (logo, fonts, CSS variables), fingerprinted."""
    static = {name: path for name, path in _static_inside(ctx, ctx.theme.static_files()).items() if _ships(ctx, name)}
    # Stylesheets last: their url()s name the other files by their fingerprinted names.
    for name, path in static.items():
        if not name.endswith(".css"):
            _add_static(ctx, name, path.read_bytes())
    for name in static:
        if name.endswith(".css"):
            _add_stylesheet(ctx, name, static, frozenset())
    brand = ctx.config.settings.brand
    fonts: dict[str, BrandFont] = {}
    for role, rel in (("logo", brand.logo), ("heading", brand.fonts.heading), ("body", brand.fonts.body)):
        if not rel:
            continue
        output = _brand_file(ctx, role, rel)
        if output and role != "logo":
            data = (ctx.config.content_dir / rel).read_bytes()
            fonts[role] = BrandFont(posixpath.relpath(output, "assets"), font_weight(data))
    css = brand_css(ctx.config, ctx.theme.tokens, fonts).encode()
    ctx.assets["brand.css"] = "assets/" + fingerprint("brand.css", css)
    ctx.outputs.add(ctx.assets["brand.css"], css, f"{ctx.config.file}:brand", ctx.diagnostics)


#: The search box's script and styles: every page would load them for a box that is not there.
SEARCH_ASSETS = frozenset({"search.js", "search.css"})


def _ships(ctx: RenderContext, name: str) -> bool:
    """Whether a theme's static file goes into this build: the dev server's client only when
    serving, the search box's files only with `search.enabled`."""
    if name == "livereload.js":
        return ctx.options.live_reload
    return name not in SEARCH_ASSETS or ctx.config.settings.search.enabled


def _static_inside(ctx: RenderContext, static: dict[str, Path]) -> dict[str, Path]:
    """The static files that are the project's or its themes': a symlink to any other file (a key
    in the home folder) would publish it."""
    allowed = [ctx.config.root.resolve(), *(folder.resolve() for _, folder in ctx.theme.chain)]
    inside = {}
    for name, path in static.items():
        if any(path.resolve().is_relative_to(folder) for folder in allowed):
            inside[name] = path
        else:
            ctx.diagnostics.error(_template_path(ctx, str(path)), None, "IM011", "symlink points outside the project",
                                  hint="copy the file into the theme's static/ folder instead")
    return inside


def _add_static(ctx: RenderContext, name: str, data: bytes) -> None:
    output = "assets/" + fingerprint(name, data)
    ctx.assets[name] = output
    ctx.outputs.add(output, data, f"theme:{name}", ctx.diagnostics)


def _add_stylesheet(ctx: RenderContext, name: str, static: dict[str, Path], importing: frozenset[str]) -> None:
    """A stylesheet after those it imports (`@import "parts/forms.css"`), which it names by their
    fingerprinted names; `importing` are the stylesheets waiting for this one (an import cycle)."""
    if name in ctx.assets or name in importing:
        return
    css = _stylesheet_text(ctx, static[name])
    for referenced in stylesheet_references(css, name):
        if referenced.endswith(".css") and referenced in static:
            _add_stylesheet(ctx, referenced, static, importing | {name})
    _add_static(ctx, name, _linked_stylesheet(ctx, name, static[name], css, importing | {name}))


def _stylesheet_text(ctx: RenderContext, path: Path) -> str:
    """A theme stylesheet's text. Browsers read it as UTF-8 (the pages' encoding) unless it names
    another in `@charset`, so other bytes are reported: `ä` in Latin-1 would show as '�'."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if not data.startswith(b'@charset "'):
            decode(data, _template_path(ctx, str(path)), ctx.diagnostics)  # reports the first bad byte
        return data.decode("utf-8", "surrogateescape")


def _linked_stylesheet(ctx: RenderContext, name: str, path: Path, text: str, importing: frozenset[str]) -> bytes:
    css, problems = link_stylesheet(text, name, ctx.assets, importing)
    for line, message, hint in problems:
        ctx.diagnostics.error(_template_path(ctx, str(path)), line, "IM110", message, hint=hint)
    for line, message, hint in unbalanced_braces(text):
        ctx.diagnostics.warning(_template_path(ctx, str(path)), line, "IM040", message, hint=hint)
    return css.encode("utf-8", "surrogateescape")


def _brand_file(ctx: RenderContext, role: str, rel: str) -> str | None:
    path = ctx.config.content_dir / rel
    key = ("brand", "fonts", role) if role != "logo" else ("brand", "logo")
    if not path.is_file() or not path.resolve().is_relative_to(ctx.config.content_dir.resolve()):
        ctx.diagnostics.error(ctx.config.file, ctx.config.line_of(*key), "IM110",
                              f"brand {role} {rel!r} not found under content/")
        return None
    data = path.read_bytes()
    problem = image_problem(data, rel) if role == "logo" else None
    if problem:
        ctx.diagnostics.error(ctx.config.file, ctx.config.line_of(*key), "IM112",
                              f"brand logo {rel!r} cannot be used: {problem}",
                              hint="use a JPEG, PNG, WebP, GIF or SVG file that opens in an image viewer")
        return None
    if role != "logo" and not data.startswith(b"wOF2"):
        ctx.diagnostics.error(ctx.config.file, ctx.config.line_of(*key), "IM112",
                              f"brand {role} font {rel!r} {_font_kind(data)}",
                              hint="convert it to WOFF2, e.g. with fonttools: fonttools ttLib.woff2 compress FONT")
        return None
    output = "assets/brand/" + fingerprint(posixpath.basename(rel), data)
    ctx.assets[f"brand:{role}"] = output
    ctx.outputs.add(output, data, f"{ctx.config.file}:brand.{role}", ctx.diagnostics)
    return output


def _font_kind(data: bytes) -> str:
    """What a font file that is not WOFF2 is, by its first bytes."""
    kinds = {b"wOFF": "WOFF 1", b"\x00\x01\x00\x00": "TrueType", b"true": "TrueType", b"OTTO": "OpenType"}
    kind = kinds.get(data[:4])
    return f"is a {kind} font, not WOFF2" if kind else "is not a font file (a WOFF2 file starts with 'wOF2')"


# ---------------------------------------------------------------- environment

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


def install_globals(ctx: RenderContext) -> None:
    """Functions templates call; `href` and `asset` are relative to the file being rendered."""
    env = ctx.theme.env
    assert env is not None

    @jinja2.pass_context
    def href(context: Any, url_path: str) -> str:
        address, hashmark, fragment = url_path.partition("#")  # a menu entry's `/werte/#haltung`
        return link_from(ctx, context["current_file"], page_file(address)) + hashmark + fragment

    @jinja2.pass_context
    def asset(context: Any, name: str) -> str:
        if name not in ctx.assets:
            raise jinja2.TemplateRuntimeError(f"unknown asset {name!r}")
        return link_from(ctx, context["current_file"], ctx.assets[name])

    @jinja2.pass_context
    def label(context: Any, value: Any) -> str:
        return label_for(value, context["lang"])

    env.globals.update(href=href, asset=asset, label=label, has_asset=lambda name: name in ctx.assets,
                       tag_slug=slugify, preview_note=lambda page: preview_note(ctx, page),
                       **ctx.extra_globals)
    env.filters["date"] = lambda value, lang: format_date(value, lang)
    env.filters["iso"] = lambda value: value.isoformat() if value else ""
    env.filters["atom_id"] = atom_id


def preview_note(ctx: RenderContext, page: Page | None) -> dict[str, Any] | None:
    """Why readers do not see a page that a preview (`--drafts`, `--future`) shows: a draft, or
    scheduled, with the moment it goes live in the site's timezone. None on a published page."""
    kind = ctx.previewed.get(page.path) if page is not None else None
    if kind is None:
        return None
    moment = as_moment(page.meta.publish_at, ctx.config.tz) if kind == "scheduled" else None
    return {"kind": kind, "moment": moment.astimezone(ctx.config.tz) if moment else None}


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


# ---------------------------------------------------------------- page bodies

def page_html(ctx: RenderContext, page: Page) -> Markup:
    """The page's Markdown parts, with links, images and KPI values filled in for its file."""
    chunks = []
    headings = page.part_headings()
    used = set(template_ids(ctx)) | {heading.id for _, heading, _ in headings}
    used |= {f"{part.anchor}-h" for part in page.parts if part.title}
    for index, part in enumerate(page.parts):
        own = {written: heading.id for number, heading, written in headings if number == index and written is not None}
        html = unique_ids(_fill_part(ctx, page, part), used, own)
        if part.title:
            html = (f'<section class="lesson" id="{part.anchor}" aria-labelledby="{part.anchor}-h">'
                    f'<h2 id="{part.anchor}-h">{Markup.escape(part.title)}</h2>\n{html}</section>\n')
        chunks.append(html)
    return Markup("".join(chunks))


_ID_ATTR = re.compile(r'(\s(?:id|href)=")(#?)([^"]+)"')


def unique_ids(html: str, used: set[str], headings: dict[str, str]) -> str:
    """Give one part's ids their page ids: headings as Page.part_headings decided, others unique.

    Each Markdown body has unique ids, but a module joins several bodies (two
    lessons each with footnote `fn1`); a later part's id that is taken gets
    `-1`, `-2`..., and links within the part (`href="#fn1"`) follow it.
    """
    renamed = {old: new for old, new in headings.items() if old != new}
    if not renamed and html.count('id="') == sum(1 for old in headings if old):
        return html  # its only ids are its headings', which keep them (most single-part pages)
    for match in _ID_ATTR.finditer(html):
        old = match.group(3)
        if match.group(2) or "id=" not in match.group(1) or old in headings:
            continue
        new, number = old, 1
        while new in used:
            new, number = f"{old}-{number}", number + 1
        used.add(new)
        if new != old:
            renamed[old] = new
    if not renamed:
        return html

    def rename(match: re.Match[str]) -> str:
        is_id = "id=" in match.group(1) and not match.group(2)
        is_local_href = "href=" in match.group(1) and match.group(2) == "#"
        value = match.group(3)
        if (is_id or is_local_href) and value in renamed:
            return f'{match.group(1)}{match.group(2)}{renamed[value]}"'
        return match.group(0)
    return _ID_ATTR.sub(rename, html)


def template_ids(ctx: RenderContext) -> frozenset[str]:
    """Literal `id="..."` values in the theme's templates (`main`, `quiz`...), found once per build."""
    if ctx.theme_ids is None:
        env = ctx.theme.env
        found: set[str] = set()
        if env is not None and env.loader is not None:
            for name in env.list_templates(extensions=["html"]):
                try:
                    source = env.loader.get_source(env, name)[0]
                except jinja2.TemplateError:
                    continue
                found.update(re.findall(r'\sid="([A-Za-z][\w-]*)"', source))
        ctx.theme_ids = frozenset(found)
    return ctx.theme_ids


def _fill_part(ctx: RenderContext, page: Page, part: Part) -> str:
    rendered = part.rendered
    for line, code, message in rendered.problems:
        ctx.diagnostics.error(part.path, part.body_line + line - 1, code, message)
    strings = ctx.strings(page.lang)
    html = fill(rendered.html,
                link=lambda i: resolve_link(ctx, page, part, rendered.links[i]),
                image=lambda i: _image(ctx, page, part, rendered.images[i]),
                kpi=lambda i: _kpi(ctx, page, part, rendered.kpis[i]),
                callout=lambda name: strings.get(f"callout_{name}", name.title()))
    return _DROPPED_LINK.sub(r"\1", html) if _DROP in html else html


def resolve_link(ctx: RenderContext, page: Page, part: Part, ref: Reference) -> str:
    """The relative URL of a link written in Markdown; problems become diagnostics."""
    line = part.body_line + ref.line - 1
    target, _, fragment = ref.target.partition("#")
    suffix = f"#{fragment}" if fragment else ""
    if not target:
        if fragment.startswith("fn"):  # footnotes
            return suffix
        return _anchor(ctx, part, line, fragment, page, "this page") or "#"
    target = unquote(target)
    rel = _content_rel(ctx, part, target)
    if rel in ctx.files:  # a download, written from this file or (with a leading /) from content/
        ctx.used_files.add(rel)
        return link_from(ctx, page.file, f"files/{rel}") + suffix
    download = posixpath.splitext(rel)[1].lower() not in ("", ".md", ".html", ".xml", ".json")
    if target.startswith("/") and not target.endswith(".md") and not download:
        return _site_url(ctx, page, part, line, target, suffix)
    if rel.startswith("..") or rel.startswith("/"):
        ctx.diagnostics.error(part.path, line, "IM101", f"link {ref.target!r} leaves content/")
        return "#"
    if rel.endswith(".md"):
        return _page_link(ctx, page, part, line, rel, fragment, target)
    if download:
        ctx.diagnostics.error(part.path, line, "IM101", f"download {target!r} not found (content/{rel})",
                              hint=_same_name(rel, ctx.files) or "a download is a file under content/, written "
                              "from this file (../assets/liste.pdf) or from content/ (/assets/liste.pdf)")
        return "#"
    return _site_url(ctx, page, part, line, target, suffix)


def _warn_if_target_expires_first(ctx: RenderContext, page: Page, part: Part, line: int, target: Page) -> None:
    """A link to a page that expires before the linking page does: said while both are live, so
    it is fixed before it turns into plain text (a link to an expired page failed the build that
    should have taken that page down, and the expired page stayed online)."""
    ends = getattr(target.meta, "expires", None)
    if not ends or target is page or not expires_first(ctx, page, target):
        return
    ctx.diagnostics.warning(part.path, line, "IM104", f"link to {target.path}, which expires {ends.isoformat()} "
                            "while this page stays: from then on the link is plain text",
                            hint=f"remove the link, or give this page expires: {ends.isoformat()}")


def _warn_if_target_goes_live_later(ctx: RenderContext, page: Page, part: Part, line: int, target: Page) -> None:
    """A link from an embargoed page to one embargoed until later: the build that puts this page
    up finds its target unpublished and fails (IM104), so the page stays down with nobody there to
    see why. Both are live only in a `--future` build, which `check` makes when something is due."""
    starts, mine = goes_live(ctx, target), goes_live(ctx, page)
    if starts is None or mine is None or starts <= mine or target is page:
        return
    when = starts.astimezone(ctx.config.tz)
    ctx.diagnostics.warning(part.path, line, "IM104", f"link to {target.path}, which goes live {when.isoformat()}, "
                            f"after this page ({mine.astimezone(ctx.config.tz).isoformat()}): the build that "
                            "publishes this page fails on the link until then",
                            hint=f"remove the link, or give this page publish_at: {when.strftime('%Y-%m-%d %H:%M')}")


def goes_live(ctx: RenderContext, page: Page) -> datetime | None:
    """When an embargoed page goes live (None: it is live already, or has no embargo)."""
    publish_at = getattr(page.meta, "publish_at", None)
    moment = as_moment(publish_at, ctx.config.tz) if publish_at else None
    return moment if moment and moment > ctx.options.now else None


def expires_first(ctx: RenderContext, page: Page, target: Page) -> bool:
    """Whether `target` has an `expires` and `page`, pointing to it, stays published after it."""
    ends = getattr(target.meta, "expires", None)
    if not ends:
        return False
    mine = getattr(page.meta, "expires", None)
    tz = ctx.config.tz
    return not mine or as_moment(mine, tz, end_of_day=True) > as_moment(ends, tz, end_of_day=True)


def _content_rel(ctx: RenderContext, part: Part, target: str) -> str:
    """The file under content/ a link or picture names: from content/ with a leading `/`, else
    from the Markdown file's folder, as the file is named on disk (`source_rel`)."""
    rel = target.lstrip("/") if target.startswith("/") else posixpath.join(posixpath.dirname(part.rel), target)
    return ctx.source_rel(posixpath.normpath(rel))


def _page_link(ctx: RenderContext, page: Page, part: Part, line: int, rel: str, fragment: str, written: str) -> str:
    target_page = ctx.site.by_rel.get(rel)
    if target_page is not None:
        _warn_if_target_expires_first(ctx, page, part, line, target_page)
        _warn_if_target_goes_live_later(ctx, page, part, line, target_page)
        if not fragment:  # a lesson file is a section of its module's page: land on it
            lesson = next((p.anchor for p in target_page.parts if p.rel == rel and p.title and p.anchor), None)
            return link_from(ctx, page.file, target_page.file) + (f"#{lesson}" if lesson else "")
        return link_from(ctx, page.file, target_page.file) + _anchor(ctx, part, line, fragment, target_page,
                                                                     target_page.path)
    reason = ctx.hidden.get(rel)
    if reason == INVALID:  # its own errors are reported: "not found" would only mislead
        return "#"
    if reason == "audience":
        ctx.diagnostics.warning(part.path, line, "IM105",
                                f"link to {rel} (another audience's page) shown as plain text in this build")
        return _DROP
    if reason == "expired":  # time broke it, not the writer: the expiry must still happen on schedule
        ctx.diagnostics.warning(part.path, line, "IM104", f"link to content/{rel}, which has expired, "
                                "shown as plain text", hint="remove the link")
        return _DROP
    if reason:
        ctx.diagnostics.error(part.path, line, "IM104", f"link to content/{rel}, which is {reason} "
                              "and not published in this build",
                              hint="publish the target first, or remove the link")
        return "#"
    ctx.diagnostics.error(part.path, line, "IM101", f"link target {written!r} not found (content/{rel})",
                          hint=_same_name(rel, ctx.site.by_rel))
    return "#"


def add_aliases(ctx: RenderContext) -> None:
    """At each old URL of a page (`aliases`), a page that sends readers on: a meta refresh and a
    link, relative, so it works under any base path, in every version and from disk. An old URL
    that is a page of this build is an error: the alias would hide it."""
    for page in sorted(ctx.site.pages, key=lambda p: p.path):
        for index, alias in enumerate(page.meta.aliases):
            file = page_file(alias)
            if file in ctx.outputs:
                ctx.diagnostics.error(page.path, page.line_of(("aliases", index)), "IM030",
                                      f"alias {'/' + alias!r} is the URL of a page of this site",
                                      hint="an alias is an old URL that no page has any more")
                continue
            ctx.outputs.add(file, _redirect_html(ctx, page, relative(file, page.file)), page.path, ctx.diagnostics)


def alias_files(ctx: RenderContext) -> set[str]:
    """The files `add_aliases` writes (not pages: left out of the sitemap)."""
    return {page_file(alias) for page in ctx.site.pages for alias in page.meta.aliases}


def _redirect_html(ctx: RenderContext, page: Page, href: str) -> str:
    title, url = escape(page.title), escape(href)
    return (f'<!DOCTYPE html>\n<html lang="{escape(page.lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="robots" content="noindex">\n<meta http-equiv="refresh" content="0; url={url}">\n'
            f'<link rel="canonical" href="{escape(ctx.absolute(page.url))}">\n'
            f"<title>{title}</title>\n</head>\n<body>\n<p><a href=\"{url}\">{title}</a></p>\n</body>\n</html>\n")


def _same_name(rel: str, names: Iterable[str]) -> str | None:
    """A hint naming the file of `rel`'s name (any letter case) among `names`, in a path that
    works from any page: the usual slip is the folder."""
    name = posixpath.basename(rel).casefold()
    same = sorted(other for other in names if posixpath.basename(other).casefold() == name)
    return f"did you mean /{same[0]}? (a leading / starts from content/)" if same else None


def _anchor(ctx: RenderContext, part: Part, line: int, fragment: str, target: Page, where: str) -> str:
    """`#fragment` as the id it names on `target`: as written, or as typed from its heading's text
    (`#Öffnungszeiten` is `#oeffnungszeiten`, the id that heading gets); a warning if neither."""
    if not fragment:
        return ""
    anchors = target.anchors
    named = page_anchor(anchors, fragment)
    if named is not None:
        return f"#{named}"
    written = unquote(fragment)
    ctx.diagnostics.warning(part.path, line, "IM102", f"no heading with id '#{written}' on {where}",
                            hint=_closest_anchor(anchors, written))
    return f"#{fragment}"


def page_anchor(anchors: set[str], fragment: str) -> str | None:
    """The id among a page's `anchors` that `#fragment` names: as written, or as typed from its
    heading's text (`#Öffnungszeiten` is `#oeffnungszeiten`, the id that heading gets)."""
    if fragment in anchors:
        return fragment
    slug = slugify(unquote(fragment))
    return slug if slug in anchors else None


def _closest_anchor(anchors: set[str], written: str) -> str | None:
    """"did you mean '#haltung'?" for an id no heading has, where one is close."""
    close = difflib.get_close_matches(slugify(written), sorted(anchors), n=1)
    return f"did you mean '#{close[0]}'?" if close else None


def _site_url(ctx: RenderContext, page: Page, part: Part, line: int, target: str, suffix: str) -> str:
    path = target.lstrip("/")
    candidates = [path] if path.endswith((".html", ".xml", ".json")) else [page_file(path.rstrip("/") + "/" if path else "")]
    for candidate in candidates:
        if candidate in ctx.planned:
            target_page = ctx.site.by_url.get(candidate.removesuffix("index.html"))
            if target_page is not None:
                _warn_if_target_expires_first(ctx, page, part, line, target_page)
                _warn_if_target_goes_live_later(ctx, page, part, line, target_page)
            return link_from(ctx, page.file, candidate) + suffix
    if any(candidate in ctx.expired_files for candidate in candidates):
        ctx.diagnostics.warning(part.path, line, "IM104", f"link to {target}, a page that has expired, "
                                "shown as plain text", hint="remove the link")
        return _DROP
    if any(ctx.is_other_audiences(candidate) for candidate in candidates):
        ctx.diagnostics.warning(part.path, line, "IM105",
                                f"link to {target} (another audience's page) shown as plain text in this build")
        return _DROP
    if any(candidate in ctx.scheduled_files for candidate in candidates):  # was "not found", as if mistyped
        ctx.diagnostics.error(part.path, line, "IM104", f"link to {target}, a page that is scheduled and not "
                              "published in this build", hint="publish the target first, or remove the link")
        return "#"
    ctx.diagnostics.error(part.path, line, "IM101", f"link target {target!r} not found",
                          hint="link to the .md file of the page, e.g. ../messages/x.md")
    return "#"


def _image(ctx: RenderContext, page: Page, part: Part, ref: Reference) -> str:
    line = part.body_line + ref.line - 1
    if not ref.alt.strip():
        ctx.diagnostics.warning(part.path, line, "IM111", f"image {ref.target!r} has no alt text",
                                hint="describe the picture: ![Obststand in Berlin-Mitte](...)")
    target = unquote(ref.target)
    rel = _content_rel(ctx, part, target)
    if rel.startswith(".."):
        ctx.diagnostics.error(part.path, line, "IM110", f"image {target!r} leaves content/")
        return ""
    image = _content_image(ctx, rel, part.path, line)
    if image is None:
        return ""
    return img_tag(image, link_from(ctx, page.file, image.output), ref.alt, ref.title)


def _kpi(ctx: RenderContext, page: Page, part: Part, ref: Reference) -> str:
    html = ctx.kpi_embed(ref.target, page.lang, page.file) if ctx.kpi_embed else None
    if html is None:
        ctx.diagnostics.error(part.path, part.body_line + ref.line - 1, "IM020", f"unknown KPI id {ref.target!r}",
                              hint=known_kpis_hint(set(ctx.kpi_ids)))
        return ""
    return html


def _content_image(ctx: RenderContext, rel: str, used_by: str, line: int | None, *,
                   hint: str = "write the path from this file (../assets/bild.jpg) or from content/ (/assets/bild.jpg)",
                   ) -> ImageFile | None:
    """The processed picture `rel` (a file under content/); a missing one is an error that
    names the picture of that name the site has, if any."""
    if rel in ctx.files:
        return ctx.images.get(rel, used_by, line)
    ctx.diagnostics.error(used_by, line, "IM110", f"image content/{rel} not found", hint=_same_name(rel, ctx.files) or hint)
    return None


def front_image(ctx: RenderContext, page: Page, current_file: str) -> Markup | None:
    """The `image` of a message or module as an <img>, if it has one."""
    rel = getattr(page.meta, "image", None)
    if not rel:
        return None
    image = _content_image(ctx, ctx.source_rel(posixpath.normpath(rel.lstrip("/"))), page.path, page.line_of(("image",)),
                           hint="`image:` is written from content/ (image: assets/bild.jpg)")
    if image is None:
        return None
    alt = page.meta.image_alt or ""
    return Markup(img_tag(image, link_from(ctx, current_file, image.output), alt, css_class="hero-image"))


# ---------------------------------------------------------------- rendering

def common_values(ctx: RenderContext, job: Job) -> dict[str, Any]:
    settings = ctx.config.settings
    switch = language_switch(ctx, job)
    return {
        "site": settings, "config": ctx.config, "lang": job.lang, "dir": text_direction(job.lang),
        "t": ctx.strings(job.lang),
        # The 404 page is served at whatever address was missing: its links start from the site's root.
        "current_file": None if job.file == NOT_FOUND else job.file, "page": job.page, "languages": ctx.config.languages,
        "home": ctx.lang_prefix(job.lang), "menu": _menu(ctx, job.lang),
        "live_reload": ctx.options.live_reload, "audience_build": ctx.options.audience,
        "audiences": {a.id: label_for(a.label, job.lang) for a in settings.audiences},
        "pillars": {p.id: label_for(p.label, job.lang) for p in settings.pillars},
        "canonical": ctx.absolute(folder_url(job.file)),
        "feed": _feed_for(ctx, job.lang),
        "switch": switch,
        "alternates": hreflang_alternates(ctx, job, switch),
        "styles": ctx.styles, "scripts": ctx.scripts,
        "og_image": og_image_url(ctx, job.page),
        # Booleans only: a version id in page HTML would change every page's hash between versions.
        "versioning": {"whats_new": ctx.options.version is not None, "list": ctx.options.published},
    }


def _feed_for(ctx: RenderContext, lang: str) -> str | None:
    """This language's feed, else the default language's; None when no feed exists (no messages)."""
    for candidate in (ctx.lang_prefix(lang) + "feed.xml", "feed.xml"):
        if candidate in ctx.planned:
            return candidate
    return None


def _menu(ctx: RenderContext, lang: str) -> list[tuple[str, str]]:
    items = []
    for item in ctx.config.settings.menu:
        url = item.url
        scheme = scheme_of(url)
        if scheme:  # `HTTP://x` -> `http://x`: the template tells external links by their prefix
            url = f"{scheme}:{url.split(':', 1)[1]}"
        elif url.startswith("/"):
            address, hashmark, fragment = url.partition("#")  # `/werte/#haltung`: a section of the page
            url = _menu_file(ctx, address.strip("/"), lang)
            if ctx.is_other_audiences(url) or (url not in ctx.planned and url in ctx.expired_files | ctx.scheduled_files):
                continue  # left out of this edition's menu (check_menu says so, but of an embargoed page)
            page = ctx.site.by_url.get(url.removesuffix("index.html")) if fragment else None
            url += hashmark + ((page_anchor(page.anchors, fragment) if page else None) or fragment)
        items.append((label_for(item.label, lang), url))
    return items


def _menu_file(ctx: RenderContext, path: str, lang: str) -> str:
    """The file a menu entry for the site page at `/path/` leads to in `lang`'s menu: the page's
    translation there, if it has one, else the page."""
    localized = ctx.lang_prefix(lang) + path
    file = page_file(localized + "/" if localized else "")
    return file if file in ctx.planned else page_file(path + "/" if path else "")


def check_menu(ctx: RenderContext) -> None:
    invalid = sorted(rel for rel, why in ctx.hidden.items() if why == INVALID)
    for index, item in enumerate(ctx.config.settings.menu):
        address, _, fragment = item.url.partition("#")
        path = address.strip("/")
        file = page_file(path + "/" if path else "")
        if fragment and scheme_of(item.url) is None and file in ctx.planned:
            _check_menu_anchor(ctx, index, fragment, path)
        if scheme_of(item.url) is None and ctx.is_other_audiences(file):
            ctx.diagnostics.warning(ctx.config.file, ctx.config.line_of("menu", index, "url"), "IM105",
                                    f"menu link {item.url!r} leads to another audience's page: "
                                    "left out of the menu in this build")
        elif scheme_of(item.url) is None and file not in ctx.planned and file in ctx.expired_files:
            # Time took the page down, not the writer: the build that does so must not fail.
            ctx.diagnostics.warning(ctx.config.file, ctx.config.line_of("menu", index, "url"), "IM104",
                                    f"menu link {item.url!r} leads to a page that has expired: "
                                    "left out of the menu", hint="remove the entry from menu:")
        elif scheme_of(item.url) is None and file not in ctx.planned and file in ctx.scheduled_files:
            continue  # joins the menu when its page goes live, in the scheduled publish: nothing to fix
        elif scheme_of(item.url) is None and file not in ctx.planned:
            # The page may be one whose own errors keep it out: say so rather than leave it a riddle.
            cause = next((rel for rel in invalid if path and (rel.removesuffix(".md") + "/").startswith(path + "/")), None)
            # A page in another language only (`tablets.en.md`) is at /en/tablets/: say so.
            elsewhere = next((lang for lang in ctx.config.languages[1:]
                              if page_file(f"{lang}/{path}/" if path else f"{lang}/") in ctx.planned), None)
            # A page's file (`training/kasse.md`), as Markdown links name pages: the menu wants its address.
            named = ctx.site.by_rel.get(path)
            hint = (f"content/{cause} has errors of its own that keep it out of the build" if cause else
                    f"the page is in '{elsewhere}' only: write /{elsewhere}/{path}/" if elsewhere else
                    f"a menu names a page by its address: write /{named.url}" if named else None)
            ctx.diagnostics.error(ctx.config.file, ctx.config.line_of("menu", index, "url"), "IM101",
                                  f"menu link {item.url!r} points to no page of this site", hint=hint)


def _check_menu_anchor(ctx: RenderContext, index: int, fragment: str, path: str) -> None:
    """A menu entry's `#section` names a heading of its page, as a Markdown link's must (IM102), in
    every language's menu: the English one links to the English page, whose headings differ, and
    that was never checked. An id typed as its heading reads (`#Haltung`) is the heading's."""
    seen = set()
    for lang in ctx.config.languages:
        page = ctx.site.by_url.get(_menu_file(ctx, path, lang).removesuffix("index.html"))
        if page is None or page.url in seen or page_anchor(page.anchors, fragment) is not None:
            continue  # a generated page (a list) has no headings to check
        seen.add(page.url)
        closest = _closest_anchor(page.anchors, unquote(fragment))
        translated = lang != ctx.config.settings.language
        ctx.diagnostics.warning(ctx.config.file, ctx.config.line_of("menu", index, "url"), "IM102",
                                f"menu link {ctx.config.settings.menu[index].url!r}: no heading with id "
                                f"'#{unquote(fragment)}' on /{page.url}" + (f", where the menu in '{lang}' leads"
                                                                            if translated else ""),
                                hint="; ".join(filter(None, ("the entry's URL serves every language's menu" if translated
                                                             else None, closest))) or None)


def language_switch(ctx: RenderContext, job: Job) -> list[dict[str, Any]]:
    """For each site language: the translation of this page, else that language's home.

    A generated page (a listing, a pillar's or a tag's page, a catalogue) has for
    translation the same page of the other language, where that language has it.
    `alternate` marks the entries that are this page in another language (hreflang
    names only those): page 1 of a list that is shorter there is a fine place to
    switch to, but no translation of page 2, and would name a page that does not
    name this one back.
    """
    entries = []
    translations = ctx.site.translations_of(job.page) if job.page else {}
    for lang in ctx.config.languages:
        if job.page is not None and lang == job.page.lang:
            target, current, exact, alternate = job.file, True, False, True
        elif lang in translations:
            target, current, exact, alternate = translations[lang].file, False, True, True
        else:
            target = _counterpart(ctx, job, lang) if job.page is None else None
            exact = target is not None
            if not exact:
                home = page_file(ctx.lang_prefix(lang))
                target = home if home in ctx.planned else "index.html"
            current = lang == job.lang
            alternate = exact and target == _same_page(ctx, job, lang)
        entries.append({"lang": lang, "file": target, "current": current, "exact": exact, "alternate": alternate})
    return entries


def hreflang_alternates(ctx: RenderContext, job: Job, switch: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(hreflang, address) of every language version of this page, itself included, and
    `x-default` for the site language's, else the first language's that has the page;
    none on a page in one language only.

    Search engines ignore a set of alternates that leaves out the page itself, that one
    of its pages does not name back, or whose pages name different `x-default`s, and they
    compare the addresses with the canonical ones: full folder addresses, not the
    relative file links the language switch uses.
    """
    versions = [(entry["lang"], job.file if entry["current"] else entry["file"])
                for entry in switch if entry["alternate"]]
    if len(versions) < 2:
        return []
    alternates = [(lang, ctx.absolute(folder_url(file))) for lang, file in versions]
    # `switch` follows config.languages, the site language first: the first alternate is the default.
    return alternates + [("x-default", alternates[0][1])]


_LATER_PAGE = re.compile(r"page/\d+/(?=index\.html\Z)")


def _same_page(ctx: RenderContext, job: Job, lang: str) -> str:
    """This generated page's file in `lang`: the same path under that language's prefix."""
    return ctx.lang_prefix(lang) + job.file.removeprefix(ctx.lang_prefix(job.lang))


def _counterpart(ctx: RenderContext, job: Job, lang: str) -> str | None:
    """A generated page's file in `lang`: the same page, else page 1 of the same list (shorter
    there), else the page the job names for that language (`switch_targets`: an audience's
    home for its message list), where that language has it."""
    same = _same_page(ctx, job, lang)
    candidates = (same, _LATER_PAGE.sub("", same), job.values.get("switch_targets", {}).get(lang))
    return next((candidate for candidate in candidates if candidate in ctx.planned), None)


#: Pages a render child takes at a time (and sends back: it holds no more output than this); small
#: batches let the children finish together.
RENDER_BATCH = 50


def render_jobs(ctx: RenderContext, jobs: list[Job]) -> None:
    """Render every job, across `options.jobs` forked processes when the build is large.

    Content pages whose inputs are unchanged come from the page cache
    (pagecache.py). The children take the rest batch by batch, each with its
    own copy of the context, and send back only what a batch added: files,
    diagnostics, used files, images, and what the page cache should keep.
    """
    pages = PageCache.of(ctx)
    todo = pages.replay(jobs) if pages is not None else jobs
    # Pages that list others (home pages, indexes, listings, feeds) cost up to a hundred times
    # a content page: taken first, so that no child is left with them once the rest is done.
    todo = sorted(todo, key=lambda job: job.page is not None)
    records: dict[str, tuple] = {}
    for payload in fork_batches(lambda batch: _render_batch(ctx, batch, records), todo, ctx.options.jobs, RENDER_BATCH):
        files, diagnostics, used_files, images, encoded, recorded = payload
        for path, (packed, origin) in files.items():
            if is_card(path) and path in ctx.outputs.files and ctx.outputs.files.packed(path) == packed:
                continue  # pages of one title in two processes: both drew its card
            ctx.outputs.add_packed(path, packed, origin, ctx.diagnostics)
        ctx.diagnostics.extend(diagnostics)
        ctx.used_files.update(used_files)
        for rel, image in images.items():
            ctx.images.processed.setdefault(rel, image)
        ctx.images.encoded += encoded
        records.update(recorded)
    if pages is not None:
        pages.store(records)


def _render_batch(ctx: RenderContext, batch: Sequence[Job], records: dict[str, tuple]) -> Iterator[tuple]:
    """Render a batch: in this process in place; in a child, yielding what the batch added.

    A child hands over the files of each batch and forgets their bytes
    (keeping their paths for the collision check), so it never holds more
    than a batch of output.
    """
    pages = ctx.page_cache

    def render(job: Job) -> None:
        if pages is None:
            render_job(ctx, job)
        else:
            pages.render(job, render_job, records)

    if os.getpid() == ctx.parent_pid:
        for job in batch:
            render(job)
        return
    outputs = ctx.outputs
    known_files, known_diagnostics = len(outputs.origins), len(ctx.diagnostics.items)
    known_images, encoded = set(ctx.images.processed), ctx.images.encoded
    ctx.used_files = set()
    for job in batch:
        render(job)
    # Paths are only ever added, in order: this batch's are the last ones.
    files = {path: (outputs.files.packed(path), outputs.origins[path])
             for path in islice(outputs.origins, known_files, None)}
    for path in files:
        outputs.files.set_packed(path, (False, b""))  # sent: only the path is still needed here
    images = {rel: image for rel, image in ctx.images.processed.items() if rel not in known_images}
    yield (files, ctx.diagnostics.items[known_diagnostics:], ctx.used_files, images,
           ctx.images.encoded - encoded, dict(records))
    records.clear()


def render_job(ctx: RenderContext, job: Job) -> str | None:
    """Render `job` into ctx.outputs; its text, or None when it failed (reported)."""
    env = ctx.theme.env
    assert env is not None
    values = {**common_values(ctx, job), **job.values}
    if job.page is not None:
        values["content"] = page_html(ctx, job.page)
        values["hero"] = front_image(ctx, job.page, job.file)
    if job.values.get("intro") is not None:
        values["intro_html"] = page_html(ctx, job.values["intro"])
    try:
        html = env.get_template(job.template).render(values)
    except jinja2.TemplateSyntaxError as exc:  # the same for every page: reported once, not per page
        ctx.diagnostics.error(_template_path(ctx, exc.filename or exc.name), exc.lineno, "IM040",
                              f"template syntax error: {exc.message}")
        return None
    except jinja2.TemplateNotFound as exc:
        path, line = _template_frame(ctx, exc)  # the template that extends or includes it, if any
        where = f" (rendering {job.origin})" if line is not None else ""
        ctx.diagnostics.error(path if line is not None else job.origin, line, "IM040",
                              f"template {exc.name!r} not found in the theme{where}")
        return None
    except (jinja2.UndefinedError, jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        path, line = _template_frame(ctx, exc)
        ctx.diagnostics.error(path, line, "IM040", f"template error: {exc} (rendering {job.origin})")
        return None
    html = mark_text_languages(html, job.file.endswith(".html"))
    return html if ctx.outputs.add(job.file, html, job.origin, ctx.diagnostics) else None


def _template_path(ctx: RenderContext, filename: str | None) -> str:
    if not filename:
        return "<template>"
    path = Path(filename)
    if path.is_relative_to(ctx.config.root):
        return path.relative_to(ctx.config.root).as_posix()
    if path.is_relative_to(BUILTIN):
        return f"<default theme>/{path.relative_to(BUILTIN).as_posix()}"
    return path.as_posix()


def _template_frame(ctx: RenderContext, exc: BaseException) -> tuple[str, int | None]:
    """The innermost template file and line in a traceback (Jinja maps its frames)."""
    found: tuple[str, int | None] = ("<template>", None)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt", ".j2")):
            found = (_template_path(ctx, filename), tb.tb_lineno)
        tb = tb.tb_next
    return found
