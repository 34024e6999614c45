"""The page types every browser check visits, per site and language (paths below the site root)."""

from __future__ import annotations

DEMO = {
    "home": "",
    "message": "messages/2026-04-kulanz-bis-25-euro/",
    "module": "training/service-am-kunden/",
    "catalogue": "training/",
    "kpi-dashboard": "kpis/",
    "snapshot": "kpis/2026-q3/",
    "plain-page": "markenwerte/",
    "listing": "messages/",
    "search": "search/",
    "audience": "audiences/filiale/",
}

PLAIN = {
    "home": "",
    "message": "messages/2026-10-schulungen/",
    "module": "training/kasse/",
    "catalogue": "training/",
    "kpi-dashboard": "kpis/",
    "snapshot": "kpis/2026-q3/",
    "plain-page": "ueber-uns/",
    "listing": "messages/",
    "search": "search/",
    "audience": "audiences/filiale/",
}

LANGS = {"de": "", "en": "en/"}
#: The plain default theme's pages are checked for phones in its site's default language only: the
#: English pages use the same templates and stylesheet (axe checks both languages of both sites).
PLAIN_LANGUAGES = ("de",)


def every_page(pages: dict[str, str], languages: tuple[str, ...] = tuple(LANGS)) -> list[tuple[str, str]]:
    """(test id, path) for each page type in `languages` (both by default), plus the 404 page."""
    found = [(f"{lang}-{kind}", LANGS[lang] + path) for lang in languages for kind, path in pages.items()]
    return [*found, ("404", "404.html")]
