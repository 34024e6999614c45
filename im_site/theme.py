"""Themes: the `extends` chain -> one Jinja Environment, merged strings, static files, brand CSS.

Lookup order is the site theme, then its parents, then the built-in `default`.
Each theme is also reachable by prefix, so a brand template can extend the
one it overrides: `{% extends "default:base.html" %}`.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import posixpath
import re
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FunctionType
from typing import Any
from urllib.parse import unquote

import jinja2
import jinja2.runtime
import markupsafe
from jinja2.utils import internalcode

from .cache import code_key
from .colours import check_dark_tokens, color_scheme, dark_rules, light_colours
from .config import Config, KeptInCache, primary_language
from .diagnostics import Diagnostics
from .foreign import ForeignText
from .schema import Strict, validate
from .theme_checks import check_theme
from .urls import is_external, quote_path, scheme_of
from .yamldoc import YamlDoc, YamlProblem, load

BUILTIN = Path(__file__).parent / "themes" / "default"
#: Re-exported so that verbs rendering their own template (digest) need not import jinja2.
TemplateError = jinja2.TemplateError
#: A CSS string, whose text is never a reference (`content: "url(x.png)"`, `content: "/*"`).
_CSS_STRING = r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
#: What a stylesheet loads: `url(...)`, `@import "..."` and the strings of `image-set(...)`, in any
#: case (CSS reads `URL(` as `url(`); comments, strings and `@namespace` (a name, not a file) are
#: matched only to be skipped. A URL holds no `(` (CSS needs it escaped), so an unclosed `url(` is
#: given up at the next one.
_CSS_REFERENCE = re.compile(r"""/\*.*?\*/|@namespace[^;]*;|url\(\s*(["']?)(?P<url>[^"'()]*?)\1\s*\)"""
                            r"""|@import\s+(["'])(?P<imported>[^"']*)\3"""
                            rf"""|(?<![\w-])(?:-webkit-)?image-set\((?P<set>(?:{_CSS_STRING}|[^()"']|\([^()]*\))*)\)"""
                            rf"""|{_CSS_STRING}""", re.S | re.I)
#: Inside `image-set(...)`: a file as `url(...)` or as a string; `type("image/avif")` names none.
_IMAGE_SET_ENTRY = re.compile(r"""type\([^)]*\)|url\(\s*(["']?)(?P<url>[^"'()]*?)\1\s*\)|"(?P<double>[^"]*)"|'(?P<single>[^']*)'""",
                              re.I)


#: What can hold a `{` or `}` that is no block's (comments, strings, escapes), and the braces.
#: A string ends at a newline as in CSS; a comment never closed runs to the end of the file.
_CSS_BRACE_TOKEN = re.compile(r"""/\*(?:.*?\*/|(?P<open_comment>.*))|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|\\.|[{}]""",
                              re.S)


class ThemeSettings(Strict):
    """theme.yaml: parent theme, CSS token defaults, UI strings per language."""

    name: str | None = None
    extends: str | None = None
    tokens: dict[str, str] = {}
    #: The colour tokens in dark mode (same names as `tokens`); those not given are derived.
    dark_tokens: dict[str, str] = {}
    strings: dict[str, dict[str, str]] = {}


@dataclass
class Theme:
    """The resolved chain: child first, `default` last."""

    chain: list[tuple[str, Path]]
    tokens: dict[str, str] = field(default_factory=dict)
    strings: dict[str, dict[str, str]] = field(default_factory=dict)
    env: jinja2.Environment | None = None
    #: Where a site theme (not the built-in one) sets each token it sets: (theme.yaml path, line).
    token_lines: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    dark_tokens: dict[str, str] = field(default_factory=dict)
    #: Where each dark token is set (the built-in theme's too: `dark_scheme` reports them).
    dark_token_lines: dict[str, tuple[str, int | None]] = field(default_factory=dict)

    def static_files(self) -> dict[str, Path]:
        """Static files by path, the child's file winning over its parents'."""
        files: dict[str, Path] = {}
        for _, folder in reversed(self.chain):
            static = folder / "static"
            if static.is_dir():
                for path in sorted(static.rglob("*")):
                    if path.is_file() and not path.name.startswith("."):
                        files[path.relative_to(static).as_posix()] = path
        return dict(sorted(files.items()))

    def strings_for(self, lang: str) -> dict[str, str]:
        """UI strings in `lang`, falling back to its language's (`de` for `de-CH`), then to English,
        then to the first language given; a fallback in another language is a `ForeignText`, since
        a French page showing "Skip to content" says it is English."""
        merged: dict[str, str] = {}
        own = (primary_language(lang), lang)
        for fallback in (next(iter(self.strings), None), "en", *own):
            if fallback:
                merged.update((key, text if fallback in own else ForeignText(text, fallback))
                              for key, text in self.strings.get(fallback, {}).items())
        return merged

    def has_texts_in(self, lang: str) -> bool:
        return lang in self.strings or primary_language(lang) in self.strings


def link_stylesheet(css: str, name: str, assets: dict[str, str],
                    importing: frozenset[str] = frozenset()) -> tuple[str, list[tuple[int, str, str]]]:
    """A theme stylesheet whose references name the fingerprinted static files they mean.

    `name` is the stylesheet's path in static/, `assets` maps static paths to their output
    paths, `importing` are the stylesheets that import this one. A reference to another host,
    to no static file, or back to a stylesheet importing this one is returned as a problem
    (line, message, hint) and left as it is.
    """
    problems: list[tuple[int, str, str]] = []
    folder = posixpath.dirname("assets/" + name)
    pieces, done, line = [], 0, 1
    for start, end, url in _references(css):
        if not url.strip() or url.startswith("#") or scheme_of(url) == "data":
            continue
        line += css.count("\n", done, start)  # references come in order: each newline is counted once
        linked = _linked_reference(url, name, assets, importing, folder)
        if isinstance(linked, tuple):
            problems.append((line, *linked))
            linked = url
        pieces += [css[done:start], linked]
        done = end
    return "".join(pieces) + css[done:], problems


def unbalanced_braces(css: str) -> list[tuple[int, str, str]]:
    """(line, message, hint) for each `{` never closed, `}` closing nothing and comment never closed
    in a stylesheet: a browser drops what follows without a word (the rest of the file, after a
    `{` left open), so a brand colour or font vanished from the site and nobody was told why."""
    opened: list[int] = []
    problems: list[tuple[int, str, str]] = []
    for token in _CSS_BRACE_TOKEN.finditer(css):
        if token.group("open_comment") is not None:
            problems.append((token.start(), "'/*' is never closed: browsers ignore the rest of the file",
                             "end the comment with '*/'"))
        elif token.group() == "{":
            opened.append(token.start())
        elif token.group() == "}" and opened:
            opened.pop()
        elif token.group() == "}":
            problems.append((token.start(), "'}' closes no '{': browsers drop the rule after it",
                             "remove it, or add the '{' it belongs to"))
    problems += [(start, "'{' is never closed: browsers read the rest of the file as part of this rule and drop it",
                  "add the '}' that ends the rule") for start in opened]
    return [(css.count("\n", 0, start) + 1, message, hint) for start, message, hint in sorted(problems)]


def _linked_reference(url: str, name: str, assets: dict[str, str], importing: frozenset[str],
                      folder: str) -> str | tuple[str, str]:
    """The URL of the fingerprinted file `url` (in stylesheet `name`) means, relative to `folder`;
    or why it cannot be linked (message, hint)."""
    if is_external(url):
        return (f"{url!r} loads from another host; pages load nothing from other hosts",
                "put the file in the theme's static/ folder and name it relative to this stylesheet")
    target, suffix = _static_path(url, name)
    if target in importing:
        return (f"{url!r} imports this stylesheet in turn, so neither can name the other's fingerprinted file",
                "remove one of the two imports")
    if url.startswith("/") or target not in assets:
        return (f"{url!r} not found in the theme's static/ folder",
                "name the file relative to this stylesheet, e.g. url(\"fonts/brand.woff2\")")
    # Encoded again as a URL: a file `My Font.woff2` is named `My%20Font.<hash>.woff2`.
    return quote_path(posixpath.relpath(assets[target], folder)) + suffix


def _references(css: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, text) of each URL a stylesheet names, in order, as it is written."""
    for match in _CSS_REFERENCE.finditer(css):
        for group in ("url", "imported"):
            if match.group(group) is not None:
                yield match.start(group), match.end(group), match.group(group)
        if match.group("set") is not None:
            offset = match.start("set")
            for entry in _IMAGE_SET_ENTRY.finditer(match.group("set")):
                group = next((g for g in ("url", "double", "single") if entry.group(g) is not None), None)
                if group is not None:
                    yield offset + entry.start(group), offset + entry.end(group), entry.group(group)


def stylesheet_references(css: str, name: str) -> list[str]:
    """The static paths a theme stylesheet names, so that the stylesheets it imports can be
    linked (and so fingerprinted) before it."""
    return [_static_path(url, name)[0] for _, _, url in _references(css)
            if url and not is_external(url) and not url.startswith("/")]


def _static_path(url: str, name: str) -> tuple[str, str]:
    """(the static path a relative `url` in stylesheet `name` means, its `?query#fragment`).
    The path is a URL's: `My%20Font.woff2` is the file `My Font.woff2`."""
    path, suffix = re.match(r"([^?#]*)(.*)", url, re.S).groups()  # type: ignore[union-attr]
    return posixpath.normpath(posixpath.join(posixpath.dirname(name), unquote(path))), suffix


def load_theme(config: Config, diagnostics: Diagnostics, named: frozenset[str] | None = None) -> Theme | None:
    """Resolve the chain and build the Environment; None after reporting problems. `named`: the
    templates pages choose (`template:`), None where no pages are rendered (see check_theme)."""
    chain: list[tuple[str, Path]] = []
    name: str | None = config.settings.theme
    named_at: tuple[str, int | None] = (config.file, config.line_of("theme"))  # where `name` is written
    settings_chain: list[ThemeSettings] = []
    docs: list[tuple[str, YamlDoc | None]] = []  # each theme's theme.yaml, for the lines of its strings
    while name:
        if any(name == seen for seen, _ in chain):
            diagnostics.error(*named_at, "IM040", f"theme {name!r} extends itself in a cycle")
            return None
        folder = BUILTIN if name == "default" else config.root / "themes" / name
        if not folder.is_dir():
            diagnostics.error(*named_at, "IM040", f"theme {name!r} not found in themes/", hint=_theme_hint(name, config))
            return None
        read = _read_settings(folder, config, diagnostics)
        if read is None:
            return None
        settings, rel, doc = read
        named_at = (rel, doc.line_of(("extends",)) if doc is not None else None)
        chain.append((name, folder))
        settings_chain.append(settings)
        docs.append((rel, doc))
        name = None if name == "default" else (settings.extends or "default")
    theme = Theme(chain)
    for (name, _), settings, (rel, doc) in reversed(list(zip(chain, settings_chain, docs, strict=True))):
        theme.tokens.update(settings.tokens)
        theme.dark_tokens.update(settings.dark_tokens)
        theme.dark_token_lines.update((key, (rel, doc.line_of(("dark_tokens", key)) if doc is not None else None))
                                      for key in settings.dark_tokens)
        if name != "default":
            theme.token_lines.update((key, (rel, doc.line_of(("tokens", key)) if doc is not None else None))
                                     for key in settings.tokens)
        for lang, strings in settings.strings.items():
            theme.strings.setdefault(lang, {}).update(strings)
    for lang in config.languages:
        if not theme.has_texts_in(lang):
            diagnostics.warning(config.file, config.line_of("languages"), "IM160",
                                f"the theme has no texts in {lang!r}: pages in it show menus, buttons and labels in "
                                "English",
                                hint=f"add strings: {{{lang}: ...}} to your theme's theme.yaml, with the keys of the "
                                     "built-in theme's (im_site/themes/default/theme.yaml)")
    theme.env = _environment(chain, config.root / config.settings.cache_dir / "jinja")
    check_theme(theme.env, chain, settings_chain, docs, theme.token_lines, config.root, diagnostics, named)
    check_dark_tokens(theme, diagnostics)
    return theme


def _theme_hint(name: str, config: Config) -> str | None:
    themes = config.root / "themes"
    known = sorted(path.name for path in themes.iterdir() if path.is_dir()) if themes.is_dir() else []
    match = difflib.get_close_matches(name, [*known, "default"], n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None


def _read_settings(folder: Path, config: Config,
                   diagnostics: Diagnostics) -> tuple[ThemeSettings, str, YamlDoc | None] | None:
    """The theme's settings, the path of its theme.yaml and its YAML (for lines); None after
    reporting problems."""
    path = folder / "theme.yaml"
    rel = path.relative_to(config.root).as_posix() if path.is_relative_to(config.root) else f"<default theme>/{path.name}"
    if not path.is_file():
        return ThemeSettings(), rel, None
    try:
        text = path.read_text(encoding="utf-8-sig")
        kept = KeptInCache(config.root / config.settings.cache_dir, "theme-settings", text)
        found = kept.get(lambda found: type(found) is tuple and len(found) == 2 and type(found[0]) is ThemeSettings
                         and type(found[1]) is YamlDoc)
        if found is not None:
            return found[0], rel, found[1]
        doc = load(text)
    except (YamlProblem, UnicodeDecodeError) as problem:
        diagnostics.error(rel, getattr(problem, "line", None), "IM003", str(problem), hint=getattr(problem, "hint", None))
        return None
    settings = validate(ThemeSettings, doc, rel, diagnostics) if doc.data is not None else ThemeSettings()
    if settings is None:
        return None
    kept.keep((settings, doc))
    return settings, rel, doc


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates in cache_dir, keyed by source checksum; unwritable means uncached.

    Compiling the templates is about half of a small site's build, and the dev
    server rebuilds with a fresh Environment after every save. The code is also
    kept in this process (`_COMPILED`): a rebuild in `serve`, or the next build
    of a program that builds many sites, neither compiles nor reads it again.
    """

    def __init__(self, folder: str | None) -> None:
        super().__init__(folder or ".")
        self.on_disk = folder is not None

    def get_source_checksum(self, source: str) -> str:
        """The template's text and im-site's code: compiled code depends on how each filter and
        function is called (`pass_context` is settled at compile time), so the templates an older
        im-site compiled called the `date` filter of this one without its context."""
        return hashlib.sha1(f"{code_key()}\0{source}".encode("utf-8")).hexdigest()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        _remember(bucket)
        if not self.on_disk:
            return
        try:
            super().dump_bytecode(bucket)
        except OSError:
            return

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = _COMPILED.get((bucket.key, bucket.checksum))
        if code is not None:
            bucket.code = code
            return
        if not self.on_disk:
            return
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError):
            bucket.reset()
        _remember(bucket)


#: Compiled template code of this process: (template name and file, checksum of source and
#: im-site's code) -> code object. Bounded: `serve` adds one entry per saved version of a template.
_COMPILED: dict[tuple[str, str], CodeType] = {}
_COMPILED_MAX = 512


def _remember(bucket: jinja2.bccache.Bucket) -> None:
    if bucket.code is None:
        return
    if len(_COMPILED) >= _COMPILED_MAX:
        del _COMPILED[next(iter(_COMPILED))]  # the oldest
    _COMPILED[(bucket.key, bucket.checksum)] = bucket.code


def _bytecode_cache(folder: Path | None) -> jinja2.BytecodeCache:
    if folder is None:
        return _BytecodeCache(None)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return _BytecodeCache(None)
    return _BytecodeCache(str(folder))


def _escape_output(value: object) -> object:
    """What a template's `{{ ... }}` writes, escaped: the text itself for a plain string, without
    wrapping it in a Markup first. Compiled templates call `escape` only to write a value out, where
    the parts are joined into a plain string at once (a block, macro or include wraps what it joined
    in Markup itself), so the bytes are the same."""
    if type(value) is str:
        return _escape_text(value)
    return markupsafe.escape(value)


def _escape_plain(value: str) -> str:
    return str(markupsafe.escape(value))


#: markupsafe's own escaping of a plain string (its C function, which `escape` calls before making
#: the Markup), if this version of markupsafe has it under that name.
_escape_text = getattr(markupsafe, "_escape_inner", _escape_plain)


class _Template(jinja2.Template):
    """A compiled template whose outputs are escaped by `_escape_output` (the name its code looks up),
    and whose context is made without reading the globals through a ChainMap key by key."""

    @classmethod
    def _from_namespace(cls, environment: jinja2.Environment, namespace: Any, globals: Any) -> jinja2.Template:
        namespace["escape"] = _escape_output
        return super()._from_namespace(environment, namespace, globals)

    def new_context(self, vars: dict[str, Any] | None = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> jinja2.runtime.Context:
        if shared or type(self.globals) is not ChainMap:
            return super().new_context(vars, shared, locals)
        # What jinja2.runtime.new_context makes of it: the globals, then `vars`, then `locals`.
        parent: dict[str, Any] = {}
        for mapping in reversed(self.globals.maps):
            parent.update(mapping)
        if vars:
            parent.update(vars)
        for key, value in (locals or {}).items():
            if value is not jinja2.runtime.missing:
                parent[key] = value
        return self.environment.context_class(self.environment, parent, self.name, self.blocks, globals=self.globals)


#: What `_Context.call` calls directly: functions and the templates' macros (whose `__call__` wants no context).
_PLAIN_CALLS = frozenset({FunctionType, jinja2.runtime.Macro})


class _Context(jinja2.runtime.Context):
    """Jinja's context, with a shorter way to call a plain function (`href`, `asset`, a job's own)
    or a macro (a card), which are most of a page's calls: the same arguments as `Context.call`
    passes them, without working out for each call whether it wants the context (a function marked
    `pass_context` has the attribute that says so, and goes the long way, as do other callables).
    Its globals' names are collected from a ChainMap's dicts at once, not key by key."""

    def __init__(self, environment: jinja2.Environment, parent: dict[str, Any], name: str | None,
                 blocks: dict[str, Any], globals: Any = None) -> None:
        super().__init__(environment, parent, name, blocks)
        if globals is not None:
            self.globals_keys = set().union(*globals.maps) if type(globals) is ChainMap else set(globals)

    @internalcode
    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's own signature
        if type(__obj) in _PLAIN_CALLS and not hasattr(__obj, "jinja_pass_arg"):
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined("value was undefined because a callable raised a"
                                                    " StopIteration exception")
        return super().call(__obj, *args, **kwargs)


#: Every name `getattr` finds on a plain dict (its methods and the object's): a template's
#: `entry.lang` on a dict of values finds none of these and is its item.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja's Environment with the template and context classes above, and `getattr` (what a
    template's `a.b` calls) going straight to the item of a plain dict whose methods do not have
    that name: for the dicts of values templates get (the language switch, `versioning`, a quiz's
    questions) it first made Python raise and catch an AttributeError, some 36 times a page."""

    template_class = _Template
    context_class = _Context

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        #: Templates loaded, by name: each page's and each import's lookup (Jinja's LRU cache takes a
        #: lock and makes a weak reference for each). Never stale: templates are not reloaded (`auto_reload`).
        self._loaded: dict[str, jinja2.Template] = {}

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        if globals or self.auto_reload:
            return super()._load_template(name, globals)
        found = self._loaded.get(name)
        if found is None:
            found = self._loaded[name] = super()._load_template(name, globals)
        return found

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        # Environment.getattr (Jinja 3.1), not called through super(): it runs for every `a.b`.
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)


#: The shortcuts above follow Jinja 3.1's internals (`_from_namespace`, `_load_template`, the
#: Context's constructor, `Environment.getattr`'s body): another Jinja renders with its own classes.
_ENVIRONMENT = _Environment if jinja2.__version__.startswith("3.1.") else jinja2.Environment


def _environment(chain: list[tuple[str, Path]], cache_folder: Path | None = None) -> jinja2.Environment:
    """One build's templates. Each build makes its own, so a template is read once per build and
    not checked for changes again on every page (`auto_reload`: four stats per page)."""
    folders = [str(folder / "templates") for _, folder in chain]
    prefixed = {name: jinja2.FileSystemLoader(str(folder / "templates")) for name, folder in chain}
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(folders), jinja2.PrefixLoader(prefixed, delimiter=":")])
    return _ENVIRONMENT(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                        extensions=["jinja2.ext.loopcontrols"], bytecode_cache=_bytecode_cache(cache_folder),
                        auto_reload=False)


