"""Shared fixtures: small real sites written as files, built through the real CLI."""

from __future__ import annotations

import compileall
import functools
import os
import shutil
import signal
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from im_site.cli import main

import hypothesis_profiles  # noqa: F401 - registers the `ci` (default) and `deep` profiles

# A test run started in the background by a non-interactive shell (`cmd &`) inherits SIGINT
# ignored, and so would every im-site process the tests start: the Ctrl-C and dev-server tests
# need Ctrl-C to work. A Python handler here resets to the default in every child at exec.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread: nothing to do from here
        pass
# Likewise a run under `nohup` inherits SIGHUP ignored, and im-site (rightly) keeps ignoring it: the
# hang-up tests then saw a publish finish. A Python handler that ignores it keeps this run immune to
# a hang-up, as asked, while every child starts with the default.
if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:
    try:
        signal.signal(signal.SIGHUP, lambda signum, frame: None)
    except ValueError:
        pass

# Hundreds of tests start `im-site` as a real process. Where PYTHONDONTWRITEBYTECODE is set (as on
# our CI machines) each of them compiled im-site's own modules again, a fifth of a second apiece:
# compiled once here, every process reads them (an installed im-site comes compiled).
compileall.compile_dir(Path(__file__).resolve().parent.parent / "im_site", quiet=1)

NOW = "2026-11-26T12:00:00+00:00"
#: The user manual, whose examples tests build as printed (`readme_block`).
README = Path(__file__).resolve().parent.parent / "README.md"

BASIC_SITE_YAML = """\
title: Test Intranet
language: de
languages: [de, en]
audiences:
  - {id: filiale, label: Filialteams}
  - {id: zentrale, label: Zentrale}
pillars:
  - {id: leadership, label: Führung}
  - {id: training, label: Training}
menu:
  - {label: Nachrichten, url: /messages/}
feedback: mailto:intern@example.com
"""


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write {relative path: text or bytes}; text is dedented."""
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data).lstrip("\n"), encoding="utf-8")


def shrink_photos(folder: Path) -> None:
    """The JPEG photos below `folder` (the demo's) at 320 pixels wide: one image variant each
    instead of three. Encoding the 1600-pixel variants took half of each clean build of the demo,
    for tests of other things (test_images covers the variants). Shrunk once per test process."""
    for path in sorted(folder.glob("*.jpg")):
        path.write_bytes(_small_photo(path.name, path.read_bytes()))


@functools.lru_cache(maxsize=None)
def _small_photo(name: str, data: bytes) -> bytes:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        small = image.resize((320, round(image.height * 320 / image.width)))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """make_site({path: text}) -> the site folder (site.yaml defaults to BASIC_SITE_YAML)."""
    def make(files: dict[str, str | bytes], *, site_yaml: str | None = None, folder: str = "site") -> Path:
        root = tmp_path / folder
        root.mkdir(parents=True, exist_ok=True)
        (root / "content").mkdir(exist_ok=True)
        (root / "site.yaml").write_text(site_yaml if site_yaml is not None else BASIC_SITE_YAML, encoding="utf-8")
        write_files(root, files)
        return root
    return make


def run_cli(root: Path, *args: str) -> Result:
    """Run `im-site --config root/site.yaml ARGS` through click's runner (stderr kept apart)."""
    return CliRunner().invoke(main, ["--config", str(root / "site.yaml"), *args], catch_exceptions=False)


def build_site(root: Path, *args: str, now: str = NOW) -> Result:
    """`im-site build --now NOW [args]` in root."""
    return run_cli(root, "build", "--now", now, *args)


def said(result: Result, code: str) -> list[str]:
    """The lines of a run's stderr with diagnostic `code`."""
    return [line for line in result.stderr.splitlines() if code in line]


def readme_block(after: str, language: str = "") -> str:
    """The first ```language block of README.md after the line that starts with `after`."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"```{language}\n", text.index(f"\n{after}")) + len(language) + 4
    return text[start:text.index("```", start)]


def snapshot_tree(folder: Path) -> dict[str, bytes]:
    """Every file below folder by relative path, for before/after comparisons."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- browser (see README.md, "Browser support and accessibility")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_executable() -> str | None:
    """Debian's chromium (Playwright's own browser download does not work on our network)."""
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless chromium per test process, shared by every browser test.

    Skips with a reason only when no chromium is installed or it cannot start; with
    CI set, a chromium that exists but cannot start fails instead of skipping.
    (One Playwright per process: a second sync_playwright() in the same process fails.)
    """
    in_ci = bool(os.environ.get("CI"))
    executable = chromium_executable()
    if executable is None:
        pytest.skip("browser tests need chromium (apt-get install chromium); none found")
    if in_ci:
        from playwright.sync_api import sync_playwright
    else:
        sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    manager = sync_playwright().start()
    try:
        launched = manager.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except Exception as error:  # noqa: BLE001 - any launch failure means "no usable browser"
        manager.stop()
        if in_ci:
            pytest.fail(f"chromium at {executable} exists but does not start (CI is set): {error}")
        pytest.skip(f"chromium at {executable} does not start: {error}")
    yield launched
    launched.close()
    manager.stop()
