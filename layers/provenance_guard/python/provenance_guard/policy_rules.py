"""Rules for the policy's string values: each is a regular expression that is also the JSON Schema
`pattern` (written in the common subset of Python's and ECMA-262's syntax), and a message saying what
a valid value is; ARN rules also diagnose which part of a wrong value is wrong.

One rule, two uses: `policy_fields` checks values with it, `policy_schema` publishes it. A rule that
needs more than the value (the control registry) reads it from the `CheckContext`. The ARN rules are in
`policy_arns`; rules of one section live with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from functools import cache
from typing import Any


@dataclass(frozen=True)
class CheckContext:
    """What some checks need besides the document. Without it (a Lambda function loading the policy
    that synth already validated) control ids are checked for shape only and nothing has expired."""

    control_ids: frozenset[str] | None = None
    """The registered control ids (`provenance_guard.controls.registry`)."""
    today: date | None = None


NO_CONTEXT = CheckContext()


class Rule:
    """A check on one string value. Rules are plain classes, not dataclasses: the policy is imported at
    every cold start, and each dataclass costs its creation there."""

    __slots__ = ()

    def problem(self, value: str, context: CheckContext) -> str | None:
        """Why `value` is invalid, or None."""
        raise NotImplementedError

    def schema(self, context: CheckContext) -> dict[str, Any]:
        """The JSON Schema keywords that state this rule."""
        raise NotImplementedError


@cache
def python_regex(pattern: str) -> re.Pattern[str]:
    # ECMA-262's `$` ends the input; Python's also matches before a final newline, so it becomes \Z.
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


class Pattern(Rule):
    __slots__ = ("diagnose", "expected", "pattern")

    def __init__(self, pattern: str, expected: str, diagnose: Callable[[str], str | None] | None = None) -> None:
        self.pattern = pattern
        """Anchored (^...$): JSON Schema's `pattern` is a search, as Python's `re.search` is."""
        self.expected = expected
        """What a valid value is, to finish "'x' is not ...": `a 12-digit account id`."""
        self.diagnose = diagnose
        """Says which part of an invalid value is wrong, when it can tell."""

    def matches(self, value: str) -> bool:
        return python_regex(self.pattern).search(value) is not None

    def problem(self, value: str, context: CheckContext) -> str | None:
        if self.matches(value):
            return None
        detail = self.diagnose(value) if self.diagnose else None
        return f"{value!r} is not {self.expected}" + (f": {detail}" if detail else "")

    def schema(self, context: CheckContext) -> dict[str, Any]:
        return {"pattern": self.pattern}


class AnyOf(Rule):
    """Valid when one of `rules` is; the message names them all, and the first diagnosis found (its own
    `diagnose` first)."""

    __slots__ = ("diagnose", "rules")

    def __init__(self, rules: tuple[Pattern, ...], diagnose: Callable[[str], str | None] | None = None) -> None:
        self.rules = rules
        self.diagnose = diagnose

    def problem(self, value: str, context: CheckContext) -> str | None:
        if any(rule.matches(value) for rule in self.rules):
            return None
        expected = [rule.expected for rule in self.rules]
        diagnoses = [self.diagnose, *(rule.diagnose for rule in self.rules)]
        detail = next((d for diagnose in diagnoses if diagnose and (d := diagnose(value))), None)
        return f"{value!r} is neither {', nor '.join(expected)}" + (f": {detail}" if detail else "")

    def schema(self, context: CheckContext) -> dict[str, Any]:
        return {"anyOf": [rule.schema(context) for rule in self.rules]}


class Choice(Rule):
    """One of a fixed list of values."""

    __slots__ = ("values", "what")

    def __init__(self, values: tuple[str, ...], what: str) -> None:
        self.values = values
        self.what = what

    def problem(self, value: str, context: CheckContext) -> str | None:
        if value in self.values:
            return None
        return f"{value!r} is not {self.what} ({', '.join(self.values)})"

    def schema(self, context: CheckContext) -> dict[str, Any]:
        return {"enum": list(self.values)}


CONTROL_ID_SHAPE = r"^PG\.[A-Z][A-Z0-9]*\.[1-9][0-9]*$"
CONTROL_GLOB_SHAPE = r"^[A-Z0-9.]*[*?][A-Z0-9.*?]*$"


class ControlIds(Rule):
    """A control id (`PG.AMI.3`) or, with `globs`, a pattern of them (`PG.AMI.*`). With the registry in
    the context an id must be registered and a pattern must match one: a typo would exempt nothing."""

    __slots__ = ("globs",)

    def __init__(self, *, globs: bool = False) -> None:
        self.globs = globs

    def problem(self, value: str, context: CheckContext) -> str | None:
        is_glob = self.globs and python_regex(CONTROL_GLOB_SHAPE).search(value) is not None
        if not is_glob and not python_regex(CONTROL_ID_SHAPE).search(value):
            shape = "a control id (PG.<FAMILY>.<n>)" + (" or a pattern of them (PG.AMI.*)" if self.globs else "")
            return f"{value!r} is not {shape}"
        known = context.control_ids
        if known is None:
            return None
        if is_glob and not any(fnmatchcase(control, value) for control in known):
            return f"{value!r} matches no control (see `provenance-guard controls`)"
        if not is_glob and value not in known:
            return f"{value!r} is not a control of this version: {_closest(value, known)}"
        return None

    def schema(self, context: CheckContext) -> dict[str, Any]:
        exact: dict[str, Any] = (
            {"enum": sorted(context.control_ids)} if context.control_ids is not None else {"pattern": CONTROL_ID_SHAPE}
        )
        return {"anyOf": [exact, {"pattern": CONTROL_GLOB_SHAPE}]} if self.globs else exact


def _closest(value: str, known: Iterable[str]) -> str:
    family = value.rpartition(".")[0]
    same_family = sorted(c for c in known if c.rpartition(".")[0] == family)
    return f"{family} has {', '.join(same_family)}" if same_family else "see `provenance-guard controls`"


# --- accounts, aliases, e-mail -------------------------------------------------------------------

ACCOUNT_ID = Pattern(r"^[0-9]{12}$", "a 12-digit account id")
SELF = Pattern(r"^self$", "`self`")
OWNER_ALIASES = ("self", "amazon", "aws-marketplace")
OWNER_ALIAS = Pattern(r"^(?:self|amazon|aws-marketplace)$", f"one of {', '.join(OWNER_ALIASES)}")
OWNER = AnyOf((ACCOUNT_ID, OWNER_ALIAS))
ACCOUNT_OR_SELF = AnyOf((ACCOUNT_ID, SELF))
EMAIL = Pattern(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an e-mail address")
NON_BLANK = Pattern(r"\S", "a text (it is blank)")
NOT_ONLY_WILDCARDS = r"(?![*?]+$)"
