"""Images used by published pages: resized with Pillow, stripped of EXIF, cached by content.

Only images that a published page uses reach the output, so an unpublished
page's pictures leave no trace. Each raster image becomes several widths in
its own format plus WebP; the encoded variants are cached by a hash of the
source bytes and the settings, so a rebuild re-encodes nothing unchanged and
writes the same bytes as a clean build. SVG is copied as is: never
rasterised, never inlined.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import posixpath
import re
import warnings
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow itself is imported where an image is opened: a rebuild whose variants
    from PIL import Image  # are all cached never opens one, and the import costs about 20 ms

from .cache import Cache, Stored, digest
from .diagnostics import Diagnostics
from .image_metadata import MetadataError, svg_without_metadata, without_metadata
from .urls import quote_path

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PIXELS = 50_000_000
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}
MIME = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".gif": "image/gif",
        ".svg": "image/svg+xml"}
PIPELINE_VERSION = "images-5"  # bump when the encoding below changes, to miss old cache entries
DEFAULT_WIDTHS = (480, 960, 1600)
SIZES = "(min-width: 50rem) 48rem, 100vw"


def _bad_image() -> tuple[type[BaseException], ...]:
    """The exceptions Pillow raises for a file it cannot read (a function, so that Pillow is imported on first use)."""
    from PIL import Image, UnidentifiedImageError

    return (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning)


@dataclass(frozen=True)
class Variant:
    """One encoded file of an image: its output path, pixel size and bytes (in the cache's file store
    when there is a cache)."""

    output: str
    width: int
    height: int
    data: bytes | Stored = field(repr=False)

    @property
    def mime(self) -> str:
        return MIME[posixpath.splitext(self.output)[1]]


@dataclass(frozen=True)
class ImageFile:
    """A processed image: `output` is the fallback src (largest width, original format)."""

    output: str
    width: int | None
    height: int | None
    data: bytes | Stored = field(repr=False)
    variants: tuple[Variant, ...] = ()

    def of_type(self, mime: str) -> list[Variant]:
        return [v for v in self.variants if v.mime == mime]


class ImageError(Exception):
    """Why a source image cannot be used (reported as IM112 with the page using it)."""


@dataclass
class ImageStore:
    """Processes each source image once per build and reports problems per page using it."""

    content_dir: Path
    diagnostics: Diagnostics
    cache: Cache = field(default_factory=lambda: Cache(None))
    widths: tuple[int, ...] = DEFAULT_WIDTHS
    quality: int = 82
    processed: dict[str, ImageFile | str] = field(default_factory=dict)  # rel -> image or error
    encoded: int = 0  # images encoded in this build (cache misses); tests read it
    #: While a cacheable page renders: the images it asks for (pagecache.py replays them).
    requests: list[str] | None = field(default=None, repr=False)

    def get(self, rel: str, used_by: str, line: int | None) -> ImageFile | None:
        """The processed image for `rel` (relative to content/), or None after an error."""
        if self.requests is not None:
            self.requests.append(rel)
        self.touch(rel)
        found = self.processed[rel]
        if isinstance(found, str):
            code = "IM110" if found.startswith("not found") else "IM112"
            self.diagnostics.error(used_by, line, code, f"image content/{rel} cannot be used: {found}",
                                   hint="use a JPEG, PNG, WebP, GIF or SVG file that opens in an image viewer")
            return None
        return found

    def touch(self, rel: str) -> None:
        """Process `rel` for this build's outputs, reporting nothing (a cached page's image)."""
        if rel not in self.processed:
            self.processed[rel] = self._process(rel)

    def _process(self, rel: str) -> ImageFile | str:
        path = self.content_dir / rel
        try:
            if not path.resolve().is_relative_to(self.content_dir.resolve()):
                return "not found under content/"
            data = path.read_bytes()
        except OSError:
            return "not found under content/"
        stem, suffix = posixpath.splitext(posixpath.basename(rel))
        stem = _short(stem)
        if suffix.lower() == ".svg":
            return _svg(data, stem)
        try:
            return self._raster(data, stem)
        except ImageError as exc:
            return str(exc)

    def _raster(self, data: bytes, stem: str) -> ImageFile:
        settings = json.dumps([PIPELINE_VERSION, list(self.widths), self.quality])
        key = digest(data, settings)
        variants = self._cached(key)
        if variants is None:
            encoded = encode_variants(data, self.widths, self.quality)
            self.encoded += 1
            # Each variant's bytes go to the cache's file store; the build holds where they are.
            variants = [(ext, w, h, self.cache.keep(_variant_key(key, ext, w), blob)) for ext, w, h, blob in encoded]
            if all(isinstance(blob, Stored) for *_, blob in variants):
                self.cache.put("images", key, json.dumps([[ext, w, h] for ext, w, h, _ in variants]).encode())
        name = f"media/{stem}.{key[:10]}"
        files = tuple(Variant(f"{name}-{w}{ext}", w, h, blob) for ext, w, h, blob in variants)
        fallback = [v for v in files if not v.output.endswith(".webp")] or list(files)
        largest = max(fallback, key=lambda v: v.width)
        return ImageFile(largest.output, largest.width, largest.height, largest.data, files)

    def _cached(self, key: str) -> list[tuple[str, int, int, Stored]] | None:
        """The variants of the image `key` from the cache (their sizes, and their files in the
        store), or None if any part is missing or damaged (the image is encoded again)."""
        value = self.cache.get("images", key)
        if value is None:
            return None
        try:
            sizes = [(ext, width, height) for ext, width, height in json.loads(value)]
        except (ValueError, TypeError):
            return None
        found = []
        for ext, width, height in sizes:
            stored = self.cache.stored(_variant_key(key, ext, width))
            if stored is None:
                return None
            found.append((ext, width, height, stored))
        return found or None

    def outputs(self) -> dict[str, bytes | Stored]:
        """Every file of every image used, by output path."""
        found: dict[str, bytes | Stored] = {}
        for image in self.processed.values():
            if isinstance(image, ImageFile):
                found[image.output] = image.data
                found.update({v.output: v.data for v in image.variants})
        return dict(sorted(found.items()))


def _short(stem: str, limit: int = 120) -> str:
    """A source name cut to `limit` UTF-8 bytes: the output adds a hash, width and suffix,
    and a file name over 255 bytes cannot be written on most file systems."""
    return stem.encode()[:limit].decode("utf-8", "ignore")


def _svg(data: bytes, stem: str) -> ImageFile | str:
    """SVG is copied as written but for its metadata (it is only ever shown through <img>, where
    scripts do not run)."""
    if b"<svg" not in data[:4096]:
        return "not an SVG file (no <svg> element at the start)"
    data = svg_without_metadata(data)  # the author's name, the drawing's path on their machine
    output = f"media/{stem}.{hashlib.sha256(data).hexdigest()[:10]}.svg"
    return ImageFile(output, None, None, data)


def image_problem(data: bytes, name: str) -> str | None:
    """Why a file shown as it is (the brand logo) is no image the pages may use; None when it is."""
    if name.lower().endswith(".svg"):
        problem = _svg(data, "logo")
        return problem if isinstance(problem, str) else None
    try:
        open_checked(data)
    except ImageError as exc:
        return str(exc)
    return None


def aspect_ratio(data: bytes, name: str) -> float | None:
    """Width over height of an image that `image_problem` accepts: an SVG's `viewBox` (else its
    `width` and `height` in user units or px), a raster image's pixels; None when it says neither."""
    if name.lower().endswith(".svg"):
        tag = re.search(rb"<svg\b[^>]*>", data[:8192])
        attributes = dict(re.findall(rb'\s([\w:-]+)\s*=\s*["\']([^"\']*)["\']', tag.group(0))) if tag else {}
        box = re.split(rb"[\s,]+", attributes.get(b"viewBox", b"").strip())
        sizes = box[2:4] if len(box) == 4 else [attributes.get(b"width", b""), attributes.get(b"height", b"")]
        numbers = [re.fullmatch(rb"\s*([\d.]+)\s*(px)?\s*", size) for size in sizes]
        if not all(numbers):
            return None
        width, height = (float(number.group(1)) for number in numbers if number)
    else:
        from PIL import Image

        try:
            width, height = Image.open(io.BytesIO(data)).size
        except _bad_image():
            return None
    return width / height if width > 0 and height > 0 else None


