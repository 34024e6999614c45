"""The one Markdown setup: markdown-it-py with our plugins and a safe link policy.

`render_markdown` returns HTML that does not yet know where the page lives:
internal links, images, `{kpi}` roles and callout titles are NUL-delimited
placeholders (NUL never survives into a source: sources.decode refuses it),
filled in per page by `fill`. That keeps the expensive part cacheable by the
body's content alone.
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from html import escape
from typing import Any, Callable, NamedTuple
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

from .compress import compress, decompress
from .slugs import slugify
from .urls import is_external, is_safe_url, other_host_loads, scheme_of

CALLOUTS = ("note", "tip", "warning", "info")
MAX_NESTING = 20
_PLACEHOLDER = re.compile("\x00([LIKC])([^\x00]*)\x00")


class Reference(NamedTuple):
    """A link or image target written in the Markdown, with its body line (1-based)."""

    target: str
    line: int
    alt: str = ""
    title: str = ""


class Heading(NamedTuple):
    level: int
    text: str
    id: str
    line: int


@dataclass(unsafe_hash=True)  # not frozen, see model.Part (nothing assigns a field after construction)
class Rendered:
    """HTML with placeholders plus everything later stages need to know about the body.

    The HTML and the text are kept compressed (compress.py): every page of the site
    holds its Rendered for the whole build, but only pages rendered again (not
    replayed from the page cache) read their HTML, and only search, linting
    and digests read the text. That takes 3-4 KB off each page in memory.
    """

    packed_html: bytes
    #: Its links, images and `{kpi}` roles as plain tuples, pickled (`links`, `images` and `kpis` read
    #: them): only a page rendered again reads them, and restoring all 10,000 bodies' took 30-35 ms.
    packed_references: bytes = b""
    #: The headings as plain tuples, pickled (`headings` reads them): a body-edit rebuild reads the
    #: headings of the modules only, and unpickling and restoring all 70,000 took 40-60 ms.
    packed_headings: bytes = b""
    packed_text: bytes = b""  # "line\ttext" per text run, one per row
    problems: tuple[tuple[int, str, str], ...] = ()  # (line, code, message), errors
    samples: tuple[tuple[int, str], ...] = ()  # (line, sentence) of sample text `im-site new` wrote
    #: The headings' ids, joined by spaces: what the page cache's site key reads of every page
    #: (made with the headings and cached with them: joining a rebuild's 70,000 took 25 ms of its 115).
    heading_ids: str = ""

    @classmethod
    def of(cls, html: str, text: str = "", links: tuple[Reference, ...] = (), images: tuple[Reference, ...] = (),
           kpis: tuple[Reference, ...] = (), headings: tuple[Heading, ...] = (), **fields: Any) -> "Rendered":
        references = (links, images, kpis)
        return cls(_pack(html), packed_references=_pickle_rows(*references) if any(references) else b"",
                   packed_headings=_pickle_rows(headings) if headings else b"", packed_text=_pack(text),
                   heading_ids=" ".join(heading.id for heading in headings), **fields)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its fields (`values`), which name no class: a rebuild loads 10,000 cached
        bodies, and restoring each heading and link through its class cost 30 us a page."""
        return restore_rendered, self.values()

    def values(self) -> tuple[Any, ...]:
        """Its fields in order: what `restore_rendered` takes."""
        return (self.packed_html, self.packed_references, self.packed_headings, self.packed_text, self.problems,
                self.samples, self.heading_ids)

    @cached_property
    def _references(self) -> tuple[tuple[Reference, ...], ...]:
        if not self.packed_references:
            return (), (), ()
        return tuple(tuple(map(_as_reference, rows)) for rows in pickle.loads(self.packed_references))

    @property
    def links(self) -> tuple[Reference, ...]:
        return self._references[0]

    @property
    def images(self) -> tuple[Reference, ...]:
        return self._references[1]

    @property
    def kpis(self) -> tuple[Reference, ...]:
        return self._references[2]

    @property
    def headings(self) -> tuple[Heading, ...]:
        return tuple(map(_as_heading, pickle.loads(self.packed_headings)[0])) if self.packed_headings else ()

    @property
    def html(self) -> str:
        return _unpack(self.packed_html)

    @property
    def text(self) -> str:
        return _unpack(self.packed_text)

    def text_lines(self) -> list[tuple[int, str]]:
        """(body line, text) for every run of text outside code, in order."""
        text = self.text
        rows = text.split("\n") if text else []
        return [(int(line), text) for line, _, text in (row.partition("\t") for row in rows)]

    @property
    def plain_text(self) -> str:
        return self.block_text.replace(BLOCK_END, "")

    @property
    def block_text(self) -> str:
        """The text with BLOCK_END after each heading, paragraph, table cell and callout title."""
        return " ".join(text for _, text in self.text_lines())


