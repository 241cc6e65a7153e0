"""Structured log lines that cannot fail to be written.

A JSON event may carry a `\\ud800` escape: `json.loads` turns it into a lone surrogate, which UTF-8 cannot
encode, and a log handler writing it raises ("--- Logging error ---") and loses the whole line, reason
and all. Lines here are JSON: readable UTF-8 normally, `\\uXXXX` escapes for text that cannot be encoded
(escaped, never dropped: a JSON parser gets the original text back).
"""

from __future__ import annotations

import json
from typing import Any

MAX_LOGGED_CHARACTERS = 8000
"""Of a record's body: the log keeps what is needed to see why it was rejected, not a 256 KB message."""


def encodable_json(value: Any) -> str:
    """`value` as one line of JSON that can always be written as UTF-8 (Powertools' `json_serializer`)."""
    text = json.dumps(value, default=str, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, default=str, separators=(",", ":"))
    return text


def clip(value: object, limit: int = MAX_LOGGED_CHARACTERS) -> str:
    """`value` as text for a log line, at most `limit` characters: a string as it is, anything else as JSON."""
    if isinstance(value, str):
        return value[:limit]
    try:
        return json.dumps(value, default=str)[:limit]
    except (ValueError, RecursionError):  # a circular or very deeply nested value
        return f"<{type(value).__name__} that cannot be shown>"
