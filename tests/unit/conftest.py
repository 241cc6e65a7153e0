"""Unit-tier fixtures: AWS emulated in-process by moto (never mocked), a controllable clock, the service."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
import yaml
from moto import mock_aws
from moto.securityhub.responses import SecurityHubResponse

from provenance_guard import state
from provenance_guard.clients import ClientFactory
from provenance_guard.service import Service, build_service
from provenance_guard.settings import Settings
from tests.unit.aws_calls import CallRecorder, recording
from tests.unit.support import NO_THROTTLE, REGION, FakeClock, HandlerLog, Inbox

TABLE_NAME = "provenance-guard-findings"
UNREACHABLE_REGISTRY = "http://127.0.0.1:9"
"""The OCI data path of services built in tests never leaves loopback: tests that read images pass
the local registry's URL (the `local_registry` fixture)."""


UNIT_TIER = Path(__file__).resolve().parent
WHOLE_TIER = pytest.StashKey[bool]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `after_all` run last (they check what the whole run recorded); whether this run
    collected every test module of the unit tier is stashed for them."""
    modules = set(UNIT_TIER.rglob("test_*.py"))
    config.stash[WHOLE_TIER] = modules <= {item.path for item in items}
    items.sort(key=lambda item: item.get_closest_marker("after_all") is not None)


@pytest.fixture(scope="session", autouse=True)
def aws_calls(request: pytest.FixtureRequest) -> Iterator[CallRecorder]:
    """Every AWS call of the run, by the collector, expander or inventory that made it (`aws_calls.py`);
    written for the infrastructure tier when the whole unit tier ran."""
    with recording() as recorder:
        yield recorder
    if request.config.stash.get(WHOLE_TIER, False) and not request.session.testsfailed:
        recorder.write()


@pytest.fixture
def whole_unit_tier(request: pytest.FixtureRequest) -> None:
    if not request.config.stash.get(WHOLE_TIER, False):
        pytest.skip("checks what the whole unit tier recorded: run tests/unit entirely")


@pytest.fixture(scope="session", autouse=True)
def shared_botocore_loader() -> Iterator[None]:
    """Speed only: every boto3 session in the run shares one botocore data loader, so each service
    model JSON is parsed once per run instead of once per client (moto resets boto3's default
    session for every test). Loaded models are read-only; behaviour is unchanged."""
    loaders: dict[str | None, Any] = {}
    original = botocore.session.create_loader

    def create_loader(search_path_string: str | None = None) -> Any:
        if search_path_string not in loaders:
            loaders[search_path_string] = original(search_path_string)
        return loaders[search_path_string]

    botocore.session.create_loader = create_loader
    yield
    botocore.session.create_loader = original


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every AWS call inside the test goes to moto, in-process."""
    # moto loads ~1,300 public AMIs per region by default (≈1.5 s per test); only tests that need an
    # Amazon-owned image turn this back on.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        yield


@pytest.fixture
def ec2(aws: None) -> Any:
    return boto3.client("ec2", region_name=REGION)


