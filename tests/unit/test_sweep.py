"""sweep.py: which events ask for a sweep, and the inventory it evaluates (moto)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from moto import mock_aws

from provenance_guard import sweep
from provenance_guard.asff import from_asff, to_asff
from provenance_guard.clients import ClientFactory
from provenance_guard.collect import ami
from provenance_guard.collect.ami import AMI
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.kinds import KINDS, reads
from provenance_guard.controls import registry
from provenance_guard.findings import finding_id
from provenance_guard.model import ResourceRef
from provenance_guard.runtime import handle_sqs_batch
from provenance_guard.service import Service
from provenance_guard.sweep import (
    PAGE_SIZE,
    SweepScope,
    page,
    page_work,
    plan_pages,
)
from provenance_guard.triggers import parse_event
from provenance_guard.work import Action, EventError, Work
from tests.unit.support import ACCOUNT, REGION, SCHEDULED_EVENT, ami_event, ami_ref, sqs_record

ON_DEMAND = {
    "version": "0",
    "id": "b1f0a7f2-0000-4000-8000-000000000001",
    "detail-type": "Sweep Requested",
    "source": "provenance-guard",
    "account": ACCOUNT,
    "time": "2025-01-15T12:00:00Z",
    "region": "eu-west-1",
    "resources": [],
    "detail": {},
}


def sweep_scope(event: Any) -> tuple[str, str, str]:
    """The account, Region and partition the sweep function sweeps for `event`."""
    (work,) = parse_event(event, "sweep")
    assert work.action is Action.SWEEP
    return work.resource.account, work.resource.region, work.resource.partition


def test_scope_of_the_scheduled_event() -> None:
    assert sweep_scope(SCHEDULED_EVENT) == (ACCOUNT, REGION, "aws")


def test_scope_of_an_on_demand_request() -> None:
    assert sweep_scope(ON_DEMAND) == (ACCOUNT, "eu-west-1", "aws")


def test_partition_comes_from_the_rule_arn() -> None:
    event = {
        **SCHEDULED_EVENT,
        "region": "cn-north-1",
        "resources": [f"arn:aws-cn:events:cn-north-1:{ACCOUNT}:rule/sweep"],
    }
    assert sweep_scope(event) == (ACCOUNT, "cn-north-1", "aws-cn")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        pytest.param([SCHEDULED_EVENT], "an EventBridge event is a JSON object, got list", id="not-an-object"),
        pytest.param(
            ami_event("ami-0abcdef1234567890"), "not a sweep event: aws.ec2 / EC2 AMI State Change", id="other-event"
        ),
        pytest.param(
            {**SCHEDULED_EVENT, "source": "aws.ec2"}, "not a sweep event: aws.ec2 / Scheduled Event", id="wrong-source"
        ),
        pytest.param(
            {**SCHEDULED_EVENT, "account": "1234"},
            "the event's account '1234' is not a 12-digit account id",
            id="bad-account",
        ),
        pytest.param(
            {k: v for k, v in SCHEDULED_EVENT.items() if k != "region"},
            "the event has no 'region' field",
            id="no-region",
        ),
    ],
)
def test_scope_errors(event: Any, message: str) -> None:
    with pytest.raises(EventError) as raised:
        sweep_scope(event)
    assert str(raised.value) == message


@pytest.fixture
def clients(aws: None) -> ClientFactory:
    return ClientFactory()


def inventory(clients: ClientFactory, account: str, region: str, partition: str) -> list[Work]:
    """The evaluation work of every page a sweep plans (no state store: no reconciliation)."""
    pages = plan_pages(clients, None, SweepScope(account, region, partition))
    return [work for message in pages for work in page_work(message)]


def test_inventory_lists_only_owned_available_amis(
    clients: ClientFactory, make_ami: Callable[..., str], ec2: Any
) -> None:
    available = [make_ami("available-1"), make_ami("available-2")]
    disabled, deregistered = make_ami("disabled"), make_ami("deregistered")
    ec2.disable_image(ImageId=disabled)
    ec2.deregister_image(ImageId=deregistered)

    work = list(inventory(clients, ACCOUNT, REGION, "aws"))

    assert sorted(work, key=lambda w: w.resource.name) == [Work(Action.EVALUATE, ami_ref(i)) for i in sorted(available)]


def test_inventory_skips_amis_of_other_owners(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "true")  # moto's Amazon-owned public AMIs
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        assert ec2.describe_images(Owners=["amazon"], MaxResults=5)["Images"]
        own = ec2.register_image(Name="own-image")["ImageId"]
        work = list(inventory(ClientFactory(), ACCOUNT, REGION, "aws"))
    assert work == [Work(Action.EVALUATE, ami_ref(own))]


def test_inventory_calls_only_its_declared_permissions(clients: ClientFactory, make_ami: Callable[..., str]) -> None:
    make_ami()
    ec2 = clients.client("ec2", REGION)
    operations: list[str] = []
    ec2.meta.events.register("before-call.ec2", lambda model, **_: operations.append(model.name))
    assert len(list(inventory(clients, ACCOUNT, REGION, "aws"))) == 1
    assert operations
    assert {f"ec2:{name}" for name in operations} <= reads((), inventories=True)


def test_a_sweep_evaluates_every_owned_ami(service: Service, make_ami: Callable[..., str], securityhub: Any) -> None:
    images = [make_ami(launch_permissions=[{"Group": "all"}]), make_ami()]
    response = handle_sqs_batch({"Records": [sqs_record("s", json.dumps(SCHEDULED_EVENT))]}, service, sweep=True)
    assert response == {"batchItemFailures": []}
    imported = {f["Id"] for page in securityhub.get_paginator("get_findings").paginate() for f in page["Findings"]}
    assert imported >= {finding_id(ami_ref(i), c) for i in images for c in ("PG.AMI.1", "PG.AMI.3")}
    assert {f.split("/")[1] for f in imported} == {c.id for c in registry.for_kind(AMI)} - {
        "PG.AMI.2"  # not judged: the default policy configures no hardening evidence
    }


def test_a_sweep_archives_findings_of_amis_that_vanished(
    service: Service, make_ami: Callable[..., str], ec2: Any, securityhub: Any
) -> None:
    image = make_ami(launch_permissions=[{"Group": "all"}])
    service.pipeline.run([Work(Action.EVALUATE, ami_ref(image))])
    ec2.deregister_image(ImageId=image)  # ... and its EventBridge event never arrives

    handle_sqs_batch({"Records": [sqs_record("s", json.dumps(SCHEDULED_EVENT))]}, service, sweep=True)

    states = {
        f["Id"]: f["RecordState"]
        for page in securityhub.get_paginator("get_findings").paginate()
        for f in page["Findings"]
    }
    assert {states[finding_id(ami_ref(image), c)] for c in ("PG.AMI.1", "PG.AMI.3")} == {"ARCHIVED"}


def test_a_sweep_archives_findings_of_images_whose_repository_vanished(service: Service, securityhub: Any) -> None:
    """Reconciliation covers ECR images: a repository deleted with its images while the CloudTrail
    DeleteRepository event was lost (or no trail exists) has every image finding archived by the sweep."""
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="team/lost")
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"})
    digest = ecr.put_image(repositoryName="team/lost", imageManifest=manifest, imageTag="v1")["image"]["imageId"][
        "imageDigest"
    ]
    image = ResourceRef(ECR_IMAGE, f"team/lost@{digest}", ACCOUNT, REGION)
    service.pipeline.run([Work(Action.EVALUATE, image)])
    ecr.delete_repository(repositoryName="team/lost", force=True)  # ... and no event arrives

    handle_sqs_batch({"Records": [sqs_record("s", json.dumps(SCHEDULED_EVENT))]}, service, sweep=True)

    states = {
        f["Id"]: f["RecordState"]
        for page in securityhub.get_paginator("get_findings").paginate()
        for f in page["Findings"]
    }
    judged = [c.id for c in registry.for_kind(ECR_IMAGE) if finding_id(image, c.id) in states]
    assert {"PG.ECR.4", "PG.ECR.6"} <= set(judged)
    assert {states[finding_id(image, c)] for c in judged} == {"ARCHIVED"}


def test_a_sweep_does_not_archive_resources_it_did_not_inventory(
    service: Service, securityhub: Any, make_ami: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reconciliation only covers kinds the sweep inventories: an ACTIVE finding of another kind (here
    a Lambda function, with the sweep listing AMIs only) is not archived for being 'missing'."""
    monkeypatch.setattr(sweep, "inventoried", lambda: [KINDS[AMI]])
    image = make_ami()
    service.pipeline.run([Work(Action.EVALUATE, ami_ref(image))])
    assert service.state is not None
    [record] = list(service.state.get_many([finding_id(ami_ref(image), "PG.AMI.1")]).values())
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments"
    foreign = from_asff(
        {
            **to_asff(record.finding),
            "Id": "provenance-guard/PG.LAMBDA.1/x",
            "Resources": [{"Type": "AwsLambdaFunction", "Id": function_arn}],
        }
    )
    service.state.save(foreign, "fingerprint")
    make_ami("another")  # so the AMI inventory is not empty

    plan = list(plan_pages(service.clients, service.state, SweepScope(ACCOUNT, REGION, "aws")))

    assert {m["detail"]["action"] for m in plan} == {"evaluate"}
    assert all("payments" not in m["detail"]["names"] for m in plan)


