"""build(config, options) -> BuildResult: the whole pipeline, top to bottom, in memory.

It never touches the output folder: `write`, `check`, `publish` and `serve`
decide what to do with the OutputSet.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import html
import pickle
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any, Iterator
from urllib.parse import unquote

from . import extras, kpi_pages, lint, search, sources, training, whatsnew
from .cache import Cache, Stored, digest
from .config import Config, check_label_languages
from .content import Content, SourceIndex, file_translation_key, load_content
from .diagnostics import Diagnostics
from .feeds import feed_jobs, manifest, sitemap
from .image_metadata import MetadataError, without_metadata
from .images import ImageStore
from .listings import plan
from .model import Page, Site
from .options import BuildOptions
from .output import OutputSet
from .render import install_globals, render_jobs
from .render.assets import add_theme_assets
from .render.bodies import add_aliases, check_links, content_rel
from .render.context import INVALID, Job, RenderContext
from .render.navigation import check_menu
from .rules import as_moment, judge
from .theme import load_theme
from .theme_checks import check_page_templates


@dataclass
class BuildResult:
    config: Config
    options: BuildOptions
    diagnostics: Diagnostics
    outputs: OutputSet = field(default_factory=OutputSet)
    site: Site | None = None
    content: Content | None = None
    hidden: list[tuple[Page, str]] = field(default_factory=list)
    next_change: datetime | None = None
    schedule: list[tuple[datetime, str, Page]] = field(default_factory=list)
    #: The rendering context and every job, for the dev server's one-page preview (preview.py).
    render: tuple[RenderContext, list[Job]] | None = None
    #: Content pages taken from the page cache instead of rendered (pagecache.py).
    reused: int = 0
    #: Pages shown only because the build previews drafts or scheduled pages: path -> "draft" or
    #: "scheduled" (the page says so to the writer looking at it).
    previewed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.diagnostics.has_errors()

    @property
    def not_shown(self) -> str | None:
        """"not shown: 2 drafts (--drafts), 1 scheduled page (--future)": what a writer may be
        looking for in vain, or None."""
        drafts = sum(1 for _, why in self.hidden if why == "draft")
        scheduled = sum(1 for _, why in self.hidden if why == "scheduled")
        parts = ([f"{drafts} draft{'s' if drafts != 1 else ''} (--drafts)"] if drafts else []) + (
            [f"{scheduled} scheduled page{'s' if scheduled != 1 else ''} (--future)"] if scheduled else [])
        return f"not shown: {', '.join(parts)}" if parts else None


def build(config: Config, options: BuildOptions) -> BuildResult:
    """Read content/, apply the publishing rules, render everything to memory."""
    try:
        return _build(config, options)
    finally:
        gc.unfreeze()  # what `_loading` froze: collectable again (`serve` and the tests build many times)


@contextlib.contextmanager
def _loading() -> Iterator[None]:
    """No garbage collection while the sources load, and what they loaded frozen for the rest of
    the build: the collector no longer scans it each time it runs. A 10,000-page rebuild loads
    some 300,000 objects that live as long as the build; its collections took 0.15-0.22 s of CPU,
    0.05-0.06 s so (three body-edit rebuilds each, measured with gc.callbacks). Forked children
    collect as usual (parallel._child)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _build(config: Config, options: BuildOptions) -> BuildResult:
    diagnostics = Diagnostics()
    result = BuildResult(config, options, diagnostics)
    settings = config.settings
    cache = Cache(config.root / settings.cache_dir if options.use_cache else None)
    index = SourceIndex(config, cache)
    files = sources.walk(config.content_dir, config.root, diagnostics, config.max_file_bytes, index.unchanged)
    with _loading():
        result.content = content = load_content(config, files, cache, diagnostics, options.jobs, index, options.drafts)
    del files  # the source texts are no longer needed; pages keep what they use
    published = _apply_rules(result, content.pages)
    _check_translation_schedules(result, content.pages)
    _check_translation_keys(published, diagnostics)
    _check_unlinked_translations(published, config, diagnostics)
    check_label_languages(config, diagnostics)
    result.site = site = Site.from_pages(config, published)
    theme = load_theme(config, diagnostics, frozenset(page.meta.template for page in content.pages if page.meta.template))
    if theme is None:
        return result
    assert theme.env is not None
    check_page_templates(theme.env, published, diagnostics)
    ctx = RenderContext(site, theme, options, diagnostics,
                        hidden={**dict.fromkeys(content.invalid, INVALID),
                                **{part.rel: why for page, why in result.hidden for part in page.parts},
                                **({} if options.drafts else dict.fromkeys(content.draft_lessons, "draft"))},
                        files=content.files,
                        previewed={**result.previewed,
                                   **(dict.fromkeys(content.draft_lessons.values(), "draft") if options.drafts else {})},
                        other_audience_files=frozenset(page.file for page, why in result.hidden if why == "audience"),
                        expired_files=frozenset(page.file for page, why in result.hidden if why == "expired"),
                        scheduled_files=frozenset(page.file for page, why in result.hidden if why == "scheduled"),
                        images=ImageStore(config.content_dir, diagnostics, cache,
                                          tuple(settings.images.widths), settings.images.quality))
    by_path = {page.path: page for page in published}
    ctx.outputs.locate = lambda origin, file: by_path[origin].address_line(file) if origin in by_path else None
    add_theme_assets(ctx)
    install_globals(ctx)
    jobs = plan(ctx)
    # Each content feature adds its own pages (and validates its own fields).
    for feature in (training, kpi_pages, extras, whatsnew):
        jobs.extend(feature.jobs(ctx, result))
    # Feeds render message bodies now, so after the features that fill them ({kpi} embeds).
    jobs.extend(feed_jobs(ctx))
    ctx.planned = {job.file for job in jobs}
    ctx.planned |= search.page_files(ctx)  # rendered last, once the index is made
    check_menu(ctx)
    early, late = whatsnew.split(jobs)
    render_jobs(ctx, early)
    render_jobs(ctx, late)  # "What's new" compares the hashes of the pages rendered before it
    add_aliases(ctx)  # after every page: an old URL must not hide one
    for part in content.unpublished_bodies:
        check_links(ctx, part)
    _add_files(ctx)
    cache.prune_store({stored.key for stored in ctx.outputs.files.stored()})  # old images and cards
    lint.check(ctx, result)
    search.finish(ctx, result)
    ctx.outputs.add("sitemap.xml", sitemap(ctx), "sitemap", diagnostics)
    ctx.outputs.add("manifest.json", manifest(ctx, result.next_change), "manifest", diagnostics)
    scan_for_leaks(ctx.outputs, result.hidden, published, diagnostics, ctx.page_hashes, cache)
    result.outputs = ctx.outputs
    result.render = (ctx, jobs)
    result.reused = ctx.page_cache.reused if ctx.page_cache is not None else 0
    return result


