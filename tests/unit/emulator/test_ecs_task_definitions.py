"""The emulator's ECS task definitions and clusters: revisions and their status, families, sorting and
paging, and cluster counts that follow the tasks and services that run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator.ecs_task_definitions import describe_cluster
from tests.unit.emulator.ecs_support import CLUSTER, awsvpc, backend, fargate_definition, push_image
from tests.unit.emulator.model_shapes import assert_conforms, enum, input_members
from tests.unit.support import ACCOUNT, REGION, error_code


def arn(family: str, revision: int) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}"


def every_page(call: Any, key: str, **kwargs: Any) -> list[list[str]]:
    pages, token = [], None
    while True:
        page = call(**kwargs, **({"nextToken": token} if token else {}))
        pages.append(page[key])
        token = page.get("nextToken")
        if not token:
            return pages


def test_revisions_record_when_they_were_registered_and_deregistered(ecs):
    first = ecs.register_task_definition(
        family="pg-web", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}]
    )["taskDefinition"]
    fargate_definition(ecs)

    deregistered = ecs.deregister_task_definition(taskDefinition=first["taskDefinitionArn"])["taskDefinition"]

    assert (first["revision"], first["status"], first["registeredBy"]) == (1, "ACTIVE", f"arn:aws:iam::{ACCOUNT}:root")
    assert isinstance(first["registeredAt"], datetime)
    assert (deregistered["status"], deregistered["deregisteredAt"] >= first["registeredAt"]) == ("INACTIVE", True)
    assert ecs.describe_task_definition(taskDefinition="pg-web")["taskDefinition"]["revision"] == 2
    assert ecs.describe_task_definition(taskDefinition="pg-web:1")["taskDefinition"]["status"] == "INACTIVE"
    ecs.deregister_task_definition(taskDefinition="pg-web:2")
    assert fargate_definition(ecs) == arn("pg-web", 3)
    for reference in ("pg-web:x", "pg-none", "pg-web:9"):
        with pytest.raises(ClientError) as raised:
            ecs.describe_task_definition(taskDefinition=reference)
        assert error_code(raised) == "ClientException"


def test_a_bare_family_without_active_revisions_is_not_found(ecs):
    fargate_definition(ecs)
    ecs.deregister_task_definition(taskDefinition="pg-web:1")

    with pytest.raises(ClientError) as raised:
        ecs.describe_task_definition(taskDefinition="pg-web")

    assert error_code(raised) == "ClientException"


def test_tags_of_a_task_definition_need_include(ecs):
    fargate_definition(ecs, tags=[{"key": "team", "value": "web"}])

    assert "tags" not in ecs.describe_task_definition(taskDefinition="pg-web")
    assert ecs.describe_task_definition(taskDefinition="pg-web", include=["TAGS"])["tags"] == [
        {"key": "team", "value": "web"}
    ]


def test_members_moto_dropped_are_kept(ecs):
    fargate_definition(ecs, enableFaultInjection=True)

    assert ecs.describe_task_definition(taskDefinition="pg-web")["taskDefinition"]["enableFaultInjection"] is True


def test_a_family_name_must_be_valid(ecs):
    with pytest.raises(ClientError, match="invalid characters") as raised:
        fargate_definition(ecs, family="pg web")
    assert error_code(raised) == "ClientException"


def test_list_task_definitions_filters_sorts_and_pages(ecs):
    for family in ("pg-b", "pg-a", "pg-a", "pg-ab", "pg-a"):
        fargate_definition(ecs, family=family)
    ecs.deregister_task_definition(taskDefinition="pg-a:2")

    assert ecs.list_task_definitions()["taskDefinitionArns"] == [
        arn("pg-a", 1),
        arn("pg-a", 3),
        arn("pg-ab", 1),
        arn("pg-b", 1),
    ]
    assert ecs.list_task_definitions(familyPrefix="pg-a", sort="DESC")["taskDefinitionArns"] == [
        arn("pg-a", 3),
        arn("pg-a", 1),
    ]
    assert ecs.list_task_definitions(status="INACTIVE")["taskDefinitionArns"] == [arn("pg-a", 2)]
    pages = every_page(ecs.list_task_definitions, "taskDefinitionArns", maxResults=3)
    assert [len(page) for page in pages] == [3, 1]
    with pytest.raises(ClientError) as raised:
        ecs.list_task_definitions(maxResults=0)
    assert error_code(raised) == "InvalidParameterException"


def test_list_task_definition_families_by_status(ecs):
    for family in ("pg-old", "pg-web", "pg-worker", "other"):
        fargate_definition(ecs, family=family)
    ecs.deregister_task_definition(taskDefinition="pg-old:1")

    assert ecs.list_task_definition_families()["families"] == ["other", "pg-old", "pg-web", "pg-worker"]
    assert ecs.list_task_definition_families(status="ACTIVE", familyPrefix="pg-")["families"] == ["pg-web", "pg-worker"]
    assert ecs.list_task_definition_families(status="INACTIVE")["families"] == ["pg-old"]
    assert every_page(ecs.list_task_definition_families, "families", maxResults=2, status="ALL") == [
        ["other", "pg-old"],
        ["pg-web", "pg-worker"],
    ]


def test_clusters_are_paged_and_described_with_counts_and_includes(ecs, ecr, ec2):
    push_image(ecr, "app", "1", seed="one")
    for name in ("pg-a", "pg-b", CLUSTER):
        ecs.create_cluster(clusterName=name, tags=[{"key": "env", "value": "test"}])
    fargate_definition(ecs)
    network = awsvpc(ec2)
    ecs.run_task(cluster=CLUSTER, taskDefinition="pg-web", launchType="FARGATE", networkConfiguration=network, count=2)
    ecs.create_service(
        cluster=CLUSTER,
        serviceName="pg-svc",
        taskDefinition="pg-web",
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration=network,
    )

    assert every_page(ecs.list_clusters, "clusterArns", maxResults=2) == [
        [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/pg-a", f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/pg-b"],
        [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"],
    ]
    described = ecs.describe_clusters(clusters=[CLUSTER, "pg-none"])
    (cluster,) = described["clusters"]
    assert (cluster["runningTasksCount"], cluster["pendingTasksCount"], cluster["activeServicesCount"]) == (3, 0, 1)
    assert "tags" not in cluster
    assert "settings" not in cluster
    assert described["failures"] == [{"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/pg-none", "reason": "MISSING"}]
    included = ecs.describe_clusters(clusters=[CLUSTER], include=["TAGS", "SETTINGS"])["clusters"][0]
    assert included["tags"] == [{"key": "env", "value": "test"}]
    assert included["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    assert ecs.describe_clusters()["failures"] == [
        {"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default", "reason": "MISSING"}
    ]


def test_cluster_and_definition_responses_conform_to_the_model(ecs):
    ecs.create_cluster(clusterName=CLUSTER, settings=[{"name": "containerInsights", "value": "enabled"}])
    ecs.put_cluster_capacity_providers(
        cluster=CLUSTER,
        capacityProviders=["FARGATE"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
    )

    model = botocore.session.get_session().get_service_model("ecs")
    cluster = describe_cluster(backend(), backend().clusters[CLUSTER], ["TAGS", "SETTINGS", "CONFIGURATIONS"])
    assert_conforms(model.shape_for("Cluster"), cluster)
    assert {"TAGS", "SETTINGS", "CONFIGURATIONS"} <= set(enum(model, "ClusterField"))
    assert set(enum(model, "TaskDefinitionFamilyStatus")) == {"ACTIVE", "INACTIVE", "ALL"}
    assert {"familyPrefix", "status", "sort", "maxResults", "nextToken"} == input_members(model, "ListTaskDefinitions")
    assert {"familyPrefix", "status", "maxResults", "nextToken"} == input_members(model, "ListTaskDefinitionFamilies")
    assert {"registeredAt", "registeredBy", "deregisteredAt"} <= set(model.shape_for("TaskDefinition").members)
