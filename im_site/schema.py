"""Validate YAML data against a pydantic model and report problems at their YAML lines.

Models are strict: a field gets the type it declares or an error, never a
silent cast (YAML's `NO`, `12:30` and `0755` stay strings or numbers, and a
string field given a number is reported). Unknown keys are errors with a
"did you mean" hint.
"""

from __future__ import annotations

import copyreg
import difflib
import functools
import math
import pickle
import re
from datetime import date
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from .diagnostics import Diagnostics
from .yamldoc import YamlDoc

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base of every schema: frozen, strict, unknown keys forbidden."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              defer_build=True)  # schemas built when first used: 0.2 s off every start

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its values in field order and which of them were given.

        pydantic's own pickling sends every field's name along with the set of
        given ones and restores through Python code: the front matter of 10,000
        cached pages took 0.33 s to load on every rebuild, this a third of it.
        """
        if self.__pydantic_private__ or self.__pydantic_extra__:  # none of ours has either
            return copyreg.__newobj__, (type(self),), self.__getstate__()
        return restore, (type(self), *values_of(self))


def values_of(model: Strict) -> tuple[tuple[Any, ...], int]:
    """A model's values in field order and a mask of the fields given: what `restore` takes."""
    names = _fields_in_order(type(model))
    given = model.__pydantic_fields_set__
    return tuple(model.__dict__[name] for name in names), sum(1 << index for index, name in enumerate(names) if name in given)