#: Ends a block's last run of text in `Rendered.text` (a paragraph separator, never typed): search
#: snippets ran a heading or a table cell into the next ("… bewirkt hat Die Beschwerden …").
BLOCK_END = "\u2029"
_BLOCK_CLOSES = frozenset({"paragraph_close", "heading_close", "th_close", "td_close"})


def restore_rendered(packed_html: bytes, packed_references: bytes, packed_headings: bytes, packed_text: bytes,
                     problems: tuple, samples: tuple, heading_ids: str) -> Rendered:
    """The Rendered of `Rendered.values`."""
    if type(packed_references) is not bytes or type(packed_headings) is not bytes:  # read only later:
        raise TypeError("references or headings of another form")  # an entry of another form fails here
    return Rendered(packed_html, packed_references, packed_headings, packed_text, problems, samples, heading_ids)


#: A Reference and a Heading from their values, made by the class once already: mapped over a
#: body's, with no Python frame per item: restoring 10,000 bodies (70,000 headings) took 20 % less CPU
#: than with a generator.
_as_reference = partial(tuple.__new__, Reference)
_as_heading = partial(tuple.__new__, Heading)


def _pickle_rows(*groups: tuple[tuple, ...]) -> bytes:
    """Groups of named tuples pickled as plain tuples, which unpickling makes with no class named."""
    return pickle.dumps(tuple(tuple(map(tuple, rows)) for rows in groups), protocol=pickle.HIGHEST_PROTOCOL)


def _pack(text: str) -> bytes:
    return compress(text.encode("utf-8")) if text else b""


def _unpack(data: bytes) -> str:
    return decompress(data).decode("utf-8") if data else ""


@dataclass
class _Collector:
    links: list[Reference] = field(default_factory=list)
    images: list[Reference] = field(default_factory=list)
    kpis: list[Reference] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    text: list[tuple[int, str]] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def make_parser(allow_html: bool) -> MarkdownIt:
    """CommonMark + tables, strikethrough, task lists, footnotes, anchors, callouts, roles."""
    md = MarkdownIt("commonmark", {"html": allow_html, "linkify": False, "typographer": False,
                                   "maxNesting": MAX_NESTING}, renderer_cls=_Renderer)
    md.enable(["table", "strikethrough"])
    md.validateLink = lambda url: True  # every URL is judged in _walk, with a diagnostic
    md.core.ruler.at("normalize", _normalize)
    md.use(footnote_plugin).use(myst_role_plugin)
    # `{#haltung}` on the line above a heading gives it that id, which rewording the heading or
    # translating it (the English page's menu link) does not change; only ids, nothing else.
    md.use(attrs_block_plugin, allowed=("id",))
    md.core.ruler.after("attr", "explicit_id", _mark_explicit_ids)
    # Task lists and heading ids: mdit-py-plugins' tasklists and anchors plugins (min_level=2,
    # max_level=4, slugify), done alike in fewer steps (see _task_lists, _anchors).
    md.core.ruler.after("inline", "github-tasklists", _task_lists)
    md.core.ruler.push("anchor", _anchors)
    # One container rule for every kind of callout: markdown-it tries each block rule on every
    # line, and four rules (one per kind) cost 5% of the Markdown time.
    md.use(container_plugin, name="callout", validate=_is_callout, render=_render_callout)
    md.add_render_rule("myst_role", _render_role)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("table_open", lambda *a: '<div class="table-scroll" tabindex="0"><table>\n')
    md.add_render_rule("table_close", lambda *a: "</table></div>\n")
    md.add_render_rule("th_open", _render_cell)
    md.add_render_rule("td_open", _render_cell)
    md.options = _Options(md.options)
    return md


class _Renderer(RendererHTML):
    """markdown-it's HTML renderer, which made a list of a tag's attributes for every tag, most of them without any."""

    @staticmethod
    def renderAttrs(token: Token) -> str:
        return RendererHTML.renderAttrs(token) if token.attrs else ""


