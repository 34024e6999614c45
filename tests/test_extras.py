"""Comms extras: schedule, translation freshness, audience entry points, reach report,
must-read acknowledgement and the e-mail digest, each on a small real site."""

from __future__ import annotations

import json
import os
import signal
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import BASIC_SITE_YAML, build_site, run_cli, said, snapshot_tree, write_files

ATOM = "{http://www.w3.org/2005/Atom}"
SITE_YAML = BASIC_SITE_YAML + """\
base_url: https://intranet.example.com/
timezone: Europe/Berlin
brand:
  colors: {primary: "#0A5C36"}
acknowledge_url: https://forms.example.com/ack?page={id}&version={version}
"""


class Page(HTMLParser):
    """Elements with their attributes and text, enough to query a built page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[dict] = []
        self._open: list[dict] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in ("img", "br", "meta", "link", "input", "source", "hr"):
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index]["tag"] == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element["text"] += data

    def find(self, tag: str, **attrs: str) -> list[dict]:
        return [e for e in self.elements if e["tag"] == tag
                and all(attrs_value in (e["attrs"].get(name.rstrip("_").replace("_", "-")) or "").split()
                        or e["attrs"].get(name.rstrip("_").replace("_", "-")) == attrs_value
                        for name, attrs_value in attrs.items())]


def parse(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def message(title: str, date: str, *extra: str, body: str | None = None) -> str:
    """A message whose text names its title (a translation's text is not its original's)."""
    lines = "\n".join(extra)
    return f"---\ntitle: {title}\ndate: {date}\n{lines}\n---\n{body if body is not None else f'Text: {title}.'}\n"


# ---------------------------------------------------------------- schedule

def test_next_change_is_the_next_embargo_or_expiry_with_offset(make_site):
    root = make_site({
        "content/messages/bald.md": message("Bald", "2026-12-01", "publish_at: 2026-12-01T08:00:00"),
        "content/messages/endet.md": message("Endet", "2026-11-01", "expires: 2026-11-28"),
        "content/messages/spaeter.md": message("Später", "2027-01-01", "publish_at: 2027-01-01"),
        "content/messages/entwurf.md": message("Entwurf", "2026-11-01", "draft: true",
                                               "publish_at: 2026-11-27"),
        "content/messages/heute.md": message("Heute", "2026-11-20"),
    }, site_yaml=SITE_YAML)
    assert build_site(root).exit_code == 0
    manifest = json.loads((root / "_site/manifest.json").read_text())
    # expires: 2026-11-28 is shown through that day (Europe/Berlin), so it ends at midnight after it.
    assert manifest["next_change"] == "2026-11-29T00:00:00+01:00"
    assert build_site(root, now="2026-11-29T12:00:00+00:00").exit_code == 0
    manifest = json.loads((root / "_site/manifest.json").read_text())
    assert manifest["next_change"] == "2026-12-01T08:00:00+01:00"


def test_a_now_without_an_offset_is_read_in_the_sites_timezone(make_site, tmp_path):
    """`--now "2026-12-01 08:00"` was read as UTC, unlike every other date and time without an
    offset: on a Berlin site it showed 09:00, and a message embargoed until 08:30 as live."""
    root = make_site({"content/messages/a.md": message("Alt", "2026-11-01"),
                      "content/messages/bald.md": message("Um halb neun", "2026-12-01", "publish_at: 2026-12-01 08:30")},
                     site_yaml=SITE_YAML)
    for now, live in (("2026-12-01 08:00", False), ("2026-12-01T08:30", True), ("2026-12-01", False)):
        assert build_site(root, now=now).exit_code == 0
        assert (root / "_site/messages/bald/index.html").exists() is live, now
    out = tmp_path / "d.html"
    assert run_cli(root, "digest", "--now", "2026-12-01 08:20", "-o", str(out), "--since", "2026-12-01 08:00").exit_code == 0
    assert _digest_titles(out) == []  # goes live at 08:30, after the digest's week
    check = json.loads(run_cli(root, "check", "--now", "2026-12-01 08:00", "--format", "json").stdout)
    assert [change["at"] for change in check["schedule"]] == ["2026-12-01T08:30:00+01:00"]


def test_a_now_the_clocks_skip_is_a_usage_error_and_one_they_show_twice_is_the_first(make_site):
    """`--now 2026-03-29T02:30` on a Berlin site is no time there (the clocks go from 02:00 to
    03:00). Python gave it +01:00: compared with the site's times it was 02:30, before a page
    due at 03:15, but as 01:30 UTC it was after it, so the same moment written with an offset
    built another site. It is refused; a time shown twice (autumn) is the first of the two."""
    root = make_site({"content/messages/a.md": message("Alt", "2026-03-01"),
                      "content/messages/f.md": message("Frueh", "2026-03-28", "publish_at: 2026-03-29T03:15"),
                      "content/messages/h.md": message("Herbst", "2026-10-24", "publish_at: 2026-10-25T02:45:00+01:00")},
                     site_yaml=SITE_YAML)
    result = build_site(root, now="2026-03-29T02:30")
    assert result.exit_code == 2 and not (root / "_site").exists()
    assert ("--now '2026-03-29T02:30' does not exist in Europe/Berlin: the clocks skip it when they go forward "
            "(give the offset you mean, e.g. 2026-03-29T02:30:00+01:00)") in result.stderr
    for now, live in (("2026-03-29T01:59", False), ("2026-03-29T03:20", True), ("2026-03-29T01:20:00Z", True)):
        assert build_site(root, now=now).exit_code == 0
        assert (root / "_site/messages/f/index.html").exists() is live, now
    # 02:50 in summer time (00:50 UTC), not the 02:50 an hour later in winter time, after the embargo.
    assert build_site(root, now="2026-10-25T02:50").exit_code == 0
    assert not (root / "_site/messages/h/index.html").exists()
    # The digest's --since likewise.
    out = root.parent / "d.html"
    result = run_cli(root, "digest", "--now", "2026-04-01T08:00", "--since", "2026-03-29 02:30", "-o", str(out))
    assert result.exit_code == 2 and not out.exists()
    assert "--since '2026-03-29 02:30' does not exist in Europe/Berlin" in result.stderr
    assert run_cli(root, "digest", "--now", "2026-04-01T08:00", "--since", "2026-03-29", "-o", str(out)).exit_code == 0


def test_next_change_is_null_without_a_schedule(make_site):
    root = make_site({"content/messages/a.md": message("A", "2026-01-01")}, site_yaml=SITE_YAML)
    assert build_site(root).exit_code == 0
    assert json.loads((root / "_site/manifest.json").read_text())["next_change"] is None


def test_audience_build_ignores_other_audiences_schedule(make_site):
    root = make_site({
        "content/messages/a.md": message("A", "2026-01-01"),
        "content/messages/z.md": message("Z", "2026-12-01", "publish_at: 2026-12-01", "audiences: [zentrale]"),
    }, site_yaml=SITE_YAML)
    assert build_site(root, "--audience", "filiale").exit_code == 0
    assert json.loads((root / "_site/manifest.json").read_text())["next_change"] is None
    assert build_site(root).exit_code == 0
    assert json.loads((root / "_site/manifest.json").read_text())["next_change"] == "2026-12-01T00:00:00+01:00"


# ---------------------------------------------------------------- translation freshness

def _translated_site(make_site, translated_from: str) -> Path:
    return make_site({
        "content/messages/frische.md": message("Frische", "2026-03-01", body="Frische ist Haltung."),
        "content/messages/frische.en.md": message("Freshness", "2026-03-01", f"translated_from: '{translated_from}'",
                                                  body="Freshness is an attitude."),
    }, site_yaml=SITE_YAML)


def _source_hash(root: Path, url: str) -> str:
    pages = json.loads((root / "_site/manifest.json").read_text())["pages"]
    return next(page["source_hash"] for page in pages if page["url"] == url)


def test_stale_translation_gets_note_and_warning(make_site):
    root = _translated_site(make_site, "000000000000")
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert "content/messages/frische.en.md:4: warning[IM151]" in result.stderr
    assert "content/messages/frische.md has changed" in result.stderr
    page = parse(root / "_site/en/messages/frische/index.html")
    [note] = page.find("p", class_="translation-stale")
    assert "The original has changed since this translation" in note["text"]
    [link] = [a for a in page.find("a") if a["attrs"].get("hreflang") == "de" and "Frische" in a["text"]]
    assert link["attrs"]["href"] == "../../../messages/frische/index.html"
    assert not parse(root / "_site/messages/frische/index.html").find("p", class_="translation-stale")


def test_two_pages_of_one_language_with_one_translation_key_are_an_error(make_site):
    """A new message started from a copy of another keeps its `translation_key`: the German
    page's switch then led to one of the two English pages only, silently."""
    files = {
        "content/messages/kasse.md": message("Kasse", "2026-03-01", "translation_key: kasse"),
        "content/messages/kasse.en.md": message("Tills", "2026-03-01", "translation_key: kasse"),
        "content/messages/ostern.en.md": message("Easter", "2026-04-01", "translation_key: kasse"),
        "content/messages/ostern-entwurf.md": message("Ostern", "2026-04-01", "translation_key: kasse",
                                                      "draft: true"),  # not published: no clash
    }
    root = make_site(files, site_yaml=SITE_YAML)
    result = build_site(root)
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if "error" in line] == [
        "content/messages/ostern.en.md:4: error[IM160]: translation_key 'kasse' is also the key of "
        "content/messages/kasse.en.md, another page in 'en' (hint: give each page its own translation_key; "
        "its translations share it)",
        "1 error, 0 warnings"]
    assert "Traceback" not in result.stderr
    files["content/messages/ostern.en.md"] = message("Easter", "2026-04-01", "translation_key: ostern")
    assert build_site(make_site(files, site_yaml=SITE_YAML)).exit_code == 0


