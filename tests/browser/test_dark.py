"""Dark mode in a real browser (Playwright's `color_scheme="dark"`): the main page types of the demo
and of the plain default theme have no serious or critical axe finding (colour contrast among them)
in dark, the page is dark there and light for a site with `color_scheme: light`, and paper stays light."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import NOW, clean_turn, desktop_tab, im_site, write_files
from .test_accessibility import blocking_violations, load_axe_with_every_page

pytestmark = pytest.mark.browser

#: Relative luminance of a computed `rgb(…)` colour, as WCAG defines it.
LUMINANCE = """(colour) => { const [r, g, b] = colour.match(/[\\d.]+/g).slice(0, 3).map(Number).map(c => c / 255)
    .map(c => c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4); return 0.2126 * r + 0.7152 * g + 0.0722 * b; }"""


@pytest.fixture(scope="module")
def axe() -> Any:
    return pytest.importorskip("axe_playwright_python.sync_playwright").Axe()


@pytest.fixture(scope="module")
def dark_tab(browser: Any, axe: Any) -> Iterator[Any]:
    """One desktop tab of a reader whose device asks for dark mode."""
    with desktop_tab(browser, color_scheme="dark") as watched:
        load_axe_with_every_page(axe, watched)
        yield watched


@pytest.fixture
def tab(dark_tab: Any) -> Iterator[Any]:
    with clean_turn(dark_tab) as page:
        yield page


def luminance(page: Any, selector: str, prop: str) -> float:
    colour = page.locator(selector).first.evaluate(f"el => getComputedStyle(el).{prop}")
    return page.evaluate(LUMINANCE, colour)


@pytest.mark.parametrize(("site", "path"), [
    ("demo_site", ""), ("demo_site", "messages/2026-04-kulanz-bis-25-euro/"), ("demo_site", "en/kpis/"),
    ("plain_site", "messages/2026-10-schulungen/"), ("plain_site", "404.html")])
def test_dark_pages_have_no_serious_violations(axe, tab, request, site, path):
    tab.goto(request.getfixturevalue(site).url + path)
    assert luminance(tab, "body", "backgroundColor") < 0.02  # the dark scheme is on
    assert blocking_violations(axe, tab) == []


def test_dark_quiz_feedback_and_search_marks_have_no_serious_violations(axe, tab, plain_site, demo_site):
    """What scripts add: the checked quiz's marks and verdicts, the search results' marked words."""
    tab.goto(plain_site.url + "training/kasse/")
    tab.locator(".quiz-question").nth(0).get_by_label("Nie").check()
    tab.locator("button.quiz-check").click()
    assert blocking_violations(axe, tab) == []
    tab.goto(demo_site.url + "search/?q=Frische")
    tab.locator("main .search-results mark").first.wait_for()
    assert blocking_violations(axe, tab) == []


def test_pictures_keep_a_white_plate_in_dark_mode(tab, demo_site):
    """A picture with a transparent background (a diagram, a logo drawn in black) was lost on the
    dark page: pictures in the text and the hero have a white plate behind them there."""
    tab.goto(demo_site.url + "messages/2026-09-frische-preis/")
    assert tab.locator(".prose img").first.evaluate("i => getComputedStyle(i).backgroundColor") == "rgb(255, 255, 255)"


def test_a_site_with_color_scheme_light_stays_light_and_paper_stays_light(new_page, plain_site,
                                                                         tmp_path: Path, serve_folder):
    """`color_scheme: light` keeps a white page on a dark device; a dark page prints dark text on
    white paper (printing drops backgrounds, and the light headings and links were pale on it)."""
    page = new_page(color_scheme="dark").page
    page.goto(plain_site.url + "messages/2026-10-schulungen/")
    page.emulate_media(media="print")
    assert luminance(page, "h1", "color") < 0.05 and luminance(page, "main a", "color") < 0.2
    write_files(tmp_path / "src", {"site.yaml": "title: Hell\ncolor_scheme: light\n",
                                   "content/index.md": "---\ntitle: Hell\n---\nText.\n"})
    im_site("--config", str(tmp_path / "src/site.yaml"), "build", "-o", str(tmp_path / "out"), "--now", NOW)
    page.emulate_media(media="screen")
    page.goto(serve_folder(tmp_path / "out").url)
    assert luminance(page, "body", "backgroundColor") > 0.9 and luminance(page, "body", "color") < 0.05
