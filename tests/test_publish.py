"""Versioned publishing: three versions with changes between them, refusals, and failures that leave DIR alone."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import BASIC_SITE_YAML, NOW, run_cli, said, snapshot_tree, write_files

MESSAGE = """
---
title: {title}
date: {date}
---
{body}
"""


def message(title: str, date: str, body: str = "Text.") -> str:
    return MESSAGE.format(title=title, date=date, body=body)


V1 = {
    "content/messages/alpha.md": message("Alpha kommt", "2026-01-10"),
    "content/messages/beta.md": message("Beta kommt", "2026-02-10"),
    "content/info.md": "---\ntitle: Info-Seite\n---\nÜber uns.\n",
}


class Links(HTMLParser):
    """Every link, the meta refresh and the script tags of an HTML file."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.refresh: str | None = None
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))
        if tag == "meta" and found.get("http-equiv") == "refresh":
            self.refresh = found.get("content")
        if tag == "script":
            self.scripts.append(found)


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def publish(root: Path, dest: Path, *args: str, now: str = NOW):
    return run_cli(root, "publish", "--dest", str(dest), "--now", now, *args)


def snapshot(folder: Path) -> dict[str, object]:
    """Files by content and symlinks by target: what "DIR unchanged" means."""
    links = {p.relative_to(folder).as_posix(): os.readlink(p) for p in sorted(folder.rglob("*")) if p.is_symlink()}
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
             if p.is_file() and not p.is_symlink() and not any(part.is_symlink() for part in p.parents)}
    paths = sorted(os.path.relpath(os.path.join(top, name), folder)
                   for top, dirs, names in os.walk(folder) for name in dirs + names)
    return {"files": files, "links": links, "paths": paths} if folder.exists() else {}


@pytest.fixture
def three_versions(make_site, tmp_path: Path) -> tuple[Path, Path]:
    """v1; v2 adds gamma and changes alpha; v3 removes beta and changes the info page."""
    root = make_site(V1)
    dest = tmp_path / "public"
    result = publish(root, dest, "--version", "v1")
    assert result.exit_code == 0, result.stderr
    write_files(root, {"content/messages/gamma.md": message("Gamma kommt", "2026-03-10"),
                       "content/messages/alpha.md": message("Alpha kommt", "2026-01-10", "Neuer Text.")})
    result = publish(root, dest, "--version", "v2")
    assert result.exit_code == 0, result.stderr
    (root / "content/messages/beta.md").unlink()
    write_files(root, {"content/info.md": "---\ntitle: Info-Seite\n---\nÜber uns, neu.\n"})
    result = publish(root, dest, "--version", "v3")
    assert result.exit_code == 0, result.stderr
    return root, dest


def test_layout_versions_json_latest_and_redirect(three_versions):
    _, dest = three_versions
    assert sorted(p.name for p in (dest / "versions").iterdir()) == ["index.html", "v1", "v2", "v3", "versions.html"]
    for version in ("v1", "v2", "v3"):
        assert (dest / "versions" / version / "index.html").is_file()
        assert (dest / "versions" / version / "manifest.json").is_file()
    versions = json.loads((dest / "versions.json").read_text())
    assert [v["id"] for v in versions] == ["v3", "v2", "v1"]
    assert [v["latest"] for v in versions] == [True, False, False]
    assert [v["pages"] for v in versions] == [3, 4, 3]
    assert set(versions[0]) == {"id", "date", "commit", "pages", "latest"}
    assert (dest / "latest").is_symlink() and os.readlink(dest / "latest") == "versions/v3"
    assert (dest / "latest" / "index.html").read_bytes() == (dest / "versions/v3/index.html").read_bytes()
    index = parse(dest / "index.html")
    assert index.refresh and "latest/" in index.refresh and not index.scripts
    assert any(href.startswith("latest/") for href in index.hrefs)
    assert "<title>Test Intranet</title>" in (dest / "index.html").read_text()  # named like the site while it redirects
    assert "versions/v3/index.html" in parse(dest / "versions.html").hrefs
    assert "v1/index.html" in parse(dest / "versions" / "versions.html").hrefs
    # A reader who shortens an address to /versions/ gets the list, not a server's 403.
    assert (dest / "versions/index.html").read_bytes() == (dest / "versions/versions.html").read_bytes()
    assert not list(dest.rglob(".*")), "no staging or temporary files left"


def test_the_list_of_versions_looks_like_the_site(three_versions):
    """versions.html uses the newest version's stylesheets and brand, and dates as people write them."""
    _, dest = three_versions
    for page, folder in ((dest / "versions.html", dest), (dest / "versions/versions.html", dest / "versions")):
        html = page.read_text(encoding="utf-8")
        sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)
        assert len(sheets) >= 2 and all((folder / sheet).is_file() for sheet in sheets), sheets
        assert all("v3/assets/" in sheet for sheet in sheets)
        assert '<header class="site-header">' in html and "<script" not in html
        assert html.count("26. November 2026, 12:00") == 3  # NOW, in the site's timezone (UTC unless set)
        assert all((folder / href).is_file() for href in parse(page).hrefs if not href.startswith(("mailto:", "#")))
    # Each has the pages' icon, so no browser asks for a /favicon.ico that is not there.
    for page, folder in ((dest / "versions.html", dest), (dest / "versions/versions.html", dest / "versions"),
                         (dest / "index.html", dest)):
        [icon] = re.findall(r'<link rel="icon" href="([^"]+)">', page.read_text(encoding="utf-8"))
        assert (folder / icon).is_file(), (page, icon)