@functools.lru_cache(maxsize=None)
def _fields_in_order(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(model.model_fields)


@functools.lru_cache(maxsize=None)
def _given(model: type[BaseModel], mask: int) -> frozenset[str]:
    return frozenset(name for index, name in enumerate(_fields_in_order(model)) if mask >> index & 1)


def restore(model: type[M], values: tuple[Any, ...] | list[Any], mask: int) -> M:
    """The model of `values_of` (and `Strict.__reduce__`), as validation made it (nothing is validated again)."""
    names = _fields_in_order(model)
    if len(values) != len(names):
        raise ValueError(f"{len(values)} values for the {len(names)} fields of {model.__name__}")
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", dict(zip(names, values)))
    object.__setattr__(instance, "__pydantic_fields_set__", set(_given(model, mask)))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


#: The types whose values marshal gives back as they were (exactly these: it writes a subclass's
#: value as its base type's, and refuses a date).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def plain_values(model: Strict) -> tuple[tuple[Any, ...], int, tuple[tuple[int, Any], ...]]:
    """`values_of` in a form marshal can write, and `restore_plain` restore: (values, mask, others).

    The values that are no plain data (str, int, float, bool, None and lists, tuples and dicts of
    them) are None in `values`, and in `others` by their index: a date as its day number, a list of
    models of the field's item type (a module's quiz) as their own plain values, anything else
    (a date with a time) pickled. Loading 10,000 cached pages' front matter with marshal took
    about half the CPU of unpickling it (content.py keeps the entries so).
    """
    values, mask = values_of(model)
    others: list[tuple[int, Any]] = []
    for index, value in enumerate(values):
        if _is_plain(value):
            continue
        item_model = _item_model(type(model), index)
        if type(value) is date:
            others.append((index, value.toordinal()))
        elif type(value) is list and item_model is not None and all(type(item) is item_model for item in value):
            others.append((index, tuple(plain_values(item) for item in value)))
        else:
            others.append((index, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))
    if others:
        replaced = dict(others)
        values = tuple(None if index in replaced else value for index, value in enumerate(values))
    return values, mask, tuple(others)


def restore_plain(model: type[M], values: tuple[Any, ...], mask: int, others: tuple[tuple[int, Any], ...]) -> M:
    """The model of `plain_values` (raises for values of another form)."""
    if others:
        values = list(values)  # type: ignore[assignment]
        for index, other in others:
            kind = type(other)
            if kind is int:
                values[index] = date.fromordinal(other)  # type: ignore[index]
            elif kind is bytes:
                values[index] = pickle.loads(other)  # type: ignore[index]
            else:
                item_model = _item_model(model, index)
                if item_model is None:
                    raise TypeError(f"no models in field {index} of {model.__name__}")
                values[index] = [restore_plain(item_model, *item) for item in other]  # type: ignore[index]
    return restore(model, values, mask)


def _is_plain(value: Any) -> bool:
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind is list or kind is tuple:
        return all(map(_is_plain, value))
    return kind is dict and all(type(key) in _PLAIN and _is_plain(item) for key, item in value.items())


@functools.lru_cache(maxsize=None)
def _item_model(model: type[BaseModel], index: int) -> type[Strict] | None:
    """The model of the items of a model's field (`list[QuizItem]`), by the field's index; or None."""
    names = _fields_in_order(model)
    if not 0 <= index < len(names):
        return None
    found = [arg for arg in get_args(model.model_fields[names[index]].annotation)
             if isinstance(arg, type) and issubclass(arg, Strict)]
    return found[0] if len(found) == 1 else None


_EXPECTED = {
    "string_type": "a text", "int_type": "a whole number", "float_type": "a number",
    "bool_type": "true or false", "list_type": "a list", "dict_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)", "datetime_type": "a date and time",
    "model_type": "a mapping", "int_from_float": "a whole number",
    "finite_number": "a finite number",
    "date_or_time": "a date (YYYY-MM-DD) or a date and time (YYYY-MM-DD HH:MM)",
}


def validate(model: type[M], doc: YamlDoc, path: str, diagnostics: Diagnostics,
             *, prefix: tuple[Any, ...] = (), reported: set[tuple[Any, ...]] | None = None) -> M | None:
    """The model instance, or None after adding every problem to `diagnostics`; problems at the
    key paths in `reported` (reported already, while reading the YAML) are left out."""
    data = doc.data if not prefix else _lookup(doc.data, prefix)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        earlier = reported or set()
        reported = set()
        errors = _inside_lists_only(exc.errors(include_url=False))
        for error in _unions_as_one(errors):
            key_path, message = _describe(error, data, model)
            if key_path in reported or any(key_path[:len(done)] == done for done in earlier):
                continue
            reported.add(key_path)
            diagnostics.error(path, doc.line_of(prefix + key_path), _code(error, model), message,
                              hint=_hint(error, key_path, data, model))
        return None


#: Unions whose members pydantic reports one by one (`int | float`, `date | datetime`): the
#: member names at the end of each error's location, and the one error that says it for both.
_UNIONS = {("int", "float"): "float_type", ("date", "datetime"): "date_or_time"}


def _unions_as_one(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A value that fits no member of a union is reported once, as not fitting the union."""
    merged: dict[tuple[Any, ...], str] = {}
    dropped: set[tuple[Any, ...]] = set()
    for members, kind in _UNIONS.items():
        places = [{error["loc"][:-1] for error in errors if error["loc"][-1:] == (member,)} for member in members]
        for place in set.intersection(*places):
            merged[place + (members[0],)] = kind
            dropped.update(place + (member,) for member in members[1:])
    return [{**error, "type": merged.get(tuple(error["loc"]), error["type"])}
            for error in errors if tuple(error["loc"]) not in dropped]


def _inside_lists_only(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For a list given to a union of a value and a list of values (`answer: int | list[int]`)
    whose items are wrong, only the items' errors: `answer: [true, 0]` was also "should be a whole
    number, not a list", which sent the writer to write one number."""
    into_items = {tuple(error["loc"][:index]) for error in errors for index, part in enumerate(error["loc"])
                  if isinstance(part, str) and part.startswith("list[") and len(error["loc"]) > index + 1}
    return [error for error in errors
            if not (tuple(error["loc"][:-1]) in into_items and str(error["loc"][-1]) in _SCALARS)]


#: The union members `_inside_lists_only` drops beside a list member that reached the items.
_SCALARS = frozenset({"int", "float", "str", "bool", "date", "datetime"})


def _lookup(data: Any, keys: tuple[Any, ...]) -> Any:
    for key in keys:
        data = data[key]
    return data


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """The part of a pydantic location that names real keys (union tags dropped)."""
    kept: list[Any] = []
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            continue
        kept.append(part)
    return tuple(kept)


def _dotted(keys: tuple[Any, ...]) -> str:
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text or "document"


def _describe(error: dict[str, Any], data: Any, model: type[BaseModel]) -> tuple[tuple[Any, ...], str]:
    kind, loc = error["type"], tuple(error["loc"])
    if kind == "missing":
        parent = _data_path(loc[:-1], data)
        return parent + (loc[-1],), f"missing required key '{_dotted(parent + (loc[-1],))}'"
    if kind == "extra_forbidden":
        parent = _data_path(loc[:-1], data)
        return parent + (loc[-1],), f"unknown key '{_dotted(parent + (loc[-1],))}'"
    key_path = _data_path(loc, data)
    value = error.get("input")
    if kind in _EXPECTED or kind.endswith("_type"):
        expected = _EXPECTED.get(kind, kind.removesuffix("_type").replace("_", " "))
        return key_path, f"'{_dotted(key_path)}' should be {expected}, not {_show(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return key_path, f"'{_dotted(key_path)}' should be a finite number, not {value}"
    message = error.get("msg", "invalid value")
    message = message.removeprefix("Value error, ")
    return key_path, f"'{_dotted(key_path)}': {message}"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return f"{text[:60]}…" if len(text) > 60 else f"{text} ({type(value).__name__})"


def _code(error: dict[str, Any], model: type[BaseModel]) -> str:
    """IM005/IM007 for unknown and missing keys, IM006 for a wrong type; a value of the right type
    that breaks a rule of its model gets the model's own code (`problem_code`) where it has one, so a
    quiz answer outside the options is IM133 quiz, not IM006 wrong-type."""
    kind = error["type"]
    if kind in ("missing", "extra_forbidden"):
        return "IM007" if kind == "missing" else "IM005"
    if kind in _EXPECTED or kind.endswith("_type"):
        return "IM006"
    return getattr(_model_at(model, tuple(error["loc"])), "problem_code", "IM006")


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel]:
    """The innermost model along a pydantic location (the one whose field the error is on)."""
    current = model
    for key in (key for key in loc if not isinstance(key, int)):
        field = current.model_fields.get(key) if isinstance(key, str) else None
        inner = _inner_model(field.annotation) if field is not None else None
        if inner is None:
            return current
        current = inner
    return current


def _hint(error: dict[str, Any], key_path: tuple[Any, ...], data: Any, model: type[BaseModel]) -> str | None:
    if error["type"] == "int_type" and isinstance(error.get("input"), str) and key_path[-1:] == ("answer",):
        return _answer_hint(error["input"], key_path, data)
    if key_path[-1:] == ("pass_mark",) and error["type"] in ("int_type", "int_from_float"):
        return _pass_mark_hint(error.get("input"))
    if error["type"] in ("int_type", "float_type") and isinstance(error.get("input"), str):
        return _number_hint(error["input"], key_path)
    if error["type"] in ("date_type", "datetime_type", "date_or_time") and isinstance(error.get("input"), str):
        return _date_hint(error["input"], key_path)
    if error["type"] == "string_type" and error["loc"][-1:] == ("[key]",):
        return _split_number_hint(key_path, data)
    number = error.get("input")
    if error["type"] == "string_type" and isinstance(number, (int, float)) and not isinstance(number, bool):
        # `translated_from: 123456789012` (a hash of digits only), `title: 2026`
        return "put it in quotes: unquoted, YAML reads it as a number"
    if error["type"] == "list_type" and isinstance(error.get("input"), (str, int, float)) and key_path:
        return f"a list, even of one: {key_path[-1]}: [{error['input']}]"
    if error["type"] == "list_type" and error.get("input") is None and key_path[-1:] == ("tags",):
        return "a # starts a comment: quote a hashtag (tags: ['#frische'])"
    if error["type"] == "string_type" and error.get("input") is None and _is_colour(key_path):
        return f'a # starts a comment: quote the colour ({key_path[-1]}: "#1B7F3B")'
    if error["type"] != "extra_forbidden" or not key_path:
        return None
    known = _field_names(model, key_path[:-1])
    match = difflib.get_close_matches(str(key_path[-1]), known, n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else (f"known keys: {', '.join(sorted(known))}" if known else None)


def _is_colour(key_path: tuple[Any, ...]) -> bool:
    """A brand colour in site.yaml (brand.colors.primary, brand.dark.primary) or a colour token in
    theme.yaml (color-link)."""
    return bool(key_path) and ("colors" in key_path[:-1] or tuple(key_path[:-1]) == ("brand", "dark")
                               or str(key_path[-1]).startswith("color-"))


def _answer_hint(text: str, key_path: tuple[Any, ...], data: Any) -> str:
    """A quiz answer given as the option's text or letter: the option's number, counted from 0."""
    try:
        options = [str(option).strip() for option in _lookup(data, key_path[:-1] + ("options",))]
    except (KeyError, IndexError, TypeError):
        options = []
    letter = text.strip().upper()
    if text.strip().isdigit():
        return f"a number, without quotes: answer: {text.strip()}"
    if text.strip() in options:
        number = options.index(text.strip())
    elif len(letter) == 1 and "A" <= letter <= "Z" and ord(letter) - ord("A") < max(len(options), 1):
        number = ord(letter) - ord("A")
    else:
        return "the number of the right option, counted from 0 (answer: 1 for the second option)"
    return f"the number of the option, counted from 0: answer: {number} (for {options[number]!r})" if options \
        else f"the number of the option, counted from 0: answer: {number}"


def _pass_mark_hint(value: Any) -> str:
    """A pass mark typed as a share (`0.8`), with its unit (`80 %`) or in words (`achtzig`)."""
    if isinstance(value, float) and 0 < value <= 1:
        return f"in per cent, not as a share: pass_mark: {round(value * 100)}"
    match = re.fullmatch(r"\s*(\d+)\s*(%|prozent|percent)?\s*", str(value), re.I)
    if match and isinstance(value, str):
        return f"only the number, without quotes or %: pass_mark: {match[1]}"
    return "a whole number of per cent, from 1 to 100: pass_mark: 80"


def _number_hint(text: str, key_path: tuple[Any, ...]) -> str | None:
    """What to write instead of a number typed as people write it (`71,5`, `35 %`, `20 Min.`)."""
    match = re.fullmatch(r"\s*(-?\d+(?:[.,]\d+)?)\s*(.*?)\s*", text)
    if match is None:
        return None
    number = match[1].replace(",", ".")
    if not match[2]:
        return f"write the decimal point as a dot: {number}" if "," in match[1] else None
    unit = " (the unit is set in kpis.yaml)" if key_path[:1] == ("values",) else ""
    return f"only the number: {number}{unit}"


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ](\d{1,2}:\d{2}(?::\d{2})?))?")
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?\s+(\d{1,2}:\d{2}))?(?:\s*Uhr)?")


