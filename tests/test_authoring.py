"""The authoring loop: init, new, serve with live reload, check (SPEC sections 3 and 10)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import BASIC_SITE_YAML, NOW, build_site, run_cli, said, write_files
from im_site.cli import main
from im_site.lint import contrast_ratio

MESSAGE = """\
---
title: Hallo Team
date: 2026-01-01
---
Erster Absatz.
"""


# ---------------------------------------------------------------- init


def test_init_creates_a_site_that_builds(tmp_path: Path) -> None:
    target = tmp_path / "neu"
    result = CliRunner().invoke(main, ["init", str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for rel in ("site.yaml", "content/kpis/kpis.yaml", "themes/neu/theme.yaml", "themes/neu/static/brand-theme.css"):
        assert (target / rel).is_file(), rel
    assert list((target / "content" / "messages").glob("*.md"))
    module = next((target / "content" / "training").glob("*.md")).read_text(encoding="utf-8")
    assert "quiz:" in module
    assert list((target / "content" / "kpis").glob("*.md"))
    assert "#" in (target / "site.yaml").read_text(encoding="utf-8")  # commented for people
    assert "extends: default" in (target / "themes/neu/theme.yaml").read_text(encoding="utf-8")
    built = build_site(target)
    assert built.exit_code == 0, built.stderr
    assert (target / "_site" / "index.html").is_file()
    assert not any("livereload" in p.name for p in (target / "_site").rglob("*"))
    # The header names the company, then the site: "Intranet Intranet" until someone noticed.
    home = (target / "_site" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'class="brand-name">([^<]*)<', home)[1] != re.search(r'class="brand-title">([^<]*)<', home)[1]
    # The starter site has KPI snapshots, so its menu leads to them.
    menu = home[home.index('class="main-nav"'):home.index("</nav>", home.index('class="main-nav"'))]
    assert 'href="kpis/index.html"' in menu


@pytest.mark.parametrize("name", ["2026", "true", "Mein Intranet"])
def test_init_names_the_theme_after_any_folder_and_still_builds(tmp_path: Path, name: str) -> None:
    """The theme is named after the folder: `init 2026` wrote `theme: 2026`, which YAML reads as a
    number, so the starter site failed its first build (IM006); `true` read as a boolean."""
    target = tmp_path / name
    result = CliRunner().invoke(main, ["init", str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"cd {shlex.quote(str(target))} && im-site serve" in result.output  # pastes into a shell
    built = build_site(target)
    assert built.exit_code == 0, built.stderr
    assert "warning" not in built.stderr
    assert (target / "_site" / "index.html").is_file()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_new_site_in_git_leaves_out_what_builds_write(tmp_path: Path) -> None:
    """The output, the cache and lock files stay out of the repository `init` starts."""
    target = tmp_path / "neu"
    assert CliRunner().invoke(main, ["init", str(target)], catch_exceptions=False).exit_code == 0
    assert build_site(target).exit_code == 0
    assert run_cli(target, "publish", "--dest", str(target / "public"), "--version", "v1").exit_code == 0
    git = ["git", "-C", str(target), "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    staged = subprocess.run([*git, "diff", "--cached", "--name-only"], check=True, capture_output=True, text=True).stdout.split()
    assert ".gitignore" in staged and "site.yaml" in staged and "content/kpis/kpis.yaml" in staged
    assert [path for path in staged if path.startswith(("_site/", ".im-site-cache/", "._", ".public"))] == []


def test_config_naming_the_site_folder_points_at_its_site_yaml(tmp_path: Path) -> None:
    """`im-site --config mysite build` (the folder, not its file) said "no configuration file
    mysite" and hinted to "pass --config", which the user had just done."""
    target = tmp_path / "mysite"
    assert CliRunner().invoke(main, ["init", str(target)], catch_exceptions=False).exit_code == 0
    for args in (["--config", str(target), "build"], ["build", "--config", str(target)]):
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[0] == (f"--config: error[IM001]: {target} is a folder; --config names the "
                                                 f"configuration file (hint: --config {target / 'site.yaml'})")
    assert not (target / "_site").exists()


@pytest.mark.parametrize("argument, hint", [(".", "try: im-site serve"), ("./", "try: im-site serve"),
                                            ("neu", "try: cd neu && im-site serve"),
                                            ("mein intranet", "try: cd 'mein intranet' && im-site serve")])
def test_init_hint_says_cd_only_into_another_folder(tmp_path: Path, monkeypatch, argument, hint) -> None:
    """`init .` said `try: cd . && im-site serve`."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init", argument], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.rstrip("\n").endswith(hint), result.stdout


def test_init_that_cannot_write_says_why_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    """A full disk or a missing permission half-way through `init` was "internal error: OSError",
    and the half-written folder made the next `init` refuse it as not empty."""
    real = Path.write_text

    def write_text(self: Path, *args, **kwargs):  # noqa: ANN202 - the disk fills up at kpis.yaml
        if self.name == "kpis.yaml":
            raise OSError(28, "No space left on device", str(self))
        return real(self, *args, **kwargs)
    monkeypatch.setattr(Path, "write_text", write_text)
    target = tmp_path / "neu"
    result = CliRunner().invoke(main, ["init", str(target)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{target}/content/kpis/kpis.yaml: error[IM050]: cannot write the site: "
                                    "No space left on device"), result.stderr
    assert not target.exists()
    monkeypatch.undo()
    assert CliRunner().invoke(main, ["init", str(target)], catch_exceptions=False).exit_code == 0
    (tmp_path / "datei").write_text("x")
    result = CliRunner().invoke(main, ["init", str(tmp_path / "datei" / "site")], catch_exceptions=False)
    assert result.exit_code == 1 and "error[IM050]: cannot write the site: Not a directory" in result.stderr


def test_init_interrupted_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    real = Path.write_text

    def write_text(self: Path, *args, **kwargs):  # noqa: ANN202 - Ctrl-C at kpis.yaml
        if self.name == "kpis.yaml":
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)
    monkeypatch.setattr(Path, "write_text", write_text)
    result = CliRunner().invoke(main, ["init", str(tmp_path / "neu")], catch_exceptions=False)
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert not (tmp_path / "neu").exists()


def test_new_on_a_full_disk_leaves_no_half_page(make_site, monkeypatch) -> None:
    """A failed write left half a page, and the next `new` refused it as existing."""
    from im_site import scaffold

    class FullDisk:
        def __init__(self, stream) -> None:  # noqa: ANN001
            self.stream = stream

        def __enter__(self) -> "FullDisk":
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

        def write(self, text: str) -> None:
            self.stream.write(text[:10])
            raise OSError(28, "No space left on device")

    real_open = open
    monkeypatch.setattr(scaffold, "open", lambda *args, **kwargs: FullDisk(real_open(*args, **kwargs)), raising=False)
    root = make_site({})
    result = run_cli(root, "new", "message", "Hallo")
    assert result.exit_code == 1
    assert result.stderr.startswith("content/messages/hallo.md: error[IM050]: cannot write the new page: No space left")
    assert not (root / "content/messages/hallo.md").exists()
    monkeypatch.undo()
    assert run_cli(root, "new", "message", "Hallo").exit_code == 0


def test_sample_text_of_new_is_a_warning_once_the_page_is_published(make_site) -> None:
    """Removing `draft: true` with the summary overlooked sent "One or two sentences for listings
    and the feed." to every listing, the feed and the digest, unnoticed by `check`."""
    root = make_site({})
    for kind, title in (("message", "Neuer Markt"), ("module", "Kasse schnell")):
        assert run_cli(root, "new", kind, title, "--now", NOW).exit_code == 0
    message, module = root / "content/messages/neuer-markt.md", root / "content/training/kasse-schnell.md"
    assert "IM122" not in run_cli(root, "check", "--now", NOW).stdout  # drafts: where sample text belongs
    for path in (message, module):
        path.write_text(path.read_text(encoding="utf-8").replace("draft: true", "# ready"), encoding="utf-8")
    result = run_cli(root, "check", "--now", NOW, "--strict")
    assert result.exit_code == 1
    found = [line.split(" (hint")[0] for line in result.stdout.splitlines() if "IM122" in line]
    sample = "warning[IM122 placeholder]: sample text of `im-site new` is published"
    assert found == [f"content/messages/neuer-markt.md:5: {sample}: 'Ein oder zwei Sätze für die Übersichten und den Feed.'",
                     f"content/messages/neuer-markt.md:18: {sample}: 'Hier steht die Nachricht.'",
                     f"content/training/kasse-schnell.md:4: {sample}: 'Was das Modul vermittelt, in einem Satz.'",
                     f"content/training/kasse-schnell.md:8: {sample}: 'Was Teilnehmende danach können'",
                     f"content/training/kasse-schnell.md:23: {sample}: 'Jede Überschrift der zweiten Ebene ist eine Lektion.'"]
    text = message.read_text(encoding="utf-8")
    message.write_text(text.replace("Ein oder zwei Sätze für die Übersichten und den Feed.", "Der neue Markt öffnet.")
                       .replace("Hier steht die Nachricht.", "Am Montag geht es los."), encoding="utf-8")
    assert "neuer-markt.md" not in run_cli(root, "check", "--now", NOW).stdout