def test_a_translation_whose_original_is_not_found_is_a_warning(make_site):
    """`frische.en.md` beside `2026-frische.md`: not linked to its original, so its translated_from
    could never be found stale; it was silently ignored. An original this build leaves out
    (another audience's) is no such slip."""
    root = make_site({
        "content/messages/2026-frische.md": message("Frische", "2026-03-01"),
        "content/messages/frische.en.md": message("Freshness", "2026-03-01", "translated_from: 'a1b2c3d4e5f6'"),
        "content/messages/kasse.md": message("Kasse", "2026-03-01", "audiences: [filiale]"),
        "content/messages/kasse.en.md": message("Tills", "2026-03-01", "translated_from: 'a1b2c3d4e5f6'"),
    }, site_yaml=SITE_YAML)
    result = build_site(root, "--audience", "zentrale")
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM151") == [
        "content/messages/frische.en.md:4: warning[IM151]: translated_from, but no page in 'de' has the translation_key "
        "'message:messages/frische': there is no original to compare with "
        "(hint: name it like its original plus .en.md, or give both the same translation_key)"]


def test_a_hash_of_digits_only_unquoted_gets_a_hint_to_quote_it(make_site):
    root = make_site({
        "content/messages/frische.md": message("Frische", "2026-03-01"),
        "content/messages/frische.en.md": message("Freshness", "2026-03-01", "translated_from: 123456789012"),
    }, site_yaml=SITE_YAML)
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "content/messages/frische.en.md:4: error[IM006]: 'translated_from' should be a text, not 123456789012 (int) "
        "(hint: put it in quotes: unquoted, YAML reads it as a number)")


