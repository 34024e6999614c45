"""Screenshots of the demo site for a quick visual review (not committed output).

Usage: python tools/screenshots.py OUTDIR [--config site.yaml] [--now ISO] [--dark]

Builds the site into a temporary folder, serves it on localhost and writes
full-page PNGs of the home page, a message, a training module and the KPI
dashboard at 1280 px (desktop) and 360 px (phone) into OUTDIR; with --dark as a
device set to dark mode shows them (`*-desktop-dark.png`). Needs
Playwright for Python and Debian's chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTHS = {"desktop": (1280, 900), "mobile": (360, 740)}


def chromium_path() -> str:
    """Debian's chromium: Playwright's own browser download is not used."""
    found = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        sys.exit("screenshots: no chromium found (apt-get install chromium)")
    return found


def build(config: Path, out: Path, now: str) -> None:
    """Build with the installed im-site, exactly as a user would."""
    command = [sys.executable, "-c", "from im_site.cli import main; main()",
               "--config", str(config), "build", "-o", str(out), "--now", now]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"screenshots: the build failed\n{done.stderr}")


def first(site: Path, pattern: str) -> str:
    """URL path of the first page matching pattern (sorted, so stable)."""
    matches = sorted(p for p in site.glob(pattern) if p.parent.name != p.parent.parent.name)
    if not matches:
        sys.exit(f"screenshots: no page matches {pattern}")
    return matches[0].relative_to(site).as_posix()


def pages(site: Path) -> dict[str, str]:
    """The four page types a reviewer looks at first."""
    modules = [p for p in sorted(site.glob("training/*/index.html"))]
    return {
        "home": "index.html",
        "message": first(site, "messages/*/index.html"),
        "module": (modules[-1] if modules else site / "training/index.html").relative_to(site).as_posix(),
        "kpis": "kpis/index.html",
    }


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler without a log line per request."""

    def log_message(self, format: str, *args: object) -> None:
        """Say nothing: the screenshots are the output."""


def serve(folder: Path) -> http.server.ThreadingHTTPServer:
    """A quiet static server on a free localhost port, in a background thread."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def shoot(site: Path, outdir: Path, scheme: str = "light") -> list[Path]:
    """Write one PNG per page and width; returns the files written."""
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    written = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            for device, (width, height) in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
                page = context.new_page()
                for name, path in pages(site).items():
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    target = outdir / f"{name}-{device}{'-dark' if scheme == 'dark' else ''}.png"
                    page.screenshot(path=str(target), full_page=True)
                    written.append(target)
                context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="folder for the PNG files (created)")
    parser.add_argument("--config", type=Path, default=ROOT / "site.yaml", help="site.yaml of the site (default: the demo)")
    parser.add_argument("--now", default="2026-11-26T12:00:00+00:00", help="build clock, for repeatable pictures")
    parser.add_argument("--dark", action="store_true", help="as a device set to dark mode shows the pages")
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="im-site-shots-") as tmp:
        site = Path(tmp) / "site"
        build(args.config.resolve(), site, args.now)
        for path in shoot(site, args.outdir, "dark" if args.dark else "light"):
            print(path)


if __name__ == "__main__":
    main()
