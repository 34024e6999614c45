"""The `digest` verb: one e-mail-ready HTML file of the messages published since a date.

E-mail clients ignore stylesheets and scripts and cannot follow relative
links, so the digest is a table layout with inline styles in the brand
colours, absolute links from `base_url` and images by absolute URL, plus a
plain-text part beside it (FILE.txt). It builds the site in memory for the
audience asked for, so it can only show what that build publishes.
"""

from __future__ import annotations

import os
import posixpath
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .build import BuildResult, build
from .config import Config, check_option_values, label_for
from .diagnostics import Diagnostics, SiteError, fail
from .foreign import mark_text_languages
from .model import Page
from .options import BuildOptions, ClockError, local_moment
from .output import committed, signals_held, write_file_atomic
from .publish import list_versions, read_manifest, site_folder
from .render.context import format_date, text_direction
from .rules import as_moment
from .theme import TemplateError, load_theme
from .urls import absolute, is_external, page_file, site_address

DEFAULT_DAYS = 7
EXCERPT_CHARS = 320


class DigestUsage(ValueError):
    """A flag of the digest command that cannot be used (exit 2)."""


@dataclass(frozen=True)
class DigestItem:
    """One message as the digest shows it: everything absolute, nothing to resolve later."""

    page: Page
    url: str
    excerpt: str
    image: str | None
    image_alt: str
    date_text: str
    published: datetime
    #: The audiences a message is addressed to, by label ("Filialteams"; the site's cards badge them), else "".
    audiences: str = ""


def parse_since(value: str | None, now: datetime, tz: tzinfo) -> datetime:
    """`--since` as a moment: a date is read as midnight in the site's timezone; default the same
    time of day 7 days ago there (calendar days, not 168 hours: a weekly job at 08:00 local time
    would otherwise miss or repeat an hour across a change to or from daylight saving time). Not
    for an empty `--since "$LAST_RUN"`: that is an error, or the digest would quietly cover
    another week."""
    if value is None:
        return now.astimezone(tz) - timedelta(days=DEFAULT_DAYS)  # same tzinfo: wall-clock arithmetic
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DigestUsage(f"--since {value!r} is not an ISO 8601 date or datetime (e.g. 2026-11-01)") from None
    try:  # like --now: a time the clocks skip is refused, one they show twice is the first
        start = moment if moment.tzinfo else local_moment(moment, tz, f"--since {value!r}")
    except ClockError as exc:
        raise DigestUsage(str(exc)) from None
    if start >= now:  # a slip of the year (2027-11-01): an empty digest would go to everyone
        raise DigestUsage(f"--since {value!r} is not before now ({now.astimezone(tz).isoformat()})")
    return start


def published_at(page: Page, tz: tzinfo) -> datetime:
    """When a message reached readers: its `publish_at` when that is later than its `date`."""
    moment = as_moment(page.meta.date, tz)
    publish_at = getattr(page.meta, "publish_at", None)
    return max(moment, as_moment(publish_at, tz)) if publish_at else moment


