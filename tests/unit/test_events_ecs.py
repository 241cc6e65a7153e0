"""triggers/ecs.py, triggers/launch_template.py and the ECR archive storage class: documented (or derived,
see tests/fixtures/events/SOURCES.md) events -> the work they ask for; bad input -> EventError."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecs_service import ECS_SERVICE, ECS_TASK
from provenance_guard.collect.ecs_task_definition import ECS_TASK_DEFINITION
from provenance_guard.collect.launch_template import LAUNCH_TEMPLATE
from provenance_guard.model import ResourceRef
from provenance_guard.triggers import parse_event
from provenance_guard.work import Action, EventError, Work
from tests.unit.support import load_event

DOCS_ACCOUNT, DOCS_REGION = "111122223333", "us-west-2"
TASK = "c13b4cb40f1f4fe4a2971f76ae5a47ad"
ECS2 = frozenset({"PG.ECS.2"})


def ref(kind: Any, name: str, account: str = "123456789012", region: str = "us-east-1") -> ResourceRef:
    return ResourceRef(kind, name, account, region)


def test_a_running_standalone_task_is_judged_itself() -> None:
    work = parse_event(load_event("ecs-task-state-change-running.json"))
    assert work == [Work(Action.EVALUATE, ref(ECS_TASK, f"FargateCluster/{TASK}", DOCS_ACCOUNT, DOCS_REGION), ECS2)]
    assert work[0].resource.arn == f"arn:aws:ecs:{DOCS_REGION}:{DOCS_ACCOUNT}:task/FargateCluster/{TASK}"


def test_a_running_task_of_a_service_judges_the_service_not_the_task() -> None:
    work = parse_event(load_event("ecs-task-state-change-running-service.json"))
    service = ref(ECS_SERVICE, "FargateCluster/sample-fargate-service", DOCS_ACCOUNT, DOCS_REGION)
    assert work == [Work(Action.EVALUATE, service, ECS2)]


def test_a_stopped_standalone_task_is_archived() -> None:
    work = parse_event(load_event("ecs-task-state-change-stopped.json"))
    assert work == [Work(Action.ARCHIVE, ref(ECS_TASK, f"FargateCluster/{TASK}", DOCS_ACCOUNT, DOCS_REGION))]


def test_a_stopped_task_of_a_service_leaves_the_service_alone() -> None:
    event = load_event("ecs-task-state-change-stopped.json")
    event["detail"]["group"] = "service:sample-fargate-service"
    assert parse_event(event) == []


def test_a_pending_task_asks_for_nothing() -> None:
    event = load_event("ecs-task-state-change-running.json")
    event["detail"]["lastStatus"] = "PENDING"
    assert parse_event(event) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("taskArn", None, "taskArn is missing"),
        ("clusterArn", "arn:aws:ecs:us-west-2:111122223333:service/x/y", "not an ECS cluster ARN"),
        ("clusterArn", "arn:aws:ecs:us-west-2:444455556666:cluster/FargateCluster", "not of the event's account"),
        ("taskArn", "arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/not a task", "not an ECS task id"),
        ("group", 7, "group is not a string"),
    ],
)
def test_malformed_task_events_are_rejected_with_the_reason(field: str, value: Any, message: str) -> None:
    event = load_event("ecs-task-state-change-running.json")
    if value is None:
        del event["detail"][field]
    else:
        event["detail"][field] = value
    with pytest.raises(EventError, match=message):
        parse_event(event)


def test_task_definition_calls_judge_the_family() -> None:
    family = ref(ECS_TASK_DEFINITION, "sample-fargate")
    for name in ("registertaskdefinition", "deregistertaskdefinition"):
        assert parse_event(load_event(f"cloudtrail-ecs-{name}.json")) == [
            Work(Action.EVALUATE, family, frozenset({"PG.ECS.1"}))
        ]


def test_a_deregistration_by_arn_names_the_family() -> None:
    event = load_event("cloudtrail-ecs-deregistertaskdefinition.json")
    event["detail"]["requestParameters"]["taskDefinition"] = (
        "arn:aws:ecs:us-east-1:123456789012:task-definition/sample-fargate:1"
    )
    assert parse_event(event)[0].resource.name == "sample-fargate"


@pytest.mark.parametrize("name", ["createservice", "updateservice", "deleteservice"])
def test_service_calls_judge_the_service(name: str) -> None:
    work = parse_event(load_event(f"cloudtrail-ecs-{name}.json"))
    assert work == [Work(Action.EVALUATE, ref(ECS_SERVICE, "default/sample-fargate-service"), ECS2)]


def test_a_service_named_by_arn_without_cluster_takes_the_cluster_from_the_arn() -> None:
    event = load_event("cloudtrail-ecs-updateservice.json")
    event["detail"]["requestParameters"] = {"service": "arn:aws:ecs:us-east-1:123456789012:service/prod/web"}
    assert parse_event(event)[0].resource.name == "prod/web"


def test_a_service_without_cluster_is_in_the_default_cluster() -> None:
    event = load_event("cloudtrail-ecs-deleteservice.json")
    del event["detail"]["requestParameters"]["cluster"]
    assert parse_event(event)[0].resource.name == "default/sample-fargate-service"


def test_a_cluster_that_is_not_a_name_is_rejected() -> None:
    event = load_event("cloudtrail-ecs-createservice.json")
    event["detail"]["requestParameters"]["cluster"] = "prod cluster"
    with pytest.raises(EventError, match="not an ECS cluster name"):
        parse_event(event)


def test_other_ecs_calls_reach_no_parser() -> None:
    with pytest.raises(EventError, match="no provenance-guard trigger"):
        parse_event(load_event("cloudtrail-ecs-createcluster.json"))


@pytest.mark.parametrize(
    "name", ["createlaunchtemplate", "createlaunchtemplateversion", "modifylaunchtemplate", "deletelaunchtemplate"]
)
def test_launch_template_calls_judge_the_template(name: str) -> None:
    work = parse_event(load_event(f"cloudtrail-ec2-{name}.json"))
    assert work == [Work(Action.EVALUATE, ref(LAUNCH_TEMPLATE, "lt-0abcdef1234567890"), frozenset({"PG.EC2.2"}))]


def test_an_unwrapped_request_is_read_too() -> None:
    event = load_event("cloudtrail-ec2-deletelaunchtemplate.json")
    event["detail"]["requestParameters"] = {"LaunchTemplateId": "lt-0123456789abcdef0"}
    event["detail"]["responseElements"] = None
    assert parse_event(event)[0].resource.name == "lt-0123456789abcdef0"


def test_a_template_named_only_by_name_is_rejected_with_the_reason() -> None:
    event = load_event("cloudtrail-ec2-deletelaunchtemplate.json")
    event["detail"]["requestParameters"] = {"DeleteLaunchTemplateRequest": {"LaunchTemplateName": "web-asg"}}
    event["detail"]["responseElements"] = None
    with pytest.raises(EventError, match="names no launch template id"):
        parse_event(event)


def test_a_failed_launch_template_call_asks_for_nothing() -> None:
    event = load_event("cloudtrail-ec2-createlaunchtemplate.json")
    event["detail"]["errorCode"] = "InvalidLaunchTemplateName.AlreadyExistsException"
    assert parse_event(event) == []


def test_an_archived_image_has_its_findings_archived_and_a_restored_one_is_judged_again() -> None:
    image = ref(ECR_IMAGE, "ubuntu@sha256:f98d67af8e53a536502bfc600de3266556b06ed635a32d60aa7a5fe6d7e609d7")
    assert parse_event(load_event("ecr-image-action-archive.json")) == [Work(Action.ARCHIVE, image)]
    assert parse_event(load_event("ecr-image-action-restore.json")) == [Work(Action.EXPAND, image)]


def test_an_unknown_storage_class_is_rejected() -> None:
    event = copy.deepcopy(load_event("ecr-image-action-archive.json"))
    event["detail"]["target-storage-class"] = "GLACIER"
    with pytest.raises(EventError, match="neither ARCHIVE nor STANDARD"):
        parse_event(event)