def test_help_of_init_and_new_says_what_their_options_do() -> None:
    """`init --help` spoke of a DIR it does not have (DIRECTORY), `new --help` of a --now that fixes
    "the clock for publishing rules", where it only sets the dates filled in."""
    init = CliRunner().invoke(main, ["init", "--help"]).output
    assert " DIR " not in init and "if DIRECTORY is not empty" in " ".join(init.split())
    new = " ".join(CliRunner().invoke(main, ["new", "--help"]).output.split())
    assert "publishing rules" not in new and "Today, for the dates filled in" in new


@pytest.mark.parametrize("kind, title, message", [("message", " ", "TITLE: error[IM007]: the title is empty"),
                                                   ("kpi", "2026/Q4", "TITLE: error[IM011]: '2026/Q4' is not a period"),
                                                   ("message", "!!!", "TITLE: error[IM007]: '!!!' has no letter or digit "
                                                    "to make a file name from (hint: give a title with letters or digits, "
                                                    "or name the file with --slug"),
                                                   ("module", "Aux", "TITLE: error[IM011]: aux.md would be a file name "
                                                    "Windows reserves for a device (hint: name the file with --slug")])
def test_new_blames_a_bad_title_on_the_argument(make_site, kind, title, message) -> None:
    """They were reported at `content:` and `content/kpis:`, folders with nothing wrong in them."""
    root = make_site({})
    result = run_cli(root, "new", kind, title)
    assert result.exit_code == 1 and result.stderr.startswith(message), result.stderr
    assert not list((root / "content").rglob("*.md"))  # "!!!" wrote content/messages/page.md


def test_new_names_the_file_with_slug_when_the_title_cannot(make_site) -> None:
    root = make_site({})
    result = run_cli(root, "new", "message", "!!!", "--slug", "Aktion Tag")
    assert result.exit_code == 0 and "created content/messages/aktion-tag.md" in result.stdout, result.stderr
    assert 'title: "!!!"' in (root / "content/messages/aktion-tag.md").read_text(encoding="utf-8")
    again = run_cli(root, "new", "message", "Aktion Tag")  # a second message of the same title
    assert again.exit_code == 1 and again.stderr.startswith(
        "content/messages/aktion-tag.md: error[IM012]: already exists; refusing to overwrite it "
        "(hint: edit that file, or name the new one with --slug, e.g. --slug aktion-tag-2)"), again.stderr
    empty = run_cli(root, "new", "module", "Kasse", "--slug", "__")
    assert empty.exit_code == 1 and empty.stderr.startswith("--slug: error[IM007]: '__' has no letter or digit")


def test_new_that_cannot_write_says_why(make_site) -> None:
    root = make_site({"content/training": "a file where the folder belongs\n"})
    result = run_cli(root, "new", "module", "Kasse")
    assert result.exit_code == 1
    assert result.stderr.startswith("content/training/kasse.md: error[IM050]: cannot write the new page: "
                                    "content/training is not a folder"), result.stderr


def test_init_refuses_a_non_empty_folder_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    refused = CliRunner().invoke(main, ["init", str(target)], catch_exceptions=False)
    assert refused.exit_code == 1
    assert "not empty" in refused.stderr
    assert not (target / "site.yaml").exists()
    forced = CliRunner().invoke(main, ["init", str(target), "--force"], catch_exceptions=False)
    assert forced.exit_code == 0
    assert (target / "site.yaml").is_file() and (target / "notes.txt").read_text() == "mine"