def test_a_changed_summary_or_quiz_of_the_original_makes_its_translation_stale(make_site):
    """The hash covered the title and body only: a corrected quiz answer or a new summary in the
    original left the English module and message marked up to date, with the old answer."""
    quiz = ("quiz:\n  - question: Wann?\n    options: [Morgens, Abends]\n    answer: {answer}\n"
            "    explain: Vor der Öffnung.\n")
    original = {
        "content/messages/frische.md": message("Frische", "2026-03-01", "summary: Kurz.", body="Frische ist Haltung."),
        "content/training/kasse.md": "---\ntitle: Kasse\n" + quiz.format(answer=0) + "---\n## Lektion\nText.\n"}

    def build(originals: dict, recorded: dict) -> tuple[Path, str]:
        files = {**originals,
                 "content/messages/frische.en.md": message("Freshness", "2026-03-01",
                                                           f"translated_from: '{recorded['messages/frische/']}'"),
                 "content/training/kasse.en.md": f"---\ntitle: Till\ntranslated_from: '{recorded['training/kasse/']}'\n"
                                                 "---\n## Lesson\nText.\n"}
        root = make_site(files, site_yaml=SITE_YAML)
        result = build_site(root)
        assert result.exit_code == 0, result.stderr
        return root, result.stderr

    root, _ = build(original, {"messages/frische/": "0", "training/kasse/": "0"})
    current = {url: _source_hash(root, url) for url in ("messages/frische/", "training/kasse/")}
    assert "IM151" not in build(original, current)[1]
    changed = {"content/messages/frische.md": original["content/messages/frische.md"].replace("Kurz.", "Neu."),
               "content/training/kasse.md": original["content/training/kasse.md"].replace("answer: 0", "answer: 1")}
    stale = [line.split(":")[0] for line in build(changed, current)[1].splitlines() if "IM151" in line]
    assert stale == ["content/messages/frische.en.md", "content/training/kasse.en.md"]


def test_a_hash_recorded_before_summaries_counted_is_still_up_to_date(make_site):
    """Hashes recorded by `check --hashes` of earlier versions (title and body only) do not all
    turn stale with the upgrade: the note would appear on every translated page, and
    `check --strict` fail in CI."""
    root = _translated_site(make_site, "000000000000")
    assert build_site(root).exit_code == 0
    title_and_body = _source_hash(root, "messages/frische/")  # no summary: the old hash and the new agree
    original = root / "content/messages/frische.md"
    original.write_text(original.read_text().replace("date: 2026-03-01", "date: 2026-03-01\nsummary: Kurz."))
    translation = root / "content/messages/frische.en.md"
    translation.write_text(translation.read_text().replace("000000000000", title_and_body))
    result = build_site(root)
    assert result.exit_code == 0 and "IM151" not in result.stderr, result.stderr
    assert _source_hash(root, "messages/frische/") != title_and_body


def test_up_to_date_translation_has_no_note(make_site):
    root = _translated_site(make_site, "000000000000")
    assert build_site(root).exit_code == 0
    current = _source_hash(root, "messages/frische/")
    root = _translated_site(make_site, current)
    result = build_site(root)
    assert result.exit_code == 0
    assert "IM151" not in result.stderr
    assert not parse(root / "_site/en/messages/frische/index.html").find("p", class_="translation-stale")


# ---------------------------------------------------------------- audiences

AUDIENCE_SITE = {
    "content/messages/alle.md": message("Für alle Teams", "2026-11-01"),
    "content/messages/filiale.md": message("Kasse neu", "2026-11-10", "audiences: [filiale]", "must_read: true"),
    "content/messages/zentrale.md": message("Nur Zentrale ZMARKER", "2026-11-11", "audiences: [zentrale]"),
    "content/messages/entwurf.md": message("Entwurf DRAFTMARKER", "2026-11-12", "audiences: [filiale]",
                                           "draft: true"),
    "content/messages/filiale.en.md": message("New tills", "2026-11-10", "audiences: [filiale]"),
    "content/training/kasse.md": "---\ntitle: Kassentraining\naudiences: [filiale]\n---\n## Lektion\nText.\n",
    "content/training/werte.md": "---\ntitle: Werte im Alltag\n---\n## Lektion\nText.\n",
}


def test_audience_home_lists_its_messages_modules_and_feed(make_site):
    root = make_site(AUDIENCE_SITE, site_yaml=SITE_YAML)
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    out = root / "_site"
    text = (out / "audiences/filiale/index.html").read_text()
    for title in ("Kasse neu", "Für alle Teams", "Kassentraining", "Werte im Alltag"):
        assert title in text
    assert "ZMARKER" not in text and "DRAFTMARKER" not in text
    page = parse(out / "audiences/filiale/index.html")
    assert any(a["attrs"].get("href") == "feed.xml" for a in page.find("a"))
    assert (out / "audiences/zentrale/index.html").is_file()
    assert (out / "en/audiences/filiale/index.html").is_file()
    assert not (out / "en/audiences/zentrale/index.html").exists()  # nothing addresses it in English
    index = (out / "audiences/index.html").read_text()
    assert "Filialteams" in index and "Zentrale" in index


def test_audience_home_shows_per_page_and_links_to_the_rest(make_site):
    """A large audience's entry point stays light: `per_page` targeted messages and modules,
    the rest in a paginated listing of its messages and in the training catalogue."""
    files = {f"content/messages/f{n}.md": message(f"Filialmeldung {n}", f"2026-10-{n:02d}", "audiences: [filiale]")
             for n in range(1, 6)}
    files.update({f"content/training/modul-{n}.md": f"---\ntitle: Modul {n}\nweight: {n}\naudiences: [filiale]\n---\n"
                  "## Lektion\nText.\n" for n in range(1, 4)})
    files["content/messages/zentrale.md"] = message("Nur Zentrale", "2026-10-20", "audiences: [zentrale]")
    root = make_site(files, site_yaml=SITE_YAML + "per_page: 2\n")
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    out = root / "_site"
    home = parse(out / "audiences/filiale/index.html")
    titles = [a["text"] for a in home.find("a") if a["text"].startswith(("Filialmeldung", "Modul ")) and "→" not in a["text"]]
    assert titles == ["Filialmeldung 5", "Filialmeldung 4", "Modul 1", "Modul 2"]
    links = {a["attrs"]["href"]: a["text"] for a in home.find("a")}
    assert links["messages/index.html"] == "Alle Nachrichten →"
    assert links["../../training/index.html"] == "Module →"
    pages = [out / "audiences/filiale/messages/index.html", out / "audiences/filiale/messages/page/2/index.html",
             out / "audiences/filiale/messages/page/3/index.html"]
    assert [[a["text"] for a in parse(page).find("a") if a["text"].startswith("Filialmeldung")] for page in pages] == [
        ["Filialmeldung 5", "Filialmeldung 4"], ["Filialmeldung 3", "Filialmeldung 2"], ["Filialmeldung 1"]]
    assert parse(pages[0]).find("h1")[0]["text"] == "Speziell für: Filialteams"
    back = [a["attrs"].get("href") for a in parse(pages[1]).find("a") if a["text"] == "Filialteams"]
    assert back == ["../../../index.html"]  # the kicker, back to the entry point
    # An audience with fewer messages than fit gets no listing, and no link to one.
    zentrale = parse(out / "audiences/zentrale/index.html")
    assert not (out / "audiences/zentrale/messages").exists()
    assert not any(a["attrs"].get("href", "").startswith("messages/") for a in zentrale.find("a"))


