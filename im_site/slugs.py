"""Slugs from titles and file names, German-aware: "Frische für alle" -> "frische-fuer-alle"."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from slugify import slugify as _slugify

#: Invisible characters pasted with text (Word's soft hyphen, zero-width spaces and joiners): dropped,
#: not turned into a word break ("Lebens\u00admittel" -> "lebensmittel").
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
#: A slug already (`frische-fuer-alle-00022`): what most file names are, which python-slugify returns as
#: they are, after 50-60 us of work a call (one for every page of a clean build).
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_GERMAN = [["Ä", "Ae"], ["Ö", "Oe"], ["Ü", "Ue"], ["ä", "ae"], ["ö", "oe"], ["ü", "ue"], ["ß", "ss"], ["ẞ", "SS"]]


@lru_cache(maxsize=65536)  # the same titles and names are slugged again and again
def slugify(text: str, max_length: int = 80) -> str:
    """A lowercase ASCII slug; umlauts transliterated the German way; never empty.

    NFC first: a file name typed on macOS arrives decomposed (u + U+0308), which
    would otherwise miss the German replacements ("grusse", not "gruesse").
    """
    if len(text) <= max_length and _SLUG.fullmatch(text):
        return text
    text = unicodedata.normalize("NFC", text).translate(INVISIBLE)
    slug = _slugify(text, replacements=_GERMAN, max_length=max_length, word_boundary=True)
    return slug or "page"
