"""The core build: publishing rules, determinism, relative links, languages, output layout."""

from __future__ import annotations

import hashlib
import json
import io
import re
import uuid
import shutil
import unicodedata
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import BASIC_SITE_YAML, NOW, README, build_site, run_cli, said, snapshot_tree, write_files
from im_site.cli import main
from im_site.config import SiteSettings
from im_site.diagnostics import CODES
from im_site.schema import _inner_model

SITE = {
    "content/messages/frische.md": """
        ---
        title: Frische ist Haltung
        summary: Warum Frische bei uns beginnt.
        date: 2026-03-01
        author: Katrin Vogt
        role: Vorstandsvorsitzende
        pillars: [leadership]
        tags: [frische]
        pinned: true
        ---
        Siehe [das Modul](../training/modul.md#erste-lektion) und [Über uns](../ueber.md),
        [alle Nachrichten](/messages/).

        ## Worum es geht

        ::: tip
        Ein Tipp für die Filiale.
        :::

        | Was | Wer |
        |-----|-----|
        | Obst | Team |

        - [x] erledigt
        - [ ] offen

        Fußnote[^1].

        [^1]: Quelle: Umfrage.
        """,
    "content/messages/frische.en.md": """
        ---
        title: Freshness is an attitude
        date: 2026-03-01
        pillars: [leadership]
        ---
        See [the German original](frische.md).
        """,
    "content/messages/service.md": """
        ---
        title: Service für Filialteams
        date: 2026-04-01
        must_read: true
        audiences: [filiale]
        ---
        Nur für Filialen.
        """,
    "content/messages/zentrale.md": """
        ---
        title: Nachricht an die Zentrale
        date: 2026-04-02
        audiences: [zentrale]
        ---
        Nur für die Zentrale: ZENTRALEMARKER.
        """,
    "content/messages/entwurf.md": """
        ---
        title: Geheimer Entwurf DRAFTMARKER
        date: 2026-04-03
        draft: true
        tags: [nurentwurf]
        ---
        DRAFTMARKER body.
        """,
    "content/messages/zukunft.md": """
        ---
        title: Embargo Nachricht FUTUREMARKER
        date: 2026-12-01
        publish_at: 2026-12-01T08:00:00
        ---
        FUTUREMARKER body.
        """,
    "content/messages/alt.md": """
        ---
        title: Abgelaufene Aktion EXPIREDMARKER
        date: 2026-01-01
        expires: 2026-02-01
        ---
        EXPIREDMARKER body.
        """,
    "content/training/modul.md": """
        ---
        title: Frische erklären
        duration: 20
        tags: [frische, schulung]
        ---
        ## Erste Lektion
        Text.
        """,
    "content/ueber.md": """
        ---
        title: Über uns
        tags: [frische, team]
        ---
        Das interne Kundenprinzip.
        """,
}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link" and (("rel", "canonical") in attrs or any(name == "hreflang" for name, _ in attrs)):
            return  # canonical URLs, and the hreflang alternates with them, are absolute from base_url by design
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.targets.append(value)


def _output_text(site: Path) -> dict[str, str]:
    return {path: data.decode("utf-8", "replace") for path, data in snapshot_tree(site / "_site").items()}


@pytest.fixture
def built(make_site):
    root = make_site(SITE)
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    return root


def test_layout_has_pages_listings_feeds_and_manifest(built):
    out = built / "_site"
    for path in ["index.html", "404.html", "sitemap.xml", "manifest.json", "feed.xml", "en/feed.xml",
                 "messages/index.html", "messages/frische/index.html", "en/messages/frische/index.html",
                 "training/modul/index.html", "ueber/index.html", "pillars/leadership/index.html",
                 "tags/frische/index.html", "audiences/filiale/index.html", "en/index.html"]:
        assert (out / path).is_file(), path
    manifest = json.loads((out / "manifest.json").read_text())
    urls = {page["url"]: page for page in manifest["pages"]}
    assert urls["messages/frische/"]["type"] == "message"
    assert urls["messages/frische/"]["source"] == "content/messages/frische.md"
    assert urls["messages/service/"]["audiences"] == ["filiale"]
    for page in manifest["pages"]:  # each page's hash is that of the file written
        assert page["hash"] == hashlib.sha256((out / page["file"]).read_bytes()).hexdigest(), page["file"]


def test_manifest_entries_are_the_json_of_their_values(make_site):
    """feeds.py writes each page's line itself: it must be what `json.dumps` writes, byte for byte,
    for any title (quotes, backslashes, control characters, non-ASCII), list and date."""
    root = make_site({**SITE, "content/messages/zitat.md": """
        ---
        title: "Ein \\"Zitat\\" mit \\\\ Rückstrich,\\ttab </script> & 🎉"
        date: 2026-03-02
        must_read: true
        audiences: [filiale]
        pillars: [leadership]
        ---
        Text.
        """})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    lines = (root / "_site" / "manifest.json").read_text(encoding="utf-8").splitlines()
    entries = [line.strip().rstrip(",") for line in lines if line.startswith("  {")]
    assert len(entries) == len(json.loads("\n".join(lines))["pages"]) > 3
    for line in entries:
        assert line == json.dumps(json.loads(line), ensure_ascii=False, sort_keys=True)
    titles = {json.loads(line)["title"]: json.loads(line) for line in entries}
    quoted = titles['Ein "Zitat" mit \\ Rückstrich,\ttab </script> & 🎉']
    assert quoted["must_read"] is True and quoted["audiences"] == ["filiale"] and quoted["date"] == "2026-03-02"
    assert any(entry["date"] is None for entry in titles.values())


@pytest.mark.parametrize("marker", ["DRAFTMARKER", "FUTUREMARKER", "EXPIREDMARKER", "nurentwurf"])
def test_unpublished_pages_leave_no_trace(built, marker):
    for path, text in _output_text(built).items():
        assert marker not in text, f"{marker} leaked into {path}"


def test_drafts_and_future_flags_preview_them(make_site):
    root = make_site(SITE)
    assert build_site(root, "--drafts", "--future").exit_code == 0
    texts = _output_text(root)
    assert "DRAFTMARKER" in texts["messages/entwurf/index.html"]
    assert "FUTUREMARKER" in texts["messages/zukunft/index.html"]
    assert "EXPIREDMARKER" not in "".join(texts.values())
    # The writer sees why readers do not see these pages yet: a note on the page, a flag on its card.
    assert '<p class="preview-note" role="note">Entwurf: nur in dieser Vorschau zu sehen' in texts["messages/entwurf/index.html"]
    assert ("Geplant: für Leserinnen und Leser erst ab 1. Dezember 2026, 08:00 zu sehen."
            in texts["messages/zukunft/index.html"])
    assert "preview-note" not in texts["messages/frische/index.html"]
    listing = texts["messages/index.html"]
    assert listing.count('class="flag flag-preview"') == 2 and ">Entwurf<" in listing and ">Geplant<" in listing


def test_published_pages_carry_no_preview_note_and_a_cached_note_goes_when_the_page_goes_live(make_site, tmp_path):
    root = make_site(SITE)
    assert build_site(root).exit_code == 0
    assert not any("preview-note" in text or "flag-preview" in text for path, text in _output_text(root).items()
                   if path.endswith(".html"))
    # Scheduled for 08:00: previewed at 07:00 it says so; at 09:00 the same day it is live, and the
    # page cache (whose key holds the day, not the hour) must not bring the note back.
    assert build_site(root, "--future", now="2026-12-01T07:00:00+00:00").exit_code == 0
    assert "preview-note" in (root / "_site/messages/zukunft/index.html").read_text()
    assert build_site(root, "--future", now="2026-12-01T09:00:00+00:00").exit_code == 0
    cached = snapshot_tree(root / "_site")
    assert "preview-note" not in cached["messages/zukunft/index.html"].decode()
    shutil.rmtree(root / ".im-site-cache")
    assert build_site(root, "--future", "-o", str(tmp_path / "clean"), now="2026-12-01T09:00:00+00:00").exit_code == 0
    assert snapshot_tree(tmp_path / "clean") == cached


def test_a_time_may_leave_out_its_seconds(make_site):
    """`publish_at: 2027-01-15 08:00` is how people write a time; `15.01.2027` gets a clear error."""
    root = make_site({"content/messages/a.md": "---\ntitle: A\ndate: 2027-01-15\npublish_at: 2027-01-15 08:00\n---\nText.\n",
                      "content/ueber.md": "---\ntitle: Über uns\n---\nText.\n"})
    result = build_site(root, now="2027-01-15T07:59:00+00:00")
    assert result.exit_code == 0, result.stderr
    assert not (root / "_site/messages/a/index.html").exists()
    assert build_site(root, now="2027-01-15T08:00:00+00:00").exit_code == 0
    assert (root / "_site/messages/a/index.html").is_file()
    _fails_with(root, "content/messages/a.md", "---\ntitle: A\ndate: 2027-01-15\npublish_at: 15.01.2027\n---\n",
                "content/messages/a.md:4: error[IM006]: 'publish_at' should be a date (YYYY-MM-DD) or a date and time "
                "(YYYY-MM-DD HH:MM), not '15.01.2027' (str)")


