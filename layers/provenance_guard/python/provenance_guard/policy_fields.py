"""Builds frozen dataclasses from plain mappings, checking every key, type and declared rule on the way
and collecting every problem, each with its path (`ami.max_age_days`, `exemptions[2].expires`).

A field declares its checks in its metadata, `field(default=..., metadata=spec(...))`; the same
declarations generate the policy's JSON Schema (`policy_schema`). A dataclass may add checks that
involve several of its fields in a `policy_issues(context)` method (paths relative to it); those are
beyond the schema. Kept apart from `policy.py` so the policy's shape reads as a list of fields.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union

from provenance_guard.policy_problems import (
    INVALID,
    Collector,
    Invalid,
    InvalidPolicyError,
    Issue,
    PolicyError,
    PolicyProblems,
    PolicyWarning,
)
from provenance_guard.policy_rules import NO_CONTEXT, CheckContext, Rule

__all__ = [
    "FieldSpec",
    "InvalidPolicyError",
    "Issue",
    "PolicyError",
    "PolicyProblems",
    "PolicyWarning",
    "build",
    "build_collecting",
    "spec",
    "to_document",
]
T = TypeVar("T")


@dataclass(frozen=True)
class FieldSpec:
    doc: str = ""
    rule: Rule | None = None
    """Checks every string value of the field: the field itself, each item of a list, each mapping value."""
    keys: Rule | None = None
    """Checks every key of a mapping field."""
    minimum: int | None = None
    """Every whole number of the field is at least this."""
    unit: str = ""
    min_items: int = 0
    warn: Callable[[Any, CheckContext], str | None] | None = None
    """A warning about the built value, or None."""


SPEC_KEY = "provenance_guard.policy"
NO_SPEC = FieldSpec()


def spec(
    doc: str = "",
    *,
    rule: Rule | None = None,
    keys: Rule | None = None,
    minimum: int | None = None,
    unit: str = "",
    min_items: int = 0,
    warn: Callable[[Any, CheckContext], str | None] | None = None,
) -> dict[str, FieldSpec]:
    """The metadata of a policy field: `field(default=90, metadata=spec("...", minimum=1, unit="days"))`."""
    return {SPEC_KEY: FieldSpec(doc, rule, keys, minimum, unit, min_items, warn)}


def field_spec(f: dataclasses.Field[Any]) -> FieldSpec:
    spec_: FieldSpec = f.metadata.get(SPEC_KEY, NO_SPEC)
    return spec_


def build(cls: type[T], value: object, path: str = "", context: CheckContext = NO_CONTEXT) -> T:
    """Build dataclass `cls` from mapping `value`. Raises `InvalidPolicyError` (a `PolicyError`) naming
    the first problem and holding all of them."""
    built, problems = build_collecting(cls, value, path, context)
    if built is None:
        raise InvalidPolicyError(problems)
    return built


def build_collecting(
    cls: type[T], value: object, path: str = "", context: CheckContext = NO_CONTEXT
) -> tuple[T | None, PolicyProblems]:
    """Build dataclass `cls` from `value`: (the object, or None when there are errors; every problem)."""
    collector = Collector(context)
    built = collect(cls, value, path, collector)
    problems = collector.problems()
    return (None if isinstance(built, Invalid) or problems.errors else built), problems


def collect(cls: type[T], value: object, path: str, collector: Collector) -> T | Invalid:
    if not isinstance(value, Mapping):
        return collector.error(path, f"expected a mapping, got {_kind(value)}")
    fields = {_yaml_name(f.name): f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    valid = True
    for key in sorted(str(k) for k in value if k not in fields):
        collector.error(_join(path, key), f"unknown key (allowed here: {', '.join(sorted(fields))})")
        valid = False
    hints = type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, f in fields.items():
        where = _join(path, key)
        if key in value:
            spec_ = field_spec(f)
            converted = convert(hints[f.name], value[key], where, spec_, collector)
            if isinstance(converted, Invalid):
                valid = False
                continue
            kwargs[f.name] = converted
            warning = spec_.warn(converted, collector.context) if spec_.warn else None
            if warning:
                collector.warn(where, warning)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            collector.error(where, "is required")
            valid = False
    if not valid:
        return INVALID
    try:
        built = cls(**kwargs)
    except PolicyError as error:  # a __post_init__ check, its path relative to this object
        return collector.error(_join(path, error.path), error.problem)
    return _issues(built, path, collector)


def _issues(built: T, path: str, collector: Collector) -> T | Invalid:
    find: Callable[[CheckContext], Iterable[Issue]] | None = getattr(built, "policy_issues", None)
    failed = False
    for issue in find(collector.context) if find else ():
        if issue.warning:
            collector.warn(_join(path, issue.path), issue.problem)
        else:
            collector.error(_join(path, issue.path), issue.problem)
            failed = True
    return INVALID if failed else built


def convert(hint: Any, value: object, path: str, spec_: FieldSpec, collector: Collector) -> Any:  # noqa: C901 - one branch per type form
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return collect(hint, value, path, collector)
    if origin is typing.Literal:
        if not any(value == arg and type(value) is type(arg) for arg in args):
            return collector.error(path, f"must be one of {', '.join(repr(a) for a in args)}, got {value!r}")
        return value
    if origin in (Union, types.UnionType):
        return _union(args, value, path, spec_, collector)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            return collector.error(path, f"expected a list, got {_kind(value)}")
        if len(value) < spec_.min_items:
            return collector.error(path, f"must not be empty: name at least {_count(spec_.min_items)}")
        items = [convert(args[0], item, f"{path}[{i}]", spec_, collector) for i, item in enumerate(value)]
        return INVALID if any(isinstance(i, Invalid) for i in items) else tuple(items)
    if origin is Mapping:
        if not isinstance(value, Mapping):
            return collector.error(path, f"expected a mapping, got {_kind(value)}")
        key_spec = FieldSpec(rule=spec_.keys)
        pairs = [
            (
                convert(args[0], k, _join(path, str(k)), key_spec, collector),
                convert(args[1], v, _join(path, str(k)), spec_, collector),
            )
            for k, v in value.items()
        ]
        return INVALID if any(isinstance(x, Invalid) for pair in pairs for x in pair) else dict(pairs)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in hint)
            return collector.error(path, f"must be one of {allowed}, got {value!r}")
    if hint is date:
        return _date(value, path, collector)
    if hint is bool:
        if not isinstance(value, bool):
            return collector.error(path, f"expected true or false, got {_kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return collector.error(path, f"expected a whole number, got {_kind(value)}")
        if spec_.minimum is not None and value < spec_.minimum:
            return collector.error(path, _minimum_problem(value, spec_))
        return value
    if hint is str:
        if not isinstance(value, str) or not value:
            return collector.error(path, f"expected a non-empty string, got {_kind(value)}")
        problem = spec_.rule.problem(value, collector.context) if spec_.rule else None
        return collector.error(path, problem) if problem else value
    raise TypeError(f"policy field {path} has an unsupported type {hint!r}")


def _union(args: tuple[Any, ...], value: object, path: str, spec_: FieldSpec, collector: Collector) -> Any:
    if value is None and type(None) in args:
        return None
    options = [a for a in args if a is not type(None)]
    tag = discriminator(tuple(options))
    if tag is not None:
        return _tagged(options, tag, value, path, collector)
    for option in options:
        trial = Collector(collector.context)
        result = convert(option, value, path, spec_, trial)
        if not trial.errors:
            collector.warnings.extend(trial.warnings)
            return result
    return collector.error(path, f"has an unexpected value {value!r}")


def _tagged(options: list[Any], tag: str, value: object, path: str, collector: Collector) -> Any:
    by_tag = {typing.get_args(type_hints(option)[tag])[0]: option for option in options}
    if not isinstance(value, Mapping):
        return collector.error(path, f"expected a mapping, got {_kind(value)}")
    allowed = ", ".join(repr(t) for t in by_tag)
    if tag not in value:
        return collector.error(_join(path, tag), f"is required (one of {allowed})")
    if value[tag] not in by_tag:
        return collector.error(_join(path, tag), f"must be one of {allowed}, got {value[tag]!r}")
    return collect(by_tag[value[tag]], value, path, collector)


@cache
def discriminator(options: tuple[Any, ...]) -> str | None:
    """The field every option (all dataclasses) declares as a one-value Literal: the union's tag."""
    if len(options) < 2 or not all(dataclasses.is_dataclass(o) for o in options):
        return None
    common = set.intersection(*(set(type_hints(o)) for o in options))
    for name in sorted(common):
        hints = [type_hints(o)[name] for o in options]
        if all(typing.get_origin(h) is typing.Literal and len(typing.get_args(h)) == 1 for h in hints):
            return name
    return None