def test_init_force_keeps_the_files_already_there(tmp_path: Path) -> None:
    """`init . --force` in a repository replaced its .gitignore (and a site.yaml of the same name)."""
    target = tmp_path / "repo"
    target.mkdir()
    (target / ".gitignore").write_text("*.pdf\n", encoding="utf-8")
    (target / "site.yaml").write_text("title: Unser Intranet\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(target), "--force"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert (target / ".gitignore").read_text() == "*.pdf\n"
    assert (target / "site.yaml").read_text() == "title: Unser Intranet\n"
    assert f"{target}: warning[IM012]: kept the files already there: .gitignore, site.yaml" in result.stderr
    assert (target / "content").is_dir()


# ---------------------------------------------------------------- new


@pytest.mark.parametrize("kind, title, rel, expected", [
    ("message", "Frische für alle", "content/messages/frische-fuer-alle.md", ['title: "Frische für alle"', "date: 2026-11-26"]),
    ("module", "Kasse: Grundlagen", "content/training/kasse-grundlagen.md",
     ['title: "Kasse: Grundlagen"', "review_by: 2027-11-26", "objectives:"]),
    ("kpi", "2026-Q4", "content/kpis/2026-Q4.md", ['period: "2026-Q4"', "date: 2026-11-26", "#   nps: 0"]),
])
def test_new_writes_front_matter_to_fill_in(make_site, kind, title, rel, expected) -> None:
    root = make_site({"content/kpis/kpis.yaml": """
        kpis:
          - {id: nps, label: NPS, category: impact, unit: "", direction: up}
        """})
    result = run_cli(root, "new", kind, title, "--now", NOW)
    assert result.exit_code == 0, result.stderr
    assert rel in result.stdout
    text = (root / rel).read_text(encoding="utf-8")
    for snippet in expected:
        assert snippet in text
    assert "draft: true" in text
    # The new file is valid: the site still builds (drafts included, so it is rendered).
    built = build_site(root, "--drafts")
    assert built.exit_code == 0, built.stderr
    again = run_cli(root, "new", kind, title, "--now", NOW)
    assert again.exit_code == 1
    assert "already exists" in again.stderr
    assert (root / rel).read_text(encoding="utf-8") == text


def test_new_writes_sample_text_in_the_language_of_the_page(make_site) -> None:
    """A German team got English sample text and comments ("remove this line when ...") in every
    new German page; a language without templates of its own gets the English ones."""
    root = make_site({}, site_yaml="title: T\nlanguage: de\nlanguages: [de, en, fr]\n")
    for lang, title in (("de", "Neu"), ("en", "New"), ("fr", "Nouveau")):
        assert run_cli(root, "new", "message", title, "--lang", lang, "--now", NOW).exit_code == 0
    german = (root / "content/messages/neu.md").read_text(encoding="utf-8")
    assert "# diese Zeile löschen, wenn die Nachricht fertig ist" in german and "Hier steht die Nachricht." in german
    for rel in ("content/messages/new.en.md", "content/messages/nouveau.fr.md"):
        assert "Write the message here." in (root / rel).read_text(encoding="utf-8")


def test_new_in_another_language_and_the_site_timezone(make_site) -> None:
    root = make_site({}, site_yaml="title: T\nlanguage: de\nlanguages: [de, en]\ntimezone: Europe/Berlin\n")
    result = run_cli(root, "new", "message", "Fresh for all", "--lang", "en", "--now", "2026-11-26T23:30:00+00:00")
    assert result.exit_code == 0, result.stderr
    text = (root / "content/messages/fresh-for-all.en.md").read_text(encoding="utf-8")
    assert "date: 2026-11-27" in text  # already the 27th in Berlin
    unknown = run_cli(root, "new", "message", "Hola", "--lang", "es")
    assert unknown.exit_code == 1


MODULE_TO_TRANSLATE = {
    "content/training/marke/index.md": """
        ---
        title: Die Marke im Alltag
        summary: Was unser Versprechen bedeutet.
        aliases: [/schulung/marke/]
        draft: false
        quiz:
          - question: Wie lautet das Versprechen?
            options: [Frisch, Billig]
            answer: 0
        ---
        Drei Wörter, ein Versprechen.
        """,
    "content/training/marke/01-frisch.md": "---\ntitle: Frisch\n---\nFrische zeigt sich im Regal.\n",
    "content/training/marke/02-nah.md": "---\ntitle: Nah\n---\nNah heißt ansprechbar.\n",
}


def test_new_from_starts_a_translation_as_a_draft_copy_with_the_originals_hash(make_site, monkeypatch) -> None:
    """A translator started by copying x.md to x.en.md and looking up the original's hash for
    translated_from by hand; `new --from` writes the copy (lessons too), the hash filled in, as a draft."""
    root = make_site(MODULE_TO_TRANSLATE, site_yaml="title: T\nlanguage: de\nlanguages: [de, en]\n")
    monkeypatch.chdir(root)  # the path as a writer types it, from the site's folder
    result = run_cli(root, "new", "module", "Our brand every day", "--lang", "en", "--from", "content/training/marke")
    assert result.exit_code == 0, result.stderr
    folder = root / "content/training/marke"
    assert result.stdout.split() == ["created", "content/training/marke/index.en.md", "created",
                                     "content/training/marke/01-frisch.en.md", "created", "content/training/marke/02-nah.en.md"]
    hashes = json.loads(run_cli(root, "check", "--now", NOW, "--format", "json", "--drafts").stdout)["sources"]
    original_hash = next(entry["hash"] for entry in hashes if entry["path"] == "content/training/marke/index.md")
    text = (folder / "index.en.md").read_text(encoding="utf-8")
    head = text.split("---\n")[1]
    assert head.splitlines()[:3] == [
        'title: "Our brand every day"',
        f'translated_from: "{original_hash}"   # the original\'s hash (im-site check --hashes)',
        "draft: true                       # remove this line when the translation is ready"]
    assert "aliases" not in head and "draft: false" not in head and "Die Marke im Alltag" not in head
    assert "question: Wie lautet das Versprechen?" in head and "summary: Was unser Versprechen bedeutet." in head
    assert text.endswith("Drei Wörter, ein Versprechen.\n")
    assert (folder / "01-frisch.en.md").read_text(encoding="utf-8") == (folder / "01-frisch.md").read_text(encoding="utf-8")
    # A draft: nothing to say about it yet. Published untranslated, each copied text is named.
    assert said(build_site(root), "IM151") == []
    (folder / "index.en.md").write_text(text.replace("draft: true", "draft: false"), encoding="utf-8")
    lesson = folder / "02-nah.en.md"
    lesson.write_text("---\ntitle: Close\n---\nClose means approachable.\n", encoding="utf-8")
    built = build_site(root)
    assert built.exit_code == 0, built.stderr
    copies = said(built, "IM151")
    assert [line.split(": warning")[0] for line in copies] == ["content/training/marke/01-frisch.en.md:4",
                                                              "content/training/marke/index.en.md:11"]
    assert "word for word that of content/training/marke/index.md: not translated yet" in copies[1]


@pytest.mark.parametrize("args, where, message", [
    (["--lang", "en", "--from", "content/training/marke/01-frisch.md"], "01-frisch.md",
     "a message (content/messages/) or a module"),
    (["--from", "content/training/marke/index.md"], "--lang", "a translation needs --lang"),
    (["--lang", "de", "--from", "content/training/marke/index.md"], "--lang", "other than 'de'"),
    (["--lang", "en", "--from", "content/training/marke/index.en.md"], "index.en.md", "is a translation itself"),
    (["--lang", "en", "--from", "content/training/fehlt.md"], "fehlt.md", "no such file to translate"),
    (["--lang", "en", "--from", "site.yaml"], "site.yaml", "not under this site's content/ folder"),
])
def test_new_from_refuses_what_it_cannot_translate(make_site, monkeypatch, args, where, message) -> None:
    files = dict(MODULE_TO_TRANSLATE, **{"content/training/marke/index.en.md": "---\ntitle: X\n---\nX\n"})
    root = make_site(files, site_yaml="title: T\nlanguage: de\nlanguages: [de, en]\n")
    monkeypatch.chdir(root)
    before = sorted(str(path) for path in root.rglob("*"))
    result = run_cli(root, "new", "module", "Brand", *args)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert where in result.stderr.split("error")[0] and message in result.stderr, result.stderr
    assert sorted(str(path) for path in root.rglob("*")) == before


def test_new_from_writes_nothing_when_one_translation_file_exists(make_site) -> None:
    files = dict(MODULE_TO_TRANSLATE, **{"content/training/marke/02-nah.en.md": "---\ntitle: Close\n---\nClose.\n"})
    root = make_site(files, site_yaml="title: T\nlanguage: de\nlanguages: [de, en]\n")
    result = run_cli(root, "new", "module", "Brand", "--lang", "en", "--from", str(root / "content/training/marke/index.md"))
    assert result.exit_code == 1
    assert "content/training/marke/02-nah.en.md: error[IM012" in result.stderr
    assert sorted(path.name for path in (root / "content/training/marke").iterdir()) == [
        "01-frisch.md", "02-nah.en.md", "02-nah.md", "index.md"]
    both = run_cli(root, "new", "message", "X", "--lang", "en", "--slug", "x", "--from", "content/messages/x.md")
    assert both.exit_code == 2 and "--slug and --from" in both.output


def test_new_from_keeps_the_originals_line_endings_and_drops_its_title_however_written(make_site) -> None:
    """A file saved on Windows (CRLF) got three LF lines in the middle of its front matter; a folded
    title or a quoted key left the original's title or aliases behind in the copy."""
    original = ('---\r\ntitle: >\r\n  Neue Kassen\r\n  ab Montag\r\n"aliases":\r\n- /alt/\r\ndate: 2026-01-01\r\n'
                "# author: Vorname Nachname\r\n---\r\nAb Montag gibt es neue Kassen.\r\n")
    root = make_site({}, site_yaml="title: T\nlanguage: de\nlanguages: [de, en]\n")
    (root / "content/messages").mkdir()
    (root / "content/messages/kassen.md").write_bytes(original.encode("utf-8"))
    result = run_cli(root, "new", "message", "New tills", "--lang", "en", "--from", str(root / "content/messages/kassen.md"))
    assert result.exit_code == 0, result.stderr
    copy = (root / "content/messages/kassen.en.md").read_bytes().decode("utf-8")
    assert "\n" not in copy.replace("\r\n", "")
    lines = copy.split("\r\n")
    assert lines[1] == 'title: "New tills"' and lines[4:] == [
        "date: 2026-01-01", "# author: Vorname Nachname", "---", "Ab Montag gibt es neue Kassen.", ""]
    assert build_site(root, "--drafts").exit_code == 0


def test_a_published_copy_of_the_original_is_named_untranslated(make_site) -> None:
    """The README says to translate by copying x.md to x.en.md: a copy published before its text was
    translated gave English readers German under an English menu, without a word from the build."""
    original = "---\ntitle: Neue Kassen\ndate: 2026-01-01\n---\nAb Montag gibt es neue Kassen.\n"
    root = make_site({"content/messages/kassen.md": original,
                      "content/messages/kassen.en.md": original.replace("Neue Kassen", "New tills"),
                      "content/messages/bild.md": "---\ntitle: Bild\ndate: 2026-01-01\n---\n| 1 | 2 |\n|---|---|\n",
                      "content/messages/bild.en.md": "---\ntitle: Picture\ndate: 2026-01-01\n---\n| 1 | 2 |\n|---|---|\n"},
                     site_yaml="title: T\nlanguage: de\nlanguages: [de, en]\n")
    built = build_site(root)
    assert built.exit_code == 0
    assert [line.split(": warning")[0] for line in said(built, "IM151")] == ["content/messages/kassen.en.md:5"]


# ---------------------------------------------------------------- check

BAD_SITE_YAML = """\
title: Test
language: de
audiences:
  - {id: filiale, label: Filialteams}
brand:
  colors:
    primary: "#7FD39A"
  voice:
    avoid: [Humankapital]
    prefer: {Personal: Team}
"""

PROBLEMS = {
    "content/messages/a.md": """
        ---
        title: Neues für das Personal
        date: 2026-01-01
        audiences: [filale]
        ---
        Ein Absatz über Humankapital.

        Ein [kaputter Link](fehlt.md) und ein [Anker](c.md#gibt-es-nicht).

        ![](bild.png)

        ```
        Humankapital im Code ist in Ordnung
        ```

        `Personal` im Code auch, und [ein Link](https://example.com/personal) auch.
        """,
    "content/messages/b.md": """
        ---
        title: Bald
        date: 2026-01-01
        publish_at: 2026-12-01T08:00:00+00:00
        ---
        Später.
        """,
    "content/messages/c.md": """
        ---
        title: Ziel
        date: 2026-01-01
        ---
        Ohne Überschriften.
        """,
}


def _check_json(root: Path, *args: str) -> tuple[int, dict]:
    result = run_cli(root, "check", "--now", NOW, "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def test_check_reports_each_problem_with_code_and_line(make_site) -> None:
    root = make_site(PROBLEMS, site_yaml=BAD_SITE_YAML)
    code, report = _check_json(root)
    assert code == 1
    found = {(d["path"], d["line"], d["code"], d["severity"]) for d in report["diagnostics"]}
    a = "content/messages/a.md"
    assert (a, 4, "IM020", "error") in found  # unknown audience, on its line
    assert (a, 8, "IM101", "error") in found  # broken link
    assert (a, 8, "IM102", "warning") in found  # broken anchor
    assert (a, 10, "IM110", "error") in found  # missing image
    assert (a, 10, "IM111", "warning") in found  # missing alt text
    assert (a, 2, "IM120", "warning") in found  # "Personal" in the title
    assert (a, 6, "IM120", "warning") in found  # "Humankapital" in the text
    assert ("site.yaml", 7, "IM121", "warning") in found  # white on a light primary
    names = {d["code"]: d["name"] for d in report["diagnostics"]}
    assert names["IM101"] == "broken-link" and names["IM120"] == "brand-voice"
    assert report["errors"] == sum(d["severity"] == "error" for d in report["diagnostics"])


def test_brand_voice_ignores_code_and_urls(make_site) -> None:
    root = make_site(PROBLEMS, site_yaml=BAD_SITE_YAML)
    _, report = _check_json(root)
    voice_lines = sorted(d["line"] for d in report["diagnostics"] if d["code"] == "IM120")
    assert voice_lines == [2, 6]  # not the code block (12-14), inline code or the URL (16)
    messages = " ".join(d["message"] for d in report["diagnostics"] if d["code"] == "IM120")
    assert "'Team'" in messages  # the preferred replacement is suggested


def test_brand_voice_prefer_pairs_check_the_site_language_and_avoid_terms_every_language(make_site) -> None:
    """`prefer: {Personal: Team}` is German: the English "personal" is another word; a term to
    avoid (a misspelt brand name, say) is avoided in every language."""
    english = "---\ntitle: Goals\ndate: 2026-01-01\n---\nKeep your personal goals in mind at Frisch-Markt.\n"
    root = make_site({"content/messages/a.md": MESSAGE, "content/messages/a.en.md": english},
                     site_yaml="title: T\nlanguages: [de, en]\nbrand:\n  voice:\n    avoid: [Frisch-Markt]\n"
                               "    prefer: {Personal: Team}\n")
    _, report = _check_json(root)
    found = [(d["path"], d["message"]) for d in report["diagnostics"] if d["code"] == "IM120"]
    assert found == [("content/messages/a.en.md", "brand voice: avoid 'Frisch-Markt'")]


def test_brand_voice_sees_a_word_pasted_with_a_soft_hyphen(make_site) -> None:
    root = make_site({"content/messages/a.md": MESSAGE + "\nUnser Human\u00adkapital.\n"},
                     site_yaml="title: T\nbrand:\n  voice:\n    avoid: [Humankapital]\n")
    result = run_cli(root, "check", "--now", NOW)
    assert "warning[IM120 brand-voice]: brand voice: avoid 'Humankapital'" in result.stdout


def test_brand_voice_sees_a_term_wrapped_onto_the_next_line_and_a_callout_title(make_site) -> None:
    """Writers wrap long lines: `Human` at the end of one and `Resources` on the next is still the
    term; a callout's own title is text on the page like any other."""
    body = "\nDie Abteilung Human\nResources lädt ein.\n\n::: tip Fragen an Human\u00a0Resources\nImmer gern.\n:::\n"
    root = make_site({"content/messages/a.md": MESSAGE + body},
                     site_yaml="title: T\nbrand:\n  voice:\n    avoid: [Human Resources]\n")
    _, report = _check_json(root)
    found = [(d["line"], d["message"]) for d in report["diagnostics"] if d["code"] == "IM120"]
    start = MESSAGE.count("\n") + 2
    assert found == [(start, "brand voice: avoid 'Human Resources'"), (start + 3, "brand voice: avoid 'Human Resources'")]


def test_check_text_lists_schedule_codes_and_summary(make_site) -> None:
    root = make_site(PROBLEMS, site_yaml=BAD_SITE_YAML)
    result = run_cli(root, "check", "--now", NOW, "--hashes")
    assert result.exit_code == 1
    out = result.stdout
    assert "content/messages/a.md:8: error[IM101 broken-link]:" in out
    assert "site.yaml:7: warning[IM121 contrast]:" in out
    assert "schedule:" in out and "goes live" in out and "content/messages/b.md" in out
    assert "2026-12-01T08:00:00+00:00" in out
    assert out.rstrip().splitlines()[-1].endswith("warnings")
    assert "translation sources" in out


def test_checks_schedule_says_whom_a_scheduled_page_is_for(make_site) -> None:
    """The schedule listed the store teams' embargoed message like one for everyone."""
    soon = "---\ntitle: Bald\ndate: 2026-12-01\npublish_at: 2026-12-01 08:00\naudiences: [zentrale, filiale]\n---\nText.\n"
    root = make_site({"content/messages/hallo.md": MESSAGE, "content/messages/bald.md": soon})
    result = run_cli(root, "check", "--now", NOW)
    assert "  2026-12-01T08:00:00+00:00  goes live  content/messages/bald.md  (Bald)  [audiences: filiale, zentrale]" \
        in result.stdout.splitlines(), result.stdout
    report = json.loads(run_cli(root, "check", "--now", NOW, "--format", "json").stdout)
    assert [change["audiences"] for change in report["schedule"]] == [["filiale", "zentrale"]]


def test_check_says_which_drafts_it_left_out(make_site) -> None:
    """A writer checking the draft `im-site new` wrote read "0 errors, 0 warnings" with its broken
    link unchecked: check, like build and serve, says what it left out."""
    draft = "---\ntitle: Entwurf\ndate: 2026-01-01\ndraft: true\n---\n[kaputt](/gibt-es-nicht/)\n"
    root = make_site({"content/messages/hallo.md": MESSAGE, "content/messages/entwurf.md": draft})
    result = run_cli(root, "check", "--now", NOW)
    assert result.exit_code == 0 and "not checked: 1 draft (--drafts checks them)" in result.stdout, result.stdout
    assert run_cli(root, "check", "--now", NOW, "--quiet").stdout == ""
    result = run_cli(root, "check", "--now", NOW, "--drafts")
    assert result.exit_code == 1 and "content/messages/entwurf.md:6: error[IM101" in result.stdout, result.stdout
    assert "not checked" not in result.stdout


def test_check_json_schedule_and_hashes(make_site) -> None:
    root = make_site(PROBLEMS, site_yaml=BAD_SITE_YAML)
    _, report = _check_json(root)
    assert report["schedule"] == [{"at": "2026-12-01T08:00:00+00:00", "action": "goes live",
                                   "path": "content/messages/b.md", "url": "messages/b/", "lang": "de",
                                   "title": "Bald", "audiences": []}]
    assert {s["path"] for s in report["sources"]} == {"content/messages/a.md", "content/messages/b.md",
                                                         "content/messages/c.md"}
    assert all(len(s["hash"]) == 12 for s in report["sources"])


def test_check_future_says_a_scheduled_page_goes_live_not_that_it_expires(make_site) -> None:
    """Previewed with --future a scheduled page is shown, and `check --future` listed its going
    live as "expires" (a script reading the JSON schedule took it down instead of announcing it).
    A draft previewed with --drafts keeps its own schedule too."""
    root = make_site(PROBLEMS, site_yaml=BAD_SITE_YAML)
    for flags in ([], ["--future"], ["--future", "--drafts"]):
        _, report = _check_json(root, *flags)
        assert [(s["path"], s["action"]) for s in report["schedule"]] == [("content/messages/b.md", "goes live")], flags
    write_files(root, {"content/messages/d.md": "---\ntitle: Entwurf\ndate: 2026-11-01\ndraft: true\n"
                                                "expires: 2026-12-31\npublish_at: 2026-12-02 09:00\n---\nText.\n"})
    _, report = _check_json(root, "--future", "--drafts")
    assert [(s["at"], s["path"], s["action"]) for s in report["schedule"]] == [
        ("2026-12-01T08:00:00+00:00", "content/messages/b.md", "goes live"),
        ("2026-12-02T09:00:00+00:00", "content/messages/d.md", "goes live")]


def test_check_reports_what_fails_the_build_that_publishes_an_embargoed_page(make_site) -> None:
    """An embargoed message with a broken link passed `check --strict` at merge (the build leaves it
    out) and failed the scheduled publish meant to put it online, and every publish after it:
    nobody had changed anything, and nobody was there to see. `check` now says so at merge."""
    root = make_site({"content/messages/a.md": MESSAGE,
                      "content/messages/bald.md": "---\ntitle: Bald\ndate: 2026-12-01\npublish_at: 2026-12-01 08:00\n"
                                                  "---\nSiehe [die Liste](liste.md).\n"},
                     site_yaml="title: T\ntimezone: Europe/Berlin\n")
    assert build_site(root).exit_code == 0
    result = run_cli(root, "check", "--now", NOW)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "content/messages/bald.md:6: error[IM101 broken-link]: link target 'liste.md' not found "
        "(content/messages/liste.md); this page goes live 2026-12-01T08:00:00+01:00, and the build that publishes "
        "it fails")
    assert run_cli(root, "check", "--now", "2026-12-02T12:00:00+00:00").stdout.count("IM101") == 1  # live: as ever
    assert run_cli(root, "check", "--now", NOW, "--future").stdout.count("IM101") == 1


def test_check_warns_of_a_link_to_a_page_embargoed_until_later(make_site) -> None:
    """An embargoed message linking to one embargoed until later passed `check`: both are live in
    its look ahead. The build that was to publish the first then failed on the link (IM104), and a
    link by address to the scheduled page was "not found", as if mistyped."""
    root = make_site({"content/messages/a.md": MESSAGE,
                      "content/messages/bald.md": "---\ntitle: Bald\ndate: 2026-12-01\npublish_at: 2026-12-01 08:00\n"
                                                  "---\nSiehe [später](spaeter.md).\n\n[Dort](/messages/spaeter/)\n",
                      "content/messages/spaeter.md": "---\ntitle: Später\ndate: 2026-12-03\n"
                                                     "publish_at: 2026-12-03 08:00\n---\nText.\n"},
                     site_yaml="title: T\ntimezone: Europe/Berlin\n")
    result = run_cli(root, "check", "--now", NOW)
    assert result.exit_code == 0, result.stdout
    warning = ("warning[IM104 link-to-unpublished]: link to content/messages/spaeter.md, which goes live "
               "2026-12-03T08:00:00+01:00, after this page (2026-12-01T08:00:00+01:00): the build that publishes this "
               "page fails on the link until then (hint: remove the link, or give this page publish_at: 2026-12-03 08:00)")
    assert result.stdout.splitlines()[:2] == [f"content/messages/bald.md:6: {warning}", f"content/messages/bald.md:8: {warning}"]
    live = run_cli(root, "check", "--now", "2026-12-02T12:00:00+00:00").stdout
    assert "content/messages/bald.md:8: error[IM104 link-to-unpublished]: link to /messages/spaeter/, a page that is " \
           "scheduled and not published in this build" in live, live


def test_check_warns_of_a_prerequisite_embargoed_until_later(make_site) -> None:
    """The same for a module's prerequisite: the build that was to publish the module failed on it."""
    module = "---\ntitle: {title}\npublish_at: {when}\n{more}---\n## Lektion\n\nText.\n"
    root = make_site({"content/training/aufbau.md": module.format(title="Aufbau", when="2026-12-01 08:00",
                                                                  more="prerequisites: [basis]\n"),
                      "content/training/basis.md": module.format(title="Basis", when="2026-12-03 08:00", more="")},
                     site_yaml="title: T\ntimezone: Europe/Berlin\n")
    result = run_cli(root, "check", "--now", NOW)
    assert result.exit_code == 0, result.stdout
    assert ("content/training/aufbau.md:4: warning[IM104 link-to-unpublished]: prerequisite 'basis' goes live "
            "2026-12-03T08:00:00+01:00, after this module (2026-12-01T08:00:00+01:00): the build that publishes this "
            "module fails on it until then (hint: remove the prerequisite, or give this module publish_at: "
            "2026-12-03 08:00)") in result.stdout.splitlines(), result.stdout


def test_check_strict_exit_codes_and_writes_nothing(make_site) -> None:
    root = make_site({"content/messages/a.md": MESSAGE + "\nUnser Humankapital.\n"},
                     site_yaml="title: T\nbrand:\n  voice:\n    avoid: [Humankapital]\n")
    assert run_cli(root, "check", "--now", NOW).exit_code == 0
    strict = run_cli(root, "check", "--now", NOW, "--strict")
    assert strict.exit_code == 1
    assert "IM120" in strict.stdout
    assert not (root / "_site").exists()
    clean = make_site({"content/messages/a.md": MESSAGE}, folder="clean")
    assert run_cli(clean, "check", "--now", NOW, "--strict").exit_code == 0


def test_check_quiet_prints_only_what_fails(make_site) -> None:
    """--quiet is "print only errors": `check -q` printed the schedule, every warning and
    "0 errors, 0 warnings" all the same."""
    root = make_site(PROBLEMS, site_yaml=BAD_SITE_YAML)
    quiet = run_cli(root, "check", "--now", NOW, "-q")
    assert quiet.exit_code == 1
    lines = quiet.stdout.splitlines()
    assert lines[-1].endswith("warnings") and lines[-2] == ""
    assert lines[:-2] and all(": error[" in line for line in lines[:-2])
    assert "schedule:" not in quiet.stdout
    clean = make_site({"content/messages/a.md": MESSAGE + "\nUnser Humankapital.\n"}, folder="clean",
                      site_yaml="title: T\nbrand:\n  voice:\n    avoid: [Humankapital]\n")
    assert run_cli(clean, "check", "--now", NOW, "-q").stdout == ""
    strict = run_cli(clean, "check", "--now", NOW, "-q", "--strict")
    assert strict.exit_code == 1 and "warning[IM120 brand-voice]" in strict.stdout


def test_check_reports_a_broken_site_yaml_as_json(make_site) -> None:
    root = make_site({}, site_yaml="title: T\ncolour: red\n")
    code, report = _check_json(root)
    assert code == 1
    assert report["diagnostics"][0]["path"] == "site.yaml" and report["diagnostics"][0]["line"] == 2


def test_contrast_pairs_follow_wcag() -> None:
    assert round(contrast_ratio("#000000", "#FFFFFF"), 1) == 21.0
    assert contrast_ratio("#FFFFFF", "#1B7F3B") >= 4.5  # the default brand passes
    assert contrast_ratio("#1A1A1A", "#F2A900") >= 4.5


def test_build_also_reports_contrast_and_voice_as_warnings(make_site) -> None:
    site_yaml = 'title: T\nbrand:\n  colors:\n    secondary: "#444444"\n'
    root = make_site({"content/messages/a.md": MESSAGE}, site_yaml=site_yaml)
    result = build_site(root)
    assert result.exit_code == 0
    assert "site.yaml:4: warning[IM121]" in result.stderr
    assert build_site(root, "--strict").exit_code == 1


def test_contrast_of_a_theme_token_colour_is_reported_on_the_token_line(make_site) -> None:
    """A pale `color-link` in the theme was reported as "links (primary)" on site.yaml's primary
    line, so the designer changed the wrong colour; headings and muted text in the theme's
    colours (`#ccc` written short) were not checked at all. A built-in token that a dark
    background defeats is reported on the background's line."""
    site_yaml = 'title: T\ntheme: t\nbrand:\n  colors:\n    background: "#FFFFFF"\n'
    theme_yaml = ('extends: default\ntokens:\n  radius: "2px"\n  color-link: "#C9A8F0"\n  color-heading: "#E0D0F0"\n'
                  '  color-muted: "#ccc"\n  color-on-secondary: "#777777"\n')
    root = make_site({"content/messages/a.md": MESSAGE, "themes/t/theme.yaml": theme_yaml}, site_yaml=site_yaml)
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM121") == [
        "themes/t/theme.yaml:4: warning[IM121]: contrast of links (color-link) on background is 2.03:1 (#C9A8F0 on "
        "#FFFFFF), below WCAG AA 4.5:1 (hint: darken or lighten the theme's color-link or the brand's background)",
        "themes/t/theme.yaml:5: warning[IM121]: contrast of headings (color-heading) on background is 1.45:1 (#E0D0F0 "
        "on #FFFFFF), below WCAG AA 4.5:1 (hint: darken or lighten the theme's color-heading or the brand's background)",
        "themes/t/theme.yaml:6: warning[IM121]: contrast of muted text (color-muted) on background (dates, summaries) is "
        "1.61:1 (#CCCCCC on #FFFFFF), below WCAG AA 4.5:1 (hint: darken or lighten the theme's color-muted or the "
        "brand's background)",
        "themes/t/theme.yaml:7: warning[IM121]: contrast of text (color-on-secondary) on secondary (must-read flag) is "
        "2.23:1 (#777777 on #F2A900), below WCAG AA 4.5:1 (hint: darken or lighten the theme's color-on-secondary or "
        "the brand's secondary)"], result.stderr
    (root / "themes/t/theme.yaml").write_text("extends: default\n", encoding="utf-8")
    (root / "site.yaml").write_text(site_yaml.replace("#FFFFFF", "#202020") + '    text: "#F0F0F0"\n'
                                    '    primary: "#1B7F3B"\n', encoding="utf-8")
    result = build_site(root)
    assert "site.yaml:5: warning[IM121]: contrast of muted text on background (dates, summaries) is 2.59:1 (#5A625C on " \
           "#202020), below WCAG AA 4.5:1 (hint: change the brand's background, or set the token color-muted in your " \
           "theme's theme.yaml)" in result.stderr, result.stderr
    # The focus ring is no text: 3:1 (WCAG 1.4.11); the built-in blue is lost on a dark background.
    assert "site.yaml:5: warning[IM121]: contrast of the focus ring on background is 2.64:1 (#1A56DB on #202020), " \
           "below WCAG AA 3.0:1 (hint: change the brand's background, or set the token color-focus in your theme's " \
           "theme.yaml)" in result.stderr, result.stderr