class Landmarks(HTMLParser):
    """The links of each landmark (header, nav, main, footer) of an HTML file, by the landmark's class."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.links: dict[str, list[tuple[str, dict[str, str | None]]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("header", "nav", "main", "footer"):
            self.open.append(f"{tag}.{(found.get('class') or '').split(' ')[0]}".rstrip("."))
            self.links.setdefault(self.open[-1], [])
        if tag == "a" and found.get("href"):
            for landmark in self.open:
                self.links[landmark].append((str(found["href"]), found))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("header", "nav", "main", "footer") and self.open:
            self.open.pop()


def test_the_list_of_versions_has_the_sites_header_menu_languages_and_footer(three_versions):
    """Readers who open "Alle Versionen" get the site's header (brand to the newest version's home,
    menu, language switch) and footer around the list, in the site language, and no script."""
    _, dest = three_versions
    for page, folder, newest in ((dest / "versions.html", dest, "versions/v3/"), (dest / "versions/versions.html",
                                                                                  dest / "versions", "v3/")):
        html = page.read_text(encoding="utf-8")
        found = Landmarks()
        found.feed(html)
        assert '<html lang="de"' in html and "<title>Alle Versionen – Test Intranet</title>" in html
        assert found.links["header.site-header"][0][0] == newest + "index.html"  # the brand
        assert [href for href, _ in found.links["nav.main-nav"]] == [newest + "messages/index.html"]
        assert [(href, a.get("hreflang")) for href, a in found.links["nav.lang-switch"]] == [
            (newest + "index.html", "de"), (newest + "index.html", "en")]  # no English pages: the home
        assert ("versions.html", "page") in [(href, a.get("aria-current")) for href, a in found.links["nav.version-links"]]
        assert any(href == "mailto:intern@example.com" for href, _ in found.links["footer.site-footer"])
        assert [href for href, _ in found.links["main"]] == [newest.replace("v3", v) + "index.html" for v in ("v3", "v2", "v1")]
        assert "<script" not in html
        assert all((folder / href).is_file() for href in parse(page).hrefs if not href.startswith(("mailto:", "#")))


def test_a_theme_whose_list_of_versions_fails_publishes_the_plain_list_with_a_warning(make_site, tmp_path):
    """Only `publish` renders versions.html: a theme's own that fails was dropped for the plain
    list without a word, so its author never learnt why the list did not look like the site."""
    root = make_site({**V1, "themes/t/theme.yaml": "extends: default\n",
                      "themes/t/templates/versions.html": "{% extends 'default:versions.html' %}\n"
                                                          "{% block main %}{{ missing.part }}{% endblock %}\n"},
                     site_yaml=BASIC_SITE_YAML + "theme: t\n")
    dest = tmp_path / "public"
    result = publish(root, dest, "--version", "v1")
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if "IM040" in line]
    assert warnings == ["themes/t/templates/versions.html:2: warning[IM040]: template error: 'missing' is undefined "
                        "(rendering versions.html, which is written without the theme) "
                        "(hint: versions.html is rendered by `im-site publish` only)"]
    assert 'href="versions/v1/index.html"' in (dest / "versions.html").read_text(encoding="utf-8")


def test_pages_link_to_versions_and_whats_new_without_version_ids(three_versions):
    _, dest = three_versions
    page = dest / "versions/v3/messages/gamma/index.html"
    hrefs = parse(page).hrefs
    assert "../../whats-new/index.html" in hrefs
    assert "../../../versions.html" in hrefs  # the no-JavaScript version list, from any version folder
    text = page.read_text()
    assert "v3" not in text and "v2" not in text
    v2 = json.loads((dest / "versions/v2/manifest.json").read_text())["pages"]
    v3 = json.loads((dest / "versions/v3/manifest.json").read_text())["pages"]
    hashes = {p["url"]: p["hash"] for p in v2}
    assert {p["url"]: p["hash"] for p in v3}["messages/gamma/"] == hashes["messages/gamma/"]
    # On the What's-new page itself its link is the current page, as the menu marks its own.
    assert '<a href="index.html" aria-current="page">' in (dest / "versions/v3/whats-new/index.html").read_text()
    assert 'aria-current="page">' not in text.split('class="version-links"')[1].split("</nav>")[0]


def whats_new(dest: Path, version: str) -> dict[str, list[str]]:
    """The links of the "New" and "Changed" sections of a version's what's-new page."""
    html = (dest / "versions" / version / "whats-new/index.html").read_text()
    sections = {}
    for name in ("added", "changed"):
        start = html.find(f'class="whats-new-{name}"')
        if start < 0:
            sections[name] = []
            continue
        chunk = html[start:html.find("</section>", start)]
        parser = Links()
        parser.feed(chunk)
        sections[name] = parser.hrefs
    return sections


def test_whats_new_lists_added_and_changed_pages(three_versions):
    _, dest = three_versions
    assert whats_new(dest, "v1") == {
        "added": ["../messages/beta/index.html", "../messages/alpha/index.html", "../info/index.html"],
        "changed": []}
    assert whats_new(dest, "v2") == {"added": ["../messages/gamma/index.html"],
                                     "changed": ["../messages/alpha/index.html"]}
    assert whats_new(dest, "v3") == {"added": [], "changed": ["../info/index.html"]}
    html = (dest / "versions/v3/whats-new/index.html").read_text()
    assert "v2" in html
    # beta, deleted in v3: said, but not named (a page taken down on purpose is not shown again)
    assert '<p class="whats-new-removed">Eine Seite der vorigen Version ist nicht mehr online (abgelaufen oder entfernt).</p>' in html
    assert "Beta" not in html
    assert 'class="whats-new-removed"' not in (dest / "versions/v2/whats-new/index.html").read_text()


def test_whats_new_says_a_version_that_only_took_a_page_down_took_it_down(make_site, tmp_path):
    """A version whose only change was a message expiring said "no page has changed"."""
    root = make_site(V1)
    dest = tmp_path / "public"
    assert publish(root, dest, "--version", "v1").exit_code == 0
    assert publish(root, dest, "--version", "v2", now="2027-01-01T12:00:00+00:00").exit_code == 0  # nothing changed
    assert "Seit der vorigen Version hat sich keine Seite geändert." in (dest / "versions/v2/whats-new/index.html").read_text()
    write_files(root, {"content/messages/beta.md": message("Beta kommt", "2026-02-10").replace("date:", "expires: 2027-01-15\ndate:")})
    result = publish(root, dest, "--version", "v3", now="2027-01-20T12:00:00+00:00")
    assert result.exit_code == 0, result.stderr
    html = (dest / "versions/v3/whats-new/index.html").read_text()
    assert "keine Seite geändert" not in html and "Eine Seite der vorigen Version ist nicht mehr online" in html
    assert whats_new(dest, "v3") == {"added": [], "changed": []}


def test_a_new_theme_or_menu_alone_changes_no_page_in_whats_new_and_diff(make_site, tmp_path):
    """What's new is for readers: it lists pages whose content changed, not every page because a
    stylesheet's fingerprint or the menu in the header did."""
    root = make_site(V1)
    dest = tmp_path / "public"
    assert publish(root, dest, "--version", "v1").exit_code == 0
    site_yaml = root / "site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace("label: Nachrichten", "label: Alle Nachrichten")
                         + "brand:\n  colors: {primary: '#0A5C36'}\n")
    assert publish(root, dest, "--version", "v2").exit_code == 0
    v1, v2 = dest / "versions/v1", dest / "versions/v2"
    assert (v1 / "info/index.html").read_bytes() != (v2 / "info/index.html").read_bytes()  # header and CSS link differ
    assert whats_new(dest, "v2") == {"added": [], "changed": []}
    assert json.loads(run_cli(root, "diff", "v1", "v2", "--dest", str(dest), "--format", "json").stdout)["changed"] == []
    write_files(root, {"content/info.md": "---\ntitle: Info-Seite\n---\nÜber uns, neu.\n"})
    assert publish(root, dest, "--version", "v3").exit_code == 0
    assert whats_new(dest, "v3") == {"added": [], "changed": ["../info/index.html"]}
    # A version published before manifests had content hashes is compared by whole HTML.
    manifest = v2 / "manifest.json"
    manifest.write_text(re.sub(r', "content_hash": "[0-9a-f]+"', "", manifest.read_text()))
    assert "content_hash" not in manifest.read_text()
    changed = json.loads(run_cli(root, "diff", "v2", "v3", "--dest", str(dest), "--format", "json").stdout)["changed"]
    assert [page["url"] for page in changed] == ["info/"]


