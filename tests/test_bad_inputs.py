"""Bad input from BAD_INPUTS.md: a clear `path:line: error[CODE]` message, exit 1,
the previous output byte-identical, and nothing written outside the output folder."""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest

from conftest import BASIC_SITE_YAML, build_site, said, snapshot_tree, write_files

GOOD = {
    "content/messages/gut.md": "---\ntitle: Gute Nachricht\ndate: 2026-01-05\n---\nText.\n",
    "content/messages/entwurf.md": "---\ntitle: Entwurf\ndate: 2026-01-06\ndraft: true\n---\nText.\n",
}

# (name, files to add, expected location prefix, expected code, expected words)
CASES = [
    ("invalid-utf8", {"content/x.md": b"---\ntitle: A\n---\nok\nbad \xff here\n"},
     "content/x.md:5:5", "IM002", "not valid UTF-8"),
    ("utf16", {"content/x.md": "---\ntitle: A\n---\n".encode("utf-16")}, "content/x.md:1", "IM002", "UTF-16"),
    ("nul-bytes", {"content/x.md": b"---\ntitle: A\n---\nab\x00c\n"}, "content/x.md:4:3", "IM002", "NUL"),
    # U+FDD0-U+FDD2 mark theme texts in another language while rendering (foreign.py): in a title
    # they wrapped the rest of the page in a <span lang> and stayed in the output.
    ("noncharacter", {"content/x.md": "---\ntitle: A\n---\nab\ufdd0c\n".encode()}, "content/x.md:4:3", "IM002",
     "U+FDD0, a Unicode noncharacter"),
    ("noncharacter-escape", {"content/x.md": '---\ntitle: "A\\uFDD1 B"\n---\n'}, "content/x.md:2", "IM003",
     "U+FDD1, a Unicode noncharacter"),
    ("noncharacter-theme-text", {"themes/t/theme.yaml": 'extends: default\nstrings:\n  de:\n    home: "Start\\uFDD2"\n'},
     "themes/t/theme.yaml:4", "", "U+FDD2, a Unicode noncharacter"),
    ("empty-file", {"content/x.md": b""}, "content/x.md", "IM009", "empty"),
    ("unclosed-front-matter", {"content/x.md": "---\ntitle: A\nText ohne Ende\n"}, "content/x.md:1", "IM003",
     "never closed"),
    ("malformed-yaml", {"content/x.md": "---\ntitle: A\ntags: [a, b\ndate: x\n---\n"}, "content/x.md:", "IM003", ""),
    ("duplicate-key", {"content/x.md": "---\ntitle: A\ndraft: true\ndraft: false\n---\n"}, "content/x.md:4",
     "IM003", "first on line 3"),
    ("tabs", {"content/x.md": "---\ntitle: A\ntags:\n\t- a\n---\n"}, "content/x.md:4", "IM003", "tab"),
    ("unknown-key", {"content/x.md": "---\ntitel: A\n---\n"}, "content/x.md:2", "IM005", "did you mean 'title'"),
    ("wrong-type", {"content/messages/x.md": "---\ntitle: A\ndate: bald\n---\n"}, "content/messages/x.md:3",
     "IM006", "should be"),
    ("missing-title", {"content/x.md": "---\nsummary: A\n---\n"}, "content/x.md:", "IM007", "title"),
    ("missing-date", {"content/messages/x.md": "---\ntitle: A\n---\n"}, "content/messages/x.md:", "IM007", "date"),
    ("python-tag", {"content/x.md": "---\ntitle: !!python/object:os.system A\n---\n"}, "content/x.md:2", "IM003",
     "tag"),
    ("alias", {"content/x.md": "---\na: &x A\ntitle: *x\n---\n"}, "content/x.md:3", "IM003", "aliases"),
    ("yaml11-no", {"content/x.md": "---\ntitle: A\ndraft: NO\n---\n"}, "content/x.md:3", "IM006", "true or false"),
    ("not-a-mapping", {"content/x.md": "---\n- a\n- b\n---\n"}, "content/x.md:2", "IM004", "mapping"),
    ("yaml11-octal", {"content/x.md": "---\ntitle: 0755\n---\n"}, "content/x.md:2", "IM006", "should be a text"),
    ("javascript-link", {"content/x.md": "---\ntitle: A\n---\n\n[klick](javascript:alert(1))\n"},
     "content/x.md:5", "IM103", "not allowed"),
    ("javascript-image-field", {"content/messages/x.md": "---\ntitle: A\ndate: 2026-01-01\nimage: javascript:x\n---\n"},
     "content/messages/x.md:4", "IM006", "scheme"),
    ("broken-link", {"content/x.md": "---\ntitle: A\n---\n\nSiehe\n[weg](nicht-da.md).\n"}, "content/x.md:6",
     "IM101", "not found"),
    ("link-to-draft", {"content/x.md": "---\ntitle: A\n---\n[E](messages/entwurf.md)\n"}, "content/x.md:4",
     "IM104", "draft"),
    ("unknown-audience", {"content/x.md": "---\ntitle: A\naudiences: [filiale, niemand]\n---\n"},
     "content/x.md:3", "IM020", "niemand"),
    ("unknown-pillar", {"content/x.md": "---\ntitle: A\npillars:\n  - leadership\n  - mond\n---\n"},
     "content/x.md:5", "IM020", "mond"),
    ("slug-traversal", {"content/x.md": "---\ntitle: A\nslug: ../../etc\n---\n"}, "content/x.md:3", "IM006", "slug"),
    ("windows-reserved-slug", {"content/x.md": "---\ntitle: A\nslug: con\n---\n"}, "content/x.md:3", "IM006",
     "reserved"),
    ("template-syntax", {"themes/t/templates/page.html": "{% extends 'base.html' %}\n{% block main %}\n{% if %}\n{% endblock %}"},
     "themes/t/templates/page.html:3", "IM040", "syntax"),
    ("template-undefined", {"themes/t/templates/page.html": "{% extends 'base.html' %}\n{% block main %}\n{{ nope.x }}\n{% endblock %}"},
     "themes/t/templates/page.html:3", "IM040", "nope"),
    ("deep-nesting", {"content/x.md": "---\ntitle: A\n---\n" + "> " * 30 + "tief\n"}, "content/x.md:4", "IM106",
     "nested"),
    ("deep-yaml", {"content/x.md": "---\ntitle: A\nsummary: " + "[" * 200 + "]" * 200 + "\n---\n"}, "content/x.md",
     "IM003", "nested"),
    ("too-large", {"content/x.md": "---\ntitle: A\n---\n" + "x" * 6_000_000}, "content/x.md", "IM008", "limit"),
    ("external-image", {"content/x.md": "---\ntitle: A\n---\n![Logo](https://example.com/x.png)\n"}, "content/x.md:4",
     "IM110", "other hosts"),
    # --- added by the hardening pass (docs/hardening.md maps each BAD_INPUTS.md case to its test)
    ("bom-mixed-line-endings", {"content/x.md": "\ufeff---\r\ntitle: A\r---\n\r\nText\rmehr\n[weg](fehlt.md)\r\n".encode()},
     "content/x.md:7", "IM101", "not found"),
    ("invalid-date", {"content/messages/x.md": "---\ntitle: A\ndate: 2026-02-30\n---\n"}, "content/messages/x.md:3",
     "IM003", "not a valid date"),
    ("invalid-datetime", {"content/x.md": "---\ntitle: A\npublish_at: 2026-13-01T10:00:00\n---\n"}, "content/x.md:3",
     "IM003", "not a valid date"),
    ("percent-encoded-traversal-link", {"content/x.md": "---\ntitle: A\n---\n[x](%2e%2e/%2e%2e/etc/passwd.md)\n"},
     "content/x.md:4", "IM101", "leaves content/"),
    ("percent-encoded-slash-link", {"content/x.md": "---\ntitle: A\n---\n\n[x](..%2F..%2Fsecret.md)\n"},
     "content/x.md:5", "IM101", "leaves content/"),
    ("percent-encoded-slug", {"content/x.md": "---\ntitle: A\nslug: '%2e%2e%2fetc'\n---\n"}, "content/x.md:3", "IM006",
     "not a valid slug"),
    ("percent-encoded-traversal-image", {"content/x.md": "---\ntitle: A\n---\n![x](%2e%2e/%2e%2e/etc/hostname)\n"},
     "content/x.md:4", "IM110", "leaves content/"),
    ("absolute-path-link", {"content/x.md": "---\ntitle: A\n---\n[x](/etc/passwd)\n"}, "content/x.md:4", "IM101",
     "not found"),
    # A leading / starts from content/, never from the disk's root.
    ("absolute-path-image", {"content/x.md": "---\ntitle: A\n---\n![x](/etc/hostname)\n"}, "content/x.md:4", "IM110",
     "image content/etc/hostname not found"),
    ("absolute-path-front-image", {"content/messages/x.md": "---\ntitle: A\ndate: 2026-01-01\nimage: /etc/hostname\n---\n"},
     "content/messages/x.md:4", "IM110", "image content/etc/hostname not found"),
    ("file-url-link", {"content/x.md": "---\ntitle: A\n---\n[x](file:///etc/passwd)\n"}, "content/x.md:4", "IM103",
     "not allowed"),
    ("file-url-image", {"content/x.md": "---\ntitle: A\n---\n![x](file:///etc/hostname)\n"}, "content/x.md:4", "IM110",
     "other hosts"),
    ("vbscript-link", {"content/x.md": "---\ntitle: A\n---\n[x](VBScript:msgbox)\n"}, "content/x.md:4", "IM103",
     "'vbscript:'"),
    ("data-link", {"content/x.md": "---\ntitle: A\n---\n[x](data:text/html,<script>alert(1)</script>)\n"},
     "content/x.md:4", "IM103", "'data:'"),
    ("javascript-autolink", {"content/x.md": "---\ntitle: A\n---\n<javascript:alert(1)>\n"}, "content/x.md:4", "IM103",
     "'javascript:'"),
    ("javascript-reference-link", {"content/x.md": "---\ntitle: A\n---\n[x][r]\n\n[r]: java&#x09;script:alert(1)\n"},
     "content/x.md:4", "IM103", "not allowed"),
    ("data-image", {"content/x.md": "---\ntitle: A\n---\n![x](data:image/png;base64,iVBORw0KGgo=)\n"}, "content/x.md:4",
     "IM110", "other hosts"),
    ("vbscript-image-field", {"content/messages/x.md": "---\ntitle: A\ndate: 2026-01-01\nimage: 'vbscript:x'\n---\n"},
     "content/messages/x.md:4", "IM006", "scheme"),
    ("data-image-field", {"content/messages/x.md": "---\ntitle: A\ndate: 2026-01-01\nimage: 'data:image/png;base64,AAAA'\n---\n"},
     "content/messages/x.md:4", "IM006", "scheme"),
    ("javascript-author-url", {"content/messages/x.md": "---\ntitle: A\ndate: 2026-01-01\nauthor_url: ' JaVaScRiPt:alert(1)'\n---\n"},
     "content/messages/x.md:4", "IM006", "scheme"),
    ("javascript-tab-author-url", {"content/messages/x.md": "---\ntitle: A\ndate: 2026-01-01\nauthor_url: \"java\\tscript:x\"\n---\n"},
     "content/messages/x.md:4", "IM006", "scheme"),
    ("data-author-url", {"content/messages/x.md": "---\ntitle: A\ndate: 2026-01-01\nauthor_url: 'data:text/html,x'\n---\n"},
     "content/messages/x.md:4", "IM006", "scheme"),
    ("javascript-menu-url", {"site.yaml": BASIC_SITE_YAML.replace("url: /messages/", "url: 'javascript:alert(1)'")},
     "site.yaml:11", "IM006", "scheme"),
    ("protocol-relative-menu-url", {"site.yaml": BASIC_SITE_YAML.replace("url: /messages/", "url: '//evil.example/'")},
     "site.yaml:11", "IM101", "points to no page"),
    ("relative-menu-url-to-nothing", {"site.yaml": BASIC_SITE_YAML.replace("url: /messages/", "url: nirgends")},
     "site.yaml:11", "IM101", "points to no page"),
    ("javascript-feedback", {"site.yaml": BASIC_SITE_YAML.replace("mailto:intern@example.com", "javascript:alert(1)")},
     "site.yaml:12", "IM006", "scheme"),
    ("vbscript-acknowledge-url", {"site.yaml": BASIC_SITE_YAML + "acknowledge_url: 'vbscript:x?id={id}'\n"},
     "site.yaml:13", "IM006", "scheme"),
    ("data-acknowledge-url", {"site.yaml": BASIC_SITE_YAML + "acknowledge_url: 'data:text/html,{id}'\n"},
     "site.yaml:13", "IM006", "scheme"),
    ("page-collides-with-listing", {"content/messages.md": "---\ntitle: M\n---\n"}, "content/messages.md:2", "IM030",
     "'messages/index.html', but messages listing also writes it"),
    ("page-collides-with-feed", {"content/x.md": "---\ntitle: A\nslug: feed.xml\n---\n"}, "content/x.md:3", "IM030",
     "writes 'feed.xml'"),
    ("page-collides-with-sitemap", {"content/x.md": "---\ntitle: A\nslug: sitemap.xml\n---\n"}, "content/x.md:3", "IM030",
     "writes 'sitemap.xml'"),
    ("page-collides-with-404", {"content/x.md": "---\ntitle: A\nslug: 404.html\n---\n"}, "content/x.md:3", "IM030",
     "writes '404.html'"),
    ("case-folded-collision", {"content/messages/Gut.md": "---\ntitle: G\ndate: 2026-01-07\n---\n"},
     "content/messages/", "IM030", "'messages/gut/index.html'"),
    ("template-missing-include", {"themes/t/templates/page.html": "{% extends 'default:page.html' %}\n{% block main %}\n"
                                                                  "{% include 'fehlt.html' %}\n{% endblock %}"},
     "themes/t/templates/page.html:3", "IM040", "'fehlt.html' not found in the theme (rendering content/"),
    ("template-missing-parent", {"themes/t/templates/page.html": "{% extends 'gibtsnicht.html' %}"},
     "themes/t/templates/page.html:1", "IM040", "'gibtsnicht.html' not found"),
    ("theme-css-other-host", {"themes/t/static/marke.css": "h1{color:red}\n@import url('https://fonts.googleapis.com/css2?family=Inter');\n"},
     "themes/t/static/marke.css:2", "IM110", "loads from another host"),
    ("theme-css-other-host-in-capitals", {"themes/t/static/marke.css": "h1{color:red}\n.x{background:URL(//cdn.example.com/a.png)}\n"
                                                                      "@IMPORT 'https://fonts.googleapis.com/css2';\n"},
     "themes/t/static/marke.css:2", "IM110", "'//cdn.example.com/a.png' loads from another host"),
    ("theme-template-other-host", {"themes/t/templates/base.html": "{% extends 'default:base.html' %}\n{% block head %}\n"
                                                                   "<link rel=\"stylesheet\"\n  href=\"https://fonts.googleapis.com/css2\">\n"
                                                                   "{% endblock %}\n"},
     "themes/t/templates/base.html:4", "IM110", "'https://fonts.googleapis.com/css2' loads from another host"),
    ("theme-css-import-cycle", {"themes/t/static/marke.css": "@import 'teile/a.css';\n",
                                "themes/t/static/teile/a.css": "@import 'b.css';\n",
                                "themes/t/static/teile/b.css": "h1{color:red}\n@import url(a.css);\n"},
     "themes/t/static/teile/b.css:2", "IM110", "'a.css' imports this stylesheet in turn"),
    ("theme-css-latin1", {"themes/t/static/marke.css": b"h1{color:red}\n.neu::before{content:'Fr\xfchjahr'}\n"},
     "themes/t/static/marke.css:2:25", "IM002", "not valid UTF-8 (byte 0xfc)"),
    ("theme-css-missing-file", {"themes/t/static/marke.css": "@font-face{font-family:M;src:url(fonts/marke.woff2)}\n"},
     "themes/t/static/marke.css:1", "IM110", "'fonts/marke.woff2' not found in the theme's static/ folder"),
    ("brand-font-not-a-font", {"site.yaml": BASIC_SITE_YAML + "brand:\n  fonts: {heading: fonts/marke.woff2}\n",
                               "content/fonts/marke.woff2": b"<!DOCTYPE html><title>Google Fonts</title>"},
     "site.yaml:14", "IM112", "brand heading font 'fonts/marke.woff2' is not a font file"),
    ("brand-font-truetype", {"site.yaml": BASIC_SITE_YAML + "brand:\n  fonts:\n    body: fonts/marke.ttf\n",
                             "content/fonts/marke.ttf": b"\x00\x01\x00\x00\x00\x10\x01\x00"},
     "site.yaml:15", "IM112", "brand body font 'fonts/marke.ttf' is a TrueType font, not WOFF2"),
    ("brand-logo-pdf", {"site.yaml": BASIC_SITE_YAML + "brand:\n  logo: assets/logo.pdf\n",
                        "content/assets/logo.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"},
     "site.yaml:14", "IM112", "brand logo 'assets/logo.pdf' cannot be used: not an image"),
    ("base-url-with-query", {"site.yaml": BASIC_SITE_YAML + "base_url: https://intra.example.com/news?ref=mail\n"},
     "site.yaml:13", "IM006", "cannot have a ?query or #fragment"),
    ("base-url-without-scheme", {"site.yaml": BASIC_SITE_YAML + "base_url: //intra.example.com/\n"},
     "site.yaml:13", "IM006", "names a host without http(s): write https://intra.example.com/"),
    # A full base_url goes into every canonical link, feed and the sitemap; its path starts the 404 page's links.
    ("base-url-without-host", {"site.yaml": BASIC_SITE_YAML + "base_url: https:///intranet/\n"},
     "site.yaml:13", "IM006", "has no host after https://: write https://intranet.example.com/intranet/"),
    ("base-url-path-taken-for-a-host", {"site.yaml": BASIC_SITE_YAML + "base_url: https://intra.example.com//intranet/\n"},
     "site.yaml:13", "IM006", "the address of another host: write https://intra.example.com/intranet/"),
    ("base-url-with-password", {"site.yaml": BASIC_SITE_YAML + "base_url: https://leser:geheim@intra.example.com/\n"},
     "site.yaml:13", "IM006", "carries a user name or password (before the @)"),
    ("base-url-with-space", {"site.yaml": BASIC_SITE_YAML + "base_url: https://intra.example.com/mein intranet/\n"},
     "site.yaml:13", "IM006", "has a space or control character: write a space as %20"),
    ("base-url-port-out-of-range", {"site.yaml": BASIC_SITE_YAML + "base_url: https://intra.example.com:80443/\n"},
     "site.yaml:13", "IM006", "has the port '80443': a port is a number from 1 to 65535"),
    # The comms team's Windows laptops cannot check out a repository holding these at all.
    ("windows-reserved-file-name", {"content/messages/Con.md": "---\ntitle: A\ndate: 2026-01-07\n---\n"},
     "content/messages/Con.md", "IM011", "'Con.md' is a file name Windows reserves for a device"),
    ("windows-reserved-address", {"content/messages/nul!.md": "---\ntitle: A\ndate: 2026-01-07\n---\n"},
     "content/messages/nul!.md:1", "IM011", "address /messages/nul/ has the folder 'nul', a name Windows reserves"),
    ("nfc-nfd-collision", {unicodedata.normalize("NFC", "content/grüße.md"): "---\ntitle: A\n---\n",
                           unicodedata.normalize("NFD", "content/grüße.md"): "---\ntitle: B\n---\n"},
     "content/gr", "IM030", "Unicode form"),
]


