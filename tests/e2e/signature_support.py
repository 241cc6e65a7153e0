"""Shared by the end-to-end signature tests: a policy that adds to the demo policy's signature
settings, and the PG.ECR.3 status per image digest in a replay's findings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from provenance_guard_cli.backing import Backing, ensure_backing
from tests.e2e.policies import slice_document

REGION = "us-east-1"


def backing_with_signatures(
    endpoint_url: str, registry_url: str, directory: Path, change: Callable[[dict[str, Any]], None]
) -> Backing:
    """The backing for the demo policy with `change` applied to its `container.signatures`."""
    document = slice_document()
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
