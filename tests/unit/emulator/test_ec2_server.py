"""The EC2 extensions over HTTP (the demo's path), and the scan-results control endpoint."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.config import Config

from provenance_guard_cli.emulator.ec2_image_scans import SCAN_RESULTS_PATH
from provenance_guard_cli.emulator.server import EmulatorServer
from tests.unit.emulator.ec2_support import amazon_base, ancestry_ids, community_image, create_image_from, describe


@pytest.fixture(scope="module")
def running() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0) as server:
        yield server


@pytest.fixture
def emulator(running: EmulatorServer) -> EmulatorServer:
    running.reset()
    return running


@pytest.fixture
def ec2(emulator: EmulatorServer, boto_session: Any) -> Any:
    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    return boto_session.client("ec2", endpoint_url=emulator.url, config=config)


def test_lineage_watermarks_and_allowed_images_over_http(ec2: Any) -> None:
    base = amazon_base(ec2)
    golden = create_image_from(ec2, base, "golden")
    key = ec2.attach_image_watermark(ImageId=golden, WatermarkName="golden")["WatermarkKey"]
    released = ec2.copy_image(SourceImageId=golden, SourceRegion="us-east-1", Name="released")["ImageId"]
    community = community_image(ec2)
    ec2.enable_allowed_images_settings(AllowedImagesSettingsState="audit-mode")
    ec2.replace_image_criteria_in_allowed_images_settings(ImageCriteria=[{"ImageProviders": ["amazon"]}])

    assert ancestry_ids(ec2, released) == [released, golden, base]
    image = describe(ec2, released)
    assert (image["SourceImageId"], [mark["WatermarkKey"] for mark in image["ImageWatermarks"]]) == (golden, [key])
    assert (describe(ec2, base)["ImageAllowed"], describe(ec2, community)["ImageAllowed"]) == (True, False)
    assert ec2.get_allowed_images_settings()["State"] == "audit-mode"


def test_guardrails_over_http_and_reset(emulator: EmulatorServer, ec2: Any) -> None:
    ec2.enable_image_block_public_access(ImageBlockPublicAccessState="block-new-sharing")
    ec2.modify_instance_metadata_defaults(HttpTokens="required", HttpPutResponseHopLimit=1)
    ec2.enable_allowed_images_settings(AllowedImagesSettingsState="enabled")

    assert ec2.get_instance_metadata_defaults()["AccountLevel"]["HttpTokens"] == "required"
    emulator.reset()

    assert ec2.get_image_block_public_access_state()["ImageBlockPublicAccessState"] == "unblocked"
    assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {"ManagedBy": "account"}
    assert ec2.get_allowed_images_settings()["State"] == "disabled"


def test_scan_results_are_set_over_http(emulator: EmulatorServer, ec2: Any) -> None:
    image_id = amazon_base(ec2)
    scanned = datetime.now(UTC).replace(microsecond=0)

    emulator.set_image_scan_results(
        image_id,
        {
            "FindingScanDate": scanned,
            "HighestFindingSeverityLabel": "critical",
            "CriticalFixAvailableSince": scanned - timedelta(days=45),
        },
    )
    assert describe(ec2, image_id)["ScanResults"]["CriticalFixAvailableSince"] == scanned - timedelta(days=45)

    emulator.set_image_scan_results(image_id, None)
    assert "ScanResults" not in describe(ec2, image_id)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"imageId": "ami-0000000000000dead", "scanResults": None}, 404),
        ({"imageId": "IMAGE", "scanResults": {"HighestFindingSeverityLabel": "high"}}, 400),
        ({"imageId": "IMAGE", "scanResults": "critical"}, 400),
        ({"imageId": "IMAGE"}, 400),
    ],
)
def test_bad_scan_results_are_refused_over_http(
    emulator: EmulatorServer, ec2: Any, payload: dict[str, Any], status: int
) -> None:
    image_id = amazon_base(ec2)
    body = json.dumps({**payload, "imageId": payload["imageId"].replace("IMAGE", image_id)}).encode()
    request = urllib.request.Request(
        emulator.url + SCAN_RESULTS_PATH, data=body, method="POST", headers={"Content-Type": "application/json"}
    )

    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request)

    assert excinfo.value.code == status
    assert "error" in json.loads(excinfo.value.read())


def test_the_endpoint_only_takes_post(emulator: EmulatorServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(emulator.url + SCAN_RESULTS_PATH)
    assert excinfo.value.code == 405
