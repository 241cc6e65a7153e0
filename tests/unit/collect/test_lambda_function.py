"""collect/lambda_function.py against the emulator (moto + Lambda/Signer extensions): versions and aliases,
code signing, the signing job, layers, images, vanished functions, and code signing config expansion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.lambda_function import (
    CODE_SIGNING_CONFIG,
    LambdaFunctionCollector,
    functions_using_config_work,
)
from provenance_guard.model import ResourceRef
from provenance_guard.work import Action, Work
from tests.unit.lambda_support import (
    ACCOUNT,
    FOREIGN_ACCOUNT,
    REGION,
    archive,
    code_signing_config,
    create_function,
    function_ref,
    shared_layer,
    sign,
    signing_profile,
)


@dataclass
class Clients:
    lam: Any
    iam: Any
    s3: Any
    signer: Any


@pytest.fixture
def aws_clients(aws: None) -> Clients:
    return Clients(*(boto3.client(service, region_name=REGION) for service in ("lambda", "iam", "s3", "signer")))


@pytest.fixture
def collector(aws: None) -> LambdaFunctionCollector:
    return LambdaFunctionCollector(ClientFactory(max_attempts=1))


def test_a_vanished_function_reads_as_none(collector: LambdaFunctionCollector) -> None:
    assert collector.collect(function_ref("missing")) is None


def test_latest_and_every_aliased_version_are_read(collector: LambdaFunctionCollector, aws_clients: Clients) -> None:
    lam, iam = aws_clients.lam, aws_clients.iam
    create_function(lam, iam, "billing", Runtime="python3.9", Publish=True)  # version 1
    lam.update_function_code(FunctionName="billing", ZipFile=archive(**{"handler.py": "v = 2"}), Publish=True)  # 2
    lam.update_function_configuration(FunctionName="billing", Runtime="python3.12")
    lam.update_function_code(FunctionName="billing", ZipFile=archive(**{"handler.py": "v = 3"}), Publish=True)  # 3
    lam.create_alias(FunctionName="billing", Name="live", FunctionVersion="1")
    lam.create_alias(
        FunctionName="billing",
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"3": 0.1}},
    )

    snapshot = collector.collect(function_ref("billing"))

    assert snapshot is not None
    assert [(v.version, v.aliases) for v in snapshot.versions] == [
        ("$LATEST", ()),
        ("1", ("canary", "live")),
        ("3", ("canary",)),
    ], "version 2 serves no alias: not judged"
    assert [v.runtime for v in snapshot.versions] == ["python3.12", "python3.9", "python3.12"]
    assert snapshot.package_type == "Zip"
    assert snapshot.versions[1].label == "version 1 (alias canary, live)"


def test_code_signing_and_the_signing_job_are_read(collector: LambdaFunctionCollector, aws_clients: Clients) -> None:
    c = aws_clients
    profile = signing_profile(c.signer)
    signed = sign(c.s3, c.signer, archive(), profile)
    config = code_signing_config(c.lam, profile.version_arn, policy="Warn")
    create_function(c.lam, c.iam, "billing", code=signed.code, CodeSigningConfigArn=config)
    c.signer.revoke_signature(jobId=signed.job_id, reason="key compromised")

    snapshot = collector.collect(function_ref("billing"))

    assert snapshot is not None
    assert snapshot.code_signing is not None
    assert (snapshot.code_signing.config_arn, snapshot.code_signing.policy) == (config, "Warn")
    assert snapshot.code_signing.allowed_publishers == (profile.version_arn,)
    latest = snapshot.latest
    assert (latest.signing_profile_version_arn, latest.signing_job_arn) == (profile.version_arn, signed.job_arn)
    assert latest.signing_job is not None
    assert latest.signing_job.revoked_reason == "key compromised"
    assert latest.signing_job.expires_at is not None


def test_no_code_signing_config_reads_as_none(collector: LambdaFunctionCollector, aws_clients: Clients) -> None:
    create_function(aws_clients.lam, aws_clients.iam, "billing")
    snapshot = collector.collect(function_ref("billing"))
    assert snapshot is not None
    assert snapshot.code_signing is None
    assert snapshot.latest.signing_profile_version_arn is None
    assert snapshot.latest.signing_job is None


def test_a_signing_job_of_another_account_is_not_read(aws: None) -> None:
    from provenance_guard.collect.lambda_model import SigningJobStatus

    collector = LambdaFunctionCollector(ClientFactory(max_attempts=1))
    job = collector._signing_job(function_ref(), f"arn:aws:signer:{REGION}:{FOREIGN_ACCOUNT}:/signing-jobs/abc")
    assert job == SigningJobStatus(
        f"arn:aws:signer:{REGION}:{FOREIGN_ACCOUNT}:/signing-jobs/abc",
        error=f"the job belongs to account {FOREIGN_ACCOUNT}; only its owner can read it",
    )


def test_layers_of_other_accounts_are_read_with_their_owner(
    collector: LambdaFunctionCollector, aws_clients: Clients
) -> None:
    layer = shared_layer()
    create_function(aws_clients.lam, aws_clients.iam, "billing", Layers=[layer])
    snapshot = collector.collect(function_ref("billing"))
    assert snapshot is not None
    (use,) = snapshot.latest.layers
    assert (use.arn, use.owner, use.signing_profile_version_arn) == (layer, FOREIGN_ACCOUNT, None)


@dataclass
class RecordingImageCollector:
    """Stands in for the ECR image collector (another family's): records what it was asked for."""

    asked: list[ResourceRef]
    found: bool = True

    def collect(self, ref: ResourceRef) -> Any:
        self.asked.append(ref)
        return {"image": ref.name} if self.found else None


def test_image_functions_hand_their_resolved_digest_to_the_ecr_image_collector(aws_clients: Clients) -> None:
    uri = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/payments@sha256:{'ab' * 32}"
    create_function(
        aws_clients.lam, aws_clients.iam, "api", PackageType="Image", Code={"ImageUri": uri}, Runtime=None, Handler=None
    )
    images = RecordingImageCollector([])
    collector = LambdaFunctionCollector(ClientFactory(max_attempts=1), lambda: images)

    snapshot = collector.collect(function_ref("api"))

    assert snapshot is not None
    assert snapshot.is_image
    assert snapshot.code_signing is None, "code signing does not apply to images"
    image = snapshot.latest.image
    assert image is not None
    expected = ResourceRef(ECR_IMAGE, f"payments@sha256:{'ab' * 32}", ACCOUNT, REGION)
    assert images.asked == [expected]
    assert (image.ecr_ref, image.snapshot, image.error) == (expected, {"image": expected.name}, None)


@pytest.mark.parametrize(
    ("images", "error"),
    [
        (None, "no ECR image collector is installed"),
        (RecordingImageCollector([], found=False), "is not in ECR"),
    ],
)
def test_an_image_without_a_collector_or_not_in_ecr_says_why(aws_clients: Clients, images: Any, error: str) -> None:
    uri = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/payments@sha256:{'ab' * 32}"
    create_function(
        aws_clients.lam, aws_clients.iam, "api", PackageType="Image", Code={"ImageUri": uri}, Runtime=None, Handler=None
    )
    snapshot = LambdaFunctionCollector(ClientFactory(max_attempts=1), lambda: images).collect(function_ref("api"))
    assert snapshot is not None
    assert snapshot.latest.image is not None
    assert error in (snapshot.latest.image.error or "")


def test_asff_details_describe_latest(collector: LambdaFunctionCollector, aws_clients: Clients) -> None:
    create_function(aws_clients.lam, aws_clients.iam, "billing", Architectures=["arm64"], Layers=[shared_layer()])
    snapshot = collector.collect(function_ref("billing"))
    assert snapshot is not None
    details = snapshot.asff_details()["AwsLambdaFunction"]
    assert details["FunctionName"] == "billing"
    assert details["Runtime"] == "python3.12"
    assert details["PackageType"] == "Zip"
    assert details["Architectures"] == ["arm64"]
    assert len(details["Layers"]) == 1


def test_a_code_signing_config_expands_into_the_functions_using_it(aws_clients: Clients) -> None:
    profile = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release/abcdef0123"
    config = code_signing_config(aws_clients.lam, profile, policy="Warn")
    for name in ("billing", "reports"):
        create_function(aws_clients.lam, aws_clients.iam, name, CodeSigningConfigArn=config)
    create_function(aws_clients.lam, aws_clients.iam, "unrelated")
    ref = ResourceRef(CODE_SIGNING_CONFIG, config, ACCOUNT, REGION)

    work = functions_using_config_work(ClientFactory(max_attempts=1), ref)

    assert work == [Work(Action.EVALUATE, function_ref("billing")), Work(Action.EVALUATE, function_ref("reports"))]


def test_a_vanished_code_signing_config_expands_into_nothing(aws: None) -> None:
    config = f"arn:aws:lambda:{REGION}:{ACCOUNT}:code-signing-config:csc-0123456789abcdefg"
    ref = ResourceRef(CODE_SIGNING_CONFIG, config, ACCOUNT, REGION)
    assert functions_using_config_work(ClientFactory(max_attempts=1), ref) == []


def test_a_version_that_vanishes_while_it_is_read_is_skipped_not_the_function(
    collector: LambdaFunctionCollector, aws_clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_function(aws_clients.lam, aws_clients.iam, "billing", Publish=True)
    aws_clients.lam.create_alias(FunctionName="billing", Name="live", FunctionVersion="1")
    monkeypatch.setattr(
        LambdaFunctionCollector,
        "_aliased_versions",
        staticmethod(lambda lam, name: {"$LATEST": (), "1": ("live",), "7": ("stale",)}),
    )
    snapshot = collector.collect(function_ref("billing"))
    assert snapshot is not None
    assert [v.version for v in snapshot.versions] == ["$LATEST", "1"]