def test_a_light_primary_colour_says_to_set_the_text_colour_on_it(make_site) -> None:
    """White on a yellow brand colour was hard-coded in a dozen header and button rules, and the
    warning only said to change the brand's colour: the token color-on-primary sets the text on it."""
    site_yaml = 'title: T\ntheme: t\nbrand:\n  colors:\n    primary: "#F2C200"\n    background: "#FFFFFF"\n'
    root = make_site({"content/messages/a.md": MESSAGE, "themes/t/theme.yaml": "extends: default\n"}, site_yaml=site_yaml)
    result = build_site(root)
    assert said(result, "IM121") == [
        "site.yaml:5: warning[IM121]: contrast of links (primary) on background is 1.68:1 (#F2C200 on #FFFFFF), below "
        "WCAG AA 4.5:1 (hint: darken or lighten the brand's primary, or set the token color-link in your theme's "
        "theme.yaml)",
        "site.yaml:5: warning[IM121]: contrast of white on primary (header, buttons) is 1.68:1 (#FFFFFF on #F2C200), "
        "below WCAG AA 4.5:1 (hint: change the brand's primary, or set the token color-on-primary in your theme's "
        "theme.yaml)"], result.stderr
    (root / "themes/t/theme.yaml").write_text('extends: default\ntokens:\n  color-on-primary: "#1A1A1A"\n'
                                              '  color-link: "#6B5500"\n', encoding="utf-8")
    result = build_site(root)
    assert "IM121" not in result.stderr, result.stderr
    brand = next((root / "_site/assets").glob("brand.*.css")).read_text()
    assert "--color-on-primary:#1A1A1A;" in brand
    (root / "themes/t/theme.yaml").write_text('extends: default\ntokens:\n  color-on-primary: "#FFEE99"\n', encoding="utf-8")
    assert ("themes/t/theme.yaml:3: warning[IM121]: contrast of text (color-on-primary) on primary (header, buttons) is "
            "1.44:1 (#FFEE99 on #F2C200)") in build_site(root).stderr


