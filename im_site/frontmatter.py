"""Front matter: split the YAML block off a Markdown file and validate it per content type.

Line numbers in every problem are lines of the .md file, not of the block.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from .diagnostics import Diagnostics
from .schema import Strict, validate
from .sources import Kind, is_windows_reserved
from .urls import SAFE_SCHEMES, is_safe_url
from .yamldoc import YamlDoc, YamlProblem, load

Moment = date | datetime
_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]*$")


def check_slug(value: str) -> str:
    """A slug is one safe path segment: no '/', '..', percent escapes or reserved names."""
    if not _SLUG.match(value) or ".." in value or len(value.encode()) > 200:
        raise ValueError(f"{value!r} is not a valid slug (lowercase letters, digits, '-', at most 200 bytes)")
    if is_windows_reserved(value):
        raise ValueError(f"{value!r} is a reserved file name on Windows")
    return value


def check_alias(value: str) -> str:
    """An old URL of a page, as the folder path im-site made it (`/messages/alter-name/`):
    returned without its leading slash (`messages/alter-name/`)."""
    segments = value.strip().strip("/").split("/")
    try:
        for segment in segments:
            check_slug(segment)
    except ValueError:
        raise ValueError(f"{value!r} is not a path of this site like /messages/alter-name/") from None
    return "/".join(segments) + "/"


def _safe_url_or_path(value: str | None) -> str | None:
    if value is not None and not is_safe_url(value):
        raise ValueError(f"URL scheme not allowed (use {', '.join(SAFE_SCHEMES)} or a path)")
    return value


#: A theme template a page may choose: a relative .html path below templates/.
_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_][\w.-]*(?:/[A-Za-z0-9_][\w.-]*)*\.html")


class CommonMeta(Strict):
    """Fields every Markdown file may have."""

    title: str
    summary: str | None = None
    lang: str | None = None
    translation_key: str | None = None
    translated_from: str | None = None
    audiences: list[str] | None = None
    pillars: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    draft: bool = False
    publish_at: Moment | None = None
    expires: Moment | None = None
    weight: int = 0
    slug: str | None = None
    image: str | None = None
    image_alt: str | None = None
    #: Old URLs of this page (`/messages/alter-name/`): each gets a page that sends readers on.
    aliases: list[str] = Field(default_factory=list)
    #: A template of the theme to render the page with instead of its type's (`contact.html`).
    template: str | None = None

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        return None if value is None else check_slug(value)

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        return _safe_url_or_path(value)

    @field_validator("template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None and (not _TEMPLATE_NAME.fullmatch(value) or ".." in value):
            raise ValueError(f"{value!r} is no template name: a file below the theme's templates/ folder, "
                             "such as contact.html or seiten/kontakt.html")
        return value

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        return [check_alias(alias) for alias in value]

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("title is empty")
        return value


class MessageMeta(CommonMeta):
    date: Moment
    author: str | None = None
    author_url: str | None = None
    role: str | None = None
    pinned: bool = False
    must_read: bool = False

    @field_validator("author_url")
    @classmethod
    def _author_url(cls, value: str | None) -> str | None:
        return _safe_url_or_path(value)


class QuizItem(Strict):
    """One question of a module's self-check quiz; its broken rules are IM133 quiz."""

    problem_code: ClassVar[str] = "IM133"

    question: str
    options: list[str]
    answer: int | list[int]
    explain: str | None = None

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value

    @field_validator("options")
    @classmethod
    def _options_distinct(cls, value: list[str]) -> list[str]:
        """Two options reading alike (a copied line) look the same to the reader, yet only one of
        them may be the answer: picking the other is scored wrong. Fewer than two options is no
        choice (said so, not as pydantic's "List should have at least 2 items after validation")."""
        if len(value) < 2:
            raise ValueError(f"a question needs at least two options to choose from, not {len(value)}")
        seen: dict[str, int] = {}
        for index, option in enumerate(value):
            if not option.strip():
                raise ValueError(f"option {index} is empty")
            key = " ".join(option.split()).casefold()
            if key in seen:
                raise ValueError(f"options {seen[key]} and {index} both read {option.strip()!r}: "
                                 "the reader cannot tell them apart")
            seen[key] = index
        return value

    @field_validator("answer")
    @classmethod
    def _answer_in_range(cls, value: int | list[int], info: ValidationInfo) -> int | list[int]:
        """Checked on the field itself so the problem is reported at the `answer:` line."""
        answers = value if isinstance(value, list) else [value]
        if not answers:
            raise ValueError("answer lists no option")
        if len(set(answers)) != len(answers):
            raise ValueError("answer names the same option twice")
        options = info.data.get("options")
        if options is None:  # options are invalid themselves and reported already
            return value
        for index in answers:
            if not 0 <= index < len(options):
                raise ValueError(f"answer {index} is outside the options (0 to {len(options) - 1}; "
                                 "the first option is 0)")
        return value

    @property
    def answers(self) -> list[int]:
        return sorted(self.answer) if isinstance(self.answer, list) else [self.answer]


