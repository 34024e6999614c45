#!/usr/bin/env python3
"""What the search index costs: im-site's own index versus Pagefind, on one corpus.

    .venv/bin/python benchmarks/search_index.py SITE_DIR [--pagefind OUTPUT_DIR] [--runs 3]

SITE_DIR is a site made by corpus.py (search off in its site.yaml). The script
builds it in memory once, then times `search.language_files` for every
language (the whole of the indexing work `im-site build` adds) and reports
the median wall time and the peak of Python allocations during indexing
(tracemalloc; the build's own memory is not counted, just as Pagefind's
figure is its own process only). That is indexing from scratch, as in a
clean build; it also times indexing with every page's terms in the cache,
as in a rebuild after an edit.

With --pagefind OUTPUT_DIR (a built copy of the same site whose <article> carries
`data-pagefind-body`), it also runs the `pagefind_extended` binary of the
`pagefind[extended]` package over it under GNU time and reports wall time
and peak resident memory. Needs im-site installed (the repository's .venv).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace


def own_index(site: Path, runs: int) -> tuple[float, float, int, int, float, float]:
    """(median seconds in one process without a cache, peak MB, pages, bytes written, median
    seconds with a warm cache, seconds filling an empty cache across the build's workers)
    for im-site's index of `site`."""
    import tempfile

    from im_site import search
    from im_site.build import build
    from im_site.cache import Cache
    from im_site.config import load_config
    from im_site.diagnostics import Diagnostics
    from im_site.options import BuildOptions
    from im_site.theme import load_theme

    config = load_config(site / "site.yaml")
    result = build(config, BuildOptions(config_path=site / "site.yaml", now=datetime(2026, 11, 26, tzinfo=timezone.utc)))
    theme = load_theme(config, Diagnostics())
    ctx = SimpleNamespace(site=result.site, config=config, strings=theme.strings_for, options=result.options,
                          images=SimpleNamespace(cache=Cache(None)), kpi_data=None)  # no KPI dashboard
    def index() -> dict[str, bytes]:
        return {path: data for lang in config.languages for path, data in search.language_files(ctx, lang).items()}

    def timed() -> list[float]:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            index()
            times.append(time.perf_counter() - start)
        return times

    times = timed()
    # Memory in a separate run: tracemalloc slows allocation-heavy code many times over.
    tracemalloc.start()
    files = index()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    with tempfile.TemporaryDirectory() as folder:
        ctx.images.cache = Cache(Path(folder))
        start = time.perf_counter()
        index()  # fills the cache: the pages are stemmed by the workers, as in a clean build
        cold = time.perf_counter() - start
        warm = timed()
    return (statistics.median(times), peak, len(result.site.pages), sum(len(data) for data in files.values()),
            statistics.median(warm), cold)


def pagefind(output: Path) -> tuple[float, float]:
    """(seconds, peak MB) of the Pagefind CLI over a built site, from GNU time."""
    import pagefind_bin_extended  # noqa: F401  (the package that ships the binary)

    binary = Path(pagefind_bin_extended.__file__).parent / "pagefind_extended"
    run = subprocess.run(["/usr/bin/time", "-v", str(binary), "--site", str(output)],
                         capture_output=True, text=True, check=True)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\d+):([\d.]+)", run.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)
    return int(wall.group(1)) * 60 + float(wall.group(2)), int(rss.group(1)) / 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--pagefind", type=Path, help="built output with data-pagefind-body on the content")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    seconds, peak, pages, size, warm, cold = own_index(args.site, args.runs)
    print(f"im-site index: {pages} pages, {seconds:.2f} s in one process (median of {args.runs}), "
          f"peak {peak:.0f} MB allocated while indexing, {size / 1e6:.1f} MB of index files; "
          f"{cold:.2f} s filling an empty cache across the workers; {warm:.2f} s with every page's terms cached")
    if args.pagefind:
        seconds, peak = pagefind(args.pagefind)
        print(f"pagefind CLI:  {seconds:.1f} s, peak {peak:.0f} MB resident")
    return 0


if __name__ == "__main__":
    sys.exit(main())
