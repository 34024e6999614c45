"""BAD_INPUTS.md cases that do not fit the table of test_bad_inputs.py: files that vanish or
cannot be read, refused output folders, long names, escaping everywhere, hidden groups,
template autoescape, bounded Markdown, unique ids, images, the leak scan, and a review of
the theme (no innerHTML with content, |tojson inside scripts)."""

from __future__ import annotations

import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BASIC_SITE_YAML, NOW, build_site, run_cli, snapshot_tree
from PIL import Image

from im_site.build import build
from im_site.cli import main
from im_site.config import load_config
from im_site.options import BuildOptions, read_clock
from im_site.output import Blobs

GOOD = {
    "content/messages/gut.md": "---\ntitle: Gute Nachricht\ndate: 2026-01-05\n---\nText.\n",
}
THEMES = Path(__file__).resolve().parent.parent / "im_site" / "themes"

#: The real command in a fresh interpreter (cli.py has no __main__ block).
IM_SITE = [sys.executable, "-c", "from im_site.cli import main; main()"]


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if ": error[" in line]


def built(make_site, files: dict, **kwargs) -> tuple[Path, dict[str, bytes]]:
    """A site with GOOD + files, built once successfully; (root, snapshot of its output)."""
    root = make_site({**GOOD, **files}, **kwargs)
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    return root, snapshot_tree(root / "_site")


def fails_cleanly(root: Path, before: dict[str, bytes], expected: str, *args: str) -> str:
    """The build exits 1 with `expected` in an error line, no traceback, the old output intact."""
    result = build_site(root, *args)
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert any(expected in line for line in errors(result)), result.stderr
    assert snapshot_tree(root / "_site") == before
    return result.stderr


# ---------------------------------------------------------------- files that vanish or cannot be read

@pytest.mark.parametrize("name,make,expected", [
    ("dangling-symlink", lambda c: os.symlink("nicht-da.md", c / "weg.md"), "content/weg.md: error[IM010]: broken symlink"),
    ("symlink-to-itself", lambda c: os.symlink("selbst.md", c / "selbst.md"), "content/selbst.md: error[IM010]: symlink loop"),
    ("folder-symlink-loop", lambda c: os.symlink(".", c / "schleife"), "content/schleife: error[IM011]: symlink loop"),
    ("fifo", lambda c: os.mkfifo(c / "rohr.md"), "content/rohr.md: error[IM010]: not a regular file"),
])
def test_unreadable_entries_are_errors_not_hangs_or_crashes(make_site, name, make, expected):
    root, before = built(make_site, {})
    make(root / "content")
    fails_cleanly(root, before, expected)


def test_folder_named_like_a_markdown_file_is_walked(make_site):
    root, _ = built(make_site, {"content/ordner.md/seite.md": "---\ntitle: Im Ordner\n---\nText.\n"})
    assert (root / "_site/ordner-md/seite/index.html").is_file()


@pytest.mark.parametrize("error,words", [(FileNotFoundError(2, "No such file or directory"), "vanished"),
                                         (PermissionError(13, "Permission denied"), "Permission denied")])
def test_source_vanishing_or_unreadable_while_building(make_site, monkeypatch, error, words):
    """Simulated at the OS boundary: the file is listed by the walk, then reading it fails."""
    root, before = built(make_site, {"content/seite.md": "---\ntitle: Seite\n---\nText.\n"})
    real = pathlib.Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "seite.md":
            raise error
        return real(self)
    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    fails_cleanly(root, before, "content/seite.md: error[IM010]")
    result = build_site(root)
    assert words in result.stderr


def test_download_vanishing_after_the_walk(make_site, monkeypatch):
    root, before = built(make_site, {"content/seite.md": "---\ntitle: Seite\n---\n[Plan](plan.pdf)\n",
                                     "content/plan.pdf": b"%PDF-1.4 plan"})
    real = pathlib.Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "plan.pdf" and "content" in self.parts:
            raise FileNotFoundError(2, "No such file or directory")
        return real(self)
    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    fails_cleanly(root, before, "content/plan.pdf: error[IM010]: cannot read file")


# ---------------------------------------------------------------- output folders that must never be replaced

@pytest.mark.parametrize("where", ["/", "home", "root", "content", "themes", "parent", "symlink-to-root", "git",
                                   "inside-content", "inside-theme-static"])