@pytest.mark.parametrize(("written", "problem"), [
    ("date: '2026-12-01'", "content/messages/a.md:3: error[IM006]: 'date' should be a date (YYYY-MM-DD) or a date and time "
                           "(YYYY-MM-DD HH:MM), not '2026-12-01' (str) (hint: in quotes YAML reads it as text: write "
                           "date: 2026-12-01)"),
    ('publish_at: "2027-01-15 8:00"', "content/messages/a.md:3: error[IM006]: 'publish_at' should be a date (YYYY-MM-DD) "
                                      "or a date and time (YYYY-MM-DD HH:MM), not '2027-01-15 8:00' (str) (hint: in quotes "
                                      "YAML reads it as text: write publish_at: 2027-01-15 08:00)"),
    ("expires: 31.12.2026", "(hint: write it year first: expires: 2026-12-31)"),
    ("publish_at: 15.1.2027, 8:30 Uhr", "(hint: write it year first: publish_at: 2027-01-15 08:30)"),
    ("publish_at: 2027-01-15 8:00", "content/messages/a.md:3: error[IM003]: '2027-01-15 8:00' is not a valid date "
                                    "(hint: write the hour with two digits: 2027-01-15 08:00)"),
])
def test_a_date_written_as_people_type_it_gets_a_hint_with_what_to_write(make_site, written: str, problem: str):
    """`date: "2026-12-01"` (quoted, as Hugo's and Jekyll's front matter has it) was refused as
    "should be a date (YYYY-MM-DD) ..., not '2026-12-01'": the writer had written just that. The hint
    says what differs: the quotes, the German order of day and month, a one-digit hour."""
    root = make_site({"content/messages/a.md": f"---\ntitle: A\n{written}\n---\nText.\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert problem in result.stderr, result.stderr


def _fails_with(root: Path, rel: str, text: str, problem: str) -> None:
    """Write `text` to `rel` and build: the build fails, reporting `problem`."""
    (root / rel).write_text(text, encoding="utf-8")
    result = build_site(root)
    assert result.exit_code == 1
    assert problem in result.stderr, result.stderr


def test_old_urls_in_aliases_send_readers_to_the_page(make_site):
    """A renamed message keeps the links already sent by e-mail working: its old URLs redirect."""
    root = make_site({"content/messages/neu.md": "---\ntitle: Neuer Name\ndate: 2026-01-01\n"
                                                 "aliases: [/messages/alter-name/, alte/adresse]\n---\nText.\n",
                      "content/ueber.md": "---\ntitle: Über uns\n---\nText.\n"})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    out = root / "_site"
    for old, target in (("messages/alter-name", "../neu/index.html"), ("alte/adresse", "../../messages/neu/index.html")):
        html = (out / old / "index.html").read_text(encoding="utf-8")
        assert f'<meta http-equiv="refresh" content="0; url={target}">' in html and f'<a href="{target}">Neuer Name</a>' in html
        assert '<meta name="robots" content="noindex">' in html and '<link rel="canonical" href="/messages/neu/">' in html
        assert (out / old / target).resolve() == (out / "messages/neu/index.html").resolve()
    sitemap = (out / "sitemap.xml").read_text()
    assert "/messages/neu/" in sitemap and "alter-name" not in sitemap and "adresse" not in sitemap
    _fails_with(root, "content/messages/neu.md", "---\ntitle: Neuer Name\ndate: 2026-01-01\n"
                "aliases: [/ueber/, 'https://example.com/x']\n---\nText.\n",
                "content/messages/neu.md:4: error[IM006]: 'aliases': 'https://example.com/x' is not a path of this site "
                "like /messages/alter-name/")
    _fails_with(root, "content/messages/neu.md", "---\ntitle: Neuer Name\ndate: 2026-01-01\naliases:\n  - /ueber/\n---\nText.\n",
                "content/messages/neu.md:5: error[IM030]: alias '/ueber/' is the URL of a page of this site "
                "(hint: an alias is an old URL that no page has any more)")


def test_a_link_to_a_renamed_page_names_its_new_file(make_site):
    """Renaming a message (with the `aliases:` IM172 asks for) broke every older page's link to its
    old file or address, each "not found" with no word of where the page went."""
    root = make_site({
        "content/messages/neu.md": "---\ntitle: Neu\ndate: 2026-01-01\naliases: [/messages/alt/]\n---\nText.\n",
        "content/messages/neu.en.md": "---\ntitle: New\ndate: 2026-01-01\naliases: [/en/messages/alt/]\n---\nText (en).\n",
        "content/ueber.md": "---\ntitle: Über uns\n---\n[A](messages/alt.md) und [B](/messages/alt/)\n",
        "content/ueber.en.md": "---\ntitle: About\n---\n[A](messages/alt.en.md)\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert sorted(result.stderr.splitlines()[:3]) == [
        "content/ueber.en.md:4: error[IM101]: link target 'messages/alt.en.md' not found (content/messages/alt.en.md) "
        "(hint: did you mean /messages/neu.en.md? the page was renamed: its aliases name /en/messages/alt/)",
        "content/ueber.md:4: error[IM101]: link target '/messages/alt/' not found "
        "(hint: did you mean /messages/neu.md? the page was renamed: its aliases name /messages/alt/)",
        "content/ueber.md:4: error[IM101]: link target 'messages/alt.md' not found (content/messages/alt.md) "
        "(hint: did you mean /messages/neu.md? the page was renamed: its aliases name /messages/alt/)"]
    # A menu entry leading to the old address is told the new one.
    (root / "site.yaml").write_text(BASIC_SITE_YAML.replace("url: /messages/}", "url: /messages/alt/}"))
    write_files(root, {"content/ueber.md": "---\ntitle: Über uns\n---\nText.\n", "content/ueber.en.md": "---\ntitle: About\n---\nText (en).\n"})
    assert build_site(root).stderr.splitlines()[0] == ("site.yaml:11: error[IM101]: menu link '/messages/alt/' points to "
                                                       "no page of this site (hint: the page was renamed: write "
                                                       "/messages/neu/ (its aliases name /messages/alt/))")


def test_a_menu_link_to_a_page_with_errors_names_it(make_site):
    root = make_site({"content/messages/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nText.\n",
                      "content/kontakt.md": "---\ntitle: Kontakt\nweight: viel\n---\nText.\n"},
                     site_yaml=BASIC_SITE_YAML.replace("url: /messages/}\n", "url: /messages/}\n  - {label: Kontakt, url: /kontakt/}\n"))
    result = build_site(root)
    assert result.exit_code == 1
    assert ("menu link '/kontakt/' points to no page of this site (hint: content/kontakt.md has errors of its own "
            "that keep it out of the build)") in result.stderr


def test_a_menu_link_to_a_page_in_another_language_only_says_where_it_is(make_site):
    """`/tablets/` for `tablets.en.md`: "points to no page" left the writer looking at a page
    that is there, at /en/tablets/."""
    menu = "url: /messages/}\n  - {label: Tablets, url: /tablets/}\n"
    root = make_site({"content/messages/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nText.\n",
                      "content/tablets.en.md": "---\ntitle: Tablets\n---\nText.\n"},
                     site_yaml=BASIC_SITE_YAML.replace("url: /messages/}\n", menu))
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("site.yaml:12: error[IM101]: menu link '/tablets/' points to no page of "
                                             "this site (hint: the page is in 'en' only: write /en/tablets/)")
    (root / "site.yaml").write_text(BASIC_SITE_YAML.replace("url: /messages/}\n", menu.replace("/tablets/", "/en/tablets/")))
    assert build_site(root).exit_code == 0
    assert '<a href="en/tablets/index.html">Tablets</a>' in (root / "_site/index.html").read_text(encoding="utf-8")


def test_a_menu_link_to_a_page_that_expires_leaves_the_menu_on_schedule(make_site):
    """A menu entry for a page with `expires` built while the page was live, and failed the first
    build after its expiry (IM101): the scheduled publish meant to take the page down failed, and
    the expired page stayed online with nobody having changed anything. Now the entry leaves the
    menu with the page, with a warning to tidy site.yaml."""
    menu = "url: /messages/}\n  - {label: Adventsaktion, url: /aktion/}\n"
    root = make_site({"content/messages/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nText.\n",
                      "content/aktion.md": "---\ntitle: Aktion im Advent\nexpires: 2026-12-24\n---\nText.\n"},
                     site_yaml=BASIC_SITE_YAML.replace("url: /messages/}\n", menu))
    live = build_site(root, now="2026-12-20T09:00:00+00:00")
    assert live.exit_code == 0 and "IM104" not in live.stderr, live.stderr
    assert '<a href="aktion/index.html">Adventsaktion</a>' in (root / "_site/index.html").read_text(encoding="utf-8")
    gone = build_site(root, now="2026-12-28T09:00:00+00:00")
    assert gone.exit_code == 0, gone.stderr
    assert gone.stderr.splitlines()[0] == ("site.yaml:12: warning[IM104]: menu link '/aktion/' leads to a page that has "
                                           "expired: left out of the menu (hint: remove the entry from menu:)")
    home = (root / "_site/index.html").read_text(encoding="utf-8")
    assert "Adventsaktion" not in home and not (root / "_site/aktion").exists()
    # Named by the configuration file the build read, like every other problem in it.
    (root / "site.yaml").rename(root / "staging.yaml")
    staged = run_cli(root, "--config", str(root / "staging.yaml"), "build", "--now", "2026-12-28T09:00:00+00:00")
    assert staged.stderr.startswith("staging.yaml:12: warning[IM104]"), staged.stderr


def test_a_menu_link_to_a_section_of_a_page_keeps_its_anchor(make_site):
    """`url: /werte/#haltung` (a section of a long page) was reported as "points to no page of this
    site" and failed the build. It links to the section; an anchor no heading has is warning IM102."""
    menu = ("url: /messages/}\n  - {label: Haltung, url: /werte/#haltung}\n  - {label: Alt, url: /werte/#haltng-alt}\n"
            "  - {label: Ziele, url: '/werte/#Unsere Ziele'}\n")
    root = make_site({"content/messages/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nText.\n",
                      "content/werte.md": "---\ntitle: Werte\n---\n## Haltung\n\nText.\n\n## Unsere Ziele\n\nT.\n",
                      "content/werte.en.md": "---\ntitle: Values\n---\n## Attitude\n\nText.\n\n## Unsere Ziele\n\nT.\n"},
                     site_yaml=BASIC_SITE_YAML.replace("url: /messages/}\n", menu))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    # The English menu links to the English page, which was never checked; the id typed as the
    # heading reads (`#Unsere Ziele`) was a warning, and a dead link in the menu.
    assert said(result, "IM102") == [
        "site.yaml:12: warning[IM102]: menu link '/werte/#haltung': no heading with id '#haltung' on /en/werte/, "
        "where the menu in 'en' leads (hint: the entry's URL serves every language's menu)",
        "site.yaml:13: warning[IM102]: menu link '/werte/#haltng-alt': no heading with id '#haltng-alt' on /en/werte/, "
        "where the menu in 'en' leads (hint: the entry's URL serves every language's menu)",
        "site.yaml:13: warning[IM102]: menu link '/werte/#haltng-alt': no heading "
        "with id '#haltng-alt' on /werte/ (hint: did you mean '#haltung'?)"], result.stderr
    home = (root / "_site/index.html").read_text(encoding="utf-8")
    assert '<a href="werte/index.html#haltung">Haltung</a>' in home
    assert '<a href="werte/index.html#unsere-ziele">Ziele</a>' in home
    assert '<a href="werte/index.html#unsere-ziele">Ziele</a>' in (root / "_site/en/index.html").read_text(encoding="utf-8")
    assert 'id="haltung"' in (root / "_site/werte/index.html").read_text(encoding="utf-8")


def test_a_heading_keeps_an_id_set_above_it_across_rewording_and_translation(make_site):
    """`/werte/#haltung` could not reach the English page's section (its heading reads "Attitude"),
    and rewording a heading broke every link to it: `{#haltung}` above a heading sets its id."""
    menu = "url: /messages/}\n  - {label: Haltung, url: /werte/#haltung}\n"
    root = make_site({"content/messages/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\n[Zur Haltung](../werte.md#haltung)\n",
                      "content/werte.md": "---\ntitle: Werte\n---\n{#haltung}\n## Was wir vertreten\n\nText.\n",
                      "content/werte.en.md": "---\ntitle: Values\n---\n{#haltung}\n## Attitude\n\nText.\n"},
                     site_yaml=BASIC_SITE_YAML.replace("url: /messages/}\n", menu))
    result = build_site(root)
    assert result.exit_code == 0 and "IM102" not in result.stderr, result.stderr
    english = (root / "_site/en/werte/index.html").read_text(encoding="utf-8")
    assert '<h2 id="haltung">Attitude</h2>' in english and "{#haltung}" not in english
    assert '<a href="werte/index.html#haltung">Haltung</a>' in (root / "_site/en/index.html").read_text(encoding="utf-8")
    assert 'href="../../werte/index.html#haltung"' in (root / "_site/messages/a/index.html").read_text(encoding="utf-8")
    (root / "content/werte.md").write_text("---\ntitle: Werte\n---\n{#haltung .rot onclick=x}\n## A\n\n{#absatz}\nText.\n\n"
                                           "{#Zweite_Sektion}\n## B\n\n{#haltung}\n## C\n", encoding="utf-8")
    failed = build_site(root)
    assert failed.exit_code == 1
    assert [line.split("error[IM108]: ")[1] for line in failed.stderr.splitlines() if "IM108" in line] == [
        "'{...}' sets only a heading's id ({#haltung}); class, onclick cannot be set",
        "'{#absatz}' names the heading on the line below it, but below it is no heading (paragraph)",
        "heading id 'Zweite_Sektion' must be lower-case letters, digits and hyphens (as in '#zweite-sektion')",
        "heading id 'haltung' is given twice"], failed.stderr
    assert "content/werte.md:4: error[IM108]" in failed.stderr and "content/werte.md:10: error[IM108]" in failed.stderr


def test_a_menu_link_to_an_embargoed_page_joins_the_menu_when_it_goes_live(make_site):
    """A menu entry prepared with its embargoed page failed every build until the page went live
    (IM101, no hint why), so the entry could only be merged on the day, by hand. Now it is left
    out until the page goes live, and the scheduled publish that puts the page up adds it."""
    menu = "url: /messages/}\n  - {label: Adventsaktion, url: /aktion/}\n"
    root = make_site({"content/messages/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nText.\n",
                      "content/aktion.md": "---\ntitle: Adventsaktion\npublish_at: 2026-12-01\n---\nText.\n"},
                     site_yaml=BASIC_SITE_YAML.replace("url: /messages/}\n", menu))
    before = build_site(root)
    assert before.exit_code == 0 and not before.stderr, before.stderr
    assert "Adventsaktion" not in (root / "_site/index.html").read_text(encoding="utf-8")
    assert run_cli(root, "check", "--strict", "--now", NOW).exit_code == 0
    live = build_site(root, now="2026-12-01T09:00:00+00:00")
    assert live.exit_code == 0 and not live.stderr, live.stderr
    assert '<a href="aktion/index.html">Adventsaktion</a>' in (root / "_site/index.html").read_text(encoding="utf-8")


def test_a_menu_link_naming_a_page_file_gives_its_address(make_site):
    """Markdown links name pages by their file, so `url: /training/kasse.md` in the menu is an easy
    slip: "points to no page" did not say the page is there, at /training/kasse-grundlagen/."""
    menu = "url: /messages/}\n  - {label: Kasse, url: /training/kasse.md}\n"
    root = make_site({"content/messages/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nText.\n",
                      "content/training/kasse.md": "---\ntitle: Kasse\nslug: kasse-grundlagen\n---\nText.\n"},
                     site_yaml=BASIC_SITE_YAML.replace("url: /messages/}\n", menu))
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "site.yaml:12: error[IM101]: menu link '/training/kasse.md' points to no page of this site "
        "(hint: a menu names a page by its address: write /training/kasse-grundlagen/)")


def test_a_build_says_how_many_drafts_and_scheduled_pages_it_leaves_out(make_site):
    """A writer who made a page with `im-site new` (a draft) and does not see it learns why."""
    root = make_site(SITE)
    assert "not shown: 1 draft (--drafts), 1 scheduled page (--future)" in build_site(root, "-v").stderr
    assert "not shown" not in build_site(root, "-v", "--drafts", "--future").stderr


def test_a_page_that_expires_before_it_goes_live_is_a_warning(make_site):
    root = make_site({"content/messages/a.md": "---\ntitle: A\ndate: 2026-11-20\npublish_at: 2026-12-01 08:00\n"
                                               "expires: 2026-11-25\n---\nText.\n",
                      "content/messages/b.md": "---\ntitle: B\ndate: 2026-12-01\npublish_at: 2026-12-01\n"
                                               "expires: 2026-12-01\n---\nOne day.\n",
                      "content/messages/c.md": "---\ntitle: C\ndate: 2026-11-20\n---\nText.\n"})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM150") == [
        "content/messages/a.md:5: warning[IM150]: expires 2026-11-25 is before publish_at 2026-12-01T08:00:00: "
        "the page is never shown (hint: check both dates)"]


def test_an_embargoed_message_dated_before_it_goes_live_is_a_warning(make_site):
    """`im-site new` dates a message the day it is written; embargoed for a week, it went live
    dated a week back: below the messages of the days between, and old news to feed readers."""
    root = make_site({"content/messages/a.md": "---\ntitle: A\ndate: 2026-11-20\npublish_at: 2026-12-01 08:00\n---\nText.\n",
                      "content/messages/b.md": "---\ntitle: B\ndate: 2026-12-01\npublish_at: 2026-12-01 08:00\n---\nText.\n",
                      "content/messages/c.md": "---\ntitle: C\ndate: 2026-11-20\n---\nLive.\n",
                      "content/pages/p.md": "---\ntitle: P\npublish_at: 2026-12-01 08:00\n---\nText.\n"})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM150") == [
        "content/messages/a.md:3: warning[IM150]: dated 2026-11-20 but goes live 2026-12-01 08:00: readers find it "
        "among that day's messages, below the newer ones (hint: date: 2026-12-01)"]
    # once it is live, the date is history (and changing it would move the message in every listing)
    assert "IM150" not in build_site(root, now="2026-12-02T12:00:00+00:00").stderr


def test_a_translation_shown_while_its_original_is_not_is_a_warning(make_site):
    """`publish_at`, `expires` or `draft` not copied into the translation published the English
    text of an embargoed message before the German one went live, or kept it after the original
    expired: each file has its own dates, and no other check noticed."""
    def page(title: str, extra: str = "") -> str:
        return f"---\ntitle: {title}\ndate: 2026-11-20\n{extra}---\nText: {title}.\n"
    files = {"content/messages/fusion.md": page("Fusion", "publish_at: 2026-12-01 08:00\n"),
             "content/messages/fusion.en.md": page("Merger"),
             "content/messages/markt.md": page("Markt", "expires: 2026-11-25\n"),
             "content/messages/markt.en.md": page("Market"),
             "content/messages/brief.md": page("Brief", "draft: true\n"),
             "content/messages/brief.en.md": page("Letter"),
             "content/messages/frueh.md": page("Früh", "publish_at: 2026-12-01 08:00\n"),
             "content/messages/frueh.en.md": page("Early", "publish_at: 2026-12-01\n"),
             # as in the original, or more careful than it: no warning
             "content/messages/gleich.md": page("Gleich", "publish_at: 2026-12-01\nexpires: 2026-12-24\n"),
             "content/messages/gleich.en.md": page("Same", "publish_at: 2026-12-01\nexpires: 2026-12-24\n"),
             "content/messages/spaet.md": page("Spät", "expires: 2026-12-24\n"),
             "content/messages/spaet.en.md": page("Late", "publish_at: 2026-12-02\nexpires: 2026-12-20\n"),
             "content/messages/entwurf.md": page("Entwurf", "draft: true\n"),
             "content/messages/entwurf.en.md": page("Draft", "draft: true\n"),
             # a draft copy that kept the key is not the original
             "content/messages/kasse.md": page("Kasse", "translation_key: kasse\n"),
             "content/messages/kasse.en.md": page("Tills", "translation_key: kasse\n"),
             "content/messages/kasse-neu.md": page("Kasse neu", "translation_key: kasse\ndraft: true\n"),
             "content/messages/kassen-neu.md": page("Kassen neu", "translation_key: kasse\ndraft: true\n")}
    root = make_site(files)
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if "IM150" in line and ": dated 2026" not in line] == [
        "content/messages/brief.en.md:2: warning[IM150]: the translation is published, its original "
        "content/messages/brief.md is a draft (hint: draft: true, as in the original)",
        "content/messages/frueh.en.md:4: warning[IM150]: the translation goes live before its original "
        "content/messages/frueh.md (2026-12-01T08:00:00): readers see the embargoed text in this language first "
        "(hint: publish_at: 2026-12-01T08:00:00, as in the original)",
        "content/messages/fusion.en.md:2: warning[IM150]: the translation goes live before its original "
        "content/messages/fusion.md (2026-12-01T08:00:00): readers see the embargoed text in this language first "
        "(hint: publish_at: 2026-12-01T08:00:00, as in the original)",
        "content/messages/markt.en.md:2: warning[IM150]: the translation stays published after its original "
        "content/messages/markt.md expires (2026-11-25) (hint: expires: 2026-11-25, as in the original)"]
    # once the original is live, an earlier start is history, not a warning
    assert "frueh.en.md" not in build_site(root, now="2026-12-02T12:00:00+00:00").stderr


