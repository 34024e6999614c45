"""`init` and `new`: start a site, and start a content file, from the templates in scaffold/.

The templates are plain files with `__NAME__` placeholders, so that what a
user gets is exactly what is in the package, comments included. Nothing is
ever overwritten: `init` refuses a non-empty folder without `--force` (and
keeps the files already there with it), and `new` refuses an existing file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Callable

from .config import Config, check_option_values
from .content import split_language
from .diagnostics import fail, tidy_path
from .slugs import slugify
from .sources import is_windows_reserved
from .yamldoc import YamlProblem, load

TEMPLATES = Path(__file__).parent / "scaffold"
SITE_TEMPLATE = TEMPLATES / "site"
#: `init` writes a site for this timezone (its site.yaml says so).
INIT_TIMEZONE = "Europe/Berlin"
KINDS = ("message", "module", "kpi")
_PERIOD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*$")
#: Templates kept under a visible name in the package, written under their real one.
_HIDDEN = {"gitignore": ".gitignore"}


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _fill(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace(f"__{name}__", value)
    return text


@dataclass(frozen=True)
class Started:
    """What `init` did: the starter files written, and those kept because the folder had them."""

    written: list[Path]
    kept: list[Path]


def init_site(target: Path, now: datetime, *, force: bool = False) -> Started:
    """Write a new working site into `target`, sorted. With `force`, into a folder that is not
    empty, but a file already there is kept: `init . --force` in a repository replaced its
    .gitignore (and a site.yaml or message of the same name) without a word."""
    if target.exists() and not target.is_dir():
        raise fail(str(target), None, "IM012", "exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise fail(str(target), None, "IM012", "folder is not empty; refusing to write a site into it",
                   hint="choose a new folder, or pass --force to add the starter files anyway")
    from zoneinfo import ZoneInfo
    today = now.astimezone(ZoneInfo(INIT_TIMEZONE)).date()
    values = {"TITLE": "Intranet", "THEME": slugify(target.absolute().name, max_length=40) or "brand",
              "DATE": today.isoformat(), "REVIEW_BY": (today + timedelta(days=365)).isoformat(),
              "PERIOD": quarter_of(today)}
    written: list[Path] = []
    kept: list[Path] = []
    made: list[Path] = []
    try:
        for source in sorted(SITE_TEMPLATE.rglob("*")):
            if not source.is_file() or source.name.startswith(".") or source.suffix == ".pyc":
                continue
            rel = _fill(source.relative_to(SITE_TEMPLATE).as_posix(), values)
            destination = target / _HIDDEN.get(rel, rel)
            if os.path.lexists(destination):
                kept.append(destination)
                continue
            _make_folders(destination.parent, made)
            destination.write_text(_fill(source.read_text(encoding="utf-8"), values), encoding="utf-8")
            written.append(destination)
    except BaseException as exc:  # a full disk, a missing permission, Ctrl-C
        _take_back(written, made)
        if isinstance(exc, OSError):
            raise fail(str(exc.filename or target), None, "IM050", f"cannot write the site: {exc.strerror or exc}",
                       hint="nothing was left behind; fix that and run `im-site init` again") from None
        raise
    return Started(sorted(written), sorted(kept))


def _make_folders(folder: Path, made: list[Path]) -> None:
    """mkdir -p that notes each folder it made, so that a failed `init` can take them back."""
    for missing in reversed([path for path in (folder, *folder.parents) if not os.path.lexists(path)]):
        missing.mkdir()
        made.append(missing)


def _take_back(written: list[Path], made: list[Path]) -> None:
    """Undo a failed `init`: a half-written site would make the next try refuse a folder that is
    not empty. Only what this run wrote goes; a folder that is not empty stays."""
    for path in written:
        path.unlink(missing_ok=True)
    for folder in reversed(made):
        try:
            folder.rmdir()
        except OSError:
            pass


def new_file_path(config: Config, kind: str, title: str, lang: str, slug: str | None = None) -> Path:
    """Where `new` writes: messages/<slug>.md, training/<slug>.md, kpis/<period>.md (+ .<lang>).
    The slug comes from `slug` if given, else from the title."""
    suffix = "" if lang == config.settings.language else f".{lang}"
    if kind == "kpi":
        period = title.strip()
        if not _PERIOD.match(period):
            raise fail("TITLE", None, "IM011", f"{title!r} is not a period like 2026-Q4",
                       hint="letters, digits, '-' and '_' only")
        return config.content_dir / "kpis" / f"{period}{suffix}.md"
    folder = "messages" if kind == "message" else "training"
    return config.content_dir / folder / f"{_file_slug(title, slug)}{suffix}.md"


def _file_slug(title: str, slug: str | None) -> str:
    """The file name's slug. A title with no letter or digit (`new message "!!!"`) became
    `page.md`, and the next such title was refused as existing: it is refused instead."""
    source, where = (slug, "--slug") if slug is not None else (title, "TITLE")
    if not any(char.isalnum() for char in source):
        raise fail(where, None, "IM007", f"{source.strip()!r} has no letter or digit to make a file name from",
                   hint="give a title with letters or digits, or name the file with --slug, "
                        "e.g. --slug aktionstag" if where == "TITLE" else "e.g. --slug aktionstag")
    slug = slugify(source)
    if is_windows_reserved(slug):  # `new message Aux` wrote aux.md, which the build then refused
        raise fail(where, None, "IM011", f"{slug}.md would be a file name Windows reserves for a device",
                   hint=f"name the file with --slug, e.g. --slug {slug}-info")
    return slug


def new_page(config: Config, kind: str, title: str, lang: str | None, now: datetime, slug: str | None = None) -> Path:
    """Write a new content file with its front matter to fill in; never overwrites."""
    check_option_values(config, lang=lang)
    lang = lang or config.settings.language
    if not title.strip():
        raise fail("TITLE", None, "IM007", "the title is empty")
    path = new_file_path(config, kind, title, lang, slug)
    rel = path.relative_to(config.root).as_posix()
    if path.exists():
        stem = path.name.split(".")[0]
        raise fail(rel, None, "IM012", "already exists; refusing to overwrite it",
                   hint="edit that file; a snapshot's file is named by its period" if kind == "kpi" else
                   f"edit that file, or name the new one with --slug, e.g. --slug {stem}-2")
    today = now.astimezone(config.tz).date()
    text = _fill(_template(kind, lang), {
        "TITLE": _yaml_string(_title(kind, title, lang)), "PERIOD": _yaml_string(title.strip()),
        "DATE": today.isoformat(), "REVIEW_BY": (today + timedelta(days=365)).isoformat(),
        "KPI_LINES": _kpi_lines(config) if kind == "kpi" else "",
    })
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_new(path, text)
    except FileExistsError as exc:
        if exc.filename and Path(exc.filename) == path:  # written meanwhile by someone else
            raise fail(rel, None, "IM012", "already exists; refusing to overwrite it") from None
        raise fail(rel, None, "IM050", f"cannot write the new page: {tidy_path(str(exc.filename), config.root)} "
                   "is not a folder") from None
    except OSError as exc:
        raise fail(rel, None, "IM050", f"cannot write the new page: {exc.strerror or exc}") from None
    return path


def _write_new(path: Path, text: str) -> None:
    """Create `path` holding `text`: never over another file ("x": a race never overwrites either),
    and never half of it: a half-written page would make the next `new` refuse it as existing."""
    with open(path, "x", encoding="utf-8", newline="") as stream:  # the text's line endings, as they are
        try:
            stream.write(text)
            stream.flush()
        except BaseException:
            path.unlink(missing_ok=True)
            raise


#: What `new` writes: kind -> the template's file name.
NEW_KINDS = {"message": "message.md", "module": "module.md", "kpi": "kpi.md"}


def _template(kind: str, lang: str) -> str:
    """The template of `kind` in `lang` (`message.de.md`: German sample text and comments), else the English one."""
    name = NEW_KINDS[kind]
    local = TEMPLATES / "new" / name.replace(".md", f".{lang}.md")
    return (local if local.is_file() else TEMPLATES / "new" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def placeholder_texts() -> tuple[str, ...]:
    """The sample sentences `new` writes for the writer to replace: the summary, the objective and
    the lines of the body, read from the templates themselves so that the two never drift apart."""
    found = set()
    for template in sorted((TEMPLATES / "new").glob("*.md")):
        _, head, body = template.read_text(encoding="utf-8").split("---\n", 2)
        for line in head.splitlines():
            value = re.fullmatch(r"(?:summary:|\s+-)\s+([^#_]+?)\s*(?:#.*)?", line)
            if value:
                found.add(value.group(1))
        found.update(line for line in body.splitlines() if line.strip() and not line.startswith("#"))
    return tuple(sorted(found))


def _title(kind: str, title: str, lang: str) -> str:
    if kind != "kpi":
        return title.strip()
    return f"{'Kennzahlen' if lang == 'de' else 'KPIs'} {title.strip()}"


def _yaml_string(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML), safe for ':' and '#'."""
    return json.dumps(text, ensure_ascii=False)


