"""Builds frozen dataclasses from plain mappings, checking every key and type on the way.

Kept apart from `policy.py` so the policy's shape reads as a list of fields, not of checks.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar, Union

T = TypeVar("T")


class PolicyError(ValueError):
    """The policy is invalid; `path` names the offending field (`ami.max_age_days`)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or '<policy>'}: {problem}")
        self.path = path
        self.problem = problem


def build(cls: type[T], value: object, path: str) -> T:
    """Build dataclass `cls` from mapping `value`; unknown keys and wrong types are errors."""
    if not isinstance(value, Mapping):
        raise PolicyError(path, f"expected a mapping, got {_kind(value)}")
    fields = {_yaml_name(f.name): f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(str(k) for k in value if k not in fields)
    if unknown:
        where = _join(path, unknown[0])
        raise PolicyError(where, f"unknown key (allowed here: {', '.join(sorted(fields))})")
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, f in fields.items():
        if key in value:
            kwargs[f.name] = _convert(hints[f.name], value[key], _join(path, key))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise PolicyError(_join(path, key), "is required")
    try:
        return cls(**kwargs)
    except PolicyError as error:
        if error.path.startswith(path):
            raise
        raise PolicyError(_join(path, error.path.rsplit(".", 1)[-1]), error.problem) from None


def _convert(hint: Any, value: object, path: str) -> Any:  # noqa: C901 - one branch per type form
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return build(hint, value, path)
    if origin is typing.Literal:
        if not any(value == arg and type(value) is type(arg) for arg in args):
            raise PolicyError(path, f"must be one of {', '.join(repr(a) for a in args)}, got {value!r}")
        return value
    if origin in (Union, types.UnionType):
        for option in args:
            if option is type(None):
                if value is None:
                    return None
                continue
            try:
                return _convert(option, value, path)
            except PolicyError:
                continue
        raise PolicyError(path, f"has an unexpected value {value!r}")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise PolicyError(path, f"expected a list, got {_kind(value)}")
        return tuple(_convert(args[0], item, f"{path}[{i}]") for i, item in enumerate(value))
    if origin is Mapping:
        if not isinstance(value, Mapping):
            raise PolicyError(path, f"expected a mapping, got {_kind(value)}")
        return {
            _convert(args[0], k, _join(path, str(k))): _convert(args[1], v, _join(path, str(k)))
            for k, v in value.items()
        }
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in hint)
            raise PolicyError(path, f"must be one of {allowed}, got {value!r}") from None
    if hint is date:
        if isinstance(value, datetime):  # YAML reads 2030-01-01T00:00:00Z as a timestamp
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise PolicyError(path, f"expected a date (YYYY-MM-DD), got {value!r}") from None
    if hint is bool:
        if not isinstance(value, bool):
            raise PolicyError(path, f"expected true or false, got {_kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PolicyError(path, f"expected a whole number, got {_kind(value)}")
        return value
    if hint is str:
        if not isinstance(value, str) or not value:
            raise PolicyError(path, f"expected a non-empty string, got {_kind(value)}")
        return value
    raise TypeError(f"policy field {path} has an unsupported type {hint!r}")


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


def _yaml_name(attribute: str) -> str:
    return attribute.rstrip("_")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"
