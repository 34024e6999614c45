"""Warnings that need the whole build: brand voice in page text, sample text of `im-site new` left
in a published page, and brand colour contrast.

All are warnings, reported by `build` and `check` alike (errors only with
`--strict`): wording and colours are editorial choices that should be seen,
not blocked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterator

from .colours import AA_NON_TEXT, AA_NORMAL, DARK_TEXT, FOCUS, WHITE, DarkColour, contrast_ratio, dark_scheme, hex_colour
from .markdown import sample_pattern
from .slugs import INVISIBLE

if TYPE_CHECKING:
    from .build import BuildResult
    from .config import Config
    from .diagnostics import Diagnostics
    from .model import Page
    from .render.context import RenderContext
    from .theme import Theme


def check(ctx: "RenderContext", result: "BuildResult") -> None:
    """Add brand-voice and contrast warnings to ctx.diagnostics."""
    pages = result.content.pages if result.content is not None else ctx.site.pages
    rules = voice_rules(ctx.config)
    # A `prefer` pair is a word of the site's language and its replacement there: in a translation
    # it would misread another language's word (the English "personal" is not "Personal").
    avoided = [rule for rule in rules if rule.replacement is None]
    if rules:
        for page in sorted(pages, key=lambda p: p.path):
            check_voice(page, rules if page.lang == ctx.config.settings.language else avoided, ctx.diagnostics)
    check_placeholders([page for page in ctx.site.pages if page.path not in result.previewed], ctx.diagnostics)
    check_contrast(ctx.config, ctx.theme, ctx.diagnostics)


# ---------------------------------------------------------------- brand voice

@dataclass(frozen=True)
class VoiceRule:
    """A term to avoid, with its preferred replacement when site.yaml names one."""

    term: str
    replacement: str | None
    pattern: re.Pattern[str]

    def message(self, found: str) -> tuple[str, str | None]:
        if self.replacement:
            return f"brand voice: write {self.replacement!r} instead of {found!r}", None
        return f"brand voice: avoid {found!r}", "rephrase; site.yaml brand.voice.avoid lists this term"


def voice_rules(config: "Config") -> list[VoiceRule]:
    """`avoid` terms and `prefer` keys as whole-word, case-insensitive patterns."""
    voice = config.settings.brand.voice
    terms: dict[str, str | None] = {term: None for term in voice.avoid if term.strip()}
    terms.update({term: better for term, better in voice.prefer.items() if term.strip()})
    return [VoiceRule(term, better, re.compile(rf"(?<!\w){_words(term)}(?!\w)", re.IGNORECASE))
            for term, better in sorted(terms.items())]


def _words(term: str) -> str:
    """A term's words with any space between them: a line break, a non-breaking space."""
    return r"\s+".join(re.escape(word) for word in term.split())


def _texts(page: "Page") -> Iterator[tuple[str, int | None, str]]:
    """(path, line, text) of a page's title, summary and body text (code excluded)."""
    yield page.path, page.line_of(("title",)) if page.line_of else None, page.title
    summary = getattr(page.meta, "summary", None)
    if summary:
        yield page.path, page.line_of(("summary",)) if page.line_of else None, summary
    for part in page.parts:
        if part.title:
            yield part.path, None, part.title
        for line, text in part.rendered.text_lines():
            yield part.path, part.body_line + line - 1, text


def check_voice(page: "Page", rules: list[VoiceRule], diagnostics: "Diagnostics") -> None:
    """A warning for each avoided term found in the page's words (not in code or URLs)."""
    texts = [(path, line, text.translate(INVISIBLE))  # "Human\u00adkapital" pasted from Word is still the word
             for path, line, text in _texts(page)]
    for (path, line, text), following in zip(texts, [*texts[1:], None]):
        joined = text
        if following and following[0] == path and line is not None and following[1] in (line, line + 1):
            joined = f"{text} {following[2]}"  # "Human" at a line's end, "Resources" on the next
        for rule in rules:
            match = next((found for found in rule.pattern.finditer(joined) if found.start() < len(text)), None)
            if match:
                message, hint = rule.message(" ".join(match.group(0).split()))
                diagnostics.warning(path, line, "IM120", message, hint=hint)


