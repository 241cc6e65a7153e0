"""findings.py: verdicts -> ASFF (CONTROLS.md §3, research/securityhub.md §1-§7)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from provenance_guard.asff import from_asff, product_arn, to_asff
from provenance_guard.collect.ami import AMI
from provenance_guard.controls import registry
from provenance_guard.findings import (
    ExemptionApplied,
    Finding,
    RecordState,
    build_finding,
    finding_id,
    format_time,
    parse_time,
)
from provenance_guard.findings import fingerprint as finding_fingerprint
from provenance_guard.model import Reason, ResourceRef, Severity, Status, Verdict
from tests.unit.support import EVENTS, T0, ami_ref, ami_snapshot

REF = ami_ref("ami-0abcdef1234567890", account="111122223333")
STAMP = "2025-01-15T12:00:00.000Z"
EVIDENCE = {"OwnerId": "444455556666", "TrustedOwners": "self, amazon"}
FAILED = Verdict.failed("PG.AMI.1", (Reason("UNTRUSTED_OWNER", "owner 444455556666 is not trusted"),), EVIDENCE)
PASSED = Verdict.passed("PG.AMI.1", "owner is trusted", EVIDENCE)
EXEMPTION = ExemptionApplied("legacy fleet, SEC-123", date(2025, 6, 30))
REQUIRED = (
    "AwsAccountId",
    "CreatedAt",
    "Description",
    "GeneratorId",
    "Id",
    "ProductArn",
    "Resources",
    "SchemaVersion",
    "Severity",
    "Title",
    "Types",
    "UpdatedAt",
)
SECURITYHUB_MODEL = botocore.session.get_session().get_service_model("securityhub")


def typed(verdict: Verdict = FAILED, *, ref: ResourceRef = REF, at: datetime = T0, **kwargs: Any) -> Finding:
    return build_finding(registry.get(verdict.control_id), verdict, ref, observed_at=at, **kwargs)


def finding(verdict: Verdict = FAILED, *, ref: ResourceRef = REF, at: datetime = T0, **kwargs: Any) -> dict[str, Any]:
    """The ASFF rendering of the finding (what Security Hub receives)."""
    return to_asff(typed(verdict, ref=ref, at=at, **kwargs))


# The finding's fields, read back from its ASFF (what the state store and the CLI read from Security Hub).
def severity_of(asff: dict[str, Any]) -> Severity:
    return from_asff(asff).severity


def status_of(asff: dict[str, Any]) -> Status:
    return from_asff(asff).status


def is_exempted(asff: dict[str, Any]) -> bool:
    return from_asff(asff).exempted


def fingerprint(asff: dict[str, Any]) -> str:
    return finding_fingerprint(from_asff(asff))


def with_record_state(asff: dict[str, Any], record_state: str, updated_at: datetime) -> dict[str, Any]:
    assert record_state == RecordState.ARCHIVED
    return to_asff(from_asff(asff).archived(updated_at))


def asff_errors(*findings: dict[str, Any]) -> str:
    """botocore's own validation of a BatchImportFindings request against the service model."""
    shape = SECURITYHUB_MODEL.operation_model("BatchImportFindings").input_shape
    assert shape is not None
    report = ParamValidator().validate({"Findings": list(findings)}, shape)
    return report.generate_report() if report.has_errors() else ""


def test_required_asff_attributes_are_present() -> None:
    built = finding()
    for name in REQUIRED:
        assert built.get(name), name
    assert built["SchemaVersion"] == "2018-10-08"
    assert built["AwsAccountId"] == "111122223333"
    assert built["Region"] == "us-east-1"
    assert built["Types"] == [
        "Software and Configuration Checks/AWS Security Best Practices/SEC06-BP02 Hardened images"
    ]
    assert built["Title"] == f"PG.AMI.1 {registry.get('PG.AMI.1').title}"
    assert built["RecordState"] == "ACTIVE"


