"""The command line: flags -> options -> one call. The only importer of click.

Exit codes: 0 success, 1 content or build errors and refused operations,
2 usage errors, 130 interrupted. Tracebacks only with --debug.
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import gc
import os
import shlex
import signal
import sys
import traceback
from datetime import timezone, tzinfo
from pathlib import Path
from typing import Any, Callable

import click

from .config import Config, load_config
from .diagnostics import Diagnostics, SiteError, tidy_path
from .options import BuildOptions, ClockError, read_clock
from .output import committed, interrupts_delivered, terminations_interrupt


class Context:
    """Global flags shared by every command."""

    def __init__(self, config: str, quiet: bool, verbose: bool, debug: bool):
        self.config_path = Path(config)
        self.quiet = quiet
        self.verbose = verbose
        self.debug = debug

    def load(self) -> Config:
        return load_config(self.config_path)

    def options(self, now: str | None = None, tz: tzinfo = timezone.utc, **values: Any) -> BuildOptions:
        """`tz`: the site's timezone, for a `--now` without an offset."""
        try:
            moment = read_clock(now, tz)
        except ClockError as exc:
            raise click.UsageError(str(exc)) from None
        return BuildOptions(config_path=self.config_path.absolute(), now=moment, **values)

    @property
    def site_folder(self) -> Path:
        """What the paths in diagnostics are relative to (`diagnostics.tidy_path`)."""
        return self.config_path.absolute().parent

    def report(self, diagnostics: Diagnostics, *, always: bool = False, strict: bool = False) -> None:
        """Problems on stderr, one per line, with a summary when there were any."""
        if diagnostics.items and (always or not self.quiet or diagnostics.errors):
            click.echo(diagnostics.located_in(self.site_folder).format_text(), err=True)
            click.echo(diagnostics.summary(strict=strict), err=True)

    def info(self, message: str) -> None:
        """Progress for people: only on a terminal, or with --verbose."""
        if not self.quiet and (self.verbose or sys.stderr.isatty()):
            click.echo(message, err=True)


def handles_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Map SiteError to exit 1 with its diagnostics; Ctrl-C to 130; crashes to 1 with a hint.

    Also gives the command the global flags, so that `im-site build --config x` works
    as well as `im-site --config x build`.
    """
    @functools.wraps(command)
    @click.pass_obj
    def wrapper(ctx: Context, *args: Any, config: str | None, quiet: bool, verbose: bool, debug: bool,
                **kwargs: Any) -> Any:
        ctx = Context(config or str(ctx.config_path), ctx.quiet or quiet, ctx.verbose or verbose, ctx.debug or debug)
        committed.clear()
        try:
            with interrupts_delivered(), terminations_interrupt():
                return command(ctx, *args, **kwargs)
        except SiteError as exc:
            ctx.report(exc.diagnostics, always=True, strict=exc.strict)
            sys.exit(1)
        except KeyboardInterrupt:
            return _interrupted(command.__name__)
        except BrokenPipeError:
            _reader_gone()
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if _caused_by_ctrl_c(exc):
                return _interrupted(command.__name__)
            if ctx.debug:
                traceback.print_exc()
            click.echo(f"error: internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)", err=True)
            sys.exit(1)
    return _global_options(wrapper)


#: What an interruption of a command that writes no output says: "the previous output is
#: untouched" puzzled someone whose `check` or starting `serve` was stopped.
_INTERRUPTED = {"serve": "stopped", "check": "interrupted", "versions": "interrupted", "diff": "interrupted"}


def _interrupted(command: str) -> None:
    if committed:  # the new output was complete: nothing is left to interrupt
        return None
    click.echo(_INTERRUPTED.get(command, "interrupted; the previous output is untouched"), err=True)
    sys.exit(130)


def _reader_gone() -> None:
    """`im-site check | head -3`: the reader closed the pipe once it had what it wanted, which
    was reported as "internal error: BrokenPipeError". Exit 1 quietly, as Python advises: stdout
    now leads nowhere, so the final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    sys.exit(1)


