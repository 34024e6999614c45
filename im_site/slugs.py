"""Slugs from titles and file names, German-aware: "Frische für alle" -> "frische-fuer-alle"."""

from __future__ import annotations

from slugify import slugify as _slugify

_GERMAN = [["Ä", "Ae"], ["Ö", "Oe"], ["Ü", "Ue"], ["ä", "ae"], ["ö", "oe"], ["ü", "ue"], ["ß", "ss"], ["ẞ", "SS"]]


def slugify(text: str, max_length: int = 80) -> str:
    """A lowercase ASCII slug; umlauts transliterated the German way; never empty."""
    slug = _slugify(text, replacements=_GERMAN, max_length=max_length, word_boundary=True)
    return slug or "page"