def test_precious_output_folders_are_refused_before_anything_is_deleted(make_site, tmp_path, monkeypatch, where):
    home = tmp_path / "home"
    (home / "notizen").mkdir(parents=True)
    (home / "notizen" / "wichtig.txt").write_text("bleibt")
    monkeypatch.setenv("HOME", str(home))
    root = make_site({**GOOD, "themes/t/theme.yaml": "extends: default\n", "themes/t/static/marke.css": "a {}\n"})
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "link").symlink_to(root)
    target = {"/": Path("/"), "home": home, "root": root, "content": root / "content", "themes": root / "themes",
              "parent": tmp_path, "symlink-to-root": tmp_path / "link", "git": tmp_path / "repo",
              "inside-content": root / "content/_site", "inside-theme-static": root / "themes/t/static/_site"}[where]
    before = snapshot_tree(tmp_path)
    result = build_site(root, "-o", str(target))
    assert result.exit_code == 1
    assert "error[IM050]: refusing" in result.stderr
    assert snapshot_tree(tmp_path) == before
    assert not any(p.name.startswith((".", "_")) and ".staging-" in p.name for p in target.parent.iterdir())


@pytest.mark.parametrize("where", ["docs", "hidden-file-only", "output_dir"])
def test_a_folder_no_build_wrote_is_refused(make_site, tmp_path, where):
    """`-o docs` for `-o _site` (or output_dir naming a folder of the user's) would replace the
    folder whole and its files would be lost: a non-empty folder without a build's manifest is refused."""
    site_yaml = BASIC_SITE_YAML + ("output_dir: Unterlagen\n" if where == "output_dir" else "")
    root = make_site(GOOD, site_yaml=site_yaml)
    target = {"docs": root / "docs", "hidden-file-only": tmp_path / "notizen", "output_dir": root / "Unterlagen"}[where]
    target.mkdir()
    (target / (".entwurf.txt" if where == "hidden-file-only" else "plan.txt")).write_text("bleibt")
    before = snapshot_tree(tmp_path)
    result = build_site(root) if where == "output_dir" else build_site(root, "-o", str(target))
    assert result.exit_code == 1, result.stderr
    named = str(target) if where == "hidden-file-only" else target.relative_to(root).as_posix()  # site-relative inside it
    assert f"{named}: error[IM050]: refusing to replace a folder that no im-site build wrote" in result.stderr
    assert "its files would be lost" in result.stderr and "Traceback" not in result.stderr
    assert snapshot_tree(tmp_path) == before


@pytest.mark.parametrize("args, named", [
    (["build", "-o", "../themes/x"], "themes/x"),
    (["build", "-o", "./../content/../content"], "content"),
    (["build", "-o", ".."], "{root}"),  # the site folder itself: "." would say nothing
    (["digest", "-o", "../content/x.html"], "content/x.html"),
    (["digest", "-o", "../site.yaml"], "site.yaml"),
    (["digest", "-o", "../../elsewhere/x.html"], "{tmp}/elsewhere/x.html"),
    (["build", "-o", "../.."], "{tmp}"),
])
def test_paths_in_messages_are_relative_to_the_site_folder_and_tidy(make_site, tmp_path, monkeypatch, args, named):
    """Run from content/ with `--config ../site.yaml`, a refused -o was named
    `/tmp/x/site/content/../themes/x` or `../content/x.html` (relative to where the command ran),
    while content files are named from the site folder: every path is now named like them, and
    one outside the site folder is absolute without `..`."""
    root = make_site(GOOD)
    monkeypatch.chdir(root / "content")
    result = CliRunner().invoke(main, ["--config", "../site.yaml", *args, "--now", NOW], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"{named.format(root=root, tmp=tmp_path)}: error[IM050]: "), result.stderr
    assert "/.." not in result.stderr and "../" not in result.stderr


@pytest.mark.parametrize("how, folders", [("output in the cache", ".im-site-cache/site and cache_dir .im-site-cache"),
                                          ("cache in the output", "_site and cache_dir _site/.cache"),
                                          ("cache in the published folder", "public and cache_dir public/.cache")])
def test_output_and_cache_folders_that_overlap_are_refused(make_site, tmp_path, how, folders):
    """`-o .im-site-cache` swapped the site over the cache and wrote the cache's records into the
    site; `cache_dir: _site/.cache` published the cache, which holds what `--drafts` rendered.
    The message names both folders from the site folder, as the paths of diagnostics are (they
    were absolute, with the `..` of how they were typed)."""
    cache = "_site/.cache" if how == "cache in the output" else "public/.cache" if how == "cache in the published folder" else None
    root = make_site(GOOD, site_yaml=BASIC_SITE_YAML + (f"cache_dir: {cache}\n" if cache else ""))
    if how == "output in the cache":
        result = build_site(root, "-o", str(root / ".im-site-cache/site"))
    elif how == "cache in the output":
        result = build_site(root)
    else:
        result = run_cli(root, "publish", "--dest", str(root / "public"), "--version", "v1", "--now", NOW)
    assert result.exit_code == 1, result.stderr
    assert f"error[IM050]: the output folder {folders} overlap: " in result.stderr, result.stderr
    assert sorted(p.name for p in root.iterdir()) == ["content", "site.yaml"]  # nothing written


