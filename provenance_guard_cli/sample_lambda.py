"""The demo's Lambda functions: one deployed from a package signed with the trusted AWS Signer profile under
an enforcing code signing configuration, and the ways others go wrong (no signing, a Warn configuration
attached after deployment, an untrusted publisher allowed, a layer from another account, a deprecated
runtime), each made through the emulator's API together with the CloudTrail event AWS would send."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

from provenance_guard_cli.sample_account import ACCOUNT, REGION, UNTRUSTED_ACCOUNT, Step, sample_event

RELEASE_PROFILE = "ReleaseSigning"
"""Its ARN, arn:aws:signer:us-east-1:123456789012:/signing-profiles/ReleaseSigning, is trusted by the
demo policy (lambda.trusted_signing_profiles)."""
NIGHTLY_PROFILE = "NightlySigning"
ARTIFACTS = "demo-lambda-artifacts"
PLATFORM = "AWSLambda-SHA384-ECDSA"
DEPRECATED_RUNTIME = "python3.9"


def package(text: str = "def handler(event, context):\n    return {'ok': True}\n") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as opened:
        opened.writestr("handler.py", text)
    return buffer.getvalue()


def cloudtrail(fixture: str, **request: str) -> dict[str, Any]:
    """A documented Lambda CloudTrail record (tests/fixtures/events) for this account and `request`."""
    return sample_event(fixture, **{f"detail.requestParameters.{key}": value for key, value in request.items()})


class LambdaAccount:
    """Makes the demo's Lambda resources through the emulator's API."""

    def __init__(self, client: Callable[[str], Any]) -> None:
        self.client = client
        self.lam = client("lambda")
        self.role = client("iam").create_role(
            RoleName="demo-lambda-execution",
            AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
            '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        )["Role"]["Arn"]
        s3 = client("s3")
        s3.create_bucket(Bucket=ARTIFACTS)
        s3.put_bucket_versioning(Bucket=ARTIFACTS, VersioningConfiguration={"Status": "Enabled"})
        signer = client("signer")
        self.release = signer.put_signing_profile(profileName=RELEASE_PROFILE, platformId=PLATFORM)
        self.nightly = signer.put_signing_profile(profileName=NIGHTLY_PROFILE, platformId=PLATFORM)
        self.config = self.lam.create_code_signing_config(
            Description="release builds only",
            AllowedPublishers={"SigningProfileVersionArns": [self.release["profileVersionArn"]]},
            CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"},
        )["CodeSigningConfig"]["CodeSigningConfigArn"]

    def signed_package(self, profile: str) -> dict[str, str]:
        """Upload a package, sign it with AWS Signer; the Code of a CreateFunction for the signed copy."""
        s3, signer = self.client("s3"), self.client("signer")
        key = f"builds/{uuid.uuid4().hex}.zip"
        version = s3.put_object(Bucket=ARTIFACTS, Key=key, Body=package())["VersionId"]
        job = signer.start_signing_job(
            source={"s3": {"bucketName": ARTIFACTS, "key": key, "version": version}},
            destination={"s3": {"bucketName": ARTIFACTS, "prefix": "signed/"}},
            profileName=profile,
            clientRequestToken=uuid.uuid4().hex,
        )
        signed = signer.describe_signing_job(jobId=job["jobId"])["signedObject"]["s3"]
        return {"S3Bucket": signed["bucketName"], "S3Key": signed["key"]}

    def create(self, name: str, **extra: Any) -> None:
        request: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": "python3.13",
            "Role": self.role,
            "Handler": "handler.handler",
            "Code": {"ZipFile": package()},
            "Architectures": ["arm64"],
        }
        self.lam.create_function(**{**request, **extra})

    def deploy_signed_release(self, name: str, **extra: Any) -> None:
        code = self.signed_package(RELEASE_PROFILE)
        self.create(name, Code=code, CodeSigningConfigArn=self.config, Publish=True, **extra)
        self.lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")

    def deploy_then_attach_warn_config(self, name: str) -> None:
        """Deployed unsigned first; the configuration attached afterwards does not re-validate that code."""
        self.create(name)
        warn = self.lam.create_code_signing_config(
            Description="migration: warn only",
            AllowedPublishers={"SigningProfileVersionArns": [self.release["profileVersionArn"]]},
            CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"},
        )["CodeSigningConfig"]["CodeSigningConfigArn"]
        self.lam.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=warn)

    def add_layer(self, name: str, layer: str) -> None:
        self.create(name)
        self.lam.update_function_configuration(FunctionName=name, Layers=[layer])

    def allow_nightly_publisher(self) -> None:
        publishers = [self.release["profileVersionArn"], self.nightly["profileVersionArn"]]
        self.lam.update_code_signing_config(
            CodeSigningConfigArn=self.config, AllowedPublishers={"SigningProfileVersionArns": publishers}
        )

    def foreign_layer(self) -> str:
        """A layer published and shared by another account (through an assumed role in that account)."""
        import boto3

        sts = self.client("sts")
        credentials = sts.assume_role(
            RoleArn=f"arn:aws:iam::{UNTRUSTED_ACCOUNT}:role/layer-publisher", RoleSessionName="publisher"
        )["Credentials"]
        foreign = boto3.client(
            "lambda",
            endpoint_url=sts.meta.endpoint_url,
            region_name=REGION,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        arn: str = foreign.publish_layer_version(LayerName="pdf-tools", Content={"ZipFile": package("x = 1\n")})[
            "LayerVersionArn"
        ]
        foreign.add_layer_version_permission(
            LayerName="pdf-tools", VersionNumber=1, StatementId="public", Action="lambda:GetLayerVersion", Principal="*"
        )
        return arn


def lambda_steps(client: Callable[[str], Any]) -> list[Step]:
    """The Lambda half of the demo, in order."""
    account = LambdaAccount(client)
    layer = account.foreign_layer()
    return [
        Step(
            f"function billing-api deployed from a package signed by {RELEASE_PROFILE} under an enforcing code "
            "signing config; version 1 published behind alias live (CloudTrail CreateFunction)",
            cloudtrail("cloudtrail-lambda-createfunction.json", functionName="billing-api"),
            lambda: account.deploy_signed_release("billing-api"),
        ),
        Step(
            "function report-export deployed without code signing (CloudTrail CreateFunction)",
            cloudtrail("cloudtrail-lambda-createfunction.json", functionName="report-export"),
            lambda: account.create("report-export"),
        ),
        Step(
            "function legacy-importer, deployed unsigned, gets a Warn-only code signing config attached "
            "(CloudTrail PutFunctionCodeSigningConfig)",
            cloudtrail(
                "cloudtrail-lambda-putfunctioncodesigningconfig.json",
                functionName=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:legacy-importer",
            ),
            lambda: account.deploy_then_attach_warn_config("legacy-importer"),
        ),
        Step(
            f"function nightly-cleanup, signed by {RELEASE_PROFILE} under the same config, deployed on the "
            f"deprecated {DEPRECATED_RUNTIME} runtime (CloudTrail CreateFunction)",
            cloudtrail("cloudtrail-lambda-createfunction.json", functionName="nightly-cleanup"),
            lambda: account.deploy_signed_release("nightly-cleanup", Runtime=DEPRECATED_RUNTIME),
        ),
        Step(
            f"the release code signing config now also allows the untrusted {NIGHTLY_PROFILE} profile "
            "(CloudTrail UpdateCodeSigningConfig: every function using it is re-judged)",
            cloudtrail("cloudtrail-lambda-updatecodesigningconfig.json", codeSigningConfigArn=account.config),
            account.allow_nightly_publisher,
        ),
        Step(
            f"function pdf-render gets layer pdf-tools from account {UNTRUSTED_ACCOUNT} "
            "(CloudTrail UpdateFunctionConfiguration)",
            cloudtrail(
                "cloudtrail-lambda-updatefunctionconfiguration.json", functionName=f"{ACCOUNT}:function:pdf-render"
            ),
            lambda: account.add_layer("pdf-render", layer),
        ),
    ]