@dataclass(frozen=True)
class History:
    """Which pages each published version had (`--dest`), oldest first, so that a message dated
    before it was published counts from when readers could see it: a letter dated 2 November
    and merged on the 20th fell before the week of every digest and was never mailed."""

    versions: tuple[tuple[datetime, frozenset[str]], ...]  # (published, page URLs and source paths)
    #: The audience whose own folder was read; None: the whole site's (no edition of it is published).
    audience: str | None = None

    @classmethod
    def read(cls, dest: Path, audience: str | None, tz: tzinfo) -> "History":
        """The audience's own published folder, else the whole site's: its pages have the same
        addresses, and a team that publishes one site still mails each audience its digest.
        A date without an offset (an edited versions.json) is read in the site's timezone, `tz`,
        as every other: compared with the messages' moments it stopped the digest with
        "internal error: TypeError"."""
        if audience and not (site_folder(dest.absolute(), audience) / "versions.json").exists():
            audience = None
        folder = site_folder(dest.absolute(), audience)
        found = []
        for version in reversed(list_versions(dest, audience)):
            try:
                published = as_moment(datetime.fromisoformat(version.date), tz)
            except ValueError:
                raise fail(str(folder / "versions.json"), None, "IM170", f"version {version.id!r} has no readable "
                           f"date ({version.date!r})") from None
            pages = read_manifest(folder, version.id).values()
            found.append((published, frozenset(str(page.get("url")) for page in pages)
                          | frozenset(str(page.get("source")) for page in pages)))
        return cls(tuple(found), audience)

    def went_live(self, page: Page, dated: datetime, now: datetime) -> datetime:
        """The later of `dated` and the version that added `page`; `now` when no version has it
        yet (it reaches readers with the next publish, so the next digest has it). A page in
        the oldest version kept is as old as its date says: when it came is not known. A renamed
        page is found at its old addresses (`aliases`) too: it was mailed once already."""
        keys = {page.url, page.path, *page.meta.aliases}
        newest_first = self.versions[::-1]
        if newest_first and not keys & newest_first[0][1]:
            return max(dated, now)
        added = next((published for (published, _), (_, earlier) in zip(newest_first, newest_first[1:])
                      if not keys & earlier), None)
        return max(dated, added) if added else dated


def make_digest(config: Config, options: BuildOptions, since: str | None, lang: str | None,
                output: Path, dest: Path | None = None) -> tuple[Diagnostics, int]:
    """Build in memory, select the messages, write FILE and FILE.txt; (diagnostics, message count).
    `dest`: the published folder, whose versions say when each message reached readers."""
    start = parse_since(since, options.now, config.tz)
    check_option_values(config, lang=lang, audience=options.audience)
    lang = lang or config.settings.language
    check_output(config, output)
    history = History.read(dest, options.audience, config.tz) if dest is not None else None
    result = build(config, options)
    if result.diagnostics.has_errors():
        raise SiteError(result.diagnostics)
    if not config.settings.base_url.startswith(("http://", "https://")):
        result.diagnostics.warning(
            config.file, config.line_of("base_url"), "IM153",
            f"base_url {config.settings.base_url!r} is only a path: links in the digest will not work in e-mail",
            hint="set base_url to the full address, e.g. https://intranet.example.com/")
    # With --dest, the links lead where the pages are online: into the audience's own folder when
    # its edition is published, else into the whole site's (every link was a 404 there).
    address = site_address(config.settings.base_url, options.but(audience=history.audience) if history else options)
    items = select(result, lang, start, history, address)
    html, text = render_digest(config, result.diagnostics, lang, items, start, options, absolute(address, _home(result, lang)))
    _write_both({output: html.encode(), text_part(output): text.encode()})
    return result.diagnostics, len(items)


def select(result: BuildResult, lang: str, start: datetime, history: History | None, address: str) -> list[DigestItem]:
    """Published messages in `lang` that went live from `start` up to, not at, the clock: must-read
    first, then newest. The end is left open so that a weekly job whose clock falls exactly on a
    message's moment (midnight, when a message has only a `date`) mails it once, in the next
    digest, which starts there; with both ends closed it was in two digests in a row."""
    assert result.site is not None
    now, tz = result.options.now, result.config.tz
    live = {page.url: history.went_live(page, published_at(page, tz), now) if history else published_at(page, tz)
            for page in result.site.messages(lang)}
    chosen = [page for page in result.site.messages(lang) if start <= live[page.url] < now]
    # Newest by the date each shows (as the site's listings), then by going live: by going live
    # alone, a back-dated message mailed with --dest stood among newer ones, the dates unsorted.
    chosen.sort(key=lambda page: (not page.meta.must_read, -page.date.toordinal(), -live[page.url].timestamp(), page.url))
    return [_item(result, page, lang, live[page.url], address) for page in chosen]


