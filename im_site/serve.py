"""The dev server: build in memory, serve the OutputSet, rebuild on change, reload pages.

One process, one OutputSet at a time. A rebuild renders a complete new
OutputSet beside the served one and swaps the reference only when the build
succeeded, so a request never sees a half-built site; a failed rebuild keeps
the last good site and exposes its diagnostics to the terminal and, through
/__im-site/events, to an overlay in open pages (static/livereload.js).
"""

from __future__ import annotations

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

from .build import build
from .config import load_config
from .diagnostics import SiteError
from .options import BuildOptions, read_clock
from .output import OutputSet
from .render import BUILTIN

EVENTS_PATH = "/__im-site/events"
STATUS_PATH = "/__im-site/status"
CLIENT_PATH = "/__im-site/livereload.js"
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
    """What the browser is told: the number of the served build and the current error."""

    build: int
    error: str | None

    def to_json(self) -> str:
        return json.dumps({"build": self.build, "error": self.error}, ensure_ascii=False)


class Site:
    """The served build and the rebuild that replaces it; safe to use from many threads."""

    def __init__(self, config_path: Path, options: BuildOptions, log: Callable[[str], None],
                 *, fixed_clock: bool = False):
        self.config_path = config_path
        self.fixed_clock = fixed_clock
        self.options = options.but(live_reload=True)
        self.log = log
        #: The served build and its number, swapped together in one assignment.
        self.served: tuple[OutputSet, int] = (OutputSet(), 0)
        self.state = State(0, None)
        self._changed = threading.Condition()
        self._building = threading.Lock()

    def rebuild(self) -> bool:
        """Build everything in memory; swap it in only if it has no errors."""
        with self._building:
            started = time.monotonic()
            try:
                config = load_config(self.config_path)
                moment = self.options.now if self.fixed_clock else read_clock(None)
                result = build(config, self.options.but(config_path=config.path, now=moment))
                diagnostics = result.diagnostics
            except SiteError as exc:
                diagnostics, result = exc.diagnostics, None
            report = diagnostics.format_text()
            if result is None or diagnostics.has_errors():
                self.log(f"{report}\n{diagnostics.summary()}\nbuild failed; still serving the last good build")
                self._publish(State(self.state.build, f"{report}\n{diagnostics.summary()}"))
                return False
            if report:
                self.log(f"{report}\n{diagnostics.summary()}")
            number = self.state.build + 1
            self.served = (result.outputs, number)
            elapsed = (time.monotonic() - started) * 1000
            self.log(f"built {len(result.outputs.files)} files in {elapsed:.0f} ms")
            self._publish(State(number, None))
            return True

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
        outputs, number = self.served
        status, file, data = self._find(outputs.files, url_path) or (0, "", b"")
        if not file:
            return None
        if file.endswith(".html"):
            data = data.replace(b"</head>", f'<meta name="im-site-build" content="{number}">\n</head>'.encode(), 1)
        return status, file, data

    @staticmethod
    def _find(files: dict[str, bytes], url_path: str) -> tuple[int, str, bytes] | None:
        rel = posixpath.normpath(unquote(url_path)).lstrip("/")
        rel = "" if rel == "." else rel
        if url_path.endswith("/") or rel == "":
            rel = posixpath.join(rel, "index.html")
        if rel in files:
            return 200, rel, files[rel]
        if posixpath.join(rel, "index.html") in files:
            return None  # a folder without its slash: redirect, so relative links work
        return 404, "404.html", files.get("404.html", b"<!DOCTYPE html><title>404</title><h1>Not found</h1>")


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
    return (f"<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>im-site: build failed</title>"
            f"<h1>The site does not build yet</h1><pre>{escape(text)}</pre>"
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
    site.rebuild()
    server = make_server(site, host, port)
    watcher = Watcher(config_path.parent, site.rebuild)
    watcher.start()
    address = f"http://{host if ':' not in host else f'[{host}]'}:{server.server_address[1]}/"
    log(f"serving {address} (Ctrl-C to stop)")
    try:
        server.serve_forever(poll_interval=0.25)
    finally:
        server.closing = True  # type: ignore[attr-defined]
        watcher.stop()
        server.server_close()
