"""A content-addressed cache folder: the key is a hash of everything the value depends on.

Entries are never invalidated, only missed: a changed input has another key.
The folder is safe to delete at any time; a broken or unwritable cache is
treated as empty, never as an error.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def digest(*parts: bytes | str) -> str:
    """A stable hex key for the given inputs."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()


class Cache:
    """Values by (namespace, key) under one folder; `None` folder disables caching."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def _file(self, namespace: str, key: str) -> Path | None:
        return None if self.folder is None else self.folder / namespace / key[:2] / key

    def get(self, namespace: str, key: str) -> bytes | None:
        path = self._file(namespace, key)
        try:
            return path.read_bytes() if path else None
        except OSError:
            return None

    def put(self, namespace: str, key: str, value: bytes) -> None:
        path = self._file(namespace, key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(value)
            os.replace(temp, path)
        except OSError:
            return
