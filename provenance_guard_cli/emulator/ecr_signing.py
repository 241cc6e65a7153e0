"""ECR managed signing for the emulator (moto 5.2.5 raises NotImplementedError for all of it).

Following botocore's ``ecr`` model:

* PutSigningConfiguration / GetSigningConfiguration / DeleteSigningConfiguration: the registry's
  ``rules`` (1-10), each a ``signingProfileArn`` and up to 100 ``WILDCARD_MATCH`` repository filters (no
  filter: every repository). Get or Delete without a configuration is
  SigningConfigurationNotFoundException.
* PutImage of an image (not a referrer or other artifact) into a repository some rule matches starts a
  signing job per matching profile, as ECR does. The job's outcome is decided at push: ``COMPLETE`` when
  the profile exists in the emulated AWS Signer, is ``Active`` and has platform
  ``Notation-OCI-SHA384-ECDSA``; otherwise ``FAILED`` with a failure code and reason (AWS does not
  publish its codes; these are the emulator's).
* DescribeImageSigningStatus: the image's statuses (empty for an image pushed before a rule covered it);
  ImageNotFoundException / RepositoryNotFoundException otherwise. A job that will complete reports
  ``IN_PROGRESS`` for :data:`signing_seconds` after the push (0 by default: complete at once).

Not modelled: the signature ECR writes for a COMPLETE job. The OCI data path is a real registry beside
the emulator (:mod:`provenance_guard_cli.local_registry`), where the demo and the tests push signatures
made with the emulator's SignPayload (:mod:`.signer_notation`). A COMPLETE status without a signature
there is exactly what the service must not trust.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ecr.models import ECRBackend, Image
from moto.ecr.responses import ECRResponse

from . import ecr
from .ecr_scans import image_kind
from .patches import patch_attr
from .signer_notation import NOTATION_PLATFORM

MAX_RULES = 10
MAX_FILTERS = 100
signing_seconds = 0.0
"""How long a managed-signing job stays IN_PROGRESS after the push (tests raise it)."""


class SigningConfigurationNotFoundException(ServiceException):
    code = "SigningConfigurationNotFoundException"


class EcrValidationException(ServiceException):
    code = "ValidationException"


def _configuration(backend: ECRBackend) -> dict[str, Any] | None:
    value: dict[str, Any] | None = backend.__dict__.get("_provenance_guard_signing")
    return value


@dataclass(frozen=True)
class _Signing:
    """The signing jobs ECR started when an image was pushed, and when."""

    started: float
    statuses: tuple[dict[str, Any], ...]


def _signings(backend: ECRBackend) -> dict[tuple[str, str], _Signing]:
    signings: dict[tuple[str, str], _Signing] = backend.__dict__.setdefault("_provenance_guard_signings", {})
    return signings


def put_signing_configuration(self: Any) -> ActionResult:
    configuration = self._get_param("signingConfiguration") or {}
    rules = configuration.get("rules")
    if not isinstance(rules, list) or not 1 <= len(rules) <= MAX_RULES:
        raise EcrValidationException(f"signingConfiguration.rules must hold 1 to {MAX_RULES} rules.")
    for rule in rules:
        if not str(rule.get("signingProfileArn", "")).startswith("arn:"):
            raise EcrValidationException("Each rule needs a signingProfileArn.")
        filters = rule.get("repositoryFilters") or []
        if len(filters) > MAX_FILTERS or any(f.get("filterType") != "WILDCARD_MATCH" for f in filters):
            raise EcrValidationException(f"At most {MAX_FILTERS} repositoryFilters of filterType WILDCARD_MATCH.")
    self.ecr_backend.__dict__["_provenance_guard_signing"] = {"rules": rules}
    return ActionResult({"signingConfiguration": {"rules": rules}})


def get_signing_configuration(self: Any) -> ActionResult:
    configuration = _configuration(self.ecr_backend)
    if configuration is None:
        raise SigningConfigurationNotFoundException("The registry has no signing configuration.")
    return ActionResult({"registryId": self.current_account, "signingConfiguration": configuration})


def delete_signing_configuration(self: Any) -> ActionResult:
    configuration = _configuration(self.ecr_backend)
    if configuration is None:
        raise SigningConfigurationNotFoundException("The registry has no signing configuration.")
    del self.ecr_backend.__dict__["_provenance_guard_signing"]
    return ActionResult({"registryId": self.current_account, "signingConfiguration": configuration})


def describe_image_signing_status(self: Any) -> ActionResult:
    backend: ECRBackend = self.ecr_backend
    repository = self._get_param("repositoryName")
    image_id = self._get_param("imageId") or {}
    repo = backend._get_repository(repository, self._get_param("registryId"))
    image = repo._get_image(image_id.get("imageTag"), image_id.get("imageDigest"))
    digest = image.get_image_digest()
    signing = _signings(backend).get((repository, digest))
    in_progress = signing is not None and time.monotonic() < signing.started + signing_seconds
    statuses = [
        {**s, "status": "IN_PROGRESS"} if in_progress and s["status"] == "COMPLETE" else s
        for s in (signing.statuses if signing else ())
    ]
    return ActionResult(
        {
            "repositoryName": repository,
            "imageId": {"imageDigest": digest},
            "registryId": repo.registry_id,
            "signingStatuses": statuses,
        }
    )


def _sign_on_push(put_image: Callable[..., Image]) -> Callable[..., Image]:
    def put_image_and_sign(self: ECRBackend, repository_name: str, *args: Any, **kwargs: Any) -> Image:
        image = put_image(self, repository_name, *args, **kwargs)
        configuration = _configuration(self)
        if configuration is not None and image_kind(image) == "image":
            rules = [r for r in configuration["rules"] if _covers(r, repository_name)]
            statuses = [_job(self, rule["signingProfileArn"]) for rule in rules]
            _signings(self)[(repository_name, image.get_image_digest())] = _Signing(time.monotonic(), tuple(statuses))
        return image

    return put_image_and_sign


def _covers(rule: dict[str, Any], repository: str) -> bool:
    filters = rule.get("repositoryFilters") or []
    return not filters or any(fnmatchcase(repository, f["filter"]) for f in filters)


def _job(backend: ECRBackend, profile_arn: str) -> dict[str, Any]:
    from moto.signer.models import signer_backends

    region = profile_arn.split(":")[3] if profile_arn.count(":") >= 5 else backend.region_name
    name = profile_arn.rsplit("/", 1)[-1]
    profile = signer_backends[backend.account_id][region].signing_profiles.get(name)
    status: dict[str, Any] = {"signingProfileArn": profile_arn, "status": "COMPLETE"}
    if profile is None or profile.arn != profile_arn:
        return {**status, "status": "FAILED", "failureCode": "SigningProfileNotFound",
                "failureReason": f"The signing profile {profile_arn} does not exist."}  # fmt: skip
    if profile.status != "Active":
        return {**status, "status": "FAILED", "failureCode": "SigningProfileNotActive",
                "failureReason": f"The signing profile {profile_arn} is {profile.status}."}  # fmt: skip
    if profile.platform_id != NOTATION_PLATFORM:
        return {**status, "status": "FAILED", "failureCode": "InvalidSigningPlatform",
                "failureReason": f"The signing profile's platform is not {NOTATION_PLATFORM}."}  # fmt: skip
    return status


def install() -> None:
    for handler in (
        put_signing_configuration,
        get_signing_configuration,
        delete_signing_configuration,
        describe_image_signing_status,
    ):
        patch_attr(ECRResponse, handler.__name__, handler)
    patch_attr(ECRBackend, "put_image", _sign_on_push(ecr.put_image))
