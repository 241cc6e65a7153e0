"""The emulator's ECS services: a service owns desiredCount RUNNING tasks, deployments replace them,
a deleted service stops them (moto's services never ran a task)."""

from __future__ import annotations

import re
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator import ecs_services
from tests.unit.emulator.ecs_support import (
    CLUSTER,
    awsvpc,
    backend,
    container_instance,
    describe_tasks,
    ec2_definition,
    fargate_definition,
    push_image,
)
from tests.unit.emulator.model_shapes import assert_conforms, input_members
from tests.unit.support import ACCOUNT, REGION, error_code

SERVICE = "pg-svc"


@pytest.fixture
def network(ecs: Any, ec2: Any) -> dict[str, Any]:
    ecs.create_cluster(clusterName=CLUSTER)
    return awsvpc(ec2)


def create(ecs: Any, network: dict[str, Any], desired: int = 2, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("serviceName", SERVICE)
    kwargs.setdefault("taskDefinition", "pg-web")
    kwargs.setdefault("launchType", "FARGATE")
    request = {name: value for name, value in kwargs.items() if value is not None}
    service: dict[str, Any] = ecs.create_service(
        cluster=CLUSTER, desiredCount=desired, networkConfiguration=network, **request
    )["service"]
    return service


def describe(ecs: Any, name: str = SERVICE, **kwargs: Any) -> dict[str, Any]:
    found: dict[str, Any] = ecs.describe_services(cluster=CLUSTER, services=[name], **kwargs)["services"][0]
    return found


def service_tasks(ecs: Any, status: str = "RUNNING") -> list[dict[str, Any]]:
    arns = ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE, desiredStatus=status)["taskArns"]
    return describe_tasks(ecs, arns)


def test_a_service_runs_desired_count_tasks_whose_containers_report_digests(ecs, ecr, network):
    digest = push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)

    service = create(ecs, network)

    assert (service["status"], service["desiredCount"], service["runningCount"], service["pendingCount"]) == (
        "ACTIVE",
        2,
        2,
        0,
    )
    assert service["serviceArn"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}"
    (deployment,) = service["deployments"]
    assert re.fullmatch(r"ecs-svc/\d{19}", deployment["id"])
    assert (deployment["status"], deployment["rolloutState"], deployment["runningCount"]) == ("PRIMARY", "COMPLETED", 2)
    assert deployment["taskDefinition"] == service["taskDefinition"]
    tasks = service_tasks(ecs)
    assert len(tasks) == 2
    for task in tasks:
        assert (task["group"], task["startedBy"], task["lastStatus"]) == (
            f"service:{SERVICE}",
            deployment["id"],
            "RUNNING",
        )
        assert task["containers"][0]["imageDigest"] == digest
    assert ecs.list_tasks(cluster=CLUSTER, startedBy=deployment["id"])["taskArns"] == [t["taskArn"] for t in tasks]
    messages = [e["message"] for e in service["events"]]
    assert messages[0] == f"(service {SERVICE}) has reached a steady state."
    assert messages[-1].startswith(f"(service {SERVICE}) has started 2 tasks: (task ")
    cluster = ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]
    assert (cluster["runningTasksCount"], cluster["activeServicesCount"]) == (2, 1)


def test_a_new_task_definition_replaces_every_task(ecs, ecr, network):
    push_image(ecr, "app", "1", seed="one")
    second = push_image(ecr, "app", "2", seed="two")
    fargate_definition(ecs)
    create(ecs, network)
    old = {t["taskArn"] for t in service_tasks(ecs)}
    new_definition = fargate_definition(ecs, images=("app:2",))

    service = ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition="pg-web")["service"]

    (deployment,) = service["deployments"]
    assert (service["taskDefinition"], deployment["taskDefinition"]) == (new_definition, new_definition)
    running = service_tasks(ecs)
    assert len(running) == 2
    assert not {t["taskArn"] for t in running} & old
    assert {t["containers"][0]["imageDigest"] for t in running} == {second}
    assert {t["startedBy"] for t in running} == {deployment["id"]}
    stopped = [t for t in service_tasks(ecs, "STOPPED") if t["taskArn"] in old]
    assert len(stopped) == 2
    assert {(t["stopCode"], t["stoppedReason"]) for t in stopped} == {
        ("ServiceSchedulerInitiated", f"Scaling activity initiated by (deployment {deployment['id']})")
    }


