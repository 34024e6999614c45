"""The plan of a build: one Job per output page (content pages and listings), per language.

Listings are computed once from the Site's indexes; a tag, pillar or audience
with no published page gets no page at all.
"""

from __future__ import annotations

from typing import Any

from .config import label_for
from .model import Page
from .render.context import NOT_FOUND, Job, RenderContext, text_direction
from .slugs import slugify

TEMPLATES = {"message": "message.html", "training": "module.html", "kpi_snapshot": "snapshot.html",
             "page": "page.html"}
HOME_MESSAGES = 10


def plan(ctx: RenderContext) -> list[Job]:
    """Every HTML page of the build, content pages first, then listings per language."""
    # Module pages and the catalogue come from training.jobs (prerequisites, quiz).
    homes = {ctx.lang_prefix(lang) for lang in ctx.config.languages}  # the only URLs of introductions: asked there alone
    jobs = [_page_job(page) for page in ctx.site.pages
            if page.kind != "training" and not (page.url in homes and is_home_intro(ctx, page))]
    for lang in ctx.config.languages:
        jobs.extend(_listing_jobs(ctx, lang))
    jobs.append(_not_found_job(ctx))
    return jobs


def _not_found_job(ctx: RenderContext) -> Job:
    """The one 404 page, in the site language and then in each other language that has pages.

    A server sends it for every missing address, `/en/…` ones included: an English reader
    following a dead link would otherwise be told in German only.
    """
    others = [{"lang": lang, "dir": text_direction(lang), "t": ctx.strings(lang), "home": f"{ctx.lang_prefix(lang)}index.html"}
              for lang in ctx.config.languages[1:] if ctx.site.pages_in(lang)]
    # Its language switch leads to each language's home without "(not translated yet)": the page says it in each.
    targets = {other["lang"]: other["home"] for other in others}
    return Job(NOT_FOUND, "404.html", ctx.config.settings.language, "404.html",
               {"other_languages": others, "switch_targets": targets})


def is_home_intro(ctx: RenderContext, page: Page) -> bool:
    """`content/index.md` (and its translations) is the home page's introduction."""
    return page.kind == "page" and page.url == ctx.lang_prefix(page.lang)


def _page_job(page: Page) -> Job:
    return Job(page.file, page.meta.template or TEMPLATES[page.kind], page.lang, page.path, {}, page)


def _listing_jobs(ctx: RenderContext, lang: str) -> list[Job]:
    site, prefix = ctx.site, ctx.lang_prefix(lang)
    messages = site.messages(lang)
    if not site.pages_in(lang):
        return []
    intro = site.by_url.get(prefix)  # URLs are unique: not a search through the language's pages
    intro = intro if intro is not None and intro.lang == lang and is_home_intro(ctx, intro) else None
    jobs = [Job(f"{prefix}index.html", "home.html", lang, "home", {
        "messages": site.pinned_first(lang)[:HOME_MESSAGES],
        "must_read": list(site.must_read(lang)),
        "modules": site.modules(lang)[:3],
        "intro": intro, "switch_targets": _switch_targets(ctx, "")})]
    jobs.extend(paginated(ctx, lang, f"{prefix}messages/", messages, "messages listing", {
        "title": ctx.strings(lang).get("messages_title", "messages"), "section": "messages",
        "switch_targets": _switch_targets(ctx, "messages/")}))
    jobs.extend(_grouped(ctx, lang, "pillars", site.pillar_pages(lang),
                         {p.id: p for p in ctx.config.settings.pillars}))
    # Audience pages (home page and feed per audience) come from extras.jobs.
    jobs.extend(_tag_jobs(ctx, lang, site.tags(lang)))
    return jobs


def _switch_targets(ctx: RenderContext, path: str) -> dict[str, str]:
    return {lang: f"{ctx.lang_prefix(lang)}{path}index.html" for lang in ctx.config.languages}


def paginated(ctx: RenderContext, lang: str, base: str, pages: list[Page], origin: str,
              values: dict[str, Any]) -> list[Job]:
    """`<base>index.html`, then `<base>page/2/index.html`...: `per_page` cards each, with links between them."""
    per_page = ctx.config.settings.per_page
    chunks = [pages[i:i + per_page] for i in range(0, len(pages), per_page)] or [[]]
    files = [f"{base}index.html"] + [f"{base}page/{n}/index.html" for n in range(2, len(chunks) + 1)]
    jobs = []
    for number, (chunk, file) in enumerate(zip(chunks, files), start=1):
        jobs.append(Job(file, "list.html", lang, origin, {
            **values, "pages": chunk,
            "pagination": {"number": number, "count": len(chunks),
                           "previous": files[number - 2] if number > 1 else None,
                           "next": files[number] if number < len(chunks) else None}}))
    return jobs


def _grouped(ctx: RenderContext, lang: str, section: str, groups: dict[str, list[Page]],
             defined: dict[str, Any]) -> list[Job]:
    prefix = ctx.lang_prefix(lang)
    groups = {key: pages for key, pages in groups.items() if pages and key in defined}
    if not groups:
        return []
    entries = [{"id": key, "label": label_for(defined[key].label, lang), "count": len(pages),
                "file": f"{prefix}{section}/{key}/index.html"} for key, pages in groups.items()]
    jobs = [Job(f"{prefix}{section}/index.html", "groups.html", lang, f"{section} index",
                {"title": ctx.strings(lang).get(f"{section}_title", section), "groups": entries,
                 "section": section, "switch_targets": _switch_targets(ctx, f"{section}/")})]
    for entry in entries:
        description = getattr(defined[entry["id"]], "description", None)
        jobs.extend(paginated(ctx, lang, entry["file"].removesuffix("index.html"), groups[entry["id"]],
                              f"{section}:{entry['id']}", {
                                  "title": entry["label"], "section": section, "group": entry["id"],
                                  "description": label_for(description, lang) if description else None}))
    return jobs


def _tag_jobs(ctx: RenderContext, lang: str, tags: dict[str, list[Page]]) -> list[Job]:
    if not tags:
        return []
    prefix = ctx.lang_prefix(lang)
    entries = [{"id": tag, "label": tag, "count": len(pages), "file": f"{prefix}tags/{slugify(tag)}/index.html"}
               for tag, pages in tags.items()]
    jobs = [Job(f"{prefix}tags/index.html", "groups.html", lang, "tags index",
                {"title": ctx.strings(lang).get("tags_title", "Tags"), "groups": entries, "section": "tags"})]
    for entry in entries:
        jobs.extend(paginated(ctx, lang, entry["file"].removesuffix("index.html"), tags[entry["id"]],
                              f"tag:{entry['id']}", {
                                  "title": f"#{entry['label']}", "section": "tags", "description": None,
                                  "group": entry["id"]}))
    return jobs