# ---------------------------------------------------------------- placeholders

def check_placeholders(pages: list["Page"], diagnostics: "Diagnostics") -> None:
    """A warning for each sample sentence of `im-site new` in a page readers see: "One or two
    sentences for listings and the feed." went to every listing, the feed and the digest once a
    writer removed `draft: true` and overlooked the summary. Drafts are left alone: that is where
    the sample text belongs while the page is written. (The body's sentences were found when it
    was parsed, `Rendered.samples`.)"""
    pattern = sample_pattern()
    for page in pages:  # in any order: diagnostics are sorted when shown
        given = page.meta.__dict__  # a model's fields (getattr on a missing one raises inside pydantic: slow)
        summary, objectives = given.get("summary"), given.get("objectives")
        fields = [(("summary",), summary)] if summary else []
        if objectives:
            fields += [(("objectives", index), text) for index, text in enumerate(objectives)]
        found = [(page.path, page.line_of(key_path) if page.line_of else None, match.group(0)) for key_path, text in fields
                 if text and (match := pattern.search(str(text))) is not None]
        found += [(part.path, part.body_line + line - 1, sample) for part in page.parts for line, sample in part.rendered.samples]
        for path, line, sample in found:
            diagnostics.warning(path, line, "IM122", f"sample text of `im-site new` is published: {sample!r}",
                                hint="write your own text here, or keep `draft: true` until the page is ready")


# ---------------------------------------------------------------- contrast

@dataclass(frozen=True)
class ColourPair:
    """A colour pair the built-in theme draws, and the line that chose its foreground colour."""

    what: str
    foreground: str
    background: str
    file: str
    line: int | None
    hint: str
    minimum: float = AA_NORMAL  # text; 3:1 for what is no text (WCAG 1.4.11: a focus ring)


def colour_pairs(config: "Config", theme: "Theme") -> list[ColourPair]:
    """Each pair the theme uses, with both colours as #RRGGBB. A colour a site theme's token sets
    (`color-link`, `color-heading`, `color-muted`, `color-on-primary`, `color-on-secondary`) is reported on the token's
    line in its theme.yaml: the warning named site.yaml's `primary`, and the writer changed the
    wrong colour."""
    colors = config.settings.brand.colors

    def site(key: str) -> tuple[str, int | None]:
        return config.file, config.line_of("brand", "colors", key)

    def by_token(what: str, token: str, fallback: str | None, background: str, site_key: str,
                 where: str = "") -> ColourPair | None:
        foreground = theme.tokens.get(token, fallback)
        if foreground is None:
            return None
        if token in theme.token_lines:
            return ColourPair(f"{what} ({token}) on {background}{where}", foreground, getattr(colors, background),
                              *theme.token_lines[token], f"darken or lighten the theme's {token} or the brand's {background}")
        return ColourPair(f"{what} on {background}{where}", foreground, getattr(colors, background), *site(site_key),
                          f"change the brand's {background}, or set the token {token} in your theme's theme.yaml"
                          if token in theme.tokens else f"darken or lighten the brand's {site_key}, or set the "
                          f"token {token} in your theme's theme.yaml" if fallback is not None and site_key != background
                          else "darken or lighten one of the brand colours")

    pairs = [
        ColourPair("text on background", colors.text, colors.background, *site("text"),
                   "darken or lighten one of the brand colours"),
        by_token("white" if hex_colour(theme.tokens.get("color-on-primary", WHITE)) == WHITE else "text",
                 "color-on-primary", WHITE, "primary", "primary", " (header, buttons)"),
        by_token("links" if "color-link" in theme.token_lines else "links (primary)", "color-link", colors.primary,
                 "background", "primary"),
        by_token("headings", "color-heading", None, "background", "background"),
        by_token("muted text", "color-muted", None, "background", "background", " (dates, summaries)"),
        by_token("text", "color-on-secondary", DARK_TEXT, "secondary", "secondary", " (must-read flag)"),
    ]
    focus = by_token("the focus ring", "color-focus", FOCUS, "background", "background")
    if focus is not None:  # an outline, no text: 3:1 (WCAG 1.4.11 non-text contrast)
        pairs.append(replace(focus, minimum=AA_NON_TEXT))
    return [replace(pair, foreground=hex_colour(pair.foreground), background=hex_colour(pair.background))
            for pair in pairs if pair is not None and hex_colour(pair.foreground) and hex_colour(pair.background)]


