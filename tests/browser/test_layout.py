"""How the theme lays pages out for readers at the widths they use: boxes measured in the browser."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

# The overview's boxes grouped into columns by their left edge: [left, top, bottom] of each box and
# the overview's own bottom.
OVERVIEW_BOXES = """() => {
  const overview = document.querySelector('.module-overview');
  const boxes = [...overview.children].map(el => el.getBoundingClientRect());
  return {bottom: overview.getBoundingClientRect().bottom,
          boxes: boxes.map(r => [Math.round(r.left), Math.round(r.top), Math.round(r.bottom)])};
}"""


@pytest.mark.parametrize("path", ["training/marke-im-alltag/", "en/training/service-am-kunden/"])
def test_a_module_overview_of_three_boxes_fills_two_even_columns(page, demo_site, path):
    """Objectives, prerequisites and lesson list came out 2 + 1 at desktop width: the lesson list
    alone on a second row beside an empty half. Now the objectives take the left column and the
    other two stack on the right, so both columns end at the overview's bottom edge."""
    page.goto(demo_site.url + path)
    found = page.evaluate(OVERVIEW_BOXES)
    assert len(found["boxes"]) == 3
    columns: dict[int, list[list[int]]] = {}
    for left, top, bottom in found["boxes"]:
        columns.setdefault(left, []).append([top, bottom])
    assert len(columns) == 2, found
    for boxes in columns.values():
        assert max(bottom for _, bottom in boxes) == pytest.approx(found["bottom"], abs=1), found


PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
HEADER = "document.querySelector('.site-header').getBoundingClientRect().height"
# The rows the header's shown parts take, by their vertical centres (a part inside the closed menu
# is not shown: checkVisibility()).
HEADER_ROWS = """() => {
  const parts = ['.brand', '.header-tools', '.header-menu-toggle', '.main-nav', '.version-links', '.version-switch']
    .map(selector => document.querySelector(selector)).filter(el => el && el.checkVisibility());
  const centres = [];
  for (const el of parts) {
    const r = el.getBoundingClientRect(), centre = r.top + r.height / 2;
    if (!centres.some(seen => Math.abs(seen - centre) < 12)) centres.push(centre);
  }
  return centres.length;
}"""


def version_menu_ready(page) -> None:
    """Wait for versions.js to have added the version menu (it may sit in the closed menu). A
    selector, not wait_for_function, which evaluates a string the served CSP blocks."""
    page.locator("[data-version-switch]:not([hidden]) #version-switch-select").wait_for(state="attached")


@pytest.mark.parametrize("width", [768, 900, 1024, 1280])
def test_the_header_of_a_published_site_keeps_to_two_rows(new_page, published_demo, width):
    """With a long version id (2026-12-01-merge-4711-abcdef0) the version links and menu wrapped to
    a third header row at every width from 768 px: 172 px of header. The version menu now sits on
    the brand's row cut to a fixed width, and below 56rem the menu is behind a button."""
    page = new_page(viewport={"width": width, "height": 800}).page
    page.goto(published_demo.url + "latest/")
    version_menu_ready(page)
    assert page.evaluate(HEADER_ROWS) <= 2
    assert page.evaluate(HEADER) <= 130
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_on_a_phone_the_header_is_short_and_its_menu_works_by_keyboard(new_page, published_demo):
    """At 360 px the header of a published page was about 300 px tall before any content (brand,
    search, languages, two rows of menu, version links, version menu). Now the menu and the version
    controls are behind a "Menü" button (a <details>): Enter opens it over the page, Tab walks
    into it, Escape closes it and puts the focus back on the button."""
    watched = new_page(**PHONE)
    page = watched.page
    page.goto(published_demo.url + "latest/messages/")
    version_menu_ready(page)
    height = page.evaluate(HEADER)
    assert height <= 160
    first = page.locator(".main-nav a").first
    assert not first.is_visible()
    page.locator(".header-menu-toggle").focus()
    page.keyboard.press("Enter")
    assert first.is_visible() and page.locator("#version-switch-select").is_visible()
    assert page.evaluate(HEADER) == height  # the menu opens over the page, which does not move
    select = page.locator("#version-switch-select").bounding_box()
    assert select["x"] + select["width"] <= 360 and page.evaluate("document.documentElement.scrollWidth") <= 360
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Nachrichten"
    page.keyboard.press("Escape")
    assert not first.is_visible()
    assert page.evaluate("document.activeElement.className") == "header-menu-toggle"
    watched.assert_clean()