def test_clock_decides_embargo(make_site):
    root = make_site(SITE)
    assert build_site(root, now="2026-12-01T08:00:00+00:00").exit_code == 0
    assert (root / "_site/messages/zukunft/index.html").is_file()


def test_audience_build_leaves_no_trace_of_other_audiences(make_site):
    root = make_site(SITE)
    assert build_site(root, "--audience", "filiale").exit_code == 0
    texts = _output_text(root)
    assert "messages/service/index.html" in texts
    for path, text in texts.items():
        assert "ZENTRALEMARKER" not in text and "Nachricht an die Zentrale" not in text, path


@pytest.mark.parametrize("args", [["build", "--now", ""], ["check", "--now", " "], ["digest", "-o", "{tmp}/d.html", "--since", ""]])
def test_an_empty_clock_or_since_is_a_usage_error(make_site, tmp_path, args):
    """`--now "$BUILD_TIME"` with the variable unset built with the current clock, and
    `--since "$LAST_RUN"` covered the default week: another build, another digest, without a word."""
    root = make_site(SITE)
    result = run_cli(root, *(arg.format(tmp=tmp_path) for arg in args))
    assert result.exit_code == 2, result.output
    assert "is not an ISO 8601 date or datetime" in result.stderr
    assert not (root / "_site").exists() and not (tmp_path / "d.html").exists()


@pytest.mark.parametrize("args", [["digest", "-o", "{tmp}/d.html", "--dest", ""], ["digest", "-o", ""],
                                  ["build", "-o", ""], ["build", "-o", " "], ["publish", "--dest", ""],
                                  ["versions", "--dest", " "], ["diff", "a", "b", "--dest", ""]])
def test_an_empty_folder_or_file_is_a_usage_error(make_site, tmp_path, monkeypatch, args):
    """`digest --dest "$PUBLISHED"` with the variable unset read no versions and mailed by dates
    alone, without a word; `build -o ""` built into output_dir and `build -o " "` into a folder
    named " ". Nothing is written, and the message names the option."""
    root = make_site(SITE)
    monkeypatch.chdir(tmp_path)  # where `-o " "` wrote its folder " "
    clock = ["--now", NOW] if args[0] in ("digest", "build", "publish") else []
    result = run_cli(root, *(arg.format(tmp=tmp_path) for arg in args), *clock)
    assert result.exit_code == 2, result.output
    assert "is empty (an unset variable?)" in result.stderr and ("'--dest'" in result.stderr or "'-o'" in result.stderr)
    assert sorted(path.name for path in root.iterdir()) == ["content", "site.yaml"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site"]


@pytest.mark.parametrize("args, option", [
    (["build", "--now", NOW, "-o", ""], "'-o' / '--output'"), (["build", "--now", NOW, "--config", ""], "'--config'"),
    (["build", "--now", NOW, "--version", ""], "'--version'"), (["publish", "--dest", "{tmp}/pub", "--version", ""], "'--version'"),
    (["publish", "--dest", ""], "'--dest'"), (["versions", "--dest", ""], "'--dest'"),
    (["digest", "--now", NOW, "-o", ""], "'-o' / '--output'"), (["init", ""], "'DIRECTORY'"),
])
def test_an_empty_path_or_version_is_a_usage_error(make_site, tmp_path, args, option):
    """`build -o "$OUT"` with OUT unset quietly built into output_dir, `--config ""` read site.yaml,
    and `publish --version "$RELEASE"` took the default id: another folder, another file, without a word."""
    root = make_site(SITE)
    result = run_cli(root, *(arg.format(tmp=tmp_path) for arg in args))
    assert result.exit_code == 2, result.output
    assert f"Invalid value for {option}: is empty (an unset variable?)" in result.stderr
    assert not (root / "_site").exists() and not (tmp_path / "pub").exists()


def test_unknown_audience_is_refused(make_site):
    root = make_site(SITE)
    result = build_site(root, "--audience", "nobody")
    assert result.exit_code == 1
    assert "unknown audience 'nobody'" in result.stderr


@pytest.mark.parametrize("args, expected", [
    (["new", "message", "Hola", "--lang", "fr"], ["site.yaml:3: error[IM160]: --lang 'fr'"]),
    (["new", "message", "Hello", "--lang", "EN"], ["site.yaml:3: error[IM160]: --lang 'EN' is not one of the site's "
                                                   "languages (de, en) (hint: write it as site.yaml does: --lang en)"]),
    (["digest", "-o", "{tmp}/d.html", "--lang", "fr"], ["site.yaml:3: error[IM160]: --lang 'fr'"]),
    (["digest", "-o", "{tmp}/d.html", "--lang", "fr", "--audience", "nobody"],
     ["site.yaml:3: error[IM160]: --lang 'fr'", "site.yaml:4: error[IM020]: unknown audience 'nobody'"]),
    (["build", "--audience", "nobody"], ["site.yaml:4: error[IM020]: unknown audience 'nobody'"]),
    (["publish", "--dest", "{tmp}/pub", "--audience", "nobody"], ["site.yaml:4: error[IM020]: unknown audience 'nobody'"]),
])
def test_a_language_or_audience_the_site_lacks_is_one_error_everywhere(make_site, tmp_path, args, expected):
    """`new --lang fr` exited 1 with a located error while `digest --lang fr` exited 2 with a usage
    text: one mistake, one exit code (1) and one message, on the line of site.yaml that defines them."""
    root = make_site(SITE, site_yaml=BASIC_SITE_YAML)
    result = run_cli(root, *(arg.format(tmp=tmp_path) for arg in args))
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == len(expected) + 1 and all(line.startswith(e) for line, e in zip(lines, expected)), lines
    assert not (tmp_path / "d.html").exists() and not (tmp_path / "pub").exists()


def test_diagnostics_name_the_configuration_file_given_to_config(make_site, tmp_path):
    """With `--config staging.yaml`, a low-contrast colour and an unknown --audience were reported
    at `site.yaml:7` and `site.yaml:4`: another file, or none at all."""
    root = make_site(SITE, site_yaml=BASIC_SITE_YAML + 'brand:\n  colors:\n    primary: "#9BDF9B"\n')
    (root / "site.yaml").rename(root / "staging.yaml")
    config = str(root / "staging.yaml")
    built = CliRunner().invoke(main, ["--config", config, "build", "--now", NOW, "-o", str(tmp_path / "out")])
    assert built.exit_code == 0, built.output
    assert "staging.yaml:15: warning[IM121]" in built.stderr and "site.yaml" not in built.stderr
    refused = CliRunner().invoke(main, ["--config", config, "build", "--now", NOW, "--audience", "nobody"])
    assert refused.stderr.startswith("staging.yaml:4: error[IM020]: unknown audience 'nobody'"), refused.stderr
    drafts = CliRunner().invoke(main, ["--config", config, "publish", "--dest", str(tmp_path / "pub"), "--drafts"])
    assert drafts.exit_code == 1 and drafts.stderr.startswith("--drafts: error[IM170]"), drafts.stderr


def test_build_is_deterministic(make_site, tmp_path):
    root = make_site(SITE)
    assert build_site(root, "-o", str(tmp_path / "a")).exit_code == 0
    assert build_site(root, "-o", str(tmp_path / "b")).exit_code == 0
    # A clean build (no cache) gives the same bytes as a cached one.
    import shutil
    shutil.rmtree(root / ".im-site-cache", ignore_errors=True)
    assert build_site(root, "-o", str(tmp_path / "c")).exit_code == 0
    a, b, c = (snapshot_tree(tmp_path / name) for name in "abc")
    assert a == b == c


def test_every_internal_link_resolves(built):
    out = built / "_site"
    checked = 0
    for html_file in sorted(out.rglob("*.html")):
        if html_file.name == "404.html":
            continue
        parser = _Links()
        parser.feed(html_file.read_text())
        for target in parser.targets:
            parts = urlsplit(target)
            if parts.scheme or target.startswith(("#", "//")):
                continue
            assert not target.startswith("/"), f"absolute internal link {target} in {html_file}"
            resolved = (html_file.parent / unquote(parts.path)).resolve()
            assert resolved.is_file(), f"{html_file.relative_to(out)} links to missing {target}"
            assert resolved.is_relative_to(out.resolve())
            checked += 1
    assert checked > 50
    # Without a brand logo the theme's own icon is linked, so no browser asks for /favicon.ico.
    assert re.search(r'<link rel="icon" href="assets/favicon\.[0-9a-f]+\.svg">', (out / "index.html").read_text())


def test_markdown_features_render(built):
    html = (built / "_site/messages/frische/index.html").read_text()
    assert 'href="../../training/modul/index.html#erste-lektion"' in html
    assert 'href="../index.html">alle Nachrichten' in html
    assert 'class="callout callout-tip"' in html and "Tipp" in html
    assert '<div class="table-scroll"' in html and "<th>Was</th>" in html
    assert 'type="checkbox"' in html
    assert "footnote" in html
    assert 'id="worum-es-geht"' in html
    assert "Katrin Vogt" in html and "Vorstandsvorsitzende" in html


def test_home_lists_pinned_first_and_must_read(built):
    html = (built / "_site/index.html").read_text()
    latest = html[html.index('id="latest-h"'):]
    assert latest.index("Frische ist Haltung") < latest.index("Nachricht an die Zentrale")
    assert "Pflichtlektüre" in html
    assert "mailto:intern@example.com" in html


def test_a_language_the_theme_has_no_texts_for_is_a_warning_and_falls_back_to_english(make_site):
    root = make_site({"content/messages/a.md": "---\ntitle: Hallo\ndate: 2026-11-20\n---\nText.\n",
                      "content/messages/a.tr.md": "---\ntitle: Merhaba\ndate: 2026-11-20\n---\nMetin.\n"},
                     site_yaml=BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de, en, tr]"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert ("site.yaml:3: warning[IM160]: the theme has no texts in 'tr': pages in it show menus, buttons and "
            "labels in English") in result.stderr
    html = (root / "_site/tr/messages/a/index.html").read_text(encoding="utf-8")
    assert '<html lang="tr"' in html and "Skip to content" in html and '<time datetime="2026-11-20">2026-11-20</time>' in html
    assert "IM160" not in build_site(make_site({}, folder="de-en")).stderr  # de and en have texts


def test_labels_written_per_language_without_a_text_in_a_site_language_are_a_warning(make_site):
    """`fr` added to `languages`: the theme's missing texts were warned about, the menu, audience and
    pillar labels written `{de: …, en: …}` silently showed German on the French pages. A label of one
    text for all languages is no slip, and `{de: …}` serves `de-CH`, as everywhere."""
    yaml = (BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de, en, fr]")
            .replace("{id: zentrale, label: Zentrale}", "{id: zentrale, label: {de: Zentrale, en: Head office}}")
            .replace("{label: Nachrichten,", "{label: {de: Nachrichten, en: News, fr: Actualités},"))
    root = make_site({"content/messages/a.md": "---\ntitle: Hallo\ndate: 2026-11-20\n---\nText.\n"}, site_yaml=yaml)
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if "label written" in line] == [
        "site.yaml:6: warning[IM160]: 1 label written per language has no text in 'fr' (audiences[1].label): "
        "pages in 'fr' show it in another language (hint: add fr: … to each)"]
    swiss = BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de-CH, en]").replace("language: de", "language: de-CH")
    swiss = swiss.replace("{label: Nachrichten,", "{label: {de: Nachrichten, en: News},")
    result = build_site(make_site({"content/messages/a.md": "---\ntitle: Hallo\ndate: 2026-11-20\n---\nText.\n"},
                                  site_yaml=swiss, folder="swiss"))
    assert result.exit_code == 0 and "label written" not in result.stderr, result.stderr


def test_theme_texts_in_another_language_than_the_page_say_their_language(make_site):
    """On a French page the theme's fallback texts are English, and a site.yaml label without a French
    text shows its first language's: without `lang` a screen reader read "Skip to content" with French
    pronunciation. Where no element can go (an attribute, the
    <title>) the text stays as it is; an <option> takes the `lang` itself."""
    root = make_site({"content/messages/a.md": "---\ntitle: Hallo\ndate: 2026-11-20\naudiences: [filiale]\n---\nText.\n",
                      "content/messages/a.fr.md": "---\ntitle: Bonjour\ndate: 2026-11-20\naudiences: [filiale]\n---\nTexte.\n",
                      "content/training/m.fr.md": "---\ntitle: Module\nquiz:\n  - question: Oui?\n    options: [Oui, Non]\n"
                                                  "    answer: 0\n---\nTexte.\n"},
                     site_yaml=BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de, en, fr]")
                     .replace("{label: Nachrichten,", "{label: {de: Nachrichten, en: News},") + "search: {enabled: true}\n")
    assert build_site(root).exit_code == 0
    out = root / "_site"
    french = (out / "fr/index.html").read_text(encoding="utf-8")
    assert '<a class="skip-link" href="#main"><span lang="en">Skip to content</span></a>' in french
    assert '<a href="messages/index.html"><span lang="de">Nachrichten</span></a>' in french  # site.yaml's first text
    assert 'placeholder="Search the intranet"' in french  # an attribute: no element can go there
    # ...but a script shows a data attribute's text in an element: its twin says the language
    assert 'data-text-none="No results." data-text-none-lang="en"' in french
    assert re.search(r'<option value="" lang="en">All audiences</option>', french)
    assert "<title>" in french and "<span" not in french.split("<title>")[1].split("</title>")[0]
    # A text with numbers filled in (a template's |replace) is still English: it lost its lang.
    module = (out / "fr/training/m/index.html").read_text(encoding="utf-8")
    assert '<dd class="pass-mark" data-pass-mark="80"><span lang="en">80\u00a0% (1 of 1 questions right)</span></dd>' in module
    assert '<span lang=' not in (out / "index.html").read_text(encoding="utf-8")  # German texts on a German page
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".js"):
            assert "\ufdd0" not in path.read_text(encoding="utf-8"), path


def test_a_regional_variant_takes_its_languages_texts_and_dates(make_site):
    """`language: de-CH` (a Swiss site) showed the theme's English texts, marked as English, and
    dates as 2026-11-02, with a warning that the theme has no texts in 'de-CH': the German ones fit."""
    yaml = BASIC_SITE_YAML.replace("language: de\nlanguages: [de, en]", "language: de-CH\nlanguages: [de-CH, en]")
    # So do labels: `{de: ...}` was error IM005 ("no text in 'de-CH'") on a Swiss site.
    yaml = yaml.replace("{label: Nachrichten,", "{label: {de: Neuigkeiten, en: News},")
    root = make_site({"content/messages/a.md": "---\ntitle: Grüezi\ndate: 2026-11-02\n---\nText.\n"}, site_yaml=yaml)
    result = build_site(root)
    assert result.exit_code == 0 and "IM160" not in result.stderr, result.stderr
    html = (root / "_site/messages/a/index.html").read_text(encoding="utf-8")
    assert '<html lang="de-CH"' in html
    assert '<a class="skip-link" href="#main">Zum Inhalt springen</a>' in html  # German, and not marked as another language
    assert ">2. November 2026</time>" in html
    assert '<a href="../index.html">Neuigkeiten</a>' in html  # not marked as another language either