class _Options(OptionsDict):
    """markdown-it's options, whose `get` is a dict's. markdown-it's rules ask for options we
    never set (`strikethrough_single_tilde` for every paragraph's text, `tasklists` for every list
    item), and the `get` of a Mapping raised and caught a KeyError for each: 3-4 % of the Markdown time."""

    def get(self, key: str, default: Any = None) -> Any:
        return self._options.get(key, default)


def _normalize(state: Any) -> None:
    """markdown-it's first rule (CR LF and CR to LF, NUL to U+FFFD) with `str.replace`: its
    regular expression replaced every LF with an LF, 2 % of the Markdown time."""
    src = state.src
    if "\r" in src:
        src = src.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in src:
        src = src.replace("\0", "\ufffd")
    state.src = src


_TODO = re.compile(r"\[[ xX]][ \t\n\v\f\r]+")


def _task_lists(state: Any) -> None:
    """A list item starting `[ ]` or `[x]` gets a disabled checkbox: the tasklists plugin of
    mdit-py-plugins (without its options), which called four functions for every token of the page."""
    tokens = state.tokens
    for index in range(2, len(tokens) - 1):
        token = tokens[index]
        if (token.type != "inline" or tokens[index - 1].type != "paragraph_open"
                or tokens[index - 2].type != "list_item_open" or _TODO.match(token.content) is None):
            continue
        checkbox = Token("html_inline", "", 0)
        if token.content.startswith("[ ] "):
            checkbox.content = '<input class="task-list-item-checkbox" disabled="disabled" type="checkbox">'
        elif token.content.startswith(("[x] ", "[X] ")):
            checkbox.content = '<input class="task-list-item-checkbox" checked="checked" disabled="disabled" type="checkbox">'
        assert token.children is not None
        token.children.insert(0, checkbox)
        token.children[1].content = token.children[1].content[3:]
        token.content = token.content[3:]
        tokens[index - 2].attrSet("class", "task-list-item")
        level = tokens[index - 2].level - 1  # the list: the nearest token before the item one level up
        parent = next((i for i in range(index - 3, -1, -1) if tokens[i].level == level), -1)
        tokens[parent].attrSet("class", "contains-task-list")


_ANCHOR_TAGS = frozenset({"h2", "h3", "h4"})


def _anchors(state: Any) -> None:
    """Ids for the headings of levels 2 to 4 that have none: the anchors plugin of mdit-py-plugins
    (min_level=2, max_level=4, slug_func=slugify), which went over every token twice."""
    tokens = state.tokens
    headings = [index for index, token in enumerate(tokens) if token.type == "heading_open"]
    if not headings:
        return
    slugs = {str(token.attrs["id"]) for token in map(tokens.__getitem__, headings) if token.attrs.get("id")}
    for index in headings:
        token = tokens[index]
        if token.tag not in _ANCHOR_TAGS or token.attrs.get("id"):
            continue
        children = tokens[index + 1].children
        assert children is not None
        title = "".join(child.content for child in children if child.type in ("text", "code_inline"))
        slug = unique = slugify(title)
        number = 1
        while unique in slugs:
            unique, number = f"{slug}-{number}", number + 1
        slugs.add(unique)
        token.attrs["id"] = unique


def _mark_explicit_ids(state: Any) -> None:
    """Note which blocks a `{...}` line gave attributes, before the anchors plugin gives every
    heading an id: `_walk` checks them."""
    for token in state.tokens:
        if token.attrs and token.attrs.get("id") is not None or token.meta and token.meta.get("insecure_attrs"):
            token.meta["explicit_id"] = str(token.attrs.get("id") or "")


