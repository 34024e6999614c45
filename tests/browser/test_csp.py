"""A strict Content-Security-Policy (default-src 'self') set by the server breaks nothing.

Every browser test runs against a server sending that policy and fails on any console
error, so a blocked script, style or image fails the test that triggers it. This file
proves the harness would notice, and that no page carries inline code to be blocked."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from .conftest import CSP, NOW, im_site, write_files

pytestmark = pytest.mark.browser


class InlineCode(HTMLParser):
    """Inline scripts, event-handler attributes, style attributes and <style> blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> block")
        self.found += [f"{name}= on <{tag}>" for name in names if name.startswith("on") or name == "style"]


@pytest.mark.parametrize("site", ["demo_site", "plain_site"])
def test_no_page_has_inline_code(request, site):
    folder = request.getfixturevalue(site).folder
    problems = {}
    for path in sorted(folder.rglob("*.html")):
        parser = InlineCode()
        parser.feed(path.read_text(encoding="utf-8"))
        if parser.found:
            problems[path.relative_to(folder).as_posix()] = sorted(set(parser.found))
    assert problems == {}


def test_the_server_sends_the_policy_and_a_violation_is_caught(new_page, plain_site):
    watched = new_page()
    response = watched.page.goto(plain_site.url)
    assert response.headers["content-security-policy"] == CSP
    with watched.page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        watched.page.evaluate("""() => { const s = document.createElement('script');
            s.textContent = 'window.injected = 1'; document.body.appendChild(s); }""")
    assert watched.page.evaluate("window.injected") is None
    assert any("Content Security Policy" in problem for problem in watched.problems)


def test_an_aligned_table_column_keeps_its_alignment_under_the_policy(page, tmp_path, serve_folder):
    """`|---:|` right-aligns a price column: markdown-it writes that as a style attribute, which
    the policy blocks (a console error, and the prices left-aligned); the site writes a class."""
    write_files(tmp_path, {"site.yaml": "title: Intranet\n", "content/preise.md": """
        ---
        title: Preise
        ---
        | Artikel | Preis (€) | Menge |
        |:---|---:|:---:|
        | Äpfel | 1,99 | 1 kg |
        """})
    im_site("--config", str(tmp_path / "site.yaml"), "build", "-o", str(tmp_path / "out"), "--now", NOW)
    page.goto(serve_folder(tmp_path / "out").url + "preise/")
    align = "cells => cells.map(cell => getComputedStyle(cell).textAlign)"
    assert page.locator(".prose td").evaluate_all(align) == ["left", "right", "center"]
    assert page.locator(".prose th").evaluate_all(align) == ["left", "right", "center"]
