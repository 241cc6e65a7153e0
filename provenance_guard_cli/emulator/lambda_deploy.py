"""Lambda deployments for the emulator: code signing validation, layers of other accounts, image digests.

Patched onto moto 5.2.5's ``LambdaBackend``, ``LambdaFunction`` and ``LayerVersion``. What moto lacks or
gets wrong, and what this module does instead (Lambda Developer Guide, "Using code signing to verify
code integrity with Lambda"):

* CreateFunction / UpdateFunctionCode of a .zip package with a code signing configuration attached
  (:mod:`.lambda_code_signing`) run Lambda's four checks on the package and on every layer: integrity
  (an emulator-signed archive, :mod:`.signer`, whose entries changed -> InvalidCodeSignatureException,
  whatever the policy), and mismatch (unsigned, or signed by a profile version not in
  AllowedPublishers), expiry and revocation of the signing job -> CodeVerificationFailedException with
  ``Enforce``, deployed anyway with ``Warn``. UpdateFunctionConfiguration checks new ``Layers`` the same way.
* The deployed code's ``SigningProfileVersionArn`` / ``SigningJobArn`` come from its signature, recorded
  only when a configuration was attached at deployment (Lambda validated it); without one, or after an
  unsigned update, they are absent. moto took them from the request, where the API has no such members.
* Layers: a layer version ARN of another account resolves in that account's backend (moto looked only in
  the caller's); that account must have granted ``lambda:GetLayerVersion`` to the caller or ``*``
  (AddLayerVersionPermission), else AccessDeniedException. Each ``Layers`` entry of a function carries
  the layer's ``SigningProfileVersionArn`` / ``SigningJobArn`` when its archive is signed, as does the
  layer version's ``Content``.
* ``Code.ResolvedImageUri`` of an image function: the digest of the image in the emulated ECR when the
  repository and tag exist there; a URI given by digest keeps it; otherwise moto's stub digest, in the
  right ``<repository>@sha256:<hex>`` form (moto mangled digest URIs).

Not modelled: signing-profile revocation, runtime deprecation blocks on create/update, the
``SignatureValidationErrors`` metric and CloudTrail warnings of ``Warn``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.awslambda.exceptions import LambdaClientError, UnknownLayerVersionException
from moto.awslambda.models import LambdaBackend, LambdaFunction, LayerVersion, lambda_backends
from moto.core.exceptions import JsonRESTError, ServiceException
from moto.ecr.models import ecr_backends
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from . import lambda_code_signing as signing_configs
from .lambda_code_signing import CodeSigningConfig
from .patches import original, patch_attr
from .signer import ArtifactSignature, read_signature, signing_job


class CodeVerificationFailed(LambdaClientError):
    def __init__(self, message: str) -> None:
        super().__init__("CodeVerificationFailedException", message)


class InvalidCodeSignature(LambdaClientError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidCodeSignatureException", message)


class AccessDenied(LambdaClientError):
    code = 403

    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message)


@dataclass(frozen=True)
class Artifact:
    """One thing Lambda validates at deployment: the function's package or one of its layers."""

    label: str
    signature: ArtifactSignature | None


def problems(config: CodeSigningConfig, artifacts: list[Artifact]) -> list[str]:
    """Mismatch, expiry and revocation failures (integrity failures raise at once)."""
    found = []
    now = datetime.now(UTC)
    for artifact in artifacts:
        signature = artifact.signature
        if signature is None:
            found.append(f"{artifact.label} is not signed")
            continue
        if not signature.intact:
            raise InvalidCodeSignature(f"{artifact.label} failed the integrity check: it changed after signing.")
        if signature.profile_version_arn not in config.publishers:
            found.append(f"{artifact.label} is signed by {signature.profile_version_arn}, not an allowed publisher")
        job = signing_job(signature.job_arn)
        if job is None:
            found.append(f"{artifact.label}: signing job {signature.job_arn} is unknown")
        elif job.revocation:
            found.append(f"{artifact.label}: its signature was revoked ({job.revocation.get('reason')})")
        elif job.expires_at <= now:
            found.append(f"{artifact.label}: its signature expired on {job.expires_at.isoformat()}")
    return found


