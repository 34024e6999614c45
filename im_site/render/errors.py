"""Template errors in a theme author's words: which variable lacks what, and what it does have.

Jinja says `'im_site.config.SiteSettings object' has no attribute 'contact_phone'` or
`'dict object' has no attribute 'contact_titel'`: the class of a value, never the name the
template gave it, and nothing about the names that do exist. Here the values the template
got are searched for the one of that class that has a name close to the missing one.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from typing import Any

import jinja2
from pydantic import BaseModel

from ..model import once

_NO_ATTRIBUTE = re.compile(r"^'(?P<kind>[\w.]+) object' has no attribute '(?P<name>[^']*)'$")
_UNDEFINED = re.compile(r"^'(?P<name>\w+)' is undefined$")


def explain(message: str, values: dict[str, Any]) -> tuple[str, str | None]:
    """(the message, a hint) for a Jinja error `message` raised while rendering with `values`
    (the template's variables and the environment's functions)."""
    undefined = _UNDEFINED.match(message)
    if undefined is not None:
        close = difflib.get_close_matches(undefined.group("name"), sorted(values), n=1, cutoff=0.75)
        return message, f"did you mean {close[0]}?" if close else None
    found = _NO_ATTRIBUTE.match(message)
    if found is None:
        return message, None
    kind, name = found.group("kind"), found.group("name")
    candidates, seen = [], set()
    for variable, value in _reachable(values):
        if _kind_of(value) == kind and id(value) not in seen:  # each value once, by its first name
            seen.add(id(value))
            candidates.append((variable, value))
    for variable, value in candidates:
        close = difflib.get_close_matches(name, _names(value), n=1, cutoff=0.75)
        if close:
            return (f"{variable} has no {_what(variable)} {name!r}", f"did you mean {variable}.{close[0]}?")
    if len(candidates) == 1:
        variable, value = candidates[0]
        known = _names(value)
        listed = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
        return f"{variable} has no {_what(variable)} {name!r}", f"{variable} has: {listed}" if known else None
    return f"{kind.rpartition('.')[2]} has no attribute {name!r}", None


_NO_FILTER = re.compile(r"^No (?P<what>filter|test) named '(?P<name>[^']*)'")


def syntax_hint(message: str, env: jinja2.Environment) -> str | None:
    """A hint for a template syntax error: the filter or test meant (`|datum` for `|date`)."""
    found = _NO_FILTER.match(message)
    if found is None:
        return None
    known = sorted(env.filters if found.group("what") == "filter" else env.tests)
    close = difflib.get_close_matches(found.group("name"), known, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _reachable(values: dict[str, Any]) -> list[tuple[str, Any]]:
    """The variables, then the attributes of those that are objects (`page.meta`, `site.brand`):
    `site` is named before `config.settings`, the same object."""
    variables = [(variable, value) for variable, value in sorted(values.items()) if not variable.startswith("_")]
    found = list(variables)
    for variable, value in variables:
        if isinstance(value, BaseModel) or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
            for name in _names(value):
                try:
                    found.append((f"{variable}.{name}", getattr(value, name)))
                except Exception:  # noqa: BLE001 - a property that fails is no candidate
                    continue
    return found


def _kind_of(value: Any) -> str:
    """The class name as Jinja's message writes it (`dict`, `im_site.config.SiteSettings`)."""
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _readable(name: str, attribute: Any) -> bool:
    """A property, or a value a page works out once (`model.once`: its tags, date, title...)."""
    return isinstance(attribute, property) or (isinstance(attribute, once) and not name.startswith("_"))


def _names(value: Any) -> list[str]:
    """What a template can read of `value` with a dot, sorted."""
    if isinstance(value, dict):
        return sorted(key for key in value if isinstance(key, str))
    if isinstance(value, BaseModel):
        return sorted(type(value).model_fields)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name for field in dataclasses.fields(value)}
        return sorted(fields | {name for name in dir(type(value)) if _readable(name, getattr(type(value), name, None))})
    return sorted(name for name in dir(value) if not name.startswith("_"))


def _what(variable: str) -> str:
    return "string" if variable == "t" else "attribute"
