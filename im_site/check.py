"""The `check` verb: build in memory, write nothing, report every problem and the schedule.

CI runs `im-site check --strict` before merging; the JSON form is for its
scripts, the text form for people. Besides diagnostics it prints the
embargo schedule (when pages go live or expire) and each translation
source's content hash, which translators put in `translated_from:`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from .build import build
from .config import Config
from .diagnostics import CODES, Diagnostic, Diagnostics, tidy_path
from .model import Page
from .options import BuildOptions


@dataclass
class ScheduledChange:
    """One future change of what readers see: a page goes live or expires, a module's review falls due."""

    at: datetime
    action: str  # "goes live" | "expires" | "review due" (a module's `review_by` has passed)
    page: Page

    @property
    def audiences(self) -> list[str]:
        """Whom the page is for; empty: everyone."""
        return sorted(getattr(self.page.meta, "audiences", None) or ())

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "action": self.action, "path": self.page.path,
                "url": self.page.url, "lang": self.page.lang, "title": self.page.title,
                "audiences": self.audiences}


@dataclass
class Report:
    """What `check` found: diagnostics, the schedule, and the source hashes."""

    diagnostics: Diagnostics
    schedule: list[ScheduledChange] = field(default_factory=list)
    sources: list[Page] = field(default_factory=list)
    tz: tzinfo | None = None
    #: Drafts left out (no --drafts): "0 errors" said nothing of the draft its writer was checking.
    drafts: int = 0

    def failed(self, strict: bool) -> bool:
        return self.diagnostics.has_errors(strict)

    def to_json(self) -> str:
        data = {
            "diagnostics": [d.as_dict() for d in self.diagnostics.sorted()],
            "schedule": [change.as_dict() for change in self.schedule],
            "sources": [_source_dict(page) for page in self.sources],
            "errors": len(self.diagnostics.errors),
            "warnings": len(self.diagnostics.warnings),
        }
        return json.dumps(data, ensure_ascii=False, indent=2)

    def to_codequality(self, site_folder: Path, project: Path) -> str:
        """The problems as a GitLab Code Quality report (`artifacts: reports: codequality:`), which
        GitLab shows in the merge request: a list of Code Climate issues, each file named from
        `project` (where the job runs: the repository), not from the site folder, which may be
        a folder of it. Each fingerprint is the problem's file, code and message (not its line,
        so that a problem moved by an edit above it stays the same problem), numbered where one
        repeats."""
        issues, seen = [], {}
        for found in self.diagnostics.sorted():
            path = found.path if found.path.startswith("<") else tidy_path(os.path.join(site_folder, found.path), project)
            diagnostic = replace(found, path=path)
            name = CODES.get(diagnostic.code, "")
            identity = "\0".join((diagnostic.path, diagnostic.code, diagnostic.message))
            seen[identity] = seen.get(identity, 0) + 1
            description = f"{diagnostic.message} (hint: {diagnostic.hint})" if diagnostic.hint else diagnostic.message
            issues.append({
                "type": "issue",
                "check_name": f"{diagnostic.code} {name}".strip(),
                "description": f"{diagnostic.code}: {description}",
                "categories": ["Style"] if diagnostic.code in _STYLE_CODES else ["Bug Risk"],
                "severity": "major" if diagnostic.severity == "error" else "minor",
                "fingerprint": hashlib.md5(f"{identity}\0{seen[identity]}".encode("utf-8")).hexdigest(),
                "location": {"path": diagnostic.path, "lines": {"begin": diagnostic.line or 1}},
            })
        return json.dumps(issues, ensure_ascii=False, indent=2)

    def to_text(self, *, hashes: bool = False, strict: bool = False, quiet: bool = False) -> str:
        """The report for people; `quiet` (--quiet: "print only errors") keeps only what fails the
        check and its summary, so a clean check prints nothing but the hashes asked for."""
        if quiet:
            failing = [d for d in self.diagnostics.sorted() if d.severity == "error" or strict]
            lines = [format_diagnostic(d) for d in failing]
        else:
            lines = [format_diagnostic(d) for d in self.diagnostics.sorted()]
        if self.schedule and not quiet:
            lines += ["", "schedule:"] + [self._schedule_line(change) for change in self.schedule]
        if hashes and self.sources:
            lines += ["", "translation sources (content hash for translated_from):"]
            lines += [f"  {page.source_hash}  {page.path}" for page in self.sources]
        if self.drafts and not quiet:
            lines += ["", f"not checked: {self.drafts} draft{'s' if self.drafts != 1 else ''} (--drafts checks them)"]
        if not quiet or self.failed(strict):
            lines += ["", self.diagnostics.summary(strict=strict)]
        return "\n".join(lines).lstrip("\n")

    def _schedule_line(self, change: ScheduledChange) -> str:
        moment = change.at.astimezone(self.tz) if self.tz else change.at
        # Whom it is for: the store teams' embargoed message read as everyone's.
        only = f"  [audiences: {', '.join(change.audiences)}]" if change.audiences else ""
        return f"  {moment.isoformat()}  {change.action:<9}  {change.page.path}  ({change.page.title}){only}"