def test_a_strict_run_that_fails_on_warnings_says_so(make_site) -> None:
    """`build --strict` failed with exit 1, wrote nothing and ended "0 errors, 1 warning": nothing
    said why. The summary of a strict build or check says the warnings fail; a plain one does not."""
    site_yaml = 'title: T\nbrand:\n  colors:\n    secondary: "#444444"\n'
    root = make_site({"content/messages/a.md": MESSAGE}, site_yaml=site_yaml)
    strict = build_site(root, "--strict")
    assert strict.exit_code == 1 and not (root / "_site").exists()
    assert strict.stderr.splitlines()[-1] == "0 errors, 1 warning (--strict: warnings fail too)"
    check = run_cli(root, "check", "--now", NOW, "--strict")
    assert check.exit_code == 1
    assert check.stdout.splitlines()[-1] == "0 errors, 1 warning (--strict: warnings fail too)"
    assert run_cli(root, "check", "--now", NOW).stdout.splitlines()[-1] == "0 errors, 1 warning"


# ---------------------------------------------------------------- serve


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def _settled_status(base: str, quiet: float = 0.6) -> dict:
    """The dev server's status once its build number has stayed the same for `quiet` seconds."""
    last, since, deadline = None, time.monotonic(), time.monotonic() + 30
    while time.monotonic() < deadline:
        status = json.loads(_get(base + "__im-site/status")[2])
        if status != last:
            last, since = status, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return status
        time.sleep(0.1)
    raise AssertionError("the dev server kept rebuilding")