def test_a_language_that_is_no_language_code_is_an_error(make_site):
    """`language: Deutsch` built, and every page said `lang="Deutsch"` (screen readers and search
    engines know no such language); only `languages:` entries were checked."""
    root = make_site({"content/index.md": "---\ntitle: Start\n---\nText.\n"},
                     site_yaml=BASIC_SITE_YAML.replace("language: de\nlanguages: [de, en]\n", "language: Deutsch\n"))
    result = build_site(root)
    assert result.exit_code == 1
    assert "site.yaml:2: error[IM001]: 'Deutsch' is not a language code" in result.stderr


def test_pages_in_a_right_to_left_language_are_marked_rtl(make_site, tmp_path):
    """Every page said dir="ltr": an Arabic title ending in '!' showed it at its start, and a
    sentence with a link came out in the wrong order."""
    root = make_site({"content/messages/a.md": "---\ntitle: Hallo\ndate: 2026-11-20\n---\nText.\n",
                      "content/messages/a.ar.md": "---\ntitle: مرحبا!\ndate: 2026-11-20\n---\nنص.\n"},
                     site_yaml=BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de, en, ar]"))
    assert build_site(root).exit_code == 0
    for file, direction in (("ar/messages/a/index.html", "rtl"), ("ar/index.html", "rtl"),
                            ("messages/a/index.html", "ltr"), ("index.html", "ltr")):
        html = (root / "_site" / file).read_text(encoding="utf-8")
        assert re.search(r"<html lang=\"(\w+)\" dir=\"(\w+)\">", html)[2] == direction, file
    digest = tmp_path / "digest.html"
    assert run_cli(root, "digest", "--now", NOW, "--lang", "ar", "--since", "2026-11-01", "-o", str(digest)).exit_code == 0
    assert '<html lang="ar" dir="rtl">' in digest.read_text(encoding="utf-8")


def test_a_file_named_for_a_language_the_site_does_not_have_is_an_error(make_site):
    """`a.en.md` with `en` missing from languages was published silently as a German page at `a-en/`."""
    root = make_site({"content/messages/a.md": "---\ntitle: Hallo\ndate: 2026-11-20\n---\nText.\n",
                      "content/messages/a.en.md": "---\ntitle: Hello\ndate: 2026-11-20\n---\nText.\n",
                      "content/messages/b.en.md": "---\ntitle: Hallo B\nlang: de\ndate: 2026-11-20\n---\nText.\n"},
                     site_yaml=BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de]"))
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "content/messages/a.en.md: error[IM160]: the file name says language 'en' (.en.md), which is not in site.yaml "
        "languages ['de'] (hint: add en to languages in site.yaml; if .en is not meant as a language, name the file "
        "a-en.md or set lang: in the front matter)",
        "1 error, 0 warnings"]  # b.en.md says lang: de, so it is the German page messages/b-en/


def test_a_file_name_ending_in_two_letters_that_are_no_language_gets_a_way_out(make_site):
    """`team.it.md` (the IT team's page) is read as Italian: the hint names the file name that is no language."""
    root = make_site({"content/team.it.md": "---\ntitle: IT-Team\n---\nText.\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert "name the file team-it.md or set lang: in the front matter" in result.stderr
    (root / "content/team.it.md").rename(root / "content/team-it.md")
    assert build_site(root).exit_code == 0


def test_a_language_in_the_file_name_in_capitals_is_named_as_such(make_site):
    """`x.EN.md` was a German page at messages/x-en/; the language is written in lower case."""
    root = make_site({"content/messages/x.md": "---\ntitle: X\ndate: 2026-01-01\n---\nText.\n",
                      "content/messages/x.EN.md": "---\ntitle: X\ndate: 2026-01-01\n---\nText.\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert ("content/messages/x.EN.md: error[IM160]: the language in the file name is written 'EN', not 'en' "
            "(.EN.md) (hint: rename it x.en.md)") in result.stderr


def test_a_regional_language_in_a_file_name_is_read_or_refused_never_a_slug(make_site):
    """With regional codes, `x.de-ch.md` on a site listing `de-CH`, and `x.fr-CA.md` on a site
    without French, were German pages at messages/x-de-ch/ and x-fr-ca/: the Swiss and French
    texts among the German news, without a word. `de-CH` and `de-ch` in languages (one
    language, letter case aside) failed with a collision for every page instead of one error."""
    yaml = BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de, de-CH]")
    text = "---\ntitle: X\ndate: 2026-01-01\n---\nText.\n"
    root = make_site({"content/messages/x.md": text, "content/messages/x.de-ch.md": text,
                      "content/messages/y.fr-CA.md": text}, site_yaml=yaml)
    result = build_site(root)
    assert result.exit_code == 1 and not (root / "_site").exists()
    assert result.stderr.splitlines() == [
        "content/messages/x.de-ch.md: error[IM160]: the language in the file name is written 'de-ch', not 'de-CH' "
        "(.de-ch.md) (hint: rename it x.de-CH.md)",
        "content/messages/y.fr-CA.md: error[IM160]: the file name says language 'fr-CA' (.fr-CA.md), which is not in "
        "site.yaml languages ['de', 'de-CH'] (hint: add fr-CA to languages in site.yaml; if .fr-CA is not meant as a "
        "language, name the file y-fr-CA.md or set lang: in the front matter)",
        "2 errors, 0 warnings"]
    (root / "content/messages/x.de-ch.md").rename(root / "content/messages/x.de-CH.md")
    (root / "content/messages/y.fr-CA.md").unlink()
    assert build_site(root).exit_code == 0 and (root / "_site/de-CH/messages/x/index.html").is_file()
    (root / "site.yaml").write_text(yaml.replace("[de, de-CH]", "[de, de-CH, de-ch]"), encoding="utf-8")
    result = build_site(root)
    assert result.stderr.splitlines() == [
        "site.yaml:3: error[IM001]: duplicate language 'de-ch' (language codes ignore letter case: 'de-CH' is listed)",
        "1 error, 0 warnings"]
    (root / "site.yaml").write_text(yaml.replace("language: de\n", "language: DE\n"), encoding="utf-8")
    assert "site.yaml:3: error[IM001]: languages does not list the default language 'DE' (hint: write it as languages " \
           "does: 'de')" in build_site(root).stderr


def test_language_switcher_links_translation(built):
    html = (built / "_site/messages/frische/index.html").read_text()
    assert 'href="../../en/messages/frische/index.html" hreflang="en"' in html
    english = (built / "_site/en/messages/frische/index.html").read_text()
    assert '<html lang="en"' in english
    assert 'href="../../../messages/frische/index.html"' in english


def _switch_to_english(html: str) -> tuple[str, bool]:
    """(where the EN link of the language switch leads, whether it says "not translated")."""
    link = re.search(r'<a href="([^"]*)" hreflang="en" lang="en"([^>]*)>', html)
    assert link, "no EN link"
    return link[1], "not-translated" in link[2]


def test_language_switch_of_listings_and_search_leads_to_the_same_page_in_english(make_site):
    """A pillar's, a tag's and the search page exist in both languages: the switch leads there,
    not to the home page marked "not translated"; page 2 of a list shorter in English to its page 1."""
    messages = {}
    for n in range(1, 4):
        messages[f"content/messages/m{n}.md"] = f"---\ntitle: M{n}\ndate: 2026-01-0{n}\npillars: [leadership]\ntags: [frische]\n---\nText.\n"
    messages["content/messages/m1.en.md"] = "---\ntitle: E1\ndate: 2026-01-01\npillars: [leadership]\ntags: [frische]\n---\nText.\n"
    messages["content/messages/nur.md"] = "---\ntitle: Nur DE\ndate: 2026-01-05\ntags: [deutsch]\n---\nText.\n"
    root = make_site(messages, site_yaml=BASIC_SITE_YAML + "per_page: 2\n")
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    out = root / "_site"
    page = lambda rel: (out / rel).read_text(encoding="utf-8")  # noqa: E731
    assert _switch_to_english(page("pillars/leadership/index.html")) == ("../../en/pillars/leadership/index.html", False)
    assert _switch_to_english(page("tags/frische/index.html")) == ("../../en/tags/frische/index.html", False)
    assert _switch_to_english(page("tags/frische/page/2/index.html")) == ("../../../../en/tags/frische/index.html", False)
    assert _switch_to_english(page("search/index.html")) == ("../en/search/index.html", False)
    assert _switch_to_english(page("tags/deutsch/index.html")) == ("../../en/index.html", True)
    assert '<link rel="alternate" hreflang="en" href="/en/tags/frische/">' in page("tags/frische/index.html")
    assert 'hreflang="de" lang="de">' in page("en/search/index.html") and 'href="../../search/index.html" hreflang="de"' in page("en/search/index.html")


def _alternates(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html)


def test_hreflang_alternates_name_the_page_itself_and_x_default_with_canonical_addresses(make_site):
    """Search engines drop a set of alternates that leaves out the page itself or points at other
    addresses than the canonical ones; pages named their translations only, as relative file links."""
    root = make_site({
        "content/messages/frische.md": "---\ntitle: Frische\ndate: 2026-01-01\n---\nText.\n",
        "content/messages/frische.en.md": "---\ntitle: Freshness\ndate: 2026-01-01\n---\nText.\n",
        "content/messages/nur.md": "---\ntitle: Nur deutsch\ndate: 2026-01-02\n---\nText.\n",
    }, site_yaml=BASIC_SITE_YAML + "base_url: https://intranet.example.com/\n")
    assert build_site(root).exit_code == 0
    out = root / "_site"
    expected = [("de", "https://intranet.example.com/messages/frische/"),
                ("en", "https://intranet.example.com/en/messages/frische/"),
                ("x-default", "https://intranet.example.com/messages/frische/")]
    for rel in ("messages/frische/index.html", "en/messages/frische/index.html"):
        assert _alternates((out / rel).read_text(encoding="utf-8")) == expected, rel
    assert _alternates((out / "en/messages/index.html").read_text(encoding="utf-8")) == [
        ("de", "https://intranet.example.com/messages/"), ("en", "https://intranet.example.com/en/messages/"),
        ("x-default", "https://intranet.example.com/messages/")]
    assert _alternates((out / "messages/nur/index.html").read_text(encoding="utf-8")) == []  # no translation


def test_hreflang_sets_are_reciprocal_exist_and_share_one_x_default(make_site):
    """Page 2 of a German list named page 1 of the English one, which did not name it back (and
    English page 2 named German page 1 though German page 2 existed); a page missing in the site
    language had no `x-default`. Search engines drop such sets: every page a set names must exist
    and name the same set, with one `x-default` (the first language's that has the page)."""
    files = {f"content/messages/m{n}.md": f"---\ntitle: M{n}\ndate: 2026-01-0{n}\ntags: [frische]\n---\nText.\n"
             for n in range(1, 6)}
    files |= {f"content/messages/m{n}.en.md": f"---\ntitle: E{n}\ndate: 2026-01-0{n}\ntags: [frische]\n---\nText.\n"
              for n in range(1, 4)}
    files["content/messages/neu.en.md"] = "---\ntitle: New\ndate: 2026-01-09\n---\nText.\n"
    files["content/messages/neu.fr.md"] = "---\ntitle: Nouveau\ndate: 2026-01-09\n---\nTexte.\n"
    yaml = BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de, en, fr]")
    root = make_site(files, site_yaml=yaml + "base_url: https://intranet.example.com/\nper_page: 2\n")
    assert build_site(root).exit_code == 0
    out = root / "_site"
    sets = {}
    for path in sorted(out.rglob("*.html")):
        alternates = _alternates(path.read_text(encoding="utf-8"))
        if alternates:
            sets[f"https://intranet.example.com/{path.parent.relative_to(out).as_posix()}/".replace("/./", "/")] = alternates
    assert sets["https://intranet.example.com/messages/page/2/"] == [
        ("de", "https://intranet.example.com/messages/page/2/"), ("en", "https://intranet.example.com/en/messages/page/2/"),
        ("x-default", "https://intranet.example.com/messages/page/2/")]
    assert "https://intranet.example.com/messages/page/3/" not in sets  # English has no page 3
    assert sets["https://intranet.example.com/fr/messages/neu/"] == [
        ("en", "https://intranet.example.com/en/messages/neu/"), ("fr", "https://intranet.example.com/fr/messages/neu/"),
        ("x-default", "https://intranet.example.com/en/messages/neu/")]
    for address, alternates in sets.items():
        assert address in dict(alternates).values(), address
        assert [lang for lang, _ in alternates][-1] == "x-default", address
        for _, other in alternates:
            assert sets.get(other) == alternates, (address, other)


def test_the_404_page_speaks_every_language_that_has_pages(make_site):
    """A server sends the one 404.html for a dead `/en/…` link too: it said "Seite nicht gefunden"
    only, with a link to the German home. Each other language with pages adds its text (in its
    `lang`) and a link to its home; a language without pages adds nothing."""
    yaml = BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de, en, fr]")
    root = make_site({"content/messages/a.md": "---\ntitle: Hallo\ndate: 2026-11-20\n---\nText.\n",
                      "content/messages/a.en.md": "---\ntitle: Hello\ndate: 2026-11-20\n---\nText.\n"}, site_yaml=yaml)
    assert build_site(root).exit_code == 0
    html = (root / "_site/404.html").read_text(encoding="utf-8")
    english = re.search(r'<div class="not-found-other" lang="en" dir="ltr">(.*?)</div>', html, re.S)
    assert english and "<h2>Page not found</h2>" in english.group(1)
    assert '<a class="button button-secondary" href="/en/index.html" hreflang="en">Home</a>' in english.group(1)
    assert "<h1>Seite nicht gefunden</h1>" in html and 'class="not-found-other" lang="fr"' not in html  # no French pages