def _render_cell(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    """A column's alignment (`|---:|`) as a class: the site's Content-Security-Policy blocks the
    `style` attribute markdown-it writes, and the price column would lose its alignment."""
    token = tokens[idx]
    style = str(token.attrs.pop("style", ""))
    if style.startswith("text-align:"):
        token.attrSet("class", f"align-{style.partition(':')[2]}")
    return self.renderToken(tokens, idx, options, env)


def _is_callout(params: str, *args: Any) -> bool:
    return params.strip().split(" ", 1)[0] in CALLOUTS


def _render_callout(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    if token.nesting != 1:
        return "</div>\n"
    name, _, title = token.info.strip().partition(" ")
    heading = escape(title.strip()) if title.strip() else f"\x00C{name}\x00"
    return f'<div class="callout callout-{name}" role="note"><p class="callout-title">{heading}</p>\n'


def _render_role(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    return f"\x00K{token.meta.get('index', 0)}\x00"


def _render_image(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return f"\x00I{tokens[idx].meta.get('index', 0)}\x00"


def render_markdown(md: MarkdownIt, body: str) -> Rendered:
    """Parse and render a body; links and images are recorded, not yet resolved."""
    tokens = md.parse(body, {})
    collected = _Collector()
    _walk(tokens, collected)
    html = md.renderer.render(tokens, md.options, {})
    text = "\n".join(f"{line}\t{text}" for line, text in collected.text)
    samples = sample_pattern()
    found_any = samples.search(text) is not None  # most pages have none: one search, not one per run
    return Rendered.of(html, text,
                       links=tuple(collected.links), images=tuple(collected.images), kpis=tuple(collected.kpis),
                       headings=tuple(collected.headings), problems=tuple(collected.problems),
                       samples=tuple((line, found.group(0)) for line, text in collected.text
                                     if found_any and (found := samples.search(text)) is not None))


@lru_cache(maxsize=1)
def sample_pattern() -> re.Pattern[str]:
    """Any sentence of the sample text `im-site new` writes (lint.py warns of it in a published
    page). Looked for here, once per source: the parse is cached, the text of 10,000 pages is not
    read again on every build."""
    from .scaffold import placeholder_texts  # its templates; scaffold needs the config, loaded later

    return re.compile("|".join(re.escape(text) for text in placeholder_texts()))


def _walk(tokens: list[Token], out: _Collector) -> None:
    callouts: list[Token] = []  # open, innermost last
    deep = MAX_NESTING - 1
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "inline":  # the commonest tokens, and with the closing ones below never nested deep or given an id
            _walk_inline(token, token.map[0] + 1 if token.map else 1, out)
            continue
        if kind in _BLOCK_CLOSES:
            _end_block(out)
            continue
        line = token.map[0] + 1 if token.map else 1
        if token.level >= deep and token.nesting == 1:
            out.problems.append((line, "IM106", f"Markdown nested deeper than {MAX_NESTING} levels; "
                                                "the inner text would be lost"))
        if kind.startswith("container_callout_"):
            _callout(token, line, callouts, out)
        elif kind == "paragraph_open":
            _stray_fence(tokens[index + 1].content, line, out)
        if token.meta and "explicit_id" in token.meta:  # set by _mark_explicit_ids on opening tokens only
            _explicit_id(token, line, out)
        if kind == "heading_open":
            inline = tokens[index + 1]
            text = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
            out.headings.append(Heading(int(token.tag[1]), text, str(token.attrGet("id") or ""), line))
        elif kind == "html_block":
            _raw_html(token.content, line, out)


#: What a heading id set with `{#...}` may be: what im-site makes of a heading's text itself.
_EXPLICIT_ID = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


def _explicit_id(token: Token, line: int, out: _Collector) -> None:
    """A `{#id}` line: only an id, only above a heading, written as an id is (lower case, digits
    and hyphens, as links type it), and once per page part."""
    wanted, line = token.meta["explicit_id"], line - 1  # the `{...}` line is the one above
    others = sorted(token.meta.get("insecure_attrs", {}))
    if others:
        out.problems.append((line, "IM108", f"'{{...}}' sets only a heading's id ({{#{wanted or 'haltung'}}}); "
                                            f"{', '.join(others)} cannot be set"))
    if not wanted:
        return
    if token.type != "heading_open":
        token.attrs.pop("id", None)
        out.problems.append((line, "IM108", f"'{{#{wanted}}}' names the heading on the line below it, but below it "
                                            f"is no heading ({token.type.removesuffix('_open')})"))
    elif not _EXPLICIT_ID.match(wanted):
        out.problems.append((line, "IM108", f"heading id '{wanted}' must be lower-case letters, digits and hyphens "
                                            f"(as in '#{slugify(wanted) or 'haltung'}')"))
    elif any(heading.id == wanted for heading in out.headings):
        out.problems.append((line, "IM108", f"heading id '{wanted}' is given twice"))


def _callout(token: Token, line: int, callouts: list[Token], out: _Collector) -> None:
    """A callout's own title is text of the page; one without its closing `:::` takes in
    everything after it, to the end of the page (or of the list item it is in)."""
    if token.nesting == 1:
        callouts.append(token)
        title = token.info.strip().partition(" ")[2].strip()
        if title:
            out.text.append((line, title))
            _end_block(out)
        return
    opening = callouts.pop()
    if not token.markup:
        name = opening.info.strip().partition(" ")[0]
        out.problems.append((opening.map[0] + 1 if opening.map else 1, "IM107",
                             f"callout '{name}' has no closing ':::' line; everything after it would be inside it"))


def _stray_fence(paragraph: str, line: int, out: _Collector) -> None:
    """A `:::` line that opened no callout is printed as text: a misspelt kind (`::: tipp`) or a
    fence without its opening line."""
    fence = re.match(r":::+[ \t]*(\S*)", paragraph)
    if fence is None:
        return
    known = ", ".join(CALLOUTS)
    if fence.group(1):
        out.problems.append((line, "IM107", f"unknown callout '{fence.group(1)}' (known: {known}); "
                                            "the ':::' lines would be shown as text"))
    else:
        out.problems.append((line, "IM107", f"':::' opens no callout: name its kind ({known}) after it"))


def _end_block(out: _Collector) -> None:
    """Mark the end of a block on its last run of text (once: an image-only paragraph has none)."""
    if out.text and not out.text[-1][1].endswith(BLOCK_END):
        line, text = out.text[-1]
        out.text[-1] = (line, text + BLOCK_END)


def _walk_inline(inline: Token, line: int, out: _Collector) -> None:
    text = out.text
    for child in inline.children or []:
        kind = child.type
        if kind == "text":
            if child.content.strip():
                text.append((line, child.content.replace("\n", " ").replace("\t", " ")))
        elif kind == "softbreak" or kind == "hardbreak":
            line += 1
        elif kind == "link_open":
            _link(child, line, out)
        elif kind == "image":
            _image(child, line, out)
        elif kind == "myst_role":
            _role(child, line, out)
        elif kind == "html_inline":
            _raw_html(child.content, line, out)


def _raw_html(html: str, line: int, out: _Collector) -> None:
    """Raw HTML (`markdown: {html: true}`) that loads a file of another host (`<img src="https://…">`,
    an embedded video) reached the page unchecked, where a Markdown image of another host is an error."""
    for offset, url in other_host_loads(html):
        out.problems.append((line + html.count("\n", 0, offset), "IM110",
                             f"{url!r} loads from another host; pages load nothing from other hosts"))


def _link(token: Token, line: int, out: _Collector) -> None:
    href = str(token.attrGet("href") or "")
    if not is_safe_url(unquote(href)):  # markdown-it has percent-encoded `java&#9;script:`
        out.problems.append((line, "IM103", f"link scheme '{scheme_of(unquote(href))}:' is not allowed "
                                            "(only http, https, mailto, tel and relative links)"))
        token.attrSet("href", "#")
        return
    if is_external(href):
        if href.startswith(("http://", "https://", "//")):
            token.attrSet("rel", "noopener")
        return
    out.links.append(Reference(href, line))
    token.attrSet("href", f"\x00L{len(out.links) - 1}\x00")


def _image(token: Token, line: int, out: _Collector) -> None:
    src = str(token.attrGet("src") or "")
    alt = "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline"))
    if is_external(unquote(src)) or not src:
        out.problems.append((line, "IM110", f"image {src!r} must be a file under content/; "
                                            "pages load nothing from other hosts"))
    token.meta["index"] = len(out.images)
    out.images.append(Reference(src, line, alt, str(token.attrGet("title") or "")))


def _role(token: Token, line: int, out: _Collector) -> None:
    name = token.meta.get("name")
    if name != "kpi":
        out.problems.append((line, "IM004", f"unknown role {{{name}}} (known: {{kpi}})"))
    token.meta["index"] = len(out.kpis)
    out.kpis.append(Reference(token.content.strip(), line))


def fill(html: str, link: Callable[[int], str], image: Callable[[int], str],
         kpi: Callable[[int], str], callout: Callable[[str], str]) -> str:
    """Replace the placeholders with this page's resolved links, images, KPI values, titles."""
    def replace(match: re.Match[str]) -> str:
        kind, value = match.group(1), match.group(2)
        if kind == "L":
            return escape(link(int(value)))
        if kind == "I":
            return image(int(value))
        if kind == "K":
            return kpi(int(value))
        return escape(callout(value))
    return _PLACEHOLDER.sub(replace, html)
