"""Colour arithmetic for the brand: WCAG contrast, and the dark scheme derived from the light brand.

A reader whose device asks for dark mode gets the brand's colours for dark backgrounds. A site
gives them in site.yaml `brand.dark`, a theme in theme.yaml `dark_tokens`; every colour given by
neither is derived here from the light brand: a background and surface tinted with the primary
hue, light text, and links, headings, muted text, focus ring and danger lightened from their
light colours until they reach WCAG AA on the dark surface. The header band keeps the primary.
"""

from __future__ import annotations

import colorsys
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Config
    from .diagnostics import Diagnostics
    from .theme import Theme

#: WCAG 2.2 AA minimum contrast for normal-size text, and for what is no text (a focus ring).
AA_NORMAL = 4.5
AA_NON_TEXT = 3.0
#: Built-in fallbacks of the stylesheets (`var(--color-focus,#1A56DB)`, `var(--color-danger,#B42318)`).
FOCUS = "#1A56DB"
DANGER = "#B42318"
WHITE = "#FFFFFF"
DARK_TEXT = "#1A1A1A"
_HEX = re.compile(r"#[0-9a-fA-F]{6}$")
_SHORT_HEX = re.compile(r"#[0-9a-fA-F]{3}$")

#: site.yaml's brand colours and the tokens they set.
BRAND_KEYS = {"primary": "color-primary", "secondary": "color-secondary", "text": "color-text",
              "background": "color-background"}
#: Every colour the dark scheme sets, so a `dark_tokens` name outside it is a typo.
DARK_TOKENS = frozenset({*BRAND_KEYS.values(), "color-surface", "color-border", "color-link", "color-heading",
                         "color-muted", "color-on-primary", "color-on-secondary", "color-focus", "color-danger"})


def hex_colour(value: str) -> str:
    """`#RRGGBB` for a colour written `#RRGGBB` or `#RGB`; "" for anything else (a `var()`, `rgb()`)."""
    value = value.strip()
    if _SHORT_HEX.match(value):
        return "#" + "".join(digit * 2 for digit in value[1:]).upper()
    return value.upper() if _HEX.match(value) else ""


def relative_luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of #RRGGBB."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio, from 1 (none) to 21 (black on white)."""
    first, second = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (first + 0.05) / (second + 0.05)


def _hls(colour: str) -> tuple[float, float, float]:
    return colorsys.rgb_to_hls(*(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)))


def _from_hls(hue: float, lightness: float, saturation: float) -> str:
    red, green, blue = colorsys.hls_to_rgb(hue, min(max(lightness, 0.0), 1.0), min(max(saturation, 0.0), 1.0))
    return "#" + "".join(f"{round(channel * 255):02X}" for channel in (red, green, blue))


def lightened(colour: str, against: str, minimum: float, saturation_cap: float = 1.0) -> str:
    """`colour` with its hue, made lighter in steps until it reaches `minimum` contrast on the
    (dark) colour `against`; white where no shade of it does. A colour that passes stays as it is.
    `saturation_cap` tames a lifted colour: a light green at full saturation glares on a dark page."""
    hue, lightness, saturation = _hls(colour)
    if contrast_ratio(colour, against) < minimum and saturation > saturation_cap:
        saturation = saturation_cap
        colour = _from_hls(hue, lightness, saturation)
    while contrast_ratio(colour, against) < minimum and lightness < 1:
        lightness = round(lightness + 0.01, 2)
        colour = _from_hls(hue, lightness, saturation)
    return colour if contrast_ratio(colour, against) >= minimum else WHITE


@dataclass(frozen=True)
class DarkColour:
    """A colour of the dark scheme and who chose it: `site` (brand.dark), `theme` (dark_tokens) or
    `derived` from `source`, the light colour (token) it was made from."""

    value: str
    chosen_by: str
    file: str
    line: int | None
    source: str = ""


