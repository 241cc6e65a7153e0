"""model.py: canonical resource ARNs (CONTROLS.md §3), ASFF resource types, severities, verdicts."""

from __future__ import annotations

import pytest

from provenance_guard.collect.ami import AMI
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecr_repository import ECR_REPOSITORY
from provenance_guard.collect.instance import INSTANCE
from provenance_guard.collect.kinds import KINDS
from provenance_guard.collect.lambda_function import LAMBDA_FUNCTION
from provenance_guard.model import Reason, ResourceKind, ResourceRef, Severity, Status, Verdict

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("kind", "name", "partition", "arn"),
    [
        (
            AMI,
            "ami-0abcdef1234567890",
            "aws",
            "arn:aws:ec2:eu-west-1::image/ami-0abcdef1234567890",
        ),
        (
            INSTANCE,
            "i-1234567890abcdef0",
            "aws",
            "arn:aws:ec2:eu-west-1:111122223333:instance/i-1234567890abcdef0",
        ),
        (
            ECR_REPOSITORY,
            "team/service",
            "aws",
            "arn:aws:ecr:eu-west-1:111122223333:repository/team/service",
        ),
        (
            ECR_IMAGE,
            f"team/service@{DIGEST}",
            "aws",
            f"arn:aws:ecr:eu-west-1:111122223333:repository/team/service/{DIGEST}",
        ),
        (
            LAMBDA_FUNCTION,
            "checkout",
            "aws",
            "arn:aws:lambda:eu-west-1:111122223333:function:checkout",
        ),
        (
            AMI,
            "ami-0abcdef1234567890",
            "aws-cn",
            "arn:aws-cn:ec2:eu-west-1::image/ami-0abcdef1234567890",
        ),
        (
            LAMBDA_FUNCTION,
            "checkout",
            "aws-us-gov",
            "arn:aws-us-gov:lambda:eu-west-1:111122223333:function:checkout",
        ),
    ],
)
def test_canonical_arn(kind: ResourceKind, name: str, partition: str, arn: str) -> None:
    assert ResourceRef(kind, name, "111122223333", "eu-west-1", partition).arn == arn


@pytest.mark.parametrize(
    ("kind", "asff_type"),
    [
        (AMI, "Other"),  # ASFF has no AMI resource type (research/securityhub.md §6)
        (INSTANCE, "AwsEc2Instance"),
        (ECR_REPOSITORY, "AwsEcrRepository"),
        (ECR_IMAGE, "AwsEcrContainerImage"),
        (LAMBDA_FUNCTION, "AwsLambdaFunction"),
    ],
)
def test_asff_resource_type_of_each_judged_kind(kind: ResourceKind, asff_type: str) -> None:
    assert kind.asff_type == asff_type


def test_every_resource_kind_has_an_asff_type() -> None:
    for kind in KINDS:
        assert kind.asff_type


def test_default_partition_is_aws() -> None:
    assert ResourceRef(AMI, "ami-1", "111122223333", "us-east-1").partition == "aws"


def test_severities_are_ordered_and_normalized() -> None:
    ordered = [Severity.INFORMATIONAL, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
    assert [s.rank for s in ordered] == [0, 1, 2, 3, 4]
    # ASFF Severity.Normalized bands: 0 informational, 1-39 low, 40-69 medium, 70-89 high, 90-100 critical
    assert [s.normalized for s in ordered] == [0, 1, 40, 70, 90]


def test_verdict_constructors() -> None:
    evidence = {"OwnerId": "111122223333"}
    passed = Verdict.passed("PG.AMI.1", "trusted", evidence)
    assert passed.status is Status.PASSED
    assert passed.reasons == (Reason("PASSED", "trusted"),)
    assert passed.severity is None

    failed = Verdict.failed("PG.AMI.3", (Reason("PUBLIC", "public"),), evidence, Severity.CRITICAL)
    assert (failed.status, failed.severity) == (Status.FAILED, Severity.CRITICAL)

    unknown = Verdict.not_available("PG.AMI.3", "NOT_OWNER", "cannot read", evidence)
    assert unknown.status is Status.NOT_AVAILABLE
    assert unknown.reasons == (Reason("NOT_OWNER", "cannot read"),)
    assert unknown.evidence == evidence
