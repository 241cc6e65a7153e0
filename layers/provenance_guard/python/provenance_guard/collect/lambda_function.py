"""Reads a Lambda function, the versions its aliases serve, its code signing and its image into a
`LambdaFunctionSnapshot`; and expands a code signing configuration into the functions that use it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Collection, Collector, Kind, LazyTags, RunCache
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.lambda_listing import (
    CODE_SIGNING,
    CONFIGURATION,
    LIST_CODE_SIGNING_CONFIGS,
    LIST_FUNCTIONS_BY_CONFIG,
    function_names,
    listed_functions,
)
from provenance_guard.collect.lambda_model import (
    CodeSigning,
    FunctionVersion,
    ImageEvidence,
    LambdaFunctionSnapshot,
    LayerUse,
    SigningJobStatus,
)
from provenance_guard.lambda_identifiers import LATEST, layer_owner, parse_function_identifier, parse_image_uri
from provenance_guard.model import ArnFormat, ResourceKind, ResourceRef
from provenance_guard.work import Action, Work

logger = logging.getLogger(__name__)

LAMBDA_FUNCTION = ResourceKind(
    "lambda-function", asff_type="AwsLambdaFunction", arn=ArnFormat("lambda", "function:"), family="LAMBDA"
)
"""`ResourceRef.name` is the unqualified function name; the finding names the unqualified ARN."""
CODE_SIGNING_CONFIG = ResourceKind("code-signing-config", asff_type="Other", arn=None)
"""Not judged itself: expanded into the Lambda functions that use it (`name` is its ARN)."""
LIST_FUNCTIONS = "lambda:ListFunctions"
READ_FUNCTION = ("lambda:GetFunction", "lambda:ListAliases")
READ_CODE_SIGNING = ("lambda:GetFunctionCodeSigningConfig", "lambda:GetCodeSigningConfig")
READ_SIGNING_JOB = ("signer:DescribeSigningJob",)
GONE = frozenset({"ResourceNotFoundException"})
UNREADABLE = frozenset({"AccessDeniedException", "AccessDenied", "ResourceNotFoundException", "ValidationException"})


def _error(error: Any) -> str:
    return f"{error.response['Error'].get('Code', '?')}: {error.response['Error'].get('Message', '')}"


class LambdaFunctionCollector:
    """Reads functions with lambda:GetFunction / ListAliases / Get[Function]CodeSigningConfig and the
    signing job of their code with signer:DescribeSigningJob; images through the ECR image collector."""

    def __init__(
        self,
        clients: ClientFactory,
        images: Callable[[], Collector | None] = lambda: None,
        run: RunCache | None = None,
    ) -> None:
        """With the pipeline's run cache, a .zip function a sweep page listed is not read again with
        GetFunction (its tags are read only if an exemption looks at them) and, when the page knows its
        code signing configuration, neither is that."""
        self._clients = clients
        self._images = images
        self._run = run

    def collect(self, ref: ResourceRef) -> LambdaFunctionSnapshot | None:
        """The function's snapshot, or None once it no longer exists (its findings are archived)."""
        from botocore.exceptions import ClientError

        lam = self._clients.client("lambda", ref.region)
        listed = self._run.listed(ref) if self._run is not None else None
        if listed is not None and (listed.get(CONFIGURATION) or {}).get("PackageType", "Zip") != "Zip":
            listed = None  # an image function's resolved image is only in GetFunction's Code
        try:
            latest = self._latest(lam, ref.name, listed)
            served = self._aliased_versions(lam, ref.name)
            responses = [(LATEST, latest)]
            for version in sorted((v for v in served if v != LATEST), key=_version_order):
                response = self._version_response(lam, ref.name, version)
                if response is not None:
                    responses.append((version, response))
            configuration = latest.get("Configuration", {})
            package_type = configuration.get("PackageType", "Zip")
            code_signing = None
            if package_type == "Zip":
                known = listed is not None and CODE_SIGNING in listed
                code_signing = _listed_code_signing(listed) if known else self._code_signing(lam, ref.name)
        except ClientError as error:
            if error.response["Error"]["Code"] in GONE:
                return None
            raise
        versions = tuple(
            self._version(ref, version, response, served.get(version, ())) for version, response in responses
        )
        return LambdaFunctionSnapshot(
            ref=ref,
            package_type=package_type,
            versions=versions,
            code_signing=code_signing,
            tags=latest["Tags"],
            handler=configuration.get("Handler"),
            architectures=tuple(configuration.get("Architectures") or ()),
        )

    @staticmethod
    def _latest(lam: Any, name: str, listed: Mapping[str, Any] | None) -> Mapping[str, Any]:
        """GetFunction's answer for $LATEST, or what stands in for it from the listed configuration."""
        if listed is None:
            latest: Mapping[str, Any] = lam.get_function(FunctionName=name)
            return {**latest, "Tags": dict(latest.get("Tags") or {})}  # LazyTags is never tested for truth
        tags = LazyTags(lambda: dict(lam.get_function(FunctionName=name).get("Tags") or {}))
        return {"Configuration": listed[CONFIGURATION], "Code": {}, "Tags": tags}

    @staticmethod
    def _version_response(lam: Any, name: str, version: str) -> Mapping[str, Any] | None:
        """A published version; None if it vanished since ListAliases (the function itself still exists)."""
        from botocore.exceptions import ClientError

        try:
            response: Mapping[str, Any] = lam.get_function(FunctionName=name, Qualifier=version)
        except ClientError as error:
            if error.response["Error"]["Code"] not in GONE:
                raise
            logger.info("version %s of %s vanished while it was read; not judged", version, name)
            return None
        return response

    @staticmethod
    def _aliased_versions(lam: Any, name: str) -> dict[str, tuple[str, ...]]:
        """Version -> the aliases routing to it ($LATEST always listed; weighted aliases count twice)."""
        served: dict[str, list[str]] = {LATEST: []}
        for page in lam.get_paginator("list_aliases").paginate(FunctionName=name):
            for alias in page.get("Aliases", []):
                weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
                for version in (alias["FunctionVersion"], *weights):
                    served.setdefault(version, []).append(alias["Name"])
        return {version: tuple(sorted(set(aliases))) for version, aliases in served.items()}

    def _code_signing(self, lam: Any, name: str) -> CodeSigning | None:
        from botocore.exceptions import ClientError

        arn = lam.get_function_code_signing_config(FunctionName=name).get("CodeSigningConfigArn")
        if not arn:
            return None
        try:
            config = lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"]
        except ClientError as error:
            if error.response["Error"]["Code"] not in UNREADABLE:
                raise
            return CodeSigning(arn, None, (), _error(error))
        return CodeSigning(
            config_arn=arn,
            policy=(config.get("CodeSigningPolicies") or {}).get("UntrustedArtifactOnDeployment", "Warn"),
            allowed_publishers=tuple((config.get("AllowedPublishers") or {}).get("SigningProfileVersionArns") or ()),
        )

    def _version(
        self, ref: ResourceRef, version: str, response: Mapping[str, Any], aliases: tuple[str, ...]
    ) -> FunctionVersion:
        configuration = response.get("Configuration", {})
        job_arn = configuration.get("SigningJobArn")
        code = response.get("Code") or {}
        return FunctionVersion(
            version=version,
            aliases=aliases,
            runtime=configuration.get("Runtime"),
            code_sha256=configuration.get("CodeSha256", ""),
            last_modified=configuration.get("LastModified", ""),
            signing_profile_version_arn=configuration.get("SigningProfileVersionArn"),
            signing_job_arn=job_arn,
            layers=tuple(_layer(entry) for entry in configuration.get("Layers") or ()),
            signing_job=self._signing_job(ref, job_arn) if job_arn else None,
            image=self._image(ref, code) if code.get("ImageUri") else None,
        )

    def _signing_job(self, ref: ResourceRef, arn: str) -> SigningJobStatus:
        from botocore.exceptions import ClientError

        parts = arn.split(":", 5)
        if len(parts) != 6 or "/signing-jobs/" not in parts[5]:
            return SigningJobStatus(arn, error="not a signing job ARN")
        if parts[4] != ref.account:
            return SigningJobStatus(arn, error=f"the job belongs to account {parts[4]}; only its owner can read it")
        try:
            job = self._clients.client("signer", parts[3]).describe_signing_job(jobId=parts[5].rsplit("/", 1)[-1])
        except ClientError as error:
            if error.response["Error"]["Code"] not in UNREADABLE:
                raise
            return SigningJobStatus(arn, error=_error(error))
        revocation = job.get("revocationRecord") or {}
        return SigningJobStatus(
            arn=arn,
            expires_at=_time(job.get("signatureExpiresAt")),
            revoked_at=_time(revocation.get("revokedAt")),
            revoked_reason=revocation.get("reason") or ("revoked" if revocation else None),
        )

    def _image(self, ref: ResourceRef, code: Mapping[str, Any]) -> ImageEvidence:
        from botocore.exceptions import ClientError

        uri, resolved = str(code["ImageUri"]), code.get("ResolvedImageUri")
        try:
            reference = parse_image_uri(str(resolved or uri))
        except ValueError as error:
            return ImageEvidence(uri, resolved, None, None, error=str(error))
        account, region = reference.ecr_account, reference.ecr_region
        if not (account and region and reference.digest):
            return ImageEvidence(uri, resolved, reference, None, error="not an ECR image resolved to a digest")
        ecr_ref = ResourceRef(ECR_IMAGE, f"{reference.repository}@{reference.digest}", account, region, ref.partition)
        collector = self._images()
        if collector is None:
            return ImageEvidence(uri, resolved, reference, ecr_ref, error="no ECR image collector is installed")
        try:
            snapshot = collector.collect(ecr_ref)
        except ClientError as error:
            return ImageEvidence(uri, resolved, reference, ecr_ref, error=_error(error))
        if snapshot is None:
            return ImageEvidence(uri, resolved, reference, ecr_ref, error=f"image {ecr_ref.name} is not in ECR")
        return ImageEvidence(uri, resolved, reference, ecr_ref, snapshot=snapshot)