def test_every_timestamp_is_the_observation_time_in_utc_with_milliseconds() -> None:
    built = finding()
    assert built["CreatedAt"] == built["UpdatedAt"] == built["FirstObservedAt"] == built["LastObservedAt"] == STAMP


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2025, 1, 15, 12, 0, 0, 123456, tzinfo=UTC), "2025-01-15T12:00:00.123Z"),
        (datetime(2025, 1, 15, 12, 0, tzinfo=UTC), "2025-01-15T12:00:00.000Z"),
    ],
)
def test_format_time(moment: datetime, text: str) -> None:
    assert format_time(moment) == text


def test_id_is_deterministic_and_generator_names_the_control() -> None:
    first, later = finding(at=T0), finding(PASSED, at=T0 + timedelta(days=3))
    assert first["Id"] == later["Id"] == finding_id(REF, "PG.AMI.1")
    assert re.fullmatch(r"provenance-guard/PG\.AMI\.1/[0-9a-f]{40}", first["Id"])
    assert first["GeneratorId"] == "provenance-guard/PG.AMI.1"


@pytest.mark.parametrize(
    "other",
    [
        ami_ref("ami-0abcdef1234567890", account="210987654321"),
        ResourceRef(AMI, "ami-0abcdef1234567890", "111122223333", "eu-west-1"),
        ami_ref("ami-0fedcba9876543210", account="111122223333"),
    ],
)
def test_id_differs_per_account_region_and_resource(other: ResourceRef) -> None:
    assert finding_id(other, "PG.AMI.1") != finding_id(REF, "PG.AMI.1")


def test_id_differs_per_control() -> None:
    assert finding_id(REF, "PG.AMI.1") != finding_id(REF, "PG.AMI.3")


def test_product_arn_is_the_accounts_default_product() -> None:
    assert finding()["ProductArn"] == ("arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default")
    china = ResourceRef(AMI, "ami-1", "111122223333", "cn-north-1", "aws-cn")
    assert product_arn(china) == "arn:aws-cn:securityhub:cn-north-1:111122223333:product/111122223333/default"


def test_severity_and_types_are_sent_top_level_and_in_finding_provider_fields() -> None:
    built = finding()
    assert built["Severity"] == {"Label": "HIGH", "Original": "HIGH"}
    assert built["FindingProviderFields"] == {"Severity": built["Severity"], "Types": built["Types"]}


def test_a_verdict_severity_overrides_the_controls() -> None:
    public = Verdict.failed("PG.AMI.3", (Reason("PUBLIC", "public"),), {}, Severity.CRITICAL)
    built = finding(public)
    assert built["Severity"]["Label"] == built["FindingProviderFields"]["Severity"]["Label"] == "CRITICAL"
    assert severity_of(built) is Severity.CRITICAL


def test_fields_a_provider_must_not_send_are_absent() -> None:
    for built in (finding(), finding(PASSED), finding(exemption=EXEMPTION)):
        assert not {"Workflow", "Note", "UserDefinedFields", "VerificationState"} & built.keys()


def test_resource_compliance_and_remediation() -> None:
    control = registry.get("PG.AMI.1")
    details = ami_snapshot(ref=REF).asff_details()
    built = finding(resource_details=details)
    assert built["Resources"] == [
        {
            "Type": "Other",
            "Id": "arn:aws:ec2:us-east-1::image/ami-0abcdef1234567890",
            "Partition": "aws",
            "Region": "us-east-1",
            "Details": details,
        }
    ]
    assert built["Compliance"] == {
        "Status": "FAILED",
        "SecurityControlId": "PG.AMI.1",
        "RelatedRequirements": [
            "AWS Well-Architected SEC06-BP02",
            "NIST.800-53.r5 CM-2",
            "NIST.800-53.r5 CM-7(5)",
            "NIST.800-53.r5 SR-3",
            "NIST.800-53.r5 SR-11",
            "CIS Controls v8/2.5",
            "CIS Controls v8/4.1",
            "CIS Controls v8/16.7",
        ],
        "StatusReasons": [{"ReasonCode": "UNTRUSTED_OWNER", "Description": "owner 444455556666 is not trusted"}],
    }
    assert built["Remediation"] == {
        "Recommendation": {"Text": control.remediation_text, "Url": control.remediation_url}
    }
    assert built["Description"].startswith("FAILED: owner 444455556666 is not trusted. Control: ")
    assert status_of(built) is Status.FAILED


