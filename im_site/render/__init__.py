"""Site -> OutputSet: plan every output file, then render each through the theme.

Planning first means every link can be checked against the full list of
files before a byte is rendered, and listings are computed once, not per page.

The package: `context` (RenderContext, Job and the link helpers), `assets` (the
theme's static files and the brand), `bodies` (Markdown parts with their links
checked, aliases), `navigation` (menu, language switch, hreflang); this module
fills the templates, across processes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import Any

import jinja2
from markupsafe import Markup  # for the job values that are HTML (kpi_pages): markupsafe stays in here

from ..colours import color_scheme, theme_colours
from ..config import label_for
from ..foreign import mark_text_languages
from ..model import Page
from ..pagecache import PageCache
from ..parallel import fork_batches
from ..rules import as_moment
from ..slugs import slugify
from ..social import is_card, og_image_url
from ..theme_checks import template_hint
from ..urls import atom_id, page_file, relative_from
from . import errors
from .bodies import front_image, page_html
from .context import NOT_FOUND, Job, RenderContext, folder_url, format_date, link_from, template_path, text_direction
from .navigation import hreflang_alternates, language_switch, menu_entries


def install_globals(ctx: RenderContext) -> None:
    """Functions templates call; `href` and `asset` are relative to the file being rendered."""
    env = ctx.theme.env
    assert env is not None

    @jinja2.pass_context
    def href(context: Any, url_path: str) -> str:
        return _href(lambda target: link_from(ctx, context["current_file"], target), url_path)

    @jinja2.pass_context
    def asset(context: Any, name: str) -> str:
        return _asset(ctx, lambda target: link_from(ctx, context["current_file"], target), name)

    @jinja2.pass_context
    def label(context: Any, value: Any) -> str:
        return label_for(value, context["lang"])

    env.globals.update(href=href, asset=asset, label=label, has_asset=lambda name: name in ctx.assets,
                       tag_slug=slugify, preview_note=lambda page: preview_note(ctx, page),
                       theme_colors=theme_colours(ctx.config, ctx.theme), color_scheme=color_scheme(ctx.config),
                       **ctx.extra_globals)
    @jinja2.pass_context
    def date(context: Any, value: Any, lang: str | None = None) -> str:
        return format_date(value, lang or context["lang"])

    env.filters["date"] = date
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


def page_links(ctx: RenderContext, current_file: str | None) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """`href` and `asset` for one page, given as its values over the globals of the same names.

    The same links as the globals', without Jinja handing each call the context to look up
    `current_file` in, and each computed once per page: a page links the same few addresses (home,
    the menu, feed, assets) from its head, header and footer.
    """
    links: dict[str, str] = {}
    assets: dict[str, str] = {}
    link = (relative_from(current_file) if current_file is not None
            else lambda target: link_from(ctx, None, target))

    def href(url_path: str) -> str:
        found = links.get(url_path)
        if found is None:
            found = links[url_path] = _href(link, url_path)
        return found

    def asset(name: str) -> str:
        found = assets.get(name)
        if found is None:
            found = assets[name] = _asset(ctx, link, name)
        return found

    return href, asset


def _href(link: Callable[[str], str], url_path: str) -> str:
    """The link to a site address (`/werte/` or a menu entry's `/werte/#haltung`), made by `link`."""
    address, hashmark, fragment = url_path.partition("#")
    return link(page_file(address)) + hashmark + fragment


def _asset(ctx: RenderContext, link: Callable[[str], str], name: str) -> str:
    """The link to a theme or brand file by its name, made by `link`."""
    if name not in ctx.assets:
        raise jinja2.TemplateRuntimeError(f"unknown asset {name!r}")
    return link(ctx.assets[name])


def common_values(ctx: RenderContext, job: Job) -> dict[str, Any]:
    same = _language_values(ctx, job.lang)
    switch = language_switch(ctx, job)
    # The 404 page is served at whatever address was missing: its links start from the site's root.
    current_file = None if job.file == NOT_FOUND else job.file
    # Each page its own copies of the lists and dicts: a template that changed one changed only its page.
    return {
        "site": same["site"], "config": ctx.config, "lang": job.lang, "dir": same["dir"], "t": same["t"],
        "current_file": current_file, "page": job.page, "languages": ctx.config.languages,
        "home": same["home"], "menu": list(same["menu"]),
        "live_reload": ctx.options.live_reload, "audience_build": ctx.options.audience,
        "audiences": dict(same["audiences"]), "pillars": dict(same["pillars"]),
        # The 404 page has no address of its own: a canonical link would name /404.html.
        "canonical": None if job.file == NOT_FOUND else ctx.absolute(folder_url(job.file)),
        "feed": same["feed"],
        "switch": switch,
        "alternates": hreflang_alternates(ctx, job, switch),
        "styles": list(same["styles"]), "scripts": list(same["scripts"]),
        "og_image": og_image_url(ctx, job.page),
        # Booleans only: a version id in page HTML would change every page's hash between versions.
        "versioning": {"whats_new": ctx.options.version is not None, "list": ctx.options.published},
    }


def _language_values(ctx: RenderContext, lang: str) -> dict[str, Any]:
    """The values of `common_values` that are the same on every page of `lang`, worked out once per
    language (the menu, the labels, the feed): rendering starts once every page is planned."""
    found = ctx.language_values.get(lang)
    if found is None:
        settings = ctx.config.settings
        found = ctx.language_values[lang] = {
            "site": settings, "dir": text_direction(lang), "t": ctx.strings(lang), "home": ctx.lang_prefix(lang),
            "menu": menu_entries(ctx, lang),
            "audiences": {a.id: label_for(a.label, lang) for a in settings.audiences},
            "pillars": {p.id: label_for(p.label, lang) for p in settings.pillars},
            "feed": _feed_for(ctx, lang), "styles": ctx.styles, "scripts": ctx.scripts}
    return found


def _feed_for(ctx: RenderContext, lang: str) -> str | None:
    """This language's feed, else the default language's; None when no feed exists (no messages)."""
    for candidate in (ctx.lang_prefix(lang) + "feed.xml", "feed.xml"):
        if candidate in ctx.planned:
            return candidate
    return None


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
    for payload in fork_batches(lambda batch: _render_batch(ctx, batch, records), todo, ctx.options.jobs, RENDER_BATCH,
                                before_fork=lambda: _load_templates(ctx)):
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


def _load_templates(ctx: RenderContext) -> None:
    """Load every template of the theme once, before the children fork: each child loaded them
    itself (about 0.2 s of CPU each, found by helper J). One that does not compile is left to be
    reported where a page uses it."""
    env = ctx.theme.env
    assert env is not None
    for name in env.list_templates(filter_func=lambda name: name.endswith((".html", ".xml"))):
        try:
            env.get_template(name)
        except jinja2.TemplateError:
            pass


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


def render_job(ctx: RenderContext, job: Job) -> bytes | None:
    """Render `job` into ctx.outputs; its bytes (encoded once, for the output and the page cache's
    hashes), or None when it failed (reported)."""
    env = ctx.theme.env
    assert env is not None
    common = common_values(ctx, job)
    href, asset = page_links(ctx, common["current_file"])
    values = {**common, "href": href, "asset": asset, **job.values, **(job.later(ctx, job) if job.later else {})}
    if job.page is not None:
        values["content"] = page_html(ctx, job.page)
        values["hero"] = front_image(ctx, job.page, job.file)
    if job.values.get("intro") is not None:
        values["intro_html"] = page_html(ctx, job.values["intro"])
    try:
        html = env.get_template(job.template).render(values)
    except jinja2.TemplateSyntaxError as exc:  # the same for every page: reported once, not per page
        ctx.diagnostics.error(template_path(ctx, exc.filename or exc.name), exc.lineno, "IM040",
                              f"template syntax error: {exc.message}", hint=errors.syntax_hint(exc.message or "", env))
        return None
    except jinja2.TemplateNotFound as exc:
        if job.page is not None and exc.name == job.page.meta.template:
            return None  # the page's `template:` names none: said at that line (theme_checks.check_page_templates)
        path, line = _template_frame(ctx, exc)  # the template that extends or includes it, if any
        where = f" (rendering {job.origin})" if line is not None else ""
        ctx.diagnostics.error(path if line is not None else job.origin, line, "IM040",
                              f"template {exc.name!r} not found in the theme{where}",
                              hint=template_hint(str(exc.name), env))
        return None
    except (jinja2.UndefinedError, jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        path, line = _template_frame(ctx, exc)
        message, hint = errors.explain(str(exc), {**env.globals, **values})
        ctx.diagnostics.error(path, line, "IM040", f"template error: {message} (rendering {job.origin})", hint=hint)
        return None
    data = mark_text_languages(html, job.file.endswith(".html")).encode("utf-8")
    return data if ctx.outputs.add(job.file, data, job.origin, ctx.diagnostics) else None



def render_outside(ctx: RenderContext, template: str, file: str, prefix: str, values: dict[str, Any],
                   html: dict[str, str]) -> str | None:
    """A page that `publish` writes beside the version folders (versions.html), in the site
    language and the theme's look: header, menu, language switch and footer lead into the build's
    folder at `prefix` (`versions/<id>/`). Without scripts: it is the list readers without
    JavaScript get. `html`: values that are HTML already. None, after a warning at the template's
    line, when the theme's template fails here (no build renders this page: nothing else says so)."""
    env = ctx.theme.env
    assert env is not None
    job = Job(file, template, ctx.config.settings.language, template)

    def href(url_path: str) -> str:  # these two shadow the globals, which link from a page of the build
        address, hashmark, fragment = url_path.partition("#")
        return prefix + page_file(address) + hashmark + fragment

    def asset(name: str) -> str:
        if name not in ctx.assets:
            raise jinja2.TemplateRuntimeError(f"unknown asset {name!r}")
        return prefix + ctx.assets[name]

    values = {**common_values(ctx, job), "href": href, "asset": asset, "scripts": [], "alternates": [], **values,
              **{name: Markup(text) for name, text in html.items()}}
    try:
        return env.get_template(template).render(values)
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        path, line = ((template_path(ctx, exc.filename or exc.name), exc.lineno) if isinstance(exc, jinja2.TemplateSyntaxError)
                      else _template_frame(ctx, exc))
        ctx.diagnostics.warning(path, line, "IM040", f"template error: {exc} (rendering {file}, which is written "
                                "without the theme)", hint=f"{file} is rendered by `im-site publish` only")
        return None


def _template_frame(ctx: RenderContext, exc: BaseException) -> tuple[str, int | None]:
    """The innermost template file and line in a traceback (Jinja maps its frames)."""
    found: tuple[str, int | None] = ("<template>", None)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt", ".j2")):
            found = (template_path(ctx, filename), tb.tb_lineno)
        tb = tb.tb_next
    return found
