"""ECR's repository filters: `WILDCARD` (scanning rules) and `WILDCARD_MATCH` (signing rules)."""

from __future__ import annotations

import re


def wildcard_match(pattern: str, name: str) -> bool:
    """The whole name matches, `*` standing for any run of characters (no other metacharacters)."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, name) is not None
