"""Dark mode: the brand's colours for readers whose device asks for dark (README "Themes and brand",
"Dark mode"), their contrast (IM121) and `color_scheme` in site.yaml."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from conftest import NOW, build_site, run_cli

from im_site.colours import contrast_ratio

MESSAGE = "---\ntitle: Hallo\ndate: 2026-11-01\n---\nText.\n"
DARK_QUERY = "@media screen and (prefers-color-scheme:dark)"


def brand_css(root: Path) -> str:
    [path] = (root / "_site/assets").glob("brand.*.css")
    return path.read_text(encoding="utf-8")


def variables(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):([^;]+);", block))


def schemes(css: str) -> tuple[dict[str, str], dict[str, str]]:
    """The custom properties of light mode (`:root`) and those dark mode changes."""
    light = re.search(r"^:root\{(.*?)\}$", css, re.M)
    dark = re.search(r"^@media screen[^{]*\{:root\{(.*?)\}\}$", css, re.M)
    assert light, css
    return variables(light.group(1)), variables(dark.group(1)) if dark else {}


def test_dark_colours_are_derived_from_the_brand_and_pass_wcag(make_site):
    """Without any dark colour given, the built-in theme's dark scheme is derived from the light
    brand: a dark background tinted with the primary hue, and every colour pair the theme draws on
    it at WCAG AA (on the surface of footers and boxes too); the header keeps the brand colour."""
    root = make_site({"content/messages/a.md": MESSAGE}, site_yaml="title: T\n")
    result = build_site(root)
    assert result.exit_code == 0 and "IM121" not in result.stderr, result.stderr
    css = brand_css(root)
    assert DARK_QUERY in css and "color-scheme:light dark" in css
    light, changed = schemes(css)
    dark = {**light, **changed}
    assert dark["color-primary"] == light["color-primary"] == "#1B7F3B"  # the header band stays green
    background = dark["color-background"]
    red, green, blue = (int(background[i:i + 2], 16) for i in (1, 3, 5))
    assert max(red, green, blue) < 48 and green > red and green > blue  # dark, with the brand's green hue
    for ground in ("color-background", "color-surface"):
        for text in ("color-text", "color-link", "color-muted", "color-danger"):
            assert contrast_ratio(dark[text], dark[ground]) >= 4.5, (text, ground, dark)
        assert contrast_ratio(dark["color-focus"], dark[ground]) >= 3
    assert contrast_ratio(dark["color-on-primary"], dark["color-primary"]) >= 4.5
    html = (root / "_site/messages/a/index.html").read_text(encoding="utf-8")
    assert '<meta name="color-scheme" content="light dark">' in html


def test_dark_tokens_and_brand_dark_override_the_derived_colours(make_site):
    """A theme's `dark_tokens` set its dark colours, and site.yaml's `brand.dark` wins over them,
    as `brand.colors` wins over `tokens`; a dark token no colour of the scheme has is IM040."""
    theme_yaml = ('extends: default\ndark_tokens:\n  color-link: "#9CC8FF"\n  color-background: "#101820"\n'
                  '  colour-heading: "#FFFFFF"\n')
    site_yaml = 'title: T\ntheme: t\nbrand:\n  dark:\n    background: "#121212"\n    text: "#eeeeee"\n'
    root = make_site({"content/messages/a.md": MESSAGE, "themes/t/theme.yaml": theme_yaml}, site_yaml=site_yaml)
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    light, dark = schemes(brand_css(root))
    assert (dark["color-link"], dark["color-background"], dark["color-text"]) == ("#9CC8FF", "#121212", "#EEEEEE")
    assert light["color-background"] == "#FFFFFF" and "color-link" not in light
    assert "IM121" not in result.stderr
    assert "themes/t/theme.yaml:5: warning[IM040]: dark token 'colour-heading' is no colour the dark scheme sets, " \
           "so it changes nothing (hint: did you mean 'color-heading'?)" in result.stderr, result.stderr


def test_a_site_can_keep_its_pages_light_or_always_dark(make_site):
    """`color_scheme: light` leaves the dark colours out, and tells the browser so; `dark` shows
    them on every screen (paper stays light); anything else is an error at its line."""
    site = {"content/messages/a.md": MESSAGE}
    light_root = make_site(site, site_yaml="title: T\ncolor_scheme: light\n", folder="light")
    assert build_site(light_root).exit_code == 0
    css = brand_css(light_root)
    assert "@media" not in css and "color-scheme:light}" in css
    html = (light_root / "_site/messages/a/index.html").read_text(encoding="utf-8")
    assert '<meta name="color-scheme" content="light">' in html
    dark_root = make_site(site, site_yaml="title: T\ncolor_scheme: dark\n", folder="dark")
    assert build_site(dark_root).exit_code == 0
    css = brand_css(dark_root)
    assert "@media screen{:root{--color-background:#" in css and "@media print{:root{color-scheme:light}}" in css
    assert "color-scheme:dark}" in css and DARK_QUERY not in css
    assert '<meta name="color-scheme" content="dark">' in (dark_root / "_site/index.html").read_text(encoding="utf-8")
    wrong = make_site(site, site_yaml="title: T\ncolor_scheme: night\n", folder="wrong")
    result = build_site(wrong)
    assert result.exit_code == 1 and "Traceback" not in result.output + result.stderr
    assert "site.yaml:2: error[IM006]: 'color_scheme': Input should be 'auto', 'light' or 'dark'" in result.stdout \
        + result.stderr


class _ThemeColours(HTMLParser):
    """The page's `<meta name="theme-color">` tags as (content, media) pairs, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str | None, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name") == "theme-color":
            self.found.append((values.get("content"), values.get("media")))


