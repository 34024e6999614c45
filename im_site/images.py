"""Images used by published pages: validated with Pillow, written under content-hashed names.

Only images that a published page uses reach the output, so an unpublished
page's pictures leave no trace.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import warnings
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .diagnostics import Diagnostics

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PIXELS = 50_000_000


@dataclass(frozen=True)
class ImageFile:
    output: str  # path in the output
    width: int | None
    height: int | None
    data: bytes


@dataclass
class ImageStore:
    """Processes each source image once per build and remembers what pages used."""

    content_dir: Path
    diagnostics: Diagnostics
    processed: dict[str, ImageFile | None] = field(default_factory=dict)

    def get(self, rel: str, used_by: str, line: int | None) -> ImageFile | None:
        """The processed image for `rel` (relative to content/), or None after an error."""
        if rel not in self.processed:
            self.processed[rel] = self._process(rel, used_by, line)
        return self.processed[rel]

    def _process(self, rel: str, used_by: str, line: int | None) -> ImageFile | None:
        path = self.content_dir / rel
        try:
            data = path.read_bytes()
        except OSError:
            self.diagnostics.error(used_by, line, "IM110", f"image {rel!r} not found under content/")
            return None
        digest = hashlib.sha256(data).hexdigest()[:10]
        stem, suffix = posixpath.splitext(posixpath.basename(rel))
        output = f"media/{stem}.{digest}{suffix.lower()}"
        if suffix.lower() == ".svg":
            return ImageFile(output, None, None, data)
        size = self._measure(data, rel, used_by, line)
        return ImageFile(output, size[0], size[1], data) if size else None

    def _measure(self, data: bytes, rel: str, used_by: str, line: int | None) -> tuple[int, int] | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as image:
                    if image.format not in ALLOWED_FORMATS:
                        raise ValueError(f"format {image.format} is not allowed (JPEG, PNG, WebP, GIF, SVG)")
                    if image.width * image.height > MAX_PIXELS:
                        raise ValueError(f"{image.width}x{image.height} pixels is too large")
                    image.load()
                    return image.size
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError,
                Image.DecompressionBombWarning, SyntaxError) as exc:
            self.diagnostics.error(used_by, line, "IM112", f"image {rel!r} cannot be used: {exc}")
            return None

    def outputs(self) -> dict[str, bytes]:
        return {image.output: image.data for image in self.processed.values() if image is not None}


def img_tag(image: ImageFile, src: str, alt: str, title: str = "", css_class: str = "") -> str:
    """An <img> with intrinsic size and lazy loading."""
    attrs = [f'src="{escape(src)}"', f'alt="{escape(alt)}"']
    if image.width and image.height:
        attrs.append(f'width="{image.width}" height="{image.height}"')
    if title:
        attrs.append(f'title="{escape(title)}"')
    if css_class:
        attrs.append(f'class="{escape(css_class)}"')
    attrs.append('loading="lazy" decoding="async"')
    return f"<img {' '.join(attrs)}>"
