"""A content-addressed cache folder: the key is a hash of everything the value depends on.

Entries are never invalidated, only missed: a changed input has another key.
The folder is safe to delete at any time; a broken or unwritable cache is
treated as empty, never as an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import os
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TypeVar


def digest(*parts: bytes | str) -> str:
    """A stable hex key for the given inputs (each preceded by its length).

    Hashed in one call: a rebuild makes 20,000 keys, a listing's of thousands of
    parts, where two `update` calls per part were about a fifth slower."""
    chunks = []
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        chunks.append(len(data).to_bytes(8, "big"))
        chunks.append(data)
    return hashlib.sha256(b"".join(chunks)).hexdigest()


def text_key(parts: list[str]) -> str:
    """A stable hex key for many texts, as `digest` but faster: the page cache keys every page
    of a rebuild and the site (at 10,000 pages: 0.42 s with `digest`, 0.34 s this way, best of 7).

    The texts are joined by NULs, which tells them apart when none holds one itself (counted);
    otherwise `digest` is used, whose input starts with a zero byte where this one never does.
    Not for `digest`'s own keys: some are kept in front matter (`translated_from`).
    """
    text = "\0".join(parts)
    if text.count("\0") != len(parts) - 1:
        return digest(*parts)
    return hashlib.sha256(b"j" + text.encode("utf-8")).hexdigest()


T = TypeVar("T")

#: Libraries whose version can change what a build writes (Markdown, templates, YAML, slugs, images).
_RENDERING_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "jinja2", "markupsafe", "pyyaml", "pydantic",
                        "python-slugify", "pillow", "snowballstemmer", "pystemmer")


@lru_cache(maxsize=1)
def code_key() -> str:
    """A hash of im-site's own code and built-in theme, Python's version and the versions of the
    libraries that render: after an upgrade of any of them everything is computed afresh."""
    versions = [f"{name}={version}" for name, version in library_versions(_RENDERING_LIBRARIES).items()]
    return digest(folder_key(Path(__file__).parent), sys.version, *versions)


def library_versions(names: Iterable[str]) -> dict[str, str]:
    """The installed version of each library named ("none" when it is not installed).

    Read from the names of the folders installers leave on sys.path
    (`markdown_it_py-4.3.0.dist-info`, `PyYAML-6.0.egg-info`), the first found winning as for an
    import: `importlib.metadata.version` parses each one's METADATA with the email package, and it
    and its import took 25 ms of every build. It answers for those installed without the version in
    such a folder's name (`name.egg-info`)."""
    wanted = {_canonical(name): name for name in names}
    found: dict[str, str | None] = {}
    for entry in sys.path:
        try:
            listed = sorted(os.listdir(entry or "."))
        except OSError:  # a zip file or a path hook's name: where a library is not kept
            continue
        for folder in listed:
            stem, _, suffix = folder.rpartition(".")
            if suffix not in ("dist-info", "egg-info"):
                continue
            project, _, version = stem.partition("-")
            name = wanted.get(_canonical(project))
            if name is not None and name not in found:
                found[name] = version.partition("-")[0] or None  # egg-info: name-version-py3.11
    versions = {}
    for name in wanted.values():
        version = found.get(name, "none")
        if version is None:
            from importlib import metadata  # only here: its import takes longer than the scan

            try:
                version = metadata.version(name)
            except metadata.PackageNotFoundError:
                version = "none"
        versions[name] = version
    return versions


def _canonical(project: str) -> str:
    """A project's name as PyPI compares them (PEP 503): `PyYAML` is `pyyaml`, `python_slugify` is `python-slugify`."""
    return re.sub(r"[-_.]+", "-", project).lower()


def folder_key(folder: Path) -> str:
    """A hash of every file's name and bytes below `folder` (no hidden files, no __pycache__).

    Walked as plain strings: with pathlib's rglob, sorting and relative_to, im-site's own folder,
    which every build hashes (`code_key`), took 8 ms of CPU, this way 4 ms (same hash)."""
    files = []
    for parent, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if name != "__pycache__"]
        below = os.path.relpath(parent, folder)
        within = () if below == "." else tuple(below.split(os.sep))
        files += [(*within, name) for name in names
                  if not name.startswith(".") and os.path.isfile(os.path.join(parent, name))]
    hasher = hashlib.sha256()
    for parts in sorted(files):  # in pathlib's order: by their parts
        hasher.update("/".join(parts).encode() + b"\0")
        try:
            with open(os.path.join(folder, *parts), "rb") as stream:
                hasher.update(stream.read() + b"\0")
        except OSError:
            hasher.update(b"unreadable\0")
    return hasher.hexdigest()


@dataclasses.dataclass(frozen=True)
class Stored:
    """A file's bytes kept in a cache's file store (`Cache.store`), read only when written out.

    Image variants, social cards and downloads are large and named by their
    content: a build holds these instead of their bytes, so that its memory
    does not grow with the size of the site's images and PDFs.
    """

    path: str
    key: str  # the hash the bytes are stored under: one key, one content

    def read(self) -> bytes:
        with open(self.path, "rb") as stream:
            return stream.read()


