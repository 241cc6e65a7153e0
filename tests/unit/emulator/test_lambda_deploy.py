"""The emulator's Lambda deployments: code signing checks, signatures recorded on functions and layers,
layers of other accounts, image digests."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.signer.models import signer_backends

from provenance_guard_cli.emulator.signer import jobs_of
from tests.unit.lambda_support import (
    ACCOUNT,
    FOREIGN_ACCOUNT,
    archive,
    code_signing_config,
    create_function,
    foreign_client,
    shared_layer,
    sign,
    signing_profile,
)
from tests.unit.support import error_code


def signing_of(lam: Any, name: str, qualifier: str | None = None) -> tuple[str | None, str | None]:
    extra = {"Qualifier": qualifier} if qualifier else {}
    configuration = lam.get_function(FunctionName=name, **extra)["Configuration"]
    return configuration.get("SigningProfileVersionArn"), configuration.get("SigningJobArn")


def test_signed_code_deployed_under_a_config_records_its_signature(lam: Any, iam: Any, s3: Any, signer: Any) -> None:
    profile = signing_profile(signer)
    signed = sign(s3, signer, archive(), profile)
    config = code_signing_config(lam, profile.version_arn)

    created = create_function(lam, iam, "billing", code=signed.code, CodeSigningConfigArn=config, Publish=True)

    assert (created["SigningProfileVersionArn"], created["SigningJobArn"]) == (profile.version_arn, signed.job_arn)
    assert signing_of(lam, "billing") == (profile.version_arn, signed.job_arn)
    assert signing_of(lam, "billing", "1") == (profile.version_arn, signed.job_arn), "published versions keep it"


def test_without_a_config_lambda_validates_nothing_and_records_no_signature(
    lam: Any, iam: Any, s3: Any, signer: Any
) -> None:
    signed = sign(s3, signer, archive(), signing_profile(signer))
    create_function(lam, iam, "billing", code=signed.code)
    assert signing_of(lam, "billing") == (None, None)


def test_enforce_refuses_unsigned_code_and_warn_deploys_it(lam: Any, iam: Any, signer: Any) -> None:
    profile = signing_profile(signer)
    enforce = code_signing_config(lam, profile.version_arn, policy="Enforce")
    warn = code_signing_config(lam, profile.version_arn, policy="Warn")

    with pytest.raises(ClientError) as raised:
        create_function(lam, iam, "strict", CodeSigningConfigArn=enforce)
    create_function(lam, iam, "lenient", CodeSigningConfigArn=warn)

    assert error_code(raised) == "CodeVerificationFailedException"
    assert "the code package is not signed" in raised.value.response["Error"]["Message"]
    assert signing_of(lam, "lenient") == (None, None)


def test_a_publisher_not_in_the_config_is_a_mismatch(lam: Any, iam: Any, s3: Any, signer: Any) -> None:
    release, nightly = signing_profile(signer, "release"), signing_profile(signer, "nightly")
    signed = sign(s3, signer, archive(), nightly)
    enforce = code_signing_config(lam, release.version_arn, policy="Enforce")
    warn = code_signing_config(lam, release.version_arn, policy="Warn")

    with pytest.raises(ClientError) as raised:
        create_function(lam, iam, "strict", code=signed.code, CodeSigningConfigArn=enforce)
    create_function(lam, iam, "lenient", code=signed.code, CodeSigningConfigArn=warn)

    assert error_code(raised) == "CodeVerificationFailedException"
    assert signing_of(lam, "lenient") == (nightly.version_arn, signed.job_arn), "Warn deploys and records the signer"


def test_a_package_changed_after_signing_fails_integrity_even_under_warn(
    lam: Any, iam: Any, s3: Any, signer: Any
) -> None:
    profile = signing_profile(signer)
    signed = sign(s3, signer, archive(), profile)
    content = io.BytesIO(s3.get_object(Bucket=signed.bucket, Key=signed.key)["Body"].read())
    with zipfile.ZipFile(content, "a") as opened:
        opened.writestr("backdoor.py", "import os")
    warn = code_signing_config(lam, profile.version_arn, policy="Warn")

    with pytest.raises(ClientError) as raised:
        create_function(lam, iam, "billing", code={"ZipFile": content.getvalue()}, CodeSigningConfigArn=warn)
    assert error_code(raised) == "InvalidCodeSignatureException"


@pytest.mark.parametrize("failure", ["revoked", "expired"])
def test_revoked_or_expired_signatures_are_refused_under_enforce(
    lam: Any, iam: Any, s3: Any, signer: Any, failure: str
) -> None:
    profile = signing_profile(signer)
    signed = sign(s3, signer, archive(), profile)
    if failure == "revoked":
        signer.revoke_signature(jobId=signed.job_id, reason="key compromised")
    else:
        jobs_of(signer_backends[ACCOUNT]["us-east-1"])[signed.job_id].expires_at = datetime.now(UTC) - timedelta(days=1)
    enforce = code_signing_config(lam, profile.version_arn)

    with pytest.raises(ClientError) as raised:
        create_function(lam, iam, "billing", code=signed.code, CodeSigningConfigArn=enforce)
    assert error_code(raised) == "CodeVerificationFailedException"
    assert failure in raised.value.response["Error"]["Message"]


def test_attaching_a_config_later_does_not_revalidate_deployed_code(lam: Any, iam: Any, signer: Any) -> None:
    profile = signing_profile(signer)
    create_function(lam, iam, "legacy")
    lam.put_function_code_signing_config(
        FunctionName="legacy", CodeSigningConfigArn=code_signing_config(lam, profile.version_arn)
    )
    assert signing_of(lam, "legacy") == (None, None)
    with pytest.raises(ClientError) as raised:
        lam.update_function_code(FunctionName="legacy", ZipFile=archive())
    assert error_code(raised) == "CodeVerificationFailedException", "but the next deployment is checked"


def test_an_unsigned_update_under_warn_clears_the_signature(lam: Any, iam: Any, s3: Any, signer: Any) -> None:
    profile = signing_profile(signer)
    signed = sign(s3, signer, archive(), profile)
    warn = code_signing_config(lam, profile.version_arn, policy="Warn")
    create_function(lam, iam, "billing", code=signed.code, CodeSigningConfigArn=warn)

    lam.update_function_code(FunctionName="billing", ZipFile=archive(**{"handler.py": "changed = True"}))
    assert signing_of(lam, "billing") == (None, None)

    lam.update_function_code(FunctionName="billing", S3Bucket=signed.bucket, S3Key=signed.key)
    assert signing_of(lam, "billing") == (profile.version_arn, signed.job_arn)


def test_a_layer_of_another_account_needs_its_permission(lam: Any, iam: Any) -> None:
    foreign = foreign_client("lambda")
    arn = foreign.publish_layer_version(LayerName="private", Content={"ZipFile": archive()})["LayerVersionArn"]
    with pytest.raises(ClientError) as raised:
        create_function(lam, iam, "billing", Layers=[arn])
    assert error_code(raised) == "AccessDeniedException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    shared = shared_layer()
    layers = create_function(lam, iam, "reports", Layers=[shared])["Layers"]
    assert [layer["Arn"] for layer in layers] == [shared]
    assert shared.split(":")[4] == FOREIGN_ACCOUNT


def test_layers_report_their_signature(lam: Any, iam: Any, s3: Any, signer: Any) -> None:
    profile = signing_profile(signer)
    signed = sign(s3, signer, archive(**{"python/util.py": "x = 1"}), profile)
    layer = lam.publish_layer_version(LayerName="util", Content={"S3Bucket": signed.bucket, "S3Key": signed.key})
    unsigned = lam.publish_layer_version(LayerName="plain", Content={"ZipFile": archive()})

    created = create_function(lam, iam, "billing", Layers=[layer["LayerVersionArn"], unsigned["LayerVersionArn"]])

    assert layer["Content"]["SigningProfileVersionArn"] == profile.version_arn
    assert layer["Content"]["SigningJobArn"] == signed.job_arn
    assert created["Layers"][0]["SigningProfileVersionArn"] == profile.version_arn
    assert "SigningProfileVersionArn" not in created["Layers"][1]


def test_enforce_refuses_unsigned_layers_on_create_and_configuration_update(
    lam: Any, iam: Any, s3: Any, signer: Any
) -> None:
    profile = signing_profile(signer)
    signed = sign(s3, signer, archive(), profile)
    config = code_signing_config(lam, profile.version_arn)
    create_function(lam, iam, "billing", code=signed.code, CodeSigningConfigArn=config)
    unsigned = shared_layer()

    with pytest.raises(ClientError) as on_create:
        create_function(lam, iam, "reports", code=signed.code, CodeSigningConfigArn=config, Layers=[unsigned])
    with pytest.raises(ClientError) as on_update:
        lam.update_function_configuration(FunctionName="billing", Layers=[unsigned])
    assert error_code(on_create) == error_code(on_update) == "CodeVerificationFailedException"
    assert f"layer {unsigned} is not signed" in on_update.value.response["Error"]["Message"]


def test_image_functions_report_the_digest_they_run(lam: Any, iam: Any, boto_session: Any) -> None:
    ecr = boto_session.client("ecr")
    ecr.create_repository(repositoryName="app")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7,
            "digest": "sha256:" + "c" * 64,
        },
        "layers": [],
    }
    digest = ecr.put_image(repositoryName="app", imageManifest=json.dumps(manifest), imageTag="v1")["image"]["imageId"][
        "imageDigest"
    ]
    registry = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
    pinned = f"{registry}/app@sha256:{'a' * 64}"
    cases = {"tagged": f"{registry}/app:v1", "pinned": pinned, "elsewhere": "public.ecr.aws/lambda/python:3.12"}
    for name, uri in cases.items():
        create_function(lam, iam, name, PackageType="Image", Code={"ImageUri": uri}, Runtime=None, Handler=None)

    resolved = {name: lam.get_function(FunctionName=name)["Code"]["ResolvedImageUri"] for name in cases}

    assert resolved["tagged"] == f"{registry}/app@{digest}"
    assert resolved["pinned"] == pinned
    assert resolved["elsewhere"].startswith("public.ecr.aws/lambda/python@sha256:")
