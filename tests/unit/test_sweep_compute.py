"""The sweep's inventory of the compute that runs: task definition families, services, standalone tasks and
launch templates are judged without events, and the findings of those that vanished are archived; a
deleted service or a stopped task whose event never arrived is reconciled too."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ecs_service import ECS_SERVICE, ECS_TASK
from provenance_guard.collect.ecs_task_definition import ECS_TASK_DEFINITION
from provenance_guard.collect.launch_template import LAUNCH_TEMPLATE
from provenance_guard.findings import finding_id
from provenance_guard.model import ResourceRef
from provenance_guard.runtime import handle_sqs_batch
from provenance_guard.service import Service
from provenance_guard.sweep import SweepScope, plan_pages
from tests.unit.ecs_support import CLUSTER, EcsAccount
from tests.unit.support import ACCOUNT, REGION, SCHEDULED_EVENT, sqs_record


def ref(kind: Any, name: str) -> ResourceRef:
    return ResourceRef(kind, name, ACCOUNT, REGION)


def record_states(securityhub: Any) -> dict[str, str]:
    return {
        f["Id"]: f["RecordState"]
        for page in securityhub.get_paginator("get_findings").paginate()
        for f in page["Findings"]
    }


def sweep(service: Service) -> None:
    response = handle_sqs_batch({"Records": [sqs_record("s", json.dumps(SCHEDULED_EVENT))]}, service, sweep=True)
    assert response == {"batchItemFailures": []}


def test_the_sweep_plans_every_new_kind(aws: None, make_ami: Callable[..., str]) -> None:
    account = EcsAccount()
    account.image("web")
    account.definition("web", "web:v1")
    account.service("web", "web", desired=2)
    task = account.task("web")
    ec2 = boto3.client("ec2", region_name=REGION)
    template = ec2.create_launch_template(LaunchTemplateName="asg", LaunchTemplateData={"ImageId": make_ami()})[
        "LaunchTemplate"
    ]["LaunchTemplateId"]

    pages = list(plan_pages(ClientFactory(), None, SweepScope(ACCOUNT, REGION, "aws")))

    by_kind = {(p["detail"]["kind"], tuple(p["detail"]["names"])) for p in pages}
    assert {
        (ECS_TASK_DEFINITION.value, ("web",)),
        (ECS_SERVICE.value, (f"{CLUSTER}/web",)),
        (ECS_TASK.value, (f"{CLUSTER}/{task}",)),
        (LAUNCH_TEMPLATE.value, (template,)),
    } <= by_kind


def test_a_sweep_judges_them_and_archives_the_vanished(
    aws: None, service: Service, securityhub: Any, make_ami: Callable[..., str]
) -> None:
    account = EcsAccount()
    account.image("web")
    account.definition("web", "web:v1")
    account.service("web", "web", desired=1)
    task = account.task("web")
    sweep(service)
    service_finding = finding_id(ref(ECS_SERVICE, f"{CLUSTER}/web"), "PG.ECS.2")
    task_finding = finding_id(ref(ECS_TASK, f"{CLUSTER}/{task}"), "PG.ECS.2")
    family_finding = finding_id(ref(ECS_TASK_DEFINITION, "web"), "PG.ECS.1")
    assert {record_states(securityhub)[f] for f in (service_finding, task_finding, family_finding)} == {"ACTIVE"}

    # the service is deleted, the task stops: neither event arrives
    account.ecs.delete_service(cluster=CLUSTER, service="web", force=True)
    account.ecs.stop_task(cluster=CLUSTER, task=task)
    sweep(service)

    states = record_states(securityhub)
    assert (states[service_finding], states[task_finding], states[family_finding]) == ("ARCHIVED", "ARCHIVED", "ACTIVE")
