"""The `publish` verb: add a build as a new, never-modified version of the published folder.

Layout of DIR (or DIR/<audience>/ for `--audience`):

    versions/<id>/          a complete build; written once, never modified
    versions/versions.html  the list of versions, for readers inside a version folder
    versions/index.html     the same, for a reader who shortens an address to versions/
    versions.json           [{id, date, commit, pages, latest}], newest first
    versions.html           the list of versions (the no-JavaScript fallback of the switcher)
    latest -> versions/<id> a relative symlink, swapped atomically
    index.html              redirects to latest/
    404.html                the newest version's 404 page (its links lead into latest/)

Everything is built in memory first. Changes to DIR are made one by one in a
Transaction that remembers how to undo each; any failure (a full disk, a
read-only folder, Ctrl-C) undoes them, so DIR is left byte-for-byte as it
was. Each file is replaced by a rename, so a reader never sees half of one.
"""

from __future__ import annotations

import errno
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any, Callable

from .build import BuildResult, build
from .config import Config, check_option_values
from .diagnostics import SiteError, fail, tidy_path
from .options import BuildOptions
from .output import OutputSet, check_output_dir, committed, locked_inside, signals_held, write_file_atomic, write_tree
from .render import render_outside
from .render.context import RenderContext, format_date
from .rules import as_moment
from .whatsnew import manifest_pages, page_changed
from .write import check_apart_from_cache

VERSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: The name of the newest version's link, which `diff` also takes for its id.
LATEST = "latest"
#: Names beside the version folders that an id must not take.
RESERVED_IDS = {"versions.html", "versions.json", "index.html", "404.html", "versions", LATEST}  # the names beside them
LIST_STRINGS = {
    "de": {"title": "Alle Versionen", "version": "Version", "date": "Datum", "pages": "Seiten",
           "latest": "aktuell", "commit": "Commit"},
    "en": {"title": "All versions", "version": "Version", "date": "Date", "pages": "Pages",
           "latest": "latest", "commit": "Commit"},
}


@dataclass(frozen=True)
class Version:
    """One entry of versions.json."""

    id: str
    date: str
    commit: str | None
    pages: int
    latest: bool


@dataclass(frozen=True)
class Published:
    version: Version
    folder: Path
    pruned: list[str]
    result: BuildResult
    #: Listed versions whose folder someone deleted (an old version taken down), now left out of the lists.
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlreadyPublished:
    """What `publish --if-new` found: the version is listed already, nothing was written."""

    version_id: str
    folder: Path
    #: The version `latest` had to be pointed at (see `repair_latest`), if any.
    repaired: str | None = None


@dataclass(frozen=True)
class GitCommit:
    hash: str
    version_id: str  # commit date and short hash: 20260101-120000-abc1234


# ---------------------------------------------------------------- publish

def publish(config: Config, options: BuildOptions, dest: Path, *, if_new: bool = False,
            progress: Callable[[str], None] = lambda message: None) -> Published | AlreadyPublished:
    """Build, then add the build as a new version under `dest`; refuse anything that would hide a page.
    With `if_new`, a version id already published is no error: nothing is written (a CI job run
    again for a commit it published)."""
    if options.drafts or options.future:
        raise fail("--drafts" if options.drafts else "--future", None, "IM170", "publish refuses drafts/scheduled pages",
                   hint="use `im-site serve --drafts --future` to preview them")
    check_option_values(config, audience=options.audience)
    dest = dest.absolute()
    check_output_dir(dest, config.root)
    check_apart_from_cache(config, dest)
    folder = site_folder(dest, options.audience)
    check_not_a_build(folder)
    check_nothing_overwritten(folder)
    commit = git_commit(config.root, for_id=options.version is None)
    version_id = options.version or (commit.version_id if commit else clock_version_id(options.now))
    check_version_id(version_id)
    with locked_inside(dest, config.root):
        versions = read_versions(folder)
        if if_new and any(v.id == version_id for v in versions):
            # The only change to DIR before a build (a publish that fails leaves DIR as it was).
            return AlreadyPublished(version_id, folder, repair_latest(folder, versions))
        refuse_existing(folder, versions, version_id, from_git=options.version is None and commit is not None)
        progress(f"building version {version_id}…")
        result = build(config, options.but(version=version_id, published=True,
                                           previous_manifest=previous_manifest(folder, versions)))
        if result.diagnostics.has_errors():
            raise SiteError(result.diagnostics)
        entry = Version(version_id, options.now.astimezone(timezone.utc).isoformat(), commit.hash if commit else None,
                        count_pages(result.outputs), latest=True)
        dropped = tuple(v.id for v in deleted_by_hand(folder, versions))
        kept, pruned = prune_plan([entry] + [replace(v, latest=False) for v in versions if v.id not in dropped],
                                  config.settings.versions.keep)
        progress(f"writing {len(result.outputs.files)} files…")
        add_version(folder, result.outputs, entry, kept, ListLook.of(result),
                    previous=folder / "versions" / versions[0].id if versions else None, root=config.root)
        remove_versions(folder, pruned)
    return Published(entry, folder, pruned, result, dropped)