@dataclasses.dataclass(eq=False, slots=True)  # not frozen: made for 11,000 replayed pages, 3 ms instead of 8 ms
class Cached:
    """A page's stored form kept in the cache's database (pagecache.py), read only when needed.

    A rebuild after a small edit replays thousands of pages from the cache but writes few of them:
    the others are already in the output folder, found unchanged by their hash. Loading every
    page's 3-4 KB with its record cost a 10,000-page rebuild about 0.1 s of CPU and 38 MB; the
    record now holds the hash, which is this key.
    """

    cache: "Cache" = dataclasses.field(repr=False)
    namespace: str
    key: str  # the stored form's `output.packed_hash`: one key, one content

    def load(self) -> tuple[bool, bytes]:
        value = self.cache.get(self.namespace, self.key)
        if value is None:  # pruned under this build by another one sharing the cache
            raise FileNotFoundError(errno.ENOENT, "the build cache lost a page while this build ran "
                                    "(another build of the site shares it?): build again", self.key)
        loaded = unpack_page(value)
        if page_hash(loaded) != self.key:  # a damaged database: never publish what it holds
            raise OSError(errno.EIO, "a page in the build cache is damaged: delete the cache folder and build again",
                          str(self.cache.folder))
        return loaded


def page_hash(packed: tuple[bool, bytes]) -> str:
    """A short hash of a file's stored form (output.packed_hash): equal for equal bytes."""
    return hashlib.blake2b(packed[1], digest_size=16, person=b"z" if packed[0] else b"r").hexdigest()


def pack_page(packed: tuple[bool, bytes]) -> bytes:
    """A page's stored form as the cache keeps it: a flag byte (compressed or not), then the bytes."""
    return (b"z" if packed[0] else b"r") + packed[1]


def unpack_page(value: bytes) -> tuple[bool, bytes]:
    return value[:1] == b"z", value[1:]


