"""Requests checked against botocore's codeartifact model as the service checks them.

botocore validates required members and minimum lengths client-side; the service also rejects values
outside an enum, a pattern (applied to the whole value), a maximum length or an integer range. Every
failure is a ValidationException naming the member, in the wording AWS's validation uses.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from moto.core.utils import get_service_model

from .codeartifact_model import SERVICE, ValidationException


def _is_control(character: str) -> bool:
    return unicodedata.category(character)[0] == "C"


# The model's Java patterns that Python's `re` cannot express (Unicode categories), as predicates.
JAVA_PATTERNS: dict[str, Callable[[str], bool]] = {
    r"\P{C}*": lambda value: not any(_is_control(c) for c in value),
    r"\P{C}+": lambda value: bool(value) and not any(_is_control(c) for c in value),
    r"[\P{C}\s]+": lambda value: bool(value) and all(c.isspace() or not _is_control(c) for c in value),
    r"[^\p{C}\p{IsWhitespace}]+": lambda value: bool(value) and not any(c.isspace() or _is_control(c) for c in value),
}


@functools.cache
def pattern_check(pattern: str) -> Callable[[str], bool]:
    """The model's ``pattern`` as a predicate on the whole value."""
    if pattern in JAVA_PATTERNS:
        return JAVA_PATTERNS[pattern]
    compiled = re.compile(pattern)
    return lambda value: compiled.fullmatch(value) is not None


def _violation(path: str, value: Any, constraint: str) -> ValidationException:
    shown = "null" if value is None else f"'{value}'"
    return ValidationException(
        f"1 validation error detected: Value {shown} at '{path}' failed to satisfy constraint: {constraint}"
    )


def validate_input(operation: str, params: dict[str, Any]) -> None:
    shape = get_service_model(SERVICE).operation_model(operation).input_shape
    if shape is not None:
        _check(shape, params, "")


def _check(shape: Any, value: Any, path: str) -> None:
    if value is None:
        return
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        _check_structure(shape, value, path)
        return
    _check_size(shape, value, path)
    if kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]")
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            _check(shape.key, key, path)
            _check(shape.value, item, f"{path}.{key}")
    elif kind == "string" and isinstance(value, str):
        _check_string(shape, value, path)


def _check_structure(shape: Any, value: dict[str, Any], path: str) -> None:
    for name in shape.required_members:
        if value.get(name) is None:
            raise _violation(f"{path}.{name}" if path else name, None, "Member must not be null")
    for name, member in shape.members.items():
        if name in value:
            _check(member, value[name], f"{path}.{name}" if path else name)


def _check_size(shape: Any, value: Any, path: str) -> None:
    """Lengths of strings, blobs, lists and maps; values of integers and longs."""
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if shape.type_name in ("integer", "long") and isinstance(value, int):
        size, what = value, "value"
    elif hasattr(value, "__len__"):
        size, what = len(value), "length"
    else:
        return
    if low is not None and size < low:
        raise _violation(path, value, f"Member must have {what} greater than or equal to {low}")
    if high is not None and size > high:
        raise _violation(path, value, f"Member must have {what} less than or equal to {high}")


def _check_string(shape: Any, value: str, path: str) -> None:
    if shape.enum and value not in shape.enum:
        raise _violation(path, value, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
    pattern = shape.metadata.get("pattern")
    if pattern and not pattern_check(pattern)(value):
        raise _violation(path, value, f"Member must satisfy regular expression pattern: {pattern}")