def light_colours(config: "Config", theme: "Theme") -> dict[str, str]:
    """The light scheme's colours as tokens, as brand.css sets them (site.yaml's brand wins)."""
    colors = config.settings.brand.colors
    return {**theme.tokens, **{token: getattr(colors, key) for key, token in BRAND_KEYS.items()}}


def dark_scheme(config: "Config", theme: "Theme") -> dict[str, DarkColour]:
    """Every colour token of the dark scheme, the site's `brand.dark` first, then the theme's
    `dark_tokens`, then derived from the light colours."""
    light = light_colours(config, theme)
    given: dict[str, DarkColour] = {}
    for token, value in theme.dark_tokens.items():
        given[token] = DarkColour(value, "theme", *theme.dark_token_lines.get(token, ("theme.yaml", None)))
    dark = config.settings.brand.dark
    for key, token in BRAND_KEYS.items():
        if getattr(dark, key) is not None:
            given[token] = DarkColour(getattr(dark, key), "site", config.file, config.line_of("brand", "dark", key))
    scheme = dict(given)
    _derive(scheme, light, config)
    return dict(sorted(scheme.items()))


def _derive(scheme: dict[str, DarkColour], light: dict[str, str], config: "Config") -> None:
    """Fill in each colour `scheme` lacks, from `light` (in an order where each one's inputs exist)."""

    def value(token: str) -> str:
        return hex_colour(scheme[token].value) if token in scheme else ""

    def derive(token: str, source: str, make: Callable[[], str]) -> None:
        if token not in scheme:
            colour = make()
            if colour:
                key = next((key for key, named in BRAND_KEYS.items() if named == source), None)
                line = config.line_of("brand", "colors", key) if key else None
                scheme[token] = DarkColour(colour, "derived", config.file, line, source)

    derive("color-primary", "color-primary", lambda: light["color-primary"])
    derive("color-secondary", "color-secondary", lambda: light["color-secondary"])
    hue, _, saturation = _hls(value("color-primary") or light["color-primary"])
    tint = min(saturation, 0.3)
    derive("color-background", "color-primary", lambda: _from_hls(hue, 0.085, tint))
    background = value("color-background") or _from_hls(hue, 0.085, tint)
    surface_hue, surface_lightness, surface_saturation = _hls(background)
    derive("color-surface", "color-background",
           lambda: _from_hls(surface_hue, surface_lightness + 0.055, surface_saturation * 0.85))
    derive("color-border", "color-background",
           lambda: _from_hls(surface_hue, surface_lightness + 0.17, surface_saturation * 0.6))
    surface = value("color-surface") or background
    # Text is read on both: it must pass on the lighter one.
    lighter = max(background, surface, key=relative_luminance)
    derive("color-text", "color-text", lambda: lightened(_from_hls(hue, 0.91, min(tint, 0.14)), lighter, 12))
    # A dark primary the site or theme chose is the links' colour; else the light link colour, lightened.
    link_base = None if scheme["color-primary"].chosen_by != "derived" else light.get("color-link")
    derive("color-link", "color-link" if link_base else "color-primary",
           lambda: _lifted(link_base, value("color-primary"), lighter, AA_NORMAL + 1, 0.5))
    if "color-heading" in light:
        derive("color-heading", "color-heading", lambda: _lifted(light["color-heading"], "", lighter, 8, 0.45))
    derive("color-muted", "color-muted" if "color-muted" in light else "color-text",
           lambda: _lifted(_desaturated(light.get("color-muted") or DARK_TEXT), "", lighter, AA_NORMAL + 0.3))
    derive("color-focus", "color-focus", lambda: _lifted(light.get("color-focus"), FOCUS, lighter, AA_NORMAL))
    derive("color-danger", "color-danger", lambda: _lifted(light.get("color-danger"), DANGER, lighter, AA_NORMAL + 0.3))
    derive("color-on-primary", "color-on-primary", lambda: _on(value("color-primary"), light.get("color-on-primary"),
                                                               WHITE))
    derive("color-on-secondary", "color-on-secondary", lambda: _on(value("color-secondary"),
                                                                   light.get("color-on-secondary"), DARK_TEXT))


