"""A sorted walk of content/ into SourceFiles, and the one careful text reader.

Editor leftovers are skipped, symlinks that leave content/ are refused, and
text must be UTF-8 (a BOM and CRLF are accepted; the lines stay right).
"""

from __future__ import annotations

import errno
import operator
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from .diagnostics import Diagnostics

Kind = Literal["message", "training", "lesson", "kpi_defs", "kpi_snapshot", "kpi_data", "page", "asset"]
#: What tells that a file has not changed since it was read: size, modification and change
#: times (ns) and inode. Any write or rename changes the change time (which no tool can set back).
Stamp = tuple[int, int, int, int]

_IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini", "4913"}
_IGNORED_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".bak", ".orig", ".part", ".crdownload")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file under content/: `rel` is relative to content/, `path` to the site root.

    `text` is None for assets, and for Markdown files that `walk` was told are
    unchanged since the last build (they are not read at all). Slotted: a frozen class sets
    each field through `object.__setattr__`, 3.7 us an instance with a `__dict__`, 1.8 us
    without (timeit), for each of a rebuild's 10,000 files.
    """

    rel: str
    path: str
    kind: Kind
    location: str  # the absolute path: a str, since a rebuild walks 10,000 files and reads few
    text: str | None = None
    stamp: Stamp | None = None  # taken before the text was read

    @property
    def abs_path(self) -> Path:
        return Path(self.location)


#: Names Windows keeps for devices, in any letter case and with any extension (`con.md`, `Aux.png`).
WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})


def is_windows_reserved(name: str) -> bool:
    """Whether Windows refuses `name` for a file or folder: a repository holding it cannot be
    checked out there (git: "invalid path"), nor an output folder of that name copied."""
    if name[:3].lower() not in _RESERVED_HEADS:  # most names: one slice, no split (60,000 a rebuild)
        return False
    return name.split(".")[0].rstrip(" ").lower() in WINDOWS_RESERVED


_RESERVED_HEADS = frozenset(name[:3] for name in WINDOWS_RESERVED)


def is_ignored(name: str) -> bool:
    """Editor leftovers and hidden files never become part of a site."""
    return (name.startswith((".", "#", "~$")) or name in _IGNORED_NAMES
            or name.endswith(_IGNORED_SUFFIXES))


def kind_of(rel: str) -> Kind:
    parts = rel.split("/")
    name = parts[-1]
    if not name.endswith(".md"):
        if parts[0] == "kpis" and len(parts) == 2 and name in ("kpis.yaml", "kpis.yml"):
            return "kpi_defs"
        if parts[0] == "kpis" and len(parts) == 2 and name.endswith(".csv"):
            return "kpi_data"
        return "asset"
    if parts[0] == "messages" and len(parts) == 2:
        return "message"
    if parts[0] == "training" and len(parts) == 2:
        return "training"
    if parts[0] == "training" and len(parts) == 3:
        return "training" if name in ("index.md",) or _is_index_translation(name) else "lesson"
    if parts[0] == "kpis" and len(parts) == 2:
        return "kpi_snapshot"
    return "page"


def _is_index_translation(name: str) -> bool:
    stem = name[: -len(".md")]
    return stem.startswith("index.") and len(stem.split(".")) == 2


def walk(content_dir: Path, site_root: Path, diagnostics: Diagnostics, max_bytes: int,
         unchanged: Callable[[str, Kind, Stamp], bool] | None = None) -> list[SourceFile]:
    """Every usable file under content/, sorted by path; Markdown and data read as text,
    unless `unchanged(path, kind, stamp)` says the file need not be read."""
    files: list[SourceFile] = []
    if not content_dir.is_dir():
        diagnostics.error("content", None, "IM011", "no content/ folder next to site.yaml")
        return files
    real_root = content_dir.resolve()
    prefix = content_dir.relative_to(site_root).as_posix() + "/"
    for rel, location in _sorted_files(content_dir, real_root, site_root, diagnostics):
        path = prefix + rel
        kind = kind_of(rel)
        text, stamp = None, None
        if kind != "asset":
            stamp = _stamp(location)
            if stamp is not None and unchanged is not None and unchanged(path, kind, stamp):
                files.append(SourceFile(rel, path, kind, location, None, stamp))
                continue
            text = read_text(Path(location), path, diagnostics, max_bytes=max_bytes, size=stamp[0] if stamp else None)
            if text is None:
                continue
        files.append(SourceFile(rel, path, kind, location, text, stamp))
    return files


def _stamp(location: str) -> Stamp | None:
    try:
        st = os.stat(location)
    except OSError:  # read_text reports it
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _sorted_files(folder: Path, real_root: Path, site_root: Path, diagnostics: Diagnostics) -> list[tuple[str, str]]:
    """(path relative to `folder`, absolute path) of every file below it, sorted by the first."""
    found: list[tuple[str, str]] = []
    seen_dirs: set[str] = set()
    stack = [(folder, "")]
    while stack:
        current, prefix = stack.pop()
        real = os.path.realpath(current)
        if real in seen_dirs:
            diagnostics.error(current.relative_to(site_root).as_posix(), None, "IM011", "symlink loop")
            continue
        seen_dirs.add(real)
        try:
            entries = sorted(os.scandir(current), key=_name)
        except OSError as exc:
            diagnostics.error(current.relative_to(site_root).as_posix(), None, "IM010", f"cannot read folder: {exc.strerror}")
            continue
        for entry in entries:
            name = entry.name
            if is_ignored(name):
                continue
            if entry.is_file(follow_symlinks=False) and not is_windows_reserved(name):  # a plain file: no Path made
                found.append((prefix + name, entry.path))
                continue
            kind = _entry_kind(entry)
            path = Path(entry.path)
            if entry.is_symlink() and not _inside(path, real_root):
                diagnostics.error(path.relative_to(site_root).as_posix(), None, "IM011",
                                  "symlink points outside content/", hint="copy the file into content/ instead")
                continue
            if kind in ("dir", "file") and is_windows_reserved(entry.name):
                report_windows_name(path.relative_to(site_root).as_posix(), entry.name, kind, diagnostics)
            if kind == "dir":
                stack.append((path, f"{prefix}{entry.name}/"))
            elif kind == "file":
                found.append((prefix + entry.name, entry.path))
            else:
                diagnostics.error(path.relative_to(site_root).as_posix(), None, "IM010", kind,
                                  hint="remove it or replace it with a regular file")
    found.sort()  # by the relative path: each is there once
    return found


_name = operator.attrgetter("name")


def report_windows_name(path: str, name: str, kind: str, diagnostics: Diagnostics) -> None:
    """An error, not a warning: the comms team's Windows laptops cannot check out the repository
    at all (not just this page), and `slug: con` is refused already."""
    what = "folder" if kind == "dir" else "file"
    base, dot, rest = name.partition(".")
    diagnostics.error(path, None, "IM011", f"{name!r} is a {what} name Windows reserves for a device (CON, PRN, AUX, NUL, "
                      "COM1-9, LPT1-9, in any case and with any extension): the site cannot be checked out on Windows",
                      hint=f"rename the {what}, e.g. {base}-info{dot}{rest}")


def _entry_kind(entry: os.DirEntry[str]) -> str:
    """'dir', 'file', or why the entry cannot be read as either.

    A FIFO would block the build forever on reading, a broken or looping
    symlink raises; each is a problem to report, not to skip in silence.
    """
    try:
        if entry.is_dir():
            return "dir"
        if entry.is_file():
            return "file"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        return f"cannot read: {exc.strerror or exc}"
    if entry.is_symlink():
        return "broken symlink: its target does not exist"
    return "not a regular file (a FIFO, socket or device)"


def _inside(path: Path, real_root: Path) -> bool:
    try:
        return Path(os.path.realpath(path)).is_relative_to(real_root)
    except OSError:
        return False


def read_text(abs_path: Path, path: str, diagnostics: Diagnostics, *, max_bytes: int,
              size: int | None = None) -> str | None:
    """The file as text with LF line ends, or None after reporting why not (`size`: its size
    if the caller has just read it)."""
    try:
        size = abs_path.stat().st_size if size is None else size
        if size > max_bytes:
            diagnostics.error(path, None, "IM008", f"file is {size / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:g} MB",
                              hint="raise limits.file_size_mb in site.yaml if this is intended")
            return None
        data = abs_path.read_bytes()
    except FileNotFoundError:
        diagnostics.error(path, None, "IM010", "file vanished while building")
        return None
    except OSError as exc:
        diagnostics.error(path, None, "IM010", f"cannot read file: {exc.strerror or exc}")
        return None
    return decode(data, path, diagnostics)


def decode(data: bytes, path: str, diagnostics: Diagnostics) -> str | None:
    """UTF-8 (BOM allowed) with CRLF/CR normalised, or None after reporting the first bad byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        diagnostics.error(path, 1, "IM002", "file is UTF-16; save it as UTF-8")
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        diagnostics.error(path, None, "IM009", "file is empty")
        return None
    if b"\x00" in data:
        line, column = _position(data, data.index(b"\x00"))
        diagnostics.error(path, line, "IM002", "file contains NUL bytes (binary data?)", column=column)
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        diagnostics.error(path, line, "IM002", f"not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                          column=column, hint="save the file as UTF-8" + (
                              "; in Excel: Save As, 'CSV UTF-8 (Comma delimited)'" if path.endswith(".csv") else ""))
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = NONCHARACTER.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        diagnostics.error(path, line, "IM002", noncharacter_message(found.group()),
                          column=found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1,
                          hint="delete it (it shows as nothing, or as a box)")
        return None
    return text


#: Unicode's noncharacters U+FDD0-U+FDEF, which no text holds: im-site marks texts of another
#: language with some of them while rendering (`foreign.py`). In a title they turned the rest
#: of the page into a `<span lang>` and left the markers in the output.
NONCHARACTER = re.compile("[\ufdd0-\ufdef]")


def noncharacter_message(char: str) -> str:
    return f"contains U+{ord(char):04X}, a Unicode noncharacter, which is no text"


def _position(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line_start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
    return before.count(b"\n") + (before.count(b"\r") - before.count(b"\r\n")) + 1, offset - line_start + 1