# ---------------------------------------------------------------- encoding

def open_checked(data: bytes, widest: int | None = None) -> Image.Image:
    """Open, check format and size, decode fully: every failure becomes an ImageError.

    With `widest`, the widest variant that will be made: a JPEG much wider
    than that is decoded at 1/2, 1/4 or 1/8 of its size (libjpeg scales
    while decoding), still at least `widest` wide when upright.
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise ImageError(f"format {image.format} is not allowed (JPEG, PNG, WebP, GIF, SVG)")
            if image.width * image.height > MAX_PIXELS:
                raise ImageError(f"{image.width}x{image.height} pixels is too large (a decompression bomb?)")
            if widest is not None and image.format == "JPEG":
                _decode_smaller(image, widest)
            image.load()
            return image
    except ImageError:
        raise
    except _bad_image() as exc:
        raise ImageError(_describe(exc)) from None


def _decode_smaller(image: Image.Image, widest: int) -> None:
    """Ask the JPEG decoder for the smallest scale that is still `widest` pixels wide upright
    (a camera's 4000-pixel photo for 1600-pixel variants: a quarter of the pixels to resize)."""
    turned = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)  # EXIF orientations that swap the axes
    upright_width = image.height if turned else image.width
    if widest < upright_width:
        scale = widest / upright_width
        image.draft(image.mode, (math.ceil(image.width * scale), math.ceil(image.height * scale)))