class ModuleMeta(CommonMeta):
    duration: int | None = Field(default=None, ge=0)
    level: str | None = None
    objectives: list[str] = Field(default_factory=list)
    prerequisites: list[str] = Field(default_factory=list)
    owner: str | None = None
    review_by: date | None = None
    #: Per cent of the quiz's questions (rounded up) a reader must get right to pass; None: the default.
    pass_mark: int | None = None
    quiz: list[QuizItem] = Field(default_factory=list)

    @field_validator("pass_mark")
    @classmethod
    def _pass_mark(cls, value: int | None) -> int | None:
        """0 % would pass a reader who answered nothing, over 100 % nobody: both are slips."""
        if value is not None and not 1 <= value <= 100:
            raise ValueError(f"{value} is no pass mark: a per cent of the questions from 1 to 100 (100: every answer right)")
        return value


class LessonMeta(Strict):
    title: str
    weight: int | None = None
    draft: bool = False


def _finite_number(value: int | float) -> int | float:
    """NaN and infinity are YAML floats but no KPI value; reported at the value's own line."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return value


Number = Annotated[int | float, AfterValidator(_finite_number)]


class SnapshotMeta(CommonMeta):
    period: str
    date: Moment | None = None
    baseline: bool = False
    values: dict[str, Number] = Field(default_factory=dict)
    segments: dict[str, dict[str, Number]] = Field(default_factory=dict)
    respondents: dict[str, int] = Field(default_factory=dict)
    data: str | None = None


META_BY_KIND: dict[str, type[CommonMeta] | type[LessonMeta]] = {
    "message": MessageMeta, "training": ModuleMeta, "lesson": LessonMeta,
    "kpi_snapshot": SnapshotMeta, "page": CommonMeta,
}


@dataclass(frozen=True)
class Parsed:
    """A Markdown file split into validated metadata and body."""

    meta: Any
    doc: "YamlDoc | LazyDoc"
    body: str
    body_line: int  # the 1-based line of the file on which the body starts
    block: str | None = None  # the front matter's text


class LazyDoc:
    """The line map of a front matter block read from the cache (its text, or its text as UTF-8
    bytes), parsed only if a problem needs a line."""

    def __init__(self, block: str | bytes | None):
        self._block, self._doc = block, None

    def line_of(self, path: Any) -> int:
        if self._doc is None:
            block = self._block.decode("utf-8", "surrogatepass") if isinstance(self._block, bytes) else self._block
            try:
                self._doc = load(block, line_offset=1) if block is not None else YamlDoc({}, {}, 1)
            except YamlProblem:  # cannot happen for a block that parsed before; no line then
                self._doc = YamlDoc({}, {}, 1)
        return self._doc.line_of(path)


def split(text: str) -> tuple[str | None, str, int]:
    """(front matter text or None, body, body's first line). Raises YamlProblem if unclosed."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, text, 1
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
    raise YamlProblem("front matter starts with '---' on line 1 but is never closed", 1)


def body_of(text: str) -> tuple[str, int] | None:
    """(body, its first line) of a file whose front matter has problems, unless the front matter
    cannot be read as YAML or says `draft: true` (a draft's links are not checked either)."""
    try:
        block, body, body_line = split(text)
        data = load(block, line_offset=1, problems=[]).data if block is not None else {}
    except YamlProblem:
        return None
    return None if isinstance(data, dict) and data.get("draft") is True else (body, body_line)


def parse(text: str, path: str, kind: Kind, diagnostics: Diagnostics) -> Parsed | None:
    """Split and validate a Markdown file; None after reporting its problems."""
    values: list[tuple[tuple[Any, ...], YamlProblem]] = []  # values unusable on their own (date: 2026-13-45)
    try:
        block, body, body_line = split(text)
        doc = load(block, line_offset=1, problems=values) if block is not None else YamlDoc({}, {}, 1)
    except YamlProblem as problem:
        problem.report(diagnostics, path)
        return None
    for _, problem in values:
        problem.report(diagnostics, path)
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        diagnostics.error(path, doc.first_line, "IM004", "front matter must be a mapping of keys (title: ...)")
        return None
    if block is None and "title" not in doc.data:
        diagnostics.error(path, 1, "IM007", "missing front matter with a title",
                          hint="start the file with ---, title: ..., ---")
        return None
    # The other keys are checked too (an unknown key, a missing title), but not those already reported.
    meta = validate(META_BY_KIND[kind], doc, path, diagnostics, reported={key_path for key_path, _ in values})
    if meta is None or values:
        return None
    return Parsed(meta, doc, body, body_line, block)