def deleted_by_hand(folder: Path, versions: list[Version]) -> list[Version]:
    """Listed versions, other than the latest, whose folder is gone: the way to take an old version
    down. Left in the lists, the version menu offered them, a link to a 404, until `keep` pruned them."""
    return [v for v in versions if not v.latest and not (folder / "versions" / v.id).is_dir()]


def check_not_a_build(folder: Path) -> None:
    """A folder `im-site build` wrote is no published folder: publishing into it would overwrite its
    home page and leave its pages beside the versions, outdated but still served."""
    if (folder / "manifest.json").is_file() and not (folder / "versions.json").exists():
        raise fail(str(folder), None, "IM170", "refusing to publish here: the folder holds a site written by "
                   "`im-site build`, not published versions", hint="publish into an empty or new folder")


#: What a publish writes at the top of its folder, besides versions.json.
TOP_NAMES = ("index.html", "404.html", "versions.html", "versions", "latest")


def check_nothing_overwritten(folder: Path) -> None:
    """The first publish into a folder must not overwrite what someone else put there (a web
    root's own index.html or 404.html): a publish is undone only when it fails."""
    if os.path.lexists(folder / "versions.json"):
        return
    found = [name for name in TOP_NAMES if os.path.lexists(folder / name)]
    if found:
        raise fail(str(folder), None, "IM170", f"refusing to publish here: {', '.join(found)} would be overwritten, "
                   "and the folder holds no versions.json of an earlier publish",
                   hint="publish into a new or empty folder, or move those files away first")


def site_folder(dest: Path, audience: str | None) -> Path:
    """The published folder of the whole site, or of one audience below it."""
    return dest / audience if audience else dest


def is_version_id(version_id: str) -> bool:
    """Ids become folder names and URLs: letters, digits, `.`, `_`, `-`; no `..`; at most 64; none of
    the names a publish writes beside the versions."""
    return bool(VERSION_ID.fullmatch(version_id)) and ".." not in version_id and version_id not in RESERVED_IDS


def check_version_id(version_id: str, where: str = "--version") -> None:
    if not is_version_id(version_id):
        raise fail(where, None, "IM171", f"invalid version id {version_id!r}",
                   hint="use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, no '..'")


def clock_version_id(now: datetime) -> str:
    """The moment in UTC (`--now 2026-11-26T13:00:00+01:00` gives 20261126-120000)."""
    return now.astimezone(timezone.utc).strftime("%Y%m%d-%H%M%S")


