"""Slugs from titles and file names, German-aware: "Frische für alle" -> "frische-fuer-alle"."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from slugify import slugify as _slugify
from slugify import smart_truncate

#: Invisible characters pasted with text (Word's soft hyphen, zero-width spaces and joiners): dropped,
#: not turned into a word break ("Lebens\u00admittel" -> "lebensmittel").
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_GERMAN = [["Ä", "Ae"], ["Ö", "Oe"], ["Ü", "Ue"], ["ä", "ae"], ["ö", "oe"], ["ü", "ue"], ["ß", "ss"], ["ẞ", "SS"]]
#: Whether a text holds one of them: str.translate with a dict takes about 80 ns a character, even
#: for a text without any (2.5 us for a heading), this search a tenth of that.
_HAS_INVISIBLE = re.compile("[%s]" % "".join(map(chr, INVISIBLE)))
#: What each of python-slugify's entity patterns (`&amp;`, `&#39;`, `&#x27;`) needs: without one, it
#: decodes nothing.
_ENTITY = re.compile(r"&#?[0-9A-Za-z]+;")
_NUMBER_COMMA = re.compile(r"(?<=\d),(?=\d)")  # "1,000" -> "1000", as python-slugify
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _ascii_slug(text: str, max_length: int) -> str | None:
    """python-slugify's answer (legacy pipeline, German replacements, word-boundary truncation) for
    a text that is ASCII after the German replacements and holds no entity; None for any other text.

    For such a text its steps reduce to these: NFKD and transliteration leave ASCII as it is; quotes
    become dashes, and so does every other run of characters but a-z and 0-9 (one dash for a run of
    dashes, quotes and others together); a comma between digits goes first; then dashes are stripped at
    both ends and the slug is cut at a word boundary by python-slugify's own smart_truncate.
    """
    if not text.isascii():
        for old, new in _GERMAN:  # as python-slugify replaces them (str.translate: 3 us a heading)
            if old in text:
                text = text.replace(old, new)
        if not text.isascii():
            return None
    if "&" in text and _ENTITY.search(text):
        return None
    text = text.lower()
    if "," in text:
        text = _NUMBER_COMMA.sub("", text)
    slug = _NOT_ALNUM.sub("-", text).strip("-")
    if max_length > 0 and len(slug) >= max_length:
        slug = smart_truncate(slug, max_length, word_boundary=True, separator="-")
    return slug


@lru_cache(maxsize=65536)  # the same titles and names are slugged again and again
def slugify(text: str, max_length: int = 80) -> str:
    """A lowercase ASCII slug; umlauts transliterated the German way; never empty.

    NFC first: a file name typed on macOS arrives decomposed (u + U+0308), which
    would otherwise miss the German replacements ("grusse", not "gruesse").
    A text that is ASCII after the German replacements ("Nächste Schritte für die Filiale",
    "Q3: Umsatz & Ziele", a file name that is a slug already) takes _ascii_slug, the same answer as python-slugify's in a fraction of
    its time; anything else (accents, entities, other scripts) goes to python-slugify.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if _HAS_INVISIBLE.search(text):
            text = text.translate(INVISIBLE)
    slug = _ascii_slug(text, max_length)
    if slug is None:
        slug = _slugify(text, replacements=_GERMAN, max_length=max_length, word_boundary=True)
    return slug or "page"