@dataclass(frozen=True)
class BrandFont:
    """A shipped brand font: its URL below assets/ and the weight(s) its file draws (`font_weight`)."""

    url: str
    weight: str


#: Style names of static fonts -> CSS weight, longest first so that "extrabold" is not read as "bold".
_STYLE_WEIGHTS = (("extralight", 200), ("ultralight", 200), ("extrabold", 800), ("ultrabold", 800),
                  ("semibold", 600), ("demibold", 600), ("hairline", 100), ("medium", 500), ("light", 300),
                  ("black", 900), ("heavy", 900), ("thin", 100), ("bold", 700))


def font_weight(data: bytes) -> str:
    """The `font-weight` descriptor for a WOFF2 file: its weight axis for a variable font, else the
    weight its style name says (`Bold` 700, `Regular` 400).

    Declaring a static font as `100 900` told browsers it draws every weight itself, so they drew
    bold text (`**x**`, buttons, table heads) in the regular letters: no bold anywhere on the site.
    A file that cannot be read counts as regular, the CSS default.
    """
    from PIL import ImageFont

    try:
        face = ImageFont.truetype(io.BytesIO(data), 16)
    except (OSError, ValueError):
        return "400"
    try:
        axes = face.get_variation_axes()
    except (OSError, ValueError, AttributeError):
        axes = []
    for axis in axes:
        name = axis.get("name", b"")
        if (name.decode("latin-1") if isinstance(name, bytes) else str(name)).lower() == "weight":
            return f"{round(axis['minimum'])} {round(axis['maximum'])}"
    style = re.sub(r"[\s_-]", "", (face.getname()[1] or "").lower())
    return next((str(weight) for word, weight in _STYLE_WEIGHTS if word in style), "400")


def brand_css(config: Config, theme: Theme, fonts: dict[str, BrandFont]) -> str:
    """The brand as CSS custom properties (and @font-face for shipped fonts), with the colours of
    dark mode where the site's `color_scheme` allows it: on screens that ask for dark for `auto`,
    on every screen for `dark`. `color-scheme` tells the browser which scheme its own parts (form
    controls, scroll bars) and the stylesheets' `light-dark()` follow."""
    values: dict[str, str] = light_colours(config, theme)
    lines = [f"@font-face{{font-family:\"Brand {role.title()}\";src:url(\"{font.url}\") format(\"woff2\");"
             f"font-display:swap;font-weight:{font.weight};}}" for role, font in sorted(fonts.items())]
    if "heading" in fonts:
        values["font-heading"] = '"Brand Heading", ' + str(values.get("font-heading", "system-ui, sans-serif"))
    if "body" in fonts:
        values["font-body"] = '"Brand Body", ' + str(values.get("font-body", "system-ui, sans-serif"))
    declarations = "".join(f"--{key}:{value};" for key, value in sorted(values.items()))
    lines.append(":root{" + declarations + "color-scheme:" + color_scheme(config) + "}")
    lines.extend(dark_rules(config, theme))
    return "\n".join(lines) + "\n"
