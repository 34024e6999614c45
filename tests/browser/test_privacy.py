"""What a reader's browser stores and which hosts it asks, used as a reader would on the published
demo: held against README.md's "Data protection" section, which a data protection officer reads."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

README = Path(__file__).resolve().parents[2] / "README.md"
MODULE = "latest/training/frische-erklaeren/"


def documented_storage_keys() -> list[str]:
    """The keys of the README's table of localStorage entries (a `<...>` part as a regex)."""
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Data protection")
    section = text[start:text.index("\n## ", start + 1)]
    keys = re.findall(r"^\| `([^`]+)` \|", section, re.M)
    return [re.sub(r"<[^>]+>", ".+", re.escape(key).replace(r"\<", "<").replace(r"\>", ">")) for key in keys]


def stored(page) -> dict:
    return page.evaluate("""async () => ({
        local: Object.keys(localStorage).sort(),
        session: Object.keys(sessionStorage),
        databases: indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : [],
        caches: await caches.keys(),
        workers: (await navigator.serviceWorker.getRegistrations()).length,
    })""")


def test_the_browser_stores_and_asks_only_what_the_readme_says(new_page, published_demo):
    """The README tells the DSB every localStorage key the theme's scripts write, when each goes,
    and that no cookie, other storage or other host is involved: a reader who picks an audience,
    marks a module done, searches and opens a must-read leaves exactly those keys."""
    keys = documented_storage_keys()
    assert len(keys) == 2, keys
    watched = new_page()
    page, hosts = watched.page, set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(published_demo.url + "latest/messages/")
    page.get_by_label("Nachrichten für").select_option("filiale")
    page.goto(published_demo.url + MODULE)
    page.locator("button.mark-completed").click()
    box = page.locator("header #search-input")
    box.fill("Kulanz")
    page.locator("header .search-results a").first.wait_for()
    page.goto(published_demo.url + "latest/messages/2026-04-kulanz-bis-25-euro/")
    page.locator("a[data-ack-template][href*='version=']:not([href*='version=dev'])").wait_for()
    found = stored(page)
    assert len(found["local"]) == 2 and all(any(re.fullmatch(key, name) for key in keys) for name in found["local"]), \
        (found["local"], keys)
    assert (found["session"], found["databases"], found["caches"], found["workers"]) == ([], [], [], 0)
    assert page.context.cookies() == []
    assert hosts == {urlsplit(published_demo.url).netloc}
    # Each goes as the table says: the module pressed again, the audience put back to all.
    page.goto(published_demo.url + MODULE)
    page.locator("button.mark-completed[aria-pressed='true']").click()
    page.goto(published_demo.url + "latest/messages/")
    page.get_by_label("Nachrichten für").select_option("")
    assert stored(page)["local"] == []
    watched.assert_clean()
