"""Amazon Inspector for ECR images, on top of moto 5.2.5's ``inspector2`` (patched onto
``Inspector2Response``).

moto's ``ListFindings`` answers from a static queue whatever the filter. Here it lists a finding per
vulnerability of every image Inspector scans (see :mod:`.ecr_scans`: ENHANCED scanning, a matching
SCAN_ON_PUSH or CONTINUOUS_SCAN rule, a completed scan) in the caller's account and Region, shaped as
botocore's model says (``packageVulnerabilityDetails``, ``resources[].details.awsEcrContainerImage``,
``fixAvailable``, ``inspectorScore``, ``status`` ACTIVE or CLOSED), and:

* applies ``filterCriteria`` string filters (EQUALS, NOT_EQUALS, PREFIX) on ``awsAccountId``,
  ``ecrImageHash``, ``ecrImageRepositoryName``, ``ecrImageRegistry``, ``findingStatus``, ``severity``,
  ``vulnerabilityId``, ``resourceType`` and ``findingType``; any other criterion is a
  ValidationException, so a caller never silently gets unfiltered results;
* pages with ``maxResults`` (1-100, default 50) and ``nextToken``;
* ignores ``sortCriteria`` (findings come in a stable order: repository, digest, vulnerability).

Not modelled: ListCoverage, aggregations, suppression rules, EC2/Lambda/code findings, finding
timestamps other than the push time, EPSS and exploit data (``exploitAvailable`` is always NO).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from moto.core.exceptions import ServiceException
from moto.ecr.models import ECRBackend, Image, ecr_backends
from moto.inspector2.responses import Inspector2Response

from . import ecr_scans
from .ecr_scans import Vulnerability
from .patches import patch_attr

STRING_FILTERS = {
    "awsAccountId": "awsAccountId",
    "ecrImageHash": "imageHash",
    "ecrImageRepositoryName": "repositoryName",
    "ecrImageRegistry": "registry",
    "findingStatus": "status",
    "severity": "severity",
    "vulnerabilityId": "vulnerabilityId",
    "resourceType": "resourceType",
    "findingType": "type",
}


class ValidationException(ServiceException):
    code = "ValidationException"


def finding(backend: ECRBackend, repository: str, image: Image, vulnerability: Vulnerability) -> dict[str, Any]:
    """One Inspector package-vulnerability finding for `vulnerability` in `image`."""
    account, region = backend.account_id, backend.region_name
    digest = image.get_image_digest()
    pushed = ecr_scans.pushed_at(backend, repository, image).timestamp()
    finding_id = hashlib.sha256(f"{repository}|{digest}|{vulnerability.id}".encode()).hexdigest()[:32]
    package: dict[str, Any] = {
        "name": vulnerability.package,
        "version": vulnerability.version,
        "packageManager": "OS",
        "epoch": 0,
    }
    if vulnerability.fixed_in:
        package["fixedInVersion"] = vulnerability.fixed_in
    result: dict[str, Any] = {
        "awsAccountId": account,
        "findingArn": f"arn:aws:inspector2:{region}:{account}:finding/{finding_id}",
        "type": "PACKAGE_VULNERABILITY",
        "title": f"{vulnerability.id} - {vulnerability.package}",
        "description": f"{vulnerability.id} in {vulnerability.package} {vulnerability.version}",
        "severity": vulnerability.severity,
        "status": vulnerability.status,
        "firstObservedAt": pushed,
        "lastObservedAt": pushed,
        "updatedAt": pushed,
        "fixAvailable": "YES" if vulnerability.fixed_in else "NO",
        "exploitAvailable": "NO",
        "remediation": {"recommendation": {"text": "Update the vulnerable packages to a fixed version."}},
        "packageVulnerabilityDetails": {
            "vulnerabilityId": vulnerability.id,
            "source": "NVD",
            "sourceUrl": f"https://nvd.nist.gov/vuln/detail/{vulnerability.id}",
            "vulnerablePackages": [package],
        },
        "resources": [
            {
                "type": "AWS_ECR_CONTAINER_IMAGE",
                "id": f"arn:aws:ecr:{region}:{account}:repository/{repository}/{digest}",
                "partition": "aws",
                "region": region,
                "details": {
                    "awsEcrContainerImage": {
                        "repositoryName": repository,
                        "imageHash": digest,
                        "registry": account,
                        "imageTags": list(image.image_tags),
                        "pushedAt": pushed,
                    }
                },
            }
        ],
    }
    if vulnerability.score is not None:
        result["inspectorScore"] = vulnerability.score
    return result


def _fields(item: dict[str, Any]) -> dict[str, str]:
    image = item["resources"][0]["details"]["awsEcrContainerImage"]
    return {
        "awsAccountId": item["awsAccountId"],
        "imageHash": image["imageHash"],
        "repositoryName": image["repositoryName"],
        "registry": image["registry"],
        "status": item["status"],
        "severity": item["severity"],
        "vulnerabilityId": item["packageVulnerabilityDetails"]["vulnerabilityId"],
        "resourceType": item["resources"][0]["type"],
        "type": item["type"],
    }


def _matches(value: str, condition: dict[str, Any]) -> bool:
    comparison, expected = condition.get("comparison"), str(condition.get("value", ""))
    if comparison == "EQUALS":
        return value == expected
    if comparison == "NOT_EQUALS":
        return value != expected
    if comparison == "PREFIX":
        return value.startswith(expected)
    raise ValidationException(f"comparison {comparison!r} is not supported")


def _selected(item: dict[str, Any], criteria: dict[str, Any]) -> bool:
    fields = _fields(item)
    for key, conditions in criteria.items():
        positive = [c for c in conditions if c.get("comparison") != "NOT_EQUALS"]
        negative = [c for c in conditions if c.get("comparison") == "NOT_EQUALS"]
        value = fields[STRING_FILTERS[key]]
        if positive and not any(_matches(value, c) for c in positive):
            return False
        if not all(_matches(value, c) for c in negative):
            return False
    return True


def all_findings(account: str, region: str) -> list[dict[str, Any]]:
    backend: ECRBackend = ecr_backends[account][region]
    found: list[dict[str, Any]] = []
    for name in sorted(backend.repositories):
        for image in sorted(backend.repositories[name].images, key=lambda i: i.get_image_digest()):
            state = ecr_scans.scan_state(backend, name, image)
            if state is None or state.scanner != "ENHANCED" or state.status not in ("ACTIVE", "COMPLETE"):
                continue
            found.extend(finding(backend, name, image, v) for v in sorted(state.vulnerabilities, key=lambda v: v.id))
    return found


def list_findings(self: Any) -> str:
    criteria = self._get_param("filterCriteria") or {}
    unsupported = sorted(set(criteria) - set(STRING_FILTERS))
    if unsupported:
        raise ValidationException(f"the emulator does not filter findings on {', '.join(unsupported)}")
    items = [f for f in all_findings(self.current_account, self.region) if _selected(f, criteria)]
    size = int(self._get_param("maxResults") or 50)
    if not 1 <= size <= 100:
        raise ValidationException("maxResults must be between 1 and 100")
    token = self._get_param("nextToken")
    try:
        start = int(base64.urlsafe_b64decode(str(token).encode()).decode()) if token else 0
    except ValueError:
        raise ValidationException("nextToken is not valid") from None
    end = start + size
    response: dict[str, Any] = {"findings": items[start:end]}
    if end < len(items):
        response["nextToken"] = base64.urlsafe_b64encode(str(end).encode()).decode()
    return json.dumps(response)


def install() -> None:
    patch_attr(Inspector2Response, "list_findings", list_findings)
