"""OutputSet (path -> bytes) with a collision check, and the atomic write of a whole site.

A build is rendered to memory first. Writing stages it in a folder beside
the output and swaps it in with renames only when every byte is on disk, so a
failed or interrupted build leaves the previous output exactly as it was.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import posixpath
import signal
import stat
import sys
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from .cache import Cached, Stored, page_hash, unpack_page
from .compress import compress, decompress
from .diagnostics import Diagnostics, SiteError, fail, tidy_path
from .urls import collision_key

WRITE_THREADS = 4


#: A file's contents as Blobs keeps them: (compressed?, bytes), or where a cache stored them.
Packed = tuple[bool, bytes] | Stored | Cached


class Blobs(MutableMapping[str, bytes]):
    """File contents by path, HTML and other text kept compressed in memory (compress.py), image
    variants, social cards and downloads in the cache's file store (cache.Stored).

    Reading a value gives the original bytes.
    """

    _COMPRESS = (".html", ".xml", ".json", ".css", ".js", ".svg", ".txt")

    def __init__(self) -> None:
        self._data: dict[str, Packed] = {}
        #: The `hash` of a stored form, kept with the very object it was made of (a page replayed
        #: from the page cache brings its own: hashing 10,000 pages again took a third of a second).
        self._hashes: dict[str, tuple[Packed, str]] = {}

    def __getitem__(self, path: str) -> bytes:
        value = self._data[path]
        if type(value) is Stored:
            return value.read()
        packed, data = value.load() if type(value) is Cached else value
        return decompress(data) if packed else data

    def __setitem__(self, path: str, data: bytes) -> None:
        self._data[path] = self.pack(path, data)

    def __delitem__(self, path: str) -> None:
        del self._data[path]
        self._hashes.pop(path, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, path: object) -> bool:
        return path in self._data

    @classmethod
    def pack(cls, path: str, data: bytes) -> tuple[bool, bytes]:
        if len(data) > 512 and path.endswith(cls._COMPRESS):
            return True, compress(data)
        return False, data

    def packed(self, path: str) -> Packed:
        """The stored form, to move a file between processes without re-compressing (a page
        kept in the cache's database read from it: not a reference to a database of this process)."""
        value = self._data[path]
        return value.load() if type(value) is Cached else value

    def kept(self, path: str) -> Packed:
        """The stored form as held, a page still in the cache's database not read."""
        return self._data[path]

    def load_cached(self, paths: list[str]) -> None:
        """Read the pages of `paths` still in the cache's database, a few hundred a query: before
        writing a whole tree, instead of one query each from the writing threads."""
        wanted: dict[tuple[Any, str], list[tuple[str, Cached]]] = {}
        for path in paths:
            value = self._data[path]
            if type(value) is Cached:
                wanted.setdefault((value.cache, value.namespace), []).append((path, value))
        for (cache, namespace), group in wanted.items():
            found = cache.get_many(namespace, sorted({value.key for _, value in group}), unpack_page)
            for path, value in group:
                loaded = found.get(value.key)
                if loaded is None or page_hash(loaded) != value.key:
                    loaded = value.load()  # which says what is wrong
                self.set_packed(path, loaded, value.key)

    def set_packed(self, path: str, packed: Packed, known_hash: str | None = None) -> None:
        """Set the stored form; `known_hash` is its `packed_hash`, when the caller has it already."""
        self._data[path] = packed
        if known_hash is not None:
            self._hashes[path] = (packed, known_hash)

    def hash(self, path: str) -> str:
        """`packed_hash` of the file's stored form (what `update` compares with the last build's)."""
        packed = self._data[path]
        known = self._hashes.get(path)
        if known is not None and known[0] is packed:
            return known[1]
        found = packed_hash(packed)
        self._hashes[path] = (packed, found)
        return found

    def stored(self) -> Iterator[Stored]:
        """The files whose bytes are in the cache's file store."""
        return (value for value in self._data.values() if type(value) is Stored)

    def is_stored(self, path: str) -> bool:
        """Whether the file's bytes are in the cache's file store rather than in memory."""
        return type(self._data[path]) is Stored


def packed_hash(packed: Packed) -> str:
    """A short hash of a file's stored form: equal for equal bytes, as packing is deterministic."""
    if isinstance(packed, Stored):
        return f"stored:{packed.key}"  # named by its content: not read to be compared
    if isinstance(packed, Cached):
        return packed.key  # a page in the cache's database is kept under its hash
    return page_hash(packed)


@dataclass
class OutputSet:
    """Every file of a build, by POSIX path relative to the output folder."""

    files: Blobs = field(default_factory=Blobs)
    origins: dict[str, str] = field(default_factory=dict)
    _keys: dict[str, str] = field(default_factory=dict)
    _folders: dict[str, str] = field(default_factory=dict)  # folder key -> first path below it
    #: While a cacheable page renders: the paths it adds (pagecache.py).
    journal: list[str] | None = field(default=None, repr=False)
    #: The line of an origin (a content file) that set the address of a path it writes, for a collision
    #: error at that line (build.py gives it; the page's front matter is read only then).
    locate: Callable[[str, str], int | None] | None = field(default=None, repr=False)

    def add(self, path: str, data: bytes | str | Stored, origin: str, diagnostics: Diagnostics) -> bool:
        """Add a file; two sources writing one path (after case folding) is an error naming both
        (at the line `locate` finds)."""
        if isinstance(data, Stored):
            return self.add_packed(path, data, origin, diagnostics)
        return self.add_packed(path, Blobs.pack(path, data.encode("utf-8") if isinstance(data, str) else data),
                               origin, diagnostics)

    def add_packed(self, path: str, packed: Packed, origin: str, diagnostics: Diagnostics,
                   known_hash: str | None = None) -> bool:
        """`add` for a file in the stored form of `Blobs.packed` (with its `packed_hash` if known)."""
        path = posixpath.normpath(path)
        if path.startswith(("../", "/")) or path == "..":
            diagnostics.error(origin, None, "IM011", f"output path {path!r} would leave the output folder")
            return False
        key = collision_key(path)
        folders = self._new_folders(key)
        other = self._clash(key, folders)
        if other is not None:
            _report_collision(path, origin, other, self.origins[other], diagnostics, self.locate)
            return False
        self._keys[key] = path
        for folder in folders:
            self._folders[folder] = path
        self.files.set_packed(path, packed, known_hash)
        self.origins[path] = origin
        if self.journal is not None:
            self.journal.append(path)
        return True

    def _new_folders(self, key: str) -> list[str]:
        """The folders `key` needs that no path added so far needs, deepest first.

        A folder is known with all its own (each path adds every folder it needs), so the walk up
        stops at the first known one: `messages/x/index.html` looks at `messages/x` and `messages`.
        Adding the 11,000 pages a body edit replays: 44 ms of CPU, not 63 ms listing and setting every
        folder (medians of 15 turns each, in one process).
        """
        found, end = [], len(key)
        while (end := key.rfind("/", 0, end)) != -1:
            folder = key[:end]
            if folder in self._folders:
                break
            found.append(folder)
        return found

    def _clash(self, key: str, folders: list[str]) -> str | None:
        """The path already added that `key` (which needs `folders`, those not known yet) collides
        with: the same file, a file where `key` needs a folder (`feed.xml` vs `feed.xml/index.html`),
        or the reverse. A known folder is no file's path: its path would have clashed."""
        if key in self._keys:
            return self._keys[key]
        if key in self._folders:
            return self._folders[key]
        for folder in folders:
            if folder in self._keys:
                return self._keys[folder]
        return None

    def __contains__(self, path: str) -> bool:
        return collision_key(posixpath.normpath(path)) in self._keys

    def sorted_paths(self) -> list[str]:
        return sorted(self.files)


def folders_of(key: str) -> list[str]:
    """`a/b/c.html` -> [`a`, `a/b`]: the folders a path needs."""
    folders, end = [], key.find("/")
    while end != -1:  # a third faster than joining the split parts again, for each of 11,000 pages
        folders.append(key[:end])
        end = key.find("/", end + 1)
    return folders


def _report_collision(path: str, origin: str, other: str, other_origin: str, diagnostics: Diagnostics,
                      locate: Callable[[str, str], int | None] | None) -> None:
    """Name both writers; blame a content file (the one to rename) rather than a generated file,
    at the line that set its address (`slug:`, or `title:` for one made from the file name)."""
    if other_origin.startswith("content/") and not origin.startswith("content/"):
        path, origin, other, other_origin = other, other_origin, path, origin
    line = locate(origin, path) if locate is not None else None
    clash = "also writes it" if collision_key(path) == collision_key(other) else f"writes {other!r}"
    hint = "give one of them another slug"
    if origin != other_origin and collision_key(origin) == collision_key(other_origin):
        hint = "the two file names differ only in letter case or Unicode form (NFC/NFD); " + hint
    diagnostics.error(origin, line, "IM030", f"writes {path!r}, but {other_origin} {clash}", hint=hint)


def check_output_dir(output: Path, root: Path) -> None:
    """Refuse output folders whose replacement would destroy something precious."""
    target = output.resolve()
    home = Path.home().resolve()
    protected = {Path("/"), home, root.resolve(), (root / "content").resolve(), (root / "themes").resolve()}
    if target in protected or any(p.is_relative_to(target) for p in protected if p != Path("/")) or target == Path("/"):
        raise fail(str(output), None, "IM050", "refusing to write the site here: it would replace "
                   "the project, its content, the home folder or /", hint="choose a folder such as _site")
    sources = [(root / "content").resolve(), (root / "themes").resolve()]
    if any(target.is_relative_to(folder) for folder in sources):
        raise fail(str(output), None, "IM050", "refusing to write the site inside content/ or themes/: the next "
                   "build would read its own output (a theme's static/ folder grew by a whole site each time)",
                   hint="choose a folder outside them, such as _site")
    if (target / ".git").exists():
        raise fail(str(output), None, "IM050", "refusing to replace a folder that holds a .git repository")
    if target.exists() and not target.is_dir():
        raise fail(str(output), None, "IM050", "output path exists and is not a folder")


def check_not_published(output: Path, root: Path) -> None:
    """A build replaces its folder whole: refuse a folder of published versions, one inside it
    (`latest/`, a version) or one holding audience editions, which `im-site publish` never modifies.
    The folder is named as diagnostics name paths, from the site's `root`."""
    target = output.resolve()
    editions = sorted(path.parent for path in target.glob("*/versions.json"))
    for folder in (*editions, target, *target.parents):
        if (folder / "versions.json").is_file() and (folder / "versions").is_dir():
            raise fail(str(output), None, "IM050", f"refusing to write the site here: {tidy_path(str(folder), root)} holds versions "
                       "published with `im-site publish`, which a build would replace",
                       hint="build into another folder, such as _site; `im-site publish --dest` adds a version")


#: What the start of every build's manifest.json says (its keys are sorted: "generator" comes second).
BUILD_MARK = b'"generator": "im-site"'


def check_replaceable(output: Path) -> None:
    """A build replaces its folder whole: refuse a non-empty folder that no build wrote.

    `-o content`, `-o docs` or `-o ~/Documents` is a typo more often than a wish to lose
    those files. A build's folder is known by its manifest.json; only the first bytes are
    read, so a 10,000-page manifest costs nothing.
    """
    if not output.is_dir() or output.is_symlink():
        return
    try:
        with os.scandir(output) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError as exc:
        raise fail(str(output), None, "IM050", f"cannot read the output folder: {exc.strerror or exc}") from None
    if not names or _written_by_a_build(output / "manifest.json"):
        return
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    raise fail(str(output), None, "IM050", f"refusing to replace a folder that no im-site build wrote (it holds "
               f"{shown}, and no manifest.json of a build): its files would be lost",
               hint="build into a new or empty folder, such as _site; or empty this one first if its files may go")


def _written_by_a_build(manifest: Path) -> bool:
    try:
        with open(manifest, "rb") as stream:
            return BUILD_MARK in stream.read(4096)
    except OSError:
        return False


@contextlib.contextmanager
def locked(output: Path) -> Iterator[None]:
    """Hold a lock beside `output`; a second build into it fails fast."""
    lock_path = output.parent / f".{output.name}.lock"
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")
    except OSError as exc:  # a read-only or full disk, a folder we may not write
        raise fail(str(exc.filename or lock_path), None, "IM050",
                   f"cannot write beside the output folder: {exc.strerror or exc}") from None
    try:
        _hold(handle, output)
        yield
    finally:
        handle.close()


#: The lock of a published folder, inside it while a publish runs (publish writes nothing outside DIR).
PUBLISH_LOCK = ".im-site.lock"


@contextlib.contextmanager
def locked_inside(folder: Path, root: Path | None = None) -> Iterator[None]:
    """Hold a lock inside `folder` (made if missing); a second publish into it fails fast.

    Inside, not beside: a CI user may write the published folder (/srv/im-site) but not its
    parent (/srv), and a lock beside it stopped every publish there. The lock file is removed
    when the publish ends, and the folder too when a publish that made it fails, so nothing
    is left that was not published (a web server would serve it).
    """
    lock_path = folder / PUBLISH_LOCK
    made_folder = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = _open_held(lock_path, folder)
    except OSError as exc:  # a read-only or full disk, a folder we may not write
        where = Path(exc.filename or folder)
        where = where.parent if where.name == PUBLISH_LOCK else where
        named = tidy_path(str(folder), root) if root else str(folder)  # as the diagnostic's own path is named
        raise fail(str(where), None, "IM050", f"cannot publish: {exc.strerror or exc}; {named} is unchanged") from None
    try:
        yield
    except BaseException:
        lock_path.unlink(missing_ok=True)  # while held: see _open_held
        if made_folder:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    else:
        lock_path.unlink(missing_ok=True)
    finally:
        handle.close()


def _open_held(lock_path: Path, output: Path) -> Any:
    """The lock file, open and flocked; fails fast while another process holds it. A holder
    removes the file before it lets go, so a file locked after that is no longer the lock:
    then the one now at `lock_path` is taken (a few tries)."""
    for _ in range(5):
        handle = open(lock_path, "a+")
        try:
            _hold(handle, output)
            if os.fstat(handle.fileno()).st_ino == os.stat(lock_path).st_ino:
                return handle
        except FileNotFoundError:
            pass
        except BaseException:
            handle.close()
            raise
        handle.close()
    raise fail(str(output), None, "IM050", "another im-site build or publish is writing here; try again when it ends")


def _hold(handle: Any, output: Path) -> None:
    """flock `handle`, or fail fast when another process holds it."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            raise fail(str(output), None, "IM050", "another im-site build or publish is writing here; try again when it ends") from None
        raise


#: Output folders this command has finished writing (cli.py: a Ctrl-C after that is no failure).
committed: list[Path] = []
_HELD = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C, hang-up and termination over renames that must not be cut in half.

    A signal that arrives meanwhile (in any thread: Python runs its handlers
    in the main one) is noted, then raised again if the block fails (the old
    output is back by then, so "interrupted" is true) and dropped if it
    succeeds: the new output is complete, the command is done.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    held = {number: signal.getsignal(number) for number in _HELD}
    held = {number: handler for number, handler in held.items() if handler is not None}
    for number in held:
        signal.signal(number, lambda signum, frame: arrived.append(signum))
    try:
        yield
    except BaseException:
        _restore(held)
        for number in dict.fromkeys(arrived):
            signal.raise_signal(number)  # Ctrl-C: KeyboardInterrupt from here
        raise
    _restore(held)


@contextlib.contextmanager
def interrupts_delivered() -> Iterator[None]:
    """Never lose a Ctrl-C to a callback Python cannot interrupt.

    A KeyboardInterrupt raised inside a weakref callback or a finaliser is
    not propagated: Python prints "Exception ignored in ..." with a traceback
    and goes on. Every import runs such callbacks (its module locks), so a
    Ctrl-C that lands in one would print a traceback and be forgotten. Here
    it is kept quiet and sent again a moment later, to land where it can stop
    the command. Other unraisable exceptions are reported as before.
    """
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and threading.current_thread() is threading.main_thread():
            _interrupt_again()
        else:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _interrupt_again() -> None:
    """Ctrl-C to the main thread itself a moment from now, so that a wait there (a sleep, a lock,
    a read) ends too. On a loaded machine the signal can land while the timer's thread is still
    starting, inside the hook, where it is lost again: then another, a little later."""
    delay = 0.01
    while True:
        again = threading.Timer(delay, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT))
        again.daemon = True
        try:
            again.start()
            return
        except KeyboardInterrupt:
            delay = min(delay * 2, 1.0)


@contextlib.contextmanager
def terminations_interrupt() -> Iterator[None]:
    """Hang-up and termination (a closed ssh session, `kill`, a cancelled CI job) stop a command
    the way Ctrl-C does, so that it cleans up as it does for Ctrl-C: staging removed, a publish
    undone, "interrupted" said. Signals someone chose to ignore (`nohup`) stay ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP)}
    previous = {number: handler for number, handler in previous.items() if handler == signal.SIG_DFL}
    for number in previous:
        signal.signal(number, signal.default_int_handler)
    try:
        yield
    finally:
        _restore(previous)