def _item(result: BuildResult, page: Page, lang: str, live: datetime, base: str) -> DigestItem:
    bits = _PageBits(result.outputs.files.get(page.file, b"").decode("utf-8", "replace"))
    excerpt = page.meta.summary or bits.first_paragraph or page.plain_text
    image = None
    if bits.hero_src and not is_external(bits.hero_src):
        image = absolute(base, posixpath.normpath(posixpath.join(posixpath.dirname(page.file), unquote(bits.hero_src))))
    labels = {audience.id: label_for(audience.label, lang) for audience in result.config.settings.audiences}
    audiences = ", ".join(labels.get(audience, audience) for audience in page.meta.audiences or ())
    return DigestItem(page, absolute(base, page.url), _shorten(excerpt), image, page.meta.image_alt or "",
                      format_date(page.date, lang), live, audiences)


def _shorten(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[:EXCERPT_CHARS].rsplit(" ", 1)[0].rstrip(",.;:–-") + " …"


class _PageBits(HTMLParser):
    """The hero image and the first paragraph of the body, read from a built page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.hero_src: str | None = None
        self.first_paragraph = ""
        self._prose_depth = 0
        self._in_paragraph = False
        self._done = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        if tag == "img" and "hero-image" in classes and self.hero_src is None:
            self.hero_src = values.get("src")
        if tag == "div" and "prose" in classes:
            self._prose_depth = 1
        elif tag == "div" and self._prose_depth:
            self._prose_depth += 1
        if tag == "p" and self._prose_depth and not self._done:
            self._in_paragraph = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._prose_depth:
            self._prose_depth -= 1
        if tag == "p" and self._in_paragraph:
            self._in_paragraph, self._done = False, bool(self.first_paragraph.strip())

    def handle_data(self, data: str) -> None:
        if self._in_paragraph:
            self.first_paragraph += data


def render_digest(config: Config, diagnostics: Diagnostics, lang: str, items: list[DigestItem],
                  start: datetime, options: BuildOptions, home_url: str) -> tuple[str, str]:
    """The HTML part (theme template digest.html) and the plain-text part; `home_url` absolute."""
    theme = load_theme(config, diagnostics)
    if theme is None or theme.env is None:
        raise SiteError(diagnostics)
    settings = config.settings
    strings = theme.strings_for(lang)
    audience = next((a for a in settings.audiences if a.id == options.audience), None)
    values: dict[str, Any] = {
        "site": settings, "lang": lang, "dir": text_direction(lang), "t": strings, "items": items,
        "colors": settings.brand.colors, "home_url": home_url,
        # Dates as readers' calendars have them: the clock is often UTC (CI), a day behind at night.
        "since_text": format_date(start.astimezone(config.tz), lang),
        "now_text": format_date(options.now.astimezone(config.tz), lang),
        "audience": label_for(audience.label, lang) if audience else None,
        "feedback": settings.feedback,
    }
    try:
        html = theme.env.get_template("digest.html").render(values)
    except TemplateError as exc:
        raise fail("<template>", getattr(exc, "lineno", None), "IM040", f"template error in digest.html: {exc}") from None
    return mark_text_languages(html), plain_text(values)


def _home(result: BuildResult, lang: str) -> str:
    """The home page of `lang`, else the site's: a language with no page in this build (in an
    audience's edition, say) has no home, and the digest's link to it would lead nowhere."""
    prefix = "" if lang == result.config.settings.language else f"{lang}/"
    return prefix if page_file(prefix) in result.outputs else ""


def plain_text(values: dict[str, Any]) -> str:
    """The text/plain alternative: the same messages, one block each, URLs spelled out."""
    t, site = values["t"], values["site"]
    title = t.get("digest_title", "Digest")
    lines = [f"{site.brand.name} · {site.title}", title + (f" – {values['audience']}" if values["audience"] else ""),
             t.get("digest_period", "{since} – {now}").replace("{since}", values["since_text"])
             .replace("{now}", values["now_text"]), ""]
    if not values["items"]:
        lines += [t.get("digest_empty", "No new messages."), ""]
    for item in values["items"]:
        flag = f"[{t.get('must_read', 'Must read').upper()}] " if item.page.meta.must_read else ""
        meta = item.page.meta  # the date line as the HTML part has it: "20. April 2026 · Name, Role"
        byline = f" · {meta.author}" + (f", {meta.role}" if meta.role else "") if meta.author else ""
        byline += f" · {t.get('for_audience', 'For')}: {item.audiences}" if item.audiences else ""
        lines += [f"{flag}{item.page.title}", item.date_text + byline, item.excerpt, item.url, ""]
    lines.append(values["home_url"])
    if values["feedback"]:
        lines.append(f"{t.get('feedback', 'Feedback')}: {values['feedback']}")
    return "\n".join(lines) + "\n"


def text_part(output: Path) -> Path:
    return output.with_name(output.name + ".txt")


def check_output(config: Config, output: Path) -> None:
    """Refuse to overwrite the site's own files or a file that is no earlier digest: `-o site.yaml`
    or `-o content/messages/x.md` (a slip of tab completion) replaced them without a word.
    An earlier digest is an HTML file; its plain-text part goes with it."""
    diagnostics = Diagnostics()
    sources = [config.path.resolve(), config.content_dir.resolve(), (config.root / "themes").resolve()]
    earlier_digest = _is_html(output)
    for path in (output, text_part(output)):
        target = path.resolve()
        if any(target == source or target.is_relative_to(source) for source in sources):
            diagnostics.error(str(path), None, "IM050", "refusing to write the digest among the site's own files "
                              "(site.yaml, content/, themes/)", hint="write it elsewhere, e.g. -o digest.html")
            break
        if path.exists() and not earlier_digest:
            what = "is not HTML" if path == output else f"is not the plain-text part of a digest {output.name}"
            diagnostics.error(str(path), None, "IM050", f"refusing to overwrite a file that is no earlier digest: it {what}",
                              hint="choose another FILE, or remove this one first if it may go")
    if diagnostics.errors:
        raise SiteError(diagnostics)


def _is_html(path: Path) -> bool:
    try:
        with open(path, "rb") as stream:
            head = stream.read(512).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    except OSError:
        return False
    return head.startswith((b"<!doctype html", b"<html"))


def _write_both(files: dict[Path, bytes]) -> None:
    """Write the HTML and its plain-text part, both or neither, like a build: each is staged beside
    its target, then both are renamed with Ctrl-C held, and a rename that fails puts the file
    already renamed back. Written one after the other, a Ctrl-C or a full disk in between left
    this week's HTML beside last week's text, which a mailer would send together."""
    for path in files:
        if not path.absolute().parent.is_dir():
            raise fail(str(path), None, "IM050", "its folder does not exist", hint="create the folder first, or write elsewhere")
    staged: dict[Path, Path] = {}
    path = next(iter(files))
    try:
        for path, data in files.items():
            _stage(staged, path, data)
        with signals_held():
            _replace_together(staged)
            committed.append(next(iter(files)))
    except OSError as exc:  # a failed rename names its target second; a failed write, the file staged last
        where = exc.filename2 or path
        raise fail(str(where), None, "IM050", f"cannot write the digest: {exc.strerror or exc}") from None
    finally:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)


def _stage(staged: dict[Path, Path], path: Path, data: bytes) -> None:
    """`data` in a new file beside `path` (0644, as a build writes), noted in `staged` before a
    byte is written, so that a failure or Ctrl-C while writing leaves no temporary file behind."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.absolute().parent)
    staged[path] = Path(name)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.chmod(name, 0o644)


def _replace_together(staged: dict[Path, Path]) -> None:
    """Rename each staged file over its target; if one rename fails, the targets already replaced
    get their old bytes back (or go, if they were new), so none of them changed."""
    previous = {path: path.read_bytes() if path.is_file() else None for path in staged}
    replaced: list[Path] = []
    try:
        for path, temporary in staged.items():
            os.replace(temporary, path)
            replaced.append(path)
    except BaseException:
        for path in replaced:
            if previous[path] is None:
                path.unlink(missing_ok=True)
            else:
                write_file_atomic(path, previous[path])
        raise