def _apply_rules(result: BuildResult, pages: list[Page]) -> list[Page]:
    """Split pages into published and hidden; remember the schedule of future changes."""
    published = []
    tz = result.config.tz
    previews = result.options.drafts or result.options.future
    for page in pages:
        _check_schedule(result, page)
        verdict = judge(page.meta, result.options, tz)
        if verdict.next_change is not None and verdict.hidden_because in (None, "scheduled"):
            result.schedule.append((verdict.next_change, _change_at(verdict.next_change, page, tz), page))
        if verdict.hidden_because is None:
            published.append(page)
            _schedule_review(result, page)
            if previews:
                readers_see = judge(page.meta, result.options.but(drafts=False, future=False), tz)
                if readers_see.hidden_because in ("draft", "scheduled"):
                    result.previewed[page.path] = readers_see.hidden_because
        else:
            result.hidden.append((page, verdict.hidden_because))
    result.schedule.sort(key=lambda item: (item[0], item[2].path))
    result.next_change = result.schedule[0][0] if result.schedule else None
    return published


def _change_at(moment: datetime, page: Page, tz: tzinfo) -> str:
    """What happens to `page` at `moment` for readers: it goes live at its `publish_at`, else it
    expires. Not from the verdict: previewed with `--future` a scheduled page is shown, and
    `check --future` listed its going live as "expires"."""
    publish_at = getattr(page.meta, "publish_at", None)
    return "goes live" if publish_at and as_moment(publish_at, tz) == moment else "expires"


def _schedule_review(result: BuildResult, page: Page) -> None:
    """A module's page changes when its `review_by` date has passed (the "under review" note):
    without a place in the schedule, the note waited for the next merge, days or weeks late."""
    review_by = getattr(page.meta, "review_by", None) if page.kind == "training" else None
    due = as_moment(review_by, result.config.tz, end_of_day=True) if review_by else None
    if due is not None and due > result.options.now:
        result.schedule.append((due, "review due", page))


