"""Updating an output folder in place: only the files whose bytes changed are written.

A rebuild after a small edit changes a few files of thousands, and staging
the whole tree again costs seconds of mkdir and write on our disks. So when
the folder is exactly as the last build left it (every file's size,
modification time and inode, and every folder's modification time and inode,
as recorded in the cache: adding, removing or renaming anything in a folder
changes its time), the new and changed
files are first written beside their targets under temporary names, then
renamed over them with Ctrl-C held back, and files no longer built are
removed. A failure while writing removes the temporary files and leaves the
old output exactly as it was; a failure while renaming puts the old files
back. Anything unexpected (no record, a file changed by hand, a foreign
file, most of the site changed) takes the full staged write of
`output.write_atomic` instead.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import posixpath
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Iterator, KeysView

from .cache import Cache
from .options import RACY_NS, file_clock_ns
from .output import OutputSet, committed, folders_of, signals_held, write_atomic

NAMESPACE = "output"
_NEW, _OLD = ".im-site-new", ".im-site-old"
#: (size, mtime_ns, inode) of a file on disk, and the hash of its stored form.
Entry = tuple[int, int, int, str]
#: (mtime_ns, inode) of a folder on disk, by its path ("" for the output folder itself).
Folders = dict[str, tuple[int, int]]


def write_site(outputs: OutputSet, output: Path, cache: Cache | None) -> int | None:
    """Make `output` hold exactly `outputs`: the number of files written or removed in place,
    or None when the whole folder was staged and swapped."""
    output = output.absolute()
    if cache is None:
        write_atomic(outputs, output)
        return None
    changes = update_in_place(outputs, output, cache)
    if changes is not None:
        return changes
    staged: list[tuple[dict[str, tuple[int, int, int]], Folders] | None] = []

    def record(folder: Path) -> None:
        staged.append(scan(folder, aged=True))

    write_atomic(outputs, output, on_staged=record,
                 on_swapped=lambda: _remember(cache, output, staged[0], outputs))  # the rename kept every inode
    return None


def update_in_place(outputs: OutputSet, output: Path, cache: Cache) -> int | None:
    """Write only what changed and return how many files that was; None (nothing touched)
    when the folder is not as last recorded."""
    last = _recall(cache, output)
    if last is None or not output.is_dir() or not _as_left(output, *last):
        return None
    recorded, folders, _ = last
    hashes = {path: outputs.files.hash(path) for path in outputs.files}
    # Sorted once found: sorting all 11,000 paths to keep one took 5 ms of each 10,000-page rebuild.
    changed = sorted(path for path, found in hashes.items() if (entry := recorded.get(path)) is None or entry[3] != found)
    removed = sorted(recorded.keys() - hashes.keys())
    if len(changed) + len(removed) > max(len(hashes) // 2, 50) or not _fits(changed, recorded.keys(), output):
        return None
    with _cleanup_on_failure() as made:
        made.folders = _make_folders(output, changed)
        for path in changed:
            target = output / path
            made.temps.append(target)
            with open(f"{target}{_NEW}", "wb") as stream:
                stream.write(outputs.files[path])
        with signals_held():
            _commit(output, changed, removed)
            committed.append(output)
            state = {path: entry for path, entry in recorded.items() if path in hashes}
            for path in changed:
                stat = os.stat(output / path)
                state[path] = (stat.st_size, stat.st_mtime_ns, stat.st_ino, hashes[path])
            _prune_folders(output, removed, set(hashes))
            _save(cache, output, state, _restat(output, folders, changed + removed))
    return len(changed) + len(removed)


def scan(folder: Path, aged: bool = False) -> tuple[dict[str, tuple[int, int, int]], Folders] | None:
    """(size, mtime_ns, inode) of every file below `folder`, and (mtime_ns, inode) of every folder;
    None if it holds anything else (a link, a special file, an empty folder) that a build would
    not have made.

    `aged`: every folder below `folder` has its time set 2 x RACY_NS back first, and recorded so.
    Written moments before the record, every folder would be within RACY_NS of it, and the next
    update would list them all (`_as_left`): 11,000 at 10,000 pages, 80 ms of CPU of the first
    rebuild after every full write. Whatever changes one of them later sets its time to the file
    system's clock, which is past the time set here; and nothing else writes in a staging folder.
    Set in the same walk (a second walk to set them took 0.1-0.2 s of each clean 10,000-page
    build), to a whole even second, which every file system keeps as it is given.
    """
    found: dict[str, tuple[int, int, int]] = {}
    top = os.lstat(folder)
    folders: Folders = {"": (top.st_mtime_ns, top.st_ino)}
    pending = [("", str(folder))]
    while pending:
        prefix, path = pending.pop()
        empty = True
        with os.scandir(path) as entries:
            for entry in entries:
                empty = False
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append((rel + "/", entry.path))
                    stat = entry.stat(follow_symlinks=False)
                    folders[rel] = (_aged(entry.path, stat) if aged else stat.st_mtime_ns, stat.st_ino)
                elif entry.is_file(follow_symlinks=False):
                    stat = entry.stat(follow_symlinks=False)
                    found[rel] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
                else:
                    return None
        if empty and prefix:
            return None
    return found, folders


def _aged(path: str, stat: os.stat_result) -> int:
    """Set the folder's time 2 x RACY_NS or a little more back (`scan`); its time now."""
    mtime = (stat.st_mtime_ns - 2 * RACY_NS) // _EVEN_SECOND * _EVEN_SECOND
    try:
        os.utime(path, ns=(stat.st_atime_ns, mtime))
    except OSError:  # then recorded as it is, and listed once
        return stat.st_mtime_ns
    return mtime


