"""Schema errors in plain words: every pydantic error becomes a problem at the author's key path.

The union noise (one error per union member) is collapsed to one problem per
value, unknown keys get a "did you mean", and type and bound errors read the
way a scenario author acts on them.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from inspect import isclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from engine.scenario.loader.collector import Collector, KeyPath, join_or, number, show, suggest
from engine.scenario.schema import NODE_KINDS


@dataclass
class _Err:
    """A pydantic error with each ``loc`` element classified as a data key or a union label."""

    loc: tuple[Any, ...]
    labels: tuple[bool, ...]
    type: str
    msg: str
    input: Any
    ctx: dict[str, Any]
    start: int = 0

    def next_label(self) -> int | None:
        """Index of the first union label not yet resolved."""
        for index in range(self.start, len(self.loc)):
            if self.labels[index]:
                return index
        return None

    def keys(self) -> KeyPath:
        """The author's key path: ``loc`` without union labels."""
        return tuple(el for el, label in zip(self.loc, self.labels) if not label)


def _classify(error: Mapping[str, Any], data: Any) -> _Err:
    """Mark which ``loc`` elements are real keys of ``data`` and which are pydantic's union labels."""
    loc = tuple(error["loc"])
    labels: list[bool] = []
    current = data
    for index, element in enumerate(loc):
        if isinstance(current, Mapping) and element in current:
            current = current[element]
            labels.append(False)
        elif isinstance(current, list) and isinstance(element, int) and 0 <= element < len(current):
            current = current[element]
            labels.append(False)
        elif index == len(loc) - 1 and error["type"] == "missing":
            labels.append(False)
        else:
            labels.append(True)
    return _Err(loc, tuple(labels), error["type"], error["msg"], error.get("input"), dict(error.get("ctx") or {}))


def _type_mismatch(errors: list[_Err], index: int) -> bool:
    """All of a union member's errors say the value has the wrong type for it."""
    return all(len(e.loc) == index + 1 and e.type.endswith(("_type", "_parsing")) for e in errors)


def _collapse(errors: list[_Err]) -> list[_Err]:
    """One error per failed union instead of one per member, keeping the member that fits best."""
    done: list[_Err] = []
    groups: dict[tuple[Any, ...], list[_Err]] = {}
    for err in errors:
        index = err.next_label()
        if index is None:
            done.append(err)
        else:
            groups.setdefault(err.loc[:index], []).append(err)
    for prefix, members in groups.items():
        index = len(prefix)
        by_label: dict[Any, list[_Err]] = {}
        for err in members:
            by_label.setdefault(err.loc[index], []).append(err)
        if len(by_label) == 1:
            chosen = members
        else:
            fitting = [errs for errs in by_label.values() if not _type_mismatch(errs, index)]
            if not fitting:
                expected = list(dict.fromkeys(_expected_words(e.type) or "something else" for e in members))
                if "a number" in expected and "a whole number" in expected:
                    expected.remove("a whole number")
                first = members[0]
                done.append(
                    _Err(prefix, first.labels[:index], "union_mismatch", first.msg, first.input, {"expected": expected}, index)
                )
                continue
            chosen = min(fitting, key=len)
        for err in chosen:
            err.start = index + 1
        done.extend(_collapse(chosen))
    return done


_TYPE_WORDS = {
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "string": "a string",
    "list": "a list",
    "tuple": "a list",
    "set": "a list",
    "dict": "a mapping",
    "model": "a mapping",
    "model_attributes": "a mapping",
    "dataclass": "a mapping",
    "none_required": "nothing",
}


def _expected_words(error_type: str) -> str | None:
    """``"a number"`` for ``float_parsing``; ``None`` when the type is not a type mismatch."""
    for suffix in ("_type", "_parsing"):
        if error_type.endswith(suffix):
            return _TYPE_WORDS.get(error_type[: -len(suffix)])
    return None


def _quoted_choices(text: str) -> list[str]:
    """The choices of a pydantic ``expected`` text: ``"'a', 'b' or 'c'"`` -> ``[a, b, c]``."""
    return re.findall(r"'([^']*)'", text)


