"""The peers of the peer benchmark: pinned versions, installed into their own virtualenvs under
`build/peers/` on first use; the checks of each that overlap provenance-guard's controls; and each
tool's verdicts read back from its own output, keyed by (PG control, resource name).

Overlap (what each tool can judge of the same resources):

| PG control | Prowler 5.46.0 check | Cloud Custodian 0.9.53 policy |
|---|---|---|
| PG.AMI.3 not public, shared only as allowed | `ec2_ami_public` | `ami` + `cross-account` filter |
| PG.AMI.5 age (max_age_days 90) | - | `ami` + `image-age` 90 days |
| PG.AMI.6 IMDSv2 only | - | `ami` + value `ImdsSupport != v2.0` |
| PG.ECR.1 scanned on push | `ecr_repositories_scan_images_on_push_enabled` | `ecr` + value `scanOnPush == false` |
| PG.ECR.2 tags immutable | `ecr_repositories_tag_immutability` | `ecr` + value `imageTagMutability == MUTABLE` |
| PG.LAMBDA.5 runtime not deprecated | `awslambda_function_using_supported_runtimes` | `lambda` + `Runtime in` (list) |

Custodian's deprecated-runtime list is the one provenance-guard ships (`data/lambda_runtimes.json`);
Prowler uses its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEERS_DIR = ROOT / "build" / "peers"
LOCKS = Path(__file__).resolve().parent / "peer_locks"
PROWLER = "prowler==5.46.0"
CUSTODIAN = "c7n==0.9.53"
PROWLER_CHECKS = {
    "ec2_ami_public": "PG.AMI.3",
    "ecr_repositories_scan_images_on_push_enabled": "PG.ECR.1",
    "ecr_repositories_tag_immutability": "PG.ECR.2",
    "awslambda_function_using_supported_runtimes": "PG.LAMBDA.5",
}
CUSTODIAN_POLICIES = {
    "ami-shared-beyond-account": "PG.AMI.3",
    "ami-older-than-90-days": "PG.AMI.5",
    "ami-allows-imdsv1": "PG.AMI.6",
    "ecr-no-scan-on-push": "PG.ECR.1",
    "ecr-mutable-tags": "PG.ECR.2",
    "lambda-deprecated-runtime": "PG.LAMBDA.5",
}
OVERLAP = sorted(set(PROWLER_CHECKS.values()) | set(CUSTODIAN_POLICIES.values()) | {"PG.AMI.1"})
"""The overlapping controls provenance-guard runs alone for the overlap row (PG.AMI.1: owner)."""


def venv_tool(requirement: str, executable: str) -> Path:
    """The tool's executable, installing `requirement` into `build/peers/<name>-<version>` when missing:
    hash-checked from `peer_locks/<name>.txt` when that lock exists, else the pinned version alone."""
    name, _, version = requirement.partition("==")
    home = PEERS_DIR / f"{name}-{version}"
    tool = home / "bin" / executable
    if tool.exists():
        return tool
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(home)], check=True)
    lock = LOCKS / f"{name}.txt"
    source = ["--require-hashes", "-r", str(lock)] if lock.exists() else [requirement]
    print(f"installing {requirement} into {home} ...", file=sys.stderr, flush=True)
    subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", *source], check=True)
    return tool


def custodian_policy(runtimes_file: Path, today: date) -> dict[str, Any]:
    runtimes = json.loads(runtimes_file.read_text())["runtimes"]
    deprecated = sorted(name for name, row in runtimes.items() if date.fromisoformat(row["deprecation"]) <= today)
    value = {"type": "value"}
    return {
        "policies": [
            {"name": "ami-shared-beyond-account", "resource": "ami", "filters": [{"type": "cross-account"}]},
            {"name": "ami-older-than-90-days", "resource": "ami", "filters": [{"type": "image-age", "days": 90}]},
            {
                "name": "ami-allows-imdsv1",
                "resource": "ami",
                "filters": [{**value, "key": "ImdsSupport", "op": "ne", "value": "v2.0"}],
            },
            {
                "name": "ecr-no-scan-on-push",
                "resource": "ecr",
                "filters": [{**value, "key": "imageScanningConfiguration.scanOnPush", "value": False}],
            },
            {
                "name": "ecr-mutable-tags",
                "resource": "ecr",
                "filters": [{**value, "key": "imageTagMutability", "value": "MUTABLE"}],
            },
            {
                "name": "lambda-deprecated-runtime",
                "resource": "lambda",
                "filters": [{**value, "key": "Runtime", "op": "in", "value": deprecated}],
            },
        ]
    }


def resource_name(identifier: str) -> str:
    """The name the benchmark keys resources by: `ami-…`, the repository name, the function name."""
    if ":function:" in identifier:
        return identifier.split(":function:", 1)[1].split(":", 1)[0]
    if ":repository/" in identifier:
        return identifier.split(":repository/", 1)[1]
    return identifier.rsplit("/", 1)[-1]


def pg_verdicts(findings: list[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """(control, resource) -> PASS / FAIL / NOT_AVAILABLE from `provenance-guard evaluate --json`."""
    found = {}
    for finding in findings:
        control = str(finding["Compliance"]["SecurityControlId"])
        status = str(finding["Compliance"]["Status"])
        verdict = {"PASSED": "PASS", "FAILED": "FAIL"}.get(status, status)
        found[(control, resource_name(str(finding["Resources"][0]["Id"])))] = verdict
    return found


def prowler_verdicts(output_dir: Path) -> dict[tuple[str, str], str]:
    found = {}
    for path in output_dir.glob("*.ocsf.json"):
        for finding in json.loads(path.read_text() or "[]"):
            check = finding.get("metadata", {}).get("event_code")
            if check not in PROWLER_CHECKS:
                continue
            resource = finding.get("resources", [{}])[0]
            name = resource_name(str(resource.get("uid") or resource.get("name") or ""))
            found[(PROWLER_CHECKS[check], name)] = str(finding.get("status_code"))
    return found


def custodian_verdicts(output_dir: Path, universe: Mapping[str, list[str]]) -> dict[tuple[str, str], str]:
    """A policy's matched resources fail; every other resource of its kind passes. `universe`: the
    seeded names per Custodian resource type."""
    keys = {"ami": "ImageId", "ecr": "repositoryName", "lambda": "FunctionName"}
    found = {}
    for policy in custodian_policy_names():
        control, kind = CUSTODIAN_POLICIES[policy], _custodian_kind(policy)
        matched_file = output_dir / policy / "resources.json"
        matched = {str(r[keys[kind]]) for r in json.loads(matched_file.read_text())} if matched_file.exists() else set()
        for name in universe[kind]:
            found[(control, name)] = "FAIL" if name in matched else "PASS"
    return found


def custodian_policy_names() -> list[str]:
    return list(CUSTODIAN_POLICIES)


def _custodian_kind(policy: str) -> str:
    return policy.split("-", 1)[0]


def agreement(pg: Mapping[tuple[str, str], str], peer: Mapping[tuple[str, str], str]) -> dict[str, str]:
    """Per control the peer judges: `agreed/compared` resources (a PG NOT_AVAILABLE counts as a difference)."""
    result = {}
    for control in sorted({c for c, _ in peer}):
        keys = [k for k in peer if k[0] == control]
        same = sum(1 for k in keys if pg.get(k) == peer[k])
        result[control] = f"{same}/{len(keys)}"
    return result


def today() -> date:
    return datetime.now(UTC).date()
