"""Read once in the sweep: a sweep page carries what the list calls returned (AMIs, instances,
repositories, images, .zip functions and their code signing configuration), the collectors judge from
it without reading each resource again, and the verdicts are the ones a fresh read gives."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from provenance_guard import sweep
from provenance_guard.clients import ClientFactory
from provenance_guard.oci.manifest import digest_of
from provenance_guard.service import Service, build_service
from provenance_guard.settings import Settings
from provenance_guard.sweep import SweepScope, page_work, plan_pages
from provenance_guard.work import Action, Work
from tests.unit.lambda_support import archive, code_signing_config, create_function, sign, signing_profile
from tests.unit.support import ACCOUNT, NO_THROTTLE, REGION

SCOPE = SweepScope(ACCOUNT, REGION, "aws")
PER_RESOURCE_READS = {
    "ec2:DescribeImages",
    "ec2:DescribeInstances",
    "ecr:DescribeRepositories",
    "ecr:DescribeImages",
    "ecr:ListTagsForResource",
    "lambda:GetFunction",
    "lambda:GetFunctionCodeSigningConfig",
    "lambda:GetCodeSigningConfig",
}
"""What a collector reads per resource when it has no list entry (an event)."""


class Calls:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.counts[f"{model.service_model.service_name}:{model.name}"] += 1

    def take(self) -> Counter[str]:
        taken, self.counts = self.counts, Counter()
        return taken


@pytest.fixture
def account(aws: None, make_ami: Callable[..., str]) -> dict[str, Any]:
    """AMIs (one public, one shared), an instance, two repositories with an image each, a signed .zip
    function under an enforcing configuration, an unsigned one with a secret in its environment."""
    ec2, ecr = boto3.client("ec2", region_name=REGION), boto3.client("ecr", region_name=REGION)
    lam, iam = boto3.client("lambda", region_name=REGION), boto3.client("iam", region_name=REGION)
    amis = [make_ami("golden"), make_ami("public", launch_permissions=[{"Group": "all"}])]
    amis.append(make_ami("shared", launch_permissions=[{"UserId": "444455556666"}]))
    ec2.run_instances(ImageId=amis[0], MinCount=1, MaxCount=1)
    ecr.create_repository(repositoryName="team/app", imageTagMutability="IMMUTABLE")
    ecr.create_repository(repositoryName="team/tools", imageScanningConfiguration={"scanOnPush": True})
    ecr.tag_resource(
        resourceArn=f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/tools", tags=[{"Key": "team", "Value": "x"}]
    )
    for repository in ("team/app", "team/tools"):
        manifest = json.dumps(
            {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "r": repository}
        )
        ecr.put_image(
            repositoryName=repository, imageManifest=manifest, imageTag="v1", imageDigest=digest_of(manifest.encode())
        )
    s3, signer = boto3.client("s3", region_name=REGION), boto3.client("signer", region_name=REGION)
    profile = signing_profile(signer)
    config = code_signing_config(lam, profile.version_arn, policy="Enforce")
    create_function(lam, iam, "billing", code=sign(s3, signer, archive(), profile).code, CodeSigningConfigArn=config)
    create_function(lam, iam, "reports", Runtime="python3.9", Environment={"Variables": {"DB_PASSWORD": "hunter2"}})
    return {"profile": profile.arn}


@pytest.fixture
def counted(findings_table: str, write_policy: Callable[..., str], account: dict[str, Any]) -> tuple[Service, Calls]:
    calls = Calls()
    session = boto3.session.Session(region_name=REGION)
    session.events.register("before-call", calls)
    policy = {
        "version": 1,
        "lambda": {"trusted_signing_profiles": [account["profile"]]},
        "exemptions": [
            {"controls": ["PG.ECR.*"], "tags": {"team": ["x"]}, "reason": "by tag", "expires": "2099-01-01"}
        ],
    }
    settings = Settings(
        table_name=findings_table,
        topic_arn=None,
        policy_parameter=None,
        policy_file=write_policy(policy),
        function="unit-tests",
        securityhub_requests_per_second=NO_THROTTLE,
        registry_url="http://127.0.0.1:9",
    )
    return build_service(settings, ClientFactory(session), read_only=True), calls


def verdicts(service: Service, pages: list[list[Work]]) -> dict[tuple[str, str], Any]:
    found = {}
    for work in pages:
        for evaluated in service.pipeline.run(work).evaluated:
            finding = evaluated.finding
            found[(evaluated.verdict.control_id, evaluated.ref.arn)] = (evaluated.verdict, finding.exemption)
    return found


def fresh(pages: list[list[Work]]) -> list[list[Work]]:
    return [[Work(w.action, w.resource) for w in work] for work in pages]


def test_a_sweep_page_is_judged_from_its_list_entries_with_the_verdicts_of_a_fresh_read(counted):
    service, calls = counted
    pages = [page_work(message) for message in plan_pages(service.clients, None, SCOPE)]
    assert all(w.listed is not None for work in pages for w in work)
    calls.take()

    listed = verdicts(service, pages)
    reads = calls.take()
    read_fresh = verdicts(service, fresh(pages))

    assert listed == read_fresh
    assert len(listed) > 20
    per_resource = {name: count for name, count in reads.items() if name in PER_RESOURCE_READS}
    assert per_resource == {
        "ec2:DescribeImages": 1,  # the instance's AMI: it is listed on another page
        "ecr:ListTagsForResource": 2,  # the repositories with FAILED results: the policy exempts by tag
    }, reads
    assert reads["ec2:DescribeImageAttribute"] == 3  # launch permissions: no list returns them
    exempted = {arn for (control, arn), (_, exemption) in listed.items() if exemption is not None}
    assert exempted
    assert all("team/tools" in arn for arn in exempted)


def test_a_page_carries_no_environment_variables(counted):
    service, _ = counted
    bodies = [sweep.page_body(message) for message in plan_pages(service.clients, None, SCOPE)]
    assert any('"reports"' in body for body in bodies)
    assert not any("hunter2" in body or "DB_PASSWORD" in body for body in bodies)


def test_a_stale_page_reads_everything_afresh(counted):
    service, calls = counted
    messages = list(plan_pages(service.clients, None, SCOPE))
    for message in messages:
        message["detail"]["listedAt"] = (datetime.now(UTC) - sweep.LISTED_MAX_AGE - timedelta(seconds=1)).isoformat()
    pages = [page_work(json.loads(sweep.page_body(message))) for message in messages]
    assert all(w.listed is None for work in pages for w in work)
    calls.take()
    verdicts(service, pages)
    assert calls.take()["ec2:DescribeImages"] >= 3


def test_entries_beyond_the_byte_budget_stay_out_of_the_page(counted, monkeypatch):
    service, _ = counted
    monkeypatch.setattr(sweep, "LISTED_BUDGET_BYTES", 1)
    messages = list(plan_pages(service.clients, None, SCOPE))
    assert messages
    assert all("listed" not in m["detail"] for m in messages)
    assert sum(len(m["detail"]["names"]) for m in messages) == 3 + 1 + 2 + 2 + 2


@pytest.mark.parametrize(
    "listed",
    [[1, 2], {"ami-1": "not an entry"}],
)
def test_malformed_list_entries_are_an_event_error(listed: Any) -> None:
    message = sweep.page(SCOPE, _ami_kind(), Action.EVALUATE, ["ami-1"])
    message["detail"]["listed"] = listed
    message["detail"]["listedAt"] = datetime.now(UTC).isoformat()
    with pytest.raises(sweep.EventError):
        page_work(message)


def _ami_kind() -> Any:
    from provenance_guard.collect.ami import AMI

    return AMI


def test_entries_round_trip_through_json(counted) -> None:
    service, _ = counted
    for message in plan_pages(service.clients, None, SCOPE):
        again = json.loads(sweep.page_body(message))
        assert again == message
        listed: Mapping[str, Any] = again["detail"].get("listed", {})
        assert set(listed) <= set(again["detail"]["names"])