def test_evidence_goes_into_product_fields() -> None:
    fields = finding()["ProductFields"]
    assert fields == {
        "provenance-guard/ControlId": "PG.AMI.1",
        "provenance-guard/Status": "FAILED",
        "provenance-guard/Exempted": "false",
        "provenance-guard/Evidence/OwnerId": "444455556666",
        "provenance-guard/Evidence/TrustedOwners": "self, amazon",
    }


def test_product_fields_stay_within_50_entries_and_their_size_limits() -> None:
    evidence = {f"Key{i:03d}-" + "k" * 200: "v" * 5000 for i in range(80)}
    verdict = Verdict.failed("PG.AMI.1", (Reason("X", "x"),), evidence)
    for exemption in (None, EXEMPTION):
        fields = finding(verdict, exemption=exemption)["ProductFields"]
        assert len(fields) == 50
        assert all(len(k) < 128 and len(v) <= 1000 for k, v in fields.items())
        assert fields["provenance-guard/ControlId"] == "PG.AMI.1"
    assert asff_errors(finding(verdict, exemption=EXEMPTION)) == ""


def test_long_texts_are_cut_to_the_asff_limits() -> None:
    reasons = tuple(Reason("C" * 100, "d" * 3000) for _ in range(15))
    built = finding(Verdict.failed("PG.AMI.1", reasons, {}))
    assert len(built["Description"]) == 1024
    assert len(built["Compliance"]["StatusReasons"]) == 10
    assert all(
        len(r["ReasonCode"]) <= 64 and len(r["Description"]) <= 1000 for r in built["Compliance"]["StatusReasons"]
    )
    assert asff_errors(built) == ""


def test_an_exempted_failure_is_informational_and_says_why() -> None:
    built = finding(exemption=EXEMPTION)
    assert built["Compliance"]["Status"] == "FAILED"
    assert built["Severity"] == {"Label": "INFORMATIONAL", "Original": "HIGH"}
    assert built["FindingProviderFields"]["Severity"] == built["Severity"]
    assert built["Compliance"]["StatusReasons"][-1] == {
        "ReasonCode": "EXEMPTED",
        "Description": "exempted until 2025-06-30: legacy fleet, SEC-123",
    }
    assert built["ProductFields"]["provenance-guard/Exempted"] == "true"
    assert built["ProductFields"]["provenance-guard/ExemptionReason"] == "legacy fleet, SEC-123"
    assert built["ProductFields"]["provenance-guard/ExemptionExpires"] == "2025-06-30"
    assert is_exempted(built)
    assert not is_exempted(finding())
    assert severity_of(built) is Severity.HIGH  # the real severity, for notification thresholds


def test_fingerprint_ignores_timestamps() -> None:
    first = finding(at=T0)
    later = finding(at=T0 + timedelta(days=2))
    assert first["UpdatedAt"] != later["UpdatedAt"]
    assert fingerprint(first) == fingerprint(later)


def test_fingerprint_changes_with_status_record_state_and_exemption() -> None:
    base = fingerprint(finding())
    assert fingerprint(finding(PASSED)) != base
    assert fingerprint(with_record_state(finding(), "ARCHIVED", T0)) != base
    assert fingerprint(finding(exemption=EXEMPTION)) != base


