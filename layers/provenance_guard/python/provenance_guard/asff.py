"""Findings in the AWS Security Finding Format, for Security Hub CSPM's BatchImportFindings (CONTROLS.md §3,
research/securityhub.md §1-§7): the renderer, and the reader of findings Security Hub gives back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from provenance_guard.collect.kinds import ref_from_arn
from provenance_guard.findings import (
    PRODUCT,
    ExemptionApplied,
    Finding,
    RecordState,
    format_time,
    parse_time,
)
from provenance_guard.model import Reason, ResourceRef, Severity, Status

SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices/SEC06-BP02 Hardened images"
PRODUCT_FIELD_PREFIX = PRODUCT
MAX_PRODUCT_FIELDS = 50
MAX_PRODUCT_FIELD_VALUE = 1000
MAX_REASON_DESCRIPTION = 1000
MAX_DESCRIPTION = 1024
MAX_STATUS_REASONS = 10
EVIDENCE = f"{PRODUCT_FIELD_PREFIX}/Evidence/"
CONTROL_SEPARATOR = ". Control: "


def product_arn(ref: ResourceRef) -> str:
    return f"arn:{ref.partition}:securityhub:{ref.region}:{ref.account}:product/{ref.account}/default"


def to_asff(finding: Finding) -> dict[str, Any]:
    """The full ASFF finding. Severity and Types go in FindingProviderFields too; Workflow, Note,
    UserDefinedFields and VerificationState are never sent (they are the customer's)."""
    ref = finding.resource
    severity_block = {"Label": finding.reported_severity.value, "Original": finding.severity.value}
    resource: dict[str, Any] = {
        "Type": ref.kind.asff_type,
        "Id": ref.arn,
        "Partition": ref.partition,
        "Region": ref.region,
    }
    if finding.resource_details:
        resource["Details"] = dict(finding.resource_details)
    reasons = [
        {"ReasonCode": r.code[:64], "Description": r.description[:MAX_REASON_DESCRIPTION]}
        for r in finding.reasons[:MAX_STATUS_REASONS]
    ]
    if finding.exemption:
        exemption = finding.exemption
        description = f"exempted until {exemption.expires.isoformat()}: {exemption.reason}"
        reasons.append({"ReasonCode": "EXEMPTED", "Description": description[:MAX_REASON_DESCRIPTION]})
    summary = "; ".join(r.description for r in finding.reasons)
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding.id,
        "ProductArn": product_arn(ref),
        "GeneratorId": f"{PRODUCT}/{finding.control_id}",
        "AwsAccountId": ref.account,
        "Region": ref.region,
        "CompanyName": PRODUCT,
        "ProductName": PRODUCT,
        "Types": [FINDING_TYPE],
        "CreatedAt": format_time(finding.created_at),
        "UpdatedAt": format_time(finding.updated_at),
        "FirstObservedAt": format_time(finding.first_observed_at),
        "LastObservedAt": format_time(finding.last_observed_at),
        "Severity": severity_block,
        "FindingProviderFields": {"Severity": severity_block, "Types": [FINDING_TYPE]},
        "Title": f"{finding.control_id} {finding.title}"[:256],
        "Description": f"{finding.status.value}: {summary}{CONTROL_SEPARATOR}{finding.description}"[:MAX_DESCRIPTION],
        "Remediation": {"Recommendation": {"Text": finding.remediation_text[:512], "Url": finding.remediation_url}},
        "ProductFields": _product_fields(finding),
        "Resources": [resource],
        "Compliance": {
            "Status": finding.status.value,
            "SecurityControlId": finding.control_id,
            "RelatedRequirements": list(finding.related_requirements[:32]),
            "StatusReasons": reasons,
        },
        "RecordState": finding.record_state.value,
    }


def _product_fields(finding: Finding) -> dict[str, str]:
    fields = {
        f"{PRODUCT_FIELD_PREFIX}/ControlId": finding.control_id,
        f"{PRODUCT_FIELD_PREFIX}/Status": finding.status.value,
        f"{PRODUCT_FIELD_PREFIX}/Exempted": "true" if finding.exemption else "false",
    }
    if finding.exemption:
        fields[f"{PRODUCT_FIELD_PREFIX}/ExemptionReason"] = finding.exemption.reason[:MAX_PRODUCT_FIELD_VALUE]
        fields[f"{PRODUCT_FIELD_PREFIX}/ExemptionExpires"] = finding.exemption.expires.isoformat()
    room = MAX_PRODUCT_FIELDS - len(fields)
    for key, value in list(finding.evidence.items())[:room]:
        fields[f"{EVIDENCE}{key}"[:127]] = str(value)[:MAX_PRODUCT_FIELD_VALUE]
    return fields


class NotOurFindingError(ValueError):
    """An ASFF finding that provenance-guard did not write (or that names no resource it knows)."""


def from_asff(asff: Mapping[str, Any]) -> Finding:
    """The `Finding` behind an ASFF finding this product wrote (as Security Hub returns it, or as an older
    state record holds it). What ASFF truncated stays truncated; rendering it again gives the same ASFF."""
    if not str(asff.get("GeneratorId", "")).startswith(f"{PRODUCT}/"):
        raise NotOurFindingError(f"{asff.get('Id')!r} was not written by {PRODUCT}")
    compliance = asff["Compliance"]
    control_id = compliance["SecurityControlId"]
    resource = asff["Resources"][0]
    ref = ref_from_arn(resource["Id"], asff["AwsAccountId"])
    if ref is None:
        raise NotOurFindingError(f"{asff.get('Id')!r} names a resource of no known kind: {resource.get('Id')!r}")
    fields = asff.get("ProductFields") or {}
    reasons = [r for r in compliance.get("StatusReasons", []) if r.get("ReasonCode") != "EXEMPTED"]
    exemption = None
    if fields.get(f"{PRODUCT_FIELD_PREFIX}/Exempted") == "true":
        exemption = ExemptionApplied(
            fields.get(f"{PRODUCT_FIELD_PREFIX}/ExemptionReason", ""),
            date.fromisoformat(fields[f"{PRODUCT_FIELD_PREFIX}/ExemptionExpires"]),
        )
    description = str(asff.get("Description", ""))
    recommendation = (asff.get("Remediation") or {}).get("Recommendation") or {}
    return Finding(
        id=asff["Id"],
        control_id=control_id,
        title=str(asff["Title"]).removeprefix(f"{control_id} "),
        description=description.partition(CONTROL_SEPARATOR)[2],
        resource=ref,
        status=Status(compliance["Status"]),
        severity=Severity(asff["FindingProviderFields"]["Severity"]["Original"]),
        reasons=tuple(Reason(r["ReasonCode"], r.get("Description", "")) for r in reasons),
        evidence={k.removeprefix(EVIDENCE): v for k, v in fields.items() if k.startswith(EVIDENCE)},
        remediation_text=recommendation.get("Text", ""),
        remediation_url=recommendation.get("Url", ""),
        related_requirements=tuple(compliance.get("RelatedRequirements", [])),
        created_at=parse_time(asff["CreatedAt"]),
        updated_at=parse_time(asff["UpdatedAt"]),
        first_observed_at=parse_time(asff.get("FirstObservedAt", asff["CreatedAt"])),
        last_observed_at=parse_time(asff.get("LastObservedAt", asff["UpdatedAt"])),
        exemption=exemption,
        record_state=RecordState(asff.get("RecordState", "ACTIVE")),
        resource_details=dict(resource.get("Details") or {}),
    )