def check_contrast(config: "Config", theme: "Theme", diagnostics: "Diagnostics") -> None:
    """Warn on the line that chose a colour for each pair below WCAG AA (4.5:1)."""
    light = colour_pairs(config, theme)
    seen = {(pair.foreground, pair.background) for pair in light}
    dark = [pair for pair in dark_colour_pairs(config, theme) if (pair.foreground, pair.background) not in seen]
    for pair in light + dark:
        ratio = contrast_ratio(pair.foreground, pair.background)
        if ratio < pair.minimum:
            diagnostics.warning(pair.file, pair.line, "IM121",
                                f"contrast of {pair.what} is {ratio:.2f}:1 ({pair.foreground.upper()} on "
                                f"{pair.background.upper()}), below WCAG AA {pair.minimum}:1", hint=pair.hint)


#: The pairs of the dark scheme: (what, foreground token, background token, minimum).
_DARK_PAIRS = (("text on background", "color-text", "color-background", AA_NORMAL),
               ("text on primary (header, buttons)", "color-on-primary", "color-primary", AA_NORMAL),
               ("links on background", "color-link", "color-background", AA_NORMAL),
               ("headings on background", "color-heading", "color-background", AA_NORMAL),
               ("muted text on background (dates, summaries)", "color-muted", "color-background", AA_NORMAL),
               ("text on secondary (must-read flag)", "color-on-secondary", "color-secondary", AA_NORMAL),
               ("the focus ring on background", "color-focus", "color-background", AA_NON_TEXT))


def dark_colour_pairs(config: "Config", theme: "Theme") -> list[ColourPair]:
    """The pairs of dark mode (unless `color_scheme: light`), each reported on the line of the
    colour a writer chose: site.yaml's `brand.dark`, a theme's `dark_tokens`, or for a derived
    colour the light colour it was made from."""
    if config.settings.color_scheme == "light":
        return []
    scheme = dark_scheme(config, theme)
    pairs = []
    for what, foreground, background, minimum in _DARK_PAIRS:
        if foreground not in scheme or background not in scheme:
            continue
        front, back = scheme[foreground], scheme[background]
        if not hex_colour(front.value) or not hex_colour(back.value):
            continue
        blamed, token = (back, background) if front.chosen_by == "derived" and back.chosen_by != "derived" \
            else (front, foreground)
        file, line = _origin(blamed, theme)
        pairs.append(ColourPair(f"{what} in dark mode ({_named(blamed, token)})", hex_colour(front.value),
                                hex_colour(back.value), file, line, _dark_hint(blamed, token), minimum))
    return pairs


def _named(colour: DarkColour, token: str) -> str:
    key = token.removeprefix("color-")
    return {"site": f"brand.dark.{key}", "theme": f"dark_tokens {token}"}.get(colour.chosen_by,
                                                                            f"{token}, derived from {colour.source}")


def _origin(colour: DarkColour, theme: "Theme") -> tuple[str, int | None]:
    """Where a derived colour's light colour is set: a site theme's token, else the brand colour in site.yaml."""
    if colour.chosen_by == "derived" and colour.source in theme.token_lines:
        return theme.token_lines[colour.source]
    return colour.file, colour.line


def _dark_hint(colour: DarkColour, token: str) -> str:
    key = token.removeprefix("color-")
    if colour.chosen_by == "site":
        return f"make brand.dark.{key} {'darker' if key == 'background' else 'lighter'}, or remove it to have it derived"
    if colour.chosen_by == "theme":
        return f"change {token} in the theme's dark_tokens, or remove it to have it derived"
    return f"set {token} for dark mode: brand.dark in site.yaml, or dark_tokens in your theme's theme.yaml"
