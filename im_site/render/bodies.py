"""A page's Markdown parts filled in for its file: links resolved and checked, pictures and
KPI figures embedded, ids made unique; and the pages at old addresses (aliases) that lead on.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import unquote

import jinja2
from markupsafe import Markup, escape

from ..content import split_language
from ..images import ImageFile, img_tag
from ..kpi_sources import known_kpis_hint, kpi_role
from ..markdown import Reference, fill
from ..model import Page, Part
from ..rules import as_moment
from ..slugs import slugify
from ..urls import page_file, relative
from .context import INVALID, RenderContext, link_from

_DROP = "\x01drop\x01"
#: What the KPI pages read and filter (kpis.yaml, a snapshot's CSV): never copied out as it is.
KPI_SOURCES = frozenset({"kpi_data", "kpi_defs"})
_DROPPED_LINK = re.compile(r'<a href="\x01drop\x01"[^>]*>(.*?)</a>', re.S)


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
            note = (f'<p class="preview-note" role="note">{Markup.escape(ctx.strings(page.lang)["preview_draft_lesson"])}</p>\n'
                    if ctx.previewed.get(part.path) == "draft" else "")  # a draft lesson shown by --drafts
            html = (f'<section class="lesson" id="{part.anchor}" aria-labelledby="{part.anchor}-h">'
                    f'<h2 id="{part.anchor}-h">{Markup.escape(part.title)}</h2>\n{note}{html}</section>\n')
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


def _refuse_kpi_source(ctx: RenderContext, part: Part, line: int, target: str) -> None:
    """kpis.yaml and a snapshot's CSV hold what the KPI pages withhold: the segments below
    `min_group_size` (values, respondents, names) and periods still embargoed. Copied to files/
    as a download, they would publish all of it past the small-group protection."""
    ctx.diagnostics.error(part.path, line, "IM140", f"{target!r} is KPI source data, not published as a "
                          "download: it would show what the KPI pages withhold (segments with fewer "
                          "respondents than min_group_size, their counts and names, embargoed periods)",
                          hint="link the snapshot's page (kpis/<period>.md): its tables leave them out, as "
                          "does the site's data/kpis.json")


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
    rel = content_rel(ctx, part, target)
    if rel in ctx.files:  # a download, written from this file or (with a leading /) from content/
        if ctx.files[rel].kind in KPI_SOURCES:
            _refuse_kpi_source(ctx, part, line, target)
            return "#"
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
    later = goes_live_later(ctx, page, target)
    if later is None:
        return
    when, mine = later
    ctx.diagnostics.warning(part.path, line, "IM104", f"link to {target.path}, which goes live {when.isoformat()}, "
                            f"after this page ({mine.isoformat()}): the build that publishes this page fails on the link "
                            "until then", hint=f"remove the link, or give this page publish_at: {when.strftime('%Y-%m-%d %H:%M')}")


def goes_live_later(ctx: RenderContext, page: Page, target: Page) -> tuple[datetime, datetime] | None:
    """(when `target` goes live, when `page` does), in the site's timezone, if both are embargoed
    and `target` goes live after `page`, which names it (a link, a prerequisite); else None."""
    starts, mine = _goes_live(ctx, target), _goes_live(ctx, page)
    if starts is None or mine is None or starts <= mine or target is page:
        return None
    return starts.astimezone(ctx.config.tz), mine.astimezone(ctx.config.tz)


def _goes_live(ctx: RenderContext, page: Page) -> datetime | None:
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


def content_rel(ctx: RenderContext, part: Part, target: str) -> str:
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
    _page_not_found(ctx, part, line, rel, written, page.lang)
    return "#"


def _page_not_found(ctx: RenderContext, part: Part, line: int, rel: str, written: str, lang: str | None = None) -> None:
    ctx.diagnostics.error(part.path, line, "IM101", f"link target {written!r} not found (content/{rel})",
                          hint=_language_file(ctx, rel, written, lang) or _renamed(ctx, _old_url(ctx, rel))
                          or _same_name(rel, ctx.site.by_rel))


def _old_url(ctx: RenderContext, rel: str) -> str:
    """The address a missing page file `rel` had, made from its name as im-site makes it (no
    `slug:`): `messages/alt.en.md` -> `en/messages/alt/`."""
    name, lang = split_language(posixpath.basename(rel).removesuffix(".md"), ctx.config.languages)
    lang = lang or ctx.config.settings.language
    segments = [slugify(folder) for folder in posixpath.dirname(rel).split("/") if folder]
    segments += [] if name == "index" else [slugify(name)]
    prefix = "" if lang == ctx.config.settings.language else f"{lang}/"
    return prefix + "".join(f"{segment}/" for segment in segments)


def _renamed(ctx: RenderContext, url: str) -> str | None:
    """"did you mean /messages/neu.md?" for a link to the file or address of a page renamed since,
    whose `aliases:` keep that address: every older link to it broke with the rename."""
    page = ctx.site.renamed_from(url) if url else None
    return f"did you mean /{page.rel}? the page was renamed: its aliases name /{url}" if page else None


def _language_file(ctx: RenderContext, rel: str, written: str, lang: str | None) -> str | None:
    """"did you mean hallo.de.md?" for a link to `hallo.md` where the file's name says its language
    (`hallo.de.md`, `hallo.en.md`): the linking page's language first, then the site's default."""
    base = rel.removesuffix(".md")
    if posixpath.splitext(posixpath.basename(base))[1][1:] in ctx.config.languages:
        return None  # `hallo.en.md` itself is missing, not a name without its language
    order = sorted(ctx.config.languages, key=lambda code: (code != lang, code != ctx.config.settings.language))
    found = next((code for code in order if f"{base}.{code}.md" in ctx.site.by_rel or f"{base}.{code}.md" in ctx.hidden),
                 None)
    return f"did you mean {written.removesuffix('.md')}.{found}.md?" if found else None


def check_links(ctx: RenderContext, part: Part) -> None:
    """The body of a file no page is made of, as its front matter has errors: its links and pictures
    that name no file under content/ are reported with those errors, not only on the run after they
    are fixed. (Whether a target is published, its headings and its address depend on the page.)"""
    for line, code, message in part.rendered.problems:
        ctx.diagnostics.error(part.path, part.body_line + line - 1, code, message)
    for ref in part.rendered.links:
        target = unquote(ref.target.partition("#")[0])
        rel = content_rel(ctx, part, target) if target else ""
        if not rel.endswith(".md") or rel.startswith(("..", "/")) or rel in ctx.files:
            continue
        if rel not in ctx.site.by_rel and rel not in ctx.hidden:
            _page_not_found(ctx, part, part.body_line + ref.line - 1, rel, target)
    for ref in part.rendered.images:
        rel = content_rel(ctx, part, unquote(ref.target))
        if not rel.startswith("..") and rel not in ctx.files:
            _content_image(ctx, rel, part.path, part.body_line + ref.line - 1)


def add_aliases(ctx: RenderContext) -> None:
    """At each old URL of a page (`aliases`), a page that sends readers on: a meta refresh and a
    link, relative, so it works under any base path, in every version and from disk. An old URL
    that is a page of this build is an error: the alias would hide it."""
    for page in sorted(ctx.site.aliased(), key=lambda p: p.path):
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
    return {page_file(alias) for page in ctx.site.aliased() for alias in page.meta.aliases}


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
                            hint=closest_anchor(anchors, written))
    return f"#{fragment}"


def page_anchor(anchors: set[str], fragment: str) -> str | None:
    """The id among a page's `anchors` that `#fragment` names: as written, or as typed from its
    heading's text (`#Öffnungszeiten` is `#oeffnungszeiten`, the id that heading gets)."""
    if fragment in anchors:
        return fragment
    slug = slugify(unquote(fragment))
    return slug if slug in anchors else None


