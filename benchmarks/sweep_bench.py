"""Benchmark: the sweep and single events against the emulator, run as a separate process.

Seeds an account with N resources (9 AMIs for each instance), runs a sweep twice through the real SQS
handler, and replays single events. Reports wall time, this process's CPU time (the service's code and
botocore; the emulator's own work is in the other process), AWS calls per resource (by operation),
Security Hub calls per 1,000 findings, findings re-imported by a sweep with nothing changed, peak memory
of this process, and per event type the AWS calls and CPU time.

The compute that runs is measured at a fixed size whatever N (`benchmarks/compute_measures.py`): one
image run by 100 ECS services, standalone tasks, task definition families and launch templates; the
sweep's calls per resource of each of those kinds, the calls per ECS and launch-template event, and the
blast radius of one CRITICAL scan of that image (calls, recheck messages, time, and the rechecks' own).
Run: `make bench` (or `python -m benchmarks.sweep_bench 1000`).

`--burst N`: N events in SQS batches of 10, as a burst reaches a function: AMI and instance events for
100 AMIs and 10 instances, one record in ten malformed (the kinds issue 20 found: a Region that is no
Region, a null body, a lone surrogate, a page of no real account). Reports events per second, CPU per
event in this process, and how many records were rejected or reported for retry. Security Hub is not
rate-limited here (the burst measures the handler, not the 10 requests/s quota).

Security Hub's rate limit is set to 9.9 requests/s here; deployed functions share 8/s between them, so
in an account the sweep's wall time is bounded by that limit, not by compute.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    MOTO_EC2_LOAD_DEFAULT_AMIS="false",
    POWERTOOLS_METRICS_DISABLED="true",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING",
)

import socket
import subprocess
import urllib.request

import boto3

from benchmarks.compute_measures import measure_compute
from provenance_guard import runtime
from provenance_guard.clients import ClientFactory
from provenance_guard.runtime import handle_sqs_batch
from provenance_guard.service import Service, build_service
from provenance_guard.settings import Settings
from provenance_guard_cli.backing import TABLE_NAME, ensure_table
from provenance_guard_cli.sample_account import (
    ACCOUNT,
    DEMO_POLICY,
    REGION,
    ami_available,
    instance_state,
    sample_event,
)

ROOT = Path(__file__).resolve().parent.parent
SWEEP = {
    "source": "provenance-guard",
    "detail-type": "Sweep Requested",
    "account": ACCOUNT,
    "region": REGION,
    "detail": {},
}


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def take(self) -> Counter[str]:
        taken, self.calls = self.calls, Counter()
        return taken


def build(counter: CallCounter, requests_per_second: float = 9.9, recheck_queue_url: str | None = None) -> Service:
    session = boto3.session.Session(region_name=REGION)
    session.events.register("before-call", counter)
    settings = Settings(
        table_name=TABLE_NAME,
        topic_arn=boto3.client("sns").create_topic(Name="findings")["TopicArn"],
        policy_parameter=None,
        policy_file=str(DEMO_POLICY),
        function="bench",
        securityhub_requests_per_second=requests_per_second,
        recheck_queue_url=recheck_queue_url,
        registry_url="http://127.0.0.1:9",  # no OCI registry: manifests are unreadable, no AWS call is skipped
    )
    return build_service(settings, ClientFactory(session))


def seed(resources: int) -> None:
    ec2 = boto3.client("ec2")
    amis = []
    for index in range(resources - resources // 10):
        amis.append(ec2.register_image(Name=f"bench-image-{index:06d}", ImdsSupport="v2.0")["ImageId"])
    for index in range(resources // 10):
        ec2.run_instances(ImageId=amis[index % len(amis)], MinCount=1, MaxCount=1)


def sweep(service: Service) -> tuple[float, float, dict[str, Any]]:
    record = {"messageId": "sweep", "body": json.dumps(SWEEP)}
    wall, cpu = time.perf_counter(), time.process_time()
    response = handle_sqs_batch({"Records": [record]}, service, sweep=True)
    assert response == {"batchItemFailures": []}, response
    return time.perf_counter() - wall, time.process_time() - cpu, response


def finding_versions(securityhub: Any) -> dict[str, str]:
    """Finding id -> UpdatedAt, for every finding in Security Hub."""
    pages = securityhub.get_paginator("get_findings").paginate(MaxResults=100)
    return {f["Id"]: f["UpdatedAt"] for page in pages for f in page["Findings"]}


def per_event(service: Service, counter: CallCounter) -> dict[str, dict[str, Any]]:
    ec2 = boto3.client("ec2")
    image = ec2.register_image(Name="event-image", ImdsSupport="v2.0")["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    events: dict[str, Callable[[], dict[str, Any]]] = {
        "EC2 AMI State Change (available)": lambda: ami_available(image),
        "CloudTrail ModifyImageAttribute": lambda: sample_event(
            "cloudtrail-ec2-modifyimageattribute-public.json", **{"detail.requestParameters.imageId": image}
        ),
        "EC2 Instance State-change (pending)": lambda: instance_state(instance, "pending"),
    }
    results = {}
    for name, make in events.items():
        counter.take()
        cpu = time.process_time()
        handle_sqs_batch({"Records": [{"messageId": name, "body": json.dumps(make())}]}, service)
        cpu_ms = round((time.process_time() - cpu) * 1000, 1)
        results[name] = {"aws_calls": sum(counter.take().values()), "cpu_ms": cpu_ms}
    return results


class Emulator:
    """`provenance-guard emulator` in its own process."""

    def __enter__(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "provenance_guard_cli.main", "emulator", "--port", str(port)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"the emulator did not start on {self.url}")
        os.environ["AWS_ENDPOINT_URL"] = self.url
        return self.url

    def cpu_seconds(self) -> float:
        """The emulator process's CPU time so far (user + system, from /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        os.environ.pop("AWS_ENDPOINT_URL", None)