def test_with_record_state_changes_only_record_state_and_updated_at() -> None:
    built = finding()
    archived = with_record_state(built, "ARCHIVED", T0 + timedelta(hours=1))
    assert archived["RecordState"] == "ARCHIVED"
    assert archived["UpdatedAt"] == "2025-01-15T13:00:00.000Z"
    assert {k: v for k, v in archived.items() if k not in ("RecordState", "UpdatedAt")} == {
        k: v for k, v in built.items() if k not in ("RecordState", "UpdatedAt")
    }
    assert built["RecordState"] == "ACTIVE"  # the input is not modified


@pytest.mark.parametrize(
    "built",
    [
        pytest.param(finding(), id="failed"),
        pytest.param(finding(PASSED, resource_details=ami_snapshot(ref=REF).asff_details()), id="passed"),
        pytest.param(finding(exemption=EXEMPTION), id="exempted"),
        pytest.param(
            finding(Verdict.not_available("PG.AMI.3", "NOT_OWNER", "not the owner", {"Public": "false"})),
            id="not-available",
        ),
        pytest.param(with_record_state(finding(), "ARCHIVED", T0), id="archived"),
    ],
)
def test_findings_are_valid_against_the_securityhub_service_model(built: dict[str, Any]) -> None:
    assert asff_errors(built) == ""


PINNED = sorted((EVENTS.parent / "findings").glob("*.json"))
# Regenerated on purpose for issue 13 (titles as requirements, remediation per reason, NIST SP 800-53 Rev. 5 and
# CIS Controls v8 in RelatedRequirements): `python -m tests.unit.test_findings` rewrites each pinned finding with
# its control's current wording and nothing else. Only a wording change an issue asks for should ever need it.


def with_current_wording(pinned: Finding) -> Finding:
    control = registry.get(pinned.control_id)
    return replace(
        pinned,
        title=control.title,
        description=control.description,
        remediation_text=control.remediation_for(pinned.status, pinned.reasons),
        remediation_url=control.remediation_url,
        related_requirements=control.related_requirements,
    )


def regenerate() -> None:
    for path in PINNED:
        rewritten = to_asff(with_current_wording(from_asff(json.loads(path.read_text()))))
        path.write_text(json.dumps(rewritten, indent=1) + "\n")


@pytest.mark.parametrize("path", PINNED, ids=lambda path: path.stem)
def test_pinned_asff_carries_the_controls_current_wording(path: Path) -> None:
    pinned = from_asff(json.loads(path.read_text()))
    assert pinned == with_current_wording(pinned)


@pytest.mark.parametrize("path", PINNED, ids=lambda path: path.stem)
def test_pinned_asff_is_rendered_byte_for_byte(path: Path) -> None:
    """A few full findings as the product sent them before findings became typed (tests/fixtures/findings):
    reading them back and rendering them again gives the same bytes, so the Security Hub output of a
    verdict does not change with the internal representation."""
    text = path.read_text()
    pinned = json.loads(text)
    assert json.dumps(to_asff(from_asff(pinned)), indent=1) + "\n" == text


def test_pinned_asff_matches_a_fresh_build_of_the_same_verdict() -> None:
    pinned = json.loads((EVENTS.parent / "findings" / "ami-exempted.json").read_text())
    verdict = Verdict.failed(
        "PG.AMI.1",
        (
            Reason("UNTRUSTED_OWNER", "owner 444455556666 is not trusted"),
            Reason("NO_PIPELINE", "not built by an approved Image Builder pipeline"),
        ),
        {"OwnerId": "444455556666", "TrustedOwners": "self, amazon", "Long": "x" * 1500},
    )
    rebuilt = finding(verdict, exemption=EXEMPTION, resource_details=pinned["Resources"][0]["Details"])
    assert json.dumps(rebuilt) == json.dumps(pinned)
    assert parse_time(rebuilt["CreatedAt"]) == T0


if __name__ == "__main__":
    regenerate()