def closest_anchor(anchors: set[str], written: str) -> str | None:
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
                          hint=_renamed(ctx, candidates[0].removesuffix("index.html"))
                          or "link to the .md file of the page, e.g. ../messages/x.md")
    return "#"


def _image(ctx: RenderContext, page: Page, part: Part, ref: Reference) -> str:
    line = part.body_line + ref.line - 1
    if not ref.alt.strip():
        ctx.diagnostics.warning(part.path, line, "IM111", f"image {ref.target!r} has no alt text",
                                hint="describe the picture: ![Obststand in Berlin-Mitte](...)")
    target = unquote(ref.target)
    rel = content_rel(ctx, part, target)
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
        kpi_id, period = kpi_role(ref.target)
        line = part.body_line + ref.line - 1
        if kpi_id in ctx.kpi_ids and period:
            ctx.diagnostics.error(part.path, line, "IM140", f"no published snapshot of period {period!r} "
                                  f"has a value for KPI {kpi_id!r}",
                                  hint="write the period as the snapshot's `period:` does ({kpi}`" + kpi_id +
                                  " 2026-Q3`), or leave it out for the latest value")
        else:
            ctx.diagnostics.error(part.path, line, "IM020", f"unknown KPI id {kpi_id!r}",
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
    ctx.diagnostics.error(used_by, line, "IM110", f"image content/{rel} not found",
                          hint=_same_name(rel, ctx.files) or _missing_image_hint(ctx, rel) or hint)
    return None


def _missing_image_hint(ctx: RenderContext, rel: str) -> str | None:
    """For a picture in a folder that holds files other than Markdown (the path is right, the file
    is not): a file of that folder with a name close to it, else that the file is to be added there.
    (`fehlt.png` beside a message is rather a path written from the wrong place.)"""
    folder = posixpath.dirname(rel)
    beside = sorted(posixpath.basename(other) for other in ctx.files if posixpath.dirname(other) == folder)
    if not beside:
        return None
    close = difflib.get_close_matches(posixpath.basename(rel), beside, n=1, cutoff=0.75)
    if close:
        return f"did you mean {close[0]}? (content/{posixpath.join(folder, close[0])})"
    return f"the file is missing: add it under content/{folder + '/' if folder else ''}"


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