def git_commit(root: Path, *, for_id: bool = False) -> GitCommit | None:
    """The checked-out commit, when the site is in a git checkout and git is installed. A checkout
    git refuses to read (owned by another user) is an error when the id is to come from it
    (`for_id`): the id silently came from the clock, with no commit, and every run of a CI job
    published the same commit again."""
    try:
        # The commit date in UTC, as the clock's ids: not in the committer's zone, so ids of
        # commits from Berlin and from a CI runner compare.
        done = subprocess.run(["git", "log", "-1", "--format=%H %cd-%h", "--date=format-local:%Y%m%d-%H%M%S"],
                              cwd=root, capture_output=True, text=True, timeout=30, check=False,
                              env={**os.environ, "TZ": "UTC"})
    except (OSError, subprocess.SubprocessError):
        return None
    parts = done.stdout.split()
    if for_id and "safe.directory" in done.stderr:  # a checkout another user owns (a CI container): git refuses it
        raise fail(str(root), None, "IM170", "git refuses to read this checkout: it belongs to another user "
                   "(\"detected dubious ownership\"), so the version id cannot come from the commit",
                   hint=f"let git read it: git config --global --add safe.directory {root}; or publish with "
                        "--version ID")
    if done.returncode != 0 or len(parts) != 2:
        return None  # no checkout, no commit yet: the clock gives the id
    return GitCommit(parts[0], parts[1])


def refuse_existing(folder: Path, versions: list[Version], version_id: str, *, from_git: bool = False) -> None:
    """An id taken from the git commit repeats while the changes to publish are not committed yet,
    so the hint says to commit them (another --version would publish them without a commit)."""
    if any(v.id == version_id for v in versions):
        raise fail(str(folder / "versions" / version_id), None, "IM170",
                   f"version {version_id!r} is already published; a version is never modified",
                   hint="the id comes from the last git commit: commit your changes, publish with --version ID, "
                        "or, for a CI job run again, add --if-new" if from_git else "publish with another --version")
    if os.path.lexists(folder / "versions" / version_id):  # a publish stopped (kill -9) before it listed it
        raise fail(str(folder / "versions" / version_id), None, "IM170",
                   f"versions/{version_id} is not in versions.json: a publish into this folder was stopped after "
                   "writing it and before listing it, so readers were never shown it",
                   hint="delete that folder and publish again")


def repair_latest(folder: Path, versions: list[Version]) -> str | None:
    """Point `latest` at the version versions.json lists as latest, if a publish was stopped (kill -9,
    a CI time-out, a power cut) after listing its version and before swapping the link: readers
    went on reading the version before, and the job run again (`--if-new`) found its version
    published and changed nothing. The version's id if it had to, else None."""
    listed = next((v for v in versions if v.latest), None)
    if listed is None or not (folder / "versions" / listed.id / "manifest.json").is_file():
        return None
    link, target = folder / "latest", f"versions/{listed.id}"
    if link.is_symlink() and os.readlink(link) == target:
        return None
    if os.path.lexists(link) and not link.is_symlink():
        return None  # not ours to replace
    _link_beside(link, target)
    return listed.id


def previous_manifest(folder: Path, versions: list[Version]) -> Path | None:
    """manifest.json of the latest version, which "What's new" compares with."""
    latest = next((v for v in versions if v.latest), versions[0] if versions else None)
    if latest is None:
        return None
    path = folder / "versions" / latest.id / "manifest.json"
    if not path.is_file():  # read as a first version, "What's new" listed every page as new
        raise fail(str(path), None, "IM170", f"the latest version {latest.id!r} has no manifest.json, which "
                   "\"What's new\" compares with", hint="the published folder is damaged: restore the file from a backup")
    return path


def count_pages(outputs: OutputSet) -> int:
    return len(json.loads(outputs.files["manifest.json"])["pages"]) if "manifest.json" in outputs.files else 0


def prune_plan(versions: list[Version], keep: int) -> tuple[list[Version], list[str]]:
    """Keep the newest `keep` versions, and always the latest one."""
    kept = [v for index, v in enumerate(versions) if index < keep or v.latest]
    return kept, [v.id for v in versions if v not in kept]


# ---------------------------------------------------------------- versions.json

