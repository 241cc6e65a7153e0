"""The emulator counts the AWS requests it serves, per service and operation (request_counts.py), over
HTTP: what a benchmark divides by the resources it judged."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config

from provenance_guard_cli.emulator.request_counts import COUNTS_PATH
from provenance_guard_cli.emulator.server import EmulatorServer


@pytest.fixture(scope="module")
def running() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0) as server:
        yield server


@pytest.fixture
def emulator(running: EmulatorServer) -> EmulatorServer:
    running.reset()
    running.request_counts(reset=True)
    return running


def client(emulator: EmulatorServer, boto_session: Any, service: str) -> Any:
    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    return boto_session.client(service, endpoint_url=emulator.url, config=config)


def test_every_protocol_is_counted_by_its_operation_name(emulator: EmulatorServer, boto_session: Any) -> None:
    ec2 = client(emulator, boto_session, "ec2")  # query protocol
    ecr = client(emulator, boto_session, "ecr")  # JSON, X-Amz-Target
    lam = client(emulator, boto_session, "lambda")  # REST
    sts = client(emulator, boto_session, "sts")
    ec2.describe_images(Owners=["self"])
    ec2.describe_images(Owners=["self"])
    ecr.describe_repositories()
    lam.list_functions()
    sts.get_caller_identity()

    assert emulator.request_counts() == {
        "ec2:DescribeImages": 2,
        "ecr:DescribeRepositories": 1,
        "lambda:ListFunctions": 1,
        "sts:GetCallerIdentity": 1,
    }


def test_failed_and_faulted_requests_count_and_the_emulators_own_api_does_not(
    emulator: EmulatorServer, boto_session: Any
) -> None:
    ecr = client(emulator, boto_session, "ecr")
    emulator.inject_faults("ecr", "DescribeRepositories", "ThrottlingException")
    for _ in range(2):
        with contextlib.suppress(ecr.exceptions.ClientError):
            ecr.describe_repositories(repositoryNames=["missing"])

    assert emulator.request_counts() == {"ecr:DescribeRepositories": 2}  # one throttled, one not found


def test_delete_returns_the_counts_and_zeroes_them(emulator: EmulatorServer, boto_session: Any) -> None:
    client(emulator, boto_session, "ec2").describe_images(Owners=["self"])

    assert emulator.request_counts(reset=True) == {"ec2:DescribeImages": 1}
    assert emulator.request_counts() == {}
    with urllib.request.urlopen(emulator.url + COUNTS_PATH, timeout=10) as response:
        assert json.loads(response.read()) == {"requests": {}, "total": 0}
