"""Container images through the whole pipeline (moto + a real registry): documented events in,
findings in Security Hub out; pushes, scans, Inspector findings, deletions, vanished digests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import boto3
import pytest

from provenance_guard.asff import MAX_PRODUCT_FIELD_VALUE, to_asff
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecr_repository import ECR_REPOSITORY
from provenance_guard.findings import finding_id
from provenance_guard.model import ResourceRef
from provenance_guard.service import Service
from provenance_guard.triggers import parse_event
from provenance_guard_cli.emulator.ecr_scans import plan_scan
from provenance_guard_cli.local_registry import Pushed, RegistryPusher, image_index, image_manifest, push_image
from tests.unit.ecr_support import ecr_event
from tests.unit.support import ACCOUNT, REGION

BASE = {"org.opencontainers.image.base.name": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/base/al2023:2025"}
CRITICAL = {
    "id": "CVE-2025-1111",
    "severity": "CRITICAL",
    "package": "openssl",
    "version": "3.0.13",
    "fixedIn": "3.0.15",
    "score": 9.8,
}


@pytest.fixture
def ecr(aws: None) -> Any:
    client = boto3.client("ecr", region_name=REGION)
    client.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    )
    return client


@pytest.fixture
def ecr_service(make_service: Callable[..., Service], local_registry: str) -> Service:
    return make_service(registry_url=local_registry)


def push(ecr: Any, pusher: RegistryPusher, repository: str, **labels: str) -> Pushed:
    if repository not in {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}:
        ecr.create_repository(repositoryName=repository, imageTagMutability="IMMUTABLE")
    return push_image(ecr, pusher, repository, image_manifest(pusher, repository, labels=labels or BASE), "v1")


def pushed_event(repository: str, digest: str) -> dict[str, Any]:
    return ecr_event("ecr-image-action-push.json", **{"repository-name": repository, "image-digest": digest})


def by_control(report: Any) -> dict[tuple[str, str], Any]:
    return {(e.verdict.control_id, e.ref.name): e for e in report.evaluated}


def test_a_push_judges_the_image_and_its_repository(ecr, pusher, ecr_service):
    image = push(ecr, pusher, "team/app")

    report = ecr_service.pipeline.run(parse_event(pushed_event("team/app", image.digest)))

    results = {key: e.verdict.status.value for key, e in by_control(report).items()}
    assert results == {
        ("PG.ECR.1", "team/app"): "PASSED",
        ("PG.ECR.2", "team/app"): "PASSED",
        ("PG.ECR.3", f"team/app@{image.digest}"): "NOT_AVAILABLE",  # no trust policy configured
        ("PG.ECR.4", f"team/app@{image.digest}"): "PASSED",
        ("PG.ECR.6", f"team/app@{image.digest}"): "PASSED",
    }
    finding = to_asff(by_control(report)[("PG.ECR.4", f"team/app@{image.digest}")].finding)
    assert finding["Resources"][0]["Id"] == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/app/{image.digest}"
    assert finding["Resources"][0]["Type"] == "AwsEcrContainerImage"


def test_a_multi_platform_push_is_judged_per_digest(ecr, pusher, ecr_service):
    ecr.create_repository(repositoryName="multi")
    arm = push_image(ecr, pusher, "multi", image_manifest(pusher, "multi", labels=BASE, architecture="arm64"))
    amd = push_image(
        ecr,
        pusher,
        "multi",
        image_manifest(
            pusher,
            "multi",
            labels={"org.opencontainers.image.base.name": "docker.io/evil/base"},
            architecture="amd64",
            layer=b"amd",
        ),
    )
    index = push_image(ecr, pusher, "multi", image_index([("linux/arm64", arm), ("linux/amd64", amd)]), "v1")

    report = ecr_service.pipeline.run(parse_event(pushed_event("multi", index.digest)))

    provenance = {e.ref.name: e.verdict for e in report.evaluated if e.verdict.control_id == "PG.ECR.4"}
    assert {name: v.status.value for name, v in provenance.items()} == {
        f"multi@{index.digest}": "FAILED",
        f"multi@{arm.digest}": "PASSED",
        f"multi@{amd.digest}": "FAILED",
    }
    assert provenance[f"multi@{index.digest}"].evidence["Platforms"].startswith("linux/arm64 ")


def test_a_scan_over_the_threshold_fails_at_the_highest_exceeded_severity(ecr, pusher, ecr_service, securityhub):
    image = push(ecr, pusher, "team/api")
    plan_scan(
        "team/api",
        image.digest,
        vulnerabilities=[CRITICAL] + [{**CRITICAL, "id": f"CVE-2025-{i}", "severity": "HIGH"} for i in range(60)],
    )
    event = ecr_event(
        "inspector2-scan-ecr.json",
        **{"repository-name": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/api", "image-digest": image.digest},
    )

    report = ecr_service.pipeline.run(parse_event(event))

    result = by_control(report)[("PG.ECR.5", f"team/api@{image.digest}")]
    assert result.verdict.status.value == "FAILED"
    finding = to_asff(result.finding)
    assert finding["Severity"]["Label"] == "CRITICAL"
    fields = finding["ProductFields"]
    assert fields["provenance-guard/Evidence/Counts"] == "CRITICAL=1, HIGH=60, MEDIUM=0, LOW=0"
    assert fields["provenance-guard/Evidence/WorstFindings"].startswith(
        "CVE-2025-1111 CRITICAL openssl 3.0.13 (fixed in 3.0.15)"
    )
    assert len(fields) <= 50
    assert all(len(v) <= MAX_PRODUCT_FIELD_VALUE for v in fields.values())
    imported = securityhub.get_findings()["Findings"]
    assert (
        len([f for f in imported if f["Compliance"]["SecurityControlId"] == "PG.ECR.5"]) == 1
    )  # one per digest, never per CVE
    again = ecr_service.pipeline.run(parse_event(event))
    assert again.imported == 0
    assert again.unchanged == 2


def test_a_closed_inspector_finding_re_evaluates_the_image(ecr, pusher, ecr_service):
    image = push(ecr, pusher, "team/web")
    plan_scan("team/web", image.digest, vulnerabilities=[CRITICAL])
    finding_event = ecr_event("inspector2-finding-ecr.json", status="ACTIVE")
    finding_event["detail"]["resources"][0]["details"]["awsEcrContainerImage"].update(
        repositoryName="team/web", imageHash=image.digest, registry=ACCOUNT
    )
    assert (
        by_control(ecr_service.pipeline.run(parse_event(finding_event)))[
            ("PG.ECR.5", f"team/web@{image.digest}")
        ].verdict.status.value
        == "FAILED"
    )

    plan_scan("team/web", image.digest, vulnerabilities=[{**CRITICAL, "status": "CLOSED"}])
    finding_event["detail"]["status"] = "CLOSED"
    report = ecr_service.pipeline.run(parse_event(finding_event))

    assert by_control(report)[("PG.ECR.5", f"team/web@{image.digest}")].verdict.status.value == "PASSED"
    assert len(report.notified) == 1  # FAILED -> PASSED


def test_basic_scan_results_from_the_ecr_image_scan_event(aws, pusher, make_service, local_registry):
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="legacy", imageScanningConfiguration={"scanOnPush": True})
    image = push_image(ecr, pusher, "legacy", image_manifest(pusher, "legacy", labels=BASE), "v1")
    plan_scan("legacy", image.digest, vulnerabilities=[{**CRITICAL, "severity": "MEDIUM"}])
    service = make_service(
        {"version": 1, "container": {"vulnerability_thresholds": {"MEDIUM": 0}}}, registry_url=local_registry
    )

    report = service.pipeline.run(
        parse_event(ecr_event("ecr-image-scan.json", **{"repository-name": "legacy", "image-digest": image.digest}))
    )

    result = by_control(report)[("PG.ECR.5", f"legacy@{image.digest}")]
    assert result.verdict.status.value == "FAILED"
    assert to_asff(result.finding)["Severity"]["Label"] == "MEDIUM"
    assert result.verdict.evidence["ScanSource"] == "ECR basic scanning"


def test_a_deleted_image_has_its_findings_archived(ecr, pusher, ecr_service):
    image = push(ecr, pusher, "team/old")
    ecr_service.pipeline.run(parse_event(pushed_event("team/old", image.digest)))
    ecr.batch_delete_image(repositoryName="team/old", imageIds=[{"imageDigest": image.digest}])

    delete = ecr_event("ecr-image-action-delete.json", **{"repository-name": "team/old", "image-digest": image.digest})
    report = ecr_service.pipeline.run(parse_event(delete))

    assert len(report.archived) == 3  # PG.ECR.3, PG.ECR.4 and PG.ECR.6


def test_an_event_for_a_digest_that_no_longer_exists_archives(ecr, pusher, ecr_service):
    image = push(ecr, pusher, "team/gone")
    ecr_service.pipeline.run(parse_event(pushed_event("team/gone", image.digest)))
    ecr.batch_delete_image(repositoryName="team/gone", imageIds=[{"imageDigest": image.digest}])

    scan = ecr_event("ecr-image-scan.json", **{"repository-name": "team/gone", "image-digest": image.digest})
    report = ecr_service.pipeline.run(parse_event(scan))

    assert [r.name for r in report.vanished] == [f"team/gone@{image.digest}"]
    assert len(report.archived) == 3


def test_a_registry_scanning_change_re_judges_every_repository(ecr, pusher, ecr_service):
    for name in ("svc-a", "svc-b"):
        ecr.create_repository(repositoryName=name)
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": "MANUAL", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    )
    event = ecr_event("cloudtrail-ecr-putregistryscanningconfiguration.json")

    report = ecr_service.pipeline.run(parse_event(event))

    assert {(e.ref.name, e.verdict.control_id, e.verdict.status.value) for e in report.evaluated} == {
        ("svc-a", "PG.ECR.1", "FAILED"),
        ("svc-b", "PG.ECR.1", "FAILED"),
    }


def test_a_platform_image_scan_updates_its_index_summary(ecr, pusher, ecr_service):
    ecr.create_repository(repositoryName="multi-scan")
    arm = push_image(ecr, pusher, "multi-scan", image_manifest(pusher, "multi-scan", labels=BASE, architecture="arm64"))
    amd = push_image(
        ecr, pusher, "multi-scan", image_manifest(pusher, "multi-scan", labels=BASE, architecture="amd64", layer=b"amd")
    )
    index = push_image(ecr, pusher, "multi-scan", image_index([("linux/arm64", arm), ("linux/amd64", amd)]), "v1")
    plan_scan("multi-scan", amd.digest, vulnerabilities=[CRITICAL])
    arn = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/multi-scan"

    report = ecr_service.pipeline.run(
        parse_event(ecr_event("inspector2-scan-ecr.json", **{"repository-name": arn, "image-digest": amd.digest}))
    )

    results = {(e.verdict.control_id, e.ref.name): e.verdict for e in report.evaluated}
    assert results[("PG.ECR.5", f"multi-scan@{amd.digest}")].status.value == "FAILED"
    summary = results[("PG.ECR.5", f"multi-scan@{index.digest}")]
    assert summary.status.value == "FAILED"
    assert summary.severity is not None
    assert summary.severity.value == "CRITICAL"
    assert summary.reasons[0].description.startswith("linux/amd64: 1 CRITICAL findings")
    assert ("PG.ECR.5", f"multi-scan@{arm.digest}") not in results


def test_an_image_pushed_before_its_signature_passes_once_the_signature_arrives(
    ecr, pusher, make_service, local_registry
):
    from datetime import timedelta

    from provenance_guard_cli.notation import descriptor as target_of
    from provenance_guard_cli.notation import push_notation_signature
    from tests.unit.signing_support import issue, jws
    from tests.unit.support import T0

    valid = {"not_before": T0 - timedelta(days=30), "not_after": T0 + timedelta(days=365)}
    root = issue("Flow Root CA", None, ca=True, **valid)
    leaf = issue("flow signer", root, ca=False, **valid)
    trust_policy = {
        "name": "signed",
        "scopes": ["team/*"],
        "trust_stores": ["ca:flow"],
        "trusted_identities": ["x509.subject: C=US, ST=WA, O=Example Org"],
    }
    signatures = {"trust_policies": [trust_policy], "trust_stores": {"ca:flow": root.pem}}
    service = make_service({"version": 1, "container": {"signatures": signatures}}, registry_url=local_registry)
    image = push(ecr, pusher, "team/signed-later")

    first = service.pipeline.run(parse_event(pushed_event("team/signed-later", image.digest)))
    assert by_control(first)[("PG.ECR.3", f"team/signed-later@{image.digest}")].verdict.status.value == "FAILED"

    envelope = jws(leaf, [leaf, root], target_of(image), signing_time=T0 - timedelta(hours=1))
    push_notation_signature(pusher, "team/signed-later", image, envelope)
    referrer = ecr_event(
        "ecr-referrer-action-restore.json",
        **{
            "action-type": "PUSH",
            "repository-name": "team/signed-later",
            "image-digest": image.digest,
            "artifact-media-type": "application/vnd.cncf.notary.signature",
        },
    )
    second = service.pipeline.run(parse_event(referrer))
    assert {(e.verdict.control_id, e.verdict.status.value) for e in second.evaluated} == {("PG.ECR.3", "PASSED")}
    assert second.imported == 1  # the FAILED finding is replaced by the PASSED one


def deleted_repository_event(name: str) -> dict[str, Any]:
    event = ecr_event("cloudtrail-ecr-deleterepository.json")
    event["detail"]["requestParameters"]["repositoryName"] = name
    return event


def test_a_force_deleted_repository_archives_its_images_findings_at_once(ecr, pusher, ecr_service):
    first = push(ecr, pusher, "team/retired")
    second = push_image(ecr, pusher, "team/retired", image_manifest(pusher, "team/retired", labels=BASE), "v2")
    kept = push(ecr, pusher, "team/retired-too")  # shares the name as a prefix: not archived
    for repository, image in (("team/retired", first), ("team/retired", second), ("team/retired-too", kept)):
        ecr_service.pipeline.run(parse_event(pushed_event(repository, image.digest)))
    ecr.delete_repository(repositoryName="team/retired", force=True)

    report = ecr_service.pipeline.run(parse_event(deleted_repository_event("team/retired")))

    repository = ResourceRef(ECR_REPOSITORY, "team/retired", ACCOUNT, REGION)
    images = [replace(repository, kind=ECR_IMAGE, name=f"team/retired@{i.digest}") for i in (first, second)]
    expected = {finding_id(repository, c) for c in ("PG.ECR.1", "PG.ECR.2")} | {
        finding_id(i, c) for i in images for c in ("PG.ECR.3", "PG.ECR.4", "PG.ECR.6")
    }
    assert set(report.archived) == expected  # not those of team/retired-too, whose name shares the prefix
    assert report.evaluated == []


def test_a_repository_deleted_and_created_again_is_re_judged_not_archived(ecr, pusher, ecr_service):
    old = push(ecr, pusher, "team/reborn")
    ecr_service.pipeline.run(parse_event(pushed_event("team/reborn", old.digest)))
    ecr.delete_repository(repositoryName="team/reborn", force=True)
    ecr.create_repository(repositoryName="team/reborn", imageTagMutability="IMMUTABLE")

    report = ecr_service.pipeline.run(parse_event(deleted_repository_event("team/reborn")))

    assert {(e.ref.name, e.verdict.control_id) for e in report.evaluated} == {
        ("team/reborn", "PG.ECR.1"),
        ("team/reborn", "PG.ECR.2"),
    }
    assert [r.name for r in report.vanished] == [f"team/reborn@{old.digest}"]  # the old image is gone
    assert len(report.archived) == 3


PARTNER = "444455556666.dkr.ecr.us-west-2.amazonaws.com"


def replicated_event(repository: str, digest: str) -> dict[str, Any]:
    return ecr_event(
        "ecr-replication-action.json",
        **{"repository-name": repository, "image-digest": digest, "source-account": "444455556666"},
    )


@pytest.mark.parametrize(("trusted", "status"), [(["self"], "FAILED"), (["self", PARTNER], "PASSED")])
def test_a_replicated_image_is_judged_with_its_declared_source(
    ecr, pusher, make_service, local_registry, trusted, status
):
    policy = {
        "version": 1,
        "container": {
            "trusted_registries": trusted,
            "replicated_repositories": [{"repositories": ["partner/*"], "source": PARTNER}],
        },
    }
    service = make_service(policy, registry_url=local_registry)
    replica = push(ecr, pusher, "partner/api")  # what replication put into this registry

    report = service.pipeline.run(parse_event(replicated_event("partner/api", replica.digest)))

    results = by_control(report)
    assert {key[0] for key in results} == {"PG.ECR.1", "PG.ECR.2", "PG.ECR.3", "PG.ECR.4", "PG.ECR.6"}
    provenance = results[("PG.ECR.4", f"partner/api@{replica.digest}")]
    assert provenance.verdict.status.value == status
    assert provenance.verdict.evidence["ReplicatedFrom"] == f"{PARTNER}/partner/api"
    fields = to_asff(provenance.finding)["ProductFields"]
    assert fields["provenance-guard/Evidence/ReplicatedFrom"] == f"{PARTNER}/partner/api"


def test_registry_settings_are_read_once_per_run_and_again_in_the_next(ecr, pusher, ecr_service):
    images = [push(ecr, pusher, f"team/app{i}") for i in range(3)]
    calls: list[str] = []
    session = ecr_service.clients._get_session()
    session.events.register("before-call.ecr.*", lambda model, **_: calls.append(model.name))
    batch = [w for i, image in enumerate(images) for w in parse_event(pushed_event(f"team/app{i}", image.digest))]

    ecr_service.pipeline.run(batch)
    first = calls.count("GetRegistryScanningConfiguration"), calls.count("GetSigningConfiguration")
    ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[])
    calls.clear()
    report = ecr_service.pipeline.run(parse_event(pushed_event("team/app0", images[0].digest)))

    assert first == (1, 1)  # three images and three repositories, one reading
    assert calls.count("GetRegistryScanningConfiguration") == 1
    scan_on_push = by_control(report)[("PG.ECR.1", "team/app0")]
    assert scan_on_push.verdict.status.value == "FAILED"  # the next run saw the change


def test_a_multi_platform_push_reads_each_platform_image_once(ecr, pusher, ecr_service):
    """The index's snapshot reads its platform images; their own work items in the same run reuse them."""
    ecr.create_repository(repositoryName="multi-once")
    arm = push_image(ecr, pusher, "multi-once", image_manifest(pusher, "multi-once", labels=BASE))
    amd = push_image(ecr, pusher, "multi-once", image_manifest(pusher, "multi-once", labels=BASE, layer=b"amd"))
    index = push_image(ecr, pusher, "multi-once", image_index([("linux/arm64", arm), ("linux/amd64", amd)]), "v1")
    described: list[str] = []
    session = ecr_service.clients._get_session()
    session.events.register(
        "provide-client-params.ecr.DescribeImages",
        lambda params, **_: described.extend(i["imageDigest"] for i in params.get("imageIds", [])),
    )

    report = ecr_service.pipeline.run(parse_event(pushed_event("multi-once", index.digest)))

    assert {e.ref.name for e in report.evaluated} >= {f"multi-once@{d.digest}" for d in (index, arm, amd)}
    assert sorted(described) == sorted([index.digest, arm.digest, amd.digest])
    again = ecr_service.pipeline.run(parse_event(pushed_event("multi-once", index.digest)))
    assert again.unchanged == len(again.evaluated)  # a new run reads them again (and finds nothing changed)
    assert len(described) == 6
