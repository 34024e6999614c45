"""The dev server's fast path: a body edit shown before the full rebuild ends.

A full rebuild renders every page again, which takes seconds on a site of
thousands of pages. When a burst of changes touched one Markdown file of a
published single-file page and its front matter stayed the same, that page's
own file is rendered again with the last build's context (theme, site model,
links), and `serve` shows it at once. The full rebuild runs right after it
and replaces it; pages whose bytes it changes are reloaded then. Anything
else (another kind of change, a new error) returns None and simply waits for
the full rebuild, which stays the only source of truth.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .build import BuildResult
from .cache import Cache
from .content import load_content
from .diagnostics import Diagnostics
from .model import Page
from .output import OutputSet
from .render import render_job
from .sources import SourceFile, kind_of, read_text

#: Content types whose page is one Markdown file rendered by one job.
SINGLE_FILE_KINDS = ("message", "training", "page")


def rerender(last: BuildResult, changed: Path) -> tuple[str, bytes] | None:
    """(output file, HTML) of the page `changed` belongs to, or None when a full rebuild must decide."""
    if last.render is None or not last.ok:
        return None
    ctx, jobs = last.render
    config = last.config
    try:
        rel = changed.resolve().relative_to(config.content_dir.resolve()).as_posix()
    except (OSError, ValueError):
        return None
    old = ctx.site.by_rel.get(rel)
    if old is None or old.kind not in SINGLE_FILE_KINDS or len(old.parts) != 1:
        return None
    job = next((job for job in jobs if job.page is old), None)
    if job is None:
        return None
    diagnostics = Diagnostics()
    text = read_text(changed, old.path, diagnostics, max_bytes=config.max_file_bytes)
    if text is None:
        return None
    content = load_content(config, [SourceFile(rel, old.path, kind_of(rel), str(changed), text)],
                           Cache(config.root / config.settings.cache_dir), diagnostics)
    if diagnostics.has_errors() or len(content.pages) != 1:
        return None
    new = content.pages[0]
    if (new.meta, new.url, new.lang) != (old.meta, old.url, old.lang):
        return None  # listings, feeds and links may change: only the full rebuild knows
    if _outline(new) != _outline(old):
        return None  # a module's lesson list, and anchors other pages link to, come from the headings
    if not _images(new) <= _images(old):
        return None  # a new picture is not served yet, and the page would keep its broken image
    scratch = dataclasses.replace(ctx, outputs=OutputSet(), diagnostics=diagnostics, used_files=set())
    render_job(scratch, dataclasses.replace(job, page=new))
    if diagnostics.has_errors() or job.file not in scratch.outputs.files:
        return None
    return job.file, scratch.outputs.files[job.file]


def _images(page: Page) -> set[str]:
    return {ref.target for part in page.parts for ref in part.rendered.images}


def _outline(page: Page) -> list[tuple[int, str, str]]:
    return [(heading.level, heading.text, heading.id) for heading in page.headings]
