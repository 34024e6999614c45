"""Social preview images (Open Graph) for messages and training modules.

Chat tools show a link's `og:image`; an on-brand card (brand colours, the
title, the brand name and a raster logo) makes shared links recognisable.
Cards are drawn by images.draw_card (Pillow lives there), cached by
everything they depend on, and named by that key, so a rebuild draws
nothing for unchanged titles and writes the same bytes.
An SVG logo is not drawn (SVG is never rasterised); the brand name is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .cache import digest
from .images import draw_card
from .model import Page

if TYPE_CHECKING:
    from .render.context import RenderContext

CARD_VERSION = "card-4"  # bump when draw_card changes, to miss old cache entries
KINDS = ("message", "training")
FOLDER = "social/"


def og_image_url(ctx: "RenderContext", page: Page | None) -> str | None:
    """The absolute URL of the page's card (added to the outputs), or None for other pages."""
    card = _card(ctx, page)
    if card is None:
        return None
    _add(ctx, page, *card)
    return ctx.absolute(card[1])


def add_cards(ctx: "RenderContext", pages: list[Page | None]) -> None:
    """Add the cards of `pages` (replayed from the page cache), as rendering them would have."""
    for page in pages:
        card = _card(ctx, page)
        if card is not None:
            _add(ctx, page, *card)


def _card(ctx: "RenderContext", page: Page | None) -> tuple[str, str] | None:
    """The cache key and output path of the page's card; None for a page without one."""
    if page is None or page.kind not in KINDS or "://" not in ctx.config.settings.base_url:
        return None  # chat tools need an absolute image URL: without a full base_url a card is no use
    key = digest(CARD_VERSION, page.title, _kicker(ctx, page), CardBrand.of(ctx).key)
    return key, f"{FOLDER}{key[:16]}.png"


def _add(ctx: "RenderContext", page: Page, key: str, path: str) -> None:
    """Add the card at `path` unless the build has it: the file kept in the cache's store, or
    drawn (and stored) now."""
    if path in ctx.outputs:
        return
    cache = ctx.images.cache  # the build's content-addressed cache (a no-op when disabled)
    data = cache.stored(key)
    if data is None:
        brand = CardBrand.of(ctx)
        data = cache.keep(key, draw_card(page.title, _kicker(ctx, page), brand.name, brand.colors, brand.font, brand.logo))
    ctx.outputs.add(path, data, f"social card of {page.path}", ctx.diagnostics)


def _kicker(ctx: "RenderContext", page: Page) -> str:
    """The section a card names above its title."""
    return ctx.strings(page.lang).get("training_title" if page.kind == "training" else "messages_title", "")


def is_card(path: str) -> bool:
    """Whether an output path is a card: named by its content, so two pages may well add the same."""
    return path.startswith(FOLDER)


@dataclass(frozen=True)
class CardBrand:
    """What every card of a build shows besides its title and section, read once per build."""

    name: str
    colors: dict[str, str]
    font: bytes | None
    logo: bytes | None  # a raster logo; an SVG one is not drawn
    key: str  # a hash of all of the above

    @classmethod
    def of(cls, ctx: "RenderContext") -> "CardBrand":
        if ctx.card_brand is None:
            brand = ctx.config.settings.brand
            logo = None if not brand.logo or brand.logo.lower().endswith(".svg") else _brand_bytes(ctx, brand.logo)
            font, colors = _brand_bytes(ctx, brand.fonts.heading), brand.colors.model_dump()
            key = digest(brand.name, json.dumps(colors, sort_keys=True), font or b"", logo or b"")
            ctx.card_brand = cls(brand.name, colors, font, logo, key)
        return ctx.card_brand


def _brand_bytes(ctx: "RenderContext", rel: str | None) -> bytes | None:
    path = ctx.config.content_dir / rel if rel else None
    try:
        return path.read_bytes() if path and path.is_file() else None
    except OSError:
        return None
