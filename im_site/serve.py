"""The dev server: build in memory, serve the OutputSet, rebuild on change, reload pages.

One process, one OutputSet at a time. A rebuild renders a complete new
OutputSet beside the served one and swaps the reference only when the build
succeeded, so a request never sees a half-built site; a failed rebuild keeps
the last good site and exposes its diagnostics to the terminal and, through
/__im-site/events, to an overlay in open pages (static/livereload.js).
"""

from __future__ import annotations

import html
import json
import mimetypes
import posixpath
import socket
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from .build import BuildResult, build
from .config import load_config
from .diagnostics import Diagnostics, SiteError
from .options import BuildOptions, read_clock
from .output import Blobs, OutputSet
from .preview import rerender
from .theme import BUILTIN

EVENTS_PATH = "/__im-site/events"
STATUS_PATH = "/__im-site/status"
CLIENT_PATH = "/__im-site/livereload.js"
#: A rebuild that changes more files than this tells every page to reload (the list would be long).
MAX_CHANGED = 500
#: Seconds between keep-alive comments on an idle event stream.
KEEPALIVE = 15.0

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".json": "application/json",
    ".xml": "application/xml", ".atom": "application/atom+xml", ".svg": "image/svg+xml",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
    ".gif": "image/gif", ".woff2": "font/woff2", ".woff": "font/woff", ".txt": "text/plain; charset=utf-8",
    ".pdf": "application/pdf", ".ico": "image/x-icon", ".csv": "text/csv; charset=utf-8",
}


def content_type(path: str) -> str:
    suffix = posixpath.splitext(path)[1].lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


@dataclass(frozen=True)
class State:
    """What the browser is told: the number of the served build, the current error, and
    the files whose bytes changed since the build before (None: reload every page)."""

    build: int
    error: str | None
    changed: tuple[str, ...] | None = None

    def to_json(self) -> str:
        changed = list(self.changed) if self.changed is not None else None
        return json.dumps({"build": self.build, "error": self.error, "changed": changed}, ensure_ascii=False)