_EVEN_SECOND = 2_000_000_000  # FAT keeps times to 2 s


def _as_left(output: Path, files: dict[str, Entry], folders: Folders, saved_ns: int) -> bool:
    """Whether `output` is as recorded: every folder's time and inode unchanged (so nothing was
    added, removed or renamed in any), every file's size, time and inode unchanged. Checked
    with one lstat each instead of listing every folder (at 10,000 pages listing and comparing
    took 0.14 s of CPU, this 0.07 s: medians of 9 turns each, alternating). A folder changed
    within RACY_NS of the record (`saved_ns`) is listed as well: something added to it within
    the same tick of the file system's clock can leave its time as it was."""
    base = str(output)
    racy = set()
    try:
        for folder, (mtime, inode) in folders.items():
            found = os.lstat(f"{base}/{folder}" if folder else base)
            if found.st_mtime_ns != mtime or found.st_ino != inode or not S_ISDIR(found.st_mode):
                return False
            if mtime >= saved_ns - RACY_NS:
                racy.add(folder)
        for path, (size, mtime, inode, _) in files.items():
            found = os.lstat(f"{base}/{path}")
            if (found.st_size != size or found.st_mtime_ns != mtime or found.st_ino != inode
                    or not S_ISREG(found.st_mode)):
                return False
        return not racy or _hold_only(base, racy, [*files, *folders])
    except OSError:
        return False


def _hold_only(base: str, listed: set[str], paths: list[str]) -> bool:
    """Whether each folder of `listed` holds just the entries of `paths` directly inside it."""
    expected: dict[str, set[str]] = {folder: set() for folder in listed}
    for path in paths:
        parent, _, name = path.rpartition("/")
        if path and parent in expected:
            expected[parent].add(name)
    return all(set(os.listdir(f"{base}/{folder}" if folder else base)) == names for folder, names in expected.items())


def _restat(output: Path, folders: Folders, touched: list[str]) -> Folders:
    """`folders` after files were written or removed at `touched`: those holding them, at any
    depth, as they are now (made, changed, or gone)."""
    found = dict(folders)
    for folder in {folder for path in touched for folder in folders_of(path)} | {""}:
        try:
            now = os.lstat(f"{output}/{folder}" if folder else output)
        except FileNotFoundError:  # removed with its last file
            found.pop(folder, None)
            continue
        found[folder] = (now.st_mtime_ns, now.st_ino)
    return found


def _fits(changed: list[str], existing: KeysView[str], output: Path) -> bool:
    """No changed path needs a folder where a file is, or is a folder now, or looks like our temporaries."""
    for path in changed:
        if path.endswith((_NEW, _OLD)) or (output / path).is_dir():
            return False
        parts = path.split("/")[:-1]
        if any("/".join(parts[:n]) in existing for n in range(1, len(parts) + 1)):
            return False
    return True


class _Made:
    def __init__(self) -> None:
        self.folders: list[Path] = []
        self.temps: list[Path] = []


