"""Phones in the stores: at 360 px no page scrolls sideways, wide tables and charts
scroll inside their own box, and tap targets are at least 24 x 24 px (WCAG 2.5.8)."""

from __future__ import annotations

import pytest

from .conftest import NOW, im_site, write_files
from .pages import DEMO, PLAIN, PLAIN_LANGUAGES, every_page

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}

# Controls, navigation and standalone links. Exempt: links inside running text (WCAG 2.5.8)
# and card titles, whose link covers the whole card (.card-title a::after).
TARGETS = (
    "header a, header button, header input, header select, header summary, nav a, main button, main select,"
    " main input, main summary, a.button, a.badge, .pagination a, footer a"
)

OVERFLOW = """() => {
  const width = window.innerWidth, bad = [];
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p).overflowX;
      if ((s === 'auto' || s === 'scroll') && p.getBoundingClientRect().right <= width + 0.5) return true; }
    return false; };
  for (const el of document.querySelectorAll('table, svg, img, pre')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 0.5 && !scrolls(el)) bad.push(el.tagName + '.' + el.getAttribute('class'));
  }
  return {page: document.documentElement.scrollWidth, width, bad};
}"""

SMALL = """(selector) => {
  const bad = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    if (!r.width || !r.height || s.visibility === 'hidden') continue;
    if (el.closest('.main-nav') && el.closest('.main-nav').scrollWidth > 0 && r.left >= window.innerWidth) continue;
    const target = el.type === 'radio' || el.type === 'checkbox' ? el.closest('li, label') || el : el;
    const t = target.getBoundingClientRect();
    if (t.width < 24 || t.height < 24)
      bad.push(`${el.tagName} "${(el.textContent || el.value || el.name || '').trim().slice(0, 30)}" ${Math.round(t.width)}x${Math.round(t.height)}`);
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize(("name", "path"), every_page(DEMO))
def test_demo_pages_fit_a_phone(phone, demo_site, name, path):
    phone.goto(demo_site.url + path)
    found = phone.evaluate(OVERFLOW)
    assert found["page"] <= found["width"], f"page is {found['page']} px wide"
    assert found["bad"] == [], "wide content outside a scrolling box"
    assert phone.evaluate(SMALL, TARGETS) == []


@pytest.mark.parametrize(("name", "path"), every_page(PLAIN, PLAIN_LANGUAGES))
def test_default_theme_pages_fit_a_phone(phone, plain_site, name, path):
    phone.goto(plain_site.url + path)
    found = phone.evaluate(OVERFLOW)
    assert found["page"] <= found["width"], f"page is {found['page']} px wide"
    assert found["bad"] == []
    assert phone.evaluate(SMALL, TARGETS) == []


def test_a_wide_table_scrolls_inside_its_box(phone, plain_site):
    phone.goto(plain_site.url + "ueber-uns/")
    box = phone.locator(".table-scroll").first
    sizes = box.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert sizes[0] > sizes[1]  # wider than the screen ...
    box.evaluate("el => el.scrollLeft = 1000")
    assert box.evaluate("el => el.scrollLeft") > 0  # ... and scrolls on its own
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("width", [1280, 360])
def test_the_logo_keeps_its_proportions(browser, demo_site, width):
    """A wide wordmark logo is shown 40 px high at its own width, not squeezed into a square."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(demo_site.url)
    logo = page.locator(".brand-logo")
    logo.evaluate("img => img.decode()")
    shown = logo.evaluate("""img => { const s = getComputedStyle(img), r = img.getBoundingClientRect();
        const pad = parseFloat(s.paddingLeft) + parseFloat(s.paddingRight), padY = parseFloat(s.paddingTop) + parseFloat(s.paddingBottom);
        return [(r.width - pad) / (r.height - padY), img.naturalWidth / img.naturalHeight, r.height]; }""")
    context.close()
    assert shown[0] == pytest.approx(shown[1], rel=0.03)
    assert shown[2] == 40


def test_a_published_page_has_its_version_controls_in_the_phone_menu(phone, published):
    """The version links and the version menu are in the header's menu (they took two header rows of
    their own, so on a published page the article began below half the screen; test_layout measures
    the header); the menu keeps its label, and no control gets smaller than a tap target."""
    phone.goto(published.url + "versions/v1/messages/2026-10-schulungen/")
    phone.locator(".header-menu-toggle").click()
    phone.locator("#version-switch-select").wait_for()
    assert phone.locator(".version-links a").first.is_visible()
    assert phone.locator("#version-switch-select").evaluate("s => s.labels[0].textContent") == "Version"
    assert phone.evaluate(SMALL, ".version-links a, .version-switch select, .header-menu-toggle") == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_long_german_compound_tag_wraps_on_the_tags_page(phone, tmp_path, serve_folder):
    """German runs words together: a tag like `qualitätssicherungsmaßnahmenkatalog` pushed the
    tags page 80 px wider than a phone, so it scrolled sideways."""
    write_files(tmp_path, {"site.yaml": "title: Intranet\n", "content/messages/katalog.md": """
        ---
        title: Der neue Katalog
        date: 2026-07-01
        tags: [qualitätssicherungsmaßnahmenkatalogsüberarbeitung]
        ---
        Er ist da.
        """})
    im_site("--config", str(tmp_path / "site.yaml"), "build", "-o", str(tmp_path / "out"), "--now", NOW)
    phone.goto(serve_folder(tmp_path / "out").url + "tags/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.locator(".group-list a").evaluate("a => a.getBoundingClientRect().right") <= 360


@pytest.mark.parametrize("path", ["kpis/", "en/kpis/"])
def test_kpi_chart_labels_are_readable_on_a_phone(phone, demo_site, path):
    """A chart scales with its card (280 px wide on a phone, from 360 units), and its text with
    it: the periods and axis values came out 8.5 px high, now at least 10 px. No label is cut off
    at the chart's edge: a scatter plot's y-axis title, turned upright along the axis, lost both
    ends of a long KPI name ("eiterempfehlung durch Kundschaft (N")."""
    phone.goto(demo_site.url + path)
    texts = phone.evaluate("""() => [...document.querySelectorAll('svg.kpi-chart text')].map(text => {
        const svg = text.ownerSVGElement, view = svg.viewBox.baseVal;
        const scale = svg.getBoundingClientRect().width / view.width;
        const inner = text.getBoundingClientRect(), outer = svg.getBoundingClientRect();
        return {text: text.textContent, px: parseFloat(getComputedStyle(text).fontSize) * scale,
                inside: inner.left >= outer.left - 0.5 && inner.right <= outer.right + 0.5
                        && inner.top >= outer.top - 0.5 && inner.bottom <= outer.bottom + 0.5}; })""")
    assert len({t["text"] for t in texts}) > 10
    assert [t for t in texts if t["px"] < 10] == []
    assert [t["text"] for t in texts if not t["inside"]] == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("width", [1280, 360])
def test_the_footer_of_a_short_page_ends_at_the_bottom_of_the_window(browser, plain_site, width):
    """On the 404 page (and any short one) the footer stopped halfway down a tall window, with a
    blank band under it, so the page looked cut off."""
    context = browser.new_context(viewport={"width": width, "height": 1400})
    page = context.new_page()
    page.goto(plain_site.url + "404.html")
    bottom = page.evaluate("document.querySelector('.site-footer').getBoundingClientRect().bottom")
    scroll = page.evaluate("document.documentElement.scrollHeight")
    context.close()
    assert bottom == pytest.approx(1400, abs=1) and scroll <= 1400