@pytest.mark.parametrize("cache, refused", [("content/cache", True), ("themes", True), ("content/.cache", False)])
def test_a_cache_among_the_sources_is_refused_unless_hidden(make_site, cache, refused):
    """`cache_dir: content/cache`: each build walked its own cache as content, and `im-site serve`
    rebuilt without end, every rebuild writing the cache its watcher had woken it for."""
    root = make_site(GOOD, site_yaml=BASIC_SITE_YAML + f"cache_dir: {cache}\n")
    line = BASIC_SITE_YAML.count("\n") + 1
    for args in (["build", "--now", NOW], ["check", "--now", NOW], ["serve", "--port", "0", "--now", NOW]):
        if not refused and args[0] == "serve":
            continue
        result = run_cli(root, *args)
        message = f"site.yaml:{line}: error[IM001"
        assert (result.exit_code, message in result.output) == ((1, True) if refused else (0, False)), result.output
    assert (root / "_site").exists() is not refused


def test_a_refused_cache_folder_is_not_opened_even_to_look_up_the_settings(make_site):
    """site.yaml's validated settings are looked up in the cache before the cache folder is checked:
    a refused one that holds a file of the database's name is left exactly as it is."""
    root = make_site(GOOD, site_yaml=BASIC_SITE_YAML + "cache_dir: content/cache\n")
    (root / "content/cache").mkdir()
    (root / "content/cache/cache-2.sqlite3").write_bytes(b"no database")
    result = run_cli(root, "build", "--now", NOW)
    assert result.exit_code == 1 and "error[IM001]" in result.output, result.output
    assert sorted(p.name for p in (root / "content/cache").iterdir()) == ["cache-2.sqlite3"]
    assert (root / "content/cache/cache-2.sqlite3").read_bytes() == b"no database"


def test_a_build_into_published_versions_names_the_folder_from_the_site(make_site):
    root = make_site(GOOD)
    assert run_cli(root, "publish", "--dest", str(root / "public"), "--version", "v1", "--now", NOW).exit_code == 0
    result = build_site(root, "-o", str(root / "content/../public/latest"))
    assert result.exit_code == 1, result.stderr
    assert "error[IM050]: refusing to write the site here: public holds versions published" in result.stderr, result.stderr


def test_an_output_folder_that_cannot_be_read_is_an_error_not_a_crash(make_site, tmp_path, monkeypatch):
    root = make_site(GOOD)
    target = tmp_path / "gesperrt"
    target.mkdir()
    real = os.scandir

    def scandir(path=".", *args):
        if Path(path) == target:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args)
    monkeypatch.setattr(os, "scandir", scandir)
    result = build_site(root, "-o", str(target))
    assert result.exit_code == 1
    assert f"{target}: error[IM050]: cannot read the output folder: Permission denied" in result.stderr
    assert "internal error" not in result.stderr


def test_an_empty_folder_and_an_earlier_build_are_replaced(make_site, tmp_path):
    """The rule keeps every workflow: a new folder, an empty one, a rebuild with or without the cache."""
    root = make_site(GOOD)
    (tmp_path / "leer").mkdir()
    assert build_site(root, "-o", str(tmp_path / "leer")).exit_code == 0
    assert build_site(root, "-o", str(tmp_path / "leer")).exit_code == 0
    shutil.rmtree(root / ".im-site-cache")
    (tmp_path / "leer" / "alt.html").write_text("von Hand")  # a folder changed by hand is still a build's
    assert build_site(root, "-o", str(tmp_path / "leer")).exit_code == 0
    assert (tmp_path / "leer" / "messages/gut/index.html").is_file()
    assert not (tmp_path / "leer" / "alt.html").exists()


@pytest.mark.parametrize("cache", [True, False])
def test_an_output_folder_that_is_a_symlink_is_written_where_it_points(make_site, tmp_path, cache):
    """`_site -> /var/www/intranet`: the swap replaced the link by a real folder, so the web server's
    folder never got the build, and the old link stayed beside it as `._site.old-*` for good."""
    root = make_site(GOOD)
    www = tmp_path / "www"
    www.mkdir()
    (root / "_site").symlink_to(www)
    for text in ("Text.", "Neuer Text."):
        (root / "content/messages/gut.md").write_text(f"---\ntitle: Gute Nachricht\ndate: 2026-01-05\n---\n{text}\n")
        if not cache:
            shutil.rmtree(root / ".im-site-cache", ignore_errors=True)
        result = build_site(root)
        assert result.exit_code == 0, result.stderr
        assert text in (www / "messages/gut/index.html").read_text()
    assert (root / "_site").is_symlink() and (root / "_site").resolve() == www
    assert sorted(p.name for p in root.iterdir() if p.name.startswith("._site")) in ([], ["._site.lock"])


