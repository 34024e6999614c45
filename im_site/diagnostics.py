"""Problems found in the user's files, collected as values until a stage ends.

Every problem is a Diagnostic with a path relative to the site root, a line
where known, a severity, and a stable code, so that `check --format json` and
CI scripts can rely on it. Nothing here raises on the first problem: stages
add to a Diagnostics collector, and the caller decides whether to stop.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Iterable, Literal

Severity = Literal["error", "warning"]

#: Stable codes with a short name each; `check` prints both.
CODES: dict[str, str] = {
    "IM000": "internal-error",
    "IM001": "config",
    "IM002": "encoding",
    "IM003": "yaml",
    "IM004": "front-matter",
    "IM005": "unknown-key",
    "IM006": "wrong-type",
    "IM007": "missing-field",
    "IM008": "file-size",
    "IM009": "empty-file",
    "IM010": "unreadable",
    "IM011": "path",
    "IM012": "exists",
    "IM020": "unknown-id",
    "IM030": "url-collision",
    "IM040": "template",
    "IM050": "output",
    "IM060": "leak",
    "IM101": "broken-link",
    "IM102": "broken-anchor",
    "IM103": "unsafe-link",
    "IM104": "link-to-unpublished",
    "IM105": "link-to-other-audience",
    "IM106": "markdown-nesting",
    "IM107": "unknown-callout",
    "IM108": "heading-id",
    "IM110": "missing-image",
    "IM111": "missing-alt",
    "IM112": "bad-image",
    "IM120": "brand-voice",
    "IM121": "contrast",
    "IM122": "placeholder",
    "IM130": "training",
    "IM131": "prerequisite-cycle",
    "IM132": "review-due",
    "IM133": "quiz",
    "IM140": "kpi",
    "IM141": "kpi-missing",
    "IM150": "schedule",
    "IM151": "translation-stale",
    "IM152": "acknowledge",
    "IM153": "digest",
    "IM160": "language",
    "IM170": "publish",
    "IM171": "version-id",
    "IM172": "moved-page",
    "IM173": "ack-id",
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located in a user's file (path relative to the site root)."""

    path: str
    line: int | None
    severity: Severity
    code: str
    message: str
    hint: str | None = None
    column: int | None = None

    def location(self) -> str:
        parts = [self.path or "<site>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        text = f"{self.location()}: {self.severity}[{self.code}]: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["name"] = CODES.get(self.code, "")
        return data


@dataclass
class Diagnostics:
    """A collector of diagnostics; duplicates are dropped, output is sorted."""

    items: list[Diagnostic] = field(default_factory=list)
    _seen: set[Diagnostic] = field(default_factory=set, repr=False)  # for dropping duplicates in O(1)

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic not in self._seen:
            self._seen.add(diagnostic)
            self.items.append(diagnostic)

    def error(self, path: str, line: int | None, code: str, message: str, *,
              hint: str | None = None, column: int | None = None) -> None:
        self.add(Diagnostic(path, line, "error", code, message, hint, column))

    def warning(self, path: str, line: int | None, code: str, message: str, *,
                hint: str | None = None, column: int | None = None) -> None:
        self.add(Diagnostic(path, line, "warning", code, message, hint, column))

    def extend(self, others: Iterable[Diagnostic]) -> None:
        for diagnostic in others:
            self.add(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.sorted() if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.sorted() if d.severity == "warning"]

    def has_errors(self, strict: bool = False) -> bool:
        return bool(self.errors) or (strict and bool(self.warnings))

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.path, d.line or 0, d.column or 0, d.code, d.message))

    def format_text(self) -> str:
        return "\n".join(d.format() for d in self.sorted())

    def located_in(self, root: Path) -> Diagnostics:
        """The same problems with every path named as `tidy_path` names it, for printing."""
        tidied = Diagnostics()
        tidied.extend(replace(d, path=tidy_path(d.path, root)) for d in self.items)
        return tidied

    def summary(self, *, strict: bool = False) -> str:
        """`1 error, 2 warnings`; under --strict it says the warnings fail too, or a build failing
        with "0 errors, 2 warnings" (and exit 1) would not say why."""
        errors, warnings = len(self.errors), len(self.warnings)
        text = f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
        return text + (" (--strict: warnings fail too)" if strict and warnings else "")

    def to_json(self) -> str:
        return json.dumps({"diagnostics": [d.as_dict() for d in self.sorted()],
                           "errors": len(self.errors), "warnings": len(self.warnings)},
                          ensure_ascii=False, indent=2)


def tidy_path(path: str, root: Path) -> str:
    """A diagnostic's path as people read it: relative to the site folder when inside it (as every
    content file is named), else absolute; never with the `.` and `..` of how a folder was typed
    (`/tmp/x/content/../_site`), nor relative to where the command happened to run. The site
    folder itself stays absolute: ". : error" says nothing. Names such as `<template>` stay."""
    if not path or path.startswith("<"):
        return path
    folder = os.path.normpath(root.absolute())
    full = os.path.normpath(os.path.join(folder, path))
    if full == folder or not full.startswith(folder.rstrip(os.sep) + os.sep):
        return full
    return Path(os.path.relpath(full, folder)).as_posix()


class SiteError(Exception):
    """Raised by a verb when the user's files stop it; carries every diagnostic, and whether
    warnings were what stopped it (--strict)."""

    def __init__(self, diagnostics: Diagnostics, *, strict: bool = False):
        super().__init__(diagnostics.format_text())
        self.diagnostics = diagnostics
        self.strict = strict


def fail(path: str, line: int | None, code: str, message: str, hint: str | None = None) -> SiteError:
    """A SiteError with a single diagnostic, for refusals outside a build."""
    diagnostics = Diagnostics()
    diagnostics.error(path, line, code, message, hint=hint)
    return SiteError(diagnostics)