@pytest.fixture
def dynamodb(aws: None) -> Any:
    return boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def findings_table(dynamodb: Any) -> str:
    """The finding state table, shaped as `FindingStateStore` reads and writes it."""
    dynamodb.create_table(
        TableName=TABLE_NAME,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "FindingId", "AttributeType": "S"},
            {"AttributeName": "ResourceArn", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "FindingId", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": state.RESOURCE_INDEX,
                "KeySchema": [{"AttributeName": "ResourceArn", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    return TABLE_NAME


@pytest.fixture
def securityhub(aws: None) -> Any:
    client = boto3.client("securityhub", region_name=REGION)
    client.enable_security_hub(EnableDefaultStandards=False)
    return client


@pytest.fixture
def notifications(aws: None) -> Inbox:
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic_arn = sns.create_topic(Name="provenance-guard-notifications")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="notification-subscriber")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return Inbox(topic_arn, queue_url, sqs)


@pytest.fixture
def failed_findings(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str, int], None]:
    """Server-side fault injection in the emulated Security Hub: the next `times` imports of finding
    `finding_id` come back in `FailedFindings` with `error_code` (moto itself only ever reports
    InvalidInput). The request and response still go through botocore's real serialization."""
    plan: dict[str, list[str]] = {}
    handler = SecurityHubResponse.batch_import_findings

    def batch_import_findings(self: Any) -> str:
        body = json.loads(self.body)
        failing = [f for f in body["Findings"] if plan.get(f["Id"])]
        passing = [f for f in body["Findings"] if not plan.get(f["Id"])]
        response: dict[str, Any] = {"FailedCount": 0, "SuccessCount": 0, "FailedFindings": []}
        if passing:
            self.body = json.dumps({**body, "Findings": passing})
            response = json.loads(handler(self))
        for finding in failing:
            code = plan[finding["Id"]].pop(0)
            response["FailedFindings"].append({"Id": finding["Id"], "ErrorCode": code, "ErrorMessage": code})
            response["FailedCount"] += 1
        return json.dumps(response)

    monkeypatch.setattr(SecurityHubResponse, "batch_import_findings", batch_import_findings)

    def inject(finding_id: str, error_code: str, times: int = 1) -> None:
        plan.setdefault(finding_id, []).extend([error_code] * times)

    return inject


@pytest.fixture
def emulator_faults() -> Iterator[Callable[..., None]]:
    """The project emulator's fault injection (the next N calls of an operation fail with an AWS
    error code, serialised in the service's protocol). Skips when the emulator is not available."""
    faults = pytest.importorskip(
        "provenance_guard_cli.emulator.faults", reason="the project's emulator is not available"
    )
    from provenance_guard_cli.emulator import install

    install()
    faults.clear_faults()
    yield faults.inject_faults
    faults.clear_faults()


@pytest.fixture
def slow_signing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator's ECR managed signing stays IN_PROGRESS for an hour after each push."""
    from provenance_guard_cli.emulator import ecr_signing

    monkeypatch.setattr(ecr_signing, "signing_seconds", 3600.0)


@pytest.fixture
def handler_log() -> Iterator[HandlerLog]:
    """What the handlers' structured logger writes, through its own handler and formatter, to a stream
    that encodes strictly as UTF-8 (as Lambda's stdout does): a line that cannot be encoded is lost here
    too, as "--- Logging error ---" on stderr."""
    from provenance_guard.runtime import logger

    handler = logger.logger_handler
    assert isinstance(handler, logging.StreamHandler)
    log = HandlerLog()
    previous = handler.setStream(log.stream)
    yield log
    handler.setStream(previous)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def write_policy(tmp_path: Path) -> Callable[[Mapping[str, Any]], str]:
    """Writes a policy document as policy.yaml in tmp_path; returns its path."""

    def write(document: Mapping[str, Any]) -> str:
        path = tmp_path / "policy.yaml"
        path.write_text(yaml.safe_dump(json.loads(json.dumps(document, default=str)), sort_keys=False))
        return str(path)

    return write


@pytest.fixture
def make_service(
    findings_table: str,
    securityhub: Any,
    notifications: Inbox,
    write_policy: Callable[[Mapping[str, Any]], str],
    clock: FakeClock,
) -> Callable[..., Service]:
    """`build_service` against moto, with a policy file and the test's clock."""

    def make(
        policy: Mapping[str, Any] | None = None,
        *,
        read_only: bool = False,
        topic: bool = True,
        registry_url: str = UNREACHABLE_REGISTRY,
        recheck_queue_url: str | None = None,
        clients: ClientFactory | None = None,
        region: str | None = None,
    ) -> Service:
        settings = Settings(
            table_name=findings_table,
            topic_arn=notifications.topic_arn if topic else None,
            policy_parameter=None,
            policy_file=write_policy(policy or {"version": 1}),
            function="unit-tests",
            securityhub_requests_per_second=NO_THROTTLE,
            registry_url=registry_url,
            recheck_queue_url=recheck_queue_url,
            region=region,
        )
        return build_service(settings, clients, clock=clock, read_only=read_only)

    return make


@pytest.fixture
def service(make_service: Callable[..., Service]) -> Service:
    return make_service()


@pytest.fixture
def make_ami(ec2: Any) -> Callable[..., str]:
    """Registers an AMI owned by the test account; returns its id."""

    def make(
        name: str = "golden-al2023",
        *,
        tags: Mapping[str, str] | None = None,
        launch_permissions: list[dict[str, str]] | None = None,
    ) -> str:
        image_id: str = ec2.register_image(Name=name)["ImageId"]
        if tags:
            ec2.create_tags(Resources=[image_id], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        if launch_permissions:
            ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": launch_permissions})
        return image_id

    return make