def _restore(handlers: dict[int, Any]) -> None:
    for number, handler in handlers.items():
        signal.signal(number, handler)


def write_atomic(outputs: OutputSet, output: Path, on_staged: Callable[[Path], None] | None = None,
                 on_swapped: Callable[[], None] | None = None) -> None:
    """Stage every file beside `output`, then swap; on any failure the old output stays.

    `on_staged` sees the complete staging folder just before the swap, `on_swapped` runs
    right after it with signals still held (update.py records the new folder).
    """
    import shutil  # here, as tempfile in `_swap` and subprocess in `remove_later`: a rebuild updating
    import tempfile  # the output in place never needs them (their imports took 5 ms of every build)

    output = output.absolute()
    staging: Path | None = None
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.staging-", dir=output.parent))
        write_tree(outputs, staging)
        if on_staged is not None:
            on_staged(staging)
        with signals_held():
            _swap(staging, output)
            committed.append(output)
            if on_swapped is not None:
                on_swapped()
    except OSError as exc:
        raise fail(str(exc.filename or output), None, "IM050", f"cannot write the site: {exc.strerror or exc}") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def write_tree(outputs: OutputSet, folder: Path, same_as: Path | None = None) -> None:
    """Write every file of `outputs` below `folder` (which must be new or empty).

    Folders are made first, in order; the files are then written by a few
    threads, since creating many small files waits on the disk, not the CPU.
    A file with the same bytes as the one at its path below `same_as` (the
    previous published version, which is never modified) becomes a hard link
    to it: twenty versions of a site take little more room than one.
    """
    from concurrent.futures import ThreadPoolExecutor  # here: a rebuild updating the output in place never needs it

    paths = outputs.sorted_paths()
    outputs.files.load_cached(paths)
    base = str(folder)
    for needed in sorted({parent for path in paths for parent in folders_of(path)}):  # a folder before its own
        try:
            os.mkdir(os.path.join(base, needed))
        except FileExistsError:
            pass

    def write(path: str) -> None:
        data = outputs.files[path]
        if same_as is not None and _linked(os.path.join(same_as, path), os.path.join(base, path), data):
            return
        with open(os.path.join(base, path), "wb") as stream:
            stream.write(data)

    with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
        for _ in pool.map(write, paths, chunksize=64):
            pass
    folder.chmod(0o755)