def test_audience_feed_has_its_messages_and_those_for_everyone(make_site):
    root = make_site(AUDIENCE_SITE, site_yaml=SITE_YAML)
    assert build_site(root).exit_code == 0
    feed = ET.parse(root / "_site/audiences/filiale/feed.xml").getroot()
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]
    assert titles == ["Kasse neu", "Für alle Teams"]
    assert feed.findtext(f"{ATOM}title") == "Test Intranet – Filialteams"
    self_link = next(link for link in feed.iter(f"{ATOM}link") if link.get("rel") == "self")
    assert self_link.get("href") == "https://intranet.example.com/audiences/filiale/feed.xml"


def test_audience_build_has_only_its_own_entry_point_and_no_reach(make_site):
    root = make_site(AUDIENCE_SITE, site_yaml=SITE_YAML)
    assert build_site(root, "--audience", "filiale").exit_code == 0
    out = root / "_site"
    assert (out / "audiences/filiale/index.html").is_file()
    assert (out / "audiences/filiale/feed.xml").is_file()
    assert not (out / "audiences/zentrale").exists()
    assert not (out / "reach").exists()


def test_a_translation_for_other_audiences_than_its_original_is_a_warning(make_site):
    """`audiences:` not copied into the translation put the English version of a message for
    the head office into the stores' edition, silently. A translation for fewer is a choice."""
    files = dict(AUDIENCE_SITE)
    files["content/messages/zentrale.en.md"] = message("Head office only ZMARKER", "2026-11-11")
    root = make_site(files, site_yaml=SITE_YAML)
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM160") == [
        "content/messages/zentrale.en.md:2: warning[IM160]: the translation is for everyone, its original "
        "content/messages/zentrale.md for zentrale (hint: audiences: [zentrale], as in the original)"]
    files["content/messages/zentrale.en.md"] = message("Head office only ZMARKER", "2026-11-11", "audiences: [zentrale]")
    files["content/messages/alle.en.md"] = message("For all teams", "2026-11-01", "audiences: [zentrale]")  # a choice
    assert "IM160" not in build_site(make_site(files, site_yaml=SITE_YAML)).stderr


def test_menu_and_site_links_to_another_audience_leave_its_edition_buildable(make_site):
    """A menu entry for one audience's entry point, or a site-path link to another audience's page,
    is left out of (menu) or plain text in (link) the other editions, with a warning: it used to be
    error IM101 "points to no page", so no other audience's edition could be built or published."""
    files = dict(AUDIENCE_SITE)
    files["content/messages/alle.md"] = message(
        "Für alle Teams", "2026-11-01", body="Siehe [die Filialseite](/audiences/filiale/) und [die Zentrale](/messages/zentrale/).")
    menu = "  - {label: Für Filialen, url: /audiences/filiale/}\n"
    root = make_site(files, site_yaml=SITE_YAML.replace("menu:\n", "menu:\n" + menu))
    result = build_site(root, "--audience", "zentrale")
    assert result.exit_code == 0, result.stderr
    assert "site.yaml:11: warning[IM105]: menu link '/audiences/filiale/' leads to another audience's page" in result.stderr
    assert "content/messages/alle.md:6: warning[IM105]: link to /audiences/filiale/" in result.stderr
    page = parse(root / "_site/messages/alle/index.html")
    assert [a["text"] for a in page.find("a") if "Filial" in a["text"]] == []
    assert "Siehe die Filialseite und" in (root / "_site/messages/alle/index.html").read_text()
    assert any(a["text"] == "die Zentrale" for a in page.find("a"))  # its own audience's page stays a link
    result = build_site(root, "--audience", "filiale")
    assert result.exit_code == 0, result.stderr
    assert "warning[IM105]: link to /messages/zentrale/" in result.stderr
    page = parse(root / "_site/messages/alle/index.html")
    assert [a["attrs"]["href"] for a in page.find("a") if a["text"] == "Für Filialen"] == ["../../audiences/filiale/index.html"]


# ---------------------------------------------------------------- reach report

def test_reach_report_counts_audiences_and_finds_pillar_gaps(make_site):
    files = dict(AUDIENCE_SITE)
    files["content/messages/fuehrung.md"] = message("Führung vor Ort", "2026-10-01", "pillars: [leadership]")
    files["content/messages/alt.md"] = message("Alte Schulung", "2026-03-01", "pillars: [training]")
    root = make_site(files, site_yaml=SITE_YAML)
    assert build_site(root).exit_code == 0
    page = parse(root / "_site/reach/index.html")
    cells = {(td["attrs"]["data-audience"], td["attrs"]["data-lang"], td["attrs"]["data-kind"]): td["text"].split()[0]
             for td in page.find("td") if "data-audience" in td["attrs"]}
    # filiale: its own message and the three for everyone (alle, fuehrung, alt); modules: kasse + werte.
    assert cells[("filiale", "de", "messages")] == "4"
    assert cells[("filiale", "de", "modules")] == "2"
    assert cells[("zentrale", "de", "messages")] == "4"
    assert cells[("zentrale", "de", "modules")] == "1"
    assert cells[("filiale", "en", "messages")] == "1"
    assert cells[("zentrale", "en", "messages")] == "0"
    gaps = {row["attrs"]["data-pillar"]: "is-gap" in (row["attrs"].get("class") or "")
            for row in page.find("tr") if "data-pillar" in row["attrs"]}
    assert gaps == {"leadership": False, "training": True}
    assert "reach/index.html" not in (root / "_site/index.html").read_text()



# ---------------------------------------------------------------- acknowledgement