class Site:
    """The served build, the previews shown ahead of it, and the builder that replaces it.

    Safe to use from many threads: `changed()` runs in the watcher's thread and
    previews a lone page edit at once, even while the builder thread is busy
    with a full rebuild; `served` and `state` change together under `_changed`.
    """

    def __init__(self, config_path: Path, options: BuildOptions, log: Callable[[str], None],
                 *, fixed_clock: bool = False):
        self.config_path = config_path
        self.fixed_clock = fixed_clock
        self.options = options.but(live_reload=True)
        self.log = log
        #: The served build, its number, and the files previews show ahead of it
        #: (file -> (preview sequence number, bytes)), swapped together in one assignment.
        self.served: tuple[OutputSet, int, dict[str, tuple[int, bytes]]] = (OutputSet(), 0, {})
        self.last: BuildResult | None = None
        self.state = State(0, None)
        self._changed = threading.Condition()  # re-entrant: guards state and served
        self._building = threading.Lock()
        self._previews = 0
        self._dirty = threading.Event()
        self._stopping = threading.Event()

    def changed(self, paths: frozenset[Path] = frozenset()) -> None:
        """A burst of file changes: preview a lone page edit now, and ask the builder for a full rebuild."""
        if len(paths) == 1 and self.last is not None:
            self._preview(next(iter(paths)))
        self._dirty.set()

    def start(self) -> None:
        """Run full rebuilds in a thread of their own; bursts that arrive meanwhile make one more."""
        threading.Thread(target=self._build_loop, name="im-site-builder", daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        self._dirty.set()

    def _build_loop(self) -> None:
        while True:
            self._dirty.wait()
            if self._stopping.is_set():
                return
            self._dirty.clear()
            self.rebuild()

    def rebuild(self) -> bool:
        """Build everything in memory; swap it in only if it has no errors."""
        with self._building:
            with self._changed:
                started_after = self._previews  # previews made later may show newer text than this build
            started = time.monotonic()
            try:
                config = load_config(self.config_path)
                moment = self.options.now if self.fixed_clock else read_clock(None)
                result = build(config, self.options.but(config_path=config.path, now=moment))
                # Pages replayed from the cache are read now, in one go: the server's threads then
                # answer from memory, never from the cache's database under a rebuild writing to it.
                result.outputs.files.load_cached(sorted(result.outputs.files))
                diagnostics = result.diagnostics
            except SiteError as exc:
                diagnostics, result = exc.diagnostics, None
            except Exception as exc:  # noqa: BLE001 - an internal error must not stop the server
                diagnostics, result = Diagnostics(), None
                diagnostics.error("im-site", None, "IM000", f"internal error: {type(exc).__name__}: {exc}")
            report = diagnostics.format_text()
            with self._changed:
                outputs, number, ahead = self.served
                kept = {file: shown for file, shown in ahead.items() if shown[0] > started_after}
                if result is None or diagnostics.has_errors():
                    serving = ("still serving the last good build" if self.last is not None
                               else "the site appears once the problems are fixed")
                    self.log(f"{report}\n{diagnostics.summary()}\nbuild failed; {serving}")
                    taken = tuple(sorted(set(ahead) - set(kept)))  # take back what this build's previews showed
                    if taken:
                        number = self.state.build + 1
                        self.served = (outputs, number, kept)
                    # The browser shows the errors first: one that stops the build must not hide
                    # below the warnings of files sorted before it.
                    shown = "\n".join(d.format() for d in [*diagnostics.errors, *diagnostics.warnings])
                    self._publish(State(number if taken else self.state.build,
                                        f"{shown}\n{diagnostics.summary()}", taken))
                    return False
                if report:
                    self.log(f"{report}\n{diagnostics.summary()}")
                changed = _changed_files(self.served, result.outputs, kept) if self.last is not None else None
                number = self.state.build + 1
                self.served, self.last = (result.outputs, number, kept), result
                elapsed = (time.monotonic() - started) * 1000
                self.log(f"built {len(result.outputs.files)} files in {elapsed:.0f} ms"
                         + (f"; {result.not_shown}" if result.not_shown else ""))
                self._publish(State(number, None, changed))
                return True

    def _preview(self, path: Path) -> None:
        last = self.last
        assert last is not None
        try:
            shown = rerender(last, path)
        except Exception:  # noqa: BLE001 - a preview must never stop the full rebuild that follows
            shown = None
        if shown is None:
            return
        file, data = shown
        with self._changed:
            outputs, _, ahead = self.served
            if self.state.error or (ahead[file][1] if file in ahead else outputs.files.get(file)) == data:
                return
            self._previews += 1
            number = self.state.build + 1
            self.served = (outputs, number, {**ahead, file: (self._previews, data)})
            self._publish(State(number, None, (file,)))

    def _publish(self, state: State) -> None:
        with self._changed:
            self.state = state
            self._changed.notify_all()

    def wait_for_change(self, seen: State, timeout: float) -> State:
        """Block until the state differs from `seen` (or the timeout passes)."""
        with self._changed:
            self._changed.wait_for(lambda: self.state != seen, timeout=timeout)
            return self.state

    def lookup(self, url_path: str) -> tuple[int, str, bytes] | None:
        """(status, file, bytes) for a request path; folders get index.html, misses 404.html.

        HTML is stamped with the number of the build it comes from, so that the
        client reloads even when a rebuild lands before it connects.
        """
        outputs, number, ahead = self.served
        rel = self._requested(url_path)
        if rel in ahead:
            status, file, data = 200, rel, ahead[rel][1]
        else:
            status, file, data = self._find(outputs.files, rel) or (0, "", b"")
        if not file:
            return None
        if status == 404:
            data = self._hidden_note(rel, data)
        if file.endswith(".html"):
            # The client reloads when the file it shows (for a 404, the one asked for) changes.
            stamp = html.escape(rel, quote=True)
            data = data.replace(b"</head>", f'<meta name="im-site-build" content="{number}" data-file="{stamp}">\n</head>'
                                .encode(), 1)
        return status, file, data

    def _hidden_note(self, rel: str, page: bytes) -> bytes:
        """The 404 page, saying why when `rel` is a page this build leaves out: a writer who made a
        page with `im-site new` (a draft) and opened its address got "not found" and no reason."""
        last = self.last
        why = next((why for hidden, why in last.hidden if hidden.file == rel), None) if last else None
        flag = {"draft": "--drafts", "scheduled": "--future"}.get(why or "")
        if flag is None:
            return page
        note = (f'<p class="preview-note" role="note">This page is {"a draft" if why == "draft" else "scheduled"}: '
                f"<code>im-site serve {flag}</code> shows it.</p>").encode()
        start = page.find(b"<main")
        at = page.find(b">", start) + 1 if start >= 0 else 0
        return page[:at] + note + page[at:]

    @staticmethod
    def _requested(url_path: str) -> str:
        """The output file a request path names: `messages/x/` -> `messages/x/index.html`."""
        rel = posixpath.normpath(unquote(url_path)).lstrip("/")
        rel = "" if rel == "." else rel
        return posixpath.join(rel, "index.html") if url_path.endswith("/") or rel == "" else rel

    @staticmethod
    def _find(files: Blobs, rel: str) -> tuple[int, str, bytes] | None:
        if rel in files:
            return 200, rel, files[rel]
        if posixpath.join(rel, "index.html") in files:
            return None  # a folder without its slash: redirect, so relative links work
        return 404, "404.html", files.get("404.html", b"<!DOCTYPE html><title>404</title><h1>Not found</h1>")


def _changed_files(served: tuple[OutputSet, int, dict[str, tuple[int, bytes]]], new: OutputSet,
                   kept: dict[str, tuple[int, bytes]]) -> tuple[str, ...] | None:
    """Files that read differently once `new` (with the previews `kept` ahead of it) replaces
    what is served, sorted (None: too many to list)."""
    old, _, ahead = served
    changed = {path for path in set(old.files).symmetric_difference(new.files) if path not in ahead}
    changed |= {path for path in new.files
                if path in old.files and path not in ahead and old.files.hash(path) != new.files.hash(path)}
    changed |= {path for path, (_, data) in ahead.items() if path not in kept and new.files.get(path) != data}
    return tuple(sorted(changed)) if len(changed) <= MAX_CHANGED else None


class Handler(BaseHTTPRequestHandler):
    """GET and HEAD from the served OutputSet, plus the live-reload endpoints."""

    site: Site  # set on the subclass made by make_server
    server_version = "im-site"

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._respond(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._respond(head=False)

    def _respond(self, head: bool) -> None:
        path = urlsplit(self.path).path or "/"
        if path == EVENTS_PATH and not head:
            return self._events()
        if path == STATUS_PATH:
            return self._send(200, "application/json", self.site.state.to_json().encode(), head)
        if path == CLIENT_PATH:
            return self._send(200, content_type(".js"), (BUILTIN / "static" / "livereload.js").read_bytes(), head)
        found = self.site.lookup(path)
        if found is None:
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, file, data = found
        if status == 404 and self.site.state.build == 0:
            status, file, data = 503, "error.html", _error_page(self.site.state.error or "building…")
        self._send(status, content_type(file), data, head)

    def _send(self, status: int, kind: str, data: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _events(self) -> None:
        """Server-sent events: the current state at once, then each change."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        state = self.site.state
        try:
            self._event(state)
            while not getattr(self.server, "closing", False):
                newer = self.site.wait_for_change(state, KEEPALIVE)
                if newer == state:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    continue
                state = newer
                self._event(state)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            return

    def _event(self, state: State) -> None:
        self.wfile.write(f"data: {state.to_json()}\n\n".encode())
        self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the terminal is for build results, not every request."""


def _error_page(text: str) -> bytes:
    """Shown when no build has succeeded yet: the error, and the client that reloads on fix."""
    from html import escape
    return (f"<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>im-site: build failed</title>"
            f"<h1>The site does not build yet</h1><pre style=\"white-space:pre-wrap\">{escape(text)}</pre>"
            f"<script src=\"{CLIENT_PATH}\" defer></script></html>").encode()


def make_server(site: Site, host: str, port: int) -> ThreadingHTTPServer:
    """A threaded HTTP server bound to host:port that serves `site`."""
    handler = type("BoundHandler", (Handler,), {"site": site})
    server_class = ThreadingHTTPServer
    if ":" in host:
        server_class = type("IPv6Server", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
    server = server_class((host, port), handler)
    server.daemon_threads = True
    return server


def serve(config_path: Path, options: BuildOptions, host: str, port: int,
          log: Callable[[str], None], *, fixed_clock: bool = False) -> None:
    """Build, serve and watch until Ctrl-C (KeyboardInterrupt propagates to the caller).

    Without a fixed clock (`--now`) each rebuild reads the clock again, so an
    embargoed page appears on the first rebuild after its moment.
    """
    from .watch import Watcher

    site = Site(config_path, options, log, fixed_clock=fixed_clock)
    server = make_server(site, host, port)  # first: a busy port is said at once, not after a whole build
    try:
        site.rebuild()
    except BaseException:
        server.server_close()
        raise
    site.start()
    watcher = Watcher(config_path, site.changed)
    watcher.start()
    address = f"http://{host if ':' not in host else f'[{host}]'}:{server.server_address[1]}/"
    log(f"serving {address} (Ctrl-C to stop)")
    try:
        server.serve_forever(poll_interval=0.25)
    finally:
        server.closing = True  # type: ignore[attr-defined]
        watcher.stop()
        site.stop()
        server.server_close()
