"""Verdicts -> AWS Security Finding Format (CONTROLS.md §3, research/securityhub.md §1-§7)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from provenance_guard.controls.registry import Control
from provenance_guard.model import ResourceRef, Severity, Status, Verdict

SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices/SEC06-BP02 Hardened images"
PRODUCT_FIELD_PREFIX = "provenance-guard"
MAX_PRODUCT_FIELDS = 50
MAX_PRODUCT_FIELD_VALUE = 1000
MAX_REASON_DESCRIPTION = 1000
MAX_DESCRIPTION = 1024
MAX_STATUS_REASONS = 10
TIMESTAMP_FIELDS = ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt")


@dataclass(frozen=True)
class ExemptionApplied:
    reason: str
    expires: date


def product_arn(ref: ResourceRef) -> str:
    return f"arn:{ref.partition}:securityhub:{ref.region}:{ref.account}:product/{ref.account}/default"


def finding_id(ref: ResourceRef, control_id: str) -> str:
    """Deterministic from (account, region, control, resource): re-evaluation updates one finding."""
    digest = hashlib.sha256(f"{ref.account}|{ref.region}|{control_id}|{ref.arn}".encode()).hexdigest()
    return f"provenance-guard/{control_id}/{digest[:40]}"


def format_time(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_finding(
    control: Control[Any],
    verdict: Verdict,
    ref: ResourceRef,
    *,
    observed_at: datetime,
    exemption: ExemptionApplied | None = None,
    resource_details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The full ASFF finding, with every timestamp set to `observed_at`.

    The state store replaces `CreatedAt`/`FirstObservedAt`/`UpdatedAt` for findings it has seen.
    """
    severity = verdict.severity or control.severity
    reported_severity = Severity.INFORMATIONAL if exemption else severity
    stamp = format_time(observed_at)
    severity_block = {"Label": reported_severity.value, "Original": severity.value}
    resource: dict[str, Any] = {
        "Type": ref.kind.asff_type,
        "Id": ref.arn,
        "Partition": ref.partition,
        "Region": ref.region,
    }
    if resource_details:
        resource["Details"] = dict(resource_details)
    reasons = [
        {"ReasonCode": r.code[:64], "Description": r.description[:MAX_REASON_DESCRIPTION]}
        for r in verdict.reasons[:MAX_STATUS_REASONS]
    ]
    if exemption:
        reasons.append(
            {
                "ReasonCode": "EXEMPTED",
                "Description": f"exempted until {exemption.expires.isoformat()}: {exemption.reason}"[
                    :MAX_REASON_DESCRIPTION
                ],
            }
        )
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(ref, control.id),
        "ProductArn": product_arn(ref),
        "GeneratorId": f"provenance-guard/{control.id}",
        "AwsAccountId": ref.account,
        "Region": ref.region,
        "CompanyName": "provenance-guard",
        "ProductName": "provenance-guard",
        "Types": [FINDING_TYPE],
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "FirstObservedAt": stamp,
        "LastObservedAt": stamp,
        "Severity": severity_block,
        "FindingProviderFields": {"Severity": severity_block, "Types": [FINDING_TYPE]},
        "Title": f"{control.id} {control.title}"[:256],
        "Description": _description(control, verdict)[:MAX_DESCRIPTION],
        "Remediation": {"Recommendation": {"Text": control.remediation_text[:512], "Url": control.remediation_url}},
        "ProductFields": _product_fields(control, verdict, exemption),
        "Resources": [resource],
        "Compliance": {
            "Status": verdict.status.value,
            "SecurityControlId": control.id,
            "RelatedRequirements": list(control.related_requirements[:32]),
            "StatusReasons": reasons,
        },
        "RecordState": "ACTIVE",
    }


def fingerprint(finding: Mapping[str, Any]) -> str:
    """Hash of everything but the timestamps: equal fingerprints mean nothing worth re-importing."""
    content = {k: v for k, v in finding.items() if k not in TIMESTAMP_FIELDS}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def with_record_state(finding: Mapping[str, Any], record_state: str, updated_at: datetime) -> dict[str, Any]:
    """The same finding re-sent with a new `RecordState` (archiving a vanished resource)."""
    stamp = format_time(updated_at)
    return {**finding, "RecordState": record_state, "UpdatedAt": stamp}


def status_of(finding: Mapping[str, Any]) -> Status:
    return Status(finding["Compliance"]["Status"])


def severity_of(finding: Mapping[str, Any]) -> Severity:
    return Severity(finding["FindingProviderFields"]["Severity"]["Original"])


def is_exempted(finding: Mapping[str, Any]) -> bool:
    return bool(finding.get("ProductFields", {}).get(f"{PRODUCT_FIELD_PREFIX}/Exempted") == "true")


def _description(control: Control[Any], verdict: Verdict) -> str:
    summary = "; ".join(r.description for r in verdict.reasons)
    return f"{verdict.status.value}: {summary}. Control: {control.description}"


def _product_fields(control: Control[Any], verdict: Verdict, exemption: ExemptionApplied | None) -> dict[str, str]:
    fields = {
        f"{PRODUCT_FIELD_PREFIX}/ControlId": control.id,
        f"{PRODUCT_FIELD_PREFIX}/Status": verdict.status.value,
        f"{PRODUCT_FIELD_PREFIX}/Exempted": "true" if exemption else "false",
    }
    if exemption:
        fields[f"{PRODUCT_FIELD_PREFIX}/ExemptionReason"] = exemption.reason[:MAX_PRODUCT_FIELD_VALUE]
        fields[f"{PRODUCT_FIELD_PREFIX}/ExemptionExpires"] = exemption.expires.isoformat()
    room = MAX_PRODUCT_FIELDS - len(fields)
    for key, value in list(verdict.evidence.items())[:room]:
        fields[f"{PRODUCT_FIELD_PREFIX}/Evidence/{key}"[:127]] = str(value)[:MAX_PRODUCT_FIELD_VALUE]
    return fields
