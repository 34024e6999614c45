"""URL rules: which schemes may reach a page, and relative links between output files.

Pages live at folder URLs (`messages/x/`) written as `messages/x/index.html`.
Every internal link is relative and names the file, so that one build works
under any base path, under `/versions/<id>/`, and opened from disk.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
import uuid
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from .options import BuildOptions

SAFE_SCHEMES = ("http", "https", "mailto", "tel")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
#: Kept as they are in the paths of links (besides ASCII letters and digits). Not `%` or `#`: paths
#: here are file names (`100% Frische.jpg`, `Preisliste #2.pdf`), never URLs already encoded.
_URL_SAFE = "/.-_~"
_PLAIN_PATH = re.compile(f"[A-Za-z0-9{re.escape(_URL_SAFE)}]*\\Z")  # what quote() would return unchanged
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def scheme_of(url: str) -> str | None:
    """The scheme of `url` as a browser would read it (control and blank characters ignored)."""
    match = _SCHEME.match(_INVISIBLE.sub("", url))
    return match.group(1).lower() if match else None


def is_safe_url(url: str, schemes: tuple[str, ...] = SAFE_SCHEMES) -> bool:
    """True for relative URLs and for the allowed schemes; False for javascript:, data:, ..."""
    scheme = scheme_of(url)
    return scheme is None or scheme in schemes


def is_external(url: str) -> bool:
    return scheme_of(url) is not None or url.startswith("//")


def page_file(url_path: str) -> str:
    """The output file of a folder URL: `messages/x/` -> `messages/x/index.html`."""
    if url_path.endswith(".html") or url_path.endswith(".xml") or url_path.endswith(".json"):
        return url_path
    return posixpath.join(url_path, "index.html") if url_path else "index.html"


def relative(from_file: str, to_file: str) -> str:
    """A relative link from one output file to another, naming the target file.

    Both are normalised POSIX paths inside the output (no '..'), so the common
    folder prefix is enough; this runs for every link of every page (30 on a
    page, nearly all pairs seen once: every page has a folder of its own).
    """
    start = from_file.split("/")[:-1]
    target = to_file.split("/")
    common = 0
    while common < len(start) and common < len(target) - 1 and start[common] == target[common]:
        common += 1
    return quote_path("/".join([".."] * (len(start) - common) + target[common:]))


def quote_path(path: str) -> str:
    """A file path as it is written in a URL: spaces, `%`, `#` and non-ASCII letters percent-encoded."""
    return path if _PLAIN_PATH.match(path) else quote(path, safe=_URL_SAFE)


def site_address(base_url: str, options: "BuildOptions") -> str:
    """Where readers find the build's root, ending in `/`: `base_url`, and in a published folder
    its `latest/` (that of the audience's folder), since the pages are there and not at
    `base_url` itself. Canonical links, feeds, the sitemap, card images, the digest's links
    and the 404 page's links start from it."""
    base = base_url.rstrip("/") + "/"
    if options.published:
        base += f"{options.audience}/latest/" if options.audience else "latest/"
    return base


def atom_id(url: str) -> str:
    """An Atom id, which must be a full IRI: the address itself when `base_url` is a full URL,
    else a name made from the path (`/messages/x/` is no IRI), the same in every build."""
    return url if "://" in url else f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'im-site:' + url)}"


def absolute(base_url: str, url_path: str) -> str:
    """An absolute URL in folder form, for feeds, sitemap and canonical links."""
    return base_url.rstrip("/") + "/" + quote_path(url_path)


def collision_key(path: str) -> str:
    """Two output paths that differ only by case or Unicode form collide on many disks."""
    return unicodedata.normalize("NFC", path).casefold()
