"""Browser fixtures: pages on the session's chromium (tests/conftest.py), the demo site and a plain default-theme site
built once per session, each served over HTTP (also under a sub-path) with a strict
Content-Security-Policy.

The suite skips with a reason only when no chromium is installed or it cannot start;
with CI set, a chromium that exists but cannot start fails the suite instead.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NOW = "2026-11-26T12:00:00+00:00"
# The policy README.md recommends for nginx (stricter than default-src 'self'; img-src 'self' data:).
CSP = "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
SUB_PATH = "/sub/path/"


def im_site(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a child process, as a user would; fail the test on a non-zero exit."""
    command = [sys.executable, "-c", "from im_site.cli import main; main()", *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False, timeout=120)
    assert done.returncode == 0, f"im-site {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write {relative path: dedented text} below root."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


# ---------------------------------------------------------------- pages
# The session-wide `browser` fixture lives in tests/conftest.py (one Playwright per process).

@dataclass
class Watched:
    """A page plus every console error, CSP report and uncaught exception it produced."""

    page: Any
    problems: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        """No console error (CSP violations are console errors) and no page error."""
        assert not self.problems, "browser reported:\n" + "\n".join(self.problems)


def watch(page: Any) -> Watched:
    """Record console errors and page errors of page."""
    watched = Watched(page)

    def on_console(message: Any) -> None:
        url = message.location.get("url", "")
        # A browser may still guess /favicon.ico (every page links the theme's icon; see test_core).
        if message.type == "error" and not url.endswith("/favicon.ico"):
            watched.problems.append(f"console error: {message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.problems.append(f"pageerror: {error}"))
    return watched


@contextlib.contextmanager
def desktop_tab(browser: Any, **options: Any) -> Iterator[Watched]:
    """One desktop tab for a module's page-by-page checks, as a reader goes from page to page (a new
    browser context for each page cost a quarter of a second apiece)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(10_000)
    try:
        yield watch(context.new_page())
    finally:
        context.close()


@contextlib.contextmanager
def clean_turn(watched: Watched) -> Iterator[Any]:
    """The shared tab's page for one test, which must end it without console errors or CSP violations."""
    watched.problems.clear()
    yield watched.page
    watched.assert_clean()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """new_page(**context options) -> Watched; every context opened is closed after the test."""
    contexts = []

    def make(**options: Any) -> Watched:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return watch(context.new_page())

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Any) -> Iterator[Any]:
    """A desktop page that must end the test without console errors or CSP violations."""
    watched = new_page()
    yield watched.page
    watched.assert_clean()


# ---------------------------------------------------------------- HTTP

class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with a strict CSP; the same folder also answers under SUB_PATH."""

    def translate_path(self, path: str) -> str:
        """Strip the sub-path so /sub/path/x and /x name the same file."""
        if path.startswith(SUB_PATH):
            path = "/" + path[len(SUB_PATH):]
        elif path == SUB_PATH.rstrip("/"):
            path = "/"
        return super().translate_path(path)

    def end_headers(self) -> None:
        """Every response carries the policy the nginx docs recommend."""
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: pytest shows failures, not access logs."""


@dataclass
class Served:
    """A folder on a local HTTP server: url is the root, sub the same site under SUB_PATH."""

    folder: Path
    url: str

    @property
    def sub(self) -> str:
        return self.url.rstrip("/") + SUB_PATH


def serve(folder: Path) -> tuple[Served, http.server.ThreadingHTTPServer]:
    """Serve folder on a free localhost port in a daemon thread."""
    handler = functools.partial(SiteHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Served(folder, f"http://127.0.0.1:{server.server_address[1]}/"), server


@pytest.fixture(scope="session")
def serve_folder() -> Iterator[Any]:
    """serve_folder(path) -> Served; all servers stop at the end of the session."""
    servers = []

    def start(folder: Path) -> Served:
        served, server = serve(folder)
        servers.append(server)
        return served

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- sites

@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory, serve_folder: Any) -> Served:
    """The Frischmarkt demo site, built once, served over HTTP."""
    out = tmp_path_factory.mktemp("demo") / "site"
    im_site("--config", str(REPO / "site.yaml"), "build", "-o", str(out), "--now", NOW)
    return serve_folder(out)


