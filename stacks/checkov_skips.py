"""The checkov checks the template accepts, each skipped on the resource itself with its reason.

checkov reads a CloudFormation resource's `Metadata: {checkov: {skip: [{id, comment}]}}`; `tests/infra/
test_checkov.py` runs checkov on the synthesized template and fails on any failed check, and checks every
skip carries a comment.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import CfnResource

LAMBDA_CONCURRENCY = "CKV_AWS_115"
LAMBDA_DLQ = "CKV_AWS_116"
LAMBDA_VPC = "CKV_AWS_117"
S3_ACCESS_LOGGING = "CKV_AWS_18"

SQS_TRIGGERED_FUNCTION: Mapping[str, str] = {
    LAMBDA_CONCURRENCY: (
        "Concurrency is capped by the SQS event source's MaximumConcurrency (2 per function); reserved "
        "concurrency would take from the account's unreserved pool and fails to deploy in accounts whose "
        "concurrency quota is still the new-account default."
    ),
    LAMBDA_DLQ: (
        "Invoked by an SQS event source mapping, never asynchronously: a function DLQ would never receive "
        "anything. Failed messages go to the source queue's redrive DLQ (alarmed)."
    ),
    LAMBDA_VPC: (
        "Calls only AWS APIs and ECR registry endpoints; it holds no network-reachable data. A VPC would need "
        "NAT or a dozen interface endpoints per Region for no reduction of exposure."
    ),
}
"""The accepted checks of each of the service's own functions."""

CUSTOM_RESOURCE_PROVIDER: Mapping[str, str] = {
    LAMBDA_CONCURRENCY: (
        "CDK's AwsCustomResource provider runs once per deployment (the initial sweep request); reserved "
        "concurrency would only take from the account's pool."
    ),
    LAMBDA_DLQ: (
        "CDK's AwsCustomResource provider answers CloudFormation directly; a failure fails the deployment, "
        "which is where it must be seen."
    ),
    LAMBDA_VPC: "CDK's AwsCustomResource provider calls only events:PutEvents on the default bus.",
}

ACCESS_LOG_BUCKET: Mapping[str, str] = {
    S3_ACCESS_LOGGING: (
        "It is the server access log bucket of the trail bucket; logging it would need a third bucket, and so on."
    ),
}


def skip(resource: CfnResource, checks: Mapping[str, str]) -> None:
    """Skip `checks` (id -> reason) on `resource`, keeping any skip already there."""
    existing = resource.get_metadata("checkov") or {}
    skips = [*existing.get("skip", []), *({"id": check, "comment": reason} for check, reason in checks.items())]
    resource.add_metadata("checkov", {"skip": skips})
