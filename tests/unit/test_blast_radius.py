"""Blast radius: when an image digest's PG.ECR.3 / PG.ECR.5 result (or an AMI's PG.AMI.1/2/5 result) changes,
the compute using it is re-judged through the function's own queue ("Recheck" pages), bounded; and the
"in use by" evidence on artifact findings, refreshed without churning them."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from provenance_guard import blast_radius
from provenance_guard.collect.base import IN_USE_BY, IN_USE_BY_FIRST
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecs_service import ECS_SERVICE
from provenance_guard.collect.instance import INSTANCE
from provenance_guard.collect.kinds import USAGE
from provenance_guard.collect.launch_template import LAUNCH_TEMPLATE
from provenance_guard.model import ResourceRef
from provenance_guard.recheck import is_recheck
from provenance_guard.runtime import handle_sqs_batch
from provenance_guard.service import Service
from provenance_guard.triggers import parse_event
from provenance_guard_cli.emulator.ecr_scans import plan_scan
from tests.unit.ecr_support import ecr_event
from tests.unit.ecs_support import CLUSTER, EcsAccount
from tests.unit.support import ACCOUNT, REGION, FakeClock, ami_event, sqs_record

CRITICAL = {
    "id": "CVE-2025-9230",
    "severity": "CRITICAL",
    "package": "openssl",
    "version": "3.0.8",
    "fixedIn": "3.0.18",
}


@pytest.fixture
def queue(aws: None) -> tuple[Any, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    return sqs, sqs.create_queue(QueueName="own-queue")["QueueUrl"]


@pytest.fixture
def account(aws: None) -> EcsAccount:
    ecs = EcsAccount()
    ecs.ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    )
    return ecs


@pytest.fixture
def service(make_service: Callable[..., Service], queue: tuple[Any, str]) -> Service:
    return make_service(recheck_queue_url=queue[1])


def handle(service: Service, event: dict[str, Any]) -> None:
    assert handle_sqs_batch({"Records": [sqs_record("m", json.dumps(event))]}, service) == {"batchItemFailures": []}


def drain(queue: tuple[Any, str]) -> list[dict[str, Any]]:
    sqs, url = queue
    bodies: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def scanned(repository: str, digest: str) -> dict[str, Any]:
    return ecr_event("ecr-image-scan.json", **{"repository-name": repository, "image-digest": digest})


def ecs2(securityhub: Any, service_name: str) -> tuple[str, str]:
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{service_name}"
    (found,) = [
        f
        for f in securityhub.get_findings()["Findings"]
        if f["Resources"][0]["Id"] == arn and f["Compliance"]["SecurityControlId"] == "PG.ECS.2"
    ]
    return str(found["Compliance"]["Status"]), str(found["Severity"]["Label"])


def test_a_critical_finding_after_deployment_fails_the_services_through_their_recheck(
    account: EcsAccount, service: Service, queue: tuple[Any, str], securityhub: Any
) -> None:
    digest = account.image("web", "v1")
    account.definition("web", "web:v1")
    account.service("web", "web", desired=2)
    account.service("api", "web", desired=1)
    plan_scan("web", digest, vulnerabilities=[])
    handle(service, scanned("web", digest))
    first = drain(queue)
    assert [sorted(m["detail"]["names"]) for m in first] == [[f"{CLUSTER}/api", f"{CLUSTER}/web"]], "new verdicts count"
    for message in first:
        handle(service, message)
    assert ecs2(securityhub, "web")[0] != "FAILED"

    plan_scan("web", digest, vulnerabilities=[CRITICAL])
    handle(service, scanned("web", digest))

    (recheck,) = drain(queue)
    assert is_recheck(recheck)
    assert (recheck["detail"]["kind"], sorted(recheck["detail"]["names"])) == (
        "ecs-service",
        [f"{CLUSTER}/api", f"{CLUSTER}/web"],
    )
    handle(service, recheck)
    assert ecs2(securityhub, "web") == ("FAILED", "CRITICAL")
    assert ecs2(securityhub, "api") == ("FAILED", "CRITICAL")
    assert drain(queue) == [], "a recheck of the users fans out no further"


def test_an_unchanged_verdict_queues_nothing(account: EcsAccount, service: Service, queue: tuple[Any, str]) -> None:
    digest = account.image("web", "v1")
    account.definition("web", "web:v1")
    account.service("web", "web", desired=1)
    plan_scan("web", digest, vulnerabilities=[CRITICAL])
    handle(service, scanned("web", digest))
    drain(queue)

    handle(service, scanned("web", digest))

    assert drain(queue) == []


def test_the_fanout_is_bounded_and_the_rest_logged(
    account: EcsAccount,
    service: Service,
    queue: tuple[Any, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    digest = account.image("web", "v1")
    account.definition("web", "web:v1")
    for index in range(5):
        account.service(f"s{index}", "web", desired=1)
    monkeypatch.setattr(blast_radius, "MAX_RECHECKS", 3)
    plan_scan("web", digest, vulnerabilities=[CRITICAL])

    with caplog.at_level(logging.WARNING, logger="provenance_guard.blast_radius"):
        handle(service, scanned("web", digest))

    assert sum(len(m["detail"]["names"]) for m in drain(queue)) == 3
    assert "2 more resources are left to the daily sweep" in caplog.text


def test_the_users_found_are_sent_in_pages(queue: tuple[Any, str]) -> None:
    users = tuple(ResourceRef(ECS_SERVICE, f"{CLUSTER}/s{i}", ACCOUNT, REGION) for i in range(60))
    assert blast_radius.schedule(queue[0], queue[1], blast_radius.Fanout(users)) == 3
    assert [len(m["detail"]["names"]) for m in drain(queue)] == [25, 25, 10]


def test_without_a_recheck_queue_nothing_is_sent(account: EcsAccount, make_service: Callable[..., Service]) -> None:
    digest = account.image("web", "v1")
    account.definition("web", "web:v1")
    account.service("web", "web", desired=1)
    plan_scan("web", digest, vulnerabilities=[CRITICAL])
    handle(make_service(), scanned("web", digest))  # no queue: the daily sweep judges the users


def test_an_image_finding_says_what_runs_it(account: EcsAccount, service: Service) -> None:
    digest = account.image("web", "v1")
    account.definition("web", "web:v1")
    account.service("web", "web", desired=2)
    plan_scan("web", digest, vulnerabilities=[CRITICAL])

    report = service.pipeline.run(parse_event(scanned("web", digest)))

    (evaluated,) = [e for e in report.evaluated if e.verdict.control_id == "PG.ECR.5"]
    assert evaluated.finding.evidence[IN_USE_BY] == "1 ecs-service"
    assert evaluated.finding.evidence[IN_USE_BY_FIRST] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/web"


def test_in_use_by_alone_is_refreshed_at_most_daily(account: EcsAccount, service: Service, clock: FakeClock) -> None:
    digest = account.image("web", "v1")
    account.definition("web", "web:v1")
    account.service("web", "web", desired=1)
    plan_scan("web", digest, vulnerabilities=[CRITICAL])
    event = scanned("web", digest)
    assert service.pipeline.run(parse_event(event)).imported

    account.service("api", "web", desired=1)  # one more user: only the usage evidence changes
    clock.advance(hours=2)
    again = service.pipeline.run(parse_event(event))
    assert (again.imported, again.changed) == (0, [])

    clock.advance(days=1)
    refreshed = service.pipeline.run(parse_event(event))
    assert refreshed.imported >= 1
    assert refreshed.changed == [], "a usage refresh is no verdict change: it fans out nothing"
    finding = next(e.finding for e in refreshed.evaluated if e.verdict.control_id == "PG.ECR.5")
    assert finding.evidence[IN_USE_BY] == "2 ecs-service"


def test_an_ami_verdict_change_rechecks_its_instances_and_launch_templates(
    ec2: Any, make_ami: Callable[..., str], service: Service, queue: tuple[Any, str]
) -> None:
    image = make_ami("golden-al2023")
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    template = ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData={"ImageId": image})[
        "LaunchTemplate"
    ]["LaunchTemplateId"]
    handle(service, ami_event(image))

    found = {(m["detail"]["kind"], tuple(m["detail"]["names"])) for m in drain(queue)}
    assert found == {(INSTANCE.value, (instance,)), (LAUNCH_TEMPLATE.value, (template,))}


def test_affected_ignores_controls_the_users_do_not_depend_on(account: EcsAccount, service: Service) -> None:
    digest = account.image("web", "v1")
    account.definition("web", "web:v1")
    account.service("web", "web", desired=1)
    image = ResourceRef(ECR_IMAGE, f"web@{digest}", ACCOUNT, REGION)
    pushed_event = ecr_event("ecr-image-action-push.json", **{"repository-name": "web", "image-digest": digest})
    report = service.pipeline.run(parse_event(pushed_event))
    pushed = [f for f in report.changed if f.resource == image]
    assert {f.control_id for f in pushed} >= {"PG.ECR.4", "PG.ECR.6"}
    only_irrelevant = [f for f in pushed if f.control_id in ("PG.ECR.4", "PG.ECR.6")]
    assert blast_radius.affected(only_irrelevant, service.collection, USAGE).users == ()
    relevant = [f for f in pushed if f.control_id == "PG.ECR.3"]
    assert blast_radius.affected(relevant, service.collection, USAGE).users == (
        ResourceRef(ECS_SERVICE, f"{CLUSTER}/web", ACCOUNT, REGION),
    )
