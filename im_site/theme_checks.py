"""The checks of a theme that a build runs once: texts, tokens, blocks and templates that show
nowhere, and templates that load files from other hosts. Each finding is a warning or error at
the line of the theme file that causes it (theme.py loads the theme and calls `check_theme`)."""

from __future__ import annotations

import difflib
import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import jinja2.meta

from .diagnostics import Diagnostics
from .urls import other_host_loads
from .yamldoc import YamlDoc

if TYPE_CHECKING:
    from .model import Page
    from .theme import ThemeSettings

BUILTIN = Path(__file__).parent / "themes" / "default"
#: A theme text a template shows: `t.key` or `t['key']`.
_STRING_USE = re.compile(r"""\bt\.([A-Za-z_]\w*)|\bt\[\s*["']([^"']+)["']\s*\]""")


def check_theme(env: jinja2.Environment, chain: list[tuple[str, Path]], settings_chain: list["ThemeSettings"],
                docs: list[tuple[str, YamlDoc | None]], token_lines: dict[str, tuple[str, int | None]], root: Path,
                diagnostics: Diagnostics, named: frozenset[str] | None) -> None:
    """Every check of a loaded theme, in the order its findings are reported. `named`: the templates
    pages choose (`template:`), or None where no pages are rendered (digest): then no template can
    be said to show nowhere. Each template of the chain is read once, for all of them."""
    templates = _templates(chain)
    _check_strings(chain, templates, settings_chain, docs, diagnostics)
    _check_tokens(chain, templates, token_lines, diagnostics)
    own = [(path, template, text) for name, path, template, text in templates if name != "default"]
    _check_blocks(env, own, root, diagnostics)
    _check_other_hosts(own, root, diagnostics)
    if named is not None:
        _check_unused_templates(env, templates, own, root, diagnostics, named)


#: (theme name, file, template name below templates/, text) of each template of a chain.
Template = tuple[str, Path, str, str]


def _templates(chain: list[tuple[str, Path]]) -> list[Template]:
    """Every file below each theme's templates/, read once."""
    found = []
    for name, folder in chain:
        for path in sorted((folder / "templates").rglob("*")) if (folder / "templates").is_dir() else []:
            if path.is_file():
                found.append((name, path, path.relative_to(folder / "templates").as_posix(),
                              path.read_text(encoding="utf-8", errors="replace")))
    return found


def _shown(path: Path, root: Path) -> str:
    """A theme file as diagnostics name it: relative to the site, else by its name."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name


def _check_blocks(env: jinja2.Environment, own: list[tuple[Path, str, str]], root: Path, diagnostics: Diagnostics) -> None:
    """A block in a theme's template that no template it extends has (`{% block content %}` where the
    built-in theme's is `main`) is never rendered, and Jinja says nothing: warning IM040."""
    for path, _, text in own:
        if path.suffix != ".html":
            continue
        parsed = _parsed(env, text)
        extends = next(parsed.find_all(jinja2.nodes.Extends), None) if parsed is not None else None
        if extends is None or not isinstance(extends.template, jinja2.nodes.Const):
            continue
        inherited = _inherited_blocks(env, str(extends.template.value), set())
        for block in (b for b in _outer_blocks(parsed) if inherited is not None and b.name not in inherited):
            match = difflib.get_close_matches(block.name, sorted(inherited), n=1, cutoff=0.6)
            diagnostics.warning(_shown(path, root), block.lineno, "IM040", f"block {block.name!r} is in no template "
                                f"that this one extends ({extends.template.value}), so it shows nowhere",
                                hint=f"did you mean {match[0]!r}?" if match else
                                f"the blocks there: {', '.join(sorted(inherited))}")


#: A Jinja comment, whose text is no markup (`{# <script src="https://…"> #}`).
_JINJA_COMMENT = re.compile(r"{#.*?#}", re.S)


