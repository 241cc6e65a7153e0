"""Which new failures are remediated at once: a control in `automatic` mode that declares an action."""

from __future__ import annotations

from collections.abc import Sequence

from provenance_guard.findings import Finding
from provenance_guard.policy import Policy
from provenance_guard.remediation import ACTIONS


def automatic_requests(failures: Sequence[Finding], policy: Policy) -> list[Finding]:
    return [f for f in failures if f.control_id in ACTIONS and policy.remediation_mode(f.control_id) == "automatic"]
