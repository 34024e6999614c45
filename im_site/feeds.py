"""Machine-readable outputs: Atom feeds per language, sitemap.xml, manifest.json.

Feeds and the sitemap carry absolute URLs from `base_url` in folder form; the
manifest lists every published content page with a hash of its HTML, which
is what `diff` and "What's new" compare between versions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from .model import Page
from .pagecache import hashes_of
from .render.bodies import alias_files, page_html
from .render.context import Job, RenderContext, folder_url
from .rules import as_moment
from .urls import absolute, quote_path

FEED_ENTRIES = 50


def feed_jobs(ctx: RenderContext) -> list[Job]:
    """One Atom feed per language that has messages."""
    jobs = []
    for lang in ctx.config.languages:
        messages = ctx.site.messages(lang)[:FEED_ENTRIES]
        if not messages:
            continue
        file = ctx.lang_prefix(lang) + "feed.xml"
        entries = [FeedEntry.of(ctx, page) for page in messages]
        jobs.append(Job(file, "feed.xml", lang, f"feed ({lang})", {
            "entries": entries, "feed_url": ctx.absolute(file),
            "home_url": ctx.absolute(ctx.lang_prefix(lang)),
            "updated": max(entry.updated for entry in entries)}))
    return jobs


@dataclass(frozen=True)
class FeedEntry:
    """A feed entry whose HTML is filled in when the feed is rendered (after every file is planned).

    Its repr shows the page, URL and time (the page cache keys feeds by it); the context it
    renders with is marked `derived`: what it contributes is in the cache's site key.
    """

    page: Page
    url: str
    updated: str
    ctx: RenderContext = field(repr=False, compare=False, metadata={"derived": True})

    @classmethod
    def of(cls, ctx: RenderContext, page: Page) -> "FeedEntry":
        updated = as_moment(page.meta.date, ctx.config.tz).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls(page, ctx.absolute(page.url), updated, ctx)

    @property
    def content(self) -> str:
        """Plain text to the template, so that the XML escapes the HTML once (Atom type="html")."""
        return str.__str__(page_html(self.ctx, self.page))


def sitemap(ctx: RenderContext) -> bytes:
    """Every HTML page of the build (not 404), absolute, sorted."""
    aliases = alias_files(ctx)
    urls = sorted(folder_url(path) for path in ctx.outputs.files
                  if path.endswith("index.html") and not path.startswith(("media/", "assets/")) and path not in aliases)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    root = absolute(ctx.address, "")  # every URL is this and the page's quoted path (`absolute`), made once
    lines += [f"  <url><loc>{_xml(root + quote_path(url))}</loc></url>" for url in urls]
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode()


def _xml(text: str) -> str:
    if "&" not in text and "<" not in text and ">" not in text:  # every URL of most sites: three searches, no copies
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def manifest(ctx: RenderContext, next_change: datetime | None) -> bytes:
    """manifest.json: the published content pages and when the schedule changes next."""
    files = ctx.outputs.files
    pages = [page for page in ctx.site.pages if page.file in files]  # in URL order, as the site keeps them
    data: dict[str, Any] = {
        "generator": "im-site",
        "version": ctx.options.version,
        "audience": ctx.options.audience,
        "next_change": next_change.isoformat() if next_change else None,
        "pages": [_manifest_entry(ctx, page).encode() for page in pages],
    }
    return _json_lines(data)


#: One encoder for the top-level values: `json.dumps` with options makes a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def _json_lines(data: dict[str, Any]) -> bytes:
    """JSON with a line per key and per page entry (written as JSON and encoded by `_manifest_entry`):
    readable, and written by the C encoder (an indented dump goes through the pure-Python one: a
    second for 10,000 pages). Joined as bytes once: encoding the whole 6 MB text and the copies that
    joining it line by line made took about 30 ms of CPU more at 10,000 pages (timeit)."""
    pieces: list[bytes] = []
    for key in sorted(data):
        value = data[key]
        pieces.append(f"{',' if pieces else '{'}\n {json.dumps(key)}: ".encode())
        if key == "pages" and value:
            pieces += [b"[\n  ", b",\n  ".join(value), b"\n ]"]
        else:
            pieces.append(_ENCODER.encode(value).encode())
    pieces.append(b"\n}\n")
    return b"".join(pieces)


def _manifest_entry(ctx: RenderContext, page: Page) -> str:
    """A page's entry as one line of JSON, its keys in sorted order, as `json.dumps(entry,
    ensure_ascii=False, sort_keys=True)` writes it (tests/test_core.py holds that): each string
    goes through json's own C escaper. Measured at 10,000 pages: the entries took about 0.07 s of
    CPU instead of 0.11 s with a dict per page and `JSONEncoder.encode` (its call and key sorting)."""
    fields = page.meta.__dict__  # a model's fields (getattr on a missing one raises inside pydantic: slow)
    date, file = fields.get("date"), page.file
    sha, content = hashes_of(ctx, file)
    return (f'{{"audiences": {_strings(page.audiences)}, "content_hash": {_string(content)}, '
            f'"date": {_string(date.isoformat()) if date else "null"}, "file": {_string(file)}, '
            f'"hash": {_string(sha)}, "lang": {_string(page.lang)}, '
            f'"must_read": {"true" if fields.get("must_read", False) else "false"}, '
            f'"pillars": {_strings(page.pillars)}, "source": {_string(page.path)}, '
            f'"source_hash": {_string(page.source_hash)}, "title": {_string(page.title)}, '
            f'"translation_key": {_string(page.translation_key)}, "type": {_string(page.kind)}, '
            f'"url": {_string(page.url)}}}')


#: A JSON string literal, non-ASCII kept (json's C function, which `ensure_ascii=False` uses).
_string = encode_basestring


def _strings(values: list[str]) -> str:
    return "[" + ", ".join(map(_string, values)) + "]" if values else "[]"  # most pages: no audiences