def theme_colours(html_file: Path) -> list[tuple[str | None, str | None]]:
    parser = _ThemeColours()
    parser.feed(html_file.read_text(encoding="utf-8"))
    return parser.found


def test_the_phone_browser_bar_takes_the_header_colour_in_each_scheme(make_site):
    """No page said `<meta name="theme-color">`: a phone browser drew its bar in its own grey over a
    blue brand header. Each page names the header's colour: the primary, and the dark scheme's
    primary (site.yaml's `brand.dark`) for readers in dark mode, each under its media query; one
    colour where `color_scheme` allows one scheme only."""
    site = {"content/messages/a.md": MESSAGE}
    brand = 'brand:\n  colors: {primary: "#1F4FA0"}\n  dark: {primary: "#17315F"}\n'
    auto = make_site(site, site_yaml="title: T\n" + brand, folder="auto")
    assert build_site(auto).exit_code == 0
    expected = [("#1F4FA0", "(prefers-color-scheme: light)"), ("#17315F", "(prefers-color-scheme: dark)")]
    assert theme_colours(auto / "_site/messages/a/index.html") == expected
    assert theme_colours(auto / "_site/404.html") == expected
    derived = make_site(site, site_yaml='title: T\nbrand:\n  colors: {primary: "#1F4FA0"}\n', folder="derived")
    assert build_site(derived).exit_code == 0  # the header keeps the primary in dark mode
    assert [colour for colour, _ in theme_colours(derived / "_site/index.html")] == ["#1F4FA0", "#1F4FA0"]
    for scheme, colour in (("light", "#1F4FA0"), ("dark", "#17315F")):
        root = make_site(site, site_yaml=f"title: T\ncolor_scheme: {scheme}\n" + brand, folder=scheme)
        assert build_site(root).exit_code == 0
        assert theme_colours(root / "_site/index.html") == [(colour, None)]


def test_a_dark_colour_below_wcag_is_reported_on_the_line_that_sets_it(make_site):
    """IM121 checks the dark pairs as it checks the light ones: a dim `brand.dark.text` at its line
    in site.yaml, a theme's dark link colour at its line in theme.yaml, and a derived colour that a
    pale dark background defeats at the background's line. `color_scheme: light` has no dark pairs."""
    theme_yaml = 'extends: default\ndark_tokens:\n  color-link: "#3050A0"\n'
    site_yaml = 'title: T\ntheme: t\nbrand:\n  dark:\n    text: "#555555"\n'
    root = make_site({"content/messages/a.md": MESSAGE, "themes/t/theme.yaml": theme_yaml}, site_yaml=site_yaml)
    result = run_cli(root, "check", "--now", NOW)
    lines = [line for line in result.stdout.splitlines() if "IM121" in line]
    assert lines[0].startswith("site.yaml:5: warning[IM121 contrast]: contrast of text on background in dark mode "
                               "(brand.dark.text) is 2."), lines
    assert lines[0].endswith("below WCAG AA 4.5:1 (hint: make brand.dark.text lighter, or remove it to have it derived)")
    assert lines[1].startswith("themes/t/theme.yaml:3: warning[IM121 contrast]: contrast of links on background in "
                               "dark mode (dark_tokens color-link) is "), lines
    assert len(lines) == 2, lines
    pale = make_site({"content/messages/a.md": MESSAGE},
                     site_yaml='title: T\nbrand:\n  dark:\n    background: "#808080"\n', folder="pale")
    found = [line for line in run_cli(pale, "check", "--now", NOW).stdout.splitlines() if "IM121" in line]
    assert found and all(line.startswith("site.yaml:4: warning[IM121 contrast]: ") and "(brand.dark.background)" in line
                         for line in found), found
    (root / "site.yaml").write_text(site_yaml + "color_scheme: light\n", encoding="utf-8")
    assert "IM121" not in run_cli(root, "check", "--now", NOW).stdout


def test_an_unquoted_dark_colour_is_an_error_that_says_why(make_site):
    """`background: #121212` without quotes is a YAML comment: an empty value, not "use the derived one"."""
    root = make_site({}, site_yaml="title: T\nbrand:\n  dark:\n    background: #121212\n")
    result = build_site(root)
    assert result.exit_code == 1
    assert "site.yaml:4: error[IM006]: 'brand.dark.background': no colour: a # starts a comment, so quote the " \
           'colour (background: "#2E9E55")' in result.stdout + result.stderr