def test_home_relative_to_the_project_is_refused(make_site, tmp_path, monkeypatch):
    """The project inside the home folder: `-o ~` would replace the project too."""
    root = make_site(GOOD, folder="home/projekt")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert build_site(root, "-o", str(tmp_path / "home")).exit_code == 1
    assert (root / "content/messages/gut.md").is_file()


# ---------------------------------------------------------------- names over 255 bytes

def png(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(out, "PNG")
    return out.getvalue()


def test_long_names_never_make_output_names_over_255_bytes(make_site):
    long_stem = "ä" * 120 + "b" * 8  # 248 bytes
    root, _ = built(make_site, {
        f"content/{long_stem}.md": f"---\ntitle: Lang\n---\n![Bild]({long_stem}.png)\n\n[Datei]({long_stem}.pdf)\n",
        f"content/{long_stem}.png": png(),
        f"content/{long_stem}.pdf": b"%PDF-1.4",
        "content/t.md": "---\ntitle: Tags\ntags: ['" + "x" * 300 + "']\n---\n",
    })
    names = [part for path in (root / "_site").rglob("*") for part in path.relative_to(root / "_site").parts]
    assert names and max(len(name.encode()) for name in names) <= 255


# ---------------------------------------------------------------- timezones, escaping, hidden groups

def test_publish_at_without_offset_is_read_in_the_site_timezone(make_site):
    page = "---\ntitle: Um halb eins\ndate: 2026-11-26\npublish_at: 2026-11-26T12:30:00\n---\nText.\n"
    berlin = make_site({**GOOD, "content/messages/mittag.md": page}, site_yaml=BASIC_SITE_YAML + "timezone: Europe/Berlin\n",
                       folder="berlin")
    utc = make_site({**GOOD, "content/messages/mittag.md": page}, folder="utc")
    for root in (berlin, utc):  # 12:00 UTC is 13:00 in Berlin: past 12:30 there, not yet in UTC
        assert build_site(root, now="2026-11-26T12:00:00+00:00").exit_code == 0
    assert (berlin / "_site/messages/mittag/index.html").is_file()
    assert not (utc / "_site/messages/mittag").exists()


INJECTED = ["<script>alert(1)</script>", "<b>Fett</b>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>',
            "<i>kursiv</i>"]


def test_html_in_every_front_matter_text_is_escaped_in_every_file(make_site):
    message = textwrap.dedent(f"""\
        ---
        title: '{INJECTED[0]} & {INJECTED[1]}'
        summary: '{INJECTED[2]}'
        date: 2026-01-03
        author: '{INJECTED[4]}'
        role: '{INJECTED[3]}'
        tags: ['{INJECTED[1]}']
        image_alt: '{INJECTED[3]}'
        must_read: true
        ---
        Text.
        """)
    site_yaml = BASIC_SITE_YAML.replace("title: Test Intranet", f"title: '{INJECTED[1]}'") + \
        f"base_url: https://intra.example/\nbrand:\n  name: '{INJECTED[4]}'\n"
    root, _ = built(make_site, {"content/messages/boese.md": message,
                                "content/seite.md": f"---\ntitle: '{INJECTED[2]}'\n---\n"}, site_yaml=site_yaml)
    for path in (p for p in (root / "_site").rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", "ignore")
        if path.suffix in (".html", ".xml"):
            for needle in INJECTED:
                assert needle not in text, f"{needle} unescaped in {path}"
        if path.suffix == ".xml":
            ET.fromstring(path.read_bytes())
        if path.suffix == ".json":
            json.loads(text)


def test_a_group_whose_pages_are_all_hidden_gets_no_page_and_no_feed(make_site):
    hidden = {
        "content/messages/entwurf.md": "---\ntitle: Entwurf\ndate: 2026-01-02\ndraft: true\ntags: [geheimtag]\n"
                                       "pillars: [training]\naudiences: [zentrale]\n---\n",
        "content/messages/spaeter.md": "---\ntitle: Später\ndate: 2026-01-02\npublish_at: 2027-01-01\n"
                                       "tags: [zukunftstag]\naudiences: [zentrale]\npillars: [training]\n---\n",
        "content/messages/alt.md": "---\ntitle: Alt\ndate: 2026-01-01\nexpires: 2026-02-01\ntags: [alttag]\n"
                                   "audiences: [zentrale]\n---\n",
        "content/messages/offen.md": "---\ntitle: Offen\ndate: 2026-01-04\ntags: [offen]\npillars: [leadership]\n"
                                     "audiences: [filiale]\n---\n",
    }
    root, _ = built(make_site, hidden)
    out = root / "_site"
    paths = [p.relative_to(out).as_posix() for p in out.rglob("*")]
    assert any("offen" in p for p in paths) and any("filiale" in p for p in paths)  # the visible ones exist
    for word in ("geheimtag", "zukunftstag", "alttag", "zentrale", "pillars/training"):
        assert not any(word in p for p in paths), word
    for path in (p for p in out.rglob("*") if p.is_file() and p.suffix in (".html", ".xml", ".json", ".js")):
        text = path.read_text(errors="ignore")
        for word in ("geheimtag", "zukunftstag", "alttag", "pillars/training/", "zentrale/feed.xml"):
            assert word not in text, f"{word} in {path}"


def test_custom_xml_and_txt_templates_are_autoescaped(make_site):
    theme = {
        "themes/t/theme.yaml": "extends: default\n",
        "themes/t/templates/feed.xml": "<feed>{% for e in entries %}<title>{{ e.page.title }}</title>{% endfor %}</feed>\n",
        "themes/t/templates/notiz.txt": "TXT {{ page.title }}\n",
        "themes/t/templates/page.html": "{% extends 'default:page.html' %}{% block main %}"
                                        "{% include 'notiz.txt' %}{{ super() }}{% endblock %}",
        "content/seite.md": "---\ntitle: '<b>Seite</b>'\n---\n",
        "content/messages/boese.md": "---\ntitle: '<b>M</b> & Co'\ndate: 2026-01-06\n---\n",
    }
    root, _ = built(make_site, theme, site_yaml=BASIC_SITE_YAML + "theme: t\n")
    feed = (root / "_site/feed.xml").read_text()
    assert "<title>&lt;b&gt;M&lt;/b&gt; &amp; Co</title>" in feed and "<b>" not in feed
    assert "TXT &lt;b&gt;Seite&lt;/b&gt;" in (root / "_site/seite/index.html").read_text()


# ---------------------------------------------------------------- bounded Markdown, unique ids

#: Big enough that quadratic work in any of them (n² steps at n = 16,000: over a minute even at
#: 0.3 µs a step) blows the timeout below, which linear work (under a second each) stays far within.
PATHOLOGICAL = {
    "stars": "*" * 16_000, "brackets": "[" * 16_000, "open-close": "[" * 8_000 + "]" * 8_000,
    "images": "![" * 8_000, "underscores": "_a " * 10_000, "backticks": "`" * 16_000, "angles": "<" * 16_000,
    "emphasis-mix": "*a **b " * 8_000, "links": "[a](" * 8_000, "entities": "&#" * 10_000,
    "footnotes": "[^a]" * 8_000, "roles": "{kpi}`" * 8_000,
    "wide-table": "|" + "a|" * 1500 + "\n|" + "-|" * 1500 + "\n" + ("|" + "x|" * 1500 + "\n") * 8,
    "long-table": "|a|b|\n|-|-|\n" + "|x|y|\n" * 8_000,
}


def test_pathological_markdown_finishes_in_bounded_time(make_site):
    """A subprocess with a generous timeout (no timing assertion): quadratic parsing would blow it."""
    files = {f"content/p-{name}.md": f"---\ntitle: {name}\n---\n{body}\n" for name, body in PATHOLOGICAL.items()}
    root = make_site(files)
    done = subprocess.run([*IM_SITE, "--config", str(root / "site.yaml"), "build",
                           "--now", "2026-11-26T12:00:00+00:00"], capture_output=True, text=True, timeout=45,
                          cwd=root, check=False)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_a_huge_theme_stylesheet_finishes_in_bounded_time(make_site):
    """A theme stylesheet is read for its url()s: 30 000 of them in 3 MB, and 30 000 that never
    close, once took a minute (each line number counted from the top; each `url(` read to the end)."""
    css = "h1{color:red}\n" + ".i{background:url(img/i.svg)}\n.x{margin:0 auto;padding:1px 2px}\n" * 30_000
    root = make_site({**GOOD, "themes/t/theme.yaml": "extends: default\n",
                      "themes/t/static/img/i.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
                      "themes/t/static/gross.css": css + ".y{background:url(fehlt.png)}\n" + "url(" * 30_000},
                     site_yaml=BASIC_SITE_YAML + "theme: t\n")
    done = subprocess.run([*IM_SITE, "--config", str(root / "site.yaml"), "build",
                           "--now", "2026-11-26T12:00:00+00:00"], capture_output=True, text=True, timeout=30,
                          cwd=root, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "themes/t/static/gross.css:60002: error[IM110]: 'fehlt.png' not found" in done.stderr


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.local_links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(values["id"])
        href = values.get("href") or ""
        if href.startswith("#") and len(href) > 1:
            self.local_links.append(href[1:])


def test_ids_are_unique_on_every_page_and_local_links_land(make_site):
    files = {
        "content/seite.md": "---\ntitle: A\n---\n## Ziele\n\n## Ziele\n\n### Ziele-1\n\n## Main\n\n## Quiz\n\nText[^1]\n\n[^1]: Fuß.\n",
        "content/training/m/index.md": "---\ntitle: Modul\n---\n## Einführung\n\n## Quiz\n\nNote[^1].\n\n[^1]: eins\n",
        "content/training/m/01-a.md": "---\ntitle: Einführung\n---\n## Einführung\n\nText[^1].\n\n[^1]: zwei\n",
        "content/training/m/02-b.md": "---\ntitle: Lektion\n---\n## Ziele\n\nMehr[^1].\n\n[^1]: drei\n",
        "content/training/m/03-c.md": "---\ntitle: Ziele\n---\n## Ziele\n",
    }
    root, _ = built(make_site, files)
    for rel in ("seite/index.html", "training/m/index.html"):
        parser = _Ids()
        parser.feed((root / "_site" / rel).read_text())
        duplicates = sorted({i for i in parser.ids if parser.ids.count(i) > 1})
        assert not duplicates, (rel, duplicates)
        assert set(parser.local_links) <= set(parser.ids), (rel, set(parser.local_links) - set(parser.ids))
    html = (root / "_site/training/m/index.html").read_text()
    assert 'id="ziele-1"' in html and 'href="#ziele"' in html  # the lesson keeps its anchor


def test_headings_never_take_an_id_of_the_default_theme():
    from im_site.model import THEME_IDS

    templates = THEMES / "default" / "templates"
    pages = ["base.html", "page.html", "message.html", "module.html", "snapshot.html", *
             (f"partials/{p.name}" for p in (templates / "partials").iterdir())]
    found = {i for name in pages for i in re.findall(r'\sid="([A-Za-z][\w-]*)"', (templates / name).read_text())}
    assert found <= set(THEME_IDS), found - set(THEME_IDS)


def test_ids_are_renamed_deterministically(make_site, tmp_path):
    files = {"content/training/m/index.md": "---\ntitle: M\n---\nA[^1]\n\n[^1]: a\n",
             "content/training/m/01-a.md": "---\ntitle: L\n---\nB[^1]\n\n[^1]: b\n"}
    first = built(make_site, files, folder="one")[1]
    second = built(make_site, files, folder="two")[1]
    assert first == second


# ---------------------------------------------------------------- images

def tiff() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "TIFF")
    return out.getvalue()


def test_missing_empty_and_disallowed_images_name_the_page(make_site):
    bad = {"leer.png": b"", "alt.tiff": tiff(), "fehlt.png": None}
    files = {f"content/img/{name}": data for name, data in bad.items() if data is not None}
    files["content/messages/bilder.md"] = "---\ntitle: Bilder\ndate: 2026-01-01\nimage: ../img/fehlt.png\n---\n" + \
        "\n\n".join(f"![Bild](../img/{name})" for name in bad) + "\n"
    root, before = built(make_site, {})
    from conftest import write_files
    write_files(root, files)
    stderr = fails_cleanly(root, before, "content/messages/bilder.md")
    for name, code in (("leer.png", "IM112"), ("alt.tiff", "IM112"), ("fehlt.png", "IM110")):
        lines = [line for line in errors_of(stderr) if f"content/img/{name}" in line]
        assert lines and all(line.startswith("content/messages/bilder.md:") and code in line for line in lines), stderr
    assert "TIFF is not allowed" in stderr
    assert any(line.startswith("content/messages/bilder.md:4:") for line in errors_of(stderr))  # the image: key


def errors_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": error[" in line]


def test_svg_with_script_is_never_inlined(make_site):
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert("SVGMARKER")</script><rect width="1" height="1"/></svg>'
    root, _ = built(make_site, {"content/seite.md": "---\ntitle: S\n---\n![Logo](logo.svg)\n", "content/logo.svg": svg})
    for path in (p for p in (root / "_site").rglob("*") if p.suffix in (".html", ".xml", ".json", ".js")):
        assert "SVGMARKER" not in path.read_text(errors="ignore"), path
    html = (root / "_site/seite/index.html").read_text()
    assert re.search(r'<img [^>]*src="[^"]*logo\.[0-9a-f]+\.svg"', html)


# ---------------------------------------------------------------- the leak scan

def test_leak_scan_refuses_output_that_quotes_a_hidden_title(make_site):
    root, before = built(make_site, {"content/messages/entwurf.md":
                                     "---\ntitle: Fusion mit Nordmarkt\ndate: 2026-01-06\ndraft: true\n---\nGeheim.\n"})
    (root / "content/seite.md").write_text("---\ntitle: Gerüchte\n---\nNein, es gibt keine Fusion mit Nordmarkt.\n")
    stderr = fails_cleanly(root, before, "content/messages/entwurf.md:2: error[IM060]")
    assert "seite/index.html" in stderr


def test_leak_scan_says_whose_page_it_is_and_which_file_quotes_it(make_site):
    """In an --audience build the other audience's page is published in the full site: the
    message called it "an unpublished page" and named only output files, not the file to edit."""
    root, before = built(make_site, {
        "content/messages/umzug.md": "---\ntitle: Umzug der Zentrale\ndate: 2026-01-06\naudiences: [zentrale]\n---\n",
        "content/messages/inventur.md": "---\ntitle: Inventur\ndate: 2026-01-07\naudiences: [filiale]\n---\n"
                                        "Siehe [Umzug der Zentrale](umzug.md).\n"})
    result = build_site(root, "--audience", "filiale")
    assert result.exit_code == 1
    assert ("content/messages/umzug.md:2: error[IM060]: the title of another audience's page appears in "
            "messages/inventur/index.html; refusing to publish it (hint: content/messages/inventur.md quotes it)"
            ) in errors_of(result.stderr)
    assert snapshot_tree(root / "_site") == before


def test_leak_scan_finds_an_escaped_title(make_site):
    root, before = built(make_site, {"content/messages/entwurf.md":
                                     "---\ntitle: Preise & Rabatte 2027\ndate: 2026-01-06\ndraft: true\n---\n"})
    (root / "content/seite.md").write_text("---\ntitle: Vorschau\n---\nBald: Preise & Rabatte 2027.\n")
    fails_cleanly(root, before, "error[IM060]")


def test_leak_scan_reads_a_page_again_only_when_its_bytes_or_the_hidden_titles_change(make_site, monkeypatch):
    """A rebuild skips the pages found clean of the same hidden titles (a site always has drafts);
    a draft retitled to what an unchanged, cached page quotes is still caught."""
    root, before = built(make_site, {
        "content/messages/entwurf.md": "---\ntitle: Geheimer Entwurf zur Filiale\ndate: 2026-01-06\ndraft: true\n---\n",
        "content/seite.md": "---\ntitle: Gerüchte\n---\nNein, es gibt keine Fusion mit Nordmarkt.\n"})
    read: list[str] = []
    real = Blobs.__getitem__
    monkeypatch.setattr(Blobs, "__getitem__", lambda self, path: read.append(path) or real(self, path))
    assert build_site(root).exit_code == 0
    assert "seite/index.html" not in read  # found clean by the first build, replayed byte for byte
    entwurf = root / "content/messages/entwurf.md"
    entwurf.write_text(entwurf.read_text().replace("Geheimer Entwurf zur Filiale", "Fusion mit Nordmarkt"))
    stderr = fails_cleanly(root, before, "content/messages/entwurf.md:2: error[IM060]")
    assert "seite/index.html" in stderr


def test_downloads_stay_in_the_cache_and_are_still_scanned_for_hidden_titles(make_site):
    """A download is held by its place in the cache's file store, not in memory, and a text
    download quoting a hidden title fails the build like a page would."""
    root, before = built(make_site, {
        "content/seite.md": "---\ntitle: Seite\n---\n[Plan](plan.pdf) und [Liste](liste.txt)\n",
        "content/plan.pdf": b"%PDF-1.4 plan", "content/liste.txt": "Termine im Januar\n",
        "content/messages/entwurf.md": "---\ntitle: Fusion mit Nordmarkt\ndate: 2026-01-06\ndraft: true\n---\n"})
    assert (root / "_site/files/plan.pdf").read_bytes() == b"%PDF-1.4 plan"
    config = load_config(root / "site.yaml")
    outputs = build(config, BuildOptions(root / "site.yaml", read_clock(NOW))).outputs
    assert outputs.files.is_stored("files/plan.pdf") and outputs.files["files/liste.txt"] == "Termine im Januar\n".encode()
    (root / "content/liste.txt").write_text("Termine im Januar, dann die Fusion mit Nordmarkt\n")
    assert "files/liste.txt" in fails_cleanly(root, before, "content/messages/entwurf.md:2: error[IM060]")


# ---------------------------------------------------------------- security review of the theme

def _theme_scripts() -> list[Path]:
    roots = [THEMES, Path(__file__).resolve().parent.parent / "themes"]
    return sorted(p for root in roots if root.is_dir() for p in root.rglob("static/**/*.js"))


_HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*(\+?=)\s*([^;\n]*)|insertAdjacentHTML|document\.write|"
                         r"\beval\s*\(|new\s+Function\s*\(|setTimeout\s*\(\s*['\"]")