def _describe(exc: BaseException) -> str:
    from PIL import Image, UnidentifiedImageError

    if isinstance(exc, UnidentifiedImageError):
        return "not an image Pillow can read"
    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return "too many pixels (a decompression bomb?)"
    return f"broken or truncated image ({exc})"


def target_widths(original: int, widths: tuple[int, ...]) -> list[int]:
    """The configured widths below the original, plus the original capped at the largest width."""
    wanted = sorted({w for w in widths if 0 < w < original})
    top = min(original, max(widths)) if widths else original
    return sorted(set(wanted) | {top})


def encode_variants(data: bytes, widths: tuple[int, ...], quality: int) -> list[tuple[str, int, int, bytes]]:
    """(extension, width, height, bytes) for every width, in the original format and in WebP."""
    from PIL import Image, ImageOps

    source = open_checked(data, max(widths) if widths else None)
    original_format = source.format or "PNG"
    if original_format == "GIF" and getattr(source, "n_frames", 1) > 1:
        try:  # copied as it is, since resizing would flatten the animation; its comments and XMP are not
            return [(".gif", source.width, source.height, without_metadata(data))]
        except MetadataError as exc:
            raise ImageError(f"broken GIF ({exc})") from None
    icc = source.info.get("icc_profile")
    try:
        upright = _normalise(ImageOps.exif_transpose(source))
    except _bad_image() as exc:
        raise ImageError(_describe(exc)) from None
    found = []
    for width in target_widths(upright.width, widths):
        height = max(1, round(upright.height * width / upright.width))
        resized = upright if width == upright.width else upright.resize((width, height), Image.Resampling.LANCZOS)
        resized.info = {}  # drops EXIF, XMP, comments and text chunks; the ICC profile is passed back below
        found.append((EXTENSIONS[original_format], width, height, _save(resized, original_format, quality, icc)))
        if original_format != "WEBP":
            found.append((".webp", width, height, _save(resized, "WEBP", quality, icc)))
    return found


def _normalise(image: Image.Image) -> Image.Image:
    """A mode Lanczos can resample and every encoder accepts (palette and 16-bit expanded)."""
    if image.mode in ("P", "PA"):
        return image.convert("RGBA" if "transparency" in image.info or image.mode == "PA" else "RGB")
    if image.mode in ("1", "I;16", "I", "F"):
        return image.convert("L")
    return image


def _save(image: Image.Image, fmt: str, quality: int, icc: bytes | None) -> bytes:
    """Encode with no metadata but the colour profile (dropped only when CMYK became RGB)."""
    ready = _mode_for(image, fmt)
    ready.info = {}
    options: dict[str, object] = {}
    if icc and (ready.mode == "CMYK") == (image.mode == "CMYK"):
        options["icc_profile"] = icc
    if fmt == "JPEG":
        options.update(quality=quality, optimize=True, progressive=True)
    elif fmt == "WEBP":
        options.update(quality=quality, method=4)
    out = io.BytesIO()
    ready.save(out, format=fmt, **options)
    return out.getvalue()


def _mode_for(image: Image.Image, fmt: str) -> Image.Image:
    if fmt == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        return image.convert("RGB")
    if fmt == "WEBP" and image.mode not in ("RGB", "RGBA"):
        return image.convert("RGBA" if image.mode.endswith("A") else "RGB")
    return image.copy()


def _variant_key(image_key: str, extension: str, width: int) -> str:
    return digest(image_key, extension, str(width))


# ---------------------------------------------------------------- markup