def test_without_javascript_the_phone_menu_opens_and_leads_on(new_page, published_demo):
    page = new_page(java_script_enabled=False, **PHONE).page
    page.goto(published_demo.url + "latest/")
    assert page.evaluate(HEADER) <= 160
    page.locator(".header-menu-toggle").click()
    page.locator(".main-nav").get_by_role("link", name="Training").click()
    page.wait_for_url(re.compile(r"/latest/training/(index\.html)?$"))
    page.locator(".header-menu-toggle").click()
    assert page.locator(".version-links a[data-version-list]").is_visible()


# A browser that does not know ::details-content (Firefox before 143, the ESR releases offices run):
# told so before the page's scripts run.
NO_DETAILS_CONTENT = """(() => { const supports = CSS.supports.bind(CSS);
  CSS.supports = (...args) => !String(args[0]).includes('details-content') && supports(...args); })()"""


def test_where_a_closed_menu_cannot_be_shown_inline_the_script_keeps_it_open_wide(new_page, published_demo):
    """Such a browser showed the desktop header as on a phone, its menu behind the "Menü" button:
    the script keeps the menu open from 56rem, in the header's rows, and a click elsewhere does not
    close it; narrower it is the button again."""
    watched = new_page(viewport={"width": 1280, "height": 800})
    page = watched.page
    page.add_init_script(NO_DETAILS_CONTENT)
    page.goto(published_demo.url + "latest/")
    version_menu_ready(page)
    assert page.evaluate("document.querySelector('.header-menu').open")
    assert page.locator(".header-menu").get_attribute("class") == "header-menu is-inline"
    assert not page.locator(".header-menu-toggle").is_visible() and page.evaluate(HEADER_ROWS) <= 2
    page.locator("main h1").click()
    assert page.locator(".main-nav a").first.is_visible()
    page.set_viewport_size({"width": 600, "height": 800})
    page.locator(".header-menu:not([open])").wait_for(state="attached")
    assert page.locator(".header-menu-toggle").is_visible() and not page.locator(".main-nav a").first.is_visible()
    watched.assert_clean()


def test_tab_reaches_the_version_menu_where_the_header_shows_it(new_page, published_demo):
    """From 56rem the version menu sits on the brand's row, before the search box, but Tab reached it
    last, after every menu link: it now comes right after the logo, as the header reads."""
    watched = new_page(viewport={"width": 1280, "height": 800})
    page = watched.page
    page.goto(published_demo.url + "latest/")
    version_menu_ready(page)
    stops = []
    for _ in range(4):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("document.activeElement.id || document.activeElement.className"))
    assert stops[2:] == ["version-switch-select", "search-input"], stops  # after the skip link and the logo
    assert page.evaluate(HEADER_ROWS) <= 2
    page.set_viewport_size({"width": 600, "height": 800})  # narrower, it is back in the menu
    page.locator(".header-menu-panel #version-switch-select").wait_for(state="attached")
    watched.assert_clean()


