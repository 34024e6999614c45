"""Rebuilds with the cache: reused pages (pagecache.py) and the in-place update of the output
(update.py) must give exactly the bytes of a clean build, after every kind of edit."""

from __future__ import annotations

import io
import json
import marshal
import os
import pickle
import re
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import NOW, build_site, said, shrink_photos, snapshot_tree
from PIL import Image

from im_site import frontmatter, sources, update
from im_site.build import build
from im_site.cache import Cache, Cached, digest, text_key
from im_site.config import load_config
from im_site.content import SourceIndex, _decode
from im_site.options import RACY_NS, BuildOptions, read_clock
from im_site.pagecache import _PAGE_REPR, LISTINGS, PageCache, _load, faithful, pages_in

REPO = Path(__file__).resolve().parent.parent

MESSAGE = "content/messages/2026-01-frische-versprechen.md"
LESSON = "content/training/marke-im-alltag/02-frische-sichtbar-machen.md"
UNLINKED = "content/messages/2026-06-rampenkarte.md"  # no other page links to it


@pytest.fixture
def cold_demo(tmp_path: Path, monkeypatch) -> Path:
    """The demo's sources, never built: for the tests of what a first build (an empty cache) does."""
    # Files here were all written a moment ago, and a source is only taken as unchanged by its
    # stamp once it is MARGIN_NS old: no margin, so that every rebuild below goes that way.
    monkeypatch.setattr(SourceIndex, "MARGIN_NS", -60 * 10**9)
    return _demo_sources(tmp_path / "demo")


def _demo_sources(root: Path) -> Path:
    root.mkdir(parents=True)
    # A full base_url, so that messages and modules have social cards, replayed with their pages.
    site_yaml = (REPO / "site.yaml").read_text(encoding="utf-8")
    (root / "site.yaml").write_text(re.sub(r"(?m)^base_url: /", "base_url: https://intranet.frischmarkt.example/", site_yaml),
                                    encoding="utf-8")
    for folder in ("content", "themes"):
        shutil.copytree(REPO / folder, root / folder)
    shrink_photos(root / "content/assets/images")  # the reuse and in-place updates to check, without encoding 1600-pixel variants
    return root