def test_must_read_message_has_acknowledge_button(make_site):
    root = make_site({
        "content/messages/pflicht.md": message("Pflicht", "2026-11-01", "must_read: true",
                                               "translation_key: kasse 2026"),
        "content/messages/normal.md": message("Normal", "2026-11-02"),
    }, site_yaml=SITE_YAML)
    assert build_site(root, "--version", "v7").exit_code == 0
    page = parse(root / "_site/messages/pflicht/index.html")
    [button] = [a for a in page.find("a") if "data-ack-template" in a["attrs"]]
    assert button["attrs"]["href"] == "https://forms.example.com/ack?page=kasse%202026&version=dev"
    assert button["attrs"]["data-ack-template"] == "https://forms.example.com/ack?page=kasse%202026&version={version}"
    assert button["attrs"]["rel"] == "noopener noreferrer"  # the form's host learns the id, not the intranet's address
    assert "data-ack-template" not in (root / "_site/messages/normal/index.html").read_text()
    assert "v7" not in (root / "_site/messages/pflicht/index.html").read_text()


def test_acknowledge_url_without_id_warns(make_site):
    root = make_site({"content/messages/a.md": message("A", "2026-11-01", "must_read: true")},
                     site_yaml=SITE_YAML.replace("page={id}&", ""))
    result = build_site(root)
    assert result.exit_code == 0
    assert "warning[IM152]" in result.stderr


# ---------------------------------------------------------------- digest

DIGEST_SITE = {
    "content/messages/alt.md": message("Alte Nachricht OLDMARKER", "2026-10-01"),
    "content/messages/neu.md": message("Neu für alle", "2026-11-24", "summary: 'Kurz gesagt: alles frisch.'"),
    "content/messages/neuer.md": message("Noch neuer", "2026-11-25", body="Erster Absatz mit *Betonung*.\n\nZweiter."),
    "content/messages/pflicht.md": message("Pflicht Kasse", "2026-11-21", "must_read: true", "audiences: [filiale]",
                                           "author: Sven Krüger", "role: Vertrieb"),
    "content/messages/zentrale.md": message("Nur Zentrale ZMARKER", "2026-11-24", "audiences: [zentrale]"),
    "content/messages/entwurf.md": message("Entwurf DRAFTMARKER", "2026-11-24", "draft: true"),
    "content/messages/embargo.md": message("Embargo FUTUREMARKER", "2026-11-24", "publish_at: 2026-12-01"),
    "content/messages/neu.en.md": message("New for everyone", "2026-11-24"),
}


def _digest_titles(path: Path) -> list[str]:
    page = parse(path)
    return [h2["text"].strip() for h2 in page.find("h2")]


def test_digest_for_an_audience_lists_its_messages_must_read_first(make_site, tmp_path):
    root = make_site(DIGEST_SITE, site_yaml=SITE_YAML)
    out = tmp_path / "digest.html"
    result = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "--audience", "filiale", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert _digest_titles(out) == ["Pflicht Kasse", "Noch neuer", "Neu für alle"]
    text = out.read_text()
    for marker in ("OLDMARKER", "ZMARKER", "DRAFTMARKER", "FUTUREMARKER", "New for everyone"):
        assert marker not in text
    page = parse(out)
    assert "<table" in text and "<link" not in text and "<script" not in text
    assert any("#0A5C36" in (e["attrs"].get("style") or "") for e in page.elements)
    links = [a["attrs"]["href"] for a in page.find("a")]
    assert "https://intranet.example.com/messages/pflicht/" in links
    assert all(link.startswith(("https://", "mailto:")) for link in links)
    assert "Kurz gesagt: alles frisch." in text and "Erster Absatz mit Betonung." in text
    plain = (tmp_path / "digest.html.txt").read_text()
    assert plain.index("Pflicht Kasse") < plain.index("Noch neuer")
    assert "21. November 2026 · Sven Krüger, Vertrieb" in plain and "Sven Krüger, Vertrieb" in text  # both parts say who
    assert "https://intranet.example.com/messages/neu/" in plain
    # Readable by the mail job or web server that sends it on, like every file a build writes.
    assert {oct(path.stat().st_mode & 0o777) for path in (out, tmp_path / "digest.html.txt")} == {"0o644"}


def test_digest_since_and_language(make_site, tmp_path):
    root = make_site(DIGEST_SITE, site_yaml=SITE_YAML)
    out = tmp_path / "d.html"
    result = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "--since", "2026-09-01",
                     "--lang", "en", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert _digest_titles(out) == ["New for everyone"]
    result = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "--since", "2026-09-01", "-o", str(out))
    assert "Alte Nachricht OLDMARKER" in _digest_titles(out)
    assert "Nur Zentrale ZMARKER" in _digest_titles(out)  # no --audience: everything published


def test_the_whole_sites_digest_says_whom_a_message_is_for(make_site, tmp_path):
    """The digest mailed to everyone listed a must-read for the store teams as a must-read, with no
    word that it was theirs (the site's cards carry audience badges): head office read it as its
    own. A message addressed to audiences names them in both parts; one for everyone names none."""
    root = make_site(DIGEST_SITE, site_yaml=SITE_YAML)
    out = tmp_path / "d.html"
    result = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    lines = sorted(cell["text"].strip() for cell in parse(out).find("p") if cell["text"].startswith("2"))
    assert lines == ["21. November 2026 · Sven Krüger, Vertrieb · Für: Filialteams", "24. November 2026",
                     "24. November 2026 · Für: Zentrale", "25. November 2026"]
    plain = (tmp_path / "d.html.txt").read_text().splitlines()
    assert plain[plain.index("[PFLICHTLEKTÜRE] Pflicht Kasse") + 1] == "21. November 2026 · Sven Krüger, Vertrieb · Für: Filialteams"
    assert plain[plain.index("Nur Zentrale ZMARKER") + 1] == "24. November 2026 · Für: Zentrale"
    assert plain[plain.index("Neu für alle") + 1] == "24. November 2026"


