"""Builders shared by the emulator's ECS tests: images in the emulated ECR, networks, task definitions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends

from tests.unit.support import ACCOUNT, REGION

REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
CLUSTER = "pg-cluster"


def push_image(ecr: Any, repository: str, tag: str, seed: str) -> str:
    """An image in the emulated ECR (the repository is created when missing); returns its digest."""
    if repository not in {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}:
        ecr.create_repository(repositoryName=repository)
    layer = {
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        "digest": "sha256:" + hashlib.sha256(seed.encode()).hexdigest(),
        "size": 1,
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": layer["digest"], "size": 2},
        "layers": [layer],
    }
    pushed = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)
    return str(pushed["image"]["imageId"]["imageDigest"])


def fallback_digest(image: str) -> str:
    return "sha256:" + hashlib.sha256(image.encode()).hexdigest()


def awsvpc(ec2: Any) -> dict[str, Any]:
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24", AvailabilityZone=f"{REGION}b")["Subnet"]
    return {"awsvpcConfiguration": {"subnets": [subnet["SubnetId"]]}}


def fargate_definition(ecs: Any, family: str = "pg-web", images: tuple[str, ...] = ("app:1",), **extra: Any) -> str:
    """A Fargate task definition whose containers run ``images`` (``repository:tag`` of the emulated ECR,
    or any full image reference)."""
    containers = [
        {"name": f"c{index}", "image": image if "/" in image else f"{REGISTRY}/{image}", "essential": True}
        for index, image in enumerate(images)
    ]
    registered = ecs.register_task_definition(
        family=family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=containers,
        **extra,
    )
    return str(registered["taskDefinition"]["taskDefinitionArn"])


def ec2_definition(ecs: Any, family: str = "pg-batch", memory: int = 1024, image: str = "app:1") -> str:
    registered = ecs.register_task_definition(
        family=family,
        containerDefinitions=[{"name": "worker", "image": f"{REGISTRY}/{image}", "memory": memory, "cpu": 128}],
    )
    return str(registered["taskDefinition"]["taskDefinitionArn"])


def container_instance(ec2: Any, ecs: Any, cluster: str = CLUSTER) -> str:
    """A registered container instance (4096 CPU units, 7482 MiB, as moto's agent reports)."""
    image = ec2.register_image(Name="pg-ecs-optimized")["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    registered = ecs.register_container_instance(
        cluster=cluster, instanceIdentityDocument=json.dumps({"instanceId": instance})
    )
    return str(registered["containerInstance"]["containerInstanceArn"])


def describe_tasks(ecs: Any, arns: list[str], cluster: str = CLUSTER, **kwargs: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ecs.describe_tasks(cluster=cluster, tasks=arns, **kwargs)["tasks"] if arns else []
    return found


def backend() -> EC2ContainerServiceBackend:
    found: EC2ContainerServiceBackend = ecs_backends[ACCOUNT][REGION]
    return found
