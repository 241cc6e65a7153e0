"""The emulator's ECS tasks: containers that report the digest of the image they run, tasks that stay
RUNNING until stopped, DescribeTasks failures, ListTasks filters and pages, placement (moto lacks or
gets wrong every one of these)."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator import ecs as ecs_module
from provenance_guard_cli.emulator.ecs_images import DIGESTS_PATH, parse_image, set_image_digest
from tests.unit.emulator.ecs_support import (
    CLUSTER,
    REGISTRY,
    awsvpc,
    backend,
    container_instance,
    describe_tasks,
    ec2_definition,
    fallback_digest,
    fargate_definition,
    push_image,
)
from tests.unit.emulator.model_shapes import assert_conforms, enum, input_members
from tests.unit.support import ACCOUNT, REGION, error_code

PUBLIC_IMAGE = "public.ecr.aws/nginx/nginx:1.27"


@pytest.fixture
def cluster(ecs: Any) -> str:
    ecs.create_cluster(clusterName=CLUSTER)
    return CLUSTER


@pytest.fixture
def network(ec2: Any) -> dict[str, Any]:
    return awsvpc(ec2)


def run(ecs: Any, network: dict[str, Any], definition: str = "pg-web", **kwargs: Any) -> list[dict[str, Any]]:
    kwargs.setdefault("launchType", "FARGATE")
    started = ecs.run_task(cluster=CLUSTER, taskDefinition=definition, networkConfiguration=network, **kwargs)
    assert started["failures"] == []
    tasks: list[dict[str, Any]] = started["tasks"]
    return tasks


def test_a_fargate_task_reports_each_containers_image_digest(ecs, ecr, ec2, cluster, network):
    digest = push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs, images=("app:1", PUBLIC_IMAGE))

    (task,) = describe_tasks(ecs, [run(ecs, network)[0]["taskArn"]])

    assert task["group"] == "family:pg-web"
    assert "startedBy" not in task
    assert (task["lastStatus"], task["desiredStatus"], task["launchType"]) == ("RUNNING", "RUNNING", "FARGATE")
    assert (task["platformVersion"], task["platformFamily"], task["cpu"], task["memory"]) == (
        "1.4.0",
        "Linux",
        "256",
        "512",
    )
    assert re.fullmatch(rf"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/[0-9a-f]{{32}}", task["taskArn"])
    task_id = task["taskArn"].rsplit("/", 1)[1]
    ecr_container, public_container = task["containers"]
    assert ecr_container["image"] == f"{REGISTRY}/app:1"
    assert ecr_container["imageDigest"] == digest
    assert public_container["imageDigest"] == fallback_digest(PUBLIC_IMAGE)
    for container in task["containers"]:
        assert container["lastStatus"] == "RUNNING"
        assert re.fullmatch(rf"{task_id}-\d{{10}}", container["runtimeId"])
        assert container["containerArn"].startswith(f"arn:aws:ecs:{REGION}:{ACCOUNT}:container/{CLUSTER}/{task_id}/")
    (attachment,) = task["attachments"]
    details = {d["name"]: d["value"] for d in attachment["details"]}
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[details["networkInterfaceId"]])["NetworkInterfaces"][0]
    assert (
        eni["PrivateIpAddress"]
        == details["privateIPv4Address"]
        == ecr_container["networkInterfaces"][0]["privateIpv4Address"]
    )
    assert task["availabilityZone"] == f"{REGION}b"


def test_a_task_stays_running_until_stopped_and_then_is_listed_as_stopped(ecs, ecr, ec2, cluster, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    arn = run(ecs, network)[0]["taskArn"]
    for _ in range(3):
        assert describe_tasks(ecs, [arn])[0]["lastStatus"] == "RUNNING"
    eni = describe_tasks(ecs, [arn])[0]["attachments"][0]["details"][1]["value"]

    stopped = ecs.stop_task(cluster=CLUSTER, task=arn)["task"]

    assert (stopped["lastStatus"], stopped["desiredStatus"]) == ("STOPPED", "STOPPED")
    assert (stopped["stopCode"], stopped["stoppedReason"]) == ("UserInitiated", "Task stopped by user")
    assert stopped["stoppedAt"] >= stopped["startedAt"]
    assert all(c["lastStatus"] == "STOPPED" for c in stopped["containers"])
    assert ecs.list_tasks(cluster=CLUSTER)["taskArns"] == []
    assert ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"] == [arn]
    assert (
        ec2.describe_network_interfaces(Filters=[{"Name": "network-interface-id", "Values": [eni]}])[
            "NetworkInterfaces"
        ]
        == []
    )
    again = ecs.stop_task(cluster=CLUSTER, task=arn.rsplit("/", 1)[1], reason="again")["task"]
    assert again["stoppedReason"] == "Task stopped by user"
    with pytest.raises(ClientError) as raised:
        ecs.stop_task(cluster=CLUSTER, task="0" * 32)
    assert error_code(raised) == "InvalidParameterException"


def test_unknown_tasks_and_tasks_of_other_clusters_are_failures(ecs, ecr, ec2, cluster, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    ecs.create_cluster(clusterName="pg-other")
    mine = run(ecs, network)[0]["taskArn"]
    theirs = ecs.run_task(
        cluster="pg-other", taskDefinition="pg-web", launchType="FARGATE", networkConfiguration=network
    )["tasks"][0]["taskArn"]

    described = ecs.describe_tasks(cluster=CLUSTER, tasks=[mine, theirs, "f" * 32, mine.rsplit("/", 1)[1]])

    assert [t["taskArn"] for t in described["tasks"]] == [mine]
    assert described["failures"] == [
        {"arn": theirs, "reason": "MISSING"},
        {"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{'f' * 32}", "reason": "MISSING"},
    ]
    for bad in ([], ["x"] * 101):
        with pytest.raises(ClientError) as raised:
            ecs.describe_tasks(cluster=CLUSTER, tasks=bad)
        assert error_code(raised) == "InvalidParameterException"
    with pytest.raises(ClientError) as raised:
        ecs.describe_tasks(cluster="pg-missing", tasks=[mine])
    assert error_code(raised) == "ClusterNotFoundException"


def test_tags_are_described_only_with_include_tags(ecs, ecr, ec2, cluster, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs, tags=[{"key": "team", "value": "web"}])
    tags = [{"key": "job", "value": "nightly"}]
    arn = run(ecs, network, tags=tags, propagateTags="TASK_DEFINITION")[0]["taskArn"]

    assert describe_tasks(ecs, [arn])[0]["tags"] == []
    assert describe_tasks(ecs, [arn], include=["TAGS"])[0]["tags"] == [*tags, {"key": "team", "value": "web"}]
    managed = run(ecs, network, enableECSManagedTags=True, platformVersion="LATEST")[0]
    assert managed["tags"] == [{"key": "aws:ecs:clusterName", "value": CLUSTER}]
    assert managed["platformVersion"] == "1.4.0"
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "owner", "value": "pg"}])
    assert {"key": "owner", "value": "pg"} in ecs.list_tags_for_resource(resourceArn=arn)["tags"]


def test_the_digest_is_resolved_when_the_task_starts(ecs, ecr, ec2, cluster, network):
    first = push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    before = run(ecs, network)[0]["taskArn"]
    second = push_image(ecr, "app", "1", seed="two")

    after = run(ecs, network)[0]["taskArn"]

    digests = {t["taskArn"]: t["containers"][0]["imageDigest"] for t in describe_tasks(ecs, [before, after])}
    assert digests == {before: first, after: second}


def test_an_image_pinned_by_digest_reports_that_digest(ecs, ecr, ec2, cluster, network):
    digest = push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs, images=(f"{REGISTRY}/app@{digest}", f"ghcr.io/acme/tool@sha256:{'c' * 64}"))

    (task,) = describe_tasks(ecs, [run(ecs, network)[0]["taskArn"]])

    assert [c["imageDigest"] for c in task["containers"]] == [digest, f"sha256:{'c' * 64}"]


def test_an_image_the_registry_does_not_hold_makes_the_task_fail_to_start(ecs, ecr, ec2, cluster, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs, images=("app:missing",))

    task = run(ecs, network)[0]

    assert (task["lastStatus"], task["desiredStatus"], task["stopCode"]) == ("STOPPED", "STOPPED", "TaskFailedToStart")
    assert task["stoppedReason"].startswith("CannotPullContainerError")
    (container,) = task["containers"]
    assert "imageDigest" not in container
    assert container["reason"] == task["stoppedReason"]
    assert "startedAt" not in task


def test_an_explicit_digest_overrides_the_registry(ecs, ecr, ec2, cluster, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs, images=("app:1", PUBLIC_IMAGE))
    override = "sha256:" + "9" * 64
    set_image_digest(f"{REGISTRY}/app:1", override)
    set_image_digest(PUBLIC_IMAGE, None)

    (task,) = describe_tasks(ecs, [run(ecs, network)[0]["taskArn"]])

    assert task["containers"][0]["imageDigest"] == override
    assert "imageDigest" not in task["containers"][1]
    assert task["lastStatus"] == "RUNNING"
    with pytest.raises(ValueError, match="sha256"):
        set_image_digest(PUBLIC_IMAGE, "latest")


def test_digest_overrides_over_http(boto_session):
    from botocore.config import Config

    from provenance_guard_cli.emulator.server import EmulatorServer

    with EmulatorServer() as server:
        config = Config(retries={"total_max_attempts": 1})
        ecs = boto_session.client("ecs", endpoint_url=server.url, config=config)
        ec2 = boto_session.client("ec2", endpoint_url=server.url, config=config)
        ecs.create_cluster(clusterName=CLUSTER)
        fargate_definition(ecs, images=(PUBLIC_IMAGE,))
        override = {"image": PUBLIC_IMAGE, "imageDigest": "sha256:" + "7" * 64}
        request = urllib.request.Request(
            server.url + DIGESTS_PATH,
            data=json.dumps(override).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
        (task,) = run(ecs, awsvpc(ec2))
        assert task["containers"][0]["imageDigest"] == override["imageDigest"]


def test_list_tasks_filters_and_pages(ecs, ecr, ec2, cluster, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs)
    fargate_definition(ecs)
    fargate_definition(ecs, family="pg-api")
    web = [t["taskArn"] for t in run(ecs, network, definition="pg-web:1", count=2)]
    web += [t["taskArn"] for t in run(ecs, network, definition="pg-web:2", startedBy="nightly")]
    api = run(ecs, network, definition="pg-api")[0]["taskArn"]

    assert sorted(ecs.list_tasks(cluster=CLUSTER, family="pg-web")["taskArns"]) == sorted(web)
    assert ecs.list_tasks(cluster=CLUSTER, startedBy="nightly")["taskArns"] == web[2:]
    assert ecs.list_tasks(cluster=CLUSTER, launchType="EC2")["taskArns"] == []
    pages, token = [], None
    while True:
        page = ecs.list_tasks(cluster=CLUSTER, maxResults=3, **({"nextToken": token} if token else {}))
        pages.append(page["taskArns"])
        token = page.get("nextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [3, 1]
    assert sorted(arn for page in pages for arn in page) == sorted([*web, api])
    for bad in ({"maxResults": 101}, {"nextToken": "not-a-token"}):
        with pytest.raises(ClientError) as raised:
            ecs.list_tasks(cluster=CLUSTER, **bad)
        assert error_code(raised) == "InvalidParameterException"
    for combined in ({"startedBy": "nightly", "family": "pg-web"}, {"serviceName": "x", "launchType": "FARGATE"}):
        with pytest.raises(ClientError, match="cannot specify") as raised:
            ecs.list_tasks(cluster=CLUSTER, **combined)
        assert error_code(raised) == "InvalidParameterException"
    with pytest.raises(ClientError) as raised:
        ecs.list_tasks(cluster=CLUSTER, serviceName="pg-none")
    assert error_code(raised) == "ServiceNotFoundException"
    with pytest.raises(ClientError) as raised:
        ecs.list_tasks()
    assert error_code(raised) == "ClusterNotFoundException"


def test_ec2_tasks_are_placed_on_container_instances_by_memory(ecs, ecr, ec2, cluster):
    push_image(ecr, "app", "1", seed="one")
    ec2_definition(ecs, memory=3000)
    with pytest.raises(ClientError, match="No Container Instances") as raised:
        ecs.run_task(cluster=CLUSTER, taskDefinition="pg-batch")
    assert error_code(raised) == "InvalidParameterException"
    instance = container_instance(ec2, ecs)

    started = ecs.run_task(cluster=CLUSTER, taskDefinition="pg-batch", count=3)

    assert len(started["tasks"]) == 2
    assert started["failures"] == [{"arn": instance, "reason": "RESOURCE:MEMORY"}]
    task = started["tasks"][0]
    assert (task["launchType"], task["containerInstanceArn"]) == ("EC2", instance)
    assert re.fullmatch(r"[0-9a-f]{64}", task["containers"][0]["runtimeId"])
    assert sorted(ecs.list_tasks(cluster=CLUSTER, containerInstance=instance)["taskArns"]) == sorted(
        t["taskArn"] for t in started["tasks"]
    )
    ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])
    assert len(ecs.run_task(cluster=CLUSTER, taskDefinition="pg-batch")["tasks"]) == 1
    started_on = ecs.start_task(cluster=CLUSTER, taskDefinition="pg-batch", containerInstances=[instance])
    assert started_on["failures"] == [{"arn": instance, "reason": "RESOURCE:MEMORY"}]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"taskDefinition": "pg-web"}, "InvalidParameterException"),
        ({"taskDefinition": "pg-web", "count": 11, "network": True}, "InvalidParameterException"),
        ({"taskDefinition": "pg-batch", "network": True}, "ClientException"),
        ({"taskDefinition": "pg-missing", "network": True}, "ClientException"),
        ({"taskDefinition": "pg-web:x", "network": True}, "ClientException"),
        ({"taskDefinition": "pg-web", "network": True, "launchType": "EXTERNAL"}, "InvalidParameterException"),
        (
            {
                "taskDefinition": "pg-web",
                "network": True,
                "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}],
            },
            "InvalidParameterException",
        ),
        (
            {"taskDefinition": "pg-web", "network": True, "placementConstraints": [{"type": "distinctInstance"}]},
            "InvalidParameterException",
        ),
    ],
)
def test_bad_runs_are_rejected(ecs, ec2, cluster, network, kwargs, code):
    fargate_definition(ecs)
    ec2_definition(ecs)
    if kwargs.pop("network", False):
        kwargs["networkConfiguration"] = network
    if "capacityProviderStrategy" not in kwargs:
        kwargs.setdefault("launchType", "FARGATE")
    with pytest.raises(ClientError) as raised:
        ecs.run_task(cluster=CLUSTER, **kwargs)
    assert error_code(raised) == code


def test_inactive_revisions_cannot_run_and_fargate_capacity_providers_can(ecs, ecr, ec2, cluster, network):
    push_image(ecr, "app", "1", seed="one")
    arn = fargate_definition(ecs)
    ecs.put_cluster_capacity_providers(
        cluster=CLUSTER, capacityProviders=["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategy=[]
    )
    strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]

    (task,) = ecs.run_task(
        cluster=CLUSTER, taskDefinition=arn, capacityProviderStrategy=strategy, networkConfiguration=network
    )["tasks"]
    ecs.deregister_task_definition(taskDefinition=arn)

    assert (task["launchType"], task["capacityProviderName"]) == ("FARGATE", "FARGATE_SPOT")
    with pytest.raises(ClientError, match="inactive") as raised:
        run(ecs, network, definition=arn)
    assert error_code(raised) == "ClientException"


def test_image_references_are_parsed_like_docker():
    assert parse_image(f"{REGISTRY}/team/app:1.2") == parse_image(f"{REGISTRY}/team/app:1.2")
    parsed = parse_image(f"{REGISTRY}/team/app:1.2@sha256:{'a' * 64}")
    assert (parsed.host, parsed.repository, parsed.tag, parsed.digest) == (
        REGISTRY,
        "team/app",
        "1.2",
        f"sha256:{'a' * 64}",
    )
    assert parse_image("localhost:5000/app").host == "localhost:5000"
    assert (parse_image("library/nginx").host, parse_image("nginx").tag) == (None, None)


def test_task_responses_conform_to_the_model(ecs, ecr, ec2, cluster, network):
    push_image(ecr, "app", "1", seed="one")
    fargate_definition(ecs, images=("app:1", "app:missing"))
    fargate_definition(ecs, family="pg-ok")
    running = run(ecs, network, definition="pg-ok")[0]["taskArn"]
    ecs.stop_task(cluster=CLUSTER, task=run(ecs, network, definition="pg-ok")[0]["taskArn"])
    run(ecs, network)
    container_instance(ec2, ecs)
    ec2_definition(ecs)
    ecs.run_task(cluster=CLUSTER, taskDefinition="pg-batch")

    model = botocore.session.get_session().get_service_model("ecs")
    task_shape = model.shape_for("Task")
    stored = list(backend().tasks[CLUSTER].values())
    assert {t.last_status for t in stored} == {"RUNNING", "STOPPED"}
    assert {t.stop_code for t in stored} == {None, "UserInitiated", "TaskFailedToStart"}
    for task in stored:
        assert_conforms(task_shape, ecs_module.describe_task(task, ["TAGS"]))
        assert task.stop_code is None or task.stop_code in enum(model, "TaskStopCode")
    assert {"cluster", "tasks", "include"} <= input_members(model, "DescribeTasks")
    assert {"cluster", "family", "serviceName", "startedBy", "containerInstance", "launchType", "desiredStatus"} <= (
        input_members(model, "ListTasks")
    )
    assert {"taskDefinition", "count", "group", "startedBy", "launchType", "capacityProviderStrategy"} <= input_members(
        model, "RunTask"
    )
    assert running in ecs.list_tasks(cluster=CLUSTER, desiredStatus="RUNNING")["taskArns"]
