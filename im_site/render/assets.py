"""The theme's static files and the brand (logo, fonts, CSS variables), fingerprinted into assets/."""

from __future__ import annotations

import hashlib
import posixpath
from pathlib import Path

from ..image_metadata import MetadataError, without_metadata
from ..images import aspect_ratio, image_problem
from ..sources import decode, is_windows_reserved, report_windows_name
from ..theme import BrandFont, brand_css, font_weight, link_stylesheet, stylesheet_references, unbalanced_braces
from .context import RenderContext, template_path


def fingerprint(path: str, data: bytes) -> str:
    stem, suffix = posixpath.splitext(path)
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}{suffix}"


def add_theme_assets(ctx: RenderContext) -> None:
    """Theme static files and the brand (logo, fonts, CSS variables), fingerprinted."""
    static = {name: path for name, path in _static_inside(ctx, ctx.theme.static_files()).items() if _ships(ctx, name)}
    _check_windows_names(ctx, static)
    # Stylesheets last: their url()s name the other files by their fingerprinted names.
    for name, path in static.items():
        if not name.endswith(".css"):
            _add_static(ctx, name, path.read_bytes())
    for name in static:
        if name.endswith(".css"):
            _add_stylesheet(ctx, name, static, frozenset())
    brand = ctx.config.settings.brand
    fonts: dict[str, BrandFont] = {}
    ctx.extra_globals["logo_wordmark"] = False
    for role, rel in (("logo", brand.logo), ("heading", brand.fonts.heading), ("body", brand.fonts.body)):
        if not rel:
            continue
        output = _brand_file(ctx, role, rel)
        if output and role == "logo":
            ctx.extra_globals["logo_wordmark"] = _is_wordmark((ctx.config.content_dir / rel).read_bytes(), rel)
        if output and role != "logo":
            data = (ctx.config.content_dir / rel).read_bytes()
            fonts[role] = BrandFont(posixpath.relpath(output, "assets"), font_weight(data))
    css = brand_css(ctx.config, ctx.theme, fonts).encode()
    ctx.assets["brand.css"] = "assets/" + fingerprint("brand.css", css)
    ctx.outputs.add(ctx.assets["brand.css"], css, f"{ctx.config.file}:brand", ctx.diagnostics)


def _check_windows_names(ctx: RenderContext, static: dict[str, Path]) -> None:
    """A theme's file or folder named as a Windows device (`static/img/con.png`): the project
    cannot be checked out on Windows, as with such a name under content/ (`sources.walk`)."""
    reported = set()
    for name, path in sorted(static.items()):
        parts = name.split("/")
        for index, part in enumerate(parts):
            where = path.parents[len(parts) - 2 - index] if index < len(parts) - 1 else path
            if is_windows_reserved(part) and where not in reported:
                reported.add(where)
                report_windows_name(template_path(ctx, str(where)), part, "file" if where == path else "dir",
                                    ctx.diagnostics)


#: The search box's script and styles: every page would load them for a box that is not there.
SEARCH_ASSETS = frozenset({"search.js", "search.css"})


def _ships(ctx: RenderContext, name: str) -> bool:
    """Whether a theme's static file goes into this build: the dev server's client only when
    serving, the search box's files only with `search.enabled`."""
    if name == "livereload.js":
        return ctx.options.live_reload
    return name not in SEARCH_ASSETS or ctx.config.settings.search.enabled


def _static_inside(ctx: RenderContext, static: dict[str, Path]) -> dict[str, Path]:
    """The static files that are the project's or its themes': a symlink to any other file (a key
    in the home folder) would publish it."""
    allowed = [ctx.config.root.resolve(), *(folder.resolve() for _, folder in ctx.theme.chain)]
    inside = {}
    for name, path in static.items():
        if any(path.resolve().is_relative_to(folder) for folder in allowed):
            inside[name] = path
        else:
            ctx.diagnostics.error(template_path(ctx, str(path)), None, "IM011", "symlink points outside the project",
                                  hint="copy the file into the theme's static/ folder instead")
    return inside


def _add_static(ctx: RenderContext, name: str, data: bytes) -> None:
    output = "assets/" + fingerprint(name, data)
    ctx.assets[name] = output
    ctx.outputs.add(output, data, f"theme:{name}", ctx.diagnostics)


