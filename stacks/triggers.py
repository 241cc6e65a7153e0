"""Which events reach which function (CONTROLS.md §2), as EventBridge patterns.

Each function judges some resource kinds; its IAM policy is the union of the permissions the
registry's controls for those kinds declare, plus what its own inventory or lookups read.
Patterns always name their `source`, so they never match Security Hub's "Findings - Imported"
events for the findings this service writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provenance_guard.collect.lambda_function import LIST_FUNCTIONS_BY_CONFIG
from provenance_guard.model import ResourceKind
from provenance_guard.sweep import INVENTORY_PERMISSIONS

CLOUDTRAIL = "AWS API Call via CloudTrail"


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    pattern: dict[str, Any]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    """Also the directory `functions/<name>/` holding its handler."""
    description: str
    kinds: frozenset[ResourceKind]
    rules: tuple[Rule, ...]
    extra_permissions: tuple[str, ...] = ()
    timeout_seconds: int = 60
    memory_mb: int = 512
    handler: str = "handler.lambda_handler"
    fans_out: bool = False
    """Sends work to its own queue (the sweep's pages)."""
    rechecks: bool = False
    """Sends provisional results back to its own queue, delayed (`provenance_guard.recheck`)."""


def cloudtrail(service: str, event_names: list[Any]) -> dict[str, Any]:
    return {
        "source": [f"aws.{service}"],
        "detail-type": [CLOUDTRAIL],
        "detail": {"eventSource": [f"{service}.amazonaws.com"], "eventName": event_names},
    }


def versioned(name: str) -> list[Any]:
    """Lambda's CloudTrail names carry API versions (UpdateFunctionCode20150331v2): match the bare
    name and every versioned form, but not longer names sharing the prefix (CreateFunctionUrlConfig)."""
    return [name, {"prefix": f"{name}20"}]


AMI_EVENTS = FunctionSpec(
    name="ami_events",
    description="Judges AMIs when they become available, are shared or change state",
    kinds=frozenset({ResourceKind.AMI}),
    rules=(
        Rule(
            "AmiStateChange",
            "EC2 AMI State Change: available -> evaluate; deregistered / disabled -> archive",
            {
                "source": ["aws.ec2"],
                "detail-type": ["EC2 AMI State Change"],
                "detail": {"State": ["available", "deregistered", "disabled"]},
            },
        ),
        Rule(
            "ImageBuilderImageAvailable",
            "EC2 Image Builder image AVAILABLE -> evaluate the AMIs it distributed",
            {
                "source": ["aws.imagebuilder"],
                "detail-type": ["EC2 Image Builder Image State Change"],
                "detail": {"state": {"status": ["AVAILABLE"]}},
            },
        ),
        Rule(
            "AmiLaunchPermissionCalls",
            "CloudTrail ModifyImageAttribute / ResetImageAttribute -> re-check sharing",
            cloudtrail("ec2", ["ModifyImageAttribute", "ResetImageAttribute"]),
        ),
    ),
)

INSTANCE_EVENTS = FunctionSpec(
    name="instance_events",
    description="Judges instances at launch by the AMI they come from",
    kinds=frozenset({ResourceKind.INSTANCE}),
    rules=(
        Rule(
            "InstanceStateChange",
            "EC2 Instance State-change Notification: pending -> evaluate; terminated -> archive",
            {
                "source": ["aws.ec2"],
                "detail-type": ["EC2 Instance State-change Notification"],
                "detail": {"state": ["pending", "terminated"]},
            },
        ),
        Rule(
            "RunInstancesCalls",
            "CloudTrail RunInstances -> evaluate the instances",
            cloudtrail("ec2", ["RunInstances"]),
        ),
    ),
)

IMAGE_PUSH = FunctionSpec(
    name="image_push",
    description="Judges container images and their repositories on push, replication, delete and configuration change",
    kinds=frozenset({ResourceKind.ECR_IMAGE, ResourceKind.ECR_REPOSITORY}),
    rechecks=True,  # ECR managed signing may still be in progress when a push is judged
    rules=(
        Rule(
            "EcrImageAction",
            "ECR Image Action PUSH / DELETE that succeeded",
            {
                "source": ["aws.ecr"],
                "detail-type": ["ECR Image Action"],
                "detail": {"action-type": ["PUSH", "DELETE"], "result": ["SUCCESS"]},
            },
        ),
        Rule(
            "EcrReplicationAction",
            "ECR Replication Action: an image replicated into this registry (AWS documents no PUSH for a replica)",
            {
                "source": ["aws.ecr"],
                "detail-type": ["ECR Replication Action"],
                "detail": {"action-type": ["REPLICATE"], "result": ["SUCCESS"]},
            },
        ),
        Rule(
            "EcrReferrerAction",
            "ECR Referrer Action: a signature or other referrer of an image changed",
            {"source": ["aws.ecr"], "detail-type": ["ECR Referrer Action"]},
        ),
        Rule(
            "EcrConfigurationCalls",
            "CloudTrail calls that create or delete repositories or change their scanning and tag mutability",
            cloudtrail(
                "ecr",
                [
                    "CreateRepository",
                    "DeleteRepository",
                    "PutImageScanningConfiguration",
                    "PutImageTagMutability",
                    "PutRegistryScanningConfiguration",
                ],
            ),
        ),
    ),
)

SCAN_RESULTS = FunctionSpec(
    name="scan_results",
    description="Judges container images when a vulnerability scan completes or a finding changes",
    kinds=frozenset({ResourceKind.ECR_IMAGE}),
    rules=(
        Rule(
            "EcrImageScan",
            "ECR basic scan completed",
            {"source": ["aws.ecr"], "detail-type": ["ECR Image Scan"]},
        ),
        Rule(
            "InspectorEcrScan",
            "Amazon Inspector scanned an ECR image",
            {
                "source": ["aws.inspector2"],
                "detail-type": ["Inspector2 Scan"],
                "detail": {"image-digest": [{"exists": True}]},
            },
        ),
        Rule(
            "InspectorEcrFinding",
            "An Amazon Inspector finding on an ECR image was created, updated or closed",
            {
                "source": ["aws.inspector2"],
                "detail-type": ["Inspector2 Finding"],
                "detail": {"resources": {"type": ["AWS_ECR_CONTAINER_IMAGE"]}},
            },
        ),
    ),
)

LAMBDA_CHANGES = FunctionSpec(
    name="lambda_changes",
    description="Judges Lambda functions when their code, configuration or code signing changes",
    # ECR_IMAGE: PG.LAMBDA.6 reads a container-image function's image through the ECR image collector,
    # so this function needs exactly the reads the ECR image controls declare.
    kinds=frozenset({ResourceKind.LAMBDA_FUNCTION, ResourceKind.ECR_IMAGE}),
    rules=(
        Rule(
            "LambdaFunctionCalls",
            "CloudTrail Lambda function and code-signing calls (versioned names matched by prefix)",
            cloudtrail(
                "lambda",
                [
                    *versioned("CreateFunction"),
                    *versioned("UpdateFunctionCode"),
                    *versioned("UpdateFunctionConfiguration"),
                    *versioned("DeleteFunction"),
                    *versioned("PutFunctionCodeSigningConfig"),
                    *versioned("DeleteFunctionCodeSigningConfig"),
                    *versioned("UpdateCodeSigningConfig"),
                    *versioned("DeleteCodeSigningConfig"),
                ],
            ),
        ),
    ),
    extra_permissions=(LIST_FUNCTIONS_BY_CONFIG,),
)

SWEEP = FunctionSpec(
    name="sweep",
    description="Re-checks the whole inventory on a schedule and on demand",
    kinds=frozenset(ResourceKind),
    rules=(
        Rule(
            "SweepRequested",
            "An on-demand sweep: PutEvents source provenance-guard, detail-type Sweep Requested",
            {"source": ["provenance-guard"], "detail-type": ["Sweep Requested"]},
        ),
    ),
    extra_permissions=INVENTORY_PERMISSIONS,
    timeout_seconds=900,
    memory_mb=1024,
    fans_out=True,
)

FUNCTIONS = (AMI_EVENTS, INSTANCE_EVENTS, IMAGE_PUSH, SCAN_RESULTS, LAMBDA_CHANGES, SWEEP)