def img_tag(image: ImageFile, src: str, alt: str, title: str = "", css_class: str = "") -> str:
    """An <img> with intrinsic size, srcset and lazy loading; a <picture> when WebP exists.

    `src` is the link to `image.output` from the page; every variant sits in the
    same folder, so their links share its directory part.
    """
    folder = posixpath.dirname(src)
    attrs = [f'src="{escape(src)}"', f'alt="{escape(alt)}"']
    if image.width and image.height:
        attrs.append(f'width="{image.width}" height="{image.height}"')
    own = image.of_type(MIME[posixpath.splitext(image.output)[1]])
    if len(own) > 1:
        attrs.append(f'srcset="{_srcset(folder, own)}" sizes="{SIZES}"')
    if title:
        attrs.append(f'title="{escape(title)}"')
    if css_class:
        attrs.append(f'class="{escape(css_class)}"')
    attrs.append('loading="lazy" decoding="async"')
    tag = f"<img {' '.join(attrs)}>"
    webp = image.of_type("image/webp") if not image.output.endswith(".webp") else []
    if not webp:
        return tag
    source = f'<source type="image/webp" srcset="{_srcset(folder, webp)}" sizes="{SIZES}">'
    return f"<picture>{source}{tag}</picture>"


def _srcset(folder: str, variants: list[Variant]) -> str:
    return ", ".join(f"{escape(posixpath.join(folder, quote_path(posixpath.basename(v.output))))} {v.width}w"
                     for v in sorted(variants, key=lambda v: v.width))


# ---------------------------------------------------------------- social preview cards

CARD_SIZE = (1200, 630)


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


#: What cards are drawn in without a brand font, or where it lacks a letter: Lato Bold, subset
#: to the Latin letters of European names (tools/card_font.py; licence in fonts/OFL.txt).
#: Pillow's own default font has no umlauts.
CARD_FONT = Path(__file__).parent / "fonts" / "card-sans-bold.woff2"


@functools.lru_cache(maxsize=16)
def _font(font: bytes | None, size: int):  # noqa: ANN202  (a Pillow font object)
    """The brand font (WOFF2 loads through FreeType), else the bundled CARD_FONT: no system fonts."""
    from PIL import ImageFont

    if font:
        try:
            return ImageFont.truetype(io.BytesIO(font), size)
        except (OSError, ValueError):
            pass
    return ImageFont.truetype(str(CARD_FONT), size)


def _drawable(text: str, font: bytes | None) -> tuple[str, bytes | None]:
    """`text` in the brand font if it has every letter, else in the bundled font, without the
    letters neither has (emoji): a card never shows the empty box of a missing letter.
    On one line: a line break (the `\\n` a YAML block scalar `name: |` or `messages_title: >`
    ends with) made Pillow's text layout fail, and the build with it ("internal error")."""
    text = " ".join(text.split())
    if all(char.isspace() or _has_glyph(font, char) for char in text):
        return text, font
    return " ".join("".join(char for char in text if char.isspace() or _has_glyph(None, char)).split()), None


@functools.lru_cache(maxsize=4096)
def _has_glyph(font: bytes | None, char: str) -> bool:
    """Whether `font` draws `char` as something else than its box for a missing letter."""
    return _shape(font, char) != _shape(font, _NO_LETTER)


_NO_LETTER = "\U000F0000"  # in the private use area: no font we meet has it


@functools.lru_cache(maxsize=4096)
def _shape(font: bytes | None, char: str) -> tuple[tuple[int, int], bytes]:
    from PIL import Image, ImageDraw

    face = _font(font, 32)
    left, top, right, bottom = face.getbbox(char)
    image = Image.new("L", (max(right - left, 1), max(bottom - top, 1)))
    ImageDraw.Draw(image).text((-left, -top), char, font=face, fill=255)
    return image.size, image.tobytes()