def _output(text: str) -> None:
    """A command's result on stdout. `im-site check > /dev/full` (or onto a full disk) reported
    "internal error: OSError": where the output goes is the problem, and is said so (exit 1).
    A reader that closed the pipe is no problem (`_reader_gone`)."""
    try:
        click.echo(text)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise click.ClickException(f"cannot write the output: {exc.strerror or exc}") from None


def _caused_by_ctrl_c(exc: BaseException) -> bool:
    """Python wraps some exceptions in others: a Ctrl-C that lands while a class is made (a module
    imported mid-build) surfaces as "RuntimeError: Error calling __set_name__", caused by it."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


class _NotEmpty(click.ParamType):
    """An option that refuses an empty value, as `--now` does: `-o "$OUT"` with OUT unset named no
    folder, and `build` quietly wrote into output_dir (`--config ""`: site.yaml; `publish --version
    ""`: the default id; `-o " "` made a folder named " ")."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail(EMPTY, param, ctx)
        return super().convert(value, param, ctx)


class _Path(_NotEmpty, click.Path):
    """A file or folder option that refuses an empty value."""


class _Text(_NotEmpty, click.types.StringParamType):
    """A text option (a version id) that refuses an empty value."""


EMPTY = "is empty (an unset variable?)"


_GLOBAL_OPTIONS = (
    click.option("--config", "config", default=None, type=_Path(), help="Path of site.yaml (default: site.yaml)."),
    click.option("--quiet", "-q", is_flag=True, help="Print only errors."),
    click.option("--verbose", "-v", is_flag=True, help="Print progress even when not on a terminal."),
    click.option("--debug", is_flag=True, help="Show a Python traceback for internal errors."),
)


def _global_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_GLOBAL_OPTIONS):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@_global_options
@click.version_option(package_name="im-site")
@click.pass_context
def main(click_ctx: click.Context, config: str | None, quiet: bool, verbose: bool, debug: bool) -> None:
    """im-site: an intranet for internal brand communication, from Markdown."""
    # A build makes millions of small, long-lived objects; Python's default
    # collector thresholds rescan them all the time (measured: half the build).
    gc.set_threshold(100_000, 50, 100)
    click_ctx.obj = Context(config or "site.yaml", quiet, verbose, debug)


def _now_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--now", help="Fix the clock for publishing rules (ISO 8601).")(command)


