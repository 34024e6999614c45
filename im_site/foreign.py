"""Texts shown on a page of another language than their own: a theme's or a label's fallback.

A French page of a theme with texts in German and English only shows the English
"Skip to content"; screen readers would read it with French pronunciation unless it
carries `lang="en"`. Such a text is a `ForeignText`: templates write it as any other,
and in HTML it comes out between markers that `mark_text_languages` turns into a
`lang` where HTML allows one.
"""

from __future__ import annotations

import re
from html import escape

#: Around a `ForeignText` in rendered HTML: its language, then its (escaped) text. Noncharacters,
#: which no text holds.
_FOREIGN_OPEN, _FOREIGN_MIDDLE, _FOREIGN_CLOSE = "\ufdd0", "\ufdd1", "\ufdd2"
_FOREIGN = re.compile("\ufdd0([^\ufdd1]*)\ufdd1([^\ufdd2]*)\ufdd2")
#: An <option> that is one `ForeignText` (it takes the `lang` itself: no element goes inside it), an
#: element whose content is text only (or SVG, where no <span> goes), any other tag, a `ForeignText`.
_TAGS_AND_FOREIGN = re.compile(r"<option\b(?P<option>(?:(?!\blang=)[^>])*)>\ufdd0(?P<option_lang>[^\ufdd1]*)\ufdd1"
                               r"(?P<option_text>[^\ufdd2<]*)\ufdd2</option>"
                               r"|<(?P<closing>/?)(?:title|script|style|textarea|option|svg)\b[^>]*>|<[^>]*>"
                               "|\ufdd0(?P<lang>[^\ufdd1]*)\ufdd1(?P<text>[^\ufdd2]*)\ufdd2", re.I)


#: A `data-*` attribute whose value is one `ForeignText`: a text a script shows later.
_FOREIGN_DATA = re.compile(r'(?<=\s)(?P<name>data-[\w-]+)="\ufdd0(?P<lang>[^\ufdd1]*)\ufdd1(?P<text>[^\ufdd2"]*)\ufdd2"')


class ForeignText(str):
    """A text shown on a page of another language, where that language has none of its own.

    Templates write it as any text; in HTML it comes out wrapped in markers, which
    `mark_text_languages` turns into `<span lang="en">` where the text is an element's,
    so that screen readers pronounce it in its language.
    """

    lang: str

    def __new__(cls, text: str, lang: str) -> "ForeignText":
        made = super().__new__(cls, text)
        made.lang = lang
        return made

    def __reduce__(self) -> tuple[type, tuple[str, str]]:  # pickled with its language (page cache, workers)
        return ForeignText, (str(self), self.lang)

    def __html__(self) -> str:
        return f"{_FOREIGN_OPEN}{escape(self.lang)}{_FOREIGN_MIDDLE}{escape(str(self))}{_FOREIGN_CLOSE}"

    # A text with its numbers filled in is still in its language ("80 % (4 of 5 right)", from
    # `|replace` in a template or `.format` in Python): it came out as a plain text, unmarked.
    def format(self, *args: object, **kwargs: object) -> "ForeignText":
        return ForeignText(str(self).format(*args, **kwargs), self.lang)

    def replace(self, old: str, new: str, count: int = -1) -> "ForeignText":  # type: ignore[override]
        return ForeignText(str(self).replace(old, new, count), self.lang)


def mark_text_languages(text: str, html: bool = True) -> str:
    """A rendered file with its `ForeignText` markers resolved: in HTML element text a
    `<span lang>`; in a `data-x` attribute (a text a script shows) also `data-x-lang`; in
    another attribute, in the text of an element that holds no elements
    (`<title>`, `<option>`, `<script>`) or in SVG, and in any other file, the text alone."""
    if _FOREIGN_OPEN not in text:
        return text
    if not html:
        return _FOREIGN.sub(r"\2", text)
    depth = 0  # inside elements whose content is text only (or SVG)

    def resolve(match: re.Match[str]) -> str:
        nonlocal depth
        if match.group("option_text") is not None:
            attributes = _FOREIGN.sub(r"\2", match.group("option"))
            return f'<option{attributes} lang="{match.group("option_lang")}">{match.group("option_text")}</option>'
        if match.group("text") is not None:
            if depth:
                return match.group("text")
            return f'<span lang="{match.group("lang")}">{match.group("text")}</span>'
        if match.group("closing") is not None:
            depth = max(depth - 1, 0) if match.group("closing") else depth + 1
        # A script puts `data-x` into an element's text: `data-x-lang` gives it the language too.
        tag = _FOREIGN_DATA.sub(r'\g<name>="\g<text>" \g<name>-lang="\g<lang>"', match.group(0))
        return _FOREIGN.sub(r"\2", tag)

    return _TAGS_AND_FOREIGN.sub(resolve, text)
