"""Safe YAML with line numbers: the one YAML reader of site.yaml, front matter and KPI files.

PyYAML's defaults are wrong for hand-written content in three ways that cost
other generators real bugs: duplicate keys silently keep the last value (so
`draft: true` then `draft: false` publishes a draft), YAML 1.1 turns `NO` into
False, `12:30` into 750 and `0755` into 493, and aliases allow "billion laughs"
documents. This reader composes the node tree (which carries marks), refuses
duplicates, aliases and unknown tags, resolves scalars by the YAML 1.2 core
schema, and records the line of every key so that schema errors can name it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from .sources import NONCHARACTER, noncharacter_message

if TYPE_CHECKING:
    from .diagnostics import Diagnostics

Path = tuple[Any, ...]

_INT = re.compile(r"[-+]?[0-9]+$")
_OCT = re.compile(r"0o[0-7]+$")
_HEX = re.compile(r"0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(inf|Inf|INF)$|\.(nan|NaN|NAN)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = {"", "~", "null", "Null", "NULL"}
MAX_DEPTH = 50


class YamlProblem(Exception):
    """A YAML document that cannot be used; `line` is 1-based within the text given."""

    def __init__(self, message: str, line: int | None, column: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint

    def report(self, diagnostics: "Diagnostics", path: str) -> None:
        """Add this problem to `diagnostics` as error IM003 of the file `path`, at its line and column."""
        diagnostics.error(path, self.line, "IM003", self.message, column=self.column, hint=self.hint)


#: What the YAML parser's words usually mean in front matter a person wrote, as a hint.
_HINTS = (
    ("mapping values are not allowed", 'a value with ": " in it needs quotes: title: "Frische: unser Versprechen"'),
    ("did not find expected key", "a value that starts with a quote must end with it; quote all of it: "
                                  "title: '\"Frische\" ist Haltung'"),
    ("cannot start any token", 'a value that starts with @ or ` needs quotes: title: "@Zentrale grüßt"'),
    ("while scanning a quoted scalar", "a quote is not closed"),
    ("flow sequence", "a list in [ ] is not closed, or an item with a comma or \": \" in it needs quotes"),
)
_HASHTAG_IN_LIST = re.compile(r"[\[,][ \t]*#")
_INDENT_HINT = "this line is indented further than the key before it allows: line up keys of one level"


def _hint(message: str, text: str, line: int | None, column: int | None) -> str | None:
    lines = text.splitlines()
    here = lines[line - 1] if line and line <= len(lines) else ""
    indented = here[:1].isspace()
    if "flow" in message and _HASHTAG_IN_LIST.search(text):
        return "a # starts a comment, which cut the list short: quote a hashtag (tags: ['#frische'])"
    if "mapping values are not allowed" in message and indented and here.count(": ") == 1:
        return _INDENT_HINT
    if "did not find expected key" in message and indented and column == len(here) - len(here.lstrip()) + 1:
        return _INDENT_HINT  # the parser stopped at the start of the indented key, not after a quote
    if "mapping values are not allowed" in message:
        quoted = _quoted_line(here)
        if quoted:
            return f'a value with ": " in it needs quotes: {quoted}'
    return next((hint for words, hint in _HINTS if words in message), None)


def _tab_indented(text: str, line: int | None) -> int | None:
    """`line` (1-based) or the one before it, when its indentation holds a tab, which YAML refuses:
    PyYAML names the tab or the token after it, where the hints for the usual slips would mislead."""
    lines = text.splitlines()
    for number in (line, line - 1) if line else ():
        here = lines[number - 1] if 0 < number <= len(lines) else ""
        if here.strip() and "\t" in here[:len(here) - len(here.lstrip(" \t"))]:
            return number
    return None


def _quoted_line(line: str) -> str | None:
    """`summary: Frische: für alle` as it should be written, `summary: "Frische: für alle"`; None
    when the line is not a plain key and an unquoted value of a reasonable length."""
    key, _, value = line.strip().partition(": ")
    value = value.strip()
    if not re.fullmatch(r"[A-Za-z_][\w-]*", key) or not value or len(value) > 80 or value[0] in "\"'[{|>":
        return None
    return f"{key}: '{value}'" if '"' in value else f'{key}: "{value}"'


_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """Composes nodes (with libyaml when present) using YAML 1.2 core resolution.

    Aliases are refused while converting (an alias is the same node object
    seen twice), which works with both the C and the pure-Python composer.
    """


_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:timestamp",
    # Seconds may be left out: `publish_at: 2027-01-15 08:00` is how people write a time.
    re.compile(r"^(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]*)?)?"
               r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?)$"),
    list("0123456789"))


@dataclass
class YamlDoc:
    """Plain Python data plus the line of each key path (1-based, in the file)."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    first_line: int = 1

    def line_of(self, path: Path) -> int:
        """The line of the deepest known prefix of `path` (a key or index path)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), self.first_line)


def load(text: str, *, line_offset: int = 0, problems: list[tuple[Path, YamlProblem]] | None = None) -> YamlDoc:
    """Parse one YAML document. `line_offset` is added to every line (front matter).

    Raises YamlProblem with the line in the file for anything unusable. Given a
    `problems` list, a value that is unusable on its own (`date: 2026-13-45`,
    `draft: yes please` tagged as a boolean) is added to it with its key path
    and kept as the text written, so that the rest of the document is still read
    and checked: every problem of a file is reported in one run.
    """
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except YamlProblem as problem:
        raise YamlProblem(problem.message, _shift(problem.line, line_offset), problem.column, problem.hint) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        if "expected a single document" in message:
            message = "a second YAML document ('---') is not allowed here"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        tab = _tab_indented(text, line)
        if tab is not None and "tab" not in message:
            message += " (tabs are not allowed for indentation in YAML)"
        where = "this line" if tab == line else f"line {_shift(tab, line_offset)}"
        hint = (f"{where} is indented with a tab, which editors show like spaces: indent with spaces"
                if tab is not None else _hint(message, text, line, column))
        raise YamlProblem(message, _shift(line, line_offset), column, hint) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {exc}", None) from None
    except RecursionError:
        raise YamlProblem("YAML nested too deeply", line_offset + 1 if line_offset else 1) from None
    doc = YamlDoc(None, {}, line_offset + 1)
    if node is None:
        return doc
    doc.data = _convert(node, (), doc.lines, line_offset, 0, problems=problems)
    return doc


def _shift(line: int | None, offset: int) -> int | None:
    return None if line is None else line + offset


def _convert(node: yaml.Node, path: Path, lines: dict[Path, int], offset: int, depth: int,
             seen: set[int] | None = None, problems: list[tuple[Path, YamlProblem]] | None = None) -> Any:
    line = node.start_mark.line + 1 + offset
    lines.setdefault(path, line)
    seen = set() if seen is None else seen
    if id(node) in seen:
        raise YamlProblem("aliases (*name) are not allowed", line)
    seen.add(id(node))
    if depth > MAX_DEPTH:
        raise YamlProblem(f"YAML nested deeper than {MAX_DEPTH} levels", line)
    if isinstance(node, yaml.MappingNode):
        return _convert_mapping(node, path, lines, offset, depth, seen, problems)
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            raise YamlProblem(f"unsupported YAML tag {node.tag}", line)
        return [_convert(item, path + (i,), lines, offset, depth + 1, seen, problems) for i, item in enumerate(node.value)]
    try:
        return _scalar(node, line)
    except YamlProblem as problem:
        if problems is None:
            raise
        problems.append((path, problem))
        return node.value


def _convert_mapping(node: yaml.MappingNode, path: Path, lines: dict[Path, int], offset: int, depth: int,
                     seen: set[int], problems: list[tuple[Path, YamlProblem]] | None) -> dict:
    if node.tag != "tag:yaml.org,2002:map":
        raise YamlProblem(f"unsupported YAML tag {node.tag}", node.start_mark.line + 1 + offset)
    result: dict[Any, Any] = {}
    first_lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key_line = key_node.start_mark.line + 1 + offset
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise YamlProblem("merge keys (<<) are not allowed", key_line)
        key = _convert(key_node, path + ("<key>",), {}, offset, depth + 1, seen)
        if isinstance(key, (dict, list)):
            raise YamlProblem("a mapping key must be a plain value", key_line)
        if key in first_lines:
            raise YamlProblem(f"duplicate key {key!r} (first on line {first_lines[key]}, again on line {key_line})",
                              key_line)
        first_lines[key] = key_line
        lines[path + (key,)] = key_line
        if id(value_node) in seen:
            raise YamlProblem("aliases (*name) are not allowed", key_line)
        result[key] = _convert(value_node, path + (key,), lines, offset, depth + 1, seen, problems)
        lines[path + (key,)] = key_line
    return result


def _scalar(node: yaml.ScalarNode, line: int) -> Any:
    tag, value = node.tag, node.value
    if tag == "tag:yaml.org,2002:str":
        if found := NONCHARACTER.search(value):  # written as an escape ("\\uFDD0"): the file's text had none
            raise YamlProblem(noncharacter_message(found.group()), line)
        return value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        if value in _BOOL:
            return _BOOL[value]
        raise YamlProblem(f"{value!r} is not a boolean (use true or false)", line)
    if tag == "tag:yaml.org,2002:int":
        return _int(value, line)
    if tag == "tag:yaml.org,2002:float":
        return _float(value, line)
    if tag == "tag:yaml.org,2002:timestamp":
        return _timestamp(value, line)
    raise YamlProblem(f"unsupported YAML tag {tag}", line)


def _int(value: str, line: int) -> int:
    if _INT.match(value):
        return int(value, 10)
    if _OCT.match(value):
        return int(value[2:], 8)
    if _HEX.match(value):
        return int(value[2:], 16)
    raise YamlProblem(f"{value!r} is not an integer", line)


def _float(value: str, line: int) -> float:
    if _SPECIAL_FLOAT.match(value):
        lowered = value.lower()
        return math.nan if "nan" in lowered else (-math.inf if lowered.startswith("-") else math.inf)
    if _FLOAT.match(value):
        return float(value)
    raise YamlProblem(f"{value!r} is not a number", line)


def _timestamp(value: str, line: int) -> dt.date | dt.datetime:
    try:
        if len(value) <= 10:
            year, month, day = (int(part) for part in value.split("-"))
            return dt.date(year, month, day)
        return dt.datetime.fromisoformat(re.sub(r"[ \t]+", "T", value.strip(), count=1).replace("Z", "+00:00"))
    except ValueError:
        short = re.fullmatch(r"(\S+[Tt ]+)(\d)(:\d\d.*)", value.strip())
        hint = f"write the hour with two digits: {short[1]}0{short[2]}{short[3]}" if short else None
        raise YamlProblem(f"{value!r} is not a valid date", line, hint=hint) from None