@pytest.fixture(scope="module")
def good_sites(tmp_path_factory) -> dict[bool, Path]:
    """The good site built once, without and with a theme `t` of its own (by whether a case adds
    theme files): each case starts from a copy of its output and cache instead of building it."""
    sites = {}
    for themed in (False, True):
        root = tmp_path_factory.mktemp("good") / "site"
        write_files(root, {**GOOD, **({"themes/t/theme.yaml": "extends: default\n"} if themed else {})})
        (root / "site.yaml").write_text(BASIC_SITE_YAML + ("theme: t\n" if themed else ""), encoding="utf-8")
        assert build_site(root).exit_code == 0
        sites[themed] = root
    return sites


@pytest.mark.parametrize("name,files,location,code,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_reported_and_output_untouched(good_sites, tmp_path, name, files, location, code, words):
    root = tmp_path / "site"
    shutil.copytree(good_sites[any(k.startswith("themes/t/") for k in files)], root)
    before = snapshot_tree(root / "_site")
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data) if isinstance(data, bytes) else write_files(root, {rel: data})
    outside_before = _outside(tmp_path)
    result = build_site(root)
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if ": error[" in line]
    assert any(line.startswith(location) and (not code or f"error[{code}]" in line) and words in line
               for line in lines), result.stderr
    assert snapshot_tree(root / "_site") == before
    assert _outside(tmp_path) == outside_before