@pytest.fixture(scope="session")  # not module: tests of several files may take turns on one process
def _demo_cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(where every `demo` is, a copy of the demo's sources and the cache a build there left).

    A cold build of the demo costs several seconds: once per test process here. The cache keys
    its pages by the site's absolute folder, so every test of this process gets its copy at
    that one folder (tests of one process run one after another)."""
    place = tmp_path_factory.getbasetemp() / "incremental" / "demo"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SourceIndex, "MARGIN_NS", -60 * 10**9)
        result = build_site(_demo_sources(place))
    assert result.exit_code == 0, result.stderr
    template = tmp_path_factory.mktemp("demo-cache") / "demo"
    shutil.copytree(place, template, symlinks=True, ignore=shutil.ignore_patterns("_site"))
    return place, template


@pytest.fixture
def demo(_demo_cache: tuple[Path, Path], monkeypatch) -> Path:
    """The demo's sources, never built in this folder, with the cache an earlier build of the same
    sources at the same folder left: sources, images, pages and search terms come from the cache,
    but its record of source stamps and of the output folder does not fit these new files, so
    the test's first build reads every source and writes the whole output, as a cold one does."""
    monkeypatch.setattr(SourceIndex, "MARGIN_NS", -60 * 10**9)  # as in `cold_demo`
    place, template = _demo_cache
    if place.exists():  # the last test's copy; a tree it replaced may still be being deleted in the background
        gone = place.with_name(f".gone-{os.getpid()}-{time.monotonic_ns()}")
        place.rename(gone)
        shutil.rmtree(gone, ignore_errors=True)
    shutil.copytree(template, place, symlinks=True)
    assert not (place / "_site").exists()
    return place


def clean_build(root: Path, folder: Path, *args: str) -> dict[str, bytes]:
    """The same sources built with no cache into a new folder."""
    kept = root / ".kept-cache"
    (root / ".im-site-cache").rename(kept)
    try:
        result = build_site(root, "-o", str(folder), *args)
        assert result.exit_code == 0, result.stderr
    finally:
        shutil.rmtree(root / ".im-site-cache", ignore_errors=True)
        kept.rename(root / ".im-site-cache")
    return snapshot_tree(folder)


def _edit(path: Path, change: Callable[[str], str]) -> None:
    text = path.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text, path
    path.write_text(changed, encoding="utf-8")


EDITS: dict[str, Callable[[Path], None]] = {
    "body": lambda root: _edit(root / MESSAGE, lambda t: t + "\nEin neuer Absatz am Ende.\n"),
    "title": lambda root: _edit(root / MESSAGE, lambda t: t.replace(
        'title: "Unser Frische-Versprechen beginnt bei uns"', 'title: "Frische beginnt bei uns"')),
    "heading": lambda root: _edit(root / MESSAGE, lambda t: t.replace("## Wo wir heute stehen", "## Wo wir stehen")),
    "lesson": lambda root: _edit(root / LESSON, lambda t: t + "\nNoch ein Satz zur Lektion.\n"),
    "template": lambda root: _edit(root / "themes/frischmarkt/templates/base.html",
                                   lambda t: t.replace("brand-frischmarkt", "brand-frischmarkt brand-neu")),
    "site.yaml": lambda root: _edit(root / "site.yaml", lambda t: re.sub(r"(?m)^title: .*$", "title: Frischmarkt Intern", t, count=1)),
    "image": lambda root: shutil.copy(root / "content/assets/images/team-anerkennung.jpg",
                                      root / "content/assets/images/obst-und-gemuese.jpg"),
    "prerequisite title": lambda root: _edit(root / "content/training/frische-erklaeren.md", lambda t: t.replace(
        'title: "Frische erklären"', 'title: "Frische gut erklären"')),
    # A module's lessons, quiz, fingerprint and notices are made where it renders, not in its key
    # (training.module_values): each edit they come from must still reach its page, its translation's
    # and the catalogues' (the translation shows its original's fingerprint).
    "quiz answer": lambda root: _edit(root / "content/training/frische-erklaeren.md", lambda t: t.replace(
        "    answer: 1\n", "    answer: 2\n", 1)),
    "pass mark": lambda root: _edit(root / "content/training/frische-erklaeren.md", lambda t: t.replace(
        "prerequisites: []\n", "prerequisites: []\npass_mark: 60\n")),
    "review due": lambda root: _edit(root / "content/training/marke-im-alltag/index.md", lambda t: t.replace(
        "review_by: 2027-06-30", "review_by: 2026-01-31")),
    "lesson title": lambda root: _edit(root / "content/training/marke-im-alltag/01-markenversprechen.md",
                                       lambda t: t.replace("in einem Satz", "in drei Worten", 1)),
    "original's new lesson": lambda root: (root / "content/training/marke-im-alltag/04-zusammenfassung.md").write_text(
        "---\ntitle: Zusammenfassung\n---\nFrisch, ehrlich, nah.\n", encoding="utf-8"),
    "quiz texts": lambda root: _edit(root / "themes/frischmarkt/theme.yaml", lambda t: t.replace(
        "  de:\n", "  de:\n    quiz_right: Genau richtig.\n", 1)),
    "kpi value": lambda root: _edit(root / "content/kpis/2026-Q2.md", lambda t: t.replace(
        "employee_satisfaction: 70.2", "employee_satisfaction: 71.4")),
    "new page": lambda root: (root / "content/messages/2026-11-neu.md").write_text(
        "---\ntitle: Ganz neu\ndate: 2026-11-20\npillars: [communication]\n---\nNeu hier.\n", encoding="utf-8"),
    "removed page": lambda root: [(root / UNLINKED).unlink(), (root / UNLINKED.replace(".md", ".en.md")).unlink()],
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_cached_rebuild_after_an_edit_equals_a_clean_build(demo, tmp_path, edit):
    assert build_site(demo).exit_code == 0
    untouched = demo / "_site/ueber-internes-marketing/index.html"
    inode = untouched.stat().st_ino
    EDITS[edit](demo)
    result = build_site(demo, "-v")
    assert result.exit_code == 0, result.stderr
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")
    if edit in ("body", "lesson", "title", "prerequisite title"):  # most pages do not show it: reused
        assert re.search(r"\(\d+ pages reused from the cache", result.stderr), result.stderr
    if edit not in ("template", "site.yaml"):  # most files unchanged: the folder is updated in place
        assert re.search(r"\d+ files? changed in place\)", result.stderr), result.stderr
        assert untouched.stat().st_ino == inode  # untouched files are not even rewritten
    if edit == "removed page":
        assert not (demo / "_site/messages/2026-06-rampenkarte").exists()  # its folder is gone too


def test_one_body_edit_renders_one_page_and_writes_few_files(demo):
    assert build_site(demo).exit_code == 0
    again = build_site(demo, "-v")
    pages = int(re.search(r"\((\d+) pages reused", again.stderr).group(1))
    assert "0 files changed in place" in again.stderr  # nothing changed, nothing written
    EDITS["body"](demo)
    result = build_site(demo, "-v")
    # Rendered again: the page, its English translation (which tells whether its original changed
    # since) and the listings and feeds that hold either; everything else is reused.
    reused = int(re.search(r"\((\d+) pages reused", result.stderr).group(1))
    assert pages - 30 <= reused <= pages - 2
    written = int(re.search(r"(\d+) files? changed in place", result.stderr).group(1))
    assert 1 <= written <= 11  # the page, and the feeds, search shards, snippet text file and manifest that hold its text


def test_translation_status_follows_an_edit_of_the_original(make_site, tmp_path):
    """A translation's page shows whether its original changed: it depends on another page's body."""
    root = make_site({
        "content/messages/info.md": "---\ntitle: Info\ndate: 2026-01-05\n---\nErster Text.\n",
        "content/messages/info.en.md": "---\ntitle: Info EN\ndate: 2026-01-05\n---\nFirst text.\n",
    })
    assert build_site(root).exit_code == 0
    pages = json.loads((root / "_site/manifest.json").read_text())["pages"]
    recorded = next(entry["source_hash"] for entry in pages if entry["source"] == "content/messages/info.md")
    _edit(root / "content/messages/info.en.md", lambda t: t.replace("date: 2026-01-05", f"date: 2026-01-05\ntranslated_from: '{recorded}'"))
    assert build_site(root).exit_code == 0
    fresh = (root / "_site/en/messages/info/index.html").read_text()
    _edit(root / "content/messages/info.md", lambda t: t.replace("Erster Text.", "Geänderter Text."))
    result = build_site(root)
    assert result.exit_code == 0 and "IM151" in result.stderr
    stale = (root / "_site/en/messages/info/index.html").read_text()
    assert stale != fresh
    assert snapshot_tree(root / "_site") == clean_build(root, tmp_path / "clean")
    # The notice names the original by its title: a new title there shows on the translation.
    _edit(root / "content/messages/info.md", lambda t: t.replace("title: Info", "title: Neue Info"))
    assert build_site(root).exit_code == 0
    assert "Neue Info" in (root / "_site/en/messages/info/index.html").read_text()
    assert snapshot_tree(root / "_site") == clean_build(root, tmp_path / "clean2")


HAND_CHANGES: dict[str, Callable[[Path], object]] = {
    "page and file at the top": lambda site: [(site / "markenwerte/index.html").write_text("von Hand geändert"),
                                              (site / "fremd.txt").write_text("nicht von im-site")],
    # Found by their folders' times (update._as_left): no folder is listed to look for them.
    "file deep down": lambda site: (site / "messages/2026-01-frische-versprechen/notiz.txt").write_text("fremd"),
    "empty folder deep down": lambda site: (site / "messages/2026-01-frische-versprechen/leer").mkdir(),
    "file renamed": lambda site: (site / "markenwerte/index.html").rename(site / "markenwerte/alt.html"),
    "file removed": lambda site: (site / "markenwerte/index.html").unlink(),
    "folder replaced by a link": lambda site: [shutil.rmtree(site / "markenwerte"),
                                               (site / "markenwerte").symlink_to(site / "messages")],
}


@pytest.mark.parametrize("change", sorted(HAND_CHANGES))
def test_output_changed_by_hand_is_rewritten_whole(demo, tmp_path, change, monkeypatch):
    assert build_site(demo).exit_code == 0
    monkeypatch.setattr(update, "RACY_NS", 0)  # as if the build were long past: no folder is listed
    HAND_CHANGES[change](demo / "_site")
    result = build_site(demo, "-v")
    assert result.exit_code == 0
    assert "changed in place" not in result.stderr  # the folder was not as recorded: replaced whole
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")
    assert "changed in place" in build_site(demo, "-v").stderr  # and recorded again


def test_a_file_added_within_the_folders_clock_tick_is_found(demo, tmp_path):
    """A file added to a folder in the same tick of the file system's clock as the build's last
    write there leaves the folder's time as it was (kernels before 6.13 keep coarse times): a
    folder changed that close to the record is listed. (Those of a full write are set back in
    time before they are recorded: `test_a_full_write_leaves_no_folder_to_list`.)"""
    assert build_site(demo).exit_code == 0
    EDITS["body"](demo)  # written in place, in this folder
    assert "changed in place" in build_site(demo, "-v").stderr
    folder = demo / "_site/messages/2026-01-frische-versprechen"
    before = folder.stat()
    (folder / "notiz.txt").write_text("fremd")
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))  # the same tick
    result = build_site(demo, "-v")
    assert result.exit_code == 0 and "changed in place" not in result.stderr
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")