MALFORMED: tuple[object, ...] = (
    json.dumps({**ami_available("ami-0123456789abcdef0"), "region": "xx-nowhere-9"}),
    None,
    json.dumps({"source": "\ud800", "detail-type": "x", "account": ACCOUNT, "region": REGION, "detail": {}}),
    json.dumps(
        {
            "source": "provenance-guard",
            "detail-type": "Sweep Page",
            "account": "1234",
            "region": REGION,
            "detail": {"kind": "ami", "action": "evaluate", "names": ["ami-0123456789abcdef0"], "partition": "aws"},
        }
    ),
)


def burst(events: int) -> dict[str, Any]:
    emulator = Emulator()
    with emulator:
        ensure_table(boto3.client("dynamodb"))
        boto3.client("securityhub").enable_security_hub()
        service = build(CallCounter(), requests_per_second=1e6)
        ec2 = boto3.client("ec2")
        images = [ec2.register_image(Name=f"burst-{n:03d}", ImdsSupport="v2.0")["ImageId"] for n in range(100)]
        instances = [ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0] for image in images[:10]]
        valid = [json.dumps(ami_available(image)) for image in images]
        valid += [json.dumps(instance_state(i["InstanceId"], "pending")) for i in instances]
        bodies = [MALFORMED[n // 10 % len(MALFORMED)] if n % 10 == 9 else valid[n % len(valid)] for n in range(events)]
        retried = 0
        handler_log = runtime.logger.logger_handler
        assert isinstance(handler_log, logging.StreamHandler)
        handler_log.setStream(open(os.devnull, "w"))  # noqa: SIM115 - the handlers' logs are written, not shown
        wall, cpu, emulator_cpu = time.perf_counter(), time.process_time(), emulator.cpu_seconds()
        for start in range(0, events, 10):
            batch = enumerate(bodies[start : start + 10], start)
            records = [{"messageId": f"m{n}", "body": body} for n, body in batch]
            retried += len(handle_sqs_batch({"Records": records}, service)["batchItemFailures"])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        emulator_cpu = emulator.cpu_seconds() - emulator_cpu
    return {
        "events": events,
        "malformed": sum(1 for n in range(events) if n % 10 == 9),
        "reported_for_retry": retried,
        "seconds": round(wall, 1),
        "events_per_second": round(events / wall, 1),
        "cpu_ms_per_event": round(1000 * cpu / events, 2),
        "emulator_cpu_ms_per_event": round(1000 * emulator_cpu / events, 2),
        "load_average": round(os.getloadavg()[0], 1),
    }


def run(resources: int) -> dict[str, Any]:
    with Emulator():
        ensure_table(boto3.client("dynamodb"))
        securityhub = boto3.client("securityhub")
        securityhub.enable_security_hub()
        counter = CallCounter()
        service = build(counter)
        seed(resources)
        counter.take()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        first_wall, first_cpu, _ = sweep(service)
        first_calls = counter.take()
        versions = finding_versions(securityhub)
        findings = len(versions)
        counter.take()
        second_wall, _, _ = sweep(service)
        second_calls = counter.take()
        after = finding_versions(securityhub)
        reimported = sum(1 for finding_id, updated in after.items() if versions.get(finding_id) != updated)
        events = per_event(service, counter)
        compute = measure_compute(counter, build)
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hub_calls = first_calls["securityhub:BatchImportFindings"]
    return {
        "resources": resources,
        "findings": findings,
        "first_sweep_seconds": round(first_wall, 1),
        "first_sweep_cpu_seconds": round(first_cpu, 1),
        "aws_calls_per_resource": round(sum(first_calls.values()) / resources, 2),
        "aws_calls_by_operation": dict(first_calls.most_common()),
        "securityhub_calls_per_1000_findings": round(1000 * hub_calls / max(findings, 1), 1),
        "second_sweep_seconds": round(second_wall, 1),
        "second_sweep_securityhub_calls": second_calls["securityhub:BatchImportFindings"],
        "second_sweep_reimported_findings": reimported,
        "peak_rss_mb": round(rss_peak / 1024, 1),
        "rss_mb_before_sweeps": round(rss_before / 1024, 1),
        "per_event": events,
        "compute": compute,
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--burst"]:
        print(json.dumps(burst(int(sys.argv[2]) if len(sys.argv) > 2 else 10_000), indent=2), flush=True)
        sys.exit(0)
    sizes = [int(arg) for arg in sys.argv[1:]] or [1000]
    if len(sizes) == 1:
        print(json.dumps(run(sizes[0]), indent=2), flush=True)
    else:  # one process per size, so each size's peak memory is its own
        for size in sizes:
            subprocess.run([sys.executable, "-m", "benchmarks.sweep_bench", str(size)], check=True)