def _listed_code_signing(listed: Mapping[str, Any] | None) -> CodeSigning | None:
    entry = (listed or {}).get(CODE_SIGNING)
    if not entry:
        return None
    return CodeSigning(str(entry["ConfigArn"]), entry.get("Policy"), tuple(entry.get("AllowedPublishers") or ()))


def _layer(entry: Mapping[str, Any]) -> LayerUse:
    arn = str(entry.get("Arn", ""))
    return LayerUse(arn, layer_owner(arn), entry.get("SigningProfileVersionArn"), entry.get("SigningJobArn"))


def _version_order(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (1 << 30, version)


def _time(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def functions_using_config_work(clients: ClientFactory, ref: ResourceRef) -> list[Work]:
    """Evaluation work for every function that uses a code signing configuration (ref.name = its ARN)."""
    from botocore.exceptions import ClientError

    lam = clients.client("lambda", ref.region)
    work = []
    try:
        for page in lam.get_paginator("list_functions_by_code_signing_config").paginate(CodeSigningConfigArn=ref.name):
            for arn in page.get("FunctionArns", []):
                function = parse_function_identifier(arn)
                name_ref = ResourceRef(
                    LAMBDA_FUNCTION,
                    function.name,
                    function.account or ref.account,
                    function.region or ref.region,
                    function.partition or ref.partition,
                )
                work.append(Work(Action.EVALUATE, name_ref))
    except ClientError as error:
        if error.response["Error"]["Code"] not in GONE:
            raise
        logger.warning("code signing configuration %s no longer exists; no function uses it", ref.name)
    return work


def lambda_functions(clients: ClientFactory, region: str) -> Iterator[str]:
    """The sweep's inventory: every function of the Region (names, unqualified)."""
    return function_names(clients, region)


def _collector(collection: Collection) -> LambdaFunctionCollector:
    # A container-image function's image is read by the collector that judges ECR images (PG.LAMBDA.6).
    return LambdaFunctionCollector(collection.clients, lambda: collection.collector(ECR_IMAGE), collection.run)


KINDS = (
    Kind(
        LAMBDA_FUNCTION,
        collector=_collector,
        collector_reads=(*READ_FUNCTION, *READ_CODE_SIGNING, *READ_SIGNING_JOB),
        inventory=lambda_functions,
        inventory_reads=(LIST_FUNCTIONS, LIST_CODE_SIGNING_CONFIGS, LIST_FUNCTIONS_BY_CONFIG),
        listing=listed_functions,
        uses=(ECR_IMAGE,),
    ),
    Kind(
        CODE_SIGNING_CONFIG,
        expander=lambda collection: lambda ref: functions_using_config_work(collection.clients, ref),
        expander_reads=(LIST_FUNCTIONS_BY_CONFIG,),
    ),
)
