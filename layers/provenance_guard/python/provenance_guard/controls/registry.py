"""The control registry: every control declares what it judges, how to fix it and what it may read.

The stack derives each function's IAM policy from `permissions`, so a control that reads something
new must declare it here or its function will be denied at run time (and the registry tests fail).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from provenance_guard.model import ResourceKind, Severity, Verdict
from provenance_guard.policy import Policy

WELL_ARCHITECTED = "AWS Well-Architected SEC06-BP02"
CONTROL_ID = re.compile(r"^PG\.(?P<family>[A-Z][A-Z0-9]*)\.[1-9][0-9]*$")
"""`PG.<FAMILY>.<n>`, the family being the judged kind's `ResourceKind.family`."""

SnapshotT = TypeVar("SnapshotT")


@dataclass(frozen=True)
class EvaluationContext:
    """What a control may know besides the snapshot and the policy: who evaluates, and when."""

    account: str
    region: str
    partition: str
    now: datetime


Evaluator = Callable[[Any, Policy, EvaluationContext], "Verdict | None"]


@dataclass(frozen=True)
class Control(Generic[SnapshotT]):
    """One control of CONTROLS.md §1. `evaluate` is pure: snapshot + policy + context -> verdict.

    `evaluate` returns None when the policy switches the control off for this resource (no finding).
    """

    id: str
    title: str
    description: str
    severity: Severity
    resource_kind: ResourceKind
    remediation_text: str
    remediation_url: str
    related_requirements: tuple[str, ...]
    permissions: tuple[str, ...]
    evaluate: Evaluator
    also_judges: tuple[ResourceKind, ...] = ()
    """Other kinds the control judges with the same evaluation (PG.ECS.2: services and standalone tasks)."""

    @property
    def resource_kinds(self) -> tuple[ResourceKind, ...]:
        return (self.resource_kind, *self.also_judges)


class DuplicateControlError(ValueError):
    """Two controls were registered under one id."""


class ControlRegistry:
    """Controls by id, in registration order."""

    def __init__(self) -> None:
        self._controls: dict[str, Control[Any]] = {}

    def register(
        self,
        *,
        id: str,
        title: str,
        severity: Severity,
        resource_kind: ResourceKind,
        remediation_text: str,
        remediation_url: str,
        permissions: tuple[str, ...],
        related_requirements: tuple[str, ...] = (),
        also_judges: tuple[ResourceKind, ...] = (),
    ) -> Callable[[Evaluator], Evaluator]:
        """Decorator registering a control's evaluation function under its declared metadata.

        The function's docstring is the finding's description.
        """

        def decorate(evaluate: Evaluator) -> Evaluator:
            if id in self._controls:
                raise DuplicateControlError(f"control {id} is registered twice")
            matched = CONTROL_ID.match(id)
            if not matched:
                raise ValueError(f"control id {id!r} does not look like PG.<FAMILY>.<n>")
            for kind in (resource_kind, *also_judges):
                if matched["family"] != kind.family:
                    raise ValueError(f"control id {id!r} is not PG.<FAMILY>.<n> with FAMILY {kind.family} ({kind})")
            self._controls[id] = Control(
                id=id,
                title=title,
                description=" ".join((evaluate.__doc__ or title).split()),
                severity=severity,
                resource_kind=resource_kind,
                remediation_text=remediation_text,
                remediation_url=remediation_url,
                related_requirements=(WELL_ARCHITECTED, *related_requirements),
                permissions=permissions,
                evaluate=evaluate,
                also_judges=also_judges,
            )
            return evaluate

        return decorate

    def get(self, control_id: str) -> Control[Any]:
        return self._controls[control_id]

    def for_kind(self, kind: ResourceKind) -> list[Control[Any]]:
        return [c for c in self if kind in c.resource_kinds]

    def permissions(self, kinds: frozenset[ResourceKind] | None = None) -> list[str]:
        """The sorted union of the permissions declared by the controls judging `kinds`."""
        return sorted(
            {p for c in self if kinds is None or not kinds.isdisjoint(c.resource_kinds) for p in c.permissions}
        )

    def __iter__(self) -> Iterator[Control[Any]]:
        """Controls in id order (PG.AMI.1 ... PG.LAMBDA.6)."""
        return iter(sorted(self._controls.values(), key=lambda c: _sort_key(c.id)))

    def __len__(self) -> int:
        return len(self._controls)

    def __contains__(self, control_id: object) -> bool:
        return control_id in self._controls


registry = ControlRegistry()


def _sort_key(control_id: str) -> tuple[str, int]:
    family, _, number = control_id.rpartition(".")
    return family, int(number)