def test_a_deployment_that_cannot_pull_its_image_keeps_the_old_tasks_running(ecs, ecr, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    create(ecs, network)
    old = {t["taskArn"] for t in service_tasks(ecs)}
    fargate_definition(ecs, images=("app:2",))

    service = ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition="pg-web")["service"]

    primary, active = service["deployments"]
    assert (primary["status"], primary["rolloutState"], primary["runningCount"], primary["failedTasks"]) == (
        "PRIMARY",
        "IN_PROGRESS",
        0,
        2,
    )
    assert (active["status"], active["runningCount"]) == ("ACTIVE", 2)
    assert {t["taskArn"] for t in service_tasks(ecs)} == old
    assert any("failed to start: CannotPullContainerError" in e["message"] for e in service["events"])

    digest = push_image(ecr, "app", "2", seed="two")
    service = ecs.update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)["service"]

    (deployment,) = service["deployments"]
    assert deployment["rolloutState"] == "COMPLETED"
    assert {t["containers"][0]["imageDigest"] for t in service_tasks(ecs)} == {digest}


def test_scaling_and_a_stopped_task_being_replaced(ecs, ecr, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    create(ecs, network, desired=1)

    assert ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=3)["service"]["runningCount"] == 3
    assert len(service_tasks(ecs)) == 3
    victim = service_tasks(ecs)[0]["taskArn"]
    ecs.stop_task(cluster=CLUSTER, task=victim)
    running = {t["taskArn"] for t in service_tasks(ecs)}
    assert len(running) == 3
    assert victim not in running
    assert ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=1)["service"]["runningCount"] == 1
    assert len(service_tasks(ecs)) == 1
    assert len(describe(ecs)["deployments"]) == 1


def test_a_deleted_service_stops_its_tasks_and_becomes_inactive(ecs, ecr, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    create(ecs, network)
    with pytest.raises(ClientError, match="scaled above 0") as raised:
        ecs.delete_service(cluster=CLUSTER, service=SERVICE)
    assert error_code(raised) == "InvalidParameterException"

    deleted = ecs.delete_service(cluster=CLUSTER, service=SERVICE, force=True)["service"]

    assert (deleted["status"], deleted["desiredCount"], deleted["runningCount"]) == ("DRAINING", 0, 0)
    assert service_tasks(ecs) == []
    assert len(service_tasks(ecs, "STOPPED")) == 2
    assert describe(ecs)["status"] == "INACTIVE"
    assert ecs.list_services(cluster=CLUSTER)["serviceArns"] == []
    assert ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["activeServicesCount"] == 0
    for operation in (ecs.delete_service, ecs.update_service):
        with pytest.raises(ClientError) as raised:
            operation(cluster=CLUSTER, service=SERVICE)
        assert error_code(raised) == "ServiceNotActiveException"
    assert create(ecs, network, desired=1)["status"] == "ACTIVE"


def test_a_service_scaled_to_zero_is_inactive_at_once(ecs, ecr, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    create(ecs, network)
    ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=0)

    assert ecs.delete_service(cluster=CLUSTER, service=SERVICE)["service"]["status"] == "INACTIVE"


def test_unknown_services_are_failures_and_tags_need_include(ecs, ecr, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    tags = [{"key": "team", "value": "web"}]
    create(ecs, network, tags=tags)

    described = ecs.describe_services(cluster=CLUSTER, services=[SERVICE, "pg-none"])

    assert described["failures"] == [
        {"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/pg-none", "reason": "MISSING"}
    ]
    assert described["services"][0]["tags"] == []
    assert describe(ecs, include=["TAGS"])["tags"] == tags
    for bad in ([], [SERVICE] * 11):
        with pytest.raises(ClientError) as raised:
            ecs.describe_services(cluster=CLUSTER, services=bad)
        assert error_code(raised) == "InvalidParameterException"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"taskDefinition": "pg-none"}, "ClientException"),
        ({"deploymentController": {"type": "CODE_DEPLOY"}}, "InvalidParameterException"),
        ({"schedulingStrategy": "DAEMON"}, "InvalidParameterException"),
        ({"launchType": "EC2", "taskDefinition": "pg-batch"}, "InvalidParameterException"),
        ({"monitoring": {"metricConfigurations": []}}, "InvalidParameterException"),
    ],
)
def test_bad_services_are_rejected(ecs, network, kwargs, code):
    fargate_definition(ecs)
    ec2_definition(ecs)
    with pytest.raises(ClientError) as raised:
        create(ecs, network, **kwargs)
    assert error_code(raised) == code


