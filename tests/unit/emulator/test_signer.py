"""The emulator's AWS Signer signing jobs (moto 5.2.5 has none) and the signed-artifact format."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator.signer import jobs_of, read_signature, sign_archive
from tests.unit.lambda_support import Profile, archive, sign, signing_profile, versioned_bucket
from tests.unit.support import error_code


def test_a_signing_job_writes_a_signed_package_naming_the_job_and_profile_version(s3: Any, signer: Any) -> None:
    profile = signing_profile(signer)
    signed = sign(s3, signer, archive(), profile)

    job = signer.describe_signing_job(jobId=signed.job_id)
    body = s3.get_object(Bucket=signed.bucket, Key=signed.key)["Body"].read()
    signature = read_signature(body)

    assert job["status"] == "Succeeded"
    assert job["profileName"] == "release"
    assert profile.version_arn.endswith("/" + job["profileVersion"])
    assert job["signedObject"] == {"s3": {"bucketName": signed.bucket, "key": f"signed/{signed.job_id}.zip"}}
    assert job["signatureExpiresAt"] - job["createdAt"] == timedelta(days=135 * 30)
    assert signature is not None
    assert (signature.job_arn, signature.profile_version_arn, signature.intact) == (
        signed.job_arn,
        profile.version_arn,
        True,
    )


def test_the_signed_package_keeps_its_content(s3: Any, signer: Any) -> None:
    signed = sign(s3, signer, archive(**{"app.py": "x = 1"}), signing_profile(signer))
    body = s3.get_object(Bucket=signed.bucket, Key=signed.key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as opened:
        assert opened.read("app.py") == b"x = 1"


def test_a_repeated_client_request_token_returns_the_first_job(s3: Any, signer: Any) -> None:
    signing_profile(signer)
    bucket = versioned_bucket(s3)
    version = s3.put_object(Bucket=bucket, Key="code.zip", Body=archive())["VersionId"]
    request = {
        "source": {"s3": {"bucketName": bucket, "key": "code.zip", "version": version}},
        "destination": {"s3": {"bucketName": bucket, "prefix": "signed/"}},
        "profileName": "release",
        "clientRequestToken": "same-token",
    }
    assert signer.start_signing_job(**request)["jobId"] == signer.start_signing_job(**request)["jobId"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        pytest.param({"profileName": "unknown"}, "ResourceNotFoundException", id="unknown-profile"),
        pytest.param({"source_version": "0000"}, "ValidationException", id="unknown-source-version"),
        pytest.param({"destination": "no-such-bucket"}, "ValidationException", id="unknown-destination"),
        pytest.param({"body": b"not a zip"}, "ValidationException", id="not-a-zip"),
    ],
)
def test_a_job_that_cannot_sign_fails(s3: Any, signer: Any, change: dict[str, Any], code: str) -> None:
    signing_profile(signer)
    bucket = versioned_bucket(s3)
    version = s3.put_object(Bucket=bucket, Key="code.zip", Body=change.get("body", archive()))["VersionId"]
    with pytest.raises(ClientError) as raised:
        signer.start_signing_job(
            source={"s3": {"bucketName": bucket, "key": "code.zip", "version": change.get("source_version", version)}},
            destination={"s3": {"bucketName": change.get("destination", bucket), "prefix": "signed/"}},
            profileName=change.get("profileName", "release"),
            clientRequestToken="token",
        )
    assert error_code(raised) == code


def test_only_active_lambda_profiles_sign(s3: Any, signer: Any) -> None:
    signer.put_signing_profile(profileName="firmware", platformId="AWSIoTDeviceManagement-SHA256-ECDSA")
    cancelled = signing_profile(signer, "retired")
    signer.cancel_signing_profile(profileName="retired")
    for profile, code in (("firmware", "ValidationException"), (cancelled.name, "ResourceNotFoundException")):
        with pytest.raises(ClientError) as raised:
            sign(s3, signer, archive(), Profile(profile, "", ""))
        assert error_code(raised) == code


def test_revoking_a_signature_is_recorded_on_the_job(s3: Any, signer: Any) -> None:
    signed = sign(s3, signer, archive(), signing_profile(signer))
    signer.revoke_signature(jobId=signed.job_id, reason="key compromised")

    record = signer.describe_signing_job(jobId=signed.job_id)["revocationRecord"]
    assert record["reason"] == "key compromised"
    assert record["revokedBy"] == "arn:aws:iam::123456789012:root"


def test_unknown_jobs_and_profiles_are_not_found(signer: Any) -> None:
    with pytest.raises(ClientError) as job:
        signer.describe_signing_job(jobId="0c5a6f3e-0000-4000-8000-000000000000")
    with pytest.raises(ClientError) as profile:
        signer.get_signing_profile(profileName="missing")
    assert error_code(job) == error_code(profile) == "ResourceNotFoundException"
    assert profile.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_the_job_store_is_per_account_and_region(s3: Any, signer: Any) -> None:
    from moto.signer.models import signer_backends

    signed = sign(s3, signer, archive(), signing_profile(signer))
    assert signed.job_id in jobs_of(signer_backends["123456789012"]["us-east-1"])
    assert jobs_of(signer_backends["123456789012"]["eu-west-1"]) == {}


def test_reading_signatures() -> None:
    unsigned = archive()
    signed = sign_archive(unsigned, "arn:aws:signer:us-east-1:123456789012:/signing-jobs/j", "arn:p/v")
    tampered = io.BytesIO(signed)
    with zipfile.ZipFile(tampered, "a") as opened:
        opened.writestr("backdoor.py", "import os")

    assert read_signature(unsigned) is None
    assert read_signature(b"not a zip") is None
    assert read_signature(signed) is not None
    assert read_signature(signed).intact
    assert read_signature(tampered.getvalue()) is not None
    assert not read_signature(tampered.getvalue()).intact  # type: ignore[union-attr]