def _check_schedule(result: BuildResult, page: Page) -> None:
    """A page that expires before it goes live is never shown: surely a slip in one of the dates.
    An embargoed message dated before the day it goes live (`im-site new` writes the day it was
    written): readers would find it among that day's messages, below those of the days between,
    and feed readers take it for old news. Said while it is still embargoed, when the date can
    still be set."""
    publish_at, expires = getattr(page.meta, "publish_at", None), getattr(page.meta, "expires", None)
    if not publish_at:
        return
    tz = result.config.tz
    goes_live = as_moment(publish_at, tz)
    if expires and as_moment(expires, tz, end_of_day=True) <= goes_live:
        result.diagnostics.warning(page.path, page.line_of(("expires",)), "IM150",
                                   f"expires {expires.isoformat()} is before publish_at {publish_at.isoformat()}: "
                                   "the page is never shown", hint="check both dates")
        return
    day = goes_live.astimezone(tz)
    if page.kind == "message" and page.date and page.date < day.date() and goes_live > result.options.now:
        result.diagnostics.warning(page.path, page.line_of(("date",)), "IM150",
                                   f"dated {page.date.isoformat()} but goes live {day.strftime('%Y-%m-%d %H:%M')}: "
                                   "readers find it among that day's messages, below the newer ones",
                                   hint=f"date: {day.date().isoformat()}")


def _check_translation_schedules(result: BuildResult, pages: list[Page]) -> None:
    """A translation shown while its original is not: most often `publish_at`, `expires` or
    `draft` not copied over, which published the English text of an embargoed message before
    the German one went live, or kept it after the original expired. Each file has its own
    dates, so nothing else would notice; a translation of a draft or a later one is fine."""
    default, tz = result.config.settings.language, result.config.tz
    in_default: dict[str, list[Page]] = {}
    for page in pages:
        if page.lang == default:
            in_default.setdefault(page.translation_key, []).append(page)
    # A draft copy that kept its original's translation_key is no original (a published page wins);
    # asked only where a key has two pages (a front matter read costs ~1 us a page at 10,000).
    originals = {key: group[0] if len(group) == 1 else
                 max(group, key=lambda page: (not getattr(page.meta, "draft", False), page.path))
                 for key, group in in_default.items()}
    # Only an original that is a draft, embargoed or expiring can be shown after its translations:
    # most are none of these, and their translations' front matter is then not read at all.
    originals = {key: original for key, original in originals.items() if _may_hide_before(original)}
    for page in pages:
        original = originals.get(page.translation_key)
        if original is None or original is page or getattr(page.meta, "draft", False):
            continue
        problem = _shown_without_original(original, page, result.options.now, tz)
        if problem is not None:
            field_name, text, hint = problem
            result.diagnostics.warning(page.path, page.line_of((field_name,) if getattr(page.meta, field_name, None)
                                                                else ("title",)), "IM150",
                                       text.format(original=original.path),
                                       hint=f"{hint}, as in the original")


def _may_hide_before(original: Page) -> bool:
    """Whether `_shown_without_original` can find a problem with any translation of `original`."""
    fields = original.meta.__dict__  # a model's fields (getattr on a missing one raises inside pydantic: slow)
    return bool(fields.get("draft") or fields.get("publish_at") or fields.get("expires"))


def _shown_without_original(original: Page, page: Page, now: datetime, tz: tzinfo) -> tuple[str, str, str] | None:
    """(field, message with an {original} to fill in, the fix) when `page` is shown at a time
    `original` is not."""
    if getattr(original.meta, "draft", False):
        return "draft", "the translation is published, its original {original} is a draft", "draft: true"
    goes_live = getattr(original.meta, "publish_at", None)
    if goes_live and as_moment(goes_live, tz) > now and _moment(page, "publish_at", tz, now) < as_moment(goes_live, tz):
        return ("publish_at", f"the translation goes live before its original {{original}} ({goes_live.isoformat()}): "
                "readers see the embargoed text in this language first", f"publish_at: {goes_live.isoformat()}")
    ends = getattr(original.meta, "expires", None)
    if not ends:  # most originals: the translation's own end is not needed
        return None
    end = _moment(page, "expires", tz, _NEVER)
    if end > now and end > as_moment(ends, tz, end_of_day=True):
        return ("expires", f"the translation stays published after its original {{original}} expires ({ends.isoformat()})",
                f"expires: {ends.isoformat()}")
    return None


#: The end of time: when a page without `expires` expires.
_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def _moment(page: Page, field_name: str, tz: tzinfo, default: datetime) -> datetime:
    """When `publish_at` or `expires` of a page takes effect; `default` without one (now: live
    already; the end of time: never expires)."""
    value = getattr(page.meta, field_name, None)
    return as_moment(value, tz, end_of_day=field_name == "expires") if value else default