def test_a_renamed_page_with_its_old_url_as_alias_is_not_new_in_whats_new(make_site, tmp_path):
    """A message renamed (its old URL kept as an alias) was listed as new: readers were told of a
    message they had read the week before. It is the same page; only an edit makes it changed."""
    root = make_site(V1)
    dest = tmp_path / "public"
    assert publish(root, dest, "--version", "v1").exit_code == 0
    (root / "content/messages/alpha.md").unlink()
    renamed = message("Alpha kommt", "2026-01-10").replace("date:", "aliases: [/messages/alpha/]\ndate:")
    write_files(root, {"content/messages/alpha-kommt.md": renamed})
    assert publish(root, dest, "--version", "v2").exit_code == 0
    assert whats_new(dest, "v2") == {"added": [], "changed": []}
    write_files(root, {"content/messages/alpha-kommt.md": renamed.replace("Text.", "Text, neu.")})
    assert publish(root, dest, "--version", "v3").exit_code == 0
    assert whats_new(dest, "v3") == {"added": [], "changed": ["../messages/alpha-kommt/index.html"]}


def test_a_link_to_a_page_that_expires_is_warned_ahead_and_does_not_stop_its_expiry(make_site, tmp_path):
    """A link to a page that has since expired was an error: the scheduled publish meant to take
    the page down failed, so the expired page stayed online (and every later publish failed). Now
    the link is warned about while both pages are live, and after the expiry it is plain text."""
    root = make_site({
        "content/messages/markt.md": "---\ntitle: Weihnachtsmarkt\ndate: 2026-12-14\nexpires: 2026-12-27\n---\nGlühwein.\n",
        "content/messages/gluehwein.md": "---\ntitle: Glühwein-Ausschank\ndate: 2026-12-15\n---\n"
                                         "Siehe [den Markt](markt.md)\nund [dort](/messages/markt/).\n",
        "content/messages/kurz.md": "---\ntitle: Nur bis Heiligabend\ndate: 2026-12-15\nexpires: 2026-12-24\n---\n"
                                    "Siehe [den Markt](markt.md).\n"})  # gone first: its link never dies
    dest = tmp_path / "public"
    before = publish(root, dest, "--version", "v1", now="2026-12-20T09:00:00+00:00")
    assert before.exit_code == 0, before.stderr
    assert said(before, "IM104") == [
        "content/messages/gluehwein.md:5: warning[IM104]: link to content/messages/markt.md, which expires 2026-12-27 "
        "while this page stays: from then on the link is plain text "
        "(hint: remove the link, or give this page expires: 2026-12-27)",
        "content/messages/gluehwein.md:6: warning[IM104]: link to content/messages/markt.md, which expires 2026-12-27 "
        "while this page stays: from then on the link is plain text "
        "(hint: remove the link, or give this page expires: 2026-12-27)"]
    after = publish(root, dest, "--version", "v2", now="2026-12-28T09:00:00+00:00")
    assert after.exit_code == 0, after.stderr
    assert ("content/messages/gluehwein.md:5: warning[IM104]: link to content/messages/markt.md, which has expired, "
            "shown as plain text (hint: remove the link)") in after.stderr.splitlines()
    assert ("content/messages/gluehwein.md:6: warning[IM104]: link to /messages/markt/, a page that has expired, "
            "shown as plain text (hint: remove the link)") in after.stderr.splitlines()
    assert not (dest / "latest/messages/markt").exists()
    page = dest / "latest/messages/gluehwein/index.html"
    assert "den Markt" in page.read_text() and "dort" in page.read_text() and not any("markt" in href for href in parse(page).hrefs)


def test_diff_text_and_json(three_versions):
    root, dest = three_versions
    result = run_cli(root, "diff", "v1", "v3", "--dest", str(dest), "--format", "json")
    assert result.exit_code == 0, result.stderr
    diff = json.loads(result.stdout)
    assert [p["url"] for p in diff["added"]] == ["messages/gamma/"]
    assert [p["url"] for p in diff["removed"]] == ["messages/beta/"]
    assert [p["url"] for p in diff["changed"]] == ["info/", "messages/alpha/"]
    text = run_cli(root, "diff", "v2", "v3", "--dest", str(dest)).stdout
    assert "- /messages/beta/  Beta kommt" in text
    assert "~ /info/  Info-Seite" in text
    assert "added (0):" in text
    missing = run_cli(root, "diff", "v2", "v9", "--dest", str(dest))
    assert missing.exit_code == 1 and "no published version 'v9'" in missing.stderr
    invalid = run_cli(root, "diff", "v2", "../v1", "--dest", str(dest))  # no --version was given
    assert invalid.exit_code == 1 and invalid.stderr.startswith(f"{dest}: error[IM171]: invalid version id '../v1'")