def test_a_full_write_leaves_no_folder_to_list(demo, tmp_path):
    """A full write sets its folders' times back as it records them (update.scan):
    written moments before the record, each was within RACY_NS of it, and the next update listed
    them all (80 ms of CPU at 10,000 pages). A file added after the write still gives its folder
    the time of the file system's clock, and is found."""
    assert build_site(demo).exit_code == 0
    _, folders, saved_ns = update._recall(Cache(demo / ".im-site-cache"), demo / "_site")
    assert len(folders) > 10
    assert [folder for folder, (mtime, _) in folders.items() if mtime >= saved_ns - RACY_NS] == [""]  # renamed into place
    (demo / "_site/messages/2026-01-frische-versprechen/notiz.txt").write_text("fremd")
    result = build_site(demo, "-v")
    assert result.exit_code == 0 and "changed in place" not in result.stderr
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")


@pytest.mark.parametrize("older", ["files only", "pickled"])
def test_an_older_record_of_the_output_writes_it_whole_and_records_it_again(demo, tmp_path, older):
    """A record of the files alone (before folders were recorded too) is not trusted, nor one that
    an earlier im-site pickled (the record is marshalled since: a third of the time to store)."""
    assert build_site(demo).exit_code == 0
    with sqlite3.connect(demo / ".im-site-cache" / Cache.FILE) as db:
        (value,) = db.execute("SELECT value FROM entries WHERE namespace = 'output'").fetchone()
        files, folders, saved_ns = marshal.loads(value)
        assert "" in folders and "messages/2026-01-frische-versprechen" in folders
        record = marshal.dumps(files) if older == "files only" else pickle.dumps((files, folders, saved_ns))
        db.execute("UPDATE entries SET value = ? WHERE namespace = 'output'", (record,))
    EDITS["body"](demo)
    result = build_site(demo, "-v")
    assert result.exit_code == 0 and "changed in place" not in result.stderr
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")
    assert "0 files changed in place" in build_site(demo, "-v").stderr


def test_no_temporary_files_are_left(demo):
    assert build_site(demo).exit_code == 0
    EDITS["new page"](demo)
    assert build_site(demo).exit_code == 0
    names = [path.name for path in (demo / "_site").rglob("*")]
    assert not [name for name in names if name.endswith((".im-site-new", ".im-site-old"))]


def test_a_failed_build_leaves_the_output_and_the_next_one_updates_it(demo, tmp_path):
    assert build_site(demo).exit_code == 0
    before = snapshot_tree(demo / "_site")
    _edit(demo / MESSAGE, lambda t: t + "\n[kaputt](gibt-es-nicht.md)\n")
    assert build_site(demo).exit_code == 1
    assert snapshot_tree(demo / "_site") == before
    _edit(demo / MESSAGE, lambda t: t.replace("[kaputt](gibt-es-nicht.md)", "[heil](../markenwerte.md)"))
    result = build_site(demo, "-v")
    assert result.exit_code == 0 and "changed in place" in result.stderr
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")


def test_job_values_of_cached_pages_have_faithful_reprs(cold_demo):  # listings and feeds too
    """Pages are keyed by repr(job.values): every value a real build gives a page must show all of itself."""
    config = load_config(cold_demo / "site.yaml")
    options = BuildOptions(cold_demo / "site.yaml", read_clock(NOW), use_cache=False, jobs=1)
    result = build(config, options)
    assert result.ok and result.render is not None
    _, jobs = result.render
    cached = [job for job in jobs if job.page is not None or job.template in LISTINGS]
    assert len(cached) >= 60 and {job.template for job in cached} >= LISTINGS
    for job in cached:
        assert faithful(job.values), job.file
        # A key walks the values for pages only when their repr names one (`_PAGE_REPR`).
        assert _PAGE_REPR in repr(job.values) or not any(pages_in(job.values)), job.file
    assert any(_PAGE_REPR in repr(job.values) for job in cached if job.page is not None)  # prerequisites
    assert not faithful({"x": object()}) and not faithful({1, 2})


def test_the_source_keys_of_every_page_listed_at_once_are_each_pages_own(cold_demo):
    """`replay` lists every page's source keys translation by translation (`_every_page_sources`):
    the same texts as `_sources` makes for one page, its own files' keys then its translations'."""
    config = load_config(cold_demo / "site.yaml")
    result = build(config, BuildOptions(cold_demo / "site.yaml", read_clock(NOW), use_cache=False, jobs=1))
    assert result.ok and result.render is not None
    ctx, _ = result.render
    at_once, one_by_one = PageCache(ctx, Cache(None)), PageCache(ctx, Cache(None))
    at_once._every_page_sources()
    assert set(at_once._by_page) == {page.path for page in ctx.site.pages}
    for page in ctx.site.pages:
        assert at_once._by_page[page.path] == one_by_one._sources(page), page.path
    assert any(len(page.parts) > 1 for page in ctx.site.pages)  # a module with lessons
    assert any(ctx.site.translations_of(page) for page in ctx.site.pages)


def test_page_keys_tell_every_list_of_texts_apart():
    """text_key joins texts by NULs, and takes `digest` when a text holds one: no two lists meet."""
    lists = (["a", "b"], ["a\0b"], ["a\0", "b"], ["a", "\0b"], ["ab"], ["a", "", "b"], [], [""], ["", ""],
             ["\0\0\0\0\0\0\0\x01a"])
    assert len({text_key(texts) for texts in lists}) == len(lists)
    assert text_key(["a", "b"]) == text_key(["a", "b"]) != digest("a", "b")


def test_pages_a_first_build_keyed_in_its_children_are_all_replayed(cold_demo, monkeypatch):
    """With an empty page cache each page's key is made by the process rendering it; the next
    build makes them in one process and must find every page the first one stored."""
    import sqlite3

    from im_site import parallel

    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)  # children even for the demo
    assert build_site(cold_demo).exit_code == 0
    with sqlite3.connect(cold_demo / ".im-site-cache" / Cache.FILE) as db:
        stored = db.execute("SELECT COUNT(*) FROM entries WHERE namespace = 'pages'").fetchone()[0]
    again = build_site(cold_demo, "-v")
    assert stored >= 60 and f"({stored} pages reused" in again.stderr