LONG_VERSION = "2026-12-01-merge-4711-abcdef0"


@pytest.fixture(scope="session")
def published_demo(tmp_path_factory: pytest.TempPathFactory, serve_folder: Any) -> Served:
    """The demo site published once under a long version id, as CI names a merge, served over HTTP."""
    dest = tmp_path_factory.mktemp("demo-published") / "public"
    im_site("--config", str(REPO / "site.yaml"), "publish", "--dest", str(dest), "--version", LONG_VERSION, "--now", NOW)
    return serve_folder(dest)


PLAIN_SITE_YAML = """\
title: Plain Intranet
language: de
languages: [de, en]
audiences:
  - {id: filiale, label: {de: Filialteams, en: Store teams}}
  - {id: zentrale, label: {de: Zentrale, en: Head office}}
pillars:
  - {id: communication, label: {de: Kommunikation, en: Communication}}
  - {id: training, label: {de: Training, en: Training}}
menu:
  - {label: {de: Nachrichten, en: News}, url: /messages/}
  - {label: {de: Training, en: Training}, url: /training/}
  - {label: {de: Kennzahlen, en: KPIs}, url: /kpis/}
  - {label: {de: Über uns, en: About}, url: /ueber-uns/}
feedback: mailto:intern@example.com
acknowledge_url: https://forms.example.com/ack?page={id}&version={version}
"""

TABLE = """
| Filiale | Montag | Dienstag | Mittwoch | Donnerstag | Freitag | Samstag |
|---|---|---|---|---|---|---|
| Leipzig-Zentrum | 06:00–21:00 | 06:00–21:00 | 06:00–21:00 | 06:00–21:00 | 06:00–22:00 | 07:00–22:00 |
| Köln-Ehrenfeld | 07:00–20:00 | 07:00–20:00 | 07:00–20:00 | 07:00–20:00 | 07:00–21:00 | 07:00–21:00 |
"""

