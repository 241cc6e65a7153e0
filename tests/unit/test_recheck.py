"""Provisional results are judged again later, without an event: an image pushed while ECR managed
signing is still in progress is NOT_AVAILABLE (no alert), re-queued to the function's own queue with
delays, and the recheck judges it once the signature is there; a recheck never queues another."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from provenance_guard import recheck
from provenance_guard.collect.ami import AMI
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.model import ResourceRef
from provenance_guard.runtime import handle_sqs_batch
from provenance_guard.service import Service
from provenance_guard_cli.emulator import ecr_signing
from provenance_guard_cli.emulator.signer_notation import root_pem
from provenance_guard_cli.notation import aws_signer_envelope, push_notation_signature
from tests.unit.controls.conftest import new_image
from tests.unit.ecr_support import ecr_event, image_ref
from tests.unit.support import ACCOUNT, REGION, Inbox, sqs_record

PROFILE = f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/release"
POLICY = {
    "version": 1,
    "notifications": {"min_severity": "LOW"},
    "container": {
        "signatures": {
            "trust_policies": [
                {"name": "release", "trust_stores": ["signingAuthority:emulated"], "trusted_identities": [PROFILE]}
            ],
            "trust_stores": {"signingAuthority:emulated": root_pem()},
        }
    },
}


@pytest.fixture
def queue(aws: None) -> tuple[Any, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    return sqs, sqs.create_queue(QueueName="image-push")["QueueUrl"]


@pytest.fixture
def setup(
    aws: None, local_registry: str, pusher: Any, queue: tuple[Any, str], make_service: Callable[..., Service]
) -> Any:
    ecr, signer = boto3.client("ecr", region_name=REGION), boto3.client("signer", region_name=REGION)
    ecr.create_repository(repositoryName="team/app")
    signer.put_signing_profile(profileName="release", platformId="Notation-OCI-SHA384-ECDSA")
    rule = {"signingProfileArn": PROFILE, "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD_MATCH"}]}
    ecr.put_signing_configuration(signingConfiguration={"rules": [rule]})
    service = make_service(POLICY, registry_url=local_registry, recheck_queue_url=queue[1])
    return ecr, signer, pusher, service


def delayed(queue: tuple[Any, str]) -> int:
    sqs, url = queue
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"])


def status(securityhub: Any, digest: str) -> str:
    findings = securityhub.get_findings()["Findings"]
    (found,) = [
        f
        for f in findings
        if f["Compliance"].get("SecurityControlId") == "PG.ECR.3" and f["Resources"][0]["Id"].endswith(digest)
    ]
    return str(found["Compliance"]["Status"])


def test_a_push_while_ecr_is_signing_is_provisional_and_judged_again(
    setup, queue, securityhub, notifications: Inbox, slow_signing, monkeypatch: pytest.MonkeyPatch
):
    ecr, signer, pusher, service = setup
    image = new_image(ecr, pusher)
    pushed = ecr_event("ecr-image-action-push.json", **{"repository-name": "team/app", "image-digest": image.digest})

    assert handle_sqs_batch({"Records": [sqs_record("push", json.dumps(pushed))]}, service) == {"batchItemFailures": []}
    assert status(securityhub, image.digest) == "NOT_AVAILABLE"
    assert "PG.ECR.4" in [b["control"] for b in notifications.bodies()]  # the inbox works: untrusted base
    assert "PG.ECR.3" not in [b["control"] for b in notifications.bodies()]
    assert delayed(queue) == len(recheck.DELAYS_SECONDS)

    # ECR finishes signing: its signature is in the registry, the status COMPLETE.
    monkeypatch.setattr(ecr_signing, "signing_seconds", 0.0)
    push_notation_signature(pusher, "team/app", image, aws_signer_envelope(signer, "release", image))
    (message,) = recheck.messages([image_ref("team/app", image.digest)])
    assert handle_sqs_batch({"Records": [sqs_record("recheck", json.dumps(message))]}, service) == {
        "batchItemFailures": []
    }
    assert status(securityhub, image.digest) == "PASSED"
    assert delayed(queue) == len(recheck.DELAYS_SECONDS)  # the recheck queued nothing more


def test_a_recheck_still_in_progress_queues_nothing_more(setup, queue, slow_signing):
    ecr, _, pusher, service = setup
    image = new_image(ecr, pusher)
    (message,) = recheck.messages([image_ref("team/app", image.digest)])
    handle_sqs_batch({"Records": [sqs_record("recheck", json.dumps(message))]}, service)
    assert delayed(queue) == 0


def test_a_malformed_recheck_is_rejected_not_retried(setup):
    *_, service = setup
    bad = {**recheck.messages([ResourceRef(AMI, "ami-1", ACCOUNT, REGION)])[0], "detail": {"kind": "x"}}
    assert handle_sqs_batch({"Records": [sqs_record("bad", json.dumps(bad))]}, service) == {"batchItemFailures": []}


def test_messages_group_by_scope_and_kind_and_cap_their_names():
    refs = [ResourceRef(ECR_IMAGE, f"r@sha256:{i:064x}", ACCOUNT, REGION) for i in range(30)]
    refs.append(ResourceRef(ECR_IMAGE, "r@sha256:" + "f" * 64, ACCOUNT, "eu-west-1"))
    found = recheck.messages(refs)
    assert [(m["region"], len(m["detail"]["names"])) for m in found] == [(REGION, 25), (REGION, 5), ("eu-west-1", 1)]
    assert all(recheck.is_recheck(m) for m in found)