def test_theme_scripts_never_put_strings_into_html():
    """innerHTML only ever cleared (= "" or ''), never given content; no eval-like sinks."""
    scripts = _theme_scripts()
    assert scripts
    for path in scripts:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for match in _HTML_SINKS.finditer(line):
                cleared = match.group(1) and match.group(2) == "=" and match.group(3).strip() in ('""', "''")
                assert cleared, f"{path.name}:{number}: {line.strip()}"


def _template_sources() -> list[Path]:
    roots = [THEMES, Path(__file__).resolve().parent.parent / "themes"]
    return sorted(p for root in roots if root.is_dir() for p in root.rglob("templates/**/*") if p.is_file())


def test_data_inside_script_elements_goes_through_tojson():
    for path in _template_sources():
        for body in re.findall(r"<script\b[^>]*>(.*?)</script>", path.read_text(), re.DOTALL):
            for expression in re.findall(r"\{\{(.*?)\}\}", body, re.DOTALL):
                assert re.search(r"\|\s*tojson\s*$", expression.strip()), f"{path.name}: {{{{{expression}}}}}"


def test_no_inline_script_or_event_handler_in_built_pages(make_site):
    root, _ = built(make_site, {
        "content/training/m/index.md": "---\ntitle: M\nquiz:\n  - question: '</script><script>alert(1)</script>'\n"
                                       "    options: ['<b>a</b>', b]\n    answer: 0\n---\nText.\n"})

    class Scripts(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.problems: list[str] = []
            self.in_script: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            self.problems += [f"{tag} {name}" for name in values if name.startswith("on")]
            if tag == "script" and "src" not in values:
                self.in_script = values.get("type") or "text/javascript"

        def handle_endtag(self, tag: str) -> None:
            if tag == "script":
                self.in_script = None

        def handle_data(self, data: str) -> None:
            if self.in_script is not None and self.in_script != "application/json":
                self.problems.append(f"inline {self.in_script} script")
            elif self.in_script == "application/json" and data.strip():
                json.loads(data)

    for path in (root / "_site").rglob("*.html"):
        checker = Scripts()
        checker.feed(path.read_text())
        assert not checker.problems, (path, checker.problems)
    module = (root / "_site/training/m/index.html").read_text()
    assert "<script>alert(1)" not in module and "</script><script>" not in module


def test_every_url_field_reaching_an_attribute_is_checked():
    """Front matter and site.yaml fields holding URLs all run through the scheme allow-list."""
    from im_site import config, frontmatter

    probes = {frontmatter.MessageMeta: {"title": "A", "date": __import__("datetime").date(2026, 1, 1)},
              frontmatter.CommonMeta: {"title": "A"}, frontmatter.ModuleMeta: {"title": "A"}}
    for model, base in probes.items():
        for field in [name for name in model.model_fields if "url" in name or name == "image"]:
            with pytest.raises(Exception, match="scheme"):
                model.model_validate({**base, field: "javascript:alert(1)"})
    for field in ("feedback", "acknowledge_url"):
        with pytest.raises(Exception, match="scheme"):
            config.SiteSettings.model_validate({"title": "A", field: "vbscript:x"})
    with pytest.raises(Exception, match="scheme"):
        config.MenuItem.model_validate({"label": "x", "url": "data:text/html,x"})


# ---------------------------------------------------------------- the dev server

def test_serve_binds_localhost_unless_asked():
    from im_site.cli import serve

    host = next(param for param in serve.params if param.name == "host")
    assert host.default == "127.0.0.1"


def test_a_change_during_a_rebuild_triggers_another(tmp_path):
    """watch.Watcher: an event that arrives while rebuild() runs leads to one more rebuild."""
    import threading
    import time

    from im_site.watch import Watcher

    (tmp_path / "content").mkdir()
    calls: list[float] = []
    named: list[frozenset] = []
    second = threading.Event()

    def rebuild(paths: frozenset) -> None:
        calls.append(time.monotonic())
        named.append(frozenset(path.name for path in paths))
        if len(calls) == 1:
            (tmp_path / "content" / "waehrenddessen.md").write_text("---\ntitle: B\n---\n")
            time.sleep(0.3)  # still rebuilding when the event arrives
        else:
            second.set()

    watcher = Watcher(tmp_path / "site.yaml", rebuild, quiet=0.05)
    watcher.start()
    try:
        (tmp_path / "content" / "erst.md").write_text("---\ntitle: A\n---\n")
        assert second.wait(timeout=20), calls
    finally:
        watcher.stop()
    # Each rebuild is told which files its burst touched (the dev server previews a lone page edit).
    assert "erst.md" in named[0] and "waehrenddessen.md" in named[1], named