_HINTS: dict[type, dict[str, Any]] = {}


def type_hints(cls: type) -> dict[str, Any]:
    """A dataclass's resolved field types, read once per class."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _date(value: object, path: str, collector: Collector) -> date | Invalid:
    if isinstance(value, datetime):  # YAML reads 2030-01-01T00:00:00Z as a timestamp
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.match(ISO_DATE, value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return collector.error(path, f"expected a date (YYYY-MM-DD), got {value!r}")


def _minimum_problem(value: int, spec_: FieldSpec) -> str:
    unit = f" {spec_.unit}" if spec_.unit else ""
    if spec_.minimum == 1:
        return f"must be a positive number{' of' + unit if unit else ''}, got {value}"
    return f"must be {spec_.minimum} or more{unit}, got {value}"


def to_document(value: object) -> Any:
    """The inverse of `build`: a JSON-ready document (used to ship the policy to SSM)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {_yaml_name(f.name): to_document(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {to_document(k): to_document(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_document(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def yaml_name(attribute: str) -> str:
    """The document's key for a dataclass attribute (`lambda_` -> `lambda`)."""
    return attribute.rstrip("_")


_yaml_name = yaml_name


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path and key else path or key


def _count(n: int) -> str:
    return "one" if n == 1 else str(n)


def _kind(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"