def _date_hint(text: str, key_path: tuple[Any, ...]) -> str | None:
    """What to write instead of a date in quotes (`date: "2026-12-01"`, as other generators' front
    matter has it: YAML reads it as text) or written the German way (`1.12.2026`)."""
    key = key_path[-1] if key_path else "date"
    if iso := _ISO_DATE.fullmatch(text.strip()):
        return f"in quotes YAML reads it as text: write {key}: {_iso(*iso.groups())}"
    if german := _GERMAN_DATE.fullmatch(text.strip()):
        day, month, year, time = german.groups()
        return f"write it year first: {key}: {_iso(year, month, day, time)}"
    return None


def _iso(year: str, month: str, day: str, time: str | None) -> str:
    """`2026-12-01`, or `2026-12-01 08:30` with the hour in two digits, as YAML needs them."""
    hour, _, rest = (time or "").partition(":")
    return f"{year}-{int(month):02d}-{int(day):02d}" + (f" {int(hour):02d}:{rest}" if time else "")


def _split_number_hint(key_path: tuple[Any, ...], data: Any) -> str | None:
    """`{nps: 38, satisfaction: 71,5}` is YAML for `{..., satisfaction: 71, 5: null}`: a number key
    after a whole number is a decimal comma that split the value before it."""
    keys = list(_lookup(data, key_path[:-1]))
    if not isinstance(key_path[-1], int) or key_path[-1] not in keys[1:]:
        return None
    before = keys[keys.index(key_path[-1]) - 1]
    value = _lookup(data, key_path[:-1] + (before,))
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return (f"in {{ }} a comma separates entries, so a decimal comma split the value of {before!r}: "
            f"write decimals with a dot (71.5, not 71,5)")


def _field_names(model: type[BaseModel], parent: tuple[Any, ...]) -> list[str]:
    """Field names of the (nested) model at `parent`, following model-typed fields."""
    current: Any = model
    for key in parent:
        if isinstance(key, int):
            current = _inner_model(current)
            continue
        fields = getattr(current, "model_fields", {})
        if key not in fields:
            return []
        current = _inner_model(fields[key].annotation)
    return list(getattr(current, "model_fields", {}))


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
