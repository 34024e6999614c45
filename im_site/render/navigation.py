"""What leads readers around: the menu (checked against the build's pages), the language
switch, and the hreflang alternates that tell search engines a page's other languages.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from ..config import label_for
from ..urls import page_file, scheme_of
from .bodies import closest_anchor, page_anchor
from .context import INVALID, Job, RenderContext, folder_url


def menu_entries(ctx: RenderContext, lang: str) -> list[tuple[str, str]]:
    """(label, file or external address) of each menu entry `lang`'s menu shows in this build."""
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
            # A page renamed since, whose `aliases:` keep this address: the menu wants the new one.
            moved = ctx.site.renamed_from(f"{path}/") if path else None
            hint = (f"content/{cause} has errors of its own that keep it out of the build" if cause else
                    f"the page is in '{elsewhere}' only: write /{elsewhere}/{path}/" if elsewhere else
                    f"a menu names a page by its address: write /{named.url}" if named else
                    f"the page was renamed: write /{moved.url} (its aliases name /{path}/)" if moved else None)
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
        closest = closest_anchor(page.anchors, unquote(fragment))
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
