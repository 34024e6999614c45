"""The site works wherever it lands: opened from disk (file://), served under a sub-path,
with JavaScript switched off (reading, navigation, quiz questions and solutions), and on paper."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from .conftest import NOW, SiteHandler, im_site, write_files

pytestmark = pytest.mark.browser

LINKS = "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"


def local_target(url: str) -> Path:
    """The file a file:// link opens (a folder link would show a directory listing)."""
    return Path(unquote(urlparse(url).path.split("#")[0]))


def test_from_disk_every_link_on_the_main_pages_opens_a_file(page, demo_site):
    start = (demo_site.folder / "index.html").as_uri()
    for path in ["index.html", "en/index.html", "training/index.html", "kpis/index.html", "messages/index.html"]:
        page.goto((demo_site.folder / path).as_uri())
        for url in page.evaluate(LINKS):
            if url.startswith("file:"):
                assert local_target(url).is_file(), f"{path}: link to {url} opens no file"
    page.goto(start)
    page.locator(".main-nav").get_by_role("link", name="Training").click()
    page.wait_for_url(re.compile(r"/training/index\.html$"))  # a click starts a navigation; wait for it
    page.locator(".module-card .card-title a").first.click()
    page.wait_for_url(re.compile(r"/training/[^/]+/index\.html$"))
    assert page.locator("section.quiz").is_visible()
    page.locator(".lang-switch a[hreflang=en]").click()
    page.wait_for_url(re.compile(r"/en/training/"))
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator(".brand").click()
    page.wait_for_url(re.compile(r"/en/index\.html$"))


def test_from_disk_search_and_quiz_work(page, demo_site):
    page.goto((demo_site.folder / "index.html").as_uri())
    page.locator("header #search-input").fill("Kulanz")
    result = page.locator("header .search-results a").first
    result.wait_for()
    # the sentence where "Kulanz" stands, from search/de/x-<n>.js loaded from disk too (the summary does not say it)
    first = page.locator("header .search-results .search-excerpt").first
    assert first.locator("mark").all_inner_texts() == ["Kulanzfall"], first.inner_text()
    result.click()
    assert local_target(page.url).is_file()
    page.goto((demo_site.folder / "training/frische-erklaeren/index.html").as_uri())
    page.locator("button.quiz-check").click()
    assert page.locator(".quiz-score").inner_text().startswith("0 ")


def test_under_a_sub_path_styles_links_search_and_quiz_work(page, plain_site):
    page.goto(plain_site.sub)
    header = page.locator(".site-header").evaluate("el => getComputedStyle(el).backgroundColor")
    assert header not in ("rgba(0, 0, 0, 0)", "transparent")  # the stylesheet was found
    # A click only starts the navigation: wait for the new address (page.url read at once was now
    # and then still the page the link is on).
    page.locator(".main-nav").get_by_role("link", name="Training").click()
    page.wait_for_url(re.compile(re.escape(plain_site.sub + "training/") + r"(index\.html)?$"))
    page.locator("#module-kasse .card-title a").click()
    page.wait_for_url(re.compile(re.escape(plain_site.sub + "training/kasse/") + r"(index\.html)?$"))
    page.locator(".quiz-question").nth(0).get_by_label("Ab drei Wartenden").check()
    page.get_by_role("button", name="Prüfen").click()
    assert page.locator(".quiz-score").inner_text() == "1 von 2 richtig."
    page.locator("header #search-input").fill("Umzug")
    result = page.locator("header .search-results a").first
    result.wait_for()
    result.click()
    page.wait_for_url(re.compile(re.escape(plain_site.sub) + r"messages/2026-11-zentrale/"))
    for url in page.evaluate(LINKS):
        if url.startswith(plain_site.url):
            assert url.startswith(plain_site.sub), f"link leaves the sub-path: {url}"


def test_without_javascript_reading_navigation_and_quiz_questions_work(new_page, plain_site):
    watched = new_page(java_script_enabled=False)
    page = watched.page
    page.goto(plain_site.url)
    page.locator(".main-nav").get_by_role("link", name="Training").click()
    page.wait_for_url(re.compile(r"/training/(index\.html)?$"))
    assert page.locator("#module-kasse").is_visible() and page.locator("#module-planung").is_visible()
    page.locator("#module-kasse .card-title a").click()
    page.wait_for_url(re.compile(r"/training/kasse/(index\.html)?$"))
    questions = page.locator(".quiz-question legend")
    assert questions.count() == 2 and questions.first.is_visible()
    assert "Wann öffnest du eine zweite Kasse?" in questions.first.inner_text()
    assert page.locator(".quiz-question").first.get_by_label("Ab drei Wartenden").is_visible()
    assert not page.locator("button.quiz-check").is_visible()  # nothing that needs a script
    solution = page.locator(".quiz-solution").first
    solution.locator("summary").click()
    assert "Ab drei Wartenden öffnet" in solution.locator(".quiz-explain").inner_text()
    page.locator(".lang-switch a[hreflang=en]").click()
    page.wait_for_url(re.compile(r"/en/training/kasse/(index\.html)?$"))
    assert page.locator("h1").inner_text() == "Checkout in five minutes"
    page.goto(plain_site.url + "messages/2026-10-schulungen/")
    assert page.locator(".prose").inner_text().startswith("Ab November")
    page.locator("header #search-input").fill("Schulung")
    page.locator("header #search-input").press("Enter")
    page.wait_for_url(re.compile(r"/search/"))
    assert page.locator(".search-needs-js").is_visible()
    watched.assert_clean()