def test_a_second_create_is_not_idempotent_unless_the_client_token_repeats(ecs, ecr, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    first = create(ecs, network, clientToken="token-1")

    assert create(ecs, network, clientToken="token-1")["serviceArn"] == first["serviceArn"]
    assert len(service_tasks(ecs)) == 2
    with pytest.raises(ClientError, match="not idempotent") as raised:
        create(ecs, network)
    assert error_code(raised) == "InvalidParameterException"
    with pytest.raises(ClientError) as raised:
        ecs.create_service(cluster=CLUSTER, serviceName="pg-count", taskDefinition="pg-web", launchType="FARGATE")
    assert error_code(raised) == "InvalidParameterException"


def test_tasks_carry_propagated_and_managed_tags(ecs, ecr, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    create(
        ecs,
        network,
        desired=1,
        tags=[{"key": "team", "value": "web"}],
        propagateTags="SERVICE",
        enableECSManagedTags=True,
    )

    (task,) = describe_tasks(ecs, [t["taskArn"] for t in service_tasks(ecs)], include=["TAGS"])

    assert task["tags"] == [
        {"key": "aws:ecs:clusterName", "value": CLUSTER},
        {"key": "aws:ecs:serviceName", "value": SERVICE},
        {"key": "team", "value": "web"},
    ]


def test_list_services_pages_and_filters(ecs, ecr, ec2, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    ec2_definition(ecs)
    container_instance(ec2, ecs)
    names = [f"pg-svc-{index:02d}" for index in range(12)]
    for name in names:
        create(ecs, network, desired=0, serviceName=name)
    ecs.create_service(cluster=CLUSTER, serviceName="pg-daemon", taskDefinition="pg-batch", schedulingStrategy="DAEMON")

    first = ecs.list_services(cluster=CLUSTER)
    second = ecs.list_services(cluster=CLUSTER, nextToken=first["nextToken"])

    assert len(first["serviceArns"]) == 10
    assert "nextToken" not in second
    assert len(first["serviceArns"] + second["serviceArns"]) == 13
    assert len(ecs.list_services(cluster=CLUSTER, launchType="FARGATE", maxResults=100)["serviceArns"]) == 12
    (daemon,) = ecs.list_services(cluster=CLUSTER, schedulingStrategy="DAEMON")["serviceArns"]
    assert daemon.endswith("/pg-daemon")
    assert ecs.list_services(cluster=CLUSTER, resourceManagementType="ECS")["serviceArns"] == []


def test_a_daemon_service_runs_one_task_per_container_instance(ecs, ecr, ec2, network):
    push_image(ecr, "app", "1", seed="one")
    ec2_definition(ecs, memory=512)
    instances = {container_instance(ec2, ecs), container_instance(ec2, ecs)}

    service = ecs.create_service(
        cluster=CLUSTER, serviceName=SERVICE, taskDefinition="pg-batch", schedulingStrategy="DAEMON"
    )["service"]

    assert (service["desiredCount"], service["runningCount"]) == (2, 2)
    assert service["deploymentConfiguration"]["minimumHealthyPercent"] == 0
    assert {t["containerInstanceArn"] for t in service_tasks(ecs)} == instances
    assert ecs.delete_service(cluster=CLUSTER, service=SERVICE)["service"]["status"] == "DRAINING"


def test_an_ec2_service_without_capacity_reports_it_in_its_events(ecs, ecr, network):
    push_image(ecr, "app", "1", seed="one")
    ec2_definition(ecs)

    service = ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition="pg-batch", desiredCount=1)[
        "service"
    ]

    assert (service["runningCount"], service["deployments"][0]["rolloutState"]) == (0, "IN_PROGRESS")
    assert "No Container Instances were found in your cluster." in service["events"][0]["message"]


def test_service_responses_conform_to_the_model(ecs, ecr, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    create(ecs, network, placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"}])
    fargate_definition(ecs, images=("app:2",))
    ecs.update_service(
        cluster=CLUSTER, service=SERVICE, taskDefinition="pg-web", deploymentConfiguration={"maximumPercent": 150}
    )
    ecs.put_cluster_capacity_providers(
        cluster=CLUSTER, capacityProviders=["FARGATE"], defaultCapacityProviderStrategy=[]
    )
    create(
        ecs,
        network,
        serviceName="pg-cp",
        taskDefinition="pg-web:1",
        launchType=None,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE"}],
    )

    model = botocore.session.get_session().get_service_model("ecs")
    ecs_backend = backend()
    for key in (f"{CLUSTER}:{SERVICE}", f"{CLUSTER}:pg-cp"):
        service = ecs_backend.services[key]
        described = ecs_services.describe(ecs_backend, service, ["TAGS"])
        assert_conforms(model.shape_for("Service"), described)
    assert len(describe(ecs)["deployments"]) == 2
    assert describe(ecs)["deploymentConfiguration"]["maximumPercent"] == 150
    with_strategy = describe(ecs, "pg-cp")
    assert with_strategy["capacityProviderStrategy"][0]["capacityProvider"] == "FARGATE"
    assert "launchType" not in with_strategy
    assert with_strategy["deployments"][0]["runningCount"] == 2, with_strategy["events"]
    consumed = {
        "serviceName",
        "taskDefinition",
        "desiredCount",
        "launchType",
        "capacityProviderStrategy",
        "clientToken",
    }
    assert consumed <= input_members(model, "CreateService")
    assert {"service", "taskDefinition", "desiredCount", "forceNewDeployment"} <= input_members(model, "UpdateService")
    assert {"cluster", "service", "force"} == input_members(model, "DeleteService")