@contextlib.contextmanager
def _cleanup_on_failure() -> Iterator[_Made]:
    """Remove the temporary files and new folders if anything before the commit fails."""
    made = _Made()
    try:
        yield made
    except BaseException:
        for target in made.temps:
            with contextlib.suppress(OSError):
                os.unlink(f"{target}{_NEW}")
        for folder in reversed(made.folders):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _make_folders(output: Path, changed: list[str]) -> list[Path]:
    """The folders new files need, made top-down; returns those that did not exist."""
    made = []
    for folder in sorted({posixpath.dirname(path) for path in changed} - {""}):
        path = output
        for part in folder.split("/"):
            path = path / part
            if not path.is_dir():
                path.mkdir()
                made.append(path)
    return made


def _commit(output: Path, changed: list[str], removed: list[str]) -> None:
    """Rename the new files over the old ones and set removed files aside; all or nothing.

    The caller holds Ctrl-C and termination (output.signals_held), so an
    interrupted build never leaves a half-renamed folder. Old files are kept
    as hard links until every rename has succeeded.
    """
    done: list[tuple[Path, bool]] = []  # (target, had an old file)
    try:
        for path in changed:
            target = output / path
            existed = target.exists()
            if existed:
                os.link(target, f"{target}{_OLD}")
            done.append((target, existed))
            os.replace(f"{target}{_NEW}", target)
        for path in removed:
            target = output / path
            os.replace(target, f"{target}{_OLD}")
            done.append((target, True))
    except BaseException:
        _roll_back(done, [output / path for path in changed])
        raise
    for target, existed in done:
        if existed:
            with contextlib.suppress(OSError):
                os.unlink(f"{target}{_OLD}")


def _roll_back(done: list[tuple[Path, bool]], targets: list[Path]) -> None:
    for target, existed in reversed(done):
        with contextlib.suppress(OSError):
            if existed:
                os.replace(f"{target}{_OLD}", target)
            else:
                os.unlink(target)
    for target in targets:  # temporaries not yet renamed, and a link made just before a failure
        for suffix in (_NEW, _OLD):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{target}{suffix}")


def _prune_folders(output: Path, removed: list[str], kept: set[str]) -> None:
    """Remove the folders that only held removed files, deepest first."""
    if not removed:  # a body edit: nothing to look at (the folders of 10,000 kept files took 25 ms)
        return
    needed = {folder for path in kept for folder in folders_of(path)}
    empty = {folder for path in removed for folder in folders_of(path)} - needed
    for folder in sorted(empty, key=lambda f: (-f.count("/"), f)):
        with contextlib.suppress(OSError):
            (output / folder).rmdir()


# ---------------------------------------------------------------- the record in the cache

def _remember(cache: Cache, output: Path, staged: tuple[dict[str, tuple[int, int, int]], Folders] | None,
              outputs: OutputSet) -> None:
    if staged is None:
        return
    found, folders = staged
    state = {path: (*stat, outputs.files.hash(path)) for path, stat in found.items() if path in outputs.files}
    if len(state) == len(found):
        top = os.lstat(output)  # renamed into place: a rename may set its time
        _save(cache, output, state, {**folders, "": (top.st_mtime_ns, top.st_ino)})


def _recall(cache: Cache, output: Path) -> tuple[dict[str, Entry], Folders, int] | None:
    value = cache.get(NAMESPACE, str(output))
    if value is None:
        return None
    try:
        state = marshal.loads(value)
    except Exception:  # noqa: BLE001 - a damaged entry, or an earlier im-site's pickle: write the whole folder
        return None
    # An older record (files only, no folders or no time): write the whole folder, which records all.
    if type(state) is tuple and len(state) == 3 and type(state[0]) is dict and type(state[1]) is dict and type(state[2]) is int:
        return state
    return None


def _save(cache: Cache, output: Path, state: dict[str, Entry], folders: Folders) -> None:
    record = (state, folders, file_clock_ns())  # after the writes it records (see _as_left)
    # marshal, as it holds only dicts, tuples, ints and strings: 3-4 ms for 11,000 files and folders,
    # where pickle took 10-12 ms (the same load time), measured on the 10,000-page corpus's record.
    cache.put(NAMESPACE, str(output), marshal.dumps(record))
