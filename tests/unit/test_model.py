"""model.py: canonical resource ARNs (CONTROLS.md §3), ASFF resource types, severities, verdicts."""

from __future__ import annotations

import pytest

from provenance_guard.model import Reason, ResourceKind, ResourceRef, Severity, Status, Verdict

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("kind", "name", "partition", "arn"),
    [
        (
            ResourceKind.AMI,
            "ami-0abcdef1234567890",
            "aws",
            "arn:aws:ec2:eu-west-1::image/ami-0abcdef1234567890",
        ),
        (
            ResourceKind.INSTANCE,
            "i-1234567890abcdef0",
            "aws",
            "arn:aws:ec2:eu-west-1:111122223333:instance/i-1234567890abcdef0",
        ),
        (
            ResourceKind.ECR_REPOSITORY,
            "team/service",
            "aws",
            "arn:aws:ecr:eu-west-1:111122223333:repository/team/service",
        ),
        (
            ResourceKind.ECR_IMAGE,
            f"team/service@{DIGEST}",
            "aws",
            f"arn:aws:ecr:eu-west-1:111122223333:repository/team/service/{DIGEST}",
        ),
        (
            ResourceKind.LAMBDA_FUNCTION,
            "checkout",
            "aws",
            "arn:aws:lambda:eu-west-1:111122223333:function:checkout",
        ),
        (
            ResourceKind.AMI,
            "ami-0abcdef1234567890",
            "aws-cn",
            "arn:aws-cn:ec2:eu-west-1::image/ami-0abcdef1234567890",
        ),
        (
            ResourceKind.LAMBDA_FUNCTION,
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
        (ResourceKind.AMI, "Other"),  # ASFF has no AMI resource type (research/securityhub.md §6)
        (ResourceKind.INSTANCE, "AwsEc2Instance"),
        (ResourceKind.ECR_REPOSITORY, "AwsEcrRepository"),
        (ResourceKind.ECR_IMAGE, "AwsEcrContainerImage"),
        (ResourceKind.LAMBDA_FUNCTION, "AwsLambdaFunction"),
    ],
)
def test_asff_resource_type_of_each_judged_kind(kind: ResourceKind, asff_type: str) -> None:
    assert kind.asff_type == asff_type


def test_every_resource_kind_has_an_asff_type() -> None:
    for kind in ResourceKind:
        assert kind.asff_type


def test_default_partition_is_aws() -> None:
    assert ResourceRef(ResourceKind.AMI, "ami-1", "111122223333", "us-east-1").partition == "aws"


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
