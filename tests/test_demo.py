"""The demo site as a reader gets it: published twice under a sub-path of a full base_url, with
an audience edition; every link and image of every page leads somewhere."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import NOW, run_cli

REPO = Path(__file__).resolve().parent.parent
BASE_URL = "https://intranet.frischmarkt.example/kommunikation/"


class _Page(HTMLParser):
    """The URLs a page points at (links, images, scripts, styles) and the ids it has."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()
        self.body_class: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.body_class = dict(attrs).get("class") or ""
        for name, value in attrs:
            if not value:
                continue
            if name == "id":
                self.ids.add(value)
            elif name in ("href", "src"):
                self.urls.append(value)
            elif name == "srcset":
                self.urls += [candidate.split()[0] for candidate in value.split(",")]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "site"
    root.mkdir()
    site_yaml = (REPO / "site.yaml").read_text(encoding="utf-8")
    (root / "site.yaml").write_text(re.sub(r"(?m)^base_url: /", f"base_url: {BASE_URL}", site_yaml), encoding="utf-8")
    for folder in ("content", "themes"):
        shutil.copytree(REPO / folder, root / folder)
    dest = root / "public"
    for args in (["--version", "v1"], ["--version", "v2"], ["--version", "v2", "--audience", "filiale"]):
        result = run_cli(root, "publish", "--dest", str(dest), "--now", NOW, *args)
        assert result.exit_code == 0, result.stderr
    return dest


def _parsed(path: Path, pages: dict[Path, _Page]) -> _Page:
    if path not in pages:
        pages[path] = _Page()
        pages[path].feed(path.read_text(encoding="utf-8"))
    return pages[path]


def test_every_link_and_image_of_every_published_page_resolves(published):
    pages: dict[Path, _Page] = {}
    broken, checked = [], 0
    for html_file in sorted(published.rglob("*.html")):
        for url in _parsed(html_file, pages).urls:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                # The canonical link and social-card URLs are absolute by design; nothing else may be.
                assert parts.scheme not in ("http", "https") or url.startswith(BASE_URL) or \
                    url.startswith("https://forms.frischmarkt.example/"), f"{html_file}: {url}"
                continue
            if url.startswith("/"):  # the 404 page's links start from base_url's path, which serves `published`
                assert url.startswith(urlsplit(BASE_URL).path), f"{html_file}: {url}"
                target = (published / unquote(parts.path)[len(urlsplit(BASE_URL).path):]).resolve()
            else:
                target = (html_file.parent / unquote(parts.path)).resolve() if parts.path else html_file
            if target.is_dir():
                target = target / "index.html"
            checked += 1
            if not target.is_file() or published.resolve() not in target.parents:
                broken.append(f"{html_file.relative_to(published)} -> {url}")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _parsed(target, pages).ids:
                broken.append(f"{html_file.relative_to(published)} -> {url} (no such id)")
    assert checked > 5000
    assert not broken, "\n".join(broken[:30])


def test_every_tag_a_page_shows_has_its_tag_page(published):
    """Tags carried only by modules or plain pages (the demo's `marke`) get a page as well."""
    latest = published / "versions/v2"
    assert "Die Marke im Alltag" in (latest / "tags/marke/index.html").read_text(encoding="utf-8")
    assert "Unsere Markenwerte" in (latest / "tags/marke/index.html").read_text(encoding="utf-8")


def test_an_old_address_of_a_demo_page_leads_to_it(published):
    """content/markenwerte.md names its old address /werte/ in `aliases`."""
    redirect = (published / "versions/v2/werte/index.html").read_text(encoding="utf-8")
    assert 'content="0; url=../markenwerte/index.html"' in redirect
    assert f'<link rel="canonical" href="{BASE_URL}latest/markenwerte/">' in redirect


def test_the_brand_class_of_the_demo_theme_is_on_every_page(published):
    """themes/frischmarkt/templates/base.html gives every page its class (`theme_class`); as an
    override of the `body_class` block it reached only plain pages, each page type setting its own."""
    pages: dict[Path, _Page] = {}
    shown = {path.relative_to(published).as_posix(): _parsed(path, pages).body_class
             for path in sorted((published / "versions/v2").rglob("*.html"))}
    # (an alias page, a bare redirect, has no layout and no class)
    missing = [path for path, classes in shown.items() if classes and "brand-frischmarkt" not in classes.split()]
    assert len(shown) > 100 and not missing, missing[:10]
    assert shown["versions/v2/messages/2026-04-kulanz-bis-25-euro/index.html"] == "message brand-frischmarkt"