class Cache:
    """Values by (namespace, key) in one SQLite file under `folder`; `None` disables caching.

    One database instead of a file per entry: creating and later deleting
    tens of thousands of small files cost seconds on our disks. Writes are
    unsynchronised (a lost entry is only a miss), the connection is reopened
    in a forked child, and any database error makes the cache a no-op.

    Values live in a rowid table with the keys in an index of their own: in
    a table keyed by (namespace, key) itself (WITHOUT ROWID), SQLite reads
    a row's whole value every time a lookup compares a key with it, and a
    build storing 11,000 pages beside a few megabyte-sized rows spent 4 s in
    that instead of 0.2 s.
    """

    FILE = "cache-2.sqlite3"
    STORE = "files"  # the file store's folder
    OLD_FILES = ("cache.sqlite3",)  # earlier layouts, removed on sight

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._broken = folder is None

    def _db(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        if self._connection is None or self._pid != os.getpid():
            assert self.folder is not None
            connection = self._open(self.folder / self.FILE)
            if connection is None:  # not a database (damaged?): start afresh once
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(OSError):
                        (self.folder / (self.FILE + suffix)).unlink()
                connection = self._open(self.folder / self.FILE)
            if connection is None:
                self._broken = True
                return None
            if self._connection is None:  # once, not again in every forked child
                for name in self.OLD_FILES:
                    for suffix in ("", "-wal", "-shm"):
                        with contextlib.suppress(OSError):
                            (self.folder / (name + suffix)).unlink()
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection | None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute("CREATE TABLE IF NOT EXISTS entries (namespace TEXT, key TEXT, value BLOB, "
                               "UNIQUE (namespace, key))")
            return connection
        except (OSError, sqlite3.Error):
            return None

    def get(self, namespace: str, key: str) -> bytes | None:
        db = self._db()
        if db is None:
            return None
        try:
            row = db.execute("SELECT value FROM entries WHERE namespace = ? AND key = ?", (namespace, key)).fetchone()
        except sqlite3.Error:
            return None
        return bytes(row[0]) if row else None

    def enabled(self) -> bool:
        """Whether entries can be stored (a folder was given and the database opens)."""
        return self._db() is not None

    # ------------------------------------------------------------ the file store

    #: Stored files a build did not use are kept this long (another build of the site may be using them).
    STORE_GRACE_SECONDS = 24 * 3600

    def stored(self, key: str) -> Stored | None:
        """The file kept under `key`, if the store has it (its time is set to now: in use)."""
        if self.folder is None:
            return None
        path = self._store_path(key)
        try:
            os.utime(path)
        except OSError:
            return None
        return Stored(str(path), key)

    def store(self, key: str, data: bytes) -> Stored | None:
        """Keep `data` as a file named by `key` (whole or not at all); None when the cache is off or
        cannot be written, and the caller keeps the bytes itself."""
        if self.folder is None:
            return None
        path = self._store_path(key)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(data)
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
            return None
        return Stored(str(path), key)

    def keep(self, key: str, data: bytes) -> Stored | bytes:
        """The stored file of `key`, storing `data` as it if the store lacks it; `data` itself when
        there is no store to keep it in."""
        return self.stored(key) or self.store(key, data) or data

    def prune_store(self, keep: set[str], slack: int = 3) -> int:
        """Delete stored files not in `keep` and unused for STORE_GRACE_SECONDS once they outnumber
        `keep` `slack` times over (plus a thousand), as `prune` does for entries; how many went."""
        if self.folder is None:
            return 0
        found = []
        with contextlib.suppress(OSError):
            for folder in os.scandir(self.folder / self.STORE):
                if folder.is_dir(follow_symlinks=False):
                    found += [entry for entry in os.scandir(folder.path) if entry.name not in keep]
        if len(found) + len(keep) <= slack * len(keep) + 1000:
            return 0
        removed, cutoff = 0, time.time() - self.STORE_GRACE_SECONDS
        for entry in found:
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
        return removed

    def _store_path(self, key: str) -> Path:
        assert self.folder is not None and key.isalnum(), key
        return self.folder.absolute() / self.STORE / key[:2] / key

    def existing(self, namespace: str, keys: list[str]) -> set[str]:
        """Which of `keys` have an entry, without reading the entries."""
        try:
            return {key for (key,) in self._select(namespace, keys, "key")}
        except sqlite3.Error:
            return set()

    def has_any(self, namespace: str) -> bool:
        db = self._db()
        if db is None:
            return False
        try:
            return db.execute("SELECT 1 FROM entries WHERE namespace = ? LIMIT 1", (namespace,)).fetchone() is not None
        except sqlite3.Error:
            return False

    def present(self, namespace: str, keys: list[str]) -> set[str]:
        """Which of `keys` have an entry (their values are not read)."""
        try:
            return {key for (key,) in self._select(namespace, keys, "key")}
        except sqlite3.Error:
            return set()

    def get_many(self, namespace: str, keys: list[str], decode: Callable[[bytes], T]) -> dict[str, T]:
        """The entries found for `keys`, each passed through `decode` as it is read.

        Read in batches (one query per key costs more than the data), and
        decoded at once, so that the raw bytes of thousands of entries never
        sit in memory beside what they decode to.
        """
        try:
            return {key: decode(value) for key, value in self._select(namespace, keys, "key, value")}
        except sqlite3.Error:
            return {}

    #: From this many keys on, `_select` asks how many entries the namespace holds: when the keys are
    #: at least half of them, it reads them all and keeps those wanted. A body-edit rebuild wants almost
    #: every page record and stored page: read so in 13-19 ms and 14 ms, not 33-42 ms and 22-29 ms.
    SCAN_FROM = 1000

    def _select(self, namespace: str, keys: list[str], columns: str) -> Iterator[tuple]:
        """`columns` (the first being the key) of the entries of `keys`, 500 keys a query, or all the
        namespace's when most are wanted (raises sqlite3.Error)."""
        db = self._db()
        if db is None:
            return
        if len(keys) >= self.SCAN_FROM:
            (count,) = db.execute("SELECT COUNT(*) FROM entries WHERE namespace = ?", (namespace,)).fetchone()
            if 2 * len(keys) >= count:
                wanted = set(keys)
                yield from (row for row in db.execute(f"SELECT {columns} FROM entries WHERE namespace = ?", (namespace,))
                            if row[0] in wanted)
                return
        for start in range(0, len(keys), 500):
            batch = keys[start:start + 500]
            marks = ",".join("?" * len(batch))
            yield from db.execute(f"SELECT {columns} FROM entries WHERE namespace = ? AND key IN ({marks})",
                                  (namespace, *batch))

    def prune(self, namespace: str, keep: set[str], slack: int = 3) -> int:
        """Delete the entries of `namespace` not in `keep` once they outnumber it `slack` times
        over (plus a thousand); how many went. Entries keyed by content (a source's parsed form,
        a page's search terms) pile up with every edit otherwise; the slack keeps those of
        other builds of the site (an --audience build, a checkout a few commits back)."""
        db = self._db()
        if db is None:
            return 0
        try:
            (count,) = db.execute("SELECT COUNT(*) FROM entries WHERE namespace = ?", (namespace,)).fetchone()
            if count <= slack * len(keep) + 1000:
                return 0
            with db:
                db.execute("BEGIN")
                db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY)")
                db.execute("DELETE FROM keep")
                db.executemany("INSERT OR IGNORE INTO keep VALUES (?)", ((key,) for key in keep))
                removed = db.execute("DELETE FROM entries WHERE namespace = ? AND key NOT IN (SELECT key FROM keep)",
                                     (namespace,)).rowcount
                db.execute("DELETE FROM keep")
            return removed
        except sqlite3.Error:
            return 0

    def put(self, namespace: str, key: str, value: bytes) -> None:
        self.put_many(namespace, [(key, value)])

    def put_many(self, namespace: str, items: Iterable[tuple[str, bytes]]) -> None:
        """Store many entries in one transaction; `items` may be a generator (consumed as written,
        so that a build's thousands of entries never sit in memory all at once)."""
        db = self._db()
        if db is None:
            return
        try:
            with db:
                db.execute("BEGIN")
                db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                               ((namespace, key, value) for key, value in items))
        except sqlite3.Error:
            return