def _kpi_lines(config: Config) -> str:
    """Commented example lines, one per KPI id defined in kpis/kpis.yaml."""
    path = config.content_dir / "kpis" / "kpis.yaml"
    try:
        data = load(path.read_text(encoding="utf-8-sig")).data
    except (OSError, UnicodeDecodeError, YamlProblem):
        return ""
    kpis = data.get("kpis") if isinstance(data, dict) else None
    ids = sorted(str(item["id"]) for item in kpis or [] if isinstance(item, dict) and "id" in item)
    return "".join(f"#   {kpi_id}: 0\n" for kpi_id in ids)


# ---------------------------------------------------------------- translations

#: Top-level front-matter fields a translation does not copy: it gets its own title, draft state and
#: `translated_from`; the original's old addresses (`aliases`) stay the original's.
_NOT_COPIED = ("title", "translated_from", "draft", "aliases")
_DRAFT_NOTE = {"de": "Zeile löschen, wenn die Übersetzung fertig ist",
               "en": "remove this line when the translation is ready"}


def new_translation(config: Config, kind: str, title: str, lang: str | None, original: Path,
                    source_hash: Callable[[str], str | None]) -> list[Path]:
    """Start the `lang` translation of `original` (a message, or a module with its lesson files):
    a copy beside it, named like it plus `.<lang>.md`, with `title`, `draft: true` and
    `translated_from` set to the original's hash (`source_hash(path)`, None if it cannot be read).
    Never overwrites: if any file is there already, nothing is written."""
    check_option_values(config, lang=lang)
    default = config.settings.language
    if lang is None or lang == default:
        raise fail("--lang", None, "IM007", f"a translation needs --lang, a language of site.yaml other than {default!r}",
                   hint=f"e.g. --lang {next((code for code in config.settings.languages if code != default), 'en')}")
    if not title.strip():
        raise fail("TITLE", None, "IM007", "the title is empty", hint="the translated title")
    index = _original_file(config, kind, original)
    rel = index.relative_to(config.root).as_posix()
    hash_now = source_hash(rel)
    if hash_now is None:
        raise fail(rel, None, "IM007", "cannot read this page to translate it",
                   hint="run `im-site check --drafts` and fix what it reports about this file")
    files = [index] + (_lesson_files(index.parent, config) if index.name == "index.md" else [])
    targets = [(source, source.with_name(f"{source.name[:-3]}.{lang}.md")) for source in files]
    for _, target in targets:
        if target.exists():
            raise fail(target.relative_to(config.root).as_posix(), None, "IM012", "already exists; refusing to overwrite it",
                       hint="edit that file; to see what changed in the original, compare the hash in its translated_from "
                            "with `im-site check --hashes`")
    # The page's own file gets its new head; lesson files are copied as they are.
    texts = [_translation_text(_read_original(source, config), title.strip(), hash_now, lang) if source == index
             else _read_original(source, config) for source, _ in targets]
    written: list[Path] = []
    try:
        for (_, target), text in zip(targets, texts):
            _write_new(target, text)
            written.append(target)
    except OSError as exc:
        _take_back(written, [])
        raise fail(rel, None, "IM050", f"cannot write the translation: {exc.strerror or exc}") from None
    return written