def test_diff_takes_latest_for_the_newest_version(three_versions):
    """A CI job compares what it just published with the version before without knowing the new id."""
    root, dest = three_versions
    result = run_cli(root, "diff", "v2", "latest", "--dest", str(dest), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(run_cli(root, "diff", "v2", "v3", "--dest", str(dest),
                                                           "--format", "json").stdout)
    assert run_cli(root, "diff", "latest", "v1", "--dest", str(dest)).stdout.startswith("v3 -> v1\n")
    empty = run_cli(root, "diff", "v1", "latest", "--dest", str(root / "nothing-here"))
    assert empty.exit_code == 1 and "no published versions here" in empty.stderr


def test_versions_command(three_versions):
    root, dest = three_versions
    result = run_cli(root, "versions", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["v3", "v2", "v1"]
    assert lines[0].endswith("latest") and not lines[1].endswith("latest")
    listed = json.loads(run_cli(root, "versions", "--dest", str(dest), "--format", "json").stdout)
    assert listed[0]["id"] == "v3" and listed[0]["latest"] is True


def test_pruning_keeps_the_newest(make_site, tmp_path):
    root = make_site(V1, site_yaml=BASIC_SITE_YAML + "versions: {keep: 2}\n")
    dest = tmp_path / "public"
    for version in ("a1", "a2", "a3"):
        assert publish(root, dest, "--version", version).exit_code == 0
    assert [v["id"] for v in json.loads((dest / "versions.json").read_text())] == ["a3", "a2"]
    assert sorted(p.name for p in (dest / "versions").iterdir()) == ["a2", "a3", "index.html", "versions.html"]
    assert os.readlink(dest / "latest") == "versions/a3"


def test_a_version_deleted_by_hand_leaves_the_lists_at_the_next_publish(make_site, tmp_path):
    """The README's way to take an old version down: delete its folder, publish. The version menu,
    the lists and versions.json no longer offer it (they kept it, a link to a 404, until `keep`
    pruned it), `versions` says its folder is gone meanwhile, and `keep` counts the versions there."""
    root = make_site(V1, site_yaml=BASIC_SITE_YAML + "versions: {keep: 3}\n")
    dest = tmp_path / "public"
    for version in ("a1", "a2", "a3"):
        assert publish(root, dest, "--version", version).exit_code == 0
    shutil.rmtree(dest / "versions" / "a2")
    listed = run_cli(root, "versions", "--dest", str(dest)).stdout.splitlines()
    assert listed[1].startswith("a2") and listed[1].endswith("(folder deleted)"), listed
    result = publish(root, dest, "--version", "a4", "-v")
    assert result.exit_code == 0, result.stderr
    assert "dropped a2 from the lists (folder deleted)" in result.stderr
    assert [v["id"] for v in json.loads((dest / "versions.json").read_text())] == ["a4", "a3", "a1"]
    for page in ("versions.html", "versions/index.html", "versions/versions.html"):
        assert not [href for href in parse(dest / page).hrefs if "a2/" in href], page
    assert "(folder deleted)" not in run_cli(root, "versions", "--dest", str(dest)).stdout


def test_ctrl_c_while_pruning_is_no_failure_and_the_next_publish_tidies_up(make_site, tmp_path, monkeypatch):
    """The new version is live once `latest` names it: a Ctrl-C while the oldest one is being
    deleted must not say "untouched" and exit 130 (CI would fail, and its retry be refused as
    already published), nor leave the half-deleted version on disk for good."""
    import im_site.publish as publish_module

    root = make_site(V1, site_yaml=BASIC_SITE_YAML + "versions: {keep: 1}\n")
    dest = tmp_path / "public"
    assert publish(root, dest, "--version", "a1").exit_code == 0
    real_rmtree = shutil.rmtree

    def interrupted_rmtree(path, *args, **kwargs):
        if Path(path).name.startswith(".pruned-"):
            real_rmtree(Path(path) / "index.html", ignore_errors=True)
            raise KeyboardInterrupt
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(publish_module.shutil, "rmtree", interrupted_rmtree)
    result = publish(root, dest, "--version", "a2")
    assert result.exit_code == 0, result.stderr
    assert "untouched" not in result.stderr
    assert os.readlink(dest / "latest") == "versions/a2"
    assert [v["id"] for v in json.loads((dest / "versions.json").read_text())] == ["a2"]
    monkeypatch.undo()
    assert publish(root, dest, "--version", "a3").exit_code == 0
    assert sorted(p.name for p in (dest / "versions").iterdir()) == ["a3", "index.html", "versions.html"]


def test_the_next_publish_removes_what_a_killed_publish_left(three_versions):
    """`kill -9` (the OOM killer, a CI runner's hard time-out) during a publish leaves its staging
    folder, a whole version, in versions/, and the temporary files of its renames; no later
    publish removed them, so every killed publish kept its copy on the web server's disk for good
    (and a server that shows hidden files served it). Such leftovers, as a killed publish names them:"""
    root, dest = three_versions
    staging = dest / "versions/.staging-k1ll3d_x"
    shutil.copytree(dest / "versions/v3", staging)
    (dest / ".versions.json.a1b2c3d4").write_text("[", encoding="utf-8")
    (dest / "versions/.versions.html.abcd_123").write_text("<", encoding="utf-8")
    os.symlink("versions/v3", dest / ".latest.4711.tmp")
    mine = [dest / ".versions.json.bak", dest / "versions/.staging-notes.txt"]  # not names a publish writes
    for path in mine:
        path.write_text("kept", encoding="utf-8")
    write_files(root, {"content/messages/delta.md": message("Delta kommt", "2026-04-10")})
    result = publish(root, dest, "--version", "v4")
    assert result.exit_code == 0, result.stderr
    hidden = sorted(p.relative_to(dest).as_posix() for p in [*dest.glob(".*"), *(dest / "versions").glob(".*")])
    assert hidden == [".versions.json.bak", "versions/.staging-notes.txt"]
    assert [v["id"] for v in json.loads((dest / "versions.json").read_text())] == ["v4", "v3", "v2", "v1"]


def test_files_unchanged_since_the_previous_version_are_hard_links_to_it(three_versions, make_site, tmp_path, monkeypatch):
    """Twenty versions of a site take little more room than one; each stays complete and as published."""
    _, dest = three_versions
    v2, v3 = dest / "versions/v2", dest / "versions/v3"
    same = [path for path in sorted(v3.rglob("*")) if path.is_file() and (v2 / path.relative_to(v3)).is_file()
            and path.read_bytes() == (v2 / path.relative_to(v3)).read_bytes()]
    assert len(same) > 10 and all(path.stat().st_ino == (v2 / path.relative_to(v3)).stat().st_ino for path in same)
    changed = v3 / "info" / "index.html"
    assert changed.stat().st_nlink == 1 and "Über uns, neu." in changed.read_text(encoding="utf-8")
    assert "Über uns." in (v2 / "info" / "index.html").read_text(encoding="utf-8")  # v2 as it was published
    # Where hard links cannot be made (another disk, a file system without them) the files are written.
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    root = make_site(V1, folder="other")
    for version in ("a1", "a2"):
        assert publish(root, tmp_path / "other-public", "--version", version).exit_code == 0
    a1, a2 = tmp_path / "other-public/versions/a1", tmp_path / "other-public/versions/a2"
    assert snapshot_tree(a2).keys() == snapshot_tree(a1).keys() and (a2 / "index.html").stat().st_nlink == 1


def test_duplicate_id_is_refused_and_dir_unchanged(three_versions):
    root, dest = three_versions
    before = snapshot(dest)
    result = publish(root, dest, "--version", "v2")
    assert result.exit_code == 1
    assert "already published" in result.stderr
    assert snapshot(dest) == before


def test_a_versions_date_is_in_utc_whatever_offset_now_has(make_site, tmp_path):
    """The README says `versions` lists dates in UTC; a `--now` with an offset (or none, read in
    the site's timezone) was stored as given, so dates of one list were in several zones."""
    root = make_site(V1)
    dest = tmp_path / "public"
    assert publish(root, dest, "--version", "v1", now="2026-06-01T10:00:00+02:00").exit_code == 0
    assert publish(root, dest, "--version", "v2", now="2026-06-02T10:00:00").exit_code == 0  # the site's timezone: UTC
    dates = [entry["date"] for entry in json.loads((dest / "versions.json").read_text())]
    assert dates == ["2026-06-02T10:00:00+00:00", "2026-06-01T08:00:00+00:00"]


def test_a_page_moved_without_an_alias_is_a_warning_at_its_address_line(make_site, tmp_path):
    """A new `slug:` or file name moved a page, and links already mailed and readers' bookmarks led
    to the 404 page of latest/ without a word. With the old address among its aliases, or a page of
    its own there, nothing is said; an expired page is gone on purpose."""
    root = make_site(V1)
    dest = tmp_path / "public"
    assert publish(root, dest, "--version", "v1").exit_code == 0
    write_files(root, {"content/messages/alpha.md": "---\ntitle: Alpha kommt\ndate: 2026-01-10\nslug: alpha-neu\n---\nText.\n"})
    (root / "content/info.md").rename(root / "content/ueber-uns.md")
    (root / "content/info.md").write_text("---\ntitle: Info neu\ntranslation_key: andere\n---\nNeu.\n", encoding="utf-8")
    (root / "content/messages/beta.md").rename(root / "content/messages/beta-kommt.md")
    result = publish(root, dest, "--version", "v2")
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM172") == [
        "content/messages/alpha.md:4: warning[IM172]: the page was at /messages/alpha/ in version v1 and is now at "
        "/messages/alpha-neu/: links and bookmarks to its old address lead nowhere (hint: add aliases: "
        "[/messages/alpha/] to its front matter)",
        "content/messages/beta-kommt.md:2: warning[IM172]: the page was at /messages/beta/ in version v1 and is now at "
        "/messages/beta-kommt/: links and bookmarks to its old address lead nowhere (hint: add aliases: "
        "[/messages/beta/] to its front matter)"], result.stderr
    write_files(root, {"content/messages/alpha.md": "---\ntitle: Alpha kommt\ndate: 2026-01-10\nslug: alpha-2\n"
                                                    "aliases: [/messages/alpha-neu/]\n---\nText.\n"})
    result = publish(root, dest, "--version", "v3")
    assert result.exit_code == 0 and "IM172" not in result.stderr, result.stderr


def test_a_page_renamed_and_edited_at_once_is_still_found_moved(make_site, tmp_path):
    """A file renamed in the merge that also edits its text (a new name, a new line) has another
    source, key and text than the page it was: no IM172, and links already mailed led to the 404
    page without a word. A page of the same title, language and type, the only one, is taken for it
    once the old file is gone (one whose namesake is now a draft, or has expired, was not moved)."""
    root = make_site({**V1, "content/messages/plan.md": message("Wochenplan", "2026-01-05")})
    dest = tmp_path / "public"
    assert publish(root, dest, "--version", "v1").exit_code == 0
    (root / "content/messages/beta.md").unlink()
    write_files(root, {"content/messages/beta-2026.md": message("Beta kommt", "2026-02-10", "Neu."),
                       "content/messages/plan.md": message("Wochenplan", "2026-01-05").replace("---\n", "---\ndraft: true\n", 1),
                       "content/messages/plan-2.md": message("Wochenplan", "2026-01-12", "Neu.")})
    result = publish(root, dest, "--version", "v2")
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM172") == [
        "content/messages/beta-2026.md:2: warning[IM172]: the page was at /messages/beta/ in version v1 and is now at "
        "/messages/beta-2026/: links and bookmarks to its old address lead nowhere (hint: add aliases: "
        "[/messages/beta/] to its front matter)"], result.stderr


