"""Measures of the compute that runs, for `benchmarks/sweep_bench.py` (against its emulator process):

- the sweep's AWS calls per resource for task definition families, services, standalone tasks and launch
  templates (a sweep of those kinds only, page by page, as the sweep's queue would run them);
- the AWS calls of one event of each ECS / launch-template trigger;
- the blast radius of one image run by `SERVICES` services: the scan event's calls, the recheck messages
  it queues, its time, and the calls and time of judging those rechecks (batches of 10, as Lambda's SQS
  event source delivers them).
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

import boto3

from provenance_guard.collect.kinds import KINDS
from provenance_guard.runtime import handle_sqs_batch
from provenance_guard.service import Service
from provenance_guard.sweep import SweepScope, page_work, plan_pages
from provenance_guard_cli.emulator.ecr_scans import SCANS_PATH
from provenance_guard_cli.sample_account import ACCOUNT, REGION
from provenance_guard_cli.sample_compute import ecs_call, for_task, task_state, template_created
from provenance_guard_cli.sample_containers import inspector_scanned

SERVICES = 100
STANDALONE_TASKS = 10
FAMILIES = 20
TEMPLATES = 50
CLUSTER = "bench"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
COMPUTE_KINDS = ("ecs-task-definition", "ecs-service", "ecs-task", "launch-template")
CRITICAL = {"id": "CVE-2025-9230", "severity": "CRITICAL", "package": "openssl", "version": "3.0.8"}


class Counting(Protocol):
    """What the benchmark's call counter offers (`sweep_bench.CallCounter`)."""

    def take(self) -> Counter[str]: ...


def _push(ecr: Any, repository: str) -> str:
    ecr.create_repository(repositoryName=repository, imageTagMutability="IMMUTABLE")
    layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + "1" * 64, "size": 1}
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "2" * 64, "size": 2},
        "layers": [layer],
    }
    body = json.dumps(manifest, sort_keys=True)
    digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    ecr.put_image(repositoryName=repository, imageManifest=body, imageDigest=digest, imageTag="v1")
    return digest


def seed() -> dict[str, Any]:
    ecr, ecs, ec2 = boto3.client("ecr"), boto3.client("ecs"), boto3.client("ec2")
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    )
    digest = _push(ecr, "bench/web")
    ecs.create_cluster(clusterName=CLUSTER)
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.0.0/20")["Subnet"]["SubnetId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet]}}
    for family in ("web", *(f"family-{i:02d}" for i in range(FAMILIES - 1))):
        ecs.register_task_definition(
            family=family,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "web", "image": f"{REGISTRY}/bench/web:v1"}],
        )
    for index in range(SERVICES):
        ecs.create_service(
            cluster=CLUSTER,
            serviceName=f"web-{index:03d}",
            taskDefinition="web",
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration=network,
        )
    tasks = ecs.run_task(
        cluster=CLUSTER,
        taskDefinition="web",
        launchType="FARGATE",
        networkConfiguration=network,
        count=STANDALONE_TASKS,
    )["tasks"]
    image = ec2.register_image(Name="bench-golden", ImdsSupport="v2.0")["ImageId"]
    templates = [
        ec2.create_launch_template(LaunchTemplateName=f"bench-{i:02d}", LaunchTemplateData={"ImageId": image})[
            "LaunchTemplate"
        ]["LaunchTemplateId"]
        for i in range(TEMPLATES)
    ]
    return {"digest": digest, "task": tasks[0]["taskArn"].rsplit("/", 1)[-1], "template": templates[0], "ami": image}


def compute_sweep(service: Service, counter: Counting) -> dict[str, Any]:
    """A sweep of the compute kinds only: resources, calls per resource and calls by operation, per kind."""
    scope = SweepScope(ACCOUNT, REGION, "aws")
    results: dict[str, Any] = {}
    for kind in COMPUTE_KINDS:
        counter.take()
        descriptor = next(d for k, d in KINDS.items() if k.value == kind)
        resources = 0
        for message in list(plan_pages(service.clients, None, scope, [descriptor])):
            work = page_work(message)
            resources += len(work)
            service.pipeline.run(work)
        calls = counter.take()
        results[kind] = {
            "resources": resources,
            "aws_calls_per_resource": round(sum(calls.values()) / max(resources, 1), 2),
            "aws_calls_by_operation": dict(calls.most_common()),
        }
    return results