def _read_original(path: Path, config: Config) -> str:
    """A file to translate as its bytes say: line endings as they are (CRLF from a Windows editor)."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(path.relative_to(config.root).as_posix(), None, "IM010",
                   f"cannot read it to translate: {getattr(exc, 'strerror', None) or exc}") from None


def _original_file(config: Config, kind: str, original: Path) -> Path:
    """The original's own file (a folder module's index.md), checked to be one `new` can translate."""
    path = original if original.is_absolute() else Path.cwd() / original
    if path.is_dir():
        path = path / "index.md"
    shown = tidy_path(str(path), config.root)
    if not path.is_file():
        raise fail(shown, None, "IM010", "no such file to translate",
                   hint="give the original's file, e.g. content/messages/neue-kassen.md")
    try:
        rel = path.resolve().relative_to(config.content_dir.resolve()).as_posix()
    except ValueError:
        raise fail(shown, None, "IM010", "is not under this site's content/ folder") from None
    if _language_of(path.name, config):
        raise fail(shown, None, "IM007", "is a translation itself; translations start from the original "
                   f"(the page in {config.settings.language!r})")
    parts = rel.split("/")
    where = {"message": ("messages",), "module": ("training",)}.get(kind)
    if where is None or parts[0] not in where or not (len(parts) == 2 or (len(parts) == 3 and parts[2] == "index.md")):
        raise fail(shown, None, "IM007", f"--from starts the translation of a message (content/messages/) or a module "
                   f"(content/training/), not of this file as a {kind}",
                   hint="new message TITLE --lang en --from content/messages/x.md, or new module ... --from "
                        "content/training/x.md (a folder module: its folder or index.md)")
    return config.content_dir / rel


def _language_of(name: str, config: Config) -> str:
    """The language suffix of a content file's name (`x.en.md`: 'en'), '' for none of the site's."""
    return split_language(name.removesuffix(".md"), config.languages)[1]


def _lesson_files(folder: Path, config: Config) -> list[Path]:
    """A folder module's lesson files in the original language, sorted by name."""
    return sorted(path for path in folder.glob("*.md")
                  if path.name != "index.md" and path.is_file() and not _language_of(path.name, config))


