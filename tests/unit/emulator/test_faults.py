from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator.faults import clear_faults, inject_faults, pending_faults

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def hub(aws: None, boto_session: Any) -> Any:
    client = boto_session.client("securityhub", config=NO_RETRIES)
    client.enable_security_hub()
    return client


@pytest.fixture
def ec2(aws: None, boto_session: Any) -> Any:
    return boto_session.client("ec2", config=NO_RETRIES)


def failure(call: Callable[[], Any]) -> tuple[str, int]:
    with pytest.raises(ClientError) as excinfo:
        call()
    response = excinfo.value.response
    return str(response["Error"]["Code"]), int(response["ResponseMetadata"]["HTTPStatusCode"])


@pytest.mark.parametrize(
    ("error_code", "status"),
    [("TooManyRequestsException", 429), ("ThrottlingException", 429), ("InternalException", 500)],
)
def test_next_n_calls_fail_then_succeed(
    hub: Any, make_finding: Callable[..., dict[str, Any]], error_code: str, status: int
) -> None:
    inject_faults("securityhub", "BatchImportFindings", error_code, count=2)

    for _ in range(2):
        assert failure(lambda: hub.batch_import_findings(Findings=[make_finding()])) == (error_code, status)
    assert hub.batch_import_findings(Findings=[make_finding()])["SuccessCount"] == 1
    assert pending_faults() == []


def test_ec2_faults_use_the_ec2_protocol(ec2: Any) -> None:
    inject_faults("ec2", "describe_images", "RequestLimitExceeded")

    assert failure(lambda: ec2.describe_images(Owners=["self"])) == ("RequestLimitExceeded", 503)
    assert ec2.describe_images(Owners=["self"])["Images"] == []


def test_faults_only_hit_the_named_operation(hub: Any) -> None:
    inject_faults("securityhub", "BatchImportFindings", "ThrottlingException", count=1, status=400, message="slow")

    assert hub.get_findings()["Findings"] == []
    assert pending_faults() == [
        {
            "service": "securityhub",
            "operation": "batch_import_findings",
            "error_code": "ThrottlingException",
            "count": 1,
            "status": 400,
            "message": "slow",
        }
    ]
    clear_faults()
    assert pending_faults() == []


def test_botocore_retries_consume_injected_faults(aws: None, boto_session: Any) -> None:
    hub = boto_session.client("securityhub", config=Config(retries={"mode": "standard", "total_max_attempts": 2}))
    hub.enable_security_hub()
    inject_faults("securityhub", "GetFindings", "TooManyRequestsException", count=1)

    response = hub.get_findings()

    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert pending_faults() == []


def test_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="count"):
        inject_faults("ec2", "DescribeImages", "RequestLimitExceeded", count=0)
