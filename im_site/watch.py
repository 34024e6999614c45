"""Watch the site's sources and turn bursts of file events into single calls.

The only importer of watchdog. Uses its native observer (inotify, FSEvents,
...): polling burns CPU. Only what a build reads counts: the configuration
file it was given, and content/ and themes/ beside it. Anything else in the
site folder (notes, .git/, `im-site build` replacing _site/, an editor's swap
file) rebuilt the site for nothing. An editor's save or a git checkout fires many events;
they are collapsed until the tree has been quiet for `quiet` seconds, then
`on_change(paths)` is called once with the files the burst named; an event
that arrives during that call leads to one more.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from .sources import is_ignored

#: How long the tree must stay quiet before `on_change` is called (seconds).
QUIET_PERIOD = 0.05
#: The folders beside the configuration file that a build reads (sources.walk, theme.py).
SOURCE_FOLDERS = ("content", "themes")


class _Handler(FileSystemEventHandler):
    """Forwards relevant events and the paths they name to the debouncer; ignores editor leftovers."""

    def __init__(self, wanted: Callable[[str], bool], notify: Callable[[set[Path]], None]):
        self.wanted = wanted
        self.notify = notify

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = {Path(str(path)) for path in (event.src_path, getattr(event, "dest_path", "") or "")
                 if path and self.wanted(str(path))}
        if not paths or (event.is_directory and event.event_type == "modified"):
            return  # a folder "modified": a file inside changed, and its own event says whether it counts
        self.notify(paths)


class Watcher:
    """Calls `on_change(paths)` once per burst of changes to what a build of `config_path` reads,
    with the paths named."""

    def __init__(self, config_path: Path, on_change: Callable[[frozenset[Path]], None], *,
                 quiet: float = QUIET_PERIOD):
        # As load_config reads it: a symlinked site.yaml makes the folder it points into the site's.
        self.config_file = config_path.resolve()
        self.root = self.config_file.parent
        self.folders = tuple(self.root / name for name in SOURCE_FOLDERS)
        self.on_change = on_change
        self.quiet = quiet
        self._changed = threading.Event()
        self._paths: set[Path] = set()
        self._paths_lock = threading.Lock()
        self._stopping = threading.Event()
        self._observer = Observer()
        self._handler = _Handler(self._wanted, self._note)
        self._watches: dict[Path, ObservedWatch] = {}
        self._thread = threading.Thread(target=self._loop, name="im-site-watch", daemon=True)

    def _wanted(self, path: str) -> bool:
        """The configuration file, and what sources.walk and the theme read below content/ and
        themes/: no editor leftovers, hidden files, nor files in hidden folders (.obsidian/)."""
        candidate = Path(path)
        if candidate == self.config_file:
            return True
        folder = next((folder for folder in self.folders if candidate.is_relative_to(folder)), None)
        return folder is not None and not any(is_ignored(part) for part in candidate.relative_to(folder).parts)

    def start(self) -> None:
        self._observer.schedule(self._handler, str(self.root), recursive=False)
        for folder in self.folders:
            self._watch(folder)
        self._observer.start()
        self._thread.start()

    def _watch(self, folder: Path) -> None:
        """Watch below `folder`, anew: it may have been made (or replaced) after the server started."""
        if folder in self._watches:
            self._observer.unschedule(self._watches.pop(folder))
        if folder.is_dir():
            self._watches[folder] = self._observer.schedule(self._handler, str(folder), recursive=True)

    def stop(self) -> None:
        self._stopping.set()
        self._changed.set()
        self._observer.stop()
        self._observer.join(timeout=2)

    def _note(self, paths: set[Path]) -> None:
        for folder in self.folders:
            if folder in paths:  # made, removed or renamed: what is below it is watched from now on
                self._watch(folder)
        with self._paths_lock:
            self._paths |= paths
        self._changed.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._changed.wait()
            if self._stopping.is_set():
                return
            self._settle()
            if self._stopping.is_set():
                return
            with self._paths_lock:
                paths, self._paths = frozenset(self._paths), set()
            self.on_change(paths)

    def _settle(self) -> None:
        """Wait until no event arrived for one quiet period (the burst is over)."""
        self._changed.clear()
        while self._changed.wait(self.quiet) and not self._stopping.is_set():
            self._changed.clear()
