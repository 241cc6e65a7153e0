"""clients.py: one lazily created, retrying client per (service, region)."""

from __future__ import annotations

import boto3
import pytest

from provenance_guard.clients import (
    CONNECT_TIMEOUT_SECONDS,
    MAX_ATTEMPTS,
    READ_TIMEOUT_SECONDS,
    ClientFactory,
)


def test_one_client_per_service_and_region() -> None:
    clients = ClientFactory()
    ec2 = clients.client("ec2", "eu-west-1")
    assert clients.client("ec2", "eu-west-1") is ec2
    assert clients.client("ec2", "us-east-1") is not ec2
    assert clients.client("securityhub", "eu-west-1") is not ec2
    assert ec2.meta.region_name == "eu-west-1"


def test_clients_retry_in_standard_mode_with_timeouts() -> None:
    config = ClientFactory().client("securityhub", "us-east-1").meta.config
    assert config.retries["mode"] == "standard"
    assert config.connect_timeout == CONNECT_TIMEOUT_SECONDS
    assert config.read_timeout == READ_TIMEOUT_SECONDS


def test_max_attempts_counts_the_first_call() -> None:
    config = ClientFactory().client("securityhub", "us-east-1").meta.config
    assert config.retries["total_max_attempts"] == MAX_ATTEMPTS


def test_max_attempts_is_configurable() -> None:
    config = ClientFactory(max_attempts=2).client("ec2", "us-east-1").meta.config
    assert config.retries["total_max_attempts"] == 2


def test_the_given_session_is_used() -> None:
    session = boto3.session.Session(region_name="ap-southeast-2")
    client = ClientFactory(session).client("ec2")
    assert client.meta.region_name == "ap-southeast-2"


def test_aws_endpoint_url_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    client = ClientFactory().client("dynamodb", "us-east-1")
    assert client.meta.endpoint_url == "http://127.0.0.1:5999"


def test_without_aws_endpoint_url_the_regional_endpoint_is_used() -> None:
    client = ClientFactory().client("dynamodb", "eu-central-1")
    assert client.meta.endpoint_url == "https://dynamodb.eu-central-1.amazonaws.com"