def test_weekly_digests_at_midnight_mail_each_message_once(make_site, tmp_path):
    """A weekly digest job at midnight (the default --since: 7 days before) mailed a message with
    only a `date` (midnight) in two digests in a row: both ends of the week were included."""
    root = make_site({"content/messages/montag.md": message("Montagsnachricht", "2026-11-23"),
                      "content/messages/mitte.md": message("Mitte der Woche", "2026-11-26")}, site_yaml=SITE_YAML)
    weeks = {}
    for now in ("2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00"):
        out = tmp_path / f"{now[:10]}.html"
        assert run_cli(root, "digest", "--now", now, "-o", str(out)).exit_code == 0
        weeks[now[:10]] = _digest_titles(out)
    assert weeks == {"2026-11-23": [], "2026-11-30": ["Mitte der Woche", "Montagsnachricht"], "2026-12-07": []}
    # --since a date still takes in the messages of that day
    out = tmp_path / "since.html"
    assert run_cli(root, "digest", "--now", "2026-12-07T00:00:00+01:00", "--since", "2026-11-26", "-o", str(out)).exit_code == 0
    assert _digest_titles(out) == ["Mitte der Woche"]


def test_weekly_digests_across_a_change_of_daylight_saving_time_mail_each_message_once(make_site, tmp_path):
    """A weekly job at 08:00 Berlin time took the default --since as 168 hours back: across the
    end of summer time that started an hour after the previous job's run (a message of that hour
    was never mailed), across its start an hour before it (mailed twice). The week is 7 calendar
    days in the site's timezone."""
    root = make_site({"content/messages/alt.md": message("Alt", "2026-01-05"),
                      "content/messages/herbst.md": message("Herbstnachricht", "2026-10-19", "publish_at: 2026-10-19 08:30"),
                      "content/messages/fruehling.md": message("Frühlingsnachricht", "2027-03-22",
                                                               "publish_at: 2027-03-22 07:30")}, site_yaml=SITE_YAML)
    mailed = []
    for now in ("2026-10-19T08:00:00+02:00", "2026-10-26T08:00:00+01:00",  # summer time ends on 25 October
                "2027-03-22T08:00:00+01:00", "2027-03-29T08:00:00+02:00"):  # and starts on 28 March
        out = tmp_path / f"{now[:10]}.html"
        result = run_cli(root, "digest", "--now", now, "-o", str(out))
        assert result.exit_code == 0, result.stderr
        mailed += _digest_titles(out)
    assert mailed == ["Herbstnachricht", "Frühlingsnachricht"]
    # The week it names is in the site's calendar too, with a clock in UTC (as in CI) at 00:30 Berlin time.
    out = tmp_path / "utc.html"
    assert run_cli(root, "digest", "--now", "2026-11-29T23:30:00Z", "-o", str(out)).exit_code == 0
    assert (tmp_path / "utc.html.txt").read_text().splitlines()[2] == "23. November 2026 bis 30. November 2026"


def test_a_back_dated_message_is_mailed_in_the_week_it_was_published(make_site, tmp_path):
    """A message dated before it was merged (a letter of 2 November, merged on the 18th) went live
    by its date, before the week of every digest, and was never mailed. With --dest the digest
    reads the published versions: the message counts from the version that first had it; one
    not published yet waits for the digest after its publish. Each is mailed once."""
    root = make_site({"content/messages/alt.md": message("Alt", "2026-10-01")}, site_yaml=SITE_YAML)
    dest, mailed = tmp_path / "public", {}

    def publish(now: str) -> None:
        assert run_cli(root, "publish", "--dest", str(dest), "--version", now[:10], "--now", now).exit_code == 0

    def digest(now: str, *args: str) -> list[str]:
        out = tmp_path / f"{now[:10]}.html"
        result = run_cli(root, "digest", "--now", now, "-o", str(out), *args)
        assert result.exit_code == 0, result.stderr
        return _digest_titles(out)

    publish("2026-11-09T10:00:00+01:00")
    write_files(root, {"content/messages/brief.md": message("Brief vom 2. November", "2026-11-02")})
    publish("2026-11-18T10:00:00+01:00")
    write_files(root, {"content/messages/spaet.md": message("Noch nicht veröffentlicht", "2026-11-03")})
    assert digest("2026-11-23T08:00:00+01:00") == []  # by date alone: never in any week
    for now in ("2026-11-23T08:00:00+01:00", "2026-11-24T10:00:00+01:00", "2026-11-30T08:00:00+01:00"):
        if now.startswith("2026-11-24"):
            publish(now)
        else:
            mailed[now[:10]] = digest(now, "--dest", str(dest))
    assert mailed == {"2026-11-23": ["Brief vom 2. November"], "2026-11-30": ["Noch nicht veröffentlicht"]}
    # An audience's digest reads the whole site's versions when that audience is not published apart.
    assert digest("2026-11-23T08:00:00+01:00", "--dest", str(dest), "--audience", "filiale") == ["Brief vom 2. November"]
    result = run_cli(root, "digest", "-o", str(tmp_path / "x.html"), "--dest", str(tmp_path / "nichts"))
    assert result.exit_code == 1 and "IM170" in result.stderr and "no published versions here" in result.stderr