PLAIN_FILES = {
    "content/index.md": "---\ntitle: Willkommen\n---\nDas Intranet für alle Teams.\n",
    "content/index.en.md": "---\ntitle: Welcome\n---\nThe intranet for every team.\n",
    "content/ueber-uns.md": "---\ntitle: Über uns\n---\nWir sind das Kommunikationsteam.\n" + TABLE,
    "content/ueber-uns.en.md": "---\ntitle: About us\n---\nWe are the communications team.\n" + TABLE,
    "content/messages/2026-10-schulungen.md": textwrap.dedent("""
        ---
        title: Neue Schulung für die Kasse
        date: 2026-10-01
        summary: Eine kurze Schulung für alle Kassenteams.
        author: Katrin Vogt
        must_read: true
        audiences: [filiale]
        pillars: [training]
        tags: [kasse]
        ---
        Ab November gibt es eine neue Schulung zur Kasse. Sie dauert zwanzig Minuten.
        """) + TABLE,
    "content/messages/2026-10-schulungen.en.md": """
        ---
        title: New checkout training
        date: 2026-10-01
        summary: A short training for every checkout team.
        author: Katrin Vogt
        must_read: true
        audiences: [filiale]
        pillars: [training]
        tags: [kasse]
        ---
        From November there is a new checkout training. It takes twenty minutes.
        """,
    "content/messages/2026-11-zentrale.md": """
        ---
        title: Die Zentrale zieht um
        date: 2026-11-02
        summary: Ab Januar sitzen alle Abteilungen in einem Haus.
        pillars: [communication]
        ---
        Der Umzug beginnt im Januar.
        """,
    "content/messages/2026-11-zentrale.en.md": """
        ---
        title: Head office moves
        date: 2026-11-02
        summary: From January every department sits in one building.
        pillars: [communication]
        ---
        The move starts in January.
        """,
    "content/training/kasse.md": """
        ---
        title: Kasse in fünf Minuten
        summary: Die wichtigsten Handgriffe an der Kasse.
        duration: 15
        level: basis
        audiences: [filiale]
        objectives: [Eine Kasse öffnen, Einen Bon stornieren]
        quiz:
          - question: Wann öffnest du eine zweite Kasse?
            options: [Ab drei Wartenden, Nie, Nur mit Erlaubnis]
            answer: 0
            explain: Ab drei Wartenden öffnet die nächste freie Kollegin.
          - question: Welche Waren brauchen eine Altersprüfung?
            options: [Wein, Brot, Tabak]
            answer: [0, 2]
            explain: Alkohol und Tabak nur ab dem gesetzlichen Alter.
        ---
        ## Die Kasse öffnen

        Anmelden, Wechselgeld zählen, los geht's.
        """,
    "content/training/kasse.en.md": """
        ---
        title: Checkout in five minutes
        summary: The main moves at the checkout.
        duration: 15
        level: basis
        audiences: [filiale]
        objectives: [Open a till, Void a receipt]
        quiz:
          - question: When do you open a second till?
            options: [From three people waiting, Never, Only with permission]
            answer: 0
            explain: From three people waiting the next free colleague opens one.
          - question: Which goods need an age check?
            options: [Wine, Bread, Tobacco]
            answer: [0, 2]
            explain: Alcohol and tobacco only from the legal age.
        ---
        ## Opening the till

        Log in, count the change, off you go.
        """,
    "content/training/planung.md": """
        ---
        title: Schichtplanung
        summary: Schichten fair planen.
        duration: 30
        level: aufbau
        audiences: [zentrale]
        ---
        Text.
        """,
    "content/kpis/kpis.yaml": """
        kpis:
          - id: satisfaction
            label: {de: Zufriedenheit, en: Satisfaction}
            category: engagement
            unit: "%"
            direction: up
            target: 75
          - id: complaints
            label: {de: Beschwerden, en: Complaints}
            category: behavior
            unit: {de: je 1000 Bons, en: per 1000 receipts}
            direction: down
        """,
    "content/kpis/2026-q2.md": """
        ---
        title: Kennzahlen Q2
        period: 2026-Q2
        baseline: true
        values: {satisfaction: 61.5, complaints: 3.2}
        ---
        Die erste Messung.
        """,
    "content/kpis/2026-q3.md": """
        ---
        title: Kennzahlen Q3
        period: 2026-Q3
        date: 2026-10-09
        values: {satisfaction: 66.0, complaints: 2.8}
        ---
        Besser geworden.
        """,
    "content/kpis/2026-q3.en.md": """
        ---
        title: KPIs Q3
        period: 2026-Q3
        date: 2026-10-09
        values: {satisfaction: 66.0, complaints: 2.8}
        ---
        Better.
        """,
}


@pytest.fixture(scope="session")
def plain_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The source folder of a small site in the built-in default theme."""
    root = tmp_path_factory.mktemp("plain") / "src"
    (root / "content").mkdir(parents=True)
    (root / "site.yaml").write_text(PLAIN_SITE_YAML, encoding="utf-8")
    write_files(root, PLAIN_FILES)
    return root


@pytest.fixture(scope="session")
def plain_site(plain_source: Path, serve_folder: Any) -> Served:
    """The default-theme site, built once, served over HTTP."""
    out = plain_source.parent / "site"
    im_site("--config", str(plain_source / "site.yaml"), "build", "-o", str(out), "--now", NOW)
    return serve_folder(out)


@pytest.fixture(scope="session")
def published(plain_source: Path, tmp_path_factory: pytest.TempPathFactory, serve_folder: Any) -> Served:
    """The default-theme site published twice: v2 adds a message that v1 lacks."""
    source = tmp_path_factory.mktemp("versions") / "src"
    shutil.copytree(plain_source, source)
    dest = source.parent / "public"
    config = str(source / "site.yaml")
    im_site("--config", config, "publish", "--dest", str(dest), "--version", "v1", "--now", NOW)
    write_files(source, {"content/messages/2026-11-neu.md": """
        ---
        title: Nur in Version zwei
        date: 2026-11-20
        ---
        Neu.
        """})
    im_site("--config", config, "publish", "--dest", str(dest), "--version", "v2", "--now", NOW)
    return serve_folder(dest)