def test_a_must_read_whose_acknowledgement_id_changes_is_a_warning(make_site, tmp_path):
    """A must-read's acknowledgement id is made from its file's path when it has no translation_key:
    renamed (its address kept with `slug:`) it sent the form another id from one version to the next,
    and the readers of one message were counted under two ids without a word."""
    must = "---\ntitle: Kasse neu\ndate: 2026-01-10\nmust_read: true\n{extra}---\nBitte lesen.\n"
    ack = "acknowledge_url: https://forms.example.com/ack?page={id}&version={version}\n"
    root = make_site({**V1, "content/messages/kasse.md": must.format(extra="")}, site_yaml=BASIC_SITE_YAML + ack)
    dest = tmp_path / "public"
    assert publish(root, dest, "--version", "v1").exit_code == 0
    (root / "content/messages/kasse.md").unlink()
    write_files(root, {"content/messages/kasse-2027.md": must.format(extra="slug: kasse\n")})
    result = publish(root, dest, "--version", "v2")
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM173") == [
        "content/messages/kasse-2027.md:4: warning[IM173]: the acknowledgement id of this must-read is now "
        "'message:messages/kasse-2027', 'message:messages/kasse' in version v1: the form counts its readers under "
        "two ids (hint: set translation_key: 'message:messages/kasse' here and in its translations)"], result.stderr
    write_files(root, {"content/messages/kasse-2027.md": must.format(extra="slug: kasse\ntranslation_key: message:messages/kasse\n")})
    result = publish(root, dest, "--version", "v3")
    assert result.exit_code == 0 and "IM173" not in result.stderr, result.stderr
    html = (dest / "versions/v3/messages/kasse/index.html").read_text(encoding="utf-8")
    assert "page=message%3Amessages%2Fkasse&amp;" in html  # the id v1 sent
    write_files(root, {"content/messages/kasse-2027.md": must.format(extra="slug: kasse\ntranslation_key: kasse-2027\n")})
    result = publish(root, dest, "--version", "v4")
    assert "content/messages/kasse-2027.md:6: warning[IM173]: the acknowledgement id of this must-read is now 'kasse-2027', " \
           "'message:messages/kasse' in version v3" in result.stderr, result.stderr


def test_a_ci_job_run_again_publishes_nothing_with_if_new(three_versions):
    """A job that published its commit and failed afterwards (a deploy step) could not be run again:
    the same id is refused, exit 1, as a build error is. With --if-new that is exit 0, nothing written."""
    root, dest = three_versions
    before = snapshot(dest)
    result = publish(root, dest, "--version", "v2", "--if-new")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("version v2 is already published into ")
    assert result.stderr.strip().endswith("; nothing written (--if-new)")
    assert snapshot(dest) == before
    assert "(hint: publish with another --version)" in publish(root, dest, "--version", "v2").stderr
    result = publish(root, dest, "--version", "v4", "--if-new")  # a new id: published as ever
    assert result.exit_code == 0 and (dest / "versions/v4/index.html").is_file()


def test_a_publish_stopped_before_it_swapped_latest_is_completed_by_the_job_run_again(three_versions):
    """A publish killed (a CI time-out, kill -9) after listing its version in versions.json and before
    swapping `latest` left readers on the version before; the job run again with --if-new found its
    version published and wrote nothing, so they stayed there until the next merge."""
    root, dest = three_versions
    os.remove(dest / "latest")
    os.symlink("versions/v2", dest / "latest")  # what the stopped publish of v3 left
    result = publish(root, dest, "--version", "v3", "--if-new")
    assert result.exit_code == 0, result.stderr
    assert os.readlink(dest / "latest") == "versions/v3"
    assert result.stderr.strip().endswith("; only `latest` was pointed at v3 again, as versions.json lists it "
                                          "(a publish had been stopped before it did)"), result.stderr
    assert not list(dest.glob(".latest.*")), "no temporary link left"
    os.remove(dest / "latest")  # a first publish stopped before it made the link at all
    result = publish(root, dest, "--version", "v3", "--if-new")
    assert result.exit_code == 0 and os.readlink(dest / "latest") == "versions/v3", result.stderr


def test_a_version_folder_a_stopped_publish_left_unlisted_says_so(three_versions):
    """A publish killed between writing versions/<id> and listing it left a folder that refused
    every later publish of that id with "already published; commit your changes"."""
    root, dest = three_versions
    shutil.copytree(dest / "versions/v3", dest / "versions/v9", symlinks=True)
    result = publish(root, dest, "--version", "v9", "--if-new")
    assert result.exit_code == 1
    assert ("versions/v9: error[IM170]: versions/v9 is not in versions.json: a publish into this folder was stopped "
            "after writing it and before listing it, so readers were never shown it (hint: delete that folder and "
            "publish again)") in result.stderr
    shutil.rmtree(dest / "versions/v9")
    assert publish(root, dest, "--version", "v9").exit_code == 0