def _check_translation_keys(published: list[Page], diagnostics: Diagnostics) -> None:
    """A page has one translation per language: of two published pages of one language with
    one `translation_key` (a copied front matter), the language switch and the translation note
    of the other languages would lead to one of them only, and both share an acknowledgement id."""
    by_key: dict[tuple[str, str], list[Page]] = {}
    for page in published:
        by_key.setdefault((page.translation_key, page.lang), []).append(page)
    for pages in by_key.values():
        if len(pages) == 1:  # nearly every key: nothing to sort
            continue
        other, *rest = sorted(pages, key=lambda p: p.path)  # the first by path is the one the others clash with
        for page in rest:
            diagnostics.error(page.path, page.line_of(("translation_key",)), "IM160",
                              f"translation_key {page.translation_key!r} is also the key of {other.path}, "
                              f"another page in '{page.lang}'",
                              hint="give each page its own translation_key; its translations share it")


def _check_unlinked_translations(published: list[Page], config: Config, diagnostics: Diagnostics) -> None:
    """`x.md` given a `translation_key` (as must-reads should have) and `x.en.md` left without one, or the
    other way round: the two files, named as translations, were silently no longer linked, so the
    language switch led to the home page, freshness went unchecked and the acknowledgement ids differed."""
    by_file_key: dict[str, list[Page]] = {}
    with_keys: dict[str, None] = {}  # the files a page of which has a key of its own: looked at below
    languages = config.languages
    for page in published:
        # A page without a key of its own has its file's (content.py): made only for the others
        # (making it for each of 10,000 pages took a rebuild 30 ms).
        if page.meta.translation_key:
            file_key = file_translation_key(page.kind, page.rel, languages)
            with_keys[file_key] = None
        else:
            file_key = page.translation_key
        by_file_key.setdefault(file_key, []).append(page)
    taken: set[tuple[str, str]] | None = None
    for file_key in with_keys:  # most files have no key in any language: not sorted through
        pages = by_file_key[file_key]
        keyed = sorted((page for page in pages if page.meta.translation_key), key=lambda page: page.path)
        if len(keyed) == len(pages):  # one in each language
            continue
        if taken is None:
            taken = {(page.translation_key, page.lang) for page in published}
        for page in sorted(pages, key=lambda page: page.path):
            other = next((o for o in keyed if o.lang != page.lang and (o.translation_key, page.lang) not in taken), None)
            if page.meta.translation_key or other is None:
                continue
            diagnostics.warning(page.path, page.line_of(("title",)), "IM160",
                                f"{other.path} (this file's name in '{other.lang}') has translation_key "
                                f"{other.translation_key!r} and this file has none: the two are not linked as translations "
                                "(language switch, translation note, must-read id)",
                                hint=f"add translation_key: {other.translation_key} here too")


def _add_files(ctx: RenderContext) -> None:
    """Images and downloads that published pages use; nothing else from content/."""
    for path, data in sorted(ctx.images.outputs().items()):
        if path not in ctx.outputs:
            ctx.outputs.add(path, data, "images", ctx.diagnostics)
    for rel in sorted(ctx.used_files):
        source = ctx.files.get(rel)
        if source is None:
            continue
        try:
            data = source.abs_path.read_bytes()
        except OSError as exc:  # vanished or unreadable since the walk
            ctx.diagnostics.error(source.path, None, "IM010", f"cannot read file: {exc.strerror or exc}")
            continue
        try:  # a photo linked at full size: published without where it was taken and by whom
            data = without_metadata(data, rel)
        except MetadataError as exc:
            path, line = _first_link_to(ctx, rel) or (source.path, None)
            ctx.diagnostics.error(path, line, "IM112", f"cannot take the metadata out of the picture {source.path} "
                                  f"linked here: {exc}",
                                  hint="save it again in an image editor; a damaged file could carry GPS and names")
            continue
        # Kept in the cache's file store like images (a site's PDFs can be hundreds of megabytes).
        kept = ctx.images.cache.keep(hashlib.sha256(data).hexdigest(), data)
        ctx.outputs.add(f"files/{rel}", kept, source.path, ctx.diagnostics)


def _first_link_to(ctx: RenderContext, rel: str) -> tuple[str, int] | None:
    """(file, line) of the first published page's link to the content file `rel`, for an error
    about the file that the writer meets where it is used; None if no link names it so."""
    for page in sorted(ctx.site.pages, key=lambda page: page.path):
        for part in page.parts:
            for ref in part.rendered.links:
                target = unquote(ref.target.partition("#")[0])
                if target and content_rel(ctx, part, target) == rel:
                    return part.path, part.body_line + ref.line - 1
    return None