#: What reading a damaged or hostile versions.json or manifest.json raises: besides bad JSON and
#: missing keys, `"pages": 1e999` (int() of infinity: OverflowError) and arrays nested thousands
#: deep (RecursionError), which stopped `versions`, `diff`, `publish` and `digest --dest` with
#: "internal error".
DAMAGED_JSON = (OSError, ValueError, KeyError, TypeError, OverflowError, RecursionError)


def read_versions(folder: Path) -> list[Version]:
    """versions.json, newest first; [] before the first publish. A damaged file is refused, not overwritten."""
    path = folder / "versions.json"
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list) or not data:
            raise ValueError("it lists no version" if data in ([], {}, "", None) else "it is no list of versions")
        versions = [Version(str(e["id"]), str(e["date"]), e.get("commit"), int(e["pages"]), bool(e["latest"]))
                    for e in data]
        check_listed_ids([v.id for v in versions])
    except DAMAGED_JSON as exc:
        raise fail(str(path), None, "IM170", f"cannot read versions.json: {exc}",
                   hint="restore it from a backup; publishing will not overwrite it") from None
    return versions


def check_listed_ids(ids: list[str]) -> None:
    """Every id in versions.json is one a publish could have written, and is listed once: `{}` or
    `[]` was read as "no versions yet" and the next publish wrote a list of one, so every earlier
    version left the lists and the switcher and was never pruned; an id listed twice had its
    folder pruned while still listed; `../x` led the lists' links out of DIR."""
    for index, version_id in enumerate(ids, 1):
        if not is_version_id(version_id):
            raise ValueError(f"entry {index} has the invalid version id {version_id!r}")
        if version_id in ids[:index - 1]:
            raise ValueError(f"entry {index} lists the version {version_id!r} a second time")


def versions_json(versions: list[Version]) -> bytes:
    return (json.dumps([asdict(v) for v in versions], ensure_ascii=False, indent=1) + "\n").encode()


@dataclass(frozen=True)
class ListLook:
    """What makes versions.html look like the site: the newest version's stylesheets (paths in
    its folder), the brand and site names, the language and timezone of its dates."""

    lang: str
    brand: str = ""
    title: str = ""
    stylesheets: tuple[str, ...] = ()
    logo: str | None = None
    tz: tzinfo = timezone.utc
    icon: str | None = None  # the pages' icon (the logo, else the theme's favicon), so no /favicon.ico is asked for
    #: The newest version's rendering, whose theme draws the page around the list (its header,
    #: menu, language switch and footer); None: the list with the brand only.
    render: RenderContext | None = field(default=None, compare=False)

    @classmethod
    def of(cls, result: BuildResult) -> "ListLook":
        settings, sheets, logo, icon, ctx = result.config.settings, (), None, None, None
        if result.render:
            ctx = result.render[0]
            sheets = tuple(ctx.assets[name] for name in ("brand.css", "site.css", *ctx.styles) if name in ctx.assets)
            logo = ctx.assets.get("brand:logo")
            icon = logo or ctx.assets.get("favicon.svg")
        return cls(settings.language, settings.brand.name, settings.title, sheets, logo, result.config.tz, icon, ctx)

    def icon_link(self, folder: str) -> str:
        """The `<link rel="icon">` of a page that finds the newest version at `folder`."""
        return f'<link rel="icon" href="{html.escape(folder + self.icon)}">\n' if self.icon else ""


