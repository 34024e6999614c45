"""Metadata taken out of image files that are published as they are, without re-encoding them.

Most pictures are re-encoded (images.py), which drops their metadata. Two kinds are not: a
picture linked as a download (`[in voller Größe](../assets/foto.jpg)`, copied to `files/`) and an
animated GIF (copied whole, since resizing would flatten it). A phone's photo carries where it
was taken (EXIF GPS), by whom and with what (EXIF, XMP, IPTC, comments), and some cameras append
further pictures after the image with metadata of their own (MPF previews, depth maps). This module
removes those parts byte-exactly and keeps every pixel, the colour profile and a JPEG's
orientation, so the download is the same picture, full size, without them.

The formats are told by their first bytes, not by the file's name; other files pass unchanged.
A file that says it is one of them but is damaged raises MetadataError: published as it is, it
could still carry what this module is there to take out.
"""

from __future__ import annotations

import re
import struct


class MetadataError(ValueError):
    """The file starts like a JPEG, PNG, WebP or GIF but its structure is broken."""


def without_metadata(data: bytes, name: str = "") -> bytes:
    """`data` with its metadata removed when it is a JPEG, PNG, WebP or GIF, or an SVG (`name`
    ending in .svg); else unchanged."""
    if name.lower().endswith(".svg"):
        return svg_without_metadata(data)
    try:
        if data.startswith(b"\xff\xd8\xff"):
            return _jpeg(data)
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            return _png(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp(data)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return _gif(data)
    except (IndexError, struct.error) as exc:
        raise MetadataError(f"truncated ({exc})") from None
    return data


# ---------------------------------------------------------------- JPEG

_JPEG_KEPT_APP = {0xE0: b"", 0xE2: b"ICC_PROFILE\0", 0xEE: b"Adobe"}  # JFIF, colour profile, colour transform
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RSTn: markers without a length


def _jpeg(data: bytes) -> bytes:
    """Segments up to the end of the image (EOI), without APPn other than JFIF, ICC and Adobe and
    without comments; what follows EOI (appended previews) is left off."""
    out, orientation, pos = [b"\xff\xd8"], 1, 2
    while pos < len(data):  # a file cut short of its EOI is kept as far as it goes
        if data[pos] != 0xFF:
            raise MetadataError(f"no JPEG marker at byte {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # EOI
            out.append(b"\xff\xd9")
            break
        if marker in _STANDALONE:
            out.append(data[pos:pos + 2])
            pos += 2
            continue
        end = pos + 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
        segment = data[pos:end]
        if len(segment) < 4 or end > len(data):
            raise MetadataError(f"segment at byte {pos} runs past the end")
        if marker == 0xE1:
            orientation = _exif_orientation(segment[4:]) or orientation
        if _jpeg_keeps(marker, segment[4:]):
            out.append(segment)
        pos = end
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            scan_end = _scan_end(data, pos)
            out.append(data[pos:scan_end])
            pos = scan_end
    if orientation != 1:  # the pixels are stored turned: keep only the tag that says so
        out.insert(1, _orientation_segment(orientation))
    return b"".join(out)


def _jpeg_keeps(marker: int, payload: bytes) -> bool:
    if marker == 0xFE:  # comment
        return False
    if 0xE0 <= marker <= 0xEF:  # APPn: EXIF and XMP (APP1), IPTC (APP13), makers' own
        return marker in _JPEG_KEPT_APP and payload.startswith(_JPEG_KEPT_APP[marker])
    return True


def _scan_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data from `pos` ends: the first 0xFF not followed by a stuffed 0
    or a restart marker."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            return len(data)
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos += 1
            continue
        return pos


def _exif_orientation(payload: bytes) -> int | None:
    """The Orientation tag (0x0112) of an APP1 Exif payload, or None."""
    tiff = payload[6:]
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if not payload.startswith(b"Exif\0\0") or order is None:
        return None
    try:  # a damaged EXIF block is dropped like any other; only its orientation is looked for
        (ifd,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[ifd:ifd + 2])
        for index in range(count):
            entry = tiff[ifd + 2 + 12 * index:ifd + 14 + 12 * index]
            tag, kind = struct.unpack(order + "HH", entry[:4])
            if tag == 0x0112 and kind == 3:
                value = struct.unpack(order + "H", entry[8:10])[0]
                return value if 1 <= value <= 8 else None
    except struct.error:
        return None
    return None


def _orientation_segment(orientation: int) -> bytes:
    """An APP1 Exif segment holding nothing but the orientation."""
    tiff = b"MM\0*" + struct.pack(">IHHHIHHI", 8, 1, 0x0112, 3, 1, orientation, 0, 0)
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


# ---------------------------------------------------------------- PNG

_PNG_DROPPED = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def _png(data: bytes) -> bytes:
    """Every chunk but the text, EXIF and time ones."""
    out, pos = [data[:8]], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, end = data[pos + 4:pos + 8], pos + 12 + length
        if end > len(data):
            raise MetadataError(f"chunk {kind!r} at byte {pos} runs past the end")
        if kind not in _PNG_DROPPED:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    return b"".join(out)


# ---------------------------------------------------------------- WebP

def _webp(data: bytes) -> bytes:
    """Every chunk but EXIF and XMP, with the VP8X flags that announce them cleared."""
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        kind = data[pos:pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4:pos + 8])
        end = pos + 8 + size + (size & 1)
        if pos + 8 + size > len(data):
            raise MetadataError(f"chunk {kind!r} at byte {pos} runs past the end")
        chunk = data[pos:end]
        if kind == b"VP8X":
            chunk = chunk[:8] + bytes([chunk[8] & ~0x0C]) + chunk[9:]  # 0x08 EXIF, 0x04 XMP
        if kind not in (b"EXIF", b"XMP "):
            chunks.append(chunk)
        pos = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# ---------------------------------------------------------------- GIF

_GIF_KEPT_APPS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")  # the loop count


def _gif(data: bytes) -> bytes:
    """Every block but comments and application extensions other than the loop count (XMP and
    the like); nothing after the trailer."""
    pos = 13 + _colour_table(data[10])
    out = [data[:pos]]
    while True:
        introducer = data[pos]
        if introducer == 0x3B:  # trailer
            out.append(b"\x3b")
            return b"".join(out)
        if introducer == 0x2C:  # image: descriptor, local colour table, LZW code size, sub-blocks
            start = pos
            pos = _sub_blocks_end(data, pos + 10 + _colour_table(data[pos + 9]) + 1)
            out.append(data[start:pos])
        elif introducer == 0x21:
            label, start = data[pos + 1], pos
            pos = _sub_blocks_end(data, pos + 2)
            identifier = data[start + 3:start + 14]
            if label not in (0xFE, 0xFF) or label == 0xFF and identifier in _GIF_KEPT_APPS:
                out.append(data[start:pos])
        else:
            raise MetadataError(f"unknown GIF block 0x{introducer:02x} at byte {pos}")


def _colour_table(packed: int) -> int:
    return 3 * 2 ** ((packed & 0x07) + 1) if packed & 0x80 else 0


def _sub_blocks_end(data: bytes, pos: int) -> int:
    while True:
        size = data[pos]
        pos += 1 + size
        if size == 0:
            if pos > len(data):
                raise MetadataError("data sub-blocks run past the end")
            return pos


# ---------------------------------------------------------------- SVG

#: The RDF block drawing programs write (dc:creator, the author's name) and the attributes in which
#: Inkscape keeps the file's name and the path it was last exported to (`/home/<user>/...`).
_SVG_METADATA = re.compile(rb"<metadata\b[^>]*/>|<metadata\b.*?</metadata\s*>", re.S)
_SVG_EDITOR_PATHS = re.compile(rb"""\s(?:inkscape:export-filename|sodipodi:docname|sodipodi:absref)\s*=\s*(?:"[^"]*"|'[^']*')""")


def svg_without_metadata(data: bytes) -> bytes:
    """An SVG without its <metadata> and its editor's file names; every drawing element and
    attribute else left as written (nothing is parsed and written again)."""
    return _SVG_EDITOR_PATHS.sub(b"", _SVG_METADATA.sub(b"", data))