def test_a_back_dated_message_stands_by_its_date_among_newer_ones(make_site, tmp_path):
    """Mailed by when it went live, a letter dated 3 November published on the 21st stood above one
    of the 19th: the digest's dates read 3 November, 19 November. By date, as the site lists them."""
    root = make_site({"content/messages/alt.md": message("Alt", "2026-10-01")}, site_yaml=SITE_YAML)
    dest, out = tmp_path / "public", tmp_path / "d.html"
    for now, name, title, dated in (("2026-11-19T10:00:00+01:00", "neu", "Neu", "2026-11-19"),
                                    ("2026-11-21T10:00:00+01:00", "brief", "Brief vom 3. November", "2026-11-03")):
        write_files(root, {f"content/messages/{name}.md": message(title, dated)})
        assert run_cli(root, "publish", "--dest", str(dest), "--version", now[:10], "--now", now).exit_code == 0
    result = run_cli(root, "digest", "--now", "2026-11-23T08:00:00+01:00", "-o", str(out), "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert _digest_titles(out) == ["Neu", "Brief vom 3. November"]


def test_a_renamed_message_is_not_mailed_again(make_site, tmp_path):
    """A message renamed after it was mailed, with the `aliases:` IM172 asks for, was mailed again
    as new: the digest looked its address up in the published versions, and the new address was
    in none before the rename. Its old addresses count too, as for "What's new"."""
    root = make_site({"content/messages/alt.md": message("Alt", "2026-10-01"),
                      "content/messages/aktion.md": message("Weihnachtsaktion", "2026-11-02")}, site_yaml=SITE_YAML)
    dest, out = tmp_path / "public", tmp_path / "d.html"
    assert run_cli(root, "publish", "--dest", str(dest), "--version", "v1", "--now", "2026-11-03T10:00:00+01:00").exit_code == 0
    (root / "content/messages/aktion.md").unlink()
    write_files(root, {"content/messages/weihnachtsaktion.md": message("Weihnachtsaktion", "2026-11-02",
                                                                       "aliases: [/messages/aktion/]")})
    assert run_cli(root, "publish", "--dest", str(dest), "--version", "v2", "--now", "2026-11-18T10:00:00+01:00").exit_code == 0
    result = run_cli(root, "digest", "--now", "2026-11-23T08:00:00+01:00", "-o", str(out), "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert _digest_titles(out) == []


def test_digest_reads_a_version_date_without_offset_in_the_sites_timezone(make_site, tmp_path):
    """A versions.json whose dates have no offset (edited by hand, or written by another tool)
    stopped `digest --dest` with "internal error: TypeError: can't compare offset-naive and
    offset-aware datetimes". Such a date is read in the site's timezone, as every other."""
    root = make_site({"content/messages/alt.md": message("Alt", "2026-10-01")}, site_yaml=SITE_YAML)
    dest, out = tmp_path / "public", tmp_path / "d.html"
    for version, now in (("v1", "2026-11-09T10:00:00+01:00"), ("v2", "2026-11-23T07:30:00+01:00")):
        assert run_cli(root, "publish", "--dest", str(dest), "--version", version, "--now", now).exit_code == 0
        write_files(root, {"content/messages/brief.md": message("Brief vom 2. November", "2026-11-02")})
    versions = dest / "versions.json"
    versions.write_text(versions.read_text().replace("+01:00", ""))
    # v2 went out at 07:30 Berlin time (06:30 UTC): in the digest of 07:45, not yet at 07:15.
    for now, expected in (("2026-11-23T07:45:00+01:00", ["Brief vom 2. November"]), ("2026-11-23T07:15:00+01:00", [])):
        result = run_cli(root, "digest", "--now", now, "-o", str(out), "--dest", str(dest))
        assert result.exit_code == 0, result.stderr
        assert _digest_titles(out) == expected


def test_digest_of_a_language_without_pages_in_the_edition_links_to_a_home_that_exists(make_site, tmp_path):
    """The store teams' English digest when nothing in English is for them: the edition has no
    English home, so its link goes to the edition's home, not to a 404."""
    files = dict(DIGEST_SITE)
    files["content/messages/neu.en.md"] = message("New for head office", "2026-11-24", "audiences: [zentrale]")
    root = make_site(files, site_yaml=SITE_YAML)
    dest, out = tmp_path / "public", tmp_path / "d.html"
    assert run_cli(root, "publish", "--dest", str(dest), "--audience", "filiale", "--version", "v1",
                   "--now", "2026-11-26T12:00:00+00:00").exit_code == 0
    result = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "--audience", "filiale", "--lang", "en",
                     "--published", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    links = [a["attrs"]["href"] for a in parse(out).find("a") if not a["attrs"]["href"].startswith("mailto:")]
    assert links == ["https://intranet.example.com/filiale/latest/"]
    assert (tmp_path / "d.html.txt").read_text().splitlines()[-2] == "https://intranet.example.com/filiale/latest/"
    assert (dest / "filiale/latest/index.html").is_file() and not (dest / "filiale/latest/en").exists()
    result = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "--audience", "zentrale", "--lang", "en",
                     "--published", "-o", str(out))
    assert "https://intranet.example.com/zentrale/latest/en/" in [a["attrs"]["href"] for a in parse(out).find("a")]


def test_an_audiences_digest_links_into_the_site_that_is_published(make_site, tmp_path):
    """A team that publishes only the whole site mails each audience its digest (`--audience
    filiale --published --dest public`): every link led into `public/filiale/latest/`, which no
    publish wrote, so each one was a 404. `--dest` shows which is online: the whole site's `latest/`."""
    root = make_site({"content/messages/neu.md": message("Neu", "2026-11-24", "audiences: [filiale]")}, site_yaml=SITE_YAML)
    dest, out = tmp_path / "public", tmp_path / "d.html"

    def links() -> list[str]:
        result = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "--audience", "filiale", "--published",
                         "--dest", str(dest), "-o", str(out))
        assert result.exit_code == 0, result.stderr
        text = (tmp_path / "d.html.txt").read_text().splitlines()
        return [a["attrs"]["href"] for a in parse(out).find("a") if a["attrs"]["href"].startswith("https:")] + \
            [line for line in text if line.startswith("https:")]

    assert run_cli(root, "publish", "--dest", str(dest), "--version", "v1", "--now", "2026-11-25T12:00:00+00:00").exit_code == 0
    neu, home = "https://intranet.example.com/latest/messages/neu/", "https://intranet.example.com/latest/"
    assert links() == [neu, neu, home, neu, home]  # HTML: title, "Read more", home; text: the same
    assert (dest / "latest/messages/neu/index.html").is_file()
    # Once the audience's edition is published too, its own folder.
    assert run_cli(root, "publish", "--dest", str(dest), "--audience", "filiale", "--version", "v1",
                   "--now", "2026-11-25T12:00:00+00:00").exit_code == 0
    neu, home = "https://intranet.example.com/filiale/latest/messages/neu/", "https://intranet.example.com/filiale/latest/"
    assert links() == [neu, neu, home, neu, home]


def test_digest_with_path_base_url_warns_and_bad_flags_are_usage_errors(make_site, tmp_path):
    root = make_site(DIGEST_SITE)
    out = tmp_path / "d.html"
    result = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "-o", str(out))
    assert result.exit_code == 0
    assert "warning[IM153]" in result.stderr
    assert run_cli(root, "digest", "--since", "gestern", "-o", str(out)).exit_code == 2
    # A slip of the year mailed everyone an empty digest; now it is refused, and nothing is written.
    out.unlink()
    future = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "--since", "2027-11-01", "-o", str(out))
    assert future.exit_code == 2 and "--since '2027-11-01' is not before now" in future.stderr and not out.exists()
    assert run_cli(root, "digest", "--lang", "fr", "-o", str(out)).exit_code == 1  # like `new --lang fr`
    assert run_cli(root, "digest", "--audience", "niemand", "-o", str(out)).exit_code == 1