def _add_stylesheet(ctx: RenderContext, name: str, static: dict[str, Path], importing: frozenset[str]) -> None:
    """A stylesheet after those it imports (`@import "parts/forms.css"`), which it names by their
    fingerprinted names; `importing` are the stylesheets waiting for this one (an import cycle)."""
    if name in ctx.assets or name in importing:
        return
    css = _stylesheet_text(ctx, static[name])
    for referenced in stylesheet_references(css, name):
        if referenced.endswith(".css") and referenced in static:
            _add_stylesheet(ctx, referenced, static, importing | {name})
    _add_static(ctx, name, _linked_stylesheet(ctx, name, static[name], css, importing | {name}))


def _stylesheet_text(ctx: RenderContext, path: Path) -> str:
    """A theme stylesheet's text. Browsers read it as UTF-8 (the pages' encoding) unless it names
    another in `@charset`, so other bytes are reported: `ä` in Latin-1 would show as '�'."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if not data.startswith(b'@charset "'):
            decode(data, template_path(ctx, str(path)), ctx.diagnostics)  # reports the first bad byte
        return data.decode("utf-8", "surrogateescape")


def _linked_stylesheet(ctx: RenderContext, name: str, path: Path, text: str, importing: frozenset[str]) -> bytes:
    css, problems = link_stylesheet(text, name, ctx.assets, importing)
    for line, message, hint in problems:
        ctx.diagnostics.error(template_path(ctx, str(path)), line, "IM110", message, hint=hint)
    for line, message, hint in unbalanced_braces(text):
        ctx.diagnostics.warning(template_path(ctx, str(path)), line, "IM040", message, hint=hint)
    return css.encode("utf-8", "surrogateescape")


def _brand_file(ctx: RenderContext, role: str, rel: str) -> str | None:
    path = ctx.config.content_dir / rel
    key = ("brand", "fonts", role) if role != "logo" else ("brand", "logo")
    if not path.is_file() or not path.resolve().is_relative_to(ctx.config.content_dir.resolve()):
        ctx.diagnostics.error(ctx.config.file, ctx.config.line_of(*key), "IM110",
                              f"brand {role} {rel!r} not found under content/")
        return None
    data = path.read_bytes()
    problem = image_problem(data, rel) if role == "logo" else None
    if problem:
        ctx.diagnostics.error(ctx.config.file, ctx.config.line_of(*key), "IM112",
                              f"brand logo {rel!r} cannot be used: {problem}",
                              hint="use a JPEG, PNG, WebP, GIF or SVG file that opens in an image viewer")
        return None
    if role != "logo" and not data.startswith(b"wOF2"):
        ctx.diagnostics.error(ctx.config.file, ctx.config.line_of(*key), "IM112",
                              f"brand {role} font {rel!r} {_font_kind(data)}",
                              hint="convert it to WOFF2, e.g. with fonttools: fonttools ttLib.woff2 compress FONT")
        return None
    if role == "logo":
        try:  # published as it is: without its author's name and the path it was drawn at
            data = without_metadata(data, rel)
        except MetadataError as exc:
            ctx.diagnostics.error(ctx.config.file, ctx.config.line_of(*key), "IM112",
                                  f"brand logo {rel!r} cannot be used: {exc}", hint="save it again in an image editor")
            return None
    output = "assets/brand/" + fingerprint(posixpath.basename(rel), data)
    ctx.assets[f"brand:{role}"] = output
    ctx.outputs.add(output, data, f"{ctx.config.file}:brand.{role}", ctx.diagnostics)
    return output


WORDMARK_RATIO = 3.0


def _is_wordmark(data: bytes, rel: str) -> bool:
    """Whether the logo is at least three times as wide as high: a logo with the company's name in
    it (the demo's is 4.2:1), beside which the header's name said it twice and took a row's room."""
    ratio = aspect_ratio(data, rel)
    return ratio is not None and ratio >= WORDMARK_RATIO


def _font_kind(data: bytes) -> str:
    """What a font file that is not WOFF2 is, by its first bytes."""
    kinds = {b"wOFF": "WOFF 1", b"\x00\x01\x00\x00": "TrueType", b"true": "TrueType", b"OTTO": "OpenType"}
    kind = kinds.get(data[:4])
    return f"is a {kind} font, not WOFF2" if kind else "is not a font file (a WOFF2 file starts with 'wOF2')"