def test_pages_hold_at_most_page_size_resources(clients: ClientFactory, make_ami: Callable[..., str]) -> None:
    images = {make_ami(f"image-{i}") for i in range(PAGE_SIZE + 3)}
    plan = list(plan_pages(clients, None, SweepScope(ACCOUNT, REGION, "aws")))
    assert [len(m["detail"]["names"]) for m in plan] == [PAGE_SIZE, 3]
    assert {n for m in plan for n in m["detail"]["names"]} == images


def test_with_a_queue_the_sweep_fans_out_pages_and_each_page_is_evaluated(
    service: Service, make_ami: Callable[..., str], securityhub: Any
) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="sweep")["QueueUrl"]
    fanning = dataclasses.replace(service, settings=dataclasses.replace(service.settings, sweep_queue_url=queue_url))
    images = [make_ami(f"image-{i}") for i in range(PAGE_SIZE + 1)]

    planned = handle_sqs_batch({"Records": [sqs_record("s", json.dumps(SCHEDULED_EVENT))]}, fanning, sweep=True)
    assert planned == {"batchItemFailures": []}
    assert securityhub.get_findings()["Findings"] == []  # planning evaluates nothing itself

    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert len(bodies) == 2

    records = [sqs_record(str(i), body) for i, body in enumerate(bodies)]
    assert handle_sqs_batch({"Records": records}, fanning, sweep=True) == {"batchItemFailures": []}
    resources = {
        f["Resources"][0]["Id"] for p in securityhub.get_paginator("get_findings").paginate() for f in p["Findings"]
    }
    assert resources == {ami_ref(i).arn for i in images}