def _check_other_hosts(own: list[tuple[Path, str, str]], root: Path, diagnostics: Diagnostics) -> None:
    """A theme template that loads a file from another host (a Google Fonts `<link>`, a CDN script)
    broke the promise that pages load nothing from other hosts, on an intranet that may not reach
    them, without a word: error IM110 at its line, as in a theme stylesheet. The e-mail digest is
    no page (its pictures must be full addresses)."""
    for path, _, source in own:
        if path.suffix != ".html" or path.name == "digest.html":
            continue
        text = _JINJA_COMMENT.sub(lambda comment: "\n" * comment.group(0).count("\n"), source)
        for offset, url in other_host_loads(text):
            diagnostics.error(_shown(path, root), text.count("\n", 0, offset) + 1, "IM110",
                              f"{url!r} loads from another host; pages load nothing from other hosts",
                              hint="put the file in the theme's static/ folder and name it with asset(): "
                                   "{{ asset('fonts/brand.woff2') }}")


def _check_unused_templates(env: jinja2.Environment, templates: list[Template], own: list[tuple[Path, str, str]],
                            root: Path, diagnostics: Diagnostics, named: frozenset[str]) -> None:
    """A theme template that overrides no built-in one and whose name no template gives
    (`partials/header.html`, where the header is in base.html; `mesage.html`) is never rendered,
    and the designer saw their change nowhere without a word: warning IM040, with the built-in
    template it resembles. Not said when some template names one by a variable (`"x/" ~ kind`)."""
    builtin = sorted(path.relative_to(BUILTIN / "templates").as_posix()
                     for path in (BUILTIN / "templates").rglob("*") if path.is_file())
    candidates = [(path, template) for path, template, _ in own
                  if path.suffix == ".html" and template not in builtin and template not in named]  # named: `template:`
    if not candidates:
        return  # the usual theme, overrides only: no template need be parsed
    sources = {path: text for _, path, _, text in templates if path.suffix == ".html"}
    unused = [(path, template) for path, template in candidates
              if not any(template in source for other, source in sources.items() if other != path)]
    if not unused or any(None in jinja2.meta.find_referenced_templates(parsed) for source in sources.values()
                         if (parsed := _parsed(env, source)) is not None):
        return
    stems = {_stem(other): other for other in builtin}
    for path, template in unused:
        # Names compared without folder and extension: `partials/header.html` is not `partials/badges.html`.
        match = [stems[stem] for stem in difflib.get_close_matches(_stem(template), stems, n=1, cutoff=0.75)]
        diagnostics.warning(_shown(path, root), 1, "IM040", f"template {template!r} overrides no built-in template and no template "
                            "includes it, so it shows nowhere",
                            hint=f"did you mean {match[0]!r}?" if match else
                            f"include it where it belongs ({{% include \"{template}\" %}}), or override a built-in "
                            "template by its name (the header and footer are in base.html)")


def _stem(template: str) -> str:
    return posixpath.splitext(posixpath.basename(template))[0]


def _outer_blocks(node: jinja2.nodes.Node) -> list[jinja2.nodes.Block]:
    """The blocks not inside another block: those a child template overrides. (A block nested in
    one of them is new, rendered where it stands, and a template extending this one can override it.)"""
    found: list[jinja2.nodes.Block] = []
    for child in node.iter_child_nodes():
        found += [child] if isinstance(child, jinja2.nodes.Block) else _outer_blocks(child)
    return found


def _inherited_blocks(env: jinja2.Environment, name: str, seen: set[str]) -> set[str] | None:
    """The blocks of template `name` and of those it extends; None when one cannot be read (an
    error reported where the template is rendered)."""
    if name in seen:
        return None
    seen.add(name)
    try:
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        return None
    parsed = _parsed(env, source)
    if parsed is None:
        return None
    blocks = {block.name for block in parsed.find_all(jinja2.nodes.Block)}
    extends = next(parsed.find_all(jinja2.nodes.Extends), None)
    if extends is None:
        return blocks
    if not isinstance(extends.template, jinja2.nodes.Const):
        return None
    parents = _inherited_blocks(env, str(extends.template.value), seen)
    return None if parents is None else blocks | parents


