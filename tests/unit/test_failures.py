"""failures.py: which failures a retry can fix. Errors are real: raised by botocore itself, by the
emulator's serialised AWS errors (fault injection), or by a socket that never answers."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from provenance_guard.failures import Failure, classify, classify_code, classify_finding_code, reason
from provenance_guard.work import EventError
from tests.unit.support import REGION

ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=1, read_timeout=1)


def raised(call: Callable[[], Any]) -> BaseException:
    with pytest.raises(Exception) as caught:  # whatever the call raises is the subject
        call()
    return caught.value


def test_a_malformed_event_is_permanent() -> None:
    assert classify(EventError("detail.ImageId is missing")) is Failure.PERMANENT
    assert reason(EventError("detail.ImageId is missing")) == "detail.ImageId is missing"


def test_botocore_parameter_validation_is_permanent() -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    error = raised(lambda: ec2.describe_images(ImageIds="ami-0123456789abcdef0"))  # a string, not a list
    assert type(error).__name__ == "ParamValidationError"
    assert classify(error) is Failure.PERMANENT
    assert reason(error).startswith("ParamValidationError: Parameter validation failed")


@pytest.mark.parametrize("region", ["us east 1", "-", "us-east-1/", "a" * 10_000])
def test_a_region_botocore_refuses_is_permanent(region: str) -> None:
    error = raised(lambda: boto3.client("ec2", region_name=region))
    assert type(error).__name__ == "InvalidRegionError"
    assert classify(error) is Failure.PERMANENT


def test_a_refused_connection_is_transient() -> None:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url="http://127.0.0.1:9", config=ONE_ATTEMPT)
    error = raised(ec2.describe_images)
    assert type(error).__name__ == "EndpointConnectionError"
    assert classify(error) is Failure.TRANSIENT


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_a_timeout_is_transient(silent_endpoint: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=silent_endpoint, config=ONE_ATTEMPT)
    error = raised(ec2.describe_images)
    assert type(error).__name__ == "ReadTimeoutError"
    assert classify(error) is Failure.TRANSIENT


@pytest.mark.parametrize(
    ("service", "operation", "code", "status", "failure"),
    [
        ("ecr", "DescribeImages", "ValidationException", None, Failure.PERMANENT),
        ("ec2", "DescribeImages", "InvalidAMIID.Malformed", None, Failure.PERMANENT),
        ("ec2", "DescribeImages", "InvalidParameterValue", None, Failure.PERMANENT),
        ("ecr", "DescribeImages", "InvalidParameterException", None, Failure.PERMANENT),
        ("lambda", "GetFunction", "InvalidParameterValueException", 400, Failure.PERMANENT),
        ("securityhub", "GetFindings", "InvalidInputException", 400, Failure.PERMANENT),
        ("securityhub", "GetFindings", "InvalidAccessException", 401, Failure.PERMANENT),
        ("ecr", "DescribeImages", "ThrottlingException", None, Failure.TRANSIENT),
        ("ec2", "DescribeImages", "RequestLimitExceeded", None, Failure.TRANSIENT),
        ("securityhub", "GetFindings", "InternalException", None, Failure.TRANSIENT),
        ("ecr", "DescribeImages", "ValidationException", 503, Failure.TRANSIENT),  # a 5xx always can pass
        ("ec2", "DescribeImages", "UnauthorizedOperation", None, Failure.TRANSIENT),  # a permission: the DLQ alarm
        ("ecr", "DescribeImages", "AccessDeniedException", None, Failure.TRANSIENT),
    ],
)
def test_aws_error_answers(
    aws: None,
    emulator_faults: Callable[..., None],
    service: str,
    operation: str,
    code: str,
    status: int | None,
    failure: Failure,
) -> None:
    client = boto3.client(service, region_name=REGION, config=ONE_ATTEMPT)
    emulator_faults(service, operation, code, status=status)
    call = {
        "DescribeImages": lambda: client.describe_images(**({"repositoryName": "app"} if service == "ecr" else {})),
        "GetFunction": lambda: client.get_function(FunctionName="app"),
        "GetFindings": lambda: client.get_findings(),
    }[operation]
    with pytest.raises(ClientError) as error:
        call()
    assert error.value.response["Error"]["Code"] == code
    assert classify(error.value) is failure
    assert reason(error.value).startswith(f"{code}: ")
    assert reason(error.value).endswith(f"({operation})")


@pytest.mark.parametrize(
    ("code", "failure"),
    [
        ("InvalidParameterCombinationException", Failure.PERMANENT),
        ("InvalidInstanceID.Malformed", Failure.PERMANENT),
        ("ValidationError", Failure.PERMANENT),
        ("SerializationException", Failure.PERMANENT),
        ("InvalidRequestException", Failure.PERMANENT),
        ("InvalidAMIID.NotFound", Failure.TRANSIENT),  # the collectors read a missing resource as gone
        ("ServiceUnavailableException", Failure.TRANSIENT),
        ("CallRateLimitExceededException", Failure.TRANSIENT),
        ("", Failure.TRANSIENT),
    ],
)
def test_error_codes(code: str, failure: Failure) -> None:
    assert classify_code(code) is failure


@pytest.mark.parametrize(
    ("code", "failure"),
    [
        ("InvalidInput", Failure.PERMANENT),
        ("InvalidAccess", Failure.PERMANENT),
        ("FindingTooLarge", Failure.PERMANENT),
        ("InternalException", Failure.TRANSIENT),
        ("LimitExceededException", Failure.TRANSIENT),
        ("SomethingNew", Failure.TRANSIENT),
    ],
)
def test_finding_codes(code: str, failure: Failure) -> None:
    assert classify_finding_code(code) is failure


def test_an_unexpected_error_is_transient_so_it_reaches_the_dead_letter_queue() -> None:
    assert classify(KeyError("a bug")) is Failure.TRANSIENT
    assert reason(KeyError("a bug")) == "KeyError: 'a bug'"
