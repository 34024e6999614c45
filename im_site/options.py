"""Options of one build, and the clock: the only place that reads the time.

Visibility (drafts, embargoes, expiry) is decided once from `BuildOptions.now`,
a timezone-aware moment read here at the start of a command, so that a build
never sees two different "nows".
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone, tzinfo
from pathlib import Path

from .parallel import default_workers


class ClockError(ValueError):
    """`--now` or SOURCE_DATE_EPOCH could not be read."""


def read_clock(now_iso: str | None, tz: tzinfo = timezone.utc) -> datetime:
    """The build's moment: `--now`, else SOURCE_DATE_EPOCH, else the system clock (UTC).

    A `--now` without an offset is read in `tz`, the site's timezone, as every date and time
    without one is (`publish_at`, `--since`): `--now "2026-12-01 08:00"` read as UTC showed
    a Berlin site an hour later than asked, past an embargo set for 08:30. An empty `--now`
    (`--now "$BUILD_TIME"` with the variable unset) is an error, not the clock: a reproducible
    build must not turn into another.
    """
    if now_iso is not None:
        try:
            moment = datetime.fromisoformat(now_iso.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ClockError(f"--now {now_iso!r} is not an ISO 8601 date or datetime") from exc
        return moment if moment.tzinfo else local_moment(moment, tz, f"--now {now_iso!r}")
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except (ValueError, OverflowError, OSError) as exc:
            raise ClockError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds") from exc
    return datetime.now(tz=timezone.utc).replace(microsecond=0)


def local_moment(moment: datetime, tz: tzinfo, given: str) -> datetime:
    """`moment` (no offset) on the clocks of `tz`. A time the clocks skip (02:30 on the day they
    go forward in Europe/Berlin) is refused: Python gives it the offset from before the change,
    so it compared as 02:30 with the site's times but as 03:30 in UTC with others, and a page
    due at 03:15 was hidden or live depending on how its time was written. A time the clocks
    show twice (02:30 on the day they go back) is the first of the two, as for `publish_at`.
    `given`: the flag and value, as the message names them."""
    local = moment.replace(tzinfo=tz)
    if local.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) != moment:
        raise ClockError(f"{given} does not exist in {tz}: the clocks skip it when they go forward "
                         f"(give the offset you mean, e.g. {local.isoformat(timespec='seconds')})")
    return local


#: A file or folder whose time is within this of a moment recorded with it may have changed since
#: without its time changing (twice in one tick of the file system's clock, or a clock a little
#: apart): it is read or listed rather than trusted (git's "racily clean" rule).
RACY_NS = 2_000_000_000


def file_clock_ns() -> int:
    """The system clock in nanoseconds, to compare with the times of files on disk (never for
    publishing rules: `--now` and SOURCE_DATE_EPOCH do not move the file system's clock)."""
    return time.time_ns()


@dataclass(frozen=True)
class BuildOptions:
    """What a command asks of a build; the config file says the rest."""

    config_path: Path
    now: datetime
    drafts: bool = False
    future: bool = False
    audience: str | None = None
    version: str | None = None
    output_dir: Path | None = None
    #: Inject the live-reload client (dev server only; never in `build` output).
    live_reload: bool = False
    #: Use and fill the content-hash cache in `cache_dir`.
    use_cache: bool = True
    #: Processes for Markdown and page rendering (1 = this process only).
    jobs: int = field(default_factory=default_workers)
    #: manifest.json of the version published before this one ("What's new" compares with it).
    previous_manifest: Path | None = None
    #: Set by `publish`: pages link to the list of published versions.
    published: bool = False

    @property
    def root(self) -> Path:
        return self.config_path.parent

    def but(self, **changes: object) -> "BuildOptions":
        return replace(self, **changes)  # type: ignore[arg-type]
