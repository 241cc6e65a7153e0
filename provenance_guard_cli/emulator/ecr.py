"""ECR extensions to moto 5.2.5 (patched onto ``ECRResponse`` and ``ECRBackend``).

What moto lacks or gets wrong, and what this module does instead (scan semantics in :mod:`.ecr_scans`):

* ``DescribeImages`` reported no scan: now ``imageScanStatus`` and ``imageScanFindingsSummary`` (counts
  of active findings) for scanned images, ``imagePushedAt`` (a planned ``pushedAt`` wins),
  ``artifactMediaType`` and ``subjectManifestDigest`` (referrers), the ``tagStatus`` filter, and
  paging with ``maxResults`` (1-1000) / ``nextToken``. An unknown digest is ImageNotFoundException.
  The archive storage class (``imageStatus``, the ``imageStatus`` filter, UpdateImageStorageClass) is
  :mod:`.ecr_archive`'s.
* ``DescribeImageScanFindings`` returned a fixed fake CVE for any image ever scanned: now the planned
  findings of the scanner that covers the image (basic ``findings`` with ``package_name`` /
  ``package_version`` / ``CVSS3_SCORE`` attributes, or Inspector's ``enhancedFindings``), counts per
  severity, paging (``maxResults`` 1-1000); only the status for a scan that did not complete;
  ScanNotFoundException for an image no scanner covered.
* ``PutImage`` into a repository covered by BASIC scan on push (registry rule or the repository's
  ``scanOnPush``) scans the image, as ECR does.
* ``CreatePullThroughCacheRule`` / ``DescribePullThroughCacheRules`` / ``DeletePullThroughCacheRule``
  (moto: not implemented): prefix and upstream checks against the model's patterns, ``credentialArn``
  required for the upstreams that need one, PullThroughCacheRuleAlreadyExistsException /
  PullThroughCacheRuleNotFoundException, ``ecrRepositoryPrefixes`` filter and paging.

Not modelled: pulling through the cache (images appear only when pushed), ValidatePullThroughCacheRule
and UpdatePullThroughCacheRule, scan findings for archived images, the vulnerability-source timestamps
beyond "now", the ECR Image Scan / Inspector events (replay sends the documented samples).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ecr.exceptions import ScanNotFoundException
from moto.ecr.models import ECRBackend, Image
from moto.ecr.responses import ECRResponse

from . import ecr_archive, ecr_scans
from .ecr_scans import Vulnerability
from .patches import original, patch_attr

PREFIX = re.compile(r"^((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*/?|ROOT)$")
UPSTREAMS_NEEDING_CREDENTIALS = frozenset(
    {"docker-hub", "github-container-registry", "azure-container-registry", "gitlab-container-registry"}
)


class EcrError(ServiceException):
    """Serialised with the ecr model (JSON protocol, HTTP 400)."""


class InvalidParameterException(EcrError):
    code = "InvalidParameterException"


class PullThroughCacheRuleAlreadyExistsException(EcrError):
    code = "PullThroughCacheRuleAlreadyExistsException"


class PullThroughCacheRuleNotFoundException(EcrError):
    code = "PullThroughCacheRuleNotFoundException"


def describe_images(self: Any) -> ActionResult:
    backend: ECRBackend = self.ecr_backend
    repository = self._get_param("repositoryName")
    named = self._get_param("imageIds")
    images = list(backend.describe_images(repository, self._get_param("registryId"), named))
    images = ecr_archive.selected(images, (self._get_param("filter") or {}).get("imageStatus"), bool(named))
    tag_status = (self._get_param("filter") or {}).get("tagStatus", "ANY")
    images = [i for i in images if tag_status == "ANY" or bool(i.image_tags) == (tag_status == "TAGGED")]
    page, token = _page(images, self._get_param("maxResults"), self._get_param("nextToken"), 1000)
    return ActionResult({"imageDetails": [_image_detail(backend, repository, i) for i in page], "nextToken": token})


def describe_image_scan_findings(self: Any) -> ActionResult:
    backend: ECRBackend = self.ecr_backend
    repository = self._get_param("repositoryName")
    image_id = self._get_param("imageId") or {}
    repo = backend._get_repository(repository, self._get_param("registryId"))
    image = repo._get_image(image_id.get("imageTag"), image_id.get("imageDigest"))
    state = ecr_scans.scan_state(backend, repository, image)
    if state is None:
        digest, tag = image_id.get("imageDigest") or "null", image_id.get("imageTag") or "null"
        shown = f"{{imageDigest:'{digest}', imageTag:'{tag}'}}"
        raise ScanNotFoundException(image_id=shown, repository_name=repository, registry_id=repo.registry_id)
    response: dict[str, Any] = {
        "registryId": repo.registry_id,
        "repositoryName": repository,
        "imageId": {
            "imageDigest": image.get_image_digest(),
            **({"imageTag": image.image_tag} if image.image_tag else {}),
        },
        "imageScanStatus": {"status": state.status, "description": state.description},
    }
    if state.status not in ("COMPLETE", "ACTIVE"):
        return ActionResult(response)
    active = [v for v in state.vulnerabilities if v.status == "ACTIVE"]
    page, token = _page(active, self._get_param("maxResults"), self._get_param("nextToken"), 1000)
    now = datetime.now(UTC)
    findings: dict[str, Any] = {
        "imageScanCompletedAt": ecr_scans.pushed_at(backend, repository, image),
        "vulnerabilitySourceUpdatedAt": now,
        "findingSeverityCounts": ecr_scans.counts(state.vulnerabilities),
    }
    if state.scanner == "BASIC":
        findings["findings"] = [_basic_finding(v) for v in page]
    else:
        findings["enhancedFindings"] = [_enhanced_finding(backend, repository, image, v) for v in page]
    return ActionResult({**response, "imageScanFindings": findings, "nextToken": token})


def put_image(self: ECRBackend, repository_name: str, *args: Any, **kwargs: Any) -> Image:
    image: Image = original(ECRBackend, "put_image")(self, repository_name, *args, **kwargs)
    if ecr_scans.basic_scan_on_push(self, repository_name):
        image.provenance_guard_scanned = True  # type: ignore[attr-defined]
    return image


def create_pull_through_cache_rule(self: Any) -> ActionResult:
    backend: ECRBackend = self.ecr_backend
    prefix = str(self._get_param("ecrRepositoryPrefix"))
    upstream_url = str(self._get_param("upstreamRegistryUrl"))
    upstream = self._get_param("upstreamRegistry")
    if not PREFIX.match(prefix) or not 2 <= len(prefix) <= 30:
        raise InvalidParameterException(
            f"Invalid parameter at 'ecrRepositoryPrefix' failed to satisfy constraint: {prefix!r}"
        )
    if upstream in UPSTREAMS_NEEDING_CREDENTIALS and not self._get_param("credentialArn"):
        raise InvalidParameterException(f"A credentialArn is required for upstream registry {upstream}")
    rules = _rules(backend)
    if prefix in rules:
        raise PullThroughCacheRuleAlreadyExistsException(
            f"A pull through cache rule with prefix '{prefix}' already exists"
        )
    rule = {
        "ecrRepositoryPrefix": prefix,
        "upstreamRegistryUrl": upstream_url,
        "createdAt": datetime.now(UTC),
        "registryId": backend.account_id,
        "upstreamRegistry": upstream or _guess_upstream(upstream_url),
    }
    for member in ("credentialArn", "customRoleArn", "upstreamRepositoryPrefix"):
        if self._get_param(member):
            rule[member] = self._get_param(member)
    rules[prefix] = rule
    return ActionResult({k: v for k, v in rule.items() if k != "updatedAt"})


def describe_pull_through_cache_rules(self: Any) -> ActionResult:
    rules = _rules(self.ecr_backend)
    wanted = self._get_param("ecrRepositoryPrefixes")
    if wanted:
        missing = [p for p in wanted if p not in rules]
        if missing:
            raise PullThroughCacheRuleNotFoundException(
                f"The pull through cache rule with prefix '{missing[0]}' does not exist"
            )
    selected = [rules[p] for p in sorted(rules) if not wanted or p in wanted]
    page, token = _page(selected, self._get_param("maxResults"), self._get_param("nextToken"), 1000)
    return ActionResult({"pullThroughCacheRules": page, "nextToken": token})


def delete_pull_through_cache_rule(self: Any) -> ActionResult:
    prefix = str(self._get_param("ecrRepositoryPrefix"))
    rules = _rules(self.ecr_backend)
    if prefix not in rules:
        raise PullThroughCacheRuleNotFoundException(
            f"The pull through cache rule with prefix '{prefix}' does not exist"
        )
    return ActionResult(rules.pop(prefix))


def _rules(backend: ECRBackend) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = backend.__dict__.setdefault("provenance_guard_pull_through_rules", {})
    return found


def _guess_upstream(url: str) -> str:
    known = {"public.ecr.aws": "ecr-public", "quay.io": "quay", "registry.k8s.io": "k8s", "cgr.dev": "chainguard"}
    if ".dkr.ecr." in url:
        return "ecr"
    return known.get(url, "docker-hub" if "docker.io" in url else "ecr-public")


def _image_detail(backend: ECRBackend, repository: str, image: Image) -> dict[str, Any]:
    document = ecr_scans._document(image)
    detail: dict[str, Any] = {
        "registryId": image.registry_id,
        "repositoryName": repository,
        "imageDigest": image.get_image_digest(),
        "imagePushedAt": ecr_scans.pushed_at(backend, repository, image),
        "imageManifestMediaType": image.image_manifest_media_type,
        **ecr_archive.archive_fields(image),
    }
    if image.image_tags:
        detail["imageTags"] = list(image.image_tags)
    if image.get_image_size_in_bytes() is not None:
        detail["imageSizeInBytes"] = image.get_image_size_in_bytes()
    config = document.get("config") if isinstance(document.get("config"), dict) else None
    artifact = document.get("artifactType") or (config or {}).get("mediaType")
    if artifact:
        detail["artifactMediaType"] = artifact
    if isinstance(document.get("subject"), dict) and document["subject"].get("digest"):
        detail["subjectManifestDigest"] = document["subject"]["digest"]
    state = ecr_scans.scan_state(backend, repository, image)
    if state is not None:
        detail["imageScanStatus"] = {"status": state.status, "description": state.description}
        if state.status in ("COMPLETE", "ACTIVE"):
            detail["imageScanFindingsSummary"] = {
                "imageScanCompletedAt": detail["imagePushedAt"],
                "vulnerabilitySourceUpdatedAt": datetime.now(UTC),
                "findingSeverityCounts": ecr_scans.counts(state.vulnerabilities),
            }
    return detail


def _basic_finding(vulnerability: Vulnerability) -> dict[str, Any]:
    attributes = [
        {"key": "package_name", "value": vulnerability.package},
        {"key": "package_version", "value": vulnerability.version},
    ]
    if vulnerability.score is not None:
        attributes.append({"key": "CVSS3_SCORE", "value": str(vulnerability.score)})
    return {
        "name": vulnerability.id,
        "uri": f"https://nvd.nist.gov/vuln/detail/{vulnerability.id}",
        "severity": vulnerability.severity,
        "attributes": attributes,
    }


def _enhanced_finding(
    backend: ECRBackend, repository: str, image: Image, vulnerability: Vulnerability
) -> dict[str, Any]:
    from .inspector2 import finding

    return finding(backend, repository, image, vulnerability)


def _page(items: list[Any], max_results: Any, token: Any, limit: int) -> tuple[list[Any], str | None]:
    size = int(max_results or 100)
    if not 1 <= size <= limit:
        raise InvalidParameterException(f"Invalid parameter at 'maxResults' failed to satisfy constraint: 1-{limit}")
    try:
        start = int(base64.urlsafe_b64decode(str(token).encode()).decode()) if token else 0
    except ValueError:
        raise InvalidParameterException("Invalid parameter at 'nextToken': the token is not valid") from None
    end = start + size
    return items[start:end], (base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None)


def install() -> None:
    ecr_scans.install()
    ecr_archive.install()
    patch_attr(ECRResponse, "describe_images", describe_images)
    patch_attr(ECRResponse, "describe_image_scan_findings", describe_image_scan_findings)
    patch_attr(ECRResponse, "create_pull_through_cache_rule", create_pull_through_cache_rule)
    patch_attr(ECRResponse, "describe_pull_through_cache_rules", describe_pull_through_cache_rules)
    patch_attr(ECRResponse, "delete_pull_through_cache_rule", delete_pull_through_cache_rule)
    patch_attr(ECRBackend, "put_image", put_image)