def validate(config: CodeSigningConfig | None, artifacts: list[Artifact]) -> None:
    if config is None:
        return
    failures = problems(config, artifacts)
    if failures and config.policy == "Enforce":
        raise CodeVerificationFailed(
            "Lambda cannot deploy the function: the code signing configuration enforces signatures and "
            + "; ".join(failures)
        )


def code_bytes(account: str, region: str, code: dict[str, Any]) -> bytes | None:
    """The .zip a CreateFunction / UpdateFunctionCode request deploys (None when it cannot be read)."""
    if code.get("ZipFile"):
        try:
            return base64.b64decode(code["ZipFile"])
        except (binascii.Error, TypeError):
            return None
    if code.get("S3Bucket") and code.get("S3Key"):
        backend = s3_backends[account][get_partition(region)]
        found = backend.get_object(code["S3Bucket"], code["S3Key"], version_id=code.get("S3ObjectVersion"))
        return found.value if found is not None else None
    return None


def _package(account: str, region: str, code: dict[str, Any]) -> Artifact:
    content = code_bytes(account, region, code)
    return Artifact("the code package", read_signature(content) if content else None)


def find_layer_version(arn: str, caller: str) -> LayerVersion:
    """A layer version by ARN in its owner's backend; AccessDenied unless the owner shared it with `caller`."""
    parts = arn.split(":")
    if len(parts) != 8 or parts[5] != "layer":
        raise UnknownLayerVersionException([arn])
    region, owner = parts[3], parts[4]
    layer: LayerVersion | None = lambda_backends[owner][region].layers_versions_by_arn(arn)
    if layer is None:
        raise UnknownLayerVersionException([arn])
    if owner != caller and not _shared_with(layer, caller):
        raise AccessDenied(f"User: {caller} is not authorized to perform: lambda:GetLayerVersion on resource: {arn}")
    return layer


def _shared_with(layer: LayerVersion, account: str) -> bool:
    for statement in layer.policy.statements:
        principal = statement.get("Principal")
        values = principal.get("AWS") if isinstance(principal, dict) else principal
        values = values if isinstance(values, list) else [values]
        if statement.get("Action") == "lambda:GetLayerVersion" and any(
            value == "*" or value == account or str(value).endswith(f":{account}:root") for value in values
        ):
            return True
    return False


def layer_signature(layer: LayerVersion) -> ArtifactSignature | None:
    content = getattr(layer, "code_bytes", b"")
    return read_signature(content) if content else None


def _layers_data(self: LambdaFunction, arns: list[str]) -> list[dict[str, Any]]:
    entries = []
    for arn in arns:
        layer = find_layer_version(arn, self.account_id)
        entry: dict[str, Any] = {"Arn": layer.arn, "CodeSize": layer.code_size}
        signature = layer_signature(layer)
        if signature is not None and signature.intact:
            entry.update(SigningProfileVersionArn=signature.profile_version_arn, SigningJobArn=signature.job_arn)
        entries.append(entry)
    return entries


def _layer_artifacts(account: str, arns: list[str]) -> list[Artifact]:
    return [Artifact(f"layer {arn}", layer_signature(find_layer_version(arn, account))) for arn in arns]


def _layer_version_response(self: LayerVersion) -> dict[str, Any]:
    response: dict[str, Any] = original(LayerVersion, "get_layer_version")(self)
    signature = layer_signature(self)
    if signature is not None and signature.intact:
        response["Content"].update(
            SigningProfileVersionArn=signature.profile_version_arn, SigningJobArn=signature.job_arn
        )
    return response


def _signing_fields(config: CodeSigningConfig | None, package: Artifact) -> dict[str, str | None]:
    signature = package.signature
    if config is None or signature is None or not signature.intact:
        return {"SigningProfileVersionArn": None, "SigningJobArn": None}
    return {"SigningProfileVersionArn": signature.profile_version_arn, "SigningJobArn": signature.job_arn}


