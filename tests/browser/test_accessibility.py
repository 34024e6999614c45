"""Accessibility in a real browser: axe-core finds no serious or critical violation on any
page type, in both languages, for the demo site and a site in the plain default theme;
the skip link and visible focus work from the keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import clean_turn, desktop_tab
from .pages import DEMO, PLAIN, every_page

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


#: What axe-playwright-python's `Axe.run` asks of axe-core by default (all rules; violations in full).
DEFAULT_OPTIONS = {"resultTypes": ["violations"]}


@pytest.fixture(scope="module")
def axe() -> Any:
    return pytest.importorskip("axe_playwright_python.sync_playwright").Axe()


def load_axe_with_every_page(axe: Any, watched: Any) -> None:
    """Have each page the tab opens start with axe-core loaded (as an init script), instead of
    `axe.run` sending its 570 kB script into every page it checks: a fifth of a second a page."""
    watched.page.add_init_script(script=axe.axe_script)


def blocking_violations(axe: Any, page: Any) -> list[str]:
    """One line per serious/critical rule violation (all of axe-core's default rules, as `axe.run`
    runs them), with the first offending elements."""
    if not page.evaluate("typeof window.axe?.run === 'function'"):  # a page without load_axe_with_every_page
        page.evaluate(axe.axe_script)
    response = page.evaluate("options => axe.run(options)", DEFAULT_OPTIONS)
    lines = []
    for violation in response["violations"]:
        if violation.get("impact") in BLOCKING:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
    return lines


@pytest.fixture(scope="module")
def reading(browser: Any, axe: Any) -> Iterator[Any]:
    """One desktop tab for the 42 page checks below."""
    with desktop_tab(browser) as watched:
        load_axe_with_every_page(axe, watched)
        yield watched


@pytest.fixture
def tab(reading: Any) -> Iterator[Any]:
    with clean_turn(reading) as page:
        yield page


@pytest.mark.parametrize(("name", "path"), every_page(DEMO))
def test_demo_site_has_no_serious_violations(axe, tab, demo_site, name, path):
    tab.goto(demo_site.url + path)
    assert blocking_violations(axe, tab) == []


@pytest.mark.parametrize(("name", "path"), every_page(PLAIN))  # both languages, as for the demo (issue 8)
def test_default_theme_has_no_serious_violations(axe, tab, plain_site, name, path):
    tab.goto(plain_site.url + path)
    assert blocking_violations(axe, tab) == []


def test_quiz_after_checking_has_no_serious_violations(axe, page, plain_site):
    """The marked answers and verdict are checked too, not only the untouched page."""
    page.goto(plain_site.url + "training/kasse/")
    page.locator(".quiz-question").nth(0).get_by_label("Nie").check()
    page.locator("button.quiz-check").click()
    assert blocking_violations(axe, page) == []


def test_search_results_have_no_serious_violations(axe, page, demo_site):
    """Results built by the script: the page's list and the header's open panel."""
    page.goto(demo_site.url + "search/?q=Frische")
    page.locator("main .search-results a").first.wait_for()
    assert blocking_violations(axe, page) == []
    page.goto(demo_site.url + "en/messages/")
    page.locator("header #search-input").fill("fresh")
    page.locator("header .search-results a").first.wait_for()
    assert blocking_violations(axe, page) == []


@pytest.mark.parametrize("site", ["demo_site", "plain_site"])
def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, request, site):
    page.goto(request.getfixturevalue(site).url + "messages/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className + '|' + document.activeElement.getAttribute('href')")
    assert focused == "skip-link|#main"
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0 and box["width"] > 0  # shown on screen when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is inside the main content, not back in the header
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")


def test_focus_is_visible_on_every_tab_stop_of_the_header(page, demo_site):
    """Each element reached by Tab shows an outline (or a box shadow) while focused, and is itself
    in sight: the header's search button, hidden to a pixel when JavaScript searches as you type,
    was a tab stop nobody could see."""
    page.goto(demo_site.url)
    for _ in range(12):
        page.keyboard.press("Tab")
        style = page.evaluate("""() => {
            const el = document.activeElement, s = getComputedStyle(el), box = el.getBoundingClientRect();
            return {tag: el.tagName, text: (el.textContent || el.value || '').trim().slice(0, 30),
                    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
                    shadow: s.boxShadow !== 'none', header: !!el.closest('.site-header'),
                    seen: el.contains(document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2))};
        }""")
        assert style["outline"] or style["shadow"], f"no visible focus on {style}"
        assert style["seen"] or not style["header"], f"a tab stop nobody sees: {style}"


@pytest.mark.parametrize("path", ["reach/", "kpis/", "kpis/2026-q3/"])
def test_table_rows_are_ruled_across_their_whole_width(page, demo_site, path):
    """A row's line runs under all of its cells: the row header of the last body row above a
    total (tfoot) kept its line while the cells beside it lost theirs, so it stopped halfway."""
    page.goto(demo_site.url + path)
    rows = page.evaluate("""() => [...document.querySelectorAll('main tr')].map(tr => ({
        text: tr.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40),
        widths: [...tr.children].filter(c => c.rowSpan === 1).map(c => getComputedStyle(c).borderBottomWidth)}))""")
    assert rows, f"no table on {path}"
    uneven = [row for row in rows if len(set(row["widths"])) > 1]
    assert not uneven, uneven


INK = """async (weight) => {
  const span = document.createElement('span');
  span.textContent = 'Achtung Mindesthaltbarkeit';
  span.style.cssText = 'font-weight:' + weight + ';font-size:40px;color:#000;background:#fff;position:fixed;top:0;left:0;z-index:999;padding:4px';
  span.className = 'ink-probe';
  document.body.appendChild(span);
  await document.fonts.ready;
  return span.getBoundingClientRect().toJSON();
}"""


def _ink(page: Any, weight: int) -> int:
    """Dark pixels of a probe text in the body font at `weight`."""
    import io

    from PIL import Image

    box = page.evaluate(INK, weight)
    shot = Image.open(io.BytesIO(page.screenshot(clip=box))).convert("L")
    page.evaluate("document.querySelector('.ink-probe').remove()")
    return sum(shot.histogram()[:128])


def test_bold_text_in_the_brand_font_is_drawn_bold(page, demo_site):
    """The demo's body font ships one regular file; its @font-face said it drew every weight
    (100 900), so the browser drew `**bold**`, callout titles and buttons in regular letters."""
    page.goto(demo_site.url + "messages/2026-04-kulanz-bis-25-euro/")
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith('"Brand Body"')
    regular, bold = _ink(page, 400), _ink(page, 700)
    assert bold > regular * 1.15, (regular, bold)


@pytest.mark.parametrize("path", ["training/service-am-kunden/", "en/training/service-am-kunden/"])
def test_the_boxes_above_a_module_line_up(page, demo_site, path):
    """The learning objectives, prerequisites and lesson list sit side by side in one grid; the
    objectives box kept the margin it has on plain pages, so it began 24 px below its neighbour.
    (That the two columns also end together is test_layout's.)"""
    page.goto(demo_site.url + path)
    boxes = page.evaluate("""() => [...document.querySelectorAll('.module-overview > *')].map(el => {
        const r = el.getBoundingClientRect(); return [Math.round(r.left), Math.round(r.top)]; })""")
    assert len(boxes) == 3
    (left_a, top_a), (left_b, top_b) = boxes[:2]
    assert left_a != left_b and top_a == top_b, boxes


@pytest.mark.parametrize("path", ["", "en/", "messages/"])
def test_the_header_keeps_its_accent_edge_above_a_hero(page, demo_site, path):
    """The header's lower edge in the brand's secondary colour (a box-shadow) was painted over by
    the home page's hero background, so the home page alone had no yellow edge."""
    import io

    from PIL import Image

    page.goto(demo_site.url + path)
    bottom = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().bottom")
    shot = Image.open(io.BytesIO(page.screenshot(clip={"x": 0, "y": bottom, "width": 40, "height": 2}))).convert("RGB")
    assert shot.getpixel((20, 1)) == (0xF2, 0xA9, 0x00)


# A system colour keyword as the browser resolves it, to compare computed colours with.
SYSTEM_COLOUR = """(name) => { const probe = document.createElement('span'); probe.style.color = name;
    document.body.appendChild(probe); const value = getComputedStyle(probe).color; probe.remove(); return value; }"""
BORDER = """(el) => { const s = getComputedStyle(el);
    return {style: s.borderTopStyle, width: parseFloat(s.borderTopWidth), colour: s.borderTopColor, background: s.backgroundColor}; }"""


def test_in_windows_high_contrast_controls_and_marks_stay_visible(page, demo_site):
    """Forced colours (Windows high contrast) drop background colours and box shadows: the must-read
    flag lost its pill, the current menu entry looked like any other, the KPI line stayed a faint
    brand green and focus rings were not the system's highlight. Now each has a border or a system
    colour of its own."""
    page.emulate_media(forced_colors="active")
    page.goto(demo_site.url + "messages/2026-04-kulanz-bis-25-euro/")
    highlight = page.evaluate(SYSTEM_COLOUR, "Highlight")
    for selector in (".acknowledge a.button", ".flag-must-read", "header .search-submit", ".badge"):
        border = page.locator(selector).first.evaluate(BORDER)
        assert border["style"] != "none" and border["width"] >= 1 and border["colour"] != border["background"], (selector,
                                                                                                                border)
    page.goto(demo_site.url + "training/service-am-kunden/")
    for selector in ("button.mark-completed", "button.quiz-check"):
        border = page.locator(selector).evaluate(BORDER)
        assert border["style"] != "none" and border["width"] >= 1, (selector, border)
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineColor]; }")
    assert ring == ["solid", highlight]
    page.goto(demo_site.url + "training/")
    current, other = (page.locator(f".main-nav a{state}").first.evaluate("a => getComputedStyle(a).backgroundColor")
                      for state in ("[aria-current]", ":not([aria-current])"))
    assert current == highlight and other != highlight
    page.goto(demo_site.url + "kpis/")
    assert page.locator(".kpi-chart .chart-line").first.evaluate("l => getComputedStyle(l).stroke") == highlight
