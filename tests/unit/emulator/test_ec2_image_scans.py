"""Image.ScanResults: seeded per AMI (Inspector's part), reported by DescribeImages as AWS does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import pytest

from provenance_guard_cli.emulator.ec2_image_scans import (
    FIX_AVAILABLE_SINCE,
    MEMBERS,
    SEVERITIES,
    UnknownImageError,
    set_scan_results,
)
from tests.unit.emulator.ec2_support import OTHER_REGION, copy, describe, register
from tests.unit.emulator.model_shapes import enum, shape_members

SCANNED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_scanned_image_reports_its_results(ec2: Any) -> None:
    image_id = register(ec2)
    set_scan_results(
        image_id,
        {
            "FindingScanDate": "2026-03-01T12:00:00Z",
            "HighestFindingSeverityLabel": "critical",
            "CriticalFixAvailableSince": SCANNED - timedelta(days=45),
            "HighFixAvailableSince": "2026-02-20T00:00:00+00:00",
        },
    )

    assert describe(ec2, image_id)["ScanResults"] == {
        "FindingScanDate": SCANNED,
        "HighestFindingSeverityLabel": "critical",
        "CriticalFixAvailableSince": SCANNED - timedelta(days=45),
        "HighFixAvailableSince": datetime(2026, 2, 20, tzinfo=UTC),
    }


def test_never_scanned_and_clean_images(ec2: Any) -> None:
    never = register(ec2, "never")
    clean = register(ec2, "clean")
    set_scan_results(clean, {"FindingScanDate": SCANNED})
    rescanned = register(ec2, "forgotten")
    set_scan_results(rescanned, {"FindingScanDate": SCANNED})
    set_scan_results(rescanned, None)

    assert "ScanResults" not in describe(ec2, never)
    assert describe(ec2, clean)["ScanResults"] == {"FindingScanDate": SCANNED}
    assert "ScanResults" not in describe(ec2, rescanned)


def test_copies_start_unscanned(ec2: Any) -> None:
    image_id = register(ec2)
    set_scan_results(image_id, {"FindingScanDate": SCANNED, "HighestFindingSeverityLabel": "low"})

    assert "ScanResults" not in describe(ec2, copy(ec2, image_id, "copy"))


@pytest.mark.parametrize(
    ("results", "complaint"),
    [
        ({"HighestFindingSeverityLabel": "high"}, "FindingScanDate is required"),
        ({"FindingScanDate": SCANNED, "HighestFindingSeverityLabel": "HIGH"}, "must be one of"),
        ({"FindingScanDate": SCANNED, "CriticalFixAvailableSince": SCANNED}, "CriticalFixAvailableSince needs"),
        (
            {"FindingScanDate": SCANNED, "HighestFindingSeverityLabel": "high", "CriticalFixAvailableSince": SCANNED},
            "of critical or above",
        ),
        (
            {
                "FindingScanDate": SCANNED,
                "HighestFindingSeverityLabel": "low",
                "LowFixAvailableSince": SCANNED + timedelta(days=1),
            },
            "later than FindingScanDate",
        ),
        ({"FindingScanDate": "yesterday"}, "ISO-8601"),
        ({"FindingScanDate": SCANNED, "Severity": "high"}, "unknown ScanResults members"),
    ],
)
def test_inconsistent_results_are_refused(ec2: Any, results: dict[str, Any], complaint: str) -> None:
    image_id = register(ec2)
    with pytest.raises(ValueError, match=complaint):
        set_scan_results(image_id, results)
    assert "ScanResults" not in describe(ec2, image_id)


def test_results_are_set_per_account_and_region(ec2: Any, boto_session: Any) -> None:
    europe = boto_session.client("ec2", region_name=OTHER_REGION)
    image_id = register(europe)

    with pytest.raises(UnknownImageError):
        set_scan_results(image_id, {"FindingScanDate": SCANNED})
    with pytest.raises(UnknownImageError):
        set_scan_results(image_id, {"FindingScanDate": SCANNED}, region=OTHER_REGION, account="444455556666")
    set_scan_results(image_id, {"FindingScanDate": SCANNED}, region=OTHER_REGION)
    assert describe(europe, image_id)["ScanResults"] == {"FindingScanDate": SCANNED}


def test_members_match_the_botocore_model() -> None:
    model = botocore.session.get_session().get_service_model("ec2")
    assert set(shape_members(model, "ScanResults")) == MEMBERS
    assert enum(model, "SeverityLabel") == list(SEVERITIES)
    assert set(FIX_AVAILABLE_SINCE.values()) <= MEMBERS
    assert shape_members(model, "Image")["ScanResults"].name == "ScanResults"
