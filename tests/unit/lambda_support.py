"""Helpers for Lambda tests against the emulator (moto + the project's Lambda and Signer extensions):
packages, signing with AWS Signer, functions, layers of other accounts. Plain functions, not fixtures."""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

import boto3

from provenance_guard.collect.lambda_function import LAMBDA_FUNCTION

ACCOUNT = "123456789012"
REGION = "us-east-1"
FOREIGN_ACCOUNT = "999988887777"
LAMBDA_PLATFORM = "AWSLambda-SHA384-ECDSA"


def archive(**files: str) -> bytes:
    """A .zip deployment package; by default one handler file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as opened:
        for name, content in (files or {"handler.py": "def handler(event, context):\n    return 'ok'\n"}).items():
            opened.writestr(name, content)
    return buffer.getvalue()


def execution_role(iam: Any, name: str = "lambda-exec") -> str:
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        document = '{"Version":"2012-10-17","Statement":[]}'
        return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"])


def versioned_bucket(s3: Any, name: str = "lambda-code") -> str:
    if name not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@dataclass(frozen=True)
class Profile:
    name: str
    arn: str
    version_arn: str


def signing_profile(signer: Any, name: str = "release") -> Profile:
    created = signer.put_signing_profile(profileName=name, platformId=LAMBDA_PLATFORM)
    return Profile(name, created["arn"], created["profileVersionArn"])


@dataclass(frozen=True)
class Signed:
    bucket: str
    key: str
    job_id: str
    job_arn: str

    @property
    def code(self) -> dict[str, str]:
        return {"S3Bucket": self.bucket, "S3Key": self.key}


def sign(s3: Any, signer: Any, content: bytes, profile: Profile, bucket: str = "lambda-code") -> Signed:
    """Upload `content`, sign it with AWS Signer, return where the signed package is."""
    versioned_bucket(s3, bucket)
    key = f"unsigned/{uuid.uuid4().hex}.zip"
    version = s3.put_object(Bucket=bucket, Key=key, Body=content)["VersionId"]
    job_id = signer.start_signing_job(
        source={"s3": {"bucketName": bucket, "key": key, "version": version}},
        destination={"s3": {"bucketName": bucket, "prefix": "signed/"}},
        profileName=profile.name,
        clientRequestToken=uuid.uuid4().hex,
    )["jobId"]
    job = signer.describe_signing_job(jobId=job_id)
    arn = f"arn:aws:signer:{REGION}:{job['jobOwner']}:/signing-jobs/{job_id}"
    return Signed(bucket, job["signedObject"]["s3"]["key"], job_id, arn)


def code_signing_config(lam: Any, *publishers: str, policy: str = "Enforce") -> str:
    config = lam.create_code_signing_config(
        AllowedPublishers={"SigningProfileVersionArns": list(publishers)},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": policy},
    )
    return str(config["CodeSigningConfig"]["CodeSigningConfigArn"])


def create_function(
    lam: Any, iam: Any, name: str, *, code: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """CreateFunction with a python3.12 .zip by default; `extra` overrides, a None value drops the member."""
    request: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": execution_role(iam),
        "Handler": "handler.handler",
        "Code": code or {"ZipFile": archive()},
    }
    request.update(extra)
    response: dict[str, Any] = lam.create_function(**{k: v for k, v in request.items() if v is not None})
    return response


def foreign_client(service: str, account: str = FOREIGN_ACCOUNT, **kwargs: Any) -> Any:
    """A client acting as another account (moto maps assumed-role credentials to the role's account)."""
    sts = boto3.client("sts", region_name=REGION, **kwargs)
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/publisher", RoleSessionName="publisher")[
        "Credentials"
    ]
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        **kwargs,
    )


def shared_layer(content: bytes | None = None, *, name: str = "vendor-utils", account: str = FOREIGN_ACCOUNT) -> str:
    """A layer version published by another account and shared with every account; returns its ARN."""
    lam = foreign_client("lambda", account)
    arn = str(lam.publish_layer_version(LayerName=name, Content={"ZipFile": content or archive()})["LayerVersionArn"])
    version = int(arn.rsplit(":", 1)[1])
    lam.add_layer_version_permission(
        LayerName=name, VersionNumber=version, StatementId="everyone", Action="lambda:GetLayerVersion", Principal="*"
    )
    return arn


# --- snapshots for the pure control tests ---------------------------------------------------------------

PROFILE_ARN = f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/release"
PROFILE_VERSION_ARN = f"{PROFILE_ARN}/a1b2c3d4e5"
JOB_ARN = f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-jobs/0c5a6f3e-1111-4000-8000-000000000001"
CONFIG_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:code-signing-config:csc-0123456789abcdefg"


def function_ref(name: str = "billing", account: str = ACCOUNT) -> Any:
    from provenance_guard.model import ResourceRef

    return ResourceRef(LAMBDA_FUNCTION, name, account, REGION)


def function_version(version: str = "$LATEST", **overrides: Any) -> Any:
    """A version signed by the trusted `release` profile, python3.12, no layers; keywords replace fields."""
    from provenance_guard.collect.lambda_model import FunctionVersion, SigningJobStatus

    values: dict[str, Any] = {
        "version": version,
        "aliases": (),
        "runtime": "python3.12",
        "code_sha256": "slxgI/J2zJI/ghl+b4wzNqKmNebpyTovO7Gpn11mo4I=",
        "last_modified": "2025-01-10T10:00:00.000+0000",
        "signing_profile_version_arn": PROFILE_VERSION_ARN,
        "signing_job_arn": JOB_ARN,
        "layers": (),
        "signing_job": SigningJobStatus(JOB_ARN),
        "image": None,
    }
    values.update(overrides)
    return FunctionVersion(**values)


def function_snapshot(*versions: Any, **overrides: Any) -> Any:
    """A .zip function with an enforcing code signing config allowing only the trusted profile."""
    from provenance_guard.collect.lambda_model import CodeSigning, LambdaFunctionSnapshot

    values: dict[str, Any] = {
        "ref": function_ref(),
        "package_type": "Zip",
        "versions": versions or (function_version(),),
        "code_signing": CodeSigning(CONFIG_ARN, "Enforce", (PROFILE_VERSION_ARN,)),
        "tags": {},
        "handler": "handler.handler",
        "architectures": ("arm64",),
    }
    values.update(overrides)
    return LambdaFunctionSnapshot(**values)


def lambda_policy(**settings: Any) -> Any:
    """The default policy with `lambda` settings (trusting the `release` profile unless told otherwise)."""
    from provenance_guard.policy import Policy

    section: dict[str, Any] = {"trusted_signing_profiles": [PROFILE_ARN]}
    section.update(settings)
    return Policy.from_document({"version": 1, "lambda": section})