def _translation_text(text: str, title: str, source_hash: str, lang: str) -> str:
    """The original's file as its translation starts: the same front matter and text, but for the
    original's title, draft state, `translated_from` and aliases, which give way to the new head."""
    newline = "\r\n" if "\r\n" in text else "\n"  # as the original's file has them (Windows editors)
    lines = text.split(newline)
    end = next((index for index in range(1, len(lines)) if lines[index].rstrip() in ("---", "...")), None)
    if lines[0].rstrip() != "---" or end is None:  # no front matter: the new head only
        lines, end = ["---", "---", *lines], 1
    kept: list[str] = []
    skipping = False  # in a field not copied: its key's line and those continuing its value
    for line in lines[1:end]:
        field = re.match(r"""(["']?)([A-Za-z_][\w-]*)\1\s*:""", line)
        if field:
            skipping = field.group(2) in _NOT_COPIED
        elif line.startswith("#"):  # a comment of its own (`# author: ...`), not part of a value
            skipping = False
        if not skipping:
            kept.append(line)
    head = [f"title: {_yaml_string(title)}",
            f'translated_from: "{source_hash}"   # the original\'s hash (im-site check --hashes)',
            f"draft: true                       # {_DRAFT_NOTE.get(lang, _DRAFT_NOTE['en'])}"]
    return newline.join([lines[0], *head, *kept, *lines[end:]])
