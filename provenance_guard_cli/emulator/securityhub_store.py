"""Security Hub CSPM finding store: BatchImportFindings and BatchUpdateFindings semantics."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from moto.securityhub.exceptions import SecurityHubClientError

from .securityhub_asff import (
    ENUMS,
    INVALID_ACCESS,
    FindingRejected,
    check_access,
    get_path,
    normalize_severity,
    now_iso,
    parse_timestamp,
    validate,
)

PROVIDER_FIELDS = ("Confidence", "Criticality", "RelatedFindings", "Severity", "Types")
CUSTOMER_FIELDS = ("Note", "UserDefinedFields", "VerificationState", "Workflow")
_REOPENED_COMPLIANCE = ("FAILED", "WARNING", "NOT_AVAILABLE")

Key = tuple[str, str]


@dataclass
class StoredFinding:
    data: dict[str, Any]
    customer_fields: set[str] = field(default_factory=set)


def findings_of(backend: Any) -> dict[Key, StoredFinding]:
    """The findings of one account and region, keyed by (ProductArn, Id), oldest first."""
    store: dict[Key, StoredFinding] | None = backend.__dict__.get("_pg_findings")
    if store is None:
        store = {}
        backend._pg_findings = store
    return store


def invalid_input(message: str) -> SecurityHubClientError:
    return SecurityHubClientError("InvalidInputException", message)


def require_enabled(backend: Any) -> None:
    if not backend.enabled:
        raise SecurityHubClientError(
            "InvalidAccessException", f"Account {backend.account_id} is not subscribed to AWS Security Hub"
        )


def import_findings(backend: Any, findings: Any) -> dict[str, Any]:
    if not isinstance(findings, list) or not 1 <= len(findings) <= 100:
        raise invalid_input("Findings must contain between 1 and 100 findings")
    failed: list[dict[str, str]] = []
    for finding in findings:
        try:
            if not backend.enabled:
                raise FindingRejected(
                    INVALID_ACCESS, f"Account {backend.account_id} is not subscribed to AWS Security Hub"
                )
            validate(finding)
            check_access(finding, backend.account_id, backend.region_name)
            _upsert(findings_of(backend), finding, backend.region_name)
        except FindingRejected as rejected:
            finding_id = finding.get("Id") if isinstance(finding, dict) else None
            failed.append({"Id": str(finding_id or ""), "ErrorCode": rejected.code, "ErrorMessage": str(rejected)})
    return {"FailedCount": len(failed), "SuccessCount": len(findings) - len(failed), "FailedFindings": failed}


def _upsert(store: dict[Key, StoredFinding], finding: dict[str, Any], region: str) -> None:
    incoming = copy.deepcopy(finding)
    key = (incoming["ProductArn"], incoming["Id"])
    stored = store.get(key)
    if stored is None:
        store[key] = StoredFinding(_created(incoming, region))
    elif parse_timestamp(incoming["UpdatedAt"]) > parse_timestamp(stored.data["UpdatedAt"]):
        stored.data = _updated(stored, incoming)


def _created(data: dict[str, Any], region: str) -> dict[str, Any]:
    _sync_provider_fields(data, None, set())
    data.setdefault("RecordState", "ACTIVE")
    data["Workflow"] = {"Status": get_path(data, "Workflow.Status") or "NEW"}
    data.update(ProductName="Default", CompanyName="Personal", Region=region)
    _stamp(data)
    return data


def _updated(stored: StoredFinding, data: dict[str, Any]) -> dict[str, Any]:
    previous = stored.data
    for name in CUSTOMER_FIELDS:
        data.pop(name, None)
        if name in previous:
            data[name] = copy.deepcopy(previous[name])
    data.setdefault("RecordState", previous["RecordState"])
    _sync_provider_fields(data, previous, stored.customer_fields)
    if get_path(data, "Workflow.Status") in ("NOTIFIED", "RESOLVED") and _reopened(previous, data):
        data["Workflow"] = {"Status": "NEW"}
    for name in ("ProductName", "CompanyName", "Region"):
        data[name] = previous[name]
    _stamp(data)
    return data


def _reopened(previous: dict[str, Any], current: dict[str, Any]) -> bool:
    reactivated = previous.get("RecordState") == "ARCHIVED" and current.get("RecordState") == "ACTIVE"
    regressed = (
        get_path(previous, "Compliance.Status") == "PASSED"
        and get_path(current, "Compliance.Status") in _REOPENED_COMPLIANCE
    )
    return reactivated or regressed


def _stamp(data: dict[str, Any]) -> None:
    data["ProcessedAt"] = now_iso()
    product_fields = data.setdefault("ProductFields", {})
    product_fields["aws/securityhub/FindingId"] = f"{data['ProductArn']}/{data['Id']}"
    product_fields["aws/securityhub/ProductName"] = data["ProductName"]
    product_fields["aws/securityhub/CompanyName"] = data["CompanyName"]


def _to_provider_severity(severity: dict[str, Any]) -> dict[str, Any]:
    normalized = normalize_severity(severity)
    return {key: normalized[key] for key in ("Label", "Original") if key in normalized}


def _sync_provider_fields(data: dict[str, Any], previous: dict[str, Any] | None, customer_fields: set[str]) -> None:
    """FindingProviderFields rules of the user guide; a value a customer set with BatchUpdateFindings
    keeps the top-level field."""
    provider = data.setdefault("FindingProviderFields", {})
    previous_provider = (previous or {}).get("FindingProviderFields", {})
    for name in PROVIDER_FIELDS:
        top_sent, provider_sent = name in data, name in provider
        if previous is not None and not top_sent and not provider_sent:
            for target, source in ((data, previous), (provider, previous_provider)):
                if name in source:
                    target[name] = copy.deepcopy(source[name])
            continue
        if provider_sent and (previous is None or not top_sent):
            data[name] = copy.deepcopy(provider[name])
        elif top_sent and not provider_sent:
            provider[name] = copy.deepcopy(data[name])
        if previous is not None and name in customer_fields and name in previous:
            data[name] = copy.deepcopy(previous[name])
    if "Severity" in provider:
        provider["Severity"] = _to_provider_severity(provider["Severity"])
    if "Severity" in data:
        data["Severity"] = normalize_severity(data["Severity"])


def batch_update_findings(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    require_enabled(backend)
    identifiers = params.get("FindingIdentifiers") or []
    if not 1 <= len(identifiers) <= 100:
        raise invalid_input("FindingIdentifiers must contain between 1 and 100 items")
    _validate_update(params)
    store = findings_of(backend)
    processed: list[dict[str, str]] = []
    unprocessed: list[dict[str, Any]] = []
    seen: set[Key] = set()
    for identifier in identifiers:
        key = (str(identifier.get("ProductArn")), str(identifier.get("Id")))
        if key in seen:
            error = ("DuplicatedFindingIdentifier", "Finding Identifier is duplicated")
        elif key not in store:
            error = ("FindingNotFound", "Finding Not Found")
        else:
            seen.add(key)
            _apply_update(store[key], params)
            processed.append({"Id": key[1], "ProductArn": key[0]})
            continue
        unprocessed.append({"FindingIdentifier": identifier, "ErrorCode": error[0], "ErrorMessage": error[1]})
    return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}


def _validate_update(params: dict[str, Any]) -> None:
    checks = {
        "Workflow.Status": ENUMS["Workflow.Status"],
        "VerificationState": ENUMS["VerificationState"],
        "Severity.Label": ENUMS["Severity.Label"],
    }
    for path, allowed in checks.items():
        value = get_path(params, path)
        if value is not None and value not in allowed:
            raise invalid_input(f"Invalid {path} '{value}', expected one of {list(allowed)}")
    note = params.get("Note")
    if note is not None and not 1 <= len(str(note.get("Text", ""))) <= 512:
        raise invalid_input("Note.Text must be 1 to 512 characters")


def _apply_update(stored: StoredFinding, params: dict[str, Any]) -> None:
    """Customer-side changes; UpdatedAt is not touched, as on AWS."""
    data = stored.data
    if "Note" in params:
        data["Note"] = {
            "Text": params["Note"]["Text"],
            "UpdatedBy": params["Note"]["UpdatedBy"],
            "UpdatedAt": now_iso(),
        }
    if get_path(params, "Workflow.Status"):
        data["Workflow"] = {"Status": params["Workflow"]["Status"]}
    if "VerificationState" in params:
        data["VerificationState"] = params["VerificationState"]
    if "UserDefinedFields" in params:
        data.setdefault("UserDefinedFields", {}).update(params["UserDefinedFields"])
    for name in ("Confidence", "Criticality", "Types", "RelatedFindings"):
        if name in params:
            data[name] = copy.deepcopy(params[name])
            stored.customer_fields.add(name)
    if params.get("Severity"):
        update = {
            key: params["Severity"][key] for key in ("Label", "Normalized", "Product") if key in params["Severity"]
        }
        severity = {key: value for key, value in data.get("Severity", {}).items() if key == "Original"}
        data["Severity"] = normalize_severity({**severity, **update})
        stored.customer_fields.add("Severity")