def serve_with_not_found(folder: Path, not_found: str) -> tuple[str, Any]:
    """Serve folder the way README's nginx block does: a miss at any depth gets `not_found`
    (`error_page 404 /latest/404.html`) with status 404, at the address that was asked for."""

    class Handler(SiteHandler):
        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            if code != 404:
                return super().send_error(code, message, explain)
            body = (folder / not_found).read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


@pytest.mark.parametrize("site, not_found, missing, home", [
    ("plain_site", "404.html", "messages/gibt-es-nicht/", "index.html"),
    ("published", "latest/404.html", "versions/v1/messages/gibt-es-nicht/", "latest/index.html"),
])
def test_the_404_page_is_styled_and_its_links_work_at_any_missing_address(new_page, request, site, not_found,
                                                                          missing, home):
    url, server = serve_with_not_found(request.getfixturevalue(site).folder, not_found)
    try:
        watched = new_page()
        page = watched.page
        page.goto(url + missing)
        assert page.locator("h1").inner_text() == "Seite nicht gefunden"
        header = page.locator(".site-header").evaluate("el => getComputedStyle(el).backgroundColor")
        assert header not in ("rgba(0, 0, 0, 0)", "transparent")  # the stylesheet was found
        page.locator("main").get_by_role("link", name="Startseite").click()
        page.wait_for_url(url + home)
        assert page.locator("h1").inner_text() == "Willkommen"
        # the only console error allowed is the missing page's own status
        assert [p for p in watched.problems if "gibt-es-nicht" not in p] == []
    finally:
        server.shutdown()
        server.server_close()


PRINTED_PAGE = """
---
title: Öffnungszeiten und Kassendrucker
---
| Filiale | Mo | Di | Mi | Do | Fr | Sa | So | Feiertag | Heiligabend | Silvester | Ansprechpartnerin | Telefon |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
| Berlin-Mitte | 7–22 | 7–22 | 7–22 | 7–22 | 7–22 | 7–22 | geschlossen | geschlossen | 7–14 | 7–14 | Qualitätssicherungsbeauftragte Müller | +49 30 1234567 |

```yaml
drucker: "srv-print-01/kasse-01-sehr-langer-druckername-der-nicht-umbricht-und-immer-weiter-geht-bis-zum-TELEFON"
```

| Drucker | Pfad |
|---|---|
| Kasse | `SRV_PRINT_01_KASSE_01_SEHR_LANGER_DRUCKERNAME_DER_NICHT_UMBRICHT_UND_IMMER_WEITER_GEHT_BIS_ZUM_ENDE` |
"""

CUT_OFF = """() => [...document.querySelectorAll('.prose td, .prose th, .prose pre')].flatMap(el => {
  const box = el.closest('.table-scroll, pre').getBoundingClientRect(), r = el.getBoundingClientRect();
  return r.right > box.right + 0.5 || el.scrollWidth > el.clientWidth + 1 ? [el.textContent.slice(-20)] : [];
})"""


def test_printed_a_wide_table_and_a_long_code_line_are_not_cut_off(new_page, tmp_path, serve_folder):
    """Paper cannot scroll: the last columns of a price table and the end of a configuration line
    are printed (wrapped to the page), not cut off at the edge of their box."""
    write_files(tmp_path, {"site.yaml": "title: Intranet\n", "content/oeffnungszeiten.md": PRINTED_PAGE})
    im_site("--config", str(tmp_path / "site.yaml"), "build", "-o", str(tmp_path / "out"), "--now", NOW)
    served = serve_folder(tmp_path / "out")
    page = new_page(viewport={"width": 718, "height": 1000}).page  # an A4 page's printable width
    page.emulate_media(media="print")
    page.goto(served.url + "oeffnungszeiten/")
    assert page.evaluate(CUT_OFF) == []
    assert page.get_by_text("+49 30 1234567").is_visible()


# Words of table cells that a line break splits other than after a hyphen, a dash or a slash.
SPLIT_WORDS = """() => [...document.querySelectorAll('main td, main th')].flatMap(cell => {
  const split = [], walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    for (const word of node.data.matchAll(/\\S+/g)) {
      const tops = [...word[0]].map((_, i) => {
        const range = document.createRange();
        range.setStart(node, word.index + i); range.setEnd(node, word.index + i + 1);
        return Math.round(range.getBoundingClientRect().top);
      });
      tops.forEach((top, i) => { if (i && top !== tops[i - 1] && !'-–/'.includes(word[0][i - 1])) split.push(word[0]); });
    }
  }
  return split;
})"""


