"""A remediation action: the one safe, reversible change a control declares for a failure, and the write
permissions it needs (CONTROLS.md §6.4). The stack derives the remediation function's IAM policy from
these declarations, only for the controls whose policy mode is not `off`.

An action has two halves: `plan` is pure (the failing snapshot and the policy -> the exact change, or
None when this action cannot fix this failure) and `apply` makes the change, with as few writes as it
takes (one for most). Every action is re-checked before it runs and verified by a fresh evaluation after
(`remediation.engine`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.controls.registry import EvaluationContext
from provenance_guard.model import ResourceRef, Verdict
from provenance_guard.policy import Policy


@dataclass(frozen=True)
class Change:
    """What an action will do, in words and as the call it makes (shown by a dry run, kept in the Note)."""

    summary: str
    """One line a person reads: "remove launch permissions group:all, account:444455556666"."""
    before: str
    after: str
    call: str
    """The API call and its parameters, as the AWS CLI would write it."""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """What `apply` needs (the parameters of its write)."""


Plan = Callable[[Any, Verdict, Policy, EvaluationContext], Change | None]
Apply = Callable[[ClientFactory, ResourceRef, Change], None]


@dataclass(frozen=True)
class Write:
    """One permission `apply` uses, and the ARNs it is allowed on (the Service Authorization Reference
    resource type, with `{partition}`, `{region}` and `{account}` for the stack to fill in); no ARNs for
    an action that takes no resource type (then IAM allows it only on `*`)."""

    permission: str
    resources: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemediationAction:
    control_id: str
    title: str
    """What it does, as a button would say it ("Remove public and disallowed launch permissions")."""
    writes: tuple[Write, ...]
    """The writes `apply` makes (the reads are the control's kind's own)."""
    plan: Plan
    apply: Apply

    @property
    def permissions(self) -> tuple[str, ...]:
        return tuple(write.permission for write in self.writes)