def _amount(value: float) -> str:
    """A bound or a number as authors read it: ``100,000``, ``0.5``, ``1e+09``."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return number(value)


def humanize(error_type: str, message: str, value: Any, ctx: Mapping[str, Any]) -> str:
    """A pydantic error about a value in words a scenario author acts on."""
    got = show(value)
    if error_type in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if error_type == "union_mismatch":
        return f"expected {join_or(list(ctx['expected']))}, got {got}"
    if error_type == "literal_error":
        choices = _quoted_choices(str(ctx.get("expected", "")))
        text = f"must be one of: {', '.join(choices)}, got {got}"
        return text + (suggest(value, choices) if isinstance(value, str) else "")
    bounds = {
        "greater_than": ("gt", "must be greater than"),
        "greater_than_equal": ("ge", "must be at least"),
        "less_than": ("lt", "must be less than"),
        "less_than_equal": ("le", "must be at most"),
    }
    if error_type in bounds:
        key, words = bounds[error_type]
        bound = ctx.get(key)
        shown = _amount(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else got
        return f"{words} {_amount(bound) if isinstance(bound, (int, float)) else bound}, got {shown}"
    if error_type == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    if error_type == "too_long":
        return f"takes at most {ctx.get('max_length')} item(s), got {ctx.get('actual_length')}"
    if error_type == "int_from_float":
        return f"expected a whole number, got {got}"
    if error_type == "finite_number":
        return f"expected a finite number, got {got}"
    expected = _expected_words(error_type)
    if expected:
        return f"expected {expected}, got {got}"
    return message[:1].lower() + message[1:]


def _members(annotation: Any) -> list[Any]:
    """The concrete types an annotation allows (``Annotated`` and unions unwrapped)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [member for arg in get_args(annotation) for member in _members(arg)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    """Whether ``annotation`` is a pydantic model class."""
    return isclass(annotation) and issubclass(annotation, BaseModel)


def _label_matches(member: Any, label: Any) -> bool:
    """Whether pydantic's union label (class name, tag value) names this member."""
    if not _is_model(member):
        return False
    if member.__name__ in re.findall(r"\w+", str(label)):
        return True
    for info in member.model_fields.values():
        if get_origin(info.annotation) is Literal and label in get_args(info.annotation):
            return True
    return False


def _step_type(annotation: Any, element: Any, label: bool) -> list[Any]:
    """The types found one ``loc`` element below a value of type ``annotation``."""
    members = _members(annotation)
    if label:
        chosen = [member for member in members if _label_matches(member, element)]
        return chosen or members
    found: list[Any] = []
    for member in members:
        origin = get_origin(member)
        if _is_model(member):
            for name, info in member.model_fields.items():
                if element in (name, info.alias):
                    found.append(info.annotation)
        elif origin in (list, tuple, set, frozenset) and isinstance(element, int):
            found.extend(arg for arg in get_args(member) if arg is not Ellipsis)
        elif origin is dict:
            found.append(get_args(member)[1])
    return found


def _allowed_keys(root: type[BaseModel], loc: tuple[Any, ...], labels: tuple[bool, ...]) -> list[str]:
    """Field names and aliases of the model(s) that hold the key at ``loc``."""
    current: list[Any] = [root]
    for element, label in zip(loc[:-1], labels[:-1]):
        current = [found for annotation in current for found in _step_type(annotation, element, label)]
    names: list[str] = []
    for annotation in current:
        for member in _members(annotation):
            if _is_model(member):
                for name, info in member.model_fields.items():
                    names.extend(n for n in (info.alias, name) if n)
    return list(dict.fromkeys(names))


def report_validation(exc: ValidationError, data: Any, root: type[BaseModel], collector: Collector) -> None:
    """Turn every pydantic error into a problem at the author's key path."""
    errors = _collapse([_classify(error, data) for error in exc.errors()])
    for err in errors:
        keys = err.keys()
        if any(keys[: len(broken)] == broken for broken in collector.broken):
            continue
        if err.type == "missing" and keys:
            name = keys[-1]
            what = f"item [{name}]" if isinstance(name, int) else f"key '{name}'"
            collector.add(keys[:-1], f"missing required {what}")
        elif err.type == "extra_forbidden" and keys:
            name = keys[-1]
            choices = _allowed_keys(root, err.loc, err.labels)
            collector.add(keys, f"unknown key '{name}'{suggest(name, choices)}")
        elif err.type in ("union_tag_invalid", "union_tag_not_found"):
            discriminator = str(err.ctx.get("discriminator", "kind")).strip("'\"")
            choices = _quoted_choices(str(err.ctx.get("expected_tags", ""))) or list(NODE_KINDS)
            if err.type == "union_tag_not_found":
                collector.add(keys, f"missing required key '{discriminator}' (one of: {', '.join(choices)})")
            else:
                tag = err.ctx.get("tag")
                at = keys + (discriminator,) if isinstance(err.input, Mapping) and discriminator in err.input else keys
                message = f"unknown {discriminator} '{tag}'; must be one of: {', '.join(choices)}"
                collector.add(at, message + suggest(tag, choices))
        else:
            collector.add(keys, humanize(err.type, err.msg, err.input, err.ctx))
