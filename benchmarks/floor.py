#!/usr/bin/env python3
"""The Python "floor": the least work any Python static-site generator must do.

    python benchmarks/floor.py CONTENT_DIR OUT_DIR [--procs 2]

For every .md file under CONTENT_DIR: split off the YAML front matter (parsed
with PyYAML, the C loader when available), render the body with markdown-it-py
(CommonMark + tables), fill one Jinja template, and write
OUT_DIR/<path without .md>/index.html. Nothing else: no navigation, no
listings, no link checking, no assets, no cache. The files are split across
`--procs` worker processes (multiprocessing, fork).

A generator written in Python cannot be much faster than this on the same
machine; run.py reports it next to im-site and Hugo.
"""

from __future__ import annotations

import argparse
import os
import sys
from multiprocessing import get_context
from pathlib import Path

TEMPLATE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} | {{ site_title }}</title>
</head>
<body>
<header><a href="{{ root }}index.html">{{ site_title }}</a></header>
<main>
<article>
<h1>{{ title }}</h1>
{% if author %}<p class="byline">{{ author }}{% if role %}, {{ role }}{% endif %}{% if date %} · {{ date }}{% endif %}</p>{% endif %}
{{ body }}
{% if tags %}<p class="tags">{% for t in tags %}<span>{{ t }}</span> {% endfor %}</p>{% endif %}
</article>
</main>
<footer>{{ site_title }}</footer>
</body>
</html>
"""

_state: dict = {}


def _init(content: str, out: str) -> None:
    import jinja2
    import yaml
    from markdown_it import MarkdownIt

    _state["md"] = MarkdownIt("commonmark", {"html": False}).enable("table")
    _state["tpl"] = jinja2.Environment(autoescape=True).from_string(TEMPLATE)
    _state["load"] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _state["yaml"] = yaml
    _state["content"], _state["out"] = Path(content), Path(out)


def _render(rel: str) -> int:
    import markupsafe

    text = (_state["content"] / rel).read_text(encoding="utf-8")
    meta: dict = {}
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            meta = _state["yaml"].load(text[4:end], Loader=_state["load"]) or {}
            text = text[end + 5:]
    stem = rel[:-3]
    lang = "de"
    if stem.endswith(".en"):
        stem, lang = stem[:-3], "en"
        stem = "en/" + stem
    depth = stem.count("/") + 1
    html = _state["tpl"].render(
        lang=lang, title=meta.get("title", stem), site_title="Frischmarkt Intranet (Benchmark)",
        root="../" * depth, author=meta.get("author"), role=meta.get("role"), date=meta.get("date"),
        tags=meta.get("tags"), body=markupsafe.Markup(_state["md"].render(text)))
    dest = _state["out"] / stem / "index.html"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(html, encoding="utf-8")
    return 1


def build(content: Path, out: Path, procs: int = 2) -> int:
    files = sorted(p.relative_to(content).as_posix() for p in content.rglob("*.md"))
    if procs <= 1:
        _init(str(content), str(out))
        return sum(map(_render, files))
    with get_context("fork").Pool(procs, initializer=_init, initargs=(str(content), str(out))) as pool:
        return sum(pool.imap_unordered(_render, files, chunksize=max(1, len(files) // (procs * 8))))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="markdown-it-py + one Jinja template + write, for every .md")
    ap.add_argument("content", type=Path, help="content/ folder (or any folder of .md files)")
    ap.add_argument("out", type=Path)
    ap.add_argument("--procs", type=int, default=2, help="worker processes (default 2; 1 = no pool)")
    args = ap.parse_args(argv)
    if not args.content.is_dir():
        print(f"floor.py: {args.content} is not a folder", file=sys.stderr)
        return 2
    n = build(args.content, args.out, args.procs)
    if os.isatty(2):
        print(f"floor: {n} pages -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