def test_printed_tables_break_no_word_in_the_middle(new_page, demo_site):
    """Printed, the KPI snapshot's table of nine columns broke "Zufriedenhe|it", "Antw|orten" and
    "Dresde|n-Neustadt" (overflow-wrap:anywhere): it keeps its words whole and still fits the page."""
    page = new_page(viewport={"width": 718, "height": 1000}).page  # an A4 page's printable width
    page.emulate_media(media="print")
    page.goto(demo_site.url + "kpis/2026-q3/")
    assert page.locator("main table").count() >= 2
    assert page.evaluate(SPLIT_WORDS) == []
    assert page.evaluate(CUT_OFF.replace(".prose td, .prose th, .prose pre", "main td, main th")) == []
    assert page.get_by_role("rowheader", name="München-Schwabing").is_visible()


def test_printed_code_is_dark_on_the_white_paper(new_page, tmp_path, serve_folder):
    """Browsers print without backgrounds by default: the code block's light text on its dark
    background came out pale grey on white (Chromium printed #F2F4F2 as #9FA09F, 2.6:1)."""
    write_files(tmp_path, {"site.yaml": "title: Intranet\n", "content/oeffnungszeiten.md": PRINTED_PAGE})
    im_site("--config", str(tmp_path / "site.yaml"), "build", "-o", str(tmp_path / "out"), "--now", NOW)
    page = new_page().page
    page.emulate_media(media="print")
    page.goto(serve_folder(tmp_path / "out").url + "oeffnungszeiten/")
    contrast = page.locator(".prose pre").evaluate("""pre => {
        const [r, g, b] = getComputedStyle(pre).color.match(/[\\d.]+/g).map(Number).map(c => c / 255)
            .map(c => c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
        return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05); }""")
    assert contrast >= 4.5


def test_a_printed_page_carries_the_brand_not_the_menus(new_page, demo_site):
    """Print hid the whole header: a printed message had no logo or company name on it. It prints
    the brand's line, dark on the white paper, without navigation, search or languages."""
    page = new_page().page
    page.emulate_media(media="print")
    page.goto(demo_site.url + "messages/2026-04-kulanz-bis-25-euro/")
    assert page.locator(".site-header .brand-logo").is_visible()
    assert page.locator(".site-header .brand-title").is_visible()
    assert page.locator(".site-header .brand-title").evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
    for hidden in (".main-nav", ".site-search", ".lang-switch", ".header-menu-toggle"):
        assert not page.locator(f".site-header {hidden}").first.is_visible(), hidden


def test_a_printed_module_has_no_note_about_the_button_it_hides(new_page, plain_site):
    """Paper has no "mark as done" button (print hides it), but its note "the status is saved in
    this browser only" was printed below the module's facts, about nothing on the page."""
    page = new_page().page
    page.emulate_media(media="print")
    page.goto(plain_site.url + "training/kasse/")
    assert not page.locator(".mark-completed").is_visible()
    assert not page.locator(".completion-note").is_visible()


def test_a_printed_must_read_message_keeps_its_heading_but_not_the_button(new_page, demo_site):
    """Paper cannot follow the "read and understood" link: a printed must-read message showed
    the button and the request to press it. It keeps the "must read" heading."""
    page = new_page().page
    page.emulate_media(media="print")
    page.goto(demo_site.url + "messages/2026-04-kulanz-bis-25-euro/")
    assert page.locator(".acknowledge-title").is_visible()
    assert not page.locator(".acknowledge .button").is_visible()
    assert not page.locator(".acknowledge p").first.is_visible()


@pytest.mark.parametrize("where", ["served", "disk"])
def test_the_list_of_versions_leads_around_like_every_page(new_page, published, where):
    """"Alle Versionen" opens a page with the site's header, menu and footer (under the strict CSP
    and from disk, without script): its logo and menu lead into the newest version, also on a phone."""
    watched = new_page(viewport={"width": 360, "height": 740})
    page = watched.page
    start = published.url + "versions.html" if where == "served" else (published.folder / "versions.html").as_uri()
    page.goto(start)
    assert page.locator(".site-header .brand").is_visible() and page.locator(".site-footer").is_visible()
    assert page.locator(".site-footer").inner_text().strip().endswith("Plain Intranet")
    box = page.locator(".table-scroll").first  # the list fits the phone: no date cut off until scrolled
    assert box.evaluate("element => element.scrollWidth <= element.clientWidth"), box.evaluate("e => e.scrollWidth")
    page.locator(".header-menu-toggle").click()  # a <details>: opens without JavaScript
    with page.expect_navigation():
        page.locator(".main-nav a", has_text="Nachrichten").click()
    assert page.url.endswith("versions/v2/messages/index.html") and page.locator("h1").is_visible()
    page.go_back()
    with page.expect_navigation():
        page.locator(".site-header .brand").click()
    assert page.url.endswith("versions/v2/index.html")
    watched.assert_clean()