def _wrap(draw, text: str, font, width: int, max_lines: int) -> list[str]:  # noqa: ANN001
    """Greedy word wrap to `width` pixels; an overflowing last line ends in an ellipsis."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        last = " ".join(lines[max_lines - 1:])
        while last and draw.textlength(last + " …", font=font) > width:
            last = last[:-1]
        lines = lines[: max_lines - 1] + [last.rstrip() + " …"]
    return lines


def draw_card(title: str, kicker: str, brand: str, colors: dict[str, str], font: bytes | None,
              logo: bytes | None) -> bytes:
    """A 1200x630 PNG: brand-coloured band, wrapped title, kicker, brand name and raster logo.

    All but the kicker and the title is the same on every card of a build,
    drawn once (`_frame`). Cards are palette images (see `_frame`): half the
    bytes of an RGB PNG and less than half the time (Pillow searches a filter
    for every row of an RGB PNG, none for a palette one).
    """
    from PIL import ImageDraw

    card = _frame(brand, tuple(sorted(colors.items())), font, logo).copy()
    kicker, kicker_font = _drawable(kicker.upper(), font)
    _write(card, (72, 215), kicker, _font(kicker_font, 30), _KICKER)
    title, fitting = _drawable(title, font)
    title_font = _font(fitting, 68)
    for number, line in enumerate(_wrap(ImageDraw.Draw(card), title, title_font, CARD_SIZE[0] - 144, 4)):
        _write(card, (72, 275 + number * 82), line, title_font, _TITLE)
    out = io.BytesIO()
    card.save(out, "PNG", compress_level=CARD_COMPRESSION)
    return out.getvalue()


#: A card's palette: three blends of two colours, each in _SHADES steps (the edges of text drawn
#: in one colour over another), the secondary colour, then the logo's own colours.
_BRAND_NAME, _KICKER, _TITLE = 0, 1, 2  # white over primary, primary over background, text over background
_SHADES = 32  # a pixel is at most half a step off (4 of 255)
_SECONDARY = 3 * _SHADES
#: zlib level of the card PNGs: 3 makes them 15% smaller than 1 at the same speed (6: 30%, for 3 ms more each).
CARD_COMPRESSION = 3


@functools.lru_cache(maxsize=4)
def _frame(brand: str, colors: tuple[tuple[str, str], ...], font: bytes | None, logo: bytes | None) -> Image.Image:
    """The part all cards share (bands, logo, brand name), as a palette image with every colour cards use."""
    from PIL import Image, ImageDraw

    named = {name: _hex(value) for name, value in colors}
    palette: list[tuple[int, ...]] = []
    for under, over in ((named["primary"], (255, 255, 255)), (named["background"], named["primary"]),
                        (named["background"], named["text"])):
        palette += [tuple(round(a + (b - a) * step / (_SHADES - 1)) for a, b in zip(under, over))
                    for step in range(_SHADES)]
    palette.append(named["secondary"])
    tile = _logo_tile(logo) if logo else None
    if tile is not None:
        tile = tile.quantize(256 - len(palette), method=Image.Quantize.MEDIANCUT)
        first, colours = len(palette), tile.getpalette() or []
        palette += [tuple(colours[index:index + 3]) for index in range(0, len(colours), 3)]
        tile = Image.frombytes("L", tile.size, tile.tobytes()).point(lambda index: first + index)
    frame = Image.new("P", CARD_SIZE, _KICKER * _SHADES)  # the background: the kicker's blend, step 0
    frame.putpalette([value for colour in (palette * 256)[:256] for value in colour])
    draw = ImageDraw.Draw(frame)
    draw.rectangle((0, 0, CARD_SIZE[0], 150), fill=_BRAND_NAME * _SHADES)
    draw.rectangle((0, 150, CARD_SIZE[0], 162), fill=_SECONDARY)
    left = 72
    if tile is not None:
        tile.putpalette(frame.getpalette() or [])
        frame.paste(tile, (left, 17))
        left += tile.width + 28
    brand, fitting = _drawable(brand, font)
    _write(frame, (left, 75), brand, _font(fitting, 54), _BRAND_NAME, anchor="lm")
    return frame


def _write(card: Image.Image, xy: tuple[int, int], text: str, font, blend: int, anchor: str = "la") -> None:  # noqa: ANN001
    """Draw `text` on the palette `card` in the colour at the end of `blend`, its edges in the
    blend's shades (anti-aliased over the colour at its start)."""
    from PIL import Image, ImageDraw

    left, top, right, bottom = font.getbbox(text, anchor=anchor)
    if right <= left or bottom <= top:
        return
    coverage = Image.new("L", (right - left, bottom - top))
    ImageDraw.Draw(coverage).text((-left, -top), text, font=font, fill=255, anchor=anchor)
    shades = coverage.point([blend * _SHADES + round(value * (_SHADES - 1) / 255) for value in range(256)])
    shades.putpalette(card.getpalette() or [])
    card.paste(shades, (xy[0] + left, xy[1] + top), coverage.point([0] + [255] * 255))


def _logo_tile(logo: bytes) -> Image.Image | None:
    """The logo on a white tile (shown left of the brand name); None if it cannot be read."""
    from PIL import Image

    try:
        image = open_checked(logo).convert("RGBA")
    except ImageError:
        return None
    image.thumbnail((100, 100), Image.Resampling.LANCZOS)
    tile = Image.new("RGB", (116, 116), (255, 255, 255))
    tile.paste(image, ((116 - image.width) // 2, (116 - image.height) // 2), image)
    return tile
