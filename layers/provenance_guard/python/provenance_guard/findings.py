"""Verdicts -> `Finding`s: what the product found about one resource under one control, in no output
format. Renderers at the edge turn a finding into ASFF (`asff.py`, for Security Hub), a notification,
a table row or another format; state, notifications and the command line read its fields."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from provenance_guard.collect.base import USAGE_EVIDENCE
from provenance_guard.collect.kinds import kind_named
from provenance_guard.controls.registry import Control
from provenance_guard.model import Reason, ResourceRef, Severity, Status, Verdict

PRODUCT = "provenance-guard"


class RecordState(StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    """The resource is gone or can no longer be launched: the finding is hidden from default views."""


@dataclass(frozen=True)
class ExemptionApplied:
    reason: str
    expires: date


@dataclass(frozen=True)
class Finding:
    """One control's result about one resource, with every timestamp Security Hub keeps."""

    id: str
    """Deterministic from (account, region, control, resource): re-evaluation updates one finding."""
    control_id: str
    title: str
    """The control's title: its requirement ("AMI should ...")."""
    description: str
    """The control's description."""
    resource: ResourceRef
    status: Status
    severity: Severity
    """The severity of the result (the control's, or the verdict's own: a public AMI is CRITICAL)."""
    reasons: tuple[Reason, ...]
    evidence: Mapping[str, str]
    remediation_text: str
    """What to do about this result's reasons (the control's per-reason text, or its default)."""
    remediation_url: str
    related_requirements: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    first_observed_at: datetime
    last_observed_at: datetime
    exemption: ExemptionApplied | None = None
    record_state: RecordState = RecordState.ACTIVE
    resource_details: Mapping[str, Any] = field(default_factory=dict)
    """The resource as ASFF `Resources[0].Details` describes it (`{"AwsEc2Instance": {...}}`)."""

    @property
    def exempted(self) -> bool:
        return self.exemption is not None

    @property
    def reported_severity(self) -> Severity:
        """What people see: an exempted failure is INFORMATIONAL (its own severity is kept as `severity`)."""
        return Severity.INFORMATIONAL if self.exemption else self.severity

    @property
    def active(self) -> bool:
        return self.record_state is RecordState.ACTIVE

    def archived(self, updated_at: datetime) -> Finding:
        """The same finding re-sent as ARCHIVED (the resource vanished)."""
        return replace(self, record_state=RecordState.ARCHIVED, updated_at=updated_at)


def finding_id(ref: ResourceRef, control_id: str) -> str:
    """Deterministic from (account, region, control, resource): re-evaluation updates one finding."""
    digest = hashlib.sha256(f"{ref.account}|{ref.region}|{control_id}|{ref.arn}".encode()).hexdigest()
    return f"{PRODUCT}/{control_id}/{digest[:40]}"


def format_time(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def build_finding(
    control: Control[Any],
    verdict: Verdict,
    ref: ResourceRef,
    *,
    observed_at: datetime,
    exemption: ExemptionApplied | None = None,
    resource_details: Mapping[str, Any] | None = None,
) -> Finding:
    """The finding, with every timestamp set to `observed_at` (the pipeline keeps `created_at` and
    `first_observed_at` of a finding it has seen, and makes `updated_at` strictly increase)."""
    return Finding(
        id=finding_id(ref, control.id),
        control_id=control.id,
        title=control.title,
        description=control.description,
        resource=ref,
        status=verdict.status,
        severity=verdict.severity or control.severity,
        reasons=verdict.reasons,
        evidence=dict(verdict.evidence),
        remediation_text=control.remediation_for(verdict.status, verdict.reasons),
        remediation_url=control.remediation_url,
        related_requirements=control.related_requirements,
        created_at=observed_at,
        updated_at=observed_at,
        first_observed_at=observed_at,
        last_observed_at=observed_at,
        exemption=exemption,
        resource_details=dict(resource_details or {}),
    )


TIMESTAMPS = ("created_at", "updated_at", "first_observed_at", "last_observed_at")


def to_document(finding: Finding) -> dict[str, Any]:
    """The finding as JSON-ready data (the state store's record, the CLI's JSON): every field, by name."""
    document = asdict(finding)
    document["resource"] = {
        "kind": finding.resource.kind.value,
        "name": finding.resource.name,
        "account": finding.resource.account,
        "region": finding.resource.region,
        "partition": finding.resource.partition,
        "id": finding.resource.arn,
    }
    for name in TIMESTAMPS:
        document[name] = format_time(getattr(finding, name))
    if finding.exemption:
        document["exemption"] = {"reason": finding.exemption.reason, "expires": finding.exemption.expires.isoformat()}
    document["reasons"] = [{"code": r.code, "description": r.description} for r in finding.reasons]
    document["related_requirements"] = list(finding.related_requirements)
    return document


def fingerprint(finding: Finding) -> str:
    """Hash of everything but the timestamps and the "in use by" evidence (refreshed on its own schedule,
    `pipeline.USAGE_REFRESH`): equal fingerprints mean nothing worth re-importing at once."""
    content = {k: v for k, v in to_document(finding).items() if k not in TIMESTAMPS}
    content["evidence"] = {k: v for k, v in finding.evidence.items() if k not in USAGE_EVIDENCE}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def from_document(document: Mapping[str, Any]) -> Finding:
    """The finding `to_document` wrote (`ValueError`/`KeyError` if it is not one)."""
    resource = document["resource"]
    exemption = document.get("exemption")
    ref = ResourceRef(
        kind_named(resource["kind"]), resource["name"], resource["account"], resource["region"], resource["partition"]
    )
    return Finding(
        id=document["id"],
        control_id=document["control_id"],
        title=document["title"],
        description=document["description"],
        resource=ref,
        status=Status(document["status"]),
        severity=Severity(document["severity"]),
        reasons=tuple(Reason(r["code"], r["description"]) for r in document["reasons"]),
        evidence=dict(document["evidence"]),
        remediation_text=document["remediation_text"],
        remediation_url=document["remediation_url"],
        related_requirements=tuple(document["related_requirements"]),
        created_at=parse_time(document["created_at"]),
        updated_at=parse_time(document["updated_at"]),
        first_observed_at=parse_time(document["first_observed_at"]),
        last_observed_at=parse_time(document["last_observed_at"]),
        exemption=_exemption(exemption) if exemption else None,
        record_state=RecordState(document["record_state"]),
        resource_details=dict(document["resource_details"]),
    )


def _exemption(document: Mapping[str, str]) -> ExemptionApplied:
    return ExemptionApplied(document["reason"], date.fromisoformat(document["expires"]))