@pytest.mark.parametrize("bad", ["../x", "a/b", "..", ".hidden", "x" * 65, "latest", "versions", "404.html", "a b", "ä"])
def test_invalid_version_ids_are_refused(make_site, tmp_path, bad):
    root = make_site(V1)
    result = publish(root, tmp_path / "public", "--version", bad)
    assert result.exit_code == 1
    assert "IM171" in result.stderr
    assert not (tmp_path / "public").exists()


def test_drafts_and_future_are_refused(make_site, tmp_path):
    root = make_site(V1)
    for flag in ("--drafts", "--future"):
        result = publish(root, tmp_path / "public", flag)
        assert result.exit_code == 1
        assert "publish refuses drafts/scheduled pages" in result.stderr
    assert not (tmp_path / "public").exists()


def test_build_error_leaves_dir_unchanged(three_versions):
    root, dest = three_versions
    before, tree = snapshot(dest), snapshot_tree(dest)
    write_files(root, {"content/messages/broken.md": message("Kaputt", "2026-04-01", "[weg](nirgends.md)")})
    result = publish(root, dest, "--version", "v4")
    assert result.exit_code == 1
    assert "IM101" in result.stderr
    assert snapshot(dest) == before
    assert snapshot_tree(dest) == tree


def test_a_build_into_published_versions_is_refused_and_dir_unchanged(three_versions, make_site, tmp_path):
    """`im-site build -o DIR` (or `output_dir` naming the CI's `public`) replaces its folder whole:
    it deleted every published version without a word."""
    root, dest = three_versions
    publish(root, tmp_path / "editions", "--audience", "filiale", "--version", "f1")
    before, editions = snapshot(dest), snapshot(tmp_path / "editions")
    for target in (dest, dest / "latest", dest / "versions" / "v1", tmp_path / "editions"):
        result = run_cli(root, "build", "--now", NOW, "-o", str(target))
        assert result.exit_code == 1, target
        assert "IM050" in result.stderr and "published with `im-site publish`" in result.stderr
    assert snapshot(dest) == before and snapshot(tmp_path / "editions") == editions
    assert run_cli(root, "build", "--now", NOW, "-o", str(tmp_path / "_site")).exit_code == 0


def test_a_publish_into_a_built_site_is_refused_and_it_stays_unchanged(make_site, tmp_path):
    """`publish --dest _site` replaced the build's home page by the redirect and left its pages
    beside the versions, where a server went on serving them."""
    root = make_site(V1)
    built = tmp_path / "_site"
    assert run_cli(root, "build", "--now", NOW, "-o", str(built)).exit_code == 0
    before = snapshot(built)
    result = publish(root, built, "--version", "v1")
    assert result.exit_code == 1
    assert f"{built}: error[IM170]: refusing to publish here" in result.stderr
    assert snapshot(built) == before


@pytest.mark.parametrize("audience", [None, "filiale"])
def test_a_first_publish_never_overwrites_files_it_did_not_write(make_site, tmp_path, audience):
    """`publish --dest` into a web root with its own index.html and 404.html overwrote both (and the
    files stayed lost: only a failed publish is undone). Other files beside them are no reason to refuse."""
    root = make_site(V1)
    www = tmp_path / "www"
    folder = www / audience if audience else www
    write_files(folder, {"index.html": "<h1>Unsere Startseite</h1>\n", "404.html": "weg\n"})
    before = snapshot(www)
    result = publish(root, www, "--version", "v1", *(["--audience", audience] if audience else []))
    assert result.exit_code == 1, result.stderr
    assert f"{folder}: error[IM170]: refusing to publish here: index.html, 404.html would be overwritten" in result.stderr
    assert snapshot(www) == before
    (folder / "index.html").unlink()
    (folder / "404.html").unlink()
    (folder / "robots.txt").write_text("User-agent: *\n")
    assert publish(root, www, "--version", "v1", *(["--audience", audience] if audience else [])).exit_code == 0
    assert publish(root, www, "--version", "v2", *(["--audience", audience] if audience else [])).exit_code == 0
    assert (folder / "robots.txt").read_text() == "User-agent: *\n"