@main.command()
@click.option("-o", "--output", type=_Path(file_okay=False), help="Output folder (default: output_dir).")
@_now_option
@click.option("--drafts", is_flag=True, help="Include drafts (preview only).")
@click.option("--future", is_flag=True, help="Include scheduled pages (preview only).")
@click.option("--audience", help="Build the site of one audience only.")
@click.option("--version", "version", type=_Text(), help="Version id recorded in the build.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@handles_errors
def build(ctx: Context, output: str | None, now: str | None, drafts: bool, future: bool,
          audience: str | None, version: str | None, strict: bool) -> None:
    """Build the site into the output folder (updated or replaced atomically on success)."""
    from .write import build_and_write

    config = ctx.load()
    options = ctx.options(now, config.tz, drafts=drafts, future=future, audience=audience, version=version,
                          output_dir=Path(output) if output else None)
    result = build_and_write(config, options, strict=strict, progress=ctx.info)
    ctx.report(result.diagnostics)
    reuse = [f"{result.result.reused} pages reused from the cache"] if result.result.reused else []
    if result.changed is not None:
        reuse.append(f"{result.changed} file{'s' if result.changed != 1 else ''} changed in place")
    ctx.info(f"built {len(result.outputs.files)} files into {tidy_path(str(result.output_path), config.root)}"
             + (f" ({', '.join(reuse)})" if reuse else ""))
    if result.result.not_shown:
        ctx.info(result.result.not_shown)


@main.command()
@click.option("--dest", required=True, type=_Path(file_okay=False), help="The published folder.")
@click.option("--version", "version", type=_Text(), help="Version id (default: git commit date and hash, else the clock).")
@click.option("--audience", help="Publish the site of one audience, under DEST/<audience>/.")
@_now_option
@click.option("--drafts", is_flag=True, help="Refused: publish never includes drafts.")
@click.option("--future", is_flag=True, help="Refused: publish never includes scheduled pages.")
@click.option("--if-new", "if_new", is_flag=True,
              help="A version id already published is no error: exit 0 and write nothing (a CI job run again).")
@handles_errors
def publish(ctx: Context, dest: str, version: str | None, audience: str | None, now: str | None,
            drafts: bool, future: bool, if_new: bool) -> None:
    """Build and add the site as a new version under DEST (DEST/versions/<id>/, latest, versions.json)."""
    from .publish import AlreadyPublished
    from .publish import publish as publish_version

    config = ctx.load()
    options = ctx.options(now, config.tz, drafts=drafts, future=future, audience=audience, version=version)
    published = publish_version(config, options, Path(dest), if_new=if_new, progress=ctx.info)
    if isinstance(published, AlreadyPublished):  # said in a CI log too, where progress is not: nothing was published
        if not ctx.quiet:
            done = (f"; only `latest` was pointed at {published.repaired} again, as versions.json lists it "
                    "(a publish had been stopped before it did)" if published.repaired else "; nothing written (--if-new)")
            click.echo(f"version {published.version_id} is already published into "
                       f"{tidy_path(str(published.folder), config.root)}{done}", err=True)
        return
    ctx.report(published.result.diagnostics)
    pruned = f"; pruned {', '.join(published.pruned)}" if published.pruned else ""
    if published.dropped:
        pruned += f"; dropped {', '.join(published.dropped)} from the lists (folder deleted)"
    ctx.info(f"published version {published.version.id} into {tidy_path(str(published.folder), config.root)}{pruned}")


@main.command()
@click.option("--dest", required=True, type=_Path(file_okay=False), help="The published folder.")
@click.option("--audience", help="The versions of one audience's site.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handles_errors
def versions(ctx: Context, dest: str, audience: str | None, fmt: str) -> None:
    """List the published versions, newest first."""
    from .publish import deleted_by_hand, format_versions, list_versions, site_folder

    listed = list_versions(Path(dest).absolute(), audience)
    deleted = frozenset(v.id for v in deleted_by_hand(site_folder(Path(dest).absolute(), audience), listed))
    _output(format_versions(listed, fmt, deleted))


@main.command()
@click.argument("old")
@click.argument("new")
@click.option("--dest", required=True, type=_Path(file_okay=False), help="The published folder.")
@click.option("--audience", help="Compare versions of one audience's site.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handles_errors
def diff(ctx: Context, old: str, new: str, dest: str, audience: str | None, fmt: str) -> None:
    """Pages added, removed and changed between two published versions."""
    from .publish import diff_versions, format_diff

    _output(format_diff(diff_versions(Path(dest).absolute(), old, new, audience), fmt))


# ---------------------------------------------------------------- authoring: init, new, serve, check

@main.command()
@click.argument("directory", type=_Path(file_okay=False))
@click.option("--force", is_flag=True,
              help="Add the starter files even if DIRECTORY is not empty (files already there are kept).")
@handles_errors
def init(ctx: Context, directory: str, force: bool) -> None:
    """Create a new working site (site.yaml, content, theme stub) in DIRECTORY."""
    from .scaffold import init_site

    moment = ctx.options(None).now
    started = init_site(Path(directory), moment, force=force)
    if started.kept:
        kept = Diagnostics()
        kept.warning(directory, None, "IM012", "kept the files already there: "
                     + ", ".join(path.relative_to(directory).as_posix() for path in started.kept),
                     hint="compare them with those of `im-site init` into a new folder")
        ctx.report(kept)
    if not ctx.quiet:
        _output(f"created a site with {len(started.written)} files in {directory}; try: {_serve_hint(Path(directory))}")


def _serve_hint(directory: Path) -> str:
    """How to preview the new site: `cd . && im-site serve` only puzzles someone who ran `init .`."""
    if directory.resolve() == Path.cwd().resolve():
        return "im-site serve"
    return f"cd {shlex.quote(str(directory))} && im-site serve"


@main.command()
@click.argument("kind", type=click.Choice(["message", "module", "kpi"]))
@click.argument("title")
@click.option("--lang", help="Language of the new file (default: the site's language).")
@click.option("--now", help="Today, for the dates filled in (ISO 8601; default: the clock, in the site's timezone).")
@click.option("--slug", help="The file name (and address) to use instead of one made from TITLE.")
@click.option("--from", "original", type=click.Path(path_type=Path),
              help="Start the --lang translation of this message or module: a copy of it, TITLE its title.")
@handles_errors
def new(ctx: Context, kind: str, title: str, lang: str | None, now: str | None, slug: str | None,
        original: Path | None) -> None:
    """Write a new message, module or KPI snapshot (TITLE is the period for kpi), or with --from
    start a translation of a message or module."""
    from .scaffold import new_page, new_translation

    if slug is not None and kind == "kpi":
        raise click.UsageError("--slug is for a message or module: a KPI snapshot's file is named by its period (TITLE)")
    if original is not None and slug is not None:
        raise click.UsageError("--slug and --from: a translation's file is named by its original's (x.md -> x.en.md)")
    config = ctx.load()
    options = ctx.options(now, config.tz)
    if original is None:
        paths = [new_page(config, kind, title, lang, options.now, slug)]
    else:
        paths = new_translation(config, kind, title, lang, original, lambda rel: _source_hash(config, options, rel))
    if not ctx.quiet:
        try:
            _output("".join(f"created {path.relative_to(config.root).as_posix()}\n" for path in paths).rstrip("\n"))
        except click.ClickException:  # exit 1 says nothing was made: take the pages back, so a rerun is not refused
            for path in paths:
                path.unlink(missing_ok=True)
            raise


def _source_hash(config: Config, options: BuildOptions, rel: str) -> str | None:
    """The content hash `check --hashes` prints for the page of `rel`, drafts and scheduled pages
    included; None when the site cannot be read far enough to make it."""
    from .build import build

    result = build(config, dataclasses.replace(options, drafts=True, future=True))
    pages = result.content.pages if result.content is not None else []
    return next((page.source_hash for page in pages if page.path == rel), None)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (others only when asked).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one).")
@click.option("--drafts", is_flag=True, help="Include drafts (preview only).")
@click.option("--future", is_flag=True, help="Include scheduled pages (preview only).")
@_now_option
@handles_errors
def serve(ctx: Context, host: str, port: int, drafts: bool, future: bool, now: str | None) -> None:
    """Build in memory, serve, rebuild on change and reload open pages; Ctrl-C stops."""
    def log(message: str) -> None:
        if not ctx.quiet or "error" in message:
            click.echo(message, err=True)

    try:  # Ctrl-C (or a `kill`) stops the server, also while it starts
        from .serve import serve as run_server

        config = ctx.load()  # a broken site.yaml at start is reported like any build's
        options = ctx.options(now, config.tz, drafts=drafts, future=future)
        run_server(ctx.config_path.absolute(), options, host, port, log, fixed_clock=now is not None)
    except OSError as exc:
        hint = f" (another server runs there? try --port {port + 1})" if exc.errno == errno.EADDRINUSE else ""
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror or exc}{hint}") from None
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "codequality"]), default="text", show_default=True,
              help="codequality: a GitLab Code Quality report, for the merge request.")
