"""service.py: the composition root, built from Settings against moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ami import AMI, AmiCollector
from provenance_guard.collect.base import Collection
from provenance_guard.collect.kinds import KINDS
from provenance_guard.oci.ecr import EcrRegistries
from provenance_guard.service import Service, build_service, default_service, utc_now
from provenance_guard.settings import (
    ENV_POLICY_FILE,
    ENV_TABLE_NAME,
    ENV_TOPIC_ARN,
    Settings,
)
from provenance_guard.state import FindingStateStore
from provenance_guard.work import Action, Work
from tests.unit.support import NO_THROTTLE, REGION, FakeClock, Inbox, ami_ref

PROBES = frozenset({"PG.AMI.1", "PG.AMI.3"})


def evaluate(service: Service, image_id: str) -> Any:
    return service.pipeline.run([Work(Action.EVALUATE, ami_ref(image_id), PROBES)])


def test_a_read_only_service_evaluates_but_imports_and_notifies_nothing(
    make_service: Callable[..., Service],
    make_ami: Callable[..., str],
    securityhub: Any,
    notifications: Inbox,
    dynamodb: Any,
    findings_table: str,
) -> None:
    service = make_service(read_only=True)
    report = evaluate(service, make_ami(launch_permissions=[{"Group": "all"}]))
    assert {e.verdict.control_id: e.verdict.status.value for e in report.evaluated} == {
        "PG.AMI.1": "PASSED",
        "PG.AMI.3": "FAILED",
    }
    assert (report.imported, report.securityhub_calls, report.notified) == (0, 0, [])
    assert securityhub.get_findings()["Findings"] == []
    assert notifications.messages() == []
    assert dynamodb.scan(TableName=findings_table)["Items"] == []


def test_the_policy_comes_from_ssm_when_no_file_is_given(
    findings_table: str, securityhub: Any, make_ami: Callable[..., str], clock: FakeClock
) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(
        Name="/provenance-guard/policy", Value=json.dumps({"ami": {"trusted_owners": ["amazon"]}}), Type="String"
    )
    settings = Settings(
        table_name=findings_table,
        topic_arn=None,
        policy_parameter="/provenance-guard/policy",
        policy_file=None,
        function="unit-tests",
        securityhub_requests_per_second=NO_THROTTLE,
    )
    report = evaluate(build_service(settings, clock=clock), make_ami())
    assert {e.verdict.control_id: e.verdict.status.value for e in report.evaluated}["PG.AMI.1"] == "FAILED"


def test_the_service_uses_the_given_clock(
    service: Service, make_ami: Callable[..., str], clock: FakeClock, dynamodb: Any, findings_table: str
) -> None:
    image = make_ami()
    evaluate(service, image)
    records = FindingStateStore(dynamodb, findings_table).for_resource(ami_ref(image).arn)
    assert {r.created_at for r in records} == {"2025-01-15T12:00:00.000Z"}


def test_the_default_service_is_built_once_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, notifications: Inbox
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\n")
    monkeypatch.setenv(ENV_TABLE_NAME, "from-env")
    monkeypatch.setenv(ENV_POLICY_FILE, str(policy))
    monkeypatch.setenv(ENV_TOPIC_ARN, notifications.topic_arn)
    service = default_service()
    assert service.settings.table_name == "from-env"
    assert service.settings.topic_arn == notifications.topic_arn
    assert default_service() is service


def test_collectors_cover_amis() -> None:
    clients = ClientFactory()
    assert isinstance(Collection(clients, EcrRegistries(clients), KINDS).collector(AMI), AmiCollector)


def test_utc_now_is_timezone_aware() -> None:
    offset = utc_now().utcoffset()
    assert offset is not None
    assert offset.total_seconds() == 0