def versions_page(versions: list[Version], look: ListLook, prefix: str) -> bytes:
    """The list of versions in the site's own look (its stylesheets, from the newest version's
    folder), without script: it works under any CSP and opened from disk."""
    words = LIST_STRINGS.get(look.lang, LIST_STRINGS["en"])
    newest = f"{prefix}{versions[0].id}/" if versions else prefix
    with_commit = any(v.commit for v in versions)
    rows = []
    for v in versions:
        marker = f' <strong class="flag flag-pinned">{html.escape(words["latest"])}</strong>' if v.latest else ""
        commit = f"<td><code>{html.escape((v.commit or '')[:12])}</code></td>" if with_commit else ""
        rows.append(f'<tr><td><a href="{html.escape(prefix + v.id)}/index.html">{html.escape(v.id)}</a>{marker}</td>'
                    f"<td>{html.escape(_when(v.date, look))}</td><td>{v.pages}</td>{commit}</tr>")
    head = "".join(f"<th>{html.escape(words[key])}</th>" for key in ("version", "date", "pages", "commit")
                   if key != "commit" or with_commit)
    table = (f'<div class="table-scroll"><table class="version-table">\n<thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(rows) +
             "\n</tbody>\n</table></div>")
    if look.render is not None:
        # The site's own header (brand, menu, languages) and footer, leading into the newest version.
        ctx = look.render
        themed = render_outside(ctx, "versions.html", "versions.html", newest, {
            "canonical": ctx.address.removesuffix("latest/") + "versions.html", "versions_page": "versions.html"},
            {"versions_table": table})
        if themed is not None:  # else (a warning says why) the list as below, which needs no template
            return themed.encode()
    styles = "".join(f'<link rel="stylesheet" href="{html.escape(newest + path)}">\n' for path in look.stylesheets)
    title = f"{words['title']} – {look.title}" if look.title else words["title"]
    logo = f'<img class="brand-logo" src="{html.escape(newest + look.logo)}" alt="" height="40">' if look.logo else ""
    brand = (f'<header class="site-header"><div class="wrap header-inner"><a class="brand" href="{html.escape(newest)}index.html">'
             f'{logo}<span class="brand-name">{html.escape(look.brand)}</span><span class="brand-title">{html.escape(look.title)}'
             "</span></a></div></header>\n") if look.brand or look.title else ""
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(look.lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n{look.icon_link(newest)}{styles}</head>\n<body class=\"page\">\n{brand}"
            f'<main id="main"><article class="wrap article"><header class="article-header">'
            f"<h1>{html.escape(words['title'])}</h1></header>\n"
            f"{table}</article></main>\n</body>\n</html>\n").encode()


def _when(moment: str, look: ListLook) -> str:
    """A version's date as readers write it (`26. November 2026, 13:00`, in the site's timezone).
    One without an offset (an edited versions.json) is in that timezone, not the machine's; one
    that is no date, or that no calendar has in the site's timezone (year 1 east of UTC, which
    stopped the publish with "internal error: OverflowError"), stays as written."""
    try:
        value = as_moment(datetime.fromisoformat(moment), look.tz).astimezone(look.tz)
    except (ValueError, OverflowError):
        return moment
    return f"{format_date(value, look.lang)}, {value:%H:%M}"


def redirect_page(look: ListLook) -> bytes:
    """DIR/index.html: a meta refresh and a link (no script, for a strict CSP), named like the site."""
    name = html.escape(look.title or "latest")
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(look.lang)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta http-equiv="refresh" content="0; url=latest/index.html">\n'
            f'<link rel="canonical" href="latest/">\n{look.icon_link("latest/")}<title>{name}</title>\n</head>\n<body>\n'
            f'<p><a href="latest/index.html">{name}</a></p>\n</body>\n</html>\n').encode()


# ---------------------------------------------------------------- writing