def test_the_demo_theme_draws_with_the_brand_colours_only(published):
    """The demo theme's header band ended in a fixed green (#17692F): a site that copied the theme
    and set another primary kept a green end on its blue band. Its stylesheet names no colour of its
    own: tokens, and what `color-mix()` makes of them (the band's darker end: the primary and black)."""
    [css_file] = (published / "versions/v2/assets").glob("frischmarkt.*.css")
    css = re.sub(r"/\*.*?\*/", "", css_file.read_text(encoding="utf-8"), flags=re.S)
    assert not re.findall(r"#[0-9A-Fa-f]{3,8}\b", css)
    band = re.search(r"^\.site-header\{background:([^;}]*)", css, re.M)
    assert band and band.group(1).count("var(--color-primary)") == 2, band


def test_every_absolute_address_leads_to_a_published_file(published):
    """Canonical links, card images, feeds, the sitemap and the digest name base_url + the page's
    URL; in a published folder the pages are below latest/ (filiale/latest/ for the audience
    edition), so without it every one of those addresses was a 404."""
    found = {}
    for file in sorted([*published.glob("versions/v2/**/*.*ml"), *published.glob("filiale/versions/v2/**/*.*ml")]):
        for url in re.findall(re.escape(BASE_URL) + r'[^"<>\s]*', file.read_text(encoding="utf-8")):
            found.setdefault(url, file.relative_to(published).as_posix())
    root = published.parent
    result = run_cli(root, "digest", "-o", str(root / "digest.html"), "--published", "--since", "2026-01-01", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    for url in re.findall(re.escape(BASE_URL) + r"\S*", (root / "digest.html.txt").read_text(encoding="utf-8")):
        found.setdefault(url, "digest.html.txt")
    missing = []
    for url, where in sorted(found.items()):
        target = published / unquote(urlsplit(url).path)[len(urlsplit(BASE_URL).path):]
        if not (target / "index.html" if url.endswith("/") else target).is_file():
            missing.append(f"{where}: {url}")
    assert len(found) > 100 and not missing, missing[:10]
    assert any(url.startswith(BASE_URL + "filiale/latest/") for url in found)


def test_the_published_folder_answers_a_miss_with_the_newest_404_page(published):
    """GitHub Pages sends DIR/404.html for every missing address (nginx: `error_page 404 /404.html`);
    its links lead into latest/, and the link check above follows them from there."""
    assert (published / "404.html").read_bytes() == (published / "latest/404.html").read_bytes()
    assert (published / "filiale/404.html").read_bytes() == (published / "filiale/latest/404.html").read_bytes()
    assert 'href="/kommunikation/latest/assets/' in (published / "404.html").read_text(encoding="utf-8")


def test_the_readme_names_every_file_and_folder_of_a_build(published):
    """The README's Output section is where a user (or a deploy script's author) looks up what a
    build writes: `data/`, `reach/`, `search/`, `whats-new/` and half the manifest's keys were
    missing from it. Page folders, other languages and alias pages are named there by kind."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Output"):text.index("\n## Publishing versions")]
    latest = published / "latest"
    manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
    page_folders = {page["url"].split("/")[0] for page in manifest["pages"]}
    for entry in sorted(latest.iterdir()):
        if entry.name in page_folders - {"messages", "training", "kpis"} or (entry / "index.html").is_file() \
                and 'http-equiv="refresh"' in (entry / "index.html").read_text(encoding="utf-8"):
            continue  # a plain page's folder ("one folder per page"), an alias page
        name = "<lang>/" if entry.name == "en" else entry.name + ("/" if entry.is_dir() else "")
        assert f"`{name}" in section, name
    keys = set(manifest) | {key for page in manifest["pages"] for key in page}
    assert [key for key in sorted(keys) if key not in section and key.replace("_", " ") not in section] == []
