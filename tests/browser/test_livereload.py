"""`im-site serve`: an open page reloads by itself with the new text after a file is saved."""

from __future__ import annotations

import queue
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import shrink_photos

from .conftest import NOW, REPO, write_files

pytestmark = pytest.mark.browser

MESSAGE = "content/messages/2026-04-kulanz-bis-25-euro.md"


def demo_copy(target: Path) -> Path:
    """The demo's sources (not its output or cache) in a folder the test may edit, its photos
    smaller (the dev server's first build is a cold one: no 1600-pixel variants to encode)."""
    target.mkdir()
    shutil.copy2(REPO / "site.yaml", target / "site.yaml")
    for folder in ("content", "themes"):
        shutil.copytree(REPO / folder, target / folder)
    shrink_photos(target / "content/assets/images")
    return target


def start_serve(root: Path) -> tuple[subprocess.Popen[str], str]:
    """`im-site serve --port 0`, and the address it reports once it listens."""
    command = [sys.executable, "-c", "from im_site.cli import main; main()",
               "--config", str(root / "site.yaml"), "-v", "serve", "--port", "0", "--now", NOW]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=root)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    seen = []
    while True:
        try:
            line = lines.get(timeout=60)
        except queue.Empty:
            process.kill()
            pytest.fail("im-site serve printed no address:\n" + "".join(seen))
        seen.append(line)
        found = re.search(r"serving (http://\S+)", line)
        if found:
            return process, found.group(1)


@pytest.fixture
def served_copy(tmp_path):
    root = demo_copy(tmp_path / "demo")
    process, url = start_serve(root)
    yield root, url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_an_open_page_reloads_with_the_saved_text(page, served_copy):
    root, url = served_copy
    page.goto(url + "messages/2026-04-kulanz-bis-25-euro/")
    assert "Gerade gespeichert" not in page.locator("h1").inner_text()
    page.wait_for_function("document.querySelector('meta[name=\"im-site-build\"]') !== null")
    source = root / MESSAGE
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace('title: "Kulanz bis 25 Euro', 'title: "Gerade gespeichert: Kulanz bis 25 Euro', 1),
                      encoding="utf-8")
    # `?.`: the predicate may run while the reloaded document is still being parsed, before its h1.
    page.wait_for_function("document.querySelector('h1')?.textContent.includes('Gerade gespeichert')", timeout=30_000)
    assert page.url.endswith("/messages/2026-04-kulanz-bis-25-euro/")


def test_a_body_edit_shows_at_once_and_other_open_pages_stay(new_page, served_copy):
    """The edited page is previewed before the full rebuild; a page the edit does not change is not reloaded."""
    root, url = served_copy
    edited, other = new_page(), new_page()
    edited.page.goto(url + "messages/2026-04-kulanz-bis-25-euro/")
    other.page.goto(url + "training/service-am-kunden/")
    for watched in (edited, other):
        watched.page.wait_for_function("document.querySelector('meta[name=\"im-site-build\"]') !== null")
    other.page.evaluate("window.imSiteStayed = true")
    source = root / MESSAGE
    source.write_text(source.read_text(encoding="utf-8") + "\nNachtrag: gerade ergänzt.\n", encoding="utf-8")
    edited.page.wait_for_function("document.body?.textContent.includes('gerade ergänzt')", timeout=30_000)
    edited.page.evaluate("window.imSiteStayed = true")  # the preview: shown once, not reloaded again
    # Until the full rebuild that follows the preview has been announced as well:
    shown = int(edited.page.locator('meta[name="im-site-build"]').get_attribute("content"))
    edited.page.wait_for_function(
        f"fetch('/__im-site/status').then(r => r.json()).then(s => s.build > {shown})", timeout=30_000)
    edited.page.wait_for_timeout(500)  # time for the event to reach both pages
    assert other.page.evaluate("window.imSiteStayed === true")
    assert edited.page.evaluate("window.imSiteStayed === true")  # the full rebuild rendered the same bytes
    edited.assert_clean()
    other.assert_clean()


def test_a_missing_page_is_styled_and_appears_once_written(new_page, served_copy):
    """The 404 at a nested address links to the site's styles and the live-reload client from there,
    so it looks like the site and turns into the page once its file is saved."""
    root, url = served_copy
    watched = new_page()
    page = watched.page
    page.goto(url + "messages/gleich-geschrieben/")
    page.wait_for_function("document.querySelector('meta[name=\"im-site-build\"]') !== null")
    assert page.evaluate("getComputedStyle(document.body).getPropertyValue('--color-primary')")  # the brand's styles
    homes = page.locator("main a.button").evaluate_all("links => links.map(a => new URL(a.href).pathname)")
    assert homes == ["/index.html", "/en/index.html"]  # the site language's home, then English's
    (root / "content/messages/gleich-geschrieben.md").write_text(
        "---\ntitle: Gleich geschrieben\ndate: 2026-11-20\n---\nDa ist sie.\n", encoding="utf-8")
    page.wait_for_function("document.querySelector('h1')?.textContent.includes('Gleich geschrieben')",
                           timeout=30_000)
    # The only console error allowed is the document's own 404, before the page was written.
    assert [p for p in watched.problems if "status of 404" not in p or "gleich-geschrieben/" not in p] == []
    assert len(watched.problems) == 1


def test_a_site_that_never_built_says_so_and_fits_a_phone(new_page, tmp_path):
    """When the first build fails there is no previous version to show: the page does not claim
    one, and the problems wrap on a phone instead of running off the screen."""
    root = tmp_path / "site"
    write_files(root, {
        "site.yaml": "title: Test\nlanguage: de\n",
        "content/messages/kaputt.md": """
            ---
            title: Frische: ein sehr langer Titel, der auf einem Telefon nicht in eine Zeile passt, gar nicht
            date: 2026-11-20
            ---
            Text
            """,
    })
    process, url = start_serve(root)
    try:
        watched = new_page(viewport={"width": 360, "height": 800})
        page = watched.page
        page.goto(url + "messages/kaputt/")
        overlay = page.locator("[data-im-site-overlay]")
        overlay.wait_for()
        assert overlay.locator("strong").inner_text() == "im-site: the site does not build yet"
        assert "content/messages/kaputt.md:2:" in page.locator("pre").first.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        process.terminate()
        process.wait(timeout=10)