def write_file_atomic(path: Path, data: bytes) -> None:
    """Replace one file by writing a temporary file beside it and renaming it over `path`: a
    reader never sees half of it. Readable by all (0644), like every file a build writes."""
    import tempfile

    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _linked(old: str, new: str, data: bytes) -> bool:
    """Hard-link `new` to `old` if `old` is a plain file holding exactly `data`; whether it did."""
    try:
        descriptor = os.open(old, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        with os.fdopen(descriptor, "rb") as stream:
            found = os.fstat(stream.fileno())
            if not stat.S_ISREG(found.st_mode) or found.st_size != len(data) or stream.read() != data:
                return False
        os.link(old, new, follow_symlinks=False)
    except OSError:  # no hard links on this disk, or across disks: the file is written instead
        return False
    return True


def _swap(staging: Path, output: Path) -> None:
    import tempfile

    if not output.exists():
        os.replace(staging, output)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=output.parent))
    os.rmdir(old)
    os.replace(output, old)
    try:
        os.replace(staging, output)
    except OSError:
        os.replace(old, output)
        raise
    remove_later(old)


def remove_later(folder: Path) -> None:
    """Delete a replaced output tree in a detached process.

    The new site is complete once the rename above is done; deleting thousands
    of old files can take longer than the whole build on some disks, so the
    command does not wait for it. A leftover `.<name>.old-*` folder (after a
    power cut, say) is harmless and removed by the next build.
    """
    import shutil
    import subprocess

    leftovers = [folder, *sorted(folder.parent.glob(f".{folder.name.split('.old-')[0].lstrip('.')}.old-*"))]
    targets = sorted({str(path) for path in leftovers if path.exists()})
    if not targets:
        return
    try:
        subprocess.Popen([sys.executable, "-c", "import shutil, sys\nfor p in sys.argv[1:]: shutil.rmtree(p, True)",
                          *targets], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError:
        for target in targets:
            shutil.rmtree(target, ignore_errors=True)


def raise_if_errors(diagnostics: Diagnostics, strict: bool = False) -> None:
    if diagnostics.has_errors(strict):
        raise SiteError(diagnostics)