def scan_for_leaks(outputs: OutputSet, hidden: list[tuple[Page, str]], published: list[Page],
                   diagnostics: Diagnostics, page_hashes: dict[str, str], cache: Cache) -> None:
    """Defence in depth: no hidden page's title may appear in any output file.

    Files whose exact bytes (a page's hash from the page cache, a stored
    file's key) were found clean of the same titles by an earlier build are
    not read again: a site always has a draft or an embargoed message, and
    reading every page cost a rebuild of 10,000 pages a quarter of a second.
    Pictures are left out: they hold no text to search.
    """
    shown = {page.title for page in published}
    titles = sorted({page.title for page, _ in hidden if len(page.title) >= 8 and page.title not in shown})
    if not titles:
        return
    needles = sorted({form for title in titles for form in (title, html.escape(title), html.escape(title, quote=False))})
    pattern = re.compile("|".join(re.escape(n) for n in needles).encode())
    owner = {form: page for page, _ in hidden for form in (page.title, html.escape(page.title), html.escape(page.title, quote=False))}
    why_of = {page.path: why for page, why in hidden}
    memo = digest(LEAK_SCAN_VERSION, *needles)
    known = _clean_pages(cache.get(LEAK_SCAN, memo))
    clean = set()
    quoted = _QuotedExpiredTitles(hidden, published)
    for path in outputs.sorted_paths():
        if path.endswith(PIXELS):
            continue  # image variants, social cards, downloaded pictures: no text to search
        packed = outputs.files.kept(path)
        sha = packed.key if isinstance(packed, Stored) else page_hashes.get(path)  # stored files: named by content
        if sha in known:
            clean.add(sha)
            continue
        found = [owner.get(match.group(0).decode()) for match in pattern.finditer(outputs.files[path])]
        leaks = [page for page in found if page is None or why_of.get(page.path) != "expired" or page.title not in quoted.titles]
        if leaks:
            page = leaks[0]
            origin = outputs.origins.get(path, "")
            diagnostics.error(page.path if page else path, page.line_of(("title",)) if page else None, "IM060",
                              f"the title of {_HIDDEN_AS.get(why_of.get(page.path) if page else None, 'an unpublished page')} appears in "
                              f"{path}; refusing to publish it",
                              hint=f"{origin} quotes it" if origin.startswith("content/") else None)
        elif sha is not None and not found:  # a quoted expired title: read again, the quote may go
            clean.add(sha)
    if clean != known:
        cache.put(LEAK_SCAN, memo, pickle.dumps(sorted(clean), protocol=pickle.HIGHEST_PROTOCOL))
        cache.prune(LEAK_SCAN, {memo}, slack=10)


class _QuotedExpiredTitles:
    """The titles of expired pages that a published page's own words quote: a link to it (plain
    text once it has expired, warning IM104) or a sentence naming it. They were published before,
    and time, not the writer, took the page down: failing that build (IM060) kept the expired page
    online, and every later build failed too. Found when the scan first meets such a title (reading
    every page's words cost 0.3 s at 3,000 pages, whether a title turned up or not)."""

    def __init__(self, hidden: list[tuple[Page, str]], published: list[Page]):
        self._hidden, self._published = hidden, published

    @functools.cached_property
    def titles(self) -> set[str]:
        expired = {page.title for page, why in self._hidden if why == "expired"}
        quoted: set[str] = set()
        for page in self._published:
            parts = (f"{part.title or ''}\n{part.rendered.plain_text}" for part in page.parts)
            words = "\n".join([*_strings(page.meta.model_dump()), *parts])
            quoted.update(title for title in expired - quoted if title in words)
            if quoted == expired:
                break
        return quoted


def _strings(value: Any) -> list[str]:
    """Every text in a page's front matter (its summary, objectives, quiz...)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [text for item in value for text in _strings(item)] if isinstance(value, list) else []


#: What a hidden page is, by why it is hidden, for the leak scan's message.
_HIDDEN_AS = {"audience": "another audience's page", "draft": "a draft", "scheduled": "a scheduled page",
              "expired": "an expired page"}
#: The cache namespace of the page hashes found clean, per set of hidden titles.
LEAK_SCAN, LEAK_SCAN_VERSION = "leak-scan", "leak-scan-1"
#: Output files that are pictures, left out of the leak scan.
PIXELS = (".png", ".jpg", ".jpeg", ".webp", ".gif")


def _clean_pages(value: bytes | None) -> set[str]:
    try:
        found = pickle.loads(value) if value is not None else []
    except Exception:  # noqa: BLE001 - a damaged entry: every page is read again
        return set()
    return set(found) if isinstance(found, list) else set()