@pytest.mark.parametrize("failing_call", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_failure_midway_leaves_dir_unchanged(three_versions, monkeypatch, failing_call, error):
    """Disk full or Ctrl-C at each rename of the commit: everything done so far is undone."""
    import im_site.publish as publish_module

    root, dest = three_versions
    write_files(root, {"content/messages/delta.md": message("Delta kommt", "2026-04-10")})
    before = snapshot(dest)
    calls = []
    real_replace = os.replace

    def flaky_replace(source, target):
        calls.append(target)
        if len(calls) == failing_call:
            raise error
        return real_replace(source, target)

    monkeypatch.setattr(publish_module.os, "replace", flaky_replace)
    if isinstance(error, KeyboardInterrupt):
        result = publish(root, dest, "--version", "v4")
        assert result.exit_code == 130
    else:
        result = publish(root, dest, "--version", "v4")
        assert result.exit_code == 1
        assert "No space left" in result.stderr
    assert snapshot(dest) == before


@contextlib.contextmanager
def read_only(dest: Path) -> Iterator[None]:
    """`dest` cannot be written to while the block runs (root ignores permission bits: chattr +i)."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(dest)], capture_output=True).returncode:
            pytest.skip("root ignores permission bits and chattr +i is unavailable here")
        undo = ["chattr", "-i", str(dest)]
    else:
        dest.chmod(0o555)
        undo = None
    try:
        yield
    finally:
        subprocess.run(undo, check=True) if undo else dest.chmod(0o755)


def test_read_only_destination_leaves_dir_unchanged(three_versions):
    root, dest = three_versions
    write_files(root, {"content/messages/delta.md": message("Delta kommt", "2026-04-10")})
    before = snapshot(dest)
    with read_only(dest):
        result = publish(root, dest, "--version", "v4")
    assert result.exit_code == 1
    # the folder that cannot be written, not the random name of a temporary file in it
    assert result.stderr.startswith(f"{dest}: error[IM050]: cannot publish: "), result.stderr
    assert snapshot(dest) == before


def test_a_folder_whose_parent_cannot_be_written_is_published_into(make_site, tmp_path):
    """A CI user allowed to write /srv/im-site but not /srv (docs/gitlab-ci.yml's shell runner)
    could not publish at all: the lock file went beside the folder, "/srv/.im-site.lock:
    error[IM050]: cannot write beside the output folder". Publishing writes nothing outside DIR."""
    root = make_site(V1)
    parent = tmp_path / "srv"
    dest = parent / "im-site"
    dest.mkdir(parents=True)
    with read_only(parent):
        first = publish(root, dest, "--version", "v1")
        write_files(root, {"content/messages/gamma.md": message("Gamma kommt", "2026-03-10")})
        second = publish(root, dest, "--version", "v2")
    assert first.exit_code == 0, first.stderr
    assert second.exit_code == 0, second.stderr
    assert [p.name for p in parent.iterdir()] == ["im-site"]
    assert os.readlink(dest / "latest") == "versions/v2"


@pytest.mark.parametrize("existing", [False, True])
def test_a_failed_first_publish_leaves_no_lock_or_folder_behind(make_site, tmp_path, existing):
    """The lock lives inside DIR; a first publish that fails takes it away again, and DIR too
    when the publish made it."""
    root = make_site({**V1, "content/info.md": "---\ntitle: Info-Seite\n---\n[kaputt](fehlt.md)\n"})
    dest = tmp_path / "public"
    if existing:
        dest.mkdir()
    result = publish(root, dest, "--version", "v1")
    assert result.exit_code == 1 and "IM101" in result.stderr
    assert (sorted(dest.iterdir()) == []) if existing else not dest.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == (["public", "site"] if existing else ["site"])


def test_a_failed_publish_names_the_folder_from_the_site(make_site):
    """"cannot publish: ...; /tmp/.../site/public is unchanged" named by absolute path the folder the
    diagnostic itself names `public/versions`, from the site folder, as every other message does."""
    root = make_site(V1)
    dest = root / "public"
    dest.mkdir()
    with read_only(dest):
        result = publish(root, dest, "--version", "v1")
    assert result.exit_code == 1
    assert re.match(r"public: error\[IM050\]: cannot publish: [^;/]+; public is unchanged$",  # its lock comes first
                    result.stderr.splitlines()[0]), result.stderr


def test_progress_names_the_folders_from_the_site(make_site):
    """`-v` said "built 12 files into /home/anna/intranet/_site": the folders are named as the
    diagnostics name paths, from the site folder."""
    root = make_site(V1)
    published = run_cli(root, "publish", "-v", "--dest", str(root / "public"), "--version", "v1", "--now", NOW)
    assert published.exit_code == 0 and "published version v1 into public\n" in published.stderr, published.stderr
    built = run_cli(root, "build", "-v", "--now", NOW)
    assert re.search(r"^built \d+ files into _site", built.stderr, re.M), built.stderr


def test_audience_publish_goes_into_its_own_folder(make_site, tmp_path):
    root = make_site({**V1, "content/messages/filiale.md": "---\ntitle: Nur Filialen\ndate: 2026-02-01\n"
                      "audiences: [filiale]\n---\nText.\n"})
    dest = tmp_path / "public"
    assert publish(root, dest, "--version", "f1", "--audience", "filiale").exit_code == 0
    assert publish(root, dest, "--version", "z1", "--audience", "zentrale").exit_code == 0
    assert os.readlink(dest / "filiale" / "latest") == "versions/f1"
    assert (dest / "filiale/versions/f1/messages/filiale/index.html").is_file()
    assert not (dest / "zentrale/versions/z1/messages/filiale").exists()
    assert not (dest / "index.html").exists()
    unknown = publish(root, dest, "--version", "x1", "--audience", "nobody")
    assert unknown.exit_code == 1 and "IM020" in unknown.stderr


def test_version_id_from_clock_outside_git(make_site, tmp_path):
    root = make_site(V1)
    dest = tmp_path / "public"
    env_git = shutil.which("git")
    result = publish(root, dest, now="2026-11-26T13:34:56+01:00")  # the id says the time in UTC
    assert result.exit_code == 0, result.stderr
    ids = [v["id"] for v in json.loads((dest / "versions.json").read_text())]
    if env_git and subprocess.run(["git", "rev-parse"], cwd=root, capture_output=True).returncode == 0:
        pytest.skip("the temporary folder is inside a git checkout")
    assert ids == ["20261126-123456"]


def test_version_id_from_git(make_site, tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = make_site(V1)
    # Committed in Berlin's summer time: the id says the time in UTC, as an id from the clock does.
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-03-04T07:06:07+02:00", "GIT_COMMITTER_DATE": "2026-03-04T07:06:07+02:00",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for command in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-q", "-m", "x"]):
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    dest = tmp_path / "public"
    result = publish(root, dest)
    assert result.exit_code == 0, result.stderr
    entry = json.loads((dest / "versions.json").read_text())[0]
    assert entry["id"] == f"20260304-050607-{head[:7]}"
    assert entry["commit"] == head
    # An edit published before it is committed gets the same id: the refusal says why.
    (root / "content/messages/neu.md").write_text("---\ntitle: Neu\ndate: 2026-03-05\n---\nText.\n", encoding="utf-8")
    again = publish(root, dest)
    assert again.exit_code == 1
    assert "hint: the id comes from the last git commit: commit your changes, publish with --version ID, or, for a CI job run again, add --if-new" in again.stderr
    assert "hint: publish with another --version" in publish(root, dest, "--version", entry["id"]).stderr


def test_a_checkout_git_refuses_to_read_is_an_error_not_an_id_from_the_clock(make_site, tmp_path, monkeypatch):
    """In a CI container the checkout often belongs to another user and git refuses it ("dubious
    ownership"): the id silently came from the clock, without a commit, and each run of the job
    published the commit again. (GIT_TEST_ASSUME_DIFFERENT_OWNER is git's own switch for that case.)"""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = make_site(V1)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for command in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-q", "-m", "x"]):
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    result = publish(root, tmp_path / "public")
    assert result.exit_code == 1
    assert (f"{root}: error[IM170]: git refuses to read this checkout: it belongs to another user (\"detected dubious "
            "ownership\"), so the version id cannot come from the commit (hint: let git read it: git config --global "
            f"--add safe.directory {root}; or publish with --version ID)") in result.stderr, result.stderr
    assert not (tmp_path / "public").exists()
    assert publish(root, tmp_path / "public", "--version", "v1").exit_code == 0


def test_second_publish_while_one_runs_fails_fast(make_site, tmp_path):
    from im_site.output import locked_inside

    root = make_site(V1)
    dest = tmp_path / "public"
    with locked_inside(dest.absolute()):
        result = publish(root, dest, "--version", "v1")
        assert [p.name for p in dest.iterdir()] == [".im-site.lock"]  # the other publish's lock, nothing else
    assert result.exit_code == 1
    assert "another im-site build or publish" in result.stderr
    assert list(dest.iterdir()) == []  # the lock file goes when its publish ends
    assert publish(root, dest, "--version", "v1").exit_code == 0


def test_versions_of_an_empty_folder_is_an_error(make_site, tmp_path):
    root = make_site(V1)
    result = run_cli(root, "versions", "--dest", str(tmp_path / "nothing"))
    assert result.exit_code == 1
    assert "no published versions" in result.stderr


@pytest.fixture
def served(three_versions):
    """The published folder over HTTP on localhost (the switcher does nothing on file://)."""
    import functools
    import http.server
    import threading

    _, dest = three_versions
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(dest))
    handler.log_message = lambda *args: None  # type: ignore[assignment]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_version_switcher_opens_the_same_page_or_the_home(served, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(served + "latest/messages/alpha/index.html")
        select = page.locator("#version-switch-select")
        assert select.input_value() == "v3"
        assert page.locator("label[for=version-switch-select]").inner_text() == "Version"
        with page.expect_navigation():
            select.select_option("v1")
        assert page.url == served + "versions/v1/messages/alpha/index.html"
        assert page.locator("#version-switch-select").input_value() == "v1"
        page.goto(served + "versions/v2/messages/gamma/")
        with page.expect_navigation():
            page.locator("#version-switch-select").select_option("v1")
        assert page.url == served + "versions/v1/"  # gamma did not exist in v1
    finally:
        context.close()


