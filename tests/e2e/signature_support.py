"""Shared by the end-to-end signature tests: a policy that adds to the shipped policy.yaml's signature
settings, and the PG.ECR.3 status per image digest in a replay's findings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from provenance_guard_cli.backing import Backing, ensure_backing
from provenance_guard_cli.routes import PROJECT_ROOT

REGION = "us-east-1"


def backing_with_signatures(
    endpoint_url: str, registry_url: str, directory: Path, change: Callable[[dict[str, Any]], None]
) -> Backing:
    """The backing for policy.yaml with `change` applied to its `container.signatures`."""
    document = yaml.safe_load((PROJECT_ROOT / "policy.yaml").read_text())
    change(document["container"]["signatures"])
    policy_file = directory / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(document))
    return ensure_backing(endpoint_url, REGION, policy_file, registry_url)


def signature_status(result: Any) -> dict[str, str]:
    """digest -> PG.ECR.3 compliance status, for the findings a replay produced."""
    return {
        f["Resources"][0]["Id"].rsplit("/", 1)[1]: f["Compliance"]["Status"]
        for f in result.findings
        if f["Compliance"]["SecurityControlId"] == "PG.ECR.3"
    }
