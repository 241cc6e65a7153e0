"""What checking a policy finds: errors (`PolicyError`, with the field's path), warnings, and the
`Collector` that gathers them in document order while `policy_fields` builds the policy."""

from __future__ import annotations

from dataclasses import dataclass

from provenance_guard.policy_rules import CheckContext


class PolicyError(ValueError):
    """The policy is invalid; `path` names the offending field (`ami.max_age_days`)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or '<policy>'}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class PolicyWarning:
    """Valid, but probably not what was meant (an exemption that has expired, no one to notify)."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path or '<policy>'}: {self.problem}"


@dataclass(frozen=True)
class PolicyProblems:
    """Every problem of a document, in document order."""

    errors: tuple[PolicyError, ...] = ()
    warnings: tuple[PolicyWarning, ...] = ()


class InvalidPolicyError(PolicyError):
    """What `build` raises: `path` and `problem` are the first error's, `problems` holds them all."""

    def __init__(self, problems: PolicyProblems) -> None:
        first = problems.errors[0]
        super().__init__(first.path, first.problem)
        self.problems = problems
        if len(problems.errors) > 1:
            self.args = (f"{self.args[0]} (and {len(problems.errors) - 1} more errors)",)


@dataclass(frozen=True)
class Issue:
    """A problem a `policy_issues` method found; `path` is relative to its object."""

    path: str
    problem: str
    warning: bool = False


class Invalid:
    """Stands for a value that could not be built (its problems are already collected)."""


INVALID = Invalid()


class Collector:
    def __init__(self, context: CheckContext) -> None:
        self.context = context
        self.errors: list[PolicyError] = []
        self.warnings: list[PolicyWarning] = []

    def error(self, path: str, problem: str) -> Invalid:
        self.errors.append(PolicyError(path, problem))
        return INVALID

    def warn(self, path: str, problem: str) -> None:
        self.warnings.append(PolicyWarning(path, problem))

    def problems(self) -> PolicyProblems:
        return PolicyProblems(tuple(self.errors), tuple(self.warnings))
