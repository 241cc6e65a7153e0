"""The compute that runs, end to end: documented ECS task state changes and (derived) ECS / EC2 CloudTrail
records -> the stack's rules -> the ecs_events / instance_events handlers -> findings; an image's verdict
change -> the scan function's own queue -> its services re-judged (blast radius); the ECR archive
storage class. AWS is the emulator over HTTP, images come from a real registry on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from provenance_guard_cli.local_registry import RegistryPusher, image_manifest, push_image
from provenance_guard_cli.replay import OWN_QUEUE_RULE, EventResult, Replayer
from provenance_guard_cli.sample_account import ACCOUNT, REGION, sample_event
from provenance_guard_cli.sample_compute import CLUSTER, ecs_call, for_task, task_state, template_created
from provenance_guard_cli.sample_containers import inspector_scanned

pytestmark = pytest.mark.e2e
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
CRITICAL = {"id": "CVE-2025-9230", "severity": "CRITICAL", "package": "openssl", "version": "3.0.8"}
GOLDEN = {"org.opencontainers.image.base.name": f"{REGISTRY}/golden/base:1"}


class Compute:
    def __init__(self, client: Any, pusher: RegistryPusher) -> None:
        self.ecr, self.ecs, self.ec2 = client("ecr"), client("ecs"), client("ec2")
        self.pusher = pusher
        self.ecs.create_cluster(clusterName=CLUSTER)
        vpc = self.ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
        subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
        self.network = {"awsvpcConfiguration": {"subnets": [subnet]}}
        self.ecr.put_registry_scanning_configuration(
            scanType="ENHANCED",
            rules=[
                {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}
            ],
        )

    def image(self, repository: str, tag: str = "v1") -> str:
        self.ecr.create_repository(repositoryName=repository, imageTagMutability="IMMUTABLE")
        document = image_manifest(self.pusher, repository, labels=GOLDEN, layer=repository.encode())
        return push_image(self.ecr, self.pusher, repository, document, tag).digest

    def deploy(self, name: str, image: str, desired: int = 2) -> None:
        self.ecs.register_task_definition(
            family=name,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": name, "image": image}],
        )
        self.ecs.create_service(
            cluster=CLUSTER,
            serviceName=name,
            taskDefinition=name,
            desiredCount=desired,
            launchType="FARGATE",
            networkConfiguration=self.network,
        )


@pytest.fixture
def compute(client: Any, backing: Any, pusher: RegistryPusher) -> Compute:
    return Compute(client, pusher)


def by_resource(result: EventResult, suffix: str) -> dict[str, dict[str, Any]]:
    return {
        f["Compliance"]["SecurityControlId"]: f for f in result.findings if f["Resources"][0]["Id"].endswith(suffix)
    }


def test_a_running_task_of_a_service_judges_the_service(compute: Compute, replayer: Replayer) -> None:
    digest = compute.image("payments/web")
    compute.deploy("web", f"{REGISTRY}/payments/web:v1")
    task_id = compute.ecs.list_tasks(cluster=CLUSTER, serviceName="web")["taskArns"][0].rsplit("/", 1)[-1]
    event = task_state("RUNNING", f"{REGISTRY}/payments/web:v1", digest, "service:web")
    for_task(event, task_id)

    result = replayer.replay(event, "task running")

    assert [(i.function, i.failed_records) for i in result.invocations] == [("ecs_events", 0)]
    finding = by_resource(result, f":service/{CLUSTER}/web")["PG.ECS.2"]
    assert finding["Resources"][0]["Type"] == "AwsEcsService"
    assert finding["Resources"][0]["Details"]["AwsEcsService"]["DesiredCount"] == 2
    assert f"payments/web@{digest}" in finding["ProductFields"]["provenance-guard/Evidence/Images"]


def test_a_task_event_naming_a_cluster_that_no_longer_exists_is_archived_not_retried(replayer: Replayer) -> None:
    event = task_state("RUNNING", f"{REGISTRY}/payments/web:v1", "sha256:" + "a" * 64, "family:batch")
    event["detail"]["clusterArn"] = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/gone"
    for_task(event, "0123456789abcdef0123456789abcdef")
    event["detail"]["taskArn"] = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/gone/0123456789abcdef0123456789abcdef"

    result = replayer.replay(event, "stale task")

    assert [(i.function, i.failed_records) for i in result.invocations] == [("ecs_events", 0)]
    assert result.findings == []


def test_a_critical_finding_after_deployment_fails_the_service_through_the_recheck(
    compute: Compute, replayer: Replayer, emulator: Any
) -> None:
    digest = compute.image("payments/ledger")
    emulator.plan_scan("payments/ledger", digest, vulnerabilities=[])
    compute.deploy("ledger", f"{REGISTRY}/payments/ledger:v1")
    replayer.replay(ecs_call("cloudtrail-ecs-createservice.json", cluster=CLUSTER, serviceName="ledger"), "deploy")
    emulator.plan_scan("payments/ledger", digest, vulnerabilities=[CRITICAL])

    result = replayer.replay(inspector_scanned("payments/ledger", digest), "critical")

    assert [(i.function, i.rule) for i in result.invocations][1:] == [("scan_results", OWN_QUEUE_RULE)]
    finding = by_resource(result, f":service/{CLUSTER}/ledger")["PG.ECS.2"]
    assert (finding["Compliance"]["Status"], finding["Severity"]["Label"]) == ("FAILED", "CRITICAL")
    image = by_resource(result, f"payments/ledger/{digest}")["PG.ECR.5"]
    assert image["ProductFields"]["provenance-guard/Evidence/InUseBy"] == "1 ecs-service"


def test_an_archived_image_archives_its_findings_and_fails_what_still_runs_it(
    compute: Compute, replayer: Replayer, emulator: Any
) -> None:
    digest = compute.image("payments/old")
    emulator.plan_scan("payments/old", digest, vulnerabilities=[])
    compute.deploy("old", f"{REGISTRY}/payments/old:v1", desired=1)
    replayer.replay(inspector_scanned("payments/old", digest), "scanned")
    compute.ecr.update_image_storage_class(
        repositoryName="payments/old", imageId={"imageDigest": digest}, targetStorageClass="ARCHIVE"
    )
    archived = sample_event(
        "ecr-image-action-archive.json", **{"detail.repository-name": "payments/old", "detail.image-digest": digest}
    )

    result = replayer.replay(archived, "archived")

    image = by_resource(result, f"payments/old/{digest}")
    assert {f["RecordState"] for f in image.values()} == {"ARCHIVED"}
    service = by_resource(result, f":service/{CLUSTER}/old")["PG.ECS.2"]
    assert service["Compliance"]["Status"] == "FAILED"
    assert "IMAGE_NOT_IN_ECR" in [r["ReasonCode"] for r in service["Compliance"]["StatusReasons"]]

    compute.ecr.update_image_storage_class(
        repositoryName="payments/old", imageId={"imageDigest": digest}, targetStorageClass="STANDARD"
    )
    restored = sample_event(
        "ecr-image-action-restore.json", **{"detail.repository-name": "payments/old", "detail.image-digest": digest}
    )
    result = replayer.replay(restored, "restored")
    assert {f["RecordState"] for f in by_resource(result, f"payments/old/{digest}").values()} == {"ACTIVE"}


def test_launch_templates_are_judged_on_creation_and_archived_on_deletion(
    client: Any, backing: Any, replayer: Replayer
) -> None:
    ec2 = client("ec2")
    image = ec2.register_image(Name="golden", ImdsSupport="v2.0")["ImageId"]
    template = ec2.create_launch_template(LaunchTemplateName="asg", LaunchTemplateData={"ImageId": image})[
        "LaunchTemplate"
    ]["LaunchTemplateId"]

    created = replayer.replay(template_created(template, "asg", image), "created")

    assert [i.function for i in created.invocations] == ["instance_events"]
    finding = by_resource(created, f":launch-template/{template}")["PG.EC2.2"]
    assert finding["Resources"][0]["Details"]["AwsEc2LaunchTemplate"]["Id"] == template
    ec2.delete_launch_template(LaunchTemplateId=template)
    deleted = sample_event("cloudtrail-ec2-deletelaunchtemplate.json")
    deleted["detail"]["requestParameters"]["DeleteLaunchTemplateRequest"]["LaunchTemplateId"] = template
    deleted["detail"]["responseElements"] = None

    result = replayer.replay(deleted, "deleted")

    assert by_resource(result, f":launch-template/{template}")["PG.EC2.2"]["RecordState"] == "ARCHIVED"
