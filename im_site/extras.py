"""What a comms team needs beyond a website, planned into the build.

- per-audience entry points (`audiences/<id>/`) and one Atom feed per audience,
- the reach report (`reach/`): who the published material addresses, and
  which pillars no recent message covers,
- translation freshness: a translation whose `translated_from` hash no longer
  matches its original gets a visible note and warning IM151,
- must-read acknowledgement links filled from `acknowledge_url`.

Templates reach the last two through Jinja globals registered here
(`translation_status(page)`, `acknowledge_link(page)`, `has_page(url_path)`),
because content pages are planned by listings.py, not by this module.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .config import IdLabel, label_for
from .feeds import FEED_ENTRIES, FeedEntry
from .listings import paginated
from .model import Page
from .render.context import Job
from .rules import as_moment
from .training import lesson_name
from .urls import absolute, page_file

if TYPE_CHECKING:
    from .build import BuildResult
    from .render.context import RenderContext

#: The reach report looks this many days back from the build's clock for pillar coverage.
REACH_DAYS = 90
AUDIENCE_GENERAL_MESSAGES = 10


def jobs(ctx: "RenderContext", result: "BuildResult") -> list[Job]:
    """Register the template helpers, check the settings, plan audience pages and the reach report."""
    statuses = stale_translations(ctx, {page.translation_key for page, _ in result.hidden})
    check_translation_audiences(ctx)
    check_translated(ctx)
    env = ctx.theme.env
    assert env is not None
    env.globals.update(translation_status=lambda page: statuses.get(page.path) if page else None,
                       acknowledge_link=lambda page: acknowledge_link(ctx, page),
                       has_page=lambda url_path: page_file(url_path) in ctx.planned)
    _check_acknowledge_url(ctx)
    planned = audience_jobs(ctx)
    if ctx.options.audience is None:
        planned.append(reach_job(ctx))
    return planned


# ---------------------------------------------------------------- translation freshness

@dataclass(frozen=True)
class TranslationStatus:
    """A translation made from an older version of its original."""

    original: Page
    recorded: str  # the hash in `translated_from`
    current: str  # the original's hash now


def stale_translations(ctx: "RenderContext", hidden_keys: set[str]) -> dict[str, TranslationStatus]:
    """Translations whose `translated_from` differs from their original's current hash, by path.

    The original is the page with the same translation_key in the site's
    default language; each stale translation is reported as warning IM151,
    and so is a translation with no original at all (`hidden_keys`: those of
    the pages this build leaves out), which would never be found stale.
    """
    default = ctx.config.settings.language
    found: dict[str, TranslationStatus] = {}
    for page in ctx.site.pages:
        if page.lang == default:  # before its front matter: reading that costs ~1 us a page at 10,000
            continue
        recorded = (getattr(page.meta, "translated_from", None) or "").strip().lower()
        if not recorded:  # most pages: the original looked up only for the others
            continue
        original = ctx.site.translations.get(page.translation_key, {}).get(default)
        if original is None and page.translation_key not in hidden_keys:
            _report_no_original(ctx, page)
        if original is None or recorded in (original.source_hash, original.body_hash):
            continue
        found[page.path] = TranslationStatus(original, recorded, original.source_hash)
        ctx.diagnostics.warning(
            page.path, page.line_of(("translated_from",)), "IM151",
            f"{original.path} has changed since {page.path} was translated from it "
            f"(translated_from {recorded}, now {original.source_hash})",
            hint=f"update the translation, then set translated_from: '{original.source_hash}'")
    return found


def check_translation_audiences(ctx: "RenderContext") -> None:
    """A translation that reaches audiences its original does not: most often `audiences:` not
    copied over, which put the English version of a message for the stores into every edition.
    (One for fewer audiences, English for head office only, is a choice.)"""
    default = ctx.config.settings.language
    # The originals for some audiences only, by key: a translation of one for everyone reaches no one more.
    narrowed = {key: original for key, found in ctx.site.translations.items()
                if (original := found.get(default)) is not None and original.audiences}
    for page in ctx.site.pages:
        original = narrowed.get(page.translation_key)
        if original is None or original is page or (page.audiences and set(page.audiences) <= set(original.audiences)):
            continue
        ctx.diagnostics.warning(
            page.path, page.line_of(("audiences",) if page.audiences else ("title",)), "IM160",
            f"the translation is for {_audience_names(page)}, its original {original.path} for "
            f"{_audience_names(original)}", hint=f"audiences: [{', '.join(original.audiences)}], as in the original")


def check_translated(ctx: "RenderContext") -> None:
    """A published translation whose text (a module: also a lesson file's) is its original's word for
    word: a copy not yet translated (`new --from` starts one as a draft, the README says to copy the
    file), which would give the other language's readers the original's language under their own."""
    default = ctx.config.settings.language
    for page in ctx.site.pages:
        if page.lang == default:
            continue
        original = ctx.site.translations.get(page.translation_key, {}).get(default)
        if original is None:
            continue
        pairs = [(page.parts[0], original.parts[0])]
        if len(page.parts) > 1:  # a module's lesson files, paired by name
            theirs = {lesson_name(part, original.lang): part for part in original.parts[1:]}
            pairs += [(part, theirs.get(lesson_name(part, page.lang))) for part in page.parts[1:]]
        for part, other in pairs:
            # Only text with words: a table of figures, a picture or an empty body is the same in every language.
            # A draft's front matter read last, for the few such texts (reading it costs ~1 us a page).
            if other is not None and part.rendered.packed_html == other.rendered.packed_html and any(
                    char.isalpha() for char in part.rendered.text) and not getattr(page.meta, "draft", False):
                ctx.diagnostics.warning(part.path, part.body_line, "IM151",
                                        f"the text is word for word that of {other.path}: not translated yet",
                                        hint="translate it, or keep draft: true in the page until it is")


def _audience_names(page: Page) -> str:
    return ", ".join(page.audiences) if page.audiences else "everyone"


def _report_no_original(ctx: "RenderContext", page: Page) -> None:
    """`translated_from` on a page no page of the default language shares a translation_key with:
    most often a translation whose file name is not its original's (`frische-preis.en.md` beside
    `2026-09-frische-preis.md`), so that neither language switch leads to the other either."""
    default = ctx.config.settings.language
    ctx.diagnostics.warning(
        page.path, page.line_of(("translated_from",)), "IM151",
        f"translated_from, but no page in '{default}' has the translation_key {page.translation_key!r}: "
        "there is no original to compare with",
        hint=f"name it like its original plus .{page.lang}.md, or give both the same translation_key")


# ---------------------------------------------------------------- acknowledgement

def acknowledge_link(ctx: "RenderContext", page: Page | None) -> dict[str, str] | None:
    """The acknowledgement button of a must-read message: its href and a template for the script.

    `{id}` is the page's translation key (the same in every language);
    `{version}` is "dev" in the HTML, so that a page's bytes (and the hash
    "What's new" compares) do not change with every published version;
    extras.js fills in the version from the URL it is served under.
    """
    template = ctx.config.settings.acknowledge_url
    if not template or page is None or page.kind != "message" or not getattr(page.meta, "must_read", False):
        return None
    with_id = template.replace("{id}", quote(page.translation_key, safe=""))
    return {"href": with_id.replace("{version}", "dev"), "template": with_id}


def _check_acknowledge_url(ctx: "RenderContext") -> None:
    template = ctx.config.settings.acknowledge_url
    if template and "{id}" not in template:
        ctx.diagnostics.warning(ctx.config.file, ctx.config.line_of("acknowledge_url"), "IM152",
                                "acknowledge_url has no {id}: the form cannot tell which message was read",
                                hint="e.g. https://forms.example.com/ack?page={id}&version={version}")


# ---------------------------------------------------------------- audiences

def visible_to(page: Page, audience: str) -> bool:
    """Pages without `audiences` are for everyone."""
    return not page.audiences or audience in page.audiences


def _audience_list(ctx: "RenderContext") -> list[IdLabel]:
    """The audiences this build shows: all of them, or only the one of an --audience build."""
    return [a for a in ctx.config.settings.audiences if ctx.options.audience in (None, a.id)]


def _addressed(ctx: "RenderContext", lang: str) -> Counter[str]:
    """How many published messages and modules of `lang` name each audience: an audience gets
    pages only when one does, and the audiences index shows the numbers (one pass, not two per audience)."""
    return Counter(audience for page in ctx.site.pages_in(lang) if page.audiences and page.kind in ("message", "training")
                   for audience in set(page.audiences))  # most pages are for everyone: no set made


def audience_jobs(ctx: "RenderContext") -> list[Job]:
    """Per language: the audiences index, one home page and one Atom feed per addressed audience."""
    counts = {lang: _addressed(ctx, lang) for lang in ctx.config.languages}
    present = {lang: [a for a in _audience_list(ctx) if counts[lang][a.id]] for lang in ctx.config.languages}
    planned: list[Job] = []
    for lang, audiences in present.items():
        if not audiences:
            continue
        planned.append(_audience_index_job(ctx, lang, audiences, present, counts[lang]))
        for audience in audiences:
            switch = {other: f"{ctx.lang_prefix(other)}audiences/{audience.id}/index.html"
                      for other, listed in present.items() if audience in listed}
            # Its messages and those for everyone, newest first: its home page's and its feed's.
            messages = [p for p in ctx.site.messages(lang) if not p.audiences or audience.id in p.audiences]
            planned.extend(_audience_home_jobs(ctx, lang, audience, switch, messages))
            planned.extend(_audience_feed_job(ctx, lang, audience, messages))
    return planned


def _audience_index_job(ctx: "RenderContext", lang: str, audiences: list[IdLabel],
                        present: dict[str, list[IdLabel]], counts: Counter[str]) -> Job:
    prefix = ctx.lang_prefix(lang)
    groups = [{"id": a.id, "label": label_for(a.label, lang), "count": counts[a.id],
               "file": f"{prefix}audiences/{a.id}/index.html"} for a in audiences]
    switch = {other: f"{ctx.lang_prefix(other)}audiences/index.html" for other, listed in present.items() if listed}
    return Job(f"{prefix}audiences/index.html", "groups.html", lang, "audiences index",
               {"title": ctx.strings(lang).get("audiences_title", "audiences"), "groups": groups,
                "section": "audiences", "switch_targets": switch})


def _audience_home_jobs(ctx: "RenderContext", lang: str, audience: IdLabel, switch: dict[str, str],
                        messages: list[Page]) -> list[Job]:
    """The audience's entry point, and the listing of all its messages when they are more than fit.

    The entry point shows `per_page` of the messages addressed to the audience
    and of its modules, so that it stays a light page however many there are
    (at 10,000 pages it was 640 KB, re-rendered on every edit of a message for it):
    the rest are a click away, in `audiences/<id>/messages/` (paginated like
    the archive) and in the training catalogue.
    """
    prefix, site, per_page = ctx.lang_prefix(lang), ctx.site, ctx.config.settings.per_page
    targeted = [p for p in messages if audience.id in p.audiences]
    modules = [p for p in site.modules(lang) if visible_to(p, audience.id)]
    label = label_for(audience.label, lang)
    folder = f"{prefix}audiences/{audience.id}/"
    listing: list[Job] = []
    if len(targeted) > per_page:
        listing = paginated(ctx, lang, f"{folder}messages/", targeted, f"audiences:{audience.id}:messages", {
            "title": ctx.strings(lang).get("audience_targeted", "{audience}").replace("{audience}", label),
            "section": "audiences", "group": audience.id, "description": None,
            "parent": {"file": f"{folder}index.html", "label": label}, "switch_targets": switch})
    home = Job(f"{folder}index.html", "audience_home.html", lang, f"audiences:{audience.id}", {
        "audience": {"id": audience.id, "label": label,
                     "description": label_for(audience.description, lang) if audience.description else None},
        "must_read": [p for p in site.must_read(lang) if visible_to(p, audience.id)],
        "targeted": targeted[:per_page],
        "targeted_all": listing[0].file if listing else None,
        "general": [p for p in messages if not p.audiences][:AUDIENCE_GENERAL_MESSAGES],
        "modules": modules[:per_page],
        "modules_more": len(modules) > per_page,
        "audience_feed": f"{folder}feed.xml",
        "feed": f"{folder}feed.xml",
        "switch_targets": switch})
    return [home, *listing]


def _audience_feed_job(ctx: "RenderContext", lang: str, audience: IdLabel, visible: list[Page]) -> list[Job]:
    """The audience's messages and those for everyone (`visible`, newest first), like its own site's main feed."""
    messages = visible[:FEED_ENTRIES]
    if not messages:
        return []
    base, folder = ctx.address, f"{ctx.lang_prefix(lang)}audiences/{audience.id}/"
    entries = [FeedEntry.of(ctx, page) for page in messages]
    return [Job(f"{folder}feed.xml", "feed.xml", lang, f"feed ({lang}, {audience.id})", {
        "entries": entries, "feed_url": absolute(base, f"{folder}feed.xml"), "home_url": absolute(base, folder),
        "updated": max(entry.updated for entry in entries),
        "feed_title": f"{ctx.config.settings.title} – {label_for(audience.label, lang)}"})]


# ---------------------------------------------------------------- reach report

def reach_job(ctx: "RenderContext") -> Job:
    """`reach/index.html` in the default language: audience reach per language, and pillar gaps."""
    lang = ctx.config.settings.language
    return Job("reach/index.html", "reach.html", lang, "reach report", {
        "report": reach_report(ctx), "days": REACH_DAYS, "now": ctx.options.now,
        "switch_targets": {}})


def reach_report(ctx: "RenderContext") -> dict[str, Any]:
    """Counts per audience and language (audience-less pages count for everyone) and pillar coverage."""
    languages = ctx.config.languages
    counted = {lang: [p for p in ctx.site.pages_in(lang) if p.kind in ("message", "training")] for lang in languages}
    rows = []
    for audience in ctx.config.settings.audiences:
        cells = [{"lang": lang, **_counts(counted[lang], audience.id)} for lang in languages]
        rows.append({"id": audience.id, "label": label_for(audience.label, ctx.config.settings.language),
                     "cells": cells})
    totals = [{"lang": lang, "messages": len(ctx.site.of_kind("message", lang)),
               "modules": len(ctx.site.of_kind("training", lang))} for lang in languages]
    return {"languages": languages, "rows": rows, "totals": totals, "pillars": pillar_coverage(ctx)}


def _counts(pages: list[Page], audience: str) -> dict[str, int]:
    """The messages and modules among `pages` (nothing else) shown to `audience`, and those addressed to it."""
    counts = dict.fromkeys(("messages", "messages_targeted", "modules", "modules_targeted"), 0)
    for page in pages:  # one pass, not five
        if page.audiences and audience not in page.audiences:
            continue
        shown = "messages" if page.kind == "message" else "modules"
        counts[shown] += 1
        if page.audiences:
            counts[f"{shown}_targeted"] += 1
    return counts


def pillar_coverage(ctx: "RenderContext") -> list[dict[str, Any]]:
    """For each pillar: messages (counted once across translations) dated in the last REACH_DAYS days."""
    now, tz = ctx.options.now, ctx.config.tz
    since = now - timedelta(days=REACH_DAYS)
    # Each message's moment made once and filed under its pillars: a pass over every message per
    # pillar made the reach report take 1.4-1.9 times the CPU at 10,000 pages (70 ms, not 38).
    dated_by_pillar: dict[str, list[tuple[datetime, Page]]] = defaultdict(list)
    for page in ctx.site.of_kind("message"):
        if not page.pillars:  # filed under none: its moment is not needed
            continue
        moment = as_moment(page.meta.date, tz)
        for pillar_id in page.pillars:
            dated_by_pillar[pillar_id].append((moment, page))
    coverage = []
    for pillar in ctx.config.settings.pillars:
        dated = dated_by_pillar.get(pillar.id, [])
        recent = {p.translation_key for moment, p in dated if since <= moment <= now}
        latest = max((moment for moment, _ in dated if moment <= now), default=None)
        coverage.append({"id": pillar.id, "label": label_for(pillar.label, ctx.config.settings.language),
                         "recent": len(recent), "latest": latest.date() if latest else None,
                         "gap": not recent})
    return coverage