@click.option("--hashes", is_flag=True, help="Also list each translation source's content hash.")
@_now_option
@click.option("--drafts", is_flag=True, help="Include drafts.")
@click.option("--future", is_flag=True, help="Include scheduled pages.")
@handles_errors
def check(ctx: Context, strict: bool, fmt: str, hashes: bool, now: str | None, drafts: bool, future: bool) -> None:
    """Build in memory and report every problem, the schedule, and a summary."""
    from .check import Report, check_site

    ctx.options(now)  # a bad --now is a usage error, before anything else
    try:
        config = ctx.load()
    except SiteError as exc:
        report = Report(exc.diagnostics)
    else:
        report = check_site(config, ctx.options(now, config.tz, drafts=drafts, future=future).but(config_path=config.path))
    if fmt == "codequality":
        text = report.to_codequality(ctx.site_folder, Path.cwd())
    else:
        report.diagnostics = report.diagnostics.located_in(ctx.site_folder)
        text = report.to_json() if fmt == "json" else report.to_text(hashes=hashes, strict=strict, quiet=ctx.quiet)
    if text:
        _output(text)
    sys.exit(1 if report.failed(strict) else 0)


@main.command()
@click.option("-o", "--output", required=True, type=_Path(dir_okay=False),
              help="The HTML file to write; the plain-text part goes beside it as FILE.txt.")