def _outside(folder: Path) -> dict[str, bytes]:
    """Every file outside the output folder, the cache and the lock file beside the output."""
    return {path: data for path, data in snapshot_tree(folder).items()
            if not any(part in ("_site", ".im-site-cache", "._site.lock") for part in path.split("/"))}


def test_a_password_in_base_url_is_not_repeated_and_a_capital_scheme_is_the_same_address(make_site):
    """The message that refuses `https://user:password@host/` does not print the password into the CI
    log; `HTTPS://` is the address `https://` and is written so in the feeds and the sitemap."""
    page = {"content/messages/a.md": "---\ntitle: Alpha\ndate: 2026-01-07\n---\nText.\n"}
    root = make_site(page, site_yaml=BASIC_SITE_YAML + "base_url: https://leser:geheim@intra.example.com/\n")
    result = build_site(root)
    assert result.exit_code == 1 and "error[IM006]" in result.stderr
    assert "geheim" not in result.stderr + result.stdout
    (root / "site.yaml").write_text(BASIC_SITE_YAML + "base_url: HTTPS://intra.example.com/intranet\n", encoding="utf-8")
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    sitemap = (root / "_site" / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://intra.example.com/intranet/messages/a/</loc>" in sitemap
    assert 'href="/intranet/assets/' in (root / "_site" / "404.html").read_text(encoding="utf-8")


def test_broken_anchor_on_the_same_page_is_a_warning(make_site):
    root = make_site({"content/x.md": "---\ntitle: A\n---\n## Da\n\n[gut](#da) und [weg](#fehlt)\n"})
    result = build_site(root)
    assert result.exit_code == 0
    assert "content/x.md:6: warning[IM102]: no heading with id '#fehlt'" in result.stderr
    assert "#da" not in result.stderr
    assert build_site(root, "--strict").exit_code == 1


def test_what_a_theme_template_or_raw_html_loads_from_another_host_is_an_error_at_its_line(make_site):
    """A Google Fonts `<link>` or a CDN script pasted into a theme template (or raw HTML in a page)
    was published without a word, though pages load nothing from other hosts. Links to follow,
    `<link rel=alternate>`, `data:` pictures, Jinja comments and the e-mail digest (whose pictures
    must be full addresses) load nothing onto a page."""
    root = make_site({**GOOD, "themes/t/theme.yaml": "extends: default\n",
                      "themes/t/templates/base.html": """\
                          {% extends "default:base.html" %}
                          {# <script src="https://cdn.example.com/old.js"></script> #}
                          {% block head %}
                          <link rel="alternate" href="https://intranet.example.com/feed.xml">
                          <img src="data:image/png;base64,AAAA" alt=""><a href="https://example.com/">Web</a>
                          <img alt="" src="{{ asset('favicon.svg') }}"
                               srcset="{{ asset('favicon.svg') }} 1x, //cdn.example.com/logo@2x.png 2x">
                          <style>.x{background:url('https://cdn.example.com/muster.svg')}</style>
                          {% endblock %}
                          """,
                      "themes/t/templates/partials/search-box.html": '<script src="https://cdn.example.com/s.js"></script>\n',
                      "themes/t/templates/digest.html": '<img src="https://intranet.example.com/logo.png" alt="">\n',
                      "content/roh.md": '---\ntitle: Roh\n---\nText\n\n<div>\n<iframe src="https://video.example.com/1">'
                                        '</iframe>\n</div>\n\nein <a href="https://example.com/">Link</a> und <img\n'
                                        'src="//cdn.example.com/b.png" alt="">\n'},
                     site_yaml=BASIC_SITE_YAML + "theme: t\nmarkdown: {html: true}\n")
    result = build_site(root)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert [line.split(" (hint")[0] for line in result.stderr.splitlines() if "IM110" in line] == [
        "content/roh.md:7: error[IM110]: 'https://video.example.com/1' loads from another host; pages load nothing "
        "from other hosts",
        "content/roh.md:11: error[IM110]: '//cdn.example.com/b.png' loads from another host; pages load nothing "
        "from other hosts",
        "themes/t/templates/base.html:7: error[IM110]: '//cdn.example.com/logo@2x.png' loads from another host; "
        "pages load nothing from other hosts",
        "themes/t/templates/base.html:8: error[IM110]: 'https://cdn.example.com/muster.svg' loads from another "
        "host; pages load nothing from other hosts",
        "themes/t/templates/partials/search-box.html:1: error[IM110]: 'https://cdn.example.com/s.js' loads from "
        "another host; pages load nothing from other hosts"], result.stderr
    assert "hint: put the file in the theme's static/ folder and name it with asset()" in result.stderr


def test_a_brace_left_open_in_a_theme_stylesheet_is_a_warning_at_its_line(make_site):
    """Browsers drop the rest of a stylesheet after a `{` never closed: the brand's colours and fonts
    vanished from the site without a word. Braces in strings, comments and escapes are no rule's."""
    root = make_site({**GOOD, "themes/t/theme.yaml": "extends: default\n",
                      "themes/t/static/marke.css": "/* { */ h1 { content: \"}\"; }\n.a\\{ {}\n"
                                                   ".karte { color: red;\n.b { color: blue }\n",
                      "themes/t/static/teile/c.css": "h2 { color: red }\n}\nh3 { color: blue }\n"},
                     site_yaml=BASIC_SITE_YAML + "theme: t\n")
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    warnings = said(result, "IM040")
    assert warnings == [
        "themes/t/static/marke.css:3: warning[IM040]: '{' is never closed: browsers read the rest of the file as part "
        "of this rule and drop it (hint: add the '}' that ends the rule)",
        "themes/t/static/teile/c.css:2: warning[IM040]: '}' closes no '{': browsers drop the rule after it "
        "(hint: remove it, or add the '{' it belongs to)"], result.stderr


def test_a_theme_file_named_as_a_windows_device_is_an_error(make_site):
    """`themes/t/static/con.png` kept the project from being checked out on Windows laptops, as a
    content file of that name does (which was caught); a folder is named once, not per file."""
    root = make_site({**GOOD, "themes/t/theme.yaml": "extends: default\n",
                      "themes/t/static/Con.png": "x", "themes/t/static/aux/a.css": "h1 {}\n",
                      "themes/t/static/aux/b.css": "h2 {}\n", "themes/t/static/logo-con.png": "x"},
                     site_yaml=BASIC_SITE_YAML + "theme: t\n")
    result = build_site(root)
    assert result.exit_code == 1
    assert [line.split(": error")[0] for line in result.stderr.splitlines() if "IM011" in line] == [
        "themes/t/static/Con.png", "themes/t/static/aux"], result.stderr
    assert "'aux' is a folder name Windows reserves for a device" in result.stderr


@pytest.mark.parametrize("line,hint", [
    ("title: Frische: unser Versprechen", 'needs quotes: title: "Frische: unser Versprechen"'),
    ("title: A\nsummary: Neu: der \"Frische-Preis\" für Teams",  # the writer's own line, quoted
     """needs quotes: summary: 'Neu: der "Frische-Preis" für Teams'"""),
    ('title: "Frische" ist Haltung', "quote all of it"),
    ("title: @Zentrale grüßt", "starts with @ or ` needs quotes"),
    ('title: "Frische ist', "a quote is not closed"),
    ("title: A\n date: 2026-01-01", "indented further than the key before it allows"),
    ("title: A\nsummary: B\n  date: 2026-01-01", "indented further than the key before it allows"),
    ("title: A\ntags: [a, b", "a list in [ ] is not closed"),
    ("title: A\ntags: [frische, #team]", "a # starts a comment, which cut the list short: quote a hashtag"),
])
def test_yaml_mistakes_come_with_a_hint_in_plain_words(make_site, line, hint):
    """The parser says "mapping values are not allowed in this context"; the hint says what to do."""
    problem = _failing_build_problem(make_site, "content/x.md", f"---\n{line}\n---\nText.\n", "IM003")
    assert problem.startswith("content/x.md:") and "(hint: " in problem and hint in problem, problem


@pytest.mark.parametrize("rel,text,problem", [
    ("content/x.md", "---\ntitle: A\ntags:\n\t- a\n---\nText.\n",
     "content/x.md:4:1: error[IM003]: while scanning for the next token found character that cannot start any token "
     "(tabs are not allowed for indentation in YAML) (hint: this line is indented with a tab, which editors show like "
     "spaces: indent with spaces)"),
    ("content/x.md", "---\ntitle: A\nsummary: B\n\tdate: 2026-01-01\n---\nText.\n",
     "content/x.md:4:1: error[IM003]: while scanning a plain scalar found a tab character that violates indentation "
     "(hint: this line is indented with a tab, which editors show like spaces: indent with spaces)"),
    ("site.yaml", BASIC_SITE_YAML + "brand:\n  name: Frischmarkt\n\tlogo: logo.svg\n",
     "site.yaml:15:1: error[IM003]: while scanning a plain scalar found a tab character that violates indentation "
     "(hint: this line is indented with a tab, which editors show like spaces: indent with spaces)"),
    # A tab inside a value is no indentation: the slip is the colon, and the hint says so.
    ("content/x.md", '---\nsummary: "Obst\tGemüse"\ntitle: Frische: gut\n---\nText.\n',
     "content/x.md:3:15: error[IM003]: mapping values are not allowed in this context "
     '(hint: a value with ": " in it needs quotes: title: "Frische: gut")'),
])
def test_a_tab_in_yaml_indentation_is_named_as_the_problem(make_site, rel, text, problem):
    """A line indented with a tab (pasted from a mail, or an editor set to tabs) got the hint for a value
    starting with @ or ` ("needs quotes: title: "@Zentrale grüßt""), or none; and an unrelated error
    in YAML with a tab anywhere, even inside a quoted value, claimed tabs were the problem."""
    root = make_site({rel: text} if rel != "site.yaml" else {}, site_yaml=text if rel == "site.yaml" else None)
    result = build_site(root)
    assert result.exit_code == 1
    assert problem in result.stderr.splitlines(), result.stderr


def _failing_build_problem(make_site, rel: str, text: str, code: str) -> str:  # noqa: ANN001 - the fixture
    """Build a site of this one file: it fails, and this is the first problem with `code`."""
    result = build_site(make_site({rel: text}))
    assert result.exit_code == 1
    return next(line for line in result.stderr.splitlines() if code in line)


def test_numbers_typed_as_people_write_them_get_a_hint(make_site):
    """`71,5` and `35 %` in a KPI snapshot, `20 Min.` as a module's duration: one error each, saying
    what to write; a KPI value may have decimals, so it is "a number", not "a whole number"."""
    root = make_site({
        "content/kpis/kpis.yaml": "kpis:\n  - {id: zufriedenheit, label: Z, category: engagement, unit: '%', direction: up}\n"
                                  "  - {id: nps, label: N, category: impact, unit: '', direction: up}\n",
        "content/kpis/2026-Q4.md": "---\ntitle: K\nperiod: 2026-Q4\ndate: 2026-11-20\nvalues:\n"
                                   "  zufriedenheit: 71,5\n  nps: 35 %\n---\n",
        "content/training/kurs.md": "---\ntitle: Kurs\nduration: 20 Min.\n---\n## Eins\n",
        "content/seite.md": "---\ntitle: S\n---\n[zum Kurs](training/kurs.md)\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [
        "content/kpis/2026-Q4.md:6: error[IM006]: 'values.zufriedenheit' should be a number, not '71,5' (str) "
        "(hint: write the decimal point as a dot: 71.5)",
        "content/kpis/2026-Q4.md:7: error[IM006]: 'values.nps' should be a number, not '35 %' (str) "
        "(hint: only the number: 35 (the unit is set in kpis.yaml))",
        "content/training/kurs.md:3: error[IM006]: 'duration' should be a whole number, not '20 Min.' (str) "
        "(hint: only the number: 20)",
    ]  # and no "link target not found" for content/seite.md: the module is there, with an error of its own


def test_a_decimal_comma_in_a_flow_mapping_gets_the_same_advice(make_site):
    """`{nps: 38, zufriedenheit: 71,5}` (the README's inline style) is YAML for `zufriedenheit: 71`
    and a key `5`: the hint names the split value instead of leaving 'values[5]' a riddle."""
    root = make_site({
        "content/kpis/kpis.yaml": "kpis:\n  - {id: zufriedenheit, label: Z, category: engagement, unit: '%', direction: up}\n"
                                  "  - {id: nps, label: N, category: impact, unit: '', direction: up}\n",
        "content/kpis/2026-Q4.md": "---\ntitle: K\nperiod: 2026-Q4\nvalues: {nps: 38, zufriedenheit: 71,5}\n"
                                   "segments:\n  nord: {zufriedenheit: 74,25, nps: 40}\n---\n"})
    result = build_site(root)
    assert result.exit_code == 1
    hint = "in { } a comma separates entries, so a decimal comma split the value of 'zufriedenheit': " \
           "write decimals with a dot (71.5, not 71,5)"
    assert [line for line in result.stderr.splitlines() if line.startswith("content/")] == [
        f"content/kpis/2026-Q4.md:4: error[IM006]: 'values[5]' should be a text, not 5 (int) (hint: {hint})",
        f"content/kpis/2026-Q4.md:6: error[IM006]: 'segments.nord[25]' should be a text, not 25 (int) (hint: {hint})",
    ]


@pytest.mark.parametrize("value,problem", [
    ("frische", "not 'frische' (str) (hint: a list, even of one: tags: [frische])"),
    # An unquoted hashtag: YAML reads its # as the start of a comment.
    ("#frische", "not nothing (null) (hint: a # starts a comment: quote a hashtag (tags: ['#frische']))"),
])
def test_tags_that_are_not_a_list_get_the_list_written_out(make_site, value, problem):
    reported = _failing_build_problem(make_site, "content/messages/a.md",
                                      f"---\ntitle: A\ndate: 2026-01-01\ntags: {value}\n---\nText.\n", "IM006")
    assert reported == f"content/messages/a.md:4: error[IM006]: 'tags' should be a list, {problem}"


def test_a_link_into_the_wrong_folder_names_the_page_meant(make_site):
    root = make_site({"content/training/kasse.md": "---\ntitle: Kasse\n---\n## Eins\n",
                      "content/messages/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\n[Kurs](kasse.md) [Kurs](/training/Kasse.md)\n"})
    result = build_site(root)
    assert result.exit_code == 1
    hint = "(hint: did you mean /training/kasse.md? (a leading / starts from content/))"
    assert result.stderr.splitlines()[:2] == [
        f"content/messages/a.md:5: error[IM101]: link target '/training/Kasse.md' not found (content/training/Kasse.md) {hint}",
        f"content/messages/a.md:5: error[IM101]: link target 'kasse.md' not found (content/messages/kasse.md) {hint}"]


def test_a_link_without_the_language_of_the_file_name_names_the_file(make_site):
    """`hallo.md` for a file named `hallo.de.md` (the default language written out) or `hallo.en.md`:
    the hint names the file that is there, in the linking page's language first."""
    root = make_site({"content/hallo.de.md": "---\ntitle: Hallo\n---\n", "content/hallo.en.md": "---\ntitle: Hello\n---\n",
                      "content/nur.en.md": "---\ntitle: Only\n---\n",
                      "content/a.md": "---\ntitle: A\n---\n[h](hallo.md) [n](/nur.md#x)\n",
                      "content/b.en.md": "---\ntitle: B\n---\n[h](hallo.md) [w](weg.en.md)\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "content/a.md:4: error[IM101]: link target '/nur.md' not found (content/nur.md) (hint: did you mean /nur.en.md?)",
        "content/a.md:4: error[IM101]: link target 'hallo.md' not found (content/hallo.md) (hint: did you mean hallo.de.md?)",
        "content/b.en.md:4: error[IM101]: link target 'hallo.md' not found (content/hallo.md) "
        "(hint: did you mean hallo.en.md?)",
        "content/b.en.md:4: error[IM101]: link target 'weg.en.md' not found (content/weg.en.md)",
        "4 errors, 0 warnings"]


def test_a_missing_picture_hint_fits_the_path_written(make_site):
    """The hint said "write the path from this file ... or from content/" even for a path that was
    right: a picture of that name elsewhere is named, one of a close name in that folder, else the
    file is missing from a folder that is there; the advice on paths stays for a folder that is not."""
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
           b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
    root = make_site({"content/assets/images/team.png": png, "content/assets/logo.png": png,
                      "content/x.md": "---\ntitle: A\n---\n![a](assets/images/fehlt.png)\n\n![b](assets/images/logo.png)\n\n"
                                      "![c](assets/images/teams.png)\n\n![d](bilder/team.jpg)\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "content/x.md:4: error[IM110]: image content/assets/images/fehlt.png not found "
        "(hint: the file is missing: add it under content/assets/images/)",
        "content/x.md:6: error[IM110]: image content/assets/images/logo.png not found "
        "(hint: did you mean /assets/logo.png? (a leading / starts from content/))",
        "content/x.md:8: error[IM110]: image content/assets/images/teams.png not found "
        "(hint: did you mean team.png? (content/assets/images/team.png))",
        "content/x.md:10: error[IM110]: image content/bilder/team.jpg not found "
        "(hint: write the path from this file (../assets/bild.jpg) or from content/ (/assets/bild.jpg))",
        "4 errors, 0 warnings"]


def test_an_anchor_typed_as_its_heading_reads_finds_the_heading(make_site):
    """`#Öffnungszeiten` and `#Feiertage` are how authors type the headings `oeffnungszeiten` and
    `feiertage` are made from; a near miss is a warning that names the id meant."""
    root = make_site({
        "content/x.md": "---\ntitle: A\n---\n## Öffnungszeiten\n\n## Feiertage\n\n"
                        "[a](#öffnungszeiten) [b](#Feiertage) [c](y.md#Ansprechpartner) [d](#feiertag)\n",
        "content/y.md": "---\ntitle: B\n---\n## Ansprechpartner\n"})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    html = (root / "_site/x/index.html").read_text(encoding="utf-8")
    assert ['#oeffnungszeiten', '#feiertage', '../y/index.html#ansprechpartner', '#feiertag'] == \
        re.findall(r'<a href="([^"]*)">[abcd]</a>', html)
    assert result.stderr.splitlines()[0] == ("content/x.md:8: warning[IM102]: no heading with id '#feiertag' on this page "
                                             "(hint: did you mean '#feiertage'?)")
    assert "öffnungszeiten" not in result.stderr and "Ansprechpartner" not in result.stderr


def test_a_misspelt_callout_is_an_error_on_its_line_not_text_on_the_page(make_site):
    """`::: tipp` (German for tip) or a fence without its kind would publish the `:::` lines
    as text; a callout with a known kind and a title still renders."""
    root = make_site({"content/x.md": "---\ntitle: A\n---\n::: tipp\nZuerst zuhören.\n:::\n\n"
                                      "::: warning Wichtig für Filialleitungen\nBis Freitag.\n:::\n\n:::\nOhne Art.\n:::\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[:2] == [
        "content/x.md:4: error[IM107]: unknown callout 'tipp' (known: note, tip, warning, info); "
        "the ':::' lines would be shown as text",
        "content/x.md:12: error[IM107]: ':::' opens no callout: name its kind (note, tip, warning, info) after it"]
    assert "IM107" not in "".join(line for line in result.stderr.splitlines() if ":8:" in line)


def test_a_callout_never_closed_is_an_error_at_its_opening_line(make_site):
    """Without its closing `:::` a callout takes in the rest of the page: every later paragraph
    would be printed inside the warning box."""
    root = make_site({"content/x.md": "---\ntitle: A\n---\n::: tip\nZu.\n:::\n\n::: warning Achtung\nOffen.\n\n"
                                      "Der Rest der Seite.\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [
        "content/x.md:8: error[IM107]: callout 'warning' has no closing ':::' line; everything after it would be inside it"]


def test_all_problems_are_reported_at_once(make_site):
    root = make_site({"content/a.md": "---\ntitel: A\n---\n", "content/b.md": "---\ntitle: B\n---\n[x](weg.md)\n",
                      "content/c.md": b"\xff"})
    result = build_site(root)
    assert result.exit_code == 1
    for path in ("content/a.md:2", "content/b.md:4", "content/c.md:1"):
        assert path in result.stderr
    assert "4 errors" in result.stderr


def test_one_file_with_front_matter_errors_reports_its_body_problems_in_the_same_run(make_site):
    """An invalid date stopped the reading of the front matter: the misspelt key came on the next
    run, and the page was dropped before its links were checked, so the broken link and picture
    came on the run after that. A draft's body stays unchecked, as it would with valid front matter."""
    root = make_site({
        "content/assets/bild.png": b"",
        "content/messages/a.md": "---\ntitle: A\ndate: 2026-13-45\nsummery: Kurz\n---\nText.\n\n[weg](weg.md) "
                                 "[ok](b.md)\n\n![Bild](../bilder/bild.png)\n",
        "content/messages/b.md": "---\ntitle: B\ndate: 2026-01-02\n---\nB.\n",
        "content/messages/c.md": "---\ntitle: C\ndate: 2026-13-45\ndraft: true\n---\n[weg](weg.md)\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "content/messages/a.md:3: error[IM003]: '2026-13-45' is not a valid date",
        "content/messages/a.md:4: error[IM005]: unknown key 'summery' (hint: did you mean 'summary'?)",
        "content/messages/a.md:8: error[IM101]: link target 'weg.md' not found (content/messages/weg.md)",
        "content/messages/a.md:10: error[IM110]: image content/bilder/bild.png not found "
        "(hint: did you mean /assets/bild.png? (a leading / starts from content/))",
        "content/messages/c.md:3: error[IM003]: '2026-13-45' is not a valid date",
        "5 errors, 0 warnings"]


def test_site_yaml_problems_name_key_and_line(make_site):
    root = make_site(GOOD, site_yaml=BASIC_SITE_YAML + "colour: red\nbrand:\n  colors: {primary: green}\nversions: {keep: many}\n")
    result = build_site(root)
    assert result.exit_code == 1
    assert "site.yaml:13: error[IM005]: unknown key 'colour'" in result.stderr
    assert "site.yaml:15:" in result.stderr and "primary" in result.stderr
    assert "site.yaml:16:" in result.stderr and "keep" in result.stderr


def test_site_yaml_reports_an_invalid_date_and_the_other_keys_in_one_run(make_site):
    """A date site.yaml cannot hold (2026-13-45) stopped its reading: the misspelt key below it
    came only on the next run."""
    root = make_site(GOOD, site_yaml=BASIC_SITE_YAML + "versions: {keep: 2026-13-45}\ncolour: red\n")
    result = build_site(root)
    assert result.exit_code == 1
    assert [line.split(" (hint")[0] for line in result.stderr.splitlines()] == [
        "site.yaml:13: error[IM003]: '2026-13-45' is not a valid date",
        "site.yaml:14: error[IM005]: unknown key 'colour'", "2 errors, 0 warnings"]


def test_a_language_listed_twice_is_one_error(make_site):
    """`languages: [de, en, pl, en]` (a merge slip) made every generated page of the language
    write its file twice: dozens of "writes 'en/index.html', but home also writes it" errors."""
    root = make_site(GOOD, site_yaml=BASIC_SITE_YAML.replace("languages: [de, en]", "languages:\n  - de\n  - en\n  - en"))
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["site.yaml:6: error[IM001]: duplicate language 'en'", "1 error, 0 warnings"]


def test_a_label_in_a_language_the_site_does_not_have_is_an_error(make_site):
    """`{de: Nachrichten, eng: News}`: the English pages showed the German label, silently. A label
    with a language more than the site has (`fr`, with `de` and `en` there too) is fine."""
    site_yaml = BASIC_SITE_YAML.replace("{label: Nachrichten, url: /messages/}",
                                        "{label: {de: Nachrichten, eng: News}, url: /messages/}")
    site_yaml = site_yaml.replace("{id: zentrale, label: Zentrale}", "{id: zentrale, label: {de: Zentrale, fr: Siège}}")
    site_yaml = site_yaml.replace("{id: filiale, label: Filialteams}",
                                  "{id: filiale, label: {de: Filialteams, en: Stores, fr: Magasins}}")
    root = make_site(GOOD, site_yaml=site_yaml)
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "site.yaml:6: error[IM005]: 'fr' in audiences[1].label is not one of the site's languages (de, en), "
        "and the label has no text in 'en' (hint: add it to languages, or remove it)",
        "site.yaml:11: error[IM005]: 'eng' in menu[0].label is not one of the site's languages (de, en), "
        "and the label has no text in 'en' (hint: did you mean 'en'?)",
        "2 errors, 0 warnings"]


@pytest.mark.parametrize("rel,text,line,key", [
    ("site.yaml", BASIC_SITE_YAML + "brand:\n  colors:\n    primary: #0B1E3F   # Nordlicht-Blau\n", 15,
     "brand.colors.primary"),
    ("themes/t/theme.yaml", "extends: default\ntokens:\n  color-link: #0B1E3F\n", 3, "tokens.color-link"),
], ids=["site.yaml", "theme.yaml"])
def test_an_unquoted_colour_gets_a_hint_to_quote_it(make_site, rel, text, line, key):
    """YAML reads `primary: #0B1E3F` as an empty value and a comment: say so, not just "not nothing"."""
    root = make_site(GOOD, site_yaml=BASIC_SITE_YAML + "theme: t\n" if rel != "site.yaml" else text)
    write_files(root, {"themes/t/theme.yaml": "extends: default\n", rel: text})
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{rel}:{line}: error[IM006]: '{key}' should be a text, not nothing (null) "
        f"(hint: a # starts a comment: quote the colour ({key.split('.')[-1]}: \"#1B7F3B\"))")


@pytest.mark.parametrize("theme,extends,problem", [
    ("marke", "defualt", "themes/marke/theme.yaml:2: error[IM040]: theme 'defualt' not found in themes/ "
                         "(hint: did you mean 'default'?)"),
    ("marke", "marke", "themes/marke/theme.yaml:2: error[IM040]: theme 'marke' extends itself in a cycle"),
    ("mark", "default", "site.yaml:13: error[IM040]: theme 'mark' not found in themes/ (hint: did you mean 'marke'?)"),
], ids=["parent-misspelt", "extends-itself", "theme-misspelt"])
def test_a_wrong_theme_name_is_reported_where_it_is_written(make_site, theme, extends, problem):
    root = make_site({"themes/marke/theme.yaml": f"name: marke\nextends: {extends}\n"},
                     site_yaml=BASIC_SITE_YAML + f"theme: {theme}\n")
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == problem


def test_a_syntax_error_in_the_base_template_is_reported_once(make_site):
    """Every page extends base.html: one typo there is one problem, not one per page and language."""
    root = make_site({**GOOD, "themes/t/theme.yaml": "extends: default\n",
                      "themes/t/templates/base.html": '{% extends "default:base.html" %}\n'
                                                      '{% block body_class %}{{ super( }} marke{% endblock %}\n'},
                     site_yaml=BASIC_SITE_YAML + "theme: t\n")
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "themes/t/templates/base.html:2: error[IM040]: template syntax error: unexpected '}', expected ')'",
        "1 error, 0 warnings"]


def test_yaml_1_1_surprises_stay_text(make_site):
    root = make_site({"content/x.md": "---\ntitle: 12:30\ntags: [NO, yes, on]\n---\n"})
    assert build_site(root).exit_code == 0
    assert "<h1>12:30</h1>" in (root / "_site/x/index.html").read_text()


def test_second_yaml_document_in_site_yaml(make_site):
    root = make_site(GOOD, site_yaml=BASIC_SITE_YAML + "---\ntitle: B\n")
    result = build_site(root)
    assert result.exit_code == 1
    assert "site.yaml:13:" in result.stderr and "second YAML document" in result.stderr


def test_bom_and_crlf_are_accepted_with_right_lines(make_site):
    text = "\ufeff---\r\ntitle: A\r\n---\r\n\r\nText\r\n[weg](fehlt.md)\r\n"
    root = make_site({"content/x.md": text.encode("utf-8")})
    result = build_site(root)
    assert "content/x.md:6: error[IM101]" in result.stderr


def test_raw_html_is_escaped_unless_allowed(make_site):
    files = {"content/x.md": "---\ntitle: <b>Fett</b>\n---\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n"}
    root = make_site(files)
    assert build_site(root).exit_code == 0
    html = (root / "_site/x/index.html").read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html
    assert "<h1>&lt;b&gt;Fett&lt;/b&gt;</h1>" in html


def test_editor_leftovers_are_ignored(make_site):
    root = make_site({**GOOD, "content/messages/gut.md~": "junk", "content/.#gut.md": "junk",
                      "content/messages/.gut.md.swp": b"\x00\x01", "content/.DS_Store": b"\x00"})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    names = [p.name for p in (root / "_site").rglob("*")]
    assert not any(n.endswith(("~", ".swp")) or n == ".DS_Store" for n in names)


def test_symlink_leaving_content_is_refused(make_site, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\nSECRET\n")
    root = make_site(GOOD)
    (root / "content" / "leak.md").symlink_to(secret)
    result = build_site(root)
    assert result.exit_code == 1
    assert "content/leak.md: error[IM011]: symlink points outside content/" in result.stderr


def test_symlink_leaving_the_project_from_a_theme_is_refused(make_site, tmp_path):
    """A theme's static files are published as they are: a symlink there to a file elsewhere
    (a key in the home folder) would put that file on the intranet."""
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY\n")
    root = make_site({**GOOD, "themes/t/theme.yaml": "extends: default\n"}, site_yaml=BASIC_SITE_YAML + "theme: t\n")
    (root / "themes/t/static").mkdir()
    (root / "themes/t/static/schluessel.txt").symlink_to(secret)
    result = build_site(root)
    assert result.exit_code == 1
    assert "themes/t/static/schluessel.txt: error[IM011]: symlink points outside the project" in result.stderr
    assert not (root / "_site").exists()


def test_output_folder_with_git_is_refused(make_site, tmp_path):
    root = make_site(GOOD)
    target = tmp_path / "repo"
    (target / ".git").mkdir(parents=True)
    result = build_site(root, "-o", str(target))
    assert result.exit_code == 1 and ".git" in result.stderr
    assert (target / ".git").is_dir()


def test_problems_of_a_pages_place_are_reported_again_when_it_comes_from_the_cache(tmp_path):
    """A page's address and translation key are worked out with its parse and cached with it
    (content.py): a rebuild that takes the page from the cache still reports what is wrong with them."""
    root = tmp_path / "site"
    write_files(root, {"site.yaml": BASIC_SITE_YAML,
                       "content/messages/nul!.md": "---\ntitle: A\ndate: 2026-01-07\naudiences: [filialen]\n---\n\nText.\n",
                       "content/messages/b.md": "---\ntitle: B\ndate: 2026-01-08\ntranslation_key: gemeinsam\n---\n\nText.\n",
                       "content/messages/c.md": "---\ntitle: C\ndate: 2026-01-09\ntranslation_key: gemeinsam\n---\n\nText.\n"})
    first = build_site(root)
    assert first.exit_code == 1
    for result in (first, build_site(root)):
        assert said(result, "IM011") == ["content/messages/nul!.md:1: error[IM011]: the page's address /messages/nul/ has the "
                                          "folder 'nul', a name Windows reserves for a device: the built site cannot be copied "
                                          "to or checked out on Windows (hint: set another address in the front matter, e.g. "
                                          "slug: nul-info)"]
        assert len(said(result, "IM020")) == 1 and len(said(result, "gemeinsam")) >= 1, result.stderr
    assert build_site(root).stderr == first.stderr
