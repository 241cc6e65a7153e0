"""Container images end to end: documented ECR, Inspector and CloudTrail events -> the stack's rules ->
the real handlers -> findings in the emulator's Security Hub; manifests and configs from a real
registry on loopback (every trigger of CONTROLS.md §2 for PG.ECR.1, 2, 4, 5, 6)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from provenance_guard_cli.backing import ensure_backing
from provenance_guard_cli.local_registry import RegistryPusher, image_index, image_manifest, push_image
from provenance_guard_cli.replay import Replayer
from provenance_guard_cli.sample_account import ACCOUNT, REGION
from provenance_guard_cli.sample_containers import (
    basic_scan_completed,
    ecr_call,
    image_deleted,
    image_pushed,
    image_replicated,
    inspector_finding,
    inspector_scanned,
)
from tests.e2e.policies import slice_document

pytestmark = pytest.mark.e2e
GOLDEN = {"org.opencontainers.image.base.name": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/golden/base:1"}
UNTRUSTED = {"org.opencontainers.image.base.name": "docker.io/randomdev/python:3.9"}
CRITICAL = {
    "id": "CVE-2025-9230",
    "severity": "CRITICAL",
    "package": "openssl",
    "version": "3.0.8",
    "fixedIn": "3.0.18",
}


@pytest.fixture
def ecr(client: Any) -> Any:
    return client("ecr")


def enhanced(ecr: Any, pattern: str = "*", frequency: str = "CONTINUOUS_SCAN") -> None:
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": frequency, "repositoryFilters": [{"filter": pattern, "filterType": "WILDCARD"}]}],
    )


def push(
    ecr: Any, pusher: RegistryPusher, repository: str, labels: dict[str, str] = GOLDEN, tag: str = "v1", **create: Any
) -> str:
    names = {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}
    if repository not in names:
        ecr.create_repository(repositoryName=repository, **create)
    return push_image(
        ecr, pusher, repository, image_manifest(pusher, repository, labels=labels, layer=repository.encode()), tag
    ).digest


def findings(result: Any) -> dict[tuple[str, str], dict[str, Any]]:
    def short(arn: str) -> str:
        return arn.split(":repository/", 1)[1]

    return {(f["Compliance"]["SecurityControlId"], short(f["Resources"][0]["Id"])): f for f in result.findings}


def status(result: Any) -> dict[tuple[str, str], str]:
    return {key: f["Compliance"]["Status"] for key, f in findings(result).items()}


def test_a_push_judges_image_and_repository(ecr, pusher, replayer):
    enhanced(ecr)
    digest = push(ecr, pusher, "payments/api", imageTagMutability="IMMUTABLE")

    result = replayer.replay(image_pushed("payments/api", digest), "push")

    assert [(i.function, i.failed_records) for i in result.invocations] == [("image_push", 0)]
    assert status(result) == {
        ("PG.ECR.1", "payments/api"): "PASSED",
        ("PG.ECR.2", "payments/api"): "PASSED",
        ("PG.ECR.3", f"payments/api/{digest}"): "FAILED",  # unsigned (signed images: test_signatures_slice)
        ("PG.ECR.4", f"payments/api/{digest}"): "PASSED",
        ("PG.ECR.6", f"payments/api/{digest}"): "PASSED",
    }


def test_an_unscanned_mutable_repository_and_an_untrusted_base_fail(ecr, pusher, replayer):
    digest = push(ecr, pusher, "sandbox/tools", UNTRUSTED)

    result = replayer.replay(image_pushed("sandbox/tools", digest), "push")

    assert status(result) == {
        ("PG.ECR.1", "sandbox/tools"): "FAILED",
        ("PG.ECR.2", "sandbox/tools"): "FAILED",
        ("PG.ECR.3", f"sandbox/tools/{digest}"): "FAILED",
        ("PG.ECR.4", f"sandbox/tools/{digest}"): "FAILED",
        ("PG.ECR.6", f"sandbox/tools/{digest}"): "NOT_AVAILABLE",  # no scan yet, pushed moments ago
    }
    evidence = findings(result)[("PG.ECR.4", f"sandbox/tools/{digest}")]["ProductFields"]
    assert evidence["provenance-guard/Evidence/BaseImage"] == "docker.io/randomdev/python:3.9"
    assert evidence["provenance-guard/Evidence/RecordedIn"] == "config label"


def test_a_multi_platform_push_is_judged_per_digest(ecr, pusher, replayer):
    enhanced(ecr)
    ecr.create_repository(repositoryName="multi", imageTagMutability="IMMUTABLE")
    arm = push_image(ecr, pusher, "multi", image_manifest(pusher, "multi", labels=GOLDEN, architecture="arm64"))
    amd = push_image(
        ecr, pusher, "multi", image_manifest(pusher, "multi", labels=GOLDEN, architecture="amd64", layer=b"amd")
    )
    index = push_image(ecr, pusher, "multi", image_index([("linux/arm64", arm), ("linux/amd64", amd)]), "v1")

    result = replayer.replay(image_pushed("multi", index.digest, "v1"), "push index")

    provenance = {k[1]: v for k, v in status(result).items() if k[0] == "PG.ECR.4"}
    assert provenance == {f"multi/{d}": "PASSED" for d in (index.digest, arm.digest, amd.digest)}
    platforms = findings(result)[("PG.ECR.4", f"multi/{index.digest}")]["ProductFields"][
        "provenance-guard/Evidence/Platforms"
    ]
    assert "linux/arm64" in platforms
    assert "linux/amd64" in platforms


def test_an_inspector_scan_over_the_threshold_fails_critical_and_notifies(ecr, pusher, replayer, emulator):
    enhanced(ecr)
    digest = push(ecr, pusher, "payments/worker", imageTagMutability="IMMUTABLE")
    emulator.plan_scan("payments/worker", digest, vulnerabilities=[CRITICAL])

    result = replayer.replay(inspector_scanned("payments/worker", digest), "scanned")

    assert [i.function for i in result.invocations] == ["scan_results"]
    finding = findings(result)[("PG.ECR.5", f"payments/worker/{digest}")]
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["Severity"]["Label"] == "CRITICAL"
    assert (
        "CVE-2025-9230 CRITICAL openssl 3.0.8 (fixed in 3.0.18)"
        in finding["ProductFields"]["provenance-guard/Evidence/WorstFindings"]
    )
    assert [n["attributes"]["control"] for n in result.notifications] == ["PG.ECR.5"]


def test_a_closed_inspector_finding_re_evaluates_the_image(ecr, pusher, replayer, emulator):
    enhanced(ecr)
    digest = push(ecr, pusher, "payments/batch", imageTagMutability="IMMUTABLE")
    emulator.plan_scan("payments/batch", digest, vulnerabilities=[CRITICAL])
    replayer.replay(inspector_finding("payments/batch", digest), "finding")
    emulator.plan_scan("payments/batch", digest, vulnerabilities=[{**CRITICAL, "status": "CLOSED"}])

    result = replayer.replay(inspector_finding("payments/batch", digest, "CLOSED"), "closed")

    assert status(result) == {("PG.ECR.5", f"payments/batch/{digest}"): "PASSED"}
    assert [n["attributes"]["transition"] for n in result.notifications] == ["RESOLVED"]


def test_a_basic_scan_event_judges_scan_results(ecr, pusher, replayer, emulator):
    digest = push(ecr, pusher, "legacy", imageScanningConfiguration={"scanOnPush": True})
    emulator.plan_scan(
        "legacy", digest, status="UNSUPPORTED_IMAGE", description="The operating system is not supported."
    )

    result = replayer.replay(basic_scan_completed("legacy", digest), "scan")

    assert status(result) == {
        ("PG.ECR.5", f"legacy/{digest}"): "NOT_AVAILABLE",
        ("PG.ECR.6", f"legacy/{digest}"): "FAILED",
    }


def test_a_deleted_image_and_a_vanished_digest_are_archived(ecr, pusher, replayer):
    enhanced(ecr)
    kept = push(ecr, pusher, "short-lived", tag="a")
    gone = push(ecr, pusher, "short-lived", UNTRUSTED, tag="b")
    replayer.replay(image_pushed("short-lived", kept), "push a")
    replayer.replay(image_pushed("short-lived", gone), "push b")
    ecr.batch_delete_image(repositoryName="short-lived", imageIds=[{"imageDigest": kept}, {"imageDigest": gone}])

    deleted = replayer.replay(image_deleted("short-lived", kept), "delete")
    vanished = replayer.replay(inspector_scanned("short-lived", gone), "scan of a digest that no longer exists")

    assert {(k, f["RecordState"]) for k, f in findings(deleted).items()} == {
        (("PG.ECR.3", f"short-lived/{kept}"), "ARCHIVED"),
        (("PG.ECR.4", f"short-lived/{kept}"), "ARCHIVED"),
        (("PG.ECR.6", f"short-lived/{kept}"), "ARCHIVED"),
    }
    assert {f["RecordState"] for f in vanished.findings} == {"ARCHIVED"}
    assert [i.failed_records for i in vanished.invocations] == [0]


@pytest.mark.parametrize(
    ("fixture", "change"),
    [
        ("cloudtrail-ecr-createrepository.json", None),
        ("cloudtrail-ecr-putimagescanningconfiguration.json", {"imageScanningConfiguration": {"scanOnPush": True}}),
        ("cloudtrail-ecr-putimagetagmutability.json", {"imageTagMutability": "IMMUTABLE"}),
    ],
)
def test_cloudtrail_repository_calls_re_judge_the_repository(ecr, replayer, fixture, change):
    ecr.create_repository(repositoryName="configured")
    if change and "imageScanningConfiguration" in change:
        ecr.put_image_scanning_configuration(repositoryName="configured", **change)
    elif change:
        ecr.put_image_tag_mutability(repositoryName="configured", **change)

    result = replayer.replay(ecr_call(fixture, "configured"), fixture)

    assert set(status(result)) == {("PG.ECR.1", "configured"), ("PG.ECR.2", "configured")}


def test_a_registry_scanning_change_re_judges_every_repository(ecr, replayer):
    for name in ("svc-a", "svc-b"):
        ecr.create_repository(repositoryName=name)
    enhanced(ecr, "svc-a")

    result = replayer.replay(ecr_call("cloudtrail-ecr-putregistryscanningconfiguration.json"), "registry scanning")

    assert status(result) == {("PG.ECR.1", "svc-a"): "PASSED", ("PG.ECR.1", "svc-b"): "FAILED"}


def test_a_deleted_repository_has_its_findings_archived(ecr, replayer):
    ecr.create_repository(repositoryName="retired")
    replayer.replay(ecr_call("cloudtrail-ecr-createrepository.json", "retired"), "created")
    ecr.delete_repository(repositoryName="retired")

    result = replayer.replay(ecr_call("cloudtrail-ecr-deleterepository.json", "retired"), "deleted")

    assert {f["RecordState"] for f in result.findings} == {"ARCHIVED"}
    assert len(result.findings) == 2


def test_a_force_deleted_repository_has_its_images_findings_archived_too(ecr, pusher, replayer):
    first = push(ecr, pusher, "retiring", tag="a")
    second = push(ecr, pusher, "retiring", UNTRUSTED, tag="b")
    for digest in (first, second):
        replayer.replay(image_pushed("retiring", digest), f"push {digest[:19]}")
    ecr.delete_repository(repositoryName="retiring", force=True)  # no ECR Image Action DELETE per image

    result = replayer.replay(ecr_call("cloudtrail-ecr-deleterepository.json", "retiring"), "force-deleted")

    assert {(k, f["RecordState"]) for k, f in findings(result).items()} == {
        (("PG.ECR.1", "retiring"), "ARCHIVED"),
        (("PG.ECR.2", "retiring"), "ARCHIVED"),
        *((("PG.ECR.3", f"retiring/{d}"), "ARCHIVED") for d in (first, second)),
        *((("PG.ECR.4", f"retiring/{d}"), "ARCHIVED") for d in (first, second)),
        *((("PG.ECR.6", f"retiring/{d}"), "ARCHIVED") for d in (first, second)),
    }
    assert [i.failed_records for i in result.invocations] == [0]


PARTNER_ACCOUNT = "444455556666"
PARTNER = f"{PARTNER_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com"


@pytest.fixture
def replicating_replayer(routes, emulator, local_registry, tmp_path) -> Replayer:
    """The demo policy, plus: repositories under partner/ are replicas of the partner's registry."""
    document = slice_document()
    document["container"]["replicated_repositories"] = [{"repositories": ["partner/*"], "source": PARTNER}]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return Replayer(routes, ensure_backing(emulator.url, REGION, path, local_registry))


def test_a_replicated_image_is_judged_with_its_source_registry(ecr, pusher, replicating_replayer):
    replica = push(ecr, pusher, "partner/api")  # what ECR replication put into this registry

    result = replicating_replayer.replay(
        image_replicated("partner/api", replica, PARTNER_ACCOUNT, "us-west-2"), "replicated"
    )

    assert [(i.function, i.failed_records) for i in result.invocations] == [("image_push", 0)]
    assert set(status(result)) == {
        ("PG.ECR.1", "partner/api"),
        ("PG.ECR.2", "partner/api"),
        ("PG.ECR.3", f"partner/api/{replica}"),
        ("PG.ECR.4", f"partner/api/{replica}"),
        ("PG.ECR.6", f"partner/api/{replica}"),
    }
    provenance = findings(result)[("PG.ECR.4", f"partner/api/{replica}")]
    assert provenance["Compliance"]["Status"] == "FAILED"  # the partner's registry is not trusted
    assert provenance["Compliance"]["StatusReasons"][0]["ReasonCode"] == "UNTRUSTED_REPLICATION_SOURCE"
    assert provenance["ProductFields"]["provenance-guard/Evidence/ReplicatedFrom"] == f"{PARTNER}/partner/api"