def _parsed(env: jinja2.Environment, source: str) -> jinja2.nodes.Template | None:
    try:
        return env.parse(source)
    except jinja2.TemplateSyntaxError:
        return None


def _check_strings(chain: list[tuple[str, Path]], templates: list[Template], settings_chain: list["ThemeSettings"],
                   docs: list[tuple[str, YamlDoc | None]], diagnostics: Diagnostics) -> None:
    """A text a theme gives that neither the built-in theme nor any template of the chain uses
    (`feedbak_intro:`) would be silently ignored: warning IM040, with the key it resembles."""
    builtin = {key for (name, _), settings in zip(chain, settings_chain, strict=True) if name == "default"
               for strings in settings.strings.values() for key in strings}
    known = builtin | {match[0] or match[1] for *_, text in templates for match in _STRING_USE.findall(text)}
    for (name, _), settings, (rel, doc) in zip(chain, settings_chain, docs, strict=True):
        if name == "default":
            continue
        given = {key for strings in settings.strings.values() for key in strings}
        for lang, strings in sorted(settings.strings.items()):
            for key in sorted(set(strings) - known):
                match = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.7)
                # A name only a template uses, and no theme gives: the template may be the one misspelt.
                hint = ((f"a template uses t.{match[0]}: write the two alike" if match[0] not in builtin | given
                         else f"did you mean {match[0]!r}?") if match
                        else "use it in a template of the theme as {{ t." + key + " }}")
                diagnostics.warning(rel, doc.line_of(("strings", lang, key)) if doc is not None else None, "IM040",
                                    f"text {key!r} is used by no template, so it shows nowhere", hint=hint)


#: A custom property read (`var(--color-link`) or set by a theme stylesheet or template.
_PROPERTY_USE = re.compile(r"var\(\s*--([\w-]+)")
#: The tokens site.yaml's brand sets (`brand_css`): read by the stylesheets, never unused.
_BRAND_TOKENS = frozenset({"color-primary", "color-secondary", "color-text", "color-background"})


def _check_tokens(chain: list[tuple[str, Path]], templates: list[Template], token_lines: dict[str, tuple[str, int | None]],
                  diagnostics: Diagnostics) -> None:
    """A token a theme sets that no stylesheet or template of the chain reads (`colour-link:` for
    `color-link`) became an unused `--colour-link` without a word: warning IM040, with the token
    it resembles."""
    if not token_lines:
        return
    read = {name for *_, text in templates for name in _PROPERTY_USE.findall(text)}
    for _, folder in chain:
        for path in sorted((folder / "static").rglob("*.css")) if (folder / "static").is_dir() else []:
            read.update(_PROPERTY_USE.findall(path.read_text(encoding="utf-8", errors="replace")))
    for token, (rel, line) in sorted(token_lines.items()):
        if token in read or token in _BRAND_TOKENS:
            continue
        match = difflib.get_close_matches(token, sorted(read - set(token_lines)), n=1, cutoff=0.7)
        diagnostics.warning(rel, line, "IM040", f"token {token!r} is read by no stylesheet, so it changes nothing",
                            hint=f"did you mean {match[0]!r}?" if match else
                            f"use it in the theme's stylesheet as var(--{token})")


def check_page_templates(env: jinja2.Environment, pages: list["Page"], diagnostics: Diagnostics) -> None:
    """A page's `template:` names a template of the theme: error IM040 at that line otherwise, with
    the one meant."""
    known = set(env.list_templates())
    for page in pages:
        template = getattr(page.meta, "template", None)
        if template is None or template in known:
            continue
        diagnostics.error(page.path, page.line_of(("template",)) if page.line_of else None, "IM040",
                          f"template {template!r} is not in the theme",
                          hint=template_hint(template, env) or
                          f"add templates/{template} to your theme (it may extend \"default:page.html\")")


def template_hint(name: str, env: jinja2.Environment) -> str | None:
    """The template meant by a name not found (`partials/kontakt.html` for `partials/contact.html`)."""
    known = sorted(template for template in env.list_templates() if ":" not in template)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return f"did you mean {close[0]!r}?" if close else None