def add_version(folder: Path, outputs: OutputSet, entry: Version, versions: list[Version], look: ListLook,
                previous: Path | None = None, root: Path | None = None) -> None:
    """Write the version folder (files unchanged since the `previous` version as hard links to
    its files), then the files that point at it, all or nothing. `root`: the site folder, which
    a failure names `folder` from."""
    transaction = Transaction()
    staging: Path | None = None
    try:
        transaction.make_dirs(folder / "versions")
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder / "versions"))
        write_tree(outputs, staging, same_as=previous)
        transaction.move_in(staging, folder / "versions" / entry.id)
        transaction.replace_file(folder / "versions.json", versions_json(versions))
        transaction.replace_file(folder / "versions.html", versions_page(versions, look, "versions/"))
        inside = versions_page(versions, look, "")
        transaction.replace_file(folder / "versions" / "versions.html", inside)
        # The same list at versions/: a reader who shortens an address to it got a server's
        # "403 Forbidden" (no index file, no listing of folders) instead of the versions.
        transaction.replace_file(folder / "versions" / "index.html", inside)
        transaction.replace_file(folder / "index.html", redirect_page(look))
        if "404.html" in outputs.files:  # what GitHub Pages and `error_page 404 /404.html` send for a miss
            transaction.replace_file(folder / "404.html", outputs.files["404.html"])
        with signals_held():  # once `latest` names it, the version is published: a later Ctrl-C is no failure
            transaction.replace_link(folder / "latest", f"versions/{entry.id}")
            committed.append(folder)
    except BaseException as exc:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        transaction.rollback()
        if isinstance(exc, OSError):
            where = Path(exc.filename or folder)
            if where.name.startswith("."):  # a temporary file or folder, named at random: where it was to be made
                where = where.parent
            named = tidy_path(str(folder), root) if root else str(folder)  # as the diagnostic's own path is named
            raise fail(str(where), None, "IM050", f"cannot publish: {exc.strerror or exc}; {named} is unchanged") from None
        raise


def remove_versions(folder: Path, version_ids: list[str]) -> None:
    """Pruning, after a successful publish: out of sight by renames first (Ctrl-C held, so that no
    version stays on disk unlisted), then deleted, with whatever an interrupted pruning or a
    killed publish left."""
    versions = folder / "versions"
    with signals_held():
        for version_id in version_ids:
            try:
                os.replace(versions / version_id, tempfile.mkdtemp(prefix=f".pruned-{version_id}-", dir=versions))
            except OSError:
                continue
    remove_leftovers(folder)


#: What only a publish writes under these names, and only for a moment: its staging folder and
#: the temporary files of its renames (tempfile's 8 random characters, `_link_beside`), and the
#: versions being pruned. A publish killed outright (SIGKILL, the OOM killer, a CI runner's
#: hard time-out, a power cut) cannot remove them; they held a whole version each, and a web
#: server that shows hidden files served them.
LEFTOVER = re.compile(r"\.staging-[a-z0-9_]{8}|\.pruned-.+-[a-z0-9_]{8}"
                      r"|\.(?:versions\.json|versions\.html|index\.html|404\.html)\.[a-z0-9_]{8}|\.latest\.\d+\.tmp")


def remove_leftovers(folder: Path) -> None:
    """Delete what earlier publishes into `folder` left, after a successful publish (under its
    lock, so no other publish is writing them): a failed publish leaves DIR as it was."""
    for place in (folder, folder / "versions"):
        try:
            entries = sorted(place.iterdir())
        except OSError:
            continue
        for entry in entries:
            if not LEFTOVER.fullmatch(entry.name):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


