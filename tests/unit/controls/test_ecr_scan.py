"""PG.ECR.5 (vulnerability thresholds) and PG.ECR.6 (completed scan, maximum age), pure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from provenance_guard.asff import MAX_PRODUCT_FIELD_VALUE
from provenance_guard.controls.ecr_scan import scanned_and_fresh, vulnerabilities_within_thresholds
from provenance_guard.model import Severity, Status
from provenance_guard.policy import Policy
from tests.unit.ecr_support import OTHER_DIGEST, basic_scan, image, image_ref, scan, vulnerability
from tests.unit.support import CONTEXT, T0

DEFAULT = Policy()


def policy(**thresholds: int) -> Policy:
    return Policy.from_document({"version": 1, "container": {"vulnerability_thresholds": thresholds}})


def test_a_clean_scan_passes():
    verdict = vulnerabilities_within_thresholds(image(), DEFAULT, CONTEXT)
    assert verdict.status is Status.PASSED
    assert verdict.evidence["Counts"] == "CRITICAL=0, HIGH=0, MEDIUM=0, LOW=0"
    assert verdict.evidence["Thresholds"] == "CRITICAL<=0, HIGH<=0"


@pytest.mark.parametrize(
    ("thresholds", "counts", "status", "severity"),
    [
        pytest.param({"CRITICAL": 0}, {"CRITICAL": 1}, Status.FAILED, Severity.CRITICAL, id="critical-over"),
        pytest.param({"CRITICAL": 1}, {"CRITICAL": 1}, Status.PASSED, None, id="critical-at-limit"),
        pytest.param({"HIGH": 2}, {"HIGH": 3}, Status.FAILED, Severity.HIGH, id="high-over"),
        pytest.param({"MEDIUM": 5}, {"MEDIUM": 6, "LOW": 40}, Status.FAILED, Severity.MEDIUM, id="medium-over"),
        pytest.param({"LOW": 0}, {"LOW": 1}, Status.FAILED, Severity.LOW, id="low-over"),
        pytest.param({"INFORMATIONAL": 0}, {"INFORMATIONAL": 2}, Status.FAILED, Severity.INFORMATIONAL, id="info-over"),
        pytest.param({"HIGH": 0}, {"CRITICAL": 9}, Status.PASSED, None, id="unthresholded-severity"),
        pytest.param(
            {"CRITICAL": 0, "HIGH": 0}, {"HIGH": 1, "CRITICAL": 2}, Status.FAILED, Severity.CRITICAL, id="highest"
        ),
    ],
)
def test_thresholds_per_severity(thresholds, counts, status, severity):
    verdict = vulnerabilities_within_thresholds(image(scan=scan(counts)), policy(**thresholds), CONTEXT)
    assert verdict.status is status
    assert verdict.severity is severity


def test_exceeded_severities_are_reasons_highest_first():
    verdict = vulnerabilities_within_thresholds(image(scan=scan({"HIGH": 3, "CRITICAL": 1})), DEFAULT, CONTEXT)
    assert [r.description for r in verdict.reasons] == [
        "1 CRITICAL findings, more than the 0 allowed (container.vulnerability_thresholds.CRITICAL)",
        "3 HIGH findings, more than the 0 allowed (container.vulnerability_thresholds.HIGH)",
    ]


def test_the_worst_findings_with_their_fix_are_evidence_within_asff_limits():
    worst = tuple(vulnerability(f"CVE-2025-{i:05d}", "CRITICAL", score=9.0) for i in range(20))
    counts = {"CRITICAL": 120, "HIGH": 300}
    verdict = vulnerabilities_within_thresholds(
        image(scan=scan(counts, worst=worst, fixable=200, truncated=False)), DEFAULT, CONTEXT
    )
    evidence = verdict.evidence
    assert evidence["WorstFindings"].startswith(
        "CVE-2025-00000 CRITICAL openssl 3.0.13 (fixed in 1.2.4); CVE-2025-00001"
    )
    assert evidence["WorstFindings"].count("CVE-") == 10
    assert all(len(value) <= MAX_PRODUCT_FIELD_VALUE for value in evidence.values())
    assert evidence["FixAvailable"] == "200 of 420"
    assert len(evidence) < 20


def test_basic_scanning_does_not_claim_fix_availability():
    verdict = vulnerabilities_within_thresholds(image(scan=basic_scan(HIGH=1)), DEFAULT, CONTEXT)
    assert verdict.evidence["ScanSource"] == "ECR basic scanning"
    assert "FixAvailable" not in verdict.evidence


def test_truncated_counts_are_lower_bounds():
    verdict = vulnerabilities_within_thresholds(image(scan=scan({"HIGH": 2000}, truncated=True)), DEFAULT, CONTEXT)
    assert verdict.reasons[0].description.startswith("at least 2000 HIGH")


def test_no_completed_scan_cannot_be_judged():
    verdict = vulnerabilities_within_thresholds(image(scan=scan(status="FAILED")), DEFAULT, CONTEXT)
    assert verdict.status is Status.NOT_AVAILABLE
    assert verdict.reasons[0].code == "NO_COMPLETED_SCAN"


def test_an_index_summarises_its_platforms_and_takes_the_worst_severity():
    arm = image(ref=image_ref(digest=OTHER_DIGEST), digest=OTHER_DIGEST, scan=scan({"HIGH": 1}))
    amd = image(scan=scan({"CRITICAL": 2}))
    index = image(kind="index", scan=None, platforms=(("linux/arm64", arm), ("linux/amd64", amd)))
    verdict = vulnerabilities_within_thresholds(index, DEFAULT, CONTEXT)
    assert verdict.status is Status.FAILED
    assert verdict.severity is Severity.CRITICAL
    assert [r.description.split(":")[0] for r in verdict.reasons] == ["linux/arm64", "linux/amd64"]


def test_the_evidence_is_stable_from_day_to_day():
    later = CONTEXT.__class__(CONTEXT.account, CONTEXT.region, CONTEXT.partition, T0 + timedelta(days=40))
    for control in (vulnerabilities_within_thresholds, scanned_and_fresh):
        assert control(image(), DEFAULT, CONTEXT) == control(image(), DEFAULT, later)


@pytest.mark.parametrize(
    ("status", "pushed_hours_ago", "expected", "code"),
    [
        ("ACTIVE", 1, Status.PASSED, "PASSED"),
        ("COMPLETE", 1, Status.PASSED, "PASSED"),
        ("FAILED", 1, Status.FAILED, "SCAN_FAILED"),
        ("UNSUPPORTED_IMAGE", 1, Status.FAILED, "SCAN_UNSUPPORTED_IMAGE"),
        ("SCAN_ELIGIBILITY_EXPIRED", 1, Status.FAILED, "SCAN_SCAN_ELIGIBILITY_EXPIRED"),
        ("IN_PROGRESS", 1, Status.NOT_AVAILABLE, "SCAN_PENDING"),
        ("IN_PROGRESS", 30, Status.FAILED, "NO_COMPLETED_SCAN"),
        (None, 2, Status.NOT_AVAILABLE, "SCAN_PENDING"),
        (None, 25, Status.FAILED, "NO_COMPLETED_SCAN"),
    ],
)
def test_completed_scan(status, pushed_hours_ago, expected, code):
    pushed = image(scan=scan(status=status), pushed_at=T0 - timedelta(hours=pushed_hours_ago))
    verdict = scanned_and_fresh(pushed, DEFAULT, CONTEXT)
    assert verdict.status is expected
    assert verdict.reasons[0].code == code


def test_an_image_older_than_the_maximum_age_fails():
    old = image(pushed_at=T0 - timedelta(days=181))
    verdict = scanned_and_fresh(old, DEFAULT, CONTEXT)
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].description == "pushed 2024-07-18, more than container.max_age_days (180) ago"
    assert scanned_and_fresh(image(pushed_at=T0 - timedelta(days=179)), DEFAULT, CONTEXT).status is Status.PASSED


def test_an_index_is_judged_by_its_platform_scans():
    scanned = image(ref=image_ref(digest=OTHER_DIGEST), digest=OTHER_DIGEST)
    failed = image(scan=scan(status="UNSUPPORTED_IMAGE"))
    index = image(kind="index", scan=None, platforms=(("linux/arm64", scanned), ("linux/s390x", failed)))
    verdict = scanned_and_fresh(index, DEFAULT, CONTEXT)
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].description == "linux/s390x: scan status UNSUPPORTED_IMAGE"
    assert verdict.evidence["PlatformScans"] == "linux/arm64: ACTIVE; linux/s390x: UNSUPPORTED_IMAGE"


def test_artifacts_get_no_scan_findings():
    artifact = image(kind="artifact", scan=None)
    assert vulnerabilities_within_thresholds(artifact, DEFAULT, CONTEXT) is None
    assert scanned_and_fresh(artifact, DEFAULT, CONTEXT) is None


def test_an_index_that_cannot_be_read_cannot_be_judged():
    unreadable = image(kind="index", scan=None, base_image=None, oci_error="GET /v2/...: HTTP 500 after 4 attempts")
    for control in (vulnerabilities_within_thresholds, scanned_and_fresh):
        verdict = control(unreadable, DEFAULT, CONTEXT)
        assert verdict.status is Status.NOT_AVAILABLE
        assert verdict.reasons[0].code == "UNREADABLE"
    old = image(kind="index", scan=None, oci_error="unreadable", pushed_at=T0 - timedelta(days=400))
    assert scanned_and_fresh(old, DEFAULT, CONTEXT).status is Status.FAILED
