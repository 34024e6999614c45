"""Watch the site's sources and turn bursts of file events into single calls.

The only importer of watchdog. Uses its native observer (inotify, FSEvents,
...): polling burns CPU. An editor's save or a git checkout fires many events;
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

from .sources import is_ignored

#: How long the tree must stay quiet before `on_change` is called (seconds).
QUIET_PERIOD = 0.05


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
        if not paths:
            return
        if event.is_directory and event.event_type == "modified":
            paths = set()  # a file inside changed; its own event names it
        self.notify(paths)


class Watcher:
    """Calls `on_change(paths)` once per burst of changes below the watched paths, with the paths named."""

    def __init__(self, root: Path, on_change: Callable[[frozenset[Path]], None], *, quiet: float = QUIET_PERIOD):
        self.root = root.resolve()
        self.on_change = on_change
        self.quiet = quiet
        self._changed = threading.Event()
        self._paths: set[Path] = set()
        self._paths_lock = threading.Lock()
        self._stopping = threading.Event()
        self._observer = Observer()
        self._thread = threading.Thread(target=self._loop, name="im-site-watch", daemon=True)

    def _wanted(self, path: str) -> bool:
        """content/ and themes/ files (not editor leftovers), and site.yaml itself."""
        candidate = Path(path)
        if is_ignored(candidate.name):
            return False
        if candidate.parent == self.root:
            return candidate.name == "site.yaml" or candidate.name in ("content", "themes")
        return True

    def start(self) -> None:
        handler = _Handler(self._wanted, self._note)
        self._observer.schedule(handler, str(self.root), recursive=False)
        for folder in ("content", "themes"):
            if (self.root / folder).is_dir():
                self._observer.schedule(handler, str(self.root / folder), recursive=True)
        self._observer.start()
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._changed.set()
        self._observer.stop()
        self._observer.join(timeout=2)

    def _note(self, paths: set[Path]) -> None:
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