#: Codes about wording and look rather than what readers get wrong or not at all (brand voice,
#: placeholders, contrast is not: unreadable text is a defect).
_STYLE_CODES = frozenset({"IM120", "IM122"})


def format_diagnostic(diagnostic: Diagnostic) -> str:
    """`path:line: severity[IM101 broken-link]: message (hint: ...)`."""
    name = CODES.get(diagnostic.code, "")
    code = f"{diagnostic.code} {name}" if name else diagnostic.code
    text = f"{diagnostic.location()}: {diagnostic.severity}[{code}]: {diagnostic.message}"
    return text + (f" (hint: {diagnostic.hint})" if diagnostic.hint else "")


def _source_dict(page: Page) -> dict[str, Any]:
    return {"path": page.path, "lang": page.lang, "translation_key": page.translation_key,
            "hash": page.source_hash}


def check_site(config: Config, options: BuildOptions) -> Report:
    """Build in memory (only the content cache is written) and gather the report."""
    result = build(config, options)
    schedule = [ScheduledChange(at, action, page) for at, action, page in result.schedule]
    result.diagnostics.extend(errors_once_live(config, options, schedule, result.diagnostics))
    pages = result.content.pages if result.content is not None else []
    default = config.settings.language
    sources = sorted((p for p in pages if p.lang == default), key=lambda p: p.path)
    drafts = sum(1 for _, why in result.hidden if why == "draft")
    return Report(result.diagnostics, schedule, sources, config.tz, drafts)


def errors_once_live(config: Config, options: BuildOptions, schedule: list[ScheduledChange],
                     found: Diagnostics) -> list[Diagnostic]:
    """The errors a build will have once the embargoed pages are live: a broken link or missing
    image in an embargoed message passed `check --strict` at merge, and failed the scheduled
    publish meant to put it online, with nobody there to see it (and every publish after, so
    expiries stopped too). Found by a second build with `--future`, only when something is due."""
    going_live = {}
    for change in schedule:
        if change.action == "goes live":
            going_live.update(dict.fromkeys([change.page.path, *(part.path for part in change.page.parts)], change.at))
    if options.future or not going_live:
        return []
    ahead = build(config, options.but(future=True))
    known = set(found.items)
    # A link between embargoed pages that go live in the wrong order is seen only with both live.
    order = [d for d in ahead.diagnostics.warnings if d.code == "IM104" and d not in known]
    return [replace(d, message=f"{d.message}; {_when(d.path, going_live, config.tz)}")
            for d in ahead.diagnostics.errors if d not in known] + order


def _when(path: str, going_live: dict[str, datetime], tz: tzinfo) -> str:
    """When the error starts failing builds: when its page goes live, else with the first embargo."""
    if path in going_live:
        return f"this page goes live {going_live[path].astimezone(tz).isoformat()}, and the build that publishes it fails"
    return (f"the embargoed pages go live from {min(going_live.values()).astimezone(tz).isoformat()}, "
            "and the build that publishes them fails")
