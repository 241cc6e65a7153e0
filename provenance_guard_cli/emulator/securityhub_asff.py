"""ASFF validation and the fields Security Hub CSPM derives on import (BatchImportFindings)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from moto.utilities.utils import get_partition

SCHEMA_VERSION = "2018-10-08"
REQUIRED_FIELDS = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "CreatedAt",
    "UpdatedAt",
    "Title",
    "Description",
    "Resources",
)
MAX_FINDING_BYTES = 240 * 1024
SEVERITY_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
_NORMALIZED_FOR_LABEL = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
ENUMS: dict[str, tuple[str, ...]] = {
    "RecordState": ("ACTIVE", "ARCHIVED"),
    "Compliance.Status": ("PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"),
    "Workflow.Status": ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"),
    "VerificationState": ("UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE"),
    "Severity.Label": SEVERITY_LABELS,
    "FindingProviderFields.Severity.Label": SEVERITY_LABELS,
}
_MAX_LENGTHS = {"Id": 512, "Title": 256, "Description": 1024, "GeneratorId": 512}
_TIMESTAMPS = ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt")
_DEFAULT_PRODUCT = re.compile(
    r"^arn:(?P<partition>[a-z-]+):securityhub:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
    r":product/(?P<owner>\d{12})/default$"
)

INVALID_INPUT = "InvalidInput"
INVALID_ACCESS = "InvalidAccess"


class FindingRejected(Exception):
    """A finding that goes to FailedFindings; ``code`` is the ImportFindingsError ErrorCode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _invalid(message: str) -> FindingRejected:
    return FindingRejected(INVALID_INPUT, f"Finding does not adhere to Amazon Finding Format. {message}")


def get_path(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def parse_timestamp(value: Any, field: str = "timestamp") -> datetime:
    if not isinstance(value, str) or not value:
        raise _invalid(f"data.{field} should be a non-empty string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(f'data.{field} should match format "date-time" (got {value!r})') from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def check_access(finding: dict[str, Any], account_id: str, region: str) -> None:
    """The default product ARN must name the caller's partition, region and account."""
    match = _DEFAULT_PRODUCT.match(str(finding.get("ProductArn", "")))
    if (
        match is None
        or match["partition"] != get_partition(region)
        or match["region"] != region
        or match["account"] != account_id
        or match["owner"] != account_id
    ):
        raise FindingRejected(
            INVALID_ACCESS,
            f"Account {account_id} in {region} is not authorized to import findings for product"
            f" {finding.get('ProductArn')}",
        )
    if finding.get("AwsAccountId") != account_id:
        raise FindingRejected(
            INVALID_ACCESS,
            f"Account {account_id} can only import findings for itself, not {finding.get('AwsAccountId')}",
        )


def validate(finding: Any) -> None:
    """Raise FindingRejected for a finding BatchImportFindings would reject."""
    _validate_required(finding)
    _validate_resources(finding["Resources"])
    _validate_severity_and_types(finding)
    _validate_values(finding)
    if len(json.dumps(finding, separators=(",", ":")).encode()) > MAX_FINDING_BYTES:
        raise FindingRejected(INVALID_INPUT, "Finding size exceeded 240 KB")


def _validate_required(finding: Any) -> None:
    if not isinstance(finding, dict):
        raise _invalid("data should be object")
    for field in REQUIRED_FIELDS:
        if field not in finding or finding[field] in (None, "", []):
            raise _invalid(f"data should have required property '{field}'")
    for field in REQUIRED_FIELDS[:-1]:
        if not isinstance(finding[field], str):
            raise _invalid(f"data.{field} should be string")
    if finding["SchemaVersion"] != SCHEMA_VERSION:
        raise _invalid(f"data.SchemaVersion should be equal to '{SCHEMA_VERSION}'")
    if not re.fullmatch(r"\d{12}", finding["AwsAccountId"]):
        raise _invalid("data.AwsAccountId should be a 12-digit account id")
    for field, limit in _MAX_LENGTHS.items():
        if len(finding[field]) > limit:
            raise _invalid(f"data.{field} should NOT be longer than {limit} characters")


def _validate_values(finding: dict[str, Any]) -> None:
    for field in _TIMESTAMPS:
        if field in finding:
            parse_timestamp(finding[field], field)
    for path, allowed in ENUMS.items():
        value = get_path(finding, path)
        if value is not None and value not in allowed:
            raise _invalid(f"data.{path} should be equal to one of the allowed values {list(allowed)}")
    for field in ("ProductFields", "UserDefinedFields"):
        if len(finding.get(field) or {}) > 50:
            raise _invalid(f"data.{field} should NOT have more than 50 properties")
    if len(get_path(finding, "Compliance.RelatedRequirements") or []) > 32:
        raise _invalid("data.Compliance.RelatedRequirements should NOT have more than 32 items")


def _validate_resources(resources: Any) -> None:
    if not isinstance(resources, list) or not 1 <= len(resources) <= 32:
        raise _invalid("data.Resources should be an array of 1 to 32 items")
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            raise _invalid(f"data.Resources[{index}] should be object")
        if len(str(resource.get("Type", ""))) > 256:
            raise _invalid(f"data.Resources[{index}].Type should NOT be longer than 256 characters")
        for field in ("Type", "Id"):
            value = resource.get(field)
            if not isinstance(value, str) or not value:
                raise _invalid(f"data.Resources[{index}] should have required property '{field}'")


def _validate_severity_and_types(finding: dict[str, Any]) -> None:
    """The user guide requires Severity and Types; either the top-level or the FindingProviderFields copy."""
    severity = finding.get("Severity") or get_path(finding, "FindingProviderFields.Severity") or {}
    if severity.get("Label") is None and severity.get("Normalized") is None:
        raise _invalid("data should have required property 'Severity' (Label or Normalized)")
    normalized = severity.get("Normalized")
    if normalized is not None and (not isinstance(normalized, int) or not 0 <= normalized <= 100):
        raise _invalid("data.Severity.Normalized should be an integer from 0 to 100")
    types = finding.get("Types") or get_path(finding, "FindingProviderFields.Types")
    if not isinstance(types, list) or not types or not all(isinstance(t, str) and t for t in types):
        raise _invalid("data should have required property 'Types'")


def normalize_severity(severity: dict[str, Any]) -> dict[str, Any]:
    """Fill Label from Normalized or Normalized from Label, as Security Hub does."""
    result = dict(severity)
    label, normalized = result.get("Label"), result.get("Normalized")
    if label is not None and normalized is None:
        result["Normalized"] = _NORMALIZED_FOR_LABEL[label]
    elif label is None and isinstance(normalized, int):
        thresholds = ((90, "CRITICAL"), (70, "HIGH"), (40, "MEDIUM"), (1, "LOW"), (0, "INFORMATIONAL"))
        result["Label"] = next(name for floor, name in thresholds if normalized >= floor)
    return result


def now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