def test_whats_new_is_right_when_rendering_is_split_across_processes(make_site, tmp_path, monkeypatch):
    """Pages rendered in a child process are not in the parent's outputs until the pass ends."""
    parallel = pytest.importorskip("im_site.parallel")
    if hasattr(parallel, "MIN_ITEMS_PER_WORKER"):
        monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)
    root = make_site(V1)
    dest = tmp_path / "public"
    assert publish(root, dest, "--version", "v1").exit_code == 0
    write_files(root, {"content/messages/gamma.md": message("Gamma kommt", "2026-03-10")})
    assert publish(root, dest, "--version", "v2").exit_code == 0
    assert whats_new(dest, "v2") == {"added": ["../messages/gamma/index.html"], "changed": []}


@pytest.mark.parametrize("damage", ["missing", "pages_not_a_list"])
def test_a_latest_version_without_a_readable_manifest_is_refused_not_read_as_a_first(three_versions, damage):
    """With the latest version's manifest.json gone or `{"pages": {}}`, the next publish took it for a
    first version and its "What's new" listed every page as new; `diff` said "no published version"
    of a version it lists."""
    root, dest = three_versions
    manifest = dest / "versions/v3/manifest.json"
    if damage == "missing":
        manifest.unlink()
    else:
        manifest.write_text('{"pages": {}}', encoding="utf-8")
    before = snapshot(dest)
    result = publish(root, dest, "--version", "v4")
    assert result.exit_code == 1
    expected = ("the latest version 'v3' has no manifest.json" if damage == "missing"
                else "cannot read the previous version's manifest: its pages are no list")
    assert f"{manifest}: error[IM170]: {expected}" in result.stderr, result.stderr
    assert snapshot(dest) == before
    result = run_cli(root, "diff", "v2", "v3", "--dest", str(dest))
    assert result.exit_code == 1
    expected = ("version 'v3' has no manifest.json (hint: the published folder is damaged" if damage == "missing"
                else "cannot read the manifest: its pages are no list")
    assert f"{manifest}: error[IM170]: {expected}" in result.stderr, result.stderr


@pytest.mark.parametrize("damage", ["pages_infinite", "versions_deep", "manifest_deep"])
def test_hostile_versions_or_manifest_is_an_error_not_a_crash(three_versions, tmp_path, damage):
    """A versions.json with `"pages": 1e999` (int() of infinity raises OverflowError) or a
    versions.json or manifest.json of arrays nested thousands deep (RecursionError) stopped
    `versions`, `diff`, `digest --dest` and `publish` with "internal error"; each names the file."""
    root, dest = three_versions
    versions = dest / "versions.json"
    deep = "[" * 100_000 + "]" * 100_000
    if damage == "pages_infinite":
        versions.write_text(re.sub(r'"pages": \d+', '"pages": 1e999', versions.read_text(), count=1))
        damaged = versions
    elif damage == "versions_deep":
        versions.write_text(deep)
        damaged = versions
    else:
        damaged = dest / "versions/v3/manifest.json"
        damaged.write_text(deep)
    before = snapshot(dest)
    commands = [["versions", "--dest", str(dest)] if damaged == versions else ["diff", "v2", "v3", "--dest", str(dest)],
                ["digest", "-o", str(tmp_path / "d.html"), "--dest", str(dest), "--now", NOW],
                ["publish", "--dest", str(dest), "--version", "v4", "--now", NOW]]
    for args in commands:
        result = run_cli(root, *args)
        assert result.exit_code == 1 and "internal error" not in result.stderr, (args, result.stderr)
        assert result.stderr.startswith(f"{damaged}: error[IM170]: cannot read"), (args, result.stderr)
    assert snapshot(dest) == before and not (tmp_path / "d.html").exists()


@pytest.mark.parametrize("damage", ["empty_list", "empty_object", "listed_twice", "id_leaving_dir"])
def test_a_versions_json_that_lists_no_or_impossible_versions_is_refused(three_versions, damage):
    """`[]` or `{}` (a file emptied by hand or by a script) read as "nothing published yet": the
    next publish wrote a list of one, so v1-v3 left the lists and the switcher for good (their
    folders never pruned); a version listed twice (a hand merge) had its folder pruned while
    still listed; an id `../x` became a link out of DIR. Each is a damaged versions.json."""
    root, dest = three_versions
    path = dest / "versions.json"
    entries = json.loads(path.read_text())
    damaged = {"empty_list": [], "empty_object": {},
               "listed_twice": entries + [{**entries[1], "date": "2020-01-01T00:00:00+00:00"}],
               "id_leaving_dir": [{**entries[0], "id": "../../etc"}] + entries[1:]}[damage]
    path.write_text(json.dumps(damaged), encoding="utf-8")
    before = snapshot(dest)
    for args in (["publish", "--dest", str(dest), "--version", "v4", "--now", NOW], ["versions", "--dest", str(dest)],
                 ["diff", "v2", "latest", "--dest", str(dest)]):
        result = run_cli(root, *args)
        assert result.exit_code == 1, (args, result.stderr)
        assert result.stderr.startswith(f"{path}: error[IM170]: cannot read versions.json: "), (args, result.stderr)
        assert "hint: restore it from a backup" in result.stderr
    assert snapshot(dest) == before


def test_odd_version_dates_are_listed_as_written_or_in_the_sites_timezone(three_versions, tmp_path, monkeypatch):
    """A versions.json edited by hand: a date in year 1 east of UTC (no calendar has it in UTC)
    stopped every later publish with "internal error: OverflowError"; a date without an offset
    was listed in the publishing machine's timezone. Now the first is listed as written, the
    second in the site's timezone (UTC here, whatever TZ says); digest --dest reads both."""
    root, dest = three_versions
    versions = json.loads((dest / "versions.json").read_text())
    versions[1]["date"], versions[2]["date"] = "0001-01-01T00:00:00+01:00", "2026-11-20T10:00:00"
    (dest / "versions.json").write_text(json.dumps(versions))
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        result = publish(root, dest, "--version", "v4")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert result.exit_code == 0 and "internal error" not in result.stderr, result.stderr
    cells = re.findall(r"<td>([^<]*)</td>", (dest / "versions.html").read_text(encoding="utf-8"))
    assert "0001-01-01T00:00:00+01:00" in cells and "20. November 2026, 10:00" in cells, cells
    digest = run_cli(root, "digest", "-o", str(tmp_path / "d.html"), "--dest", str(dest), "--now", NOW)
    assert digest.exit_code == 0, digest.stderr
