"""An ECS account in the emulator for the unit tests: a cluster, an awsvpc network, images in the emulated
ECR, task definitions, services and standalone tasks; and the documented task state change sample
pointed at them."""

from __future__ import annotations

from typing import Any

import boto3

from tests.unit.emulator.ecs_support import awsvpc, push_image
from tests.unit.support import ACCOUNT, REGION, load_event

REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
CLUSTER = "prod"


class EcsAccount:
    """Builds ECS resources through the API (moto with the project's emulator)."""

    def __init__(self) -> None:
        self.ecs = boto3.client("ecs", region_name=REGION)
        self.ecr = boto3.client("ecr", region_name=REGION)
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.network = awsvpc(boto3.client("ec2", region_name=REGION))

    def image(self, repository: str, tag: str = "v1", seed: str | None = None, **create: Any) -> str:
        """An image in the emulated ECR (its repository created with `create` when missing); its digest."""
        names = {r["repositoryName"] for r in self.ecr.describe_repositories()["repositories"]}
        if repository not in names:
            self.ecr.create_repository(repositoryName=repository, **create)
        return push_image(self.ecr, repository, tag, seed or f"{repository}:{tag}")

    def definition(self, family: str, *images: str) -> str:
        """A Fargate task definition whose containers run `images` (`repo:tag` of the emulated ECR, or full)."""
        containers = [
            {"name": f"c{index}", "image": image if "." in image.split("/")[0] else f"{REGISTRY}/{image}"}
            for index, image in enumerate(images)
        ]
        registered = self.ecs.register_task_definition(
            family=family,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=containers,
        )
        return str(registered["taskDefinition"]["taskDefinitionArn"])

    def service(self, name: str, family: str, desired: int = 2) -> str:
        created = self.ecs.create_service(
            cluster=CLUSTER,
            serviceName=name,
            taskDefinition=family,
            desiredCount=desired,
            launchType="FARGATE",
            networkConfiguration=self.network,
        )
        return str(created["service"]["serviceArn"])

    def task(self, family: str) -> str:
        """A standalone task's id."""
        started = self.ecs.run_task(
            cluster=CLUSTER, taskDefinition=family, launchType="FARGATE", networkConfiguration=self.network
        )
        return str(started["tasks"][0]["taskArn"]).rsplit("/", 1)[-1]

    def service_task_ids(self, name: str) -> list[str]:
        arns = self.ecs.list_tasks(cluster=CLUSTER, serviceName=name)["taskArns"]
        return [arn.rsplit("/", 1)[-1] for arn in arns]


def task_event(task_id: str, status: str = "RUNNING", group: str = "family:batch") -> dict[str, Any]:
    """The documented `ECS Task State Change` sample for a task of the emulator's cluster."""
    event = load_event(
        "ecs-task-state-change-stopped.json" if status == "STOPPED" else "ecs-task-state-change-running.json"
    )
    event.update(account=ACCOUNT, region=REGION)
    task_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{task_id}"
    event["resources"] = [task_arn]
    event["detail"].update(
        clusterArn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}", taskArn=task_arn, group=group, lastStatus=status
    )
    return event
