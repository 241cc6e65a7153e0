from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import moto
import pytest

from provenance_guard_cli.emulator import install
from provenance_guard_cli.emulator.faults import clear_faults

ACCOUNT = "123456789012"
REGION = "us-east-1"
PRODUCT_ARN = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"


@pytest.fixture(autouse=True)
def _fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_EC2",
        "AWS_ENDPOINT_URL_SECURITYHUB",
        "AWS_ENDPOINT_URL_IMAGEBUILDER",
        "AWS_ENDPOINT_URL_CODEARTIFACT",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    install()
    clear_faults()
    yield
    clear_faults()


@pytest.fixture(scope="session")
def boto_session() -> boto3.Session:
    """One session for the run: it caches service models, so creating clients stays cheap."""
    return boto3.Session(region_name=REGION)


@pytest.fixture
def aws() -> Iterator[None]:
    with moto.mock_aws():
        yield


@pytest.fixture
def ec2(aws: None, boto_session: boto3.Session) -> Any:
    return boto_session.client("ec2")


@pytest.fixture
def ecs(aws: None, boto_session: boto3.Session) -> Any:
    return boto_session.client("ecs")


@pytest.fixture
def ssm(aws: None, boto_session: boto3.Session) -> Any:
    return boto_session.client("ssm")


@pytest.fixture
def imagebuilder(aws: None, boto_session: boto3.Session) -> Any:
    return boto_session.client("imagebuilder")


@pytest.fixture
def codeartifact(aws: None, boto_session: boto3.Session) -> Any:
    return boto_session.client("codeartifact")


@pytest.fixture
def ecr(aws: None, boto_session: boto3.Session) -> Any:
    return boto_session.client("ecr")


@pytest.fixture
def inspector(aws: None, boto_session: boto3.Session) -> Any:
    return boto_session.client("inspector2")


@pytest.fixture
def lam(aws: None, boto_session: boto3.Session) -> Any:
    return boto_session.client("lambda")


@pytest.fixture
def iam(aws: None, boto_session: boto3.Session) -> Any:
    return boto_session.client("iam")


@pytest.fixture
def s3(aws: None, boto_session: boto3.Session) -> Any:
    return boto_session.client("s3")


@pytest.fixture
def signer(aws: None, boto_session: boto3.Session) -> Any:
    return boto_session.client("signer")


@pytest.fixture
def securityhub(aws: None, boto_session: boto3.Session) -> Any:
    client = boto_session.client("securityhub")
    client.enable_security_hub()
    return client


def _finding(finding_id: str = "pg-finding-1", **overrides: Any) -> dict[str, Any]:
    finding: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": PRODUCT_ARN,
        "GeneratorId": "provenance-guard/PG.AMI.6",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": "2024-05-01T10:00:00.000Z",
        "UpdatedAt": "2024-05-01T10:00:00.000Z",
        "Severity": {"Label": "MEDIUM"},
        "FindingProviderFields": {
            "Severity": {"Label": "MEDIUM"},
            "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        },
        "Title": "AMI does not require IMDSv2",
        "Description": "ImdsSupport is not v2.0",
        "Resources": [{"Type": "Other", "Id": f"arn:aws:ec2:{REGION}::image/ami-0123456789abcdef0"}],
        "Compliance": {"Status": "FAILED", "SecurityControlId": "PG.AMI.6"},
        "RecordState": "ACTIVE",
    }
    finding.update(copy.deepcopy(overrides))
    return finding


@pytest.fixture
def make_finding() -> Callable[..., dict[str, Any]]:
    """A valid ASFF finding for the default account's default product; keyword arguments override."""
    return _finding