def test_the_404_page_names_no_canonical_address_and_is_not_indexed(make_site):
    """Served at every missing address, the 404 page said its canonical address was /404.html:
    a crawler (the intranet's search appliance) took that for a page of the site."""
    root = make_site({"content/messages/a.md": "---\ntitle: Hallo\ndate: 2026-11-20\n---\nText.\n"},
                     site_yaml=BASIC_SITE_YAML + "base_url: https://intranet.example.com/\n")
    assert build_site(root).exit_code == 0
    head = (root / "_site/404.html").read_text(encoding="utf-8").split("</head>")[0]
    assert 'rel="canonical"' not in head and '<meta name="robots" content="noindex">' in head
    message = (root / "_site/messages/a/index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://intranet.example.com/messages/a/">' in message


class SwitchLinks(HTMLParser):
    """The attributes of each link in the language switch (`nav.lang-switch`)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "nav" and "lang-switch" in (found.get("class") or ""):
            self.inside = True
        elif tag == "a" and self.inside:
            self.links.append({**found, "text": ""})
        elif tag == "span" and self.inside and self.links and found.get("class") == "switch-note":
            self.links[-1]["note_lang"] = found.get("lang")

    def handle_data(self, data: str) -> None:
        if self.inside and self.links and self.links[-1].get("open", True):
            self.links[-1]["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.inside = False
        elif tag == "a" and self.inside and self.links:
            self.links[-1]["open"] = False


def test_the_404_pages_language_switch_says_not_translated_only_where_it_is_not(make_site):
    """The 404 page has its English text, yet the switch's EN link said "(noch nicht übersetzt)"
    on hovering: it leads to the English home plainly; French, which has no pages, keeps the note."""
    yaml = BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de, en, fr]")
    root = make_site({"content/messages/a.md": "---\ntitle: Hallo\ndate: 2026-11-20\n---\nText.\n",
                      "content/messages/a.en.md": "---\ntitle: Hello\ndate: 2026-11-20\n---\nText.\n"}, site_yaml=yaml)
    assert build_site(root).exit_code == 0
    switch = SwitchLinks()
    switch.feed((root / "_site/404.html").read_text(encoding="utf-8"))
    by_lang = {link["hreflang"]: link for link in switch.links}
    assert by_lang["de"].get("aria-current") == "true"
    assert by_lang["en"]["href"] == "/en/index.html" and "class" not in by_lang["en"] and by_lang["en"]["text"] == "EN"
    assert by_lang["fr"]["href"] == "/index.html" and by_lang["fr"]["class"] == "not-translated"
    assert by_lang["fr"]["text"] == "FR (noch nicht übersetzt)" and by_lang["fr"]["note_lang"] == "de"


def test_the_switchs_not_translated_note_is_read_in_the_pages_language_also_on_a_phone(make_site):
    """"(noch nicht übersetzt)" was only the `title` of the EN link: a tooltip no phone shows, and
    that screen readers read as English, since the link says lang="en". It is the link's own text
    now, in a span of the page's language that only screen readers read."""
    root = make_site({"content/messages/a.md": "---\ntitle: Hallo\ndate: 2026-11-20\n---\nText.\n",
                      "content/messages/b.en.md": "---\ntitle: Hello\ndate: 2026-11-20\n---\nText.\n"})
    assert build_site(root).exit_code == 0
    for page, lang, other, note in (("messages/a/index.html", "de", "en", "(noch nicht übersetzt)"),
                                    ("en/messages/b/index.html", "en", "de", "(not translated yet)")):
        switch = SwitchLinks()
        switch.feed((root / "_site" / page).read_text(encoding="utf-8"))
        link = next(link for link in switch.links if link["hreflang"] == other)
        assert "title" not in link and link["lang"] == other and link["class"] == "not-translated"
        assert link["text"] == f"{other.upper()} {note}" and link["note_lang"] == lang


def test_feeds_and_sitemap_are_valid_xml_with_absolute_urls(make_site):
    root = make_site(SITE, site_yaml=(Path(__file__).parent / "conftest.py").read_text().split('BASIC_SITE_YAML = """\\\n')[1].split('"""')[0]
                     + "base_url: https://intranet.example.com/\n")
    assert build_site(root).exit_code == 0
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.parse(root / "_site/feed.xml").getroot()
    links = [e.find("a:link", ns).get("href") for e in feed.findall("a:entry", ns)]
    assert links[0] == "https://intranet.example.com/messages/zentrale/"
    assert all(link.startswith("https://intranet.example.com/") for link in links)
    sitemap = ET.parse(root / "_site/sitemap.xml").getroot()
    locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://intranet.example.com/messages/frische/" in locs
    assert not any("entwurf" in loc for loc in locs)
    ids = [e.find("a:id", ns).text for e in feed.findall("a:entry", ns)]
    assert ids == links and feed.find("a:id", ns).text == "https://intranet.example.com/"


def test_feed_ids_are_full_iris_when_base_url_is_a_path(built):
    """Atom ids must be IRIs: with base_url `/` an id `/messages/x/` was none. They are names made
    from the path instead, the same in every build, one per entry."""
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.parse(built / "_site/feed.xml").getroot()
    ids = [feed.find("a:id", ns).text, *(e.find("a:id", ns).text for e in feed.findall("a:entry", ns))]
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", i) for i in ids) and len(set(ids)) == len(ids) > 2, ids
    assert ids[1] == "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "im-site:" + feed.find("a:entry/a:link", ns).get("href")))


def test_no_other_host_is_referenced(built):
    for path, text in _output_text(built).items():
        if path.endswith(".html"):
            parser = _Links()
            parser.feed(text)
            for target in parser.targets:
                if target.startswith(("http://", "https://", "//")):
                    pytest.fail(f"{path} references {target}")


def test_quiet_successful_build_prints_nothing(built):
    result = build_site(built)
    assert result.exit_code == 0
    assert result.stdout == ""


def test_global_flags_work_after_the_command_too(built, tmp_path):
    """SPEC 3: every command takes --config and --quiet/--verbose, before or after its name."""
    out = tmp_path / "elsewhere"
    result = CliRunner().invoke(main, ["build", "--config", str(built / "site.yaml"), "--quiet", "-o", str(out),
                                       "--now", NOW], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert (out / "index.html").is_file() and result.stdout == ""
    missing = CliRunner().invoke(main, ["check", "--config", str(tmp_path / "fehlt.yaml")], catch_exceptions=False)
    assert missing.exit_code == 1 and "fehlt.yaml" in missing.stdout + missing.stderr


def test_custom_theme_extends_default_and_brand_tokens(make_site):
    root = make_site({
        **SITE,
        "themes/marke/theme.yaml": "extends: default\ntokens: {radius: 2px}\n",
        "themes/marke/templates/message.html": '{% extends "default:message.html" %}'
                                                 '{% block article_kicker %}<p class="marke">MARKE</p>{% endblock %}',
        "themes/marke/static/brand-theme.css": ".marke{color:var(--color-primary)}",
    }, site_yaml=run_site_yaml("theme: marke\nbrand: {colors: {primary: '#123456'}}\n"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    html = (root / "_site/messages/frische/index.html").read_text()
    assert '<p class="marke">MARKE</p>' in html
    css = "".join(p.read_text() for p in (root / "_site/assets").glob("brand.*.css"))
    assert "--color-primary:#123456" in css and "--radius:2px" in css
    assert any((root / "_site/assets").glob("brand-theme.*.css"))


def test_a_theme_text_no_template_shows_is_a_warning(make_site):
    """`feedbak_intro:` in theme.yaml was silently ignored and the built-in text stayed; a text
    of the theme's own that its templates show (`t.slogan`) is fine."""
    root = make_site({
        **SITE,
        "themes/marke/theme.yaml": "extends: default\nstrings:\n  de:\n    feedbak_intro: Fragen?\n"
                                   "    slogan: Frisch.\n    home: Start\n",
        "themes/marke/templates/message.html": '{% extends "default:message.html" %}'
                                                 '{% block article_kicker %}<p>{{ t.slogan }}</p>{% endblock %}',
    }, site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[:-1] == [
        "themes/marke/theme.yaml:4: warning[IM040]: text 'feedbak_intro' is used by no template, so it shows "
        "nowhere (hint: did you mean 'feedback_intro'?)"]
    assert "<p>Frisch.</p>" in (root / "_site/messages/frische/index.html").read_text()


def test_a_theme_text_a_template_spells_otherwise_says_so_not_did_you_mean_the_typo(make_site):
    """`contact_title:` in theme.yaml and `{{ t.contact_titel }}` in a template: the warning at the
    text proposed renaming it to the template's typo; it says the two differ."""
    root = make_site({
        **SITE,
        "themes/marke/theme.yaml": "extends: default\nstrings:\n  de:\n    contact_title: Kontakt\n",
        "themes/marke/templates/message.html": '{% extends "default:message.html" %}'
                                                 '{% block article_kicker %}<p>{{ t.contact_titel }}</p>{% endblock %}',
    }, site_yaml=run_site_yaml("theme: marke\n"))
    lines = build_site(root).stderr.splitlines()
    assert ("themes/marke/theme.yaml:4: warning[IM040]: text 'contact_title' is used by no template, so it shows "
            "nowhere (hint: a template uses t.contact_titel: write the two alike)") in lines
    assert any("t has no string 'contact_titel' (rendering content/messages/frische.md) (hint: did you mean "
               "t.contact_title?)" in line for line in lines), lines


def test_a_theme_token_no_stylesheet_reads_is_a_warning(make_site):
    """`colour-link:` among a theme's tokens became an unused `--colour-link`, links kept the brand
    colour and nothing said why. A token of the theme's own stylesheet is read, so fine."""
    root = make_site({
        **SITE,
        "themes/marke/theme.yaml": 'extends: default\ntokens:\n  colour-link: "#123456"\n  stripe: "#FF0000"\n'
                                   '  color-heading: "#111111"\n',
        "themes/marke/static/marke.css": ".hero{border-top:4px solid var(--stripe)}\n",
    }, site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[:-1] == [
        "themes/marke/theme.yaml:3: warning[IM040]: token 'colour-link' is read by no stylesheet, so it changes "
        "nothing (hint: did you mean 'color-link'?)"]


def test_the_readme_names_every_token_the_built_in_stylesheets_read():
    """A theme author sets only the tokens the README names: `color-focus`, `color-surface` and
    `max-width` were read by the stylesheets but named nowhere."""
    text = README.read_text(encoding="utf-8")
    start = text.index("The tokens the built-in stylesheets")
    sentence = text[start:text.index("the fonts).", start)]
    named = set(re.findall(r"`([a-z-]+)`", sentence))
    static = Path(__file__).resolve().parent.parent / "im_site/themes/default/static"
    read = {name for path in static.glob("*.css") for name in re.findall(r"var\(--([\w-]+)", path.read_text())}
    assert named == read


def test_a_theme_changes_the_brand_and_the_footer_without_copying_base_html(make_site):
    """A theme that wanted its own logo area or footer had to copy all of base.html (and miss every
    later fix of the header): the blocks `brand` and `footer` take just that part."""
    root = make_site({
        **SITE,
        "themes/marke/theme.yaml": "extends: default\n",
        "themes/marke/templates/base.html": '{% extends "default:base.html" %}\n'
                                             '{% block brand %}<a class="brand" href="{{ href(home) }}">MARKE</a>{% endblock %}\n'
                                             '{% block footer %}<p class="impressum">Impressum</p>{{ super() }}{% endblock %}\n',
    }, site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 0 and "IM040" not in result.stderr, result.stderr
    html = (root / "_site/messages/frische/index.html").read_text()
    assert '<a class="brand" href="../../index.html">MARKE</a>' in html and 'class="main-nav"' in html
    footer = html[html.index('<footer class="site-footer">'):]
    assert footer.index('<p class="impressum">Impressum</p>') < footer.index('class="footer-links"')


def test_a_theme_reads_texts_and_links_every_way_jinja_allows(make_site):
    """The render phase hands each page `t` as a dict whose keys are also attributes, and `href` and
    `asset` of its own (links computed once per page): a theme still gets the same from `t.x`,
    `t['x']`, `t.get('x')` and dict methods (a text named `items` does not hide `t.items()`), and the
    same links from a macro imported with context, an include, the 404 page and two calls in a row."""
    root = make_site({
        **SITE,
        "themes/marke/theme.yaml": "extends: default\nstrings:\n  de:\n    slogan: Frisch.\n    items: Dinge\n",
        "themes/marke/templates/partials/links.html": "{% macro links(target) %}<i>{{ href(target) }}|{{ href(target) }}"
                                                      "|{{ asset('site.css') }}</i>{% endmacro %}",
        "themes/marke/templates/partials/inc.html": "<u>{{ href(home ~ 'messages/') }}|{{ t.slogan }}</u>",
        "themes/marke/templates/base.html": (
            '{% extends "default:base.html" %}\n{% from "partials/links.html" import links with context %}\n'
            '{% block footer %}<p class="probe">{{ t.slogan }}|{{ t["slogan"] }}|{{ t.get("slogan") }}|'
            '{{ t.get("nichts", "-") }}|{{ "slogan" in t }}|{{ t["items"] }}|{{ t.items()|list|length > 10 }}|'
            '{{ links(home) }}{% include "partials/inc.html" %}</p>{{ super() }}{% endblock %}\n'),
    }, site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 0 and "IM040" not in result.stderr, result.stderr
    css = next((root / "_site/assets").glob("site.*.css")).name
    probe = 'Frisch.|Frisch.|Frisch.|-|True|Dinge|True|<i>{0}index.html|{0}index.html|{0}assets/{1}</i><u>{2}|Frisch.</u>'
    assert f'<p class="probe">{probe.format("../../", css, "../index.html")}</p>' in (root / "_site/messages/frische/index.html").read_text()
    assert f'<p class="probe">{probe.format("", css, "messages/index.html")}</p>' in (root / "_site/index.html").read_text()
    assert f'<p class="probe">{probe.format("/", css, "/messages/index.html")}</p>' in (root / "_site/404.html").read_text()


def test_a_pages_links_made_once_per_page_are_the_links_relative_makes():
    """`relative_from` (a page's href and asset) takes a shortcut for targets outside the page's
    first folder: for every pair of these paths it gives what `relative` gives."""
    from itertools import product

    from im_site.urls import relative, relative_from

    folders = ["", "messages/", "messages/x/", "messagesx/", "en/messages/a b/", "ü/", "assets/"]
    files = [folder + name for folder, name in product(folders, ["index.html", "site.css", "a b.html"])]
    for source, target in product(files, files + ["messages", "en"]):
        assert relative_from(source)(target) == relative(source, target), (source, target)


def test_a_page_chooses_a_template_of_the_theme(make_site):
    """A contact page or a landing page in a layout of its own: `template:` names a theme template
    (which a check for templates that show nowhere counts as used); a name the theme lacks is an
    error at that line with the one meant, a name outside templates/ is refused."""
    root = make_site({
        **SITE,
        "content/kontakt.md": "---\ntitle: Kontakt\ntemplate: kontakt.html\n---\nSchreiben Sie uns.\n",
        "themes/marke/theme.yaml": "extends: default\n",
        "themes/marke/templates/kontakt.html": '{% extends "default:page.html" %}\n'
                                                '{% block after_content %}<p class="telefon">040 123</p>{% endblock %}\n',
    }, site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 0 and "IM040" not in result.stderr, result.stderr
    html = (root / "_site/kontakt/index.html").read_text()
    assert '<p class="telefon">040 123</p>' in html and "Schreiben Sie uns." in html
    assert '<p class="telefon">' not in (root / "_site/messages/frische/index.html").read_text()
    (root / "content/kontakt.md").write_text("---\ntitle: Kontakt\ntemplate: kontackt.html\n---\nText.\n")
    assert build_site(root).stderr.splitlines()[0] == (
        "content/kontakt.md:3: error[IM040]: template 'kontackt.html' is not in the theme (hint: did you mean "
        "'kontakt.html'?)")
    (root / "content/kontakt.md").write_text("---\ntitle: Kontakt\ntemplate: ../../etc/x.html\n---\nText.\n")
    result = build_site(root)
    assert result.exit_code == 1 and "content/kontakt.md:3: error[IM006]" in result.stderr, result.stderr
    assert "'../../etc/x.html' is no template name" in result.stderr


def test_a_theme_block_no_parent_template_has_is_a_warning(make_site):
    """`{% block content %}` in a theme's message.html (the built-in theme's is `main`) was never
    rendered, and nothing said so. A block the parents have, and a new block nested in one (which
    is rendered where it stands), are fine."""
    root = make_site({
        **SITE,
        "themes/marke/theme.yaml": "extends: default\n",
        "themes/marke/templates/base.html": '{% extends "default:base.html" %}\n{% set theme_class = "marke" %}\n',
        "themes/marke/templates/message.html": '{% extends "default:message.html" %}\n'
                                                 '{% block article_kicker %}{% block marke %}<p>MARKE</p>{% endblock %}'
                                                 '{% endblock %}\n{% block mian %}<p>NIE</p>{% endblock %}\n',
    }, site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[:-1] == [
        "themes/marke/templates/message.html:3: warning[IM040]: block 'mian' is in no template that this one "
        "extends (default:message.html), so it shows nowhere (hint: did you mean 'main'?)"]
    assert "<p>MARKE</p>" in (root / "_site/messages/frische/index.html").read_text()


def test_a_theme_template_nothing_renders_is_a_warning(make_site):
    """A designer's `partials/header.html` (the header is in base.html) or a misspelt override
    (`mesage.html`) was never rendered, and nothing said so. An override, a template a theme
    template includes (also by prefix) and one that only names itself are told apart."""
    root = make_site({
        **SITE,
        "themes/marke/theme.yaml": "extends: default\n",
        "themes/marke/templates/page.html": '{% extends "default:page.html" %}\n'
                                              '{% block after_content %}{% include "marke:partials/kontakt.html" %}{% endblock %}\n',
        "themes/marke/templates/partials/kontakt.html": "<aside>KONTAKT</aside>\n",
        "themes/marke/templates/partials/header.html": "{# partials/header.html: our header #}<p>KOPF</p>\n",
        "themes/marke/templates/mesage.html": '{% extends "default:message.html" %}\n',
    }, site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[:-1] == [
        "themes/marke/templates/mesage.html:1: warning[IM040]: template 'mesage.html' overrides no built-in template "
        "and no template includes it, so it shows nowhere (hint: did you mean 'message.html'?)",
        "themes/marke/templates/partials/header.html:1: warning[IM040]: template 'partials/header.html' overrides no "
        "built-in template and no template includes it, so it shows nowhere (hint: include it where it belongs "
        "({% include \"partials/header.html\" %}), or override a built-in template by its name (the header and footer "
        "are in base.html))"], result.stderr
    (root / "themes/marke/templates/base.html").write_text(
        '{% extends "default:base.html" %}{% set kind = "header" %}{% block head %}{% include "partials/" ~ kind ~ ".html" %}'
        '{% endblock %}\n', encoding="utf-8")
    (root / "themes/marke/templates/mesage.html").unlink()
    result = build_site(root)  # a name made while rendering: no template can be said to be unused
    assert result.exit_code == 0 and "IM040" not in result.stderr, result.stderr
    assert "<p>KOPF</p>" in (root / "_site/index.html").read_text()


def test_theme_stylesheet_urls_name_the_fingerprinted_static_files(make_site):
    """A brand's own font and pattern in static/, named from its CSS, are found by the browser."""
    root = make_site({
        **SITE,
        "themes/marke/theme.yaml": "extends: default\n",
        "themes/marke/static/fonts/marke.woff2": b"wOF2-font",
        "themes/marke/static/img/muster.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "themes/marke/static/r": "short name",
        "themes/marke/static/brand-theme.css": "/* url(alt.png) */\n"
                                               "@namespace svg url(http://www.w3.org/2000/svg);\n"  # a name, no file
                                               "@font-face{font-family:M;src:url('fonts/marke.woff2?v=2#x')}\n"
                                               ".kurz{background:url(r)}\n"  # replaced where it stands, not in `url(`
                                               ".site-header{background:url(img/muster.svg) repeat}\n"
                                               ".icon{background:url(\"data:image/svg+xml,%3Csvg%3E\")}\n",
    }, site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    [css] = (root / "_site/assets").glob("brand-theme.*.css")
    urls = re.findall(r"url\(['\"]?([^'\")]*)", css.read_text())
    assert urls[0] == "alt.png" and urls[-1].startswith("data:")  # a comment and a data: URL stay as they are
    assert urls[1] == "http://www.w3.org/2000/svg"
    for url in urls[2:-1]:
        assert (css.parent / urlsplit(url).path).is_file(), url


def test_stylesheet_fonts_with_encoded_names_and_image_set_files_are_found(make_site):
    """`url(fonts/My%20Font.woff2)` (a URL, so encoded) was an error, not found; the files of
    `image-set("a.svg" 1x, ...)` kept their names, which the fingerprinted output has not (a 404);
    `url()` in a CSS string was taken for a file, and a `/*` in one hid the references after it."""
    svg = "<svg xmlns='http://www.w3.org/2000/svg'/>"
    root = make_site({
        **SITE,
        "themes/marke/theme.yaml": "extends: default\n",
        "themes/marke/static/fonts/My Font.woff2": b"wOF2-font",
        "themes/marke/static/img/muster.svg": svg,
        "themes/marke/static/img/muster@2x.svg": svg,
        "themes/marke/static/brand-theme.css": (
            ".zitat::before{content:\"/* url(kein-bild.png)\"}\n"
            "@font-face{font-family:M;src:url(fonts/My%20Font.woff2) format('woff2')}\n"
            ".a{background-image:image-set(\"img/muster.svg\" 1x, 'img/muster@2x.svg' type(\"image/svg+xml\") 2x)}\n"
            ".b{background-image:-webkit-image-set(url(img/muster.svg) 1x)} /* */\n"),
    }, site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    [css] = (root / "_site/assets").glob("brand-theme.*.css")
    text = css.read_text()
    assert 'content:"/* url(kein-bild.png)"' in text and 'type("image/svg+xml")' in text
    files = re.findall(r"url\(([^)]+)\)", text.split("\n", 1)[1]) + re.findall(r"[\"']([^\"']+\.svg)[\"']", text)
    assert len(files) == 4, files
    for url in files:  # each names the fingerprinted file, which is there
        assert re.search(r"\.[0-9a-f]{10}\.", url) and (css.parent / unquote(url)).is_file(), url


@pytest.mark.parametrize(("kicker", "problem"), [
    ("{{ site.contact_phone }}", "template error: site has no attribute 'contact_phone' (rendering content/messages/m.md) "
                                 "(hint: site has: "),
    ("{{ site.titel }}", "template error: site has no attribute 'titel' (rendering content/messages/m.md) (hint: did you "
                         "mean site.title?)"),
    ("{{ t.must_reed }}", "template error: t has no string 'must_reed' (rendering content/messages/m.md) (hint: did you "
                          "mean t.must_read?)"),
    ("{{ page.titel }}", "template error: page has no attribute 'titel' (rendering content/messages/m.md) (hint: did you "
                         "mean page.title?)"),
    # `tags`, `date`, `audiences` are worked out once per page (model.once): named all the same.
    ("{{ page.tgas }}", "template error: page has no attribute 'tgas' (rendering content/messages/m.md) (hint: did you "
                        "mean page.tags?)"),
    ("{{ page.meta.autor }}", "template error: page.meta has no attribute 'autor' (rendering content/messages/m.md) "
                              "(hint: did you mean page.meta.author?)"),
    ("{{ hreff('') }}", "template error: 'hreff' is undefined (rendering content/messages/m.md) (hint: did you mean href?)"),
    ("{{ page.date|datum }}", "template syntax error: No filter named 'datum'. (hint: did you mean 'date'?)"),
    ('{% include "partials/bagdes.html" %}', "template 'partials/bagdes.html' not found in the theme (rendering "
                                             "content/messages/m.md) (hint: did you mean 'partials/badges.html'?)"),
])
def test_a_name_a_template_misspells_is_named_with_the_one_meant(make_site, kicker, problem):
    """Jinja names the class of a value (`'im_site.config.SiteSettings object' has no attribute`,
    `'dict object'`), not the variable the designer wrote, and no name that does exist; nor the
    filter or template meant."""
    root = make_site({"content/messages/m.md": "---\ntitle: M\ndate: 2026-11-20\n---\nText.\n",
                      "themes/marke/theme.yaml": "extends: default\n",
                      "themes/marke/templates/message.html": '{% extends "default:message.html" %}\n'
                                                              f'{{% block article_kicker %}}{kicker}{{% endblock %}}\n'},
                     site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"themes/marke/templates/message.html:2: error[IM040]: {problem}"), result.stderr


def test_the_date_filter_takes_the_pages_language_unless_given_one(make_site):
    """`{{ page.date|date }}` failed with "install_globals.<locals>.<lambda>() missing 1 required
    positional argument: 'lang'"; it writes the date as the page's language does."""
    root = make_site({"content/messages/m.md": "---\ntitle: M\ndate: 2026-11-20\n---\nText.\n",
                      "content/messages/m.en.md": "---\ntitle: M\ndate: 2026-11-20\n---\nText.\n",
                      "themes/marke/theme.yaml": "extends: default\n",
                      "themes/marke/templates/message.html": '{% extends "default:message.html" %}\n'
                                                              '{% block article_kicker %}<p class="d">{{ page.date|date }}|'
                                                              '{{ page.date|date("en") }}</p>{% endblock %}\n'},
                     site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert '<p class="d">20. November 2026|20 November 2026</p>' in (root / "_site/messages/m/index.html").read_text()
    assert '<p class="d">20 November 2026|20 November 2026</p>' in (root / "_site/en/messages/m/index.html").read_text()


def test_compiled_templates_are_kept_for_this_version_of_im_site_only(tmp_path, monkeypatch):
    """Jinja settles at compile time whether a filter gets the template's context: templates compiled
    by an im-site whose `date` filter took no context, loaded from cache_dir by this one, called it
    wrongly on every page. Their cache key holds im-site's code as well as the template's text."""
    from im_site import theme

    cache = theme._BytecodeCache(str(tmp_path))
    before = cache.get_source_checksum("{{ page.date|date }}")
    assert cache.get_source_checksum("{{ page.date|date }}") == before
    monkeypatch.setattr(theme, "code_key", lambda: "the code of another im-site")
    assert cache.get_source_checksum("{{ page.date|date }}") != before


def test_a_rebuild_in_one_process_compiles_only_the_templates_that_changed(make_site, monkeypatch):
    """Compiling the theme's templates was three quarters of a small site's build, and `serve`
    compiled (or read from cache_dir) all of them again after every save. The process keeps the
    compiled code by template text: a second build compiles nothing, even with the cache folder
    gone, and an edited template is compiled anew, never served stale."""
    import jinja2

    root = make_site({"content/messages/m.md": "---\ntitle: M\ndate: 2026-11-20\n---\nText.\n",
                      "themes/marke/theme.yaml": "extends: default\n",
                      "themes/marke/templates/message.html": '{% extends "default:message.html" %}\n'
                                                              '{% block article_kicker %}<p class="k">eins</p>{% endblock %}\n'},
                     site_yaml=run_site_yaml("theme: marke\n"))
    assert build_site(root).exit_code == 0
    compiled: list[str | None] = []
    compile_template = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return compile_template(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    shutil.rmtree(root / ".im-site-cache")
    assert build_site(root).exit_code == 0
    assert compiled == []
    (root / "themes/marke/templates/message.html").write_text(
        '{% extends "default:message.html" %}\n{% block article_kicker %}<p class="k">zwei</p>{% endblock %}\n')
    assert build_site(root).exit_code == 0
    assert compiled == ["message.html"]
    assert '<p class="k">zwei</p>' in (root / "_site/messages/m/index.html").read_text()


_EVERY_WAY_A_TEMPLATE_WRITES = """{% macro box(item, n=1) %}<b title="{{ item }}">{{ n }}{{ caller() if caller is defined else "" }}</b>{% endmacro %}
{%- import "lib.html" as lib with context -%}
{{ text }}|{{ number }}|{{ nothing }}|{{ safe }}|{{ safe ~ text }}|{{ text|safe }}|{{ items }}|{{ entry.lang }}|{{ entry["file"] }}
{{ entry.missing is defined }}|{{ entry.get("lang") }}|{{ entry.keys()|list }}|{{ model.title }}|{{ stop() is defined }}
{% for x in items %}{{ box(x, n=loop.index) }}{{ plain(x) }}{{ knows(x) }}{% endfor %}
{% call box(text) %}<i>{{ text }}</i>{% endcall %}{% set held %}{{ text }}&{% endset %}{{ held }}|{{ held|length }}
{% filter upper %}{{ text }}{% endfilter %}|{{ lib.row(text) }}|{% include "part.html" %}
"""


def test_the_theme_environment_writes_what_jinja_writes_with_no_markup_made_per_value(tmp_path):
    """The theme's Jinja environment (theme._environment) writes a `{{ value }}` escaped as Jinja
    does, but as the plain text, where Jinja first made a Markup of it (1 us a value, some 150 a page);
    calls functions and macros without asking each time whether they want the context; takes a
    dict's item for `a.b` without an AttributeError first; keeps templates by name. The same bytes
    as a stock Environment with the same options, for every way a template writes a value."""
    import jinja2
    from markupsafe import Markup

    from im_site import theme

    folder = tmp_path / "t" / "templates"
    folder.mkdir(parents=True)
    (folder / "page.html").write_text(_EVERY_WAY_A_TEMPLATE_WRITES)
    (folder / "lib.html").write_text('{% macro row(v) %}<td data-x="{{ v }}">{{ knows(v) }}</td>{% endmacro %}')
    (folder / "part.html").write_text("{{ text }}{% for k, v in entry.items() %}{{ k }}={{ v }};{% endfor %}")

    def stop() -> str:
        raise StopIteration

    @jinja2.pass_context
    def knows(context: Any, value: str) -> str:
        return f"{context['number']}:{value}"

    values = {"text": "<Tür & \"Tor\" 'x'>", "number": 42, "nothing": None, "safe": Markup("<em>ok</em>"),
              "items": ["a<b", "c&d"], "entry": {"lang": "de", "file": "x/index.html"},
              "model": SiteSettings(title="Frisch & <neu>"), "stop": stop, "plain": lambda v: v.upper(), "knows": knows}
    mine = theme._environment([("t", tmp_path / "t")])
    stock = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=True, undefined=jinja2.StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                               extensions=["jinja2.ext.loopcontrols"])
    for env in (mine, stock):
        env.globals.update(stop=stop, plain=values["plain"], knows=knows)
    expected = stock.get_template("page.html").render(values)
    assert mine.get_template("page.html").render(values) == expected
    assert "&lt;Tür &amp; &#34;Tor&#34; &#39;x&#39;&gt;" in expected and "<em>ok</em>" in expected
    assert mine.get_template("page.html") is mine.get_template("page.html")
    parts = list(mine.get_template("page.html").generate(values))
    assert "".join(parts) == expected
    assert type(parts[0]) is str, "the escaped text, not a Markup made of it"
    with pytest.raises(jinja2.UndefinedError, match="'dict object' has no attribute 'missing'"):
        mine.from_string("{{ entry.missing }}").render(values)


def test_compressing_from_threads_and_forked_children_gives_the_one_shot_bytes():
    """Pages are compressed through a zstd context kept by each thread (compress.py): threads side
    by side, and a child forked after its parent used its own, get the bytes of a one-shot call."""
    import os
    import threading

    import zstandard

    from im_site import compress

    pages = [("<p>Frische für alle</p>" * n).encode("utf-8") for n in range(1, 200)]
    expected = [zstandard.compress(page, 1) for page in pages]
    results: list[list[bytes]] = [[] for _ in range(4)]

    def work(index: int) -> None:
        results[index] = [compress.compress(page) for page in pages]

    threads = [threading.Thread(target=work, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result == expected for result in results)
    assert [compress.decompress(data) for data in expected] == pages
    assert compress.compress(pages[0]) == expected[0]  # this thread's context, used before the fork
    pid = os.fork()
    if pid == 0:
        os._exit(0 if [compress.compress(page) for page in pages] == expected
                 and [compress.decompress(data) for data in expected] == pages else 1)
    assert os.waitpid(pid, 0)[1] == 0


def test_the_hash_of_a_pages_main_is_made_from_its_bytes_as_from_its_text():
    """pagecache.content_hash reads the page's UTF-8 bytes (encoded once, for the output and both
    hashes): the span between `<main` and `</main>` is the same as in the text, umlauts and all."""
    from im_site.pagecache import content_hash

    for text in ("<header>Übersicht</header><main id=m>Grüße „aus“ der Filiale 🍎</main><footer>Fuß</footer>",
                 "ohne Hauptteil: Äpfel", "</main> vor <main"):
        start, end = text.find("<main"), text.rfind("</main>")
        inside = text[start:end] if 0 <= start < end else text
        assert content_hash(text.encode("utf-8")) == hashlib.sha256(inside.encode("utf-8")).hexdigest()


def test_a_template_syntax_error_is_reported_once_not_once_per_page(make_site):
    """A slip in message.html failed every message with the same line, once for each: on a site of
    hundreds of messages the one error to fix was lost in a screen of copies."""
    messages = {f"content/messages/m{number}.md": f"---\ntitle: M{number}\ndate: 2026-11-2{number}\n---\nText.\n"
                for number in range(5)}
    root = make_site({**messages, "themes/marke/theme.yaml": "extends: default\n",
                      "themes/marke/templates/message.html": '{% extends "default:message.html" %}\n'
                                                              '{% block article_kicker %}{{ page.title }{% endblock %}'},
                     site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "themes/marke/templates/message.html:2: error[IM040]: template syntax error: unexpected '}'",
        "1 error, 0 warnings"]


def test_a_stylesheet_imports_one_from_a_sub_folder(make_site):
    """README: sub-folder stylesheets are included where a stylesheet imports them; the import
    names the fingerprinted file, whose own url()s name theirs (at any depth)."""
    root = make_site({
        **SITE,
        "themes/marke/theme.yaml": "extends: default\n",
        "themes/marke/static/img/muster.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "themes/marke/static/brand-theme.css": "@import \"parts/formulare.css\";\nh1{color:red}\n",
        "themes/marke/static/parts/formulare.css": "@import url(knoepfe.css);\nform{background:url(../img/muster.svg)}\n",
        "themes/marke/static/parts/knoepfe.css": "button{border:0}\n",
    }, site_yaml=run_site_yaml("theme: marke\n"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    [css] = (root / "_site/assets").glob("brand-theme.*.css")
    [imported] = re.findall(r'@import "([^"]+)"', css.read_text())
    forms = css.parent / imported
    assert forms.is_file() and "form{" in forms.read_text()
    for url in re.findall(r"@import url\(([^)]+)\)|url\(([^)]+)\)", forms.read_text()):
        assert (forms.parent / "".join(url)).is_file(), url


def test_the_brand_logo_and_fonts_are_not_copied_again_as_downloads(make_site):
    """Only what a page links is a download in files/; the logo and fonts are brand assets,
    fingerprinted under assets/brand/, and were copied a second time to files/assets/."""
    logo = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    root = make_site({"content/assets/logo.svg": logo, "content/assets/body.woff2": "wOF2 font",
                      "content/assets/plan.pdf": "%PDF-1.4\n",
                      "content/plan.md": "---\ntitle: Plan\n---\n[Plan](assets/plan.pdf)\n"},
                     site_yaml=run_site_yaml("brand: {logo: assets/logo.svg, fonts: {body: assets/body.woff2}}\n"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.relative_to(root / "_site").as_posix() for p in (root / "_site/files").rglob("*") if p.is_file()) \
        == ["files/assets/plan.pdf"]
    assert sorted(p.name.split(".")[0] for p in (root / "_site/assets/brand").iterdir()) == ["body", "logo"]


def test_brand_fonts_declare_the_weight_their_file_draws(make_site):
    """A regular body font was declared `font-weight:100 900` ("this file draws every weight"), so
    browsers drew bold text (`**x**`, callout titles, buttons, table heads) in its regular letters:
    the demo site had no bold at all. Each face now declares the weight of its file."""
    fonts = Path(__file__).resolve().parent.parent / "content/assets/fonts"
    root = make_site({"content/assets/body.woff2": (fonts / "body.woff2").read_bytes(),
                      "content/assets/heading.woff2": (fonts / "heading.woff2").read_bytes(),
                      "content/assets/broken.woff2": b"wOF2 but not a font",
                      "content/messages/hallo.md": "---\ntitle: Hallo\ndate: 2026-11-02\n---\n**Fett** und normal.\n"},
                     site_yaml=run_site_yaml("brand: {fonts: {body: assets/body.woff2, heading: assets/heading.woff2}}\n"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    [css] = (root / "_site/assets").glob("brand.*.css")
    faces = dict(re.findall(r'font-family:"Brand (\w+)";[^}]*font-weight:([^;]+);', css.read_text()))
    assert faces == {"Body": "400", "Heading": "700"}
    # A file no font library reads counts as regular (the CSS default), and the build goes on.
    (root / "site.yaml").write_text(run_site_yaml("brand: {fonts: {body: assets/broken.woff2}}\n"), encoding="utf-8")
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    [css] = (root / "_site/assets").glob("brand.*.css")
    assert "font-weight:400;" in css.read_text()


def run_site_yaml(extra: str) -> str:
    from conftest import BASIC_SITE_YAML
    return BASIC_SITE_YAML + extra


def test_output_paths_collide_case_insensitively(make_site):
    root = make_site({"content/Seite.md": "---\ntitle: A\nslug: seite\n---\n",
                      "content/seite.md": "---\ntitle: B\n---\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert "IM030" in result.stderr and "content/seite.md" in result.stderr


def test_a_url_collision_is_reported_at_the_line_that_set_the_address(make_site):
    """`content/messages/zukunft.md: error[IM030]` named no line: the `slug:` that made the address,
    or the `title:` when it came from the file name, or the alias."""
    root = make_site({"content/messages/willkommen.md": "---\ntitle: Willkommen\ndate: 2026-01-01\n---\n",
                      "content/messages/zukunft.md": "---\ntitle: Zukunft\ndate: 2026-01-02\nslug: willkommen\n---\n",
                      "content/messages.md": "---\ntitle: Nachrichten\n---\n",
                      "content/kpis/2026-q1.md": "---\ntitle: Q1\nperiod: 2026-Q1\n---\n",
                      "content/kpis/q1.md": "---\ntitle: Q1 neu\nperiod: 2026 Q1\n---\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert sorted(line.split(": error")[0] for line in result.stderr.splitlines() if "IM030" in line) == [
        "content/kpis/q1.md:3", "content/messages.md:2", "content/messages/zukunft.md:4"]

def test_a_file_where_another_needs_a_folder_collides_at_any_depth_and_in_any_order():
    """OutputSet looks only at the folders a path needs that no earlier path needed: a file at
    a folder already known, or under a known file, is still a collision, either way round."""
    from im_site.diagnostics import Diagnostics
    from im_site.output import OutputSet

    outputs, diagnostics = OutputSet(), Diagnostics()
    for path in ["a/b/c/index.html", "a/b/d/index.html", "a/index.html", "x.html", "a/b/c/feed.xml"]:
        assert outputs.add(path, b"ok", f"content/{path}.md", diagnostics)
    for path, other in [("a/b", "a/b/c/index.html"), ("A/B/C", "a/b/c/index.html"), ("a", "a/b/c/index.html"),
                        ("x.html/y/index.html", "x.html"), ("a/b/c/feed.xml/index.html", "a/b/c/feed.xml"),
                        ("a/index.html/z.html", "a/index.html"), ("a/b/d/index.html", "a/b/d/index.html")]:
        assert not outputs.add(path, b"no", "content/late.md", diagnostics), path
        assert f"but content/{other}.md" in diagnostics.items[-1].message, (path, diagnostics.items[-1].message)
    assert outputs.add("a/b/e/index.html", b"ok", "content/e.md", diagnostics)
    assert sorted(outputs.files) == ["a/b/c/feed.xml", "a/b/c/index.html", "a/b/d/index.html", "a/b/e/index.html",
                                     "a/index.html", "x.html"]



def test_home_folder_or_project_root_refused_as_output(built):
    result = run_cli(built, "build", "-o", str(built))
    assert result.exit_code == 1
    assert "refusing" in result.stderr
    assert (built / "content").is_dir()


def _cards(html: str) -> list[str]:
    return re.findall(r'<h3 class="card-title"><a href="[^"]*">([^<]*)</a>', html)


def test_tag_pages_list_modules_and_pages_too(built):
    """Every page links its tags, so a tag page lists all that carries the tag, messages first."""
    out = built / "_site"
    assert _cards((out / "tags/frische/index.html").read_text()) == ["Frische ist Haltung", "Frische erklären", "Über uns"]
    # Tags no message carries still have their page, which the module's and the page's badges link to.
    assert _cards((out / "tags/schulung/index.html").read_text()) == ["Frische erklären"]
    assert _cards((out / "tags/team/index.html").read_text()) == ["Über uns"]
    assert 'href="../tags/team/index.html">#team</a>' in (out / "ueber/index.html").read_text()
    groups = (out / "tags/index.html").read_text()
    assert '<a href="frische/index.html">frische</a> <span class="count">3</span>' in groups


class _Cards(HTMLParser):
    """A listing's cards: (class, flags, title, the meta line's text) each."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[list[Any]] = []
        self._into: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag == "article" and "card" in cls.split():
            self.cards.append([cls, [], "", ""])
        elif self.cards and tag == "span" and cls.startswith("flag "):
            self.cards[-1][1].append(cls.split()[1])
        elif self.cards and (tag == "h3" or (tag == "p" and cls == "card-meta")):
            self._into = 2 if tag == "h3" else 3

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h3", "p"):
            self._into = None

    def handle_data(self, data: str) -> None:
        if self._into is not None:
            self.cards[-1][self._into] += data


def test_cards_of_every_kind_show_what_their_kind_has_without_asking_others_for_it(make_site):
    """A card shows a message's pinned and must-read flags, author and role, a module's duration;
    the other kinds have none of these fields, and the card does not ask their front matter for them
    (each question made pydantic raise and catch an AttributeError: about 7,000 in a 2,000-page build)."""
    import sys
    from collections import Counter

    root = make_site({
        "content/messages/wichtig.md": "---\ntitle: Wichtig\ndate: 2026-11-20\nauthor: Anna Berg\nrole: Vertrieb\n"
                                       "pinned: true\nmust_read: true\ntags: [alle]\n---\nText.\n",
        "content/messages/normal.md": "---\ntitle: Normal\ndate: 2026-11-19\ntags: [alle]\n---\nText.\n",
        "content/training/kasse.md": "---\ntitle: Kasse\nduration: 15\ntags: [alle]\n---\nText.\n",
        "content/ueber.md": "---\ntitle: Über uns\ntags: [alle]\n---\nText.\n",
        "content/kpis/kpis.yaml": "kpis:\n  - {id: nps, label: NPS, category: impact, unit: '', direction: up}\n",
        "content/kpis/2026-q3.md": "---\ntitle: Zahlen Q3\nperiod: 2026-Q3\ndate: 2026-10-01\ntags: [alle]\n"
                                   "values: {nps: 40}\n---\nText.\n",
    })
    asked: Counter[str] = Counter()

    def in_getattr(frame: Any, event: str, arg: Any) -> Any:
        if event == "exception" and arg[0] is AttributeError:
            asked[frame.f_locals.get("item", "?")] += 1
        return in_getattr

    def calls(frame: Any, event: str, arg: Any) -> Any:  # pydantic's BaseModel.__getattr__: a field the model lacks
        code = frame.f_code
        return in_getattr if code.co_name == "__getattr__" and code.co_filename.endswith("pydantic/main.py") else None

    before = sys.gettrace()
    sys.settrace(calls)
    try:
        result = build_site(root)
    finally:
        sys.settrace(before)
    assert result.exit_code == 0, result.stderr
    parser = _Cards()
    parser.feed((root / "_site/tags/alle/index.html").read_text(encoding="utf-8"))
    assert [[cls, flags, title, " ".join(meta.split())] for cls, flags, title, meta in parser.cards] == [
        ["card card-message is-must-read", ["flag-pinned", "flag-must-read"], "Wichtig", "20. November 2026 · Anna Berg, Vertrieb"],
        ["card card-message", [], "Normal", "19. November 2026"],
        ["card card-training", [], "Kasse", "15 Min."],
        ["card card-page", [], "Über uns", ""],
        ["card card-kpi_snapshot", [], "Zahlen Q3", "1. Oktober 2026"],
    ]
    assert not {"must_read", "pinned", "author", "duration"} & set(asked), asked


def test_tags_spelled_differently_are_one_tag(make_site):
    """`Frische`, `frische` and the hashtag `#frische` would write one /tags/frische/: they are one
    tag, named as most write it (a hashtag's `#` is not doubled on the page)."""
    tags = ["Frische", "frische", "frische", "Gute Laune", "gute-laune", "'#frische'"]
    root = make_site({f"content/messages/m{n}.md": f"---\ntitle: M{n}\ndate: 2026-01-0{n}\ntags: [{tag}]\n---\nText.\n"
                      for n, tag in enumerate(tags, start=1)})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    out = root / "_site"
    assert _cards((out / "tags/frische/index.html").read_text()) == ["M6", "M3", "M2", "M1"]
    assert 'href="../../tags/frische/index.html">#frische</a>' in (out / "messages/m6/index.html").read_text()
    assert "<h1>#frische</h1>" in (out / "tags/frische/index.html").read_text()
    assert _cards((out / "tags/gute-laune/index.html").read_text()) == ["M5", "M4"]
    groups = (out / "tags/index.html").read_text()
    assert re.findall(r'<a href="([^"]*)">([^<]*)</a> <span class="count">(\d+)</span>', groups) == [
        ("frische/index.html", "frische", "4"), ("gute-laune/index.html", "Gute Laune", "2")]
    assert 'href="../../tags/frische/index.html">#Frische</a>' in (out / "messages/m1/index.html").read_text()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 160, 60)).save(out, "PNG")
    return out.getvalue()


def test_a_link_finds_a_file_named_in_another_unicode_form(make_site):
    """macOS may name `Grüße.md` with u + U+0308 (NFD); the link an author types is NFC, and vice versa."""
    nfd = unicodedata.normalize("NFD", "Grüße aus der Zentrale")
    root = make_site({
        f"content/messages/{nfd}.md": "---\ntitle: Grüße\ndate: 2026-01-01\n---\n![Bild](../img/Bäckerei.png)\n",
        f"content/img/{unicodedata.normalize('NFD', 'Bäckerei.png')}": _png(),
        "content/messages/hallo.md": "---\ntitle: Hallo\ndate: 2026-01-02\n---\n"
                                     "[NFC](Grüße%20aus%20der%20Zentrale.md), "
                                     f"[NFD]({nfd.replace(' ', '%20')}.md)\n"})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    html = (root / "_site/messages/hallo/index.html").read_text()
    assert html.count('href="../gruesse-aus-der-zentrale/index.html"') == 2
    assert "<img" in (root / "_site/messages/gruesse-aus-der-zentrale/index.html").read_text()


def test_pillar_and_tag_pages_are_paginated_like_the_archive(make_site):
    """With more messages than `per_page`, /pillars/<id>/ and /tags/<tag>/ go on at page/2/, page/3/..."""
    messages = {f"content/messages/m{n}.md": f"""
        ---
        title: Meldung {n}
        date: 2026-01-{n:02d}
        pillars: [leadership]
        tags: [frische]
        ---
        Text {n}.
        """ for n in range(1, 6)}
    root = make_site(messages, site_yaml=run_site_yaml("per_page: 2\n"))
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    out = root / "_site"
    for base in ("messages", "pillars/leadership", "tags/frische"):
        pages = [out / base / "index.html", out / base / "page/2/index.html", out / base / "page/3/index.html"]
        assert [_cards(page.read_text()) for page in pages] == [
            ["Meldung 5", "Meldung 4"], ["Meldung 3", "Meldung 2"], ["Meldung 1"]], base
        assert not (out / base / "page/4").exists()
        second = pages[1].read_text()
        assert 'rel="prev" href="../../index.html"' in second and 'rel="next" href="../3/index.html"' in second
        assert 'rel="next"' not in pages[2].read_text()
    groups = (out / "pillars/index.html").read_text()
    assert '<a href="leadership/index.html">Führung</a> <span class="count">5</span>' in groups  # all five


def _site_yaml_keys(model: type, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every key site.yaml accepts, dotted (`brand.colors.primary`), with its field."""
    for name, field in model.model_fields.items():
        yield prefix + name, field
        inner = _inner_model(field.annotation)
        if inner is not None:
            yield from _site_yaml_keys(inner, f"{prefix}{name}.")


def test_every_site_yaml_key_is_in_the_readme_with_its_default():
    """The README's site.yaml table is the reference users read: `audiences[].description`, which
    leads an audience's page, was accepted but documented nowhere. Each key the schema accepts is
    named there, and a scalar default in the table is the schema's."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## site.yaml"):text.index("\n## Commands")]
    named = {word for code in re.findall(r"`([^`]+)`", section) for word in re.findall(r"[a-z_]+", code)}
    undocumented = [key for key, _ in _site_yaml_keys(SiteSettings) if key.rsplit(".", 1)[-1] not in named]
    assert undocumented == []
    fields = dict(_site_yaml_keys(SiteSettings))
    for key, default in re.findall(r"^\| `([^`]+)`[^|]*\| `([^`{}\[\]]+)` \|", section, re.M):
        value = fields[key].get_default(call_default_factory=True)
        assert default == (str(value).lower() if isinstance(value, bool) else str(value)), key


def test_the_readme_template_reference_names_what_templates_get():
    """A theme author could only guess what a template may use (`site`, `t`, `href()`, the values of
    module.html): the README's template reference lists every value, function, filter and the
    values of each template, as a build of the demo (a published version) hands them over."""
    from jinja2.defaults import DEFAULT_FILTERS, DEFAULT_NAMESPACE

    from im_site.build import build
    from im_site.config import load_config
    from im_site.options import BuildOptions, read_clock
    from im_site.render import common_values

    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n### Template reference"):text.index("\n## Browser support and accessibility")]
    tables = [[line for line in table.splitlines() if line.startswith("| ") and not line.startswith("|---")]
              for table in re.split(r"\n\n(?!\|)", section) if "\n|---" in table]
    values, functions, templates = tables[0][1:], tables[1][1:], tables[2][1:]
    config_path = Path(__file__).resolve().parent.parent / "site.yaml"
    result = build(load_config(config_path), BuildOptions(config_path, read_clock(NOW), use_cache=False, jobs=1,
                                                          version="v1", published=True))
    ctx, jobs = result.render
    documented = {name for row in values for name in re.findall(r"`(\w+)`", row.split(" | ")[0])}
    assert documented == set(common_values(ctx, jobs[0]))
    env = ctx.theme.env
    given = {name for name in env.globals if name not in DEFAULT_NAMESPACE} | {
        f"|{name}" for name in set(env.filters) - set(DEFAULT_FILTERS)}
    documented = {re.sub(r"\(.*", "", cell.strip("` ")).replace("\\|", "|") for cell in (row.split(" | ")[0][2:] for row in functions)}
    assert documented == given
    own: dict[str, set[str]] = {}
    for job in jobs:
        own.setdefault(job.template, set()).update(job.values, job.later(ctx, job) if job.later else ())
    documented = {}
    for row in templates:
        cells = row.strip("| ").split(" | ")
        for template in re.findall(r"`([\w.]+)`", cells[0]):
            documented[template] = set(re.findall(r"`(\w+)`", cells[2]))
    assert documented == {template: keys for template, keys in own.items() if template in documented}
    assert sorted(own) == sorted(documented), "a template the reference leaves out, or one no build renders"


def test_every_diagnostic_code_is_in_the_readme_table():
    """Users look a code from CI up in the README: the table lists each code im-site emits, with the
    name `check` prints, and none that no longer exists (IM133 quiz was listed in the code, never used)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Errors and warnings"):text.index("\n## Performance")]
    documented = dict(re.findall(r"^\| (IM\d{3}) \| ([a-z-]+) \|", section, re.M))
    assert documented == CODES
    package = Path(__file__).resolve().parent.parent / "im_site"
    emitted = {code for path in package.rglob("*.py") if path.name != "diagnostics.py"
               for code in re.findall(r"\"(IM\d{3})\"", path.read_text(encoding="utf-8"))}
    assert emitted == set(CODES)


class _BrandLink(HTMLParser):
    """The classes of the header's brand link and the text of its name."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: list[str] = []
        self.name = ""
        self._in_name = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "a" and "brand" in classes:
            self.classes = classes
        self._in_name = tag == "span" and "brand-name" in classes

    def handle_data(self, data: str) -> None:
        if self._in_name:
            self.name += data
            self._in_name = False


@pytest.mark.parametrize(("logo", "wordmark"), [
    ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 48"><text x="48" y="33">Assura</text></svg>', True),
    ('<svg xmlns="http://www.w3.org/2000/svg" width="240px" height="48px"><rect width="40" height="40"/></svg>', True),
    ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40" width="40" height="40"><circle r="18"/></svg>', False),
    ("png 300x60", True),
    ("png 64x64", False),
])
def test_a_wide_logo_carries_the_name_and_the_header_does_not_repeat_it(make_site, logo, wordmark):
    """A wide logo with the company's name in it (an insurer's 240 x 48 wordmark) had the name again
    beside it: said twice, and on a 360 px phone the name wrapped to two lines (a 192 px header). A logo
    three times as wide as high or more marks the brand link `brand-wordmark`, which shows the name to
    screen readers only; a square logo keeps the name beside it."""
    if logo.startswith("png"):
        width, height = (int(n) for n in logo.split()[1].split("x"))
        buffer = io.BytesIO()
        Image.new("RGB", (width, height), "#1F4FA0").save(buffer, "PNG")
        files: dict[str, str | bytes] = {"content/assets/logo.png": buffer.getvalue()}
        name = "logo.png"
    else:
        files, name = {"content/assets/logo.svg": logo}, "logo.svg"
    root = make_site({**files, "content/messages/a.md": "---\ntitle: A\ndate: 2026-01-05\n---\nText.\n"},
                     site_yaml=f"title: Intranet\nbrand:\n  name: Assura Versicherung\n  logo: assets/{name}\n")
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    parser = _BrandLink()
    parser.feed((root / "_site/index.html").read_text(encoding="utf-8"))
    assert ("brand-wordmark" in parser.classes) is wordmark, parser.classes
    assert parser.name == "Assura Versicherung"  # still there for screen readers
    [css] = (root / "_site/assets").glob("site.*.css")
    rule = re.search(r"^\.brand-wordmark \.brand-name\{([^}]*)\}", css.read_text(encoding="utf-8"), re.M)
    assert rule and "position:absolute" in rule.group(1) and "clip:" in rule.group(1)


def test_a_message_links_its_author_to_the_author_url(make_site):
    """`author_url` was read and checked for a safe scheme but shown nowhere: the byline links the
    author's name to it (a profile in the intranet, a full URL or mailto:)."""
    def byline(file: str) -> str:
        html = (root / "_site" / file).read_text(encoding="utf-8")
        return re.search(r'<p class="byline">(.*?)</p>', html, re.S).group(1)
    root = make_site({
        "content/messages/a.md": "---\ntitle: A\ndate: 2026-01-05\nauthor: Katrin Vogt\nauthor_url: https://people.example/kvogt\n---\nText.\n",
        "content/messages/b.md": "---\ntitle: B\ndate: 2026-01-06\nauthor: Jan Berg\nrole: CEO\nauthor_url: /team/\n---\nText.\n",
        "content/messages/c.md": "---\ntitle: C\ndate: 2026-01-07\nauthor: Ute Lang\n---\nText.\n",
        "content/team.md": "---\ntitle: Team\n---\nWir.\n",
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert '<a class="author" href="https://people.example/kvogt">Katrin Vogt</a>' in byline("messages/a/index.html")
    assert '<a class="author" href="../../team/index.html">Jan Berg</a>, <span class="role">CEO</span>' in byline("messages/b/index.html")
    assert '<span class="author">Ute Lang</span>' in byline("messages/c/index.html")


_TASKS_AND_HEADINGS = ("Liste:\r\n\r\n- [ ] Regal prüfen\r\n- [x] Kasse zählen\r\n  1. [X] Schein\r\n  2. [ ]\tTab\r\n"
                       "- [x]ohne Abstand\r\n\r\n## Ablauf\r\n## Ablauf\r\n{#ablauf-1}\r\n### Ende `jetzt` \\& *gleich*\r\n"
                       "\r\n| Artikel | ~~Preis~~ |\r\n|---|--:|\r\n| [ ] Brot | 2 |\r\n\r\n> - [ ] zitiert\r\n")


def _stock_parser(allow_html: bool) -> Any:
    """The Markdown setup as it was built from mdit-py-plugins' own tasklists and anchors plugins and
    markdown-it's own newline rule and renderer, which markdown.py does the work of in fewer steps."""
    from mdit_py_plugins.anchors import anchors_plugin
    from mdit_py_plugins.tasklists import tasklists_plugin

    from im_site import markdown
    from im_site.slugs import slugify

    md = markdown.make_parser(allow_html)
    stock = type(md)("commonmark", dict(md.options))
    stock.enable(["table", "strikethrough"])
    stock.validateLink = lambda url: True
    stock.use(markdown.footnote_plugin).use(tasklists_plugin).use(markdown.myst_role_plugin)
    stock.use(markdown.attrs_block_plugin, allowed=("id",))
    stock.core.ruler.after("attr", "explicit_id", markdown._mark_explicit_ids)
    stock.use(anchors_plugin, min_level=2, max_level=4, slug_func=slugify)
    stock.use(markdown.container_plugin, name="callout", validate=markdown._is_callout, render=markdown._render_callout)
    for kind, rule in md.renderer.rules.items():
        if kind not in stock.renderer.rules or stock.renderer.rules[kind].__func__ is not getattr(rule, "__func__", None):
            stock.add_render_rule(kind, getattr(rule, "__func__", rule))
    return stock


@pytest.mark.parametrize("body", [_TASKS_AND_HEADINGS, "a\r\nb\rc\r\r\nd\n\r", "Text[^1]\n\n[^1]: - [ ] in der Fußnote\n",
                                  "- [ ] [ref] x\n- [x] [x]\n\n[ref]: /a\n[x]: /b\n", "* eins\n\n  [ ] zweiter Absatz\n",
                                  "{#a}\n## a\n## a\n## a-1\n## \n## \n##### fünf\n# eins\n",
                                  "- a\n  - b\n    - [ ] c\n- [ ] d\n\n1) [x] e\n\n::: note Titel\n- [ ] drin\n:::\n"])
def test_markdown_renders_as_the_stock_plugins_did(body: str):
    """markdown.py does the work of the tasklists and anchors plugins, markdown-it's newline rule and
    its attribute rendering in fewer steps (the clean build's Markdown phase): byte for byte the same HTML."""
    from im_site.markdown import make_parser, render_markdown

    for allow_html in (False, True):
        ours, stock = make_parser(allow_html), _stock_parser(allow_html)
        assert render_markdown(ours, body).values() == render_markdown(stock, body).values()


def test_task_lists_crlf_and_heading_ids_reach_the_page(make_site):
    """Task lists (`- [ ]`, `- [x]`) were in no test; a page written on Windows (CR LF) has them,
    headings of the same words and a `{#id}` that the generated one must step around."""
    root = make_site({"content/liste.md": "---\r\ntitle: Liste\r\n---\r\n" + _TASKS_AND_HEADINGS})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    html = (root / "_site/liste/index.html").read_text(encoding="utf-8")
    found: list[tuple[str, dict[str, str | None]]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    Tags().feed(html)
    boxes = [attrs for tag, attrs in found if tag == "input" and attrs.get("type") == "checkbox"]
    assert [("checked" in box, box.get("disabled"), box.get("class")) for box in boxes] == [
        (False, "disabled", "task-list-item-checkbox"), (True, "disabled", "task-list-item-checkbox"),
        (True, "disabled", "task-list-item-checkbox"), (False, "disabled", "task-list-item-checkbox")]
    # None for "[ ]<tab>" (its marker is dropped all the same), "[x]ohne Abstand" or the table cell
    assert [attrs["class"] for tag, attrs in found if tag in ("ul", "ol") and "task" in (attrs.get("class") or "")] == [
        "contains-task-list", "contains-task-list", "contains-task-list"]
    assert [attrs.get("id") for tag, attrs in found if tag in ("h2", "h3")] == ["ablauf", "ablauf-2", "ablauf-1"]
    assert "Regal prüfen" in html and "\r" not in html and "[x]ohne Abstand" in html and "[X]" not in html


def test_rendering_markdown_raises_no_exception_inside_markdown_it():
    """markdown-it's rules ask its options for keys we never set (`strikethrough_single_tilde` for
    every paragraph, `tasklists` for every list item), and `Mapping.get` answered each by raising
    and catching a KeyError: 3-4 % of the clean build's Markdown time."""
    import sys

    from im_site.markdown import make_parser, render_markdown

    md, raised = make_parser(False), []

    def trace(frame: Any, event: str, arg: Any) -> Any:
        if event == "exception" and arg[0] is KeyError:
            raised.append(frame.f_code.co_name)
        return trace

    sys.settrace(trace)
    try:
        render_markdown(md, _TASKS_AND_HEADINGS + "\nText mit ~~alt~~ *neu*.\n\n1. eins\n2. zwei\n")
    finally:
        sys.settrace(None)
    assert raised == []