def _config(backend: LambdaBackend, arn: str | None) -> CodeSigningConfig | None:
    if not arn:
        return None
    config = signing_configs.find_config(backend, arn)
    if config is None:
        raise signing_configs.CodeSigningConfigNotFound(arn)
    return config


def create_function(self: LambdaBackend, spec: dict[str, Any]) -> LambdaFunction:
    config = _config(self, spec.get("CodeSigningConfigArn"))
    spec = {k: v for k, v in spec.items() if k not in ("SigningProfileVersionArn", "SigningJobArn")}
    if config is not None and spec.get("PackageType", "Zip") == "Zip":
        package = _package(self.account_id, self.region_name, spec.get("Code") or {})
        validate(config, [package, *_layer_artifacts(self.account_id, spec.get("Layers") or [])])
        spec.update({k: v for k, v in _signing_fields(config, package).items() if v})
    function: LambdaFunction = original(LambdaBackend, "create_function")(self, spec)
    return function


def update_function_code(self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
    function: LambdaFunction = self.get_function(function_name, qualifier)
    config = _config(self, function.code_signing_config_arn)
    saved = (function.signing_profile_version_arn, function.signing_job_arn)
    if function.package_type == "Zip" and not body.get("DryRun"):
        package = _package(self.account_id, self.region_name, body)
        validate(config, [package])
        fields = _signing_fields(config, package)
        function.signing_profile_version_arn = fields["SigningProfileVersionArn"]
        function.signing_job_arn = fields["SigningJobArn"]
    try:
        return original(LambdaBackend, "update_function_code")(self, function_name, qualifier, body)
    except Exception:
        function.signing_profile_version_arn, function.signing_job_arn = saved
        raise


def update_function_configuration(self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
    if "Layers" in body:
        function: LambdaFunction = self.get_function(function_name, qualifier)
        validate(_config(self, function.code_signing_config_arn), _layer_artifacts(self.account_id, body["Layers"]))
    return original(LambdaBackend, "update_function_configuration")(self, function_name, qualifier, body)


def resolved_image_uri(account: str, region: str, uri: str, stub_digest: str) -> str:
    """``<registry>/<repository>@sha256:<hex>`` for an image URI given by tag or by digest."""
    if "@sha256:" in uri:
        return uri
    head, _, tail = uri.rpartition("/")
    repository_part, _, tag = tail.partition(":")
    repository = f"{head}/{repository_part}" if head else repository_part
    host, _, name = repository.partition("/")
    labels = host.split(".")
    if len(labels) > 3 and labels[1:3] == ["dkr", "ecr"]:
        digest = _ecr_digest(labels[0], labels[3], name, tag or "latest")
        if digest:
            return f"{repository}@{digest}"
    return f"{repository}@sha256:{stub_digest}"


def _ecr_digest(account: str, region: str, repository: str, tag: str) -> str | None:
    try:
        images = ecr_backends[account][region].batch_get_image(repository, image_ids=[{"imageTag": tag}])["images"]
    except (
        JsonRESTError,
        ServiceException,
        KeyError,
    ):  # an unknown repository or registry: fall back to the stub digest
        return None
    return str(images[0].image_id["imageDigest"]) if images else None


def get_code(self: LambdaFunction) -> dict[str, Any]:
    response: dict[str, Any] = original(LambdaFunction, "get_code")(self)
    code = response.get("Code") or {}
    if "ImageUri" in code:
        code["ResolvedImageUri"] = resolved_image_uri(self.account_id, self.region, code["ImageUri"], self.code_sha_256)
    return response


def install() -> None:
    patch_attr(LambdaFunction, "_get_layers_data", _layers_data)
    patch_attr(LambdaFunction, "get_code", get_code)
    patch_attr(LayerVersion, "get_layer_version", _layer_version_response)
    for handler in (create_function, update_function_code, update_function_configuration):
        patch_attr(LambdaBackend, handler.__name__, handler)