def events(service: Service, counter: Counting, seeded: dict[str, Any]) -> dict[str, int]:
    image = f"{REGISTRY}/bench/web:v1"
    service_task = boto3.client("ecs").list_tasks(cluster=CLUSTER, serviceName="web-000")["taskArns"][0]
    running_service = task_state("RUNNING", image, seeded["digest"], "service:web-000")
    for_task(running_service, service_task.rsplit("/", 1)[-1])
    running_task = task_state("RUNNING", image, seeded["digest"], "family:web")
    for_task(running_task, seeded["task"])
    stopped_task = task_state("STOPPED", image, seeded["digest"], "family:web")
    for_task(stopped_task, seeded["task"])
    for event in (running_service, running_task, stopped_task):
        event["detail"]["clusterArn"] = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"
    cases: dict[str, dict[str, Any]] = {
        "ECS Task State Change (RUNNING, a service's task)": running_service,
        "ECS Task State Change (RUNNING, standalone)": running_task,
        "ECS Task State Change (STOPPED, standalone)": stopped_task,
        "CloudTrail ECS CreateService": ecs_call(
            "cloudtrail-ecs-createservice.json", cluster=CLUSTER, serviceName="web-001"
        ),
        "CloudTrail ECS RegisterTaskDefinition": ecs_call("cloudtrail-ecs-registertaskdefinition.json", family="web"),
        "CloudTrail EC2 CreateLaunchTemplate": template_created(seeded["template"], "bench-00", seeded["ami"]),
    }
    calls: dict[str, int] = {}
    for name, event in cases.items():
        counter.take()
        handle_sqs_batch({"Records": [{"messageId": name, "body": json.dumps(event)}]}, service)
        calls[name] = sum(counter.take().values())
    return calls


def fanout(build: Callable[..., Service], counter: Counting, digest: str) -> dict[str, Any]:
    """One CRITICAL scan of the image all the services run: what the scan function does, then the rechecks."""
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="bench-scan-results")["QueueUrl"]
    service = build(counter, queue)
    endpoint = boto3.client("ecr").meta.endpoint_url
    plan = {"repositoryName": "bench/web", "imageDigest": digest, "vulnerabilities": [CRITICAL]}
    request = urllib.request.Request(
        f"{endpoint}{SCANS_PATH}", json.dumps(plan).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    urllib.request.urlopen(request, timeout=30).close()
    counter.take()
    started = time.perf_counter()
    handle_sqs_batch(
        {"Records": [{"messageId": "scan", "body": json.dumps(inspector_scanned("bench/web", digest))}]}, service
    )
    scan_seconds = time.perf_counter() - started
    scan_calls = counter.take()
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    counter.take()
    started = time.perf_counter()
    failed = 0
    for start in range(0, len(bodies), 10):
        records = [{"messageId": str(i), "body": body} for i, body in enumerate(bodies[start : start + 10])]
        failed += len(handle_sqs_batch({"Records": records}, service)["batchItemFailures"])
    recheck_seconds = time.perf_counter() - started
    recheck_calls = counter.take()
    rechecked = sum(len(json.loads(body)["detail"]["names"]) for body in bodies)
    return {
        "services_running_the_image": SERVICES,
        "scan_event_aws_calls": sum(scan_calls.values()),
        "scan_event_calls_by_operation": dict(scan_calls.most_common()),
        "scan_event_seconds": round(scan_seconds, 2),
        "recheck_messages": len(bodies),
        "resources_rechecked": rechecked,
        "recheck_aws_calls": sum(recheck_calls.values()),
        "recheck_calls_by_operation": dict(recheck_calls.most_common()),
        "recheck_seconds": round(recheck_seconds, 2),
        "recheck_failed_records": failed,
    }


def measure_compute(counter: Counting, build: Callable[..., Service]) -> dict[str, Any]:
    seeded = seed()
    service = build(counter)
    counter.take()
    return {
        "sweep": compute_sweep(service, counter),
        "event_aws_calls": events(service, counter, seeded),
        "blast_radius": fanout(build, counter, seeded["digest"]),
    }