def _until(condition, timeout: float = 15.0):  # noqa: ANN001, ANN202 - polling helper
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except (urllib.error.URLError, ConnectionError, OSError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def _first_event(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("data:"):
                return json.loads(line[len("data:"):])
    raise AssertionError("no event")


def test_serve_on_a_port_in_use_says_which_port_to_try(make_site) -> None:
    root = make_site({"content/messages/hallo.md": MESSAGE})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-c", "from im_site.cli import main; main()", "--config",
                               str(root / "site.yaml"), "serve", "--port", str(port), "--now", NOW],
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"cannot serve on 127.0.0.1:{port}" in done.stderr and f"try --port {port + 1}" in done.stderr
    assert "built " not in done.stderr  # said at once, not after building the whole site


def _serve(root: Path, port: int, config: str = "site.yaml") -> subprocess.Popen[str]:
    """`im-site serve` of the site at `root` on `port`, in a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-c", "from im_site.cli import main; main()", "--config", str(root / config),
         "serve", "--port", str(port), "--now", NOW],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_serve_rebuilds_survives_errors_and_stops_cleanly(make_site) -> None:
    root = make_site({"content/messages/hallo.md": MESSAGE})
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    process = _serve(root, port)
    try:
        _until(lambda: _get(base)[0] == 200, timeout=30)
        status, kind, page = _get(base + "messages/hallo/")
        assert status == 200 and kind.startswith("text/html") and "Erster Absatz" in page
        assert "livereload" in page  # the client is injected when serving
        assert '<meta name="im-site-build" content="1" data-file="messages/hallo/index.html">' in page  # build and file
        status, kind, missing = _get(base + "gibt/es/nicht/")
        assert status == 404 and kind.startswith("text/html") and "<html" in missing
        assert 'data-file="gibt/es/nicht/index.html"' in missing  # reloads when that page appears
        assert _get(base + "messages")[0] == 200  # redirected to the folder
        css = next(part.split('"')[0] for part in page.split('href="')[1:] if ".css" in part.split('"')[0])
        assert _get(base + "messages/hallo/" + css)[1].startswith("text/css")

        message = root / "content/messages/hallo.md"
        # A title change too: no one-page preview, so the build number read next is final.
        message.write_text(MESSAGE.replace("Erster Absatz", "Geänderter Absatz").replace("Hallo Team", "Hallo alle"),
                           encoding="utf-8")
        _until(lambda: "Geänderter Absatz" in _get(base + "messages/hallo/")[2])
        good = _settled_status(base)
        assert good["error"] is None
        # Only the files that changed are listed, so other open pages stay as they are.
        assert isinstance(good["changed"], list) and "sitemap.xml" not in good["changed"]

        message.write_text("---\ntitle: [kaputt\ndate: 2026-01-01\n---\nText\n", encoding="utf-8")
        broken = _until(lambda: json.loads(_get(base + "__im-site/status")[2])["error"])
        assert "content/messages/hallo.md" in broken
        event = _first_event(base + "__im-site/events")
        assert event["build"] == good["build"] and "content/messages/hallo.md" in event["error"]
        assert "Geänderter Absatz" in _get(base + "messages/hallo/")[2]  # the last good build

        message.write_text(MESSAGE.replace("Erster Absatz", "Repariert"), encoding="utf-8")
        _until(lambda: "Repariert" in _get(base + "messages/hallo/")[2])
        fixed = json.loads(_get(base + "__im-site/status")[2])
        assert fixed["error"] is None and fixed["build"] > good["build"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    stderr = process.stderr.read() if process.stderr else ""
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert "build failed" in stderr  # the terminal shows the error too


def _stop(process: subprocess.Popen[str]) -> str:
    """Ctrl-C the dev server; its stderr."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.stderr.read() if process.stderr else ""


def test_serve_rebuilds_on_what_the_build_reads_and_nothing_else(make_site) -> None:
    root = make_site({"content/messages/hallo.md": MESSAGE, "staging.yaml": BASIC_SITE_YAML}, site_yaml="title: Prod\n")
    staging = root / "staging.yaml"
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    process = _serve(root, port, "staging.yaml")
    try:
        _until(lambda: _get(base)[0] == 200, timeout=30)
        first = _settled_status(base)["build"]
        # Notes, git, another configuration, a build writing _site/ and the cache, an editor's
        # swap file, an app's hidden folder in content/: none of them is read by this build.
        (root / "notizen.txt").write_text("x", encoding="utf-8")
        (root / ".git").mkdir()
        (root / ".git" / "index").write_bytes(b"x")
        (root / "site.yaml").write_text("title: Prod 2\n", encoding="utf-8")
        assert CliRunner().invoke(main, ["--config", str(staging), "build", "--now", NOW]).exit_code == 0
        (root / "content/messages/.hallo.md.swp").write_bytes(b"x")
        (root / "content/.obsidian").mkdir()
        (root / "content/.obsidian/workspace.json").write_text("{}", encoding="utf-8")
        assert _settled_status(base, quiet=1.0)["build"] == first

        # The file given with --config is: its edits show.
        staging.write_text(BASIC_SITE_YAML.replace("Test Intranet", "Staging Intranet"), encoding="utf-8")
        _until(lambda: "Staging Intranet" in _get(base)[2])

        # A theme made while serving is watched from then on.
        (root / "themes/marke/static").mkdir(parents=True)
        (root / "themes/marke/theme.yaml").write_text("extends: default\n", encoding="utf-8")
        staging.write_text(staging.read_text(encoding="utf-8") + "theme: marke\n", encoding="utf-8")
        _until(lambda: "theme: marke" in staging.read_text(encoding="utf-8") and _settled_status(base)["error"] is None)
        (root / "themes/marke/static/marke.css").write_text("body { color: red }", encoding="utf-8")
        _until(lambda: any(name.startswith("assets/marke.") for name in _settled_status(base)["changed"] or []))
    finally:
        stderr = _stop(process)
    assert "Traceback" not in stderr


def test_serve_says_why_a_draft_or_scheduled_page_is_not_found(make_site) -> None:
    """`im-site new` writes a draft; its writer opened its address in `serve` and got a plain
    "not found". The 404 now says the page is a draft (or scheduled) and which flag shows it."""
    root = make_site({"content/messages/hallo.md": MESSAGE,
                      "content/entwurf.md": "---\ntitle: Entwurf\ndraft: true\n---\nText.\n",
                      "content/bald.md": "---\ntitle: Bald\npublish_at: 2030-01-01\n---\nText.\n"})
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    process = _serve(root, port)
    try:
        _until(lambda: _get(base)[0] == 200, timeout=30)
        status, _, draft = _get(base + "entwurf/")
        assert status == 404 and "This page is a draft: <code>im-site serve --drafts</code> shows it." in draft
        status, _, scheduled = _get(base + "bald/")
        assert status == 404 and "This page is scheduled: <code>im-site serve --future</code> shows it." in scheduled
        status, _, missing = _get(base + "nirgends/")
        assert status == 404 and "This page is" not in missing
    finally:
        stderr = _stop(process)
    assert "Traceback" not in stderr


def test_serve_whose_first_build_fails_promises_no_last_good_build(make_site) -> None:
    root = make_site({"content/messages/hallo.md": "---\ntitle: [kaputt\ndate: 2026-01-01\n---\nText\n",
                      "content/a-seite.md": "---\ntitle: A\n---\n[Sprung](#nirgends)\n"})
    port = _free_port()
    process = _serve(root, port)
    try:
        status, kind, page = _until(lambda: _get(f"http://127.0.0.1:{port}/"), timeout=30)
        assert status == 503 and "content/messages/hallo.md:3:5: error[IM003]" in page
        assert 'name="viewport"' in page  # the problems read on a phone too
        # The error that stops the build comes first, not after the warnings of files sorted before it.
        assert page.index("error[IM003]") < page.index("content/a-seite.md:4: warning")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    stderr = process.stderr.read() if process.stderr else ""
    assert "build failed; the site appears once the problems are fixed" in stderr
    assert "last good build" not in stderr


def _build_in_memory(root: Path):
    from datetime import datetime

    from im_site.build import build
    from im_site.config import load_config
    from im_site.options import BuildOptions

    config = load_config(root / "site.yaml")
    options = BuildOptions(config_path=config.path, now=datetime.fromisoformat(NOW), live_reload=True, jobs=1)
    result = build(config, options)
    assert result.ok, result.diagnostics.format_text()
    return result


PREVIEW_SITE = {
    "content/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
    "content/messages/hallo.md": MESSAGE,
    "content/messages/zwei.md": "---\ntitle: Zweite Nachricht\ndate: 2026-01-02\n---\nZweiter Text.\n",
    "content/training/kurs/index.md": "---\ntitle: Kurs\nduration: 10\n---\nEinleitung.\n",
    "content/training/kurs/01-start.md": "---\ntitle: Start\n---\nLektion.\n",
}


def test_preview_renders_a_body_edit_exactly_as_the_full_rebuild(make_site) -> None:
    from im_site.preview import rerender

    root = make_site(PREVIEW_SITE)
    last = _build_in_memory(root)
    message = root / "content/messages/hallo.md"
    message.write_text(MESSAGE.replace("Erster Absatz.", "Neuer Absatz mit [Link](zwei.md)."), encoding="utf-8")
    file, html = rerender(last, message)
    assert file == "messages/hallo/index.html" and "Neuer Absatz" in html.decode()
    # Byte for byte what the full rebuild then renders: the open page needs no second reload.
    assert _build_in_memory(root).outputs.files[file] == html


@pytest.mark.parametrize("case", ["front-matter", "lesson", "broken-link", "syntax", "outside", "new-image",
                                  "new-heading"])
def test_preview_leaves_everything_else_to_the_full_rebuild(make_site, case) -> None:
    from im_site.preview import rerender

    root = make_site(PREVIEW_SITE)
    last = _build_in_memory(root)
    message, lesson = root / "content/messages/hallo.md", root / "content/training/kurs/01-start.md"
    changed = {
        "front-matter": (message, MESSAGE.replace("Hallo Team", "Hallo alle")),  # listings and feeds change
        "lesson": (lesson, "---\ntitle: Start\n---\nAndere Lektion.\n"),  # part of a module
        "broken-link": (message, MESSAGE + "\n[weg](fehlt.md)\n"),  # an error: the full rebuild reports it
        "syntax": (message, "---\ntitle: [kaputt\n---\n"),
        "outside": (root / "site.yaml", (root / "site.yaml").read_text(encoding="utf-8") + "\n"),
        "new-image": (message, MESSAGE + "\n![Logo](../logo.svg)\n"),  # not served until the full rebuild
        "new-heading": (message, MESSAGE + "\n## Neu\n"),  # lesson lists and anchors come from headings
    }
    path, text = changed[case]
    path.write_text(text, encoding="utf-8")
    assert rerender(last, path) is None


def test_serve_previews_an_edit_while_a_full_rebuild_runs(make_site, monkeypatch) -> None:
    """A second save during a long full rebuild shows at once, and that rebuild's older text does not replace it."""
    import threading
    from datetime import datetime

    from im_site import serve
    from im_site.options import BuildOptions

    root = make_site(PREVIEW_SITE)
    message = root / "content/messages/hallo.md"
    options = BuildOptions(config_path=root / "site.yaml", now=datetime.fromisoformat(NOW), jobs=1)
    site = serve.Site(root / "site.yaml", options, log=lambda text: None, fixed_clock=True)
    assert site.rebuild()

    def page() -> str:
        return site.lookup("/messages/hallo/")[2].decode()

    entered, release, real_build = threading.Event(), threading.Event(), serve.build

    def slow_build(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - wraps serve's build
        result = real_build(*args, **kwargs)  # the sources are read here, before the hold
        entered.set()
        assert release.wait(30)
        return result

    monkeypatch.setattr(serve, "build", slow_build)
    site.start()
    try:
        message.write_text(MESSAGE.replace("Erster Absatz.", "Zweite Fassung."), encoding="utf-8")
        site.changed(frozenset({message}))
        assert "Zweite Fassung." in page()  # previewed before any full rebuild
        assert entered.wait(30)  # the full rebuild (with "Zweite Fassung") has read the sources and is held
        message.write_text(MESSAGE.replace("Erster Absatz.", "Dritte Fassung."), encoding="utf-8")
        site.changed(frozenset({message}))
        assert "Dritte Fassung." in page()  # shown at once, while the rebuild is still running
        first = site.state.build
        release.set()  # the held rebuild ends with the older text ...
        _until(lambda: site.state.build >= first + 1)
        assert "Dritte Fassung." in page()  # ... which never replaces the newer preview
        assert "messages/hallo/index.html" not in site.state.changed
        _until(lambda: site.served[2] == {})  # the rebuild the second save asked for has the text itself
        assert "Dritte Fassung." in page()
    finally:
        release.set()
        site.stop()


def test_build_output_never_contains_the_live_reload_client(make_site) -> None:
    root = make_site({"content/messages/hallo.md": MESSAGE})
    assert build_site(root).exit_code == 0
    for path in (root / "_site").rglob("*"):
        assert "livereload" not in path.name
        if path.suffix in (".html", ".xml", ".json", ".js"):
            assert "livereload" not in path.read_text(encoding="utf-8"), path


def test_the_brand_examples_init_writes_build_once_uncommented(tmp_path: Path) -> None:
    """A designer bringing the brand's fonts found no `fonts:` in the starter site.yaml (only the
    README's table named it): the commented examples for fonts and dark colours build as they stand."""
    target = tmp_path / "marke"
    assert CliRunner().invoke(main, ["init", str(target)], catch_exceptions=False).exit_code == 0
    text = (target / "site.yaml").read_text(encoding="utf-8")
    examples = re.search(r"(?m)^  # fonts:.*\n(?:  #   .*\n|  # dark:.*\n)+", text)
    assert examples, text
    text = text.replace(examples.group(0), re.sub(r"(?m)^  # ", "  ", examples.group(0)))
    (target / "site.yaml").write_text(text, encoding="utf-8")
    fonts = Path(__file__).resolve().parent.parent / "content/assets/fonts"
    (target / "content/assets/fonts").mkdir()
    shutil.copy(fonts / "heading.woff2", target / "content/assets/fonts/brand-bold.woff2")
    shutil.copy(fonts / "body.woff2", target / "content/assets/fonts/brand-regular.woff2")
    built = build_site(target)
    assert built.exit_code == 0 and "warning" not in built.stderr, built.stderr
    [css] = (target / "_site/assets").glob("brand.*.css")
    assert css.read_text(encoding="utf-8").count("@font-face") == 2
    assert "--color-background:#0F1A13" in css.read_text(encoding="utf-8")