def test_front_matter_and_bodies_come_back_from_the_cache_as_parsed(cold_demo):
    """Models pickle as their values and a mask of the fields given, bodies' headings and links
    as plain tuples (schema.py, markdown.py): every page of the demo survives the round trip."""
    import pickle

    from im_site.markdown import Heading, Reference

    config = load_config(cold_demo / "site.yaml")
    result = build(config, BuildOptions(cold_demo / "site.yaml", read_clock(NOW), use_cache=False, jobs=1))
    pages = result.content.pages
    assert len(pages) > 40
    for page in pages:
        meta = pickle.loads(pickle.dumps(page.meta, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(meta) is type(page.meta) and meta == page.meta, page.path
        assert meta.model_fields_set == page.meta.model_fields_set
        assert meta.model_dump(exclude_unset=True) == page.meta.model_dump(exclude_unset=True)
        with pytest.raises(ValueError):
            meta.title = "changed"  # still frozen
        for part in page.parts:
            rendered = pickle.loads(pickle.dumps(part.rendered, protocol=pickle.HIGHEST_PROTOCOL))
            assert rendered == part.rendered and rendered.html == part.rendered.html
            assert all(type(heading) is Heading for heading in rendered.headings)
            assert rendered.heading_ids == " ".join(heading.id for heading in rendered.headings)  # the site key reads these
            assert all(type(ref) is Reference for ref in rendered.links + rendered.images + rendered.kpis)
    assert any(page.meta.model_fields_set and page.parts[0].rendered.headings for page in pages)


def test_front_matter_comes_back_from_the_cache_entries_value_for_value(cold_demo, monkeypatch):
    """Entries hold the front matter marshalled, a date as its day number, a quiz's items as their
    own values and a date with a time pickled (schema.plain_values): a build that takes every
    source from the cache has the models a build without the cache parsed, type for type."""
    import datetime

    from im_site import content

    config = load_config(cold_demo / "site.yaml")
    parsed = build(config, BuildOptions(cold_demo / "site.yaml", read_clock(NOW), use_cache=False, jobs=1)).content
    build(config, BuildOptions(cold_demo / "site.yaml", read_clock(NOW), jobs=1))  # fills the cache

    def unexpected(*args):
        raise AssertionError("a source was parsed again")
    monkeypatch.setattr(content, "_parse", unexpected)
    cached = build(config, BuildOptions(cold_demo / "site.yaml", read_clock(NOW), jobs=1)).content
    assert [page.path for page in cached.pages] == [page.path for page in parsed.pages]
    for page, other in zip(cached.pages, parsed.pages):
        assert type(page.meta) is type(other.meta) and page.meta == other.meta, page.path
        assert repr(page.meta) == repr(other.meta)  # a date is no date with a time, a quiz item no dict
        assert page.meta.model_fields_set == other.meta.model_fields_set
    values = [value for page in cached.pages for value in page.meta.__dict__.values()]
    assert {datetime.date, datetime.datetime, list, dict} <= {type(value) for value in values}
    assert any(page.meta.__dict__.get("quiz") for page in cached.pages)


def test_cache_holds_one_entry_per_page(demo):
    import sqlite3

    assert build_site(demo).exit_code == 0
    for number in range(3):
        _edit(demo / MESSAGE, lambda t, n=number: re.sub(r'(?m)^title: .*$', f'title: "Titel {n}"', t, count=1))
        assert build_site(demo).exit_code == 0
    with sqlite3.connect(demo / ".im-site-cache" / Cache.FILE) as db:
        entries = db.execute("SELECT COUNT(*) FROM entries WHERE namespace = 'pages'").fetchone()[0]
    pages = len(list((demo / "_site").rglob("index.html"))) + len(list((demo / "_site").rglob("feed.xml")))
    assert 30 <= entries <= pages


def test_without_the_cache_the_folder_is_replaced_whole_and_recorded_again(demo, tmp_path):
    assert build_site(demo).exit_code == 0
    shutil.rmtree(demo / ".im-site-cache")
    EDITS["body"](demo)
    result = build_site(demo, "-v")
    assert result.exit_code == 0 and "changed in place" not in result.stderr
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")
    assert "changed in place" in build_site(demo, "-v").stderr


def _paths_passed(monkeypatch, module, name: str) -> list[str]:
    """The paths (second argument) `module.name` is called with from now on."""
    paths, real = [], getattr(module, name)

    def counting(first, path, *args, **kwargs):
        paths.append(path)
        return real(first, path, *args, **kwargs)
    monkeypatch.setattr(module, name, counting)
    return paths


def _reads(monkeypatch) -> list[str]:
    """The content files read as text from now on."""
    return _paths_passed(monkeypatch, sources, "read_text")


def test_unchanged_sources_are_not_read_again(demo, tmp_path, monkeypatch):
    assert build_site(demo).exit_code == 0
    read = _reads(monkeypatch)
    EDITS["body"](demo)
    assert build_site(demo).exit_code == 0
    assert [path for path in read if path.endswith(".md")] == [MESSAGE]
    # An edit that keeps the size and puts the modification time back still shows: the
    # change time moved (no tool can set it back).
    path, before = demo / MESSAGE, (demo / MESSAGE).stat()
    _edit(path, lambda t: t.replace("Ein neuer Absatz am Ende.", "Ein neuer Absatz am Ziel."))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert build_site(demo).exit_code == 0
    assert b"Ein neuer Absatz am Ziel." in (demo / "_site/messages/2026-01-frische-versprechen/index.html").read_bytes()
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")


def test_sources_whose_cache_entry_is_lost_are_read_after_all(demo, tmp_path):
    assert build_site(demo).exit_code == 0
    with sqlite3.connect(demo / ".im-site-cache" / Cache.FILE) as db:  # every parsed source gone
        db.execute("DELETE FROM entries WHERE namespace = 'sources'")
    shutil.rmtree(demo / "_site")
    assert build_site(demo).exit_code == 0
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")


def _damaged(value: bytes, how: str) -> bytes:
    if how == "cut":
        return value[: len(value) // 2]
    if how == "pickled":  # as entries of src-8 and before were
        return pickle.dumps(marshal.loads(value), protocol=pickle.HIGHEST_PROTOCOL)
    entry = marshal.loads(value)  # the source's kind, its front matter's values, mask and other values, ...
    if how == "a value short":
        return marshal.dumps((entry[0], entry[1][:-1], *entry[2:]))
    if how == "a foreign other value":  # one the model's field cannot hold: a list of models in `title`
        return marshal.dumps((*entry[:3], ((0, ((("x",), 1, ()),)),), *entry[4:]))
    if how in ("references not packed", "headings not packed"):  # as an entry of md-10 or md-9 held them
        rendered, field = list(entry[8]), 1 if how.startswith("references") else 2
        rendered[field] = pickle.loads(rendered[field]) if rendered[field] else ()
        return marshal.dumps((*entry[:8], tuple(rendered), *entry[9:]))
    return marshal.dumps(tuple(entry[:9]))  # an entry of another form


@pytest.mark.parametrize("how", ["cut", "pickled", "a value short", "a foreign other value", "another form",
                                 "references not packed", "headings not packed"])
def test_sources_whose_cache_entry_is_damaged_are_read_after_all(demo, tmp_path, how):
    """The entries hold the front matter's values and the body's fields as plain tuples, restored
    by content.py: one that is not what it wrote is a miss, never a page made of the wrong fields."""
    assert build_site(demo).exit_code == 0
    with sqlite3.connect(demo / ".im-site-cache" / Cache.FILE) as db:
        rows = db.execute("SELECT rowid, value FROM entries WHERE namespace = 'sources'").fetchall()
        db.executemany("UPDATE entries SET value = ? WHERE rowid = ?", [(_damaged(value, how), rowid) for rowid, value in rows])
    shutil.rmtree(demo / "_site")
    assert build_site(demo).exit_code == 0
    with sqlite3.connect(demo / ".im-site-cache" / Cache.FILE) as db:  # parsed again, and stored again
        entries = [_decode(value) for (value,) in db.execute("SELECT value FROM entries WHERE namespace = 'sources'")]
    assert all(entries)
    for entry in entries:  # what the entry keeps packed is read only when asked for: of its own form too
        rendered = entry[5]
        assert type(rendered.links + rendered.images + rendered.kpis + rendered.headings) is tuple
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")


def test_a_body_edit_reads_no_replayed_page_from_the_cache(demo, tmp_path, monkeypatch):
    """Replayed pages came back from the cache with their bytes, 38 MB of them at 10,000 pages,
    though the output folder has them already: now only their hashes, their bytes when written."""
    assert build_site(demo).exit_code == 0
    loaded, real = [], Cached.load

    def counting(self):
        loaded.append(self.key)
        return real(self)
    monkeypatch.setattr(Cached, "load", counting)
    EDITS["body"](demo)
    result = build_site(demo, "-v")
    assert result.exit_code == 0 and "changed in place" in result.stderr
    assert loaded == []
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")


def test_pages_whose_stored_form_is_lost_or_damaged_are_never_published_so(demo, tmp_path):
    """A page replayed from the cache is written from the bytes stored under its hash: one pruned
    (by another build of the site sharing the cache) renders again; a damaged one is an error, with
    the previous output left as it was, never a page of garbage."""
    assert build_site(demo).exit_code == 0
    with sqlite3.connect(demo / ".im-site-cache" / Cache.FILE) as db:
        keys = [key for (key,) in db.execute("SELECT key FROM entries WHERE namespace = 'pages-bytes' ORDER BY key")]
        db.execute("DELETE FROM entries WHERE namespace = 'pages-bytes' AND key = ?", (keys[0],))
    shutil.rmtree(demo / "_site")
    assert build_site(demo).exit_code == 0
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")
    before = snapshot_tree(demo / "_site")
    with sqlite3.connect(demo / ".im-site-cache" / Cache.FILE) as db:
        db.execute("UPDATE entries SET value = CAST('rkaputt' AS BLOB) WHERE namespace = 'pages-bytes' AND key = ?", (keys[1],))
    (demo / "_site" / "index.html").write_bytes(b"changed by hand")  # not as the cache recorded it: the whole tree is written
    result = build_site(demo)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "a page in the build cache is damaged: delete the cache folder and build again" in result.stderr
    assert snapshot_tree(demo / "_site") == {**before, "index.html": b"changed by hand"}


def test_damaged_or_old_records_of_pages_render_those_pages_again(demo, tmp_path):
    """A page's record that does not load (damaged, or of an older im-site, which pickled it as a
    dataclass) is a miss: that page renders again; the others are replayed."""
    assert build_site(demo).exit_code == 0
    with sqlite3.connect(demo / ".im-site-cache" / Cache.FILE) as db:
        keys = [key for (key,) in db.execute("SELECT key FROM entries WHERE namespace = 'pages' ORDER BY key")]
        old = pickle.dumps(Cached(None, "pages-bytes", "0" * 32), protocol=pickle.HIGHEST_PROTOCOL)  # a dataclass
        for key, value in zip(keys, (b"kaputt", pickle.dumps((1, 2)), old)):
            db.execute("UPDATE entries SET value = ? WHERE namespace = 'pages' AND key = ?", (value, key))
    result = build_site(demo, "-v")
    assert result.exit_code == 0 and "Traceback" not in result.stderr, result.stderr
    assert f"({len(keys) - 3} pages reused" in result.stderr and "0 files changed in place" in result.stderr
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")
    again = build_site(demo, "-v")  # stored anew
    assert f"({len(keys)} pages reused" in again.stderr and "0 files changed in place" in again.stderr


def test_no_pages_stored_form_is_pruned_while_a_record_names_it(cold_demo, monkeypatch):
    """A build renders in rounds (content pages, then the generated ones), each storing its pages;
    the second round's few pages alone were taken as all there were to keep, and where a site had
    more than a thousand pages every other page's stored form was deleted, so that the next
    rebuild rendered them all again (a body edit at 10,000 pages: 12 s instead of 2)."""
    kept: list[set[str]] = []
    real = Cache.prune

    def watching(self, namespace, keep, slack=3):
        if namespace == "pages-bytes":
            kept.append(set(keep))
        return real(self, namespace, keep, slack)
    monkeypatch.setattr(Cache, "prune", watching)
    assert build_site(cold_demo).exit_code == 0
    with sqlite3.connect(cold_demo / ".im-site-cache" / Cache.FILE) as db:
        named = {_load(value).packed_hash for (value,) in db.execute("SELECT value FROM entries WHERE namespace = 'pages'")}
    assert len(kept) >= 2 and len(named) > 50
    for keep in kept[1:]:  # each prune after the first round keeps what every round stored
        assert named <= keep
    # A rebuild that replays pages keeps the forms their records name (not looked up again) beside
    # those of the pages it rendered anew.
    kept.clear()
    EDITS["body"](cold_demo)
    result = build_site(cold_demo, "-v")
    assert result.exit_code == 0 and "pages reused" in result.stderr, result.stderr
    with sqlite3.connect(cold_demo / ".im-site-cache" / Cache.FILE) as db:
        named = {_load(value).packed_hash for (value,) in db.execute("SELECT value FROM entries WHERE namespace = 'pages'")}
    assert kept and named <= kept[-1]


def test_recently_changed_sources_are_always_read(demo, monkeypatch):
    """Within MARGIN_NS of a build's start, a file can change without changing its stamp."""
    monkeypatch.setattr(SourceIndex, "MARGIN_NS", 3600 * 10**9)
    assert build_site(demo).exit_code == 0
    markdown = sorted(str(path.relative_to(demo)) for path in (demo / "content").rglob("*.md"))
    read = _reads(monkeypatch)
    assert build_site(demo).exit_code == 0
    assert sorted(path for path in read if path.endswith(".md")) == markdown


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "#2a7").save(buffer, "PNG")
    return buffer.getvalue()


def _validated(monkeypatch) -> list[str]:
    """The content files whose front matter is parsed and validated from now on."""
    return _paths_passed(monkeypatch, frontmatter, "parse")


FRONT = "---\ntitle: Grüße aus der Zentrale\ndate: 2026-01-05\naudiences: [filiale]\npillars: [training]\n---\n"


def test_a_body_edit_takes_the_unchanged_front_matter_from_the_files_last_entry(make_site, tmp_path, monkeypatch):
    """The edited file's model comes from its previous cache entry when its front matter's text is
    that entry's byte for byte: only the body is rendered again, and the site is a clean build's."""
    monkeypatch.setattr(SourceIndex, "MARGIN_NS", -60 * 10**9)  # every file recorded by its stamp
    root = make_site({"content/messages/a.md": FRONT + "Text.\n",
                      "content/messages/b.md": "---\ntitle: Ziel\ndate: 2026-01-06\n---\nSiehe [a](a.md).\n"})
    assert build_site(root).exit_code == 0
    validated = _validated(monkeypatch)
    _edit(root / "content/messages/a.md", lambda t: t + "\nMehr Text.\n")
    assert build_site(root).exit_code == 0
    assert validated == []
    assert b"Mehr Text." in (root / "_site/messages/a/index.html").read_bytes()
    assert snapshot_tree(root / "_site") == clean_build(root, tmp_path / "clean")
    validated.clear()  # of the clean build
    _edit(root / "content/messages/a.md", lambda t: t.replace("date: 2026-01-05", "date: 2026-01-07"))
    assert build_site(root).exit_code == 0
    assert validated == ["content/messages/a.md"]
    assert snapshot_tree(root / "_site") == clean_build(root, tmp_path / "clean-2")


def test_a_front_matter_edit_of_a_cached_page_is_validated_again(make_site, monkeypatch):
    monkeypatch.setattr(SourceIndex, "MARGIN_NS", -60 * 10**9)
    root = make_site({"content/messages/a.md": FRONT + "Text.\n"})
    assert build_site(root).exit_code == 0
    _edit(root / "content/messages/a.md", lambda t: t.replace("date: 2026-01-05", "date: 2026-13-45"))
    result = build_site(root)
    assert result.exit_code == 1
    assert re.search(r"^content/messages/a\.md:3: error\[IM\d+\]", result.stderr, re.M), result.stderr
    _edit(root / "content/messages/a.md", lambda t: t.replace("date: 2026-13-45", "date: 2026-01-05") + "Mehr.\n")
    assert build_site(root).exit_code == 0


@pytest.mark.parametrize("moved", ["messages/c.md", "messages/a.en.md", "ueber-uns.md"])
def test_a_moved_file_with_the_same_front_matter_is_validated_at_its_new_place(make_site, tmp_path, monkeypatch, moved):
    """The previous entry is the one of the same path: the same front matter at another path (another
    language, another kind) is parsed and validated there; a page of content/ has no date."""
    monkeypatch.setattr(SourceIndex, "MARGIN_NS", -60 * 10**9)
    root = make_site({"content/messages/a.md": FRONT + "Text.\n", "content/messages/b.md": FRONT + "Anderer Text.\n"})
    assert build_site(root).exit_code == 0
    validated = _validated(monkeypatch)
    (root / "content/messages/a.md").rename(root / "content" / moved)
    _edit(root / "content" / moved, lambda t: t + "\nMehr Text.\n")
    result = build_site(root)
    assert validated == [f"content/{moved}"]
    if moved == "ueber-uns.md":
        assert said(result, "IM005") == ["content/ueber-uns.md:3: error[IM005]: unknown key 'date' (hint: did you mean 'draft'?)"]
        return
    assert result.exit_code == 0, result.stderr
    assert snapshot_tree(root / "_site") == clean_build(root, tmp_path / "clean")


@pytest.mark.parametrize("how", ["cut", "a value short", "another form"])
def test_a_body_edit_whose_last_entry_is_damaged_validates_its_front_matter(demo, tmp_path, monkeypatch, how):
    assert build_site(demo).exit_code == 0
    with sqlite3.connect(demo / ".im-site-cache" / Cache.FILE) as db:
        rows = db.execute("SELECT rowid, value FROM entries WHERE namespace = 'sources'").fetchall()
        db.executemany("UPDATE entries SET value = ? WHERE rowid = ?", [(_damaged(value, how), rowid) for rowid, value in rows])
    validated = _validated(monkeypatch)
    EDITS["body"](demo)
    assert build_site(demo).exit_code == 0
    assert MESSAGE in validated
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")


def test_errors_in_cached_front_matter_name_their_lines_again(make_site):
    """A cached source keeps its front matter's text as UTF-8 bytes, read only when a problem
    needs a line: an unknown audience below umlauts is reported at its line by every build."""
    root = make_site({"content/messages/a.md": "---\ntitle: Grüße aus der Zentrale\nsummary: Über uns — kurz\n"
                                                "date: 2026-01-05\naudiences:\n  - filiale\n  - lager\n---\nText.\n",
                      "content/messages/b.md": "---\ntitle: Ziel\ndate: 2026-01-06\n---\nText.\n"})
    first = build_site(root)
    _edit(root / "content/messages/b.md", lambda t: t + "\nMehr Text.\n")  # a comes from the cache
    again = build_site(root)
    assert first.exit_code == again.exit_code == 1
    assert said(first, "IM020") == said(again, "IM020") == [
        "content/messages/a.md:7: error[IM020]: unknown audience id 'lager' (hint: defined in site.yaml: filiale, zentrale)"]


def test_warnings_of_reused_pages_are_reported_again(make_site):
    """A reused page's diagnostics come from its cache entry: every build reports the same problems."""
    root = make_site({
        "content/messages/a.md": "---\ntitle: Anker\ndate: 2026-01-05\n---\nSiehe [dort](b.md#gibt-es-nicht) und ![](bild.png).\n",
        "content/messages/b.md": "---\ntitle: Ziel\ndate: 2026-01-06\n---\n## Da\n\nText.\n",
        "content/messages/bild.png": _png(),
    })
    first = build_site(root, "-v")
    assert first.exit_code == 0
    warnings = sorted(line for line in first.stderr.splitlines() if "warning[" in line)
    assert any("IM102" in line for line in warnings) and any("IM111" in line for line in warnings)
    _edit(root / "content/messages/b.md", lambda t: t + "\nMehr Text.\n")  # b changes, a is reused
    again = build_site(root, "-v")
    assert "pages reused from the cache" in again.stderr
    assert sorted(line for line in again.stderr.splitlines() if "warning[" in line) == warnings


def test_a_publish_after_an_edit_reuses_pages_and_equals_a_clean_publish(demo, tmp_path, monkeypatch):
    """Pages never show the version id, so publishing version 2 reuses version 1's pages."""
    from conftest import run_cli

    from im_site import pagecache

    dest, clean_dest = tmp_path / "published", tmp_path / "clean-published"
    for folder in (dest, clean_dest):
        assert run_cli(demo, "publish", "--dest", str(folder), "--now", NOW, "--version", "v1").exit_code == 0
    EDITS["body"](demo)
    reused, replay = [], pagecache.PageCache.replay

    def counting(self, jobs):
        todo = replay(self, jobs)
        reused.append(len(jobs) - len(todo))
        return todo
    monkeypatch.setattr(pagecache.PageCache, "replay", counting)
    assert run_cli(demo, "publish", "--dest", str(dest), "--now", NOW, "--version", "v2").exit_code == 0
    monkeypatch.undo()
    assert sum(reused) >= 60
    shutil.rmtree(demo / ".im-site-cache")
    assert run_cli(demo, "publish", "--dest", str(clean_dest), "--now", NOW, "--version", "v2").exit_code == 0
    assert snapshot_tree(dest / "versions/v2") == snapshot_tree(clean_dest / "versions/v2")
    assert b"Ein neuer Absatz am Ende" in (dest / "versions/v2/messages/2026-01-frische-versprechen/index.html").read_bytes()


def test_search_terms_of_unchanged_pages_come_from_the_cache(demo, tmp_path, monkeypatch):
    from im_site import search

    assert build_site(demo).exit_code == 0
    assert b'"absatz":' not in (demo / "_site/search/de/t-a.js").read_bytes()
    stemmed, real = [], search._page_terms
    monkeypatch.setattr(search, "_page_terms", lambda analyzer, page, *extra: stemmed.append(page.path) or real(analyzer, page, *extra))
    EDITS["body"](demo)
    assert build_site(demo).exit_code == 0
    assert stemmed == [MESSAGE]
    assert b'"absatz":' in (demo / "_site/search/de/t-a.js").read_bytes()  # the new word, stemmed
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")


def test_entries_of_old_versions_are_pruned_once_they_pile_up(demo):
    """Parsed sources and search terms are keyed by content: every edit adds entries."""
    assert build_site(demo).exit_code == 0
    cache = Cache(demo / ".im-site-cache")
    db = cache._db()
    live = {namespace: {key for (key,) in db.execute("SELECT key FROM entries WHERE namespace = ?", (namespace,))}
            for namespace in ("sources", "search")}
    assert all(live.values())
    for namespace in live:  # as if thousands of edits had been built
        cache.put_many(namespace, ((f"old-{number}", b"stale") for number in range(3 * len(live[namespace]) + 1001)))
    again = build_site(demo, "-v")
    assert again.exit_code == 0 and "0 files changed in place" in again.stderr
    for namespace, keys in live.items():
        assert {key for (key,) in db.execute("SELECT key FROM entries WHERE namespace = ?", (namespace,))} == keys


@pytest.mark.parametrize("damage", ["garbage", "pickled", "entries of another form"])
def test_a_damaged_record_of_source_stamps_reads_every_source_again(demo, tmp_path, monkeypatch, damage):
    """The record is marshalled (a pickled one is of an earlier version): one that is not what
    SourceIndex wrote is no record."""
    assert build_site(demo).exit_code == 0
    with sqlite3.connect(demo / ".im-site-cache" / Cache.FILE) as db:
        (value,) = db.execute("SELECT value FROM entries WHERE namespace = ?", (SourceIndex.NAMESPACE,)).fetchone()
        recorded = marshal.loads(value)
        value = {"garbage": b"not marshalled", "pickled": pickle.dumps(recorded),
                 "entries of another form": marshal.dumps(dict.fromkeys(recorded, 0))}[damage]
        db.execute("UPDATE entries SET value = ? WHERE namespace = ?", (value, SourceIndex.NAMESPACE))
    read = _reads(monkeypatch)
    EDITS["body"](demo)
    assert build_site(demo).exit_code == 0
    assert len([path for path in read if path.endswith(".md")]) == len(list((demo / "content").rglob("*.md")))
    assert snapshot_tree(demo / "_site") == clean_build(demo, tmp_path / "clean")


@pytest.mark.parametrize("folder", ["markdown_it_py-999.0.dist-info", "PyStemmer-999.0.dist-info",
                                    "Jinja2-999.0-py3.11.egg-info"])
def test_a_new_version_of_a_library_that_renders_is_a_new_cache(monkeypatch, tmp_path, folder):
    """The cache keys hold the versions of the libraries whose output pages carry: PyStemmer, which
    stems the search terms wherever it is installed (snowballstemmer hands the work to it), was not
    among them, so an upgrade of it alone would have kept the search terms it stemmed before. The
    versions are read from the names of the folders an installer leaves (the first on sys.path
    wins, as for an import), spelled as the installer spells the project."""
    from im_site import cache

    before = cache.code_key.__wrapped__()
    (tmp_path / folder).mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cache.code_key.__wrapped__() != before


def test_the_libraries_versions_are_those_python_reports(monkeypatch, tmp_path):
    """`library_versions` reads folder names where importlib.metadata reads each library's METADATA
    (25 ms a build): the same versions; an egg-info folder without one in its name (a develop
    install) is asked of importlib.metadata."""
    from importlib import metadata

    from im_site import cache

    libraries = (*cache._RENDERING_LIBRARIES, "pytest", "not-installed-anywhere")
    expected = {}
    for name in libraries:
        try:
            expected[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            expected[name] = "none"
    assert cache.library_versions(libraries) == expected
    (tmp_path / "pytest.egg-info").mkdir()
    (tmp_path / "pytest.egg-info" / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: pytest\nVersion: 0.0.1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cache.library_versions(["pytest"]) == {"pytest": "0.0.1"}


def test_a_pydantic_plugin_installed_beside_im_site_is_not_loaded(make_site, tmp_path):
    """Pydantic loads the plugins any installed package declares, reading every package's entry
    points to find them (3 ms of CPU a build): the `im-site` command turns them off, so that what
    else shares its environment neither slows nor changes a build's checks."""
    import subprocess
    import sys

    from test_faults import console_script

    plugins = tmp_path / "plugins"
    (plugins / "spy_plugin-1.0.dist-info").mkdir(parents=True)
    (plugins / "spy_plugin-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: spy-plugin\nVersion: 1.0\n")
    (plugins / "spy_plugin-1.0.dist-info" / "entry_points.txt").write_text("[pydantic]\nspy = spy_plugin:plugin\n")
    (plugins / "spy_plugin.py").write_text("import pathlib\npathlib.Path(__file__).with_name('loaded').touch()\n"
                                           "plugin = None\n")
    root = make_site({"content/messages/hallo.md": "---\ntitle: Hallo\ndate: 2026-01-05\n---\nHallo.\n"})
    environment = {**os.environ, "PYTHONPATH": str(plugins)}
    environment.pop("PYDANTIC_DISABLE_PLUGINS", None)
    process = subprocess.run([sys.executable, "-c", console_script(), "build", "--now", NOW], cwd=root, env=environment,
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    assert not (plugins / "loaded").exists()


def test_a_body_edit_rebuild_imports_only_what_it_uses(make_site):
    """Pillow (to open an image), multiprocessing and ctypes (to fork workers) and concurrent.futures
    (to write a new output folder) were imported by every build: about 40 ms of a body-edit rebuild
    that, with its image variants cached and one page to render in place, uses none of them. So was
    subprocess (to remove a replaced output folder)."""
    import subprocess
    import sys

    from test_faults import console_script

    photo = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 40, 40)).save(photo, "JPEG")
    message = "---\ntitle: Bilder im Markt\ndate: 2026-01-05\n---\n![Obststand](../img/obst.jpg)\n"
    root = make_site({"content/messages/bilder.md": message, "content/img/obst.jpg": photo.getvalue()})

    def imported() -> set[str]:
        process = subprocess.run([sys.executable, "-X", "importtime", "-c", console_script(), "build", "--now", NOW],
                                 cwd=root, capture_output=True, text=True, timeout=120)
        assert process.returncode == 0, process.stderr
        return set(re.findall(r"(?m)^import time:.*\| +(\S+)$", process.stderr))

    assert "PIL.Image" in imported()  # the first build encodes the variants
    (root / "content/messages/bilder.md").write_text(message + "\nEin neuer Satz.\n", encoding="utf-8")
    assert imported().isdisjoint({"PIL.Image", "multiprocessing", "ctypes", "concurrent.futures", "subprocess"})
    assert "Ein neuer Satz." in (root / "_site/messages/bilder/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("wanted", ["most of the namespace", "a third of it", "a few"])
def test_the_cache_finds_the_same_entries_whether_it_reads_the_namespace_or_asks_for_each(tmp_path, wanted):
    """From `Cache.SCAN_FROM` keys on, a namespace of which most are wanted is read whole, the rest left."""
    cache = Cache(tmp_path / "cache")
    cache.put_many("pages", ((f"page-{n:05}", f"value {n}".encode()) for n in range(3000)))
    cache.put_many("other", ((f"page-{n:05}", b"another namespace") for n in range(3000)))
    count = {"most of the namespace": 2500, "a third of it": 1000, "a few": 20}[wanted]
    keys = sorted({f"page-{n:05}" for n in range(0, 3000, 3000 // count)} | {"page-x", "missing"})
    found = cache.get_many("pages", keys, bytes.decode)
    assert found == {key: f"value {int(key[5:])}" for key in keys if key.startswith("page-0")}
    assert cache.present("pages", keys) == cache.existing("pages", keys) == set(found)


def test_site_yaml_is_validated_once_then_restored_from_the_cache_by_its_text(make_site):
    """Validating site.yaml built the schema of every settings model, 35-45 ms of every command: the
    validated settings are kept in the cache by the file's text and restored, equal to a validation's;
    a damaged entry is validated again, a changed file too (its problems at their lines), and no
    cache folder is made for it."""
    import subprocess
    import sys

    root = make_site({"content/messages/hallo.md": "---\ntitle: Hallo\ndate: 2026-01-05\n---\nHallo.\n"})
    probe = ("import sys; from pathlib import Path; from im_site.config import SiteSettings, load_config; "
             "settings = load_config(Path(sys.argv[1])).settings; "
             "print(type(SiteSettings.__pydantic_validator__).__name__); print(repr(settings))")

    def loaded() -> tuple[str, str]:
        process = subprocess.run([sys.executable, "-c", probe, str(root / "site.yaml")], capture_output=True, text=True,
                                 timeout=60)
        assert process.returncode == 0, process.stderr
        validator, settings = process.stdout.splitlines()
        return validator, settings

    validated = repr(load_config(root / "site.yaml").settings)
    assert loaded() == ("SchemaValidator", validated)  # no cache yet: none is made
    assert not (root / ".im-site-cache").exists()
    assert build_site(root).exit_code == 0
    assert loaded() == ("SchemaValidator", validated)  # validated, and kept
    assert loaded() == ("MockValSer", validated)  # restored: the schema never built
    with sqlite3.connect(root / ".im-site-cache" / Cache.FILE) as db:
        db.execute("UPDATE entries SET value = ? WHERE namespace = 'site-settings'", (b"\x80damaged",))
    assert loaded() == ("SchemaValidator", validated)
    assert loaded() == ("MockValSer", validated)
    text = (root / "site.yaml").read_text(encoding="utf-8")
    (root / "site.yaml").write_text(text + "per_page: 0\n", encoding="utf-8")
    result = build_site(root)
    assert result.exit_code == 1
    assert f"site.yaml:{len(text.splitlines()) + 1}: error[" in result.stderr and "per_page" in result.stderr


def test_theme_yaml_is_validated_once_then_restored_from_the_cache_by_its_text(make_site):
    """The built-in theme's theme.yaml (and a site's own) took 15-20 ms of every build to read and
    validate: kept in the cache by its text with its YAML, the lines of its problems stay right."""
    import subprocess
    import sys

    theme_yaml = 'extends: default\ntokens:\n  radius: "2px"\n  color-link: "#C9A8F0"\n'
    root = make_site({"content/messages/hallo.md": "---\ntitle: Hallo\ndate: 2026-01-05\n---\nHallo.\n",
                      "themes/t/theme.yaml": theme_yaml}, site_yaml="title: T\ntheme: t\n")
    probe = ("import sys; from pathlib import Path; from im_site.config import load_config; "
             "from im_site.diagnostics import Diagnostics; from im_site.theme import ThemeSettings, load_theme; "
             "theme = load_theme(load_config(Path(sys.argv[1])), Diagnostics()); "
             "print(type(ThemeSettings.__pydantic_validator__).__name__, theme.tokens['radius'], theme.token_lines)")

    def loaded() -> str:
        process = subprocess.run([sys.executable, "-c", probe, str(root / "site.yaml")], capture_output=True, text=True,
                                 timeout=60)
        assert process.returncode == 0, process.stderr
        return process.stdout.strip()

    contrast = ["themes/t/theme.yaml:4: warning[IM121]: contrast of links (color-link) on background is 2.03:1 (#C9A8F0 on "
                "#FFFFFF), below WCAG AA 4.5:1 (hint: darken or lighten the theme's color-link or the brand's background)"]
    for _ in range(3):  # validated (no cache yet), validated and kept, restored
        result = build_site(root)
        assert result.exit_code == 0 and said(result, "IM121") == contrast, result.stderr
    lines = "{'radius': ('themes/t/theme.yaml', 3), 'color-link': ('themes/t/theme.yaml', 4)}"
    assert loaded() == f"MockValSer 2px {lines}"
    with sqlite3.connect(root / ".im-site-cache" / Cache.FILE) as db:
        db.execute("UPDATE entries SET value = ? WHERE namespace = 'theme-settings'", (b"\x80damaged",))
    assert loaded() == f"SchemaValidator 2px {lines}"
    assert loaded() == f"MockValSer 2px {lines}"
    (root / "themes/t/theme.yaml").write_text(theme_yaml + "colours: {}\n", encoding="utf-8")
    result = build_site(root)
    assert result.exit_code == 1 and "themes/t/theme.yaml:5: error[" in result.stderr, result.stderr