@click.option("--since", help="Messages published since this date or datetime (default: 7 days before now).")
@click.option("--audience", help="Only what this audience's site shows.")
@click.option("--lang", help="Language of the digest (default: the site's language).")
@click.option("--published", is_flag=True,
              help="Link into the published folder's latest/ (a site put online with `im-site publish`).")
@click.option("--dest", type=_Path(file_okay=False),
              help="The published folder: a message counts from the version that first had it, when that is after its date.")
@_now_option
@handles_errors
def digest(ctx: Context, output: str, since: str | None, audience: str | None, lang: str | None,
           published: bool, dest: str | None, now: str | None) -> None:
    """Write an e-mail-ready HTML digest of the messages published since a date."""
    from .digest import DigestUsage, make_digest

    config = ctx.load()
    options = ctx.options(now, config.tz, audience=audience).but(published=published)
    try:
        diagnostics, count = make_digest(config, options, since, lang, Path(output).absolute(),
                                         Path(dest) if dest else None)
    except DigestUsage as exc:
        raise click.UsageError(str(exc)) from None
    ctx.report(diagnostics)
    ctx.info(f"wrote {count} message{'s' if count != 1 else ''} to {output} and {output}.txt")


def _run_main() -> int:
    """`main` with click's errors shown as click shows them, except a Ctrl-C outside a command (while
    click reads the arguments, or just after the command ended), which click reported as
    "Aborted!" with exit 1, as if something had failed: it is an interruption (130) like any other,
    or nothing at all once the output was complete."""
    try:
        result = main(standalone_mode=False)
    except click.exceptions.Abort:
        return 0 if committed else 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except BrokenPipeError:  # `im-site --version | true`
        return 1
    except OSError as exc:  # click's own --help or --version into `> /dev/full`: the commands use `_output`
        click.echo(f"Error: cannot write the output: {exc.strerror or exc}", err=True)
        return 1
    return result if isinstance(result, int) else 0


def entry(sigint: Any = None) -> None:
    """The `im-site` command: `main`, then exit without tearing the heap down.

    A large build leaves hundreds of megabytes of objects; freeing them one by
    one at interpreter exit took half a second at 10,000 pages, for nothing.
    Every file is closed and every cache write committed by then; only the
    standard streams need flushing. (Tests call `main` and keep their process.)
    `sigint` is the Ctrl-C handler that start.py held back while this module was
    imported; it is put back here, where a KeyboardInterrupt is caught.
    """
    try:
        if sigint is not None:
            signal.signal(signal.SIGINT, sigint)
        code = _run_main()
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:  # outside a command, or after it ended
        code = 0 if committed else 130
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a reader that closed the pipe: nothing is left to tell it
            pass
    os._exit(code)
