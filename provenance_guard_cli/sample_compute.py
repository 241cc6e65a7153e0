"""The demo's compute that runs: ECS services and a standalone task on images of the emulated ECR, a task
definition naming `:latest` of a mutable repository, a launch template on an untrusted AMI; and the events
ECS, Inspector and CloudTrail send about them (from the documented samples, see tests/fixtures/events).

The blast radius shows in `payments/ledger`: signed and clean when its service is deployed, Amazon
Inspector then finds a CRITICAL vulnerability in it; the image's new verdict sends a recheck of the
service to the scan function's own queue, and the service fails without any ECS event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provenance_guard_cli.local_registry import Pushed, RegistryPusher, image_manifest, push_image
from provenance_guard_cli.notation import aws_signer_envelope, push_notation_signature
from provenance_guard_cli.sample_account import ACCOUNT, REGION, UNTRUSTED_ACCOUNT, Step, sample_event
from provenance_guard_cli.sample_containers import (
    BASE_NAME,
    GOLDEN_BASE,
    RELEASE_PROFILE,
    WORKER_VULNERABILITIES,
    PlanScan,
    inspector_scanned,
)

CLUSTER = "payments-prod"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
CRITICAL = WORKER_VULNERABILITIES[0]


def ecs_call(fixture: str, **request: Any) -> dict[str, Any]:
    """A CloudTrail ECS call (tests/fixtures/events, DERIVED from the documented CreateCluster record)."""
    event = sample_event(fixture)
    event["detail"]["requestParameters"].update(request)
    event["detail"]["responseElements"] = None
    return event


def task_state(status: str, image: str, digest: str, group: str) -> dict[str, Any]:
    """`ECS Task State Change` (the ECS Developer Guide sample) for a task of the demo's cluster; `for_task`
    names the task once it has started."""
    fixture = "ecs-task-state-change-stopped.json" if status == "STOPPED" else "ecs-task-state-change-running.json"
    event = sample_event(fixture)
    detail = event["detail"]
    family = group.removeprefix("family:")
    detail.update(
        clusterArn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}",
        group=group,
        taskDefinitionArn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:1",
    )
    detail["containers"][0].update(image=image, imageDigest=digest)
    return event


def for_task(event: dict[str, Any], task_id: str) -> None:
    task_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{task_id}"
    event["resources"] = [task_arn]
    event["detail"]["taskArn"] = task_arn
    event["detail"]["containers"][0]["taskArn"] = task_arn


def template_created(template_id: str, name: str, image_id: str) -> dict[str, Any]:
    event = sample_event("cloudtrail-ec2-createlaunchtemplate.json")
    event["detail"]["requestParameters"]["CreateLaunchTemplateRequest"].update(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": image_id, "InstanceType": "t4g.micro"}
    )
    event["detail"]["responseElements"]["CreateLaunchTemplateResponse"]["launchTemplate"].update(
        launchTemplateId=template_id, launchTemplateName=name
    )
    return event


def build_compute(client: Callable[[str], Any], registry_url: str, plan_scan: PlanScan) -> list[Step]:
    """Images, task definitions and a launch template for the compute family; the changes and events, in order.
    Runs after the container family's setup (its signing profiles and the enhanced scanning of payments/*)."""
    ecr, ecs, ec2, signer = client("ecr"), client("ecs"), client("ec2"), client("signer")
    pusher = RegistryPusher(registry_url)

    def signed_image(repository: str) -> Pushed:
        ecr.create_repository(repositoryName=repository, imageTagMutability="IMMUTABLE")
        document = image_manifest(pusher, repository, labels={BASE_NAME: GOLDEN_BASE}, layer=repository.encode())
        pushed = push_image(ecr, pusher, repository, document, "2026.11.28")
        push_notation_signature(pusher, repository, pushed, aws_signer_envelope(signer, RELEASE_PROFILE, pushed))
        plan_scan(repository, pushed.digest, vulnerabilities=[])
        return pushed

    checkout, ledger = signed_image("payments/checkout"), signed_image("payments/ledger")
    ecr.create_repository(repositoryName="tools/report-runner")
    runner_document = image_manifest(pusher, "tools/report-runner", labels={BASE_NAME: GOLDEN_BASE}, layer=b"runner")
    runner = push_image(ecr, pusher, "tools/report-runner", runner_document, "latest")
    ecs.create_cluster(clusterName=CLUSTER)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet]}}
    for family, image in (
        ("checkout", f"{REGISTRY}/payments/checkout@{checkout.digest}"),
        ("ledger", f"{REGISTRY}/payments/ledger:2026.11.28"),
        ("report-runner", f"{REGISTRY}/tools/report-runner:latest"),
    ):
        ecs.register_task_definition(
            family=family,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": family, "image": image, "essential": True}],
        )
    untrusted = ec2.register_image(
        Name="community-al2023-fork",
        ImdsSupport="v2.0",
        TagSpecifications=[
            {"ResourceType": "image", "Tags": [{"Key": "emulator:owner-id", "Value": UNTRUSTED_ACCOUNT}]}
        ],
    )["ImageId"]
    template = ec2.create_launch_template(
        LaunchTemplateName="payments-workers", LaunchTemplateData={"ImageId": untrusted, "InstanceType": "t4g.micro"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    started: dict[str, str] = {}
    runner_image = f"{REGISTRY}/tools/report-runner:latest"
    report_running = task_state("RUNNING", runner_image, runner.digest, "family:report-runner")
    report_stopped = task_state("STOPPED", runner_image, runner.digest, "family:report-runner")

    def deploy(name: str, family: str) -> None:
        ecs.create_service(
            cluster=CLUSTER,
            serviceName=name,
            taskDefinition=family,
            desiredCount=2,
            launchType="FARGATE",
            networkConfiguration=network,
        )

    def run_report() -> None:
        task = ecs.run_task(
            cluster=CLUSTER, taskDefinition="report-runner", launchType="FARGATE", networkConfiguration=network
        )
        started["report"] = task["tasks"][0]["taskArn"].rsplit("/", 1)[-1]
        for event in (report_running, report_stopped):
            for_task(event, started["report"])

    return [
        Step(
            f"service checkout deployed in cluster {CLUSTER}: a signed, clean image pinned by digest "
            "(CloudTrail CreateService)",
            ecs_call("cloudtrail-ecs-createservice.json", cluster=CLUSTER, serviceName="checkout"),
            lambda: deploy("checkout", "checkout"),
        ),
        Step(
            "service ledger deployed: payments/ledger, signed and clean today (CloudTrail CreateService)",
            ecs_call("cloudtrail-ecs-createservice.json", cluster=CLUSTER, serviceName="ledger"),
            lambda: deploy("ledger", "ledger"),
        ),
        Step(
            "Amazon Inspector finds a CRITICAL openssl vulnerability in payments/ledger after deployment: the image "
            "fails, and its blast radius re-judges service ledger through the scan function's own queue",
            inspector_scanned("payments/ledger", ledger.digest),
            lambda: plan_scan("payments/ledger", ledger.digest, vulnerabilities=[CRITICAL]),
        ),
        Step(
            "task definition report-runner registered, naming tools/report-runner:latest of a mutable repository "
            "(CloudTrail RegisterTaskDefinition)",
            ecs_call("cloudtrail-ecs-registertaskdefinition.json", family="report-runner"),
        ),
        Step(
            "a standalone report-runner task starts (ECS Task State Change RUNNING): an unsigned image",
            report_running,
            run_report,
        ),
        Step(
            "the report-runner task stops (ECS Task State Change STOPPED): its findings are archived",
            report_stopped,
            lambda: ecs.stop_task(cluster=CLUSTER, task=started["report"]),
        ),
        Step(
            f"launch template payments-workers created on AMI {untrusted} of untrusted account {UNTRUSTED_ACCOUNT} "
            "(CloudTrail CreateLaunchTemplate)",
            template_created(template, "payments-workers", untrusted),
        ),
    ]
