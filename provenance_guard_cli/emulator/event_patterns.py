"""EventBridge pattern matching: moto's matcher, with EventBridge's handling of arrays of objects.

moto 5.2.5 flattens nested objects but stops at arrays, so a pattern field under an array of objects
(`"detail": {"resources": {"type": [...]}}` on Inspector2 Finding events, whose `detail.resources` is
a list) can never match. EventBridge matches such a field against every element: the documented
Security Hub pattern `{"detail": {"findings": {"Severity": {"Label": [...]}}}}` relies on exactly
that (`findings` is an array). Only the flattening is replaced; every comparison operator (exact,
prefix, exists, anything-but, ...) is still moto's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from moto.events.models import EventPattern


class EventBridgePattern(EventPattern):
    @staticmethod
    def _flatten_dict(node: Any, prefix: str = "", result: dict[str, Any] | None = None) -> dict[str, Any]:
        result = {} if result is None else result
        if isinstance(node, Mapping):
            for key, value in node.items():
                path = f"{prefix}.{key}" if prefix else key
                if isinstance(value, Mapping) and value:
                    EventBridgePattern._flatten_dict(value, path, result)
                elif isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
                    for item in value:
                        if isinstance(item, Mapping):
                            EventBridgePattern._flatten_dict(item, path, result)
                        else:
                            _collect(result, path, item)
                else:
                    _collect(result, path, value)
        return result


def matches(pattern: Mapping[str, Any] | str, event: Mapping[str, Any]) -> bool:
    """Whether EventBridge would deliver `event` to a rule with `pattern` (a mapping or its JSON)."""
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)
    return bool(EventBridgePattern.load(text).matches_event(dict(event)))  # type: ignore[arg-type]


def _collect(result: dict[str, Any], path: str, value: Any) -> None:
    """Values met at one path from several array elements become one list (any of them may match)."""
    if path not in result:
        result[path] = value
        return
    existing = result[path]
    result[path] = [*_as_list(existing), *_as_list(value)]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
