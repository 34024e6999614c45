"""The `build` verb: build in memory, then update the output folder (update.py) or replace it whole."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .build import BuildResult, build
from .cache import Cache
from .config import Config, check_option_values
from .diagnostics import SiteError, fail, tidy_path
from .options import BuildOptions
from .output import check_not_published, check_output_dir, check_replaceable, locked
from .update import write_site


@dataclass
class Written:
    result: BuildResult
    output_path: Path
    #: Files written or removed in place; None when the whole folder was replaced.
    changed: int | None = None

    @property
    def diagnostics(self):  # noqa: ANN201
        return self.result.diagnostics

    @property
    def outputs(self):  # noqa: ANN201
        return self.result.outputs


def output_path(config: Config, options: BuildOptions) -> Path:
    """The folder to write; a symlink (`_site -> /var/www/intranet`) means the folder it names.

    The swap replaced the link itself by a real folder, so the web server's folder never saw
    a new build, and the link was left beside it as a `.<name>.old-*` that nothing removed.
    """
    path = options.output_dir if options.output_dir is not None else config.root / config.settings.output_dir
    return path.resolve() if path.is_symlink() else path.absolute()


def check_apart_from_cache(config: Config, output: Path) -> None:
    """The cache keeps what `--drafts` rendered: inside the output folder it would be published
    (or replaced by the site, its records written into the site), and vice versa."""
    cache_dir = config.root / config.settings.cache_dir
    target, cache = output.resolve(), cache_dir.resolve()
    if target.is_relative_to(cache) or cache.is_relative_to(target):
        raise fail(config.file, config.doc.lines.get(("cache_dir",)), "IM050",
                   f"the output folder {tidy_path(str(output), config.root)} and cache_dir "
                   f"{tidy_path(str(cache_dir), config.root)} overlap: "
                   "the cache (drafts included) would be published, or replaced by the site",
                   hint="keep them apart: output_dir: _site, cache_dir: .im-site-cache")


def build_and_write(config: Config, options: BuildOptions, *, strict: bool = False,
                    progress: Callable[[str], None] = lambda message: None) -> Written:
    """Build; on success write what changed (update.py). On failure the old output is untouched."""
    check_option_values(config, audience=options.audience)
    target = output_path(config, options)
    check_output_dir(target, config.root)
    check_not_published(target, config.root)
    check_apart_from_cache(config, target)
    check_replaceable(target)
    with locked(target):
        progress("building…")
        result = build(config, options)
        if result.diagnostics.has_errors(strict):
            raise SiteError(result.diagnostics, strict=strict)
        progress(f"writing {len(result.outputs.files)} files…")
        cache = Cache(config.root / config.settings.cache_dir) if options.use_cache else None
        try:
            changed = write_site(result.outputs, target, cache)
        except OSError as exc:
            raise fail(str(exc.filename or target), None, "IM050",
                       f"cannot write the site: {exc.strerror or exc}") from None
    return Written(result, target, changed)