class Transaction:
    """Changes to a folder, each with its undo, undone newest first on failure."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], Any]] = []

    def rollback(self) -> None:
        for undo in reversed(self._undo):
            try:
                undo()
            except OSError:
                pass
        self._undo.clear()

    # Each undo is registered before its change, so an interrupt between the two is still undone.

    def make_dirs(self, path: Path) -> None:
        missing = [p for p in [path, *path.parents] if not p.exists()]
        for folder in reversed(missing):
            self._undo.append(lambda folder=folder: shutil.rmtree(folder, ignore_errors=True))
            folder.mkdir()

    def move_in(self, source: Path, target: Path) -> None:
        """Rename a new folder into place (the target must not exist)."""
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "already exists", str(target))
        self._undo.append(lambda: shutil.rmtree(target) if target.exists() else None)
        os.replace(source, target)

    def replace_file(self, path: Path, data: bytes) -> None:
        old = path.read_bytes() if path.is_file() else None
        if old == data:
            return
        self._undo.append(lambda: write_file_atomic(path, old) if old is not None else path.unlink(missing_ok=True))
        write_file_atomic(path, data)

    def replace_link(self, path: Path, target: str) -> None:
        old = os.readlink(path) if path.is_symlink() else None
        self._undo.append(lambda: _link_beside(path, old) if old is not None else path.unlink(missing_ok=True))
        _link_beside(path, target)


def _link_beside(path: Path, target: str) -> None:
    """Create the symlink under a temporary name, then rename it over `path` (atomic swap)."""
    temporary = path.parent / f".{path.name}.{os.getpid()}.tmp"
    temporary.unlink(missing_ok=True)
    os.symlink(target, temporary)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- listing and comparing

def list_versions(dest: Path, audience: str | None = None) -> list[Version]:
    folder = site_folder(dest.absolute(), audience)
    if not (folder / "versions.json").exists():
        raise fail(str(folder), None, "IM170", "no published versions here",
                   hint="publish one with `im-site publish --dest DIR`")
    return read_versions(folder)


def format_versions(versions: list[Version], fmt: str = "text", deleted: frozenset[str] = frozenset()) -> str:
    """The list as text or JSON; `deleted`: ids whose folder is gone, marked in the text."""
    if fmt == "json":
        return json.dumps([asdict(v) for v in versions], ensure_ascii=False, indent=1)
    width = max((len(v.id) for v in versions), default=0)
    lines = [f"{v.id:<{width}}  {v.date}  {v.pages:>5} pages  {(v.commit or '-')[:12]:<12}"
             f"{'  latest' if v.latest else ''}{'  (folder deleted)' if v.id in deleted else ''}".rstrip()
             for v in versions]
    return "\n".join(lines)


def read_manifest(folder: Path, version_id: str) -> dict[str, dict[str, Any]]:
    """A published version's pages by URL."""
    check_version_id(version_id, where=str(folder))  # an argument of `diff`, not --version
    path = folder / "versions" / version_id / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(page["url"]): page for page in manifest_pages(data)}
    except FileNotFoundError:
        if path.parent.is_dir():
            raise fail(str(path), None, "IM170", f"version {version_id!r} has no manifest.json",
                       hint="the published folder is damaged: restore the file from a backup") from None
        raise fail(str(path.parent), None, "IM170", f"no published version {version_id!r}",
                   hint="list them with `im-site versions --dest DIR`") from None
    except DAMAGED_JSON as exc:
        raise fail(str(path), None, "IM170", f"cannot read the manifest: {exc}") from None


def diff_versions(dest: Path, old: str, new: str, audience: str | None = None) -> dict[str, Any]:
    """Pages added, removed and changed (by content, see whatsnew.page_changed) between two versions.
    `latest` names the newest version (what `latest/` points at): a CI job can compare the version
    it just published with the one before without knowing the new id."""
    folder = site_folder(dest.absolute(), audience)
    old, new = (_newest_id(folder) if given == LATEST else given for given in (old, new))
    before, after = read_manifest(folder, old), read_manifest(folder, new)

    def brief(page: dict[str, Any]) -> dict[str, Any]:
        return {key: page.get(key) for key in ("url", "title", "type", "lang")}

    return {
        "old": old, "new": new,
        "added": [brief(after[url]) for url in sorted(after.keys() - before.keys())],
        "removed": [brief(before[url]) for url in sorted(before.keys() - after.keys())],
        "changed": [brief(after[url]) for url in sorted(after.keys() & before.keys())
                    if page_changed(before[url], after[url])],
    }


def _newest_id(folder: Path) -> str:
    newest = next((version.id for version in read_versions(folder) if version.latest), None)
    if newest is None:
        raise fail(str(folder), None, "IM170", "no published versions here",
                   hint="publish one with `im-site publish --dest DIR`")
    return newest


def format_diff(diff: dict[str, Any], fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(diff, ensure_ascii=False, indent=1)
    lines = [f"{diff['old']} -> {diff['new']}"]
    for key, sign in (("added", "+"), ("removed", "-"), ("changed", "~")):
        lines.append(f"{key} ({len(diff[key])}):")
        lines.extend(f"  {sign} /{page['url']}  {page['title']}" for page in diff[key])
    return "\n".join(lines)
