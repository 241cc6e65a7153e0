"""Every remediation action (one line per family module), by the control it fixes."""

from __future__ import annotations

from collections.abc import Mapping

from provenance_guard.remediation import ami, ecr, packages
from provenance_guard.remediation.base import RemediationAction

ACTIONS: Mapping[str, RemediationAction] = {
    action.control_id: action
    for action in (
        *ami.ACTIONS,
        *ecr.ACTIONS,
        *packages.ACTIONS,
    )
}


def permissions(control_ids: set[str] | frozenset[str]) -> set[str]:
    """The write permissions of the actions of `control_ids` (those with one)."""
    return {p for control_id in control_ids if control_id in ACTIONS for p in ACTIONS[control_id].permissions}
