"""How the theme lays pages out for readers at the widths they use: boxes measured in the browser."""

from __future__ import annotations

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