@pytest.mark.parametrize(
    "detail",
    [
        {"kind": "spaceship", "action": "evaluate", "names": [], "partition": "aws"},
        {"kind": "ami", "action": "explode", "names": [], "partition": "aws"},
        {"kind": "ami", "action": "evaluate", "partition": "aws"},
    ],
)
def test_a_malformed_page_is_an_event_error(detail: dict[str, Any]) -> None:
    message = page(SweepScope(ACCOUNT, REGION, "aws"), AMI, Action.EVALUATE, [])
    message["detail"] = detail
    with pytest.raises(EventError):
        page_work(message)


def _drain(sqs: Any, queue_url: str) -> list[str]:
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def _versions(securityhub: Any) -> dict[str, str]:
    pages = securityhub.get_paginator("get_findings").paginate()
    return {f["Id"]: f["UpdatedAt"] for page in pages for f in page["Findings"]}


def test_a_sweep_interrupted_half_way_and_started_again_imports_everything_once(
    service: Service, make_ami: Callable[..., str], securityhub: Any
) -> None:
    """The planner ran, one page was processed, then the rest was lost (say the function timed out and
    the pages expired). The next sweep finishes the work without re-importing what was done."""
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="sweep")["QueueUrl"]
    fanning = dataclasses.replace(service, settings=dataclasses.replace(service.settings, sweep_queue_url=queue_url))
    images = [make_ami(f"image-{i}") for i in range(2 * PAGE_SIZE)]
    start = {"Records": [sqs_record("s", json.dumps(SCHEDULED_EVENT))]}

    handle_sqs_batch(start, fanning, sweep=True)
    first, _lost = _drain(sqs, queue_url)
    handle_sqs_batch({"Records": [sqs_record("p1", first)]}, fanning, sweep=True)
    done = _versions(securityhub)
    assert done  # the first page was imported before the interruption

    handle_sqs_batch(start, fanning, sweep=True)  # the next scheduled sweep
    pages = _drain(sqs, queue_url)
    handle_sqs_batch({"Records": [sqs_record(str(i), body) for i, body in enumerate(pages)]}, fanning, sweep=True)

    after = _versions(securityhub)
    assert set(after) >= set(done)
    assert all(after[fid] == updated for fid, updated in done.items())  # nothing imported twice
    imported = {
        f["Resources"][0]["Id"]
        for page in securityhub.get_paginator("get_findings").paginate()
        for f in page["Findings"]
    }
    assert imported == {ami_ref(i).arn for i in images}


def test_throttling_on_a_read_api_and_on_security_hub_loses_nothing_and_imports_nothing_twice(
    service: Service, make_ami: Callable[..., str], securityhub: Any
) -> None:
    from provenance_guard_cli.emulator.faults import inject_faults, pending_faults

    images = [make_ami(f"image-{i}") for i in range(PAGE_SIZE + 2)]
    inject_faults("ec2", "DescribeImageAttribute", "RequestLimitExceeded", count=3)
    inject_faults("securityhub", "BatchImportFindings", "ThrottlingException", count=2)

    response = handle_sqs_batch({"Records": [sqs_record("s", json.dumps(SCHEDULED_EVENT))]}, service, sweep=True)

    assert response == {"batchItemFailures": []}
    assert pending_faults() == []  # every injected fault was hit, and retried past
    findings = [f for page in securityhub.get_paginator("get_findings").paginate() for f in page["Findings"]]
    assert len(findings) == len({f["Id"] for f in findings})
    assert {f["Resources"][0]["Id"] for f in findings} == {ami_ref(i).arn for i in images}
    assert all(f["CreatedAt"] == f["UpdatedAt"] for f in findings)  # each imported exactly once


def test_the_inventory_pages_through_large_listings(
    clients: ClientFactory, make_ami: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ami, "LIST_PAGE_SIZE", 5)  # the emulator pages DescribeImages like EC2
    ec2 = clients.client("ec2", REGION)
    calls: list[str] = []
    ec2.meta.events.register("before-call.ec2.DescribeImages", lambda **_: calls.append("DescribeImages"))
    images = {make_ami(f"image-{i}") for i in range(23)}

    assert set(ami.owned_amis(clients, REGION)) == images
    assert len(calls) == 5
