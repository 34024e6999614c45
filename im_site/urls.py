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
from typing import TYPE_CHECKING, Callable
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


#: An HTML start tag and its attributes (a `>` in a quoted value does not end it; a `<` does, so
#: that a search from each `<` ends at the next: linear time on any text).
_HTML_TAG = re.compile(r"""<([a-zA-Z][\w:-]*)((?:[^<>"']|"[^<"]*"|'[^<']*')*)>""")
_HTML_ATTRIBUTE = re.compile(r"""([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
#: `<link rel>` values that make the browser fetch the `href` as the page opens; `alternate`,
#: `canonical` and the like only name an address.
_LOADING_RELS = frozenset({"stylesheet", "icon", "apple-touch-icon", "mask-icon", "manifest", "preload",
                           "modulepreload", "prefetch", "prerender", "preconnect", "dns-prefetch"})
#: What CSS in a `style` attribute or a `<style>` element loads.
_CSS_LOAD = re.compile(r"""url\(\s*["']?([^"'()\s]*)|@import\s+["']([^"']*)""", re.I)


def is_other_host(url: str) -> bool:
    """True for a URL that a browser fetches from another host (`https://`, `//cdn`); not `data:`."""
    return scheme_of(url) in ("http", "https") or _INVISIBLE.sub("", url).startswith("//")


def other_host_loads(html: str) -> list[tuple[int, str]]:
    """(offset, URL) of each file of another host that this HTML makes a browser load as the page
    opens: `src`, `srcset`, `poster`, `<object data>`, `<link rel=stylesheet|icon|preload…>`,
    `<use href>` and CSS `url()` or `@import`. Links the reader follows (`<a href>`) are not loads."""
    found: list[tuple[int, str]] = []
    for tag in _HTML_TAG.finditer(html):
        attributes = [(match.group(1).lower(), match.group(2) or match.group(3) or match.group(4) or "",
                       tag.start(2) + match.start()) for match in _HTML_ATTRIBUTE.finditer(tag.group(2))]
        rels = {word.lower() for name, value, _ in attributes if name == "rel" for word in value.split()}
        for name, value, offset in attributes:
            found += [(offset, url) for url in _loaded(tag.group(1).lower(), name, value, rels) if is_other_host(url)]
    found += [(match.start(), match.group(1) or match.group(2)) for match in _CSS_LOAD.finditer(html)
              if is_other_host(match.group(1) or match.group(2) or "")]
    return sorted(found)


def _loaded(tag: str, attribute: str, value: str, rels: set[str]) -> list[str]:
    """The URLs that `attribute` of an HTML `tag` makes the browser load (none for a link to follow)."""
    if attribute == "srcset":
        return [candidate.split()[0] for candidate in value.split(",") if candidate.split()]
    loads = (attribute in ("src", "poster") or (attribute == "data" and tag == "object")
             or (attribute in ("href", "xlink:href") and (tag in ("use", "image") or (tag == "link" and bool(rels & _LOADING_RELS)))))
    return [value.strip()] if loads else []


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


def relative_from(from_file: str) -> Callable[[str], str]:
    """`relative` from one file, for the many links of one page: its folders are split once, and
    a target outside its first folder (the assets, other sections: most of a page's links) needs
    no comparing: it is the way up to the root and the target."""
    start = from_file.split("/")[:-1]
    if not start:
        return quote_path
    first, up = start[0] + "/", "../" * len(start)

    def link(to_file: str) -> str:
        return relative(from_file, to_file) if to_file.startswith(first) else quote_path(up + to_file)
    return link


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