def test_a_light_brand_colour_gets_the_text_colour_its_theme_sets(new_page, tmp_path):
    """White on primary was written into a dozen rules: a yellow brand's header, menu and buttons
    stayed white on yellow whatever the theme said. The token color-on-primary colours them all."""
    from .conftest import NOW, im_site, write_files

    write_files(tmp_path / "src", {
        "site.yaml": 'title: Gelb\nlanguage: de\ntheme: gelb\nbrand:\n  colors:\n    primary: "#F2C200"\n'
                     "menu:\n  - {label: Nachrichten, url: /messages/}\n",
        "themes/gelb/theme.yaml": 'extends: default\ntokens:\n  color-on-primary: "#1A1A1A"\n  color-link: "#6B5500"\n',
        "content/messages/a.md": "---\ntitle: A\ndate: 2026-01-05\n---\nText.\n",
    })
    im_site("--config", str(tmp_path / "src/site.yaml"), "build", "-o", str(tmp_path / "out"), "--now", NOW)
    watched = new_page(viewport={"width": 1280, "height": 900})
    page = watched.page
    page.goto((tmp_path / "out/index.html").as_uri())
    colours = page.evaluate("""() => ['.site-header', '.brand', '.main-nav a', '.lang-switch a, .header-menu-toggle']
        .map(selector => document.querySelector(selector)).filter(Boolean).map(el => getComputedStyle(el).color)""")
    assert len(colours) >= 3 and set(colours) == {"rgb(26, 26, 26)"}, colours
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor") == "rgb(242, 194, 0)"
    watched.assert_clean()


# Eight menu entries of an insurer's intranet, German labels: 91 letters.
LONG_MENU = ["Nachrichten", "Training", "Kennzahlen", "Schadenservice", "Vertrieb & Makler", "Unsere Marke",
             "Organisation", "Kontakt"]
# Whether the menu's entries and version links are all on one row (as the reader sees them).
NAV_ONE_ROW = """() => new Set([...document.querySelectorAll('.main-nav li, .version-links')].filter(el => el.checkVisibility())
  .map(el => Math.round(el.getBoundingClientRect().top))).size === 1"""


def test_eight_menu_entries_keep_the_header_to_two_rows_at_900_to_1100_px(new_page, tmp_path):
    """A site with eight menu entries had a third header row from 56rem to about 1040 px: the last
    entries wrapped below the others. There the entries sit closer in a slightly smaller type, and a
    menu still too long for its row (a wide font) stays behind the "Menü" button, as on a narrower
    screen; resized wider, the entries come back into the row."""
    from .conftest import NOW, im_site, write_files

    files = {"site.yaml": "title: Assura Intranet\nlanguage: de\nmenu:\n" + "".join(
        f"  - {{label: {label}, url: /p{number}/}}\n" for number, label in enumerate(LONG_MENU)),
        "content/messages/a.md": "---\ntitle: A\ndate: 2026-01-05\n---\nText.\n"}
    files.update({f"content/p{number}.md": f"---\ntitle: {label}\n---\nText.\n" for number, label in enumerate(LONG_MENU)})
    write_files(tmp_path / "src", files)
    im_site("--config", str(tmp_path / "src/site.yaml"), "build", "-o", str(tmp_path / "out"), "--now", NOW)
    watched = new_page(viewport={"width": 896, "height": 700})
    page = watched.page
    page.goto((tmp_path / "out/index.html").as_uri())
    toggle, links = page.locator(".header-menu-toggle"), page.locator(".main-nav a")
    shown = []
    for width in (896, 1000, 1100, 1280, 960):
        page.set_viewport_size({"width": width, "height": 700})
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        assert page.evaluate(HEADER_ROWS) <= 2 and page.evaluate(HEADER) <= 130, width
        assert page.locator(".site-search input").bounding_box()["width"] >= 180, width
        if toggle.is_visible():  # behind the button: it opens over the page with every entry
            toggle.click()
            assert all(links.nth(i).is_visible() for i in range(len(LONG_MENU))), width
            page.keyboard.press("Escape")
            shown.append("button")
        else:
            assert page.evaluate(NAV_ONE_ROW), width
            shown.append("row")
    assert shown[-2] == "row", shown  # 1280 px holds them all
    watched.assert_clean()