def _lifted(preferred: str | None, fallback: str, against: str, minimum: float, saturation_cap: float = 1.0) -> str:
    """The light colour (a token, else the fallback) lightened until it reaches `minimum` on `against`."""
    base = hex_colour(preferred or "") or hex_colour(fallback)
    return lightened(base, against, minimum, saturation_cap) if base and hex_colour(against) else ""


def _desaturated(colour: str) -> str:
    """Grey text stays grey: a muted colour keeps at most a trace of its hue."""
    base = hex_colour(colour)
    if not base:
        return ""
    hue, lightness, saturation = _hls(base)
    return _from_hls(hue, lightness, min(saturation, 0.12))


def _on(background: str, light_choice: str | None, default: str) -> str:
    """Text on a brand colour: the light scheme's choice where it still passes, else white or the
    dark text, whichever reads better on it."""
    chosen = hex_colour(light_choice or "") or default
    if not background or contrast_ratio(chosen, background) >= AA_NORMAL:
        return chosen
    return max((WHITE, DARK_TEXT), key=lambda text: contrast_ratio(text, background))


def dark_declarations(config: "Config", theme: "Theme") -> dict[str, str]:
    """The custom properties dark mode changes: each colour of the dark scheme that differs from light."""
    light = light_colours(config, theme)
    return {token: colour.value for token, colour in dark_scheme(config, theme).items()
            if hex_colour(light.get(token, "")) != hex_colour(colour.value) or not hex_colour(colour.value)}


def color_scheme(config: "Config") -> str:
    """The CSS `color-scheme` of the site's pages: which schemes the browser may draw them in."""
    scheme = config.settings.color_scheme
    return "light dark" if scheme == "auto" else scheme


def theme_colours(config: "Config", theme: "Theme") -> list[tuple[str, str | None]]:
    """`<meta name="theme-color">` values, (colour, media): the header's colour, which phone browsers
    give their address bar. The dark scheme's primary (the header keeps the primary) where pages
    can be dark; for `auto` one per scheme, each with its `prefers-color-scheme` media query."""
    light = hex_colour(config.settings.brand.colors.primary)
    scheme = config.settings.color_scheme
    if scheme == "light":
        return [(light, None)]
    dark = hex_colour(dark_scheme(config, theme)["color-primary"].value) or light
    if scheme == "dark":
        return [(dark, None)]
    return [(light, "(prefers-color-scheme: light)"), (dark, "(prefers-color-scheme: dark)")]


def dark_rules(config: "Config", theme: "Theme") -> list[str]:
    """brand.css's rules for dark mode: the dark colours on screens that ask for dark (`auto`) or on
    every screen (`dark`); none for `light`. Paper stays light: a print of a dark page (backgrounds
    dropped) had pale text on white."""
    scheme = config.settings.color_scheme
    if scheme == "light":
        return []
    dark = "".join(f"--{key}:{value};" for key, value in sorted(dark_declarations(config, theme).items()))
    media = "@media screen and (prefers-color-scheme:dark)" if scheme == "auto" else "@media screen"
    return [media + "{:root{" + dark + "}}", "@media print{:root{color-scheme:light}}"]


def check_dark_tokens(theme: "Theme", diagnostics: "Diagnostics") -> None:
    """A `dark_tokens` name that is no colour of the scheme (`colour-link`) changes nothing: IM040."""
    for token, (rel, line) in sorted(theme.dark_token_lines.items()):
        if token in DARK_TOKENS or token in theme.tokens:
            continue
        match = difflib.get_close_matches(token, sorted(DARK_TOKENS), n=1, cutoff=0.7)
        diagnostics.warning(rel, line, "IM040", f"dark token {token!r} is no colour the dark scheme sets, so it "
                            "changes nothing", hint=f"did you mean {match[0]!r}?" if match else
                            f"dark_tokens takes the colour tokens: {', '.join(sorted(DARK_TOKENS))}")