@pytest.mark.parametrize("target", ["site.yaml", "content/messages/a.md", "themes/marke/notiz.html", "LIESMICH.md",
                                    "notizen"])
def test_digest_never_overwrites_the_sites_files_or_a_file_that_is_no_digest(make_site, tmp_path, target):
    """`digest -o site.yaml` or `-o content/messages/a.md` (a slip of tab completion) replaced that
    file with the digest; `-o notizen` replaced notizen.txt with its plain-text part."""
    root = make_site({"content/messages/a.md": message("A", "2026-11-25"), "themes/marke/notiz.html": "<p>x</p>\n",
                      "LIESMICH.md": "# Lies mich\n", "notizen.txt": "Einkaufsliste\n"}, site_yaml=SITE_YAML)
    before = snapshot_tree(tmp_path)
    result = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "-o", str(root / target))
    assert result.exit_code == 1, result.stderr
    assert "error[IM050]: refusing to" in result.stderr and "Traceback" not in result.stderr
    assert snapshot_tree(tmp_path) == before


def test_digest_replaces_its_earlier_digest(make_site, tmp_path):
    root = make_site({"content/messages/a.md": message("A", "2026-11-25")}, site_yaml=SITE_YAML)
    out = tmp_path / "digest.html"
    for _ in range(2):
        result = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "-o", str(out))
        assert result.exit_code == 0, result.stderr
    assert "A" in (tmp_path / "digest.html.txt").read_text()


@pytest.mark.parametrize("fault", ["ctrl-c", "text part cannot be replaced"])
def test_digest_writes_both_parts_or_neither(make_site, tmp_path, monkeypatch, fault):
    """The HTML was written, then its text part: a Ctrl-C or a failure in between left this
    week's HTML beside last week's text, and a mailer sends the two together."""
    root = make_site({"content/messages/a.md": message("Alt", "2026-11-18"), "content/messages/b.md": message("Neu", "2026-11-25")},
                     site_yaml=SITE_YAML)
    mail = tmp_path / "mail"
    mail.mkdir()
    out = mail / "digest.html"
    assert run_cli(root, "digest", "--now", "2026-11-20T12:00:00+00:00", "-o", str(out)).exit_code == 0
    if fault == "ctrl-c":
        real = os.replace

        def replace(source, target, *args, **kwargs):  # noqa: ANN001, ANN202 - Ctrl-C right after the HTML's rename
            real(source, target, *args, **kwargs)
            if str(target).endswith(".html"):
                signal.raise_signal(signal.SIGINT)
        monkeypatch.setattr(os, "replace", replace)
    else:
        (mail / "digest.html.txt").unlink()
        (mail / "digest.html.txt").mkdir()
    before = snapshot_tree(mail)
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    try:
        result = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "-o", str(out))
    finally:
        signal.signal(signal.SIGINT, handler)
        monkeypatch.undo()
    assert "Traceback" not in result.stderr
    if fault == "ctrl-c":  # held over the two renames, like a build's: the new pair is complete
        assert result.exit_code == 0, result.stderr
        assert "Neu" in (mail / "digest.html.txt").read_text() and "Alt" not in (mail / "digest.html.txt").read_text()
    else:  # the old pair, and no temporary file beside it
        assert result.exit_code == 1 and "cannot write the digest" in result.stderr, result.stderr
        assert snapshot_tree(mail) == before


def test_digest_links_the_hero_image_by_absolute_url(make_site, tmp_path):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), "#0A5C36").save(buffer, "PNG")
    root = make_site({
        "content/assets/bild.png": buffer.getvalue(),
        "content/messages/bild.md": message("Mit Bild", "2026-11-25", "image: assets/bild.png",
                                            "image_alt: Ein grünes Rechteck"),
    }, site_yaml=SITE_YAML)
    out = tmp_path / "d.html"
    result = run_cli(root, "digest", "--now", "2026-11-26T12:00:00+00:00", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    [img] = parse(out).find("img")
    assert img["attrs"]["src"].startswith("https://intranet.example.com/")
    assert img["attrs"]["alt"] == "Ein grünes Rechteck"
    assert build_site(root).exit_code == 0
    assert (root / "_site" / img["attrs"]["src"].removeprefix("https://intranet.example.com/")).is_file()


def test_a_translation_key_given_to_one_of_two_files_named_as_translations_is_a_warning(make_site):
    """`kulanz.md` given a `translation_key` (as the README advises for must-reads) and `kulanz.en.md` left
    as it was: the two were silently no longer translations of each other (the English page's switch led
    to the German home, and the acknowledgement ids differed). A file whose language already has a page
    of that key is another page, not a forgotten translation."""
    files = {
        "content/messages/kulanz.md": message("Kulanz", "2026-03-01", "must_read: true", "translation_key: kulanz"),
        "content/messages/kulanz.en.md": message("Goodwill", "2026-03-01", "must_read: true"),
        "content/messages/kasse.md": message("Kasse", "2026-03-01"),
        "content/messages/kasse.en.md": message("Tills", "2026-03-01", "translation_key: tills"),
        "content/messages/tills.md": message("Kassen", "2026-03-01", "translation_key: tills"),
    }
    root = make_site(files, site_yaml=SITE_YAML)
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM160") == [
        "content/messages/kulanz.en.md:2: warning[IM160]: content/messages/kulanz.md (this file's name in 'de') has "
        "translation_key 'kulanz' and this file has none: the two are not linked as translations (language switch, "
        "translation note, must-read id) (hint: add translation_key: kulanz here too)"]
    files["content/messages/kulanz.en.md"] = message("Goodwill", "2026-03-01", "must_read: true", "translation_key: kulanz")
    root = make_site(files, site_yaml=SITE_YAML, folder="fixed")
    result = build_site(root)
    assert result.exit_code == 0 and "IM160" not in result.stderr, result.stderr
    [switch] = [a for a in parse(root / "_site/en/messages/kulanz/index.html").find("a")
                if a["attrs"].get("hreflang") == "de" and a["text"] == "DE"]
    assert switch["attrs"]["href"] == "../../../messages/kulanz/index.html"
